"""The SingleInterface payload, with the seed's keys in the seed's order."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from analysis.attempts import attempt_window
from analysis.dialogue import Dialogue
from analysis.fields import EMAIL, FIELDS, MODEL, NAME, Field
from analysis.routing import Dropoff, Routing
from analysis.timeparse import format_local, whole_seconds
from analysis.transcript import Transcript

KEY_LABELS = {
    NAME: "What's your name",
    MODEL: "Which model you are looking for",
    EMAIL: "What is your email id",
}


def build_payload(
    transcript: Transcript,
    dialogue: Dialogue,
    welcome_language: str,
    conversational_language: str,
    routing: Routing,
    dropoff: Dropoff,
    zone: tzinfo,
) -> dict[str, Any]:
    def local(moment: datetime) -> str:
        return format_local(moment, zone)

    return {
        "id": "bot_" + transcript.call_ref_id,
        "call_ref_id": transcript.call_ref_id,
        "call_vendor": transcript.call_vendor,
        "recording_url": transcript.recording_url,
        "start_time": local(transcript.start),
        "end_time": local(transcript.end),
        "duration": whole_seconds(transcript.start, transcript.end),
        "language": {"welcome": welcome_language, "conversational": conversational_language},
        "dealer_routing": {"status": routing.status, "reason": routing.reason, "time": routing.time},
        "dropoff": {"time": dropoff.time, "action": dropoff.action},
        "response_data": [_response(f, transcript, dialogue, local) for f in FIELDS],
    }


def _response(field: Field, transcript: Transcript, dialogue: Dialogue, local: Any) -> dict[str, Any]:
    value = dialogue.values[field]
    asked = dialogue.attempts[field]
    details = []
    for sequence, index in enumerate(asked, start=1):
        start, end = attempt_window(transcript.turns, index, transcript.end)
        details.append({"start_time": local(start), "end_time": local(end), "sequence": sequence})
    return {
        "key_label": KEY_LABELS[field],
        "key_value": field.value,
        "key_response": value,
        "attempts": len(asked),
        "attempts_details": details,
        "remarks": "verified" if value else "not_available" if asked else "not_attempted",
    }
