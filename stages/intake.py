"""The intake stage: Bolna's webhooks in, call state, transcript tasks and sheet updates out.

Request threads (waitress) do only what must be durable before answering: upsert the call
state and, for a finished call, write its transcript task. Everything slow happens in
`run_once` on the stage's own thread: batched sheet writes, the DISCONNECT_GRACE timers,
and copying analysis results (summary, name, model, email, routing) into the sheet.

Row updates wait in memory for their batch, so each attempt records on disk which of its
changes the sheet shows (calls/sheet_sync.py). Whatever a killed intake had not written is
sent again when it starts, and every RESYNC_SECONDS (the dialer's changes included).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
import uuid
from typing import Any

from calls.kvstore import open_call_store
from calls.sheet_columns import ResultFinder, result_fields
from calls.sheet_sync import RowSync
from calls.store import Attempt, LeadCalls
from calls.tracker import CallTracker
from daemon import metrics
from daemon.broker import Broker, QueueName, State
from daemon.brokers import open_broker
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config
from daemon.logs import task
from daemon.stage import Stage, StartupError
from integrations.bolna.client import BolnaClient, BolnaError
from integrations.bolna.webhook_app import IntakeAuth, create_app
from integrations.serving import BackgroundServer
from integrations.sheets import LeadSheet, SheetError, SheetWriter, open_sheet

log = logging.getLogger(__name__)

GRACE_CHECK_SECONDS = 1.0
PRUNE_INTERVAL = 3600.0
RESYNC_SECONDS = 30.0  # look for row updates nobody has written (a kill, the dialer's) this often


class IntakeStage(Stage):
    name = "intake"
    idle_wait = 0.25

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
        self._lock = threading.Lock()  # guards the three collections below (request threads write them)
        self._dirty: set[str] = set()  # executions whose sheet row needs rewriting
        self._awaiting_completion: dict[str, float] = {}  # execution id -> disconnected at
        self._awaiting_results: set[str] = set()
        self._wake = threading.Event()
        self._next_grace_check = 0.0
        self._next_result_sync = 0.0
        self._next_prune = 0.0
        self._next_resync = 0.0
        self.server: BackgroundServer | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def setup(self) -> None:
        cfg = self.cfg
        try:
            auth = IntakeAuth.build(cfg.intake_token, cfg.intake_allowed_ips)
        except ValueError as exc:
            raise StartupError(f"INTAKE_ALLOWED_IPS: {exc}") from None
        if not auth.enabled:
            if not _is_loopback(cfg.intake_host):
                raise StartupError(
                    f"refusing to accept webhooks on {cfg.intake_host} from anyone: set INTAKE_TOKEN "
                    "and/or INTAKE_ALLOWED_IPS (Bolna sends from 13.203.39.153, 13.126.9.249, 13.202.133.53)"
                )
            log.warning("no INTAKE_TOKEN or INTAKE_ALLOWED_IPS: any local process may post webhooks")
        try:
            sheet = self._sheet or open_sheet(cfg, clock=self.clock)
        except SheetError as exc:
            raise StartupError(f"cannot open the lead sheet: {exc}") from None
        self.broker = self._given_broker or open_broker(cfg, clock=self.clock)
        self.store = open_call_store(cfg, self.broker)  # BROKER=jetstream: shared by every host
        self.tracker = CallTracker(cfg, self.store, self.clock, self.broker)
        if recovered := self.tracker.recover():
            log.warning("finished %d transcript task(s) a crash had interrupted", recovered)
        self.writer = SheetWriter(sheet, cfg.sheet_flush_seconds, self.clock, writes_lock=self.store.sheet_writes_lock)
        self.rows = RowSync(self.writer, self.tracker, cfg.phone_region, cfg.tz)
        self.results = ResultFinder(self.broker.registry, cfg.max_task_bytes)
        if self._bolna is None and cfg.bolna_api_token:
            self._bolna = BolnaClient(cfg.bolna_base_url, cfg.bolna_api_token, timeout=cfg.bolna_timeout)
        leads = self.tracker.all_leads()  # once, after recover(): the three questions below share it
        self._awaiting_completion = self.tracker.awaiting_completion(leads)
        self._awaiting_results = self.tracker.awaiting_results(leads)
        self.rows.resend_unsynced(leads)  # what a killed intake applied but never wrote
        self._next_resync = self.clock.monotonic() + RESYNC_SECONDS
        self.dead = IntakeDeadLetters(self.broker, self.clock)
        live = metrics.for_stage(self.name)
        app = create_app(
            self._on_event,
            auth,
            self.dead,
            cfg.intake_max_body_bytes,
            metrics=lambda: metrics.pipeline_exposition(cfg.data_dir, live),
        )
        self.server = BackgroundServer(
            app, cfg.intake_host, cfg.intake_port, name="intake", max_body=cfg.intake_max_body_bytes
        ).start()

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        if hasattr(self, "writer"):
            self._sync_calls()
            try:
                self.writer.flush()
            except SheetError as exc:
                log.error("sheet updates lost at shutdown (%d rows): %s", self.writer.pending(), exc)

    def wakeup_event(self) -> threading.Event:
        return self._wake

    # -- request threads -------------------------------------------------------------------

    def _on_event(self, body: Any) -> dict[str, Any]:
        applied = self.tracker.apply(body)
        with self._lock:
            self._dirty.add(applied.execution_id)
            if applied.disconnected_at is not None:
                self._awaiting_completion[applied.execution_id] = applied.disconnected_at
            else:
                self._awaiting_completion.pop(applied.execution_id, None)
            if applied.task_written:
                self._awaiting_results.add(applied.execution_id)
            self.processed += 1
        self._wake.set()
        return {"execution_id": applied.execution_id, "status": applied.status, "applied": applied.accepted}

    # -- the stage's loop ------------------------------------------------------------------

    def run_once(self) -> bool:
        did = self._sync_calls()
        now, mono = self.clock.now(), self.clock.monotonic()
        if mono >= self._next_grace_check:
            self._next_grace_check = mono + GRACE_CHECK_SECONDS
            did = self._fire_grace_timers(now) or did
        if mono >= self._next_prune:
            self._next_prune = mono + PRUNE_INTERVAL
            self._prune(now)
        if mono >= self._next_result_sync:
            self._next_result_sync = mono + self.cfg.sheet_flush_seconds
            did = self._sync_results() or did
        if mono >= self._next_resync:
            self._next_resync = mono + RESYNC_SECONDS
            self._resync()
        did = self.writer.maybe_flush() or did
        self.problem = "; ".join(self.writer.problems()) or None
        return did

    def _resync(self) -> None:
        """Row updates still owed (the dialer's unflushed ones, a failed write's) and results
        the dialer's reconciliation produced: the intake hears of neither by webhook."""
        leads = self.tracker.all_leads()
        self.rows.resend_unsynced(leads)
        awaiting = self.tracker.awaiting_results(leads)
        with self._lock:
            self._awaiting_results |= awaiting

    def _prune(self, now: float) -> None:
        """RETENTION_DAYS for what the intake keeps: execution bodies (about 8 KB a call) and
        refused webhook bodies. Lead records stay: they hold the attempt counts that keep a lead
        from being rung again, and are a few hundred bytes each."""
        if self.cfg.retention_days <= 0:
            return
        cutoff = now - self.cfg.retention_days * 86400
        removed = self.store.prune_executions(cutoff) + self.broker.expire(QueueName.INTAKE, State.DEAD, cutoff)
        if removed:
            log.info("removed %d file(s) older than RETENTION_DAYS=%g", removed, self.cfg.retention_days)

    def _sync_calls(self) -> bool:
        """Queue a row update for every call that changed since the last loop."""
        with self._lock:
            changed, self._dirty = self._dirty, set()
        for execution_id in sorted(changed):
            found = self._latest_attempt(execution_id)
            if found is not None:
                self.rows.show_attempt(*found)
        return bool(changed)

    def _latest_attempt(self, execution_id: str) -> tuple[LeadCalls, Attempt] | None:
        """The call's attempt, if it is its lead's latest: an older call's late event must not
        overwrite the row of the call that followed it."""
        key = self.store.lead_of(execution_id)
        lead = self.store.load(key) if key else None
        attempt = lead.by_execution(execution_id) if lead else None
        if lead is None or attempt is None:
            return None
        if attempt is not lead.latest():
            log.info("event for an earlier call; row left alone", extra=task(execution_id, "superseded"))
            return None
        return lead, attempt

    def _fire_grace_timers(self, now: float) -> bool:
        grace = self.cfg.disconnect_grace
        with self._lock:
            due = [eid for eid, since in self._awaiting_completion.items() if now - since >= grace]
        for execution_id in due:
            fresh = self._fetch(execution_id)
            written = self.tracker.close_after_grace(execution_id, fresh)
            with self._lock:
                self._awaiting_completion.pop(execution_id, None)
                self._dirty.add(execution_id)
                if written:
                    self._awaiting_results.add(execution_id)
        return bool(due)

    def _fetch(self, execution_id: str) -> dict[str, Any] | None:
        """Bolna's current view of a call, when an API token is configured."""
        if self._bolna is None:
            return None
        try:
            return self._bolna.get_execution(execution_id)
        except BolnaError as exc:
            log.warning("could not read the execution: %s", exc.note, extra=task(execution_id, "lookup-failed"))
            return None

    def _sync_results(self) -> bool:
        with self._lock:
            waiting = sorted(self._awaiting_results)
        if not waiting:
            return False
        synced = False
        for execution_id in waiting:
            doc = self.results.find(execution_id)
            if doc is None:
                if self.results.never_coming(execution_id):
                    # A replay from dead/transcripts/ would still produce a result; it just
                    # would not reach the sheet. Waiting forever would cost a stat per pass.
                    self._stop_waiting(execution_id, "transcript dead-lettered; no result to copy")
                continue
            found = self._latest_attempt(execution_id)
            with self._lock:
                self._awaiting_results.discard(execution_id)
            if found is None:
                self._stop_waiting(execution_id, "a newer call has the row; result not copied")
                continue
            lead, attempt = found

            def written(execution_id: str = execution_id) -> None:
                self._stop_waiting(execution_id, "analysis result copied to the sheet")

            # Marked synced only once written: a kill before the flush sends it again at start.
            self.rows.lead(
                lead.phone, result_fields(doc), hint=attempt.row, execution_id=execution_id, on_written=written
            )
            synced = True
        return synced

    def _stop_waiting(self, execution_id: str, why: str) -> None:
        self.tracker.mark_result_synced(execution_id)
        with self._lock:
            self._awaiting_results.discard(execution_id)
        log.info("%s", why, extra=task(execution_id, "result-synced"))


class IntakeDeadLetters:
    """Webhook bodies the intake could not use, kept as dead letters of the intake queue."""

    def __init__(self, broker: Broker, clock: Clock) -> None:
        self.broker = broker
        self.clock = clock

    def keep(self, raw: bytes, reason: str) -> str:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(self.clock.now()))
        return self.broker.reject(QueueName.INTAKE, f"{stamp}-{uuid.uuid4().hex[:12]}.json", raw, reason)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
