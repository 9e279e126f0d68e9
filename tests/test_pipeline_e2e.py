"""The post-call half as it runs in production: processor and delivery as real processes
(`python -m daemon run ...`) on one data folder, delivering to the real receiver on 127.0.0.1.
"""

from __future__ import annotations

import base64
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
import requests
from standardwebhooks import Webhook

from daemon import fsutil
from daemon.broker import Envelope
from devtools.sink import WebhookSink
from tests.conftest import ROOT, wait_for

SAMPLES = ROOT / "samples" / "transcripts"
SECRET = "whsec_" + base64.b64encode(b"pipeline-e2e-secret-of-32-bytes.").decode()
DAEMON = ["-m", "daemon", "--env-file", os.devnull]


class Pipeline:
    def __init__(self, tmp_path: Path, spawn: Callable[..., subprocess.Popen[bytes]], sink: WebhookSink) -> None:
        self.data = tmp_path / "data"
        self.sink = sink
        self.spawn = spawn
        self.env = {
            "DATA_DIR": str(self.data),
            "SINGLEINTERFACE_WEBHOOK_URL": sink.url,
            "LOG_LEVEL": "WARNING",
            "RESCAN_SECONDS": "2",
        }
        for folder in ("transcripts", "tmp"):
            (self.data / folder).mkdir(parents=True, exist_ok=True)

    def start(self, stage: str, **env: str) -> subprocess.Popen[bytes]:
        return self.spawn([*DAEMON, "run", stage], env={**self.env, **env})

    def drop(self, name: str, data: bytes) -> None:
        fsutil.atomic_write(self.data / "transcripts", name, data, self.data / "tmp")

    def folder(self, *parts: str) -> list[str]:
        path = self.data.joinpath(*parts)
        return sorted(p.name for p in path.iterdir()) if path.exists() else []


@pytest.fixture
def make_pipeline(tmp_path: Path, spawn) -> Iterator[Callable[..., Pipeline]]:
    sinks: list[WebhookSink] = []

    def make(**sink_knobs: object) -> Pipeline:
        sink = WebhookSink(tmp_path / "sink", **sink_knobs).start()  # type: ignore[arg-type]
        sinks.append(sink)
        return Pipeline(tmp_path, spawn, sink)

    yield make
    for sink in sinks:
        sink.close()


def copies_of_samples(count: int) -> list[tuple[str, str, bytes]]:
    """`count` distinct calls made from the samples: (file name, call_ref_id, bytes)."""
    samples = [orjson.loads(p.read_bytes()) for p in sorted(SAMPLES.glob("*.json"))]
    calls = []
    for n in range(count):
        doc = dict(samples[n % len(samples)])
        doc["call_ref_id"] = f"{doc['call_ref_id']}-{n:04d}"
        calls.append((f"call-{n:04d}.json", doc["call_ref_id"], orjson.dumps(doc)))
    return calls


def ids_by_call(sink: WebhookSink) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = defaultdict(set)
    for got in sink.accepted():
        seen[orjson.loads(got.body)["call_ref_id"]].add(got.headers["webhook-id"])
    return seen


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


