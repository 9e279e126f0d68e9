"""The dialer stage against real local Bolna servers, a CSV lead sheet and an injected clock."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from calls.store import Attempt, CallStore
from daemon.clock import FakeClock
from daemon.config import Config, Secret
from daemon.runner import StartupError
from integrations.bolna.events import ATTEMPT_KEY
from integrations.sheets import SEED_COLUMNS, CsvSheet
from stages.dialer import DialerStage
from tests.conftest import wait_for
from tests.fakes.bolna_server import ScriptedBolna, StallingServer, running_simulator

TOKEN = "bn-dialer-test-1a2b3c"
NOON = datetime(2026, 1, 15, 12, 0, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp()
LEADS = [
    ("Asha Rao", "+919900000002"),
    ("Ravi Kumar", "099000 00003"),
    ("Not A Number", "12345"),
    ("Meena Iyer", "+91 99000 00005"),
]


def write_leads(path: Path, leads: list[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(SEED_COLUMNS)
        for name, phone in leads:
            out.writerow([name, phone, *[""] * (len(SEED_COLUMNS) - 2)])


def rows(cfg: Config) -> dict[str, dict[str, str]]:
    return {lead.get("Name"): dict(lead.values) for lead in CsvSheet(cfg.leads_path()).read()}


@pytest.fixture
def dcfg(cfg: Config, tmp_path: Path) -> Config:
    leads = tmp_path / "leads.csv"
    write_leads(leads, LEADS)
    return cfg.replace(
        leads_csv=leads,
        bolna_api_token=Secret(TOKEN),
        bolna_agent_id="agent-42",
        calls_per_cycle=2,
        call_spacing=5.0,
        dialer_interval=120.0,
        bolna_timeout=2.0,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOON)


def started(cfg: Config, clock: FakeClock) -> DialerStage:
    stage = DialerStage(cfg, clock)
    stage.setup()
    return stage


@pytest.fixture
def sim() -> Iterator[object]:
    with running_simulator(api_token=TOKEN) as simulator:
        yield simulator


def test_a_cycle_dials_calls_per_cycle_spaced_apart(dcfg: Config, clock: FakeClock, sim: object) -> None:
    stage = started(dcfg.replace(bolna_base_url=sim.url), clock)  # type: ignore[attr-defined]
    try:
        assert stage.run_once()  # the cycle: plans, marks the invalid number
        assert sim.calls == {}  # type: ignore[attr-defined]
        assert rows(dcfg)["Not A Number"]["Status"] == "invalid-number"
        assert "12345" in rows(dcfg)["Not A Number"]["Notes"]

        assert stage.run_once()  # first dial
        assert not stage.run_once(), "the next dial waits CALL_SPACING"
        clock.advance(5)
        assert stage.run_once()  # second dial
        calls = sim.calls.values()  # type: ignore[attr-defined]
        assert sorted(c.phone for c in calls) == ["+919900000002", "+919900000003"]
        assert all(c.agent_id == "agent-42" for c in calls)
        ravi = next(c for c in calls if c.phone == "+919900000003")
        assert ravi.user_data["Name"] == "Ravi Kumar" and ravi.user_data[ATTEMPT_KEY].startswith("a-")
        assert ravi.user_data["customer_name"] == "Ravi Kumar", "the documented alias for the prompt"
        assert "Status" not in ravi.user_data

        row = rows(dcfg)["Ravi Kumar"]
        assert row["Status"] == "queued", "Bolna's own word: it holds the call"
        assert row["Latest Execution ID"] == next(iter(c.execution_id for c in calls if c is ravi))
        assert row["Last Attempt Time"] == "2026-01-15 12:00:05"

        clock.advance(100)
        assert not stage.run_once(), "no new cycle before DIALER_INTERVAL"
        clock.advance(20)
        assert stage.run_once() and stage.run_once()
        assert len(sim.calls) == 3  # type: ignore[attr-defined]
        assert rows(dcfg)["Meena Iyer"]["Status"] == "queued"
    finally:
        stage.close()


def test_the_attempt_is_on_disk_before_the_dial_request(dcfg: Config, clock: FakeClock) -> None:
    lead_file = dcfg.data_dir / "state" / "calls" / "leads" / "919900000002.json"

    def what_the_disk_says() -> tuple[dict[str, object], str]:
        record = orjson.loads(lead_file.read_bytes())
        return record, rows(dcfg)["Asha Rao"]["Status"]

    bolna = ScriptedBolna(
        [(200, {"message": "done", "status": "queued", "execution_id": "ex-1"})], on_request=what_the_disk_says
    ).start()
    stage = started(dcfg.replace(bolna_base_url=bolna.url, calls_per_cycle=1), clock)
    try:
        stage.run_once()
        stage.run_once()
    finally:
        stage.close()
        bolna.stop()
    [seen] = bolna.seen
    record, sheet_status = seen.observed
    [attempt] = record["attempts"]
    assert (attempt["status"], attempt["execution_id"]) == ("initiating", "")
    assert sheet_status == "initiating"
    assert seen.body["recipient_phone_number"] == "+919900000002"
    assert seen.body["user_data"][ATTEMPT_KEY] == attempt["attempt_id"]
    assert rows(dcfg)["Asha Rao"]["Latest Execution ID"] == "ex-1"


def test_a_dial_that_may_have_happened_is_never_repeated_after_a_restart(dcfg: Config, clock: FakeClock) -> None:
    bolna = StallingServer().start()
    cfg = dcfg.replace(bolna_base_url=bolna.url, calls_per_cycle=1, bolna_timeout=0.3)
    try:
        first = started(cfg, clock)
        first.run_once(), first.run_once()
        first.close()
        assert bolna.requests == 1
        assert "may still happen" in rows(cfg)["Asha Rao"]["Notes"]

        clock.advance(cfg.dialer_interval)
        restarted = started(cfg, clock)
        restarted.run_once(), restarted.run_once()
        assert bolna.requests == 2, "the restart dials the next lead, not Asha again"
        assert rows(cfg)["Ravi Kumar"]["Status"] == "initiating"

        clock.advance(cfg.stale_call)  # both calls are now open for more than STALE_CALL
        restarted.run_once(), restarted.run_once()  # releases both, dials the last new lead
        asha = rows(cfg)["Asha Rao"]
        assert asha["Status"] == "failed" and "outcome is unknown" in asha["Notes"]
        assert bolna.requests == 3 and rows(cfg)["Meena Iyer"]["Status"] == "initiating"
        clock.advance(cfg.retry_after)
        restarted.run_once(), restarted.run_once()  # Asha is due again
        restarted.close()
    finally:
        bolna.stop()
    assert bolna.requests == 4
    asha_calls = CallStore(cfg.data_dir).load("919900000002")
    assert asha_calls is not None and asha_calls.counted() == 2


@pytest.mark.parametrize(
    ("status", "words", "shown", "counted", "second_dialled"),
    [
        (400, "Bolna rejected the request to start the call (400)", "failed", True, True),
        (401, "check BOLNA_API_TOKEN", "paused", False, False),
        (404, "check BOLNA_AGENT_ID", "paused", False, False),
        (429, "rate limit", "failed", False, False),
        (503, "server error (503)", "failed", False, False),
    ],
)
def test_bolna_errors_become_notes_on_the_row(
    dcfg: Config,
    clock: FakeClock,
    sim: object,
    caplog: pytest.LogCaptureFixture,
    status: int,
    words: str,
    shown: str,
    counted: bool,
    second_dialled: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    sim.fail_next(status)  # type: ignore[attr-defined]
    stage = started(dcfg.replace(bolna_base_url=sim.url, call_spacing=0), clock)  # type: ignore[attr-defined]
    try:
        for _ in range(3):
            stage.run_once()
    finally:
        stage.close()
    asha = rows(dcfg)["Asha Rao"]
    assert asha["Status"] == shown
    assert words in asha["Notes"]
    attempt = CallStore(dcfg.data_dir).load("919900000002").attempts[0]  # type: ignore[union-attr]
    assert (attempt.status, attempt.counted) == ("failed", counted)
    assert (len(sim.calls) == 1) is second_dialled  # type: ignore[attr-defined]
    sheet_text = dcfg.leads_path().read_text()
    assert TOKEN not in sheet_text and TOKEN not in caplog.text


def test_a_stale_call_is_settled_by_asking_bolna(dcfg: Config, clock: FakeClock, sim: object) -> None:
    cfg = dcfg.replace(bolna_base_url=sim.url, calls_per_cycle=1)  # type: ignore[attr-defined]
    stage = started(cfg, clock)
    try:
        stage.run_once(), stage.run_once()
        [call] = sim.calls.values()  # type: ignore[attr-defined]
        assert wait_for(lambda: call.status in ("completed", "no-answer", "busy", "failed"), timeout=10)
        clock.advance(cfg.stale_call + 60)  # no webhook ever came
        stage.run_once()
    finally:
        stage.close()
    asha = rows(cfg)["Asha Rao"]
    assert asha["Status"] == call.status
    assert asha["Latest Execution ID"] == call.execution_id
    task = cfg.data_dir / "transcripts" / f"{call.execution_id}.json"
    assert orjson.loads(task.read_bytes())["status"] == call.status
    if call.status == "completed":
        assert asha["Transcript"] == call.conversation.transcript.strip()


def test_a_call_bolna_never_heard_of_is_released(dcfg: Config, clock: FakeClock) -> None:
    bolna = ScriptedBolna([(200, {"execution_id": "ex-lost"}), (404, {"error": 404, "message": "not found"})]).start()
    cfg = dcfg.replace(bolna_base_url=bolna.url, calls_per_cycle=1)
    stage = started(cfg, clock)
    try:
        stage.run_once(), stage.run_once()
        clock.advance(cfg.stale_call + 1)
        stage.run_once()
    finally:
        stage.close()
        bolna.stop()
    assert [s.path for s in bolna.seen] == ["/call", "/executions/ex-lost"]
    asha = rows(cfg)["Asha Rao"]
    assert (asha["Status"], asha["Notes"]) == ("failed", "Bolna has no record of this call")


def test_used_up_attempts_are_noted_once(dcfg: Config, clock: FakeClock, sim: object) -> None:
    store = CallStore(dcfg.data_dir)
    with store.edit("919900000002", "+919900000002") as lead:
        for n in range(3):
            t = NOON - 3600 * (n + 1)
            lead.attempts.append(Attempt(f"a-{n}", t, "no-answer", f"ex-{n}", 2, updated_at=t, ended_at=t))
    stage = started(dcfg.replace(bolna_base_url=sim.url, calls_per_cycle=1), clock)  # type: ignore[attr-defined]
    try:
        stage.run_once()
        note = rows(dcfg)["Asha Rao"]["Notes"]
        clock.advance(dcfg.dialer_interval)
        stage.run_once(), stage.run_once(), stage.run_once()
    finally:
        stage.close()
    assert note == "gave up after 3 attempts"
    assert rows(dcfg)["Asha Rao"]["Notes"] == note
    assert all(c.phone != "+919900000002" for c in sim.calls.values())  # type: ignore[attr-defined]


def test_no_token_no_start(dcfg: Config, clock: FakeClock) -> None:
    stage = DialerStage(dcfg.replace(bolna_api_token=Secret(""), bolna_agent_id=""), clock)
    with pytest.raises(StartupError, match="BOLNA_API_TOKEN and BOLNA_AGENT_ID"):
        stage.setup()
