"""What a stage is: a small class the runner drives with `while not stop: stage.run_once()`."""

from __future__ import annotations

import logging
import threading
import time
from typing import ClassVar

from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config
from daemon.layout import QUEUES
from daemon.logs import task as task_extra
from daemon.queue import FileQueue, Task

log = logging.getLogger(__name__)


class Stage:
    name: ClassVar[str] = "stage"
    idle_wait: ClassVar[float] = 0.5

    def __init__(self, cfg: Config, clock: Clock = SYSTEM_CLOCK) -> None:
        self.cfg = cfg
        self.clock = clock
        self.processed = 0
        self.failed = 0
        self.last_error: dict[str, str | float] | None = None

    def setup(self) -> None:
        """Open resources. Raise to refuse to start (a clear message, exit non-zero)."""

    def run_once(self) -> bool:
        """Do at most one unit of work. True means work was done and the loop goes again at once."""
        return False

    def close(self) -> None:
        """Release resources; called once, also after a failed setup."""

    def wakeup_event(self) -> threading.Event | None:
        return None

    def note_error(self, call_id: str, message: str) -> None:
        self.failed += 1
        self.last_error = {"time": self.clock.now(), "call_id": call_id, "message": message[:500]}


class QueueStage(Stage):
    """A stage that drains one FileQueue: claim, handle, and the task leaves in exactly one place."""

    queue_name: ClassVar[str]

    def setup(self) -> None:
        inbox, active, done = QUEUES[self.queue_name]
        self.queue = FileQueue(self.cfg, inbox, active, done, clock=self.clock)
        self.queue.start()

    def close(self) -> None:
        if hasattr(self, "queue"):
            self.queue.stop()

    def wakeup_event(self) -> threading.Event | None:
        return self.queue.wakeup

    def run_once(self) -> bool:
        task = self.queue.claim()
        if task is None:
            return False
        started = time.perf_counter()
        try:
            self.handle(task)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.exception("failed: %s", reason, extra=task_extra(task.call_id, "failed"))
            self.note_error(task.call_id, reason)
            if task.path.exists():
                self.queue.dead_letter(task, f"unexpected error while handling: {reason}")
            return True
        self.processed += 1
        log.debug("handled in %.1f ms", (time.perf_counter() - started) * 1000, extra=task_extra(task.call_id, "ok"))
        return True

    def handle(self, task: Task) -> None:
        """Finish `task` by calling exactly one of queue.complete / defer / dead_letter."""
        raise NotImplementedError
