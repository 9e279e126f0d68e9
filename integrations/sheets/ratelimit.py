"""A token bucket that keeps a process under Google's per-minute Sheets quota."""

from __future__ import annotations

import threading

from daemon.clock import Clock


class TokenBucket:
    """At most `per_minute` acquisitions in any 60-second window, with small bursts.

    A plain bucket refilling at per_minute/60 would allow its burst *plus* a full minute of
    refill inside one window. Refilling at (per_minute - burst)/60 instead makes the worst
    window exactly burst + refill = per_minute, which is what the quota counts.
    """

    def __init__(self, per_minute: int, clock: Clock, *, burst: int | None = None) -> None:
        if per_minute < 2:
            raise ValueError("a Sheets rate limit needs at least 2 requests per minute")
        self.burst = burst if burst is not None else max(1, per_minute // 10)
        if not 1 <= self.burst < per_minute:
            raise ValueError("burst must be at least 1 and below the per-minute limit")
        self.rate = (per_minute - self.burst) / 60.0  # tokens per second
        self._clock = clock
        self._tokens = float(self.burst)
        self._stamp = clock.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping (on the injected clock) until one is there. Returns seconds waited."""
        waited = 0.0
        # Holding the lock while sleeping queues callers in arrival order.
        with self._lock:
            while True:
                now = self._clock.monotonic()
                # A wall clock stepped backwards must not drain the bucket.
                elapsed = max(0.0, now - self._stamp)
                self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
                self._stamp = now
                if self._tokens >= 1.0 - 1e-6:
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return waited
                # A floor on the pause: epoch seconds are too coarse for nanosecond steps.
                pause = max(0.001, (1.0 - self._tokens) / self.rate)
                self._clock.sleep(pause)
                waited += pause
