"""The intake's HTTP face: POST /webhook/bolna and GET /health, as a Flask app.

Bolna does not sign its webhooks. A request is let in by a shared token (header
`X-Callpipe-Token`, or `?token=` for a webhook URL pasted into Bolna's dashboard) and/or a
source-address allowlist (Bolna publishes 13.203.39.153, 13.126.9.249 and 13.202.133.53).
When both are configured, both must pass. Unauthenticated requests are refused and not
stored; an authenticated body that cannot be used is kept in DATA_DIR/dead/intake/ with a
.reason file beside it, so nothing Bolna sent is lost.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from daemon.config import Secret
from daemon.fsutil import DIR_MODE, atomic_write, prune
from daemon.metrics import CONTENT_TYPE
from stages.bolna.events import BadEventError

log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 64  # an execution body is about 4 levels deep
BOLNA_SOURCE_IPS = ("13.203.39.153", "13.126.9.249", "13.202.133.53")
TOKEN_HEADER = "X-Callpipe-Token"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class IntakeAuth:
    token: Secret
    allowed: tuple[Network, ...]

    @classmethod
    def build(cls, token: Secret, allowed_ips: tuple[str, ...]) -> IntakeAuth:
        """INTAKE_ALLOWED_IPS entries are addresses or networks (13.203.39.153, 10.0.0.0/8)."""
        return cls(token, tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in allowed_ips))

    @property
    def enabled(self) -> bool:
        return bool(self.token) or bool(self.allowed)

    def refusal(
        self, remote_addr: str | None, header_token: str | None, query_token: str | None
    ) -> tuple[int, str] | None:
        """(status, reason) when the request must be refused, else None."""
        if self.allowed and not self._address_allowed(remote_addr):
            return 403, "source address not allowed"
        if self.token:
            expected = self.token.reveal().encode()
            offered = [t.encode() for t in (header_token, query_token) if t]
            if not any(hmac.compare_digest(expected, t) for t in offered):
                return 401, f"missing or wrong token (send {TOKEN_HEADER} or ?token=)"
        return None

    def _address_allowed(self, remote_addr: str | None) -> bool:
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            return False
        return any(address in network for network in self.allowed)


class DeadLetters:
    """DATA_DIR/dead/intake/<time>-<id>.json plus .reason: bodies we could not use."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "dead" / "intake"
        self.tmp = data_dir / "tmp"
        self.folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        self.tmp.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)

    def prune(self, cutoff: float) -> int:
        return prune(self.folder, cutoff)

    def keep(self, raw: bytes, reason: str) -> str:
        name = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{uuid.uuid4().hex[:12]}.json"
        atomic_write(self.folder, name, raw, self.tmp)
        atomic_write(self.folder, name + ".reason", (reason + "\n").encode(), self.tmp)
        return name


# handler(body) -> a JSON-able summary of what was done; raises BadEventError for unusable bodies.
EventHandler = Callable[[Any], dict[str, Any]]


def create_app(
    handle: EventHandler,
    auth: IntakeAuth,
    dead: DeadLetters,
    max_body: int,
    metrics: Callable[[], bytes] | None = None,
) -> Flask:
    app = Flask("callpipe.intake")
    app.config["MAX_CONTENT_LENGTH"] = max_body

    @app.get("/health")
    def health() -> Response:
        return _json(200, {"status": "ok"})

    def refused() -> Response | None:
        """The same check for every endpoint but /health: token and/or source address."""
        refusal = auth.refusal(request.remote_addr, request.headers.get(TOKEN_HEADER), request.args.get("token"))
        if refusal is None:
            return None
        status, reason = refusal
        log.warning("refused %s from %s: %s", request.path, request.remote_addr, reason)
        return _json(status, {"error": reason})

    if metrics is not None:

        @app.get("/metrics")
        def prometheus() -> Response:
            return refused() or Response(metrics(), status=200, content_type=CONTENT_TYPE)

    @app.post("/webhook/bolna")
    def bolna_webhook() -> Response:
        if (refusal := refused()) is not None:
            return refusal
        raw = request.get_data(cache=False)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            return _reject(dead, raw, f"malformed JSON: {exc}")
        if nested_deeper_than(body, MAX_JSON_DEPTH):
            # orjson reads 1024 levels but writes only 254: such a body would fail later, when
            # saved, as a 500 that Bolna retries. Refuse it once, here, with the reason.
            return _reject(dead, raw, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            done = handle(body)
        except BadEventError as exc:
            return _reject(dead, raw, f"unusable event: {exc}")
        except Exception as exc:
            # State could not be recorded (disk full?): keep the body, and let Bolna retry.
            name = dead.keep(raw, f"could not record the event: {type(exc).__name__}: {exc}")
            log.exception("could not record a webhook; kept as dead/intake/%s", name)
            return _json(500, {"error": "could not record the event", "kept_as": name})
        return _json(200, {"ok": True, **done})

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Response:
        return _json(413, {"error": f"body larger than {max_body} bytes"})

    return app


def nested_deeper_than(doc: Any, limit: int) -> bool:
    """True when arrays and objects nest more than `limit` levels (iterative: no recursion limit)."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _reject(dead: DeadLetters, raw: bytes, reason: str) -> Response:
    name = dead.keep(raw, reason)
    log.warning("%s; kept as dead/intake/%s", reason, name)
    return _json(400, {"error": reason, "kept_as": name})


def _json(status: int, doc: dict[str, Any]) -> Response:
    return Response(orjson.dumps(doc), status=status, mimetype="application/json")
