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

from calls.eligibility import DO_NOT_CALL, normalise_status
from calls.phones import to_e164
from integrations.sheets import Lead, Target

PHONE_COLUMN = "Phone Number"


def operator_columns(lead: Lead) -> Collection[str]:
    """What an operator typed that no write of ours may replace: do-not-call in Status (the
    call that was on when they typed it still ends, and its status would read as retryable)."""
    return ("Status",) if normalise_status(lead.get("Status")) in DO_NOT_CALL else ()


def lead_target(phone_e164: str, region: str, *, hint: int | None = None, execution_id: str = "") -> Target:
    def holds(lead: Lead) -> bool:
        return to_e164(lead.get(PHONE_COLUMN), region) == phone_e164

    def shows_call(lead: Lead) -> bool:
        return lead.get("Latest Execution ID") == execution_id

    return Target(phone_e164, holds, shows_call if execution_id else None, hint, operator_columns)


def raw_phone_target(raw: str, hint: int | None = None) -> Target:
    """A row by its Phone Number cell as written: for numbers that are not valid (invalid-number)."""
    text = raw.strip()

    def holds(lead: Lead) -> bool:
        return lead.get(PHONE_COLUMN).strip() == text

    return Target(f"raw:{text}", holds, None, hint)
