"""`python -m daemon demo`: the whole loop on one machine, with no accounts (what `make run` runs).

leads CSV -> dialer -> Bolna simulator -> intake -> sheet updates and transcripts ->
processor -> delivery -> local sink. Sample transcripts are dropped in too, so the
post-call half shows at once. Settings you already have (.env, environment) win over the
demo's, except that every URL points at this machine.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from contextlib import closing
from pathlib import Path

from daemon.broker import QueueName
from daemon.brokers import open_broker
from daemon.config import Config
from daemon.fsutil import DIR_MODE, FILE_MODE
from daemon.runner import Child, stage_argv, supervise

log = logging.getLogger(__name__)

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline locally with simulators (what `make run` runs)")
    p.add_argument("--duration", type=float, default=0, help="stop after this many seconds (default: run until Ctrl-C)")
    p.set_defaults(func=main, log_stage="demo")


def demo_environment(cfg: Config) -> dict[str, str]:
    """Local endpoints for every external service; quick timings so a person sees calls flow."""
    sink = f"http://{cfg.sink_host}:{cfg.sink_port}"
    return {
        "DATA_DIR": str(cfg.data_dir),
        "SINGLEINTERFACE_WEBHOOK_URL": f"{sink}/api/webhooks/singleinterface",
        "BOLNA_BASE_URL": f"http://{cfg.simulator_host}:{cfg.simulator_port}",
        "BOLNA_API_TOKEN": cfg.bolna_api_token.reveal() or "demo-token",
        "BOLNA_AGENT_ID": cfg.bolna_agent_id or "demo-agent",
        "SIMULATOR_WEBHOOK_URL": cfg.intake_url,
        "SHEET_URL": "",
        "DIALER_INTERVAL": "5",
        "CALL_SPACING": "1",
        "CALLS_PER_CYCLE": "3",
        "CALLING_WINDOW": "00:00-24:00",
        "SIMULATOR_SPEED": "20",
        "SHEET_FLUSH_SECONDS": "1",
    }


def seed_data(cfg: Config) -> None:
    """A local sheet the first time, and the sample transcripts every time."""
    leads = cfg.leads_path()
    if not leads.exists() and (SAMPLES / "leads.csv").exists():
        leads.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        leads.write_bytes((SAMPLES / "leads.csv").read_bytes())
        leads.chmod(FILE_MODE)
    with closing(open_broker(cfg)) as broker:
        for sample in sorted((SAMPLES / "transcripts").glob("*.json")):
            broker.publish(QueueName.TRANSCRIPTS, sample.name, sample.read_bytes())


def main(args: argparse.Namespace, cfg: Config) -> int:
    seed_data(cfg)
    env = demo_environment(cfg)
    daemon_cmd = [sys.executable, "-m", "daemon"]
    children = [
        Child("sink", [*daemon_cmd, "sink"], env=env),
        Child("simulator", [*daemon_cmd, "simulate"], env=env),
        *(Child(name, stage_argv(name), env=env) for name in args.stage_table),
    ]
    log.info("demo data in %s; delivered payloads land in %s; Ctrl-C stops", cfg.data_dir, cfg.sink_path())
    if args.duration > 0:
        timer = threading.Timer(args.duration, signal.raise_signal, args=(signal.SIGTERM,))
        timer.daemon = True
        timer.start()
    return supervise(children)
