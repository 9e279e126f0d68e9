"""ecosystem.config.js under a real pm2, the one pinned in tools/package-lock.json (`make tools`).

pm2 runs a copy of ecosystem.config.js whose only change is where the logs go (a temp folder):
the copy requires the shipped file, so script, args, cwd and the restart and stop policy are
the operator's. pm2 gets a PM2_HOME of its own, so no user's pm2 daemon is touched, and is
killed at the end whatever happens. The data folder and the webhook endpoint reach the stages
the way an operator's would: through the environment of `pm2 start`, which pm2 passes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.sink import WebhookSink
from tests.conftest import ROOT, wait_for
from tests.supervision import flows_and_recovers_a_killed_stage, logged_each_event_on_one_line
from tests.test_supervisord import STAGES

PM2 = ROOT / "tools" / "node_modules" / ".bin" / "pm2"


def pm2_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH: install Node.js and npm, then `make tools`, to test ecosystem.config.js"
    if not PM2.exists():
        return "pm2 is not installed in tools/node_modules: run `make tools` (needs Node.js and npm)"
    return None


class Pm2:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        # Not under tmp: pm2's control sockets live in PM2_HOME, and a unix socket path must stay short.
        self.home = Path(tempfile.mkdtemp(prefix="pm2-"))
        self.env = {**env, "PM2_HOME": str(self.home)}
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.conf = tmp / "ecosystem.config.js"
        self.conf.write_text(
            f"const shipped = require({json.dumps(str(ROOT / 'ecosystem.config.js'))});\n"
            f"const logs = {json.dumps(str(self.logs))};\n"
            "module.exports = {\n"
            "  apps: shipped.apps.map((app) => ({\n"
            "    ...app,\n"
            "    out_file: `${logs}/${app.name}.log`,\n"
            "    error_file: `${logs}/${app.name}.log`,\n"
            "  })),\n"
            "};\n"
        )

    def __call__(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        """One pm2 command. Careful: any command but `kill` starts a daemon when none runs."""
        cmd = [str(PM2), *args]
        return subprocess.run(cmd, env=self.env, cwd=self.conf.parent, capture_output=True, text=True, timeout=timeout)

    def apps(self) -> dict[str, dict]:
        out = self("jlist").stdout
        return {app["name"]: app for app in json.loads(out[out.index("[") :])}

    def states(self) -> dict[str, tuple[str, int | None]]:
        return {name: (app["pm2_env"]["status"], app["pid"] or None) for name, app in self.apps().items()}

    def all_up(self, data: Path) -> bool:
        """Every stage online in pm2 and started: pm2 says online as soon as it has forked, and the
        stage has written its heartbeat (named by its pid, which must be the one pm2 shows)."""
        states = self.states()
        return sorted(states) == sorted(STAGES) and all(
            state == "online" and (data / "state" / "heartbeats" / f"{stage}.{pid}").exists()
            for stage, (state, pid) in states.items()
        )

    def report(self) -> str:
        """For a failed wait: what pm2 shows and the end of its own log."""
        return f"{self.states()}\n" + "\n".join(self.log().splitlines()[-15:])

    def log(self) -> str:
        path = self.home / "pm2.log"
        return path.read_text() if path.exists() else ""

    def leftovers(self) -> list[int]:
        """Live processes started under this PM2_HOME (the daemon and every stage inherit it)."""
        marker = f"PM2_HOME={self.home}\0".encode()
        found = []
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    if marker in (proc / "environ").read_bytes():
                        found.append(int(proc.name))
                except OSError:  # gone meanwhile, or a zombie
                    pass
        return found

    def close(self) -> None:
        try:
            self("kill", timeout=120)
        finally:
            wait_for(lambda: not self.leftovers(), timeout=10, interval=0.1)  # the daemon exits just after answering
            survivors = self.leftovers()
            for pid in survivors:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            shutil.rmtree(self.home, ignore_errors=True)
        assert survivors == [], f"`pm2 kill` left processes running: {survivors}"


@pytest.fixture
def pm2(tmp_path: Path, sink: WebhookSink) -> Iterator[Pm2]:
    missing = pm2_missing()
    if missing:
        pytest.fail(missing)  # never a skip: a CI machine without pm2 must not pass this
    manager = Pm2(
        tmp_path,
        {
            **os.environ,
            "DATA_DIR": str(tmp_path / "data"),
            "SINGLEINTERFACE_WEBHOOK_URL": sink.url,
            "INTAKE_PORT": "0",
            "BOLNA_API_TOKEN": "test-token",  # the dialer needs these to start; with no leads it never calls
            "BOLNA_AGENT_ID": "test-agent",
            "BOLNA_BASE_URL": "http://127.0.0.1:9",
            "LOG_FORMAT": "text",
        },
    )
    try:
        yield manager
    finally:
        manager.close()


@pytest.mark.slow
def test_pm2_runs_restarts_and_stops_every_stage(tmp_path: Path, sink: WebhookSink, pm2: Pm2) -> None:
    data = tmp_path / "data"
    started = pm2("start", str(pm2.conf))
    assert started.returncode == 0, started.stdout + started.stderr
    assert wait_for(lambda: pm2.all_up(data), timeout=20, interval=0.2), pm2.report()

    flows_and_recovers_a_killed_stage(data, sink, pm2.states, lambda: pm2.all_up(data), "pm")
    assert pm2.apps()["delivery"]["pm2_env"]["restart_time"] == 1
    # pm2 logs a death by signal with exit code 0: the signal is what tells it from a clean exit.
    assert re.search(r"App \[delivery:\d+\] exited with code \[\d+\] via signal \[SIGKILL\]", pm2.log())

    # `pm2 stop` ends every stage with its own clean exit, well within kill_timeout.
    began = time.monotonic()
    stopped = pm2("stop", str(pm2.conf))
    took = time.monotonic() - began
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert took < 30
    apps = pm2.apps()
    assert {name: app["pm2_env"]["status"] for name, app in apps.items()} == dict.fromkeys(STAGES, "stopped")
    assert {name: app["pm2_env"]["exit_code"] for name, app in apps.items()} == dict.fromkeys(STAGES, 0)
    pm2_log = pm2.log()
    assert pm2_log.count("via signal [SIGKILL]") == 1  # the test's own: pm2 had to kill no stage
    for stage in STAGES:
        # pm2 writes [SIGINT] when no signal ended the process too; "stopped cleanly" is the stage's own word
        assert re.search(rf"App \[{stage}:\d+\] exited with code \[0\] via signal \[SIGINT\]", pm2_log)
        assert "stopped cleanly" in (pm2.logs / f"{stage}.log").read_text()

    logged_each_event_on_one_line(pm2.logs, "pm")
