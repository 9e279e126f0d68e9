"""Folder watching. The handler only enqueues a name; the stage's loop does the work.

inotify drops events when its queue overflows (and watchdog says nothing), so the queue
also rescans the folder at start and every RESCAN_SECONDS: events are an accelerator,
the rescan is the guarantee.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper

# watchdog holds each unpaired IN_MOVED_FROM for 0.5 s to pair it with an IN_MOVED_TO, and
# every later event of that folder queues behind it. Each claim is a rename out of the inbox,
# so without this the next arrival waited 0.5 s per claim (2 tasks/s by events alone). Only
# destination names matter here, and an unpaired IN_MOVED_TO still arrives as "created".
InotifyMoveEventGrouper.delay = 0.0


class _EnqueueHandler(FileSystemEventHandler):
    def __init__(self, folder: str, names: queue.SimpleQueue[str], wakeup: threading.Event) -> None:
        self._folder = folder
        self._names = names
        self._wakeup = wakeup

    def _offer(self, path: str | bytes) -> None:
        path = os.fsdecode(path)
        if os.path.dirname(path) == self._folder:
            self._names.put(os.path.basename(path))
            self._wakeup.set()

    def on_created(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self._offer(event.src_path)

    def on_closed(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self._offer(event.src_path)

    def on_moved(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self._offer(event.dest_path)


class FolderWatcher:
    """Feeds names of files that appear in `folder` into `names` and sets `wakeup`."""

    def __init__(self, folder: Path, names: queue.SimpleQueue[str], wakeup: threading.Event) -> None:
        self._folder = os.path.abspath(folder)
        self._handler = _EnqueueHandler(self._folder, names, wakeup)
        self._observer: Observer | None = None

    def start(self) -> None:
        observer = Observer()
        observer.daemon = True
        # Only arrivals matter; filtering here also keeps watchdog from building and
        # dispatching the deletion and folder-modified events every claim causes.
        arrivals = [FileCreatedEvent, FileMovedEvent, FileClosedEvent]
        observer.schedule(self._handler, self._folder, recursive=False, event_filter=arrivals)
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
