"""How delivery retries the SingleInterface endpoint. Pure logic: no I/O, no clock.

Three layers, each a pure function of counters and a random number in [0, 1) that the
caller supplies (so tests pin the jitter):
- immediate tries, a short exponential backoff with jitter between them;
- deferrals, Postfix-style growing delays (300 s doubling to 4000 s) up to a maximum age;
- the circuit breaker's probe interval, growing by half each time, capped at WEBHOOK_PROBE_MAX.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # immediate tries per claim (WEBHOOK_RETRY_ATTEMPTS)
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_inline_wait: float = 10.0  # a longer Retry-After defers the result instead of sleeping
    defer_min: float = 300.0  # Postfix minimal_backoff_time
    defer_max: float = 4000.0  # Postfix maximal_backoff_time
    max_age: float = 3 * 86400.0  # WEBHOOK_MAX_AGE, counted from the first failed attempt
    probe_base: float = 1.0
    probe_factor: float = 1.5  # gentler than doubling: a recovery is noticed sooner
    probe_max: float = 60.0  # WEBHOOK_PROBE_MAX

    def backoff(self, retry: int, rand: float) -> float:
        """Wait before immediate retry number `retry` (1, 2, ...): equal jitter in [d/2, d]."""
        full = min(self.backoff_cap, self.backoff_base * 2 ** (retry - 1))
        return full / 2 + full / 2 * rand

    def deferral(self, deferrals: int, rand: float) -> float:
        """Delay of deferral number `deferrals` (1, 2, ...): doubling from defer_min, capped, minus up to 10%."""
        full = min(self.defer_max, self.defer_min * 2 ** (deferrals - 1))
        return full * (0.9 + 0.1 * rand)

    def probe_delay(self, failures: int, rand: float) -> float:
        """Wait before the next probe of a failing endpoint: growing, never above probe_max."""
        full = min(self.probe_max, self.probe_base * self.probe_factor ** (failures - 1))
        return full * (0.75 + 0.25 * rand)


class Breaker:
    """The endpoint's health as seen by one delivery process.

    Times are on the monotonic clock, so a step of the wall clock never holds delivery back.
    Closed: results flow. Open: nothing is sent until `next_probe_at`, then one result goes
    as a probe. When the endpoint answers again the breaker closes, and the caller drains the
    deferred results at once, unless the only evidence of an outage was one result that had
    failed before (then that result is the problem, not the endpoint, and it keeps its delay).
    """

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.is_open = False
        self.failures = 0
        self.next_probe_at = 0.0
        self._confirmed = False
        self._opened_by_retried = False

    def ready(self, now: float) -> bool:
        return not self.is_open or now >= self.next_probe_at

    def failed(self, now: float, rand: float, retry_after: float | None = None, retried: bool = False) -> None:
        """A result failed transiently (after its tries). `retried`: it had been deferred before."""
        if self.is_open:
            self._confirmed = True
        else:
            self._opened_by_retried = retried
        self.is_open = True
        self.failures += 1
        delay = self.policy.probe_delay(self.failures, rand)
        # An endpoint's Retry-After is honoured only up to WEBHOOK_PROBE_MAX: one answer of
        # "Retry-After: 99999999999" must not stop delivery for good.
        self.next_probe_at = now + max(delay, min(retry_after or 0.0, self.policy.probe_max))

    def answered(self) -> bool:
        """The endpoint answered (2xx or a permanent 4xx). True when deferred results should go now."""
        drain = self.is_open and (self._confirmed or not self._opened_by_retried)
        self.is_open = False
        self.failures = 0
        self._confirmed = False
        self._opened_by_retried = False
        return drain
