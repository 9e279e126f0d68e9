"""Names in the file backend's folders: which entries are tasks, and the FIFO index of waiting ones."""

from __future__ import annotations

import stat
from collections import deque

_SKIPPED_SUFFIXES = (".tmp", ".part", ".swp", "~")


def is_ignored_name(name: str) -> bool:
    """Temp and dot files are someone else's work in progress: skip, never dead-letter."""
    return name.startswith(".") or name.endswith(_SKIPPED_SUFFIXES)


BAD_NAME = "file name is not allowed: use 1-128 characters of A-Z a-z 0-9 . _ - not starting with ."


def not_a_task(mode: int) -> str | None:
    """Why a folder entry of this mode is not a task (a folder, a FIFO, a link), or None."""
    if stat.S_ISREG(mode):
        return None
    return f"is {kind_of(mode)}; only regular files are tasks" + (
        " (links are never followed)" if stat.S_ISLNK(mode) else ""
    )


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


class NameIndex:
    """FIFO of names with O(1) membership, so duplicates from events and rescans collapse."""

    def __init__(self) -> None:
        self._order: deque[str] = deque()
        self._members: set[str] = set()

    def add(self, name: str) -> None:
        if name not in self._members:
            self._members.add(name)
            self._order.append(name)

    def pop(self) -> str | None:
        while self._order:
            name = self._order.popleft()
            if name in self._members:
                self._members.remove(name)
                return name
        return None

    def __contains__(self, name: str) -> bool:
        return name in self._members

    def __len__(self) -> int:
        return len(self._members)


def sanitize(name: str) -> str:
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
    cleaned = cleaned.lstrip(".") or "unnamed"
    return cleaned[:100]
