"""Standard Webhooks: message ids, signing, verification, and how an answer is read. Pure logic.

Signing follows https://www.standardwebhooks.com: the signed content is
`<webhook-id>.<webhook-timestamp>.<body>`, the key is the base64 part of a `whsec_...`
secret, and the signature header is `v1,<base64 HMAC-SHA256>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import orjson

SECRET_PREFIX = "whsec_"
SIGNATURE_TOLERANCE = 300.0  # seconds either side of now, as the Standard Webhooks libraries use


class VerificationError(Exception):
    """A request's signature headers are missing, stale or do not match."""


# -- ids and signatures ------------------------------------------------------------------------


def webhook_id(call_ref_id: str, payload: Any) -> str:
    """A stable message id: the same call and payload always give the same id.

    Keys are sorted so the id depends on the payload's content, not on how it was written.
    """
    canonical = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(call_ref_id.encode() + b"\n" + canonical).hexdigest()
    return "msg_" + digest[:32]


def decode_secret(secret: str) -> bytes:
    """The HMAC key inside a `whsec_<base64>` secret. Raises ValueError when it is not base64."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError("the part after whsec_ is not valid base64") from None
    if not key:
        raise ValueError("the secret is empty")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one request."""
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def webhook_headers(msg_id: str, timestamp: int, body: bytes, key: bytes | None) -> dict[str, str]:
    """The Standard Webhooks headers. The id and timestamp are sent even when nothing is signed."""
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp)}
    if key is not None:
        headers["webhook-signature"] = sign(key, msg_id, timestamp, body)
    return headers


def verify(
    key: bytes, headers: Mapping[str, str], body: bytes, now: float, tolerance: float = SIGNATURE_TOLERANCE
) -> str:
    """Check a received request; return its webhook-id or raise VerificationError with the reason."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id", "")
    stamp = lower.get("webhook-timestamp", "")
    signatures = lower.get("webhook-signature", "")
    if not (msg_id and stamp and signatures):
        raise VerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    if not re.fullmatch(r"\d{1,12}", stamp):
        raise VerificationError("webhook-timestamp is not a number of seconds")
    if abs(now - int(stamp)) > tolerance:
        raise VerificationError("webhook-timestamp is outside the tolerance window")
    expected = sign(key, msg_id, int(stamp), body)
    for candidate in signatures.split():
        if hmac.compare_digest(candidate.encode(), expected.encode()):
            return msg_id
    raise VerificationError("no matching v1 signature")


# -- classifying answers -------------------------------------------------------------------------


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # transient: try again later
    PERMANENT = "permanent"  # can never succeed as it stands: dead letter at once


def classify(status: int | None) -> Verdict:
    """Standard Webhooks: 2xx succeeds; 4xx except 408 and 429 is permanent (410 included).

    No answer at all (timeout, refused connection), 5xx, and anything else (redirects are not
    followed) is transient.
    """
    if status is None:
        return Verdict.RETRY
    if 200 <= status < 300:
        return Verdict.DELIVERED
    if 400 <= status < 500 and status not in (408, 429):
        return Verdict.PERMANENT
    return Verdict.RETRY


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT; a zone-less parse means "-0000"
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)
