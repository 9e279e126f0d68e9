"""A WSGI app served by waitress on a background thread, stoppable from the thread that started it.

waitress's loop is asyncore-style and not thread-safe, and its trigger (the pipe that wakes
the loop) must never be written after it is closed: a write to a closed descriptor can land
in whatever file reused the number. So `stop` lets the worker threads finish first (they
poke the trigger as they complete a request), then wakes the loop under a lock, and the
loop thread closes every socket itself only after taking that same lock.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

log = logging.getLogger(__name__)


class BackgroundServer:
    def __init__(
        self, app: Any, host: str, port: int, *, name: str, threads: int = 4, max_body: int = 1024 * 1024
    ) -> None:
        # Binding happens here, so a taken port fails the caller's setup, not a thread later.
        # max_request_body_size: waitress itself refuses a larger body (413) before buffering
        # it to temp files, i.e. before the app can even check who is sending it.
        self._server = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident=name,
            clear_untrusted_proxy_headers=True,
            max_request_body_size=max_body,
        )
        self.name = name
        self.host = str(self._server.effective_host)
        self.port = int(self._server.effective_port)
        self._stopping = False
        self._closing = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name=f"{name}-http", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        log.info("%s listening on %s", self.name, self.url)
        return self

    def _serve(self) -> None:
        socket_map, adj = self._server._map, self._server.adj
        while not self._stopping:
            wasyncore.loop(timeout=adj.asyncore_loop_timeout, map=socket_map, use_poll=adj.asyncore_use_poll, count=1)
        with self._closing:
            wasyncore.close_all(socket_map)

    def stop(self, timeout: float = 5.0) -> None:
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
        with self._closing:
            self._stopping = True
            if self._thread.is_alive():
                self._server.pull_trigger()
        if self._thread.is_alive():
            self._thread.join(timeout)
        else:
            wasyncore.close_all(self._server._map)
