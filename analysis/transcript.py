"""The two transcript forms (native and a Bolna execution body) read into one `Transcript`.

Only turns of the voice agent and the customer with some text exist for the analysis; every other message
counts for nothing, timing included. A turn is analysed up to its first MAX_MESSAGE_CHARS characters. Turns
without a usable timestamp get an estimated one: each run of them is spread over the time between its
neighbours (the call's start and end at the edges) in proportion to the text length, each turn's time being
the start of its share.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import NamedTuple

from analysis.errors import BadTranscript
from analysis.timeparse import parse_timestamp

AGENT = "agent"
CUSTOMER = "customer"
_SPEAKERS = {
    "assistant": AGENT,
    "agent": AGENT,
    "bot": AGENT,
    "user": CUSTOMER,
    "customer": CUSTOMER,
    "caller": CUSTOMER,
}
MAX_MESSAGE_CHARS = 2000
_CUT_SLACK = 100  # how far back from the cap a space may end the message instead
_CALL_REF_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")
# A Bolna transcript line "role: text". Roles the analysis ignores still start a new message.
_BOLNA_LINE = re.compile(r"\s*(assistant|agent|bot|user|customer|caller|system|tool|function)\s*:(.*)", re.I)
_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


class Turn(NamedTuple):
    speaker: str  # AGENT or CUSTOMER
    text: str
    time: datetime


@dataclass(frozen=True)
class Transcript:
    call_ref_id: str
    call_vendor: str
    recording_url: str
    start: datetime
    end: datetime
    turns: tuple[Turn, ...]
    timing_estimated: bool
    metadata: dict = field(default_factory=dict)


# Terminal Bolna statuses that intake turns into a transcript task although nobody spoke.
_NEVER_CONNECTED = frozenset(
    {"busy", "no-answer", "failed", "canceled", "stopped", "error", "balance-low", "completed"}
)


def _status(doc: dict) -> str:
    status = doc.get("status")
    return status if isinstance(status, str) else ""


def read_transcript(doc: object, zone: tzinfo, default_vendor: str) -> Transcript:
    """Either form, from the parsed JSON value. Raises BadTranscript with a readable reason."""
    if not isinstance(doc, dict):
        raise BadTranscript(f"a transcript must be a JSON object, not {_JSON_TYPES.get(type(doc), 'that')}")
    bolna_keys = "telephony_data" in doc or "agent_id" in doc
    if bolna_keys and isinstance(doc.get("transcript"), str):
        return _bolna(doc)
    if bolna_keys and doc.get("transcript") is None and _status(doc) in _NEVER_CONNECTED:
        return _bolna(doc)  # the call ended without a conversation: analysed as one with no messages
    if "call_ref_id" in doc:
        return _native(doc, zone, default_vendor)
    if bolna_keys:
        raise BadTranscript(
            f"Bolna execution body without a transcript (status {_shown(doc.get('status'))}); "
            "only a finished call can be analysed"
        )
    raise BadTranscript(
        "neither form: a native transcript needs call_ref_id and start_time, "
        "a Bolna execution body needs a transcript string and agent_id or telephony_data"
    )


def _native(doc: dict, zone: tzinfo, default_vendor: str) -> Transcript:
    call_ref_id = _call_ref_id(doc.get("call_ref_id"), "call_ref_id")
    if doc.get("start_time") is None:
        raise BadTranscript("start_time is missing")
    start = _required_time(doc.get("start_time"), zone, "start_time")
    messages = doc.get("messages")
    if messages is None:
        messages = []
    elif not isinstance(messages, list):
        raise BadTranscript(f"messages must be an array, not {_JSON_TYPES.get(type(messages), 'that')}")
    drafts = list(_native_drafts(messages, zone))
    end = parse_timestamp(doc.get("end_time"), zone)
    if end is None:
        end = next((time for _, _, time in reversed(drafts) if time is not None), start)
    turns, estimated = _place(drafts, start, end)
    vendor = doc.get("call_vendor")
    url = doc.get("recording_url")
    return Transcript(
        call_ref_id=call_ref_id,
        call_vendor=vendor if isinstance(vendor, str) and vendor.strip() else default_vendor,
        recording_url=url if isinstance(url, str) else "",
        start=start,
        end=end,
        turns=turns,
        timing_estimated=estimated,
        metadata=_metadata(doc.get("metadata")),
    )


def _native_drafts(messages: list, zone: tzinfo) -> Iterator[tuple[str, str, datetime | None]]:
    for message in messages:
        if not isinstance(message, dict):
            continue
        role, text = message.get("role"), message.get("text")
        speaker = _SPEAKERS.get(role.strip().lower()) if isinstance(role, str) else None
        if speaker is None or not isinstance(text, str):
            continue
        text = _capped(text)
        if text:
            yield speaker, text, parse_timestamp(message.get("timestamp"), zone)


def _bolna(doc: dict) -> Transcript:
    call_ref_id = _call_ref_id(doc.get("id"), "id")
    start = parse_timestamp(doc.get("initiated_at"), UTC) or parse_timestamp(doc.get("created_at"), UTC)
    if start is None:
        raise BadTranscript(
            f"Bolna execution has no readable initiated_at or created_at (got {_shown(doc.get('created_at'))})"
        )
    telephony = doc.get("telephony_data")
    telephony = telephony if isinstance(telephony, dict) else {}
    seconds = _positive_seconds(doc.get("conversation_duration")) or _positive_seconds(telephony.get("duration"))
    end = _later(start, seconds) if seconds else start
    drafts = [(speaker, text, None) for speaker, text in _bolna_lines(doc.get("transcript") or "")]
    turns, estimated = _place(drafts, start, end)
    url = telephony.get("recording_url")
    return Transcript(
        call_ref_id=call_ref_id,
        call_vendor="Bolna",
        recording_url=url if isinstance(url, str) else "",
        start=start,
        end=end,
        turns=turns,
        timing_estimated=estimated,
        metadata={},
    )


def _bolna_lines(transcript: str) -> Iterator[tuple[str, str]]:
    """(speaker, text) per message; a line without a role prefix continues the previous message."""
    speaker: str | None = None
    lines: list[str] = []
    for raw in transcript.splitlines():
        match = _BOLNA_LINE.match(raw)
        if match is None:
            if lines and raw.strip():
                lines.append(raw.strip())
            continue
        if lines and speaker is not None:
            yield from _joined(speaker, lines)
        speaker = _SPEAKERS.get(match[1].lower())
        lines = [match[2].strip()]
    if lines and speaker is not None:
        yield from _joined(speaker, lines)


def _joined(speaker: str, lines: list[str]) -> Iterator[tuple[str, str]]:
    text = _capped("\n".join(line for line in lines if line))
    if text:
        yield speaker, text


def _capped(text: str) -> str:
    """The message as analysed: stripped, and cut to MAX_MESSAGE_CHARS at a space when there is one near
    the cut. Nobody says more in one turn (2,000 characters is some three minutes of speech); the cap bounds
    the work one pathological message can cause, and the payload is computed from what fits."""
    text = text.strip()
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    cut = text.rfind(" ", MAX_MESSAGE_CHARS - _CUT_SLACK, MAX_MESSAGE_CHARS + 1)
    return text[: cut if cut > 0 else MAX_MESSAGE_CHARS].rstrip()


def _place(
    drafts: list[tuple[str, str, datetime | None]], start: datetime, end: datetime
) -> tuple[tuple[Turn, ...], bool]:
    """Give every turn a time, estimating the missing ones (module docstring)."""
    times = [time for _, _, time in drafts]
    lengths = [len(text) for _, text, _ in drafts]
    estimated = False
    i = 0
    while i < len(times):
        if times[i] is not None:
            i += 1
            continue
        j = i
        while j < len(times) and times[j] is None:
            j += 1
        anchored = i > 0
        left = times[i - 1] if anchored else start
        right = times[j] if j < len(times) else end
        span_us = max(0, (right - left) // timedelta(microseconds=1))
        done = lengths[i - 1] if anchored else 0
        total = done + sum(lengths[i:j])
        for k in range(i, j):
            times[k] = left + timedelta(microseconds=span_us * done // total)
            done += lengths[k]
        estimated = True
        i = j
    turns = tuple(Turn(speaker, text, time) for (speaker, text, _), time in zip(drafts, times, strict=True))
    return turns, estimated


def _call_ref_id(value: object, key: str) -> str:
    if isinstance(value, str) and _CALL_REF_ID.fullmatch(value):
        return value
    raise BadTranscript(
        f"{key} must be 1-128 characters of A-Z a-z 0-9 . _ - not starting with '.' (got {_shown(value)})"
    )


def _required_time(value: object, zone: tzinfo, key: str) -> datetime:
    moment = parse_timestamp(value, zone)
    if moment is None:
        raise BadTranscript(f"{key} is not a timestamp that can be read (got {_shown(value)})")
    return moment


def _positive_seconds(value: object) -> timedelta | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
        return timedelta(seconds=seconds) if seconds > 0 else None
    except (ValueError, OverflowError):
        return None


def _later(start: datetime, seconds: timedelta) -> datetime:
    """start + seconds, or start itself when a silly duration would leave the calendar."""
    try:
        end = start + seconds
    except OverflowError:
        return start
    return end if end.year < 9999 else start


def _metadata(value: object) -> dict:
    if value is None:
        return {}
    return value if isinstance(value, dict) else {"value": value}


def _shown(value: object, limit: int = 60) -> str:
    """A short, safe rendering of an offending value for a reason (no repr of a deep or huge container)."""
    if isinstance(value, dict | list):
        return _JSON_TYPES[type(value)]
    text = repr(value[: limit + 1] if isinstance(value, str) else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
