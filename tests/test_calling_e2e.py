"""The calling half end to end: lead sheet -> dialer -> Bolna simulator -> webhooks -> intake ->
sheet rows and transcript tasks. Real servers on 127.0.0.1, the real stage loop, real time
(the simulator runs a 3-minute call in well under a second)."""

from __future__ import annotations

import shutil
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from calls.phones import to_e164
from calls.statuses import TERMINAL
from daemon.config import Config, Secret
from daemon.runner import StopFlag, run_stage
from daemon.stage import Stage
from devtools.simulator import BolnaSimulator, SimulatedCall
from integrations.bolna.events import duration_seconds
from integrations.sheets import SEED_COLUMNS, CsvSheet, Lead, open_sheet
from stages.dialer import DialerStage
from stages.intake import IntakeStage
from tests.conftest import ROOT, wait_for
from tests.fakes.sheets_server import SheetsServer, write_service_account

SAMPLE_LEADS = ROOT / "samples" / "leads.csv"
API_TOKEN, INTAKE_TOKEN = "bn-e2e-5f4e3d", "intake-e2e-token"
SPEED = 2000.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def calling_config(cfg: Config, **changes: Any) -> Config:
    return cfg.replace(
        intake_port=free_port(),
        intake_token=Secret(INTAKE_TOKEN),
        bolna_api_token=Secret(API_TOKEN),
        bolna_agent_id="agent-e2e",
        calls_per_cycle=10,
        call_spacing=0.0,
        calling_window="00:00-24:00",
        sheet_flush_seconds=0.1,
        **changes,
    )


