"""The JetStream requests the backend is made of, as coroutines run on the link's loop.

Writes into a subject are compare-and-set: `Nats-Expected-Last-Subject-Sequence: 0` stores a
message only where nothing is stored under that subject yet, so a waiting task, a dead letter
or a deferred task is never replaced, whoever writes at the same instant on whatever host.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from daemon.broker import Published, SameTask, UnavailableError
from daemon.brokers.common import is_same
from daemon.brokers.jetstream.layout import EXPECTED_LAST_SUBJECT_SEQ, MSG_ID, TIME

SubjectOf = Callable[[str], str]  # a task name -> the subject it is stored under

WRONG_LAST_SEQUENCE = 10071  # JetStream's error code: something is stored under the subject already
SEQUENCE_NOT_FOUND = 10043  # ... and: no message has that sequence (deleted meanwhile)
SCAN_BATCH = 256
MAX_SUFFIX = 1000  # name, name.1 ... name.999: a bound on finding a free name
RACE_TRIES = 5


@dataclass(frozen=True)
class Stored:
    """One message as a stream holds it."""

    seq: int
    subject: str
    headers: Mapping[str, str]
    data: bytes
    stored_at: float  # the server's timestamp

    def number(self, key: str) -> float | None:
        return header_number(self.headers, key)

    @property
    def since(self) -> float:
        return since(self.headers, self.stored_at)


def header_number(headers: Mapping[str, str], key: str) -> float | None:
    try:
        return float(headers.get(key, ""))
    except ValueError:
        return None


def since(headers: Mapping[str, str], stored_at: float) -> float:
    """When a message entered its state: the writer's clock (tests drive it), else the server's."""
    return header_number(headers, TIME) or stored_at


def _stored(headers: Mapping[str, str] | None, data: bytes | None) -> Stored:
    hdrs = {str(k): str(v) for k, v in (headers or {}).items()}
    stamp = hdrs.get("Nats-Time-Stamp", "")
    try:
        at = datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00").timestamp() if stamp else 0.0
    except ValueError:
        at = 0.0
    return Stored(int(hdrs.get("Nats-Sequence", "0")), hdrs.get("Nats-Subject", ""), hdrs, data or b"", at)


async def put_once(
    js: JetStreamContext, subject: str, body: bytes, headers: Mapping[str, str], msg_id: str | None = None
) -> tuple[Published | None, int]:
    """Store `body` under `subject` only if nothing is stored there. (None, 0) when something is."""
    hdrs = {**headers, EXPECTED_LAST_SUBJECT_SEQ: "0"}
    if msg_id:
        hdrs[MSG_ID] = msg_id
    try:
        ack = await js.publish(subject, body, headers=hdrs)
    except nats.js.errors.BadRequestError as exc:
        if exc.err_code == WRONG_LAST_SEQUENCE:
            return None, 0
        raise
    return (Published.DUPLICATE if ack.duplicate else Published.NEW), ack.seq


async def last(js: JetStreamContext, stream: str, subject: str) -> Stored | None:
    """The message stored under `subject`, read from any replica (direct get)."""
    return await _direct_get(js, stream, subject=subject)


async def by_seq(js: JetStreamContext, stream: str, seq: int) -> Stored | None:
    return await _direct_get(js, stream, seq=seq)


async def _direct_get(
    js: JetStreamContext, stream: str, *, subject: str | None = None, seq: int | None = None
) -> Stored | None:
    try:
        raw = await js._jsm.get_msg(stream, seq=seq, subject=subject, direct=True)
    except nats.js.errors.NotFoundError:
        return None
    return _stored(raw.headers, raw.data)


async def delete(js: JetStreamContext, stream: str, seq: int) -> bool:
    """Remove one message; False when it is gone already (another host removed it)."""
    try:
        return await js._jsm.delete_msg(stream, seq)
    except nats.js.errors.NotFoundError:
        return False
    except nats.js.errors.BadRequestError as exc:
        if exc.err_code == SEQUENCE_NOT_FOUND:
            return False
        raise


async def publish_named(
    js: JetStreamContext,
    stream: str,
    subject_of: SubjectOf,
    name: str,
    body: bytes,
    headers: Mapping[str, str],
    msg_id: str | None = None,
    same: SameTask | None = None,
) -> Published:
    """Publish under `name`: NEW, DUPLICATE (the same task is stored there), or CONFLICT."""
    subject = subject_of(name)
    for _ in range(RACE_TRIES):
        outcome, _seq = await put_once(js, subject, body, headers, msg_id)
        if outcome is not None:
            return outcome
        held = await last(js, stream, subject)
        if held is None:
            continue  # taken and settled while we looked: try again
        return Published.DUPLICATE if is_same(held.data, body, same) else Published.CONFLICT
    raise UnavailableError(f"{subject} kept changing under {RACE_TRIES} tries to publish")


async def keep_unique(
    js: JetStreamContext,
    stream: str,
    subject_of: SubjectOf,
    name: str,
    body: bytes,
    headers: Mapping[str, str],
    msg_id: str | None = None,
    *,
    same_is_enough: bool = False,
) -> tuple[str, int, Published]:
    """Store under `name`, else `name.1`, `name.2` ...: never over another message.

    With `same_is_enough`, a name already holding these very bytes counts as done (DUPLICATE):
    another host got there first."""
    for n in range(MAX_SUFFIX):
        candidate = name if n == 0 else f"{name}.{n}"
        if len(candidate) > 128:
            break
        outcome, seq = await put_once(js, subject_of(candidate), body, headers, msg_id)
        if outcome is not None:
            return candidate, seq, outcome
        if same_is_enough:
            held = await last(js, stream, subject_of(candidate))
            if held is not None and held.data == body:
                return candidate, held.seq, Published.DUPLICATE
    raise UnavailableError(f"no free name for {name} in {stream} after {MAX_SUFFIX} tries")


async def scan(
    nc: Client, stream: str, subject_filter: str, *, timeout: float, start: int = 1
) -> AsyncIterator[Stored]:
    """Every message of `stream` under `subject_filter`, oldest first, in batches (direct get)."""
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    try:
        seq = start
        while True:
            request = {"seq": seq, "next_by_subj": subject_filter, "batch": SCAN_BATCH}
            await nc.publish(f"$JS.API.DIRECT.GET.{stream}", json.dumps(request).encode(), reply=inbox)
            while True:
                msg = await sub.next_msg(timeout)
                headers = msg.headers or {}
                status = headers.get("Status")
                if status == "204":  # end of a batch: it says how many more there are
                    if headers.get("Nats-Num-Pending", "0") == "0":
                        return
                    break
                if status is not None:  # 404: nothing (more); 408 and others: the same, for a scan
                    return
                item = _stored(msg.headers, msg.data)
                seq = item.seq + 1
                yield item
    finally:
        await sub.unsubscribe()


async def count(js: JetStreamContext, stream: str, subject_filter: str) -> int:
    """How many messages of `stream` are under `subject_filter`: a throwaway consumer's num_pending."""
    config = ConsumerConfig(
        filter_subject=subject_filter,
        ack_policy=AckPolicy.NONE,
        deliver_policy=DeliverPolicy.ALL,
        mem_storage=True,
        num_replicas=1,
        inactive_threshold=10.0,
    )
    try:
        info = await js.add_consumer(stream, config)
    except nats.js.errors.NotFoundError:
        return 0
    try:
        await js.delete_consumer(stream, info.name)
    except nats.js.errors.NotFoundError:
        pass
    return int(info.num_pending or 0)
