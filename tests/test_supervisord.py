"""The shipped process-manager files: supervisor.conf under a real supervisord, ecosystem.config.js under node.

supervisord runs a copy of supervisor.conf whose only change is where it writes (logs, socket
and pid file go to a temp folder; %(here)s becomes the repository). The data folder and the
webhook endpoint reach the stages the way an operator's would: through supervisord's own
environment, which its programs inherit.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.sink import WebhookSink
from tests.conftest import ROOT, wait_for
from tests.supervision import flows_and_recovers_a_killed_stage, logged_each_event_on_one_line

STAGES = ("dialer", "intake", "processor", "delivery")
BIN = Path(sys.executable).parent


def shipped_supervisor_conf() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read(ROOT / "supervisor.conf")
    return parser


def test_supervisor_conf_has_one_program_per_stage() -> None:
    conf = shipped_supervisor_conf()
    programs = {s.split(":", 1)[1]: conf[s] for s in conf.sections() if s.startswith("program:")}
    assert sorted(programs) == sorted(STAGES)
    for stage, p in programs.items():
        assert p["command"] == f"%(here)s/.venv/bin/python -m daemon run {stage}"
        assert p["directory"] == "%(here)s"
        assert p["stdout_logfile"] == f"%(here)s/logs/{stage}.log"
        assert p["redirect_stderr"] == "true" and p["stopsignal"] == "TERM"
        assert int(p["stopwaitsecs"]) >= 30 and p["stdout_logfile_backups"] != "0"
    text = (ROOT / "supervisor.conf").read_text().lower()
    assert not re.search(r"(token|secret|api_key|password)\s*=", text)  # settings live in .env


def test_pm2_ecosystem_matches_supervisor_conf() -> None:
    out = subprocess.run(
        [
            "node",
            "-e",
            "process.stdout.write(JSON.stringify(require(process.argv[1])))",
            str(ROOT / "ecosystem.config.js"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    apps = {app["name"]: app for app in json.loads(out)["apps"]}
    assert sorted(apps) == sorted(STAGES)
    conf = shipped_supervisor_conf()
    for stage, app in apps.items():
        program = conf[f"program:{stage}"]
        assert app["script"] == str(ROOT / ".venv/bin/python") and app["interpreter"] == "none"
        assert app["args"] == ["-m", "daemon", "run", stage]
        assert app["cwd"] == str(ROOT)
        assert app["kill_timeout"] == int(program["stopwaitsecs"]) * 1000
        assert app["stop_exit_codes"] == [int(program["exitcodes"])]
        assert app["out_file"] == app["error_file"] == str(ROOT / "logs" / f"{stage}.log")
        assert app["autorestart"] is True and app["max_restarts"] > 0 and app["restart_delay"] > 0


# -- a real supervisord -----------------------------------------------------------------------


class Supervisor:
    def __init__(self, tmp: Path) -> None:
        self.logs = tmp / "logs"
        self.logs.mkdir()
        text = (ROOT / "supervisor.conf").read_text()
        self.conf = tmp / "supervisor.conf"
        self.conf.write_text(text.replace("%(here)s/logs", str(self.logs)).replace("%(here)s", str(ROOT)))

    def ctl(self, *args: str) -> str:
        cmd = [str(BIN / "supervisorctl"), "-c", str(self.conf), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=90).stdout

    def states(self) -> dict[str, tuple[str, int | None]]:
        found = {}
        for line in self.ctl("status").splitlines():
            m = re.match(r"(\S+)\s+(\S+)(?:\s+pid (\d+))?", line)
            if m and m[1] in STAGES:
                found[m[1]] = (m[2], int(m[3]) if m[3] else None)
        return found

    def all_running(self, data: Path) -> bool:
        """Every stage RUNNING in supervisord and started: supervisord says RUNNING after
        startsecs, and the stage has written its heartbeat (named by the pid supervisord shows)."""
        states = self.states()
        return len(states) == len(STAGES) and all(
            state == "RUNNING" and (data / "state" / "heartbeats" / f"{stage}.{pid}").exists()
            for stage, (state, pid) in states.items()
        )


@pytest.mark.slow
def test_supervisord_runs_restarts_and_stops_every_stage(tmp_path: Path, sink: WebhookSink) -> None:
    data = tmp_path / "data"
    sv = Supervisor(tmp_path)
    env = {
        **os.environ,
        "DATA_DIR": str(data),
        "SINGLEINTERFACE_WEBHOOK_URL": sink.url,
        "INTAKE_PORT": "0",
        "BOLNA_API_TOKEN": "test-token",  # the dialer needs these to start; with no leads it never calls
        "BOLNA_AGENT_ID": "test-agent",
        "BOLNA_BASE_URL": "http://127.0.0.1:9",
        "LOG_FORMAT": "text",
    }
    supervisord = subprocess.Popen([str(BIN / "supervisord"), "-n", "-c", str(sv.conf)], env=env, cwd=tmp_path)
    try:
        assert wait_for(lambda: sv.all_running(data), timeout=30), sv.ctl("status")

        flows_and_recovers_a_killed_stage(data, sink, sv.states, lambda: sv.all_running(data), "sv")

        # `stop all` ends every stage with its own clean exit, well within stopwaitsecs.
        started = time.monotonic()
        sv.ctl("stop", "all")
        took = time.monotonic() - started
        assert {state for state, _ in sv.states().values()} == {"STOPPED"}
        assert took < 30
        supervisor_log = (sv.logs / "supervisord.log").read_text()
        for stage in STAGES:
            assert f"stopped: {stage} (exit status 0)" in supervisor_log
            assert "stopped cleanly" in (sv.logs / f"{stage}.log").read_text()
        assert "exited: delivery (terminated by SIGKILL; not expected)" in supervisor_log

        logged_each_event_on_one_line(sv.logs, "sv")
    finally:
        supervisord.send_signal(signal.SIGTERM)
        supervisord.wait(timeout=90)
