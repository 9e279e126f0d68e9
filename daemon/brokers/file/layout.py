"""The file backend's folders under DATA_DIR. Folder names are an interface: operators `ls`,
`cat` and `cp` them, so they are spelled here, once, and nowhere else in the code.

    transcripts/  processing/  done/transcripts/  deferred/transcripts/  dead/transcripts/
    results/      delivering/  done/results/      deferred/results/      dead/results/
                                                                         dead/intake/
    tmp/                       files being written; they enter a folder only by rename
    state/locks/               owner locks (a process holds its own for life)
    state/envelopes/<queue>/   each deferred task's envelope, keyed by its file's inode
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from daemon.broker import QueueName
from daemon.fsutil import DIR_MODE


@dataclass(frozen=True)
class QueueFolders:
    queue: str
    inbox: Path | None  # None: a queue of dead letters only (the intake's refused bodies)
    active: Path | None
    done: Path | None
    deferred: Path
    dead: Path
    envelopes: Path


# queue -> (inbox, active, done), relative to DATA_DIR
_NAMES: dict[str, tuple[str, str, str] | None] = {
    QueueName.TRANSCRIPTS: ("transcripts", "processing", "done/transcripts"),
    QueueName.RESULTS: ("results", "delivering", "done/results"),
    QueueName.INTAKE: None,
}


def queue_names() -> list[str]:
    return [str(name) for name in _NAMES]


# Cached: every publish and lookup asks, and building seven Paths each time cost about 5% of
# a backlog drain. The value is frozen and a handful of (root, queue) pairs exist.
@functools.lru_cache(maxsize=64)
def folders(root: Path, queue: str) -> QueueFolders:
    if queue not in _NAMES:
        raise ValueError(f"unknown queue {queue!r}; queues are {', '.join(_NAMES)}")
    names = _NAMES[queue]
    inbox, active, done = (root / n for n in names) if names else (None, None, None)
    return QueueFolders(
        queue=queue,
        inbox=inbox,
        active=active,
        done=done,
        deferred=root / "deferred" / queue,
        dead=root / "dead" / queue,
        envelopes=root / "state" / "envelopes" / queue,
    )


def tmp_dir(root: Path) -> Path:
    return root / "tmp"


def locks_dir(root: Path) -> Path:
    return root / "state" / "locks"


def ensure(root: Path) -> Path:
    """Create every folder (idempotent) and return the data dir."""
    wanted = [root, tmp_dir(root), locks_dir(root)]
    for queue in _NAMES:
        f = folders(root, queue)
        wanted += [p for p in (f.inbox, f.active, f.done, f.deferred, f.dead, f.envelopes) if p is not None]
    for folder in wanted:
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # Folders from a git checkout (data/transcripts/, ...) arrive 0755: owner only, like
        # the ones created here, since file names are call ids and listings show activity.
        mode = folder.stat().st_mode & 0o777
        if mode & 0o077:
            folder.chmod(mode & 0o700)
    return root
