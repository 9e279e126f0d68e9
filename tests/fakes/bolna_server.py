"""Misbehaving Bolna endpoints for tests; the well-behaved one is devtools.simulator.

ScriptedBolna answers each request with the next scripted response and records what it got
(and, through `on_request`, what the caller had on disk at that instant). StallingServer
accepts connections, reads the request and never answers: a Bolna that timed out after the
call may already have been placed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from flask import Flask, Response, request

from daemon.config import Secret
from devtools.simulator import BolnaSimulator, Realism
from integrations.serving import BackgroundServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    observed: Any = None  # whatever on_request returned


@dataclass
class ScriptedBolna:
    """responses: (status, JSON body) in order; the last one repeats."""

    responses: list[tuple[int, Any]]
    on_request: Callable[[], Any] | None = None
    seen: list[Seen] = field(default_factory=list)
    _server: BackgroundServer | None = None

    def start(self) -> ScriptedBolna:
        app = Flask("scripted-bolna")

        @app.route("/<path:path>", methods=["GET", "POST"])
        def answer(path: str) -> Response:
            observed = self.on_request() if self.on_request else None
            body = request.get_json(silent=True)
            self.seen.append(Seen(request.method, "/" + path, dict(request.headers), body, observed))
            status, doc = self.responses[min(len(self.seen), len(self.responses)) - 1]
            return Response(orjson.dumps(doc), status=status, mimetype="application/json")

        self._server = BackgroundServer(app, "127.0.0.1", 0, name="scripted-bolna").start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return self._server.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()


class StallingServer:
    """Reads requests and never answers them; counts the requests it swallowed."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StallingServer:
        self._thread.start()
        return self

    def _accept(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._swallow, args=(conn,), daemon=True).start()

    def _swallow(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        buffered = b""
        while not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            buffered += chunk
            while b"\r\n\r\n" in buffered:
                _, _, buffered = buffered.partition(b"\r\n\r\n")
                with self._lock:
                    self.requests += 1

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._conns:
            conn.close()
        self._thread.join(2)


@contextlib.contextmanager
def running_simulator(
    webhook_url: str = "",
    *,
    speed: float = 1000.0,
    api_token: str = "",
    intake_token: str = "",
    realism: Realism = Realism(),
    **options: Any,
) -> Iterator[BolnaSimulator]:
    """The real simulator on a free port; without a webhook URL it posts no webhooks."""
    simulator = BolnaSimulator(
        webhook_url=webhook_url,
        speed=speed,
        api_token=Secret(api_token),
        intake_token=Secret(intake_token),
        realism=realism,
        **options,
    )
    simulator.start("127.0.0.1", 0)
    try:
        yield simulator
    finally:
        simulator.stop()
