"""One NATS connection with its asyncio loop on a thread of its own, behind calls that block.

nats-py is asyncio; stages and commands are synchronous. A daemon thread runs the loop, and
`call()` hands it a coroutine and waits, never longer than NATS_TIMEOUT plus a margin: a lost
server surfaces as UnavailableError (the stage puts its task back and pauses), never as a hang.
The loop thread installs no signal handlers, so SIGTERM stays the runner's business; a stage
that stops closes its link after its consumer.

Credentials (NATS_CREDS, NATS_USER/NATS_PASSWORD, or user:password in NATS_URL) go to nats-py
and nowhere else: servers are only ever shown through safe_url, errors through redact_urls.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext

from daemon.broker import UnavailableError
from daemon.config import Config
from daemon.errors import StartupError
from daemon.redact import redact_urls, safe_url

log = logging.getLogger(__name__)

T = TypeVar("T")
MARGIN = 2.0  # seconds a blocking call waits beyond NATS_TIMEOUT for nats-py's own timeout to fire

# What nats-py raises when the servers, not the task, are at fault.
ENVIRONMENT_ERRORS: tuple[type[BaseException], ...] = (
    nats.errors.Error,  # timeouts, no servers, connection closed, no responders ...
    nats.js.errors.ServiceUnavailableError,
    OSError,
    TimeoutError,  # asyncio's and concurrent.futures' too
)


def servers_of(cfg: Config) -> list[str]:
    return [part.strip() for part in cfg.nats_url.reveal().split(",") if part.strip()]


def shown_servers(cfg: Config) -> str:
    return ", ".join(safe_url(s) for s in servers_of(cfg))


def describe(exc: BaseException, cfg: Config) -> str:
    """One line for an operator, credentials kept out."""
    detail = redact_urls(str(exc) or type(exc).__name__, cfg.nats_password.reveal())
    if isinstance(exc, nats.errors.NoServersError | nats.errors.ConnectionClosedError | OSError):
        return f"NATS unreachable at {shown_servers(cfg)}: {detail}"
    if isinstance(exc, nats.errors.TimeoutError | TimeoutError):
        return f"NATS at {shown_servers(cfg)} did not answer within NATS_TIMEOUT ({cfg.nats_timeout:g} s)"
    if isinstance(exc, nats.errors.NoRespondersError | nats.js.errors.ServiceUnavailableError):
        return f"JetStream unavailable at {shown_servers(cfg)} (no leader, no quorum, or not enabled): {detail}"
    return f"NATS at {shown_servers(cfg)}: {detail}"


class Link:
    """A connection and its loop. `call` raises UnavailableError for the environment's failures."""

    def __init__(self, cfg: Config, name: str) -> None:
        self.cfg = cfg
        self.timeout = float(cfg.nats_timeout)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nats-loop", daemon=True)
        self._thread.start()
        self.closed = False
        self.lost = False  # disconnected and not yet back
        try:
            self.nc: Client = self.call(self._connect(name), timeout=self.timeout * 2 + MARGIN)
        except BaseException:
            self._stop_loop()
            raise
        self.js: JetStreamContext = self.nc.jetstream(timeout=self.timeout)

    async def _connect(self, name: str) -> Client:
        cfg = self.cfg
        options: dict[str, Any] = {
            "servers": servers_of(cfg),
            "name": name,
            "connect_timeout": max(1, int(self.timeout)),
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,  # a stage outlives any outage; `call` bounds each wait
            "reconnect_time_wait": 1,
            "error_cb": self._on_error,
            "disconnected_cb": self._on_disconnected,
            "reconnected_cb": self._on_reconnected,
            "verbose": False,
        }
        if cfg.nats_creds is not None:
            if not cfg.nats_creds.is_file():
                raise StartupError(f"NATS_CREDS names {cfg.nats_creds}, which is not a readable file")
            options["user_credentials"] = str(cfg.nats_creds)
        if cfg.nats_user:
            options["user"] = cfg.nats_user
            options["password"] = cfg.nats_password.reveal()
        # The first connection is tried once per server, bounded: the runner retries set-up
        # with growing waits; reconnecting after that is nats-py's job, forever.
        try:
            return await asyncio.wait_for(self._first_connect(options), self.timeout * 2)
        except (*ENVIRONMENT_ERRORS, nats.errors.NoServersError) as exc:
            raise UnavailableError(describe(exc, cfg)) from None

    @staticmethod
    async def _first_connect(options: dict[str, Any]) -> Client:
        # nats-py drops a server from its pool after max_reconnect_attempts failures (0 would mean
        # never): 1 tries each configured server twice, 0.2 s apart, then gives up.
        nc = Client()
        await nc.connect(**{**options, "max_reconnect_attempts": 1, "reconnect_time_wait": 0.2})
        nc.options["max_reconnect_attempts"] = options["max_reconnect_attempts"]
        nc.options["reconnect_time_wait"] = options["reconnect_time_wait"]
        return nc

    async def _on_error(self, exc: Exception) -> None:
        log.warning("NATS: %s", describe(exc, self.cfg))

    async def _on_disconnected(self) -> None:
        if not self.closed:
            self.lost = True
            log.warning("lost the connection to NATS; reconnecting")

    async def _on_reconnected(self) -> None:
        self.lost = False
        url = self.nc.connected_url
        log.warning("reconnected to NATS at %s", safe_url(url.geturl()) if url else "?")

    # -- calls ---------------------------------------------------------------------------------

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait for it. The environment's failures: UnavailableError."""
        if self.closed:
            coro.close()
            raise UnavailableError("the NATS connection is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout if timeout is not None else self.timeout + MARGIN)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise UnavailableError(describe(TimeoutError(), self.cfg)) from None
        except ENVIRONMENT_ERRORS as exc:
            raise UnavailableError(describe(exc, self.cfg)) from None

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        """Start a background task on the loop (keepalives, watches); cancel its future to stop it."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        future = asyncio.run_coroutine_threadsafe(self._close(), self._loop)
        try:
            future.result(self.timeout + MARGIN)
        except (concurrent.futures.TimeoutError, *ENVIRONMENT_ERRORS):
            log.debug("NATS connection not closed cleanly")
        self._stop_loop()

    async def _close(self) -> None:
        await self.nc.close()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()
