"""What a customer message does besides giving values: ask for a person, say yes or no to a read-back, or
not come from the customer at all (an IVR or voicemail message)."""

from __future__ import annotations

import re
from bisect import bisect_right

from analysis.phrasebook import Phrasebook, Text

_CLAUSE = re.compile(r"[^,.;!?।॥\n]+")


def asks_for_person(text: Text, book: Phrasebook) -> bool:
    """The customer asks to speak with a dealer or a person, without a negation in the same clause. The
    request's own words do not count as its negation: "not a machine" and "robot se baat nahi" are requests."""
    clauses: list[tuple[int, int]] = []
    for match in book.person_request.finditer(text):
        if not clauses:
            clauses = [clause.span() for clause in _CLAUSE.finditer(text.low)]
        start, end = match.span()
        clause_start, clause_end = clauses[max(0, bisect_right(clauses, (start, len(text.low))) - 1)]
        rest = text.low[clause_start:start] + " , " + text.low[end:clause_end]
        if rest not in book.negation:
            return True
    return False


def affirms(text: Text, book: Phrasebook) -> bool:
    """The customer says yes (and not no) to a read-back."""
    return book.acknowledgement.search(text) is not None and book.rejection.search(text) is None


def is_ivr(text: Text, book: Phrasebook) -> bool:
    """An IVR, network or voicemail message in the customer's place: nobody is there to answer."""
    return book.ivr.search(text) is not None
