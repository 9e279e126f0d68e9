"""Call state into the lead sheet: the row of each lead shows its latest call.

The call state is the truth and the sheet a view of it. A row update is computed when its
batch is written, from the state as it is then, under a lock the dialer and the intake share
(state/locks/sheet-writes.lock): whichever process writes last writes the newest state, so a
slow batch can never put an older status over a newer one.

Every change to an attempt bumps its `sheet_version`; once a batch has written it, the
attempt records that version as `sheet_synced`. An update that never made it (the process
was killed with it in memory, the sheet was down) is found by `unsynced()` and sent again,
so a killed intake loses nothing that was applied.
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
        key, phone, attempt_id = lead.key, lead.phone, attempt.attempt_id
        shown: dict[str, int] = {}

        def fields() -> dict[str, str] | None:
            """The lead's latest call as it stands when the batch is written."""
            now = self.store.load(key)
            latest = now.latest() if now else None
            if latest is None or latest.attempt_id != attempt_id:
                return None  # a newer call has the row; its own update shows it
            body = (self.store.execution(latest.execution_id) or {}).get("body") if latest.execution_id else None
            shown["version"] = latest.sheet_version
            return call_fields(body if isinstance(body, dict) else {}, latest, self.tz)

        def written() -> None:
            if "version" in shown:
                self.tracker.mark_sheet_synced(key, phone, attempt_id, shown["version"])

        target = lead_target(phone, self.region, hint=hint or attempt.row, execution_id=attempt.execution_id)
        self.writer.update(target, dict(extra or {}), written, late=fields)

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

    def resend_unsynced(self, leads: Mapping[str, LeadCalls] | None = None) -> int:
        """Queue every lead whose latest call the sheet does not show yet."""
        found = self.tracker.unsynced(leads)
        for lead, attempt in found:
            self.show_attempt(lead, attempt)
        if found:
            log.info("sending %d row update(s) the sheet did not have yet", len(found))
        return len(found)
