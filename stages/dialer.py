"""The dialer stage: every DIALER_INTERVAL, read the lead sheet and ring whoever is due.

A cycle reads the sheet once, decides every row with the pure rules in calls/eligibility.py,
marks invalid numbers, asks Bolna about calls open for too long, stops calls an operator
marked do-not-call while Bolna still holds them, and queues at most CALLS_PER_CYCLE dials.
Dials then go out one per `run_once`, CALL_SPACING apart, so a stop request never waits
behind a sleep. With DIALER_MODE=batch the due leads go to Bolna as one batch instead
(calls/batching.py).

A dial is durable before it is sent: the `initiating` attempt is on disk before the POST,
so neither a crash nor a restart can ring a lead twice. A refusal that is the account's
fault (low wallet, refused key, unknown agent or caller ID) pauses all dialling until
Bolna's account endpoint says it is fixed (calls/account.py).
"""

from __future__ import annotations

import logging
from collections import deque

from calls.account import AGENT, BALANCE, Pause
from calls.batching import BatchDialer, PlannedDial, caller_id
from calls.eligibility import Action, Decision, DialRules, plan_cycle
from calls.kvstore import open_call_store
from calls.phones import lead_key
from calls.reconcile import Reconciler
from calls.sheet_columns import CLEARED_ON_DIAL, lead_data
from calls.sheet_sync import RowSync
from calls.tracker import CallTracker
from daemon.broker import Broker
from daemon.brokers import open_broker
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config
from daemon.logs import pii, task
from daemon.stage import Stage, StartupError
from integrations.bolna.client import BolnaClient, BolnaError
from integrations.bolna.events import ATTEMPT_KEY
from integrations.sheets import Lead, LeadSheet, SheetError, SheetWriter, open_sheet

