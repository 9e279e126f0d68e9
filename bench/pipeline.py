"""The post-call pipeline as it runs in production, against the raw floor on the same machine.

    python bench/pipeline.py [--burst 10000] [--rate 50] [--latency-calls 500] [--backlog 100000]
                             [--processors 1] [--deliveries 1] [--broker file|jetstream]

With --broker jetstream the same three figures are taken in the same run for the file backend
and for BROKER=jetstream on one local nats-server (deploy/nats/loopback/n1.conf, started
here), and printed side by side with their ratio. JetStream's producer publishes (a PubAck
means stored) where the file backend's renames a file into transcripts/.

Processor and delivery run as separate processes (`python -m daemon run processor` /
`run delivery`) on a temporary DATA_DIR and deliver to the local receiver (devtools/sink.py)
in this process, which timestamps every 2xx it sends. It prints, in one run:

- burst: N transcripts dropped at once, calls per second until the last one is received
  (and the steady rate over the middle 80% of them), against the serial floor: per call the
  same fsync'd file hops plus one POST to the same receiver, done one after another with no
  pipeline code (and no analysis);
- latency: p50 and p99 from a file's arrival in transcripts/ to the receiver's 2xx, with
  calls arriving steadily at --rate per second;
- backlog: the drain rate with --backlog files already waiting when the stages start
  (counted from process launch), and its ratio to the burst rate.

Compare the ratios, not the absolute figures: these machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

import orjson
import requests

from daemon.fsutil import fsync_dir
from devtools.sink import WebhookSink

SAMPLES = ROOT / "samples" / "transcripts"
FOLDERS = ("transcripts", "processing", "results", "delivering", "done/transcripts", "done/results", "staging")


def corpus(count: int, tag: str) -> list[tuple[str, str, bytes]]:
    """`count` distinct calls made from the samples: (file name, call_ref_id, bytes)."""
    samples = [orjson.loads(p.read_bytes()) for p in sorted(SAMPLES.glob("*.json"))]
    calls = []
    for n in range(count):
        doc = dict(samples[n % len(samples)])
        ref = f"{doc['call_ref_id']}-{tag}{n:06d}"
        doc["call_ref_id"] = ref
        calls.append((f"{tag}{n:06d}.json", ref, orjson.dumps(doc)))
    return calls


def make_data_dir(base: Path, name: str) -> Path:
    root = base / name
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    return root


def write_durably(folder: Path, name: str, data: bytes, tmp: Path) -> None:
    path = tmp / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(path, folder / name)
    fsync_dir(folder)


# -- the floor -----------------------------------------------------------------------------------


def serial_floor(base: Path, sink: WebhookSink, n: int, label: str) -> float:
    """Per call, inline: claim, write the result durably, complete, claim it, POST, acknowledge."""
    root = make_data_dir(base, label)
    calls = corpus(n, "f")
    for name, _, data in calls:
        (root / "transcripts" / name).write_bytes(data)
    session = requests.Session()
    session.headers["Content-Type"] = "application/json"
    inbox, active, results, delivering = (root / f for f in ("transcripts", "processing", "results", "delivering"))
    done_t, done_r, tmp = root / "done/transcripts", root / "done/results", root / "staging"
    start = time.perf_counter()
    for name, _, _ in calls:
        os.rename(inbox / name, active / name)
        doc = orjson.loads((active / name).read_bytes())
        write_durably(results, name, orjson.dumps({"payload": doc}), tmp)
        os.rename(active / name, done_t / name)
        fsync_dir(done_t)
        os.rename(results / name, delivering / name)
        payload = orjson.loads((delivering / name).read_bytes())["payload"]
        answer = session.post(sink.url, data=orjson.dumps(payload), timeout=10)
        answer.raise_for_status()
        os.rename(delivering / name, done_r / name)
        fsync_dir(done_r)
    elapsed = time.perf_counter() - start
    session.close()
    return n / elapsed


# -- the pipeline --------------------------------------------------------------------------------


class Feed:
    """How calls arrive: files renamed into transcripts/ (the file backend)."""

    env: dict[str, str] = {}  # noqa: RUF012 - replaced per instance by JetStreamFeed

    def start(self, root: Path) -> None:
        self.root = root

    def burst(self, calls: list[tuple[str, str, bytes]]) -> float:
        staging = self.root / "staging"  # not tmp/: the stages clean that of files they do not own
        for name, _, data in calls:
            (staging / name).write_bytes(data)
        start = time.time()
        for name, _, _ in calls:  # "at once": renames into the inbox, as fast as they go
            os.rename(staging / name, self.root / "transcripts" / name)
        return start

    def arrive(self, name: str, data: bytes) -> None:
        write_durably(self.root / "transcripts", name, data, self.root / "staging")

    def prefill(self, calls: list[tuple[str, str, bytes]]) -> None:
        for name, _, data in calls:
            (self.root / "transcripts" / name).write_bytes(data)
        os.sync()  # the backlog is on disk before the clock starts

    def close(self) -> None:
        pass


class JetStreamFeed(Feed):
    """Calls published into BROKER=jetstream's transcripts stream, as an intake on any host does."""

    def __init__(self, url: str) -> None:
        self.url = url

    def start(self, root: Path) -> None:
        from daemon.brokers.jetstream import JetStreamBroker
        from daemon.config import load_config

        super().start(root)
        prefix = f"BENCH{uuid.uuid4().hex[:8]}"
        self.env = {"BROKER": "jetstream", "NATS_URL": self.url, "NATS_STREAM_PREFIX": prefix}
        self.broker = JetStreamBroker(load_config({**self.env, "DATA_DIR": str(root)}, env_file=None))
        self.broker.ensure()

    def _publish(self, name: str, data: bytes) -> None:
        self.broker.publish("transcripts", name, data)

    def burst(self, calls: list[tuple[str, str, bytes]]) -> float:
        """ "At once": publishes in flight 128 at a time, as a bulk producer would send them."""
        start = time.time()
        for i in range(0, len(calls), 128):
            self._publish_many(calls[i : i + 128])
        return start

    def _publish_many(self, calls: list[tuple[str, str, bytes]]) -> None:
        import asyncio

        from daemon.brokers.jetstream import ops
        from daemon.brokers.jetstream.layout import NAME, TIME

        link, layout = self.broker.link, self.broker.layout

        async def put_all() -> None:
            await asyncio.gather(
                *(
                    ops.publish_named(
                        link.js,
                        layout.work_stream("transcripts"),
                        lambda n: layout.work("transcripts", n),
                        name,
                        data,
                        {NAME: name, TIME: repr(time.time())},
                    )
                    for name, _, data in calls
                )
            )
            await link.nc.publish(layout.bell("transcripts"), b"")

        link.call(put_all(), timeout=60)

    def arrive(self, name: str, data: bytes) -> None:
        self._publish(name, data)

    def prefill(self, calls: list[tuple[str, str, bytes]]) -> None:
        for i in range(0, len(calls), 128):
            self._publish_many(calls[i : i + 128])

    def close(self) -> None:
        self.broker.close()


