"""Read-only views of the jetstream backend: what waits, is held, waits to retry, died, finished.

Nothing here creates a stream or a durable consumer, so `status` may point at a NATS where no
stage ever ran (counting uses a throwaway consumer, deleted at once). A work stream holds the
tasks waiting and held: those at or below the consumer's delivered sequence have been handed
out (held, or about to be handed out again once their holder's NATS_ACK_WAIT runs out), the
others wait. Held tasks are never "orphaned" here: JetStream itself hands a dead holder's task
to another worker, with no sweep to wait for.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import nats.js.errors
from nats.js.api import ConsumerInfo

from daemon.broker import Entry, QueueSummary, Registry, State
from daemon.brokers.jetstream import ops
from daemon.brokers.jetstream.door import waiting_files
from daemon.brokers.jetstream.layout import CALL_ID, CONSUMED, DUE, FILE, QUEUES, REASON, check_queue, name_of
from daemon.brokers.jetstream.link import Link

if TYPE_CHECKING:
    from daemon.brokers.jetstream import JetStreamBroker

NEXT_DUE_SCAN = 10_000  # deferred tasks looked at for the next due time; beyond, it is a lower bound
CACHE_BYTES = 32 * 1024 * 1024  # bodies kept from the last listing, so reading each back is free


def reason_of(stored: ops.Stored) -> dict[str, str]:
    """A dead letter's reason fields (as a file backend's .reason holds them), from its headers."""
    h = stored.headers
    found = {
        "reason": h.get(REASON, ""),
        "queue": stored.subject.split(".")[-2] if stored.subject else "",
        "file": h.get(FILE, name_of(stored.subject)),
        "call_id": h.get(CALL_ID, "-"),
        "time": time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(stored.since)),
    }
    return {k: v for k, v in found.items() if v}


class JetStreamRegistry(Registry):
    def __init__(self, broker: JetStreamBroker) -> None:
        self._broker = broker
        self._bodies: OrderedDict[tuple[str, State, str], bytes] = OrderedDict()
        self._cached = 0

    @property
    def _link(self) -> Link:
        return self._broker.link

    def queues(self) -> list[str]:
        return [str(q) for q in QUEUES]

    # -- where each state lives ------------------------------------------------------------

    def _where(self, queue: str, state: State, name: str = "*") -> tuple[str, str] | None:
        """(stream, subject) of a state's task `name` (default: all of them), or None when the
        queue has no such state."""
        layout = self._broker.layout
        if state in (State.WAITING, State.ACTIVE):
            return (layout.work_stream(queue), layout.work(queue, name)) if queue in CONSUMED else None
        if state is State.DEFERRED:
            return (layout.deferred_stream, layout.deferred(queue, name)) if queue in CONSUMED else None
        if state is State.DONE:
            return (layout.done_stream, layout.done(queue, name)) if queue in CONSUMED else None
        return layout.dead_stream, layout.dead(queue, name)

    async def _consumer_info(self, queue: str) -> ConsumerInfo | None:
        """The queue's consumer as the server sees it; None before it exists."""
        layout = self._broker.layout
        try:
            return await self._link.js.consumer_info(layout.work_stream(queue), layout.consumer(queue))
        except nats.js.errors.NotFoundError:
            return None

    async def _delivered(self, queue: str) -> int:
        """The consumer's highest handed-out stream sequence (0 when it does not exist yet)."""
        info = await self._consumer_info(queue)
        return int(info.delivered.stream_seq or 0) if info is not None and info.delivered else 0

    def _entry(self, queue: str, state: State, stored: ops.Stored, delivered: int = 0) -> Entry:
        name = name_of(stored.subject)  # unique within its state: dead and deferred names are made so
        if state in (State.WAITING, State.ACTIVE):
            state = State.ACTIVE if stored.seq <= delivered else State.WAITING
        size = len(stored.data)
        if state is State.ACTIVE:
            return Entry(queue, state, name, stored.since, size, owner="", owner_alive=None)
        if state is State.DEFERRED:
            return Entry(queue, state, name, stored.since, size, due=stored.number(DUE) or stored.since)
        if state is State.DEAD:
            return Entry(queue, state, name, stored.since, size, reason=reason_of(stored))
        return Entry(queue, state, name, stored.since, size)

    # -- the contract ----------------------------------------------------------------------

    def entries(self, queue: str, state: State) -> Iterator[Entry]:
        check_queue(queue)
        where = self._where(queue, state)
        if where is None:
            return iter(())
        stream, pattern = where

        async def listing() -> list[Entry]:
            delivered = await self._delivered(queue) if state in (State.WAITING, State.ACTIVE) else 0
            found = []
            async for stored in _scan(self._link, stream, pattern):
                entry = self._entry(queue, state, stored, delivered)
                if entry.state is state:
                    found.append(entry)
                    self._remember((queue, state, entry.name), stored.data)
            return found

        return iter(self._link.call(listing(), timeout=self._long()))

    def read(self, entry: Entry, limit: int) -> bytes:
        key = (entry.queue, entry.state, entry.name)
        if key in self._bodies:
            return self._bodies[key][:limit]
        where = self._where(entry.queue, entry.state, entry.name)
        if where is None:
            raise LookupError(f"{entry.queue} has no {entry.state} tasks")
        stored = self._link.call(ops.last(self._link.js, *where))
        if stored is None:
            raise LookupError(f"{entry.queue}/{entry.name} moved on")
        return stored.data[:limit]

    def locate(self, queue: str, name: str, states: tuple[State, ...] = tuple(State)) -> Entry | None:
        """A direct look under each state's subject for the name: one request per subject."""
        check_queue(queue)

        async def look() -> Entry | None:
            # WAITING and ACTIVE share one subject: asked once, whichever of the two comes first.
            seen: dict[tuple[str, str], tuple[ops.Stored | None, int]] = {}
            for state in states:
                where = self._where(queue, state, name)
                if where is None:
                    continue
                if where not in seen:
                    stored = await ops.last(self._link.js, *where)
                    working = stored is not None and state in (State.WAITING, State.ACTIVE)
                    seen[where] = (stored, await self._delivered(queue) if working else 0)
                stored, delivered = seen[where]
                if stored is None:
                    continue
                entry = self._entry(queue, state, stored, delivered)
                if entry.state is state:
                    return entry
            return None

        return self._link.call(look())

    def summary(self, queue: str) -> QueueSummary:
        check_queue(queue)
        return self._link.call(self._summary(queue), timeout=self._long())

    async def _summary(self, queue: str) -> QueueSummary:
        layout, js = self._broker.layout, self._link.js
        dead = await ops.count(js, layout.dead_stream, layout.dead(queue))
        if queue not in CONSUMED:
            return QueueSummary(dead=dead)
        waiting = active = 0
        oldest = None
        info = await self._consumer_info(queue)
        if info is not None:
            waiting, active = int(info.num_pending or 0), int(info.num_ack_pending or 0)
            if waiting:
                start = int(info.delivered.stream_seq or 0) + 1 if info.delivered else 1
                stream, pattern = layout.work_stream(queue), layout.work(queue)
                async for stored in ops.scan(self._link.nc, stream, pattern, timeout=self._link.timeout, start=start):
                    oldest = stored.since
                    break
        deferred, next_due = 0, None
        async for stored in _scan(self._link, layout.deferred_stream, layout.deferred(queue)):
            deferred += 1
            due = stored.number(DUE) or stored.since
            next_due = due if next_due is None else min(next_due, due)
            if deferred >= NEXT_DUE_SCAN:
                deferred = await ops.count(js, layout.deferred_stream, layout.deferred(queue))
                break
        done = await ops.count(js, layout.done_stream, layout.done(queue))
        # Files dropped into this host's folder wait too, until a stage's door takes them in.
        dropped, refused = waiting_files(self._broker.cfg.data_dir, queue, self._broker.cfg.max_task_bytes)
        if dropped:
            oldest = min([*dropped, *([oldest] if oldest is not None else [])])
        return QueueSummary(
            waiting=waiting + len(dropped),
            oldest_waiting=oldest,
            stray=tuple(f"{r.name} {r.why}" for r in refused),
            active=active,
            deferred=deferred,
            next_due=next_due,
            dead=dead,
            done=done,
        )

    def pending(self, queue: str) -> int:
        """Tasks waiting to be handed out (the queue-depth gauge): one consumer-info request."""

        async def ask() -> int:
            info = await self._consumer_info(queue)
            return int(info.num_pending or 0) if info is not None else 0

        return self._link.call(ask())

    # -- helpers ---------------------------------------------------------------------------

    def _remember(self, key: tuple[str, State, str], body: bytes) -> None:
        if len(body) > CACHE_BYTES // 4:
            return
        old = self._bodies.pop(key, None)
        self._cached -= len(old) if old is not None else 0
        self._bodies[key] = body
        self._cached += len(body)
        while self._cached > CACHE_BYTES:
            _, dropped = self._bodies.popitem(last=False)
            self._cached -= len(dropped)

    def _long(self) -> float:
        """Listings read whole streams: they may take longer than one request."""
        return self._link.timeout * 60


async def _scan(link: Link, stream: str, pattern: str) -> AsyncIterator[ops.Stored]:
    try:
        async for stored in ops.scan(link.nc, stream, pattern, timeout=link.timeout):
            yield stored
    except nats.js.errors.NotFoundError:
        return
