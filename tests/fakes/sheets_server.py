"""A local server speaking the subset of Google Sheets v4 (and OAuth) that gspread uses.

    with SheetsServer([["Name", "Phone Number"], ["Asha", "+919800000001"]]) as server:
        session = server.session()            # routes Google hosts here, refuses all others
        key = write_service_account(tmp_path / "sa.json")
        ... point SHEET_URL at server.spreadsheet_url, CREDENTIALS_FILE at key ...
        server.count("values.batchUpdate")    # requests seen, by kind
        server.fail_next(429, 2)              # the next two API requests get 429
        server.grid                           # the first worksheet's cells, row by row
        server.protect(1, 1, 1, 26)           # row 1 protected: writes there get 400
        server.operate(sort_rows, "Name")     # an operator's edit, between two of our requests

Like Google, it trims trailing blanks from values.get, refuses writes past the grid's edge,
refuses cells over 50,000 characters, and wants a bearer token it issued itself. Cells hold
typed values: a number stays a number, shown with its column's number format (Indian
grouping, exponent) unless the read asks for valueRenderOption=UNFORMATTED_VALUE. A write
that touches a protected range or breaks a strict validation rule fails whole with 400,
as Google's does. The operator's edits (sheets_operator.py) wait for a quiet moment: no
client that read less than READ_WRITE_GAP ago without a request since, so a test never
lands one inside the short read-then-write of one flush (the one race the API cannot
close; see the README).
"""

from __future__ import annotations

import base64
import functools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from tests.fakes.sheets_cells import PROTECTED, Protection, Validation, render

GOOGLE_HOSTS = frozenset({"sheets.googleapis.com", "oauth2.googleapis.com", "www.googleapis.com"})
TOKEN_PATHS = frozenset({"/token", "/oauth2/v4/token"})
MAX_CELL_CHARS = 50_000
READ_WRITE_GAP = 0.25  # seconds: a flush's write follows its read within this


class FakeSheetError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SheetsRequest:
    kind: str  # token, metadata, values.get, values.update, values.batchUpdate, values.batchGet, batchUpdate
    method: str
    path: str
    status: int
    at: float
    body: Any = None


@dataclass
class Tab:
    title: str
    sheet_id: int
    rows: list[list[Any]] = field(default_factory=list)  # str, int or float; "" is blank
    row_count: int = 1000
    col_count: int = 26
    formats: dict[int, str] = field(default_factory=dict)  # column -> number format (sheets_cells.render)
    protected: list[Protection] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)

    def set(self, row: int, col: int, value: Any) -> None:
        while len(self.rows) < row:
            self.rows.append([])
        cells = self.rows[row - 1]
        cells.extend([""] * (col - len(cells)))
        cells[col - 1] = value


@dataclass(frozen=True)
class _Rect:
    tab: Tab
    r1: int
    c1: int
    r2: int | None  # None: open to the grid's edge
    c2: int | None


