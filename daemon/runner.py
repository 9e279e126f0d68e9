"""Running stages: one stage in this process, or several as supervised child processes.

Signal handlers only set a flag. The first SIGTERM/SIGINT lets the task in hand finish and
the process exits 0; a second one exits at once, and the claimed task stays in the active
folder under this process's name, so recovery hands it to the next worker.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import FrameType

from daemon.broker import UnavailableError
from daemon.config import Config
from daemon.heartbeat import Heartbeat
from daemon.signals import early
from daemon.stage import Stage, StartupError, describe_os_error

log = logging.getLogger(__name__)

# Stage name -> a loader of its class, handed in by the composition root (daemon/__main__.py):
# the runtime never imports the application.
StageTable = Mapping[str, Callable[[], type[Stage]]]

EX_CONFIG = 78  # sysexits: a configuration error; restarting will not help


class StopFlag:
    def __init__(self) -> None:
        self.requested = False
        self.signals = 0
        self._event = threading.Event()

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        if self.signals > 1:
            os._exit(128 + signum)
        self.requested = True
        self._event.set()

    def wait(self, seconds: float) -> None:
        """Sleep, cut short by a stop request."""
        self._event.wait(seconds)

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self.handle)
        signal.signal(signal.SIGINT, self.handle)
        for signum in early():  # asked to stop while still starting up
            self.handle(signum, None)


def run_stage(stage: Stage, stop: StopFlag, heartbeat: Heartbeat | None = None) -> None:
    """Drive one stage until asked to stop. Per-task errors are the stage's business.

    Set-up that fails for the environment (a full disk, a broker not up yet) is tried again
    with growing backoff until it works or a stop is requested; a StartupError (the
    configuration) ends the stage at once.
    """
    clean = False
    try:
        if heartbeat:
            heartbeat.start()
        try:
            ready = _set_up(stage, stop)
        except StartupError as exc:
            stage.problem = f"refused to start: {exc}"
            raise
        if not ready:
            clean = True
            return
        wake = stage.wakeup_event() or threading.Event()
        while not stop.requested:
            wake.clear()
            if not stage.run_once():
                wake.wait(stage.idle_wait)
        clean = True
    finally:
        stage.close()
        if heartbeat:
            heartbeat.stop(remove=clean)


def _set_up(stage: Stage, stop: StopFlag) -> bool:
    """True once set up; False when a stop came first."""
    delay = 1.0
    while not stop.requested:
        try:
            stage.setup()
            stage.problem = None
            return True
        except (OSError, UnavailableError) as exc:
            problem = describe_os_error(exc)
            if problem != stage.problem:
                log.error("cannot start yet: %s; trying again with growing waits", problem)
            stage.problem = problem
            stage.close()
        stop.wait(delay)
        delay = min(60.0, delay * 2)
    return False


def run_one(stage_cls: type[Stage], cfg: Config) -> int:
    """`python -m daemon run STAGE`: this process is the stage."""
    stop = StopFlag()
    stop.install()
    try:
        stage = stage_cls(cfg)
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
    signals["count"] += len(early())
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
