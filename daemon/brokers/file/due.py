"""When each deferred task is due, kept on the monotonic clock.

On disk a deferred task's due time is its file's mtime: wall-clock time, which survives a
restart and shows in `ls -l`. A wall clock stepped back (NTP, an operator's `date -s`) would
make every saved due time hours late, so in-process they are kept on the monotonic clock:
a task this process deferred is due after the delay it was given, whatever the wall clock
does; a task found on disk (another process's, or one from before a restart) is due by its
mtime, and a mtime further ahead than callpipe ever defers counts as due now.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

from daemon.clock import Clock

# The longest deferral callpipe makes: delivery's Postfix-style maximum (4,000 s), Retry-After
# included, and a margin. A saved due time beyond now plus this came from a clock step.
MAX_DEFERRAL = 4200.0


class DueTimes:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[tuple[float, str]] = []  # (monotonic due, name)
        self._mine: dict[str, float] = {}  # names this process deferred -> monotonic due

    def __bool__(self) -> bool:
        return bool(self._heap)

    def _from_wall(self, when: float) -> float:
        ahead = when - self.clock.now()
        return self.clock.monotonic() + (0.0 if ahead > MAX_DEFERRAL else max(0.0, ahead))

    def add(self, name: str, until: float) -> None:
        """Deferred here, until the wall-clock time `until` (as its mtime says)."""
        due = self._from_wall(until)
        self._mine[name] = due
        heapq.heappush(self._heap, (due, name))

    def rebuild(self, found: Iterable[tuple[str, float]]) -> None:
        """From a folder scan of (name, mtime): ours keep their monotonic due, others go by mtime."""
        heap, mine = [], {}
        for name, mtime in found:
            due = self._mine.get(name)
            if due is None:
                due = self._from_wall(mtime)
            else:
                mine[name] = due
            heap.append((due, name))
        heapq.heapify(heap)
        self._heap, self._mine = heap, mine

    def pop(self, *, all_now: bool = False) -> Iterator[str]:
        """The names due now (or every name), earliest first, each taken off the schedule."""
        now = self.clock.monotonic()
        while self._heap and (all_now or self._heap[0][0] <= now):
            _, name = heapq.heappop(self._heap)
            self._mine.pop(name, None)
            yield name

    def retry_later(self, name: str, delay: float) -> None:
        heapq.heappush(self._heap, (self.clock.monotonic() + delay, name))

    def due_now(self) -> bool:
        return bool(self._heap) and self._heap[0][0] <= self.clock.monotonic()
