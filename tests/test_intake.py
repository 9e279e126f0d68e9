"""The intake stage on a real local server, with the real Bolna fixture and a CSV lead sheet.

Time is a FakeClock: sheet flushes, grace timers and result syncs happen when the test says.
"""

from __future__ import annotations

import copy
import csv
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from calls.store import CallStore
from daemon.broker import Published, QueueName, SameTask, State, UnavailableError
from daemon.brokers.file import FileBroker
from daemon.clock import FakeClock
from daemon.config import Config, Secret
from daemon.runner import StartupError
from integrations.bolna.client import BolnaClient
from integrations.sheets import SEED_COLUMNS, CsvSheet
from stages.intake import IntakeStage
from tests.conftest import FIXTURES, wait_for
from tests.fakes.bolna_server import running_simulator

FIXTURE = FIXTURES / "bolna" / "execution-completed-inbound.json"
FIXTURE_PHONE = "+919900000001"  # the customer in the fixture (an inbound call)
PHONES = {"Vivek": "+91 99000 00001", "Asha": "+919900000002", "Ravi": "09900000003"}


def write_leads(path: Path, rows: dict[str, str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(SEED_COLUMNS)
        for name, phone in rows.items():
            out.writerow([name, phone, *[""] * (len(SEED_COLUMNS) - 2)])


def fixture_body() -> dict[str, Any]:
    return orjson.loads(FIXTURE.read_bytes())


def outbound(execution_id: str, status: str, phone: str = "+919900000002", **fields: Any) -> dict[str, Any]:
    """The fixture turned into an outbound call's event at `status`."""
    body = copy.deepcopy(fixture_body())
    body.update(id=execution_id, status=status, user_number=phone, **fields)
    body["telephony_data"].update(call_type="outbound", to_number=phone)
    body["context_details"]["recipient_phone_number"] = phone
    if status != "completed":
        body.update(transcript=None, summary=None, conversation_duration=0)
        body["telephony_data"].update(duration=None, hangup_reason=None, hangup_by=None)
    return body


class Intake:
    """A started IntakeStage plus what tests poke at."""

    def __init__(self, cfg: Config, clock: FakeClock, **kwargs: Any) -> None:
        self.cfg, self.clock = cfg, clock
        self.stage = IntakeStage(cfg, clock, **kwargs)
        self.stage.setup()
        assert self.stage.server is not None
        self.url = self.stage.server.url + "/webhook/bolna"

    def post(self, body: Any, *, token: str | None = "tok-1", raw: bytes | None = None) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Callpipe-Token"] = token
        data = raw if raw is not None else orjson.dumps(body)
        return requests.post(self.url, data=data, headers=headers, timeout=5)

    def settle(self) -> None:
        """Let the stage's loop run with every timer due: sheet flush, result sync."""
        for _ in range(3):
            self.clock.advance(self.cfg.sheet_flush_seconds)
            self.stage.run_once()

    def row(self, phone: str) -> dict[str, str]:
        for lead in CsvSheet(self.cfg.leads_path()).read():
            if lead.get("Phone Number").replace(" ", "").lstrip("0").endswith(phone[-10:]):
                return dict(lead.values)
        raise AssertionError(f"no row for {phone}")

    def tasks(self) -> list[Path]:
        return sorted((self.cfg.data_dir / "transcripts").glob("*.json"))

    def dead(self) -> list[Path]:
        return sorted((self.cfg.data_dir / "dead" / "intake").glob("*.json"))


@pytest.fixture
def icfg(cfg: Config, tmp_path: Path) -> Config:
    leads = tmp_path / "leads.csv"
    write_leads(leads, PHONES)
    return cfg.replace(intake_port=0, leads_csv=leads, intake_token=Secret("tok-1"), sheet_flush_seconds=2.0)


@pytest.fixture
def intake(icfg: Config) -> Iterator[Intake]:
    running = Intake(icfg, FakeClock())
    yield running
    running.stage.close()


def test_the_real_fixture_fills_its_row_and_becomes_one_transcript_task(intake: Intake) -> None:
    response = intake.post(fixture_body())
    assert response.status_code == 200
    assert response.json() == {"ok": True, "execution_id": fixture_body()["id"], "status": "completed", "applied": True}
    intake.settle()
    row = intake.row(FIXTURE_PHONE)
    assert row["Status"] == "completed"
    assert row["Latest Execution ID"] == "6c972873-19b2-44b0-a6bf-d4f690a7a9cf"
    assert row["Duration"] == "69"
    assert row["Transcript"].startswith("assistant: Hello — this is Naina") and "विवेक" in row["Transcript"]
    assert row["Bolna Summary"].startswith("The conversation involved an agent named Naina")
    assert row["Summary"] == "", "ours comes from our analysis, never from Bolna's"
    assert orjson.loads(row["Extracted"]) == fixture_body()["extracted_data"]
    assert row["Notes"] == "hangup: Call recipient hungup (by Caller); smart status: completed"
    [task] = intake.tasks()
    assert task.name == "6c972873-19b2-44b0-a6bf-d4f690a7a9cf.json"
    assert orjson.loads(task.read_bytes()) == fixture_body(), "the task is the raw execution body"


def test_out_of_order_events_never_move_a_call_backwards(intake: Intake) -> None:
    answers = [
        intake.post(outbound("ex-1", status)).json()
        for status in ("initiated", "completed", "ringing", "call-disconnected", "in-progress")
    ]
    assert [a["applied"] for a in answers] == [True, True, False, False, False]
    assert {a["status"] for a in answers[1:]} == {"completed"}
    intake.settle()
    row = intake.row("+919900000002")
    assert (row["Status"], row["Duration"]) == ("completed", "69")
    assert len(intake.tasks()) == 1


def test_terminal_statuses_outrank_each_other_but_never_lose_to_progress(intake: Intake) -> None:
    assert intake.post(outbound("ex-2", "busy")).json()["applied"] is True
    assert intake.post(outbound("ex-2", "ringing")).json()["applied"] is False
    assert intake.post(outbound("ex-2", "completed")).json()["status"] == "completed"
    assert intake.post(outbound("ex-2", "failed")).json()["applied"] is False
    assert [t.stem for t in intake.tasks()] == ["ex-2"], "one task per execution, from the first final status"


def test_duplicates_and_restarts_never_make_a_second_task(icfg: Config) -> None:
    clock = FakeClock()
    first = Intake(icfg, clock)
    for _ in range(3):
        assert first.post(outbound("ex-3", "completed")).status_code == 200
    [task] = first.tasks()
    task.unlink()  # the processor took it
    assert first.post(outbound("ex-3", "completed")).status_code == 200
    first.stage.close()

    again = Intake(icfg, clock)  # a restarted intake, same data folder
    try:
        assert again.post(outbound("ex-3", "completed")).json()["applied"] is True
        assert again.tasks() == []
    finally:
        again.stage.close()


def test_concurrent_duplicates_make_exactly_one_task(intake: Intake) -> None:
    body = outbound("ex-4", "completed")
    codes: list[int] = []
    threads = [threading.Thread(target=lambda: codes.append(intake.post(body).status_code)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 8
    assert [t.stem for t in intake.tasks()] == ["ex-4"]


@pytest.mark.parametrize(
    ("token", "query", "status"),
    [(None, "", 401), ("wrong", "", 401), ("tok-1", "", 200), (None, "?token=tok-1", 200), (None, "?token=x", 401)],
)
def test_the_shared_token(intake: Intake, token: str | None, query: str, status: int) -> None:
    headers = {"X-Callpipe-Token": token} if token else {}
    response = requests.post(intake.url + query, json=outbound("ex-5", "ringing"), headers=headers, timeout=5)
    assert response.status_code == status
    if status != 200:
        assert "token" in response.json()["error"]
        assert intake.dead() == [], "unauthenticated requests are not stored"
        assert not (intake.cfg.data_dir / "state" / "calls" / "executions" / "ex-5.json").exists()


def test_the_ip_allowlist(icfg: Config) -> None:
    outside = Intake(icfg.replace(intake_allowed_ips=("13.203.39.153", "10.0.0.0/8")), FakeClock())
    try:
        response = outside.post(outbound("ex-6", "ringing"))
        assert (response.status_code, response.json()["error"]) == (403, "source address not allowed")
    finally:
        outside.stage.close()
    inside = Intake(icfg.replace(intake_allowed_ips=("127.0.0.1",), intake_token=Secret("")), FakeClock())
    try:
        assert inside.post(outbound("ex-6", "ringing"), token=None).status_code == 200
    finally:
        inside.stage.close()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"id": "ex-7", "status": ', "malformed JSON"),
        (b"[1, 2]", "a JSON list, not an object"),
        (b'{"status": "completed"}', "no execution id"),
        (b'{"id": "../../etc/passwd", "status": "completed"}', "not 1-128 characters"),
        (b'{"id": "ex-7"}', "no call status"),
    ],
)
def test_bad_bodies_get_400_and_are_kept_with_a_reason(intake: Intake, raw: bytes, reason: str) -> None:
    response = intake.post(None, raw=raw)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    [kept] = intake.dead()
    assert kept.read_bytes() == raw
    assert reason in kept.with_name(kept.name + ".reason").read_text()
    assert response.json()["kept_as"] == kept.name
    assert intake.tasks() == []


def test_an_oversized_body_is_refused(icfg: Config) -> None:
    small = Intake(icfg.replace(intake_max_body_bytes=2048), FakeClock())
    try:
        response = small.post(fixture_body())  # about 4 KB
        assert response.status_code == 413
        assert "2048" in response.text  # waitress refuses it before the app sees it
    finally:
        small.stage.close()


def test_health(intake: Intake) -> None:
    assert requests.get(intake.url.replace("/webhook/bolna", "/health"), timeout=5).json() == {"status": "ok"}


def test_metrics_are_served_in_prometheus_text_format(intake: Intake) -> None:
    """The intake serves its own counters and every other stage's textfile, merged."""
    from daemon import metrics

    other = metrics.textfile_path(intake.cfg.data_dir, "processor")
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_text(
        "# HELP callpipe_tasks_processed_total Tasks handled.\n"
        "# TYPE callpipe_tasks_processed_total counter\n"
        'callpipe_tasks_processed_total{stage="processor"} 7.0\n'
    )
    url = intake.url.replace("/webhook/bolna", "/metrics")
    assert requests.get(url, timeout=5).status_code == 401, "/metrics is behind the webhook's check"
    response = requests.get(url, headers={"X-Callpipe-Token": "tok-1"}, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert 'callpipe_tasks_processed_total{stage="intake"} 0.0' in response.text
    assert 'callpipe_tasks_processed_total{stage="processor"} 7.0' in response.text


def test_answering_never_waits_for_the_sheet(intake: Intake) -> None:
    before = intake.cfg.leads_path().read_bytes()
    assert intake.post(outbound("ex-8", "completed")).status_code == 200
    assert intake.cfg.leads_path().read_bytes() == before, "the request thread must not write the sheet"
    intake.stage.run_once()
    assert intake.cfg.leads_path().read_bytes() == before, "writes are batched until SHEET_FLUSH_SECONDS"
    intake.settle()
    assert intake.row("+919900000002")["Status"] == "completed"


def test_completed_that_never_comes_is_replaced_after_the_grace_period(intake: Intake) -> None:
    grace = intake.cfg.disconnect_grace
    intake.post(outbound("ex-9", "in-progress"))
    intake.post(outbound("ex-9", "call-disconnected"))
    intake.clock.advance(grace - 5)
    intake.stage.run_once()
    assert intake.tasks() == []
    intake.clock.advance(10)
    intake.stage.run_once()
    [task] = intake.tasks()
    assert orjson.loads(task.read_bytes())["status"] == "call-disconnected"
    intake.settle()
    assert "no 'completed' from Bolna within the grace period" in intake.row("+919900000002")["Notes"]
    task.unlink()
    assert intake.post(outbound("ex-9", "completed")).json()["status"] == "completed"
    assert intake.tasks() == [], "the late completed must not make a second task"
    intake.settle()
    assert intake.row("+919900000002")["Status"] == "completed"


def test_the_grace_timer_asks_bolna_for_the_call_as_it_stands(icfg: Config) -> None:
    with running_simulator(speed=1000) as sim:
        client = BolnaClient(sim.url, Secret(""))
        eid, _ = client.start_call("agent-1", "+919900000003", {"Scenario": "complete"})
        assert wait_for(lambda: client.get_execution(eid)["status"] == "completed", timeout=10)
        intake = Intake(icfg, FakeClock(), bolna=client)
        try:
            disconnected = dict(client.get_execution(eid), status="call-disconnected", transcript=None)
            intake.post(disconnected)
            intake.clock.advance(icfg.disconnect_grace + 1)
            intake.stage.run_once()
            [task] = intake.tasks()
            body = orjson.loads(task.read_bytes())
            assert body["status"] == "completed" and body["transcript"].startswith("assistant:")
            intake.settle()
            assert intake.row("+919900000003")["Status"] == "completed"
        finally:
            intake.stage.close()


def test_analysis_results_reach_the_sheet(intake: Intake) -> None:
    intake.post(outbound("ex-10", "completed"))
    intake.settle()
    result = {
        "payload": {
            "call_ref_id": "ex-10",
            "response_data": [
                {"key_value": "name", "key_response": "Vivek", "remarks": "verified"},
                {"key_value": "model", "key_response": "", "remarks": "not_available"},
                {"key_value": "email", "key_response": "vivek@example.com", "remarks": "verified"},
            ],
            "dealer_routing": {"status": False, "reason": "Partial data collected - call ended", "time": ""},
        },
        "summary": "Vivek gave a name and an email; no model.",
        "source": {"name": "ex-10.json"},
    }
    done = intake.cfg.data_dir / "done" / "results"
    done.mkdir(parents=True, exist_ok=True)
    (done / "ex-10.json").write_bytes(orjson.dumps(result))
    intake.settle()
    row = intake.row("+919900000002")
    assert row["Customer Name"] == "Vivek"
    assert row["Email"] == "vivek@example.com"
    assert row.get("Model", "") == ""
    assert row["Routing"] == "Partial data collected - call ended"
    assert row["Summary"] == "Vivek gave a name and an email; no model."
    store = CallStore(intake.cfg.data_dir)
    assert store.load("919900000002").by_execution("ex-10").result_synced  # type: ignore[union-attr]


def test_results_are_found_mid_delivery_and_not_awaited_when_dead_lettered(intake: Intake) -> None:
    intake.post(outbound("ex-20", "completed"))
    intake.post(outbound("ex-21", "no-answer", phone="+919900000003"))
    root = intake.cfg.data_dir
    (root / "dead" / "transcripts").mkdir(parents=True, exist_ok=True)
    (root / "transcripts" / "ex-21.json").rename(root / "dead" / "transcripts" / "ex-21.json")
    (root / "delivering").mkdir(parents=True, exist_ok=True)
    result = {
        "payload": {"call_ref_id": "ex-20", "response_data": [{"key_value": "model", "key_response": "Kia Seltos"}]}
    }
    (root / "delivering" / "ex-20.json@p123-456").write_bytes(orjson.dumps(result))
    intake.settle()
    assert intake.row("+919900000002")["Model"] == "Kia Seltos"
    store = CallStore(root)
    assert store.load("919900000002").by_execution("ex-20").result_synced  # type: ignore[union-attr]
    assert store.load("919900000003").by_execution("ex-21").result_synced  # type: ignore[union-attr]
    assert "Model" not in intake.row("+919900000003") or intake.row("+919900000003")["Model"] == ""


def test_an_earlier_call_s_late_event_leaves_the_newer_call_s_row_alone(intake: Intake) -> None:
    intake.post(outbound("ex-old", "no-answer"))
    intake.post(outbound("ex-new", "in-progress"))
    intake.settle()
    assert intake.row("+919900000002")["Latest Execution ID"] == "ex-new"
    intake.post(outbound("ex-old", "completed"))  # a straggler from the first call
    intake.settle()
    row = intake.row("+919900000002")
    assert (row["Latest Execution ID"], row["Status"]) == ("ex-new", "in-progress")


def test_a_call_for_a_number_not_in_the_sheet_is_still_tracked(intake: Intake) -> None:
    assert intake.post(outbound("ex-11", "completed", phone="+919900000099")).status_code == 200
    intake.settle()
    assert [t.stem for t in intake.tasks()] == ["ex-11"]
    assert all(lead.get("Latest Execution ID") != "ex-11" for lead in CsvSheet(intake.cfg.leads_path()).read())


def test_a_crash_between_state_and_task_file_is_finished_on_start(icfg: Config) -> None:
    first = Intake(icfg, FakeClock())
    first.post(outbound("ex-12", "completed"))
    first.post(outbound("ex-13", "completed"))
    first.stage.close()
    store = CallStore(icfg.data_dir)
    with store.edit("919900000002", "+919900000002") as lead:
        for attempt in lead.attempts:
            attempt.transcript_task = "writing"  # as if both crashed before the rename
    transcripts = icfg.data_dir / "transcripts"
    (transcripts / "ex-12.json").unlink()  # never written
    processed = icfg.data_dir / "done" / "transcripts"
    processed.mkdir(parents=True, exist_ok=True)
    (transcripts / "ex-13.json").rename(processed / "ex-13.json")  # written and already processed
    again = Intake(icfg, FakeClock())
    try:
        assert [t.stem for t in again.tasks()] == ["ex-12"]
        states = {a.execution_id: a.transcript_task for a in store.load("919900000002").attempts}  # type: ignore[union-attr]
        assert states == {"ex-12": "written", "ex-13": "written"}
    finally:
        again.stage.close()


def test_listening_beyond_this_machine_needs_authentication(icfg: Config) -> None:
    stage = IntakeStage(icfg.replace(intake_host="0.0.0.0", intake_token=Secret("")), FakeClock())
    with pytest.raises(StartupError, match="INTAKE_TOKEN"):
        stage.setup()
    stage.close()


# -- bounded input: nothing an unauthenticated or odd peer sends can fill the disk or a log ------------


def _temp_bytes(folder: Path) -> int:
    """Bytes in files this process holds open under `folder`, deleted ones included (waitress
    buffers large bodies in unlinked temp files)."""
    total = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
            if target.startswith(str(folder)):
                total += os.stat(fd).st_size
        except OSError:
            continue
    return total + sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def test_a_huge_unauthenticated_body_is_refused_before_it_is_buffered(
    intake: Intake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """waitress would spool up to 1 GiB to temp files before the app checks the token."""
    import socket
    import tempfile

    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    host, port = intake.stage.server.host, intake.stage.server.port  # type: ignore[union-attr]
    size = 50 * 1024 * 1024
    chunk = b"x" * (1024 * 1024)
    peak = 0
    with socket.create_connection((host, port), timeout=10) as conn:
        head = (
            f"POST /webhook/bolna HTTP/1.1\r\nHost: {host}\r\nX-Callpipe-Token: wrong\r\n"
            f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
        )
        conn.sendall(head.encode())
        try:
            for _ in range(size // len(chunk)):
                conn.sendall(chunk)
                peak = max(peak, _temp_bytes(spool))
        except OSError:
            pass  # the server answered and closed while we were still sending: what we want
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    assert peak < 2 * 1024 * 1024, f"{peak} bytes were spooled for a refused request"


def test_deeply_nested_json_gets_400_once(intake: Intake) -> None:
    deep = b"[" * 300 + b"]" * 300
    response = intake.post(None, raw=deep)
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["error"]
    dead = sorted((intake.cfg.data_dir / "dead" / "intake").glob("*.json"))
    assert len(dead) == 1 and dead[0].read_bytes() == deep


def test_a_status_that_is_not_bolnas_is_refused_and_never_applied(intake: Intake) -> None:
    body = outbound("ex-forged", "completed")
    body["status"] = "completed\n2026-01-01 00:00:00.000 intake INFO - applied forged"
    response = intake.post(body)
    assert response.status_code == 400
    assert "unknown call status" in response.json()["error"]
    assert CallStore(intake.cfg.data_dir).execution("ex-forged") is None
    intake.settle()
    assert "forged" not in intake.cfg.leads_path().read_text()


def test_retention_prunes_execution_bodies_and_refused_bodies(icfg: Config) -> None:
    """RETENTION_DAYS applies to state/calls/executions/ (about 8 KB a call) and dead/intake/ too."""
    clock = FakeClock()
    running = Intake(icfg.replace(retention_days=2), clock)
    try:
        assert running.post(outbound("ex-old", "completed")).status_code == 200
        assert running.post(None, raw=b"{not json").status_code == 400
        executions = icfg.data_dir / "state" / "calls" / "executions"
        dead = icfg.data_dir / "dead" / "intake"
        old = clock.now() - 3 * 86400
        for path in [*executions.iterdir(), *dead.iterdir()]:
            os.utime(path, (old, old))
        assert running.post(outbound("ex-new", "completed", phone="+919900000003")).status_code == 200
        (dead / ".gitkeep").touch()
        running.stage.run_once()
        assert sorted(p.name for p in executions.iterdir()) == ["ex-new.json"]
        assert sorted(p.name for p in dead.iterdir()) == [".gitkeep"]
        lead = CallStore(icfg.data_dir).load("919900000002")
        assert lead is not None and lead.by_execution("ex-old") is not None  # attempt counts are kept
    finally:
        running.stage.close()


class FullDiskBroker(FileBroker):
    """The real file backend, with the disk full while `full` is set."""

    full = False

    def publish(self, queue: str, name: str, body: bytes, *, same: SameTask | None = None) -> Published:
        if self.full:
            raise UnavailableError("disk full on DATA_DIR")
        return super().publish(queue, name, body, same=same)


def test_a_transcript_interrupted_by_a_full_disk_is_finished_by_the_next_event(icfg: Config) -> None:
    """Not only at start-up: Bolna's next copy of `completed` finds "writing" and finishes it."""
    broker = FullDiskBroker(icfg)
    running = Intake(icfg, FakeClock(), broker=broker)
    try:
        broker.full = True
        assert running.post(outbound("ex-full", "completed")).status_code == 503  # Bolna will send it again
        lead = CallStore(icfg.data_dir).load("919900000002")
        assert lead is not None and lead.by_execution("ex-full").transcript_task == "writing"  # type: ignore[union-attr]
        assert list(broker.registry.entries(QueueName.INTAKE, State.DEAD)) == []  # not the body's fault

        broker.full = False
        assert running.post(outbound("ex-full", "completed")).status_code == 200
        lead = CallStore(icfg.data_dir).load("919900000002")
        assert lead.by_execution("ex-full").transcript_task == "written"  # type: ignore[union-attr]
        assert [e.name for e in broker.registry.entries(QueueName.TRANSCRIPTS, State.WAITING)] == ["ex-full.json"]
        assert running.post(outbound("ex-full", "completed")).status_code == 200  # and only once
        assert len(list(broker.registry.entries(QueueName.TRANSCRIPTS, State.WAITING))) == 1
    finally:
        running.stage.close()


def test_refused_bodies_read_like_every_other_dead_letter(
    intake: Intake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One format for every dead letter: `dead-letter list` reads the intake's as it reads the queues'."""
    from cli.main import main as cli_main

    assert intake.post(None, raw=b"{not json").status_code == 400
    monkeypatch.setenv("DATA_DIR", str(intake.cfg.data_dir))
    assert cli_main(["--env-file", "/nonexistent/.env", "dead-letter", "list", "--queue", "intake", "--json"]) == 0
    (letter,) = orjson.loads(capsys.readouterr().out)
    assert letter["queue"] == "intake" and letter["reason"].startswith("malformed JSON")
