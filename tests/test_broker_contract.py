"""The broker contract, run against every backend: what stages and commands may rely on.

Each test speaks only daemon/broker.py's interface (publish, consume, ack, defer, dead-letter,
release, replay, retry, registries), so a backend that passes here can carry the pipeline.
The durable backends also prove, with real processes killed with SIGKILL, that nothing is lost.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from daemon.broker import Envelope, Published, QueueName, State, UnavailableError
from tests.backends import HARNESSES, Harness, harness_params
from tests.conftest import wait_for

Q = QueueName.TRANSCRIPTS


@pytest.fixture(params=harness_params())
def h(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = HARNESSES[request.param](tmp_path, request)
    yield harness
    harness.close()


def names(h: Harness, state: State, queue: str = Q) -> list[str]:
    return sorted(e.name for e in h.open().registry.entries(queue, state))


def test_a_published_task_is_received_acked_and_kept_as_done(h: Harness) -> None:
    broker = h.open()
    body = b'{"call_ref_id": "c-1", "text": "\\u0928\\u092e\\u0938\\u094d\\u0924\\u0947"}'
    assert broker.publish(Q, "c-1.json", body) is Published.NEW
    consumer = broker.consume(Q)
    message = consumer.receive()
    assert message is not None
    assert (message.name, message.body, message.call_id) == ("c-1.json", body, "c-1")
    assert names(h, State.ACTIVE) == ["c-1.json"]
    message.ack()
    assert consumer.receive() is None
    assert names(h, State.DONE) == ["c-1.json"] and names(h, State.WAITING) == []
    (done,) = h.open().registry.entries(Q, State.DONE)
    assert h.open().registry.read(done, 1 << 20) == body


def test_each_task_goes_to_one_owner(h: Harness) -> None:
    broker = h.open()
    for i in range(20):
        broker.publish(Q, f"t{i:02d}.json", b"{}")
    first, second = h.open().consume(Q), h.open().consume(Q)
    got: list[str] = []
    while True:
        taken = [m for m in (first.receive(), second.receive()) if m is not None]
        if not taken:
            break
        got += [m.name for m in taken]
        for m in taken:
            m.ack()
    assert sorted(got) == [f"t{i:02d}.json" for i in range(20)]  # each once, none twice


def test_a_live_owners_task_is_never_taken_by_another(h: Harness) -> None:
    h.open().publish(Q, "held.json", b"{}")
    holder = h.open().consume(Q)
    held = holder.receive()
    assert held is not None
    rival = h.open().consume(Q)
    for _ in range(5):
        h.settle()  # rescans and recovery sweeps come and go
        assert rival.receive() is None
    time.sleep(h.hold_lapse)  # and, where the server times holds, longer than a hold lasts unrenewed
    assert rival.receive() is None
    held.ack()
    assert names(h, State.DONE) == ["held.json"]


def test_defer_hides_a_task_until_due_with_its_envelope_apart_from_the_body(h: Harness) -> None:
    broker = h.open()
    broker.publish(Q, "d.json", b'{"n": 1}')
    consumer = broker.consume(Q)
    message = consumer.receive()
    assert message is not None
    message.envelope.attempted(h.clock.now(), "HTTP 503")
    message.defer(h.clock.now() + 60)
    assert names(h, State.DEFERRED) == ["d.json"]
    h.clock.advance(30)
    assert consumer.receive() is None
    h.clock.advance(31)
    h.settle()
    again = consumer.receive()
    assert again is not None
    assert again.body == b'{"n": 1}'  # never rewritten
    assert (again.envelope.attempts, again.envelope.last_error) == (1, "HTTP 503")
    assert again.envelope.not_before == pytest.approx(
        h.clock.now() - h.cfg.rescan_seconds - 1, abs=h.cfg.rescan_seconds
    )


def test_promote_all_makes_every_deferred_task_due_now(h: Harness) -> None:
    broker = h.open()
    consumer = broker.consume(Q)
    for i in range(3):
        broker.publish(Q, f"p{i}.json", b"{}")
        message = consumer.receive()
        assert message is not None
        message.defer(h.clock.now() + 3600)
    assert consumer.promote_all() == 3
    assert sorted(m.name for m in iter(consumer.receive, None)) == ["p0.json", "p1.json", "p2.json"]


def test_a_dead_letter_keeps_its_bytes_and_reason_and_a_retry_starts_afresh(h: Harness) -> None:
    broker = h.open()
    broker.publish(Q, "bad.json", b'{"call_ref_id": "b"}')
    consumer = broker.consume(Q)
    message = consumer.receive()
    assert message is not None
    message.envelope.attempted(h.clock.now(), "boom")
    message.dead_letter("not a transcript: no start_time")
    (dead,) = h.open().registry.entries(Q, State.DEAD)
    assert dead.name == "bad.json" and dead.reason["reason"] == "not a transcript: no start_time"
    assert h.open().registry.read(dead, 1 << 20) == b'{"call_ref_id": "b"}'
    assert h.open().retry(dead) == "bad.json"
    assert names(h, State.DEAD) == []
    h.settle()
    again = consumer.receive()
    assert again is not None and again.name == "bad.json" and again.envelope.attempts == 0


def test_undecodable_input_is_dead_lettered_and_the_queue_goes_on(h: Harness) -> None:
    broker = h.open()
    broker.publish(Q, "a-broken.json", b"{not json")
    broker.publish(Q, "b-good.json", b"{}")
    consumer = broker.consume(Q)
    message = consumer.receive()
    assert message is not None and message.name == "b-good.json"
    (dead,) = h.open().registry.entries(Q, State.DEAD)
    assert dead.name == "a-broken.json" and "not valid JSON" in dead.reason["reason"]


def test_replay_runs_a_finished_task_again(h: Harness) -> None:
    broker = h.open()
    broker.publish(Q, "r.json", b'{"call_ref_id": "r"}')
    consumer = broker.consume(Q)
    first = consumer.receive()
    assert first is not None
    first.envelope.attempted(h.clock.now(), "x")
    first.ack()
    (done,) = h.open().registry.entries(Q, State.DONE)
    assert h.open().replay(done) == "r.json"
    h.settle()
    again = consumer.receive()
    assert again is not None and again.body == b'{"call_ref_id": "r"}' and again.envelope.attempts == 0
    assert names(h, State.DONE) == ["r.json"]  # the finished copy stays


def test_a_backlog_drains_in_publishing_order(h: Harness) -> None:
    broker = h.open()
    order = [f"f{i:03d}.json" for i in range(60)]
    for name in order:
        broker.publish(Q, name, b"{}")
    consumer = h.open().consume(Q)
    got = []
    while (message := consumer.receive()) is not None:
        got.append(message.name)
        message.ack()
    assert got == order


def test_a_publish_never_silently_overwrites_a_waiting_task(h: Harness) -> None:
    broker = h.open()
    assert broker.publish(Q, "same.json", b'{"v": 1}') is Published.NEW
    assert broker.publish(Q, "same.json", b'{"v": 1}') is Published.DUPLICATE
    assert broker.publish(Q, "same.json", b'{"v": 2}') is Published.CONFLICT
    (waiting,) = h.open().registry.entries(Q, State.WAITING)
    assert h.open().registry.read(waiting, 1 << 20) == b'{"v": 1}'
    (dead,) = h.open().registry.entries(Q, State.DEAD)
    assert h.open().registry.read(dead, 1 << 20) == b'{"v": 2}'
    assert "already waits" in dead.reason["reason"]


def test_a_publisher_says_which_waiting_task_is_the_same_one(h: Harness) -> None:
    """Bytes that differ only in a timestamp are one task when `same` says so; else a conflict."""
    broker = h.open()
    assert broker.publish(Q, "r.json", b'{"id": "a", "at": 1}') is Published.NEW
    seen: list[bytes] = []

    def carries(ident: bytes) -> Callable[[bytes], bool]:
        def same(waiting: bytes) -> bool:
            seen.append(waiting)
            return orjson.loads(waiting)["id"] == ident.decode()

        return same

    assert broker.publish(Q, "r.json", b'{"id": "a", "at": 2}', same=carries(b"a")) is Published.DUPLICATE
    assert seen == [b'{"id": "a", "at": 1}']  # it was shown the waiting body, whole
    assert broker.publish(Q, "r.json", b'{"id": "b", "at": 3}', same=carries(b"b")) is Published.CONFLICT
    (waiting,) = h.open().registry.entries(Q, State.WAITING)
    assert h.open().registry.read(waiting, 1 << 20) == b'{"id": "a", "at": 1}'
    (dead,) = h.open().registry.entries(Q, State.DEAD)
    assert h.open().registry.read(dead, 1 << 20) == b'{"id": "b", "at": 3}'
    assert broker.publish(Q, "fresh.json", b"{}", same=carries(b"c")) is Published.NEW  # asked only when taken
    assert len(seen) == 2


def test_release_puts_a_task_back_after_a_delay_unchanged(h: Harness) -> None:
    broker = h.open()
    broker.publish(Q, "env.json", b"{}")
    consumer = broker.consume(Q)
    message = consumer.receive()
    assert message is not None
    message.release(5)
    assert consumer.receive() is None
    h.clock.advance(6)
    h.settle()
    again = consumer.receive()
    assert again is not None and again.name == "env.json"


def test_rejected_bodies_are_dead_letters_of_a_queue_nothing_consumes(h: Harness) -> None:
    broker = h.open()
    kept = broker.reject(QueueName.INTAKE, "body-1.json", b"{oops", "malformed JSON")
    (dead,) = h.open().registry.entries(QueueName.INTAKE, State.DEAD)
    assert (dead.name, dead.reason["reason"]) == (kept, "malformed JSON")
    assert h.open().expire(QueueName.INTAKE, State.DEAD, h.clock.now() + 1) == 1
    assert names(h, State.DEAD, QueueName.INTAKE) == []


def test_a_summary_counts_every_state(h: Harness) -> None:
    broker = h.open()
    for i in range(4):
        broker.publish(Q, f"s{i}.json", b"{}")
    consumer = broker.consume(Q)
    held, deferred, dead, done = (consumer.receive() for _ in range(4))
    assert held and deferred and dead and done
    deferred.defer(h.clock.now() + 100)
    dead.dead_letter("no")
    done.ack()
    broker.publish(Q, "s9.json", b"{}")
    summary = h.open().registry.summary(Q)
    assert (summary.waiting, summary.active, summary.deferred, summary.dead, summary.done) == (1, 1, 1, 1, 1)
    assert summary.orphaned == 0
    assert summary.next_due == pytest.approx(h.clock.now() + 100)


# -- durable backends: real processes, killed ---------------------------------------------------------


Spawn = Callable[..., subprocess.Popen[bytes]]
WORKER = ["-m", "tests.workers.queue_worker"]


@pytest.fixture(params=harness_params(durable_only=True))
def durable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = HARNESSES[request.param](tmp_path, request)
    yield harness
    harness.close()


@pytest.mark.slow
def test_nothing_is_lost_when_a_worker_is_killed_holding_a_task(durable: Harness, tmp_path: Path, spawn: Spawn) -> None:
    h = durable
    h.open().publish(Q, "k.json", b'{"call_ref_id": "k"}')
    log = tmp_path / "work.log"
    env = {**h.worker_env, "WORKER_LOG": str(log), "LOG_LEVEL": "WARNING"}
    first = spawn(WORKER, env={**env, "WORK_SECONDS": "30"})
    assert wait_for(lambda: log.exists() and "begin k.json" in log.read_text(), timeout=20)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert h.open().registry.summary(Q).active == 1  # held by a dead owner: not lost, not done
    second = spawn(WORKER, env=env)
    assert wait_for(lambda: "done k.json" in log.read_text(), timeout=30)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=20) == 0
    assert names(h, State.DONE) == ["k.json"] and names(h, State.ACTIVE) == [] and names(h, State.WAITING) == []


def test_an_unavailable_broker_is_the_environments_fault_not_the_tasks(tmp_path: Path) -> None:
    """The file backend on a data folder it cannot create: a clear problem, never a dead letter."""
    from daemon.brokers.file import FileBroker
    from daemon.config import load_config

    blocker = tmp_path / "file"
    blocker.write_text("a file where the data folder should be")
    broker = FileBroker(load_config({"DATA_DIR": str(blocker / "data")}, env_file=None))
    with pytest.raises(UnavailableError) as caught:
        broker.publish(Q, "x.json", b"{}")
    assert "data" in caught.value.problem


def test_envelopes_round_trip_and_survive_hand_edits() -> None:
    envelope = Envelope(attempts=2, deferrals=1, first_attempt_at=5.0, last_error="HTTP 500")
    assert Envelope.from_json(envelope.to_json()) == envelope
    assert Envelope.from_json(b'{"attempts": "many", "deferrals": -1, "last_error": 7}') == Envelope()
    assert Envelope.from_json(b"[not an object") == Envelope()
