"""`python -m daemon run [STAGE ...]`: stages in the foreground until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse

from daemon import logs
from daemon.config import Config
from daemon.runner import Child, run_one, stage_argv, supervise


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the named stages (all when none are named)")
    p.add_argument("stages", nargs="*", metavar="STAGE", help="dialer, intake, processor, delivery")
    p.set_defaults(func=main)


def main(args: argparse.Namespace, cfg: Config) -> int:
    table = args.stage_table
    names = args.stages or list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        print(f"unknown stage(s): {', '.join(unknown)}; stages are: {', '.join(table)}")
        return 2
    if len(names) == 1:
        logs.configure(names[0], cfg.log_format, cfg.log_level, log_pii=cfg.log_pii)
        return run_one(table[names[0]](), cfg)
    logs.configure("supervisor", cfg.log_format, cfg.log_level, log_pii=cfg.log_pii)
    return supervise([Child(n, stage_argv(n)) for n in names])
