"""The Google backend against a sheet as people keep it: typed numbers with their own display
formats, a protected header, a protected or validated cell in the middle of a batch, and an
operator who sorts, inserts, deletes and drags columns between our read and our write.

The real gspread client and google-auth talk to tests/fakes/sheets_server.py over HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from calls.phones import to_e164
from calls.rows import lead_target
from daemon.clock import FakeClock
from integrations.sheets import SEED_COLUMNS, SheetWriter
from integrations.sheets.partial import RECHECK_AFTER
from tests.fakes.sheets_operator import delete_rows_where, insert_row, move_column, sort_rows
from tests.fakes.sheets_server import SheetsServer
from tests.test_sheets_backends import Harness, google_harness

PHONES = [9900000011, 9900000012, 9900000013, 9900000014, 9900000015]
NAMES = ["Esha", "Dev", "Chitra", "Bala", "Anil"]  # reverse alphabetical: a sort reorders them all


def grid() -> list[list[object]]:
    rows: list[list[object]] = [list(SEED_COLUMNS)]
    rows += [[name, phone] for name, phone in zip(NAMES, PHONES, strict=True)]
    return rows


@pytest.fixture
def server() -> Iterator[SheetsServer]:
    clock = FakeClock()
    with SheetsServer(grid(), clock=clock.now) as fake:
        fake.clock_obj = clock  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def google(server: SheetsServer, tmp_path: Path) -> Harness:
    return google_harness(tmp_path, server.clock_obj, server)  # type: ignore[attr-defined]


def e164(n: int) -> str:
    return f"+91{n}"


def target(n: int, hint: int | None = None, execution_id: str = ""):  # type: ignore[no-untyped-def]
    return lead_target(e164(n), "IN", hint=hint, execution_id=execution_id)


def row_of(server: SheetsServer, name: str) -> list[object]:
    col = server.grid[0].index("Name")
    return next(r for r in server.grid[1:] if len(r) > col and r[col] == name)


def cell(server: SheetsServer, name: str, header: str) -> object:
    row = row_of(server, name)
    col = server.grid[0].index(header)
    return row[col] if col < len(row) else ""


# -- typed phone numbers -----------------------------------------------------------------------


@pytest.mark.parametrize("number_format", ["indian", "scientific", None])
def test_numbers_typed_into_the_phone_column_dial_the_right_number(
    server: SheetsServer, google: Harness, number_format: str | None
) -> None:
    if number_format:
        server.first_tab.formats[2] = number_format
    shown = server._values_get("Sheet1!B2")["values"][0][0]  # what a person sees (FORMATTED_VALUE)
    assert shown == {"indian": "9,90,00,00,011", "scientific": "9.90E+09", None: "9900000011"}[number_format]
    leads = google.sheet.read()
    assert [to_e164(lead.get("Phone Number"), "IN") for lead in leads] == [e164(n) for n in PHONES]
    [get] = [r for r in server.requests if r.kind == "values.get"]
    assert "valueRenderOption=UNFORMATTED_VALUE" in get.path


# -- an operator at work between our read and our write ---------------------------------------


def test_rows_sorted_inserted_and_a_column_moved_after_the_read(server: SheetsServer, google: Harness) -> None:
    leads = google.sheet.read()  # the dialer's read: Esha in row 2 ... Anil in row 6
    hints = {lead.get("Name"): lead.row for lead in leads}
    writer = SheetWriter(google.sheet, interval=1.0, clock=google.clock)
    with server.lock:
        sort_rows(server.first_tab, "Name")  # Anil, Bala, Chitra, Dev, Esha
        insert_row(server.first_tab, 2, ["Zara", 9900000099])
        move_column(server.first_tab, "Status", 1)
    for name, number in zip(NAMES, PHONES, strict=True):
        writer.update(target(number, hints[name]), {"Status": f"done-{name}", "Notes": name})
    report = writer.flush()
    assert report.gone == set()
    for name in NAMES:
        assert cell(server, name, "Status") == f"done-{name}"
        assert cell(server, name, "Notes") == name
    assert cell(server, "Zara", "Status") == "", "the inserted row is left alone"
    assert server.grid[0][0] == "Status" and server.grid[0][1] == "Name"


def test_a_deleted_row_gets_nothing_and_is_logged_once(
    server: SheetsServer, google: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    google.sheet.read()
    writer = SheetWriter(google.sheet, interval=1.0, clock=google.clock)
    with server.lock:
        delete_rows_where(server.first_tab, "Name", "Chitra")
    before = [list(r) for r in server.grid]
    done: list[int] = []
    for _ in range(2):
        writer.update(target(PHONES[2], 4), {"Status": "completed"}, lambda: done.append(1))
        report = writer.flush()
        assert report.gone == {e164(PHONES[2])} and report.written == set()
    assert server.grid == before and done == []
    assert server.count("values.batchUpdate") == 0
    assert sum("no row of the lead sheet holds" in r.getMessage() for r in caplog.records) == 1


def test_the_execution_id_picks_between_two_rows_with_one_number(server: SheetsServer, google: Harness) -> None:
    with server.lock:
        insert_row(server.first_tab, 2, ["Esha (copy)", PHONES[0], "", "ex-other"])
        server.first_tab.rows[2] += ["", "ex-mine"]  # Esha's own row, now row 3
        server.first_tab.rows[2][3] = "ex-mine"
    writer = SheetWriter(google.sheet, 1.0, google.clock)
    writer.update(target(PHONES[0], hint=2, execution_id="ex-mine"), {"Status": "completed"})
    assert writer.flush().rows == {e164(PHONES[0]): 3}
    assert cell(server, "Esha", "Status") == "completed" and cell(server, "Esha (copy)", "Status") == ""


# -- protected ranges and validation rules ----------------------------------------------------


def test_a_protected_header_refuses_new_columns_once_and_the_rest_is_written(
    server: SheetsServer, google: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    server.protect(1, 1, 1, 26, "headers: ask Priya")
    writer = SheetWriter(google.sheet, interval=1.0, clock=google.clock)
    caplog.set_level(logging.INFO)
    for n in range(3):
        writer.update(target(PHONES[0], 2), {"Status": f"s{n}", "Customer Name": "Esha", "Model": "Creta"})
        report = writer.flush()
        assert cell(server, "Esha", "Status") == f"s{n}"
    assert set(report.refused_columns) == {"Customer Name", "Model"}
    assert server.grid[0] == list(SEED_COLUMNS), "the header is untouched"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all("protected" in r.getMessage() for r in errors), "once per column"
    header_writes = [r for r in server.requests if r.kind == "values.batchUpdate" and "!J1" in str(r.body)]
    assert len(header_writes) == 2, "tried once, split once to name the refused column, never again"
    [problem] = writer.problems()
    assert "Customer Name, Model" in problem and "protected" in problem


def test_a_protected_cell_mid_batch_blocks_only_itself(
    server: SheetsServer, google: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    status = SEED_COLUMNS.index("Status") + 1
    server.protect(4, status, 4, status)  # Chitra's Status cell
    writer = SheetWriter(google.sheet, interval=1.0, clock=google.clock)
    for row, number in enumerate(PHONES, start=2):
        writer.update(target(number, row), {"Status": "completed", "Duration": str(row)})
    report = writer.flush()
    assert report.written == {e164(n) for n in PHONES}
    for name in NAMES:
        assert cell(server, name, "Status") == ("" if name == "Chitra" else "completed")
        assert cell(server, name, "Duration") != ""
    [blocked] = report.newly_blocked
    assert (blocked.row, blocked.column) == (4, "Status") and "protected cell" in blocked.reason
    writes = server.count("values.batchUpdate")
    assert writes <= 1 + 2 * 4, "halving finds one bad cell among 10 in a few requests"

    # The next batch leaves the refused cell out: no 400, no second error line.
    for row, number in enumerate(PHONES, start=2):
        writer.update(target(number, row), {"Status": "stopped"})
    report = writer.flush()
    assert server.count("values.batchUpdate") == writes + 1
    assert report.newly_blocked == [] and [str(b) for b in report.blocked] == [str(blocked)]
    assert "refuses 1 cell(s)" in writer.problems()[0] and "row 4 Status" in writer.problems()[0]
    assert sum("refused row 4 Status" in r.getMessage() for r in caplog.records) == 1

    # Much later it is tried once more: still protected, still reported, still not logged again.
    google.clock.advance(RECHECK_AFTER + 1)
    writer.update(target(PHONES[2], 4), {"Status": "busy"})
    assert writer.flush().blocked and server.count("values.batchUpdate") == writes + 2
    assert sum("refused row 4 Status" in r.getMessage() for r in caplog.records) == 1


def test_a_validation_rule_refuses_one_value_and_the_rest_lands(server: SheetsServer, google: Harness) -> None:
    status = SEED_COLUMNS.index("Status") + 1
    server.validate(status, {"completed", "busy", "no-answer"})
    writer = SheetWriter(google.sheet, interval=1.0, clock=google.clock)
    writer.update(target(PHONES[0], 2), {"Status": "completed"})
    writer.update(target(PHONES[1], 3), {"Status": "call-disconnected", "Notes": "kept"})
    report = writer.flush()
    assert cell(server, "Esha", "Status") == "completed"
    assert (cell(server, "Dev", "Status"), cell(server, "Dev", "Notes")) == ("", "kept")
    [blocked] = report.blocked
    assert "validation" in blocked.reason and blocked.row == 3
