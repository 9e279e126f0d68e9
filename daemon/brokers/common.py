"""What every backend does alike, in one place: a publish that finds its name taken, bytes
that are no task, and the text of a dead letter's reason (which `dead-letter` reads back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from daemon.broker import SameTask
from daemon.logs import escape_controls


def is_same(waiting: bytes, body: bytes, same: SameTask | None) -> bool:
    return same(waiting) if same is not None else waiting == body


def parse_body(body: bytes, limit: int) -> tuple[Any, str | None]:
    """(the task's JSON, None), or (None, why it is no task) for a dead letter's reason."""
    if len(body) > limit:
        return None, f"file is {len(body)} bytes; the limit is MAX_TASK_BYTES={limit}"
    try:
        return orjson.loads(body), None
    except orjson.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc}"


def conflict_reason(name: str, queue: str) -> str:
    return (
        f"a different task named {name} already waits in {queue}; this one was kept here instead of "
        "replacing it (retry it once the other is done)"
    )


def parse_reason(text: str) -> dict[str, str]:
    """The "key: value" lines of a dead letter's reason; the first of each key counts. A
    bare line (as older versions wrote) is the reason itself."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key.isidentifier():
            found.setdefault(key, value)
        elif line.strip() and "reason" not in found:
            found["reason"] = line.strip()
    return found


def format_reason(fields_: Mapping[str, str]) -> str:
    """The reason file's text: one "key: value" line each, control characters kept out."""
    lines = []
    for key, value in fields_.items():
        flat = escape_controls(" ".join(str(value).split()))
        lines.append(f"{key}: {flat}")
    return "\n".join(lines) + "\n"