class Stages:
    """Processor(s) and delivery as real processes on one data folder."""

    def __init__(self, root: Path, url: str, processors: int, deliveries: int, feed: Feed) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DATA_DIR": str(root), "SINGLEINTERFACE_WEBHOOK_URL": url}
        env |= feed.env
        argv = [sys.executable, "-m", "daemon", "--env-file", os.devnull, "run"]
        names = ["processor"] * processors + ["delivery"] * deliveries
        # Logging as in production: a line per call at INFO, into one file per stage process.
        self.logs = [open(root / f"{name}-{n}.log", "wb") for n, name in enumerate(names)]  # noqa: SIM115
        self.launched_at = time.time()
        self.procs = [
            subprocess.Popen([*argv, name], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            for name, log in zip(names, self.logs, strict=True)
        ]

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=60)
        for log in self.logs:
            log.close()


def wait_received(sink: WebhookSink, refs: set[str], timeout: float) -> dict[str, float]:
    """When the receiver answered 2xx to each call in `refs` (the first time)."""
    got: dict[str, float] = {}
    seen = 0
    deadline = time.monotonic() + timeout
    while len(got) < len(refs):
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(got)} of {len(refs)} calls arrived within {timeout:.0f} s")
        with sink._lock:
            fresh = sink.received[seen:]
        seen += len(fresh)
        for r in fresh:
            if 200 <= r.status < 300:
                ref = orjson.loads(r.body)["call_ref_id"]
                if ref in refs and ref not in got:
                    got[ref] = r.answered_at
        time.sleep(0.01)
    return got


def wait_ready(sink: WebhookSink, feed: Feed, timeout: float = 30) -> None:
    """One call through, so the stages are up before anything is timed."""
    [(name, ref, data)] = corpus(1, "w")
    feed.arrive(name, data)
    wait_received(sink, {ref}, timeout)


