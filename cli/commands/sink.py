"""`python -m daemon sink`: a local webhook receiver to deliver to in tests and demos."""

from __future__ import annotations

import argparse
import logging
import time

from daemon.config import Config
from daemon.signals import stop_event

log = logging.getLogger(__name__)

EX_CONFIG = 78
PRUNE_INTERVAL = 3600.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sink",
        help="run a local SingleInterface-style webhook receiver (SINK_HOST, SINK_PORT, SINK_DIR)",
        description="Receive webhooks on SINK_HOST:SINK_PORT at /api/webhooks/singleinterface and store "
        "each payload as a file in SINK_DIR (default DATA_DIR/sink). With WEBHOOK_SECRET set, requests "
        "with a bad Standard Webhooks signature get 401.",
    )
    p.add_argument("--port", type=int, help="listen on this port instead of SINK_PORT (0: any free port)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace, cfg: Config) -> int:
    from devtools.sink import WebhookSink  # the web server loads only for this command

    port = cfg.sink_port if args.port is None else args.port
    try:
        sink = WebhookSink(
            cfg.sink_path(), host=cfg.sink_host, port=port, secret=cfg.webhook_secret.reveal(), keep_requests=False
        )
    except ValueError as exc:
        log.error("WEBHOOK_SECRET: %s", exc)
        return EX_CONFIG
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", cfg.sink_host, port, exc.strerror or exc)
        return 1
    stop = stop_event()
    sink.start()
    signed = "checking signatures" if sink.key else "not checking signatures (no WEBHOOK_SECRET)"
    log.info("listening on %s, storing payloads in %s, %s", sink.url, sink.folder, signed)
    while True:
        if cfg.retention_days > 0 and (removed := sink.prune(time.time() - cfg.retention_days * 86400)):
            log.info("removed %d payload(s) older than RETENTION_DAYS=%g", removed, cfg.retention_days)
        if stop.wait(PRUNE_INTERVAL):
            break
    sink.close()
    log.info("stopped (%d requests: %s)", sum(sink.counts.values()), dict(sorted(sink.counts.items())))
    return 0
