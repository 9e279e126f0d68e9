"""Placeholder: replaced below."""

from __future__ import annotations


class FolderDoor:
    def __init__(self, broker: object, queue: str) -> None:
        pass

    def tick(self) -> None:
        pass

    def close(self) -> None:
        pass
