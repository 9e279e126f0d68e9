"""`python -m daemon status [--json] [--expect STAGE ...]`: queues, dead letters and stage liveness.

Usable as a monitoring check. The exit status is 1 when
- a stage is stalled (its heartbeat is older than 3 x HEARTBEAT_SECONDS while its process
  still runs: stuck in a task) or dead (its process is gone but left its heartbeat: it crashed
  or was killed);
- a queue's oldest waiting task is older than STATUS_MAX_QUEUE_AGE;
- a stage named with --expect is not running;
- the data folder does not exist;
and 0 otherwise. A stage without a heartbeat file is "not running": that is also how a stage
stopped on purpose looks, so it fails the check only when --expect names it.

Read-only: status never creates, moves or deletes anything.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from daemon.config import Config
from daemon.logs import terminal_json, terminal_text

EX_UNHEALTHY = 1
STALE_BEATS = 3  # a heartbeat older than this many intervals is stale


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "status",
        help="queue depths and ages, dead letters, stage liveness; exit 1 when unhealthy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="print one machine-readable JSON document")
    p.add_argument(
        "--expect",
        nargs="+",
        metavar="STAGE",
        default=[],
        help="stages that must be running (or 'all'); a missing one makes the check fail",
    )
    p.set_defaults(func=main)


# -- reading the data folder (I/O) ----------------------------------------------------------


@dataclass(frozen=True)
class FolderScan:
    depth: int
    oldest: float | None  # the earliest mtime, when asked for
    owners: tuple[str, ...] = ()  # claim owners of NAME@OWNER entries (active folders)


@dataclass(frozen=True)
class BeatFile:
    stage: str
    pid: int | None
    owner: str
    started_at: float | None
    beat_at: float
    processed: int | None
    failed: int | None
    last_error: dict[str, Any] | None


@dataclass(frozen=True)
class Snapshot:
    now: float
    data_dir: Path
    exists: bool
    folders: dict[str, FolderScan]
    heartbeats: list[BeatFile]


def scan_folder(path: Path, *, ages: bool = True, skip_reasons: bool = False) -> FolderScan:
    from daemon.queue import is_ignored_name

    depth, oldest, owners = 0, None, []
    try:
        with os.scandir(path) as it:
            for entry in it:
                if is_ignored_name(entry.name) or (skip_reasons and entry.name.endswith(".reason")):
                    continue
                depth += 1
                if "@" in entry.name:
                    owners.append(entry.name.rpartition("@")[2])
                if ages:
                    try:
                        mtime = entry.stat(follow_symlinks=False).st_mtime
                    except FileNotFoundError:
                        continue  # claimed or moved while we looked
                    oldest = mtime if oldest is None else min(oldest, mtime)
    except FileNotFoundError:
        pass
    return FolderScan(depth, oldest, tuple(owners))


def _subfolders(path: Path) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(path) if e.is_dir(follow_symlinks=False))
    except FileNotFoundError:
        return []


def read_heartbeats(folder: Path) -> list[BeatFile]:
    """Every state/heartbeats/<stage>.<pid> file; a garbled one still counts, by name and mtime."""
    import orjson

    beats = []
    for path in sorted(folder.glob("*.*")):
        if path.name.startswith("."):
            continue  # the runner's temp file, renamed into place in a moment
        try:
            mtime = path.stat().st_mtime
            raw = path.read_bytes()
        except OSError:
            continue  # its stage stopped (and removed it) while we looked
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            doc = {}
        if not isinstance(doc, dict):
            doc = {}
        stage, _, pid = path.name.rpartition(".")
        error = doc.get("last_error")
        beats.append(
            BeatFile(
                stage=str(doc.get("stage") or stage),
                pid=doc.get("pid") if isinstance(doc.get("pid"), int) else (int(pid) if pid.isdigit() else None),
                owner=str(doc.get("owner") or ""),
                started_at=_number(doc.get("started_at")),
                beat_at=_number(doc.get("beat_at")) or mtime,
                processed=doc.get("processed") if isinstance(doc.get("processed"), int) else None,
                failed=doc.get("failed") if isinstance(doc.get("failed"), int) else None,
                last_error=error if isinstance(error, dict) else None,
            )
        )
    return beats


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def take_snapshot(data_dir: Path, now: float) -> Snapshot:
    from daemon.layout import QUEUES

    folders: dict[str, FolderScan] = {}
    for inbox, active, done in QUEUES.values():
        folders[inbox] = scan_folder(data_dir / inbox)
        folders[active] = scan_folder(data_dir / active)
        folders[done] = scan_folder(data_dir / done, ages=False)
    for queue in _subfolders(data_dir / "deferred"):
        folders[f"deferred/{queue}"] = scan_folder(data_dir / "deferred" / queue)
    for queue in _subfolders(data_dir / "dead"):
        folders[f"dead/{queue}"] = scan_folder(data_dir / "dead" / queue, ages=False, skip_reasons=True)
    heartbeats = read_heartbeats(data_dir / "state" / "heartbeats")
    return Snapshot(now, data_dir, data_dir.is_dir(), folders, heartbeats)


# -- judging it (pure) ------------------------------------------------------------------------


def _age(now: float, then: float | None) -> float | None:
    return None if then is None else max(0.0, now - then)


def evaluate(
    snap: Snapshot,
    *,
    queues: dict[str, tuple[str, str, str]],
    stages: Iterable[str],
    expect: Iterable[str],
    heartbeat_seconds: float,
    max_queue_age: float,
    owner_alive: Callable[[str], bool],
) -> dict[str, Any]:
    """The status document; `healthy` and `problems` are what the exit status reports."""
    problems: list[str] = []
    if not snap.exists:
        problems.append(f"data folder {snap.data_dir} does not exist")
    empty = FolderScan(0, None)
    queue_docs = {}
    for name, (inbox, active, done) in queues.items():
        waiting, claimed = snap.folders.get(inbox, empty), snap.folders.get(active, empty)
        deferred = snap.folders.get(f"deferred/{name}", empty)
        oldest_age = _age(snap.now, waiting.oldest)
        stale = oldest_age is not None and oldest_age > max_queue_age
        if stale:
            problems.append(
                f"{inbox}/: the oldest waiting task is {fmt_age(oldest_age)} old "
                f"(STATUS_MAX_QUEUE_AGE is {fmt_age(max_queue_age)})"
            )
        queue_docs[name] = {
            "waiting": waiting.depth,
            "oldest_age": oldest_age,
            "stale": stale,
            "in_flight": claimed.depth,
            "orphaned": sum(1 for owner in claimed.owners if not owner_alive(owner)),
            "deferred": deferred.depth,
            "next_retry_in": None if deferred.oldest is None else max(0.0, deferred.oldest - snap.now),
            "dead": snap.folders.get(f"dead/{name}", empty).depth,
            "done": snap.folders.get(done, empty).depth,
        }

    expected = set(expect)
    by_stage: dict[str, list[BeatFile]] = {name: [] for name in stages}
    for beat in snap.heartbeats:
        by_stage.setdefault(beat.stage, []).append(beat)
    limit = STALE_BEATS * heartbeat_seconds
    stage_docs = {}
    for name, beats in by_stage.items():
        instances = []
        for beat in beats:
            beat_age = _age(snap.now, beat.beat_at) or 0.0
            alive = bool(beat.owner) and owner_alive(beat.owner)
            state = "dead" if not alive else "stalled" if beat_age > limit else "alive"
            instances.append(
                {
                    "pid": beat.pid,
                    "owner": beat.owner,
                    "state": state,
                    "beat_age": beat_age,
                    "uptime": _age(snap.now, beat.started_at),
                    "processed": beat.processed,
                    "failed": beat.failed,
                    "last_error": beat.last_error,
                }
            )
        states = {i["state"] for i in instances}
        state = next((s for s in ("alive", "stalled", "dead") if s in states), "not running")
        pids = ", ".join(str(i["pid"]) for i in instances if i["state"] == state)
        if state == "stalled":
            age = min(i["beat_age"] for i in instances if i["state"] == "stalled")
            problems.append(
                f"{name}: stalled, heartbeat {fmt_age(age)} old (limit {fmt_age(limit)}) while pid {pids} "
                "still runs: stuck in a task?"
            )
        elif state == "dead":
            problems.append(f"{name}: dead, pid {pids} exited without removing its heartbeat (crashed or killed)")
        elif state == "not running" and name in expected:
            problems.append(f"{name}: not running, and --expect requires it")
        errors = [i["last_error"] for i in instances if i["last_error"]]
        stage_docs[name] = {
            "state": state,
            "expected": name in expected,
            "instances": instances,
            "last_error": max(errors, key=lambda e: _number(e.get("time")) or 0.0) if errors else None,
        }

    return {
        "time": snap.now,
        "data_dir": str(snap.data_dir),
        "healthy": not problems,
        "problems": problems,
        "queues": queue_docs,
        "dead_letters": {k.split("/", 1)[1]: v.depth for k, v in snap.folders.items() if k.startswith("dead/")},
        "folders": {k: v.depth for k, v in snap.folders.items()},
        "stages": stage_docs,
    }


# -- showing it ---------------------------------------------------------------------------------


def fmt_age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def _error_line(error: dict[str, Any] | None, tz: tzinfo) -> str:
    if not error:
        return "-"
    when = _number(error.get("time"))
    stamp = datetime.fromtimestamp(when, tz).strftime("%m-%d %H:%M:%S") if when else "?"
    message = " ".join(str(error.get("message", "")).split())
    return f"{stamp} {error.get('call_id', '-')} {message[:80]}"


def render_text(doc: dict[str, Any], tz: tzinfo) -> str:
    from daemon.stats.text import table

    stamp = datetime.fromtimestamp(doc["time"], tz).strftime("%Y-%m-%d %H:%M:%S %z")
    out = [f"callpipe status, data {doc['data_dir']}, {stamp}", ""]
    rows = [
        [
            name,
            str(q["waiting"]),
            fmt_age(q["oldest_age"]) + (" !" if q["stale"] else ""),
            str(q["in_flight"]),
            str(q["orphaned"]),
            str(q["deferred"]),
            fmt_age(q["next_retry_in"]),
            str(q["dead"]),
            str(q["done"]),
        ]
        for name, q in doc["queues"].items()
    ]
    for name, count in doc["dead_letters"].items():
        if name not in doc["queues"]:
            rows.append([name, "-", "-", "-", "-", "-", "-", str(count), "-"])
    headers = ["queue", "waiting", "oldest", "in flight", "orphaned", "deferred", "next retry", "dead", "done"]
    out += table(headers, rows)
    out.append("")
    rows = []
    for name, s in doc["stages"].items():
        live = [i for i in s["instances"] if i["state"] == s["state"]]
        rows.append(
            [
                name,
                s["state"] + (" (expected)" if s["expected"] and s["state"] == "not running" else ""),
                ",".join(str(i["pid"]) for i in live) or "-",
                min((fmt_age(i["beat_age"]) for i in live), default="-"),
                str(sum(i["processed"] or 0 for i in live)) if live else "-",
                str(sum(i["failed"] or 0 for i in live)) if live else "-",
                _error_line(s["last_error"], tz),
            ]
        )
    out += table(["stage", "state", "pid", "beat", "processed", "failed", "last error"], rows, "lllrrrl")
    out.append("")
    out += [f"problem: {p}" for p in doc["problems"]]
    out.append("status: OK" if doc["healthy"] else f"status: UNHEALTHY ({len(doc['problems'])} problems)")
    return "\n".join(out) + "\n"


def main(args: argparse.Namespace, cfg: Config) -> int:

    from daemon.fsutil import owner_alive
    from daemon.layout import QUEUES
    from stages import STAGES

    expect = list(STAGES) if "all" in args.expect else args.expect
    unknown = sorted(set(expect) - set(STAGES))
    if unknown:
        print(f"--expect: unknown stage(s) {', '.join(unknown)}; stages are: {', '.join(STAGES)}", file=sys.stderr)
        return 2
    snap = take_snapshot(cfg.data_dir, time.time())
    doc = evaluate(
        snap,
        queues=QUEUES,
        stages=STAGES,
        expect=expect,
        heartbeat_seconds=cfg.heartbeat_seconds,
        max_queue_age=cfg.status_max_queue_age,
        owner_alive=owner_alive,
    )
    if args.json:
        sys.stdout.write(terminal_json(doc))
    else:
        sys.stdout.write(terminal_text(render_text(doc, cfg.tz)))
    return 0 if doc["healthy"] else EX_UNHEALTHY
