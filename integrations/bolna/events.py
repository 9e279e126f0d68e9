"""Reading a Bolna execution body (webhook or GET /executions/{id}): pure, no I/O.

The body is kept as Bolna sent it (it becomes the transcript task); this module only pulls
out what the call state and the sheet need, and rejects bodies that cannot be tracked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from daemon.fsutil import is_safe_name

# The user-data key under which the dialer sends its attempt id; Bolna echoes user data back
# in `context_details.recipient_data`, which ties a webhook to the attempt that caused it.
ATTEMPT_KEY = "callpipe_attempt"

# Every status Bolna's API documents. A webhook with any other status is refused (400): its
# text would go into call state and into the sheet as it stands.
BOLNA_STATUSES = frozenset(
    {
        "scheduled",
        "queued",
        "rescheduled",
        "initiated",
        "ringing",
        "in-progress",
        "call-disconnected",
        "completed",
        "balance-low",
        "busy",
        "no-answer",
        "canceled",
        "failed",
        "stopped",
        "error",
    }
)

# A Google Sheets cell holds at most 50,000 characters.
CELL_LIMIT = 49_000


class BadEventError(ValueError):
    """The body can never be applied; the reason is written next to its dead letter."""


@dataclass(frozen=True)
class ExecutionEvent:
    execution_id: str
    status: str
    customer_phone: str  # as Bolna wrote it; may be empty
    attempt_ref: str  # our attempt id, echoed in the call's user data; empty for calls we did not dial
    body: dict[str, Any]

    @classmethod
    def from_body(cls, body: Any) -> ExecutionEvent:
        if not isinstance(body, dict):
            raise BadEventError(f"the body is a JSON {type(body).__name__}, not an object")
        execution_id = body.get("id")
        if not isinstance(execution_id, str) or not execution_id:
            raise BadEventError("no execution id: the body has no string 'id'")
        if not is_safe_name(execution_id):
            raise BadEventError("the execution id is not 1-128 characters of [A-Za-z0-9._-]")
        status = body.get("status")
        if not isinstance(status, str) or not status.strip():
            raise BadEventError("no call status: the body has no string 'status'")
        if status.strip().lower() not in BOLNA_STATUSES:
            # Checked before anything is applied: the status goes into call state and the sheet.
            raise BadEventError(f"unknown call status {status[:40]!r}; Bolna's are {', '.join(sorted(BOLNA_STATUSES))}")
        recipient_data = _dict(_dict(body.get("context_details")).get("recipient_data"))
        attempt_ref = _text(recipient_data.get(ATTEMPT_KEY))
        return cls(execution_id, status.strip().lower(), customer_phone(body), attempt_ref, body)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def customer_phone(body: dict[str, Any]) -> str:
    """The customer's number. On inbound calls `recipient_phone_number` is the agent's own
    line, so the side is chosen by `telephony_data.call_type`."""
    telephony = _dict(body.get("telephony_data"))
    if telephony.get("call_type") == "inbound":
        return _text(body.get("user_number")) or _text(telephony.get("from_number"))
    recipient = _text(_dict(body.get("context_details")).get("recipient_phone_number"))
    return recipient or _text(body.get("user_number")) or _text(telephony.get("to_number"))


def duration_seconds(body: dict[str, Any]) -> str:
    """Whole seconds as the sheet shows them: telephony duration (a string), else the
    conversation duration (a float); empty until Bolna knows it."""
    for raw in (_dict(body.get("telephony_data")).get("duration"), body.get("conversation_duration")):
        try:
            seconds = float(raw)
        except (TypeError, ValueError):
            continue
        if seconds > 0:
            return str(round(seconds))
    return ""


def notes(body: dict[str, Any]) -> str:
    """Error message, hangup reason and Bolna's smart status, in one readable line."""
    telephony = _dict(body.get("telephony_data"))
    parts = []
    if error := _text(body.get("error_message")):
        parts.append(error)
    if hangup := _text(telephony.get("hangup_reason")):
        by = _text(telephony.get("hangup_by"))
        parts.append(f"hangup: {hangup}" + (f" (by {by})" if by else ""))
    if smart := _text(body.get("smart_status")):
        parts.append(f"smart status: {smart}")
    if body.get("status") == "completed" and not reached(body):
        parts.append("Bolna: completed without conversation (not reached; retried)")
    return "; ".join(parts)


_USER_TURN = re.compile(r"^\s*user\s*:\s*\S", re.IGNORECASE | re.MULTILINE)


def reached(body: dict[str, Any]) -> bool:
    """Someone spoke with the agent. Bolna says `completed` "does not prove anyone answered":
    a rejected or voicemail-dropped call completes with conversation_duration 0, or with the
    agent's greeting and no `user:` line at all."""
    try:
        talked = float(body.get("conversation_duration") or 0) > 0
    except (TypeError, ValueError):
        talked = False
    transcript = body.get("transcript")
    return talked and isinstance(transcript, str) and _USER_TURN.search(transcript) is not None


def clip(text: str, limit: int = CELL_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 40] + "\n[... cut to fit a sheet cell]"


def extracted(body: dict[str, Any]) -> dict[str, Any]:
    """The agent's post-call extraction (`extracted_data`, from its extraction prompt); {} if none."""
    return _dict(body.get("extracted_data"))


def sheet_fields(body: dict[str, Any]) -> dict[str, str]:
    """The columns an execution body fills. Empty values are left out so an early event
    never blanks what a later one (or the operator) wrote. Bolna's own summary and
    extraction get columns of their own; our analysis writes `Summary`."""
    data = extracted(body)
    fields = {
        "Status": _text(body.get("status")).lower(),
        "Latest Execution ID": _text(body.get("id")),
        "Duration": duration_seconds(body),
        "Notes": notes(body),
        "Transcript": clip(_text(body.get("transcript"))),
        "Bolna Summary": clip(_text(body.get("summary"))),
        "Extracted": clip(orjson.dumps(data).decode()) if data else "",
    }
    return {column: value for column, value in fields.items() if value}
