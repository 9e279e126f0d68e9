"""The SingleInterface webhook as delivery sees it: the result's message, and one POST of it.

The body sent is the result's `payload` and nothing else, with the Standard Webhooks headers
(`webhook-id` stable across retries, a signature with WEBHOOK_SECRET). Every error text is
redacted of the URL's credentials and query string before anyone sees it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from daemon.clock import Clock
from daemon.config import Config
from daemon.fsutil import is_safe_name
from daemon.redact import redact_urls
from integrations import webhooks
from integrations.webhooks import Verdict

USER_AGENT = "VoiceAgent-Webhook/1.0"
_BODY_EXCERPT = 200


@dataclass(frozen=True)
class Answer:
    """What one POST came to."""

    verdict: Verdict
    status: int | None
    detail: str  # for logs and reasons: status and the start of the body, or the network error
    retry_after: float | None = None


class NotAResultError(ValueError):
    """The task in the results queue is not a result the processor wrote."""


def message_of(doc: Any) -> tuple[str, bytes]:
    """The webhook-id and the exact body to send: the payload and nothing else."""
    if not isinstance(doc, dict) or not isinstance(doc.get("payload"), dict):
        raise NotAResultError('not a result file: expected a JSON object with a "payload" object')
    payload = doc["payload"]
    msg_id = doc.get("webhook_id")
    if msg_id is None:
        # A hand-written result: derive the id the processor would have given it.
        msg_id = webhooks.webhook_id(str(payload.get("call_ref_id", "")), payload)
    if not isinstance(msg_id, str) or not is_safe_name(msg_id):
        raise NotAResultError(f"webhook_id {str(msg_id)[:80]!r} is not an id: use 1-128 of A-Z a-z 0-9 . _ -")
    return msg_id, orjson.dumps(payload)


class WebhookClient:
    """One keep-alive session to the endpoint; signs and sends one body per call."""

    def __init__(self, cfg: Config, signing_key: bytes | None, clock: Clock) -> None:
        self.url = cfg.webhook_url
        self.timeout = cfg.webhook_timeout_ms / 1000
        self.signing_key = signing_key
        self.clock = clock
        self.session = requests.Session()
        # Read the proxy and CA settings of the environment once here: by default requests
        # reads the whole environment again on every request, a large share of its cost.
        self.session.proxies = requests.utils.get_environ_proxies(self.url)
        self.session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self.session.trust_env = False
        self.session.headers.update({"Content-Type": "application/json", "User-Agent": USER_AGENT})
        parts = urlsplit(self.url)
        # What must never reach a log line, a delivery record or a .reason file.
        self._secrets = tuple(s for s in (parts.query, parts.password, cfg.singleinterface_api_key.reveal()) if s)
        if cfg.singleinterface_api_key:
            self.session.headers["Authorization"] = f"Bearer {cfg.singleinterface_api_key.reveal()}"

    def send(self, msg_id: str, body: bytes) -> Answer:
        answer = self._send(msg_id, body)
        return replace(answer, detail=redact_urls(answer.detail, *self._secrets))

    def _send(self, msg_id: str, body: bytes) -> Answer:
        timestamp = int(self.clock.now())
        headers = webhooks.webhook_headers(msg_id, timestamp, body, self.signing_key)
        try:
            response = self.session.post(
                self.url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.Timeout:
            return Answer(Verdict.RETRY, None, f"no answer within WEBHOOK_TIMEOUT_MS={self.timeout * 1000:.0f}")
        except requests.RequestException as exc:
            return Answer(Verdict.RETRY, None, f"request failed: {type(exc).__name__}: {_first_line(exc)}")
        verdict = webhooks.classify(response.status_code)
        excerpt = response.text[:_BODY_EXCERPT].replace("\n", " ")
        detail = f"HTTP {response.status_code} {response.reason}: {excerpt}"
        retry_after = webhooks.parse_retry_after(response.headers.get("Retry-After"), self.clock.now())
        return Answer(verdict, response.status_code, detail, retry_after)

    def close(self) -> None:
        self.session.close()


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else ""
