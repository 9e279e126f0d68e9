"""Time, injected: stages and the queue read the clock through this so tests drive time.

Two clocks, for two jobs. `now()` is the wall clock: for times that are stored or shown
(a deferred task's due time, a sheet's Last Attempt Time). `monotonic()` never steps: for
every in-process interval (rescans, the breaker's probes, the dialer's cycle, sheet flushes),
so an NTP correction or an operator's `date -s` never stalls a timer or fires it early.
"""

from __future__ import annotations

import time
from datetime import datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (wall clock; may step)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never steps; only differences mean anything."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FakeClock:
    """A clock for tests: `sleep` and `advance` move both clocks; `step` moves the wall clock only."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01 00:00:00 UTC
        self.t = start
        self.mono = 1000.0

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        self.mono += max(0.0, seconds)

    advance = sleep

    def step(self, seconds: float) -> None:
        """The wall clock jumps (NTP, an operator) by `seconds`, maybe backwards; time itself goes on."""
        self.t += seconds


SYSTEM_CLOCK: Clock = SystemClock()


def iso_epoch(text: str, tz: tzinfo) -> float | None:
    """Epoch seconds of ISO 8601 text; a time written without a zone is local to `tz`.
    None when it is not ISO 8601."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.timestamp()
