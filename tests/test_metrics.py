"""daemon/metrics.py: stage textfiles in Prometheus format, and the merged exposition the intake serves."""

from __future__ import annotations

import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from daemon import metrics
from daemon.config import Config
from daemon.queue import Task
from daemon.stage import QueueStage


class EchoStage(QueueStage):
    """A real QueueStage: completes tasks, and raises on {"fail": true} (the base class then dead-letters)."""

    name = "processor"
    queue_name = "transcripts"

    def handle(self, task: Task) -> None:
        if task.doc.get("fail"):
            raise ValueError("told to fail")
        self.queue.complete(task)


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
            stage.queue.put(f"t{i}.json", doc)
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


def test_delivery_attempts_and_end_to_end_latency(cfg: Config) -> None:
    m = metrics.StageMetrics("delivery")
    for outcome in ("retryable", "network", "delivered", "delivered"):
        m.record_attempt(outcome)
    # processed_at 14:00:00 +05:30 = 08:30:00 UTC; delivered 08:30:12 UTC, then 08:32:00 UTC.
    result = {"processed_at": "2025-10-02T14:00:00+05:30", "payload": {}}
    t0 = 1759393800.0  # 2025-10-02 08:30:00 UTC
    assert m.observe_delivered(result, t0 + 12) == 12
    assert m.observe_delivered({"processed_at": t0}, t0 + 120) == 120  # the epoch form
    assert m.observe_delivered({"processed_at": "yesterday"}, t0) is None
    got = samples(m.exposition().decode())
    attempts = {dict(labels)["outcome"]: v for (name, labels), v in got.items() if name.endswith("attempts_total")}
    assert attempts == {"delivered": 2, "retryable": 1, "permanent": 0, "network": 1}
    bucket = "callpipe_end_to_end_latency_seconds_bucket"
    assert got[(bucket, (("le", "10.0"), ("stage", "delivery")))] == 0
    assert got[(bucket, (("le", "15.0"), ("stage", "delivery")))] == 1
    assert got[(bucket, (("le", "120.0"), ("stage", "delivery")))] == 2
    assert got[("callpipe_end_to_end_latency_seconds_sum", (("stage", "delivery"),))] == 132
    with pytest.raises(ValueError, match="unknown attempt outcome"):
        m.record_attempt("ok")
    with pytest.raises(RuntimeError):
        metrics.StageMetrics("processor").record_attempt("delivered")


def test_for_stage_is_one_object_per_stage() -> None:
    assert metrics.for_stage("intake") is metrics.for_stage("intake")
    assert metrics.for_stage("intake") is not metrics.for_stage("dialer")


def test_pipeline_exposition_merges_every_stage_once_per_family(cfg: Config) -> None:
    processor, delivery, intake = (metrics.StageMetrics(n) for n in ("processor", "delivery", "intake"))
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
    m = metrics.StageMetrics("delivery")
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
