"""Every operator command on BROKER=jetstream, through the CLI as an operator types it:
status, replay, dead-letter list|show|retry and stats read and move tasks in the streams.
Real stages (processor, in-process) make the results; the session's real nats-server holds them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.main import main as cli_main
from daemon.broker import QueueName, State
from daemon.brokers.jetstream import JetStreamBroker
from daemon.config import load_config
from stages.processor import ProcessorStage
from tests.backends import jetstream_env
from tests.conftest import ROOT

SAMPLES = sorted((ROOT / "samples" / "transcripts").glob("*.json"))[:3]


@pytest.fixture
def broker(nats_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[JetStreamBroker]:
    """Three samples analysed and their results delivered (acked), one bad transcript dead-lettered."""
    env = jetstream_env(nats_server.url, tmp_path / "data")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    cfg = load_config(env, env_file=None)
    broker = JetStreamBroker(cfg)
    for path in SAMPLES:
        broker.publish(QueueName.TRANSCRIPTS, path.name, path.read_bytes())
    broker.publish(QueueName.TRANSCRIPTS, "broken.json", b'{"call_ref_id": "broken"}')
    stage = ProcessorStage(cfg, broker=broker)
    stage.setup()
    while stage.run_once():
        pass
    results = broker.consume(QueueName.RESULTS)
    while (message := results.receive()) is not None:
        message.ack()  # what delivery does after a 2xx
    yield broker
    broker.close()


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli_main(["--env-file", "/nonexistent/.env", *argv])
    return code, capsys.readouterr().out


def test_status_reports_the_streams_and_the_broker(broker, capsys) -> None:
    code, out = cli(capsys, "status", "--json")
    doc = json.loads(out)
    assert code == 0, doc["problems"]
    assert doc["queues"]["transcripts"]["done"] == 3 and doc["queues"]["transcripts"]["dead"] == 1
    assert doc["queues"]["results"]["done"] == 3 and doc["queues"]["results"]["waiting"] == 0
    assert doc["broker"]["backend"] == "jetstream" and all(n["up"] for n in doc["broker"]["nodes"])
    assert set(doc["broker"]["consumers"]) == {"transcripts", "results"}
    code, text = cli(capsys, "status")
    assert "broker: jetstream" in text and "consumer transcripts:" in text


def test_dead_letters_are_listed_shown_and_retried(broker, capsys) -> None:
    code, out = cli(capsys, "dead-letter", "list", "--json")
    [letter] = json.loads(out)
    assert (letter["queue"], letter["name"]) == ("transcripts", "broken.json")
    assert letter.get("reason")
    code, shown = cli(capsys, "dead-letter", "show", "broken.json")
    assert code == 0 and '"call_ref_id": "broken"' in shown and "reason:" in shown
    assert cli(capsys, "dead-letter", "retry", "broken.json")[0] == 0
    assert broker.registry.locate(QueueName.TRANSCRIPTS, "broken.json", (State.WAITING,)) is not None
    assert json.loads(cli(capsys, "dead-letter", "list", "--json")[1]) == []


def test_replay_puts_a_finished_call_back_and_refuses_a_second_time(broker, capsys) -> None:
    call_id = json.loads(SAMPLES[0].read_bytes())["call_ref_id"]
    assert cli(capsys, "replay", call_id)[0] == 0  # found by the id inside
    assert broker.registry.locate(QueueName.TRANSCRIPTS, SAMPLES[0].name, (State.WAITING,)) is not None
    assert cli(capsys, "replay", call_id)[0] == 1  # already queued: not twice
    assert cli(capsys, "replay", "--deliver-only", SAMPLES[1].stem)[0] == 0
    assert broker.registry.locate(QueueName.RESULTS, SAMPLES[1].name, (State.WAITING,)) is not None
    assert broker.registry.locate(QueueName.TRANSCRIPTS, SAMPLES[0].name, (State.DONE,)) is not None  # a copy


def test_stats_read_the_results_in_the_streams(broker, capsys) -> None:
    code, out = cli(capsys, "stats", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["calls"] == 3


def test_status_on_a_nats_where_no_stage_ever_ran_says_so(nats_server: Any, tmp_path: Path, monkeypatch, capsys):
    for key, value in jetstream_env(nats_server.url, tmp_path / "data").items():
        monkeypatch.setenv(key, value)
    code, out = cli(capsys, "status", "--json")
    doc = json.loads(out)
    assert code == 1 and any("does not exist: no stage has started" in p for p in doc["problems"])
    assert doc["queues"]["transcripts"]["waiting"] == 0
