"""A real `python -m daemon run dialer` process killed in the middle of a dial request."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from daemon.config import Config
from tests.conftest import wait_for
from tests.fakes.bolna_server import StallingServer
from tests.test_dialer import write_leads


class Lines:
    """Collects a child's stdout lines on a thread."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.lines: list[str] = []
        assert proc.stdout is not None
        self._thread = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for raw in stream:  # type: ignore[attr-defined]
            self.lines.append(raw.decode(errors="replace"))

    def count(self, words: str) -> int:
        return sum(1 for line in list(self.lines) if words in line)


@pytest.mark.slow
def test_a_dialer_killed_mid_request_never_rings_the_lead_again(
    cfg: Config, tmp_path: Path, spawn: Callable[..., subprocess.Popen[bytes]]
) -> None:
    leads = tmp_path / "leads.csv"
    write_leads(leads, [("Asha Rao", "+919900000002")])
    bolna = StallingServer().start()  # takes the request, never answers: the call may be ringing
    env = {
        "DATA_DIR": str(cfg.data_dir),
        "LEADS_CSV": str(leads),
        "BOLNA_BASE_URL": bolna.url,
        "BOLNA_API_TOKEN": "bn-process-test",
        "BOLNA_AGENT_ID": "agent-1",
        "CALLING_WINDOW": "00:00-24:00",
        "DIALER_INTERVAL": "0.2",
        "CALL_SPACING": "0",
        "BOLNA_TIMEOUT": "60",
    }
    argv = ["-m", "daemon", "--env-file", str(tmp_path / "none.env"), "run", "dialer"]
    try:
        first = spawn(argv, env=env)
        assert wait_for(lambda: bolna.requests == 1, timeout=15)
        first.kill()
        first.wait(10)
        lead_file = cfg.data_dir / "state" / "calls" / "leads" / "919900000002.json"
        [attempt] = orjson.loads(lead_file.read_bytes())["attempts"]
        assert (attempt["status"], attempt["execution_id"]) == ("initiating", "")

        second = spawn(argv, env=env, stdout=subprocess.PIPE)
        out = Lines(second)
        assert wait_for(lambda: out.count("cycle: 1 rows; 1 skip") >= 3, timeout=15), out.lines
        second.send_signal(signal.SIGTERM)
        assert second.wait(10) == 0
    finally:
        bolna.stop()
    assert bolna.requests == 1, "the restarted dialer rang the lead again"
