"""Reading Bolna execution bodies, ranking statuses, and tying events to attempts (pure)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from calls.statuses import supersedes
from calls.store import LeadCalls
from integrations.bolna.events import (
    ATTEMPT_KEY,
    CELL_LIMIT,
    BadEventError,
    ExecutionEvent,
    duration_seconds,
    notes,
    sheet_fields,
)
from tests.conftest import FIXTURES

FIXTURE = orjson.loads((FIXTURES / "bolna" / "execution-completed-inbound.json").read_bytes())


def test_the_fixture_reads_as_bolna_meant_it() -> None:
    event = ExecutionEvent.from_body(FIXTURE)
    assert (event.execution_id, event.status) == ("6c972873-19b2-44b0-a6bf-d4f690a7a9cf", "completed")
    assert event.customer_phone == "+919900000001", "inbound: the customer is the caller, not the recipient"
    assert event.attempt_ref == ""
    fields = sheet_fields(FIXTURE)
    assert fields["Duration"] == "69"
    assert fields["Transcript"].endswith("सकती हूँ?")
    expected = {"Status", "Latest Execution ID", "Duration", "Notes", "Transcript", "Bolna Summary", "Extracted"}
    assert set(fields) == expected, "Bolna's summary and extraction get their own columns"


def outbound(**changes: Any) -> dict[str, Any]:
    body = {
        "id": "ex-1",
        "status": "ringing",
        "context_details": {"recipient_phone_number": "+919900000002", "recipient_data": {ATTEMPT_KEY: "a-7"}},
        "telephony_data": {"call_type": "outbound", "duration": None},
    }
    body.update(changes)
    return body


def test_an_outbound_event_names_its_customer_and_attempt() -> None:
    event = ExecutionEvent.from_body(outbound(status=" In-Progress "))
    assert (event.customer_phone, event.attempt_ref, event.status) == ("+919900000002", "a-7", "in-progress")
    assert sheet_fields(event.body) == {"Status": "in-progress", "Latest Execution ID": "ex-1"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("text", "not an object"),
        ({"status": "completed"}, "no execution id"),
        ({"id": 42, "status": "completed"}, "no execution id"),
        ({"id": "a/b", "status": "completed"}, "not 1-128 characters"),
        ({"id": ".hidden", "status": "completed"}, "not 1-128 characters"),
        ({"id": "ex-1", "status": ""}, "no call status"),
    ],
)
def test_unusable_bodies(body: Any, reason: str) -> None:
    with pytest.raises(BadEventError, match=reason):
        ExecutionEvent.from_body(body)


@pytest.mark.parametrize(
    ("telephony", "conversation", "shown"),
    [("69", 68.4, "69"), (None, 68.4, "68"), ("0", 0, ""), (None, None, ""), ("n/a", 12.6, "13")],
)
def test_duration(telephony: Any, conversation: Any, shown: str) -> None:
    body = {"telephony_data": {"duration": telephony}, "conversation_duration": conversation}
    assert duration_seconds(body) == shown


def test_notes_join_error_hangup_and_smart_status() -> None:
    body = {
        "status": "completed",
        "error_message": "SIP 486",
        "smart_status": "voicemail",
        "conversation_duration": 0,
        "telephony_data": {"hangup_reason": "Busy", "hangup_by": "Callee"},
    }
    assert notes(body) == (
        "SIP 486; hangup: Busy (by Callee); smart status: voicemail; "
        "Bolna: completed without conversation (not reached; retried)"
    )


def test_long_transcripts_are_cut_to_fit_a_cell() -> None:
    fields = sheet_fields(outbound(status="completed", transcript="user:  hi\n" * 10_000))
    assert len(fields["Transcript"]) <= CELL_LIMIT and fields["Transcript"].endswith("cell]")


@pytest.mark.parametrize(
    ("current", "new", "accepted"),
    [
        ("initiating", "initiated", True),
        ("initiated", "ringing", True),
        ("ringing", "in-progress", True),
        ("in-progress", "call-disconnected", True),
        ("call-disconnected", "completed", True),
        ("completed", "ringing", False),
        ("completed", "call-disconnected", False),
        ("completed", "busy", False),
        ("busy", "completed", True),
        ("no-answer", "ringing", False),
        ("completed", "completed", True),
        ("ringing", "some-new-status", False),
        ("queued", "some-new-status", True),
    ],
)
def test_status_ranks(current: str, new: str, accepted: bool) -> None:
    assert supersedes(new, current) is accepted


def test_events_find_their_attempt() -> None:
    lead = LeadCalls("919900000002", "+919900000002")
    first = lead.start_attempt(row=2, now=100.0)
    first.execution_id, first.status = "ex-1", "no-answer"
    second = lead.start_attempt(row=2, now=200.0)  # dialled; its id not recorded yet
    assert lead.attempt_for("ex-1", "", 300.0) is first
    assert lead.attempt_for("ex-2", "a-someone-else", 300.0) is not second, "a foreign ref adopts nothing"
    assert lead.attempt_for("ex-3", second.attempt_id, 300.0) is second
    assert second.execution_id == "ex-3"
    assert [a.execution_id for a in lead.attempts] == ["ex-1", "ex-3", "ex-2"]
