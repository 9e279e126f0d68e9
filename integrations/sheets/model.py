"""The lead sheet as data: headers, rows, and the plan of a batched write. No I/O here.

Both backends (Google Sheets and the local CSV file) see the sheet the same way: row 1 holds
the headers, every later row is a lead, and columns are found by header name, never by
letter, so operators may reorder columns or add their own.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

SEED_COLUMNS: tuple[str, ...] = (
    "Name",
    "Phone Number",
    "Status",
    "Latest Execution ID",
    "Duration",
    "Last Attempt Time",
    "Notes",
    "Transcript",
    "Summary",
)

HEADER_ROW = 1
FIRST_DATA_ROW = 2


class SheetError(Exception):
    """A read or write of the lead sheet failed. The message never holds credentials.

    `status` is the HTTP status when there was one; `retryable` says whether trying again
    later can help (rate limits, server errors, network trouble, a busy lock).
    """

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


def header_key(name: str) -> str:
    """What two header spellings must share to name the same column: case and spacing don't count."""
    return " ".join(name.split()).casefold()


_SEED_BY_KEY = {header_key(name): name for name in SEED_COLUMNS}


def canonical_header(name: str) -> str:
    """The seed's spelling for a seed column, else the header with its spacing tidied."""
    tidy = " ".join(name.split())
    return _SEED_BY_KEY.get(header_key(tidy), tidy)


@dataclass(frozen=True)
class Lead:
    row: int  # 1-based sheet row; the header is row 1, so leads start at 2
    values: Mapping[str, str]  # canonical header -> cell text ("" for empty)

    def get(self, column: str) -> str:
        """The cell under `column`, matched as headers are (case and spacing ignored); "" if absent."""
        exact = self.values.get(column)  # the usual case: asked by the spelling the sheet reads with
        if exact is not None:
            return exact
        want = header_key(column)
        for name, value in self.values.items():
            if header_key(name) == want:
                return value
        return ""


def cell_text(value: object) -> str:
    """A cell read with valueRenderOption=UNFORMATTED_VALUE, as text.

    Unformatted, a number typed into a cell comes back as a JSON number whatever its display
    format: 9876543210 shown as "9,87,65,43,210" (Indian grouping) or "9.88E+09" (exponent)
    reads as 9876543210, so the phone number it is stays intact. Whole numbers lose the ".0"
    a float would print.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Target:
    """The row an update is meant for, found again when the update is written.

    People sort, insert, delete and drag while we run, so a row number is only a hint: the
    write goes to a row that `holds` the lead (`identify(row) == identity`: its phone number,
    read as we read it), preferring one that the `prefer` test picks (its execution id), then
    the hinted row, then the first.
    """

    key: str  # one pending update per key: the lead
    # What a row says of whose it is. Targets sharing an equal `identify` (a frozen dataclass,
    # such as `Cell`) share one reading of the sheet per write, however many rows it has.
    identify: Callable[[Lead], object]
    identity: object
    prefer: Callable[[Lead], bool] | None = None
    hint: int | None = None
    # Columns of the row, as it reads now, that this update must leave as they are (an
    # operator's do-not-call in Status outlives every status we would write over it).
    keeps: Callable[[Lead], Collection[str]] | None = None

    def holds(self, lead: Lead) -> bool:
        return self.identify(lead) == self.identity


@dataclass(frozen=True)
class Cell:
    """A row's identity as one cell reads, trimmed (for example the Phone Number as written)."""

    column: str

    def __call__(self, lead: Lead) -> str:
        return lead.get(self.column).strip()


@dataclass(frozen=True)
class LeadUpdate:
    target: Target
    values: Mapping[str, str]


@dataclass(frozen=True)
class BlockedCell:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row} {self.column}: {self.reason}"


@dataclass
class WriteReport:
    """What became of a batch of lead updates."""

    written: set[str] = field(default_factory=set)  # target keys whose row was written
    gone: set[str] = field(default_factory=set)  # no row holds the lead any more: nothing written
    rows: dict[str, int] = field(default_factory=dict)  # key -> the row it was written to
    blocked: list[BlockedCell] = field(default_factory=list)  # cells the sheet refuses, in force now
    newly_blocked: list[BlockedCell] = field(default_factory=list)  # refused for the first time in this write
    refused_columns: dict[str, str] = field(default_factory=dict)  # new headers the sheet would not take


