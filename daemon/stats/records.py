"""Reading result files for `stats`: every result the pipeline holds, one per call.

Results sit in four places while they live: results/ (waiting), delivering/ (in flight, as
NAME@OWNER), deferred/results/ (waiting for a retry) and done/results/ (delivered). A replay
or a re-processed transcript can leave two results for one call; the newest `processed_at`
wins, so every call counts once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any

import orjson

from daemon.queue import is_ignored_name
from daemon.stats.times import epoch_of, payload_time

# Upstream first: a file that moves while we scan is then seen again downstream (and
# de-duplicated) rather than missed.
RESULT_FOLDERS = ("results", "delivering", "deferred/results", "done/results")


@dataclass(frozen=True)
class ResultRecord:
    path: Path
    payload: dict[str, Any]
    processed_at: float | None
    call_key: str  # what identifies the call: payload call_ref_id, else id, else the file name


@dataclass
class LoadedResults:
    records: list[ResultRecord] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    duplicates: int = 0
    outside_window: int = 0


def parse_result(path: Path, raw: bytes, tz: tzinfo) -> ResultRecord:
    """One result file's bytes as a record. Raises ValueError saying what is wrong."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    payload = doc.get("payload") if isinstance(doc, dict) else None
    if not isinstance(payload, dict):
        raise ValueError("no payload object")
    key = payload.get("call_ref_id") or payload.get("id")
    name = path.name.split("@", 1)[0]  # delivering/ names carry @OWNER
    return ResultRecord(
        path=path,
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


def _result_files(data_dir: Path, folders: Iterable[str]) -> Iterable[Path]:
    for folder in folders:
        try:
            with os.scandir(data_dir / folder) as it:
                entries = [e for e in it if not is_ignored_name(e.name) and e.is_file(follow_symlinks=False)]
        except FileNotFoundError:
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            yield Path(entry.path)


def load_results(
    data_dir: Path, tz: tzinfo, *, since: float | None = None, folders: Iterable[str] = RESULT_FOLDERS
) -> LoadedResults:
    """Every readable result, one per call, started at or after `since` (payload start_time)."""
    loaded = LoadedResults()
    records = []
    for path in _result_files(data_dir, folders):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            continue  # moved on by the delivery stage while we looked; seen downstream
        except OSError as exc:
            loaded.unreadable.append((path, exc.strerror or str(exc)))
            continue
        try:
            records.append(parse_result(path, raw, tz))
        except ValueError as exc:
            loaded.unreadable.append((path, str(exc)))
    unique, loaded.duplicates = newest_per_call(records)
    for record in unique:
        if since is not None:
            start = payload_time(record.payload.get("start_time"), tz)
            if start is None or start < since:
                loaded.outside_window += 1
                continue
        loaded.records.append(record)
    return loaded
