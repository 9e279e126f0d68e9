"""Queue guarantees with real worker processes that we start, signal and kill (file backend).

Counted through the broker's registry, so the same checks read any backend's state.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from daemon.broker import QueueName, State
from daemon.brokers.file import FileBroker
from daemon.brokers.file.layout import folders
from daemon.brokers.file.queue import FileQueue
from daemon.config import Config
from tests.conftest import wait_for

pytestmark = pytest.mark.slow
WORKER = ["-m", "tests.workers.queue_worker"]
Spawn = Callable[..., subprocess.Popen[bytes]]


def worker_env(cfg: Config, log: Path, **extra: str) -> dict[str, str]:
    return {"DATA_DIR": str(cfg.data_dir), "WORKER_LOG": str(log), "LOG_LEVEL": "WARNING", **extra}


def fill(cfg: Config, n: int, prefix: str = "t") -> None:
    broker = FileBroker(cfg)
    for i in range(n):
        broker.publish(QueueName.TRANSCRIPTS, f"{prefix}{i:05d}.json", b'{"call_ref_id": "%d"}' % i)


def events(log: Path) -> collections.Counter[tuple[str, str]]:
    lines = log.read_text().split("\n") if log.exists() else []
    return collections.Counter((line.split()[0], line.split()[1]) for line in lines if line)


_STATES = {
    "transcripts": State.WAITING,
    "processing": State.ACTIVE,
    "done/transcripts": State.DONE,
}


def folder(cfg: Config, name: str) -> list[str]:
    """The task names of the transcripts queue in the state this folder holds."""
    return sorted(e.name for e in FileBroker(cfg).registry.entries(QueueName.TRANSCRIPTS, _STATES[name]))


def intruder(cfg: Config) -> FileQueue:
    return FileQueue(cfg, folders(cfg.data_dir, QueueName.TRANSCRIPTS), watch=False)


def test_four_workers_drain_2000_tasks_exactly_once(cfg: Config, tmp_path: Path, spawn: Spawn) -> None:
    fill(cfg, 2000)
    log = tmp_path / "work.log"
    workers = [spawn(WORKER, env=worker_env(cfg, log)) for _ in range(4)]
    assert wait_for(lambda: len(folder(cfg, "done/transcripts")) == 2000, timeout=90)
    for w in workers:
        w.send_signal(signal.SIGTERM)
    assert [w.wait(timeout=20) for w in workers] == [0, 0, 0, 0]
    done = events(log)
    assert sorted(name for (kind, name) in done if kind == "done") == [f"t{i:05d}.json" for i in range(2000)]
    assert all(count == 1 for count in done.values())
    assert folder(cfg, "transcripts") == [] and folder(cfg, "processing") == []
    pids = {line.split()[2] for line in log.read_text().splitlines()}
    assert len(pids) >= 2  # the work really was shared


def test_killed_worker_task_is_recovered_and_completed_once(cfg: Config, tmp_path: Path, spawn: Spawn) -> None:
    fill(cfg, 1)
    log = tmp_path / "work.log"
    first = spawn(WORKER, env=worker_env(cfg, log, WORK_SECONDS="30"))
    assert wait_for(lambda: ("begin", "t00000.json") in events(log))
    first.kill()
    first.wait()
    assert len(folder(cfg, "processing")) == 1  # left behind, under the dead owner's name
    second = spawn(WORKER, env=worker_env(cfg, log))
    assert wait_for(lambda: folder(cfg, "done/transcripts") == ["t00000.json"])
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=20) == 0
    assert events(log)[("done", "t00000.json")] == 1
    assert folder(cfg, "processing") == [] and folder(cfg, "transcripts") == []


def test_live_workers_task_is_never_stolen(cfg: Config, tmp_path: Path, spawn: Spawn) -> None:
    fill(cfg, 1)
    log = tmp_path / "work.log"
    busy = spawn(WORKER, env=worker_env(cfg, log, WORK_SECONDS="3"))
    assert wait_for(lambda: ("begin", "t00000.json") in events(log))
    rival_log = tmp_path / "rival.log"
    rival = spawn(WORKER, env=worker_env(cfg, rival_log, RESCAN_SECONDS="0.1"))
    rival_queue = intruder(cfg)
    for _ in range(10):
        assert rival_queue.recover() == 0
        time.sleep(0.1)
    assert wait_for(lambda: folder(cfg, "done/transcripts") == ["t00000.json"])
    for w in (busy, rival):
        w.send_signal(signal.SIGTERM)
        assert w.wait(timeout=20) == 0
    assert events(log)[("done", "t00000.json")] == 1
    assert events(rival_log) == collections.Counter()


def test_first_sigterm_finishes_the_task_in_hand_and_exits_0(cfg: Config, tmp_path: Path, spawn: Spawn) -> None:
    fill(cfg, 2)
    log = tmp_path / "work.log"
    w = spawn(WORKER, env=worker_env(cfg, log, WORK_SECONDS="1.5"))
    assert wait_for(lambda: ("begin", "t00000.json") in events(log))
    w.send_signal(signal.SIGTERM)
    assert w.wait(timeout=20) == 0
    assert events(log)[("done", "t00000.json")] == 1
    assert folder(cfg, "transcripts") == ["t00001.json"]  # it took no new work after the signal
    assert folder(cfg, "processing") == []


def test_second_signal_exits_at_once_and_the_task_stays_recoverable(cfg: Config, tmp_path: Path, spawn: Spawn) -> None:
    fill(cfg, 1)
    log = tmp_path / "work.log"
    w = spawn(WORKER, env=worker_env(cfg, log, WORK_SECONDS="30"))
    assert wait_for(lambda: ("begin", "t00000.json") in events(log))
    started = time.monotonic()
    w.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    w.send_signal(signal.SIGTERM)
    assert w.wait(timeout=10) != 0
    assert time.monotonic() - started < 5
    assert len(folder(cfg, "processing")) == 1
    assert intruder(cfg).recover() == 1
    assert folder(cfg, "transcripts") == ["t00000.json"]


def test_burst_of_20000_files_is_fully_processed(cfg: Config, tmp_path: Path, spawn: Spawn) -> None:
    """Dropped faster than inotify reports them; the periodic rescan picks up whatever it drops."""
    log = tmp_path / "work.log"
    w = spawn(WORKER, env=worker_env(cfg, log, RESCAN_SECONDS="1"))
    inbox = cfg.data_dir / "transcripts"
    # Consuming, not merely started: the heartbeat comes before set-up declares the folders,
    # so wait until a first task has gone all the way through.
    assert wait_for(inbox.is_dir, timeout=30)
    (inbox / "ready.json").write_bytes(b'{"call_ref_id": "ready"}')
    assert wait_for(lambda: folder(cfg, "done/transcripts") == ["ready.json"], timeout=30)
    body = b'{"call_ref_id": "b"}'
    for i in range(20000):
        fd = os.open(inbox / f"b{i:05d}.json", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, body)
        os.close(fd)
    assert wait_for(lambda: len(folder(cfg, "done/transcripts")) == 20001, timeout=150, interval=0.5)
    w.send_signal(signal.SIGTERM)
    assert w.wait(timeout=20) == 0
    done = events(log)
    assert len([k for k in done if k[0] == "done"]) == 20001
    assert max(done.values()) == 1