@pytest.mark.timeout(60)
def test_dropped_transcripts_arrive_as_their_analyze_payloads_signed(make_pipeline) -> None:
    pipe = make_pipeline(secret=SECRET)
    samples = sorted(SAMPLES.glob("*.json"))
    processor = pipe.start("processor", WEBHOOK_SECRET=SECRET)
    delivery = pipe.start("delivery", WEBHOOK_SECRET=SECRET)
    for path in samples:
        pipe.drop(path.name, path.read_bytes())
    analyzed = subprocess.run(
        [sys.executable, *DAEMON, "analyze", *map(str, samples)],
        cwd=ROOT,
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    expected = [orjson.loads(line) for line in analyzed.stdout.splitlines()]

    assert wait_for(lambda: len(pipe.sink.accepted()) >= len(samples), timeout=30)
    stop(processor)
    stop(delivery)

    received = {}
    for got in pipe.sink.accepted():
        payload = Webhook(SECRET).verify(got.body, got.headers)  # the standardwebhooks package
        received[payload["call_ref_id"]] = payload
    assert received == {p["call_ref_id"]: p for p in expected}
    assert len(pipe.sink.accepted()) == len(samples)
    assert pipe.folder("done", "results") == [p.name for p in samples]
    assert pipe.folder("results") == [] and pipe.folder("dead", "transcripts") == []


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_sigkill_during_a_flow_of_500_calls_loses_nothing(make_pipeline) -> None:
    pipe = make_pipeline()
    calls = copies_of_samples(500)
    procs = {
        "processor-a": pipe.start("processor"),
        "processor-b": pipe.start("processor"),
        "delivery": pipe.start("delivery"),
    }
    rng = random.Random(4)
    pending = list(calls)
    kills = 0
    while pending:  # the flow goes on while processes die under it: one SIGKILL per 40 calls
        for name, _, data in pending[:40]:
            pipe.drop(name, data)
        del pending[:40]
        time.sleep(rng.uniform(0.2, 0.5))
        label = rng.choice(sorted(procs))
        procs[label].send_signal(signal.SIGKILL)
        procs[label].wait()
        procs[label] = pipe.start(label.split("-")[0])
        kills += 1
    wait_for(lambda: len(ids_by_call(pipe.sink)) == len(calls), timeout=60)
    seen = ids_by_call(pipe.sink)
    for proc in procs.values():
        proc.send_signal(signal.SIGTERM)  # a just-restarted one may not have its handlers yet
        proc.wait(timeout=15)

    assert kills == 13
    assert set(seen) == {ref for _, ref, _ in calls}, "some calls never arrived"
    assert all(len(ids) == 1 for ids in seen.values()), "a duplicate carried a different webhook-id"
    assert pipe.folder("dead", "transcripts") == [] and pipe.folder("dead", "results") == []


@pytest.mark.timeout(60)
def test_a_400_dead_letters_at_once_and_a_hang_times_out(make_pipeline) -> None:
    pipe = make_pipeline(fail_status=400, fail_body=b'{"error": "call_vendor must be Waybeo"}')
    [(name, _, data)] = copies_of_samples(1)
    pipe.drop(name, data)
    processor = pipe.start("processor")
    delivery = pipe.start("delivery")
    dead = pipe.data / "dead" / "results"
    assert wait_for(lambda: (dead / f"{name}.reason").exists(), timeout=30)
    reason = (dead / f"{name}.reason").read_text()
    assert "HTTP 400" in reason and "call_vendor must be Waybeo" in reason
    assert len(pipe.sink.received) == 1
    stop(delivery)

    # The same receiver now hangs: every try ends after WEBHOOK_TIMEOUT_MS.
    pipe.sink.fail_status, pipe.sink.hang_seconds = None, 30
    hung = pipe.start("delivery", WEBHOOK_TIMEOUT_MS="400", WEBHOOK_RETRY_ATTEMPTS="1")
    os.rename(dead / name, pipe.data / "results" / name)  # the operator replays it
    deferred = pipe.data / "deferred" / "results" / name
    assert wait_for(deferred.exists, timeout=20, interval=0.01)
    seen_at = time.time()
    envelopes = pipe.data / "state" / "envelopes" / "results"
    envelope = envelopes / f"{deferred.stat().st_ino}.json"
    assert wait_for(envelope.exists, timeout=5, interval=0.01)
    record = Envelope.from_json(envelope.read_bytes())  # kept apart from the result
    assert record.attempts == 1 and "WEBHOOK_TIMEOUT_MS=400" in record.last_error
    assert record.last_attempt_at is not None
    assert 0.4 <= seen_at - record.last_attempt_at < 2.0  # the try was cut off after 400 ms
    stop(hung)
    stop(processor)


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_receiver_down_for_12_s_gets_everything_within_a_probe_of_recovery(make_pipeline) -> None:
    recovery = time.time() + 12
    pipe = make_pipeline(fail_status=503, fail_until=recovery)
    calls = copies_of_samples(40)
    processor = pipe.start("processor")
    delivery = pipe.start("delivery", WEBHOOK_PROBE_MAX="5s")  # 3 tries, then probes at most 5 s apart
    for name, _, data in calls[:20]:
        pipe.drop(name, data)
    time.sleep(4)
    for name, _, data in calls[20:]:  # more arrive during the outage
        pipe.drop(name, data)

    assert wait_for(lambda: len(ids_by_call(pipe.sink)) == len(calls), timeout=60)
    last = max(r.at for r in pipe.sink.accepted())
    during = [r for r in pipe.sink.received if r.at < recovery]
    stop(processor)
    stop(delivery)

    assert last - recovery <= 5 + 5  # the next probe, then everything held back goes at once
    assert len(during) <= 3 + 8  # the first result's tries, then one probe per back-off step
    assert pipe.folder("deferred", "results") == [] and pipe.folder("dead", "results") == []


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(url, headers={"X-Callpipe-Token": "m-token"}, timeout=5).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_metrics_scraped_from_the_intake_move_with_real_deliveries(make_pipeline, tmp_path: Path) -> None:
    """Attempts by outcome and the end-to-end latency histogram, recorded by the stages' middleware,
    written with their heartbeats and served merged by the intake's /metrics."""
    pipe = make_pipeline(fail_status=503)  # the receiver fails until it has refused one try
    port = socket_free_port()
    leads = tmp_path / "leads.csv"
    leads.write_text("Name,Phone Number,Status\n")
    fast = {"HEARTBEAT_SECONDS": "0.2", "WEBHOOK_RETRY_ATTEMPTS": "1", "WEBHOOK_PROBE_MAX": "1s"}
    intake = pipe.start("intake", INTAKE_PORT=str(port), INTAKE_TOKEN="m-token", LEADS_CSV=str(leads), **fast)
    processor = pipe.start("processor", **fast)
    delivery = pipe.start("delivery", **fast)
    samples = sorted(SAMPLES.glob("*.json"))[:4]
    for path in samples:
        pipe.drop(path.name, path.read_bytes())
    url = f"http://127.0.0.1:{port}/metrics"
    assert wait_for(lambda: _answers(url), timeout=20)
    assert wait_for(lambda: len(pipe.sink.received) >= 1, timeout=20)
    pipe.sink.fail_status = None
    assert wait_for(lambda: len(pipe.sink.accepted()) == len(samples), timeout=40)

    def attempts(outcome: str) -> float:
        return _scrape(url).get(("callpipe_delivery_attempts_total", (("outcome", outcome), ("stage", "delivery"))), 0)

    assert wait_for(lambda: attempts("delivered") == len(samples), timeout=10)
    got = _scrape(url)
    assert attempts("retryable") >= 1  # the 503 before the receiver came back
    count = got[("callpipe_end_to_end_latency_seconds_count", (("stage", "delivery"),))]
    assert count == len(samples)
    assert got[("callpipe_end_to_end_latency_seconds_sum", (("stage", "delivery"),))] > 0
    assert got[("callpipe_tasks_processed_total", (("stage", "processor"),))] == len(samples)
    for proc in (processor, delivery, intake):
        stop(proc)


def socket_free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        return requests.get(url, headers={"X-Callpipe-Token": "m-token"}, timeout=1).status_code == 200
    except requests.RequestException:
        return False
