"""Prometheus metrics: each stage writes DATA_DIR/state/metrics/<stage>.prom, and the intake serves them all.

The textfile is node_exporter's textfile-collector format, replaced atomically each time the
runner writes it (with the heartbeat), so a collector never reads half a file. Every series
carries a `stage` label; `pipeline_exposition()` merges all the stage files into one scrape
for the intake's /metrics.

Tasks processed and failed and the queue depth are read from the stage itself (the counts
the heartbeat shows too), so no stage code has to keep them twice. A delivering stage's
attempts by outcome and end-to-end latency are recorded by the Metrics middleware
(daemon/middleware.py), which every consuming stage has.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, write_to_textfile
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # what generate_latest writes; for the /metrics response
# delivered: 2xx. retryable: 408, 429, 5xx. permanent: other 4xx (dead-lettered). network: no answer.
ATTEMPT_OUTCOMES = ("delivered", "retryable", "permanent", "network")
# From a quick hand-off to a result that waited out a day of retries.
LATENCY_BUCKETS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 72 * 3600)


class _Consumer(Protocol):
    queue: str

    def depth(self) -> int: ...


class _Stage(Protocol):
    processed: int
    failed: int


def textfile_path(data_dir: Path, stage: str) -> Path:
    return data_dir / "state" / "metrics" / f"{stage}.prom"


class _StageCounts(Collector):
    """A collector reading the bound stage's own counters at scrape or write time."""

    def __init__(self, stage_name: str, *, delivers: bool = False) -> None:
        self.stage_name = stage_name
        self.stage: _Stage | None = None

    def collect(self) -> Iterator[Metric]:
        stage, labels = self.stage, [self.stage_name]
        processed = CounterMetricFamily("callpipe_tasks_processed", "Tasks this stage finished.", labels=["stage"])
        processed.add_metric(labels, stage.processed if stage else 0)
        failed = CounterMetricFamily(
            "callpipe_tasks_failed", "Tasks that failed in this stage (dead-lettered or erred).", labels=["stage"]
        )
        failed.add_metric(labels, stage.failed if stage else 0)
        depth = GaugeMetricFamily(
            "callpipe_queue_depth", "Tasks waiting in the inbox this stage drains.", labels=["stage", "queue"]
        )
        consumer: _Consumer | None = getattr(stage, "consumer", None)
        if consumer is not None:
            depth.add_metric([self.stage_name, consumer.queue], consumer.depth())
        updated = GaugeMetricFamily(
            "callpipe_metrics_updated_timestamp_seconds", "When these figures were taken.", labels=["stage"]
        )
        updated.add_metric(labels, time.time())
        yield from (processed, failed, depth, updated)


class _WithoutCreated(Collector):
    """The registry minus the `_created` series: a textfile collector and these dashboards never use them."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        for family in self.source.collect():
            family.samples = [s for s in family.samples if not s.name.endswith("_created")]
            yield family


class StageMetrics:
    """The metrics of one stage process, in a registry of its own."""

    def __init__(self, stage_name: str, *, delivers: bool = False) -> None:
        self.stage_name = stage_name
        self.registry = CollectorRegistry(auto_describe=False)
        self._counts = _StageCounts(stage_name)
        self.registry.register(self._counts)
        self._export = _WithoutCreated(self.registry)
        self._attempts: Counter | None = None
        self._latency: Histogram | None = None
        if delivers:
            self._attempts = Counter(
                "callpipe_delivery_attempts",
                "Webhook POSTs by outcome.",
                ["stage", "outcome"],
                registry=self.registry,
            )
            for outcome in ATTEMPT_OUTCOMES:  # present from the start, so rate() sees the first one
                self._attempts.labels(stage_name, outcome)
            self._latency = Histogram(
                "callpipe_end_to_end_latency_seconds",
                "From the result being written (processed_at) to the webhook's 2xx.",
                ["stage"],
                buckets=LATENCY_BUCKETS,
                registry=self.registry,
            )
            self._latency.labels(stage_name)

    def bind(self, stage: _Stage) -> None:
        """Read processed, failed and queue depth from `stage` from now on."""
        self._counts.stage = stage

    def record_attempt(self, outcome: str) -> None:
        if self._attempts is None:
            raise RuntimeError(f"the {self.stage_name} stage does not deliver webhooks")
        if outcome not in ATTEMPT_OUTCOMES:
            raise ValueError(f"unknown attempt outcome {outcome!r}; use one of {', '.join(ATTEMPT_OUTCOMES)}")
        self._attempts.labels(self.stage_name, outcome).inc()

    def observe_latency(self, seconds: float) -> None:
        if self._latency is None:
            raise RuntimeError(f"the {self.stage_name} stage does not deliver webhooks")
        self._latency.labels(self.stage_name).observe(max(0.0, seconds))

    def exposition(self) -> bytes:
        return generate_latest(self._export)

    def write_textfile(self, data_dir: Path) -> Path:
        """Replace state/metrics/<stage>.prom atomically (temp file beside it, then rename)."""
        path = textfile_path(data_dir, self.stage_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_to_textfile(str(path), self._export)
        return path


_by_stage: dict[str, StageMetrics] = {}


def for_stage(name: str, *, delivers: bool = False) -> StageMetrics:
    """This process's metrics for stage `name` (one object per name, made on first use).

    `delivers`: the stage tries a far side (webhook POSTs), so it reports attempts and latency.
    """
    held = _by_stage.get(name)
    if held is None or (delivers and held._attempts is None):
        held = _by_stage[name] = StageMetrics(name, delivers=delivers)
    return held


class _Families(Collector):
    """A collector handing out already merged metric families."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        yield from self.families


def pipeline_exposition(data_dir: Path, live: StageMetrics | None = None) -> bytes:
    """Every stage's textfile merged into one exposition; `live` (the caller's own) replaces its file.

    Families are merged by name, so each appears once as the text format requires, whichever
    stages report it.
    """
    merged: dict[str, Metric] = {}
    folder = data_dir / "state" / "metrics"
    sources: list[Iterable[Metric]] = []
    for path in sorted(folder.glob("*.prom")) if folder.is_dir() else ():
        if live is not None and path.stem == live.stage_name:
            continue
        try:
            sources.append(list(text_string_to_metric_families(path.read_text())))
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            log.warning("metrics file %s left out: %s", path.name, exc)
    if live is not None:
        sources.append(live._export.collect())
    for families in sources:
        for family in families:
            held = merged.get(family.name)
            if held is None:
                merged[family.name] = held = Metric(family.name, family.documentation, family.type)
            if held.type != family.type:
                log.warning("metric %s is a %s in one file and a %s in another", family.name, held.type, family.type)
                continue
            held.samples.extend(family.samples)
    return generate_latest(_Families(merged.values()))
