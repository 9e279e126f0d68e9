"""The calling side against reality's inconvenient side, end to end.

50 leads in a Google Sheet (the fake Sheets server, through the real gspread client), the
hard Bolna simulator (two lines, the rest queued; guardrail reschedules; rejected calls that
still complete; error and canceled; webhooks concurrent, reordered and duplicated), the
dialer and the intake on real time. Meanwhile an operator sorts the rows twice and drags the
Status column to the front, and the intake is killed once (dropped without its close(), its
unwritten row updates lost with it) and started again.

At the end, checked by phone number: every row holds only its own calls' data; no lead was
dialled twice for one attempt; every lead not reached was tried again; every finished call
has exactly one transcript task.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

from calls.phones import to_e164
from calls.statuses import TERMINAL
from calls.store import CallStore, LeadCalls
from daemon.config import Config, Secret
from daemon.runner import StopFlag, run_stage
from devtools.simulator import HARD, BolnaSimulator
from integrations.bolna.events import duration_seconds, reached
from integrations.sheets import SEED_COLUMNS, open_sheet
from stages.dialer import DialerStage
from stages.intake import IntakeStage
from tests.conftest import wait_for
from tests.fakes.sheets_operator import move_column, sort_rows
from tests.fakes.sheets_server import SheetsServer, write_service_account
from tests.test_calling_e2e import API_TOKEN, INTAKE_TOKEN, free_port

LEADS = 50
MAX_ATTEMPTS = 2
NAMES = ["Aarav", "Priya", "Karthik", "Sneha", "Rohit", "Divya", "Imran", "Meera", "Vikram", "Lakshmi"]
RETRIED = {"busy", "no-answer", "failed", "error"}  # and completed with nobody on the line


class IntakeLoop:
    """The intake stage's loop on a thread; `kill` drops it as SIGKILL would (no close())."""

    def __init__(self, cfg: Config, server: SheetsServer) -> None:
        self.stage = IntakeStage(cfg, sheet=open_sheet(cfg, session=server.session()))
        self.stage.setup()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stopped.is_set():
            if not self.stage.run_once():
                time.sleep(0.01)

    def kill(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        assert self.stage.server is not None
        self.stage.server.stop()  # the port is free again; the unwritten updates are gone

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.stage.close()


def sheet_grid() -> list[list[Any]]:
    rows: list[list[Any]] = [[*SEED_COLUMNS, "City"]]
    for n in range(LEADS):
        name = f"{NAMES[n % len(NAMES)]} {chr(65 + n // len(NAMES))}{n}"
        # Half the numbers were typed as numbers: the sheet shows them with Indian grouping.
        phone: Any = 9900000300 + n if n % 2 else f"+91 99000 00{300 + n}"
        rows.append([name, phone, *[""] * (len(SEED_COLUMNS) - 2), "Pune"])
    return rows


def final(calls: LeadCalls) -> bool:
    latest = calls.latest()
    if latest is None or latest.is_open:
        return False
    retry = latest.status in RETRIED or latest.not_reached
    return not retry or calls.counted() >= MAX_ATTEMPTS


def why_not(store: CallStore, sim: BolnaSimulator, server: SheetsServer) -> str:
    leads, _ = store.leads()
    stuck = {
        c.phone: [(a.status, a.not_reached, a.counted, a.sheet_version, a.sheet_synced) for a in c.attempts]
        for c in leads.values()
        if not final(c) or c.latest().sheet_behind  # type: ignore[union-attr]
    }
    with sim.lock:
        running = [c.status for c in sim.calls.values() if c.status not in TERMINAL]
    return (
        f"not settled: {len(leads)} leads, stuck {stuck}, calls running {running}, edits {server.operations_pending()}"
    )


def test_fifty_leads_an_operator_a_killed_intake_and_the_hard_simulator(cfg: Config, tmp_path: Path) -> None:
    with SheetsServer(sheet_grid()) as server:
        server.first_tab.formats[2] = "indian"
        key = write_service_account(tmp_path / "service-account.json")
        port = free_port()
        ecfg = cfg.replace(
            sheet_url=server.spreadsheet_url,
            credentials_file=key,
            sheet_requests_per_minute=100_000,
            sheet_flush_seconds=0.1,
            intake_port=port,
            intake_token=Secret(INTAKE_TOKEN),
            bolna_api_token=Secret(API_TOKEN),
            bolna_agent_id="agent-hard",
            calls_per_cycle=LEADS,
            call_spacing=0.0,
            dialer_interval=0.3,
            calling_window="00:00-24:00",
            retry_after=1.0,
            stale_call=0.5,  # shorter than the queue behind two lines: held calls are asked about
            max_attempts=MAX_ATTEMPTS,
        )
        sim = BolnaSimulator(
            webhook_url=f"http://127.0.0.1:{port}/webhook/bolna",
            speed=400.0,  # slow enough that calls wait in the queue longer than STALE_CALL
            api_token=Secret(API_TOKEN),
            intake_token=Secret(INTAKE_TOKEN),
            realism=HARD,
        ).start("127.0.0.1", 0)
        stop = StopFlag()
        # The first intake writes the sheet only every 5 s: killed, it takes finished calls'
        # updates with it, which the next one must find on disk and send.
        intake = IntakeLoop(ecfg.replace(sheet_flush_seconds=5.0), server)
        dialer = DialerStage(ecfg.replace(bolna_base_url=sim.url), sheet=open_sheet(ecfg, session=server.session()))
        dialer_thread = threading.Thread(target=run_stage, args=(dialer, stop), daemon=True)
        dialer_thread.start()
        store = CallStore(ecfg.data_dir)
        started = time.monotonic()

        def placed() -> int:
            return len(sim.calls)

        try:
            assert wait_for(lambda: placed() >= 12, timeout=20)
            server.operate(sort_rows, "Name")
            assert wait_for(lambda: placed() >= 20, timeout=20)
            intake.kill()
            leads_now, _ = store.leads()
            lost = [c for c in leads_now.values() if c.latest().sheet_behind and not c.latest().is_open]  # type: ignore[union-attr]
            assert lost, "the kill took finished calls' row updates with it"
            time.sleep(0.3)  # webhooks meanwhile are refused; Bolna's retries and reconciliation recover them
            intake = IntakeLoop(ecfg, server)
            assert wait_for(lambda: placed() >= 28, timeout=20)
            server.operate(move_column, "Status", 1)
            assert wait_for(lambda: placed() >= 40, timeout=20)
            server.operate(sort_rows, "Phone Number", True)

            def settled() -> bool:
                leads, _ = store.leads()
                if len(leads) < LEADS or not all(final(c) for c in leads.values()):
                    return False
                with sim.lock:
                    if any(c.status not in TERMINAL for c in sim.calls.values()):
                        return False
                return server.operations_pending() == 0 and all(not c.latest().sheet_behind for c in leads.values())  # type: ignore[union-attr]

            assert wait_for(settled, timeout=45, interval=0.1), why_not(store, sim, server)
        finally:
            stop.requested = True
            dialer_thread.join(10)
            intake.close()
            sim.stop()
        elapsed = time.monotonic() - started

        leads = open_sheet(ecfg, session=server.session()).read()
        calls, _ = store.leads()

    assert elapsed < 50, elapsed
    assert server.grid[0][0] == "Status", "the operator's column move happened"
    assert len(leads) == LEADS
    by_phone = {call.execution_id: call for call in sim.calls.values()}
    tasks = {p.stem for p in (ecfg.data_dir / "transcripts").glob("*.json")}
    calls_per_phone: dict[str, int] = Counter(call.phone for call in sim.calls.values())
    attempts_per_call: dict[str, int] = Counter(str(c.user_data.get("callpipe_attempt")) for c in sim.calls.values())
    retried = 0
    for lead in leads:
        phone = to_e164(lead.get("Phone Number"), "IN")
        assert phone is not None
        record = calls[phone.lstrip("+")]
        latest = record.latest()
        assert latest is not None
        call = by_phone[latest.execution_id]

        # Only its own calls' data: the row's execution id, transcript and summaries are its call's.
        assert call.phone == phone and lead.get("Latest Execution ID") == call.execution_id
        body = call.body(0.0)
        assert lead.get("Duration") == duration_seconds(body)
        assert lead.get("Transcript") == (call.conversation.transcript.strip() if call.status == "completed" else "")
        assert lead.get("Bolna Summary") == (body["summary"] or "" if call.status == "completed" else "")
        expected = "not-reached" if call.status == "completed" and not reached(body) else call.status
        assert lead.get("Status") == expected, lead.get("Name")

        # Never twice for one attempt: one Bolna call per dialled attempt, and no other; never
        # a new call while Bolna still held the last one.
        mine = sorted((c for c in sim.calls.values() if c.phone == phone), key=lambda c: c.created_at)
        assert all(b.created_at >= (a.ended_at or float("inf")) for a, b in pairwise(mine))
        dialled = [a for a in record.attempts if a.execution_id]
        assert calls_per_phone[phone] == len(dialled) == len({a.execution_id for a in dialled})
        assert all(by_phone[a.execution_id].phone == phone for a in dialled)
        assert all(attempts_per_call[a.attempt_id] == 1 for a in dialled)

        # Not reached: tried again, up to MAX_ATTEMPTS.
        first = record.attempts[0]
        if first.status in RETRIED or first.not_reached:
            assert record.counted() == MAX_ATTEMPTS, (lead.get("Name"), [a.status for a in record.attempts])
            retried += 1

    finished = {eid for eid, call in by_phone.items() if call.status in TERMINAL}
    assert tasks == finished, "exactly one transcript task per finished call"
    assert not list((ecfg.data_dir / "dead").rglob("*.json")), "no conflicting second task, no refused webhook"
    assert retried >= 10, "the hard simulator left enough leads unreached to matter"
    assert sim.webhooks.duplicated > 0
    assert any(c.status == "canceled" for c in sim.calls.values())
    lookups = [p for m, p in sim.api_calls if m == "GET" and p.startswith("/executions/")]
    assert lookups, "calls held past STALE_CALL were asked about, and kept"
