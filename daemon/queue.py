"""The durable file queue: put, claim, complete, defer, dead-letter, recover, clean.

Modelled on Maildir and the Postfix queue. A task is a file; its folder is its state:

    inbox/NAME                 waiting (transcripts/, results/)
    active/NAME@OWNER          claimed by the process OWNER (processing/, delivering/)
    done/<queue>/NAME          finished (kept RETENTION_DAYS for replay, then pruned)
    deferred/<queue>/NAME      waiting until its mtime (Postfix's trick)
    dead/<queue>/NAME(.reason) can never succeed; the bytes are kept beside a readable reason

Every move is a rename on one filesystem, so a crash leaves each task in exactly one
folder. The next task comes from an in-memory FIFO index fed by the watcher and by
rescans, so claiming never lists and sorts the folder.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import os
import queue as stdqueue
import stat
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock

from daemon import fsutil
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config
from daemon.layout import ensure
from daemon.logs import task as task_extra
from daemon.redact import redact_urls
from daemon.watcher import FolderWatcher

log = logging.getLogger(__name__)

_SKIPPED_SUFFIXES = (".tmp", ".part", ".swp", "~")
_BAD_NAME = "file name is not allowed: use 1-128 characters of A-Z a-z 0-9 . _ - not starting with ."


@dataclass
class Task:
    name: str
    path: Path
    raw: bytes
    doc: Any
    call_id: str
    claimed_at: float


def call_id_of(doc: Any, name: str) -> str:
    """A best-effort id for log lines: the call's own id, else the file's stem."""
    if isinstance(doc, dict):
        for key in ("call_ref_id", "id"):
            value = doc.get(key)
            if isinstance(value, str | int) and str(value):
                return str(value)[:128].replace("\n", " ")
        payload = doc.get("payload")
        if isinstance(payload, dict) and isinstance(payload.get("call_ref_id"), str):
            return payload["call_ref_id"][:128]
    return name.rsplit(".", 1)[0][:128]


def is_ignored_name(name: str) -> bool:
    """Temp and dot files are someone else's work in progress: skip, never dead-letter."""
    return name.startswith(".") or name.endswith(_SKIPPED_SUFFIXES)


class _Index:
    """FIFO of names with O(1) membership, so duplicates from events and rescans collapse."""

    def __init__(self) -> None:
        self._order: deque[str] = deque()
        self._members: set[str] = set()

    def add(self, name: str) -> None:
        if name not in self._members:
            self._members.add(name)
            self._order.append(name)

    def pop(self) -> str | None:
        while self._order:
            name = self._order.popleft()
            if name in self._members:
                self._members.remove(name)
                return name
        return None

    def __contains__(self, name: str) -> bool:
        return name in self._members

    def __len__(self) -> int:
        return len(self._members)