class SheetsServer:
    """A real HTTP server on 127.0.0.1 holding one spreadsheet in memory."""

    def __init__(
        self,
        rows: list[list[str]] | None = None,
        *,
        spreadsheet_id: str = "1FakeSpreadsheetIdForCallpipeTests0",
        title: str = "Sheet1",
        row_count: int = 1000,
        col_count: int = 26,
        require_auth: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spreadsheet_id = spreadsheet_id
        self.tabs: dict[str, Tab] = {}
        self.add_tab(title, rows or [], sheet_id=0, row_count=row_count, col_count=col_count)
        self.require_auth = require_auth
        self.clock = clock
        self.requests: list[SheetsRequest] = []
        self.tokens: list[str] = []
        self.token_subjects: list[str] = []  # the "iss" of each signed assertion
        self.lock = threading.RLock()
        self._failures: list[tuple[int, frozenset[str] | None, float | None]] = []
        self._operations: list[Callable[[], None]] = []
        self._reading: dict[Any, float] = {}  # client -> when its last request, a read, came
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SheetsServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.fake = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-sheets", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SheetsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests use ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def spreadsheet_url(self) -> str:
        """A browser URL for SHEET_URL; gspread takes the id from it."""
        return f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit#gid=0"

    @property
    def grid(self) -> list[list[str]]:
        """The first worksheet's cells (live), rows and cells as written, trailing blanks kept."""
        return self.first_tab.rows

    @grid.setter
    def grid(self, rows: list[list[str]]) -> None:
        with self.lock:
            self.first_tab.rows = [list(r) for r in rows]

    @property
    def first_tab(self) -> Tab:
        return min(self.tabs.values(), key=lambda t: t.sheet_id)

    def add_tab(
        self, title: str, rows: list[list[str]], *, sheet_id: int, row_count: int = 1000, col_count: int = 26
    ) -> Tab:
        tab = Tab(title, sheet_id, [list(r) for r in rows], row_count, col_count)
        self.tabs[title] = tab
        return tab

    def cell(self, row: int, col: int, tab: str | None = None) -> str:
        cells = (self.tabs[tab] if tab else self.first_tab).rows
        if row > len(cells) or col > len(cells[row - 1]):
            return ""
        return cells[row - 1][col - 1]

    def fail_next(
        self, status: int, n: int = 1, *, kinds: set[str] | None = None, retry_after: float | None = None
    ) -> None:
        """Answer the next `n` API requests (of `kinds`, default any but token) with `status`."""
        with self.lock:
            self._failures.extend([(status, frozenset(kinds) if kinds else None, retry_after)] * n)

    def protect(self, r1: int, c1: int, r2: int, c2: int, description: str = "") -> None:
        """Protect a rectangle (1-based, inclusive) of the first worksheet: writes there get 400."""
        with self.lock:
            self.first_tab.protected.append(Protection(r1, c1, r2, c2, description))

    def validate(self, col: int, allowed: set[str], first_row: int = 2) -> None:
        """A strict "one of a list" rule on a column of the first worksheet."""
        with self.lock:
            self.first_tab.validations.append(Validation(col, frozenset(allowed), first_row))

    def operate(self, edit: Callable[..., None], *args: Any) -> None:
        """An operator's edit of the first worksheet, made at the next quiet moment."""
        with self.lock:
            self._operations.append(lambda: edit(self.first_tab, *args))
            self._maybe_operate()

    def operations_pending(self) -> int:
        with self.lock:
            self._maybe_operate()
            return len(self._operations)

    def count(self, kind: str | None = None) -> int:
        """Requests received (failed ones too), of one kind or all."""
        with self.lock:
            return sum(1 for r in self.requests if kind is None or r.kind == kind)

    def session(self) -> requests.Session:
        """A requests session that sends Google-bound requests here and refuses every other host."""
        session = requests.Session()
        session.mount("https://", _ToLocal(self.url))
        return session

    # -- request handling (called on server threads) ----------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: Any, body: bytes, client: Any = None
    ) -> tuple[int, dict[str, str], Any]:
        path, _, query = raw_path.partition("?")
        kind, route = self._route(method, path)
        parsed: Any = None
        with self.lock:
            try:
                parsed = json.loads(body) if body and kind != "token" else None
            except ValueError:
                parsed = None
            status, extra, payload = self._dispatch(kind, route, query, headers, body, parsed)
            self.requests.append(SheetsRequest(kind, method, unquote(raw_path), status, self.clock(), parsed))
            if kind != "token":
                if kind in ("values.get", "values.batchGet", "metadata"):
                    self._reading[client] = time.monotonic()
                else:
                    self._reading.pop(client, None)
                self._maybe_operate()
        return status, extra, payload

    def client_gone(self, client: Any) -> None:
        with self.lock:
            self._reading.pop(client, None)
            self._maybe_operate()

    def _maybe_operate(self) -> None:
        """Apply waiting edits when no client sits between a read and the write that may follow
        it at once (a read not followed by a request within READ_WRITE_GAP was just a read)."""
        now = time.monotonic()
        if self._operations and all(now - at > READ_WRITE_GAP for at in self._reading.values()):
            for edit in self._operations:
                edit()
            self._operations.clear()

    def _route(self, method: str, path: str) -> tuple[str, tuple[str, ...]]:
        if method == "POST" and path in TOKEN_PATHS:
            return "token", ()
        m = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        if not m:
            return "unknown", ()
        key, rest = m[1], m[2]
        routes = {
            ("GET", ""): "metadata",
            ("POST", ":batchUpdate"): "batchUpdate",
            ("POST", "/values:batchUpdate"): "values.batchUpdate",
            ("GET", "/values:batchGet"): "values.batchGet",
        }
        if (method, rest) in routes:
            return routes[method, rest], (key,)
        if rest.startswith("/values/") and ":" not in rest:
            kind = {"GET": "values.get", "PUT": "values.update"}.get(method, "unknown")
            return kind, (key, unquote(rest[len("/values/") :]))
        return "unknown", (key,)

    def _dispatch(
        self, kind: str, route: tuple[str, ...], query: str, headers: Any, body: bytes, doc: Any
    ) -> tuple[int, dict[str, str], Any]:
        if kind == "token":
            return 200, {}, self._issue_token(body)
        failure = self._take_failure(kind)
        if failure is not None:
            status, retry_after = failure
            extra = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return status, extra, _error(status, "injected failure")
        if self.require_auth:
            auth = headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[len("Bearer ") :] not in self.tokens:
                return 401, {}, _error(401, "Request had invalid authentication credentials.")
        if kind == "unknown" or route[0] != self.spreadsheet_id:
            return 404, {}, _error(404, "Requested entity was not found.")
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        unformatted = params.get("valueRenderOption", "FORMATTED_VALUE") != "FORMATTED_VALUE"
        try:
            handler = {
                "metadata": lambda: self._metadata(),
                "values.get": lambda: self._values_get(route[1], unformatted),
                "values.batchGet": lambda: self._values_batch_get(parse_qs(query).get("ranges", []), unformatted),
                "values.update": lambda: self._values_update(route[1], params, doc or {}),
                "values.batchUpdate": lambda: self._values_batch_update(doc or {}),
                "batchUpdate": lambda: self._batch_update(doc or {}),
            }[kind]
            return 200, {}, handler()
        except FakeSheetError as exc:
            return exc.status, {}, _error(exc.status, str(exc))

    def _take_failure(self, kind: str) -> tuple[int, float | None] | None:
        for i, (status, kinds, retry_after) in enumerate(self._failures):
            if kinds is None or kind in kinds:
                del self._failures[i]
                return status, retry_after
        return None

    def _issue_token(self, body: bytes) -> Any:
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or "assertion" not in form:
            return {"error": "invalid_grant", "error_description": "expected a signed JWT assertion"}
        claims = form["assertion"].split(".")[1]
        self.token_subjects.append(json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["iss"])
        token = f"fake-token-{len(self.tokens) + 1}"
        self.tokens.append(token)
        return {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _metadata(self) -> Any:
        sheets = [
            {
                "properties": {
                    "sheetId": t.sheet_id,
                    "title": t.title,
                    "index": i,
                    "sheetType": "GRID",
                    "gridProperties": {"rowCount": t.row_count, "columnCount": t.col_count},
                },
                "protectedRanges": [p.resource(t.sheet_id, i) for i, p in enumerate(t.protected, start=1)],
            }
            for i, t in enumerate(sorted(self.tabs.values(), key=lambda t: t.sheet_id))
        ]
        return {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {"title": "Leads", "locale": "en_US", "timeZone": "Asia/Kolkata"},
            "sheets": sheets,
            "spreadsheetUrl": self.spreadsheet_url,
        }

    def _values_get(self, a1: str, unformatted: bool = False) -> Any:
        rect = self._parse(a1)
        tab = rect.tab
        r2, c2 = rect.r2 or tab.row_count, rect.c2 or tab.col_count
        values = [
            [
                value if unformatted or isinstance(value, str) else render(value, tab.formats.get(col))
                for col, value in enumerate(row[rect.c1 - 1 : c2], start=rect.c1)
            ]
            for row in tab.rows[rect.r1 - 1 : r2]
        ]
        for row in values:
            while row and row[-1] == "":
                row.pop()
        while values and not values[-1]:
            values.pop()
        out: dict[str, Any] = {"range": f"{_quote(tab.title)}!{_a1(rect.r1, rect.c1)}:{_a1(r2, c2)}"}
        out["majorDimension"] = "ROWS"
        if values:
            out["values"] = values
        return out

    def _values_batch_get(self, ranges: list[str], unformatted: bool = False) -> Any:
        return {"spreadsheetId": self.spreadsheet_id, "valueRanges": [self._values_get(r, unformatted) for r in ranges]}

    def _values_update(self, a1: str, params: dict[str, str], doc: Any) -> Any:
        _check_input_option(params.get("valueInputOption"))
        writes = self._plan_writes(a1, doc.get("values", []))
        return self._apply(writes)

    def _values_batch_update(self, doc: Any) -> Any:
        _check_input_option(doc.get("valueInputOption"))
        plans = [self._plan_writes(item["range"], item.get("values", [])) for item in doc.get("data", [])]
        responses = [self._apply(p) for p in plans]
        return {
            "spreadsheetId": self.spreadsheet_id,
            "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
            "totalUpdatedColumns": max((r.get("updatedColumns", 0) for r in responses), default=0),
            "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
            "totalUpdatedSheets": len({r["updatedRange"].split("!")[0] for r in responses}),
            "responses": responses,
        }

    def _plan_writes(self, a1: str, values: list[list[Any]]) -> tuple[Tab, list[tuple[int, int, Any]]]:
        """Check a whole range before any cell changes, as Google does."""
        rect = self._parse(a1)
        tab = rect.tab
        writes: list[tuple[int, int, Any]] = []
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                r, c = rect.r1 + i, rect.c1 + j
                if (rect.r2 is not None and r > rect.r2) or (rect.c2 is not None and c > rect.c2):
                    raise FakeSheetError(400, f"Requested writing within range [{a1}], but tried writing past it")
                if r > tab.row_count or c > tab.col_count:
                    raise FakeSheetError(400, _grid_error(a1, tab))
                if value is None:
                    continue
                if any(p.covers(r, c) for p in tab.protected):
                    raise FakeSheetError(400, PROTECTED)
                text = ("TRUE" if value else "FALSE") if isinstance(value, bool) else str(value)
                if len(text) > MAX_CELL_CHARS:
                    limit = f"Your input contains more than the maximum of {MAX_CELL_CHARS} characters"
                    raise FakeSheetError(400, limit + " in a single cell.")
                for rule in tab.validations:
                    if refusal := rule.refuses(r, c, text):
                        raise FakeSheetError(400, refusal)
                # RAW input is stored as sent: a JSON string stays text, a number a number.
                writes.append((r, c, value if isinstance(value, int | float) and not isinstance(value, bool) else text))
        return tab, writes

    def _apply(self, plan: tuple[Tab, list[tuple[int, int, Any]]]) -> Any:
        tab, writes = plan
        for r, c, text in writes:
            tab.set(r, c, text)
        rows = {r for r, _, _ in writes}
        cols = {c for _, c, _ in writes}
        return {
            "spreadsheetId": self.spreadsheet_id,
            "updatedRange": _quote(tab.title),
            "updatedRows": len(rows),
            "updatedColumns": len(cols),
            "updatedCells": len(writes),
        }

    def _batch_update(self, doc: Any) -> Any:
        replies = []
        for request in doc.get("requests", []):
            if set(request) != {"appendDimension"}:
                raise FakeSheetError(400, f"the fake supports only appendDimension, got {sorted(request)}")
            spec = request["appendDimension"]
            tab = next((t for t in self.tabs.values() if t.sheet_id == spec.get("sheetId", 0)), None)
            if tab is None:
                raise FakeSheetError(400, f"No grid with id: {spec.get('sheetId')}")
            if spec["dimension"] == "COLUMNS":
                tab.col_count += int(spec["length"])
            else:
                tab.row_count += int(spec["length"])
            replies.append({})
        return {"spreadsheetId": self.spreadsheet_id, "replies": replies}

    def _parse(self, text: str) -> _Rect:
        title, a1 = _split_range(text)
        if title is None:
            tab = self.tabs.get(a1) or self.first_tab
            a1 = "" if a1 in self.tabs else a1
        elif title in self.tabs:
            tab = self.tabs[title]
        else:
            raise FakeSheetError(400, f"Unable to parse range: {text}")
        if not a1:
            return _Rect(tab, 1, 1, None, None)
        start, _, end = a1.partition(":")
        m1 = re.fullmatch(r"([A-Za-z]*)(\d*)", start)
        m2 = re.fullmatch(r"([A-Za-z]*)(\d*)", end if end else start)
        if not m1 or not m2 or not start:
            raise FakeSheetError(400, f"Unable to parse range: {text}")
        rect = _Rect(
            tab,
            int(m1[2]) if m1[2] else 1,
            _col(m1[1]) if m1[1] else 1,
            int(m2[2]) if m2[2] else None,
            _col(m2[1]) if m2[1] else None,
        )
        too_far = rect.r1 > tab.row_count or rect.c1 > tab.col_count
        if too_far or (rect.r2 or 0) > tab.row_count or (rect.c2 or 0) > tab.col_count:
            raise FakeSheetError(400, _grid_error(text, tab))
        return rect


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait between them

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake: SheetsServer = self.server.fake  # type: ignore[attr-defined]
        status, extra, payload = fake.handle(self.command, self.path, self.headers, body, self.client_address)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _serve  # noqa: N815

    def finish(self) -> None:
        super().finish()
        self.server.fake.client_gone(self.client_address)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read .requests instead


class _ToLocal(HTTPAdapter):
    """Rewrites Google hosts to the fake server; any other https host fails, so tests stay local."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._base = urlsplit(base_url)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        if parts.hostname not in GOOGLE_HOSTS:
            raise requests.ConnectionError(f"tests never leave this machine (asked for {parts.hostname})")
        request.url = urlunsplit((self._base.scheme, self._base.netloc, parts.path, parts.query, ""))
        return super().send(request, **kwargs)


@functools.cache
def _private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def write_service_account(path: Path, *, email: str = "callpipe-test@callpipe-test.iam.gserviceaccount.com") -> Path:
    """A throwaway service-account key file (fresh RSA key, made at test time) at `path`."""
    doc = {
        "type": "service_account",
        "project_id": "callpipe-test",
        "private_key_id": "0" * 40,
        "private_key": _private_key_pem(),
        "client_email": email,
        "client_id": "100000000000000000000",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path.write_text(json.dumps(doc))
    return path


def _error(status: int, message: str) -> Any:
    names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}
    names |= {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
    return {"error": {"code": status, "message": message, "status": names.get(status, "UNKNOWN")}}


def _check_input_option(option: str | None) -> None:
    if option not in ("RAW", "USER_ENTERED"):
        raise FakeSheetError(400, "'valueInputOption' is required but not specified")


def _split_range(text: str) -> tuple[str | None, str]:
    """("Sheet 1", "A1:B2") from "'Sheet 1'!A1:B2"; (None, text) when no sheet is named."""
    if text.startswith("'"):
        i, title = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                break
            title.append(text[i])
            i += 1
        rest = text[i + 1 :]
        if rest and not rest.startswith("!"):
            raise FakeSheetError(400, f"Unable to parse range: {text}")
        return "".join(title), rest[1:]
    if "!" in text:
        title, _, a1 = text.partition("!")
        return title, a1
    return None, text


def _col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - ord("A") + 1
    return n


def _a1(row: int, col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"{letters}{row}"


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _grid_error(a1: str, tab: Tab) -> str:
    return f"Range ({a1}) exceeds grid limits. Max rows: {tab.row_count}, max columns: {tab.col_count}"
