"""Reading the times that results carry, and the `--since` argument. Pure: no clock, no files."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from daemon.clock import iso_epoch

_PAYLOAD_FORMAT = "%Y-%m-%d %H:%M:%S"
_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d|w)")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_EPOCH_MS_ABOVE = 10**11  # the analysis spec's rule: larger epoch numbers are milliseconds


def payload_time(value: object, tz: tzinfo) -> float | None:
    """Epoch seconds of a payload time ("YYYY-MM-DD HH:mm:ss", local to TIMEZONE), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, _PAYLOAD_FORMAT).replace(tzinfo=tz).timestamp()
    except ValueError:
        return None


def epoch_of(value: object, tz: tzinfo) -> float | None:
    """Epoch seconds of a `processed_at`-style value: epoch seconds or ms, or ISO 8601 text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) / 1000 if value > _EPOCH_MS_ABOVE else float(value)
    if not isinstance(value, str) or not value:
        return None
    return iso_epoch(value, tz)


def parse_since(text: str, now: float, tz: tzinfo) -> float:
    """`--since`: a duration back from now (90m, 24h, 7d, 2w) or an ISO date or date-time.

    A date or time without a zone is read in TIMEZONE. Raises ValueError with a usable message.
    """
    raw = text.strip()
    relative = _RELATIVE.fullmatch(raw)
    if relative:
        return now - float(relative[1]) * _UNIT_SECONDS[relative[2]]
    since = epoch_of(raw, tz)
    if since is None:
        raise ValueError(
            f"--since {text!r}: use a duration like 24h or 7d, or a date/time like 2025-10-02 or 2025-10-02T14:00"
        )
    return since
