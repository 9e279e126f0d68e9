"""The processor stage: transcripts -> analysis -> results.

Each transcript becomes one result of the same name in the results queue, and only then is
the transcript acked (kept as finished work, for replay). A crash between the two
reprocesses the transcript; the result comes out with the same `webhook_id`, and a waiting
result with that id makes the second publish a no-op. Several processors may drain
one queue: the broker gives each transcript to one of them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from datetime import datetime
from typing import Any

import orjson

from analysis import Analysis, AnalysisSettings, Analyzer, BadTranscript
from daemon.broker import Message, Published, QueueName, SameTask, encode
from daemon.logs import pii
from daemon.logs import task as task_extra
from daemon.stage import QueueStage, StartupError
from integrations.bolna.extracted import field_map, keep_bolna_analysis
from integrations.webhooks import webhook_id

log = logging.getLogger(__name__)


def result_document(message: Message, analysis: Analysis, processed_at: str) -> dict[str, Any]:
    """The result (spec section 3). Delivery sends `payload` and nothing else."""
    return {
        "webhook_id": webhook_id(analysis.call_ref_id, analysis.payload),
        "source": {"file": message.name, "sha256": hashlib.sha256(message.body).hexdigest()},
        "processed_at": processed_at,
        "timing_estimated": analysis.timing_estimated,
        "summary": analysis.summary,
        "metadata": analysis.metadata,
        "payload": analysis.payload,
    }


def same_result(webhook: str) -> SameTask:
    """Results differ in `processed_at`, so their bytes never match; the payload's id says
    whether a waiting result is this one, which then need not be published again."""

    def carries_it(waiting: bytes) -> bool:
        try:
            doc = orjson.loads(waiting)
        except orjson.JSONDecodeError:
            return False
        return isinstance(doc, dict) and doc.get("webhook_id") == webhook

    return carries_it


class ProcessorStage(QueueStage):
    name = "processor"
    queue_name = QueueName.TRANSCRIPTS

    def setup(self) -> None:
        try:
            self.analyzer = Analyzer(AnalysisSettings.from_config(self.cfg))
        except ValueError as exc:  # a MODEL_CATALOG or phrase file that cannot be read
            raise StartupError(f"analysis data (MODEL_CATALOG, ANALYSIS_PHRASES): {exc}") from None
        self.extracted_fields = field_map(self.cfg.extracted_fields)
        super().setup()

    def handle(self, message: Message) -> None:
        try:
            analysis = self.analyzer.analyze(message.doc)
        except BadTranscript as exc:
            message.dead_letter(str(exc))
            return
        # Bolna's own summary and extraction ride along in the metadata (integrations/bolna/extracted.py).
        payload, metadata, filled = keep_bolna_analysis(
            analysis.payload, analysis.metadata, message.doc, self.extracted_fields
        )
        analysis = dataclasses.replace(analysis, payload=payload, metadata=metadata)
        if filled:
            log.info(
                "filled from Bolna's extraction: %s",
                ", ".join(filled),
                extra=task_extra(analysis.call_ref_id, "extracted"),
            )
        processed_at = datetime.fromtimestamp(self.clock.now(), self.cfg.tz).isoformat(timespec="seconds")
        doc = result_document(message, analysis, processed_at)
        outcome = self.broker.publish(QueueName.RESULTS, message.name, encode(doc), same=same_result(doc["webhook_id"]))
        if outcome is Published.DUPLICATE:
            log.info(
                "the same result waits already (a crash, or a replay): not published twice",
                extra=task_extra(analysis.call_ref_id, "duplicate"),
            )
        elif outcome is Published.CONFLICT:
            log.warning(
                "a different result of this name waits; this one is kept as a dead letter beside it",
                extra=task_extra(analysis.call_ref_id, "conflict"),
            )
        message.ack()
        log.info(
            "analysed: %s; %s",
            analysis.payload["dealer_routing"]["reason"],
            pii(analysis.summary),
            extra=task_extra(analysis.call_ref_id, "processed"),
        )
