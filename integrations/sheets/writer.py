"""Batches sheet updates so a burst of webhook events costs one request, not one per cell."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from daemon.clock import SYSTEM_CLOCK, Clock
from integrations.sheets.model import LeadSheet, SheetError, check_rows

log = logging.getLogger(__name__)


class SheetWriter:
    """Thread-safe buffer: update(row, values) merges per row (later values win); flush() sends at most one
    batch; maybe_flush() flushes if the interval passed. Failed flushes keep the updates for the next try."""

    def __init__(self, sheet: LeadSheet, interval: float, clock: Clock = SYSTEM_CLOCK) -> None:
        self._sheet = sheet
        self._interval = interval
        self._clock = clock
        self._pending: dict[int, dict[str, str]] = {}
        self._last_flush = clock.monotonic()
        self._lock = threading.Lock()  # guards _pending and _last_flush
        self._flushing = threading.Lock()  # one batch in flight at a time

    def update(self, row: int, values: Mapping[str, str]) -> None:
        check_rows({row: values})  # a bad row fails its caller now, not every later flush
        with self._lock:
            self._pending.setdefault(row, {}).update(values)

    def pending(self) -> int:
        """Rows waiting to be written."""
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
            return self._flush()
        except SheetError as exc:
            log.warning("sheet write failed, %d rows kept for the next try: %s", self.pending(), exc)
            return False

    def flush(self) -> None:
        """Send everything pending as one batch now. Raises SheetError; the updates are then kept."""
        self._flush()

    def _flush(self) -> bool:
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, {}
                self._last_flush = self._clock.monotonic()
            if not batch:
                return False
            try:
                self._sheet.write(batch)
            except BaseException:
                with self._lock:
                    # Updates that arrived during the failed write are newer: they win.
                    for row, values in self._pending.items():
                        batch.setdefault(row, {}).update(values)
                    self._pending = batch
                raise
            log.debug("wrote %d sheet rows in one batch", len(batch))
            return True
