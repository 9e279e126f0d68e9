"""Logging set-up for the entry point. Modules only call `logging.getLogger(__name__)`.

Task lines carry `call_id` and `outcome` through `extra=task(...)`, so every line about a
task says which call it was and what happened, in text or JSON form.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

import orjson

_FIELDS = ("stage", "call_id", "outcome")


def task(call_id: str, outcome: str) -> dict[str, str]:
    """`extra=` for a task transition line: `log.info("...", extra=task(cid, "done"))`."""
    return {"call_id": call_id, "outcome": outcome}


class _StageFilter(logging.Filter):
    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage

    def filter(self, record: logging.LogRecord) -> bool:
        record.stage = self.stage
        for name in ("call_id", "outcome"):
            if not hasattr(record, name):
                setattr(record, name, "-")
        return True


class _TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(stage)s %(levelname)s %(call_id)s %(outcome)s %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        t = time.localtime(record.created)
        return time.strftime("%Y-%m-%d %H:%M:%S", t) + f".{int(record.msecs):03d}"


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": record.created,
            "level": record.levelname,
            "stage": record.stage,  # type: ignore[attr-defined]
            "call_id": record.call_id,  # type: ignore[attr-defined]
            "outcome": record.outcome,  # type: ignore[attr-defined]
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            doc["error"] = self.formatException(record.exc_info)
        return orjson.dumps(doc).decode()


def configure(stage: str, fmt: str = "text", level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send every log line to `stream` (stdout), one line per event, tagged with the stage name."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.addFilter(_StageFilter(stage))
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("watchdog", "urllib3", "waitress", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
