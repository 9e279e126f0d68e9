"""The lead sheet in Google Sheets, through gspread's plain HTTP client.

One read is one `values.get` of the worksheet's used range, unformatted (typed phone
numbers stay numbers, see `cell_text`). One write of lead updates is a fresh read of the
same range, then one `values.batchUpdate` to the rows that hold the leads now (plus, rarely,
a grid resize, or a request of its own for new header cells). A 400 from a protected or
validated cell is split down to the refused cells (partial.py). Every request passes a
token bucket and a bounded retry loop of our own.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from google.auth import exceptions as auth_errors
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2 import service_account
from gspread.exceptions import APIError, NoValidUrlKeyFound
from gspread.http_client import HTTPClient
from gspread.utils import absolute_range_name, extract_id_from_url, rowcol_to_a1

from daemon.clock import Clock
from integrations.sheets.model import (
    HEADER_ROW,
    CellWrite,
    Layout,
    Lead,
    LeadUpdate,
    SheetError,
    WritePlan,
    WriteReport,
    check_rows,
    header_key,
)
from integrations.sheets.partial import Refusals, send_in_parts
from integrations.sheets.ratelimit import TokenBucket
from integrations.sheets.retry import RetryPolicy, run_with_retry
from integrations.sheets.targets import resolve

log = logging.getLogger(__name__)

T = TypeVar("T")

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
MAX_CELL_CHARS = 50_000  # Google rejects the whole batch if one cell is longer
TRUNCATED = " …[truncated]"
# Typed numbers as numbers, whatever their display format; dates as the text people see, not
# serial day counts (DateTimeRenderOption applies only when the values are unformatted).
# developers.google.com/sheets/api/reference/rest/v4/ValueRenderOption and .../DateTimeRenderOption
READ_OPTIONS = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING"}
TIMEOUT = (10.0, 60.0)  # connect, read: a hung socket must not stall a stage forever


def load_credentials(path: Path) -> service_account.Credentials:
    """The service account in `path`. Errors name the file, never its content."""
    try:
        return service_account.Credentials.from_service_account_file(str(path), scopes=SCOPES)
    except FileNotFoundError:
        raise SheetError(f"CREDENTIALS_FILE {path} does not exist") from None
    except OSError as exc:
        raise SheetError(f"CREDENTIALS_FILE {path} cannot be read ({exc.strerror})") from None
    except Exception as exc:
        # Parsers quote what they choke on, which would be key material: keep only the type.
        raise SheetError(
            f"CREDENTIALS_FILE {path} is not a Google service-account key file "
            f"(JSON with client_email, private_key, token_uri; {type(exc).__name__})"
        ) from None


def authorized_session(credentials: Credentials, transport: requests.Session | None) -> AuthorizedSession:
    """A session that signs requests with `credentials`, sending them (token refreshes too) via `transport`."""
    base = transport if transport is not None else requests.Session()
    session = AuthorizedSession(credentials, auth_request=Request(base))
    for prefix, adapter in base.adapters.items():
        session.mount(prefix, adapter)
    return session


@dataclass
class _Tab:
    title: str
    sheet_id: int
    rows: int
    cols: int


class GoogleSheet:
    """A LeadSheet backed by one worksheet of a Google spreadsheet (the URL's #gid, else the first)."""

    def __init__(
        self,
        http: HTTPClient,
        spreadsheet_id: str,
        *,
        clock: Clock,
        gid: int | None = None,
        per_minute: int = 30,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        account: str = "",
    ) -> None:
        self._http = http
        self._id = spreadsheet_id
        self._gid = gid
        self._clock = clock
        self._bucket = TokenBucket(per_minute, clock)
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()
        self._account = account
        self._tab_cache: _Tab | None = None
        self._refusals = Refusals()
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        url: str,
        credentials_file: Path,
        *,
        clock: Clock,
        transport: requests.Session | None = None,
        **options: Any,
    ) -> GoogleSheet:
        """Check the URL and load the key now; the network is first used by the first read or write."""
        try:
            spreadsheet_id = extract_id_from_url(url)
        except NoValidUrlKeyFound:
            raise SheetError("SHEET_URL is not a Google Sheets URL (…/spreadsheets/d/<id>/…)") from None
        gid = re.search(r"[#&?]gid=(\d+)", url)
        credentials = load_credentials(credentials_file)
        http = HTTPClient(credentials, session=authorized_session(credentials, transport))
        http.set_timeout(TIMEOUT)
        return cls(
            http,
            spreadsheet_id,
            clock=clock,
            gid=int(gid[1]) if gid else None,
            account=credentials.service_account_email,
            **options,
        )

    def read(self) -> list[Lead]:
        with self._lock:
            rows = self._rows(self._tab())
            return Layout.from_row(rows[0] if rows else []).leads(rows[1:])

    def write(self, updates: Mapping[int, Mapping[str, str]]) -> None:
        check_rows(updates)
        if not any(updates.values()):
            return
        with self._lock:
            tab = self._tab()
            # The header is read for every write: a column dragged a second ago must not take
            # another column's value.
            header_range = absolute_range_name(tab.title, f"{HEADER_ROW}:{HEADER_ROW}")
            body = self._call("values.get", lambda: self._http.values_get(self._id, header_range, params=READ_OPTIONS))
            rows = body.get("values", [])
            self._write_rows(tab, Layout.from_row(rows[0] if rows else []), updates, WriteReport())

    def write_leads(self, updates: Sequence[LeadUpdate]) -> WriteReport:
        report = WriteReport()
        if not any(u.values for u in updates):
            return report
        with self._lock:
            tab = self._tab()
            rows = self._rows(tab)  # fresh: rows and columns as they are now, not as last read
            layout = Layout.from_row(rows[0] if rows else [])
            found = resolve(updates, layout.leads(rows[1:]))
            report.gone, report.rows = found.gone, found.rows
            if found.by_row:
                self._write_rows(tab, layout, found.by_row, report)
            report.written = set(found.rows)
            report.refused_columns = self._refusals.refused_columns()
            names = {header_key(name): name for name in layout.header}
            report.blocked = self._refusals.blocked(names)
        return report

    # -- internals -------------------------------------------------------------------------

    def _rows(self, tab: _Tab) -> list[list[object]]:
        # A whole-sheet range starts at A1, and Google trims trailing blank rows and cells.
        body = self._call(
            "values.get", lambda: self._http.values_get(self._id, absolute_range_name(tab.title), params=READ_OPTIONS)
        )
        return body.get("values", [])

    def _write_rows(
        self, tab: _Tab, layout: Layout, by_row: Mapping[int, Mapping[str, str]], report: WriteReport
    ) -> None:
        """New header cells first, on their own (a protected header refuses them and nothing
        else), then the data cells; refused cells are remembered and reported, never resent."""
        now = self._clock.monotonic()
        wanted = {
            row: {k: v for k, v in values.items() if not self._refusals.column_refused(k, now)}
            for row, values in by_row.items()
        }
        plan = layout.plan({row: values for row, values in wanted.items() if values})
        if not plan.cells:
            return
        self._grow(tab, plan)
        header = [c for c in plan.cells if c.row == HEADER_ROW]
        for cell, reason in self._send(tab, header):
            if self._refusals.add_column(cell.value, reason, now):
                log.error(
                    "cannot add the column %r to the lead sheet (%s): add it to row 1 by hand or lift the "
                    "protection; everything else is written",
                    cell.value,
                    reason,
                )
        added = [c for c in header if not self._refusals.column_refused(c.value, now)]
        for cell in added:
            self._refusals.column_added(cell.value)
        if added:
            log.info("added columns %s to the lead sheet", ", ".join(c.value for c in added))
        names = layout.after(WritePlan(tuple(added), plan.width, plan.height)).header
        data = [
            c
            for c in plan.cells
            if c.row != HEADER_ROW
            and c.col <= len(names)
            and names[c.col - 1]
            and not self._refusals.cell_refused(c.row, names[c.col - 1], now)
        ]
        refused = self._send(tab, data)
        for cell, reason in refused:
            blocked = self._refusals.add_cell(cell.row, names[cell.col - 1], reason, now)
            if blocked is not None:
                report.newly_blocked.append(blocked)
        refused_at = {(c.row, c.col) for c, _ in refused}
        for cell in data:
            if (cell.row, cell.col) not in refused_at:
                self._refusals.cell_written(cell.row, names[cell.col - 1])

    def _send(self, tab: _Tab, cells: Sequence[CellWrite]) -> list[tuple[CellWrite, str]]:
        def send(part: Sequence[CellWrite]) -> None:
            body = {"valueInputOption": "RAW", "data": self._ranges(tab, part)}
            self._call("values.batchUpdate", lambda: self._http.values_batch_update(self._id, body))

        return send_in_parts(cells, send)

    def _tab(self) -> _Tab:
        if self._tab_cache is None:
            meta = self._call("metadata", lambda: self._http.fetch_sheet_metadata(self._id))
            sheets = [s.get("properties", {}) for s in meta.get("sheets", [])]
            if self._gid is not None:
                chosen = next((p for p in sheets if p.get("sheetId") == self._gid), None)
                if chosen is None:
                    raise SheetError(f"the spreadsheet has no worksheet with gid={self._gid}")
            elif sheets:
                chosen = min(sheets, key=lambda p: p.get("index", 0))
            else:
                raise SheetError("the spreadsheet has no worksheets")
            grid = chosen.get("gridProperties", {})
            self._tab_cache = _Tab(
                title=chosen["title"],
                sheet_id=chosen.get("sheetId", 0),
                rows=grid.get("rowCount", 0),
                cols=grid.get("columnCount", 0),
            )
        return self._tab_cache

    def _grow(self, tab: _Tab, plan: WritePlan) -> None:
        """Writing past the grid's edge is an error in Google Sheets, so widen or lengthen it first."""
        requests_: list[dict[str, Any]] = []
        if plan.width > tab.cols:
            requests_.append(_append_dimension(tab.sheet_id, "COLUMNS", plan.width - tab.cols))
        if plan.height > tab.rows:
            requests_.append(_append_dimension(tab.sheet_id, "ROWS", plan.height - tab.rows))
        if requests_:
            body = {"requests": requests_}
            self._call("batchUpdate", lambda: self._http.batch_update(self._id, body))
            tab.cols = max(tab.cols, plan.width)
            tab.rows = max(tab.rows, plan.height)

    def _ranges(self, tab: _Tab, cells: Sequence[CellWrite]) -> list[dict[str, Any]]:
        """One range per run of adjacent cells in a row: few ranges, and nothing else overwritten."""
        by_row: dict[int, dict[int, str]] = {}
        for cell in cells:
            by_row.setdefault(cell.row, {})[cell.col] = self._fit(cell)
        data: list[dict[str, Any]] = []
        for row in sorted(by_row):
            cols = sorted(by_row[row])
            start = prev = cols[0]
            for col in [*cols[1:], None]:
                if col is not None and col == prev + 1:
                    prev = col
                    continue
                a1 = f"{rowcol_to_a1(row, start)}:{rowcol_to_a1(row, prev)}"
                values = [[by_row[row][c] for c in range(start, prev + 1)]]
                data.append({"range": absolute_range_name(tab.title, a1), "values": values})
                if col is not None:
                    start = prev = col
        return data

    @staticmethod
    def _fit(cell: CellWrite) -> str:
        if len(cell.value) <= MAX_CELL_CHARS:
            return cell.value
        log.warning("row %d: a %d-character value was cut to the cell limit", cell.row, len(cell.value))
        return cell.value[: MAX_CELL_CHARS - len(TRUNCATED)] + TRUNCATED

    def _call(self, kind: str, fn: Callable[[], T]) -> T:
        def attempt() -> T:
            self._bucket.acquire()
            return fn()

        return run_with_retry(
            attempt,
            self._classify,
            what=f"Google Sheets {kind}",
            policy=self._policy,
            clock=self._clock,
            rng=self._rng,
        )

    def _classify(self, exc: Exception) -> tuple[SheetError, float | None] | None:
        if isinstance(exc, APIError):
            status = exc.response.status_code
            message = f"HTTP {status}: {exc.error.get('message', '')}".rstrip(": ")
            if status == 400 and "protected" not in message and "validation" not in message:
                # Often a renamed or resized worksheet: look it up again next time.
                self._tab_cache = None
            elif status == 403:
                message += f" (is the sheet shared with {self._account or 'the service account'}?)"
            retryable = status in (408, 429) or status >= 500
            return SheetError(message, status=status, retryable=retryable), _retry_after(exc.response)
        if isinstance(exc, auth_errors.RefreshError):
            return SheetError(f"could not get an access token: {exc}", retryable=exc.retryable), None
        if isinstance(exc, (requests.RequestException, auth_errors.TransportError)):
            return SheetError(f"network error: {type(exc).__name__}: {exc}", retryable=True), None
        return None


def _append_dimension(sheet_id: int, dimension: str, length: int) -> dict[str, Any]:
    return {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
