"""The folder door: with BROKER=jetstream, DATA_DIR/transcripts/ and results/ stay drop boxes.

A JSON file dropped there (by another telephony agent, a script, an operator's `cp`) is
published into its queue once, then moved to done/<queue>/, as the file backend would leave
it: existing integrations, and replay by copying a file back, keep working. The consuming
stages of each host run the door of their queue.

Exactly once: the message id is the file's identity (queue, name, inode, modification time).
A crash between the publish and the move publishes the same identity again, which JetStream
drops within its duplicate window; past it, a file whose finished copy in DONE carries the same
identity is only moved. A fresh copy of a file (a replay) is a new inode: a new identity.

Entries the door cannot take (not a regular file, a link, a name that is not a task name, a
file over MAX_TASK_BYTES) are left where they are, logged once, and shown by `status`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue as stdqueue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from daemon import fsutil
from daemon.broker import Published
from daemon.brokers.file.layout import folders
from daemon.brokers.file.names import is_ignored_name, not_a_task
from daemon.brokers.file.watcher import FolderWatcher
from daemon.brokers.jetstream import ops
from daemon.brokers.jetstream.layout import ORIGIN

if TYPE_CHECKING:
    from daemon.brokers.jetstream import JetStreamBroker

log = logging.getLogger(__name__)

PER_TICK = 200  # files taken in per receive(), so a flood of drops never starves the stage


@dataclass(frozen=True)
class Refusal:
    name: str
    why: str


def identity(queue: str, name: str, st: os.stat_result) -> str:
    return f"door.{queue}.{name}.{st.st_ino}.{st.st_mtime_ns}"


def refusal(name: str, st: os.stat_result, max_bytes: int) -> str | None:
    """Why the door will not take this entry, or None."""
    if (why := not_a_task(st.st_mode)) is not None:
        return why
    if not fsutil.is_safe_name(name):
        return "its name is not a task name: use 1-128 characters of A-Z a-z 0-9 . _ - not starting with ."
    if st.st_size > max_bytes:
        return f"is {st.st_size} bytes; the limit is MAX_TASK_BYTES={max_bytes}"
    return None


def waiting_files(root: Path, queue: str, max_bytes: int) -> tuple[list[float], list[Refusal]]:
    """For `status`: the mtimes of files waiting for the door, and the entries it refuses."""
    inbox = folders(root, queue).inbox
    times: list[float] = []
    refused: list[Refusal] = []
    if inbox is None:
        return times, refused
    with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(inbox) as it:
        for entry in it:
            if is_ignored_name(entry.name):
                continue
            with contextlib.suppress(FileNotFoundError):
                st = entry.stat(follow_symlinks=False)
                why = refusal(entry.name, st, max_bytes)
                if why is None:
                    times.append(st.st_mtime)
                else:
                    refused.append(Refusal(f"{inbox.name}/{entry.name}", why))
    return times, refused


class FolderDoor:
    def __init__(self, broker: JetStreamBroker, queue: str, wakeup: threading.Event) -> None:
        f = folders(broker.cfg.data_dir, queue)
        if f.inbox is None or f.done is None:
            raise ValueError(f"{queue} has no folder to drop tasks into")
        self.broker = broker
        self.queue = queue
        self.inbox, self.done = f.inbox, f.done
        for folder in (self.inbox, self.done):
            folder.mkdir(mode=fsutil.DIR_MODE, parents=True, exist_ok=True)
        self._events: stdqueue.SimpleQueue[str] = stdqueue.SimpleQueue()
        self._pending: dict[str, bool] = {}  # name -> found by a scan (maybe a crash's leftover)
        self._refused: set[tuple[str, int]] = set()
        self._next_scan = 0.0
        self._watcher = FolderWatcher(self.inbox, self._events, wakeup)
        self._watcher.start()

    def close(self) -> None:
        self._watcher.stop()

    def tick(self) -> None:
        while True:
            try:
                self._pending.setdefault(self._events.get_nowait(), False)
            except stdqueue.Empty:
                break
        if time.monotonic() >= self._next_scan:
            self._next_scan = time.monotonic() + self.broker.cfg.rescan_seconds
            for name in self._scan():
                self._pending[name] = True
        for name in list(self._pending)[:PER_TICK]:
            scanned = self._pending.pop(name)
            if not is_ignored_name(name):
                self._admit(name, scanned)

    def _scan(self) -> list[str]:
        found = []
        with os.scandir(self.inbox) as it:
            for entry in it:
                with contextlib.suppress(FileNotFoundError):
                    found.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
        return [name for _, name in sorted(found)]

    def _admit(self, name: str, scanned: bool) -> None:
        path = self.inbox / name
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return  # another door took it
        cfg = self.broker.cfg
        why = refusal(name, st, cfg.max_task_bytes)
        if why is not None:
            if (name, st.st_ino) not in self._refused:
                self._refused.add((name, st.st_ino))
                log.warning("%s/%s %s: left where it is", self.inbox.name, name, why)
            return
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as fh:
                data = fh.read(cfg.max_task_bytes + 1)
        except FileNotFoundError:
            return
        if cfg.settle_seconds and time.time() - st.st_mtime < cfg.settle_seconds and not _is_json(data):
            self._pending.setdefault(name, scanned)  # a plain `cp` may still be writing: look again
            return
        ident = identity(self.queue, name, st)
        if not (scanned and self._ran_already(name, ident)):
            outcome = self.broker.publish(self.queue, name, data, msg_id=ident, origin=ident)
            if outcome is Published.CONFLICT:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)  # its bytes are safe as a dead letter, beside the reason
                return
        with contextlib.suppress(FileNotFoundError):
            os.rename(path, self.done / name)
            fsutil.fsync_dir(self.done)

    def _ran_already(self, name: str, ident: str) -> bool:
        """The finished copy of this name came from this very file: only the move was left."""
        link, layout = self.broker.link, self.broker.layout
        stored = link.call(ops.last(link.js, layout.done_stream, layout.done(self.queue, name)))
        return stored is not None and stored.headers.get(ORIGIN) == ident


def _is_json(data: bytes) -> bool:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return True
