"""`python -m daemon replay CALL_ID ...`: run a finished call through the pipeline again.

Replay is a copy: the call's finished transcript is published into the transcripts queue
again, so it is analysed and delivered again; with --deliver-only its stored result goes
back into the results queue and is only re-sent, with a fresh delivery record. The finished
copy stays. A call is found by task name (CALL_ID or CALL_ID.json), else by the ids inside
the files: call_ref_id or id of a transcript; payload call_ref_id, payload id or webhook_id
of a result. When several match, the newest is replayed.

A re-sent result keeps its webhook-id, so a receiver that de-duplicates sees a repeat; a
re-analysed transcript gets the same id too when the payload comes out the same.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from contextlib import closing
from typing import Any

import orjson

from daemon.broker import Broker, Entry, QueueName, State, UnavailableError
from daemon.brokers import open_broker
from daemon.config import Config
from daemon.fsutil import is_safe_name
from daemon.logs import task

log = logging.getLogger(__name__)

EX_NOT_FOUND = 1
EX_USAGE = 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="queue finished calls again (transcript, or result with --deliver-only)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("call_ids", nargs="+", metavar="CALL_ID", help="a task name, call_ref_id or id")
    p.add_argument("--deliver-only", action="store_true", help="re-send the stored result instead of analysing again")
    p.set_defaults(func=main)


def transcript_ids(doc: Any) -> set[str]:
    """The ids a transcript answers to: native call_ref_id, or a Bolna body's id."""
    if not isinstance(doc, dict):
        return set()
    return {str(doc[k]) for k in ("call_ref_id", "id") if isinstance(doc.get(k), str | int)}


def result_ids(doc: Any) -> set[str]:
    if not isinstance(doc, dict):
        return set()
    ids = {doc["webhook_id"]} if isinstance(doc.get("webhook_id"), str) else set()
    payload = doc.get("payload")
    if isinstance(payload, dict):
        ids |= {str(payload[k]) for k in ("call_ref_id", "id") if isinstance(payload.get(k), str | int)}
    return ids


def find_done(broker: Broker, queue: str, call_id: str, ids_of: Callable[[Any], set[str]], limit: int) -> Entry | None:
    """The finished task for `call_id`: by name first, else by the ids inside (newest wins)."""
    registry = broker.registry
    for name in (call_id, f"{call_id}.json"):
        found = registry.locate(queue, name, (State.DONE,))
        if found is not None:
            return found
    matches = []
    for entry in registry.entries(queue, State.DONE):
        if entry.size > limit:
            continue
        try:
            doc = orjson.loads(registry.read(entry, limit))
        except (OSError, LookupError, orjson.JSONDecodeError):
            continue
        if call_id in ids_of(doc):
            matches.append(entry)
    if len(matches) > 1:
        log.warning("%d finished tasks match %s in %s; replaying the newest", len(matches), call_id, queue)
    return max(matches, key=lambda e: e.since) if matches else None


def replay_one(broker: Broker, cfg: Config, call_id: str, *, deliver_only: bool) -> bool:
    queue = QueueName.RESULTS if deliver_only else QueueName.TRANSCRIPTS
    ids_of = result_ids if deliver_only else transcript_ids
    found = find_done(broker, queue, call_id, ids_of, cfg.max_task_bytes)
    if found is None:
        log.error("no finished %s task for this call", queue, extra=task(call_id, "not-found"))
        return False
    if broker.registry.locate(queue, found.name, (State.WAITING, State.ACTIVE)) is not None:
        log.error("%s is already queued in %s; not twice", found.name, queue, extra=task(call_id, "already-queued"))
        return False
    try:
        broker.replay(found)
    except (FileExistsError, OSError, UnavailableError, LookupError) as exc:
        log.error("not replayed: %s", exc, extra=task(call_id, "not-replayed"))
        return False
    log.info("replaying %s into %s", found.name, queue, extra=task(call_id, "replayed"))
    return True


def main(args: argparse.Namespace, cfg: Config) -> int:
    unsafe = [c for c in args.call_ids if not is_safe_name(c)]
    if unsafe:
        for call_id in unsafe:
            log.error("not a call id: %r (use 1-128 characters of A-Z a-z 0-9 . _ -)", call_id)
        return EX_USAGE
    with closing(open_broker(cfg)) as broker:
        replayed = [replay_one(broker, cfg, c, deliver_only=args.deliver_only) for c in args.call_ids]
    return 0 if all(replayed) else EX_NOT_FOUND
