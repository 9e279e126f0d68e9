"""The four stage processes, one module each. The composition root (daemon/__main__.py) hands
this table to the command line; a stage's module is imported only when that stage runs, so
`python -m daemon run processor` never loads the Sheets or Bolna clients."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from daemon.stage import Stage


def _lazy(module: str, attr: str) -> Callable[[], type[Stage]]:
    return lambda: getattr(importlib.import_module(module), attr)


STAGES: dict[str, Callable[[], type[Stage]]] = {
    "dialer": _lazy("stages.dialer", "DialerStage"),
    "intake": _lazy("stages.intake", "IntakeStage"),
    "processor": _lazy("stages.processor", "ProcessorStage"),
    "delivery": _lazy("stages.delivery", "DeliveryStage"),
}
