"""What one agent message does: it asks for fields, reads a value back, says it did not understand, nudges,
or closes the call.

- An ask is a sentence that names a field ("name", "gaadi", "ईमेल", "பெயர்"...) and asks or requests
  (a question mark, "what", "may I", "bataiye", "sollunga", "cheppandi"...), or says the agent did not get
  it ("sorry, I didn't catch your email"). One message asking two fields asks both.
- A question about the car that says "name" ("may I know the variant name?") asks for the model, and a
  question about the car the customer has now ("which car do you drive?") asks for nothing; neither does
  the name of something else ("the name of your city", the agent's own "mera naam Priya hai"), nor a field
  the agent thanks for or says what it will do with ("thanks for sharing your name", "we will send the
  brochure to your email"). A make stands for its cars ("Which Mahindra are you interested in?").
- A question offering models to choose from ("We have the Punch, Nexon and Harrier. Which one would you
  like?", "Is it the Creta or the Seltos?") asks for the model again.
- A re-ask that names no field ("sorry, could you repeat that?") asks again for the field asked last.
- A read-back states a value and seeks confirmation ("just to confirm, your name is Vivek, right?", "aapka
  naam Vivek hai?", "Creta thaane?"). It is never an ask for the field it reads back; it only offers a
  spelling the customer may affirm.
- Confusion counts agent messages saying they did not understand or asking again; an apology ("sorry to
  hear that", "sorry to disturb you") is not confusion.
- A closing line ("I will call you at a better time, thank you") asks for nothing and re-asks nothing.
- A nudge ("are you still there?") leaves the conversation where it was.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from analysis.emails import extract_email, typed_addresses
from analysis.fields import EMAIL, MODEL, NAME, Field
from analysis.models import ModelCatalog
from analysis.names import NameReader
from analysis.phrasebook import Phrasebook, PhraseSet, Text

_SENTENCE = re.compile(r"[^.!?।॥\n]+[.!?।॥]*")
_QUESTION_MARK = re.compile(r"\?")
_NUDGE_MAX_WORDS = 8


@dataclass(frozen=True, slots=True)
class AgentAct:
    asks: tuple[Field, ...] = ()  # fields asked, in the order the message names them
    readback: dict[Field, str] = field(default_factory=dict)  # field -> value read back
    confused: bool = False
    nudge: bool = False
    closing: bool = False
    owned_question: bool = False  # asks about the car the customer has now


class _Sentences:
    """The sentences of one message, by offset: phrase matches found in the whole message are placed in
    the sentence they start in."""

    def __init__(self, low: str) -> None:
        self.starts = [match.start() for match in _SENTENCE.finditer(low)] or [0]

    def of(self, position: int) -> int:
        return bisect_right(self.starts, position) - 1

    def holding(self, spans: list[tuple[int, int]]) -> set[int]:
        return {self.of(start) for start, _ in spans}


class AgentActs:
    """Classifies agent messages with one phrasebook and one catalog."""

    def __init__(self, book: Phrasebook, catalog: ModelCatalog, names: NameReader) -> None:
        self._book = book
        self._catalog = catalog
        self._names = names
        self._keywords: tuple[tuple[Field, PhraseSet], ...] = (
            (NAME, book.name_question),
            (MODEL, book.model_question),
            (EMAIL, book.email_question),
        )

    def act(self, text: Text, raw: str, last_asked: Field | None) -> AgentAct:
        """Classify one agent message; `last_asked` is the field asked last before it."""
        book = self._book
        sentences = _Sentences(text.low)
        closing = sentences.holding(book.closing.spans(text))
        confused = self._confused(text, sentences, closing)
        readback = self._readback(text, raw, last_asked) if book.readback.search(text) else {}
        if not readback:
            readback = self._name_readback(text)
        asks, owned_question = self._asks(text, sentences, closing, confused, exclude=readback)
        if not asks and confused and not closing and not readback and last_asked is not None:
            asks = (last_asked,)
        nudge = (
            not (asks or readback or confused or closing)
            and len(text.tokens) <= _NUDGE_MAX_WORDS
            and book.nudge.search(text) is not None
        )
        return AgentAct(asks, readback, bool(confused), nudge, bool(closing), owned_question)

    def _confused(self, text: Text, sentences: _Sentences, closing: set[int]) -> set[int]:
        """The sentences saying the agent did not understand: a confusion phrase that is not part of an
        apology ("sorry to hear that"), in a sentence that does not close the call."""
        book = self._book
        found = book.confusion.spans(text)
        if not found:
            return set()
        apologies = book.apology.spans(text)
        return {
            sentences.of(start)
            for start, end in found
            if sentences.of(start) not in closing and not any(a <= start < b or start <= a < end for a, b in apologies)
        }

    def _asks(
        self,
        text: Text,
        sentences: _Sentences,
        closing: set[int],
        confused: set[int],
        exclude: dict[Field, str],
    ) -> tuple[tuple[Field, ...], bool]:
        """(the fields asked, in the order named; whether the message asks about the car owned now)."""
        book = self._book
        named = [(f, words) for f, words in self._keywords if f not in exclude and words.gate(text)]
        if MODEL not in exclude and book.car_word.gate(text):
            named.append((MODEL, book.car_word))
        if not named and "?" not in text.low:
            return (), False
        hits = [(f, span, words is book.car_word) for f, words in named for span in words.spans(text)]
        if (
            MODEL not in exclude
            and not any(f == MODEL for f, _, _ in hits)
            and self._catalog.car_words(text)
            and book.choice.gate(text)
        ):
            # A make stands for its cars as "car" does: "Which Mahindra are you interested in?"
            hits += [(MODEL, span, True) for span in self._catalog.make_spans(text.low)]
        if MODEL not in exclude and not any(f == MODEL for f, _, _ in hits):
            hits += self._offered_models(text, sentences, closing, confused)
        hits = [hit for hit in hits if sentences.of(hit[1][0]) not in closing]
        if not hits:
            return (), False
        # A "name" inside a question about the car's name asks for the model; a car word inside a question
        # about the car the customer has now, or a field the agent thanks for, asks for nothing.
        # "the name of your city", "dealer ka naam": a name that is nobody's to give asks for nothing.
        car_names, other_names = [], []
        if any(f == NAME for f, _, _ in hits):
            car_names, other_names = book.model_question.spans(text), book.other_name.spans(text)
        owned_question = book.owned_question.spans(text) if any(f == MODEL for f, _, _ in hits) else []
        received = book.received.spans(text)  # "thanks for sharing your name": that field is not asked
        hits = [
            (f, span, needs_choice)
            for f, span, needs_choice in hits
            if not (f == NAME and (_inside(span, car_names) or _inside(span, other_names)))
            and not (f == MODEL and _inside(span, owned_question))
            and not _inside(span, received)
        ]
        questions = confused | sentences.holding(book.question.spans(text))
        questions |= {sentences.of(match.start()) for match in _QUESTION_MARK.finditer(text.low)}
        choices: set[int] | None = None  # "which", "kaunsi", "எந்த"...: looked up once, only if a car word needs it
        found: dict[Field, int] = {}
        for f, (start, _), needs_choice in hits:
            if sentences.of(start) not in questions:
                continue
            if needs_choice:
                choices = sentences.holding(book.choice.spans(text)) if choices is None else choices
                if sentences.of(start) not in choices:
                    continue
            found[f] = max(found.get(f, -1), start)
        return tuple(sorted(found, key=found.__getitem__)), bool(owned_question)

    def _offered_models(
        self, text: Text, sentences: _Sentences, closing: set[int], confused: set[int]
    ) -> list[tuple[Field, tuple[int, int], bool]]:
        """A question offering models to choose from ("We have the Punch, Nexon and Harrier. Which one would
        you like?", "the Creta or something else?") asks for the model again, at its question. One model
        alone ("Kya aap Nexon EV hi lena chahenge?") only confirms a choice, as a read-back does."""
        if "?" not in text.low and not self._book.question.gate(text):
            return []
        # The agent spells the cars it offers: without two car words, or one and an "or", none are offered.
        car_words = len(self._catalog.car_words(text))
        if car_words == 0 or (car_words == 1 and self._book.alternative.search(text) is None):
            return []
        offered = {mention.canonical for mention in self._catalog.find(text.low)}
        if not offered or (len(offered) == 1 and self._book.alternative.search(text) is None):
            return []
        questions = confused | sentences.holding(self._book.question.spans(text))
        questions |= {sentences.of(match.start()) for match in _QUESTION_MARK.finditer(text.low)}
        asking = sorted(questions - closing)
        if not asking:
            return []
        start = sentences.starts[asking[-1]]
        return [(MODEL, (start, start), False)]

    def _name_readback(self, text: Text) -> dict[Field, str]:
        """A question stating the name ("aapka naam Vivek hai?", "mee peru Vivek aa?"): the name is the words
        between "naam" and the question's end; "naam kya hai?" states none and asks for it."""
        for match in self._book.name_readback.finditer(text):
            name = self._names.clean(match.group().split(maxsplit=1)[-1])
            if name:
                return {NAME: name}
        return {}

    def _readback(self, text: Text, raw: str, last_asked: Field | None) -> dict[Field, str]:
        book = self._book
        values: dict[Field, str] = {}
        address = typed_addresses(text.low)
        email = address[-1] if address else extract_email(raw) if book.email_question.gate(text) else None
        if email:
            values[EMAIL] = email
        fallback = last_asked == NAME and not values
        name = self._names.readback_name(text, raw, fallback)
        if name:
            values[NAME] = name
        if not values and self._catalog.car_words(text):
            # A model read-back only offers the catalog's own spelling, which the agent spells right. Cars joined
            # by "or" are a choice ("Is it the Creta or the Seltos?", `_offered_models`), not a read-back.
            mentions = self._catalog.find(text.low)
            choice = len({m.canonical for m in mentions}) > 1 and self._book.alternative.search(text) is not None
            if mentions and not choice:
                values[MODEL] = mentions[-1].canonical
        return values


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in spans)