def drain_rates(start: float, answered: list[float]) -> tuple[float, float]:
    """Calls per second: overall (from `start` to the last 2xx), and steady (the middle 80% of the
    2xx, which leaves out start-up and the tail where delivery runs alone after processing ends)."""
    times = sorted(answered)
    n = len(times)
    low, high = times[n // 10], times[n - 1 - n // 10]
    return n / (times[-1] - start), (n - 2 * (n // 10)) / max(high - low, 1e-9)


def burst(feed: Feed, sink: WebhookSink, n: int, tag: str) -> tuple[float, float]:
    calls = corpus(n, f"b{tag}")
    start = feed.burst(calls)
    got = wait_received(sink, {ref for _, ref, _ in calls}, timeout=600)
    return drain_rates(start, list(got.values()))


def latency(feed: Feed, sink: WebhookSink, rate: float, n: int, tag: str) -> list[float]:
    calls = corpus(n, f"l{tag}")
    arrived: dict[str, float] = {}
    interval = 1 / rate
    next_at = time.monotonic()
    for name, ref, data in calls:
        next_at += interval
        feed.arrive(name, data)
        arrived[ref] = time.time()
        time.sleep(max(0.0, next_at - time.monotonic()))
    got = wait_received(sink, set(arrived), timeout=120)
    return sorted((got[ref] - arrived[ref]) * 1000 for ref in arrived)


def backlog(
    base: Path, sink: WebhookSink, n: int, processors: int, deliveries: int, feed: Feed, tag: str
) -> tuple[float, float]:
    root = make_data_dir(base, f"backlog{tag}")
    calls = corpus(n, f"k{tag}")
    feed.start(root)
    try:
        feed.prefill(calls)
        stages = Stages(root, sink.url, processors, deliveries, feed)
        try:
            got = wait_received(sink, {ref for _, ref, _ in calls}, timeout=max(600, n / 20))
        finally:
            stages.stop()
    finally:
        feed.close()
    return drain_rates(stages.launched_at, list(got.values()))


@dataclass
class Figures:
    burst: float
    steady: float
    lat: list[float]
    drain: float
    drain_steady: float


def measure(base: Path, sink: WebhookSink, args: argparse.Namespace, feed: Feed, tag: str) -> Figures:
    """Burst and latency on one running pipeline, then the backlog drain from a cold start."""
    root = make_data_dir(base, f"pipeline{tag}")
    feed.start(root)
    try:
        stages = Stages(root, sink.url, args.processors, args.deliveries, feed)
        try:
            wait_ready(sink, feed)
            rate, steady = burst(feed, sink, args.burst, tag)
            lat = latency(feed, sink, args.rate, args.latency_calls, tag)
        finally:
            stages.stop()
    finally:
        feed.close()
    drain, drain_steady = backlog(base, sink, args.backlog, args.processors, args.deliveries, feed, tag)
    return Figures(rate, steady, lat, drain, drain_steady)


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=10_000, help="files dropped at once (default 10000)")
    parser.add_argument("--rate", type=float, default=50, help="calls per second for latency (default 50)")
    parser.add_argument("--latency-calls", type=int, default=500, help="calls in the latency run (default 500)")
    parser.add_argument("--backlog", type=int, default=100_000, help="files waiting at start (default 100000)")
    parser.add_argument("--processors", type=int, default=1, help="processor processes (default 1)")
    parser.add_argument("--deliveries", type=int, default=1, help="delivery processes (default 1)")
    parser.add_argument(
        "--broker", choices=("file", "jetstream"), default="file", help="jetstream: also measure it, beside file"
    )
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="callpipe-bench-"))
    sink = WebhookSink(base / "sink").start()
    nats = None
    try:
        # The floor is measured before and after the runs and averaged: the machine's speed drifts.
        floor_before = serial_floor(base, sink, min(args.burst, 2000), "floor-before")
        file = measure(base, sink, args, Feed(), "f")
        js = None
        if args.broker == "jetstream":
            from tests.natsserver import NatsCluster

            nats = NatsCluster(base / "nats", size=1).start()
            js = measure(base, sink, args, JetStreamFeed(nats.url), "j")
        floor_after = serial_floor(base, sink, min(args.burst, 2000), "floor-after")
        floor = (floor_before + floor_after) / 2
    finally:
        if nats is not None:
            nats.stop()
        sink.close()
        shutil.rmtree(base, ignore_errors=True)

    print(
        f"pipeline bench: {os.cpu_count()} cores, {args.processors} processor(s) + {args.deliveries} delivery, "
        "local receiver"
    )
    print(f"  serial floor (hops + POST)   {floor:8.0f} calls/s   (before {floor_before:.0f}, after {floor_after:.0f})")
    report("file", file, args, floor)
    if js is not None:
        report("jetstream", js, args, floor)
        print("  jetstream beside file, this run:")
        print(f"    burst    {js.burst / file.burst:5.2f}x  (target >= 0.8x; steady {js.steady / file.steady:.2f}x)")
        print(f"    backlog  {js.drain / file.drain:5.2f}x  (steady {js.drain_steady / file.drain_steady:.2f}x)")
        p99, file_p99 = percentile(js.lat, 0.99), percentile(file.lat, 0.99)
        print(f"    p99      {p99:6.1f} ms against {file_p99:.1f} ms (target < 50 ms)")


def report(label: str, f: Figures, args: argparse.Namespace, floor: float) -> None:
    print(f"  {label}:")
    print(
        f"    burst of {args.burst:<7d}          {f.burst:8.0f} calls/s   "
        f"{f.burst / floor:5.2f}x the floor    (target >= 1.0x; steady {f.steady:.0f}/s)"
    )
    print(
        f"    latency at {args.rate:g}/s ({len(f.lat)} calls) p50 {statistics.median(f.lat):6.1f} ms   "
        f"p99 {percentile(f.lat, 0.99):6.1f} ms   (target p99 <= 100 ms)"
    )
    print(
        f"    backlog of {args.backlog:<7d}        {f.drain:8.0f} calls/s   "
        f"{f.drain / f.burst:5.2f}x the burst    (target >= 0.9x; steady {f.drain_steady:.0f}/s, "
        f"{f.drain_steady / f.steady:.2f}x)"
    )


if __name__ == "__main__":
    main()
