"""Call state with BROKER=jetstream: dialers and intakes on several hosts share it in
JetStream's key-value store, and two of them racing never ring a lead twice.

Two "hosts" are two brokers (two connections, two data folders) on the session's real
nats-server; the race runs real threads through real compare-and-set requests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from calls.kvstore import KvCallStore, open_call_store
from calls.store import CallStore, StateError
from daemon.brokers.jetstream import JetStreamBroker
from daemon.clock import FakeClock
from daemon.config import Config, Secret, load_config
from stages.dialer import DialerStage
from tests.backends import jetstream_env
from tests.fakes.bolna_server import running_simulator
from tests.test_dialer import NOON, TOKEN, write_leads

LEADS = [(f"Lead {n}", f"+9199000{n:05d}") for n in range(12)]


@pytest.fixture
def hosts(nats_server: Any, tmp_path: Path) -> Iterator[Callable[[str], JetStreamBroker]]:
    """host("a") and host("b"): brokers on one NATS (one stream prefix), each with its own data folder."""
    env = jetstream_env(nats_server.url, tmp_path)
    opened: list[JetStreamBroker] = []

    def host(name: str, **more: str) -> JetStreamBroker:
        broker = JetStreamBroker(load_config({**env, "DATA_DIR": str(tmp_path / name), **more}, env_file=None))
        opened.append(broker)
        return broker

    yield host
    for broker in opened:
        broker.close()


def dial_if_free(store: CallStore, key: str, phone: str, now: float) -> bool:
    """The dialer's own read-decide-write of a lead (stages/dialer.py, _dial)."""
    with store.edit(key, phone) as calls:
        if calls.open_attempt() is not None:
            return False
        calls.start_attempt(row=2, now=now)
    return True


def test_jetstream_selects_the_shared_store_and_file_keeps_the_disk(hosts, cfg: Config) -> None:
    assert isinstance(open_call_store(cfg, object()), CallStore)  # type: ignore[arg-type]
    broker = hosts("a")
    assert isinstance(open_call_store(broker.cfg, broker), KvCallStore)


