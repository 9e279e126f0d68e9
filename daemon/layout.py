"""The data folder layout. Folder names are an interface: operators ls, cat and cp them."""

from __future__ import annotations

from pathlib import Path

from daemon.config import Config
from daemon.fsutil import DIR_MODE

# queue name -> (inbox, active, done) relative to DATA_DIR
QUEUES: dict[str, tuple[str, str, str]] = {
    "transcripts": ("transcripts", "processing", "done/transcripts"),
    "results": ("results", "delivering", "done/results"),
}
FOLDERS = (
    "transcripts",
    "processing",
    "results",
    "delivering",
    "done/transcripts",
    "done/results",
    "deferred/transcripts",
    "deferred/results",
    "dead/transcripts",
    "dead/results",
    "dead/intake",
    "tmp",
    "state",
    "state/heartbeats",
    "state/locks",
)


def ensure(cfg: Config) -> Path:
    """Create every folder (idempotent) and return the data dir."""
    root = cfg.data_dir
    for sub in ("", *FOLDERS):
        folder = root / sub
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # Folders from a git checkout (data/transcripts/, ...) arrive 0755: owner only, like
        # the ones created here, since file names are call ids and listings show activity.
        mode = folder.stat().st_mode & 0o777
        if mode & 0o077:
            folder.chmod(mode & 0o700)
    return root
