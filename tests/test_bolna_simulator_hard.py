"""The hard simulator: Bolna's lifecycle as the real service plays it, inconvenient side included."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from flask import Flask, request

from devtools.simulator import HARD, Realism
from integrations.bolna.events import reached
from integrations.serving import BackgroundServer
from tests.conftest import wait_for
from tests.fakes.bolna_server import running_simulator
from tests.test_bolna_simulator import Receiver, place

IST = timezone(timedelta(hours=5, minutes=30))
RESCHEDULED = "+919900000001"  # the calling guardrails move this number's calls (see HARD)
CALM = replace(HARD, rescheduled_share=0, duplicate_share=0.0, senders=1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.stop()


def test_calls_beyond_the_concurrency_limit_wait_queued(receiver: Receiver) -> None:
    with running_simulator(receiver.url, speed=40, realism=CALM) as sim:
        ids = [place(sim.url, f"+9199000001{n:02d}", {"scenario": "busy"}) for n in range(4)]
        busiest = 0
        while not all("busy" in receiver.statuses(e) for e in ids):
            busiest = max(busiest, requests.get(f"{sim.url}/user/me").json()["concurrency"]["current"])
            time.sleep(0.01)
    assert busiest == 2
    for eid in ids:
        assert receiver.statuses(eid) == ["queued", "initiated", "ringing", "busy"]
    order = [(b["id"], b["status"]) for b in receiver.bodies]
    first_done = min(order.index((eid, "busy")) for eid in ids[:2])
    assert all(order.index((eid, "initiated")) > first_done for eid in ids[2:]), "a line frees before a queued call"


def test_the_guardrails_reschedule_a_call_then_queue_it(receiver: Receiver) -> None:
    with running_simulator(receiver.url, speed=2000, realism=replace(CALM, rescheduled_share=5)) as sim:
        eid = place(sim.url, RESCHEDULED, {"scenario": "no-answer"})
        assert requests.get(f"{sim.url}/executions/{eid}").json()["status"] == "rescheduled"
        assert wait_for(lambda: "no-answer" in receiver.statuses(eid), timeout=10)
    assert receiver.statuses(eid) == ["rescheduled", "queued", "initiated", "ringing", "no-answer"]


def test_a_rejected_call_still_completes_with_nobody_on_the_line(receiver: Receiver) -> None:
    with running_simulator(receiver.url, speed=2000, realism=CALM) as sim:
        eid = place(sim.url, "+919900000102", {"scenario": "rejected"})
        assert wait_for(lambda: "completed" in receiver.statuses(eid), timeout=10)
    final = receiver.last(eid)
    assert final["conversation_duration"] == 0
    assert "assistant:" in final["transcript"] and "user:" not in final["transcript"]
    assert not reached(final)


@pytest.mark.parametrize(
    ("scenario", "statuses", "error"),
    [("error", ["queued", "initiated", "error"], True), ("canceled", ["queued", "canceled"], False)],
)
def test_error_and_canceled(receiver: Receiver, scenario: str, statuses: list[str], error: bool) -> None:
    with running_simulator(receiver.url, speed=2000, realism=CALM) as sim:
        eid = place(sim.url, "+919900000103", {"scenario": scenario})
        assert wait_for(lambda: statuses[-1] in receiver.statuses(eid), timeout=10)
    assert receiver.statuses(eid) == statuses
    assert bool(receiver.last(eid)["error_message"]) is error


def test_an_empty_wallet_ends_calls_in_balance_low_until_topped_up(receiver: Receiver) -> None:
    with running_simulator(receiver.url, speed=2000, realism=CALM, wallet=0.0) as sim:
        assert requests.get(f"{sim.url}/user/me").json()["wallet"] == 0
        low = place(sim.url, "+919900000104", {"scenario": "complete"})
        assert wait_for(lambda: "balance-low" in receiver.statuses(low), timeout=10)
        sim.wallet = 25.0
        fine = place(sim.url, "+919900000105", {"scenario": "complete"})
        assert wait_for(lambda: "completed" in receiver.statuses(fine), timeout=10)
        wallet = requests.get(f"{sim.url}/user/me").json()["wallet"]
    assert receiver.statuses(low) == ["queued", "balance-low"]
    assert "balance" in receiver.last(low)["error_message"].lower()
    assert 0 < wallet < 25.0, "the finished call was charged"


def test_the_account_refuses_an_unknown_agent_and_a_foreign_from_number() -> None:
    with running_simulator(agents={"agent-1"}, numbers={"+918045678901"}) as sim:

        def call(agent: str, **extra: Any) -> requests.Response:
            body = {"agent_id": agent, "recipient_phone_number": "+919900000106", **extra}
            return requests.post(f"{sim.url}/call", json=body, timeout=5)

        unknown = call("agent-404")
        foreign = call("agent-1", from_phone_number="+918000000999")
        ours = call("agent-1", from_phone_number="+918045678901")
        agent = requests.get(f"{sim.url}/v2/agent/agent-404", timeout=5)
    assert (unknown.status_code, unknown.json()["message"]) == (404, "Agent not found")
    assert foreign.status_code == 422 and "from_phone_number" in foreign.json()["message"]
    assert ours.status_code == 200 and agent.status_code == 404
    assert sim.calls[ours.json()["execution_id"]].from_number == "+918045678901"


def test_stop_works_only_while_queued(receiver: Receiver) -> None:
    with running_simulator(receiver.url, speed=1.0, realism=replace(CALM, concurrency=1)) as sim:
        ringing = place(sim.url, "+919900000107", {"scenario": "complete"})
        waiting = place(sim.url, "+919900000108", {"scenario": "complete"})
        assert wait_for(lambda: "initiated" in receiver.statuses(ringing), timeout=5)
        too_late = requests.post(f"{sim.url}/call/{ringing}/stop")
        stopped = requests.post(f"{sim.url}/call/{waiting}/stop")
        assert wait_for(lambda: "stopped" in receiver.statuses(waiting), timeout=5)
    assert too_late.status_code == 400 and "initiated" in too_late.json()["message"]
    assert stopped.status_code == 200
    assert receiver.statuses(waiting) == ["queued", "stopped"]


class SlowReceiver:
    """Holds every `initiated` webhook a while and counts deliveries in flight at once."""

    def __init__(self) -> None:
        self.arrived: list[tuple[str, str]] = []
        self.in_flight = self.most = 0
        self.lock = threading.Lock()
        app = Flask("slow-receiver")

        @app.post("/hook")
        def hook() -> tuple[str, int]:
            body = request.get_json()
            with self.lock:
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
            time.sleep(0.3 if body["status"] == "initiated" else 0.02)
            with self.lock:
                self.in_flight -= 1
                self.arrived.append((body["id"], body["status"]))
            return "", 204

        self.server = BackgroundServer(app, "127.0.0.1", 0, name="slow-receiver").start()


def test_webhooks_come_concurrently_twice_and_out_of_order() -> None:
    receiver = SlowReceiver()
    realism = Realism(senders=3, duplicate_share=1.0)
    try:
        with running_simulator(receiver.server.url + "/hook", speed=50, realism=realism) as sim:
            eid = place(sim.url, "+919900000109", {"scenario": "busy"})
            assert wait_for(lambda: len([a for a in receiver.arrived if a[0] == eid]) == 6, timeout=10)
    finally:
        receiver.server.stop()
    statuses = [status for _, status in receiver.arrived]
    assert sorted(statuses) == ["busy", "busy", "initiated", "initiated", "ringing", "ringing"]
    assert statuses.index("ringing") < statuses.index("initiated"), "a later status overtook an earlier one"
    assert receiver.most >= 2 and sim.webhooks.duplicated == 3


def test_a_batch_is_created_scheduled_run_and_listed(receiver: Receiver) -> None:
    csv = b"contact_number,customer_name,callpipe_attempt\n+919900000110,Asha,a-1\n+919900000111,Ravi,a-2\nbad,X,a-3\n"
    with running_simulator(receiver.url, speed=5000, realism=CALM) as sim:
        url = f"{sim.url}/batches"
        files = {"file": ("leads.csv", csv, "text/csv")}
        created = requests.post(url, data={"agent_id": "agent-1", "from_phone_numbers": ["+918045678901"]}, files=files)
        assert created.status_code == 201 and created.json()["state"] == "created"
        batch_id = created.json()["batch_id"]
        assert len(batch_id) == 32
        soon = datetime.now(IST) + timedelta(seconds=30)
        later = datetime.now(IST) + timedelta(minutes=3)
        schedule = f"{url}/{batch_id}/schedule"
        zulu_text = later.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        zulu = requests.post(schedule, files={"scheduled_at": (None, zulu_text)})
        too_soon = requests.post(schedule, files={"scheduled_at": (None, soon.isoformat())})
        assert requests.get(f"{url}/{batch_id}").json()["status"] == "created"
        ok = requests.post(schedule, files={"scheduled_at": (None, later.isoformat())})
        assert ok.json() == {"message": "success", "state": "scheduled"}
        assert wait_for(lambda: requests.get(f"{url}/{batch_id}").json()["status"] == "executed", timeout=15)
        doc = requests.get(f"{url}/{batch_id}").json()
        executions = requests.get(f"{url}/{batch_id}/executions").json()
    assert (zulu.status_code, too_soon.status_code) == (500, 400)
    assert (doc["valid_contacts"], doc["total_contacts"]) == (2, 3)
    assert isinstance(executions, list) and len(executions) == 2, "a bare array, one per valid row"
    assert {e["batch_id"] for e in executions} == {batch_id}
    assert {e["context_details"]["recipient_data"]["callpipe_attempt"] for e in executions} == {"a-1", "a-2"}
    assert all(e["telephony_data"]["from_number"] == "+918045678901" for e in executions)
    assert all(receiver.statuses(e["id"])[-1] == e["status"] for e in executions), "the same webhooks"
