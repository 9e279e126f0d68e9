"""What commands print for a person: aligned tables, ages, and text safe for a terminal.

Task names, reasons and payload values come from outside: a body can hold escape sequences
that would retitle or clear an operator's terminal. Everything printed goes through
`terminal_text` or `terminal_json`, which show such characters instead of sending them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from daemon.logs import escape_controls


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


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    """Columns two spaces apart; `align` has an l or r per column (default: first l, the rest r)."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    align = align or "l" + "r" * (len(widths) - 1)

    def line(cells: Sequence[str]) -> str:
        parts = [str(c).ljust(w) if a == "l" else str(c).rjust(w) for c, w, a in zip(cells, widths, align, strict=True)]
        return ("  " + "  ".join(parts)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def terminal_text(text: str) -> str:
    """Multi-line text for a terminal: line breaks kept, every other control character escaped."""
    return "\n".join(escape_controls(line) for line in text.split("\n"))


_C1 = re.compile(r"[\x80-\x9f]")


def terminal_json(doc: Any) -> str:
    """Indented JSON for a terminal. JSON escapes C0 controls itself; C1 ones (an 8-bit CSI
    can drive a terminal) are escaped here too, which keeps it valid JSON."""
    text = orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode()
    return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"
