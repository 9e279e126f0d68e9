"""The data folder layout. Folder names are an interface: operators ls, cat and cp them."""

from __future__ import annotations

from pathlib import Path

from daemon.config import Config

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
    for sub in FOLDERS:
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root
