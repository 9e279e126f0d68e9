"""Call state into the lead sheet: the row of each lead shows its latest call.

The call state is the truth and the sheet a view of it. Every change to an attempt bumps
its `sheet_version`; a row update carries that version, and once the batch holding it has
been written, the attempt records it as `sheet_synced`. An update that never made it (the
process was killed with it in memory, the sheet was down) is found by `unsynced()` and sent
again, so a killed intake loses nothing that was applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from calls.rows import lead_target, raw_phone_target
from calls.sheet_columns import call_fields
from calls.store import Attempt, CallStore, LeadCalls
from calls.tracker import CallTracker
from integrations.sheets import SheetWriter

log = logging.getLogger(__name__)


class RowSync:
    def __init__(self, writer: SheetWriter, tracker: CallTracker, region: str, tz: ZoneInfo) -> None:
        self.writer = writer
        self.tracker = tracker
        self.store: CallStore = tracker.store
        self.region = region
        self.tz = tz

    def show(self, key: str, extra: Mapping[str, str] | None = None, *, hint: int | None = None) -> bool:
        """Queue the row update for the lead's latest call as the call state has it now."""
        lead = self.store.load(key)
        attempt = lead.latest() if lead else None
        if lead is None or attempt is None:
            return False
        self.show_attempt(lead, attempt, extra, hint=hint)
        return True

    def show_attempt(
        self, lead: LeadCalls, attempt: Attempt, extra: Mapping[str, str] | None = None, *, hint: int | None = None
    ) -> None:
        body = (self.store.execution(attempt.execution_id) or {}).get("body") if attempt.execution_id else None
        fields = {**(extra or {}), **call_fields(body if isinstance(body, dict) else {}, attempt, self.tz)}
        key, phone, attempt_id, version = lead.key, lead.phone, attempt.attempt_id, attempt.sheet_version

        def written() -> None:
            self.tracker.mark_sheet_synced(key, phone, attempt_id, version)

        target = lead_target(phone, self.region, hint=hint or attempt.row, execution_id=attempt.execution_id)
        self.writer.update(target, fields, written)

    def lead(
        self,
        phone: str,
        fields: Mapping[str, str],
        *,
        hint: int | None = None,
        execution_id: str = "",
        on_written: Callable[[], None] | None = None,
    ) -> None:
        """A row update that is not a call's state (a note, the analysis result's columns)."""
        target = lead_target(phone, self.region, hint=hint, execution_id=execution_id)
        self.writer.update(target, fields, on_written)

    def raw(self, raw_phone: str, fields: Mapping[str, str], *, hint: int | None = None) -> None:
        """A row whose number is not valid, found by the Phone Number cell as written."""
        self.writer.update(raw_phone_target(raw_phone, hint), fields)

    def resend_unsynced(self) -> int:
        """Queue every lead whose latest call the sheet does not show yet."""
        found = self.tracker.unsynced()
        for lead, attempt in found:
            self.show_attempt(lead, attempt)
        if found:
            log.info("sending %d row update(s) the sheet did not have yet", len(found))
        return len(found)
