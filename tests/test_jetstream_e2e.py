"""The post-call pipeline on a three-node JetStream cluster, as two hosts would run it.

Three nats-servers clustered on 127.0.0.1 (the shipped deploy/nats/loopback/ files), R3
streams, and two "hosts": each a processor and a delivery process (`python -m daemon run`)
with a data folder of its own, all delivering to one receiver. 2,000 calls flow in, published
by a producer and dropped through each host's folder door, while one stage process is killed
with SIGKILL and one NATS node is killed and later restarted. Every call must reach the
receiver; a call received twice must carry the same webhook-id; `status` must name the lost
node while it is down, and say so when two nodes are gone and the streams have no quorum.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from daemon.broker import Published, QueueName, UnavailableError
from daemon.brokers.jetstream import JetStreamBroker
from daemon.config import load_config
from devtools.sink import WebhookSink
from tests.backends import jetstream_env
from tests.conftest import ROOT, wait_for
from tests.natsserver import NatsCluster
from tests.test_pipeline_e2e import copies_of_samples

DAEMON = ["-m", "daemon", "--env-file", os.devnull]
CALLS = 2000
DOORED = 200  # of them, dropped as files into the hosts' transcripts/ folders


def received_ids(sink: WebhookSink) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = defaultdict(set)
    for got in sink.accepted():
        seen[orjson.loads(got.body)["call_ref_id"]].add(got.headers["webhook-id"])
    return seen


def publish_retrying(broker: JetStreamBroker, name: str, data: bytes) -> Published:
    """A producer's publish through an outage: a retry of the same bytes is idempotent."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return broker.publish(QueueName.TRANSCRIPTS, name, data)
        except UnavailableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def status(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *DAEMON, "status"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_two_hosts_on_a_cluster_lose_nothing_through_a_stage_kill_and_a_node_loss(
    tmp_path: Path, spawn: Callable[..., subprocess.Popen[bytes]]
) -> None:
    cluster = NatsCluster(tmp_path / "nats", size=3).start()
    sink = WebhookSink(tmp_path / "sink").start()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        base = jetstream_env(cluster.url, tmp_path / "a", replicas=3)
        hosts = {h: {**base, "DATA_DIR": str(tmp_path / h)} for h in ("a", "b")}
        common = {"SINGLEINTERFACE_WEBHOOK_URL": sink.url, "LOG_LEVEL": "WARNING", "RESCAN_SECONDS": "2"}

        def start(label: str) -> None:
            host, stage = label.split("-")
            procs[label] = spawn([*DAEMON, "run", stage], env={**hosts[host], **common})

        for label in ("a-processor", "a-delivery", "b-processor", "b-delivery"):
            start(label)
        producer = JetStreamBroker(load_config(hosts["a"], env_file=None))
        calls = copies_of_samples(CALLS)
        by_door, by_publish = calls[:DOORED], calls[DOORED:]
        for i, (name, _, data) in enumerate(by_door):  # half into each host's folder
            inbox = tmp_path / ("a" if i % 2 else "b") / "transcripts"
            inbox.mkdir(parents=True, exist_ok=True)
            (inbox.parent / f".{name}").write_bytes(data)
            os.rename(inbox.parent / f".{name}", inbox / name)

        chunks = [by_publish[i : i + 200] for i in range(0, len(by_publish), 200)]
        down_status: subprocess.CompletedProcess[str] | None = None
        lost = cluster.nodes[1]
        for n, chunk in enumerate(chunks):
            for name, _, data in chunk:
                assert publish_retrying(producer, name, data) in (Published.NEW, Published.DUPLICATE)
            if n == 2:  # a stage dies mid-flow, holding a task, and is started again (as supervisord would)
                procs["a-processor"].send_signal(signal.SIGKILL)
                procs["a-processor"].wait()
                start("a-processor")
            if n == 4:  # a NATS node dies mid-flow
                lost.kill()
                down_status = status(hosts["b"])
            if n == 6:
                lost.start()  # back on its store: it catches up from the other two

        assert down_status is not None
        assert down_status.returncode == 1, down_status.stdout
        assert f"NATS node nats://127.0.0.1:{lost.port} is not answering" in down_status.stdout
        assert wait_for(lambda: len(received_ids(sink)) == CALLS, timeout=120), len(received_ids(sink))
        seen = received_ids(sink)
        assert set(seen) == {ref for _, ref, _ in calls}, "some calls never arrived"
        assert all(len(ids) == 1 for ids in seen.values()), "a duplicate carried a different webhook-id"
        for host in ("a", "b"):  # the doors moved every dropped file on
            assert list((tmp_path / host / "transcripts").iterdir()) == []
        assert wait_for(lambda: status(hosts["a"]).returncode == 0, timeout=60, interval=1), status(hosts["a"]).stdout
        producer.close()
        for label, proc in procs.items():
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0, label
        registry_view = JetStreamBroker(load_config(hosts["a"], env_file=None))
        summary = registry_view.registry.summary(QueueName.RESULTS)
        assert (summary.waiting, summary.active, summary.dead) == (0, 0, 0)
        registry_view.close()

        # Two nodes of three gone: no stream has a quorum; status says so, in about one NATS_TIMEOUT.
        for node in cluster.nodes[1:]:
            node.kill()
        started = time.monotonic()
        no_quorum = status({**hosts["a"], "NATS_TIMEOUT": "2s"})
        assert no_quorum.returncode == 1 and no_quorum.stdout.count("is not answering") == 2
        assert "no leader" in no_quorum.stdout, no_quorum.stdout
        assert time.monotonic() - started < 20
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
        sink.close()
        cluster.stop()
