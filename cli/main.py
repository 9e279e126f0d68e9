"""`python -m daemon COMMAND ...`: the one entry point. It alone configures logging.

The stage table comes from the composition root (daemon/__main__.py); in-process callers
(tests) get the application's own table by default.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from cli.commands import COMMANDS
from daemon import logs
from daemon.config import ConfigError, load_config
from daemon.fsutil import PRIVATE_UMASK
from daemon.runner import StageTable
from daemon.signals import early, restore_defaults

EX_USAGE = 2
EX_CONFIG = 78
_SERVICES = {"run", "demo", "sink", "simulate"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m daemon",
        description="callpipe: a pipeline for voice-agent call operations (dial, track, analyse, deliver).",
    )
    parser.add_argument("--env-file", default=".env", help="settings file read before the environment (default .env)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"cli.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None, stages: StageTable | None = None) -> int:
    if stages is None:
        from stages import STAGES as stages  # noqa: N811 - the application's own table

    parser = build_parser()
    args = parser.parse_args(argv)
    args.stage_table = stages
    # Everything callpipe writes holds personal data: private to its user, whatever the
    # shell's umask (files 0600, folders 0700).
    os.umask(PRIVATE_UMASK)
    try:
        cfg = load_config(env_file=args.env_file)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"config error: {line}", file=sys.stderr)
        return EX_CONFIG
    if args.command not in _SERVICES:
        if early():
            return 130  # interrupted while starting up
        restore_defaults()
    stage = getattr(args, "log_stage", None) or args.command
    # Services log to stdout (what supervisord and pm2 capture); commands that print data keep
    # stdout for the data and log to stderr.
    stream = sys.stdout if args.command in _SERVICES else sys.stderr
    logs.configure(stage, cfg.log_format, cfg.log_level, stream, log_pii=cfg.log_pii)
    return int(args.func(args, cfg) or 0)
