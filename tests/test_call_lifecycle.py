"""Every Bolna status a call can end (or wait) in, and what the dialer does next, table-driven.

The dialer and intake stages run for real against the Bolna simulator, a CSV sheet and one
FakeClock. The simulator is given no free line (concurrency 0): Bolna holds every call in
`queued`, as it does under a busy account's concurrency limit, until the test says how the
call went, by posting the webhook Bolna would send to the intake.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
import requests

from calls.eligibility import Action, DialRules, decide
from calls.store import CallStore
from daemon.clock import FakeClock
from daemon.config import Config, Secret
from devtools.simulator import BolnaSimulator, Realism
from integrations.sheets import SEED_COLUMNS, CsvSheet
from stages.dialer import DialerStage
from stages.intake import IntakeStage
from tests.fakes.bolna_server import running_simulator

TOKEN = "bn-lifecycle-7f3e"
NOON = datetime(2026, 1, 15, 12, 0, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp()
ASHA = "+919900000002"
KEY = ASHA.lstrip("+")
HELD = Realism(concurrency=0)  # no free line: Bolna keeps every call queued


@dataclass
class World:
    cfg: Config
    clock: FakeClock
    sim: BolnaSimulator
    stage: DialerStage
    intake: IntakeStage

    def cycle(self, advance: float = 0.0) -> None:
        """Let time pass, then one full dialer cycle and its dials, then the intake's sheet writes."""
        self.clock.advance(advance)
        self.stage._next_cycle = 0.0  # the cycle is due whatever DIALER_INTERVAL says
        for _ in range(4):
            self.stage.run_once()
        self.clock.advance(self.cfg.sheet_flush_seconds)
        self.intake.run_once()

    def dials(self) -> int:
        return sum(1 for method, path in self.sim.api_calls if (method, path) == ("POST", "/call"))

    def calls(self) -> Any:
        found = CallStore(self.cfg.data_dir).load(KEY)
        assert found is not None
        return found

    def row(self) -> dict[str, str]:
        return dict(CsvSheet(self.cfg.leads_path()).read()[0].values)

    def next_action(self) -> Action:
        lead = CsvSheet(self.cfg.leads_path()).read()[0]
        return decide(lead, {KEY: self.calls()}, self.clock.now(), DialRules.from_config(self.cfg)).action

    def webhook(self, status: str, **changes: Any) -> None:
        """Bolna's webhook for the lead's call, now at `status`, posted to the intake."""
        [execution_id] = [a.execution_id for a in self.calls().attempts if a.execution_id][-1:]
        body = {**self.sim.execution(execution_id), "status": status, **changes}  # type: ignore[dict-item]
        assert self.intake.server is not None
        url = f"{self.intake.server.url}/webhook/bolna"
        posted = requests.post(url, data=orjson.dumps(body), headers={"X-Callpipe-Token": "tok"}, timeout=5)
        assert posted.status_code == 200, posted.text


