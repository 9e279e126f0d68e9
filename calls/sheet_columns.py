"""How a call shows in the lead sheet: the columns callpipe writes, and the analysis result's.

Finding a call's result is cheap: results keep their transcript's name (<execution id>.json)
through every state, and the registry looks each state up directly.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from calls.eligibility import format_sheet_time
from calls.statuses import COMPLETED, NOT_REACHED
from calls.store import Attempt
from daemon.broker import QueueName, Registry, State
from integrations.bolna.events import clip, sheet_fields
from integrations.sheets import Lead

_RESULT_STATES = (State.WAITING, State.ACTIVE, State.DEFERRED, State.DONE)

RESULT_COLUMNS = ("Summary", "Customer Name", "Model", "Email", "Routing")
# Bolna's own post-call analysis, beside ours and never overwritten by it.
BOLNA_COLUMNS = ("Bolna Summary", "Extracted")
# Columns this project writes: everything else in a row is the lead's own data, sent to the
# agent as user_data (prompt variables such as {Name}).
MANAGED_COLUMNS = frozenset(
    {
        "Status",
        "Latest Execution ID",
        "Duration",
        "Last Attempt Time",
        "Notes",
        "Transcript",
        *RESULT_COLUMNS,
        *BOLNA_COLUMNS,
    }
)
CALLER_ID = "Caller ID"  # the number this lead is called from (a dealer's DLT-registered line)
# What a new attempt clears, so a row never shows the previous call's results as this one's.
CLEARED_ON_DIAL = ("Latest Execution ID", "Duration", "Notes", "Transcript", *RESULT_COLUMNS, *BOLNA_COLUMNS)
_FIELD_COLUMNS = {"name": "Customer Name", "model": "Model", "email": "Email"}

# Lead data reaches the agent's prompt twice: under its header as the sheet spells it
# ({Name}), and under a snake_case alias ({customer_name}), the form Bolna's examples and
# batch CSVs use. These headers get the aliases below; any other header is snake_cased
# ("Preferred Time" -> preferred_time). README "Running a campaign" lists them.
ALIASES = {
    "name": "customer_name",
    "customer name": "customer_name",
    "phone number": "phone_number",
    "model": "car_model",
    "car model": "car_model",
    "car": "car_model",
    "email": "email",
    "email id": "email",
    "city": "city",
    "dealer": "dealer_name",
    "dealership": "dealer_name",
}


class ResultFinder:
    """The analysis result of a call, wherever its queue holds it, through the broker's registry."""

    def __init__(self, registry: Registry, max_bytes: int = 5 * 1024 * 1024) -> None:
        self.registry = registry
        self.max_bytes = max_bytes

    def find(self, execution_id: str) -> dict[str, Any] | None:
        """The parsed result for this execution: waiting, being sent, waiting to retry, or sent."""
        entry = self.registry.locate(QueueName.RESULTS, f"{execution_id}.json", _RESULT_STATES)
        if entry is None:
            return None
        try:
            doc = orjson.loads(self.registry.read(entry, self.max_bytes))
        except (OSError, LookupError, orjson.JSONDecodeError):
            return None
        if isinstance(doc, dict) and _payload(doc).get("call_ref_id") == execution_id:
            return doc
        return None

    def never_coming(self, execution_id: str) -> bool:
        """The processor dead-lettered the transcript: no result will appear by itself."""
        return self.registry.locate(QueueName.TRANSCRIPTS, f"{execution_id}.json", (State.DEAD,)) is not None


def result_fields(doc: dict[str, Any]) -> dict[str, str]:
    """Summary, the analysed name/model/email and the routing reason; blanks left out."""
    payload = _payload(doc)
    fields: dict[str, str] = {}
    summary = doc.get("summary")
    if isinstance(summary, str) and summary.strip():
        fields["Summary"] = clip(summary.strip())
    for item in payload.get("response_data") or []:
        if not isinstance(item, dict):
            continue
        column = _FIELD_COLUMNS.get(str(item.get("key_value", "")))
        answer = item.get("key_response")
        if column and isinstance(answer, str) and answer.strip():
            fields[column] = answer.strip()
    routing = payload.get("dealer_routing")
    if isinstance(routing, dict) and isinstance(routing.get("reason"), str) and routing["reason"]:
        fields["Routing"] = routing["reason"]
    return fields


def _payload(doc: dict[str, Any]) -> dict[str, Any]:
    payload = doc.get("payload")
    return payload if isinstance(payload, dict) else {}


def call_fields(body: dict[str, Any], attempt: Attempt, tz: ZoneInfo | None = None) -> dict[str, str]:
    """The row's columns for this call: Bolna's view, plus our own note if we made one.

    The status shown is the attempt's (it never goes backwards, whatever order the webhooks
    came in), and `completed` with nobody on the line shows as not-reached."""
    fields = sheet_fields(body)
    fields["Status"] = attempt.status
    if attempt.status == COMPLETED and attempt.not_reached:
        fields["Status"] = NOT_REACHED
    elif attempt.account_issue and attempt.status == "failed":
        fields["Status"] = "paused"  # never placed: the account refused it (calls/account.py)
    if attempt.execution_id:
        fields["Latest Execution ID"] = attempt.execution_id
    if tz is not None:
        fields["Last Attempt Time"] = format_sheet_time(attempt.started_at, tz)
    if attempt.note:
        fields["Notes"] = "; ".join(part for part in (fields.get("Notes", ""), attempt.note) if part)
    return fields


def lead_data(lead: Lead) -> dict[str, Any]:
    """The row's own fields, for the agent's prompt variables: each under its header and its alias."""
    data: dict[str, Any] = {}
    for column, value in lead.values.items():
        if not value or column in MANAGED_COLUMNS or column == CALLER_ID:
            continue
        data[column] = value
        alias = ALIASES.get(" ".join(column.split()).casefold()) or snake_case(column)
        if alias:
            data.setdefault(alias, value)
    return data


def snake_case(header: str) -> str:
    """'Preferred Time' -> 'preferred_time', 'Car-Model (2025)' -> 'car_model_2025'."""
    return re.sub(r"[^0-9a-z]+", "_", header.casefold()).strip("_")
