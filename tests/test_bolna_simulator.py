"""The Bolna simulator: its API, the webhook sequences it posts, and its synthetic calls."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from flask import Flask, request

from devtools.scenarios import LANGUAGES, SCENARIOS, choose, converse, customer_for
from integrations.serving import BackgroundServer
from tests.conftest import wait_for
from tests.fakes.bolna_server import running_simulator

TOKEN = "bn-sim-token-42"


class Receiver:
    """A real webhook endpoint that keeps every body it is sent, with the query string."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.queries: list[str] = []
        self.lock = threading.Lock()
        app = Flask("receiver")

        @app.post("/hook")
        def hook() -> tuple[str, int]:
            with self.lock:
                self.bodies.append(request.get_json())
                self.queries.append(request.query_string.decode())
            return "", 204

        self.server = BackgroundServer(app, "127.0.0.1", 0, name="receiver").start()
        self.url = self.server.url + "/hook"

    def statuses(self, execution_id: str) -> list[str]:
        with self.lock:
            return [b["status"] for b in self.bodies if b["id"] == execution_id]

    def last(self, execution_id: str) -> dict[str, Any]:
        with self.lock:
            return [b for b in self.bodies if b["id"] == execution_id][-1]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.stop()


def place(sim_url: str, phone: str, user_data: dict[str, Any] | None = None, token: str = TOKEN) -> str:
    response = requests.post(
        f"{sim_url}/call",
        json={"agent_id": "agent-1", "recipient_phone_number": phone, "user_data": user_data or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert (doc["message"], doc["status"]) == ("done", "queued")
    return doc["execution_id"]


def test_a_completed_call_posts_the_real_sequence_in_bolna_s_shape(receiver: Receiver) -> None:
    with running_simulator(receiver.url, api_token=TOKEN, intake_token="in-tok") as sim:
        eid = place(sim.url, "+919900000003", {"Name": "Ananya Iyer", "Scenario": "complete"})
        assert wait_for(lambda: "completed" in receiver.statuses(eid), timeout=10)
        via_api = requests.get(f"{sim.url}/executions/{eid}", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert receiver.statuses(eid) == ["initiated", "ringing", "in-progress", "call-disconnected", "completed"]
    assert set(receiver.queries) == {"token=in-tok"}
    early = [b for b in receiver.bodies if b["status"] != "completed"]
    assert all(b["transcript"] is None and b["summary"] is None for b in early)
    assert all(b["telephony_data"]["duration"] is None for b in early if b["status"] != "call-disconnected")

    body = receiver.last(eid)
    assert via_api["status"] == "completed" and via_api["transcript"] == body["transcript"]
    assert datetime.fromisoformat(body["created_at"]).tzinfo is None  # UTC, written without a zone
    assert isinstance(body["telephony_data"]["duration"], str) and int(body["telephony_data"]["duration"]) > 0
    assert isinstance(body["conversation_duration"], float) and body["conversation_duration"] > 0
    lines = body["transcript"].splitlines()
    assert body["transcript"].endswith("\n") and len(lines) == 9
    assert all(re.match(r"^(assistant: \S|user:  \S)", line) for line in lines)
    assert "Ananya Iyer" in body["summary"]
    assert body["extracted_data"]["email"] == "ananya.iyer@gmail.com"
    assert body["telephony_data"]["recording_url"].startswith("https://")
    assert body["context_details"] == {
        "recipient_data": {"Name": "Ananya Iyer", "Scenario": "complete"},
        "recipient_phone_number": "+919900000003",
    }


@pytest.mark.parametrize(
    ("scenario", "statuses", "error"),
    [
        ("no-answer", ["initiated", "ringing", "no-answer"], False),
        ("busy", ["initiated", "ringing", "busy"], False),
        ("failed", ["initiated", "failed"], True),
    ],
)
def test_unanswered_calls(receiver: Receiver, scenario: str, statuses: list[str], error: bool) -> None:
    with running_simulator(receiver.url) as sim:
        eid = place(sim.url, "+919900000011", {"scenario": scenario})
        assert wait_for(lambda: statuses[-1] in receiver.statuses(eid), timeout=10)
    assert receiver.statuses(eid) == statuses
    final = receiver.last(eid)
    assert final["transcript"] is None and final["conversation_duration"] == 0
    assert bool(final["error_message"]) is error
    assert final["telephony_data"]["hangup_reason"]


def test_the_api_wants_the_configured_bearer_token() -> None:
    with running_simulator(api_token=TOKEN) as sim:
        call = {"agent_id": "a", "recipient_phone_number": "+919900000003"}
        refused = requests.post(f"{sim.url}/call", json=call, headers={"Authorization": "Bearer nope"})
        missing = requests.get(f"{sim.url}/executions/x")
        assert (refused.status_code, missing.status_code) == (401, 401)
        assert "detail" in refused.json()
        assert sim.calls == {}


def test_bad_requests_get_bolna_s_error_body() -> None:
    with running_simulator() as sim:
        no_agent = requests.post(f"{sim.url}/call", json={"recipient_phone_number": "+919900000003"})
        bad_phone = requests.post(f"{sim.url}/call", json={"agent_id": "a", "recipient_phone_number": "9900000003"})
        unknown = requests.get(f"{sim.url}/executions/nope")
    assert no_agent.status_code == 400 and no_agent.json()["message"] == "agent_id is required"
    assert bad_phone.status_code == 400 and "E.164" in bad_phone.json()["message"]
    assert unknown.status_code == 404 and unknown.json() == {"error": 404, "message": "execution not found"}


def test_stop_cancels_a_queued_call_but_not_a_ringing_one(receiver: Receiver) -> None:
    with running_simulator(receiver.url, speed=1.0) as sim:  # real pace: initiated comes after 1 s
        eid = place(sim.url, "+919900000003", {"scenario": "complete"})
        stopped = requests.post(f"{sim.url}/call/{eid}/stop")
        assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
        assert wait_for(lambda: receiver.statuses(eid) == ["stopped"], timeout=5)
        again = requests.post(f"{sim.url}/call/{eid}/stop")
    assert again.status_code == 400 and "stopped" in again.json()["message"]
    assert receiver.statuses(eid) == ["stopped"], "nothing of the stopped call's timeline may follow"


# -- synthetic conversations (pure) ----------------------------------------------------------


def test_the_number_decides_the_call_and_the_lead_can_pin_it() -> None:
    assert choose("+919900000003", {}) == choose("+919900000003", {"Name": "anyone"})
    picked = {choose(f"+9199000000{n:02d}", {})[0].name for n in range(40)}
    assert picked == set(SCENARIOS), "every scenario is reachable from some number"
    scenario, language = choose("+919900000003", {"Scenario": "Busy", "LANGUAGE": "tamil"})
    assert (scenario.name, language) == ("busy", "tamil")


@pytest.mark.parametrize("language", LANGUAGES)
def test_conversations_in_every_language(language: str) -> None:
    customer = customer_for("+919900000003", {"Name": "Rahul Verma"})
    complete = converse(SCENARIOS["complete"], language, customer)
    assert complete.extracted == {"name": "Rahul Verma", "model": customer.model, "email": "rahul.verma@gmail.com"}
    assert "Rahul Verma" in complete.transcript and customer.model in complete.transcript
    assert complete.talk_seconds > 10
    partial = converse(SCENARIOS["partial"], language, customer)
    assert partial.extracted["email"] == "" and partial.extracted["model"] == customer.model
    assert converse(SCENARIOS["confused"], language, customer).extracted == {"name": "", "model": "", "email": ""}
    script = {"hindi": r"[\u0900-\u097F]", "tamil": r"[\u0B80-\u0BFF]"}.get(language)
    if script:
        assert re.search(script, complete.transcript)
