"""Broker backends behind the one contract in daemon/broker.py; `open_broker` picks by BROKER.

- file (default): folders under DATA_DIR, no server: what operators `ls` and `cp`.
- jetstream: NATS JetStream streams, for stages on several hosts.
- memory: one process's memory, for tests of stage logic (never chosen by configuration).
"""

from __future__ import annotations

from daemon.broker import Broker
from daemon.brokers.file import FileBroker
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config


def open_broker(cfg: Config, *, clock: Clock = SYSTEM_CLOCK) -> Broker:
    if cfg.broker == "file":
        return FileBroker(cfg, clock=clock)
    if cfg.broker == "jetstream":
        # Imported here: a file-backend process never loads nats-py.
        from daemon.brokers.jetstream import JetStreamBroker

        return JetStreamBroker(cfg, clock=clock)
    raise ValueError(f"BROKER={cfg.broker} is not a broker backend")
