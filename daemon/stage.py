"""What a stage is: a small class the runner drives with `while not stop: stage.run_once()`.

A QueueStage drains one queue through the broker, and tells two kinds of failure apart:

- **The task's fault** (a transcript that is not one, a body that cannot be read): the
  handler dead-letters it, and an unexpected exception in the handler dead-letters it too,
  with the error as the reason. The stage goes on with the next task.
- **The environment's fault** (a full disk, a folder made read-only, a lost broker): any
  OSError or UnavailableError. The task goes back to its queue, the stage pauses with
  growing backoff, says so once in the log, and shows the problem in its heartbeat, so
  `status` names it and exits non-zero. Nothing is dead-lettered: it would succeed a
  minute later.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from daemon.broker import Broker, Consumer, Message, UnavailableError
from daemon.brokers import open_broker
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config
from daemon.errors import StartupError
from daemon.logs import task as task_extra
from daemon.middleware import Middleware, default_middleware, dispatch

__all__ = ["QueueStage", "Stage", "StartupError", "describe_os_error"]

log = logging.getLogger(__name__)

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0  # how long a stage waits, at most, between tries against a failing machine


class Stage:
    name: ClassVar[str] = "stage"
    idle_wait: ClassVar[float] = 0.5

    def __init__(self, cfg: Config, clock: Clock = SYSTEM_CLOCK) -> None:
        self.cfg = cfg
        self.clock = clock
        self.processed = 0
        self.failed = 0
        self.last_error: dict[str, str | float] | None = None
        self.problem: str | None = None  # an environment failure in force, for `status`
        self.current: dict[str, Any] | None = None  # the task in hand, for `status`

    def setup(self) -> None:
        """Open resources. Raise StartupError to refuse to start (a clear message, exit 78)."""

    def run_once(self) -> bool:
        """Do at most one unit of work. True means work was done and the loop goes again at once."""
        return False

    def close(self) -> None:
        """Release resources; called once, also after a failed setup."""

    def wakeup_event(self) -> threading.Event | None:
        return None

    def note_error(self, call_id: str, message: str) -> None:
        self.failed += 1
        self.record_error(call_id, message)

    def record_error(self, call_id: str, message: str) -> None:
        """The error `status` shows, without counting a failure (a dead letter counts it)."""
        self.last_error = {"time": self.clock.now(), "call_id": call_id, "message": message[:500]}

    def recovered(self) -> None:
        """Work succeeded again: an environment problem, if any, is over."""
        if self.problem is not None:
            log.warning("working again after: %s", self.problem)
            self.problem = None


class QueueStage(Stage):
    """A stage that drains one queue: receive, handle, and the task is settled exactly once."""

    queue_name: ClassVar[str]
    delivers: ClassVar[bool] = False  # tries a far side once per attempt (records attempts, latency)

    def __init__(self, cfg: Config, clock: Clock = SYSTEM_CLOCK, *, broker: Broker | None = None) -> None:
        super().__init__(cfg, clock)
        self._given_broker = broker
        self.middleware: list[Middleware] = default_middleware(self.name, delivers=self.delivers)
        self._backoff = 0.0
        self._resume_at = 0.0  # monotonic: no work before this after an environment failure

    def setup(self) -> None:
        self.broker = self._given_broker or open_broker(self.cfg, clock=self.clock)
        self.consumer: Consumer = self.broker.consume(self.queue_name)

    def close(self) -> None:
        if hasattr(self, "consumer"):
            self.consumer.close()
        if hasattr(self, "broker") and self._given_broker is None:
            self.broker.close()  # a connection of its own (jetstream), closed with the stage

    def wakeup_event(self) -> threading.Event | None:
        return self.consumer.wakeup

    # -- the loop --------------------------------------------------------------------------

    def run_once(self) -> bool:
        if self.clock.monotonic() < self._resume_at:
            return False
        try:
            # Every turn, not only while a problem stands: other work may succeed (clearing the
            # problem) while a refused put-back still waits, and its task would stay held for good.
            self.consumer.release_stranded()
            message = self.consumer.receive()
        except (OSError, UnavailableError) as exc:
            self._environment_failed(None, exc)
            return False
        if message is None:
            return False
        self.handle_message(message)
        return True

    def handle_message(self, message: Message) -> None:
        message.listeners.append(self._on_settled)
        started = time.perf_counter()
        for middleware in self.middleware:
            middleware.before_handle(self, message)
        try:
            self.handle(message)
            if not message.settled:
                raise RuntimeError(f"{type(self).__name__}.handle() left {message.name} unsettled")
        except (OSError, UnavailableError) as exc:
            self._environment_failed(message, exc)
        except Exception as exc:
            self._task_failed(message, exc)
        else:
            log.debug(
                "handled in %.1f ms", (time.perf_counter() - started) * 1000, extra=task_extra(message.call_id, "ok")
            )
        finally:
            self.current = None

    def handle(self, message: Message) -> None:
        """Settle `message` with exactly one of ack / defer / dead_letter."""
        raise NotImplementedError

    def attempted(self, message: Message, outcome: str, error: str, at: float) -> None:
        """The far side was tried once: middleware records it (envelope, metrics)."""
        for middleware in self.middleware:
            middleware.after_attempt(self, message, outcome, error, at)

    # -- failures --------------------------------------------------------------------------

    def _on_settled(self, event: str, message: Message, details: Mapping[str, Any]) -> None:
        dispatch(self.middleware, self, event, message, details)

    def _task_failed(self, message: Message, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        log.exception("failed: %s", reason, extra=task_extra(message.call_id, "failed"))
        if message.settled:
            for middleware in self.middleware:
                middleware.after_failure(self, message, reason)
            return
        try:
            message.dead_letter(f"unexpected error while handling: {reason}")
        except (OSError, UnavailableError) as again:
            self._environment_failed(message, again)

    def _environment_failed(self, message: Message | None, exc: BaseException) -> None:
        problem = describe_os_error(exc)
        self._backoff = min(BACKOFF_MAX, self._backoff * 2) if self._backoff else BACKOFF_FIRST
        self._resume_at = self.clock.monotonic() + self._backoff
        call_id = message.call_id if message is not None else "-"
        if problem != self.problem:
            log.error(
                "environment failure, not the task's: %s; the task goes back and work pauses (%.0f s, growing)",
                problem,
                self._backoff,
                extra=task_extra(call_id, "environment"),
            )
        self.problem = problem
        if message is None or message.settled:
            return
        try:
            message.release(self._backoff)
        except (OSError, UnavailableError):
            log.warning(
                "could not put the task back yet; it stays held and is retried", extra=task_extra(call_id, "held")
            )

    def recovered(self) -> None:
        super().recovered()
        self._backoff = 0.0


def describe_os_error(exc: BaseException) -> str:
    """One line for `status` and the log: what the environment refused."""
    if isinstance(exc, UnavailableError):
        return exc.problem
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return "disk full"
        where = exc.filename2 or exc.filename
        return f"{exc.strerror or exc}" + (f": {where}" if where else "")
    return str(exc)
