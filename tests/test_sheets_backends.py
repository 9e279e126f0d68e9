"""The lead sheet through both backends: the same behaviour from Google Sheets and the CSV file.

The Google backend runs the real gspread client and google-auth against the local Sheets
server (tests/fakes/sheets_server.py); the CSV backend runs against a real temp file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from daemon.clock import FakeClock
from daemon.config import load_config
from integrations.sheets import (
    SEED_COLUMNS,
    Cell,
    Lead,
    LeadSheet,
    LeadUpdate,
    SheetError,
    SheetWriter,
    Target,
    WriteReport,
    open_sheet,
)
from tests.fakes.sheets_server import SheetsServer, write_service_account

Grid = list[list[str]]


def tidy(rows: Grid) -> Grid:
    """Rows without trailing blank cells or trailing blank rows: how both backends compare."""
    out = [list(r) for r in rows]
    for row in out:
        while row and row[-1] == "":
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


@dataclass
class Harness:
    kind: str
    sheet: LeadSheet
    clock: FakeClock
    seed: Callable[[Grid], None]
    grid: Callable[[], Grid]
    server: SheetsServer | None = None

    def cell(self, row: int, header: str) -> str:
        grid = self.grid()
        col = grid[0].index(header)
        cells = grid[row - 1] if row <= len(grid) else []
        return cells[col] if col < len(cells) else ""


def google_harness(tmp_path: Path, clock: FakeClock, server: SheetsServer, **env: str) -> Harness:
    key = write_service_account(tmp_path / "service-account.json")
    environ = {"DATA_DIR": str(tmp_path), "SHEET_URL": server.spreadsheet_url, "CREDENTIALS_FILE": str(key)}
    cfg = load_config(environ | env, env_file=None)
    sheet = open_sheet(cfg, session=server.session(), clock=clock)

    def seed(rows: Grid) -> None:
        server.grid = rows

    return Harness("google", sheet, clock, seed, lambda: tidy(server.grid), server)


def csv_harness(tmp_path: Path, clock: FakeClock) -> Harness:
    cfg = load_config({"DATA_DIR": str(tmp_path)}, env_file=None)
    path = cfg.leads_path()

    def seed(rows: Grid) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)

    def grid() -> Grid:
        return tidy(list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))))

    return Harness("csv", open_sheet(cfg, clock=clock), clock, seed, grid)


@pytest.fixture(params=["google", "csv"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    clock = FakeClock()
    if request.param == "csv":
        yield csv_harness(tmp_path, clock)
        return
    with SheetsServer(clock=clock.now) as server:
        yield google_harness(tmp_path, clock, server)


@pytest.fixture
def google(tmp_path: Path) -> Iterator[Harness]:
    clock = FakeClock()
    with SheetsServer(clock=clock.now) as server:
        yield google_harness(tmp_path, clock, server)


def phone(number: str, hint: int | None = None) -> Target:
    """The lead whose Phone Number cell reads `number`."""
    return Target(number, Cell("Phone Number"), number, hint=hint)


ASHA, RAVI = phone("+919800000001", 2), phone("+919800000002", 3)

SEEDED = [
    list(SEED_COLUMNS),
    ["Asha", "+919800000001", "", "", "", "", "", "", ""],
    ["Ravi", "+919800000002", "failed", "exec-1", "12", "2026-01-01 10:00", "busy"],
]


# -- the table: both backends ----------------------------------------------------------------


def test_read_finds_columns_by_header(backend: Harness) -> None:
    backend.seed(SEEDED)
    leads = backend.sheet.read()
    assert [lead.row for lead in leads] == [2, 3]
    assert leads[0].values["Name"] == "Asha"
    assert leads[0].values["Status"] == ""
    assert leads[1].get("phone number") == "+919800000002"
    assert leads[1].get("  LATEST   execution id ") == "exec-1"
    assert leads[1].get("Transcript") == ""
    assert leads[1].get("No Such Column") == ""
    assert set(leads[0].values) == set(SEED_COLUMNS)


def test_other_column_order_and_untidy_headers(backend: Harness) -> None:
    backend.seed(
        [
            ["  phone   number", "STATUS", "Owner", "name "],
            ["+919800000003", "completed", "desk 4", "Meena"],
        ]
    )
    (lead,) = backend.sheet.read()
    # Canonical names are the seed's spelling, whatever the sheet's case and spacing.
    assert lead.values == {"Phone Number": "+919800000003", "Status": "completed", "Owner": "desk 4", "Name": "Meena"}

    backend.sheet.write({2: {"Status": "initiated", "Name": "Meena K"}})
    assert backend.grid() == [
        ["  phone   number", "STATUS", "Owner", "name "],
        ["+919800000003", "initiated", "desk 4", "Meena K"],
    ]


def test_extra_columns_and_other_rows_are_kept(backend: Harness) -> None:
    asha = ["Asha", "+91980", "", "", "", "", "", "", "", "desk 1"]
    backend.seed([[*SEED_COLUMNS, "Owner"], asha, ["Ravi", "+91981"]])
    backend.sheet.write({3: {"Status": "initiated", "Latest Execution ID": "exec-9"}})
    grid = backend.grid()
    assert grid[1] == asha
    assert grid[2] == ["Ravi", "+91981", "initiated", "exec-9"]
    assert backend.sheet.read()[0].get("Owner") == "desk 1"


def test_unknown_header_appends_a_column_once(backend: Harness) -> None:
    backend.seed(SEEDED)
    backend.sheet.write({2: {"Customer Name": "Asha Rao", "Model": "Nexon", "Status": "completed"}})
    backend.sheet.write({3: {"customer  NAME": "Ravi S", "Routing": "dealer"}})
    header = backend.grid()[0]
    assert header == [*SEED_COLUMNS, "Customer Name", "Model", "Routing"]
    leads = {lead.row: lead for lead in backend.sheet.read()}
    assert leads[2].get("Customer Name") == "Asha Rao"
    assert leads[2].get("Model") == "Nexon"
    assert leads[2].get("Status") == "completed"
    assert leads[3].get("Customer Name") == "Ravi S"
    assert leads[3].get("Routing") == "dealer"


def test_empty_sheet_gets_headers_from_the_first_write(backend: Harness) -> None:
    backend.seed([])
    assert backend.sheet.read() == []
    backend.sheet.write({2: {"Name": "Asha", "Phone Number": "91980"}})
    assert backend.grid()[:2] == [["Name", "Phone Number"], ["Asha", "91980"]]


def test_blank_rows_are_skipped_but_numbering_is_the_sheets(backend: Harness) -> None:
    backend.seed([list(SEED_COLUMNS), ["Asha", "+91980"], [], ["", " "], ["Ravi", "+91981"]])
    assert [lead.row for lead in backend.sheet.read()] == [2, 5]
    backend.sheet.write({5: {"Status": "queued"}})
    assert backend.cell(5, "Status") == "queued"


def test_batch_write_of_many_rows_is_one_request(backend: Harness) -> None:
    backend.seed([list(SEED_COLUMNS)] + [[f"Lead {n}", f"+9198000{n:05d}"] for n in range(2, 32)])
    backend.sheet.read()
    transcript = 'Agent: Hello, is this Asha?\nUser: yes, "Asha" here\n\nAgent: नमस्ते'
    updates = {
        row: {"Status": "completed", "Duration": str(row), "Transcript": transcript, "Summary": f"s{row}"}
        for row in range(2, 32)
    }
    backend.sheet.write(updates)
    leads = backend.sheet.read()
    assert len(leads) == 30
    for lead in leads:
        assert (lead.get("Status"), lead.get("Duration")) == ("completed", str(lead.row))
        assert lead.get("Transcript") == transcript
        assert lead.get("Name") == f"Lead {lead.row}"
    if backend.server is not None:
        assert backend.server.count("values.batchUpdate") == 1
        assert backend.server.count("values.update") == 0


def test_bad_rows_are_refused_before_anything_is_sent(backend: Harness) -> None:
    backend.seed(SEEDED)
    for row in (1, 0, -3):
        with pytest.raises(ValueError, match="rows start at 2"):
            backend.sheet.write({row: {"Status": "x"}})
    assert backend.grid() == tidy(SEEDED)


def test_writer_merges_per_lead_and_flushes_one_batch(backend: Harness) -> None:
    backend.seed(SEEDED)
    backend.sheet.read()
    writer = SheetWriter(backend.sheet, interval=3.0, clock=backend.clock)
    written: list[str] = []
    writer.update(ASHA, {"Status": "initiating", "Notes": "first"}, lambda: written.append("asha 1"))
    writer.update(RAVI, {"Status": "ringing"})
    writer.update(ASHA, {"Status": "completed", "Duration": "42"}, lambda: written.append("asha 2"))
    assert writer.pending() == 2
    report = writer.flush()
    assert writer.pending() == 0
    assert report.rows == {ASHA.key: 2, RAVI.key: 3}
    assert written == ["asha 1", "asha 2"], "every merged update says it was written"
    assert backend.cell(2, "Status") == "completed"
    assert backend.cell(2, "Notes") == "first"
    assert backend.cell(2, "Duration") == "42"
    assert backend.cell(3, "Status") == "ringing"
    if backend.server is not None:
        assert backend.server.count("values.batchUpdate") == 1
    writer.flush()  # nothing pending: no request
    if backend.server is not None:
        assert backend.server.count("values.batchUpdate") == 1


def test_writer_waits_for_its_interval(backend: Harness) -> None:
    backend.seed(SEEDED)
    writer = SheetWriter(backend.sheet, interval=3.0, clock=backend.clock)
    assert writer.maybe_flush() is False  # nothing to send
    writer.update(ASHA, {"Status": "initiated"})
    backend.clock.advance(2.9)
    assert writer.maybe_flush() is False
    assert backend.cell(2, "Status") == ""
    backend.clock.advance(0.1)
    assert writer.maybe_flush() is True
    assert backend.cell(2, "Status") == "initiated"
    writer.update(RAVI, {"Status": "answered"})
    assert writer.maybe_flush() is False  # the interval restarts at each flush
    backend.clock.advance(3.0)
    assert writer.maybe_flush() is True
    assert backend.cell(3, "Status") == "answered"


def test_a_row_that_moved_is_found_and_a_deleted_one_is_left_alone(backend: Harness) -> None:
    backend.seed(SEEDED)
    backend.sheet.read()
    writer = SheetWriter(backend.sheet, interval=1.0, clock=backend.clock)
    # Since the read, someone sorted Ravi above Asha and deleted a lead we have news for.
    backend.seed([SEEDED[0], SEEDED[2], SEEDED[1]])
    gone = phone("+919800000009", 4)
    written: list[str] = []
    writer.update(ASHA, {"Status": "completed"}, lambda: written.append("asha"))
    writer.update(gone, {"Status": "busy"}, lambda: written.append("gone"))
    report = writer.flush()
    assert report.rows == {ASHA.key: 3} and report.gone == {gone.key}
    assert written == ["asha"], "the deleted lead's update is not marked written"
    assert backend.cell(3, "Status") == "completed" and backend.cell(2, "Status") == "failed"
    assert len(backend.grid()) == 3, "nothing was written for the deleted row"


# -- Google only: requests, retries, limits, credentials ---------------------------------------


def test_one_read_is_one_values_get_and_the_token_is_reused(google: Harness) -> None:
    server = google.server
    assert server is not None
    google.seed(SEEDED)
    for _ in range(3):
        google.sheet.read()
    assert server.count("values.get") == 3
    assert server.count("metadata") == 1
    assert server.count("token") == 1
    assert server.token_subjects == ["callpipe-test@callpipe-test.iam.gserviceaccount.com"]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_errors_are_retried_with_backoff(google: Harness, status: int) -> None:
    server = google.server
    assert server is not None
    google.seed(SEEDED)
    server.fail_next(status, 2, kinds={"values.get"})
    start = google.clock.now()
    assert len(google.sheet.read()) == 2
    assert server.count("values.get") == 3
    # Pauses of [0.5, 1] then [1, 2] seconds: backoff, with jitter, on the injected clock.
    assert 1.5 <= google.clock.now() - start <= 3.0


def test_a_batch_is_raw_ranges_of_adjacent_cells(google: Harness) -> None:
    server = google.server
    assert server is not None
    google.seed(SEEDED)
    google.sheet.read()
    google.sheet.write(
        {
            3: {"Name": "=HYPERLINK(1)", "Status": "completed"},
            2: {"Status": "initiated", "Latest Execution ID": "e-1", "Duration": "0"},
        }
    )
    (batch,) = [r.body for r in server.requests if r.kind == "values.batchUpdate"]
    assert batch["valueInputOption"] == "RAW"  # a transcript starting with "=" is never a formula
    assert [(d["range"], d["values"]) for d in batch["data"]] == [
        ("'Sheet1'!C2:E2", [["initiated", "e-1", "0"]]),
        ("'Sheet1'!A3:A3", [["=HYPERLINK(1)"]]),
        ("'Sheet1'!C3:C3", [["completed"]]),
    ]


def test_a_permanent_429_gives_up_after_the_bound(google: Harness) -> None:
    server = google.server
    assert server is not None
    google.seed(SEEDED)
    google.sheet.read()
    server.fail_next(429, 1000, kinds={"values.batchUpdate"})
    start = google.clock.now()
    with pytest.raises(SheetError, match=r"gave up after 6 attempts.*429") as info:
        google.sheet.write({2: {"Status": "initiated"}})
    assert info.value.status == 429 and info.value.retryable
    assert server.count("values.batchUpdate") == 6
    # Five pauses, each capped: 0.5..1, 1..2, 2..4, 4..8, 8..16 seconds; plus, at most, a few
    # seconds of the per-minute rate limit (a write reads the sheet first, to find its rows).
    assert 15.5 <= google.clock.now() - start <= 31.0 + 6.0


def test_retry_after_is_honoured(google: Harness) -> None:
    server = google.server
    assert server is not None
    google.seed(SEEDED)
    google.sheet.read()
    server.fail_next(429, 1, retry_after=7)
    start = google.clock.now()
    google.sheet.read()
    assert google.clock.now() - start >= 7.0


def test_permission_errors_are_not_retried_and_say_what_to_do(google: Harness) -> None:
    server = google.server
    assert server is not None
    server.fail_next(403, 1)
    with pytest.raises(SheetError, match=r"403.*shared with callpipe-test@") as info:
        google.sheet.read()
    assert not info.value.retryable
    assert server.count() - server.count("token") == 1


def test_requests_stay_under_the_per_minute_limit(tmp_path: Path) -> None:
    clock = FakeClock()
    with SheetsServer(SEEDED, clock=clock.now) as server:
        harness = google_harness(tmp_path, clock, server, SHEET_REQUESTS_PER_MINUTE="10")
        start = clock.now()
        for _ in range(40):
            harness.sheet.read()
        times = [r.at for r in server.requests if r.kind != "token"]
    assert len(times) == 41  # the metadata lookup, then one values.get per read
    busiest = max(sum(1 for t in times if s <= t < s + 60.0) for s in times)
    assert busiest <= 10
    # Burst of 1, then 9 per minute: 40 more requests need at least 40 / (9/60) seconds.
    assert clock.now() - start >= 40 / (9 / 60) - 1e-6


def test_writer_keeps_updates_when_a_flush_fails(google: Harness) -> None:
    server = google.server
    assert server is not None
    google.seed(SEEDED)
    google.sheet.read()

    class UpdatedDuringWrite:
        """The real sheet, with a webhook's update arriving while the first batch is in flight."""

        def __init__(self) -> None:
            self.arrivals = [{"Status": "completed"}]

        def read(self) -> list[Lead]:
            return google.sheet.read()

        def write(self, updates: Mapping[int, Mapping[str, str]]) -> None:
            google.sheet.write(updates)

        def write_leads(self, updates: Sequence[LeadUpdate]) -> WriteReport:
            if self.arrivals:
                writer.update(ASHA, self.arrivals.pop())
            return google.sheet.write_leads(updates)

    writer = SheetWriter(UpdatedDuringWrite(), interval=1.0, clock=google.clock)
    writer.update(ASHA, {"Status": "ringing", "Notes": "n1"})
    server.fail_next(403, 1, kinds={"values.batchUpdate"})
    google.clock.advance(1.0)
    assert writer.maybe_flush() is False  # logged, kept
    assert writer.pending() == 1
    assert google.cell(2, "Status") == ""
    server.fail_next(403, 1, kinds={"values.batchUpdate"})
    with pytest.raises(SheetError):
        writer.flush()
    assert writer.pending() == 1
    writer.flush()
    # The update that arrived during the failed write is newer than the batch: it wins.
    assert (google.cell(2, "Status"), google.cell(2, "Notes")) == ("completed", "n1")
    assert writer.pending() == 0
    assert server.count("values.batchUpdate") == 3


