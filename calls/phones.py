"""Phone numbers as leads are keyed: E.164 via `phonenumbers`, with a default region."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers


# Cached: each dialer cycle and each sheet write reads the whole Phone Number column again.
@lru_cache(maxsize=8192)
def to_e164(raw: str, region: str) -> str | None:
    """'+91 99000 00001', '099000-00001' or '9900000001' (region IN) -> '+919900000001'.

    None when the text is not a valid number for its region: such a lead is never dialled.
    """
    text = (raw or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def lead_key(e164: str) -> str:
    """The file-safe key of a lead's call state: the E.164 digits without '+'."""
    return e164.lstrip("+")
