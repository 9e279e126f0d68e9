"""What the fake Sheets server knows about cells beyond their values: number formats,
protected ranges and strict validation rules, each as Google Sheets documents it.

- valueRenderOption (developers.google.com/sheets/api/reference/rest/v4/ValueRenderOption):
  FORMATTED_VALUE, the default, renders a number with its cell's format; UNFORMATTED_VALUE
  returns the number itself.
- A protected range refuses an edit by anyone not among its editors, and the API answers a
  values.batchUpdate that touches one with 400 INVALID_ARGUMENT and the message below; the
  whole request is refused.
- A strict data-validation rule rejects a value outside it, refusing the request likewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROTECTED = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet owner to remove "
    "protection if you need to edit."
)


def render(value: Any, number_format: str | None) -> str:
    """A typed cell as FORMATTED_VALUE shows it."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if not isinstance(value, int | float):
        return str(value)
    if number_format == "indian":  # "#,##,##0": the last three digits, then pairs
        digits = str(round(abs(value)))
        head, tail = digits[:-3], digits[-3:]
        pairs = [head[max(0, i - 2) : i] for i in range(len(head), 0, -2)][::-1]
        return ("-" if value < 0 else "") + ",".join([*pairs, tail] if head else [tail])
    if number_format == "scientific":  # "0.00E+00"
        return f"{value:.2E}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Protection:
    r1: int
    c1: int
    r2: int
    c2: int
    description: str = ""

    def covers(self, row: int, col: int) -> bool:
        return self.r1 <= row <= self.r2 and self.c1 <= col <= self.c2

    def shifted(self, at: int, by: int) -> Protection:
        """After `by` rows were inserted (or, negative, deleted) at row `at`."""
        r1 = self.r1 + by if self.r1 >= at else self.r1
        r2 = self.r2 + by if self.r2 >= at else self.r2
        return Protection(r1, self.c1, max(r1, r2), self.c2, self.description)

    def resource(self, sheet_id: int, protected_range_id: int) -> dict[str, Any]:
        """As spreadsheets.get lists it (0-based, end exclusive)."""
        grid = {
            "sheetId": sheet_id,
            "startRowIndex": self.r1 - 1,
            "endRowIndex": self.r2,
            "startColumnIndex": self.c1 - 1,
            "endColumnIndex": self.c2,
        }
        return {"protectedRangeId": protected_range_id, "range": grid, "description": self.description}


@dataclass(frozen=True)
class Validation:
    col: int
    allowed: frozenset[str]
    first_row: int = 2

    def refuses(self, row: int, col: int, text: str) -> str | None:
        if col != self.col or row < self.first_row or text in self.allowed or text == "":
            return None
        cell = _a1_col(col) + str(row)
        return f"Invalid value at cell {cell}: the data violates the data validation rules set on this cell."


def _a1_col(col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters
