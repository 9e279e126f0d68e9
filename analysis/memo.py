"""Bounded memory for answers to text that recurs call after call.

Customers repeat the same short replies ("haan ji", "yes speaking") and agents read the same
fixed lines, so readers remember what they worked out for them. A `Memo` forgets everything
at once when full: no bookkeeping per hit, and memory stays bounded on any input.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

SHORT_TEXT = 48  # texts up to this long recur often enough to remember; longer ones are read afresh

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    def __init__(self, limit: int) -> None:
        self.limit = limit  # 0: remember nothing (benchmarks measure the reading itself)
        self._held: dict[K, V] = {}

    def get(self, key: K, compute: Callable[..., V], *args: object) -> V:
        """The remembered answer for `key`, else `compute(*args)`, remembered."""
        held = self._held
        try:
            return held[key]
        except KeyError:
            pass
        value = compute(*args)
        if self.limit:
            if len(held) >= self.limit:
                held.clear()
            held[key] = value
        return value
