"""Finding a call's sheet row without reading the whole sheet on every webhook.

The dialer records the row it dialled from; rows can move (an operator sorts or inserts), so
the row is trusted only while it still holds the lead's number. One read of the sheet builds
a number -> rows index that serves every lookup until it is MAX_AGE old; a miss forces one
fresh read, at most once per MIN_REFRESH, so a flood of unknown numbers cannot hammer the API.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from calls.phones import to_e164
from daemon.clock import Clock
from integrations.sheets import LeadSheet, SheetError

log = logging.getLogger(__name__)


class RowFinder:
    MAX_AGE = 300.0
    MIN_REFRESH = 15.0

    def __init__(self, sheet: LeadSheet, region: str, clock: Clock) -> None:
        self.sheet = sheet
        self.region = region
        self.clock = clock
        self._rows: dict[str, list[int]] = {}
        self._read_at: float | None = None
        self.reads = 0

    def row_for(self, phone_e164: str, recorded_row: int | None) -> int | None:
        """The recorded row if it still holds this number, else the first row that does."""
        now = self.clock.monotonic()
        if self._read_at is None or now - self._read_at >= self.MAX_AGE:
            self._refresh(now)
        rows = self._rows.get(phone_e164, [])
        if not rows and self._read_at is not None and now - self._read_at >= self.MIN_REFRESH:
            self._refresh(now)
            rows = self._rows.get(phone_e164, [])
        if recorded_row in rows:
            return recorded_row
        return rows[0] if rows else None

    def _refresh(self, now: float) -> None:
        try:
            leads = self.sheet.read()
        except SheetError as exc:
            log.warning("could not read the sheet to find rows: %s", exc)
            return
        rows: dict[str, list[int]] = defaultdict(list)
        for lead in leads:
            e164 = to_e164(lead.get("Phone Number"), self.region)
            if e164 is not None:
                rows[e164].append(lead.row)
        self._rows = dict(rows)
        self._read_at = now
        self.reads += 1
