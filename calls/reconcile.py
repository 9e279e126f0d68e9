"""Asking Bolna about a call: one open past STALE_CALL, or one an operator wants stopped.

Bolna's answer (GET /executions/{id}) is trusted. A call it still holds (queued under the
account's concurrency limit, scheduled, rescheduled by its guardrails) or still runs keeps
the lead: it is asked again STALE_CALL later, and the lead is never dialled meanwhile. A
final status is applied exactly as its webhook would be, transcript task included, so a
lost `completed` webhook costs nothing but time.
"""

from __future__ import annotations

import logging

from calls.phones import lead_key
from calls.sheet_sync import RowSync
from calls.statuses import STOPPABLE, is_terminal
from calls.tracker import CallTracker
from daemon.logs import task
from integrations.bolna.client import BolnaClient, BolnaError
from integrations.bolna.events import BadEventError

log = logging.getLogger(__name__)

# Failures that say nothing about the call: try again at the next cycle.
_TRANSIENT = frozenset({"network", "server", "rate-limited", "unknown-outcome", "bad-response"})


class Reconciler:
    def __init__(self, tracker: CallTracker, bolna: BolnaClient, rows: RowSync, stale_call: float) -> None:
        self.tracker = tracker
        self.store = tracker.store
        self.bolna = bolna
        self.rows = rows
        self.stale_call = stale_call

    def reconcile(self, phone: str, row: int) -> None:
        key = lead_key(phone)
        calls = self.store.load(key)
        attempt = calls.open_attempt() if calls else None
        if attempt is None:
            return
        minutes = self.stale_call / 60
        if not attempt.execution_id:
            if attempt.batch_id:
                self.tracker.checked(key, phone, attempt.attempt_id)  # the batch's own tracking settles it
                return
            note = f"no execution id after {minutes:.0f} min: the dial request's outcome is unknown"
            self.tracker.release(key, phone, attempt.attempt_id, note, status="failed")
            self.rows.show(key, hint=row)
            log.warning("row %d: %s", row, note, extra=task(attempt.attempt_id, "released"))
            return
        execution_id = attempt.execution_id
        try:
            body = self.bolna.get_execution(execution_id)
        except BolnaError as exc:
            if exc.kind != "not-found":
                log.warning(
                    "row %d: cannot reconcile yet: %s", row, exc.note, extra=task(execution_id, "lookup-failed")
                )
                return
            self.tracker.release(key, phone, attempt.attempt_id, "Bolna has no record of this call", status="failed")
            self.rows.show(key, hint=row)
            return
        try:
            applied = self.tracker.apply(body)
        except BadEventError as exc:
            log.warning("row %d: Bolna's answer is unusable: %s", row, exc, extra=task(execution_id, "bad"))
            return
        if not is_terminal(applied.status):
            self.tracker.checked(key, phone, attempt.attempt_id)
            log.info(
                "row %d: Bolna still reports %s; the lead stays on its call, asked again in %.0f min",
                row,
                applied.status,
                minutes,
                extra=task(execution_id, "still-held"),
            )
        else:
            log.info("row %d reconciled: %s", row, applied.status, extra=task(execution_id, "reconciled"))
        self.rows.show(key, hint=row)

    def stop(self, phone: str, row: int) -> None:
        """do-not-call while Bolna holds the call: POST /call/{id}/stop, then Bolna's word on it."""
        key = lead_key(phone)
        calls = self.store.load(key)
        attempt = calls.open_attempt() if calls else None
        if attempt is None or attempt.status not in STOPPABLE or not attempt.execution_id:
            return
        execution_id = attempt.execution_id
        try:
            self.bolna.stop_call(execution_id)
        except BolnaError as exc:
            if exc.kind in _TRANSIENT:
                log.warning("row %d: could not ask Bolna to stop the call yet: %s", row, exc.note)
                return
            # Too late (it started ringing): Bolna stops only queued or scheduled calls.
            log.warning("row %d: Bolna would not stop the call: %s", row, exc.note, extra=task(execution_id, "stop"))
        else:
            log.info("row %d: do-not-call; Bolna stopped the call", row, extra=task(execution_id, "stopped"))
        self.tracker.stop_requested(key, phone, attempt.attempt_id)
        try:
            self.tracker.apply(self.bolna.get_execution(execution_id))
        except (BolnaError, BadEventError):
            pass  # its webhook will tell
        self.rows.show(key, hint=row)
