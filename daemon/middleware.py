"""Lifecycle hooks of a consuming stage: what every task's handling feeds, wired once.

A QueueStage calls its middleware around each task (before it is handled, after each try of
the far side, when it is acked, deferred, dead-lettered or released, and when handling blew
up). Cross-cutting work lives here, so no stage can forget it:

- Activity: the counts and current task the heartbeat and `status` show;
- Metrics: Prometheus attempts-by-outcome and end-to-end latency;
- RetryBookkeeping: the envelope's attempts, times, last error and deferrals.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from daemon import metrics
from daemon.broker import Envelope, Message

if TYPE_CHECKING:
    from daemon.stage import QueueStage


class Middleware:
    """Every hook does nothing by default; override the ones you need."""

    def before_handle(self, stage: QueueStage, message: Message) -> None:
        pass

    def after_attempt(self, stage: QueueStage, message: Message, outcome: str, error: str, at: float) -> None:
        """The far side was tried once (a webhook POST): outcome is one of metrics.ATTEMPT_OUTCOMES."""

    def before_defer(self, stage: QueueStage, message: Message, until: float, envelope: Envelope) -> None:
        pass

    def after_ack(self, stage: QueueStage, message: Message) -> None:
        pass

    def after_defer(self, stage: QueueStage, message: Message, until: float) -> None:
        pass

    def after_dead_letter(self, stage: QueueStage, message: Message, reason: str) -> None:
        pass

    def after_release(self, stage: QueueStage, message: Message, delay: float) -> None:
        pass

    def after_failure(self, stage: QueueStage, message: Message, error: str) -> None:
        """Handling raised something that is not the environment's fault (a bug, bad input)."""


class Activity(Middleware):
    """processed / failed / last error / the task in hand: what the heartbeat reports."""

    def before_handle(self, stage: QueueStage, message: Message) -> None:
        stage.current = {"name": message.name, "call_id": message.call_id, "since": time.time()}

    def after_ack(self, stage: QueueStage, message: Message) -> None:
        stage.processed += 1
        stage.recovered()

    def after_defer(self, stage: QueueStage, message: Message, until: float) -> None:
        stage.recovered()

    def after_dead_letter(self, stage: QueueStage, message: Message, reason: str) -> None:
        stage.note_error(message.call_id, reason)  # a failed task: counted once, here

    def after_failure(self, stage: QueueStage, message: Message, error: str) -> None:
        # The dead letter that follows counts it; the error itself is what `status` should show.
        stage.record_error(message.call_id, error)


class Metrics(Middleware):
    """Webhook attempts by outcome, and the latency from a result's publishing to its 2xx."""

    def __init__(self, stage_name: str, *, delivers: bool) -> None:
        self.delivers = delivers
        self.figures = metrics.for_stage(stage_name, delivers=delivers)

    def after_attempt(self, stage: QueueStage, message: Message, outcome: str, error: str, at: float) -> None:
        self.figures.record_attempt(outcome)

    def after_ack(self, stage: QueueStage, message: Message) -> None:
        published = message.envelope.published_at
        if self.delivers and published is not None:
            self.figures.observe_latency(stage.clock.now() - published)


class RetryBookkeeping(Middleware):
    """The envelope's record of tries: attempts, first and last try, last error, deferrals."""

    def after_attempt(self, stage: QueueStage, message: Message, outcome: str, error: str, at: float) -> None:
        message.envelope.attempted(at, error)

    def before_defer(self, stage: QueueStage, message: Message, until: float, envelope: Envelope) -> None:
        envelope.deferrals += 1


def default_middleware(stage_name: str, *, delivers: bool) -> list[Middleware]:
    return [Activity(), Metrics(stage_name, delivers=delivers), RetryBookkeeping()]


def dispatch(
    chain: list[Middleware], stage: QueueStage, event: str, message: Message, details: Mapping[str, Any]
) -> None:
    """A message's settlement, told to each middleware in order."""
    for middleware in chain:
        if event == "ack":
            middleware.after_ack(stage, message)
        elif event == "before_defer":
            middleware.before_defer(stage, message, details["until"], details["envelope"])
        elif event == "defer":
            middleware.after_defer(stage, message, details["until"])
        elif event == "dead_letter":
            middleware.after_dead_letter(stage, message, details["reason"])
        elif event == "release":
            middleware.after_release(stage, message, details["delay"])
