"""`python -m daemon stats [--since T] [--json] [--html FILE]`: the seed's seven call metrics."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import closing
from datetime import datetime, tzinfo
from pathlib import Path

from cli.output import terminal_json, terminal_text
from cli.stats.compute import compute
from cli.stats.html import render_html
from cli.stats.records import load_results
from cli.stats.text import render_text, report_document
from cli.stats.times import parse_since
from daemon.brokers import open_broker
from daemon.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stats",
        help="completion, drop-off, attempts, language, routing, duration and response-time metrics",
        description="Metrics over every result the pipeline holds (waiting, in flight, waiting for a "
        "retry, delivered), one per call (the newest result of a call wins).",
    )
    p.add_argument(
        "--since",
        metavar="T",
        help="only calls that started at or after T: a duration back from now (24h, 7d) or an ISO "
        "date/time (2025-10-02, 2025-10-02T14:00), read in TIMEZONE",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    p.add_argument("--html", metavar="FILE", type=Path, help="also write a self-contained HTML report to FILE")
    p.set_defaults(func=main)


def main(args: argparse.Namespace, cfg: Config) -> int:
    now = time.time()
    tz = cfg.tz
    since = None
    if args.since:
        try:
            since = parse_since(args.since, now, tz)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
    with closing(open_broker(cfg)) as broker:
        loaded = load_results(broker.registry, tz, since=since)
    report = compute((r.payload for r in loaded.records), tz)
    window = "all calls" if since is None else "calls started since " + _local(since, tz)
    # Said in the report itself, where its reader looks (the log goes to stderr).
    notes = [f"left out {path}: {reason}" for path, reason in loaded.unreadable]

    if args.html:
        subtitle = f"{window} · data {cfg.data_dir} · generated {_local(now, tz)} ({cfg.timezone})"
        args.html.write_text(render_html(report, title="callpipe call analytics", subtitle=subtitle))
    if args.json:
        doc = report_document(
            report,
            since=since,
            duplicates=loaded.duplicates,
            unreadable=[{"file": str(p), "reason": r} for p, r in loaded.unreadable],
        )
        sys.stdout.write(terminal_json(doc))
    else:
        header = [f"callpipe stats: {window} (data {cfg.data_dir}, times in {cfg.timezone})", *notes]
        sys.stdout.write(terminal_text(render_text(report, header=header)))
        if args.html:
            sys.stdout.write(f"\nHTML report written to {args.html}\n")
    return 0


def _local(epoch: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(epoch, tz).strftime("%Y-%m-%d %H:%M:%S")