def test_the_grid_grows_for_new_columns_and_rows(tmp_path: Path) -> None:
    clock = FakeClock()
    with SheetsServer(SEEDED, row_count=3, col_count=9, clock=clock.now) as server:
        harness = google_harness(tmp_path, clock, server)
        harness.sheet.write({2: {"Email": "asha@example.com"}, 6: {"Name": "Zoya"}})
        assert server.count("batchUpdate") == 1
        assert server.first_tab.col_count >= 10 and server.first_tab.row_count >= 6
        assert harness.cell(2, "Email") == "asha@example.com"
        assert harness.cell(6, "Name") == "Zoya"


def test_overlong_cells_are_cut_to_googles_limit(google: Harness) -> None:
    google.seed(SEEDED)
    google.sheet.write({2: {"Transcript": "x" * 60_000, "Status": "completed"}})
    text = google.cell(2, "Transcript")
    assert len(text) == 50_000 and text.endswith("[truncated]")
    assert google.cell(2, "Status") == "completed"


def test_stale_header_is_read_again_before_writing(google: Harness) -> None:
    server = google.server
    assert server is not None
    google.seed(SEEDED)
    google.sheet.read()
    # Someone moves the Status column to the front after our read.
    server.grid = [["Status", "Name", "Phone Number"], ["", "Asha", "+91980"]]
    google.clock.advance(31)
    google.sheet.write({2: {"Status": "queued"}})
    assert server.grid[1][0] == "queued"


