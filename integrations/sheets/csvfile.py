"""The lead sheet as a local CSV file, shared by the dialer and intake processes.

Every write is a read-modify-write under a lock file next to the CSV, and the new content
replaces the old by an atomic rename, so the two processes never lose each other's updates
and a reader (or a crash) never sees half a file. The file stays friendly to people and
spreadsheet programs: UTF-8, a header row, RFC 4180 quoting (CRLF rows, quoted fields may
hold commas and newlines), and an Excel byte-order mark is kept if the file had one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import filelock

from daemon.fsutil import DIR_MODE, FILE_MODE, fsync_dir
from integrations.sheets.model import SEED_COLUMNS, Layout, Lead, LeadUpdate, SheetError, WriteReport, check_rows
from integrations.sheets.targets import resolve

BOM = "\ufeff"
LOCK_TIMEOUT = 30.0


# A cell starting with one of these runs as a formula in Excel or LibreOffice ("CSV
# injection"). The Google backend writes RAW, which never evaluates; a CSV has no such switch.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A value a spreadsheet program shows as text: a leading apostrophe before a formula start."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def restore(cell: str) -> str:
    """What `neutralise` wrote, read back as the value it stands for."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in FORMULA_STARTS and cell[1:2] else cell


class CsvSheet:
    """A LeadSheet in a CSV file. A missing file is created with the seed's nine headers."""

    def __init__(self, path: Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.path = path
        self._lock = filelock.FileLock(str(path.with_name(path.name + ".lock")), timeout=lock_timeout)

    def read(self) -> list[Lead]:
        with self._locked():
            records, _ = self._load()
        layout = Layout.from_row(records[0] if records else [])
        return layout.leads([[restore(cell) for cell in record] for record in records[1:]])

    def write(self, updates: Mapping[int, Mapping[str, str]]) -> None:
        check_rows(updates)
        if not any(updates.values()):
            return
        with self._locked():
            records, bom = self._load()
            self._apply(records, updates)
            self._store(records, bom)

    def write_leads(self, updates: Sequence[LeadUpdate]) -> WriteReport:
        """Rows found and written under one lock: nobody else's edit can fall in between."""
        report = WriteReport()
        if not any(u.values for u in updates):
            return report
        with self._locked():
            records, bom = self._load()
            layout = Layout.from_row(records[0] if records else [])
            found = resolve(updates, layout.leads([[restore(cell) for cell in r] for r in records[1:]]))
            report.gone, report.rows, report.written = found.gone, found.rows, set(found.rows)
            if found.by_row:
                self._apply(records, found.by_row)
                self._store(records, bom)
        return report

    @staticmethod
    def _apply(records: list[list[str]], updates: Mapping[int, Mapping[str, str]]) -> None:
        layout = Layout.from_row(records[0] if records else [])
        plan = layout.plan(updates)
        records.extend([] for _ in range(plan.height - len(records)))
        for cell in plan.cells:
            record = records[cell.row - 1]
            record.extend([""] * (cell.col - len(record)))
            record[cell.col - 1] = neutralise(cell.value)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            with self._lock:
                yield
        except filelock.Timeout:
            raise SheetError(f"{self.path} is locked by another process", retryable=True) from None

    def _load(self) -> tuple[list[list[str]], bool]:
        """The file's records and whether it starts with a BOM; creates the file if missing."""
        try:
            text = self.path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            self.path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            self._store([list(SEED_COLUMNS)], bom=False)
            return [list(SEED_COLUMNS)], False
        except UnicodeDecodeError as exc:
            raise SheetError(f"{self.path} is not UTF-8 (byte {exc.start}); save it as CSV UTF-8") from None
        except OSError as exc:
            raise SheetError(f"{self.path} cannot be read ({exc.strerror})") from None
        bom = text.startswith(BOM)
        try:
            records = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
        except csv.Error as exc:
            raise SheetError(f"{self.path} is not valid CSV: {exc}") from None
        return records, bom

    def _store(self, records: list[list[str]], bom: bool) -> None:
        """Replace the file atomically: temp file in the same folder, fsync, rename, fsync the folder."""
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\r\n").writerows(records)
        data = ((BOM if bom else "") + out.getvalue()).encode("utf-8")
        folder = self.path.parent
        try:
            mode = self.path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = FILE_MODE  # a sheet of names and numbers: owner only
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fchmod(fh.fileno(), mode)
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            tmp = None
            fsync_dir(folder)
        except OSError as exc:
            raise SheetError(f"{self.path} cannot be written ({exc.strerror})", retryable=True) from None
        finally:
            if tmp is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
