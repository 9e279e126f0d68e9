"""Every change to a call's state, and the transcript task that a finished call produces.

Both the dialer (dial results, reconciliation) and the intake (webhooks, grace timers) go
through this class, so the rules live in one place:
- events are upserted by execution id, never moving a call backwards (see statuses.py);
- a call's first terminal status publishes exactly one transcript task, the raw execution
  body, named <execution id>.json. The call state says "writing" before it is published and
  "written" after. When a crash or a full disk stops it in between, the next terminal event
  for the call (or the next start, in `recover`) finishes the job, unless the task is
  already in the transcripts queue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from calls.account import BALANCE, AccountGate
from calls.phones import lead_key, to_e164
from calls.statuses import ACCOUNT_STATUSES, CALL_DISCONNECTED, COMPLETED, is_terminal
from calls.store import Attempt, CallStore, LeadCalls
from daemon.broker import Broker, QueueName
from daemon.clock import Clock
from daemon.config import Config
from daemon.logs import task
from integrations.bolna.events import ExecutionEvent, reached

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    execution_id: str
    lead_key: str
    status: str  # the call's status after the event
    accepted: bool  # False: a stale (out-of-order) event; nothing but the index changed
    task_written: bool
    disconnected_at: float | None  # set while the call waits for `completed` after hanging up


class CallTracker:
    def __init__(self, cfg: Config, store: CallStore, clock: Clock, broker: Broker) -> None:
        self.store = store
        self.clock = clock
        self.region = cfg.phone_region
        self.broker = broker
        self.account = AccountGate(store, clock, first_check=cfg.account_check_min, longest=cfg.account_check_max)

    # -- events (webhooks and GET /executions) ------------------------------------------

    def apply(self, body: Any) -> Applied:
        """Upsert one execution body. Raises BadEventError for a body that can never apply."""
        event = ExecutionEvent.from_body(body)
        now = self.clock.now()
        with self.store.locked():
            key, phone, linked = self._lead_for(event)
            with self.store.edit(key, phone) as lead:
                attempt = lead.attempt_for(event.execution_id, event.attempt_ref, now)
                accepted = attempt.advance(event.status, now)
                if accepted:
                    self._read_outcome(attempt, event.body)
                    self.store.link(event.execution_id, key, event.body)
                elif not linked:
                    self.store.link(event.execution_id, key)
                if event.status == CALL_DISCONNECTED and attempt.disconnected_at is None:
                    attempt.disconnected_at = now
                written = False
                if accepted and is_terminal(attempt.status) and not attempt.transcript_task:
                    self._write_task(lead, attempt, event.body)
                    written = True
                elif is_terminal(attempt.status) and attempt.transcript_task == "writing":
                    written = self._finish_task(lead, attempt)
        outcome = "applied" if accepted else "stale"
        log.info("%s -> %s (%s)", event.status, attempt.status, outcome, extra=task(event.execution_id, outcome))
        if accepted and attempt.status in ACCOUNT_STATUSES:
            self.account.pause(BALANCE, "Bolna reports the wallet balance too low to place calls (balance-low)")
        waiting = attempt.disconnected_at if attempt.is_open and not attempt.transcript_task else None
        return Applied(event.execution_id, key, attempt.status, accepted, written, waiting)

    @staticmethod
    def _read_outcome(attempt: Attempt, body: dict[str, Any]) -> None:
        """What a final status means for the lead beyond the status itself."""
        if attempt.status == COMPLETED:
            attempt.not_reached = not reached(body)
        elif attempt.status in ACCOUNT_STATUSES:
            # The account could not pay for the call: not the lead's attempt.
            attempt.counted = False
            attempt.account_issue = attempt.status
            attempt.note = "not placed: the Bolna wallet is low; dialling paused, this lead keeps its attempts"

    def _lead_for(self, event: ExecutionEvent) -> tuple[str, str, bool]:
        """(key, phone for a new record, linked): by execution id (the dialer recorded it), else
        by the customer's number. A lead already on record keeps its own phone (`store.edit`)."""
        key = self.store.lead_of(event.execution_id)
        if key is not None:
            return key, event.customer_phone, True
        e164 = to_e164(event.customer_phone, self.region)
        if e164 is not None:
            return lead_key(e164), e164, False
        return f"unmatched-{event.execution_id}"[:128], event.customer_phone, False

    # -- the dialer's side ----------------------------------------------------------------

    def mark_initiated(
        self, key: str, phone: str, attempt_id: str, execution_id: str, status: str = "queued", batch_id: str = ""
    ) -> str:
        """Bolna accepted the call: remember its id and the status it reported (`queued`: it
        holds the call). Returns the call's status now (a webhook may have moved it further)."""
        now = self.clock.now()
        with self.store.edit(key, phone) as lead:
            attempt = lead.by_attempt(attempt_id)
            if attempt is None:
                raise LookupError(f"attempt {attempt_id} vanished from lead {key}")
            if self.store.lead_of(execution_id) is None:
                self.store.link(execution_id, key)
            if attempt.execution_id and attempt.execution_id != execution_id:
                # It adopted another call's webhook (say, an inbound call from the same number in
                # the same instant). Both stay tracked: this call's events get their own attempt.
                log.warning(
                    "attempt %s already follows %s",
                    attempt_id,
                    attempt.execution_id,
                    extra=task(execution_id, "adopted-elsewhere"),
                )
                return attempt.status
            attempt.execution_id = execution_id
            attempt.batch_id = batch_id or attempt.batch_id
            attempt.advance(status if status else "queued", now)
            return attempt.status

    def record_dial_error(
        self,
        key: str,
        phone: str,
        attempt_id: str,
        note: str,
        *,
        counted: bool,
        call_may_exist: bool,
        account_issue: str = "",
    ) -> None:
        """The dial request failed. If the call may exist anyway, the attempt stays open
        (no second dial) until webhooks or reconciliation settle it."""
        now = self.clock.now()
        with self.store.edit(key, phone) as lead:
            attempt = lead.by_attempt(attempt_id)
            if attempt is None:
                return
            attempt.note = note
            attempt.sheet_version += 1
            if call_may_exist:
                return
            attempt.counted = counted and not account_issue
            attempt.account_issue = account_issue
            attempt.advance("failed", now)

    def mark_batched(self, key: str, phone: str, attempt_id: str, batch_id: str) -> None:
        """A row of a batch Bolna accepted and scheduled: Bolna holds the call until it runs."""
        with self.store.edit(key, phone) as lead:
            attempt = lead.by_attempt(attempt_id)
            if attempt is not None:
                attempt.batch_id = batch_id
                attempt.advance("scheduled", self.clock.now())

    def checked(self, key: str, phone: str, attempt_id: str) -> None:
        """Bolna was just asked about this call and still holds it: ask again STALE_CALL later."""
        with self.store.edit(key, phone) as lead:
            attempt = lead.by_attempt(attempt_id)
            if attempt is not None:
                attempt.checked_at = self.clock.now()

    def stop_requested(self, key: str, phone: str, attempt_id: str) -> None:
        with self.store.edit(key, phone) as lead:
            attempt = lead.by_attempt(attempt_id)
            if attempt is not None:
                attempt.stop_requested = True
                attempt.note = "do-not-call while Bolna held the call: asked Bolna to stop it"
                attempt.sheet_version += 1

    def release(self, key: str, phone: str, attempt_id: str, note: str, *, status: str | None = None) -> None:
        """Stop waiting for a call that never reported a final status (reconciliation)."""
        now = self.clock.now()
        with self.store.edit(key, phone) as lead:
            attempt = lead.by_attempt(attempt_id)
            if attempt is None or not attempt.is_open:
                return
            attempt.note = note
            if status is not None and attempt.advance(status, now):
                return
            attempt.released = note
            attempt.ended_at = now
            attempt.sheet_version += 1

    # -- the sheet's copy ------------------------------------------------------------------

    def all_leads(self) -> Mapping[str, LeadCalls]:
        """Every lead's record: read once and handed to the queries below when several run together."""
        return self.store.leads()[0]

    def unsynced(self, leads: Mapping[str, LeadCalls] | None = None) -> list[tuple[LeadCalls, Attempt]]:
        """Each lead whose latest call changed since the sheet last showed it."""
        found = []
        for lead in (self.all_leads() if leads is None else leads).values():
            latest = lead.latest()
            if latest is not None and latest.sheet_behind:
                found.append((lead, latest))
        return found

    def mark_sheet_synced(self, key: str, phone: str, attempt_id: str, version: int) -> None:
        """The sheet shows this attempt as of `version` (a later change stays unsynced)."""
        with self.store.edit(key, phone) as lead:
            attempt = lead.by_attempt(attempt_id)
            if attempt is not None and version > attempt.sheet_synced:
                attempt.sheet_synced = version

    # -- the intake's side ----------------------------------------------------------------

    def close_after_grace(self, execution_id: str, fresh: dict[str, Any] | None) -> bool:
        """`completed` never came: write the transcript task from the freshest body known.
        Returns True when a task was written here."""
        if fresh is not None and is_terminal(str(fresh.get("status", ""))):
            return self.apply(fresh).task_written
        with self.store.locked():
            key = self.store.lead_of(execution_id)
            lead = self.store.load(key) if key else None
            if lead is None or key is None:
                return False
            with self.store.edit(key, lead.phone) as lead:
                attempt = lead.by_execution(execution_id)
                if attempt is None or attempt.transcript_task or not attempt.is_open:
                    return False
                if fresh is not None:
                    self.store.link(execution_id, key, fresh)
                known = self.store.execution(execution_id) or {}
                body = known.get("body")
                if not isinstance(body, dict):
                    return False
                attempt.note = "no 'completed' from Bolna within the grace period; processed as it stood"
                self._write_task(lead, attempt, body)
        log.warning("completed never came; transcript task written", extra=task(execution_id, "grace"))
        return True

    def awaiting_completion(self, leads: Mapping[str, LeadCalls] | None = None) -> dict[str, float]:
        """Execution id -> when it disconnected, for calls still waiting for `completed`."""
        return {
            a.execution_id: a.disconnected_at
            for lead in (self.all_leads() if leads is None else leads).values()
            for a in lead.attempts
            if a.disconnected_at is not None and a.is_open and not a.transcript_task and a.execution_id
        }

    def awaiting_results(self, leads: Mapping[str, LeadCalls] | None = None) -> set[str]:
        """Executions whose transcript went to processing and whose result is not in the sheet."""
        return {
            a.execution_id
            for lead in (self.all_leads() if leads is None else leads).values()
            for a in lead.attempts
            if a.transcript_task == "written" and not a.result_synced and a.execution_id
        }

    def mark_result_synced(self, execution_id: str) -> None:
        key = self.store.lead_of(execution_id)
        lead = self.store.load(key) if key else None
        if lead is None or key is None:
            return
        with self.store.edit(key, lead.phone) as lead:
            attempt = lead.by_execution(execution_id)
            if attempt is not None:
                attempt.result_synced = True

    # -- transcript tasks -----------------------------------------------------------------

    def _write_task(self, lead: LeadCalls, attempt: Attempt, body: dict[str, Any]) -> None:
        attempt.transcript_task = "writing"
        self.store.save(lead)
        # A failure here (a full disk) leaves "writing" on disk and raises: the webhook gets a
        # 5xx, and Bolna's next delivery, or the next start, finishes the job.
        self.broker.publish(QueueName.TRANSCRIPTS, f"{attempt.execution_id}.json", orjson.dumps(body))
        attempt.transcript_task = "written"
        log.info("transcript task written", extra=task(attempt.execution_id, "transcript"))

    def _finish_task(self, lead: LeadCalls, attempt: Attempt) -> bool:
        """A task left at "writing" by a crash or a full disk: published now, unless it made it."""
        if self._task_exists(attempt.execution_id):
            attempt.transcript_task = "written"
            return False
        body = (self.store.execution(attempt.execution_id) or {}).get("body")
        if not isinstance(body, dict):
            return False
        self._write_task(lead, attempt, body)
        log.warning("finished a transcript task that had been interrupted", extra=task(attempt.execution_id, "resumed"))
        return True

    def recover(self) -> int:
        """Finish transcript tasks a crash interrupted between "writing" and "written"."""
        finished = 0
        with self.store.locked():
            leads, _ = self.store.leads()
            for lead in leads.values():
                for attempt in lead.attempts:
                    if attempt.transcript_task != "writing":
                        continue
                    with self.store.edit(lead.key, lead.phone) as current:
                        pending = current.by_attempt(attempt.attempt_id)
                        if pending is not None and pending.transcript_task == "writing":
                            finished += self._finish_task(current, pending)
        return finished

    def _task_exists(self, execution_id: str) -> bool:
        """The transcript task is somewhere in its queue already: waiting, held, done or dead."""
        return self.broker.registry.locate(QueueName.TRANSCRIPTS, f"{execution_id}.json") is not None
