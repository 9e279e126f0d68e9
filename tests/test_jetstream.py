"""What only the jetstream backend has: the folder door, start-up checks of streams and of the
server, large bodies, credentials kept out of every message, and a server that is gone.

Each test runs against the session's real nats-server (tests/natsserver.py), on streams of its
own prefix; the contract every backend keeps is in test_broker_contract.py.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from daemon.broker import Published, QueueName, State, UnavailableError
from daemon.brokers.jetstream import JetStreamBroker
from daemon.brokers.jetstream.door import identity
from daemon.config import load_config
from daemon.errors import StartupError
from tests.backends import jetstream_env
from tests.conftest import wait_for
from tests.natsserver import Node, free_port

Q = QueueName.TRANSCRIPTS


@pytest.fixture
def make_broker(nats_server: Any, tmp_path: Path) -> Iterator[Callable[..., JetStreamBroker]]:
    """Brokers on the session's server; one prefix per test unless told; all closed afterwards."""
    opened: list[JetStreamBroker] = []
    base = jetstream_env(nats_server.url, tmp_path / "data")

    def make(**env: str) -> JetStreamBroker:
        broker = JetStreamBroker(load_config({**base, **env}, env_file=None))
        opened.append(broker)
        return broker

    yield make
    for broker in opened:
        broker.close()


def receive_within(consumer: Any, timeout: float = 10) -> Any:
    """The next message, polling as a stage's loop does; None if none came in time."""
    found: list[Any] = []
    wait_for(lambda: (m := consumer.receive()) is not None and not found.append(m), timeout=timeout)
    return found[0] if found else None


