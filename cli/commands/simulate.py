"""`python -m daemon simulate`: a local Bolna-compatible API that posts realistic webhooks."""

from __future__ import annotations

import argparse
import logging

from daemon.config import Config
from daemon.signals import stop_event

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="run a local Bolna-compatible API that plays out calls and posts their webhooks",
        description="Serve POST /call, GET /executions/{id} and POST /call/{id}/stop on "
        "SIMULATOR_HOST:SIMULATOR_PORT, and post each call's webhooks (initiated ... completed) to "
        "SIMULATOR_WEBHOOK_URL (default: the intake on INTAKE_HOST:INTAKE_PORT). Requests must carry "
        "BOLNA_API_TOKEN as a Bearer token when one is set. The scenario and language of a call follow "
        "from its number, or from the lead's Scenario/Language columns.",
    )
    p.add_argument("--port", type=int, help="listen on this port instead of SIMULATOR_PORT (0: any free port)")
    p.add_argument("--speed", type=float, help="time factor instead of SIMULATOR_SPEED (60: a minute per second)")
    p.add_argument("--webhook-url", help="post webhooks here instead of SIMULATOR_WEBHOOK_URL")
    p.add_argument(
        "--hard",
        action="store_true",
        help="play Bolna's inconvenient side: a concurrency limit of 2 (queued), rescheduled calls, rejected "
        "calls that still complete, error, canceled, duplicated and reordered webhooks",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace, cfg: Config) -> int:
    from devtools.simulator import HARD, BolnaSimulator, Realism  # the web server loads only for this command

    speed = cfg.simulator_speed if args.speed is None else args.speed
    if speed <= 0:
        log.error("--speed must be greater than 0")
        return 2
    webhook_url = args.webhook_url or cfg.simulator_webhook_url or cfg.intake_url
    simulator = BolnaSimulator(
        webhook_url=webhook_url,
        speed=speed,
        api_token=cfg.bolna_api_token,
        intake_token=cfg.intake_token,
        realism=HARD if args.hard else Realism(),
    )
    stop = stop_event()
    port = cfg.simulator_port if args.port is None else args.port
    simulator.start(cfg.simulator_host, port)
    auth = "checking the Bearer token" if cfg.bolna_api_token else "accepting any token (no BOLNA_API_TOKEN)"
    log.info(
        "Bolna simulator%s on %s at speed %g, %s; webhooks go to %s",
        " (hard)" if args.hard else "",
        simulator.url,
        speed,
        auth,
        webhook_url.split("?")[0],
    )
    stop.wait()
    simulator.stop()
    log.info("stopped after %d call(s), %d webhook(s) posted", len(simulator.calls), len(simulator.delivered))
    return 0
