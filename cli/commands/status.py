"""`python -m daemon status [--json] [--expect STAGE ...]`: queues, dead letters and stage liveness.

Usable as a monitoring check. The exit status is 1 when
- any stage instance is stalled (its heartbeat is older than 3 x HEARTBEAT_SECONDS while its
  process still runs) or dead (its process is gone but left its heartbeat: it crashed or was
  killed), even when a sibling of the same stage is alive;
- a stage reports an environment problem (a full disk, a folder it cannot write), or holds
  one task longer than STATUS_MAX_TASK_AGE;
- a queue's oldest waiting task is older than STATUS_MAX_QUEUE_AGE;
- a stage named with --expect is not running;
- the broker reports a problem of its own (a missing data folder, a full disk, a lost node);
and 0 otherwise. A stage without a heartbeat is "not running": that is also how a stage
stopped on purpose looks, so it fails the check only when --expect names it.

Read-only: status never creates, moves or deletes anything. It reads the queues through the
broker's registry, whatever the backend.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from cli.output import fmt_age, table, terminal_json, terminal_text
from daemon.broker import Broker, QueueSummary, UnavailableError
from daemon.brokers import open_broker
from daemon.config import Config
from daemon.fsutil import owner_alive
from daemon.heartbeat import BeatFile, number, read_heartbeats

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


@dataclass(frozen=True)
class Snapshot:
    now: float
    data_dir: Path
    broker_problems: list[str]
    queues: dict[str, QueueSummary]
    heartbeats: list[BeatFile]
    broker: dict[str, Any] = field(default_factory=dict)  # nodes, consumers ... (Broker.describe)


@dataclass(frozen=True)
class Limits:
    heartbeat_seconds: float
    max_queue_age: float
    max_task_age: float


def take_snapshot(broker: Broker, data_dir: Path, now: float) -> Snapshot:
    registry = broker.registry
    problems = broker.health()
    try:
        queues = {str(queue): registry.summary(queue) for queue in registry.queues()}
    except UnavailableError as exc:  # a server that is gone: say so, and still show the stages
        queues = {}
        if exc.problem not in problems:
            problems.append(exc.problem)
    return Snapshot(
        now=now,
        data_dir=data_dir,
        broker_problems=problems,
        queues=queues,
        heartbeats=read_heartbeats(data_dir),
        broker=broker.describe(),
    )


# -- judging it (pure) ------------------------------------------------------------------------


def _age(now: float, then: float | None) -> float | None:
    return None if then is None else max(0.0, now - then)


def evaluate(
    snap: Snapshot,
    *,
    stages: Iterable[str],
    expect: Iterable[str],
    limits: Limits,
    process_alive: Callable[[str], bool],
) -> dict[str, Any]:
    """The status document; `healthy` and `problems` are what the exit status reports."""
    problems = list(snap.broker_problems)
    notes: list[str] = []
    queue_docs = {}
    for name, q in snap.queues.items():
        oldest_age = _age(snap.now, q.oldest_waiting)
        stale = oldest_age is not None and oldest_age > limits.max_queue_age
        if stale:
            problems.append(
                f"{name}: the oldest waiting task is {fmt_age(oldest_age)} old "
                f"(STATUS_MAX_QUEUE_AGE is {fmt_age(limits.max_queue_age)})"
            )
        notes += [f"{line}: not a task; left for the stage to set aside" for line in q.stray]
        queue_docs[name] = {
            "waiting": q.waiting,
            "oldest_age": oldest_age,
            "stale": stale,
            "in_flight": q.active,
            "orphaned": q.orphaned,
            "deferred": q.deferred,
            "next_retry_in": None if q.next_due is None else max(0.0, q.next_due - snap.now),
            "dead": q.dead,
            "done": q.done,
            "stray": list(q.stray),
        }
    stage_docs = _stages(snap, stages, set(expect), limits, process_alive, problems)
    return {
        "time": snap.now,
        "data_dir": str(snap.data_dir),
        "healthy": not problems,
        "problems": problems,
        "notes": notes,
        "queues": queue_docs,
        "dead_letters": {name: q.dead for name, q in snap.queues.items()},
        "stages": stage_docs,
        "broker": snap.broker,
    }


def _stages(
    snap: Snapshot,
    stages: Iterable[str],
    expected: set[str],
    limits: Limits,
    process_alive: Callable[[str], bool],
    problems: list[str],
) -> dict[str, Any]:
    by_stage: dict[str, list[BeatFile]] = {name: [] for name in stages}
    for beat in snap.heartbeats:
        by_stage.setdefault(beat.stage, []).append(beat)
    stale_after = STALE_BEATS * limits.heartbeat_seconds
    docs = {}
    for name, beats in by_stage.items():
        instances = [_instance(snap.now, beat, stale_after, process_alive) for beat in beats]
        for i in instances:
            problems += _instance_problems(name, i, stale_after, limits.max_task_age)
        states = {i["state"] for i in instances}
        state = next((s for s in ("alive", "stalled", "dead") if s in states), "not running")
        if state == "not running" and name in expected:
            problems.append(f"{name}: not running, and --expect requires it")
        errors = [i["last_error"] for i in instances if i["last_error"]]
        docs[name] = {
            "state": state,
            "expected": name in expected,
            "instances": instances,
            "last_error": max(errors, key=lambda e: number(e.get("time")) or 0.0) if errors else None,
        }
    return docs


def _instance(now: float, beat: BeatFile, stale_after: float, process_alive: Callable[[str], bool]) -> dict[str, Any]:
    beat_age = _age(now, beat.beat_at) or 0.0
    alive = bool(beat.owner) and process_alive(beat.owner)
    task = beat.task or None
    return {
        "pid": beat.pid,
        "owner": beat.owner,
        "state": "dead" if not alive else "stalled" if beat_age > stale_after else "alive",
        "beat_age": beat_age,
        "uptime": _age(now, beat.started_at),
        "processed": beat.processed,
        "failed": beat.failed,
        "last_error": beat.last_error,
        "problem": beat.problem,
        "task": task,
        "task_age": _age(now, number(task.get("since"))) if task else None,
    }


def _instance_problems(name: str, i: dict[str, Any], stale_after: float, max_task_age: float) -> list[str]:
    who = f"{name} (pid {i['pid']})"
    found = []
    if i["state"] == "stalled":
        found.append(
            f"{who}: stalled, heartbeat {fmt_age(i['beat_age'])} old (limit {fmt_age(stale_after)}) while the "
            "process still runs: paused, or stuck"
        )
    elif i["state"] == "dead":
        found.append(f"{who}: dead, exited without removing its heartbeat (crashed or killed, not restarted)")
    if i["problem"] and i["state"] != "dead":
        found.append(f"{who}: {i['problem']}")
    elif i["problem"]:
        found.append(f"{who}: last problem before it died: {i['problem']}")
    if i["task_age"] is not None and i["task_age"] > max_task_age and i["state"] != "dead":
        task = i["task"]
        found.append(
            f"{who}: has held {task.get('name', '?')} for {fmt_age(i['task_age'])} "
            f"(STATUS_MAX_TASK_AGE is {fmt_age(max_task_age)})"
        )
    return found


# -- showing it ---------------------------------------------------------------------------------


def _error_line(error: Mapping[str, Any] | None, tz: tzinfo) -> str:
    if not error:
        return "-"
    when = number(error.get("time"))
    stamp = datetime.fromtimestamp(when, tz).strftime("%m-%d %H:%M:%S") if when else "?"
    message = " ".join(str(error.get("message", "")).split())
    return f"{stamp} {error.get('call_id', '-')} {message[:80]}"


def render_text(doc: dict[str, Any], tz: tzinfo) -> str:
    stamp = datetime.fromtimestamp(doc["time"], tz).strftime("%Y-%m-%d %H:%M:%S %z")
    out = [f"callpipe status, data {doc['data_dir']}, {stamp}", ""]
    rows = []
    for name, q in doc["queues"].items():
        if not any(q[k] for k in ("waiting", "in_flight", "deferred", "done")) and name == "intake":
            rows.append([name, "-", "-", "-", "-", "-", "-", str(q["dead"]), "-"])
            continue
        rows.append(
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
        )
    headers = ["queue", "waiting", "oldest", "in flight", "orphaned", "deferred", "next retry", "dead", "done"]
    out += table(headers, rows)
    out.append("")
    out += _broker_lines(doc.get("broker") or {})
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
    out += [f"note: {n}" for n in doc["notes"]]
    out += [f"problem: {p}" for p in doc["problems"]]
    out.append("status: OK" if doc["healthy"] else f"status: UNHEALTHY ({len(doc['problems'])} problems)")
    return "\n".join(out) + "\n"


def _broker_lines(broker: Mapping[str, Any]) -> list[str]:
    """Nodes and consumers, for a broker that has them (jetstream); nothing for folders."""
    if not broker.get("nodes"):
        return []
    nodes = ", ".join(f"{n['url']} {'up' if n['up'] else 'DOWN'}" for n in broker["nodes"])
    where = f"cluster {broker['cluster']}" if broker.get("cluster") else "single server"
    lines = [f"broker: {broker.get('backend', '?')}, {where}; nodes: {nodes}"]
    for name, s in (broker.get("streams") or {}).items():
        leader = s["leader"] or "NONE"
        lines.append(f"  stream {name}: {s['messages']} messages, {s['replicas']} replica(s), leader {leader}")
    for c in (broker.get("consumers") or {}).values():
        lines.append(
            f"  consumer {c['name']}: {c['held']} held, {c['redelivered']} redelivered, "
            f"last taken {fmt_age(c['last_taken_age'])} ago"
        )
    return [*lines, ""]


def main(args: argparse.Namespace, cfg: Config) -> int:
    names = list(args.stage_table)
    expect = names if "all" in args.expect else args.expect
    unknown = sorted(set(expect) - set(names))
    if unknown:
        print(f"--expect: unknown stage(s) {', '.join(unknown)}; stages are: {', '.join(names)}", file=sys.stderr)
        return 2
    with closing(open_broker(cfg)) as broker:
        snap = take_snapshot(broker, cfg.data_dir, time.time())
    limits = Limits(cfg.heartbeat_seconds, cfg.status_max_queue_age, cfg.status_max_task_age)
    doc = evaluate(snap, stages=names, expect=expect, limits=limits, process_alive=owner_alive)
    if args.json:
        sys.stdout.write(terminal_json(doc))
    else:
        sys.stdout.write(terminal_text(render_text(doc, cfg.tz)))
    return 0 if doc["healthy"] else EX_UNHEALTHY