def test_the_url_gid_picks_the_worksheet(tmp_path: Path) -> None:
    clock = FakeClock()
    with SheetsServer([["Name"], ["on the first tab"]], clock=clock.now) as server:
        server.add_tab("Leads 2", [["Name", "Phone Number"], ["Second", "+91982"]], sheet_id=777)
        key = write_service_account(tmp_path / "sa.json")
        url = server.spreadsheet_url.replace("#gid=0", "#gid=777")
        cfg = load_config({"SHEET_URL": url, "CREDENTIALS_FILE": str(key)}, env_file=None)
        sheet = open_sheet(cfg, session=server.session(), clock=clock)
        assert [lead.get("Name") for lead in sheet.read()] == ["Second"]
        sheet.write({2: {"Status": "done"}})
        assert server.tabs["Leads 2"].rows[1][2] == "done"
        assert server.cell(2, 1) == "on the first tab"


def test_credential_problems_never_show_the_key(tmp_path: Path) -> None:
    secret = "-----BEGIN " + "PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END " + "PRIVATE KEY-----\n"
    bad = tmp_path / "bad.json"
    doc = {"type": "service_account", "client_email": "a@b.c", "private_key": secret}
    bad.write_text(json.dumps(doc | {"token_uri": "https://oauth2.googleapis.com/token"}))
    garbled = tmp_path / "garbled.json"
    garbled.write_text('{"private_key": "TOP-SECRET-KEY-MATERIAL", ')
    url = "https://docs.google.com/spreadsheets/d/abc123/edit"
    for path in (bad, garbled):
        cfg = load_config({"SHEET_URL": url, "CREDENTIALS_FILE": str(path)}, env_file=None)
        with pytest.raises(SheetError) as info:
            open_sheet(cfg)
        assert str(path) in str(info.value)
        assert "TOP-SECRET" not in str(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__
    missing = load_config({"SHEET_URL": url, "CREDENTIALS_FILE": str(tmp_path / "nope.json")}, env_file=None)
    with pytest.raises(SheetError, match="does not exist"):
        open_sheet(missing)
    with pytest.raises(SheetError, match="CREDENTIALS_FILE must"):
        open_sheet(load_config({"SHEET_URL": url}, env_file=None))
    key = write_service_account(tmp_path / "sa.json")
    not_a_sheet = load_config({"SHEET_URL": "https://example.com/x", "CREDENTIALS_FILE": str(key)}, env_file=None)
    with pytest.raises(SheetError, match="not a Google Sheets URL"):
        open_sheet(not_a_sheet)
