"""What one message does: an agent message asks for fields, reads a value back, says it did not understand,
or nudges; a customer message asks for a person or affirms a read-back.

- An ask is a sentence that names a field ("name", "gaadi", "ईमेल", "பெயர்"...) and asks or requests
  (a question mark, "what", "may I", "bataiye", "sollunga", "cheppandi"...), or says the agent did not get
  it ("sorry, I didn't catch your email"). One message asking two fields asks both.
- A re-ask that names no field ("sorry, could you repeat that?") asks again for the field asked last.
- A read-back states a value and seeks confirmation ("just to confirm, your name is Vivek, right?"). It is
  never an ask for the field it reads back; it only offers a spelling the customer may affirm.
- Confusion counts agent messages saying they did not understand or asking again; "sorry to hear that"
  is not confusion.
- A nudge ("are you still there?") leaves the conversation where it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from analysis.emails import extract_email
from analysis.fields import EMAIL, MODEL, NAME
from analysis.lexicon import (
    CAR_WORDS,
    CHOICE,
    CONFUSION,
    EMAIL_KEYWORDS,
    INTERROGATIVE,
    MODEL_KEYWORDS,
    NAME_KEYWORDS,
    NOT_PERSON_NAME,
    NUDGE,
    READBACK,
)
from analysis.models import ModelCatalog
from analysis.names import readback_name
from analysis.phrases import PhraseSet, Text
from analysis.replies import AFFIRM_WORDS, HUMAN_REQUEST, NEGATE_WORDS, NEGATION

_KEYWORDS: tuple[tuple[str, PhraseSet], ...] = ((NAME, NAME_KEYWORDS), (MODEL, MODEL_KEYWORDS), (EMAIL, EMAIL_KEYWORDS))
_SENTENCE = re.compile(r"[^.!?।॥\n]+[.!?।॥]*")
_CLAUSE = re.compile(r"[^,.;!?।॥\n]+")
_ADDRESS = re.compile(r"[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_NOT_PERSON_BEFORE = re.compile(f"(?:{NOT_PERSON_NAME.pattern.pattern})[\\s,]*$")
_NUDGE_MAX_WORDS = 8


@dataclass(frozen=True, slots=True)
class AgentAct:
    asks: tuple[str, ...] = ()  # fields asked, in the order the message names them
    readback: dict[str, str] = field(default_factory=dict)  # field -> value read back
    confused: bool = False
    nudge: bool = False


def agent_act(text: Text, raw: str, last_asked: str | None, catalog: ModelCatalog) -> AgentAct:
    """Classify one agent message; `last_asked` is the field asked last before it."""
    confused = CONFUSION.search(text) is not None
    readback = _readback(text, raw, last_asked, catalog) if READBACK.search(text) else {}
    asks = _asks(text, confused, exclude=readback)
    if not asks and confused and not readback and last_asked is not None:
        asks = (last_asked,)
    nudge = (
        not (asks or readback or confused) and len(text.tokens) <= _NUDGE_MAX_WORDS and NUDGE.search(text) is not None
    )
    return AgentAct(asks, readback, confused, nudge)


def _asks(text: Text, confused: bool, exclude: dict[str, str]) -> tuple[str, ...]:
    named = [(f, words) for f, words in _KEYWORDS if f not in exclude and words.gate(text)]
    if MODEL not in exclude and CAR_WORDS.gate(text):
        named.append((MODEL, CAR_WORDS))
    if not named:
        return ()
    found: dict[str, int] = {}
    for sentence in _SENTENCE.finditer(text.low):
        part = sentence.group()
        hits = [
            (f, match.start(), words is CAR_WORDS)
            for f, words in named
            for match in words.pattern.finditer(part)
            if not (f == NAME and _NOT_PERSON_BEFORE.search(part, max(0, match.start() - 24), match.start()))
        ]
        if not hits or not ("?" in part or part in INTERROGATIVE or (confused and part in CONFUSION)):
            continue
        choice: bool | None = None  # "which", "kaunsi", "எந்த"...: looked up once, only if a car word needs it
        for f, at, needs_choice in hits:
            if needs_choice:
                choice = part in CHOICE if choice is None else choice
                if not choice:
                    continue
            found[f] = max(found.get(f, -1), sentence.start() + at)
    return tuple(sorted(found, key=found.__getitem__))


def _readback(text: Text, raw: str, last_asked: str | None, catalog: ModelCatalog) -> dict[str, str]:
    values: dict[str, str] = {}
    address = _ADDRESS.findall(text.low)
    email = address[-1] if address else extract_email(raw) if EMAIL_KEYWORDS.gate(text) else None
    if email:
        values[EMAIL] = email
    fallback = last_asked == NAME and not values and not NAME_KEYWORDS.gate(text)
    name = readback_name(text, raw, fallback, vehicle_test(catalog))
    if name:
        values[NAME] = name
    if not values:  # a model read-back only offers the catalog's own spelling: look for one last
        model = catalog.match(raw)
        if model:
            values[MODEL] = model
    return values


def asks_for_person(text: Text) -> bool:
    """The customer asks to speak with a dealer or a person, without a negation in the same clause."""
    for match in HUMAN_REQUEST.finditer(text):
        clause = _clause_around(text.low, match.start())
        if clause not in NEGATION:
            return True
    return False


def affirms(text: Text) -> bool:
    """The customer says yes (and not no) to a read-back."""
    return not AFFIRM_WORDS.isdisjoint(text.words) and NEGATE_WORDS.isdisjoint(text.words)


def _clause_around(low: str, position: int) -> str:
    for clause in _CLAUSE.finditer(low):
        if clause.start() <= position < clause.end():
            return clause.group()
    return low


def vehicle_test(catalog: ModelCatalog) -> Callable[[str], bool]:
    """True for a candidate name made only of car words ("Creta", "Nexon EV")."""
    is_vehicle_word = catalog.is_vehicle_word
    return lambda candidate: all(is_vehicle_word(word) for word in candidate.lower().split())
