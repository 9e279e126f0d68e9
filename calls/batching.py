"""DIALER_MODE=batch: the due leads of a cycle go to Bolna as one batch, for large sheets.

The rules are the single-call rules: a lead's attempt is on disk before the batch is sent
(no lead is dialled twice), it counts toward MAX_ATTEMPTS, and the calls come back through
the same webhooks: each CSV row carries our attempt id, which Bolna hands back in the call's
`context_details.recipient_data`, as it does a single call's user_data.

Bolna's batch API, as its reference and agents.md document it:
- POST /batches, multipart: `agent_id`, `file` (a CSV with a `contact_number` column; every
  other column becomes a prompt variable), `from_phone_numbers`. Answers {batch_id, state}.
- A batch calls nobody until POST /batches/{id}/schedule with `scheduled_at`: ISO 8601 with
  a numeric offset (a trailing Z is refused), at least 2 minutes ahead, and Bolna rounds it
  up to the next 10-minute mark. A batch is sent only when that start is inside
  CALLING_WINDOW; Bolna's own calling guardrails on the agent keep later calls inside it.
- GET /batches/{id} reports status created, scheduled, queued or executed; once executed,
  GET /batches/{id}/executions (a bare array of execution bodies) settles every call whose
  webhooks were lost, and a row Bolna never called is given back to the lead, uncounted.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from calls.eligibility import Decision, DialRules
from calls.phones import lead_key, to_e164
from calls.sheet_columns import CALLER_ID, CLEARED_ON_DIAL, lead_data
from calls.sheet_sync import RowSync
from calls.tracker import CallTracker
from daemon.config import Config
from integrations.bolna.client import BolnaClient, BolnaError
from integrations.bolna.events import ATTEMPT_KEY, BadEventError
from integrations.sheets import Lead

log = logging.getLogger(__name__)

SCHEDULE_AHEAD = 150.0  # Bolna wants scheduled_at at least 2 minutes ahead
ROUNDED_TO = 600.0  # and starts the batch at the next 10-minute mark


@dataclass(frozen=True)
class PlannedDial:
    decision: Decision
    lead: Lead


def caller_id(lead: Lead, cfg: Config) -> tuple[str, str]:
    """The number to call from: the row's Caller ID, else BOLNA_FROM_NUMBER, else Bolna's default
    for the agent. Second: a problem with the row's Caller ID (then the lead is not dialled)."""
    raw = lead.get(CALLER_ID).strip()
    if not raw:
        return cfg.bolna_from_number, ""
    number = to_e164(raw, cfg.phone_region)
    if number is None:
        return "", f"the Caller ID {raw!r} is not a valid number; fix it to dial this lead"
    return number, ""


