"""Which sheet row a lead's update goes to: the row that holds the lead when it is written.

People sort, filter, insert and delete rows while callpipe runs, so a row number is never
trusted on its own. An update names its lead (the E.164 number) and carries the row it was
last seen in as a hint; the sheet backends find the row again in a fresh read just before
the write (integrations/sheets/targets.py). Among rows with the same number, the one showing
the call's execution id wins, then the hinted row, then the first. A lead no row holds (its
row was deleted) is written nowhere.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from calls.eligibility import DO_NOT_CALL, normalise_status
from calls.phones import to_e164
from integrations.sheets import Cell, Lead, Target

PHONE_COLUMN = "Phone Number"


def operator_columns(lead: Lead) -> Collection[str]:
    """What an operator typed that no write of ours may replace: do-not-call in Status (the
    call that was on when they typed it still ends, and its status would read as retryable)."""
    return ("Status",) if normalise_status(lead.get("Status")) in DO_NOT_CALL else ()


@dataclass(frozen=True)
class PhoneOf:
    """A row's lead: its Phone Number read as the dialer reads it (E.164 in `region`)."""

    region: str

    def __call__(self, lead: Lead) -> str | None:
        return to_e164(lead.get(PHONE_COLUMN), self.region)


def lead_target(phone_e164: str, region: str, *, hint: int | None = None, execution_id: str = "") -> Target:
    def shows_call(lead: Lead) -> bool:
        return lead.get("Latest Execution ID") == execution_id

    return Target(phone_e164, PhoneOf(region), phone_e164, shows_call if execution_id else None, hint, operator_columns)


def raw_phone_target(raw: str, hint: int | None = None) -> Target:
    """A row by its Phone Number cell as written: for numbers that are not valid (invalid-number)."""
    text = raw.strip()
    return Target(f"raw:{text}", Cell(PHONE_COLUMN), text, None, hint)
