"""The file backend's hourly sweep: what crashed writers leave behind, never a live task.

Entries that are not a stage's file (a folder or a FIFO someone made in tmp/) are reported
once and left alone: they must never take a stage down.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from daemon import fsutil
from daemon.brokers.file.names import kind_of

log = logging.getLogger(__name__)


def temp_files(tmp: Path, locks: Path, reported: set[str]) -> None:
    """Remove the temp files of writers that died mid-write (their owner tag is dead)."""
    with os.scandir(tmp) as it:
        for entry in it:
            if entry.name.startswith("."):
                continue  # not written by a stage (a .gitkeep, say): left alone
            if entry.is_dir(follow_symlinks=False) or not (entry.is_file(follow_symlinks=False) or entry.is_symlink()):
                _report_once(entry, "tmp", reported)
                continue
            owner = entry.name.split(".", 1)[0]
            if not fsutil.owner_alive(owner, locks):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


def owner_locks(locks: Path) -> None:
    """Remove the owner locks of processes that are gone."""
    with os.scandir(locks) as it:
        for entry in it:
            if entry.name.startswith("owner-"):
                fsutil.owner_alive(entry.name[6:-5], locks)  # unlinks a dead owner's lock


def live_inodes(*folders: Path) -> set[int]:
    """The inodes of every task still waiting, held or deferred: their envelopes are live."""
    inodes: set[int] = set()
    for folder in folders:
        with os.scandir(folder) as it:
            for entry in it:
                with contextlib.suppress(OSError):
                    inodes.add(entry.inode())
    return inodes


def _report_once(entry: os.DirEntry[str], where: str, reported: set[str]) -> None:
    key = f"{where}/{entry.name}"
    if key not in reported:
        reported.add(key)
        mode = entry.stat(follow_symlinks=False).st_mode
        log.warning("%s/%s is %s, not a stage's file: left alone", where, entry.name, kind_of(mode))