class FileQueue:
    """One queue: inbox -> active (claimed) -> done, plus deferred/ and dead/."""

    def __init__(
        self,
        cfg: Config,
        inbox: str,
        active: str,
        done: str | None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        watch: bool = True,
    ) -> None:
        root = ensure(cfg)
        self.cfg = cfg
        self.name = inbox
        self.inbox = root / inbox
        self.active = root / active
        self.done = root / done if done else None
        self.deferred = root / "deferred" / inbox
        self.dead = root / "dead" / inbox
        self.tmp = root / "tmp"
        for folder in (self.inbox, self.active, self.deferred, self.dead, self.tmp):
            folder.mkdir(mode=fsutil.DIR_MODE, parents=True, exist_ok=True)
        if self.done:
            self.done.mkdir(mode=fsutil.DIR_MODE, parents=True, exist_ok=True)
        self.clock = clock
        self.owner = fsutil.owner_tag()
        self.wakeup = threading.Event()
        self._locks = root / "state" / "locks"
        fsutil.hold_owner_lock(self._locks)
        # Serialises recoverers; claims need no per-task lock, they run under the owner lock.
        self._recover_lock = FileLock(self._locks / f"{inbox}.lock", thread_local=False)
        self._index = _Index()
        self._events: stdqueue.SimpleQueue[str] = stdqueue.SimpleQueue()
        self._due: list[tuple[float, str]] = []
        self._watcher = FolderWatcher(self.inbox, self._events, self.wakeup) if watch else None
        self._next_rescan = 0.0
        self._next_clean = 0.0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Watch first, then scan, so nothing can fall between the two."""
        if self._watcher:
            self._watcher.start()
        self.recover()
        self.clean()
        self.rescan()

    def stop(self) -> None:
        if self._watcher:
            self._watcher.stop()

    # -- producing -------------------------------------------------------------------------

    def put(self, name: str, data: bytes) -> Path:
        if not fsutil.is_safe_name(name):
            raise ValueError(f"unsafe task name {name!r}")
        path = fsutil.atomic_write(self.inbox, name, data, self.tmp)
        self._index.add(name)
        return path

    # -- consuming -------------------------------------------------------------------------

    def claim(self) -> Task | None:
        """The next task, renamed into the active folder under this process's name."""
        self._tick()
        while True:
            name = self._index.pop()
            if name is None:
                return None
            task = self._try_claim(name)
            if task is not None:
                return task

    def _tick(self) -> None:
        while True:
            try:
                self._index.add(self._events.get_nowait())
            except stdqueue.Empty:
                break
        now = self.clock.now()
        if now >= self._next_rescan:
            self.rescan()
            self.recover()
        if self._due and self._due[0][0] <= now:
            self.promote_deferred()
        if now >= self._next_clean:
            self.clean()

    def _try_claim(self, name: str) -> Task | None:
        if is_ignored_name(name):
            return None
        src = self.inbox / name
        try:
            st = os.lstat(src)
        except FileNotFoundError:
            return None  # another worker claimed it first
        if stat.S_ISLNK(st.st_mode):
            self._dead_letter_path(src, name, "is a symbolic link; links are never followed")
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        if not fsutil.is_safe_name(name):
            self._dead_letter_path(src, name, _BAD_NAME)
            return None
        if st.st_size > self.cfg.max_task_bytes:
            limit = self.cfg.max_task_bytes
            reason = f"file is {st.st_size} bytes; the limit is MAX_TASK_BYTES={limit}"
            self._dead_letter_path(src, name, reason)
            return None
        dest = self.active / f"{name}@{self.owner}"
        try:
            os.rename(src, dest)  # atomic: of several racing workers exactly one succeeds
        except FileNotFoundError:
            return None
        now = self.clock.now()
        try:
            fd = os.open(dest, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as fh:
                raw = fh.read(self.cfg.max_task_bytes + 1)
        except OSError as exc:
            self._dead_letter_path(dest, name, f"could not be read: {exc.strerror}")
            return None
        if len(raw) > self.cfg.max_task_bytes:
            self._dead_letter_path(dest, name, f"file grew past MAX_TASK_BYTES={self.cfg.max_task_bytes}")
            return None
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            if now - st.st_mtime < self.cfg.settle_seconds:
                # A writer that is not atomic (cp, an editor) may still be writing: look again soon.
                self._defer_path(dest, name, now + self.cfg.settle_seconds)
                return None
            self._dead_letter_path(dest, name, f"not valid JSON: {exc}")
            return None
        return Task(name=name, path=dest, raw=raw, doc=doc, call_id=call_id_of(doc, name), claimed_at=now)

    def complete(self, task: Task) -> None:
        if self.done is None:
            os.unlink(task.path)
            fsutil.fsync_dir(self.active)
            return
        fsutil.durable_rename(task.path, self.done / task.name)

    def defer(self, task: Task, until: float, data: bytes | None = None) -> None:
        """Hide the task until `until`; with `data`, the deferred copy carries new bytes."""
        if data is None:
            self._defer_path(task.path, task.name, until)
            return
        name = fsutil.unique_path(self.deferred, task.name).name
        fsutil.atomic_write(self.deferred, name, data, self.tmp, mtime=until)
        os.unlink(task.path)
        heapq.heappush(self._due, (until, name))

    def dead_letter(self, task: Task, reason: str) -> Path:
        return self._dead_letter_path(task.path, task.name, reason, call_id=task.call_id)

    # -- deferral ----------------------------------------------------------------------------

    def _defer_path(self, path: Path, name: str, until: float) -> None:
        os.utime(path, (until, until))
        dest = fsutil.unique_path(self.deferred, name)
        fsutil.durable_rename(path, dest)
        heapq.heappush(self._due, (until, dest.name))

    def promote_deferred(self, *, all_now: bool = False) -> int:
        """Move due deferred tasks (or every one, when the far side is back) into the inbox."""
        if all_now:
            self._scan_deferred()
        now = self.clock.now()
        moved = 0
        while self._due and (all_now or self._due[0][0] <= now):
            _, name = heapq.heappop(self._due)
            src = self.deferred / name
            dest = fsutil.unique_path(self.inbox, name)
            try:
                os.rename(src, dest)
            except FileNotFoundError:
                continue  # another worker promoted it
            moved += 1
            self._index.add(dest.name)
        if moved:
            fsutil.fsync_dir(self.inbox)
            self.wakeup.set()
        return moved

    def _scan_deferred(self) -> None:
        due = []
        with os.scandir(self.deferred) as it:
            for entry in it:
                if not is_ignored_name(entry.name):
                    with contextlib.suppress(FileNotFoundError):
                        due.append((entry.stat(follow_symlinks=False).st_mtime, entry.name))
        heapq.heapify(due)
        self._due = due

    # -- dead letters ------------------------------------------------------------------------

    def _dead_letter_path(self, path: Path, name: str, reason: str, call_id: str | None = None) -> Path:
        reason = redact_urls(reason)  # a reason may quote an error holding a URL with its key
        safe = name if fsutil.is_safe_name(name) else _sanitize(name)
        dest = fsutil.unique_path(self.dead, safe)
        os.rename(path, dest)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(self.clock.now()))
        lines = [
            f"reason: {reason}",
            f"queue: {self.name}",
            f"file: {name!r}" if safe != name else f"file: {name}",
            f"call_id: {call_id or '-'}",
            f"time: {stamp}",
        ]
        fsutil.atomic_write(self.dead, dest.name + ".reason", ("\n".join(lines) + "\n").encode(), self.tmp)
        log.warning("dead-lettered %s: %s", dest.name, reason, extra=task_extra(call_id or safe, "dead-letter"))
        return dest

    # -- scanning, recovery, cleaning --------------------------------------------------------

    def rescan(self) -> int:
        """Index every waiting file the events missed, oldest first."""
        self._next_rescan = self.clock.now() + self.cfg.rescan_seconds
        found = []
        with os.scandir(self.inbox) as it:
            for entry in it:
                if entry.name not in self._index and not is_ignored_name(entry.name):
                    try:
                        found.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
                    except FileNotFoundError:
                        continue
        found.sort()
        for _, name in found:
            self._index.add(name)
        self._scan_deferred()
        if found:
            self.wakeup.set()
        return len(found)

    def recover(self) -> int:
        """Send tasks whose owner has died back to the inbox. A live owner's task is never touched."""
        moved = 0
        with self._recover_lock, os.scandir(self.active) as it:
            for entry in it:
                if is_ignored_name(entry.name):
                    continue  # a .gitkeep or an editor's file: nobody's task
                name, _, owner = entry.name.rpartition("@")
                if not name:
                    name, owner = entry.name, ""  # dropped here by hand: nobody owns it
                if owner == self.owner or (owner and fsutil.owner_alive(owner, self._locks)):
                    continue
                dest = fsutil.unique_path(self.inbox, name)
                try:
                    os.rename(entry.path, dest)
                except FileNotFoundError:
                    continue
                moved += 1
                self._index.add(dest.name)
                log.warning("recovered from dead owner %s", owner or "-", extra=task_extra(name, "recovered"))
        if moved:
            fsutil.fsync_dir(self.inbox)
            self.wakeup.set()
        return moved

    def clean(self) -> None:
        """Remove temp files of dead writers and their owner locks; prune done tasks past RETENTION_DAYS."""
        now = self.clock.now()
        self._next_clean = now + 3600
        with os.scandir(self.tmp) as it:
            for entry in it:
                if entry.name.startswith("."):
                    continue  # not written by a stage (a .gitkeep, say): left alone
                owner = entry.name.split(".", 1)[0]
                if not fsutil.owner_alive(owner, self._locks):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
        with os.scandir(self._locks) as it:
            for entry in it:
                if entry.name.startswith("owner-"):
                    fsutil.owner_alive(entry.name[6:-5], self._locks)  # unlinks a dead owner's lock
        if self.done is None or self.cfg.retention_days <= 0:
            return
        fsutil.prune(self.done, now - self.cfg.retention_days * 86400)

    def depth(self) -> int:
        return len(self._index)


def _sanitize(name: str) -> str:
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
    cleaned = cleaned.lstrip(".") or "unnamed"
    return cleaned[:100]


def encode(doc: Any) -> bytes:
    """How every stage writes task JSON: compact, UTF-8, keys in insertion order."""
    return orjson.dumps(doc)
