"""Timestamps in every shape the spec accepts, and the one shape the payload writes.

Accepted: "YYYY-MM-DD HH:mm[:ss[.fff]]", the same with "T", either with or without a zone ("Z", "+05:30",
"+0530"), and epoch seconds or milliseconds as a number or a string of digits (above 10^11 counts as
milliseconds). A value without a zone is read in the zone the caller names.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, tzinfo

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLIS_ABOVE = 10**11
_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<clock>\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<frac>\d+))?"
    r"\s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
_EPOCH_TEXT = re.compile(r"-?\d+(?:\.\d+)?")


def parse_timestamp(value: object, naive_zone: tzinfo) -> datetime | None:
    """An aware datetime, or None when `value` is not a timestamp this module can read."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) == 19 and text[10] == " " and text[4] == "-":  # the usual "YYYY-MM-DD HH:mm:ss", fast
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return _representable(moment if moment.tzinfo else moment.replace(tzinfo=naive_zone))
    if _EPOCH_TEXT.fullmatch(text):
        return _from_epoch(float(text) if "." in text else int(text))
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    frac = (match["frac"] or "")[:6]
    zone = match["zone"] or ""
    if zone in ("z", "Z"):
        zone = "+00:00"
    iso = f"{match['date']}T{match['clock']}{'.' + frac.ljust(6, '0') if frac else ''}{zone}"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=naive_zone)
    return _representable(moment)


def format_local(moment: datetime, zone: tzinfo) -> str:
    """The payload's shape, "YYYY-MM-DD HH:mm:ss" in `zone`; fractions are dropped, never rounded up."""
    return moment.astimezone(zone).isoformat(" ", "seconds")[:19]


def whole_seconds(start: datetime, end: datetime) -> int:
    """Floor of the exact difference, never negative."""
    return max(0, (end - start) // timedelta(seconds=1))


def _from_epoch(number: float) -> datetime | None:
    if isinstance(number, float) and not math.isfinite(number):
        return None
    try:
        if number > _MILLIS_ABOVE:
            moment = _EPOCH + timedelta(milliseconds=number)
        else:
            moment = _EPOCH + timedelta(seconds=number)
    except OverflowError:
        return None
    return moment if 1 < moment.year < 9999 else None


def _representable(moment: datetime) -> datetime | None:
    """The moment, or None when it lies so near year 1 or 9999 that a zone shift would overflow."""
    if 2 < moment.year < 9998:  # a zone is less than a day from UTC: no shift can overflow (the usual case)
        return moment
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return utc if 1 < utc.year < 9999 else None
