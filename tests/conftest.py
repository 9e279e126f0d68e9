from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daemon.config import Config, load_config
from devtools.sink import WebhookSink

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    """A config on a fresh data folder, from defaults only (no .env, no environment)."""
    return load_config({"DATA_DIR": str(tmp_path / "data")}, env_file=None)


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start real processes from the repository root; any still running are killed afterwards."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], env: dict[str, str] | None = None, **kw: object) -> subprocess.Popen[bytes]:
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=full_env, **kw)  # type: ignore[call-overload]
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    """Commands configure the root logger for their process; in-process tests must not leak it."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _restore_umask() -> Iterator[None]:
    """The CLI sets a private umask for its process; in-process calls must not leak it into other tests."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[WebhookSink]:
    """A local webhook receiver (the one `make run` delivers to), closed after the test."""
    receiver = WebhookSink(tmp_path / "sink").start()
    yield receiver
    receiver.hang_seconds = 0
    receiver.close()


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real nats-server for the session (each test keeps to streams of its own prefix)."""
    from tests.natsserver import NatsCluster

    cluster = NatsCluster(tmp_path_factory.mktemp("nats"), size=1).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def nats_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Three real nats-servers clustered on loopback, for the slow suites (R3 streams)."""
    from tests.natsserver import NatsCluster

    cluster = NatsCluster(tmp_path_factory.mktemp("nats-cluster"), size=3).start()
    yield cluster
    cluster.stop()
