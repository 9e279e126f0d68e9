"""The memory backend: the broker contract in one process's memory, for fast tests of stage logic.

Same rules as the file backend (FIFO, one owner per task, no silent overwrite, bad JSON and
oversized bodies dead-lettered, deferrals hidden until due), none of its durability: what it
holds dies with the process.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from daemon.broker import (
    Broker,
    Consumer,
    Entry,
    Envelope,
    Message,
    Published,
    QueueName,
    QueueSummary,
    Registry,
    SameTask,
    State,
)
from daemon.brokers.common import conflict_reason, is_same, parse_body
from daemon.clock import SYSTEM_CLOCK, Clock

OWNER = "memory"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass
class _Task:
    name: str
    body: bytes
    since: float
    envelope: Envelope = field(default_factory=Envelope)
    reason: dict[str, str] = field(default_factory=dict)


@dataclass
class _Queue:
    name: str
    waiting: OrderedDict[str, _Task] = field(default_factory=OrderedDict)
    active: dict[str, _Task] = field(default_factory=dict)
    deferred: dict[str, _Task] = field(default_factory=dict)
    dead: dict[str, _Task] = field(default_factory=dict)
    done: dict[str, _Task] = field(default_factory=dict)
    wakeup: threading.Event = field(default_factory=threading.Event)

    def by_state(self, state: State) -> dict[str, _Task]:
        return {
            State.WAITING: self.waiting,
            State.ACTIVE: self.active,
            State.DEFERRED: self.deferred,
            State.DEAD: self.dead,
            State.DONE: self.done,
        }[state]


def _unique(name: str, taken: dict[str, _Task]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        candidate = f"{name}.{n}"
        n += 1
    return candidate


class MemoryMessage(Message):
    def __init__(self, broker: MemoryBroker, q: _Queue, task: _Task, doc: object) -> None:
        super().__init__(q.name, task.name, task.body, doc, task.envelope)
        self._broker = broker
        self._q = q
        self._task = task

    def _settle(self, into: dict[str, _Task], since: float) -> _Task:
        with self._broker.lock:
            if self.settled:
                raise RuntimeError(f"{self!r} is settled already")
            self._q.active.pop(self.name, None)
            self._task.since = since
            into[_unique(self.name, into) if into is not self._q.done else self.name] = self._task
            self.settled = True
            return self._task

    def _ack(self) -> None:
        self._task.envelope = Envelope()
        self._settle(self._q.done, self._broker.clock.now())

    def _defer(self, until: float, envelope: Envelope) -> None:
        self._task.envelope = copy.copy(envelope)
        self._task.envelope.not_before = until
        self._task.envelope.owner = ""
        self._settle(self._q.deferred, until)

    def _dead_letter(self, reason: str) -> None:
        self._task.reason = {"reason": reason, "queue": self.queue, "file": self.name, "call_id": self.call_id}
        self._task.envelope = Envelope()
        self._settle(self._q.dead, self._broker.clock.now())

    def _release(self, delay: float) -> None:
        self._task.envelope.owner = ""
        self._settle(self._q.deferred, self._broker.clock.now() + delay)


class MemoryConsumer(Consumer):
    def __init__(self, broker: MemoryBroker, q: _Queue) -> None:
        self._broker = broker
        self._q = q
        self.queue = q.name
        self.wakeup = q.wakeup

    def receive(self) -> MemoryMessage | None:
        broker = self._broker
        while True:
            with broker.lock:
                self._promote(all_now=False)
                if not self._q.waiting:
                    return None
                _, task = self._q.waiting.popitem(last=False)
                doc, why = parse_body(task.body, broker.max_task_bytes)
                if why is not None:
                    self._dead(task, why)
                    continue
                task.envelope.owner = OWNER
                self._q.active[task.name] = task
                return MemoryMessage(broker, self._q, task, doc)

    def _dead(self, task: _Task, reason: str) -> None:
        task.reason = {"reason": reason, "queue": self.queue, "file": task.name, "call_id": "-"}
        task.since = self._broker.clock.now()
        self._q.dead[_unique(task.name, self._q.dead)] = task

    def _promote(self, *, all_now: bool) -> int:
        now = self._broker.clock.now()
        due = [name for name, t in self._q.deferred.items() if all_now or t.since <= now]
        for name in sorted(due, key=lambda n: self._q.deferred[n].since):
            task = self._q.deferred.pop(name)
            task.name = _unique(name, self._q.waiting)
            self._q.waiting[task.name] = task
        return len(due)

    def promote_all(self) -> int:
        with self._broker.lock:
            moved = self._promote(all_now=True)
        if moved:
            self.wakeup.set()
        return moved

    def depth(self) -> int:
        return len(self._q.waiting)


class MemoryRegistry(Registry):
    def __init__(self, broker: MemoryBroker) -> None:
        self._broker = broker

    def queues(self) -> list[str]:
        return [str(name) for name in self._broker.queues]

    def entries(self, queue: str, state: State) -> Iterator[Entry]:
        with self._broker.lock:
            tasks = list(self._broker.queue(queue).by_state(state).items())
        for name, t in tasks:
            yield Entry(
                queue,
                state,
                name,
                t.since,
                len(t.body),
                owner=OWNER if state is State.ACTIVE else "",
                owner_alive=True if state is State.ACTIVE else None,
                due=t.since if state is State.DEFERRED else None,
                reason=dict(t.reason) if state is State.DEAD else {},
            )

    def read(self, entry: Entry, limit: int) -> bytes:
        with self._broker.lock:
            task = self._broker.queue(entry.queue).by_state(entry.state).get(entry.name)
        if task is None:
            raise LookupError(f"{entry.queue}/{entry.name} moved on")
        return task.body[:limit]

    def summary(self, queue: str) -> QueueSummary:
        with self._broker.lock:
            q = self._broker.queue(queue)
            return QueueSummary(
                waiting=len(q.waiting),
                oldest_waiting=min((t.since for t in q.waiting.values()), default=None),
                active=len(q.active),
                deferred=len(q.deferred),
                next_due=min((t.since for t in q.deferred.values()), default=None),
                dead=len(q.dead),
                done=len(q.done),
            )


class MemoryBroker(Broker):
    def __init__(self, *, clock: Clock = SYSTEM_CLOCK, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.clock = clock
        self.max_task_bytes = max_bytes
        self.lock = threading.RLock()
        self.queues: dict[str, _Queue] = {name: _Queue(name) for name in QueueName}
        self.registry = MemoryRegistry(self)

    def queue(self, name: str) -> _Queue:
        if name not in self.queues:
            raise ValueError(f"unknown queue {name!r}; queues are {', '.join(self.queues)}")
        return self.queues[name]

    def publish(self, queue: str, name: str, body: bytes, *, same: SameTask | None = None) -> Published:
        q = self.queue(queue)
        if queue == QueueName.INTAKE:
            raise ValueError(f"{queue} holds dead letters only: nothing is published to it")
        with self.lock:
            held = q.waiting.get(name)
            if held is not None:
                if is_same(held.body, body, same):
                    return Published.DUPLICATE
                reason = conflict_reason(name, queue)
                q.dead[_unique(name, q.dead)] = _Task(name, body, self.clock.now(), reason={"reason": reason})
                return Published.CONFLICT
            q.waiting[name] = _Task(name, bytes(body), self.clock.now(), Envelope(published_at=self.clock.now()))
        q.wakeup.set()
        return Published.NEW

    def consume(self, queue: str) -> MemoryConsumer:
        return MemoryConsumer(self, self.queue(queue))

    def reject(self, queue: str, name: str, body: bytes, reason: str) -> str:
        with self.lock:
            dead = self.queue(queue).dead
            kept = _unique(name, dead)
            dead[kept] = _Task(kept, body, self.clock.now(), reason={"reason": reason, "queue": queue, "file": name})
            return kept

    def expire(self, queue: str, state: State, cutoff: float) -> int:
        with self.lock:
            held = self.queue(queue).by_state(state)
            old = [name for name, task in held.items() if task.since < cutoff]
            for name in old:
                del held[name]
            return len(old)

    def retry(self, entry: Entry, to_queue: str | None = None) -> str:
        target = self.retry_target(entry, to_queue)
        with self.lock:
            task = self.queue(entry.queue).dead.pop(entry.name)
            original = task.reason.get("file", entry.name)
            waiting = self.queue(target).waiting
            name = _unique(original, waiting)
            waiting[name] = _Task(name, task.body, self.clock.now(), Envelope(published_at=self.clock.now()))
        self.queue(target).wakeup.set()
        return name
