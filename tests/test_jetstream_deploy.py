"""The shipped files for running on a JetStream cluster (deploy/nats/): every node config is one
nats-server accepts, and the supervisord file runs the same stages as supervisor.conf, pointed
at the three loopback nodes. (The tests' own clusters run these very node files: natsserver.py.)
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess

import pytest

from tests.conftest import ROOT
from tests.natsserver import server_binary

NATS = ROOT / "deploy" / "nats"
STAGES = ("dialer", "intake", "processor", "delivery")


def parsed(path: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read(ROOT / path)
    return parser


@pytest.mark.parametrize("conf", ["loopback/n1.conf", "loopback/n2.conf", "loopback/n3.conf", "three-hosts/nats.conf"])
def test_every_node_config_is_valid_and_carries_a_five_megabyte_task(conf: str) -> None:
    env = {**os.environ, "NATS_NAME": "nats-1", "CALLPIPE_NATS_PASSWORD": "for-the-check-only"}
    checked = subprocess.run(
        [server_binary(), "-c", str(NATS / conf), "-t"], capture_output=True, text=True, env=env, timeout=30
    )
    assert checked.returncode == 0, checked.stderr
    assert re.search(r"(?m)^max_payload: 8MB", (NATS / conf).read_text())


def test_the_loopback_nodes_route_to_each_other() -> None:
    listens = {}
    for n in (1, 2, 3):
        text = (NATS / "loopback" / f"n{n}.conf").read_text()
        listens[n] = re.search(r"(?m)^listen: 127\.0\.0\.1:(\d+)", text)[1]  # type: ignore[index]
        routes = sorted(re.findall(r"nats-route://127\.0\.0\.1:(\d+)", text))
        assert routes == ["6222", "6223", "6224"] and f"listen: 127.0.0.1:622{n + 1}" in text
    assert sorted(listens.values()) == ["4222", "4223", "4224"]


def test_the_supervisord_file_runs_the_nodes_and_the_stages_against_them() -> None:
    conf = parsed("deploy/nats/supervisor.conf")
    plain = parsed("supervisor.conf")
    programs = {s.split(":", 1)[1]: conf[s] for s in conf.sections() if s.startswith("program:")}
    assert sorted(programs) == sorted([*STAGES, "nats-n1", "nats-n2", "nats-n3"])
    for n in (1, 2, 3):
        node = programs[f"nats-n{n}"]
        assert node["command"].endswith(f"/.venv/bin/nats-server -c deploy/nats/loopback/n{n}.conf")
        assert int(node["priority"]) < int(programs["processor"]["priority"])
    for stage in STAGES:
        p, q = programs[stage], plain[f"program:{stage}"]
        assert p["command"].endswith(f"/.venv/bin/python -m daemon run {stage}")
        for key in ("autorestart", "exitcodes", "stopsignal", "stopwaitsecs", "stopasgroup", "killasgroup"):
            assert p[key] == q[key], (stage, key)
        env = dict(re.findall(r'(\w+)="([^"]*)"', p["environment"]))
        assert env["BROKER"] == "jetstream" and env["NATS_REPLICAS"] == "3"
        assert env["NATS_URL"] == "nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224"
    text = (NATS / "supervisor.conf").read_text().lower()
    assert not re.search(r"(token|secret|api_key|password)\s*=", text)