class BatchDialer:
    def __init__(self, cfg: Config, tracker: CallTracker, bolna: BolnaClient, rows: RowSync, rules: DialRules) -> None:
        self.cfg = cfg
        self.tracker = tracker
        self.store = tracker.store
        self.clock = tracker.clock
        self.bolna = bolna
        self.rows = rows
        self.rules = rules

    def start_time(self, now: float) -> float:
        """When Bolna will start a batch scheduled now: SCHEDULE_AHEAD on, rounded up to 10 minutes."""
        return math.ceil((now + SCHEDULE_AHEAD) / ROUNDED_TO) * ROUNDED_TO

    def submit(self, planned: list[PlannedDial]) -> None:
        start = self.start_time(self.clock.now())
        local = datetime.fromtimestamp(start, self.rules.tz)
        if not self.rules.window.contains(local.time()):
            log.info(
                "%d due lead(s) wait: a batch now would start at %s, outside %s", len(planned), local, self.rules.window
            )
            return
        groups: dict[str, list[PlannedDial]] = defaultdict(list)
        for dial in planned:
            number, problem = caller_id(dial.lead, self.cfg)
            if problem:
                self.rows.lead(dial.decision.phone, {"Notes": problem}, hint=dial.decision.row)
                continue
            groups[number].append(dial)
        for number, dials in groups.items():
            self._submit(number, dials, local)

    def _submit(self, from_number: str, planned: list[PlannedDial], start: datetime) -> None:
        now = self.clock.now()
        rows: list[tuple[PlannedDial, str]] = []
        for dial in planned:
            phone = dial.decision.phone
            with self.store.edit(lead_key(phone), phone) as calls:
                if calls.open_attempt() is not None:
                    continue
                rows.append((dial, calls.start_attempt(dial.decision.row, now).attempt_id))
        if not rows:
            return
        # Every attempt is on disk before the batch exists: no lead can be rung twice.
        for dial, _ in rows:
            stale = {column: "" for column in CLEARED_ON_DIAL if dial.lead.get(column)}
            self.rows.show(lead_key(dial.decision.phone), stale, hint=dial.decision.row)
        try:
            batch_id = self.bolna.create_batch(
                self.cfg.bolna_agent_id, _csv(rows), [from_number] if from_number else []
            )
        except BolnaError as exc:
            self._failed(rows, exc, "create")
            return
        self.store.save_batch(batch_id, {"state": "created", "created_at": now, "attempts": _attempts(rows)})
        for dial, attempt_id in rows:
            phone = dial.decision.phone
            self.tracker.mark_batched(lead_key(phone), phone, attempt_id, batch_id)
        try:
            self.bolna.schedule_batch(batch_id, start.isoformat(timespec="seconds"))
        except BolnaError as exc:
            self._failed(rows, exc, "schedule")
            self.store.save_batch(batch_id, {"state": "unscheduled", "created_at": now, "attempts": _attempts(rows)})
            return
        self.store.save_batch(
            batch_id,
            {"state": "scheduled", "created_at": now, "starts": start.isoformat(), "attempts": _attempts(rows)},
        )
        for dial, _ in rows:
            self.rows.show(lead_key(dial.decision.phone), hint=dial.decision.row)
        log.info("batch %s: %d lead(s), starting %s", batch_id, len(rows), start.isoformat(timespec="minutes"))

    def _failed(self, rows: list[tuple[PlannedDial, str]], exc: BolnaError, step: str) -> None:
        """The batch never ran: no attempt is used. An account problem pauses dialling."""
        note = f"batch not placed ({step}): {exc.note}"
        for dial, attempt_id in rows:
            phone = dial.decision.phone
            may_exist = exc.call_may_exist and step == "create"
            self.tracker.record_dial_error(
                lead_key(phone),
                phone,
                attempt_id,
                note,
                counted=False,
                call_may_exist=may_exist,
                account_issue=exc.account_issue,
            )
            self.rows.show(lead_key(phone), hint=dial.decision.row)
        if exc.account_issue:
            self.tracker.account.pause(exc.account_issue, exc.note)
        log.error("%s", note)

    def track(self) -> None:
        """Settle the batches Bolna has executed: every call's final word, lost webhooks or not."""
        for batch_id, doc in self.store.batches().items():
            if doc.get("state") != "scheduled":
                continue
            try:
                status = self.bolna.get_batch(batch_id).get("status")
                if status != "executed":
                    continue
                executions = self.bolna.batch_executions(batch_id)
            except BolnaError as exc:
                log.warning("cannot follow batch %s yet: %s", batch_id, exc.note)
                continue
            for body in executions:
                try:
                    self.tracker.apply(body)
                except BadEventError as exc:
                    log.warning("batch %s: an unusable execution: %s", batch_id, exc)
            self._settle(batch_id, doc)

    def _settle(self, batch_id: str, doc: dict[str, Any]) -> None:
        attempts = doc.get("attempts") if isinstance(doc.get("attempts"), dict) else {}
        for attempt_id, key in attempts.items():
            lead = self.store.load(key)
            attempt = lead.by_attempt(attempt_id) if lead else None
            if lead is None or attempt is None:
                continue
            if attempt.is_open and not attempt.execution_id:
                note = f"batch {batch_id} ran without calling this lead"
                self.tracker.record_dial_error(key, lead.phone, attempt_id, note, counted=False, call_may_exist=False)
            self.rows.show(key, hint=attempt.row)
        self.store.save_batch(batch_id, {**doc, "state": "executed"})
        log.info("batch %s executed; %d lead(s) settled", batch_id, len(attempts))


def _attempts(rows: list[tuple[PlannedDial, str]]) -> dict[str, str]:
    return {attempt_id: lead_key(dial.decision.phone) for dial, attempt_id in rows}


def _csv(rows: list[tuple[PlannedDial, str]]) -> bytes:
    """contact_number (Bolna's required column), our attempt id, then the leads' own data."""
    data = [({**lead_data(dial.lead), ATTEMPT_KEY: attempt_id}, dial.decision.phone) for dial, attempt_id in rows]
    columns = ["contact_number", ATTEMPT_KEY]
    for values, _ in data:
        columns += [c for c in values if c not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for values, phone in data:
        writer.writerow({**{c: str(v) for c, v in values.items()}, "contact_number": phone})
    return out.getvalue().encode()