log = logging.getLogger(__name__)


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
        self.broker = self._given_broker or open_broker(cfg, clock=self.clock)
        self.store = open_call_store(cfg, self.broker)  # BROKER=jetstream: shared by every host
        self.writer = SheetWriter(sheet, cfg.sheet_flush_seconds, self.clock, writes_lock=self.store.sheet_writes_lock)
        self.tracker = CallTracker(cfg, self.store, self.clock, self.broker)
        self.bolna = self._bolna or BolnaClient(cfg.bolna_base_url, cfg.bolna_api_token, timeout=cfg.bolna_timeout)
        self.rows = RowSync(self.writer, self.tracker, cfg.phone_region, cfg.tz)
        self.reconciler = Reconciler(self.tracker, self.bolna, self.rows, cfg.stale_call)
        self.account = self.tracker.account
        self.account.check_now()  # a restart looks at once: someone may have fixed the account meanwhile
        self.batches = (
            BatchDialer(cfg, self.tracker, self.bolna, self.rows, self.rules) if cfg.dialer_mode == "batch" else None
        )
        self._next_cycle = self.clock.monotonic()

    def close(self) -> None:
        if hasattr(self, "writer"):
            self._flush_sheet()

    def run_once(self) -> bool:
        mono = self.clock.monotonic()
        pause = self.account.paused()  # one read per turn while idle (a KV request on JetStream)
        if self.account.due(pause):
            self._check_account()
        elif self._dials and mono >= self._next_dial:
            self._dial(self._dials.popleft())
            self._next_dial = self.clock.monotonic() + self.cfg.call_spacing
        elif not self._dials and mono >= self._next_cycle:
            self._next_cycle = mono + self.cfg.dialer_interval
            self._cycle(self.clock.now())
        else:
            self._show_problems(pause)
            return self.writer.maybe_flush()
        self._show_problems(self.account.paused())  # the work just done may have paused or resumed
        return True

    def _show_problems(self, pause: Pause | None) -> None:
        """Why calls are not going out, for `status` (non-zero while any holds)."""
        problems = ([pause.describe()] if pause else []) + self.writer.problems()
        self.problem = "; ".join(problems) or None

    # -- a cycle ---------------------------------------------------------------------------

    def _cycle(self, now: float) -> None:
        try:
            leads = self.sheet.read()
        except SheetError as exc:
            log.error("cannot read the lead sheet; next try in %.0f s: %s", self.cfg.dialer_interval, exc)
            return
        if self.batches is not None:
            self.batches.track()
        calls, unreadable = self.store.leads()
        pause = self.account.paused()
        decisions = plan_cycle(leads, calls, now, self.rules, unreadable, pause.describe() if pause else "")
        by_row = {lead.row: lead for lead in leads}
        batch: list[PlannedDial] = []
        counts: dict[str, int] = {}
        for decision in decisions:
            counts[decision.action] = counts.get(decision.action, 0) + 1
            lead = by_row[decision.row]
            if decision.action is Action.DIAL:
                (batch if self.batches is not None else self._dials).append(PlannedDial(decision, lead))
            elif decision.action is Action.INVALID:
                fields = {"Status": "invalid-number", "Notes": decision.reason}
                self.rows.raw(lead.get("Phone Number"), fields, hint=decision.row)
                log.warning("row %d: %s", decision.row, pii(decision.reason))
            elif decision.action is Action.EXHAUSTED:
                self._note_exhausted(decision, lead)
            elif decision.action is Action.RECONCILE:
                self.reconciler.reconcile(decision.phone, decision.row)
            elif decision.action is Action.STOP:
                self.reconciler.stop(decision.phone, decision.row)
            else:
                log.debug("row %d: %s (%s)", decision.row, decision.action, decision.reason)
        log.info("cycle: %d rows; %s", len(leads), ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "-")
        if batch and self.batches is not None:
            self.batches.submit(batch)
        self._next_dial = self.clock.monotonic()
        self._flush_sheet()

    def _note_exhausted(self, decision: Decision, lead: Lead) -> None:
        note = "; ".join(part for part in (lead.get("Notes"), decision.reason) if part)
        with self.store.edit(lead_key(decision.phone), decision.phone) as calls:
            calls.exhausted_noted = True
        self.rows.lead(decision.phone, {"Notes": note}, hint=decision.row)

    # -- one dial --------------------------------------------------------------------------

    def _dial(self, planned: PlannedDial) -> None:
        decision, row, phone = planned.decision, planned.decision.row, planned.decision.phone
        from_number, problem = caller_id(planned.lead, self.cfg)
        if problem:
            self.rows.lead(phone, {"Notes": problem}, hint=row)
            self._flush_sheet()
            log.warning("row %d: %s; not dialled", row, pii(problem))
            return
        key = lead_key(phone)
        now = self.clock.now()
        with self.store.edit(key, phone) as calls:
            if calls.open_attempt() is not None:
                log.info("row %d: a call started meanwhile; not dialling", row)
                return
            attempt = calls.start_attempt(row, now)
        # The attempt is on disk now: whatever happens next, this lead will not be rung twice.
        stale = {column: "" for column in CLEARED_ON_DIAL if planned.lead.get(column)}
        self.rows.show(key, stale, hint=row)
        self._flush_sheet()
        user_data = {**lead_data(planned.lead), ATTEMPT_KEY: attempt.attempt_id}
        try:
            execution_id, status = self.bolna.start_call(self.cfg.bolna_agent_id, phone, user_data, from_number)
        except BolnaError as exc:
            self._dial_failed(row, key, phone, attempt.attempt_id, exc)
            return
        status = self.tracker.mark_initiated(key, phone, attempt.attempt_id, execution_id, status)
        self.rows.show(key, hint=row)
        self._flush_sheet()
        self.processed += 1
        log.info("row %d dialled (%s): %s", row, decision.reason, status, extra=task(execution_id, "dialled"))

    def _dial_failed(self, row: int, key: str, phone: str, attempt_id: str, exc: BolnaError) -> None:
        note = exc.note
        if exc.account_issue:
            note = f"not dialled: {exc.note}; dialling paused, this lead keeps its attempts"
        elif exc.call_may_exist:
            note = exc.note + "; the call may still happen: waiting for Bolna before trying again"
        self.tracker.record_dial_error(
            key,
            phone,
            attempt_id,
            note,
            counted=exc.lead_at_fault,
            call_may_exist=exc.call_may_exist,
            account_issue=exc.account_issue,
        )
        if exc.account_issue:
            self.account.pause(exc.account_issue, exc.note)
        self.rows.show(key, hint=row)
        self._flush_sheet()
        self.note_error(attempt_id, exc.note)
        log.error("row %d: %s", row, exc.note, extra=task(attempt_id, exc.kind))
        if exc.stops_dialling and self._dials:
            log.warning("dropping %d more dial(s) this cycle", len(self._dials))
            self._dials.clear()

    # -- the account, while dialling is paused ---------------------------------------------

    def _check_account(self) -> None:
        """GET /user/me (and the agent, when it was the trouble): never a call to find out."""
        pause = self.account.paused()
        if pause is None:
            return
        floor = self.cfg.bolna_min_balance
        try:
            wallet = self.bolna.account().get("wallet")
            if pause.kind == AGENT:
                self.bolna.agent(self.cfg.bolna_agent_id)
        except BolnaError as exc:
            self.account.still_paused(exc.note)
            return
        if isinstance(wallet, bool) or not isinstance(wallet, int | float):
            if pause.kind == BALANCE:
                self.account.still_paused("the account endpoint did not show the wallet")
                return
        elif wallet < floor:
            self.account.still_paused(f"the wallet holds {wallet:g}, below BOLNA_MIN_BALANCE {floor:g}")
            return
        self.account.resume(f"Bolna accepts the key and the wallet holds {wallet}")
        self._next_cycle = self.clock.monotonic()  # the due leads go now, not at the next interval

    # -- helpers ---------------------------------------------------------------------------

    def _flush_sheet(self) -> None:
        """The sheet is the operators' view, the call state the truth: a failed write is kept
        for the next flush and never stops a dial."""
        try:
            self.writer.flush()
        except SheetError as exc:
            log.warning("sheet write failed (%d rows kept for later): %s", self.writer.pending(), exc)
