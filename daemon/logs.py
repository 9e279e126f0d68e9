"""Logging set-up for the entry point. Modules only call `logging.getLogger(__name__)`.

Task lines carry `call_id` and `outcome` through `extra=task(...)`, so every line about a
task says which call it was and what happened, in text or JSON form.

Two guarantees hold for every line, whatever a module passes in:
- **One event, one line.** Control characters in a message (a webhook's status holding a
  newline, say) are escaped in the text format, so input can never forge a log line. A
  traceback's own lines are indented under the line they belong to.
- **No personal data by default.** Names, emails, phone numbers and summaries are logged only
  with LOG_PII=true, a debugging switch. Modules wrap such values in `pii(...)`; as a safety
  net, the formatter also masks anything shaped like an email address or a phone number
  in a message when the switch is off.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any, TextIO

import orjson

_FIELDS = ("stage", "call_id", "outcome")
HIDDEN = "[pii]"

_log_pii = False
# Control characters other than tab: C0, DEL and C1 (a C1 CSI can drive a terminal too).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
# E.164 (+ and 10-15 digits, maybe spaced), and bare Indian mobile numbers. Word boundaries
# keep long call ids (17 digits) and uuids intact.
_PHONE = re.compile(r"(?<![\w-])(?:\+\d[\d -]{8,17}\d|[6-9]\d{9})(?![\w-])")


def task(call_id: str, outcome: str) -> dict[str, str]:
    """`extra=` for a task transition line: `log.info("...", extra=task(cid, "done"))`."""
    return {"call_id": call_id, "outcome": outcome}


class _Pii:
    """A personal value in a log call: shown only while LOG_PII is on (decided at format time)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        return str(self.value) if _log_pii else HIDDEN

    __repr__ = __str__


def pii(value: Any) -> Any:
    """Wrap a name, email, phone number or summary passed to a log call."""
    return _Pii(value)


def pii_enabled() -> bool:
    return _log_pii


def escape_controls(text: str) -> str:
    r"""Control characters as visible escapes (\n, \x1b ...): one line, and nothing a terminal obeys."""
    return _CONTROL.sub(_escape, text)


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    return {"\n": "\\n", "\r": "\\r"}.get(c, f"\\x{ord(c):02x}")


def mask_personal(text: str) -> str:
    """Email addresses and phone numbers hidden: the net under explicit `pii(...)` wrapping."""
    return _PHONE.sub(HIDDEN, _EMAIL.sub(HIDDEN, text))


def _message(record: logging.LogRecord) -> str:
    message = record.getMessage()
    return message if _log_pii else mask_personal(message)


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
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created)) + f".{int(record.msecs):03d}"
        fields = [escape_controls(str(getattr(record, name))) for name in _FIELDS]
        line = f"{stamp} {fields[0]} {record.levelname} {fields[1]} {fields[2]} {escape_controls(_message(record))}"
        if record.exc_info:
            trace = self.formatException(record.exc_info)
            if not _log_pii:
                trace = mask_personal(trace)
            # Indented, so no line of a traceback can pass for a log line of its own.
            line += "".join("\n    " + escape_controls(part) for part in trace.splitlines())
        return line


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": record.created,
            "level": record.levelname,
            "stage": record.stage,  # type: ignore[attr-defined]
            "call_id": record.call_id,  # type: ignore[attr-defined]
            "outcome": record.outcome,  # type: ignore[attr-defined]
            "logger": record.name,
            "message": _message(record),
        }
        if record.exc_info:
            trace = self.formatException(record.exc_info)
            doc["error"] = trace if _log_pii else mask_personal(trace)
        return orjson.dumps(doc).decode()


def configure(
    stage: str, fmt: str = "text", level: str = "INFO", stream: TextIO | None = None, *, log_pii: bool = False
) -> None:
    """Send every log line to `stream` (stdout), one line per event, tagged with the stage name."""
    global _log_pii
    _log_pii = log_pii
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
