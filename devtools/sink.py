"""A local webhook receiver to test and demo delivery against.

It speaks the seed's endpoint: POST stores the payload and answers {"success": true}; GET
answers the health document. Every accepted payload is kept as one file in a folder,
`<webhook-id>.<n>.json`, so duplicates sit side by side. With a secret it checks Standard
Webhooks signatures and answers 401 to a bad one.

For tests it can misbehave on purpose (constructor arguments only, never settings):
answer `fail_status` until `fail_until` (to every request, or to `fail_ids` only),
optionally with a Retry-After, or hang before answering.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from daemon import fsutil
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.logs import task as task_extra
from integrations import webhooks

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/webhooks/singleinterface"
MAX_BODY_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Received:
    """One request as the sink saw it (kept in memory for tests)."""

    at: float  # when the request arrived
    headers: dict[str, str]
    body: bytes
    status: int
    stored: Path | None
    answered_at: float  # when the answer was ready to go (after the payload was stored)


class WebhookSink:
    """The receiver. `start()` serves in a background thread; `close()` stops it."""

    def __init__(
        self,
        folder: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        secret: str = "",
        fail_status: int | None = None,
        fail_until: float | None = None,
        fail_body: bytes = b'{"success": false, "error": "unavailable"}',
        fail_ids: frozenset[str] | None = None,
        retry_after: str | None = None,
        hang_seconds: float = 0.0,
        clock: Clock = SYSTEM_CLOCK,
        keep_requests: bool = True,
    ) -> None:
        self.folder = folder
        self.tmp = folder / ".tmp"
        self.tmp.mkdir(mode=fsutil.DIR_MODE, parents=True, exist_ok=True)
        self.key = webhooks.decode_secret(secret) if secret else None
        self.fail_status = fail_status
        self.fail_until = fail_until  # None: fail for as long as fail_status is set
        self.fail_body = fail_body
        self.fail_ids = fail_ids  # None: every request fails; else only these webhook-ids
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        self.clock = clock
        # Tests read every request back; a long-running `sink` command keeps counts only (a
        # list of 100,000 requests held 354 MB).
        self.keep_requests = keep_requests
        self.received: list[Received] = []
        self.counts: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._next_seq: dict[str, int] = {}
        self._closing = threading.Event()
        self._server = _Server((host, port), _Handler)
        self._server.sink = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        host = self._server.server_address[0]
        return f"http://{host}:{self.port}{WEBHOOK_PATH}"

    def start(self) -> WebhookSink:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sink", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def prune(self, cutoff: float) -> int:
        """Remove stored payloads older than `cutoff` (RETENTION_DAYS, when run as a command)."""
        return fsutil.prune(self.folder, cutoff)

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]

    # -- request handling (called from handler threads) ------------------------------------------

    def failing(self, msg_id: str) -> bool:
        if self.fail_status is None or (self.fail_ids is not None and msg_id not in self.fail_ids):
            return False
        return self.fail_until is None or self.clock.now() < self.fail_until

    def hang(self) -> None:
        if self.hang_seconds > 0:
            self._closing.wait(self.hang_seconds)

    def check_signature(self, headers: dict[str, str], body: bytes) -> str | None:
        """None when acceptable, else why not."""
        if self.key is None:
            return None
        try:
            webhooks.verify(self.key, headers, body, self.clock.now())
        except webhooks.VerificationError as exc:
            return str(exc)
        return None

    def store(self, msg_id: str, body: bytes) -> Path:
        """Write the payload as <id>.<n>.json; a link-or-fail rename never overwrites."""
        stem = msg_id if fsutil.is_safe_name(msg_id) and len(msg_id) <= 100 else "no-webhook-id"
        tmp = fsutil.write_temp(body, self.tmp, stem)
        try:
            while True:
                with self._lock:
                    seq = self._next_seq.get(stem, 1)
                    self._next_seq[stem] = seq + 1
                dest = self.folder / f"{stem}.{seq}.json"
                if fsutil.rename_no_replace(tmp, dest):
                    break  # else written by an earlier run of the sink: take the next number
        finally:
            tmp.unlink(missing_ok=True)
        fsutil.fsync_dir(self.folder)
        return dest

    def record(self, at: float, headers: dict[str, str], body: bytes, status: int, stored: Path | None) -> None:
        with self._lock:
            self.counts[status] += 1
            if self.keep_requests:
                self.received.append(Received(at, headers, body, status, stored, self.clock.now()))


def _parse(body: bytes) -> object:
    """The JSON value of a body, or _NOT_JSON."""
    try:
        return json.loads(body)
    except ValueError:
        return _NOT_JSON


_NOT_JSON = object()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sink: WebhookSink


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver behind a proxy would offer
    disable_nagle_algorithm = True  # headers and body are two writes: without this, 40 ms delayed ACKs
    server: _Server
    timeout = 60  # drop idle keep-alive connections

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in (WEBHOOK_PATH, "/"):
            self._answer(404, {"success": False, "error": "not found"})
            return
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._answer(200, {"status": "healthy", "endpoint": "Single Interface Webhook", "timestamp": stamp})

    def do_POST(self) -> None:
        sink = self.server.sink
        body = self._read_body()
        if body is None:
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        arrived = sink.clock.now()
        sink.hang()
        doc = _parse(body)
        status, answer, stored = self._decide(sink, headers, body, doc)
        sink.record(arrived, headers, body, status, stored)
        ref = doc.get("call_ref_id") if isinstance(doc, dict) else None
        call_id = str(ref)[:128] if ref else headers.get("webhook-id", "-")
        if stored is not None:
            log.info("stored %s", stored.name, extra=task_extra(call_id, "received"))
        else:
            log.info("answered %s", status, extra=task_extra(call_id, "refused"))
        extra = {"Retry-After": sink.retry_after} if status >= 400 and sink.retry_after else {}
        self._answer(status, answer, extra)

    def _decide(
        self, sink: WebhookSink, headers: dict[str, str], body: bytes, doc: object
    ) -> tuple[int, dict[str, object] | bytes, Path | None]:
        if self.path.split("?", 1)[0] != WEBHOOK_PATH:
            return 404, {"success": False, "error": f"no webhook at {self.path}"}, None
        if sink.failing(headers.get("webhook-id", "")):
            return sink.fail_status or 503, sink.fail_body, None
        problem = sink.check_signature(headers, body)
        if problem:
            return 401, {"success": False, "error": f"bad signature: {problem}"}, None
        if doc is _NOT_JSON:
            return 400, {"success": False, "error": "body is not JSON"}, None
        stored = sink.store(headers.get("webhook-id", ""), body)
        return 200, {"success": True, "message": "Webhook processed"}, stored

    def _read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._answer(411, {"success": False, "error": "Content-Length required"})
            return None
        if int(length) > MAX_BODY_BYTES:
            self._answer(413, {"success": False, "error": "body too large"})
            self.close_connection = True
            return None
        return self.rfile.read(int(length))

    def _answer(self, status: int, answer: dict[str, object] | bytes, extra: dict[str, str] | None = None) -> None:
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the sender gave up (its timeout): nothing to answer

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)
