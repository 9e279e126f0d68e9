"""Call state on disk: what the dialer started and what Bolna reported, per lead.

Layout under DATA_DIR/state/calls/ (operators may `cat` these):
    leads/<E.164 digits>.json      one lead: every attempt, oldest first
    executions/<execution id>.json {"lead": key, "body": latest accepted execution body}
    account.json                   dialling paused for the Bolna account (calls/account.py)
    batches/<batch id>.json        a batch the dialer created (DIALER_MODE=batch)

The dialer writes an `initiating` attempt before it sends the dial request, so a crash at
any instant leaves a record that stops a second dial. The dialer and intake processes both
edit these files, always under one file lock, and every file is replaced atomically.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock

from calls.statuses import INITIATING, TERMINAL, supersedes
from daemon.fsutil import DIR_MODE, atomic_write, is_safe_name, prune

log = logging.getLogger(__name__)


class StateError(Exception):
    """A state file exists but cannot be read: its lead must not be dialled blindly."""


@dataclass
class Attempt:
    """One call to a lead: ours (dialled) or one Bolna told us about first (inbound, dashboard)."""

    attempt_id: str
    started_at: float
    status: str = INITIATING
    execution_id: str = ""
    row: int | None = None  # the sheet row it was dialled from
    counted: bool = True  # counts toward MAX_ATTEMPTS (False when Bolna refused before dialling)
    updated_at: float = 0.0
    ended_at: float | None = None  # when it reached a terminal status or was released
    disconnected_at: float | None = None  # first `call-disconnected`: starts the grace timer
    released: str = ""  # why we stopped waiting for a final status (set only by reconciliation)
    note: str = ""  # our own note for the sheet (dial errors, releases)
    transcript_task: str = ""  # "" -> "writing" -> "written": exactly one task per execution
    result_synced: bool = False  # the analysis result's columns are in the sheet
    checked_at: float | None = None  # when Bolna was last asked about this call (reconciliation)
    not_reached: bool = False  # `completed`, but nobody spoke: retried like no-answer
    account_issue: str = ""  # the account, not the lead, stopped it (balance-low, a refused key...)
    batch_id: str = ""  # dialled as a row of this Bolna batch
    stop_requested: bool = False  # do-not-call came while Bolna held it; POST /call/{id}/stop sent
    # Every change bumps sheet_version; whoever puts that state in the sheet records it as
    # sheet_synced. Anything behind is sent again at the intake's start (a kill loses nothing).
    sheet_version: int = 0
    sheet_synced: int = 0

    @property
    def sheet_behind(self) -> bool:
        return self.sheet_synced < self.sheet_version

    @property
    def is_open(self) -> bool:
        """Still possibly on the phone: no final status yet and not released."""
        return self.status not in TERMINAL and not self.released

    def advance(self, status: str, now: float) -> bool:
        """Move to `status` unless that would go backwards. True when it was accepted."""
        if not supersedes(status, self.status):
            return False
        self.status = status
        self.updated_at = now
        self.sheet_version += 1
        if status in TERMINAL and self.ended_at is None:
            self.ended_at = now
        return True


@dataclass
class LeadCalls:
    key: str
    phone: str
    attempts: list[Attempt] = field(default_factory=list)
    exhausted_noted: bool = False  # the sheet was told MAX_ATTEMPTS is used up

    def open_attempt(self) -> Attempt | None:
        return next((a for a in reversed(self.attempts) if a.is_open), None)

    def latest(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    def counted(self) -> int:
        return sum(1 for a in self.attempts if a.counted)

    def by_execution(self, execution_id: str) -> Attempt | None:
        return next((a for a in self.attempts if a.execution_id == execution_id), None)

    def by_attempt(self, attempt_id: str) -> Attempt | None:
        return next((a for a in self.attempts if a.attempt_id == attempt_id), None)

    def start_attempt(self, row: int, now: float) -> Attempt:
        attempt = Attempt(
            attempt_id=f"a-{uuid.uuid4().hex[:16]}", started_at=now, row=row, updated_at=now, sheet_version=1
        )
        self.attempts.append(attempt)
        return attempt

    def attempt_for(self, execution_id: str, attempt_ref: str, now: float) -> Attempt:
        """The attempt an event belongs to, creating one for a call we did not dial.

        An attempt still waiting for its execution id adopts the event: the webhook beat the
        dialer's own record of the id, or the dialer died mid-request. `attempt_ref` (our
        attempt id, echoed back by Bolna in the call's user data) picks the right one.
        """
        found = self.by_execution(execution_id)
        if found is not None:
            return found
        waiting = [a for a in self.attempts if a.is_open and not a.execution_id]
        if attempt_ref:
            waiting = [a for a in waiting if a.attempt_id == attempt_ref]
        if waiting:
            waiting[-1].execution_id = execution_id
            return waiting[-1]
        # A call we did not dial (inbound, or started from Bolna's dashboard): tracked, so the
        # dialer leaves the lead alone while it lasts, but not counted against MAX_ATTEMPTS.
        attempt = Attempt(
            attempt_id=execution_id,
            started_at=now,
            status="queued",
            execution_id=execution_id,
            counted=False,
            updated_at=now,
            sheet_version=1,
        )
        self.attempts.append(attempt)
        return attempt

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, raw: bytes) -> LeadCalls:
        doc = orjson.loads(raw)
        known = {f.name for f in fields(Attempt)}
        attempts = [Attempt(**{k: v for k, v in a.items() if k in known}) for a in doc.get("attempts", [])]
        return cls(doc["key"], doc["phone"], attempts, bool(doc.get("exhausted_noted", False)))


class CallStore:
    """Per-lead call records plus an index from execution id to lead, on disk."""

    def __init__(self, data_dir: Path) -> None:
        root = data_dir / "state" / "calls"
        self.root = root
        self.leads_dir = root / "leads"
        self.executions_dir = root / "executions"
        self.batches_dir = root / "batches"
        self.tmp_dir = data_dir / "tmp"
        locks = data_dir / "state" / "locks"
        for folder in (self.leads_dir, self.executions_dir, self.batches_dir, self.tmp_dir, locks):
            folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # One lock for the whole store: edits take milliseconds, and one lock means no
        # ordering rules between the dialer, the intake's request threads and its loop.
        self._file_lock = FileLock(locks / "calls.lock")
        self._sheet_lock = FileLock(locks / "sheet-writes.lock")
        self._thread_lock = threading.RLock()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with self._thread_lock, self._file_lock:
            yield

    @contextlib.contextmanager
    def edit(self, key: str, phone: str) -> Iterator[LeadCalls]:
        """Read-modify-write one lead under the lock; written only if it changed."""
        _check_key(key)
        with self.locked():
            lead = self.load(key)
            before = lead.to_json() if lead else b""
            lead = lead or LeadCalls(key, phone)
            yield lead
            if lead.to_json() != before:
                self.save(lead)

    def save(self, lead: LeadCalls) -> None:
        """Write now (inside `edit`, for a record that must be durable before the next step)."""
        atomic_write(self.leads_dir, f"{lead.key}.json", lead.to_json(), self.tmp_dir)

    def load(self, key: str) -> LeadCalls | None:
        _check_key(key)
        try:
            raw = (self.leads_dir / f"{key}.json").read_bytes()
        except FileNotFoundError:
            return None
        return decode_lead(key, raw)

    def leads(self) -> tuple[dict[str, LeadCalls], set[str]]:
        """Every lead's record, and the keys whose files could not be read."""
        found: dict[str, LeadCalls] = {}
        broken: set[str] = set()
        for path in self.leads_dir.glob("*.json"):
            key = path.stem
            try:
                lead = self.load(key)
            except StateError as exc:
                log.error("%s", exc)
                broken.add(key)
                continue
            if lead is not None:
                found[key] = lead
        return found, broken

    def prune_executions(self, cutoff: float) -> int:
        """Forget execution bodies last written before `cutoff`; a late event then finds its
        lead by phone number, as for a call we never saw."""
        return prune(self.executions_dir, cutoff)

    def link(self, execution_id: str, key: str, body: dict[str, Any] | None = None) -> None:
        """Record which lead an execution belongs to, with its latest accepted body."""
        _check_key(execution_id)
        if body is None:  # a later link without a body keeps the one recorded
            body = (self.execution(execution_id) or {}).get("body")
        doc = {"lead": key, "body": body}
        atomic_write(self.executions_dir, f"{execution_id}.json", orjson.dumps(doc), self.tmp_dir)

    def execution(self, execution_id: str) -> dict[str, Any] | None:
        """{"lead": key, "body": dict | None}, or None for an execution we never saw."""
        if not is_safe_name(execution_id):
            return None
        return self._document(self.executions_dir / f"{execution_id}.json")

    def lead_of(self, execution_id: str) -> str | None:
        doc = self.execution(execution_id)
        key = doc.get("lead") if doc else None
        return key if isinstance(key, str) and is_safe_name(key) else None

    def sheet_writes_lock(self) -> FileLock:
        """Held by whichever process writes the lead sheet: one batch at a time, made from the
        state as it is then (calls/sheet_sync.py)."""
        return self._sheet_lock

    # -- the account and batches (small documents beside the leads) ----------------------

    def account(self) -> dict[str, Any]:
        """The account's dialling state (calls/account.py); {} when dialling was never paused."""
        return self._document(self.root / "account.json") or {}

    def save_account(self, doc: dict[str, Any]) -> None:
        atomic_write(self.root, "account.json", orjson.dumps(doc, option=orjson.OPT_INDENT_2), self.tmp_dir)

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        if not is_safe_name(batch_id):
            return None
        return self._document(self.batches_dir / f"{batch_id}.json")

    def save_batch(self, batch_id: str, doc: dict[str, Any]) -> None:
        _check_key(batch_id)
        atomic_write(self.batches_dir, f"{batch_id}.json", orjson.dumps(doc, option=orjson.OPT_INDENT_2), self.tmp_dir)

    def batches(self) -> dict[str, dict[str, Any]]:
        found = {}
        for path in sorted(self.batches_dir.glob("*.json")):
            doc = self._document(path)
            if doc is not None:
                found[path.stem] = doc
        return found

    @staticmethod
    def _document(path: Path) -> dict[str, Any] | None:
        try:
            return json_object(path.read_bytes())
        except FileNotFoundError:
            return None


def decode_lead(key: str, raw: bytes) -> LeadCalls:
    """A lead's record from its stored bytes; StateError (naming the lead) when unreadable."""
    try:
        return LeadCalls.from_json(raw)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise StateError(f"call state for lead {key} is unreadable: {exc}") from exc


def json_object(raw: bytes) -> dict[str, Any] | None:
    """A stored JSON document, or None when it is not one (a torn or hand-broken file)."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def _check_key(key: str) -> None:
    if not is_safe_name(key):
        raise ValueError(f"not a safe state key: {key!r}")
