"""The phrasebook: every phrase and word list the analysis knows, by section, merged over the languages.

The sections, and what reads them:

agent messages (`acts.py`)
  name_question, model_question, email_question   the words that make a question about that field
  car_word, choice        "car", "gaadi" ask for the model only together with "which", "kaunsi", "எந்த"
  alternative             "or", "ya", "leda": a question naming a model and an alternative offers a choice
  question                a sentence that asks or requests ("what", "may I", "bataiye", "sollunga")
  confusion               the agent did not understand, or asks again
  apology                 apologies that are not confusion ("sorry to hear that", "sorry to disturb")
  readback                the agent states a value and seeks confirmation ("just to confirm", "sahi hai?")
  readback_name           what precedes the name in a read-back ("your name is", "am I speaking with")
  name_readback           a question stating the name ("aapka naam Vivek hai?"): a read-back of the name only
  received                the agent thanks for a value it has ("thanks for sharing your name") or says what it
                          will do with it ("we will send the brochure to your email"): no ask
  other_name              the name of something else ("the name of your city", "dealer ka naam"): no ask
  nudge                   "are you still there?": keeps the conversation where it was
  closing                 a closing line that asks for nothing ("I will call you at a better time")
  owned_question          a question about the car the customer has now ("which car do you drive?")
customer messages (`replies.py`, `names.py`, `dialogue.py`)
  person_request          the customer asks for a person: dealer, agent, human, senior, showroom
  negation                before a request, turns it around ("no need to", "I don't want to")
  negation_after          after a request, turns it around ("dealer se baat nahi karni", "pesa vendam")
  acknowledgement         yes, okay, correct, go on: never a name; affirms a read-back
  rejection               no, wrong: rejects a read-back
  ivr                     IVR, network and voicemail messages: nobody was there to answer
  non_answer              "I don't know", "baad mein": no name in that reply
  name_intro, name_intro_weak      the name follows ("my name is X"; "this is X" only where a name is expected)
  name_outro, name_outro_weak      the name precedes ("X speaking"; "X here")
  owned_before, owned_after        a car the customer already has ("I drive a X", "X hai mere paas")
  refused_before, refused_after    a car the customer turns down ("not the X", "X nahi")
words
  not_name                words that are never (part of) a name
  leading_filler, trailing_filler  words around a bare name ("haan ji, Rahul ji")
  place                   cities and states: never a name
  particle                emphatic particles a request may hold ("dealer se hi baat", "ડીલર સાથે જ વાત")
  place_before, place_after        words that mark a place, not a name: "from pune"; "pune se", "chennai la"
  words                   the language's own everyday words, for language detection
  borrowed                English words every Indian language has borrowed: weak evidence for English
  signature               two-word phrases that pick the language out of a group ("mera naam", "naa peru")
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from analysis.phrasebook.files import Kind, Line, merged
from analysis.phrasebook.phrase_set import PhraseSet
from analysis.phrasebook.text import fold

SECTIONS: dict[str, Kind] = {
    **dict.fromkeys(
        (
            "name_question",
            "model_question",
            "email_question",
            "car_word",
            "choice",
            "alternative",
            "question",
            "confusion",
            "apology",
            "readback",
            "readback_name",
            "name_readback",
            "received",
            "other_name",
            "nudge",
            "closing",
            "owned_question",
            "person_request",
            "negation",
            "negation_after",
            "acknowledgement",
            "rejection",
            "ivr",
            "non_answer",
            "name_intro",
            "name_intro_weak",
            "name_outro",
            "name_outro_weak",
            "owned_before",
            "owned_after",
            "refused_before",
            "refused_after",
        ),
        Kind.PHRASES,
    ),
    **dict.fromkeys(
        (
            "not_name",
            "leading_filler",
            "trailing_filler",
            "place",
            "particle",
            "place_before",
            "place_after",
            "words",
            "borrowed",
        ),
        Kind.WORDS,
    ),
    "signature": Kind.PAIRS,
}


class Phrasebook:
    """Every section as one matcher or word set over all languages; `words` and `signature` per language."""

    name_question: PhraseSet
    model_question: PhraseSet
    email_question: PhraseSet
    car_word: PhraseSet
    choice: PhraseSet
    alternative: PhraseSet
    question: PhraseSet
    confusion: PhraseSet
    apology: PhraseSet
    readback: PhraseSet
    readback_name: PhraseSet
    name_readback: PhraseSet
    received: PhraseSet
    other_name: PhraseSet
    nudge: PhraseSet
    closing: PhraseSet
    owned_question: PhraseSet
    person_request: PhraseSet
    negation: PhraseSet
    negation_after: PhraseSet
    acknowledgement: PhraseSet
    rejection: PhraseSet
    ivr: PhraseSet
    non_answer: PhraseSet
    name_intro: PhraseSet
    name_intro_weak: PhraseSet
    name_outro: PhraseSet
    name_outro_weak: PhraseSet
    owned_before: PhraseSet
    owned_after: PhraseSet
    refused_before: PhraseSet
    refused_after: PhraseSet
    not_name: frozenset[str]
    leading_filler: frozenset[str]
    trailing_filler: frozenset[str]
    place: frozenset[str]
    particle: frozenset[str]
    place_before: frozenset[str]
    place_after: frozenset[str]
    borrowed: frozenset[str]
    words: dict[str, frozenset[str]]  # language -> its words
    signature: dict[tuple[str, str], str]  # (first, second) -> language

    def __init__(self, sections: dict[str, dict[str, list[Line]]]) -> None:
        for name, kind in SECTIONS.items():
            by_language = sections.get(name, {})
            lines = [line for language_lines in by_language.values() for line in language_lines]
            if kind == Kind.PHRASES:
                setattr(self, name, PhraseSet(line.phrase or line.text for line in lines))
            elif name == "words":
                self.words = {language: _line_words(language_lines) for language, language_lines in by_language.items()}
            elif kind == Kind.WORDS:
                setattr(self, name, _line_words(lines))
            else:
                self.signature = {
                    (first, second): language
                    for language, language_lines in by_language.items()
                    for first, second in (fold(line.text.lower()).split() for line in language_lines)
                }

    @classmethod
    def load(cls, overrides: Path | None = None) -> Phrasebook:
        """The shipped phrase files, changed by an override folder (see `files.py`). ValueError names the
        file and line of a problem."""
        return cls(merged(SECTIONS, overrides))


def _line_words(lines: list[Line]) -> frozenset[str]:
    return frozenset(word for line in lines for word in fold(line.text.lower()).split())


@cache
def shipped_phrasebook() -> Phrasebook:
    """The shipped phrase files alone, loaded once."""
    return Phrasebook.load(None)
