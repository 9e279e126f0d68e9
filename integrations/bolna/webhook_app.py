"""The intake's HTTP face: POST /webhook/bolna and GET /health, as a Flask app.

Bolna does not sign its webhooks. A request is let in by a shared token (header
`X-Callpipe-Token`, or `?token=` for a webhook URL pasted into Bolna's dashboard) and/or a
source-address allowlist (Bolna publishes 13.203.39.153, 13.126.9.249 and 13.202.133.53).
When both are configured, both must pass. Unauthenticated requests are refused and not
stored; an authenticated body that cannot be used is kept as a dead letter with its reason
(the intake's `dead-letter list --queue intake`), so nothing Bolna sent is lost.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from daemon.broker import UnavailableError
from daemon.config import Secret
from daemon.metrics import CONTENT_TYPE
from integrations.bolna.events import BadEventError

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


class DeadLetters(Protocol):
    """Where refused bodies are kept: `keep(raw, reason)` returns the name kept under."""

    def keep(self, raw: bytes, reason: str) -> str: ...


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
        except (OSError, UnavailableError) as exc:
            # The machine's fault (a full disk): not a dead letter. Bolna retries a 5xx, and the
            # event applies once there is room again.
            log.error("could not record a webhook (%s); asked Bolna to send it again", exc)
            return _json(503, {"error": "could not record the event now; send it again"}, {"Retry-After": "30"})
        except Exception as exc:
            # A bug: keep the body, so nothing Bolna sent is lost, and let Bolna retry.
            name = dead.keep(raw, f"could not record the event: {type(exc).__name__}: {exc}")
            log.exception("could not record a webhook; kept as intake dead letter %s", name)
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
    log.warning("%s; kept as intake dead letter %s", reason, name)
    return _json(400, {"error": reason, "kept_as": name})


def _json(status: int, doc: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(doc), status=status, mimetype="application/json", headers=headers)
