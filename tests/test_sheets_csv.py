"""The CSV backend on a real filesystem: the bytes people see, atomic replacement, two writers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import filelock
import pytest

from integrations.sheets import SEED_COLUMNS, CsvSheet, SheetError

REPO = Path(__file__).resolve().parents[1]
HEADER_LINE = ",".join(SEED_COLUMNS).encode() + b"\r\n"


def test_missing_file_is_created_with_the_seed_headers(tmp_path: Path) -> None:
    path = tmp_path / "data" / "leads.csv"
    assert CsvSheet(path).read() == []
    assert path.read_bytes() == HEADER_LINE
    assert path.stat().st_mode & 0o777 == 0o600  # names and numbers: owner only


def test_file_stays_readable_rfc4180_utf8(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    sheet = CsvSheet(path)
    sheet.read()
    transcript = 'Agent: Hello, sir\nUser: "haan", bolo\r\nAgent: धन्यवाद'
    sheet.write({2: {"Name": "Asha", "Phone Number": "+919800000001", "Transcript": transcript}})
    # The number is written by hand here; the apostrophe keeps a spreadsheet from reading "+91..." as a formula.
    expected_row = 'Asha,\'+919800000001,,,,,,"Agent: Hello, sir\nUser: ""haan"", bolo\r\nAgent: धन्यवाद"\r\n'
    assert path.read_bytes() == HEADER_LINE + expected_row.encode("utf-8")
    (lead,) = sheet.read()
    assert lead.get("Transcript") == transcript


def test_excel_bom_and_file_mode_survive_a_write(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes("\ufeffName,Phone Number\r\nAsha,+91980\r\n".encode())
    path.chmod(0o640)
    sheet = CsvSheet(path)
    assert sheet.read()[0].get("Name") == "Asha"  # the BOM is not part of the first header
    sheet.write({2: {"Status": "queued"}})
    assert path.read_bytes() == "\ufeffName,Phone Number,Status\r\nAsha,+91980,queued\r\n".encode()
    assert path.stat().st_mode & 0o777 == 0o640


def test_writes_replace_the_file_and_leave_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    sheet = CsvSheet(path)
    sheet.read()
    before = path.stat().st_ino
    for n in range(5):
        sheet.write({2 + n: {"Name": f"Lead {n}"}})
    assert path.stat().st_ino != before  # a new file renamed into place, not rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.csv", "leads.csv.lock"]


def test_a_held_lock_becomes_a_retryable_error(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    sheet = CsvSheet(path, lock_timeout=0.05)
    held = filelock.FileLock(str(path) + ".lock")
    with held, pytest.raises(SheetError, match="locked by another process") as info:
        sheet.write({2: {"Name": "x"}})
    assert info.value.retryable
    sheet.write({2: {"Name": "x"}})
    assert sheet.read()[0].get("Name") == "x"


def test_a_non_utf8_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes("Name\r\nJos\xe9\r\n".encode("latin-1"))
    with pytest.raises(SheetError, match="not UTF-8"):
        CsvSheet(path).read()
    assert path.read_bytes() == "Name\r\nJos\xe9\r\n".encode("latin-1")  # left as it was


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from integrations.sheets import CsvSheet

    path, column, tag, go = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
    sheet = CsvSheet(path)
    while not go.exists():
        time.sleep(0.005)
    for row in range(2, 42):
        sheet.read()
        sheet.write({row: {column: f"{tag}{row}"}})
    """
)


def test_two_processes_writing_lose_no_updates(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    CsvSheet(path).read()
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), column, tag, str(go)], cwd=REPO, env=env)
        for column, tag in (("Status", "s"), ("Notes", "n"))
    ]
    time.sleep(0.3)  # both importing; the go file starts them together
    go.touch()
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    leads = {lead.row: lead for lead in CsvSheet(path).read()}
    assert sorted(leads) == list(range(2, 42))
    for row, lead in leads.items():
        assert (lead.get("Status"), lead.get("Notes")) == (f"s{row}", f"n{row}")


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+91 99", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_value_that_would_run_as_a_formula_is_written_as_text(tmp_path: Path, value: str) -> None:
    """CSV injection: a spreadsheet program runs a cell starting with = + - @ tab or CR. The file holds
    it behind an apostrophe (text to Excel and LibreOffice); callpipe reads back the value itself."""
    import csv
    import io

    path = tmp_path / "leads.csv"
    sheet = CsvSheet(path)
    sheet.read()
    sheet.write({2: {"Summary": value, "Notes": "plain text"}})
    header, row = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    cells = dict(zip(header, row, strict=False))
    assert cells["Summary"] == "'" + value
    assert cells["Notes"] == "plain text"
    assert sheet.read()[0].get("Summary") == value
