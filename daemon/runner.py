"""Running stages: one stage in this process, or several as supervised child processes.

Signal handlers only set a flag. The first SIGTERM/SIGINT lets the task in hand finish and
the process exits 0; a second one exits at once, and the claimed task stays in the active
folder under this process's name, so recovery hands it to the next worker.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType

import orjson

from daemon import fsutil, metrics
from daemon.config import Config
from daemon.layout import ensure
from daemon.stage import Stage

log = logging.getLogger(__name__)

EX_CONFIG = 78  # sysexits: a configuration error; restarting will not help


class StartupError(Exception):
    """A stage refuses to start; the message says what to fix."""


class StopFlag:
    def __init__(self) -> None:
        self.requested = False
        self.signals = 0

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        if self.signals > 1:
            os._exit(128 + signum)
        self.requested = True

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self.handle)
        signal.signal(signal.SIGINT, self.handle)


def stage_class(name: str) -> type[Stage]:
    from stages import STAGES

    if name not in STAGES:
        raise StartupError(f"unknown stage {name!r}; stages are: {', '.join(STAGES)}")
    module, _, attr = STAGES[name].partition(":")
    return getattr(importlib.import_module(module), attr)


class Heartbeat:
    """state/heartbeats/<stage>.<pid>: refreshed by a thread while the stage runs; `status` reads it.

    A thread, not the loop, beats: one delivery task may rightly take three 10 s tries, and the
    stage is alive all the while.
    """

    def __init__(self, cfg: Config, stage: Stage) -> None:
        self.path = cfg.data_dir / "state" / "heartbeats" / f"{stage.name}.{os.getpid()}"
        self.interval = cfg.heartbeat_seconds
        self.stage = stage
        self.started = time.time()
        self.data_dir = cfg.data_dir
        self.metrics = metrics.for_stage(stage.name)
        self.metrics.bind(stage)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._forget_dead_siblings()

    def _forget_dead_siblings(self) -> None:
        """A restarted stage replaces the heartbeat its killed predecessor left behind."""
        for path in self.path.parent.glob(f"{self.stage.name}.*"):
            try:
                owner = orjson.loads(path.read_bytes()).get("owner", "")
            except (OSError, orjson.JSONDecodeError):
                continue
            if not fsutil.owner_alive(owner):
                path.unlink(missing_ok=True)

    def beat(self) -> None:
        doc = {
            "stage": self.stage.name,
            "pid": os.getpid(),
            "owner": fsutil.owner_tag(),
            "started_at": self.started,
            "beat_at": time.time(),
            "processed": self.stage.processed,
            "failed": self.stage.failed,
            "last_error": self.stage.last_error,
        }
        tmp = self.path.with_name("." + self.path.name)
        tmp.write_bytes(orjson.dumps(doc))
        os.replace(tmp, self.path)
        self.metrics.write_textfile(self.data_dir)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except OSError as exc:  # a full disk must not kill the stage through its heartbeat
                log.warning("heartbeat not written: %s", exc)

    def start(self) -> None:
        self.beat()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)
        self._thread.start()

    def remove(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.path.unlink(missing_ok=True)


def run_stage(stage: Stage, stop: StopFlag, heartbeat: Heartbeat | None = None) -> None:
    """Drive one stage until asked to stop. Per-task errors are the stage's business."""
    try:
        stage.setup()
        if heartbeat:
            heartbeat.start()
        wake = stage.wakeup_event() or threading.Event()
        while not stop.requested:
            wake.clear()
            if not stage.run_once():
                wake.wait(stage.idle_wait)
    finally:
        stage.close()
        if heartbeat:
            heartbeat.remove()


def run_one(name: str, cfg: Config) -> int:
    """`python -m daemon run STAGE`: this process is the stage."""
    stop = StopFlag()
    stop.install()
    try:
        stage = stage_class(name)(cfg)
        ensure(cfg)
        log.info("starting (pid %s, data %s)", os.getpid(), cfg.data_dir)
        run_stage(stage, stop, Heartbeat(cfg, stage))
    except StartupError as exc:
        log.error("cannot start: %s", exc)
        return EX_CONFIG
    log.info("stopped cleanly")
    return 0


