"""The delivery stage: POST each result's payload to the SingleInterface webhook.

At least once, deduplicable: every request carries the result's stable `webhook-id`, and a
result moves to done/results/ right after its 2xx, so a restart never re-sends it. A copy
put back into results/ is sent again, as a deliberate replay.

A result that keeps failing is deferred (deferred/results/, with its delivery record in a
`_delivery` key that is never sent) with growing delays, and dead-lettered after
WEBHOOK_MAX_AGE. While the endpoint is down a circuit breaker holds everything back and
probes with one result at a time; when it answers, the waiting results go at once.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from daemon import fsutil
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config
from daemon.logs import task as task_extra
from daemon.queue import Task, encode
from daemon.redact import redact_urls, safe_url
from daemon.runner import StartupError
from daemon.stage import QueueStage
from stages import webhooks
from stages.webhooks import Breaker, RetryPolicy, Verdict

log = logging.getLogger(__name__)

USER_AGENT = "VoiceAgent-Webhook/1.0"
RECORD_KEY = "_delivery"
_BODY_EXCERPT = 200


@dataclass(frozen=True)
class Answer:
    """What one POST came to."""

    verdict: Verdict
    status: int | None
    detail: str  # for logs and reasons: status and the start of the body, or the network error
    retry_after: float | None = None


@dataclass
class DeliveryRecord:
    """The `_delivery` key of a deferred result: how its delivery has gone so far."""

    attempts: int = 0
    deferrals: int = 0
    first_attempt_at: float | None = None
    last_attempt_at: float | None = None
    last_error: str = ""

    @classmethod
    def of(cls, doc: dict[str, Any]) -> DeliveryRecord:
        """The record in a result, tolerating a hand-edited one (a bad field starts afresh)."""
        raw = doc.get(RECORD_KEY)
        if not isinstance(raw, dict):
            return cls()

        def number(key: str) -> float | None:
            value = raw.get(key)
            return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

        return cls(
            attempts=int(number("attempts") or 0),
            deferrals=int(number("deferrals") or 0),
            first_attempt_at=number("first_attempt_at"),
            last_attempt_at=number("last_attempt_at"),
            last_error=str(raw.get("last_error", "")),
        )

    def attempted(self, now: float, error: str = "") -> None:
        self.attempts += 1
        self.first_attempt_at = self.first_attempt_at if self.first_attempt_at is not None else now
        self.last_attempt_at = now
        self.last_error = error

    def as_dict(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "deferrals": self.deferrals,
            "first_attempt_at": self.first_attempt_at,
            "last_attempt_at": self.last_attempt_at,
            "last_error": self.last_error,
        }


class NotAResultError(ValueError):
    """The file in results/ is not a result the processor wrote."""


def message_of(doc: Any) -> tuple[str, bytes]:
    """The webhook-id and the exact body to send: the payload and nothing else."""
    if not isinstance(doc, dict) or not isinstance(doc.get("payload"), dict):
        raise NotAResultError('not a result file: expected a JSON object with a "payload" object')
    payload = doc["payload"]
    msg_id = doc.get("webhook_id")
    if msg_id is None:
        # A hand-written result: derive the id the processor would have given it.
        msg_id = webhooks.webhook_id(str(payload.get("call_ref_id", "")), payload)
    if not isinstance(msg_id, str) or not fsutil.is_safe_name(msg_id):
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


class DeliveryStage(QueueStage):
    name = "delivery"
    queue_name = "results"
    idle_wait = 0.25  # also how late a probe may start

    def __init__(self, cfg: Config, clock: Clock = SYSTEM_CLOCK, rng: random.Random | None = None) -> None:
        super().__init__(cfg, clock)
        self.rng = rng or random.Random()
        self.policy = RetryPolicy(
            attempts=cfg.webhook_retry_attempts,
            max_age=cfg.webhook_max_age,
            probe_max=cfg.webhook_probe_max,
        )
        self.breaker = Breaker(self.policy)
        self.enabled = cfg.webhooks_enabled
        self.client: WebhookClient | None = None

    def setup(self) -> None:
        if not self.enabled:
            log.warning("WEBHOOKS_ENABLED=false: results stay in results/ and nothing is sent")
            return
        if not self.cfg.webhook_url:
            raise StartupError(
                "no webhook URL: set SINGLEINTERFACE_WEBHOOK_URL, or WEBHOOK_BASE_URL (the path "
                "/api/webhooks/singleinterface is added); or set WEBHOOKS_ENABLED=false to keep results unsent"
            )
        key = None
        if self.cfg.webhook_secret:
            try:
                key = webhooks.decode_secret(self.cfg.webhook_secret.reveal())
            except ValueError as exc:
                raise StartupError(f"WEBHOOK_SECRET: {exc}") from None
        self.client = WebhookClient(self.cfg, key, self.clock)
        super().setup()
        log.info(
            "delivering to %s (%s, timeout %d ms, %d tries)",
            safe_url(self.cfg.webhook_url),
            "signed" if key else "unsigned",
            self.cfg.webhook_timeout_ms,
            self.policy.attempts,
        )

    def close(self) -> None:
        super().close()
        if self.client is not None:
            self.client.close()

    def wakeup_event(self) -> threading.Event | None:
        return self.queue.wakeup if self.enabled else None

    def run_once(self) -> bool:
        if not self.enabled:
            return False
        if not self.breaker.ready(self.clock.now()):
            return False  # the endpoint is failing: claim nothing until the next probe
        if super().run_once():
            return True
        if self.breaker.is_open and self.queue.promote_deferred(all_now=True):
            return super().run_once()  # nothing new waits: probe with a deferred result
        return False

    def handle(self, task: Task) -> None:
        try:
            msg_id, body = message_of(task.doc)
        except NotAResultError as exc:
            self.queue.dead_letter(task, str(exc))
            return
        client = self.client
        if client is None:
            raise RuntimeError("DeliveryStage.handle() called before setup()")
        record = DeliveryRecord.of(task.doc)
        tries = 1 if self.breaker.is_open else self.policy.attempts  # a probe is a single request
        for attempt in range(1, tries + 1):
            sent_at = self.clock.now()
            answer = client.send(msg_id, body)
            record.attempted(sent_at, "" if answer.verdict is Verdict.DELIVERED else answer.detail)
            if answer.verdict is Verdict.DELIVERED:
                self._delivered(task, msg_id, record)
                return
            if answer.verdict is Verdict.PERMANENT:
                self._endpoint_answered()
                self.queue.dead_letter(task, f"permanent failure, not retried: {answer.detail}")
                return
            if attempt == tries:
                break
            wait = self.policy.backoff(attempt, self.rng.random())
            if answer.retry_after is not None:
                if answer.retry_after > self.policy.max_inline_wait:
                    break  # the endpoint asked for a long pause: defer rather than sleep on it
                wait = max(wait, answer.retry_after)
            log.info(
                "try %d failed (%s); again in %.1f s",
                attempt,
                answer.detail,
                wait,
                extra=task_extra(task.call_id, "retry"),
            )
            self.clock.sleep(wait)
        self._failed(task, record, answer)

    def _delivered(self, task: Task, msg_id: str, record: DeliveryRecord) -> None:
        self.queue.complete(task)  # first: a restart must never send an acknowledged result again
        log.info("%s acknowledged on attempt %d", msg_id, record.attempts, extra=task_extra(task.call_id, "delivered"))
        self._endpoint_answered()

    def _endpoint_answered(self) -> None:
        was_open = self.breaker.is_open
        if self.breaker.answered():
            moved = self.queue.promote_deferred(all_now=True)
            log.warning("endpoint answers again; %d deferred result(s) go now", moved)
        elif was_open:
            log.warning("endpoint answers again")

    def _failed(self, task: Task, record: DeliveryRecord, answer: Answer) -> None:
        now = self.clock.now()
        was_open = self.breaker.is_open
        self.breaker.failed(now, self.rng.random(), answer.retry_after, retried=record.deferrals > 0)
        if not was_open:
            log.warning(
                "endpoint failing (%s): holding results, next probe in %.1f s",
                answer.detail,
                self.breaker.next_probe_at - now,
            )
        first = record.first_attempt_at if record.first_attempt_at is not None else now
        if now - first >= self.policy.max_age:
            reason = (
                f"undelivered after {record.attempts} attempts over {(now - first) / 3600:.1f} h "
                f"(WEBHOOK_MAX_AGE={self.policy.max_age:.0f} s); last error: {answer.detail}"
            )
            self.queue.dead_letter(task, reason)
            return
        record.deferrals += 1
        # Retry-After is honoured up to the longest deferral, never beyond.
        asked = min(answer.retry_after or 0.0, self.policy.defer_max)
        delay = max(self.policy.deferral(record.deferrals, self.rng.random()), asked)
        until = min(now + delay, first + self.policy.max_age)
        self.queue.defer(task, until, encode({**task.doc, RECORD_KEY: record.as_dict()}))
        log.info(
            "deferred for %.0f s after %d attempts: %s",
            until - now,
            record.attempts,
            answer.detail,
            extra=task_extra(task.call_id, "deferred"),
        )
