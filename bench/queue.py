"""Queue throughput against the raw floor, and backlog drain against a small queue.

    python bench/queue.py [--tasks 2000] [--backlog 100000]

Everything runs side by side in one run on the same disk, so compare the ratios, not the
absolute figures: these machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# This file is named queue.py: replace its own folder on sys.path so `import queue` finds the stdlib.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from daemon.broker import Consumer, QueueName
from daemon.brokers.file import FileBroker
from daemon.clock import FakeClock
from daemon.config import load_config
from daemon.fsutil import fsync_dir

BODY = b'{"call_ref_id": "%06d", "start_time": "2025-10-02 14:25:00", "messages": []}'


def broker_for(root: Path) -> tuple[FileBroker, Consumer]:
    cfg = load_config({"DATA_DIR": str(root)}, env_file=None)
    broker = FileBroker(cfg, clock=FakeClock(), watch=False)
    return broker, broker.consume(QueueName.TRANSCRIPTS)


def through_queue(root: Path, n: int, offset: int = 0) -> float:
    """publish -> receive -> ack through the broker contract, every fsync included. Tasks per second."""
    broker, consumer = broker_for(root)
    start = time.perf_counter()
    for i in range(offset, offset + n):
        broker.publish(QueueName.TRANSCRIPTS, f"t{i:06d}.json", BODY % i)
        message = consumer.receive()
        assert message is not None
        message.ack()
    return n / (time.perf_counter() - start)


def raw_floor(root: Path, n: int, offset: int = 0) -> float:
    """The same syscalls inline, no queue code: write+fsync, rename, fsync dir, lstat, rename, read, rename,
    fsync dir."""
    tmp, inbox, active, done = (root / d for d in ("tmp", "in", "active", "done"))
    for d in (tmp, inbox, active, done):
        d.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for i in range(offset, offset + n):
        name = f"t{i:06d}.json"
        fd = os.open(tmp / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, BODY % i)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp / name, inbox / name)
        fsync_dir(inbox)
        os.lstat(inbox / name)
        os.rename(inbox / name, active / name)
        with open(active / name, "rb") as fh:
            fh.read()
        os.rename(active / name, done / name)
        fsync_dir(done)
    return n / (time.perf_counter() - start)


def prefill(root: Path, n: int) -> None:
    inbox = root / "transcripts"
    inbox.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        fd = os.open(inbox / f"b{i:06d}.json", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, BODY % i)
        os.close(fd)


def drain(root: Path, n: int) -> float:
    """Start a queue on n waiting files and drain them all (start-up scan included). Tasks per second."""
    prefill(root, n)
    start = time.perf_counter()
    _, consumer = broker_for(root)
    done = 0
    while (message := consumer.receive()) is not None:
        message.ack()
        done += 1
    assert done == n, (done, n)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=2000, help="the small queue the backlog is compared with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=".") as scratch:
        base = Path(scratch)
        # Alternate short rounds and compare medians, so a noisy neighbour hits both sides alike.
        rounds = 7
        floors, queues = [], []
        for r in range(rounds):
            per = args.tasks // rounds
            floors.append(raw_floor(base / "floor", per, r * per))
            queues.append(through_queue(base / "queue", per, r * per))
        floor, queued = statistics.median(floors), statistics.median(queues)
        small_before = drain(base / "small1", args.small)
        print(f"publish->receive->ack: {queued:9.0f} tasks/s  (median of {rounds} alternating rounds, fsyncs included)")
        print(f"raw syscall floor    : {floor:9.0f} tasks/s  (same syscalls inline, no queue code)")
        print(f"ratio queue/floor    : {queued / floor:9.2f}   (target >= 0.70)")
        print(f"drain, {args.backlog:>7} waiting : ", end="", flush=True)
        big = drain(base / "backlog", args.backlog)
        print(f"{big:9.0f} tasks/s  (start-up scan included)")
        small = (small_before + drain(base / "small2", args.small)) / 2
        print(f"drain, {args.small:>7} waiting : {small:9.0f} tasks/s  (mean of one run before and one after)")
        print(f"ratio backlog/small  : {big / small:9.2f}   (target >= 0.90)")


if __name__ == "__main__":
    main()