@dataclass
class Child:
    label: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = 1.0
    restart_at: float = 0.0
    gave_up: bool = False
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        env = {**os.environ, **self.env}
        # A process group of its own: a Ctrl-C in the terminal reaches the supervisor only,
        # which then sends each child one SIGTERM. Sharing the terminal's group, a child got
        # SIGINT and then the supervisor's SIGTERM, a second signal that means "exit now".
        self.proc = subprocess.Popen(self.argv, env=env, process_group=0)
        self.started = time.monotonic()
        log.info("%s started as pid %s", self.label, self.proc.pid)


def stage_argv(name: str) -> list[str]:
    return [sys.executable, "-m", "daemon", "run", name]


@contextlib.contextmanager
def terminal_foreground() -> Iterator[None]:
    """While inside, this process's group alone receives the terminal's Ctrl-C.

    Under `make run`, make shares our process group; on SIGINT make waits for us and then
    kills itself, exiting non-zero however cleanly we stopped. As the terminal's foreground
    group of our own, we alone see the Ctrl-C, stop the children, and exit 0, and so does
    make. Outside a terminal (supervisord, pm2, tests) this does nothing.
    """
    try:
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        yield
        return
    previous = None
    try:
        if os.tcgetpgrp(tty) == os.getpgrp() and os.getpid() != os.getsid(0):
            previous = os.getpgrp()
            os.setpgid(0, 0)
            _set_foreground(tty, os.getpgrp())
    except OSError:
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            with contextlib.suppress(OSError):
                _set_foreground(tty, previous)
        os.close(tty)


def _set_foreground(tty: int, pgid: int) -> None:
    # Changing the foreground group from a background group raises SIGTTOU: ignore it meanwhile.
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(tty, pgid)
    finally:
        signal.signal(signal.SIGTTOU, old)


def supervise(children: list[Child], grace: float = 30.0) -> int:
    """Run children until SIGTERM/SIGINT; restart any that die, with growing back-off.

    A child that exits with EX_CONFIG is not restarted: its configuration must change first.
    """
    with terminal_foreground():
        return _supervise(children, grace)


def _supervise(children: list[Child], grace: float) -> int:
    signals = {"count": 0}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        signals["count"] += 1

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for child in children:
        child.start()
    while signals["count"] == 0:
        now = time.monotonic()
        for child in children:
            if child.gave_up or child.proc is None:
                continue
            code = child.proc.poll()
            if code is None:
                continue
            if code == EX_CONFIG:
                log.error("%s refused to start (configuration); not restarting it", child.label)
                child.gave_up = True
                continue
            if not child.restart_at:
                if now - child.started > 60:
                    child.backoff = 1.0
                child.restart_at = now + child.backoff
                log.warning("%s exited with %s; restarting in %.0f s", child.label, code, child.backoff)
                child.backoff = min(child.backoff * 2, 30.0)
            elif now >= child.restart_at:
                child.restart_at = 0.0
                child.start()
        if all(c.gave_up for c in children):
            return EX_CONFIG
        time.sleep(0.2)
    return _stop_children(children, signals, grace)


def _stop_children(children: list[Child], signals: dict[str, int], grace: float) -> int:
    running = [c.proc for c in children if c.proc is not None and c.proc.poll() is None]
    for proc in running:
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    forwarded_second = False
    while any(p.poll() is None for p in running):
        if signals["count"] > 1 and not forwarded_second:
            for proc in running:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)  # their second signal: exit at once
            forwarded_second = True
        if time.monotonic() > deadline:
            for proc in running:
                if proc.poll() is None:
                    proc.kill()
        time.sleep(0.05)
    bad = [p.returncode for p in running if p.returncode not in (0, -signal.SIGTERM)]
    return 0 if not bad else 1