class LeadSheet(Protocol):
    def read(self) -> list[Lead]:
        """Every non-empty lead row, in one request."""
        ...

    def write(self, updates: Mapping[int, Mapping[str, str]]) -> None:
        """row -> {header: value}, sent as one batch. Unknown headers become new columns.

        Positional: for tools and tests. Stages write through `write_leads`."""
        ...

    def write_leads(self, updates: Sequence[LeadUpdate]) -> WriteReport:
        """Each update to the row that holds its lead now, read fresh just before writing."""
        ...


@dataclass(frozen=True)
class CellWrite:
    row: int  # 1-based
    col: int  # 1-based
    value: str


@dataclass(frozen=True)
class WritePlan:
    cells: tuple[CellWrite, ...]  # new header cells first, then data cells
    width: int  # columns the sheet needs after the write
    height: int  # rows the sheet needs after the write

    @property
    def new_columns(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.cells if c.row == HEADER_ROW)


@dataclass(frozen=True)
class Layout:
    """Where each named column sits, read from the header row."""

    header: tuple[str, ...]  # the header row's cells as written, "" for unnamed columns
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)
    _named: tuple[tuple[int, str], ...] = field(init=False, repr=False, compare=False)  # (col, canonical)

    def __post_init__(self) -> None:
        index: dict[str, int] = {}
        for col, name in enumerate(self.header, start=1):
            key = header_key(name)
            # The first of two same-named columns wins, as a human reading left to right expects.
            if key and key not in index:
                index[key] = col
        object.__setattr__(self, "_index", MappingProxyType(index))
        named = tuple((col, canonical_header(self.header[col - 1])) for col in index.values())
        object.__setattr__(self, "_named", named)

    @classmethod
    def from_row(cls, cells: Sequence[object]) -> Layout:
        return cls(tuple(cell_text(c) for c in cells))

    def column(self, name: str) -> int | None:
        """1-based column of the header `name`, or None."""
        return self._index.get(header_key(name))

    @property
    def width(self) -> int:
        """Columns up to the last named header."""
        named = [col for col, name in enumerate(self.header, start=1) if name.strip()]
        return named[-1] if named else 0

    def lead(self, row: int, cells: Sequence[object]) -> Lead | None:
        """The lead in sheet row `row`, or None when every cell is blank."""
        if not any(cell_text(c).strip() for c in cells):
            return None
        values: dict[str, str] = {}
        for col, name in self._named:
            values[name] = cell_text(cells[col - 1] if col <= len(cells) else "")
        return Lead(row=row, values=MappingProxyType(values))

    def leads(self, rows: Sequence[Sequence[object]], first_row: int = FIRST_DATA_ROW) -> list[Lead]:
        found = (self.lead(n, cells) for n, cells in enumerate(rows, start=first_row))
        return [lead for lead in found if lead is not None]

    def plan(self, updates: Mapping[int, Mapping[str, str]]) -> WritePlan:
        """The cells to set for `updates`, appending a header cell for each unknown column."""
        check_rows(updates)
        added: dict[str, int] = {}
        next_col = self.width + 1
        cells: list[CellWrite] = []
        for name in _ordered_names(updates):
            if self.column(name) is None and header_key(name) not in added:
                added[header_key(name)] = next_col
                cells.append(CellWrite(HEADER_ROW, next_col, canonical_header(name)))
                next_col += 1
        for row in sorted(updates):
            for name, value in updates[row].items():
                col = self.column(name) or added[header_key(name)]
                cells.append(CellWrite(row, col, "" if value is None else str(value)))
        width = max([len(self.header), *(c.col for c in cells)])
        return WritePlan(tuple(cells), width=width, height=max([HEADER_ROW, *(c.row for c in cells)]))

    def after(self, plan: WritePlan) -> Layout:
        """The layout once `plan`'s new header cells are written."""
        header = list(self.header)
        for cell in plan.cells:
            if cell.row == HEADER_ROW:
                header.extend([""] * (cell.col - len(header)))
                header[cell.col - 1] = cell.value
        return Layout(tuple(header))


def check_rows(updates: Mapping[int, Mapping[str, str]]) -> None:
    """Refuse rows that would overwrite the header or can't exist, before anything is sent."""
    for row, values in updates.items():
        if not isinstance(row, int) or isinstance(row, bool) or row < FIRST_DATA_ROW:
            raise ValueError(f"lead rows start at {FIRST_DATA_ROW}, got {row!r}")
        for name in values:
            if not header_key(name):
                raise ValueError(f"row {row}: empty column name")


def _ordered_names(updates: Mapping[int, Mapping[str, str]]) -> Iterable[str]:
    """Column names in first-seen order, so new columns land in a predictable order."""
    seen: dict[str, str] = {}
    for row in sorted(updates):
        for name in updates[row]:
            seen.setdefault(header_key(name), name)
    return seen.values()
