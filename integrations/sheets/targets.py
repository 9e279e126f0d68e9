"""Finding each update's row in a fresh read of the sheet, just before the write. Pure.

A row number read a minute ago is a guess: an operator may have sorted, filtered, inserted
or deleted rows since. Both backends call `resolve` with rows read in the same breath as
the write (the CSV file under its lock, Google Sheets one request before the batch), so an
update lands in the row that holds its lead now, or nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from integrations.sheets.model import Lead, LeadUpdate, Target, header_key


@dataclass
class Resolved:
    by_row: dict[int, dict[str, str]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # target key -> row
    gone: set[str] = field(default_factory=set)


def find_row(target: Target, holding: Sequence[Lead]) -> Lead | None:
    """Of the rows that hold the target's lead now: preferred, else the hinted row, else the first."""
    if not holding:
        return None
    if target.prefer is not None:
        preferred = next((lead for lead in holding if target.prefer(lead)), None)
        if preferred is not None:
            return preferred
    return next((lead for lead in holding if lead.row == target.hint), holding[0])


def resolve(updates: Sequence[LeadUpdate], leads: Sequence[Lead]) -> Resolved:
    """Row-keyed values for the writer's plan; later updates win where two share a row."""
    out = Resolved()
    # Each row is identified once per kind of identity, not once per update: a flush of hundreds
    # of updates against a sheet of thousands of rows stays one pass over the rows.
    indexes: dict[Callable[[Lead], object], dict[object, list[Lead]]] = {}
    for update in updates:
        identify = update.target.identify
        if identify not in indexes:
            indexes[identify] = index = {}
            for row in leads:
                index.setdefault(identify(row), []).append(row)
        lead = find_row(update.target, indexes[identify].get(update.target.identity, ()))
        if lead is None:
            out.gone.add(update.target.key)
            continue
        kept = {header_key(c) for c in update.target.keeps(lead)} if update.target.keeps else set()
        out.rows[update.target.key] = lead.row
        values = {column: value for column, value in update.values.items() if header_key(column) not in kept}
        out.by_row.setdefault(lead.row, {}).update(values)
    return out
