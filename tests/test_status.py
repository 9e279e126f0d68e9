"""`python -m daemon status`: what it reports and when its exit status says unhealthy."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cli.main import main as cli_main
from daemon import fsutil
from tests.conftest import wait_for


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    for sub in (
        "transcripts",
        "processing",
        "results",
        "delivering",
        "done/transcripts",
        "done/results",
        "deferred/results",
        "dead/transcripts",
        "dead/results",
        "dead/intake",
        "state/heartbeats",
    ):
        (root / sub).mkdir(parents=True)
    monkeypatch.setenv("DATA_DIR", str(root))
    monkeypatch.setenv("HEARTBEAT_SECONDS", "2")
    monkeypatch.setenv("STATUS_MAX_QUEUE_AGE", "10m")
    return root


def status(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = cli_main(["--env-file", "/nonexistent/.env", "status", "--json", *argv])
    return code, json.loads(capsys.readouterr().out)


def write_beat(data_dir: Path, stage: str, owner: str, beat_at: float, pid: int = 4242, **extra: Any) -> None:
    doc = {
        "stage": stage,
        "pid": pid,
        "owner": owner,
        "started_at": beat_at - 60,
        "beat_at": beat_at,
        "processed": 7,
        "failed": 1,
        "last_error": None,
        **extra,
    }
    (data_dir / "state/heartbeats" / f"{stage}.{pid}").write_text(json.dumps(doc))


def touch(path: Path, age: float = 0.0) -> None:
    path.write_text("{}")
    then = time.time() - age
    os.utime(path, (then, then))


def test_an_idle_healthy_pipeline_exits_zero(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = status(capsys)
    assert code == 0
    assert doc["healthy"] is True and doc["problems"] == []
    assert {name: s["state"] for name, s in doc["stages"].items()} == {
        "dialer": "not running",
        "intake": "not running",
        "processor": "not running",
        "delivery": "not running",
    }


def test_a_stale_queue_fails_the_check(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(data_dir / "transcripts/old.json", age=700)  # 11m40s, over STATUS_MAX_QUEUE_AGE=10m
    touch(data_dir / "transcripts/new.json")
    touch(data_dir / "results/fresh.json", age=30)
    code, doc = status(capsys)
    assert code == 1
    transcripts, results = doc["queues"]["transcripts"], doc["queues"]["results"]
    assert (transcripts["waiting"], transcripts["stale"]) == (2, True)
    assert 699 < transcripts["oldest_age"] < 720
    assert (results["waiting"], results["stale"]) == (1, False)
    assert doc["problems"] == ["transcripts: the oldest waiting task is 11m40s old (STATUS_MAX_QUEUE_AGE is 10m00s)"]

    monkeypatch.setenv("STATUS_MAX_QUEUE_AGE", "15m")  # the same folder under a looser limit
    code, doc = status(capsys)
    assert code == 0 and doc["queues"]["transcripts"]["stale"] is False


def test_counts_of_claims_deferrals_and_dead_letters(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    touch(data_dir / f"processing/a.json@{fsutil.owner_tag()}")  # claimed by a live process (this one)
    touch(data_dir / "processing/b.json@p999999999-1")  # its owner is gone: recovery will take it back
    retry_at = time.time() + 300
    touch(data_dir / "deferred/results/c.json")
    os.utime(data_dir / "deferred/results/c.json", (retry_at, retry_at))
    for folder, name in (("dead/results", "d.json"), ("dead/results", "e.json"), ("dead/intake", "body-1")):
        touch(data_dir / folder / name)
        (data_dir / folder / f"{name}.reason").write_text("reason: test\n")
    touch(data_dir / "done/results/f.json", age=90_000)
    touch(data_dir / "transcripts/.g.json.tmp", age=90_000)  # someone's temp file: not a task
    code, doc = status(capsys)
    assert code == 0
    assert doc["queues"]["transcripts"] | {"oldest_age": None} == {
        "waiting": 0,
        "oldest_age": None,
        "stale": False,
        "in_flight": 2,
        "orphaned": 1,
        "deferred": 0,
        "next_retry_in": None,
        "dead": 0,
        "done": 0,
        "stray": [],
    }
    results = doc["queues"]["results"]
    assert (results["deferred"], results["dead"], results["done"]) == (1, 2, 1)
    assert 290 < results["next_retry_in"] <= 300
    assert doc["dead_letters"] == {"intake": 1, "results": 2, "transcripts": 0}


def test_a_stray_folder_is_a_note_not_a_task_and_never_blocks_status(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (data_dir / "transcripts/oops").mkdir()
    os.utime(data_dir / "transcripts/oops", (time.time() - 7200,) * 2)
    os.mkfifo(data_dir / "results/pipe")
    code, doc = status(capsys)
    assert code == 0
    assert doc["queues"]["transcripts"]["waiting"] == 0
    assert doc["queues"]["transcripts"]["stray"] == ["transcripts/oops is a directory"]
    assert doc["queues"]["results"]["stray"] == ["results/pipe is a FIFO"]
    assert len(doc["notes"]) == 2


def test_stalled_heartbeat_of_a_live_process_fails(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    me = fsutil.owner_tag()
    write_beat(data_dir, "processor", me, time.time() - 1, pid=os.getpid())
    error = {"time": time.time() - 5, "call_id": "call-9", "message": "ValueError: boom"}
    write_beat(data_dir, "delivery", me, time.time() - 30, pid=os.getpid() + 1, last_error=error)  # > 3 x 2 s
    code, doc = status(capsys)
    assert code == 1
    assert doc["stages"]["processor"]["state"] == "alive"
    assert doc["stages"]["delivery"]["state"] == "stalled"
    assert doc["stages"]["delivery"]["last_error"] == error
    assert len(doc["problems"]) == 1
    assert doc["problems"][0].startswith(f"delivery (pid {os.getpid() + 1}): stalled, heartbeat 30s old")


def test_one_stalled_worker_fails_the_check_beside_a_live_sibling(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two delivery workers, one paused (SIGSTOP): its task is stuck even though delivery as a whole lives."""
    me = fsutil.owner_tag()
    write_beat(data_dir, "delivery", me, time.time(), pid=os.getpid())
    held = {"name": "call-7.json", "call_id": "call-7", "since": time.time() - 60}
    write_beat(data_dir, "delivery", me, time.time() - 60, pid=os.getpid() + 1, task=held)
    code, doc = status(capsys)
    assert code == 1
    assert doc["stages"]["delivery"]["state"] == "alive"
    assert any(p.startswith(f"delivery (pid {os.getpid() + 1}): stalled") for p in doc["problems"])


