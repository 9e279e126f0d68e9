"""The delivery stage: POST each result's payload to the SingleInterface webhook.

At least once, deduplicable: every request carries the result's stable `webhook-id`, and a
result is acked right after its 2xx, so a restart never re-sends it. A copy published again
(a replay) is sent again, on purpose.

A result that keeps failing is deferred with growing delays, its delivery record (attempts,
first and last try, last error, deferrals) kept in the broker's envelope, never in the
result itself; after WEBHOOK_MAX_AGE it is dead-lettered. While the endpoint is down a
circuit breaker holds everything back and probes with one result at a time; when it
answers, the waiting results go at once.
"""

from __future__ import annotations

import logging
import random
import threading

from daemon.broker import Broker, Message, QueueName
from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config
from daemon.logs import task as task_extra
from daemon.redact import safe_url
from daemon.stage import QueueStage, StartupError
from integrations import webhooks
from integrations.singleinterface.client import Answer, NotAResultError, WebhookClient, message_of
from integrations.singleinterface.policy import Breaker, RetryPolicy
from integrations.webhooks import Verdict

log = logging.getLogger(__name__)


def attempt_outcome(answer: Answer) -> str:
    """The attempts counter's label: delivered, retryable, permanent, or network (no answer)."""
    if answer.verdict is Verdict.DELIVERED:
        return "delivered"
    if answer.verdict is Verdict.PERMANENT:
        return "permanent"
    return "network" if answer.status is None else "retryable"


class DeliveryStage(QueueStage):
    name = "delivery"
    queue_name = QueueName.RESULTS
    delivers = True
    idle_wait = 0.25  # also how late a probe may start

    def __init__(
        self,
        cfg: Config,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
        *,
        broker: Broker | None = None,
    ) -> None:
        super().__init__(cfg, clock, broker=broker)
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
            log.warning("WEBHOOKS_ENABLED=false: results stay queued and nothing is sent")
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
        return self.consumer.wakeup if self.enabled else None

    def run_once(self) -> bool:
        if not self.enabled:
            return False
        if not self.breaker.ready(self.clock.monotonic()):
            return False  # the endpoint is failing: claim nothing until the next probe
        if super().run_once():
            return True
        if self.breaker.is_open and self.consumer.promote_all():
            return super().run_once()  # nothing new waits: probe with a deferred result
        return False

    def handle(self, message: Message) -> None:
        try:
            msg_id, body = message_of(message.doc)
        except NotAResultError as exc:
            message.dead_letter(str(exc))
            return
        client = self.client
        if client is None:
            raise RuntimeError("DeliveryStage.handle() called before setup()")
        tries = 1 if self.breaker.is_open else self.policy.attempts  # a probe is a single request
        for attempt in range(1, tries + 1):
            sent_at = self.clock.now()
            answer = client.send(msg_id, body)
            error = "" if answer.verdict is Verdict.DELIVERED else answer.detail
            self.attempted(message, attempt_outcome(answer), error, sent_at)
            if answer.verdict is Verdict.DELIVERED:
                self._delivered(message, msg_id)
                return
            if answer.verdict is Verdict.PERMANENT:
                self._endpoint_answered()
                message.dead_letter(f"permanent failure, not retried: {answer.detail}")
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
                extra=task_extra(message.call_id, "retry"),
            )
            self.clock.sleep(wait)
        self._failed(message, answer)

    def _delivered(self, message: Message, msg_id: str) -> None:
        message.ack()  # first: a restart must never send an acknowledged result again
        attempts = message.envelope.attempts
        log.info("%s acknowledged on attempt %d", msg_id, attempts, extra=task_extra(message.call_id, "delivered"))
        self._endpoint_answered()

    def _endpoint_answered(self) -> None:
        was_open = self.breaker.is_open
        if self.breaker.answered():
            moved = self.consumer.promote_all()
            log.warning("endpoint answers again; %d deferred result(s) go now", moved)
        elif was_open:
            log.warning("endpoint answers again")

    def _failed(self, message: Message, answer: Answer) -> None:
        now, mono = self.clock.now(), self.clock.monotonic()
        record = message.envelope
        was_open = self.breaker.is_open
        self.breaker.failed(mono, self.rng.random(), answer.retry_after, retried=record.deferrals > 0)
        if not was_open:
            log.warning(
                "endpoint failing (%s): holding results, next probe in %.1f s",
                answer.detail,
                self.breaker.next_probe_at - mono,
            )
        first = record.first_attempt_at if record.first_attempt_at is not None else now
        if now - first >= self.policy.max_age:
            reason = (
                f"undelivered after {record.attempts} attempts over {(now - first) / 3600:.1f} h "
                f"(WEBHOOK_MAX_AGE={self.policy.max_age:.0f} s); last error: {answer.detail}"
            )
            message.dead_letter(reason)
            return
        # Retry-After is honoured up to the longest deferral, never beyond.
        asked = min(answer.retry_after or 0.0, self.policy.defer_max)
        delay = max(self.policy.deferral(record.deferrals + 1, self.rng.random()), asked)
        until = min(now + delay, first + self.policy.max_age)
        message.defer(until)  # the bookkeeping middleware counts the deferral in the envelope
        log.info(
            "deferred for %.0f s after %d attempts: %s",
            until - now,
            record.attempts,
            answer.detail,
            extra=task_extra(message.call_id, "deferred"),
        )
