"""A stage's inbox on one work stream: hand out tasks one at a time, hold each, settle it exactly once.

- receive() asks the durable pull consumer for a task, waiting at most 30 ms: a task goes to
  exactly one process, which holds it until it settles it. With a deep backlog it asks for
  eight at a time and hands them out one by one (one round trip per eight tasks).
- While this process lives, a keepalive tells JetStream every NATS_ACK_WAIT / 3 that each
  held task is still in progress, so a long delivery is never handed to another worker. Killed,
  the process stops renewing, and JetStream hands its tasks to another worker once
  NATS_ACK_WAIT has passed: that is orphan recovery, with no sweep.
- ack: the body goes to the DONE stream (the replay source), then the task is acked.
  defer / release: body and envelope go to the DEFERRED stream, then the task is acked.
  dead_letter: body and reason go to the DEAD stream, then the task is terminated (+TERM with
  the reason, which JetStream also announces as an advisory).
- Any process publishing into the queue rings its bell (a core NATS subject), so an idle
  consumer wakes at once; a task nobody rang for (a redelivery) is found at the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from nats.aio.msg import Msg

from daemon.broker import Consumer, Envelope, Message, UnavailableError
from daemon.brokers.common import parse_body
from daemon.brokers.jetstream import ops
from daemon.brokers.jetstream.deferrals import MAX_DEFERRAL, Deferrals
from daemon.brokers.jetstream.layout import DUE, ENVELOPE, NAME, ORIGIN, TIME, name_of
from daemon.logs import task as task_extra
from daemon.redact import redact_urls

if TYPE_CHECKING:
    from daemon.brokers.jetstream import JetStreamBroker

log = logging.getLogger(__name__)

MAX_SKIPPED = 100  # unusable messages dead-lettered in one receive() before it gives the stage a turn
# With a deep backlog, each pull asks for PREFETCH tasks: one round trip per batch rather than per
# task. A short queue is pulled one task at a time, so the workers of several hosts share it.
PREFETCH = 8
DEEP_BACKLOG = 64
# A pull waits this long for a task before it answers "nothing": in a cluster, a task just
# stored by the stream's leader reaches the consumer's leader a moment later.
PULL_WAIT_NS = 30_000_000
REWATCH_SECONDS = 60.0  # how often the deferred stream is read afresh, as a safety net
DEPTH_CACHE = 1.0  # seconds a depth figure is reused (the metrics gauge asks every heartbeat)


class JetStreamMessage(Message):
    def __init__(self, consumer: JetStreamConsumer, raw: Msg, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self._consumer = consumer
        self.raw = raw

    def _ack(self) -> None:
        self._consumer.finish(self)

    def _defer(self, until: float, envelope: Envelope) -> None:
        self._consumer.park(self, until, envelope)

    def _dead_letter(self, reason: str) -> None:
        self._consumer.bury(self, reason)

    def _release(self, delay: float) -> None:
        self._consumer.release(self, delay)


class JetStreamConsumer(Consumer):
    def __init__(self, broker: JetStreamBroker, queue: str) -> None:
        self.broker = broker
        self.link = broker.link
        self.layout = broker.layout
        self.queue = queue
        self.wakeup = threading.Event()
        self._held: dict[str, JetStreamMessage] = {}  # ack subject -> message; read by the keepalive
        self._prefetched: dict[str, Msg] = {}  # pulled ahead, not yet handed to the stage (renewed too)
        self._ahead: deque[Msg] = deque()
        self._batch = 1
        self._next_rewatch = time.monotonic() + REWATCH_SECONDS
        self._stranded: list[JetStreamMessage] = []
        self._depth: tuple[float, int] = (0.0, 0)
        self.deferrals = Deferrals(self.link, self.layout, queue, self._ring)
        self._inbox = ""
        self.link.call(self._start())
        self._keepalive = self.link.spawn(self._renew_forever())

    async def _start(self) -> None:
        nc = self.link.nc
        self._inbox = nc.new_inbox()
        self._replies = await nc.subscribe(self._inbox)
        self._bell = await nc.subscribe(self.layout.bell(self.queue), cb=self._on_bell)
        await self.deferrals.start()

    async def _on_bell(self, _msg: Msg) -> None:
        self.wakeup.set()

    async def _ring(self) -> None:
        await self.link.nc.publish(self.layout.bell(self.queue), b"")

    # -- receiving -----------------------------------------------------------------------------

    def receive(self) -> JetStreamMessage | None:
        now = self.broker.clock.now()
        door = self.broker.door_for(self.queue)
        if door is not None:
            door.tick()
        if time.monotonic() >= self._next_rewatch:
            self._next_rewatch = time.monotonic() + REWATCH_SECONDS
            self.link.call(self.deferrals.rewatch())
        due = self.deferrals.next_due()
        if due is not None and (due <= now or due > now + MAX_DEFERRAL):
            self.link.call(self.deferrals.promote(now))
        for _ in range(MAX_SKIPPED):
            if not self._ahead:
                self._ahead.extend(self.link.call(self._pull(self._batch)))
                if not self._ahead:
                    return None
                pending = self._ahead[-1].metadata.num_pending or 0
                self._batch = PREFETCH if pending >= DEEP_BACKLOG else 1
            message = self._open(self._ahead.popleft())
            if message is not None:
                return message
        self.wakeup.set()  # more may wait behind the unusable ones
        return None

    async def _pull(self, batch: int) -> list[Msg]:
        """Up to `batch` messages for this process; none, at once, when nothing waits."""
        got: list[Msg] = []
        # A reply to an earlier pull that timed out may be here still: its messages are ours all the same.
        while self._replies.pending_msgs:
            early = await self._replies.next_msg(0.001)
            if not (early.headers or {}).get("Status"):
                got.append(early)
        if got:
            self._hold(got)
            return got
        nc = self.link.nc
        # Expiring, not no_wait: the server ends the request with a 408 once it expires (or once
        # `batch` tasks went out), so nothing it hands out later can go to a request we left.
        request = b'{"batch":%d,"expires":%d}' % (batch, PULL_WAIT_NS)
        await nc.publish(self.layout.pull_subject(self.queue), request, reply=self._inbox)
        while len(got) < batch:
            msg = await self._replies.next_msg(self.link.timeout)
            status = (msg.headers or {}).get("Status")
            if status is None:
                got.append(msg)
            elif status in ("404", "408"):
                break  # the request expired: nothing (more) waits
            else:
                description = str((msg.headers or {}).get("Description", ""))
                self._hold(got)
                raise UnavailableError(f"the {self.queue} consumer answered {status} {description}".strip())
        self._hold(got)
        return got

    def _hold(self, msgs: list[Msg]) -> None:
        """Messages handed to this process are renewed from now on, until settled or given back."""
        for msg in msgs:
            self._prefetched[msg.reply] = msg

    def _open(self, raw: Msg) -> JetStreamMessage | None:
        headers = raw.headers or {}
        name = headers.get(NAME) or name_of(raw.subject)
        body = raw.data or b""
        doc, why = parse_body(body, self.broker.max_task_bytes)
        if why is not None:
            self._bury_raw(raw, name, body, why, "-")
            return None
        if ENVELOPE in headers:
            envelope = Envelope.from_json(headers[ENVELOPE])
        else:
            envelope = Envelope(published_at=ops.since(headers, raw.metadata.timestamp.timestamp()))
        envelope.owner = self.broker.owner
        message = JetStreamMessage(self, raw, self.queue, name, body, doc, envelope)
        delivered = raw.metadata.num_delivered or 1
        if delivered > 1:
            log.warning(
                "redelivered (delivery %d): its last holder stopped renewing it",
                delivered,
                extra=task_extra(message.call_id, "recovered"),
            )
        self._prefetched.pop(raw.reply, None)
        self._held[raw.reply] = message
        return message

    # -- settling ------------------------------------------------------------------------------

    def finish(self, message: JetStreamMessage) -> None:
        now = self.broker.clock.now()
        layout, queue = self.layout, self.queue
        headers = {NAME: message.name, TIME: repr(now)} | _origin(message)

        async def done() -> None:
            await self.link.js.publish(layout.done(queue, message.name), message.body, headers=headers)
            await self._settle(message.raw, b"+ACK")

        self.link.call(done())
        self._settled(message)

    def park(self, message: JetStreamMessage, until: float, envelope: Envelope) -> None:
        """Into the DEFERRED stream with its envelope, due at `until`; then acked here."""
        envelope = Envelope.from_json(envelope.to_json())
        envelope.not_before = until
        envelope.owner = ""
        now = self.broker.clock.now()
        headers = {NAME: message.name, TIME: repr(now), DUE: repr(until), ENVELOPE: envelope.to_json().decode()}
        headers |= _origin(message)
        layout, queue, js = self.layout, self.queue, self.link.js

        async def defer() -> None:
            _, seq, _ = await ops.keep_unique(
                js, layout.deferred_stream, lambda n: layout.deferred(queue, n), message.name, message.body, headers
            )
            self.deferrals.note(until, seq)
            await self._settle(message.raw, b"+ACK")

        self.link.call(defer())
        self._settled(message)

    def release(self, message: JetStreamMessage, delay: float) -> None:
        try:
            self.park(message, self.broker.clock.now() + delay, message.envelope)
        except UnavailableError:
            if message not in self._stranded:
                self._stranded.append(message)
            raise
        if message in self._stranded:
            self._stranded.remove(message)

    def release_stranded(self) -> int:
        released = 0
        for message in list(self._stranded):
            with contextlib.suppress(UnavailableError):
                self.release(message, 0.0)
                released += 1
        return released

    def bury(self, message: JetStreamMessage, reason: str) -> None:
        self._bury_raw(message.raw, message.name, message.body, reason, message.call_id)
        self._settled(message)

    def _bury_raw(self, raw: Msg, name: str, body: bytes, reason: str, call_id: str) -> None:
        # The reason also rides on the +TERM, so JetStream's MSG_TERMINATED advisory carries it.
        verb = b"+TERM " + " ".join(redact_urls(reason).split())[:200].encode()
        kept = self.broker.keep_dead(self.queue, name, body, reason, call_id, then=lambda: self._settle(raw, verb))
        self._prefetched.pop(raw.reply, None)
        log.warning("dead-lettered %s: %s", kept, redact_urls(reason), extra=task_extra(call_id or name, "dead-letter"))

    async def _settle(self, raw: Msg, verb: bytes) -> None:
        """Ack or terminate, and wait for JetStream to confirm: a task settled is settled."""
        await self.link.nc.request(raw.reply, verb, timeout=self.link.timeout)

    def _settled(self, message: JetStreamMessage) -> None:
        self._held.pop(message.raw.reply, None)
        message.settled = True

    # -- keeping held tasks ---------------------------------------------------------------------

    async def _renew_forever(self) -> None:
        interval = max(0.2, float(self.broker.cfg.nats_ack_wait) / 3)
        while True:
            await asyncio.sleep(interval)
            # copy(): one step under the GIL, while the stage's thread adds and removes entries.
            for reply in (*self._held.copy(), *self._prefetched.copy()):
                with contextlib.suppress(Exception):  # a lost server: the next round tries again
                    await self.link.nc.publish(reply, b"+WPI")

    # -- the rest of the contract ---------------------------------------------------------------

    def depth(self) -> int:
        """The gauge's figure. Asked from the heartbeat thread: never raises; during an outage
        it repeats the last figure known."""
        at, value = self._depth
        if time.monotonic() - at > DEPTH_CACHE:
            with contextlib.suppress(UnavailableError):
                value = self.broker.registry.pending(self.queue)
            self._depth = (time.monotonic(), value)
        return value

    def promote_all(self) -> int:
        moved = self.link.call(self.deferrals.promote(self.broker.clock.now(), all_now=True))
        if moved:
            self.wakeup.set()
        return moved

    def close(self) -> None:
        self._keepalive.cancel()
        if self.link.closed:
            return
        ahead = list(self._ahead)
        self._ahead.clear()

        async def stop() -> None:
            for msg in ahead:  # pulled ahead, never started: another worker may take them at once
                await self.link.nc.publish(msg.reply, b"-NAK")
            await self.deferrals.stop()
            await self._bell.unsubscribe()
            await self._replies.unsubscribe()

        with contextlib.suppress(UnavailableError):
            self.link.call(stop())


def _origin(message: JetStreamMessage) -> dict[str, str]:
    """A task that came through the folder door keeps its file's identity into DONE (see door.py)."""
    origin = (message.raw.headers or {}).get(ORIGIN)
    return {ORIGIN: origin} if origin else {}
