"""`python -m daemon analyze FILE [FILE ...]`: the payload of each transcript file, one compact JSON line per
file in argument order. A bad file prints {"error": "<reason>", "file": "<path>"} on its line instead, and
the exit status is then 1. Nothing else is written to stdout, so the output can be piped into jq."""

from __future__ import annotations

import argparse
import sys

import orjson

from daemon.config import Config

EX_BAD_FILE = 1
EX_CATALOG = 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="print the SingleInterface payload of transcript files (either form)")
    p.add_argument("files", nargs="+", metavar="FILE", help="transcript JSON files: native or a Bolna execution")
    p.set_defaults(func=main)


def main(args: argparse.Namespace, cfg: Config) -> int:
    from analysis import AnalysisSettings, Analyzer, BadTranscript, analyze_bytes

    try:
        analyzer = Analyzer(AnalysisSettings.from_config(cfg))
    except (OSError, ValueError) as exc:
        print(f"cannot load the analysis data (MODEL_CATALOG, ANALYSIS_PHRASES): {exc}", file=sys.stderr)
        return EX_CATALOG
    out = sys.stdout.buffer
    status = 0
    for path in args.files:
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
            line = orjson.dumps(analyze_bytes(raw, analyzer).payload)
        except OSError as exc:
            line, status = _error(f"cannot read the file: {exc.strerror or exc}", path), EX_BAD_FILE
        except BadTranscript as exc:
            line, status = _error(str(exc), path), EX_BAD_FILE
        out.write(line + b"\n")
    out.flush()
    return status


def _error(reason: str, path: str) -> bytes:
    return orjson.dumps({"error": reason, "file": path})
