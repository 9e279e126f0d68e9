"""The broker backends the contract suite runs against, each behind one small harness.

A harness opens brokers on one shared store (a data folder, a server, a memory) so a test can
play several processes' consumers, and drives time through one FakeClock. `durable` backends
also run the kill -9 cases, with real worker processes (tests/workers/queue_worker.py) that
find the store through `worker_env`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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


def file_harness(tmp_path: Path) -> Harness:
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


def memory_harness(tmp_path: Path) -> Harness:
    cfg = load_config({"DATA_DIR": str(tmp_path / "data")}, env_file=None)
    clock = FakeClock()
    shared = MemoryBroker(clock=clock, max_bytes=cfg.max_task_bytes)
    return Harness("memory", cfg, clock, open=lambda: shared, durable=False)


HARNESSES: dict[str, Callable[[Path], Harness]] = {"file": file_harness, "memory": memory_harness}
