"""Which leads to ring this cycle: a pure function of the sheet rows, call state and the time.

The seed's rules, applied to what the call state knows (it outlives restarts and is never
behind the sheet), and to the sheet's own Status and Last Attempt Time for leads the call
state has never seen (a sheet carried over from the seed's script, say):

    new / empty status            dial now
    failed, busy, no-answer ...   dial again RETRY_AFTER (10 min) after the attempt ended
    not-reached (completed, but   the same: nobody spoke, so the lead was not reached
      nobody spoke)
    active (initiating ... )      skip; when the call state has no record, only for
                                  ACTIVE_SKIP (5 min) after the last attempt
    queued, scheduled,            skip for as long as Bolna holds the call; every STALE_CALL
      rescheduled                 Bolna is asked again, and its answer is trusted
    completed                     never
    do-not-call                   never; a call Bolna still holds (queued, scheduled) is
                                  stopped

Added: at most MAX_ATTEMPTS counted attempts per lead; dials only inside CALLING_WINDOW in
TIMEZONE; a number that is not valid for PHONE_REGION is marked invalid-number, never dialled;
a second row with the same number is skipped; a call open for more than STALE_CALL (15 min)
is reconciled with Bolna before the lead is considered again.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from calls.phones import lead_key, to_e164
from calls.statuses import ACTIVE, COMPLETED, FAILED_TERMINAL, HELD, NOT_REACHED, NOT_RETRIED, STOPPABLE, rank
from calls.store import Attempt, LeadCalls
from daemon.clock import iso_epoch
from daemon.config import Config

# "paused": a dial the account refused (calls/account.py); the lead is as good as new.
NEW_STATUSES = frozenset({"", "new", "pending", "paused"})
# An operator can stop a lead for good by writing one of these into Status.
DO_NOT_CALL = frozenset({"do-not-call", "dnc"})
NEVER_STATUSES = frozenset({COMPLETED, "invalid-number"}) | DO_NOT_CALL | NOT_RETRIED
RETRY_STATUSES = (FAILED_TERMINAL - NOT_RETRIED) | {NOT_REACHED}
ACTIVE_STATUSES = ACTIVE
SHEET_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class LeadRow(Protocol):
    row: int

    def get(self, column: str) -> str: ...


class Action(enum.StrEnum):
    DIAL = "dial"
    SKIP = "skip"  # not now, and nothing to do about it
    WAIT = "wait"  # would dial, but not yet (retry timer, calling window, cycle limit)
    INVALID = "invalid-number"  # mark the row, never dial
    RECONCILE = "reconcile"  # ask Bolna about a call open for too long
    EXHAUSTED = "exhausted"  # MAX_ATTEMPTS used up: say so in the row, once
    STOP = "stop"  # do-not-call while Bolna holds the call: POST /call/{id}/stop


@dataclass(frozen=True)
class Decision:
    row: int
    action: Action
    reason: str
    phone: str = ""  # E.164, when the row's number is valid


@dataclass(frozen=True)
class CallingWindow:
    start: time
    end: time  # exclusive; a window may wrap past midnight (21:00-06:00)

    @classmethod
    def parse(cls, text: str) -> CallingWindow:
        m = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", text.strip())
        if not m:
            raise ValueError(f"not a calling window: {text!r} (use 09:00-21:00)")
        start, end = (int(m[1]), int(m[2])), (int(m[3]), int(m[4]))
        return cls(_clock_time(*start), _clock_time(*end))

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return True  # 00:00-24:00 and the like: always open
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _clock_time(hour: int, minute: int) -> time:
    return time(0, 0) if hour == 24 else time(hour, minute)


@dataclass(frozen=True)
class DialRules:
    retry_after: float
    active_skip: float
    stale_call: float
    max_attempts: int
    calls_per_cycle: int
    window: CallingWindow
    tz: ZoneInfo
    region: str

    @classmethod
    def from_config(cls, cfg: Config) -> DialRules:
        return cls(
            retry_after=cfg.retry_after,
            active_skip=cfg.active_skip,
            stale_call=cfg.stale_call,
            max_attempts=cfg.max_attempts,
            # A batch (DIALER_MODE=batch) takes up to BATCH_SIZE due leads in one request.
            calls_per_cycle=cfg.batch_size if cfg.dialer_mode == "batch" else cfg.calls_per_cycle,
            window=CallingWindow.parse(cfg.calling_window),
            tz=cfg.tz,
            region=cfg.phone_region,
        )


def plan_cycle(
    leads: Sequence[LeadRow],
    calls: Mapping[str, LeadCalls],
    now: float,
    rules: DialRules,
    unreadable: Collection[str] = (),
    paused: str = "",
) -> list[Decision]:
    """One decision per row, in sheet order; at most `calls_per_cycle` of them are DIAL, and
    none while dialling is `paused` (the reason, calls/account.py)."""
    open_window = rules.window.contains(datetime.fromtimestamp(now, rules.tz).time())
    first_row: dict[str, int] = {}
    decisions: list[Decision] = []
    dials = 0
    for lead in leads:
        decision = decide(lead, calls, now, rules, unreadable)
        if decision.phone:
            if decision.phone in first_row:
                decision = Decision(
                    lead.row, Action.SKIP, f"same number as row {first_row[decision.phone]}", decision.phone
                )
            else:
                first_row[decision.phone] = lead.row
        if decision.action is Action.DIAL:
            if paused:
                decision = Decision(lead.row, Action.WAIT, paused, decision.phone)
            elif not open_window:
                decision = Decision(lead.row, Action.WAIT, f"outside the calling window {rules.window}", decision.phone)
            elif dials >= rules.calls_per_cycle:
                decision = Decision(lead.row, Action.WAIT, "this cycle's calls are used up", decision.phone)
            else:
                dials += 1
        decisions.append(decision)
    return decisions


def decide(
    lead: LeadRow,
    calls: Mapping[str, LeadCalls],
    now: float,
    rules: DialRules,
    unreadable: Collection[str] = (),
) -> Decision:
    """The decision for one row, ignoring the calling window and the per-cycle limit."""
    row = lead.row
    raw_phone = lead.get("Phone Number")
    status = normalise_status(lead.get("Status"))
    phone = to_e164(raw_phone, rules.region)
    if phone is None:
        if status == "invalid-number":
            return Decision(row, Action.SKIP, "invalid number, already marked")
        shown = raw_phone.strip() or "(empty)"
        return Decision(row, Action.INVALID, f"not a valid phone number for region {rules.region}: {shown}")
    key = lead_key(phone)
    known = calls.get(key)
    if status in NEVER_STATUSES:
        current = known.open_attempt() if known is not None else None
        if status in DO_NOT_CALL and current is not None and _stoppable(current):
            return Decision(row, Action.STOP, f"{status} while Bolna holds the call ({current.status})", phone)
        return Decision(row, Action.SKIP, f"status {status}: not dialled again", phone)
    if key in unreadable:
        return Decision(row, Action.SKIP, "its call state cannot be read; fix or remove it", phone)
    if known is not None and known.attempts:
        return _decide_from_state(row, phone, known, now, rules)
    return _decide_from_sheet(row, phone, status, lead.get("Last Attempt Time"), now, rules)


def _stoppable(attempt: Attempt) -> bool:
    return attempt.status in STOPPABLE and bool(attempt.execution_id) and not attempt.stop_requested


def _decide_from_state(row: int, phone: str, known: LeadCalls, now: float, rules: DialRules) -> Decision:
    current = known.open_attempt()
    if current is not None:
        age = now - current.started_at
        # Asked again every STALE_CALL: a call Bolna holds in its queue may wait a long time.
        if now - (current.checked_at or current.started_at) > rules.stale_call:
            return Decision(row, Action.RECONCILE, f"{current.status} for {age / 60:.0f} min", phone)
        if current.status in HELD:
            return Decision(row, Action.SKIP, f"Bolna holds the call ({current.status})", phone)
        return Decision(row, Action.SKIP, f"call in progress ({current.status})", phone)
    latest = known.attempts[-1]
    if latest.account_issue and not latest.counted:
        # Never placed: the account refused it. Dialled as soon as dialling resumes.
        return Decision(row, Action.DIAL, f"not placed last time ({latest.account_issue})", phone)
    if latest.status == COMPLETED and not latest.not_reached:
        return Decision(row, Action.SKIP, "completed", phone)
    if latest.status in NOT_RETRIED:
        return Decision(row, Action.SKIP, f"last call was {latest.status} on purpose", phone)
    if latest.released and rank(latest.status) >= rank("in-progress"):
        return Decision(row, Action.SKIP, "the last call was answered; its final status never came", phone)
    if known.counted() >= rules.max_attempts:
        if known.exhausted_noted:
            return Decision(row, Action.SKIP, f"all {rules.max_attempts} attempts used", phone)
        return Decision(row, Action.EXHAUSTED, f"gave up after {known.counted()} attempts", phone)
    shown = NOT_REACHED if latest.not_reached else latest.status
    ended = latest.ended_at or latest.updated_at or latest.started_at
    if now - ended < rules.retry_after:
        return Decision(row, Action.WAIT, f"{shown}; retry after {_local(ended + rules.retry_after, rules)}", phone)
    return Decision(row, Action.DIAL, f"retry after {shown}", phone)


def _decide_from_sheet(row: int, phone: str, status: str, last_text: str, now: float, rules: DialRules) -> Decision:
    if status in NEW_STATUSES:
        return Decision(row, Action.DIAL, "new lead", phone)
    last = parse_sheet_time(last_text, rules.tz)
    if status in ACTIVE_STATUSES:
        if last is None or now - last < rules.active_skip:
            return Decision(row, Action.SKIP, f"{status} less than {rules.active_skip / 60:g} min ago", phone)
        return Decision(row, Action.DIAL, f"{status} but no call is known; last attempt was long ago", phone)
    if status in RETRY_STATUSES:
        if last is not None and now - last < rules.retry_after:
            return Decision(row, Action.WAIT, f"{status}; retry after {_local(last + rules.retry_after, rules)}", phone)
        return Decision(row, Action.DIAL, f"retry after {status}", phone)
    return Decision(row, Action.SKIP, f"unknown status {status!r}: left alone", phone)


def normalise_status(text: str) -> str:
    """'No Answer', 'no_answer' and ' no-answer ' are the same status."""
    return re.sub(r"[\s_]+", "-", (text or "").strip().lower())


def parse_sheet_time(text: str, tz: ZoneInfo) -> float | None:
    """Last Attempt Time as this project writes it (local time in TIMEZONE), or ISO 8601."""
    text = (text or "").strip()
    return iso_epoch(text, tz) if text else None


def format_sheet_time(epoch: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(epoch, tz).strftime(SHEET_TIME_FORMAT)


def _local(epoch: float, rules: DialRules) -> str:
    return datetime.fromtimestamp(epoch, rules.tz).strftime("%H:%M")
