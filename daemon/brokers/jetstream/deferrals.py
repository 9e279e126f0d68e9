"""Deferred tasks of one queue: when each is due, learnt from a watch, and their promotion.

A deferred task (or one released after an environment failure) is a message of the DEFERRED
stream carrying its body, its envelope and its due time. Each consumer of the queue watches
that stream (headers only) and keeps a heap of due times, so every host learns of every
deferral at once and without polling; due-ness is judged by the broker's clock, as the file
backend judges a deferred file's mtime. Hosts racing to promote one task are harmless: the
promoted copy carries a Nats-Msg-Id made of the deferred message's sequence, so JetStream keeps
one, and the deferred message is then deleted.

Why not Nak(delay): the far side coming back must make every deferred result due at once
(promote_all) and a nak's timer cannot be cut short; a nak cannot carry the envelope; and a
nak'd task would count as in flight, hiding it from `status` as deferred.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from daemon.broker import Published
from daemon.brokers.jetstream import ops
from daemon.brokers.jetstream.layout import DUE, ENVELOPE, NAME, ORIGIN, TIME, Layout, name_of
from daemon.brokers.jetstream.link import Link

log = logging.getLogger(__name__)

# No deferral in callpipe is longer than about an hour. A due time further ahead than this came
# from a wall clock stepped back after it was written: it counts as due now (as the file backend).
MAX_DEFERRAL = 6 * 3600.0


class Deferrals:
    """Lives on the link's loop: the watch callback and every heap operation run there."""

    def __init__(self, link: Link, layout: Layout, queue: str, ring: Callable[[], Awaitable[None]]) -> None:
        self.link = link
        self.layout = layout
        self.queue = queue
        self.ring = ring
        self._heap: list[tuple[float, int]] = []
        self._known: set[int] = set()
        self._sub = None

    async def start(self) -> None:
        self._sub = await self.link.js.subscribe(
            self.layout.deferred(self.queue),
            stream=self.layout.deferred_stream,
            cb=self._on_deferred,
            ordered_consumer=True,
            headers_only=True,
            deliver_policy=DeliverPolicy.ALL,
        )

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None

    async def _on_deferred(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        try:
            due = float((msg.headers or {}).get(DUE, "0"))
        except ValueError:
            due = 0.0
        self.note(due, seq)

    def note(self, due: float, seq: int) -> None:
        if seq not in self._known:
            self._known.add(seq)
            heapq.heappush(self._heap, (due, seq))

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    async def promote(self, now: float, *, all_now: bool = False) -> int:
        """Publish every due deferred task back into the queue; the count moved by this process."""
        moved = 0
        horizon = now + MAX_DEFERRAL
        try:
            while self._heap and (all_now or self._heap[0][0] <= now or self._heap[0][0] > horizon):
                _, seq = self._heap[0]
                if await self._promote_one(seq, now):  # raises (an outage): it stays in the heap
                    moved += 1
                heapq.heappop(self._heap)
                self._known.discard(seq)
        finally:
            if moved:
                await self.ring()
        return moved

    async def rewatch(self) -> None:
        """Learn every deferred task afresh: the watch is the accelerator, this is the guarantee
        (a watch that lost its place in an outage, say, misses nothing past the next rewatch)."""
        await self.stop()
        await self.start()

    async def _promote_one(self, seq: int, now: float) -> bool:
        js, layout, queue = self.link.js, self.layout, self.queue
        stored = await ops.by_seq(js, layout.deferred_stream, seq)
        if stored is None:
            return False  # another host promoted it, or it was removed
        name = stored.headers.get(NAME) or name_of(stored.subject)
        headers = {NAME: name, TIME: repr(now), ENVELOPE: stored.headers.get(ENVELOPE, "{}")}
        if ORIGIN in stored.headers:
            headers[ORIGIN] = stored.headers[ORIGIN]
        _, _, outcome = await ops.keep_unique(
            js,
            layout.work_stream(queue),
            lambda n: layout.work(queue, n),
            name,
            stored.data,
            headers,
            msg_id=f"{layout.deferred_stream}.{seq}",
            same_is_enough=True,
        )
        await ops.delete(js, layout.deferred_stream, seq)
        return outcome is Published.NEW
