"""Heartbeats: state/heartbeats/<stage>.<pid>, written by each stage, read by `status`.

A thread, not the stage's loop, beats: one delivery task may rightly take three 10 s tries,
and the stage is alive all the while. The beat carries the stage's counts, the task in hand
and any environment problem in force. A stage that stops cleanly removes its heartbeat; one
that dies leaves it, so `status` says dead rather than "not running".
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from daemon import fsutil, metrics
from daemon.config import Config
from daemon.stage import Stage

log = logging.getLogger(__name__)


def heartbeat_folder(data_dir: Path) -> Path:
    return data_dir / "state" / "heartbeats"


class Heartbeat:
    """The writer: refreshed by a thread while the stage runs."""

    def __init__(self, cfg: Config, stage: Stage) -> None:
        self.folder = heartbeat_folder(cfg.data_dir)
        self.path = self.folder / f"{stage.name}.{os.getpid()}"
        self.interval = cfg.heartbeat_seconds
        self.stage = stage
        self.started = time.time()
        self.data_dir = cfg.data_dir
        self.metrics = metrics.for_stage(stage.name, delivers=bool(getattr(stage, "delivers", False)))
        self.metrics.bind(stage)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _forget_dead_siblings(self) -> None:
        """A restarted stage replaces the heartbeat its killed predecessor left behind."""
        for path in self.folder.glob(f"{self.stage.name}.*"):
            try:
                owner = orjson.loads(path.read_bytes()).get("owner", "")
            except (OSError, orjson.JSONDecodeError):
                continue
            if not fsutil.owner_alive(owner):
                path.unlink(missing_ok=True)

    def document(self) -> dict[str, Any]:
        return {
            "stage": self.stage.name,
            "pid": os.getpid(),
            "owner": fsutil.owner_tag(),
            "started_at": self.started,
            "beat_at": time.time(),
            "processed": self.stage.processed,
            "failed": self.stage.failed,
            "last_error": self.stage.last_error,
            "problem": self.stage.problem,
            "task": self.stage.current,
        }

    def beat(self) -> None:
        data = orjson.dumps(self.document())
        tmp = self.path.with_name("." + self.path.name)
        try:
            tmp.write_bytes(data)
            os.replace(tmp, self.path)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            tmp.unlink(missing_ok=True)
            # A full disk: overwrite the beat in place, in the block it already has, so status
            # still sees the stage alive and its problem ("disk full") rather than a silence.
            with open(self.path, "r+b") as fh:
                fh.write(data)
                fh.truncate()
        with contextlib.suppress(OSError):
            self.metrics.write_textfile(self.data_dir)

    def _beat_quietly(self) -> None:
        try:
            self.beat()
        except OSError as exc:  # a full disk must not kill the stage through its heartbeat
            log.warning("heartbeat not written: %s", exc.strerror or exc)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._beat_quietly()

    def start(self) -> None:
        with contextlib.suppress(OSError):
            self.folder.mkdir(mode=fsutil.DIR_MODE, parents=True, exist_ok=True)
            self._forget_dead_siblings()
        self._beat_quietly()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self, *, remove: bool) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if remove:
            self.path.unlink(missing_ok=True)
        else:
            self._beat_quietly()  # the last word: its counts, its last error, its problem


@dataclass(frozen=True)
class BeatFile:
    stage: str
    pid: int | None
    owner: str
    started_at: float | None
    beat_at: float
    processed: int | None
    failed: int | None
    last_error: dict[str, Any] | None
    problem: str | None = None
    task: dict[str, Any] | None = None  # {"name", "call_id", "since"}: the task in hand


def read_heartbeats(data_dir: Path) -> list[BeatFile]:
    """Every heartbeat file; a garbled one still counts, by its name and mtime."""
    beats = []
    for path in sorted(heartbeat_folder(data_dir).glob("*.*")):
        if path.name.startswith("."):
            continue  # the writer's temp file, renamed into place in a moment
        try:
            mtime = path.stat().st_mtime
            raw = path.read_bytes()
        except OSError:
            continue  # its stage stopped (and removed it) while we looked
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            doc = {}
        if not isinstance(doc, dict):
            doc = {}
        stage, _, pid = path.name.rpartition(".")
        error, task, problem = doc.get("last_error"), doc.get("task"), doc.get("problem")
        beats.append(
            BeatFile(
                stage=str(doc.get("stage") or stage),
                pid=doc.get("pid") if isinstance(doc.get("pid"), int) else (int(pid) if pid.isdigit() else None),
                owner=str(doc.get("owner") or ""),
                started_at=number(doc.get("started_at")),
                beat_at=number(doc.get("beat_at")) or mtime,
                processed=doc.get("processed") if isinstance(doc.get("processed"), int) else None,
                failed=doc.get("failed") if isinstance(doc.get("failed"), int) else None,
                last_error=error if isinstance(error, dict) else None,
                problem=problem if isinstance(problem, str) else None,
                task=task if isinstance(task, dict) else None,
            )
        )
    return beats


def number(value: object) -> float | None:
    """A number from a heartbeat's JSON (a bool or a string is not one)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
