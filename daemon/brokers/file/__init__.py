"""The file backend (the default): the broker contract on folders under DATA_DIR, no server.

The folders are part of the user's interface: operators `ls`, `cat` and `cp` them, and a
file copied into `transcripts/` or `results/` is a task like any other (replay is a copy).
"""

from __future__ import annotations

import os
import threading

from daemon import fsutil
from daemon.broker import Broker, Consumer, Entry, Published, SameTask, State
from daemon.brokers.file.layout import ensure, folders, tmp_dir
from daemon.brokers.file.problems import unavailable
from daemon.brokers.file.queue import FileMessage, FileQueue
from daemon.brokers.file.registry import REASON_SUFFIX, FileRegistry, read_regular
from daemon.brokers.file.writes import keep_dead, publish_task
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config

__all__ = ["FileBroker", "read_regular"]

# Below this, a task or a result may not fit: status says the disk is full before a stage fails.
LOW_SPACE = 64 * 1024


class FileConsumer(Consumer):
    def __init__(self, queue: FileQueue) -> None:
        self._queue = queue
        self.queue = queue.name
        self.wakeup = queue.wakeup

    def receive(self) -> FileMessage | None:
        return self._queue.claim()

    def depth(self) -> int:
        return self._queue.depth()

    def promote_all(self) -> int:
        return self._queue.promote_deferred(all_now=True)

    def release_stranded(self) -> int:
        return self._queue.release_stranded()

    def close(self) -> None:
        self._queue.stop()


class FileBroker(Broker):
    def __init__(self, cfg: Config, *, clock: Clock = SYSTEM_CLOCK, watch: bool = True) -> None:
        # Nothing is created until something is published or consumed: `status` stays read-only.
        self.cfg = cfg
        self.root = cfg.data_dir
        self.max_task_bytes = cfg.max_task_bytes
        self.clock = clock
        self.watch = watch
        self.registry = FileRegistry(self.root)
        self._ready = False
        self._lock = threading.Lock()
        self._queues: dict[str, FileQueue] = {}  # consumed in this process

    def _ensure(self) -> None:
        if not self._ready:
            try:
                ensure(self.root)
            except OSError as exc:
                raise unavailable(exc, self.root) from exc
            self._ready = True

    def consume(self, queue: str) -> FileConsumer:
        self._ensure()
        with self._lock:
            if queue not in self._queues:
                q = FileQueue(self.cfg, folders(self.root, queue), clock=self.clock, watch=self.watch)
                q.start()
                self._queues[queue] = q
            return FileConsumer(self._queues[queue])

    def publish(self, queue: str, name: str, body: bytes, *, same: SameTask | None = None) -> Published:
        self._ensure()
        local = self._queues.get(queue)
        if local is not None:
            return local.publish(name, body, same)  # also indexes it for this process's consumer
        f, tmp, limit = folders(self.root, queue), tmp_dir(self.root), self.cfg.max_task_bytes
        try:
            return publish_task(f, tmp, name, body, limit, same, self.clock.now())
        except OSError as exc:
            raise unavailable(exc, self.root) from exc

    def reject(self, queue: str, name: str, body: bytes, reason: str) -> str:
        self._ensure()
        try:
            return keep_dead(folders(self.root, queue), tmp_dir(self.root), name, body, reason, self.clock.now())
        except OSError as exc:
            raise unavailable(exc, self.root) from exc

    def retry(self, entry: Entry, to_queue: str | None = None) -> str:
        """The dead letter moves back under the name it arrived with, waiting from now on."""
        target = folders(self.root, self.retry_target(entry, to_queue))
        assert target.inbox is not None  # retry_target refused the dead-letter-only queue
        self._ensure()
        source = folders(self.root, entry.queue).dead / entry.name
        read_regular(source, 0)  # refuses a link or a folder the queue itself dead-lettered
        original = entry.reason.get("file", "")
        dest = fsutil.unique_path(target.inbox, original if fsutil.is_safe_name(original) else entry.name)
        now = self.clock.now()
        try:
            os.utime(source, (now, now))  # it waits from now on, not from when it first arrived
            fsutil.durable_rename(source, dest)
        except OSError as exc:
            raise unavailable(exc, self.root) from exc
        (source.parent / (entry.name + REASON_SUFFIX)).unlink(missing_ok=True)
        return dest.name

    def expire(self, queue: str, state: State, cutoff: float) -> int:
        folder = {State.DEAD: folders(self.root, queue).dead, State.DONE: folders(self.root, queue).done}.get(state)
        if folder is None:
            raise ValueError(f"only dead letters and finished tasks expire, not {state} ones")
        removed = fsutil.prune(folder, cutoff)
        return removed // 2 if state is State.DEAD else removed  # a dead letter is two files

    def health(self) -> list[str]:
        if not self.root.is_dir():
            return [f"data folder {self.root} does not exist"]
        space = os.statvfs(self.root)
        if space.f_bavail * space.f_frsize < LOW_SPACE or (space.f_files and not space.f_favail):
            return [f"disk full on DATA_DIR ({self.root}): tasks wait, none is lost; free some space"]
        return []

    def close(self) -> None:
        for q in self._queues.values():
            q.stop()
