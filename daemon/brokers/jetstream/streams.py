"""Streams and consumers: created at start-up when missing, checked when they exist.

A stream that exists with other settings than this configuration asks for (replicas, storage,
retention, max_age, subjects) is a start-up error that names the stream, both values and the
way out. callpipe never deletes or re-creates a stream: that would drop the tasks it holds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)

from daemon.brokers.jetstream.layout import CONSUMED, QUEUES, Layout
from daemon.config import Config
from daemon.errors import StartupError

log = logging.getLogger(__name__)

DUPLICATE_WINDOW = 120.0  # seconds a Nats-Msg-Id is remembered: a publish retried within it is a no-op
WAITING_PULLS = 512  # concurrent pull requests a work consumer accepts (one per idle worker)


@dataclass(frozen=True)
class Wanted:
    config: StreamConfig

    def differences(self, found: StreamConfig) -> list[str]:
        want = self.config
        pairs = [
            ("subjects", sorted(want.subjects or []), sorted(found.subjects or [])),
            ("retention", _value(want.retention), _value(found.retention)),
            ("storage", _value(want.storage), _value(found.storage)),
            ("replicas", want.num_replicas, found.num_replicas or 1),
            ("max_age", age_text(want.max_age), age_text(found.max_age)),
            ("max_msgs_per_subject", want.max_msgs_per_subject, found.max_msgs_per_subject),
        ]
        return [f"{key} is {have} but callpipe needs {need}" for key, need, have in pairs if need != have]


def _value(x: object) -> str:
    return str(getattr(x, "value", x))


def age_text(seconds: float | None) -> str:
    if not seconds:
        return "unlimited"
    return f"{seconds / 86400:g}d" if seconds >= 86400 else f"{seconds:g}s"


def wanted_streams(layout: Layout, cfg: Config) -> list[Wanted]:
    replicas = cfg.nats_replicas
    retention = cfg.retention_days * 86400.0

    def stream(name: str, subjects: list[str], *, work: bool = False, max_age: float = 0.0, per_subject: int = -1):
        return Wanted(
            StreamConfig(
                name=name,
                subjects=subjects,
                retention=RetentionPolicy.WORK_QUEUE if work else RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                num_replicas=replicas,
                max_age=max_age,
                max_msgs_per_subject=per_subject,
                discard=DiscardPolicy.OLD,
                duplicate_window=DUPLICATE_WINDOW,
                allow_direct=True,  # reads (registry, conflicts) from any replica, off the leader
            )
        )

    return [
        *(stream(layout.work_stream(q), [layout.work(q)], work=True) for q in CONSUMED),
        # The newest copy of a name replaces the last, as a file renamed over done/ does.
        stream(layout.done_stream, [layout.done(q) for q in CONSUMED], max_age=retention, per_subject=1),
        stream(layout.dead_stream, [layout.dead(q) for q in QUEUES]),  # names made unique on write
        stream(layout.deferred_stream, [layout.deferred(q) for q in CONSUMED]),
    ]


def work_consumer(layout: Layout, queue: str, cfg: Config) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=layout.consumer(queue),
        filter_subject=layout.work(queue),
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=float(cfg.nats_ack_wait),  # a holder renews it (in_progress) while it lives
        max_deliver=-1,  # a task is never dropped for being redelivered: a dead letter is a decision
        max_ack_pending=-1,
        max_waiting=WAITING_PULLS,
        num_replicas=0,  # as the stream
    )


async def ensure(js: JetStreamContext, layout: Layout, cfg: Config) -> None:
    """Create what is missing; refuse to start on a stream or consumer set up otherwise."""
    for wanted in wanted_streams(layout, cfg):
        await _ensure_stream(js, wanted)
    for queue in CONSUMED:
        await _ensure_consumer(js, layout, queue, cfg)


async def _ensure_stream(js: JetStreamContext, wanted: Wanted) -> None:
    name = wanted.config.name or ""
    try:
        info = await js.stream_info(name)
    except nats.js.errors.NotFoundError:
        try:
            await js.add_stream(wanted.config)
            log.info("created stream %s (%s replica(s))", name, wanted.config.num_replicas)
            return
        except nats.js.errors.BadRequestError:
            info = await js.stream_info(name)  # another process made it first: check it all the same
    problems = wanted.differences(info.config)
    if problems:
        raise StartupError(
            f"stream {name} exists with other settings: {'; '.join(problems)}. callpipe never re-creates a "
            "stream (it holds tasks): set NATS_REPLICAS / RETENTION_DAYS back, or change the stream to match "
            f"(`nats stream edit {name}`), or use another NATS_STREAM_PREFIX"
        )


async def _ensure_consumer(js: JetStreamContext, layout: Layout, queue: str, cfg: Config) -> None:
    stream, wanted = layout.work_stream(queue), work_consumer(layout, queue, cfg)
    name = wanted.durable_name or ""
    try:
        info = await js.consumer_info(stream, name)
    except nats.js.errors.NotFoundError:
        await js.add_consumer(stream, wanted)
        log.info("created consumer %s on %s", name, stream)
        return
    found = info.config
    problems = []
    if found.filter_subject != wanted.filter_subject:
        problems.append(f"filter {found.filter_subject} but callpipe needs {wanted.filter_subject}")
    if _value(found.ack_policy) != _value(wanted.ack_policy):
        problems.append(f"ack policy {_value(found.ack_policy)} but callpipe needs explicit")
    if abs((found.ack_wait or 0) - (wanted.ack_wait or 0)) > 0.001:
        problems.append(f"ack_wait {found.ack_wait:g}s but NATS_ACK_WAIT is {wanted.ack_wait:g}s")
    if problems:
        raise StartupError(
            f"consumer {name} on {stream} exists with other settings: {'; '.join(problems)}. Set NATS_ACK_WAIT "
            f"back, or change the consumer (`nats consumer edit {stream} {name}`)"
        )
