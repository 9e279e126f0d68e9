"""One durable file queue: publish, claim, ack, defer, dead-letter, release, recover, clean.

Modelled on Maildir and the Postfix queue. A task is a file; its folder is its state:

    inbox/NAME                 waiting (transcripts/, results/)
    active/NAME@OWNER          claimed by the process OWNER (processing/, delivering/)
    done/<queue>/NAME          finished (kept RETENTION_DAYS for replay, then pruned)
    deferred/<queue>/NAME      waiting until its mtime (Postfix's trick)
    dead/<queue>/NAME(.reason) can never succeed; the bytes are kept beside a readable reason

Every move is a rename on one filesystem, so a crash leaves each task in exactly one folder.
The next task comes from an in-memory FIFO index fed by the watcher and by rescans, so
claiming never lists and sorts the folder. Failures of the machine (a full disk, a folder
made read-only) raise UnavailableError and never dead-letter a task.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue as stdqueue
import threading
from collections.abc import Callable
from pathlib import Path

import orjson
from filelock import FileLock

from daemon import fsutil
from daemon.broker import Envelope, Message, Published, SameTask
from daemon.brokers.file import sweep
from daemon.brokers.file.due import DueTimes
from daemon.brokers.file.envelopes import EnvelopeStore
from daemon.brokers.file.layout import QueueFolders, locks_dir, tmp_dir
from daemon.brokers.file.names import BAD_NAME, NameIndex, is_ignored_name, not_a_task, sanitize
from daemon.brokers.file.problems import unavailable
from daemon.brokers.file.watcher import FolderWatcher
from daemon.brokers.file.writes import publish_task, reason_text, write_reason
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config
from daemon.logs import task as task_extra
from daemon.redact import redact_urls

log = logging.getLogger(__name__)

CLEAN_INTERVAL = 3600.0


class FileMessage(Message):
    def __init__(self, owner: FileQueue, path: str, ino: int, enveloped: bool, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self._queue = owner
        self.path = path  # active/NAME@OWNER
        self.ino = ino
        self.enveloped = enveloped  # its envelope was on disk when claimed: forget it once settled

    def _ack(self) -> None:
        self._queue.ack(self)

    def _defer(self, until: float, envelope: Envelope) -> None:
        self._queue.defer(self, until, envelope)

    def _dead_letter(self, reason: str) -> None:
        self._queue.dead_letter(self, reason)

    def _release(self, delay: float) -> None:
        self._queue.release(self, delay)


class FileQueue:
    """One queue: inbox -> active (claimed) -> done, plus deferred/ and dead/."""

    def __init__(self, cfg: Config, f: QueueFolders, *, clock: Clock = SYSTEM_CLOCK, watch: bool = True) -> None:
        if f.inbox is None or f.active is None:
            raise ValueError(f"queue {f.queue} holds dead letters only: it cannot be consumed")
        self.cfg = cfg
        self.name = f.queue
        self.f = f
        self.inbox: Path = f.inbox
        self.active: Path = f.active
        # The claim path joins strings: pathlib's joins were a fifth of the CPU a task costs here.
        self._inbox_str, self._active_str = os.fspath(f.inbox), os.fspath(f.active)
        self.root = cfg.data_dir
        self.tmp = tmp_dir(self.root)
        self.clock = clock
        self.owner = fsutil.owner_tag()
        self.wakeup = threading.Event()
        self.envelopes = EnvelopeStore(f.envelopes, self.tmp)
        self._locks = locks_dir(self.root)
        fsutil.hold_owner_lock(self._locks)
        # Serialises recoverers; claims need no per-task lock, they run under the owner lock.
        self._recover_lock = FileLock(self._locks / f"{f.queue}.lock", thread_local=False)
        self._index = NameIndex()
        self._events: stdqueue.SimpleQueue[str] = stdqueue.SimpleQueue()
        self._due = DueTimes(clock)
        self._watcher = FolderWatcher(self.inbox, self._events, self.wakeup) if watch else None
        self._next_rescan = 0.0  # monotonic
        self._next_clean = 0.0  # monotonic
        self._stranded: list[tuple[FileMessage, Callable[[], None]]] = []  # settlements to do again
        self._reported: set[str] = set()  # stray entries already reported once

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

    def publish(self, name: str, data: bytes, same: SameTask | None = None) -> Published:
        """Into the inbox, never over a waiting task of the same name."""
        try:
            outcome = publish_task(self.f, self.tmp, name, data, self.cfg.max_task_bytes, same, self.clock.now())
        except OSError as exc:
            raise unavailable(exc, self.root) from exc
        if outcome is Published.NEW:
            self._index.add(name)
            self.wakeup.set()
        return outcome

    # -- consuming -------------------------------------------------------------------------

    def claim(self) -> FileMessage | None:
        """The next task, renamed into the active folder under this process's name."""
        self._tick()
        while True:
            name = self._index.pop()
            if name is None:
                return None
            message = self._try_claim(name)
            if message is not None:
                return message

    def _tick(self) -> None:
        while True:
            try:
                self._index.add(self._events.get_nowait())
            except stdqueue.Empty:
                break
        mono = self.clock.monotonic()
        if mono >= self._next_rescan:
            self.rescan()
            self.recover()
        if self._due.due_now():
            self.promote_deferred()
        if mono >= self._next_clean:
            self.clean()

    def _try_claim(self, name: str) -> FileMessage | None:
        if is_ignored_name(name):
            return None
        src = f"{self._inbox_str}/{name}"
        try:
            st = os.lstat(src)
        except FileNotFoundError:
            return None  # another worker claimed it first
        why = not_a_task(st.st_mode)
        if why is not None:
            self._dead_letter_path(src, name, why)
            return None
        if not fsutil.is_safe_name(name):
            self._dead_letter_path(src, name, BAD_NAME)
            return None
        if st.st_size > self.cfg.max_task_bytes:
            limit = self.cfg.max_task_bytes
            self._dead_letter_path(src, name, f"file is {st.st_size} bytes; the limit is MAX_TASK_BYTES={limit}")
            return None
        dest = f"{self._active_str}/{name}@{self.owner}"
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
            # Unreadable (permissions, I/O): the machine's fault, not the task's. Put it back.
            with contextlib.suppress(OSError):
                self._defer_path(dest, name, now + 30)
            raise unavailable(exc, self.root) from exc
        if len(raw) > self.cfg.max_task_bytes:
            self._dead_letter_path(dest, name, f"file grew past MAX_TASK_BYTES={self.cfg.max_task_bytes}")
            return None
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            if self.cfg.settle_seconds and now - st.st_mtime < self.cfg.settle_seconds:
                # A writer that is not atomic (cp, an editor) may still be writing: look again soon.
                self._defer_path(dest, name, now + self.cfg.settle_seconds)
                return None
            self._dead_letter_path(dest, name, f"not valid JSON: {exc}")
            return None
        kept = self.envelopes.load(st.st_ino)
        envelope = kept or Envelope(published_at=st.st_mtime)
        envelope.owner = self.owner
        return FileMessage(self, dest, st.st_ino, kept is not None, self.name, name, raw, doc, envelope)

    def ack(self, message: FileMessage) -> None:
        def move() -> None:
            if self.f.done is None:
                os.unlink(message.path)
                fsutil.fsync_dir(self.active)
            else:
                fsutil.durable_rename(message.path, self.f.done / message.name)
            if message.enveloped:
                self.envelopes.forget(message.ino)

        self._settle(message, move)

    def defer(self, message: FileMessage, until: float, envelope: Envelope) -> None:
        """Hidden until `until`; the envelope is kept apart from the body, keyed by the file."""
        envelope.not_before = until
        envelope.owner = ""

        def move() -> None:
            self.envelopes.save(message.ino, envelope)
            self._defer_path(message.path, message.name, until)

        self._settle(message, move)

    def dead_letter(self, message: FileMessage, reason: str) -> None:
        def move() -> None:
            self._dead_letter_path(message.path, message.name, reason, call_id=message.call_id)
            if message.enveloped:
                self.envelopes.forget(message.ino)

        self._settle(message, move)

    def release(self, message: FileMessage, delay: float) -> None:
        """Back to waiting after `delay`, envelope unchanged: the environment failed, not the task."""
        until = self.clock.now() + delay
        self._settle(message, lambda: self._defer_path(message.path, message.name, until))

    def _settle(self, message: FileMessage, move: Callable[[], None]) -> None:
        """Do a settlement; when the machine refuses it (a full disk, a folder made read-only),
        keep it to do again later rather than undo the work: a result delivered whose ack could
        not be moved into done/ is acked later, never sent again."""
        message.settled = True  # decided: whatever happens now, no one handles this message twice
        try:
            move()
        except OSError as exc:
            self._stranded.append((message, move))
            raise unavailable(exc, self.root) from exc

    def release_stranded(self) -> int:
        """Retry the settlements the machine refused; returns how many went through."""
        done = 0
        for pending in list(self._stranded):
            try:
                pending[1]()
            except OSError:
                continue
            self._stranded.remove(pending)
            done += 1
        return done

    # -- deferral ----------------------------------------------------------------------------

    def _defer_path(self, path: str | Path, name: str, until: float) -> None:
        os.utime(path, (until, until))
        dest = fsutil.unique_path(self.f.deferred, name)
        fsutil.durable_rename(path, dest)
        self._due.add(dest.name, until)

    def promote_deferred(self, *, all_now: bool = False) -> int:
        """Move due deferred tasks (or every one, when the far side is back) into the inbox."""
        if all_now:
            self._scan_deferred()
        moved = 0
        for name in self._due.pop(all_now=all_now):
            src = self.f.deferred / name
            dest = fsutil.unique_path(self.inbox, name)
            try:
                os.rename(src, dest)
            except FileNotFoundError:
                continue  # another worker promoted it
            except OSError as exc:
                log.warning("could not promote deferred %s: %s", name, exc.strerror)
                self._due.retry_later(name, 30)
                break
            moved += 1
            self._index.add(dest.name)
        if moved:
            with contextlib.suppress(OSError):
                fsutil.fsync_dir(self.inbox)
            self.wakeup.set()
        return moved

    def _scan_deferred(self) -> None:
        found = []
        with os.scandir(self.f.deferred) as it:
            for entry in it:
                if not is_ignored_name(entry.name):
                    with contextlib.suppress(FileNotFoundError):
                        found.append((entry.name, entry.stat(follow_symlinks=False).st_mtime))
        self._due.rebuild(found)

    # -- dead letters ------------------------------------------------------------------------

    def _dead_letter_path(self, path: str | Path, name: str, reason: str, call_id: str | None = None) -> Path:
        safe = name if fsutil.is_safe_name(name) else sanitize(name)
        dest = fsutil.unique_path(self.f.dead, safe)
        os.rename(path, dest)
        write_reason(dest, reason_text(reason, self.name, name, call_id or "-", self.clock.now()), self.tmp)
        log.warning(
            "dead-lettered %s: %s",
            dest.name,
            redact_urls(reason),
            extra=task_extra(call_id or safe, "dead-letter"),
        )
        return dest

    # -- scanning, recovery, cleaning --------------------------------------------------------

    def rescan(self) -> int:
        """Index every waiting file the events missed, oldest first."""
        self._next_rescan = self.clock.monotonic() + self.cfg.rescan_seconds
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
                except OSError as exc:
                    log.warning("could not recover %s: %s", entry.name, exc.strerror)
                    continue
                moved += 1
                self._index.add(dest.name)
                log.warning("recovered from dead owner %s", owner or "-", extra=task_extra(name, "recovered"))
        if moved:
            with contextlib.suppress(OSError):
                fsutil.fsync_dir(self.inbox)
            self.wakeup.set()
        return moved

    def clean(self) -> None:
        """Hourly: dead writers' temp files and owner locks, orphaned envelopes, done/ past RETENTION_DAYS."""
        self._next_clean = self.clock.monotonic() + CLEAN_INTERVAL
        sweep.temp_files(self.tmp, self._locks, self._reported)
        sweep.owner_locks(self._locks)
        self.envelopes.collect(sweep.live_inodes(self.inbox, self.active, self.f.deferred))
        if self.f.done is not None and self.cfg.retention_days > 0:
            fsutil.prune(self.f.done, self.clock.now() - self.cfg.retention_days * 86400)

    def depth(self) -> int:
        return len(self._index)
