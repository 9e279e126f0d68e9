"""The Bolna client against real local servers: the simulator, and misbehaving stand-ins."""

from __future__ import annotations

import logging
import socket

import pytest

from daemon.config import Secret
from integrations.bolna.client import BolnaClient, BolnaError
from tests.fakes.bolna_server import ScriptedBolna, StallingServer, running_simulator

TOKEN = "bn-test-9f8e7d6c5b4a"


def test_start_call_and_read_the_execution() -> None:
    with running_simulator(api_token=TOKEN) as sim:
        client = BolnaClient(sim.url, Secret(TOKEN))
        execution_id, status = client.start_call("agent-7", "+919900000003", {"Name": "Ananya Iyer"})
        assert status == "queued"
        call = sim.calls[execution_id]
        assert (call.agent_id, call.phone, call.user_data) == ("agent-7", "+919900000003", {"Name": "Ananya Iyer"})
        body = client.get_execution(execution_id)
        assert body["id"] == execution_id
        assert body["context_details"]["recipient_phone_number"] == "+919900000003"


@pytest.mark.parametrize("offered", ["bn-wrong-1234567", ""])
def test_a_refused_key_becomes_a_clear_note_without_the_key(offered: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with running_simulator(api_token=TOKEN) as sim:
        client = BolnaClient(sim.url, Secret(offered))
        with pytest.raises(BolnaError) as caught:
            client.start_call("agent-7", "+919900000003", {})
    err = caught.value
    assert (err.kind, err.status) == ("auth", 401)
    assert "BOLNA_API_TOKEN" in err.note
    assert err.stops_dialling and not err.lead_at_fault and not err.call_may_exist
    shown = f"{err} {err!r} {err.note} {caplog.text}"
    assert TOKEN not in shown
    if offered:
        assert offered not in shown


def test_a_rejected_number_is_the_lead_s_fault() -> None:
    with running_simulator() as sim, pytest.raises(BolnaError) as caught:
        BolnaClient(sim.url, Secret("")).start_call("agent-7", "99000 00003", {})
    err = caught.value
    assert (err.kind, err.status) == ("bad-request", 400)
    assert "E.164" in err.note
    assert err.lead_at_fault and not err.stops_dialling


def test_an_unknown_execution_is_not_found() -> None:
    with running_simulator() as sim, pytest.raises(BolnaError) as caught:
        BolnaClient(sim.url, Secret("")).get_execution("no-such-call")
    assert (caught.value.kind, caught.value.status) == ("not-found", 404)
    assert "BOLNA_AGENT_ID" in caught.value.note


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (429, "rate-limited", "rate limit"),
        (500, "server", "server error (500)"),
        (503, "server", "(503)"),
        (403, "auth", "(403)"),
    ],
)
def test_http_errors_map_to_kinds(status: int, kind: str, words: str) -> None:
    with running_simulator() as sim:
        sim.fail_next(status)
        with pytest.raises(BolnaError) as caught:
            BolnaClient(sim.url, Secret("")).start_call("agent-7", "+919900000003", {})
        assert (caught.value.kind, caught.value.status) == (kind, status)
        assert words in caught.value.note
        assert caught.value.stops_dialling
        assert sim.calls == {}, "a refused request must not place a call"


def test_the_token_is_scrubbed_from_what_the_server_echoes() -> None:
    # A server that quotes our own Authorization header back in its error message.
    server = ScriptedBolna([(400, {"error": 400, "message": f"bad header Bearer {TOKEN}"})]).start()
    try:
        with pytest.raises(BolnaError) as caught:
            BolnaClient(server.url, Secret(TOKEN)).start_call("agent-7", "+919900000003", {})
    finally:
        server.stop()
    assert TOKEN not in caught.value.note
    assert "Bearer ***" in caught.value.note
    assert server.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_queued_call_without_an_id_may_exist() -> None:
    server = ScriptedBolna([(200, {"message": "done", "status": "queued"})]).start()
    try:
        with pytest.raises(BolnaError) as caught:
            BolnaClient(server.url, Secret("")).start_call("agent-7", "+919900000003", {})
    finally:
        server.stop()
    assert caught.value.call_may_exist


def test_nobody_listening_means_no_call_was_placed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(BolnaError) as caught:
        BolnaClient(f"http://127.0.0.1:{port}", Secret("")).start_call("agent-7", "+919900000003", {})
    assert caught.value.kind == "network"
    assert not caught.value.call_may_exist


def test_a_post_that_times_out_may_have_placed_the_call() -> None:
    server = StallingServer().start()
    try:
        client = BolnaClient(server.url, Secret(TOKEN), timeout=0.3)
        with pytest.raises(BolnaError) as posted:
            client.start_call("agent-7", "+919900000003", {})
        with pytest.raises(BolnaError) as read:
            client.get_execution("ex-1")
    finally:
        server.stop()
    assert posted.value.kind == "unknown-outcome" and posted.value.call_may_exist
    assert read.value.kind == "network" and not read.value.call_may_exist
    assert "no answer from Bolna in 0.3 s" in posted.value.note


def test_unsafe_execution_ids_never_reach_a_url() -> None:
    server = ScriptedBolna([(200, {})]).start()
    try:
        with pytest.raises(BolnaError):
            BolnaClient(server.url, Secret("")).get_execution("../call/x/stop")
    finally:
        server.stop()
    assert server.seen == []