@pytest.fixture
def world(cfg: Config, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    options = getattr(request, "param", {})
    leads = tmp_path / "leads.csv"
    with leads.open("w", newline="") as fh:
        csv.writer(fh).writerows([SEED_COLUMNS, ["Asha Rao", ASHA]])
    with running_simulator(api_token=TOKEN, **{"realism": HELD, **options.get("sim", {})}) as sim:
        dcfg = cfg.replace(
            leads_csv=leads,
            bolna_api_token=Secret(TOKEN),
            bolna_agent_id="agent-42",
            bolna_base_url=sim.url,
            call_spacing=0.0,
            **options.get("cfg", {}),
        )
        clock = FakeClock(NOON)
        stage = DialerStage(dcfg, clock)
        stage.setup()
        intake = IntakeStage(dcfg.replace(intake_port=0, intake_token=Secret("tok")), clock)
        intake.setup()
        yield World(dcfg, clock, sim, stage, intake)
        intake.close()
        stage.close()


REJECTED = {"conversation_duration": 0, "transcript": "assistant: Hello! May I know your name, please?\n"}
SILENT = {"conversation_duration": 12.5, "transcript": "assistant: Hello?\nassistant: Are you there?\n"}

# status applied, its body's changes | the row's Status, the lead's next action at once and
# after RETRY_AFTER, and the attempts it has used
STATUSES = [
    ("queued", {}, "queued", Action.SKIP, Action.SKIP, 1),
    ("scheduled", {}, "scheduled", Action.SKIP, Action.SKIP, 1),
    ("rescheduled", {}, "rescheduled", Action.SKIP, Action.SKIP, 1),
    ("completed", REJECTED, "not-reached", Action.WAIT, Action.DIAL, 1),
    ("completed", SILENT, "not-reached", Action.WAIT, Action.DIAL, 1),
    ("balance-low", {"error_message": "Insufficient balance"}, "balance-low", Action.DIAL, Action.DIAL, 0),
    ("stopped", {}, "stopped", Action.SKIP, Action.SKIP, 1),
    ("canceled", {}, "canceled", Action.SKIP, Action.SKIP, 1),
]


@pytest.mark.parametrize(
    ("status", "changes", "shown", "now", "later", "used"),
    STATUSES,
    ids=[
        *("queued", "scheduled", "rescheduled", "completed-0s", "completed-no-user-turn"),
        "balance-low",
        "stopped",
        "canceled",
    ],
)
def test_each_status_decides_the_lead_s_next_action(
    world: World, status: str, changes: dict[str, Any], shown: str, now: Action, later: Action, used: int
) -> None:
    world.cycle()
    assert world.dials() == 1 and world.row()["Status"] == "queued", "Bolna's own word for a call it accepted"
    if status == "balance-low":
        world.sim.wallet = 0.0
    world.webhook(status, **changes)
    world.cycle()
    assert world.row()["Status"] == shown
    assert world.next_action() is now
    assert world.calls().counted() == used
    world.clock.advance(world.cfg.retry_after + 1)
    assert world.next_action() is later
    world.cycle()
    # balance-low paused dialling: the due lead waits for the account, not for RETRY_AFTER.
    dialled_again = later is Action.DIAL and status != "balance-low"
    assert world.dials() == (2 if dialled_again else 1), "dialled again only when the rules say so"
    assert world.calls().counted() == used + dialled_again
    if status == "balance-low":
        assert world.stage.problem and "wallet" in world.stage.problem
        world.sim.wallet = 40.0  # topped up: the next account check resumes dialling
        world.cycle(world.cfg.account_check_max)
        assert world.stage.problem is None and world.dials() == 2 and world.calls().counted() == 1


@pytest.mark.parametrize("status", ["queued", "scheduled", "rescheduled"])
def test_a_call_bolna_holds_is_never_dialled_again_however_long_it_waits(world: World, status: str) -> None:
    world.cycle()
    world.webhook(status)
    for _ in range(3):  # three STALE_CALLs: each time Bolna is asked, and its answer is trusted
        world.cycle(world.cfg.stale_call + 1)
    lookups = [p for m, p in world.sim.api_calls if m == "GET" and p.startswith("/executions/")]
    assert len(lookups) == 3 and world.dials() == 1
    attempt = world.calls().attempts[-1]
    assert attempt.status == "queued" and attempt.is_open and not attempt.released
    assert world.calls().counted() == 1


def test_a_lost_completed_webhook_costs_only_time(world: World) -> None:
    world.cycle()
    [attempt] = world.calls().attempts
    with world.sim.lock:  # the call ran and completed; none of its webhooks arrived
        call = world.sim.calls[attempt.execution_id]
        call.status = "completed"
    world.cycle(world.cfg.stale_call + 1)
    task = world.cfg.data_dir / "transcripts" / f"{attempt.execution_id}.json"
    assert orjson.loads(task.read_bytes())["status"] == "completed", "the same task the webhook would have made"
    assert world.calls().attempts[-1].transcript_task == "written"
    world.cycle(world.cfg.stale_call + 1)
    assert len(list(task.parent.glob("*.json"))) == 1


# -- account refusals --------------------------------------------------------------------------


def foreign_number() -> dict[str, Any]:
    return {"sim": {"numbers": {"+918045678901"}}, "cfg": {"bolna_from_number": "+918000000999"}}


def unknown_agent() -> dict[str, Any]:
    return {"sim": {"agents": {"agent-7"}}}


@pytest.mark.parametrize(
    ("world", "fault", "words", "fix", "relapses"),
    [
        ({}, 401, "check BOLNA_API_TOKEN", None, 0),
        ({}, 403, "check BOLNA_API_TOKEN", None, 0),
        (unknown_agent(), None, "check BOLNA_AGENT_ID", lambda sim: sim.agents.add("agent-42"), 0),
        (foreign_number(), None, "check BOLNA_FROM_NUMBER", lambda sim: sim.numbers.add("+918000000999"), 1),
    ],
    indirect=["world"],
    ids=["401", "403", "404-agent", "422-from-number"],
)
def test_account_refusals_pause_dialling_and_cost_no_attempt(
    world: World, fault: int | None, words: str, fix: Any, relapses: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    if fault:
        world.sim.fail_next(fault)
    world.cycle()
    row = world.row()
    assert row["Status"] == "paused" and words in row["Notes"] and "keeps its attempts" in row["Notes"]
    assert world.calls().counted() == 0
    assert world.next_action() is Action.DIAL, "the lead is due; only the pause holds it"
    assert world.stage.problem and words in world.stage.problem, "status names it and exits non-zero"
    assert sum(r.getMessage().startswith("dialling paused") for r in caplog.records) == 1

    world.cycle(world.cfg.retry_after)  # due again by the lead's rules; the pause holds it
    first_check = world.cfg.account_check_min
    world.cycle(first_check)  # the account endpoint is asked, never a call placed to find out
    assert ("GET", "/user/me") in world.sim.api_calls
    if fix is not None:
        # /user/me looks fine, but the agent or number is still wrong: a dial (404 agent is
        # checked first, so none) finds it again, and the next wait is longer.
        assert world.dials() == 1 + relapses and world.stage.problem is not None
        fix(world.sim)
        world.cycle(world.cfg.account_check_max)
    assert world.stage.problem is None
    assert world.dials() == 2 + relapses
    assert world.calls().attempts[-1].status == "queued"
    assert world.calls().counted() == 1, "only the call that was placed counts"
    assert world.row()["Status"] == "queued"


def test_the_account_is_asked_at_growing_intervals_and_at_once_on_restart(world: World) -> None:
    world.cycle()
    world.sim.wallet = 0.5  # below BOLNA_MIN_BALANCE (1.0)
    world.webhook("balance-low")
    world.cycle()
    checks: list[float] = []
    start = world.clock.now()
    for _ in range(100):  # 1000 s in 10 s steps
        before = world.sim.api_calls.count(("GET", "/user/me"))
        world.clock.advance(10)
        world.stage.run_once()
        if world.sim.api_calls.count(("GET", "/user/me")) > before:
            checks.append(world.clock.now() - start)
    gaps = [b - a for a, b in zip([0.0, *checks], checks, strict=False)]
    assert [round(g, -1) for g in gaps] == [30, 60, 120, 240, 480], gaps
    assert world.dials() == 1, "never a call to find out"

    restarted = DialerStage(world.cfg, world.clock)
    restarted.setup()
    try:
        before = world.sim.api_calls.count(("GET", "/user/me"))
        restarted.run_once()
        assert world.sim.api_calls.count(("GET", "/user/me")) == before + 1, "a restart looks at once"
        assert restarted.problem and "BOLNA_MIN_BALANCE" not in restarted.problem
        world.sim.wallet = 3.0
        world.clock.advance(world.cfg.account_check_max)
        restarted.run_once()
        assert restarted.problem is None
    finally:
        restarted.close()


# -- do-not-call and caller ID --------------------------------------------------------------


def set_cell(world: World, column: str, value: str) -> None:
    """An operator types into the row."""
    path = world.cfg.leads_path()
    rows = list(csv.reader(path.open(newline="")))
    if column not in rows[0]:
        rows[0].append(column)
    col = rows[0].index(column)
    rows[1].extend([""] * (col + 1 - len(rows[1])))
    rows[1][col] = value
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_do_not_call_stops_a_call_bolna_still_holds(world: World) -> None:
    world.cycle()
    [attempt] = world.calls().attempts
    set_cell(world, "Status", "do-not-call")
    world.cycle()
    assert ("POST", f"/call/{attempt.execution_id}/stop") in world.sim.api_calls
    assert world.sim.calls[attempt.execution_id].status == "stopped"
    assert world.calls().attempts[-1].status == "stopped" and world.calls().attempts[-1].stop_requested
    world.cycle(world.cfg.retry_after * 10)
    assert world.dials() == 1, "never rung again"
    assert world.sim.api_calls.count(("POST", f"/call/{attempt.execution_id}/stop")) == 1


@pytest.mark.parametrize("world", [{"sim": {"realism": Realism()}}], indirect=True)
def test_do_not_call_on_a_call_already_ringing_is_left_to_end(world: World) -> None:
    world.cycle()
    world.webhook("ringing")
    set_cell(world, "Status", "do-not-call")
    world.cycle()
    assert not any(p.endswith("/stop") for _, p in world.sim.api_calls), "Bolna stops only queued or scheduled calls"
    world.webhook("busy", error_message="SIP 486 busy here")  # the call ends as one we would retry
    world.cycle(world.cfg.retry_after * 10)
    assert world.row()["Status"] == "do-not-call", "our status never replaces the operator's"
    assert "SIP 486" in world.row()["Notes"], "the call's other columns are still written"
    assert world.dials() == 1


@pytest.mark.parametrize("world", [{"cfg": {"bolna_from_number": "+918045670000"}}], indirect=True)
def test_the_caller_id_is_the_row_s_or_bolna_from_number(world: World) -> None:
    world.cycle()
    first = world.sim.calls[world.calls().attempts[0].execution_id]
    assert first.from_number == "+918045670000"
    world.webhook("busy")
    set_cell(world, "Caller ID", "080 4567 0001")
    world.cycle(world.cfg.retry_after + 1)
    second = world.sim.calls[world.calls().attempts[-1].execution_id]
    assert second.from_number == "+918045670001", "the dealer's own registered line, as E.164"
    assert "Caller ID" not in second.user_data
    world.webhook("busy")
    set_cell(world, "Caller ID", "12")
    world.cycle(world.cfg.retry_after + 1)
    assert world.dials() == 2 and "Caller ID '12' is not a valid number" in world.row()["Notes"]


def test_a_paused_dialer_makes_status_fail_with_the_reason(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main as cli_main
    from daemon.heartbeat import Heartbeat

    world.sim.fail_next(401)
    world.cycle()
    beat = Heartbeat(world.cfg, world.stage)
    beat.folder.mkdir(parents=True, exist_ok=True)
    beat.beat()
    monkeypatch.setenv("DATA_DIR", str(world.cfg.data_dir))
    code = cli_main(["--env-file", "/nonexistent/.env", "status", "--json"])
    doc = orjson.loads(capsys.readouterr().out)
    assert code == 1
    [problem] = [p for p in doc["problems"] if p.startswith("dialer")]
    assert "dialling paused" in problem and "check BOLNA_API_TOKEN" in problem
