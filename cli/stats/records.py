"""Reading results for `stats`: every result the pipeline holds, one per call.

Results are read through the broker's registry in four states: waiting, in flight, waiting
for a retry, and delivered. A replay or a re-processed transcript can leave two results for
one call; the newest `processed_at` wins, so every call counts once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

import orjson

from cli.stats.times import epoch_of, payload_time
from daemon.broker import Entry, QueueName, Registry, State

# Upstream first: a result that moves on while we read is then seen again downstream (and
# de-duplicated) rather than missed.
RESULT_STATES = (State.WAITING, State.ACTIVE, State.DEFERRED, State.DONE)
MAX_RESULT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ResultRecord:
    where: str  # "<state> <name>", for messages
    payload: dict[str, Any]
    processed_at: float | None
    call_key: str  # what identifies the call: payload call_ref_id, else id, else the file name


@dataclass
class LoadedResults:
    records: list[ResultRecord] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    duplicates: int = 0
    outside_window: int = 0


def parse_result(where: str, name: str, raw: bytes, tz: tzinfo) -> ResultRecord:
    """One result file's bytes as a record. Raises ValueError saying what is wrong."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    payload = doc.get("payload") if isinstance(doc, dict) else None
    if not isinstance(payload, dict):
        raise ValueError("no payload object")
    key = payload.get("call_ref_id") or payload.get("id")
    return ResultRecord(
        where=where,
        payload=payload,
        processed_at=epoch_of(doc.get("processed_at"), tz),
        call_key=str(key) if isinstance(key, str | int) and str(key) else name,
    )


def newest_per_call(records: Iterable[ResultRecord]) -> tuple[list[ResultRecord], int]:
    """One record per call, the one processed last; also how many were dropped."""
    best: dict[str, ResultRecord] = {}
    dropped = 0
    for record in records:
        held = best.get(record.call_key)
        if held is None:
            best[record.call_key] = record
            continue
        dropped += 1
        if (record.processed_at or 0.0) > (held.processed_at or 0.0):
            best[record.call_key] = record
    return list(best.values()), dropped


def load_results(registry: Registry, tz: tzinfo, *, since: float | None = None) -> LoadedResults:
    """Every readable result, one per call, started at or after `since` (payload start_time)."""
    loaded = LoadedResults()
    records = []
    for state in RESULT_STATES:
        entries: Iterable[Entry] = sorted(registry.entries(QueueName.RESULTS, state), key=lambda e: e.name)
        for entry in entries:
            where = f"{state} {entry.name}"
            try:
                raw = registry.read(entry, MAX_RESULT_BYTES)
            except LookupError:
                continue  # moved on by the delivery stage while we looked; seen downstream
            except OSError as exc:
                loaded.unreadable.append((where, exc.strerror or str(exc)))
                continue
            try:
                records.append(parse_result(where, entry.name, raw, tz))
            except ValueError as exc:
                loaded.unreadable.append((where, str(exc)))
    unique, loaded.duplicates = newest_per_call(records)
    for record in unique:
        if since is not None:
            start = payload_time(record.payload.get("start_time"), tz)
            if start is None or start < since:
                loaded.outside_window += 1
                continue
        loaded.records.append(record)
    return loaded
