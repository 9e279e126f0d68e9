"""Writing into the file backend's folders: link-or-fail publishing and dead letters with reasons."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

from daemon import fsutil
from daemon.broker import Published, SameTask
from daemon.brokers.common import conflict_reason, format_reason, is_same
from daemon.brokers.file.layout import QueueFolders
from daemon.redact import redact_urls

log = logging.getLogger(__name__)


def publish_into(folder: Path, name: str, data: bytes, tmp: Path, limit: int, same: SameTask | None) -> Published:
    """Link-or-fail into `folder`: a waiting task of the same name is never replaced.

    `limit` bounds the read of a waiting task's body (MAX_TASK_BYTES), taken only to compare."""
    temp = fsutil.write_temp(data, tmp, name)
    dest = folder / name
    try:
        if fsutil.rename_no_replace(temp, dest):
            fsutil.fsync_dir(folder)
            return Published.NEW
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    os.unlink(temp)
    try:
        with open(dest, "rb") as fh:
            waiting = fh.read((len(data) + 1) if same is None else limit)
    except OSError:
        return Published.CONFLICT
    return Published.DUPLICATE if is_same(waiting, data, same) else Published.CONFLICT


def reason_text(reason: str, queue: str, name: str, call_id: str, now: float) -> str:
    """A dead letter's .reason: "key: value" lines, which `dead-letter` reads back."""
    return format_reason(
        {
            "reason": redact_urls(reason),  # a reason may quote an error holding a URL with its key
            "queue": queue,
            "file": name if fsutil.is_safe_name(name) else repr(name),
            "call_id": call_id,
            "time": time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(now)),
        }
    )


def keep_dead(f: QueueFolders, tmp: Path, name: str, data: bytes, reason: str, now: float) -> str:
    """Bytes that never entered the queue, written straight into dead/ beside their reason."""
    dest = fsutil.unique_path(f.dead, name)
    fsutil.atomic_write(f.dead, dest.name, data, tmp)
    text = reason_text(reason, f.queue, name, "-", now)
    fsutil.atomic_write(f.dead, dest.name + ".reason", text.encode(), tmp)
    log.warning("dead-lettered %s/%s: %s", f.queue, dest.name, redact_urls(reason))
    return dest.name


def publish_task(
    f: QueueFolders, tmp: Path, name: str, data: bytes, limit: int, same: SameTask | None, now: float
) -> Published:
    """Into the inbox, never over a waiting task: a different task of the same name is kept in
    dead/ beside it, with the reason. Raises OSError for the machine's failures."""
    if f.inbox is None:
        raise ValueError(f"{f.queue} holds dead letters only: nothing is published to it")
    if not fsutil.is_safe_name(name):
        raise ValueError(f"unsafe task name {name!r}")
    outcome = publish_into(f.inbox, name, data, tmp, limit, same)
    if outcome is Published.CONFLICT:
        keep_dead(f, tmp, name, data, conflict_reason(name, f.queue), now)
    return outcome


def write_reason(dest: Path, text: str, tmp: Path) -> None:
    """Best effort: the task is safe in dead/ already; a reason that cannot be written (a full
    disk) is logged, and never takes the stage down."""
    try:
        fsutil.atomic_write(dest.parent, dest.name + ".reason", text.encode(), tmp)
    except OSError as exc:
        log.error("reason for %s/%s not written: %s", dest.parent.name, dest.name, exc.strerror or exc)
