"""Batches sheet updates so a burst of webhook events costs one request, not one per cell.

Updates are kept per lead, not per row: the row is found when the batch is written (see
targets.py), because people move rows in the meantime. A callback per update says when it
reached the sheet, so callers can keep their own "synced" marker on disk.

Values may be given late: a function called when the batch is written, so a row shows the
state as it is then, not as it was when the update was queued. With a lock shared by every
process that writes the sheet (`writes_lock`), the batch is made and sent under it: the
last batch written always carries the newest state, whichever process sent it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.logs import pii
from integrations.sheets.model import BlockedCell, LeadSheet, LeadUpdate, SheetError, Target, WriteReport

log = logging.getLogger(__name__)

OnWritten = Callable[[], None]
# Values computed when the batch is written; None leaves the row alone (the update is moot).
LateValues = Callable[[], Mapping[str, str] | None]
SHOWN_IN_STATUS = 3  # blocked cells named in the stage's problem line; the log has them all


@dataclass
class _Pending:
    target: Target
    values: dict[str, str]
    on_written: list[OnWritten] = field(default_factory=list)
    late: list[LateValues] = field(default_factory=list)

    def merge(self, newer: _Pending) -> None:
        self.target = newer.target
        self.values.update(newer.values)
        self.on_written.extend(newer.on_written)
        self.late.extend(newer.late)

    def resolve(self) -> dict[str, str] | None:
        values = dict(self.values)
        moot = bool(self.late)
        for late in self.late:
            found = late()
            if found is not None:
                values.update(found)
                moot = False
        return None if moot and not self.values else values


class SheetWriter:
    """Thread-safe buffer: update(target, values) merges per lead (later values win); flush() sends at
    most one batch; maybe_flush() flushes if the interval passed. Failed flushes keep the updates."""

    def __init__(
        self,
        sheet: LeadSheet,
        interval: float,
        clock: Clock = SYSTEM_CLOCK,
        *,
        writes_lock: Callable[[], contextlib.AbstractContextManager[object]] | None = None,
    ) -> None:
        self._sheet = sheet
        self._writes_lock = writes_lock or contextlib.nullcontext
        self._interval = interval
        self._clock = clock
        self._pending: dict[str, _Pending] = {}
        self._last_flush = clock.monotonic()
        self._lock = threading.Lock()  # guards _pending and _last_flush
        self._flushing = threading.Lock()  # one batch in flight at a time
        self._gone_noted: set[str] = set()
        self.blocked: list[BlockedCell] = []
        self.refused_columns: dict[str, str] = {}

    def update(
        self,
        target: Target,
        values: Mapping[str, str],
        on_written: OnWritten | None = None,
        *,
        late: LateValues | None = None,
    ) -> None:
        entry = _Pending(target, dict(values), [on_written] if on_written else [], [late] if late else [])
        with self._lock:
            known = self._pending.get(target.key)
            if known is None:
                self._pending[target.key] = entry
            else:
                known.merge(entry)

    def pending(self) -> int:
        """Leads waiting to be written."""
        with self._lock:
            return len(self._pending)

    def maybe_flush(self) -> bool:
        """Flush if there is something to send and `interval` has passed since the last try.

        True when a batch was written. A failure is logged and kept for the next try, so a
        stage's loop can call this freely.
        """
        with self._lock:
            due = bool(self._pending) and self._clock.monotonic() - self._last_flush >= self._interval
        if not due:
            return False
        try:
            return self._flush() is not None
        except SheetError as exc:
            log.warning("sheet write failed, %d rows kept for the next try: %s", self.pending(), exc)
            return False

    def flush(self) -> WriteReport:
        """Send everything pending as one batch now. Raises SheetError; the updates are then kept."""
        return self._flush() or WriteReport()

    def problems(self) -> list[str]:
        """What the sheet refuses, for the stage's problem in `status`."""
        found = []
        if self.refused_columns:
            names = ", ".join(sorted(self.refused_columns))
            found.append(f"the lead sheet refuses new columns {names}: {next(iter(self.refused_columns.values()))}")
        if self.blocked:
            shown = "; ".join(str(b) for b in self.blocked[:SHOWN_IN_STATUS])
            more = f" and {len(self.blocked) - SHOWN_IN_STATUS} more" if len(self.blocked) > SHOWN_IN_STATUS else ""
            found.append(f"the lead sheet refuses {len(self.blocked)} cell(s), left unwritten: {shown}{more}")
        return found

    def _flush(self) -> WriteReport | None:
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, {}
                self._last_flush = self._clock.monotonic()
            if not batch:
                return None
            try:
                with self._writes_lock():
                    updates = {key: p.resolve() for key, p in batch.items()}
                    sent = [LeadUpdate(batch[key].target, values) for key, values in updates.items() if values]
                    report = self._sheet.write_leads(sent)
            except BaseException:
                with self._lock:
                    # Updates that arrived during the failed write are newer: they win.
                    for key, newer in self._pending.items():
                        if key in batch:
                            batch[key].merge(newer)
                        else:
                            batch[key] = newer
                    self._pending = batch
                raise
            self._settle(batch, report)
            log.debug("wrote %d lead rows in one batch", len(report.written))
            return report

    def _settle(self, batch: dict[str, _Pending], report: WriteReport) -> None:
        for blocked in report.newly_blocked:
            log.error("the lead sheet refused %s; not retried for a while", blocked)
        self.blocked = report.blocked
        self.refused_columns = report.refused_columns
        for key in report.gone:
            # Deleted, or its number edited away. The call state keeps the update; a restart
            # tries again, so a row that is put back gets it then.
            if key not in self._gone_noted:
                self._gone_noted.add(key)
                log.warning("no row of the lead sheet holds %s any more; its update is kept, not written", pii(key))
        for key in report.written:
            self._gone_noted.discard(key)
            for callback in batch[key].on_written:
                try:
                    callback()
                except Exception:
                    log.exception("a sheet-written callback failed")
