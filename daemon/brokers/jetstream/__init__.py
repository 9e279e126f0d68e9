"""The jetstream backend: the broker contract on a NATS JetStream server or cluster.

For stages on several hosts. The same promises as the file backend, kept by JetStream: a
work-queue stream with a durable pull consumer is an inbox; AckWait redelivery is orphan
recovery, in_progress the heartbeat of a held task; deferred, dead and finished tasks are
streams of their own (see layout.py); Nats-Msg-Id and compare-and-set on each task's subject
make publishing idempotent and never let a task replace another. The folder door (door.py)
keeps DATA_DIR/transcripts/ and results/ working as drop boxes.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from daemon.broker import Broker, Entry, Published, SameTask, State, call_id_of
from daemon.brokers.common import conflict_reason
from daemon.brokers.jetstream import ops, streams
from daemon.brokers.jetstream.consumer import JetStreamConsumer
from daemon.brokers.jetstream.door import FolderDoor
from daemon.brokers.jetstream.health import Inspection, inspect
from daemon.brokers.jetstream.kv import Bucket
from daemon.brokers.jetstream.layout import CALL_ID, FILE, NAME, ORIGIN, REASON, TIME, Layout, check_queue
from daemon.brokers.jetstream.link import Link
from daemon.brokers.jetstream.registry import JetStreamRegistry
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config
from daemon.errors import StartupError
from daemon.fsutil import is_safe_name, owner_tag
from daemon.redact import redact_urls

__all__ = ["JetStreamBroker"]

log = logging.getLogger(__name__)

INSPECTION_REUSE = 30.0  # seconds: `status` asks health() then describe(); one look serves both
HEADER_ROOM = 64 * 1024  # max_payload must hold MAX_TASK_BYTES plus the headers callpipe adds


class JetStreamBroker(Broker):
    def __init__(self, cfg: Config, *, clock: Clock = SYSTEM_CLOCK, doors: bool = True) -> None:
        # Nothing connects until something is asked: `status` on a host without NATS says so.
        self.cfg = cfg
        self.max_task_bytes = cfg.max_task_bytes
        self.clock = clock
        self.layout = Layout(cfg.nats_stream_prefix)
        self.owner = f"{socket.gethostname()}/{owner_tag()}"
        self.registry = JetStreamRegistry(self)
        self.doors = doors
        self._link: Link | None = None
        self._ready = False
        self._lock = threading.RLock()
        self._consumers: list[JetStreamConsumer] = []
        self._doors: dict[str, FolderDoor] = {}
        self._inspected: tuple[float, Inspection | None] = (0.0, None)
        self._buckets: dict[str, Bucket] = {}

    @property
    def link(self) -> Link:
        with self._lock:
            if self._link is None or self._link.closed:
                self._link = Link(self.cfg, f"callpipe {self.owner}")
            return self._link

    def ensure(self) -> None:
        """Streams and consumers exist with the settings this configuration asks for."""
        if self._ready:
            return
        link = self.link
        limit = link.nc.max_payload
        if limit < self.cfg.max_task_bytes + HEADER_ROOM:
            raise StartupError(
                f"the NATS server's max_payload ({limit} bytes) cannot carry a task of MAX_TASK_BYTES "
                f"({self.cfg.max_task_bytes}): set max_payload to 8MB in its configuration (as deploy/nats/ does)"
            )
        link.call(streams.ensure(link.js, self.layout, self.cfg), timeout=link.timeout * 10)
        self._ready = True

    # -- producing -------------------------------------------------------------------------------

    def publish(
        self,
        queue: str,
        name: str,
        body: bytes,
        *,
        same: SameTask | None = None,
        msg_id: str | None = None,
        origin: str | None = None,
    ) -> Published:
        """Into the queue, never over a waiting task. A retry of the same bytes within JetStream's
        duplicate window is a no-op (Nats-Msg-Id), even once the first copy has been handled."""
        check_queue(queue, consumed=True)
        if not is_safe_name(name):
            raise ValueError(f"unsafe task name {name!r}")
        self._fits(body)
        self.ensure()
        layout, link, now = self.layout, self.link, self.clock.now()
        ident = msg_id or f"{queue}.{name}.{hashlib.sha256(body).hexdigest()[:32]}"
        headers = {NAME: name, TIME: repr(now)} | ({ORIGIN: origin} if origin else {})

        async def put() -> Published:
            outcome = await ops.publish_named(
                link.js, layout.work_stream(queue), lambda n: layout.work(queue, n), name, body, headers, ident, same
            )
            if outcome is Published.NEW:
                await link.nc.publish(layout.bell(queue), b"")
            return outcome

        outcome = link.call(put())
        if outcome is Published.CONFLICT:
            self.keep_dead(queue, name, body, conflict_reason(name, queue), call_id_of(None, name))
        return outcome

    def _fits(self, body: bytes) -> None:
        link = self.link
        if len(body) + HEADER_ROOM > link.nc.max_payload:
            raise ValueError(f"a body of {len(body)} bytes is over the server's max_payload ({link.nc.max_payload})")

    def keep_dead(
        self,
        queue: str,
        name: str,
        body: bytes,
        reason: str,
        call_id: str,
        *,
        then: Callable[[], Awaitable[None]] | None = None,
    ) -> str:
        """A dead letter under `name` (or name.N), the reason in its headers; then `then()`."""
        check_queue(queue)
        self.ensure()
        safe = name if is_safe_name(name) else "unnamed"
        headers = {
            NAME: safe,
            TIME: repr(self.clock.now()),
            REASON: " ".join(redact_urls(reason).split())[:2000],  # a header is one line
            FILE: name if is_safe_name(name) else repr(name)[:200],
            CALL_ID: call_id or "-",
        }
        layout, link = self.layout, self.link
        room = link.nc.max_payload - HEADER_ROOM  # a body too big to publish is kept cut short, with its reason

        async def bury() -> str:
            kept, _, _ = await ops.keep_unique(
                link.js, layout.dead_stream, lambda n: layout.dead(queue, n), safe, body[:room], headers
            )
            if then is not None:
                await then()
            return kept

        return link.call(bury())

    def reject(self, queue: str, name: str, body: bytes, reason: str) -> str:
        kept = self.keep_dead(queue, name, body, reason, "-")
        log.warning("dead-lettered %s/%s: %s", queue, kept, redact_urls(reason))
        return kept

    # -- consuming -------------------------------------------------------------------------------

    def consume(self, queue: str) -> JetStreamConsumer:
        check_queue(queue, consumed=True)
        self.ensure()
        consumer = JetStreamConsumer(self, queue)
        self._consumers.append(consumer)
        if self.doors and queue not in self._doors:
            self._doors[queue] = FolderDoor(self, queue, consumer.wakeup)
        return consumer

    def door_for(self, queue: str) -> FolderDoor | None:
        return self._doors.get(queue)

    def bucket(self, name: str, *, ttl: float = 0.0) -> Bucket:
        """The key-value bucket <prefix>_<name> (created if missing), for state shared by hosts."""
        with self._lock:
            if name not in self._buckets:
                self._buckets[name] = Bucket(
                    self.link, f"{self.cfg.nats_stream_prefix}_{name}", replicas=self.cfg.nats_replicas, ttl=ttl
                )
            return self._buckets[name]

    # -- commands --------------------------------------------------------------------------------

    def publish_again(self, queue: str, name: str, body: bytes) -> Published:
        # A fresh Nats-Msg-Id: within the duplicate window, the same bytes would count as a retry.
        return self.publish(queue, name, body, msg_id=f"replay.{uuid.uuid4().hex}")

    def retry(self, entry: Entry, to_queue: str | None = None) -> str:
        """The dead letter goes back under the name it arrived with (or name.N), with a fresh envelope."""
        target = self.retry_target(entry, to_queue)
        check_queue(target, consumed=True)
        self.ensure()
        layout, link = self.layout, self.link
        original = entry.reason.get("file", "")
        name = original if is_safe_name(original) else entry.name
        where = (layout.dead_stream, layout.dead(entry.queue, entry.name))
        headers = {NAME: name, TIME: repr(self.clock.now())}

        async def move() -> str:
            stored = await ops.last(link.js, *where)
            if stored is None:
                raise LookupError(f"{entry.queue}/{entry.name} moved on")
            kept, _, _ = await ops.keep_unique(
                link.js,
                layout.work_stream(target),
                lambda n: layout.work(target, n),
                name,
                stored.data,
                {**headers, NAME: name},
                msg_id=f"retry.{uuid.uuid4().hex}",
            )
            await ops.delete(link.js, layout.dead_stream, stored.seq)
            await link.nc.publish(layout.bell(target), b"")
            return kept

        return link.call(move())

    def expire(self, queue: str, state: State, cutoff: float) -> int:
        if state not in (State.DEAD, State.DONE):
            raise ValueError(f"only dead letters and finished tasks expire, not {state} ones")
        check_queue(queue)
        stream = self.layout.dead_stream if state is State.DEAD else self.layout.done_stream
        pattern = self.layout.dead(queue) if state is State.DEAD else self.layout.done(queue)
        link = self.link

        async def sweep() -> int:
            old = [s.seq async for s in ops.scan(link.nc, stream, pattern, timeout=link.timeout) if s.since < cutoff]
            removed = 0
            for seq in old:
                removed += await ops.delete(link.js, stream, seq)
            return removed

        return link.call(sweep(), timeout=link.timeout * 60)

    def health(self) -> list[str]:
        return self._inspect().problems

    def describe(self) -> dict[str, Any]:
        return self._inspect().details

    def _inspect(self) -> Inspection:
        """One look serves health() and describe(), as `status` asks both in a row."""
        at, found = self._inspected
        if found is None or time.monotonic() - at > INSPECTION_REUSE:
            found = inspect(self)
            self._inspected = (time.monotonic(), found)
        return found

    def close(self) -> None:
        for door in self._doors.values():
            door.close()
        for consumer in self._consumers:
            consumer.close()
        if self._link is not None:
            self._link.close()
