"""One refused cell must not block the rest of a batch, and is not retried forever.

`values.batchUpdate` is all or nothing: a single cell in a protected range, or a value that
a strict data-validation rule rejects, fails the whole request with 400 INVALID_ARGUMENT
("You are trying to edit a protected cell or object. Please contact the spreadsheet owner
to remove protection if you need to edit.") and nothing is written. So on a 400 the batch
is cut in halves and each half is sent again, down to single cells: every good cell lands,
and each cell that fails on its own is returned with Google's reason. k bad cells among n
cost about 2·k·log2(n) extra requests, once: `Refusals` remembers them, and they are left
out of later batches until RECHECK_AFTER has passed (someone may lift the protection).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from integrations.sheets.model import BlockedCell, CellWrite, SheetError, header_key

RECHECK_AFTER = 1800.0  # seconds before a refused cell or column is tried again


def send_in_parts(
    cells: Sequence[CellWrite], send: Callable[[Sequence[CellWrite]], None]
) -> list[tuple[CellWrite, str]]:
    """Send `cells`; on a 400, halves, recursively. Returns the cells refused on their own.

    Any other failure (a quota, a server error, the network) is the whole batch's and is raised."""
    if not cells:
        return []
    try:
        send(cells)
        return []
    except SheetError as exc:
        if exc.status != 400:
            raise
        if len(cells) == 1:
            return [(cells[0], _reason(exc))]
    middle = len(cells) // 2
    return send_in_parts(cells[:middle], send) + send_in_parts(cells[middle:], send)


def _reason(exc: SheetError) -> str:
    return str(exc).removeprefix("HTTP 400: ").strip() or "refused (HTTP 400)"


@dataclass
class Refusals:
    """Cells and new columns the sheet refused, remembered (monotonic seconds) so they are not resent."""

    cells: dict[tuple[int, str], tuple[str, float]] = field(default_factory=dict)  # (row, column key)
    columns: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # column key -> (name, reason, at)

    def cell_refused(self, row: int, column: str, now: float) -> bool:
        """Known refused, and not yet due for another try."""
        known = self.cells.get((row, header_key(column)))
        return known is not None and now - known[1] < RECHECK_AFTER

    def column_refused(self, column: str, now: float) -> bool:
        known = self.columns.get(header_key(column))
        return known is not None and now - known[2] < RECHECK_AFTER

    def add_cell(self, row: int, column: str, reason: str, now: float) -> BlockedCell | None:
        """Remember a refused cell; the BlockedCell when it is news (not known with this reason)."""
        key = (row, header_key(column))
        known = self.cells.get(key)
        self.cells[key] = (reason, now)
        return None if known is not None and known[0] == reason else BlockedCell(row, column, reason)

    def add_column(self, column: str, reason: str, now: float) -> bool:
        """Remember a refused new column; True when it is news."""
        known = self.columns.get(header_key(column))
        self.columns[header_key(column)] = (column, reason, now)
        return known is None or known[1] != reason

    def cell_written(self, row: int, column: str) -> None:
        self.cells.pop((row, header_key(column)), None)

    def column_added(self, column: str) -> None:
        self.columns.pop(header_key(column), None)

    def blocked(self, names: dict[str, str]) -> list[BlockedCell]:
        """Every refused cell in force, with its column's name as the sheet spells it."""
        return [BlockedCell(row, names.get(key, key), reason) for (row, key), (reason, _) in sorted(self.cells.items())]

    def refused_columns(self) -> dict[str, str]:
        return {name: reason for name, reason, _ in self.columns.values()}
