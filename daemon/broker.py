"""The broker contract: the one way stages and commands reach a queue, whatever holds it.

    broker.publish(queue, name, body)        a task enters a queue (never overwriting a waiting one)
    consumer = broker.consume(queue)         a stage's inbox
    message = consumer.receive()             the next task, owned by this process until settled
    message.ack() | .defer(until) | .dead_letter(reason) | .release(delay)
    broker.registry                          read-only: what waits, runs, waits to retry, died, finished

Backends (daemon/brokers/): `file` (the default: folders under DATA_DIR, no server), `memory`
(unit tests), and `jetstream` (NATS JetStream, for several hosts). Only a backend knows its
layout; stages, commands and reports speak this contract and nothing else.

A message carries its body (the exact bytes published) apart from its envelope: the broker's
own record of how handling has gone (attempts, last error, when to try again, who holds it).
The envelope travels with the task through deferrals, but is never part of the body, so a
result that reaches the webhook is exactly what the processor wrote.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

import orjson


class QueueName(StrEnum):
    TRANSCRIPTS = "transcripts"  # calls waiting for analysis; the processor drains it
    RESULTS = "results"  # analysed calls waiting for delivery; the delivery stage drains it
    INTAKE = "intake"  # webhook bodies the intake could not use: dead letters only, never consumed


class State(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"  # claimed by a live (or dead, until recovered) owner
    DEFERRED = "deferred"  # waiting until a due time
    DEAD = "dead"  # can never succeed as it stands; kept with a reason
    DONE = "done"  # finished; kept RETENTION_DAYS as the replay source


class UnavailableError(Exception):
    """The broker cannot do its job right now (full disk, read-only folder, lost server).

    Never the task's fault: the stage puts the task back and tries again later. `problem` is
    one line for an operator, e.g. "disk full on DATA_DIR".
    """

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class Published(StrEnum):
    """What a publish came to. A name is never silently overwritten."""

    NEW = "new"
    DUPLICATE = "duplicate"  # the same task already waits under this name: nothing to do
    CONFLICT = "conflict"  # a different task waits under this name: the newcomer is dead-lettered


# Says whether the body already waiting under a name is the task being published. By default
# the same bytes; a stage whose bodies differ in incidental fields (a timestamp) says it better.
# The backends read the waiting body only when the name is taken, so this costs nothing else.
SameTask = Callable[[bytes], bool]


@dataclass
class Envelope:
    """The broker's record of a task's handling, kept apart from its body."""

    attempts: int = 0  # tries of the far side (delivery's POSTs)
    deferrals: int = 0
    first_attempt_at: float | None = None
    last_attempt_at: float | None = None
    last_error: str = ""
    not_before: float | None = None  # a deferred task's due time
    owner: str = ""  # who holds it now (active only)
    published_at: float | None = None  # when it entered its queue, for end-to-end latency

    def attempted(self, now: float, error: str = "") -> None:
        self.attempts += 1
        if self.first_attempt_at is None:
            self.first_attempt_at = now
        self.last_attempt_at = now
        self.last_error = error

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        """An envelope from its JSON, tolerating a hand-edited one: a bad field starts afresh."""
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return cls()
        if not isinstance(doc, dict):
            return cls()
        kept: dict[str, Any] = {}
        for f in fields(cls):
            value = doc.get(f.name)
            if f.name in ("last_error", "owner"):
                if isinstance(value, str):
                    kept[f.name] = value[:2000]
            elif f.name in ("attempts", "deferrals"):
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                    kept[f.name] = value
            elif isinstance(value, int | float) and not isinstance(value, bool):
                kept[f.name] = float(value)
        return cls(**kept)


# A listener hears each settlement: ("ack" | "defer" | "dead_letter" | "release", message, details).
SettleListener = Callable[[str, "Message", Mapping[str, Any]], None]


class Message(abc.ABC):
    """One claimed task. Exactly one of ack, defer, dead_letter or release settles it.

    Backends implement the underscored methods; the public ones also tell the listeners (the
    consuming stage's middleware), so no stage can settle a task unseen.
    """

    def __init__(self, queue: str, name: str, body: bytes, doc: Any, envelope: Envelope) -> None:
        self.queue = queue
        self.name = name
        self.body = body
        self.doc = doc  # the parsed JSON body
        self.envelope = envelope
        self.call_id = call_id_of(doc, name)
        self.settled = False
        self.listeners: list[SettleListener] = []

    def ack(self) -> None:
        """Finished: into done, kept RETENTION_DAYS for replay."""
        self._ack()
        self._tell("ack", {})

    def defer(self, until: float, envelope: Envelope | None = None) -> None:
        """Hidden until `until` (epoch seconds), then waiting again, with this envelope."""
        envelope = envelope or self.envelope
        self._tell("before_defer", {"until": until, "envelope": envelope})
        self._defer(until, envelope)
        self._tell("defer", {"until": until})

    def dead_letter(self, reason: str) -> None:
        """Can never succeed as it stands: kept, with a reason a person can read."""
        self._dead_letter(reason)
        self._tell("dead_letter", {"reason": reason})

    def release(self, delay: float) -> None:
        """Not the task's fault (the environment failed): waiting again after `delay` seconds,
        envelope unchanged.

        Any settlement may raise UnavailableError when the machine refuses it. The message is
        settled all the same (no one handles it twice): the backend keeps the settlement and
        does it on `Consumer.release_stranded()`, or the next start recovers the task."""
        self._release(delay)
        self._tell("release", {"delay": delay})

    def _tell(self, event: str, details: Mapping[str, Any]) -> None:
        for listener in self.listeners:
            listener(event, self, details)

    @abc.abstractmethod
    def _ack(self) -> None: ...

    @abc.abstractmethod
    def _defer(self, until: float, envelope: Envelope) -> None: ...

    @abc.abstractmethod
    def _dead_letter(self, reason: str) -> None: ...

    @abc.abstractmethod
    def _release(self, delay: float) -> None: ...

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.queue}/{self.name}>"


class Consumer(abc.ABC):
    """A stage's inbox on one queue. `wakeup` is set when something may have arrived."""

    queue: str
    wakeup: threading.Event

    @abc.abstractmethod
    def receive(self) -> Message | None:
        """The next task, claimed for this process; None when nothing is due."""

    @abc.abstractmethod
    def depth(self) -> int:
        """Tasks known to wait (for the queue-depth gauge); cheap, possibly approximate."""

    def promote_all(self) -> int:
        """Make every deferred task due now (the far side is back). Returns how many."""
        return 0

    def release_stranded(self) -> int:
        """Do again the settlements the machine refused; returns how many went through."""
        return 0

    def close(self) -> None:  # noqa: B027 - a backend with nothing to stop keeps this default
        """Stop watching; tasks in hand stay claimed until settled or recovered."""

    def __iter__(self) -> Iterator[Message]:
        """Messages as they come, waiting for each: for scripts; stages use receive()."""
        while True:
            message = self.receive()
            if message is None:
                self.wakeup.wait(0.5)
                self.wakeup.clear()
                continue
            yield message


@dataclass(frozen=True)
class Entry:
    """One task as a registry sees it."""

    queue: str
    state: State
    name: str
    since: float  # when it entered this state (epoch seconds)
    size: int = 0
    owner: str = ""  # ACTIVE: who holds it
    owner_alive: bool | None = None  # ACTIVE: False when its owner is gone (recovered at the next sweep)
    due: float | None = None  # DEFERRED: when it is waiting again
    reason: Mapping[str, str] = field(default_factory=dict)  # DEAD: reason, file, call_id, time ...


@dataclass(frozen=True)
class QueueSummary:
    waiting: int = 0
    oldest_waiting: float | None = None  # epoch seconds of the oldest waiting task
    active: int = 0
    orphaned: int = 0  # held by an owner that is gone
    deferred: int = 0
    next_due: float | None = None
    dead: int = 0
    done: int = 0
    stray: tuple[str, ...] = ()  # entries that are not tasks (a folder, a FIFO): what they are


class Registry(abc.ABC):
    """Read-only views of every queue: what waits, runs, waits to retry, died and finished."""

    @abc.abstractmethod
    def queues(self) -> list[str]:
        """The queues that exist or hold anything (dead-letter-only ones included)."""

    @abc.abstractmethod
    def summary(self, queue: str) -> QueueSummary:
        """Counts and ages for `status`."""

    @abc.abstractmethod
    def entries(self, queue: str, state: State) -> Iterator[Entry]:
        """Every task of `queue` in `state`, in no particular order."""

    @abc.abstractmethod
    def read(self, entry: Entry, limit: int) -> bytes:
        """At most `limit` bytes of the entry's body. Raises LookupError when it moved on."""

    def locate(self, queue: str, name: str, states: tuple[State, ...] = tuple(State)) -> Entry | None:
        """The task called `name`, in the first of `states` that holds it."""
        for state in states:
            for entry in self.entries(queue, state):
                if entry.name == name:
                    return entry
        return None


class Broker(abc.ABC):
    registry: Registry
    max_task_bytes: int  # MAX_TASK_BYTES: the largest body a task may have

    @abc.abstractmethod
    def publish(self, queue: str, name: str, body: bytes, *, same: SameTask | None = None) -> Published:
        """Put a task into `queue`. `name` is 1-128 of [A-Za-z0-9._-], not starting with a dot.

        A task already waiting under `name` is never replaced: if `same` (by default, equal
        bytes) says it is this task, the publish is a DUPLICATE; otherwise a CONFLICT, and
        `body` is kept as a dead letter beside a reason."""

    @abc.abstractmethod
    def consume(self, queue: str) -> Consumer:
        """The inbox of `queue` for this process."""

    @abc.abstractmethod
    def reject(self, queue: str, name: str, body: bytes, reason: str) -> str:
        """Keep a body that never entered a queue (an unusable webhook) as a dead letter of
        `queue`, beside its reason. Returns the name it was kept under."""

    def replay(self, entry: Entry, to_queue: str | None = None) -> str:
        """Run a DONE task again: its body is published afresh (new envelope). Returns its name."""
        if entry.state is not State.DONE:
            raise ValueError(f"only finished tasks are replayed; {entry.name} is {entry.state}")
        target = to_queue or entry.queue
        body = self.registry.read(entry, self.max_task_bytes + 1)
        if self.publish_again(target, entry.name, body) is not Published.NEW:
            raise FileExistsError(f"{entry.name} already waits in {target}")
        return entry.name

    def publish_again(self, queue: str, name: str, body: bytes) -> Published:
        """Publish bytes that were published before, on purpose (a replay): a backend that
        de-duplicates repeated publishes must not take this for one."""
        return self.publish(queue, name, body)

    @abc.abstractmethod
    def retry(self, entry: Entry, to_queue: str | None = None) -> str:
        """Send a DEAD task back into its queue (or `to_queue`), with a fresh envelope."""

    @staticmethod
    def retry_target(entry: Entry, to_queue: str | None) -> str:
        """The queue a dead letter is retried into; ValueError for what cannot be retried."""
        if entry.state is not State.DEAD:
            raise ValueError(f"only dead letters are retried; {entry.name} is {entry.state}")
        target = to_queue or entry.queue
        if target == QueueName.INTAKE:
            raise ValueError(f"{target} holds webhook bodies, not tasks: retry with --to transcripts or results")
        return target

    @abc.abstractmethod
    def expire(self, queue: str, state: State, cutoff: float) -> int:
        """Remove the tasks of `queue` in `state` that entered it before `cutoff` (RETENTION_DAYS)."""

    def health(self) -> list[str]:
        """Problems of the broker itself (a lost node, a stream without quorum), for `status`."""
        return []

    def describe(self) -> dict[str, Any]:
        """What `status` shows of the broker beside its queues (nodes, consumers); {} for none."""
        return {}

    def close(self) -> None:  # noqa: B027 - a backend with nothing to release keeps this default
        """Release connections; consumers are closed by their stages."""


def call_id_of(doc: Any, name: str) -> str:
    """A best-effort id for log lines: the call's own id, else the task's name without .json."""
    if isinstance(doc, dict):
        for key in ("call_ref_id", "id"):
            value = doc.get(key)
            if isinstance(value, str | int) and str(value):
                return str(value)[:128].replace("\n", " ")
        payload = doc.get("payload")
        if isinstance(payload, dict) and isinstance(payload.get("call_ref_id"), str):
            return payload["call_ref_id"][:128]
    return name.rsplit(".", 1)[0][:128]


def encode(doc: Any) -> bytes:
    """How every stage writes task JSON: compact, UTF-8, keys in insertion order."""
    return orjson.dumps(doc)
