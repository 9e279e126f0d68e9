"""The supervisor behind `python -m daemon run` with several stages, with real child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from daemon.config import Config
from tests.conftest import wait_for

pytestmark = pytest.mark.slow
Spawn = Callable[..., subprocess.Popen[bytes]]

SUPERVISOR = """
import sys
from daemon import logs
from daemon.runner import Child, supervise
logs.configure("supervisor", "text", "INFO")
worker = [sys.executable, "-m", "tests.workers.queue_worker"]
broken = [sys.executable, "-c", "import sys; sys.exit(78)"]
sys.exit(supervise([Child("worker", worker), Child("broken", broken)], grace=10))
"""


def heartbeats(cfg: Config) -> dict[int, dict]:
    folder = cfg.data_dir / "state" / "heartbeats"
    if not folder.exists():
        return {}
    docs = {}
    for path in folder.iterdir():
        if not path.name.startswith("."):
            try:
                doc = orjson.loads(path.read_bytes())
            except (FileNotFoundError, orjson.JSONDecodeError):
                continue
            docs[doc["pid"]] = doc
    return docs


def test_supervisor_restarts_a_dead_child_and_stops_cleanly(cfg: Config, tmp_path: Path, spawn: Spawn) -> None:
    env = {"DATA_DIR": str(cfg.data_dir), "WORKER_LOG": str(tmp_path / "w.log"), "HEARTBEAT_SECONDS": "0.2"}
    sup = spawn(["-c", SUPERVISOR], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert wait_for(lambda: len(heartbeats(cfg)) == 1)
    (first_pid,) = heartbeats(cfg)
    os.kill(first_pid, signal.SIGKILL)
    assert wait_for(lambda: any(pid != first_pid for pid in heartbeats(cfg)), timeout=15)
    assert wait_for(lambda: list(heartbeats(cfg)) != [first_pid] and first_pid not in heartbeats(cfg))
    (second_pid,) = heartbeats(cfg)  # the dead predecessor's heartbeat is gone
    time.sleep(0.3)
    sup.send_signal(signal.SIGTERM)
    assert sup.wait(timeout=15) == 0
    out = sup.stdout.read().decode() if sup.stdout else ""
    assert "worker exited with -9; restarting" in out
    assert "broken refused to start (configuration); not restarting it" in out
    assert out.count("broken started") == 1
    with pytest.raises(ProcessLookupError):
        os.kill(second_pid, 0)  # the child is gone too


def test_run_rejects_an_unknown_stage(cfg: Config) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "daemon", "run", "procesor"],
        env={**os.environ, "DATA_DIR": str(cfg.data_dir)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "unknown stage(s): procesor" in proc.stdout


def test_a_stop_request_during_start_up_is_honoured_cleanly(cfg: Config, spawn: Spawn) -> None:
    """A supervisor may stop everything just after starting it: the request is kept while the
    application is still being imported, and the stage then stops as cleanly as ever."""
    for delay in (0.1, 0.2, 0.3):
        proc = spawn(
            ["-m", "daemon", "--env-file", "/nonexistent/.env", "run", "processor"],
            env={"DATA_DIR": str(cfg.data_dir)},
            stdout=subprocess.PIPE,
        )
        time.sleep(delay)  # inside the imports, before the stage installs its own handler
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out.decode()[-500:]
        assert b"stopped cleanly" in out
