"""Stop requests that arrive while a process is still starting up.

Importing the application takes a moment; a SIGTERM in that moment (a supervisor stopping
everything just after starting it) would kill the process with the default action, before
it could finish cleanly. `catch_early` is the first thing `python -m daemon` does: until a
command installs its own handlers, a stop request is only remembered, then honoured.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_early: list[int] = []


def _remember(signum: int, frame: FrameType | None) -> None:
    _early.append(signum)


def catch_early() -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _remember)


def early() -> list[int]:
    """The stop signals that came before the command's own handlers were installed."""
    return list(_early)


def stop_event() -> threading.Event:
    """For a service without a stage loop (the sink, the simulator): set on SIGTERM or Ctrl-C,
    or at once if one came while it was starting up. The handlers only set it."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if _early:
        stop.set()
    return stop


def restore_defaults() -> None:
    """For commands that are not services: Ctrl-C interrupts them as usual."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
