"""What a customer message does besides giving values: ask for a person, say yes or no to a read-back, or
not come from the customer at all (an IVR or voicemail message)."""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import islice

from analysis.phrasebook import Phrasebook, Text
from analysis.phrasebook.text import TOKEN

_CLAUSE = re.compile(r"[^,.;!?।॥\n]+")
_NEGATION_REACH = 5  # words on either side of a request that can turn it around
_NEGATION_LOOK = 80  # ... within this many characters
_MAX_REQUESTS = 8  # requests weighed in one message; past a few, a message repeating them is noise


def asks_for_person(text: Text, book: Phrasebook) -> bool:
    """The customer asks to speak with a dealer or a person, not turned around by a negation close to the
    request in its clause: a few words before it ("no need to talk to the dealer") or after it ("dealer se
    baat nahi karni", "dealer kitta pesa vendam"). The request's own words do not count as its negation:
    "not a machine" and "robot se baat nahi" are requests."""
    clauses: list[tuple[int, int]] = []
    requests = book.person_request
    if not requests.gate(text):
        return False
    text = _without_particles(text, book.particle)  # "dealer se hi baat karni hai" asks as "dealer se baat"
    low = text.low
    for match in islice(requests.finditer(text), _MAX_REQUESTS):
        if not clauses:
            clauses = [clause.span() for clause in _CLAUSE.finditer(low)]
        start, end = match.span()
        clause_start, clause_end = clauses[max(0, bisect_right(clauses, (start, len(low))) - 1)]
        before = " ".join(low[max(clause_start, start - _NEGATION_LOOK) : start].split()[-_NEGATION_REACH:])
        after = " ".join(low[end : min(clause_end, end + _NEGATION_LOOK)].split()[:_NEGATION_REACH])
        if before not in book.negation and after not in book.negation_after:
            return True
    return False


def _without_particles(text: Text, particles: frozenset[str]) -> Text:
    """The text with its emphatic particles ("hi", "ही", "j", "ਵੀ") blanked out, offsets kept."""
    if particles.isdisjoint(text.keys):
        return text
    return Text(TOKEN.sub(lambda word: " " * len(word[0]) if word[0] in particles else word[0], text.low))


def affirms(text: Text, book: Phrasebook) -> bool:
    """The customer says yes (and not no) to a read-back."""
    return book.acknowledgement.search(text) is not None and book.rejection.search(text) is None


def is_ivr(text: Text, book: Phrasebook) -> bool:
    """An IVR, network or voicemail message in the customer's place: nobody is there to answer."""
    return book.ivr.search(text) is not None
