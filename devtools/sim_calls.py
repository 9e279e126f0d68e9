"""One simulated Bolna call: the statuses it goes through and the execution body at each.

The bodies follow the real fixture: a transcript of `assistant:`/`user:` lines, created_at in
UTC without a zone, telephony_data.duration as a string and conversation_duration as a
float; until a final status, duration, transcript and recording are null or 0.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from calls.statuses import TERMINAL
from devtools.scenarios import Conversation

AGENT_NUMBER = "+918000000002"

# Seconds into a call (at speed 1, from the moment it has a line) when each status is posted.
_RING_AT, _ANSWER_AT = 3.0, 8.0
_COMPLETED_AFTER_DISCONNECT = 150.0
_SHORT_TIMELINES = {
    "no-answer": (("initiated", 1.0), ("ringing", _RING_AT), ("no-answer", 33.0)),
    "busy": (("initiated", 1.0), ("ringing", 2.0), ("busy", 6.0)),
    "failed": (("initiated", 1.0), ("failed", 2.5)),
    "error": (("initiated", 1.0), ("error", 2.0)),
    "canceled": (("canceled", 0.5),),
    "balance-low": (("balance-low", 0.5),),
}
_ENDINGS = {
    "completed": ("Callee", "Call recipient hungup", 4000, None),
    "rejected": ("Callee", "Call recipient rejected the call", 3020, None),
    "no-answer": ("Callee", "No answer from the recipient", 3000, None),
    "busy": ("Callee", "Recipient was busy", 3010, None),
    "failed": ("Carrier", "Call could not be connected", 5020, "Telephony provider could not place the call"),
    "error": ("Bolna", "Internal error", 0, "Internal error while placing the call"),
    "canceled": ("Bolna", "Call canceled", 0, None),
    "balance-low": ("Bolna", "Call not placed", 0, "Insufficient wallet balance to place the call"),
    "stopped": ("Agent", "Call stopped before it was placed", 0, None),
}


@dataclass
class SimulatedCall:
    execution_id: str
    agent_id: str
    phone: str
    user_data: dict[str, Any]
    conversation: Conversation
    created_at: float
    status: str = "queued"
    initiated_at: float | None = None
    provider_call_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    batch_id: str | None = None
    from_number: str = AGENT_NUMBER
    outcome: str = ""  # set when the call gets a line: its scenario's, or balance-low
    ended_at: float | None = None  # wall clock, at its final status

    @property
    def ending(self) -> str:
        return self.outcome or self.conversation.scenario.final_status

    def timeline(self) -> tuple[tuple[str, float], ...]:
        """The statuses from the moment the call has a line (after `queued`)."""
        scenario = self.conversation.scenario
        if self.outcome == "balance-low" or not scenario.connected:
            return _SHORT_TIMELINES[self.ending]
        if not scenario.spoke:  # the customer rejected it: Bolna still says `completed`
            return (("initiated", 1.0), ("ringing", _RING_AT), ("call-disconnected", 12.0), ("completed", 40.0))
        hangup = _ANSWER_AT + self.conversation.talk_seconds
        return (
            ("initiated", 1.0),
            ("ringing", _RING_AT),
            ("in-progress", _ANSWER_AT),
            ("call-disconnected", hangup),
            ("completed", hangup + _COMPLETED_AFTER_DISCONNECT),
        )

    def cost(self) -> float:
        """What the finished call costs, in cents as Bolna's total_cost counts."""
        return round(self._talk() * 0.18, 2) if self.status == "completed" else 0.0

    def _talk(self) -> float:
        conv = self.conversation
        ended = self.status in TERMINAL or self.status == "call-disconnected"
        return conv.talk_seconds if conv.scenario.spoke and ended and self.outcome != "balance-low" else 0.0

    def body(self, now: float) -> dict[str, Any]:
        """The execution object as Bolna shows it at this status."""
        conv, status = self.conversation, self.status
        done = status == "completed"
        ended = status in TERMINAL or status == "call-disconnected"
        talk = self._talk()
        ring = {"no-answer": 30.0, "busy": 3.0, "failed": 0.0, "error": 0.0}.get(self.ending, _RING_AT)
        if not ended or status in ("canceled", "balance-low", "stopped"):
            ring = 0.0
        key = "rejected" if not conv.scenario.spoke and conv.scenario.connected else self.ending
        hangup_by, reason, code, error = _ENDINGS.get(key if ended else "", (None,) * 4)
        if status == "stopped":
            hangup_by, reason, code, error = _ENDINGS["stopped"]
        return {
            "id": self.execution_id,
            "agent_id": self.agent_id,
            "batch_id": self.batch_id,
            "created_at": bolna_time(self.created_at),
            "updated_at": bolna_time(now),
            "scheduled_at": None,
            "answered_by_voice_mail": False if done else None,
            "conversation_duration": talk if done else 0,
            "total_cost": self.cost(),
            "transcript": conv.transcript if done else None,
            "extracted_data": conv.extracted if done else None,
            "summary": conv.summary if done else None,
            "error_message": error,
            "status": status,
            "smart_status": _smart_status(conv, status),
            "user_number": self.phone,
            "agent_number": self.from_number,
            "initiated_at": bolna_time(self.initiated_at) if self.initiated_at else None,
            "retry_count": 0,
            "telephony_data": {
                "duration": str(round(talk + ring)) if ended else None,
                "to_number": self.phone,
                "from_number": self.from_number,
                "recording_url": f"https://recordings.example.invalid/sim/{self.provider_call_id}.mp3"
                if done and talk
                else None,
                "hosted_telephony": True,
                "provider_call_id": self.provider_call_id,
                "call_type": "outbound",
                "provider": "plivo",
                "hangup_by": hangup_by,
                "hangup_reason": reason,
                "hangup_provider_code": code,
            },
            "context_details": {"recipient_data": self.user_data, "recipient_phone_number": self.phone},
            "provider": "plivo",
        }


def _smart_status(conv: Conversation, status: str) -> str | None:
    if status != "completed":
        return None
    names = {"confused": "unclear_conversation", "dealer": "transfer_requested", "rejected": "no_response"}
    return names.get(conv.scenario.name, "completed")


def bolna_time(epoch: float) -> str:
    """ISO 8601 in UTC without a zone, as Bolna writes it."""
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None).isoformat()
