"""Bounded exponential backoff with jitter, on an injected clock.

gspread's BackOffHTTPClient retries a permanent 429 forever; a stage must instead give up
after a known bound and say so, so this loop is ours.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from daemon.clock import Clock
from integrations.sheets.model import SheetError

log = logging.getLogger(__name__)

T = TypeVar("T")

# An exception turned into the error to raise and the server's Retry-After (seconds), if any.
# None means "not ours to handle": the exception propagates untouched.
Classifier = Callable[[Exception], "tuple[SheetError, float | None] | None"]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # requests in all, the first one included
    base: float = 1.0  # seconds before the first retry (upper end)
    cap: float = 32.0  # no single pause is longer

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base <= 0 or self.cap < self.base:
            raise ValueError("RetryPolicy needs attempts >= 1 and 0 < base <= cap")

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        """The pause before retry number `retry` (1 for the first): half fixed, half jitter."""
        ceiling = min(self.cap, self.base * 2 ** (retry - 1))
        pause = rng.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            pause = max(pause, min(retry_after, self.cap))
        return pause

    def worst_case(self) -> float:
        """The longest total pause one call can take before giving up."""
        return sum(min(self.cap, self.base * 2 ** (n - 1)) for n in range(1, self.attempts))


def run_with_retry(
    attempt: Callable[[], T],
    classify: Classifier,
    *,
    what: str,
    policy: RetryPolicy,
    clock: Clock,
    rng: random.Random,
) -> T:
    """Call `attempt` until it succeeds, fails for good, or `policy.attempts` are used up."""
    for n in range(1, policy.attempts + 1):
        try:
            return attempt()
        except Exception as exc:
            verdict = classify(exc)
            if verdict is None:
                raise
            error, retry_after = verdict
            if not error.retryable:
                raise error from exc
            if n == policy.attempts:
                raise SheetError(
                    f"{what}: gave up after {n} attempts: {error}", status=error.status, retryable=True
                ) from exc
            pause = policy.delay(n, rng, retry_after)
            log.warning("%s: %s; retry %d/%d in %.1fs", what, error, n, policy.attempts - 1, pause)
            clock.sleep(pause)
    raise AssertionError("unreachable: the loop returns or raises")
