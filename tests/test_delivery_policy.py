"""The pure parts of delivery: Standard Webhooks signing, ids, and the retry policy."""

from __future__ import annotations

import base64
import time
from email.utils import formatdate

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from integrations import webhooks
from integrations.singleinterface.policy import Breaker, RetryPolicy
from integrations.webhooks import Verdict

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


# -- signing ---------------------------------------------------------------------------------------


def test_signature_is_accepted_by_the_standardwebhooks_library() -> None:
    body = '{"id":"bot_1","call_ref_id":"1","language":{"conversational":"हिंदी"}}'.encode()
    now = int(time.time())
    headers = webhooks.webhook_headers("msg_abc", now, body, webhooks.decode_secret(SECRET))
    assert Webhook(SECRET).verify(body, headers)["call_ref_id"] == "1"


def test_library_rejects_our_signature_over_a_changed_body_or_with_another_secret() -> None:
    body = b'{"a":1}'
    now = int(time.time())
    headers = webhooks.webhook_headers("msg_abc", now, body, webhooks.decode_secret(SECRET))
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(b'{"a":2}', headers)
    other = "whsec_" + base64.b64encode(b"another secret of 32 bytes......").decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)


def test_our_verify_accepts_the_library_signature_and_rejects_stale_or_forged_ones() -> None:
    key = webhooks.decode_secret(SECRET)
    body = b'{"x":true}'
    now = time.time()
    from datetime import UTC, datetime

    library_sig = Webhook(SECRET).sign("msg_1", datetime.fromtimestamp(int(now), UTC), body.decode())
    headers = {"Webhook-Id": "msg_1", "Webhook-Timestamp": str(int(now)), "Webhook-Signature": library_sig}
    assert webhooks.verify(key, headers, body, now) == "msg_1"
    # Several signatures (key rotation): any match is enough.
    rotated = {**headers, "Webhook-Signature": "v1,AAAA " + library_sig}
    assert webhooks.verify(key, rotated, body, now) == "msg_1"
    with pytest.raises(webhooks.VerificationError, match="tolerance"):
        webhooks.verify(key, headers, body, now + 301)
    with pytest.raises(webhooks.VerificationError, match="no matching"):
        webhooks.verify(key, {**headers, "Webhook-Id": "msg_2"}, body, now)
    with pytest.raises(webhooks.VerificationError, match="missing"):
        webhooks.verify(key, {"webhook-id": "msg_1"}, body, now)


def test_unsigned_requests_still_carry_id_and_timestamp() -> None:
    headers = webhooks.webhook_headers("msg_x", 1700000000, b"{}", None)
    assert headers == {"webhook-id": "msg_x", "webhook-timestamp": "1700000000"}


def test_bad_secrets_are_refused() -> None:
    with pytest.raises(ValueError):
        webhooks.decode_secret("whsec_not*base64!")
    with pytest.raises(ValueError):
        webhooks.decode_secret("whsec_")


def test_webhook_id_is_stable_for_the_same_content_and_changes_with_it() -> None:
    payload = {"id": "bot_7", "call_ref_id": "7", "duration": 30, "language": {"welcome": "english"}}
    reordered = {"language": {"welcome": "english"}, "duration": 30, "call_ref_id": "7", "id": "bot_7"}
    first = webhooks.webhook_id("7", payload)
    assert first.startswith("msg_") and len(first) == 36
    assert webhooks.webhook_id("7", reordered) == first
    assert webhooks.webhook_id("7", {**payload, "duration": 31}) != first
    assert webhooks.webhook_id("8", payload) != first


# -- classification and Retry-After --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (202, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (400, Verdict.PERMANENT),
        (401, Verdict.PERMANENT),
        (404, Verdict.PERMANENT),
        (410, Verdict.PERMANENT),
        (422, Verdict.PERMANENT),
        (408, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (301, Verdict.RETRY),
        (None, Verdict.RETRY),
    ],
)
def test_classify(status: int | None, verdict: Verdict) -> None:
    assert webhooks.classify(status) is verdict


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    now = 1_800_000_000.0
    assert webhooks.parse_retry_after("120", now) == 120.0
    assert webhooks.parse_retry_after(" 0 ", now) == 0.0
    assert webhooks.parse_retry_after(formatdate(now + 90, usegmt=True), now) == pytest.approx(90, abs=1)
    assert webhooks.parse_retry_after(formatdate(now - 90, usegmt=True), now) == 0.0  # already past
    for bad in (None, "", "soon", "-5", "1.5e3", "Mon, 99 Foo 2025"):
        assert webhooks.parse_retry_after(bad, now) is None


# -- delays ---------------------------------------------------------------------------------------


def test_immediate_backoff_grows_and_jitter_stays_within_half_to_full() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=8.0)
    for retry, full in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        low, high = policy.backoff(retry, 0.0), policy.backoff(retry, 0.999999)
        assert low == pytest.approx(full / 2)
        assert high == pytest.approx(full, rel=1e-5)
    lows = [policy.backoff(r, 0.0) for r in range(1, 6)]
    assert lows == sorted(lows) and lows[0] < lows[-1]


def test_deferrals_grow_postfix_style_up_to_the_cap() -> None:
    policy = RetryPolicy()
    fulls = [policy.deferral(n, 1.0) for n in range(1, 8)]
    assert fulls == [300.0, 600.0, 1200.0, 2400.0, 4000.0, 4000.0, 4000.0]
    assert policy.deferral(1, 0.0) == pytest.approx(270.0)  # jitter takes off at most 10%


def test_probe_delay_never_exceeds_the_cap() -> None:
    policy = RetryPolicy(probe_base=1.0, probe_factor=1.5, probe_max=60.0)
    delays = [policy.probe_delay(n, 1.0) for n in range(1, 16)]
    assert delays[:4] == [1.0, 1.5, 2.25, 3.375]
    assert delays == sorted(delays) and max(delays) == 60.0 and delays[-1] == 60.0
    assert all(policy.probe_delay(n, 0.0) == 0.75 * delays[n - 1] for n in range(1, 16))


# -- the breaker ----------------------------------------------------------------------------------


def test_breaker_opens_on_failure_and_waits_for_the_probe_time() -> None:
    breaker = Breaker(RetryPolicy(probe_base=1.0, probe_factor=2.0, probe_max=60.0))
    assert breaker.ready(0.0)
    breaker.failed(100.0, rand=1.0)
    assert breaker.is_open and not breaker.ready(100.5) and breaker.ready(101.0)
    breaker.failed(101.0, rand=1.0)
    assert breaker.next_probe_at == 103.0
    breaker.failed(103.0, rand=1.0, retry_after=30.0)  # the endpoint asked for longer: honoured
    assert breaker.next_probe_at == 133.0


def test_breaker_drains_deferred_results_after_an_outage() -> None:
    breaker = Breaker(RetryPolicy())
    breaker.failed(0.0, rand=0.5)  # a fresh result failed: the endpoint is suspect
    assert breaker.answered() is True
    assert not breaker.is_open and breaker.answered() is False  # closed: nothing more to drain


def test_breaker_keeps_a_poison_result_on_its_own_schedule() -> None:
    breaker = Breaker(RetryPolicy())
    # A result that had failed before fails again, and the next result goes through at once:
    # the result is the problem, so the deferred ones keep their delays.
    breaker.failed(0.0, rand=0.5, retried=True)
    assert breaker.answered() is False
    # But if a probe failed too, it was an outage after all.
    breaker.failed(0.0, rand=0.5, retried=True)
    breaker.failed(2.0, rand=0.5)
    assert breaker.answered() is True
