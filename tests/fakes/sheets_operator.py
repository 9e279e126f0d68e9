"""What a person does to the lead sheet while callpipe runs, as edits of the fake's worksheet.

Use them through `SheetsServer.operate(edit, ...)`, which applies an edit at a quiet moment,
or call them directly (holding `server.lock`) in single-threaded tests.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.sheets_server import Tab


def _header_col(tab: Tab, header: str) -> int:
    """0-based index of a header, matched as people read it."""
    names = [str(c).strip().casefold() for c in tab.rows[0]]
    return names.index(header.strip().casefold())


def sort_rows(tab: Tab, header: str, reverse: bool = False) -> None:
    """Data > Sort range by a column, header row excluded: values move, rows stay put."""
    col = _header_col(tab, header)

    def key(row: list[Any]) -> str:
        return str(row[col]) if col < len(row) else ""

    tab.rows[1:] = sorted(tab.rows[1:], key=key, reverse=reverse)


def insert_row(tab: Tab, at: int, cells: list[Any] | None = None) -> None:
    """Insert a row above sheet row `at` (1-based); protections below move down with their cells."""
    tab.rows.insert(at - 1, list(cells or []))
    tab.row_count += 1
    tab.protected[:] = [p.shifted(at, 1) for p in tab.protected]


def delete_row(tab: Tab, row: int) -> None:
    del tab.rows[row - 1]
    tab.row_count -= 1
    tab.protected[:] = [p.shifted(row + 1, -1) for p in tab.protected if not (p.r1 == p.r2 == row)]


def delete_rows_where(tab: Tab, header: str, value: str) -> None:
    col = _header_col(tab, header)
    for row in range(len(tab.rows), 1, -1):
        cells = tab.rows[row - 1]
        if col < len(cells) and str(cells[col]) == value:
            delete_row(tab, row)


def move_column(tab: Tab, header: str, to: int) -> None:
    """Drag a column (with its header and number format) to 1-based position `to`."""
    width = max(len(r) for r in tab.rows)
    source = _header_col(tab, header)
    for row in tab.rows:
        row.extend([""] * (width - len(row)))
        row.insert(to - 1, row.pop(source))
    order = list(range(1, width + 1))
    order.insert(to - 1, order.pop(source))
    tab.formats = {order.index(col) + 1: fmt for col, fmt in tab.formats.items() if col in order}
