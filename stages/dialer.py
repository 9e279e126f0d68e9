"""The dialer stage: every DIALER_INTERVAL, read the lead sheet and ring whoever is due.

A cycle reads the sheet once, decides every row with the pure rules in
stages/bolna/eligibility.py, marks invalid numbers, reconciles calls open for too long, and
queues at most CALLS_PER_CYCLE dials. Dials then go out one per `run_once`, CALL_SPACING
apart, so a stop request never waits behind a sleep.

A dial is durable before it is sent: the `initiating` attempt is on disk before the POST,
so neither a crash nor a restart can ring a lead twice.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from calls.eligibility import Action, Decision, DialRules, format_sheet_time, plan_cycle
from calls.kvstore import open_call_store
from calls.phones import lead_key
from calls.sheet_columns import CLEARED_ON_DIAL, lead_data
from calls.statuses import is_terminal
from calls.tracker import CallTracker
from daemon.broker import Broker
from daemon.brokers import open_broker
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config
from daemon.logs import pii, task
from daemon.stage import Stage, StartupError
from integrations.bolna.client import BolnaClient, BolnaError
from integrations.bolna.events import ATTEMPT_KEY, BadEventError, sheet_fields
from integrations.sheets import Lead, LeadSheet, SheetError, SheetWriter, open_sheet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedDial:
    decision: Decision
    lead: Lead


class DialerStage(Stage):
    name = "dialer"

    def __init__(
        self,
        cfg: Config,
        clock: Clock = SYSTEM_CLOCK,
        *,
        sheet: LeadSheet | None = None,
        bolna: BolnaClient | None = None,
        broker: Broker | None = None,
    ) -> None:
        super().__init__(cfg, clock)
        self._sheet = sheet
        self._bolna = bolna
        self._given_broker = broker
        self._dials: deque[PlannedDial] = deque()
        self._next_cycle = 0.0  # monotonic, as every in-process timer
        self._next_dial = 0.0

    def setup(self) -> None:
        cfg = self.cfg
        missing = [
            name
            for name, value in (("BOLNA_API_TOKEN", cfg.bolna_api_token), ("BOLNA_AGENT_ID", cfg.bolna_agent_id))
            if not value
        ]
        if missing and self._bolna is None:
            raise StartupError(f"set {' and '.join(missing)} to place calls through Bolna")
        try:
            self.rules = DialRules.from_config(cfg)
            sheet = self._sheet or open_sheet(cfg, clock=self.clock)
        except (ValueError, SheetError) as exc:
            raise StartupError(str(exc)) from None
        self.sheet = sheet
        self.writer = SheetWriter(sheet, cfg.sheet_flush_seconds, self.clock)
        self.broker = self._given_broker or open_broker(cfg, clock=self.clock)
        self.store = open_call_store(cfg, self.broker)  # BROKER=jetstream: shared by every host
        self.tracker = CallTracker(cfg, self.store, self.clock, self.broker)
        self.bolna = self._bolna or BolnaClient(cfg.bolna_base_url, cfg.bolna_api_token, timeout=cfg.bolna_timeout)
        self._next_cycle = self.clock.monotonic()

    def close(self) -> None:
        if hasattr(self, "writer"):
            self._flush_sheet()

    def run_once(self) -> bool:
        mono = self.clock.monotonic()
        if self._dials and mono >= self._next_dial:
            self._dial(self._dials.popleft())
            self._next_dial = self.clock.monotonic() + self.cfg.call_spacing
            return True
        if not self._dials and mono >= self._next_cycle:
            self._next_cycle = mono + self.cfg.dialer_interval
            self._cycle(self.clock.now())
            return True
        return self.writer.maybe_flush()

    # -- a cycle ---------------------------------------------------------------------------

    def _cycle(self, now: float) -> None:
        try:
            leads = self.sheet.read()
        except SheetError as exc:
            log.error("cannot read the lead sheet; next try in %.0f s: %s", self.cfg.dialer_interval, exc)
            return
        calls, unreadable = self.store.leads()
        decisions = plan_cycle(leads, calls, now, self.rules, unreadable)
        by_row = {lead.row: lead for lead in leads}
        counts: dict[str, int] = {}
        for decision in decisions:
            counts[decision.action] = counts.get(decision.action, 0) + 1
            if decision.action is Action.DIAL:
                self._dials.append(PlannedDial(decision, by_row[decision.row]))
            elif decision.action is Action.INVALID:
                self.writer.update(decision.row, {"Status": "invalid-number", "Notes": decision.reason})
                log.warning("row %d: %s", decision.row, pii(decision.reason))
            elif decision.action is Action.EXHAUSTED:
                self._note_exhausted(decision, by_row[decision.row])
            elif decision.action is Action.RECONCILE:
                self._reconcile(decision)
            else:
                log.debug("row %d: %s (%s)", decision.row, decision.action, decision.reason)
        log.info("cycle: %d rows; %s", len(leads), ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "-")
        self._next_dial = self.clock.monotonic()
        self._flush_sheet()

    def _note_exhausted(self, decision: Decision, lead: Lead) -> None:
        note = "; ".join(part for part in (lead.get("Notes"), decision.reason) if part)
        self.writer.update(decision.row, {"Notes": note})
        with self.store.edit(lead_key(decision.phone), decision.phone) as calls:
            calls.exhausted_noted = True

    # -- one dial --------------------------------------------------------------------------

    def _dial(self, planned: PlannedDial) -> None:
        decision, row, phone = planned.decision, planned.decision.row, planned.decision.phone
        key = lead_key(phone)
        now = self.clock.now()
        with self.store.edit(key, phone) as calls:
            if calls.open_attempt() is not None:
                log.info("row %d: a call started meanwhile; not dialling", row)
                return
            attempt = calls.start_attempt(row, now)
        # The attempt is on disk now: whatever happens next, this lead will not be rung twice.
        stale = {column: "" for column in CLEARED_ON_DIAL if planned.lead.get(column)}
        self.writer.update(row, {"Status": "initiating", "Last Attempt Time": self._local(now), **stale})
        self._flush_sheet()
        user_data = {**lead_data(planned.lead), ATTEMPT_KEY: attempt.attempt_id}
        try:
            execution_id = self.bolna.start_call(self.cfg.bolna_agent_id, phone, user_data)
        except BolnaError as exc:
            self._dial_failed(row, key, phone, attempt.attempt_id, exc)
            return
        status = self.tracker.mark_initiated(key, phone, attempt.attempt_id, execution_id)
        self.writer.update(row, {"Status": status, "Latest Execution ID": execution_id})
        self._flush_sheet()
        self.processed += 1
        log.info("row %d dialled (%s)", row, decision.reason, extra=task(execution_id, "initiated"))

    def _dial_failed(self, row: int, key: str, phone: str, attempt_id: str, exc: BolnaError) -> None:
        self.tracker.record_dial_error(
            key, phone, attempt_id, exc.note, counted=exc.lead_at_fault, call_may_exist=exc.call_may_exist
        )
        if exc.call_may_exist:
            note = exc.note + "; the call may still happen: waiting for Bolna before trying again"
            self.writer.update(row, {"Notes": note})
        else:
            self.writer.update(row, {"Status": "failed", "Notes": exc.note})
        self._flush_sheet()
        self.note_error(attempt_id, exc.note)
        log.error("row %d: %s", row, exc.note, extra=task(attempt_id, exc.kind))
        if exc.stops_dialling and self._dials:
            log.warning("dropping %d more dial(s) this cycle", len(self._dials))
            self._dials.clear()

    # -- calls open for too long -----------------------------------------------------------

    def _reconcile(self, decision: Decision) -> None:
        """Ask Bolna about a call still open after STALE_CALL before letting the lead go."""
        key, phone = lead_key(decision.phone), decision.phone
        calls = self.store.load(key)
        attempt = calls.open_attempt() if calls else None
        if attempt is None:
            return
        minutes = self.cfg.stale_call / 60
        if not attempt.execution_id:
            note = f"no execution id after {minutes:.0f} min: the dial request's outcome is unknown"
            self.tracker.release(key, phone, attempt.attempt_id, note, status="failed")
            self.writer.update(decision.row, {"Status": "failed", "Notes": note})
            log.warning("row %d: %s", decision.row, note, extra=task(attempt.attempt_id, "released"))
            return
        execution_id = attempt.execution_id
        try:
            body = self.bolna.get_execution(execution_id)
        except BolnaError as exc:
            if exc.kind != "not-found":
                log.warning(
                    "row %d: cannot reconcile yet: %s",
                    decision.row,
                    exc.note,
                    extra=task(execution_id, "lookup-failed"),
                )
                return
            note = "Bolna has no record of this call"
            self.tracker.release(key, phone, attempt.attempt_id, note, status="failed")
            self.writer.update(decision.row, {"Status": "failed", "Notes": note})
            return
        try:
            applied = self.tracker.apply(body)
        except BadEventError as exc:
            log.warning("row %d: Bolna's answer is unusable: %s", decision.row, exc, extra=task(execution_id, "bad"))
            return
        fields = sheet_fields(body)
        if not is_terminal(applied.status):
            note = f"Bolna still reports {applied.status} after {minutes:.0f} min; no longer waiting"
            self.tracker.release(key, phone, attempt.attempt_id, note)
            fields["Notes"] = "; ".join(p for p in (fields.get("Notes", ""), note) if p)
        self.writer.update(decision.row, fields)
        log.info("row %d reconciled: %s", decision.row, applied.status, extra=task(execution_id, "reconciled"))

    # -- helpers ---------------------------------------------------------------------------

    def _flush_sheet(self) -> None:
        """The sheet is the operators' view, the call state the truth: a failed write is kept
        for the next flush and never stops a dial."""
        try:
            self.writer.flush()
        except SheetError as exc:
            log.warning("sheet write failed (%d rows kept for later): %s", self.writer.pending(), exc)

    def _local(self, epoch: float) -> str:
        return format_sheet_time(epoch, self.cfg.tz)
