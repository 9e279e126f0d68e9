"""DIALER_MODE=batch against the simulator's batch endpoints, with the intake taking the calls'
webhooks (or, when they are all lost, the batch's own list of executions settling them)."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from calls.statuses import TERMINAL
from calls.store import CallStore
from daemon.clock import FakeClock
from daemon.config import Config, Secret
from devtools.simulator import BolnaSimulator
from integrations.sheets import SEED_COLUMNS, CsvSheet, Lead
from stages.dialer import DialerStage
from stages.intake import IntakeStage
from tests.fakes.bolna_server import running_simulator

TOKEN, INTAKE_TOKEN = "bn-batch-9a8b", "intake-batch"
DEALER_LINE, DEFAULT_LINE = "+918045670001", "+918045670000"
LEADS = [
    ("Asha Rao", "+919900000201", "complete", ""),
    ("Ravi Kumar", "+919900000202", "busy", ""),
    ("Meena Iyer", "+919900000203", "no-answer", ""),
    ("Kiran Das", "+919900000204", "partial", "08045670001"),  # the dealer's own registered line
    ("Zoya Khan", "+919900000205", "complete", "+91 80456 70001"),
]


@dataclass
class Batched:
    cfg: Config
    clock: FakeClock
    sim: BolnaSimulator
    dialer: DialerStage
    intake: IntakeStage | None

    def run(self, until: float = 10.0, settle: bool = True) -> None:
        """Both stages' loops, with the fake clock kept at the real time the simulator checks."""
        deadline = time.monotonic() + until
        while time.monotonic() < deadline:
            self.clock.t = time.time()
            self.clock.mono += 1.0
            self.dialer.run_once()
            if self.intake is not None:
                self.intake.run_once()
            if settle and self.settled():
                return
            time.sleep(0.02)

    def rows(self) -> list[Lead]:
        return CsvSheet(self.cfg.leads_path()).read()

    def settled(self) -> bool:
        return len(self.sim.calls) == len(LEADS) and all(lead.get("Status") in TERMINAL for lead in self.rows())


def batched(cfg: Config, tmp_path: Path, sim: BolnaSimulator, *, intake: bool, **changes: object) -> Batched:
    leads = tmp_path / "leads.csv"
    with leads.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([*SEED_COLUMNS, "Scenario", "Caller ID"])
        for name, phone, scenario, caller in LEADS:
            out.writerow([name, phone, *[""] * (len(SEED_COLUMNS) - 2), scenario, caller])
    settings: dict[str, object] = {
        "leads_csv": leads,
        "dialer_mode": "batch",
        "bolna_api_token": Secret(TOKEN),
        "bolna_agent_id": "agent-batch",
        "bolna_base_url": sim.url,
        "bolna_from_number": DEFAULT_LINE,
        "calling_window": "00:00-24:00",
        "dialer_interval": 5.0,
        "intake_port": 0,
        "intake_token": Secret(INTAKE_TOKEN),
        "sheet_flush_seconds": 1.0,
    }
    bcfg = cfg.replace(**{**settings, **changes})
    clock = FakeClock(time.time())
    dialer = DialerStage(bcfg, clock)
    dialer.setup()
    stage = None
    if intake:
        stage = IntakeStage(bcfg, clock)
        stage.setup()
        assert stage.server is not None
        sim.webhooks.url = f"{stage.server.url}/webhook/bolna"
    return Batched(bcfg, clock, sim, dialer, stage)


@pytest.fixture
def sim() -> Iterator[BolnaSimulator]:
    with running_simulator(speed=5000.0, api_token=TOKEN, intake_token=INTAKE_TOKEN) as simulator:
        yield simulator


def test_due_leads_go_as_batches_per_caller_id_and_come_back_through_the_webhooks(
    cfg: Config, tmp_path: Path, sim: BolnaSimulator
) -> None:
    world = batched(cfg, tmp_path, sim, intake=True)
    try:
        world.run()
        assert world.settled(), [lead.get("Status") for lead in world.rows()]
        world.run(until=1.0, settle=False)  # more cycles: they track the batches, and send no new one
    finally:
        world.dialer.close()
        assert world.intake is not None
        world.intake.close()
    assert len(sim.batches) == 2, "one batch per caller ID; none for leads whose calls are done or held"
    by_line = {tuple(b.from_numbers): b for b in sim.batches.values()}
    assert set(by_line) == {(DEALER_LINE,), (DEFAULT_LINE,)}
    dealer = by_line[(DEALER_LINE,)]
    assert sorted(r["contact_number"] for r in dealer.rows) == ["+919900000204", "+919900000205"]
    assert {r["customer_name"] for r in dealer.rows} == {"Kiran Das", "Zoya Khan"}, "the prompt's alias"
    assert all(r["callpipe_attempt"].startswith("a-") for r in dealer.rows)
    assert all("Caller ID" not in r for r in dealer.rows)
    sent = datetime.fromisoformat(dealer.scheduled_text)
    assert sent.utcoffset() is not None and not dealer.scheduled_text.endswith("Z")
    assert sent.utcoffset() == datetime.now(ZoneInfo("Asia/Kolkata")).utcoffset()

    calls = {call.phone: call for call in sim.calls.values()}
    assert len(calls) == len(LEADS), "every lead dialled exactly once"
    store = CallStore(world.cfg.data_dir)
    for lead in world.rows():
        call = calls[lead.get("Phone Number").replace(" ", "")]
        assert (lead.get("Status"), lead.get("Latest Execution ID")) == (call.status, call.execution_id)
        record = store.load(call.phone.lstrip("+"))
        assert record is not None and record.counted() == 1 and record.latest().batch_id == call.batch_id  # type: ignore[union-attr]
        task = world.cfg.data_dir / "transcripts" / f"{call.execution_id}.json"
        assert orjson.loads(task.read_bytes())["status"] == call.status
    assert {doc["state"] for doc in store.batches().values()} == {"executed"}


def test_lost_webhooks_are_settled_from_the_batch_s_executions(
    cfg: Config, tmp_path: Path, sim: BolnaSimulator
) -> None:
    world = batched(cfg, tmp_path, sim, intake=False)  # nobody hears a webhook
    try:
        world.run()
    finally:
        world.dialer.close()
    assert world.settled(), [lead.get("Status") for lead in world.rows()]
    tasks = sorted(p.stem for p in (world.cfg.data_dir / "transcripts").glob("*.json"))
    assert tasks == sorted(c.execution_id for c in sim.calls.values())
    executions = [(m, p) for m, p in sim.api_calls if p.endswith("/executions") and p.startswith("/batches/")]
    assert len(executions) == 2


def test_no_batch_is_sent_that_would_start_outside_the_calling_window(
    cfg: Config, tmp_path: Path, sim: BolnaSimulator
) -> None:
    now = datetime.now(ZoneInfo("Asia/Kolkata"))
    # A batch scheduled now starts at the first 10-minute mark 2.5 minutes ahead: a window
    # that closes right then is open now, but not when the batch would start.
    start = datetime.fromtimestamp(((now.timestamp() + 150) // 600 + 1) * 600, now.tzinfo)
    window = f"{(now.hour - 2) % 24:02d}:00-{start.hour:02d}:{start.minute:02d}"
    world = batched(cfg, tmp_path, sim, intake=False, calling_window=window)
    try:
        world.run(until=0.5)
    finally:
        world.dialer.close()
    assert sim.batches == {} and ("POST", "/batches") not in sim.api_calls
    assert all(lead.get("Status") == "" for lead in world.rows())