class Pipeline:
    """Intake and dialer each driven by the runner's loop on a thread, plus the simulator."""

    def __init__(self, cfg: Config, sheet_factory: Callable[[], Any] | None = None) -> None:
        self.cfg = cfg
        self.stop = StopFlag()
        sheet = sheet_factory or (lambda: None)
        self.intake = IntakeStage(cfg, sheet=sheet())
        self.simulator = BolnaSimulator(
            webhook_url=f"http://127.0.0.1:{cfg.intake_port}/webhook/bolna",
            speed=SPEED,
            api_token=Secret(API_TOKEN),
            intake_token=Secret(INTAKE_TOKEN),
        ).start("127.0.0.1", 0)
        self.dialer = DialerStage(cfg.replace(bolna_base_url=self.simulator.url), sheet=sheet())
        self.threads = [self._run(self.intake)]
        health = f"http://127.0.0.1:{cfg.intake_port}/health"
        assert wait_for(lambda: _answers(health), timeout=10), "intake did not come up"
        self.threads.append(self._run(self.dialer))

    def _run(self, stage: Stage) -> threading.Thread:
        thread = threading.Thread(target=run_stage, args=(stage, self.stop), daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.stop.requested = True
        for thread in self.threads:
            thread.join(10)
        self.simulator.stop()

    def calls_by_phone(self) -> dict[str, SimulatedCall]:
        return {call.phone: call for call in self.simulator.calls.values()}


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def check_rows(leads: list[Lead], calls: dict[str, SimulatedCall], cfg: Config) -> None:
    """Every row holds what Bolna's last word on its call says."""
    for lead in leads:
        call = calls[to_e164(lead.get("Phone Number"), "IN") or ""]
        final = call.body(0.0)
        assert lead.get("Status") == call.status, lead.get("Name")
        assert lead.get("Latest Execution ID") == call.execution_id
        assert lead.get("Duration") == duration_seconds(final)
        assert lead.get("Last Attempt Time")
        assert final["telephony_data"]["hangup_reason"] in lead.get("Notes")
        if call.status == "completed":
            assert lead.get("Transcript") == call.conversation.transcript.strip()
            assert lead.get("Bolna Summary") == call.conversation.summary
        else:
            assert lead.get("Transcript") == "" and lead.get("Bolna Summary") == ""
        task = cfg.data_dir / "transcripts" / f"{call.execution_id}.json"
        assert orjson.loads(task.read_bytes())["status"] == call.status


@pytest.fixture
def csv_pipeline(cfg: Config, tmp_path: Path) -> Iterator[Pipeline]:
    leads = tmp_path / "leads.csv"
    shutil.copyfile(SAMPLE_LEADS, leads)
    pipeline = Pipeline(calling_config(cfg, leads_csv=leads))
    yield pipeline
    pipeline.close()


def test_sample_leads_through_the_simulator_into_the_csv_sheet(csv_pipeline: Pipeline) -> None:
    cfg = csv_pipeline.cfg

    def settled() -> list[Lead] | None:
        leads = CsvSheet(cfg.leads_path()).read()
        calls = csv_pipeline.calls_by_phone()
        done = len(calls) == 10 and all(c.status in TERMINAL for c in calls.values())
        return leads if done and all(lead.get("Status") in TERMINAL for lead in leads) else None

    assert wait_for(lambda: settled() is not None, timeout=20), CsvSheet(cfg.leads_path()).read()
    leads = settled()
    assert leads is not None
    calls = csv_pipeline.calls_by_phone()
    statuses = sorted(lead.get("Status") for lead in leads)
    assert statuses == [
        "busy",
        "completed",
        "completed",
        "completed",
        "completed",
        "completed",
        "completed",
        "completed",
        "failed",
        "no-answer",
    ]
    check_rows(leads, calls, cfg)
    tasks = sorted(p.stem for p in (cfg.data_dir / "transcripts").glob("*.json"))
    assert tasks == sorted(c.execution_id for c in calls.values()), "exactly one task per call"
    assert list((cfg.data_dir / "dead" / "intake").iterdir()) == []
    assert all(code == 200 for _, _, code in csv_pipeline.simulator.delivered)


def test_three_leads_through_the_google_sheets_backend(cfg: Config, tmp_path: Path) -> None:
    grid = [
        list(SEED_COLUMNS),
        ["Ananya Iyer", "+919900000003"],
        ["Vikram Singh", "9900000017"],
        ["Sneha Reddy", "+91-99000-00013"],
    ]
    with SheetsServer(grid) as server:
        key = write_service_account(tmp_path / "service-account.json")
        # Google's quota is per minute; a test that waits minutes for it proves nothing more.
        gcfg = calling_config(
            cfg, sheet_url=server.spreadsheet_url, credentials_file=key, sheet_requests_per_minute=600
        )
        pipeline = Pipeline(gcfg, lambda: open_sheet(gcfg, session=server.session()))
        try:
            status = SEED_COLUMNS.index("Status")

            def settled() -> bool:
                calls = pipeline.calls_by_phone()
                if len(calls) < 3 or any(c.status not in TERMINAL for c in calls.values()):
                    return False
                with server.lock:
                    cells = [row[status] if len(row) > status else "" for row in server.grid[1:]]
                return all(cell in TERMINAL for cell in cells)

            assert wait_for(settled, timeout=20)
        finally:
            pipeline.close()
        leads = open_sheet(gcfg, session=server.session()).read()
        check_rows(leads, pipeline.calls_by_phone(), gcfg)
        assert [lead.get("Status") for lead in leads] == ["completed", "completed", "busy"]
        assert server.count("values.batchUpdate") < 20, "sheet writes are batched, not one per event"


@pytest.mark.slow
def test_the_real_processes(cfg: Config, tmp_path: Path, spawn: Callable[..., Any]) -> None:
    """`python -m daemon simulate`, `run intake` and `run dialer` as separate processes."""
    leads = tmp_path / "leads.csv"
    shutil.copyfile(SAMPLE_LEADS, leads)
    intake_port, simulator_port = free_port(), free_port()
    env = {
        "DATA_DIR": str(cfg.data_dir),
        "LEADS_CSV": str(leads),
        "INTAKE_PORT": str(intake_port),
        "SIMULATOR_PORT": str(simulator_port),
        "BOLNA_BASE_URL": f"http://127.0.0.1:{simulator_port}",
        "BOLNA_API_TOKEN": API_TOKEN,
        "BOLNA_AGENT_ID": "agent-e2e",
        "INTAKE_TOKEN": INTAKE_TOKEN,
        "SIMULATOR_SPEED": str(SPEED),
        "CALLS_PER_CYCLE": "10",
        "CALL_SPACING": "0",
        "CALLING_WINDOW": "00:00-24:00",
        "SHEET_FLUSH_SECONDS": "0.2",
        "DIALER_INTERVAL": "1",
    }
    no_env_file = ["--env-file", str(tmp_path / "none.env")]
    procs = [spawn(["-m", "daemon", *no_env_file, *args], env=env) for args in (["simulate"], ["run", "intake"])]
    assert wait_for(lambda: _answers(f"http://127.0.0.1:{intake_port}/health"), timeout=15)
    procs.append(spawn(["-m", "daemon", *no_env_file, "run", "dialer"], env=env))

    def settled() -> bool:
        rows = CsvSheet(leads).read()
        return len(rows) == 10 and all(lead.get("Status") in TERMINAL for lead in rows)

    assert wait_for(settled, timeout=30), [lead.get("Status") for lead in CsvSheet(leads).read()]
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    assert [proc.wait(timeout=15) for proc in procs] == [0, 0, 0]
    rows = CsvSheet(leads).read()
    assert all(lead.get("Latest Execution ID") for lead in rows)
    tasks = {p.stem for p in (cfg.data_dir / "transcripts").glob("*.json")}
    assert tasks == {lead.get("Latest Execution ID") for lead in rows}
