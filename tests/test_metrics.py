"""daemon/metrics.py: stage textfiles in Prometheus format, and the merged exposition the intake serves."""

from __future__ import annotations

import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from daemon import metrics
from daemon.broker import Message, QueueName
from daemon.brokers.memory import MemoryBroker
from daemon.clock import FakeClock
from daemon.config import Config
from daemon.stage import QueueStage


class EchoStage(QueueStage):
    """A real QueueStage: acks tasks, and raises on {"fail": true} (the base class then dead-letters)."""

    name = "processor"
    queue_name = QueueName.TRANSCRIPTS

    def handle(self, message: Message) -> None:
        if message.doc.get("fail"):
            raise ValueError("told to fail")
        message.ack()


class PostingStage(QueueStage):
    """A delivering stage: one attempt per task, the outcome named in the task itself."""

    name = "delivery"
    queue_name = QueueName.RESULTS
    delivers = True

    def handle(self, message: Message) -> None:
        outcome = message.doc["outcome"]
        self.attempted(message, outcome, "" if outcome == "delivered" else "HTTP 503", self.clock.now())
        if outcome == "delivered":
            message.ack()
        else:
            message.defer(self.clock.now() + 60)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition by (name, sorted labels)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def type_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("# TYPE ")]


def test_textfile_reports_the_stage_s_own_counts(cfg: Config) -> None:
    stage = EchoStage(cfg)
    stage.setup()
    try:
        for i, doc in enumerate([b"{}", b'{"fail": true}', b"{}", b"{}", b"{}"]):
            stage.broker.publish(QueueName.TRANSCRIPTS, f"t{i}.json", doc)
        for _ in range(3):
            assert stage.run_once()
        m = metrics.StageMetrics("processor")
        m.bind(stage)
        path = m.write_textfile(cfg.data_dir)
    finally:
        stage.close()
    assert path == cfg.data_dir / "state/metrics/processor.prom"
    got = samples(path.read_text())
    assert got[("callpipe_tasks_processed_total", (("stage", "processor"),))] == 2
    assert got[("callpipe_tasks_failed_total", (("stage", "processor"),))] == 1
    assert got[("callpipe_queue_depth", (("queue", "transcripts"), ("stage", "processor")))] == 2
    assert not any(name.endswith("_created") for name, _ in got)
    assert not any(name.startswith("callpipe_delivery") for name, _ in got)  # only delivery has those
    assert [p.name for p in path.parent.iterdir()] == ["processor.prom"]  # no temp file left behind


def test_delivery_attempts_and_end_to_end_latency_come_from_the_middleware(cfg: Config) -> None:
    """No stage code records a metric: the Metrics middleware hears each attempt and each ack."""
    clock = FakeClock()
    broker = MemoryBroker(clock=clock)
    stage = PostingStage(cfg, clock, broker=broker)
    stage.setup()
    before = samples(metrics.for_stage("delivery", delivers=True).exposition().decode())
    broker.publish(QueueName.RESULTS, "a.json", b'{"outcome": "retryable"}')
    clock.advance(12)
    broker.publish(QueueName.RESULTS, "b.json", b'{"outcome": "delivered"}')
    clock.advance(120)
    assert stage.run_once() and stage.run_once()
    after = samples(metrics.for_stage("delivery").exposition().decode())
    moved = {key: after[key] - before.get(key, 0.0) for key in after if "timestamp" not in key[0]}
    attempts = {dict(labels)["outcome"]: v for (name, labels), v in moved.items() if name.endswith("attempts_total")}
    assert attempts == {"delivered": 1, "retryable": 1, "permanent": 0, "network": 0}
    bucket = "callpipe_end_to_end_latency_seconds_bucket"
    assert moved[(bucket, (("le", "60.0"), ("stage", "delivery")))] == 0
    assert moved[(bucket, (("le", "120.0"), ("stage", "delivery")))] == 1  # published to acked: 120 s
    assert moved[("callpipe_end_to_end_latency_seconds_sum", (("stage", "delivery"),))] == 120
    deferred = next(iter(broker.registry.entries(QueueName.RESULTS, "deferred")))
    assert deferred.name == "a.json"
    assert stage.processed == 1


def test_attempt_outcomes_are_checked() -> None:
    m = metrics.StageMetrics("delivery", delivers=True)
    with pytest.raises(ValueError, match="unknown attempt outcome"):
        m.record_attempt("ok")
    with pytest.raises(RuntimeError):
        metrics.StageMetrics("processor").record_attempt("delivered")


def test_for_stage_is_one_object_per_stage() -> None:
    assert metrics.for_stage("intake") is metrics.for_stage("intake")
    assert metrics.for_stage("intake") is not metrics.for_stage("dialer")


def test_pipeline_exposition_merges_every_stage_once_per_family(cfg: Config) -> None:
    processor, intake = (metrics.StageMetrics(n) for n in ("processor", "intake"))
    delivery = metrics.StageMetrics("delivery", delivers=True)
    processor.bind(type("Counts", (), {"processed": 40, "failed": 2})())
    delivery.bind(type("Counts", (), {"processed": 38, "failed": 1})())
    delivery.record_attempt("delivered")
    intake.bind(type("Counts", (), {"processed": 41, "failed": 0})())
    for m in (processor, delivery, intake):
        m.write_textfile(cfg.data_dir)
    (cfg.data_dir / "state/metrics/garbage.prom").write_text("# TYPE x counter\nx{ 1\n")
    intake.bind(type("Counts", (), {"processed": 42, "failed": 0})())  # live figures beat its own file

    text = metrics.pipeline_exposition(cfg.data_dir, live=intake).decode()
    types = type_lines(text)
    assert len(types) == len(set(types))  # each family once, as the text format requires
    got = samples(text)
    processed = {dict(lb)["stage"]: v for (name, lb), v in got.items() if name == "callpipe_tasks_processed_total"}
    assert processed == {"delivery": 38, "intake": 42, "processor": 40}
    assert got[("callpipe_delivery_attempts_total", (("outcome", "delivered"), ("stage", "delivery")))] == 1
    assert metrics.CONTENT_TYPE.startswith("text/plain; version=0.0.4")


def test_readers_never_see_a_half_written_textfile(cfg: Config) -> None:
    m = metrics.StageMetrics("delivery", delivers=True)
    path = m.write_textfile(cfg.data_dir)
    families = type_lines(path.read_text())
    done = threading.Event()
    bad: list[str] = []
    reads = 0

    def read() -> None:
        nonlocal reads
        while not done.is_set():
            text = path.read_text()
            reads += 1
            if type_lines(text) != families or not text.endswith("\n"):
                bad.append(text)

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(300):
        m.record_attempt("delivered")
        m.write_textfile(cfg.data_dir)
    done.set()
    reader.join()
    assert bad == [] and reads > 0