def test_environment_problems_and_long_held_tasks_fail_the_check(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    me = fsutil.owner_tag()
    write_beat(
        data_dir, "processor", me, time.time(), pid=os.getpid(), problem="results/ not writable (permission denied)"
    )
    held = {"name": "call-8.json", "call_id": "call-8", "since": time.time() - 3600}
    write_beat(data_dir, "delivery", me, time.time(), pid=os.getpid() + 1, task=held)
    code, doc = status(capsys)
    assert code == 1
    assert f"processor (pid {os.getpid()}): results/ not writable (permission denied)" in doc["problems"]
    assert any("has held call-8.json for 1h00m" in p for p in doc["problems"])


def test_expect_turns_not_running_into_a_failure(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_beat(data_dir, "processor", fsutil.owner_tag(), time.time())
    assert status(capsys, "--expect", "processor")[0] == 0
    code, doc = status(capsys, "--expect", "processor", "delivery")
    assert code == 1
    assert doc["problems"] == ["delivery: not running, and --expect requires it"]
    code, doc = status(capsys, "--expect", "all")
    assert code == 1 and len(doc["problems"]) == 3  # dialer, intake, delivery
    assert cli_main(["--env-file", "/nonexistent/.env", "status", "--expect", "mailer"]) == 2


def test_missing_data_folder_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "nowhere"))
    code, doc = status(capsys)
    assert code == 1
    assert doc["problems"] == [f"data folder {tmp_path / 'nowhere'} does not exist"]
    assert not (tmp_path / "nowhere").exists()  # status never creates anything


def test_text_output_names_the_problem(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    touch(data_dir / "results/old.json", age=3 * 3600)
    code = cli_main(["--env-file", "/nonexistent/.env", "status"])
    out = capsys.readouterr().out
    assert code == 1
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "results 1 3h00m ! 0 0 0 - 0 0" in lines
    assert "processor not running - - - - -" in lines
    assert "problem: results: the oldest waiting task is 3h00m old (STATUS_MAX_QUEUE_AGE is 10m00s)" in lines
    assert lines[-1] == "status: UNHEALTHY (1 problems)"


@pytest.mark.slow
def test_a_real_stage_alive_then_killed_then_stopped(
    data_dir: Path, capsys: pytest.CaptureFixture[str], spawn: Callable[..., subprocess.Popen[bytes]]
) -> None:
    # The delivery stage with webhooks off needs no endpoint: it just loops and beats.
    env = {"DATA_DIR": str(data_dir), "HEARTBEAT_SECONDS": "200ms", "WEBHOOKS_ENABLED": "false"}
    beats = data_dir / "state/heartbeats"

    proc = spawn(["-m", "daemon", "--env-file", "/nonexistent/.env", "run", "delivery"], env=env)
    assert wait_for(lambda: (beats / f"delivery.{proc.pid}").exists(), timeout=15)
    code, doc = status(capsys, "--expect", "delivery")
    assert code == 0
    assert doc["stages"]["delivery"]["state"] == "alive"
    assert [i["pid"] for i in doc["stages"]["delivery"]["instances"]] == [proc.pid]

    proc.send_signal(signal.SIGKILL)  # no chance to remove its heartbeat
    proc.wait(timeout=10)
    code, doc = status(capsys)
    assert code == 1
    assert doc["stages"]["delivery"]["state"] == "dead"
    assert doc["problems"] == [
        f"delivery (pid {proc.pid}): dead, exited without removing its heartbeat (crashed or killed, not restarted)"
    ]

    proc = spawn(["-m", "daemon", "--env-file", "/nonexistent/.env", "run", "delivery"], env=env)
    assert wait_for(lambda: (beats / f"delivery.{proc.pid}").exists(), timeout=15)
    proc.send_signal(signal.SIGTERM)  # a clean stop removes the heartbeat
    assert proc.wait(timeout=15) == 0
    code, doc = status(capsys)
    assert code == 0 and doc["stages"]["delivery"]["state"] == "not running"
    assert status(capsys, "--expect", "delivery")[0] == 1
