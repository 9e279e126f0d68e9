"""The processor stage: transcripts/ -> analysis -> results/.

Each claimed transcript becomes one result file of the same name in results/, written
atomically, and only then does the transcript move to done/transcripts/ (kept for replay).
A crash between the two reprocesses the transcript; the result is rewritten with the same
`webhook_id`, so a duplicate delivery is recognisable as one. Several processors may run on
one data folder: the queue gives each transcript to one of them.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from analysis import Analysis, AnalysisSettings, Analyzer, BadTranscript
from daemon import fsutil
from daemon.logs import pii
from daemon.logs import task as task_extra
from daemon.queue import Task, encode
from daemon.runner import StartupError
from daemon.stage import QueueStage
from stages.webhooks import webhook_id

log = logging.getLogger(__name__)


def result_document(task: Task, analysis: Analysis, processed_at: str) -> dict[str, Any]:
    """The result file (spec section 3). Delivery sends `payload` and nothing else."""
    return {
        "webhook_id": webhook_id(analysis.call_ref_id, analysis.payload),
        "source": {"file": task.name, "sha256": hashlib.sha256(task.raw).hexdigest()},
        "processed_at": processed_at,
        "timing_estimated": analysis.timing_estimated,
        "summary": analysis.summary,
        "metadata": analysis.metadata,
        "payload": analysis.payload,
    }


class ProcessorStage(QueueStage):
    name = "processor"
    queue_name = "transcripts"

    def setup(self) -> None:
        try:
            self.analyzer = Analyzer(AnalysisSettings.from_config(self.cfg))
        except ValueError as exc:  # a MODEL_CATALOG that cannot be read or is not a catalog
            raise StartupError(f"MODEL_CATALOG: {exc}") from None
        root = self.cfg.data_dir
        self.results: Path = root / "results"
        self.tmp: Path = root / "tmp"
        super().setup()

    def handle(self, task: Task) -> None:
        try:
            analysis = self.analyzer.analyze(task.doc)
        except BadTranscript as exc:
            self.queue.dead_letter(task, str(exc))
            return
        processed_at = datetime.fromtimestamp(self.clock.now(), self.cfg.tz).isoformat(timespec="seconds")
        doc = result_document(task, analysis, processed_at)
        fsutil.atomic_write(self.results, task.name, encode(doc), self.tmp)
        self.queue.complete(task)
        routing = analysis.payload["dealer_routing"]["reason"]
        log.info(
            "results/%s: %s; %s",
            task.name,
            routing,
            pii(analysis.summary),
            extra=task_extra(analysis.call_ref_id, "processed"),
        )
