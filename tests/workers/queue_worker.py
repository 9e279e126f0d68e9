"""A stand-in stage for the broker's process tests: records each task, optionally slowly.

Run as `python -m tests.workers.queue_worker` with DATA_DIR (and BROKER, NATS_URL ...) set and
WORKER_LOG naming its log; WORK_SECONDS makes each task take that long, so a test can kill
the worker in the middle of one.
"""

from __future__ import annotations

import os
import sys
import time

from daemon import logs
from daemon.broker import Message, QueueName
from daemon.config import load_config
from daemon.runner import run_one
from daemon.stage import QueueStage


class RecordingStage(QueueStage):
    name = "testworker"
    queue_name = QueueName.TRANSCRIPTS
    idle_wait = 0.05

    def handle(self, message: Message) -> None:
        log_path = os.environ["WORKER_LOG"]
        pid = os.getpid()
        _append(log_path, f"begin {message.name} {pid}\n")
        time.sleep(float(os.environ.get("WORK_SECONDS", "0")))
        message.ack()
        _append(log_path, f"done {message.name} {pid}\n")


def _append(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


if __name__ == "__main__":
    cfg = load_config(env_file=None)
    logs.configure("testworker", cfg.log_format, cfg.log_level)
    sys.exit(run_one(RecordingStage, cfg))
