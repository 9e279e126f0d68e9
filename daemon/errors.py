"""Errors every layer of the runtime may raise, kept apart so a broker backend can raise them
without importing the stage machinery that catches them."""

from __future__ import annotations


class StartupError(Exception):
    """A stage refuses to start; the message says what to fix (exit 78: do not restart)."""
