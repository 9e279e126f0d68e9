"""Read-only views of the file backend's folders: what waits, runs, waits to retry, died, finished.

A registry never creates, moves or deletes anything, so `status` may run on a machine where
no stage ever ran. Entries that are not files (a folder dropped into `transcripts/`, a FIFO)
are never counted as tasks: they are listed as strays, and the queue dead-letters them.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from daemon import fsutil
from daemon.broker import Entry, QueueSummary, Registry, State
from daemon.brokers.common import parse_reason
from daemon.brokers.file.layout import QueueFolders, folders, locks_dir, queue_names
from daemon.brokers.file.names import is_ignored_name, kind_of

REASON_SUFFIX = ".reason"
REASON_LIMIT = 64 * 1024


class NotRegularError(OSError):
    """A file that is a link, a folder or a device: never followed, never read."""


def read_regular(path: Path, limit: int) -> bytes:
    """The first `limit` bytes of a regular file, never through a symbolic link (ELOOP)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularError(f"{path.name} is {kind_of(mode)}")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit)
    finally:
        os.close(fd)


class FileRegistry(Registry):
    def __init__(self, root: Path, owner_alive: Callable[[str, Path | None], bool] = fsutil.owner_alive) -> None:
        self.root = root
        self._owner_alive = owner_alive

    def queues(self) -> list[str]:
        return queue_names()

    def _alive(self, owner: str) -> bool:
        return bool(owner) and self._owner_alive(owner, locks_dir(self.root))

    # -- entries --------------------------------------------------------------------------

    def _folder(self, f: QueueFolders, state: State) -> Path | None:
        return {
            State.WAITING: f.inbox,
            State.ACTIVE: f.active,
            State.DEFERRED: f.deferred,
            State.DEAD: f.dead,
            State.DONE: f.done,
        }[state]

    def entries(self, queue: str, state: State) -> Iterator[Entry]:
        f = folders(self.root, queue)
        folder = self._folder(f, state)
        if folder is None:
            return
        for dirent in _scan(folder):
            entry = self._entry(queue, state, folder, dirent)
            if entry is not None:
                yield entry

    def _entry(self, queue: str, state: State, folder: Path, dirent: os.DirEntry[str]) -> Entry | None:
        name = dirent.name
        if is_ignored_name(name) or (state is State.DEAD and name.endswith(REASON_SUFFIX)):
            return None
        try:
            st = dirent.stat(follow_symlinks=False)
        except FileNotFoundError:
            return None  # moved on while we looked
        if state is State.ACTIVE:
            task, _, owner = name.rpartition("@")
            if not task:
                task, owner = name, ""
            return Entry(queue, state, task, st.st_mtime, st.st_size, owner=owner, owner_alive=self._alive(owner))
        if state is State.DEFERRED:
            return Entry(queue, state, name, st.st_mtime, st.st_size, due=st.st_mtime)
        if state is State.DEAD:
            reason = _reason(folder / (name + REASON_SUFFIX))
            return Entry(queue, state, name, st.st_mtime, st.st_size, reason=reason)
        if not stat.S_ISREG(st.st_mode) and state is State.WAITING:
            return None  # a stray, not a task: see summary()
        return Entry(queue, state, name, st.st_mtime, st.st_size)

    def read(self, entry: Entry, limit: int) -> bytes:
        f = folders(self.root, entry.queue)
        folder = self._folder(f, entry.state)
        if folder is None:
            raise LookupError(f"{entry.queue} has no {entry.state} tasks")
        file_name = f"{entry.name}@{entry.owner}" if entry.state is State.ACTIVE and entry.owner else entry.name
        try:
            return read_regular(folder / file_name, limit)
        except FileNotFoundError:
            raise LookupError(f"{entry.queue}/{entry.name} moved on") from None

    def locate(self, queue: str, name: str, states: tuple[State, ...] = tuple(State)) -> Entry | None:
        """A direct look at each folder: a stat per state, a listing only of the small active folder."""
        f = folders(self.root, queue)
        for state in states:
            folder = self._folder(f, state)
            if folder is None:
                continue
            if state is State.ACTIVE:
                for dirent in _scan(folder):
                    if dirent.name.rpartition("@")[0] == name:
                        return self._entry(queue, state, folder, dirent)
                continue
            try:
                st = os.lstat(folder / name)
            except FileNotFoundError:
                continue
            if state is State.DEAD:
                reason = _reason(folder / (name + REASON_SUFFIX))
                return Entry(queue, state, name, st.st_mtime, st.st_size, reason=reason)
            if state is State.DEFERRED:
                return Entry(queue, state, name, st.st_mtime, st.st_size, due=st.st_mtime)
            if stat.S_ISREG(st.st_mode):
                return Entry(queue, state, name, st.st_mtime, st.st_size)
        return None

    # -- summary --------------------------------------------------------------------------

    def summary(self, queue: str) -> QueueSummary:
        f = folders(self.root, queue)
        waiting, oldest, stray = 0, None, []
        if f.inbox is not None:
            for dirent in _scan(f.inbox):
                if is_ignored_name(dirent.name):
                    continue
                try:
                    st = dirent.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    stray.append(f"{f.inbox.name}/{dirent.name} is {kind_of(st.st_mode)}")
                    continue
                waiting += 1
                oldest = st.st_mtime if oldest is None else min(oldest, st.st_mtime)
        active = list(self.entries(queue, State.ACTIVE))
        deferred = list(self.entries(queue, State.DEFERRED))
        return QueueSummary(
            waiting=waiting,
            oldest_waiting=oldest,
            active=len(active),
            orphaned=sum(1 for e in active if not e.owner_alive),
            deferred=len(deferred),
            next_due=min((e.due for e in deferred if e.due is not None), default=None),
            dead=_count(f.dead, skip_suffix=REASON_SUFFIX),
            done=_count(f.done) if f.done is not None else 0,
            stray=tuple(stray),
        )


def _scan(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _count(folder: Path, skip_suffix: str = "") -> int:
    return sum(
        1 for d in _scan(folder) if not is_ignored_name(d.name) and not (skip_suffix and d.name.endswith(skip_suffix))
    )


def _reason(path: Path) -> dict[str, str]:
    with contextlib.suppress(OSError):
        return parse_reason(read_regular(path, REASON_LIMIT).decode(errors="replace"))
    return {}
