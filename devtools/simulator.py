"""A local stand-in for Bolna: the call API, plus the webhooks a real call would produce.

    POST /call                -> {"message": "done", "status": "queued", "execution_id": <uuid>}
    GET  /executions/{id}     -> the execution object (what the webhooks carry)
    POST /call/{id}/stop      -> stops a call that has not started ringing

Each call then plays out on a timeline (divided by SIMULATOR_SPEED): initiated, ringing,
in-progress, call-disconnected and, about 2.5 minutes later, completed; or ringing into
no-answer, busy, or a telephony failure. The bodies follow the real fixture: a transcript of
`assistant:`/`user:` lines, created_at in UTC without a zone, telephony_data.duration as a
string and conversation_duration as a float.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
import requests
from flask import Flask, Response, request

from calls.statuses import TERMINAL
from daemon.config import Secret
from daemon.logs import pii
from devtools.scenarios import Conversation, choose, converse, customer_for
from integrations.serving import BackgroundServer

log = logging.getLogger(__name__)

_E164 = re.compile(r"\+[1-9]\d{6,14}")
AGENT_NUMBER = "+918000000002"

# Seconds into a call (at speed 1) when each status is posted.
_RING_AT, _ANSWER_AT = 3.0, 8.0
_COMPLETED_AFTER_DISCONNECT = 150.0
_SHORT_TIMELINES = {
    "no-answer": (("initiated", 1.0), ("ringing", _RING_AT), ("no-answer", 33.0)),
    "busy": (("initiated", 1.0), ("ringing", 2.0), ("busy", 6.0)),
    "failed": (("initiated", 1.0), ("failed", 2.5)),
}
_ENDINGS = {
    "completed": ("Callee", "Call recipient hungup", 4000, None),
    "no-answer": ("Callee", "No answer from the recipient", 3000, None),
    "busy": ("Callee", "Recipient was busy", 3010, None),
    "failed": ("Carrier", "Call could not be connected", 5020, "Telephony provider could not place the call"),
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

    def timeline(self) -> tuple[tuple[str, float], ...]:
        scenario = self.conversation.scenario
        if not scenario.connected:
            return _SHORT_TIMELINES[scenario.final_status]
        hangup = _ANSWER_AT + self.conversation.talk_seconds
        return (
            ("initiated", 1.0),
            ("ringing", _RING_AT),
            ("in-progress", _ANSWER_AT),
            ("call-disconnected", hangup),
            ("completed", hangup + _COMPLETED_AFTER_DISCONNECT),
        )

    def body(self, now: float) -> dict[str, Any]:
        """The execution object as Bolna shows it at this status."""
        conv, status = self.conversation, self.status
        done = status == "completed"
        ended = status in TERMINAL or status == "call-disconnected"
        talk = conv.talk_seconds if conv.scenario.connected and ended else 0.0
        ring = {"no-answer": 30.0, "busy": 3.0, "failed": 0.0}.get(conv.scenario.final_status, _RING_AT)
        hangup_by, reason, code, error = _ENDINGS.get(conv.scenario.final_status if ended else "", (None,) * 4)
        if status == "stopped":
            hangup_by, reason, code, error = _ENDINGS["stopped"]
        return {
            "id": self.execution_id,
            "agent_id": self.agent_id,
            "batch_id": None,
            "created_at": _bolna_time(self.created_at),
            "updated_at": _bolna_time(now),
            "scheduled_at": None,
            "answered_by_voice_mail": False if done else None,
            "conversation_duration": talk if done else 0,
            "total_cost": round(talk * 0.18, 2) if done else 0,
            "transcript": conv.transcript if done else None,
            "extracted_data": conv.extracted if done else None,
            "summary": conv.summary if done else None,
            "error_message": error,
            "status": status,
            "smart_status": _smart_status(conv, status),
            "user_number": self.phone,
            "agent_number": AGENT_NUMBER,
            "initiated_at": _bolna_time(self.initiated_at) if self.initiated_at else None,
            "retry_count": 0,
            "telephony_data": {
                "duration": str(round(talk + ring)) if ended else None,
                "to_number": self.phone,
                "from_number": AGENT_NUMBER,
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
    return {"confused": "unclear_conversation", "dealer": "transfer_requested"}.get(conv.scenario.name, "completed")


def _bolna_time(epoch: float) -> str:
    """ISO 8601 in UTC without a zone, as Bolna writes it."""
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None).isoformat()


class BolnaSimulator:
    def __init__(
        self,
        *,
        webhook_url: str,
        speed: float = 1.0,
        api_token: Secret = Secret(""),
        intake_token: Secret = Secret(""),
        session: requests.Session | None = None,
    ) -> None:
        self.webhook_url = webhook_url
        self.speed = speed
        self._api_token = api_token
        self._intake_token = intake_token
        self.session = session or requests.Session()
        self.calls: dict[str, SimulatedCall] = {}
        self._lock = threading.Lock()
        self._due: list[tuple[float, int, str, str]] = []  # (monotonic time, seq, execution id, status)
        self._seq = itertools.count()
        self._wake = threading.Condition(self._lock)
        self._stopping = False
        self._faults: list[int] = []
        self.delivered: list[tuple[str, str, int]] = []  # (execution id, status, HTTP status or 0)
        self._server: BackgroundServer | None = None
        self._outbox: queue.Queue[tuple[str, str, dict[str, Any]] | None] = queue.Queue()
        self._clock_thread = threading.Thread(target=self._play, name="simulator-calls", daemon=True)
        self._poster = threading.Thread(target=self._deliver, name="simulator-webhooks", daemon=True)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, host: str, port: int) -> BolnaSimulator:
        self._server = BackgroundServer(self.app(), host, port, name="bolna-simulator").start()
        self._clock_thread.start()
        self._poster.start()
        return self

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        return self._server.url

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
        self._outbox.put(None)
        if self._server is not None:
            self._server.stop()
        for thread in (self._clock_thread, self._poster):
            if thread.is_alive():
                thread.join(5)

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next `times` API requests with this HTTP status (429, 500...)."""
        with self._lock:
            self._faults.extend([status] * times)

    # -- the API ---------------------------------------------------------------------------

    def app(self) -> Flask:
        app = Flask("callpipe.bolna_simulator")

        @app.before_request
        def guard() -> Response | None:
            with self._lock:
                fault = self._faults.pop(0) if self._faults else None
            if fault is not None:
                return _json(fault, {"error": fault, "message": f"simulated error {fault}"})
            expected = self._api_token.reveal()
            if expected and request.headers.get("Authorization", "") != f"Bearer {expected}":
                return _json(401, {"detail": "Invalid or missing API key"})
            return None

        @app.post("/call")
        def start_call() -> Response:
            doc = request.get_json(silent=True)
            if not isinstance(doc, dict):
                return _error(400, "the body must be a JSON object")
            agent_id, phone = doc.get("agent_id"), doc.get("recipient_phone_number")
            if not isinstance(agent_id, str) or not agent_id:
                return _error(400, "agent_id is required")
            if not isinstance(phone, str) or not _E164.fullmatch(phone):
                return _error(400, "recipient_phone_number must be in E.164 format")
            user_data = doc.get("user_data") or {}
            if not isinstance(user_data, dict):
                return _error(400, "user_data must be an object")
            call = self._place(agent_id, phone, user_data)
            return _json(200, {"message": "done", "status": "queued", "execution_id": call.execution_id})

        @app.get("/executions/<execution_id>")
        def get_execution(execution_id: str) -> Response:
            with self._lock:
                call = self.calls.get(execution_id)
                body = call.body(time.time()) if call else None
            if body is None:
                return _error(404, "execution not found")
            return _json(200, body)

        @app.post("/call/<execution_id>/stop")
        def stop_call(execution_id: str) -> Response:
            with self._lock:
                call = self.calls.get(execution_id)
                if call is None:
                    return _error(404, "execution not found")
                if call.status not in ("queued", "scheduled", "initiated"):
                    return _error(400, f"the call is {call.status} and can no longer be stopped")
                call.status = "stopped"
                self._schedule(0.0, execution_id, "stopped")
            return _json(200, {"message": "done", "status": "stopped", "execution_id": execution_id})

        return app

    def _place(self, agent_id: str, phone: str, user_data: dict[str, Any]) -> SimulatedCall:
        scenario, language = choose(phone, user_data)
        conversation = converse(scenario, language, customer_for(phone, user_data))
        call = SimulatedCall(str(uuid.uuid4()), agent_id, phone, user_data, conversation, time.time())
        with self._lock:
            self.calls[call.execution_id] = call
            for status, at in call.timeline():
                self._schedule(at, call.execution_id, status)
        log.info("call %s to %s: %s in %s", call.execution_id, pii(phone), scenario.name, language)
        return call

    def _schedule(self, at: float, execution_id: str, status: str) -> None:
        """Call with the lock held."""
        heapq.heappush(self._due, (time.monotonic() + at / self.speed, next(self._seq), execution_id, status))
        self._wake.notify_all()

    # -- webhooks --------------------------------------------------------------------------

    def _play(self) -> None:
        """Move each call along its timeline on time, whatever happens to the webhooks."""
        while True:
            with self._lock:
                while not self._stopping and (not self._due or self._due[0][0] > time.monotonic()):
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._wake.wait(wait)
                if self._stopping:
                    return
                _, _, execution_id, status = heapq.heappop(self._due)
                call = self.calls[execution_id]
                if call.status == "stopped" and status != "stopped":
                    continue  # the rest of a stopped call's timeline never happens
                call.status = status
                if status == "initiated":
                    call.initiated_at = time.time()
                body = call.body(time.time())
            if self.webhook_url:
                self._outbox.put((execution_id, status, body))

    def _deliver(self) -> None:
        """One webhook at a time, in order, as Bolna sends a call's status changes."""
        while (item := self._outbox.get()) is not None:
            self._post(*item)

    def _post(self, execution_id: str, status: str, body: dict[str, Any]) -> None:
        url = self._webhook_target()
        for attempt in range(3):
            try:
                response = self.session.post(
                    url, data=orjson.dumps(body), timeout=5, headers={"Content-Type": "application/json"}
                )
            except requests.RequestException as exc:
                log.warning("webhook %s for %s not delivered: %s", status, execution_id, type(exc).__name__)
                code = 0
            else:
                code = response.status_code
                if code < 500:
                    break
            if self._stopping:
                break
            time.sleep(0.2 * (attempt + 1))
        self.delivered.append((execution_id, status, code))

    def _webhook_target(self) -> str:
        """The webhook URL, with the intake token as ?token= as one would paste it into Bolna."""
        token = self._intake_token.reveal()
        if not token or "token=" in (urlsplit(self.webhook_url).query or ""):
            return self.webhook_url
        joiner = "&" if "?" in self.webhook_url else "?"
        return f"{self.webhook_url}{joiner}{urlencode({'token': token})}"


def _error(status: int, message: str) -> Response:
    return _json(status, {"error": status, "message": message})


def _json(status: int, doc: dict[str, Any]) -> Response:
    return Response(orjson.dumps(doc), status=status, mimetype="application/json")
