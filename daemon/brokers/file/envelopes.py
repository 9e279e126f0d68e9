"""Envelopes of the file backend: state/envelopes/<queue>/<inode>.json, apart from the task's bytes.

Keyed by the task file's inode, which a rename keeps and a copy does not: a deferred task
finds its envelope again in whatever folder it is next claimed from, while a copy made for a
replay (`cp done/results/X results/`) is a new file and starts afresh, as a replay should.
An envelope is written before its task moves, and forgotten once the task is settled; one
left behind by a crash in between matches no task and is collected by the hourly clean.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from daemon.broker import Envelope
from daemon.fsutil import atomic_write


class EnvelopeStore:
    def __init__(self, folder: Path, tmp: Path) -> None:
        self.folder = folder
        self.tmp = tmp
        self._prefix = f"{os.fspath(folder)}/"  # every claim looks: a string join, not pathlib's

    def _path(self, ino: int) -> str:
        return f"{self._prefix}{ino}.json"

    def load(self, ino: int) -> Envelope | None:
        path = self._path(ino)
        if not os.access(path, os.F_OK):  # the common case, and cheaper than a failed open()
            return None
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return None
        return Envelope.from_json(raw)

    def save(self, ino: int, envelope: Envelope) -> None:
        atomic_write(self.folder, f"{ino}.json", envelope.to_json(), self.tmp)

    def forget(self, ino: int) -> None:
        """Best effort: a leftover is collected later, and matches no task meanwhile."""
        with contextlib.suppress(OSError):
            os.unlink(self._path(ino))

    def collect(self, live: set[int]) -> int:
        """Remove envelopes whose task is no longer waiting, held or deferred."""
        removed = 0
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return 0
        for entry in entries:
            stem = entry.name.removesuffix(".json")
            if stem.isdigit() and int(stem) not in live:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
        return removed
