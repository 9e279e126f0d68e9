"""The broker backends the contract suite runs against, each behind one small harness.

A harness opens brokers on one shared store (a data folder, a server, a memory) so a test can
play several processes' consumers, and drives time through one FakeClock. `durable` backends
also run the kill -9 cases, with real worker processes (tests/workers/queue_worker.py) that
find the store through `worker_env`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from daemon.broker import Broker
from daemon.brokers.file import FileBroker
from daemon.brokers.memory import MemoryBroker
from daemon.clock import FakeClock
from daemon.config import Config, load_config


@dataclass
class Harness:
    name: str
    cfg: Config
    clock: FakeClock
    open: Callable[[], Broker]  # another broker on the same store (another "process")
    durable: bool
    worker_env: dict[str, str] = field(default_factory=dict)
    settle: Callable[[], None] = lambda: None  # let the backend notice what changed (rescans)
    close: Callable[[], None] = lambda: None  # release what the brokers opened (connections)
    hold_lapse: float = 0.0  # real seconds after which a hold nobody renews would lapse (JetStream's AckWait)


def file_harness(tmp_path: Path, request: pytest.FixtureRequest) -> Harness:
    cfg = load_config({"DATA_DIR": str(tmp_path / "data"), "SETTLE_SECONDS": "0"}, env_file=None)
    clock = FakeClock(start=time.time())  # files carry real mtimes: fake time starts at real time

    def settle() -> None:
        clock.advance(cfg.rescan_seconds)  # the folder rescan is the guarantee; events only speed it up

    return Harness(
        "file",
        cfg,
        clock,
        open=lambda: FileBroker(cfg, clock=clock, watch=False),
        durable=True,
        worker_env={"DATA_DIR": str(cfg.data_dir)},
        settle=settle,
    )


def memory_harness(tmp_path: Path, request: pytest.FixtureRequest) -> Harness:
    cfg = load_config({"DATA_DIR": str(tmp_path / "data")}, env_file=None)
    clock = FakeClock()
    shared = MemoryBroker(clock=clock, max_bytes=cfg.max_task_bytes)
    return Harness("memory", cfg, clock, open=lambda: shared, durable=False)


# Short enough that a killed holder's task comes back within a test, long enough for loaded CI.
TEST_ACK_WAIT = "2s"


def jetstream_env(url: str, data_dir: Path, prefix: str | None = None, replicas: int = 1) -> dict[str, str]:
    """The settings of a stage on the test NATS: each test its own streams (a fresh prefix)."""
    return {
        "BROKER": "jetstream",
        "NATS_URL": url,
        "NATS_STREAM_PREFIX": prefix or f"T{uuid.uuid4().hex[:10]}",
        "NATS_REPLICAS": str(replicas),
        "NATS_ACK_WAIT": TEST_ACK_WAIT,
        "DATA_DIR": str(data_dir),
        "SETTLE_SECONDS": "0",
    }


def jetstream_harness(tmp_path: Path, request: pytest.FixtureRequest, cluster: bool = False) -> Harness:
    """A real nats-server: the session's single node, or (slow suite) a three-node cluster with R3 streams."""
    from daemon.brokers.jetstream import JetStreamBroker

    server = request.getfixturevalue("nats_cluster" if cluster else "nats_server")
    env = jetstream_env(server.url, tmp_path / "data", replicas=3 if cluster else 1)
    cfg = load_config(env, env_file=None)
    clock = FakeClock(start=time.time())
    opened: list[JetStreamBroker] = []

    def open_one() -> Broker:
        broker = JetStreamBroker(cfg, clock=clock)
        opened.append(broker)
        return broker

    def settle() -> None:
        clock.advance(cfg.rescan_seconds)  # due times are judged by the broker's clock, as in the file backend
        time.sleep(0.05)  # other consumers hear of deferrals through a watch: a moment on loopback

    def close() -> None:
        for broker in opened:
            broker.close()

    return Harness(
        "jetstream-cluster" if cluster else "jetstream",
        cfg,
        clock,
        open=open_one,
        durable=True,
        worker_env=env,
        settle=settle,
        close=close,
        hold_lapse=cfg.nats_ack_wait * 1.5,
    )


def jetstream_cluster_harness(tmp_path: Path, request: pytest.FixtureRequest) -> Harness:
    return jetstream_harness(tmp_path, request, cluster=True)


HARNESSES: dict[str, Callable[[Path, pytest.FixtureRequest], Harness]] = {
    "file": file_harness,
    "memory": memory_harness,
    "jetstream": jetstream_harness,
    "jetstream-cluster": jetstream_cluster_harness,
}
SLOW_HARNESSES = {"jetstream-cluster"}  # three real servers: the slow suite


def harness_params(*, durable_only: bool = False) -> list[object]:
    """The contract suite's parameters: every backend, the cluster among the slow tests."""
    names = sorted(n for n in HARNESSES if not (durable_only and n == "memory"))
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_HARNESSES else n for n in names]