def test_two_hosts_racing_dial_each_lead_once(hosts) -> None:
    stores = [KvCallStore(hosts("a")), KvCallStore(hosts("b"))]
    keys = [f"9199000{n:05d}" for n in range(10)]
    dialled: list[tuple[str, int]] = []
    start = threading.Barrier(4)

    def worker(store: CallStore, who: int) -> None:
        start.wait()
        for key in keys:
            if dial_if_free(store, key, "+" + key, 1000.0):
                dialled.append((key, who))

    threads = [threading.Thread(target=worker, args=(stores[n % 2], n)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(k for k, _ in dialled) == keys  # every lead once, none twice
    for store in stores:
        leads, broken = store.leads()
        assert broken == set() and sorted(leads) == keys
        assert all(len(lead.attempts) == 1 for lead in leads.values())


def test_a_lapsed_lock_still_cannot_overwrite_another_hosts_record(hosts) -> None:
    a, b = KvCallStore(hosts("a")), KvCallStore(hosts("b"))
    refused = pytest.raises(StateError, match="changed on another host")  # a's write, at the end of its edit
    with refused, a.edit("919900000001", "+919900000001") as lead:  # host a holds the lock ...
        lead.start_attempt(row=2, now=1.0)
        a._lease.release()  # ... and stalls past its TTL: the lock lapses under it
        assert dial_if_free(b, "919900000001", "+919900000001", 2.0)  # host b dials meanwhile
    (only,) = b.load("919900000001").attempts  # type: ignore[union-attr]
    assert only.started_at == 2.0


def test_executions_link_prune_and_survive_a_reopen(hosts) -> None:
    broker = hosts("a")
    store = KvCallStore(broker)
    store.link("ex-1", "919900000001", {"status": "queued"})
    store.link("ex-1", "919900000001")  # a later link keeps the body
    assert store.execution("ex-1") == {"lead": "919900000001", "body": {"status": "queued"}}
    assert KvCallStore(hosts("b")).lead_of("ex-1") == "919900000001"
    assert store.prune_executions(cutoff=0.0) == 0
    assert store.prune_executions(cutoff=4e9) == 1
    assert store.execution("ex-1") is None


def test_two_dialer_stages_on_two_hosts_ring_each_lead_once(hosts, tmp_path: Path) -> None:
    leads_csv = tmp_path / "leads.csv"
    write_leads(leads_csv, LEADS)
    clock = FakeClock(NOON)
    with running_simulator(api_token=TOKEN) as sim:
        stages = []
        for name in ("a", "b"):
            broker = hosts(name)
            cfg = broker.cfg.replace(
                leads_csv=leads_csv,
                bolna_api_token=Secret(TOKEN),
                bolna_agent_id="agent-42",
                bolna_base_url=sim.url,
                calls_per_cycle=len(LEADS),
                call_spacing=0.0,
            )
            stage = DialerStage(cfg, clock, broker=broker)
            stage.setup()
            stages.append(stage)
        try:
            for stage in stages:
                stage.run_once()  # both plan the same cycle from the same sheet: every lead is due
            go = threading.Barrier(2)

            def drain(stage: DialerStage) -> None:
                go.wait()
                while stage.run_once():
                    pass

            threads = [threading.Thread(target=drain, args=(s,)) for s in stages]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
        finally:
            for stage in stages:
                stage.close()
        phones = sorted(c.phone for c in sim.calls.values())
    assert phones == sorted(phone for _, phone in LEADS)  # each rung once, by one host or the other


def test_two_intakes_on_two_hosts_write_one_transcript_task_per_call(hosts, tmp_path: Path) -> None:
    from daemon.broker import QueueName, State
    from tests.test_intake import Intake, outbound
    from tests.test_intake import write_leads as write_intake_leads

    leads_csv = tmp_path / "intake-leads.csv"
    phones = {f"Lead {n}": f"+9199100{n:05d}" for n in range(6)}
    write_intake_leads(leads_csv, phones)
    clock = FakeClock(NOON)
    intakes = []
    for name in ("a", "b"):
        broker = hosts(name)
        cfg = broker.cfg.replace(intake_port=0, leads_csv=leads_csv, intake_token=Secret("tok-1"))
        intakes.append(Intake(cfg, clock, broker=broker))
    try:
        numbered = list(enumerate(phones.values()))
        for n, phone in numbered:  # host a's dialer rang each lead: its attempts are in the shared store
            key = phone.lstrip("+")
            with intakes[0].stage.store.edit(key, phone) as lead:
                attempt = lead.start_attempt(row=n + 2, now=clock.now())
            intakes[0].stage.tracker.mark_initiated(key, phone, attempt.attempt_id, f"ex-{n}")
        events = [outbound(f"ex-{n}", status, phone) for n, phone in numbered for status in ("ringing", "completed")]
        go = threading.Barrier(2)
        answers: list[int] = []

        def post_all(intake: Any) -> None:  # Bolna's retries and a load balancer: each event reaches both hosts
            go.wait()
            answers.extend(intake.post(event).status_code for event in events)

        threads = [threading.Thread(target=post_all, args=(i,)) for i in intakes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert answers and set(answers) == {200}
        tasks = sorted(e.name for e in intakes[0].stage.broker.registry.entries(QueueName.TRANSCRIPTS, State.WAITING))
        assert tasks == sorted(f"ex-{n}.json" for n in range(len(phones)))  # one each, from whichever host
        leads, _ = intakes[1].stage.store.leads()
        attempts = [a for lead in leads.values() for a in lead.attempts]
        assert len(attempts) == len(phones)  # host b followed host a's dials: no call "we did not dial"
        assert all(a.counted and a.attempt_id.startswith("a-") for a in attempts)
        assert all(a.status == "completed" and a.transcript_task == "written" for a in attempts)
    finally:
        for intake in intakes:
            intake.stage.close()


def test_the_account_pause_batches_and_sheet_writes_are_shared_by_every_host(hosts) -> None:
    """What the calling side keeps beside the leads: a pause one host's dialer set is seen by the
    other host's dialer and intake, batches are tracked wherever the next cycle runs, and one
    batch of sheet writes goes at a time across hosts."""
    a, b = KvCallStore(hosts("a")), KvCallStore(hosts("b"))
    assert a.account() == {}
    a.save_account({"paused": "balance-low", "since": 1.0})
    assert b.account() == {"paused": "balance-low", "since": 1.0}
    a.save_batch("batch.1", {"status": "scheduled"})
    b.save_batch("batch-2", {"status": "executed"})
    assert a.batches() == {"batch.1": {"status": "scheduled"}, "batch-2": {"status": "executed"}}
    assert b.batch("batch.1") == {"status": "scheduled"} and b.batch("../x") is None

    order: list[str] = []

    def write_from_b() -> None:
        with b.sheet_writes_lock():
            order.append("b")

    with a.sheet_writes_lock():
        other = threading.Thread(target=write_from_b)
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive()  # b waits while a writes
        order.append("a")
    other.join(timeout=10)
    assert order == ["a", "b"]
