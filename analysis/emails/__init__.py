"""Email addresses spoken by a customer, as an ASR engine wrote them down.

One customer message goes in ("mera email r a h u l nine two at the rate g mail dot com hai"); the last
complete, syntactically valid address comes out ("rahul92@gmail.com"). The text is cut into tokens
(`lexer.py`), spelled forms are merged (`spelling.py`), and every "@" gathers an address around it
(`address.py`). Validation is syntax only: this package never touches the network.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from itertools import pairwise

from email_validator import EmailNotValidError, validate_email

from analysis.emails.address import candidates
from analysis.emails.lexer import Tok, lex
from analysis.emails.spelling import apply_multipliers, merge_letters, merge_numbers

__all__ = ["extract_email", "normalize_spoken_email", "typed_addresses"]

# Cheap pre-filter: a message without any of these cannot hold an address.
_SIGNAL = re.compile(r"@|\bat|एट|ऐट")
_SIGNALS = 4  # the last addresses of a message that are read; a customer corrects an address once or twice
_REACH = 200  # characters on either side of an "at" that can belong to its address


def _tokens(text: str) -> list[Tok]:
    text = text.lower().replace("\u2019", "'")
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return merge_letters(merge_numbers(apply_multipliers(lex(text))))


def normalize_spoken_email(text: str) -> str:
    """The text after spoken-form normalisation (exposed for table tests and debugging).

    Every address-shaped span is written as one address ("vikas malhotra at gmail dot com" ->
    "vikasmalhotra@gmail.com"); the other words stay as said, lower-cased.
    """
    toks = _tokens(text)
    spans = {start: (end, address) for start, end, address in candidates(toks)}
    out: list[str] = []
    i = 0
    while i < len(toks):
        if out and toks[i].gap:
            out.append(" ")
        if i in spans:
            i, address = spans[i]
            out.append(address)
        else:
            out.append(toks[i].orig)
            i += 1
    return "".join(out)


def extract_email(text: str) -> str | None:
    """Normalise spoken forms in ONE customer message (English and Hindi, Latin or Devanagari) and return the
    LAST complete, syntactically valid address in it (lower case), else None. No DNS, ever."""
    if not isinstance(text, str):
        return None
    low = text.lower()  # the positions below index this string, so it is the one sliced
    signals = [match.start() for match in _SIGNAL.finditer(low)]
    if not signals:
        return None
    for _, _, address in reversed(candidates(_tokens(_around(low, signals)))):
        valid = _validated(address)
        if valid is not None:
            return valid
    return None


def _around(text: str, signals: list[int]) -> str:
    """The part of the text that can hold the last addresses: from a little before the _SIGNALS-th last
    "at" to a little after the last one. No address reaches further (a spelled-out local part of 64
    letters is some 150 characters), and a message full of "@" then costs no more than a few addresses."""
    start = max(0, (signals[-_SIGNALS] if len(signals) > _SIGNALS else signals[0]) - _REACH)
    end = signals[-1] + _REACH
    if start == 0 and end >= len(text):
        return text
    space = text.rfind(" ", max(0, start - _REACH), start)  # whole words, when a space is near
    after = text.find(" ", end, end + _REACH)
    return text[space + 1 if space != -1 else start : after if after != -1 else end]


# Addresses of the plainest shape, which email_validator accepts unchanged: letters and digits joined by
# single dots, hyphens, underscores or pluses, at a domain of such labels under a common top-level domain.
# They skip the full validator (tens of microseconds each); everything else goes through it.
_PLAIN = re.compile(
    r"[a-z0-9]+(?:[._+-][a-z0-9]+)*@(?:[a-z0-9]+(?:-[a-z0-9]+)*\.)+(?:com|in|net|org|co|edu|info|io|biz|me|us|uk|ai)"
)
_MAX_PLAIN_LOCAL = 64
_MAX_PLAIN_LABEL = 63
_MAX_PLAIN_LENGTH = 254


@functools.lru_cache(maxsize=4096)
def _validated(address: str) -> str | None:
    """The address if its syntax is valid (customers repeat an address, so answers are cached)."""
    if _plain(address):
        return address
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except (EmailNotValidError, ValueError, UnicodeError):
        return None


_LOCAL = re.compile(r"[a-z0-9._%+-]+")
_DOMAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


def _plain(address: str) -> bool:
    if len(address) > _MAX_PLAIN_LENGTH or _PLAIN.fullmatch(address) is None:
        return False
    local, domain = address.split("@")
    return len(local) <= _MAX_PLAIN_LOCAL and all(len(label) <= _MAX_PLAIN_LABEL for label in domain.split("."))


def typed_addresses(low: str) -> list[str]:
    """Addresses typed whole ("a.b@gmail.com") in lower-cased text, in order. Each word is read once on
    either side of its "@", never searched from every position, so this is linear on any input."""
    found: list[str] = []
    for word in low.split():
        if "@" not in word:
            continue
        parts = word.split("@")
        for before, after in pairwise(parts):
            local = _LOCAL.match(before[::-1])
            domain = _DOMAIN.match(after)
            if local is None or domain is None:
                continue
            name = local.group()[::-1].lstrip("._%+-")
            if name:
                found.append(f"{name}@{domain.group().rstrip('-')}")
    return found