def drop(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder.parent / f".{name}.part"
    staged.write_bytes(data)
    os.rename(staged, folder / name)
    return folder / name


# -- the folder door ------------------------------------------------------------------------------


def test_a_dropped_file_is_published_once_and_moved_to_done(make_broker, tmp_path: Path) -> None:
    broker = make_broker()
    consumer = broker.consume(Q)
    inbox, done = tmp_path / "data" / "transcripts", tmp_path / "data" / "done" / "transcripts"
    drop(inbox, "call-7.json", b'{"call_ref_id": "call-7"}')
    message = receive_within(consumer)
    assert message is not None
    assert (message.name, message.body) == ("call-7.json", b'{"call_ref_id": "call-7"}')
    assert sorted(p.name for p in done.iterdir()) == ["call-7.json"] and list(inbox.iterdir()) == []
    message.ack()
    for _ in range(3):
        assert consumer.receive() is None


def test_a_crash_between_publish_and_move_never_publishes_twice(make_broker, tmp_path: Path) -> None:
    inbox = tmp_path / "data" / "transcripts"
    path = drop(inbox, "c.json", b'{"call_ref_id": "c"}')
    ident = identity(Q, "c.json", os.stat(path))
    first = make_broker()
    # The door of a process that died right after its publish: the message is in, the file too.
    assert first.publish(Q, "c.json", path.read_bytes(), msg_id=ident, origin=ident) is Published.NEW
    second = make_broker(NATS_STREAM_PREFIX=first.cfg.nats_stream_prefix)
    consumer = second.consume(Q)  # its door finds the file at start
    message = consumer.receive()
    assert message is not None and message.name == "c.json"
    message.ack()
    assert consumer.receive() is None
    assert not path.exists() and (tmp_path / "data" / "done" / "transcripts" / "c.json").exists()


def test_past_the_duplicate_window_the_finished_copy_still_tells_the_file_ran(make_broker, tmp_path: Path) -> None:
    inbox = tmp_path / "data" / "transcripts"
    path = drop(inbox, "late.json", b'{"call_ref_id": "late"}')
    ident = identity(Q, "late.json", os.stat(path))
    first = make_broker()
    # Published and finished long ago (another message id: JetStream no longer remembers it).
    first.publish(Q, "late.json", path.read_bytes(), msg_id="long-forgotten", origin=ident)
    worker = make_broker(NATS_STREAM_PREFIX=first.cfg.nats_stream_prefix).consume(Q)
    message = worker.receive()
    assert message is not None
    message.ack()
    assert not path.exists()  # that door moved the leftover without publishing it again
    assert worker.receive() is None


def test_a_fresh_copy_from_done_is_a_replay_and_runs_again(make_broker, tmp_path: Path) -> None:
    broker = make_broker()
    consumer = broker.consume(Q)
    inbox, done = tmp_path / "data" / "transcripts", tmp_path / "data" / "done" / "transcripts"
    drop(inbox, "r.json", b'{"call_ref_id": "r"}')
    first = receive_within(consumer)
    assert first is not None
    first.ack()
    shutil.copy(done / "r.json", inbox / "r.json")  # what an operator types
    again = receive_within(consumer)
    assert again is not None and again.name == "r.json" and again.envelope.attempts == 0


def test_entries_the_door_cannot_take_stay_put_and_status_shows_them(make_broker, tmp_path: Path) -> None:
    broker = make_broker(MAX_TASK_BYTES="100")
    consumer = broker.consume(Q)
    inbox = tmp_path / "data" / "transcripts"
    drop(inbox, "big.json", b'{"pad": "' + b"x" * 200 + b'"}')
    (inbox / "link.json").symlink_to(inbox / "big.json")
    (inbox / "sub").mkdir()
    for _ in range(3):
        assert consumer.receive() is None
    assert sorted(p.name for p in inbox.iterdir()) == ["big.json", "link.json", "sub"]
    stray = broker.registry.summary(Q).stray
    assert any("big.json" in s and "MAX_TASK_BYTES" in s for s in stray)
    assert any("link.json" in s and "symbolic link" in s for s in stray) and any("sub " in s for s in stray)


def test_files_waiting_for_a_door_count_as_waiting(make_broker, tmp_path: Path) -> None:
    broker = make_broker()
    broker.ensure()
    drop(tmp_path / "data" / "results", "x.json", b"{}")  # no delivery stage runs on this host
    summary = broker.registry.summary(QueueName.RESULTS)
    assert summary.waiting == 1 and summary.oldest_waiting is not None


# -- start-up checks ------------------------------------------------------------------------------


def test_a_stream_with_other_settings_is_a_clear_start_up_error(make_broker) -> None:
    first = make_broker(RETENTION_DAYS="30")
    first.ensure()
    other = make_broker(NATS_STREAM_PREFIX=first.cfg.nats_stream_prefix, RETENTION_DAYS="7")
    with pytest.raises(StartupError) as caught:
        other.ensure()
    text = str(caught.value)
    assert f"{first.cfg.nats_stream_prefix}_DONE" in text and "max_age is 30d but callpipe needs 7d" in text
    assert "never re-creates" in text
    # Nothing was re-created: the first configuration still works on the same streams.
    assert first.publish(Q, "still.json", b"{}") is Published.NEW


def test_a_consumer_with_another_ack_wait_is_a_clear_start_up_error(make_broker) -> None:
    first = make_broker()
    first.ensure()
    other = make_broker(NATS_STREAM_PREFIX=first.cfg.nats_stream_prefix, NATS_ACK_WAIT="45s")
    with pytest.raises(StartupError, match="ack_wait 2s but NATS_ACK_WAIT is 45s"):
        other.ensure()


def test_a_server_whose_max_payload_cannot_carry_a_task_is_refused(tmp_path: Path) -> None:
    port = free_port()
    node = Node("small", tmp_path, port, f'listen: 127.0.0.1:{port}\njetstream {{ store_dir: "{tmp_path / "js"}" }}\n')
    node.start()  # the server's own max_payload: 1 MB
    try:
        broker = JetStreamBroker(load_config(jetstream_env(node.url, tmp_path / "data"), env_file=None))
        with pytest.raises(StartupError, match="max_payload"):
            broker.ensure()
        broker.close()
    finally:
        node.stop()


def test_a_five_megabyte_transcript_passes(make_broker) -> None:
    broker = make_broker()
    body = orjson.dumps({"call_ref_id": "big", "pad": "x" * (5 * 1024 * 1024 - 100)})
    assert len(body) <= broker.cfg.max_task_bytes
    assert broker.publish(Q, "big.json", body) is Published.NEW
    consumer = broker.consume(Q)
    message = consumer.receive()
    assert message is not None and message.body == body
    message.ack()
    (done,) = broker.registry.entries(Q, State.DONE)
    assert broker.registry.read(done, len(body) + 1) == body


# -- a server that is gone, and credentials --------------------------------------------------------


def test_no_server_is_the_environments_fault(tmp_path: Path) -> None:
    cfg = load_config(jetstream_env(f"nats://127.0.0.1:{free_port()}", tmp_path / "data"), env_file=None)
    broker = JetStreamBroker(cfg)
    with pytest.raises(UnavailableError) as caught:
        broker.publish(Q, "x.json", b"{}")
    assert "NATS unreachable" in caught.value.problem
    problems = broker.health()
    assert problems and "not answering" in problems[0]


def test_credentials_never_reach_a_log_line_or_an_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    text = f'listen: 127.0.0.1:{port}\nmax_payload: 8MB\njetstream {{ store_dir: "{tmp_path / "js"}" }}\n'
    node = Node("auth", tmp_path, port, text + 'authorization { user: "callpipe", password: "s3cret-pass-word" }\n')
    node.start()
    caplog.set_level(logging.DEBUG)
    try:
        env = jetstream_env(node.url, tmp_path / "data")
        good = JetStreamBroker(
            load_config({**env, "NATS_USER": "callpipe", "NATS_PASSWORD": "s3cret-pass-word"}, env_file=None)
        )
        assert good.publish(Q, "a.json", b"{}") is Published.NEW
        good.close()
        in_url = f"nats://callpipe:wrong-pass-in-url@127.0.0.1:{port}"
        for bad in (
            {**env, "NATS_USER": "callpipe", "NATS_PASSWORD": "wrong-pass-word"},
            {**env, "NATS_URL": in_url},
        ):
            cfg = load_config(bad, env_file=None)
            with pytest.raises(UnavailableError) as caught:
                JetStreamBroker(cfg).publish(Q, "b.json", b"{}")
            shown = caught.value.problem + repr(cfg)
            assert "wrong-pass" not in shown and "s3cret" not in shown
    finally:
        node.stop()
    assert "pass-word" not in caplog.text and "wrong-pass-in-url" not in caplog.text


def test_a_creds_file_connects_and_its_seed_is_never_shown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tests.natsserver import operator_mode

    port = free_port()
    text, creds = operator_mode(tmp_path, port)
    node = Node("operator", tmp_path, port, text)
    node.start()
    caplog.set_level(logging.DEBUG)
    try:
        env = {**jetstream_env(node.url, tmp_path / "data"), "NATS_CREDS": str(creds)}
        broker = JetStreamBroker(load_config(env, env_file=None))
        assert broker.publish(Q, "signed.json", b"{}") is Published.NEW
        broker.close()
        stranger = tmp_path / "stranger.creds"  # a user no account of this server signed
        _, other = operator_mode(tmp_path / "elsewhere", port)
        stranger.write_text(other.read_text())
        with pytest.raises(UnavailableError) as caught:
            JetStreamBroker(load_config({**env, "NATS_CREDS": str(stranger)}, env_file=None)).publish(
                Q, "x.json", b"{}"
            )
    finally:
        node.stop()
    seeds = [line for f in (creds, stranger) for line in f.read_text().splitlines() if line.startswith("SU")]
    assert len(seeds) == 2
    for seed in seeds:
        assert seed not in caplog.text and seed not in caught.value.problem


def test_a_missing_creds_file_is_a_start_up_error(nats_server: Any, tmp_path: Path) -> None:
    env = {**jetstream_env(nats_server.url, tmp_path / "data"), "NATS_CREDS": str(tmp_path / "nowhere.creds")}
    with pytest.raises(StartupError, match="NATS_CREDS"):
        JetStreamBroker(load_config(env, env_file=None)).publish(Q, "x.json", b"{}")


def test_settings_refuse_bad_nats_values_without_showing_a_url(tmp_path: Path) -> None:
    from daemon.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_config(
            {"NATS_URL": "http://user:hunter2@host", "NATS_REPLICAS": "4x", "NATS_STREAM_PREFIX": "a.b"}, env_file=None
        )
    text = str(caught.value)
    assert {line.split(":")[0] for line in text.splitlines()} == {"NATS_URL", "NATS_REPLICAS", "NATS_STREAM_PREFIX"}
    assert "hunter2" not in text


def test_a_deferred_task_due_during_an_outage_comes_back_after_it(tmp_path: Path) -> None:
    from daemon.clock import FakeClock
    from tests.natsserver import NatsCluster

    cluster = NatsCluster(tmp_path / "nats", size=1).start()
    node = cluster.nodes[0]
    clock = FakeClock(start=time.time())
    env = {**jetstream_env(cluster.url, tmp_path / "data"), "NATS_TIMEOUT": "1s"}
    broker = JetStreamBroker(load_config(env, env_file=None), clock=clock)
    try:
        broker.publish(Q, "later.json", b'{"call_ref_id": "later"}')
        consumer = broker.consume(Q)
        message = consumer.receive()
        assert message is not None
        message.envelope.attempted(clock.now(), "HTTP 503")
        message.defer(clock.now() + 60)
        node.kill()  # the server goes while the task waits for its due time
        clock.advance(61)
        with pytest.raises(UnavailableError):
            consumer.receive()  # due now, but its promotion cannot happen: the task must not be forgotten
        node.start()
        back = None
        deadline = time.monotonic() + 30
        while back is None and time.monotonic() < deadline:
            try:
                back = consumer.receive()
            except UnavailableError:
                time.sleep(0.2)  # reconnecting
        assert back is not None and back.name == "later.json" and back.envelope.attempts == 1
    finally:
        broker.close()
        cluster.stop()
