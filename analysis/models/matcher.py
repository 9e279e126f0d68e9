"""Car models named in a customer's words, matched against the catalog.

A run of words matches an alias when its keys (`reading.py`), joined without spaces, equal the alias's
key, which the same steps made from the catalog. So "XUV-700", "xuv 700", "ex you vee seven double zero"
and "एक्स यू वी 700" all read "xuv700". The longest alias starting at a word wins ("nexon ev" beats
"nexon"); a misspelt word near a catalog word is read as it (`speller.py`).

Aliases that are everyday words ("city", "punch"), and letter-and-digit names split over several words
("a 4", "c 3", "i twenty"), only count when the make is named in the same message or in a short answer (at
most four words), and a split name also in any reply to a question for the model; an everyday word never
right after "the", "in", "a"..., a split name never right before a unit ("a 4 seater", "be 6 lakh"). A
make alone names no model, and neither does a number alone (the alias "panch" reads as 5).

Everything is built once at load; `find` is dictionary lookups over the words of one message, and
rapidfuzz only runs once per distinct unknown word (the result is cached).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from analysis.memo import SHORT_TEXT, Memo
from analysis.models.catalog import MAKE, Alias, parse_catalog, read_catalog
from analysis.models.reading import SPOKEN, TOKEN, alias_key, normalise, read_spoken, spans
from analysis.models.speller import Speller
from analysis.phrasebook.text import Text
from analysis.spoken import word_set

_SHORT_ANSWER_WORDS = 4
_MAX_SPAN = 12  # words one alias may stretch over in speech: "x u v seven double zero"
_CACHE_LIMIT = 100_000
# A text as read: its words' keys, the aliases found (first word, last word, key, alias), word offsets.
_Reading = tuple[list[str], list[tuple[int, int, str, Alias]], list[int], list[int]]
# An everyday-word alias right after one of these is the everyday word: "in the city", "a class".
_NOT_AFTER = word_set("the a an in at of to this that from into")
# A letter-and-digit name split over words and followed by one of these is a quantity: "a 4 seater".
_UNITS = word_set(
    """
    seater seaters wheeler wheelers door doors lakh lakhs lac lacs crore crores km kms kilometre kilometres
    kilometer kilometers kmpl year years month months day days week weeks minute minutes hour hours percent
    rupees rupee rs thousand hundred baje saal mahine mahina din ghante hazaar hajar
    """
)
_DOMAIN_WORDS = word_set(
    """
    extra create created creative tiger carry carrying price prices model models version variant
    variants seater top base option options offer offers discount delivery waiting mileage average
    engine turbo feature features interior exterior quotation quote insurance registration road onroad
    showroom showrooms dealer dealers dealership service centre center branch location address pincode
    area nearby nearest visit sales executive manager contact whatsapp message details information
    interested looking planning purchase purchasing buying bought selling second hand used latest
    launch launched upcoming electric hybrid petrol diesel cng automatic manual transmission gear white
    black silver grey green brown orange yellow maroon colour color budget lakh lakhs crore finance
    loan emi exchange upgrade family office booking test drive plus line classic sport series class
    grand new max pro neo recharge suv iconic shift sheet alters altars legendary zeros zeroes welfare
    senate glance
    """
)


@dataclass(frozen=True)
class ModelMention:
    canonical: str  # "Tata Nexon EV"
    start: int  # char offsets in the input text
    end: int


class ModelCatalog:
    makes: frozenset[str]  # canonical make names
    models: tuple[str, ...]  # canonical "Make Model" strings

    def __init__(self, catalog: Any, source: str = "model catalog", common_words: frozenset[str] = frozenset()) -> None:
        """Index a parsed catalog document; `source` names it in error messages. `common_words` (everyday
        words of every language) are never read as a misspelt car name."""
        document = parse_catalog(catalog, source)
        self.makes = frozenset(document.makes)
        self.models = tuple(document.models)
        self._model_makes = tuple(document.model_makes)
        self._entries = document.entries
        self._prefixes = frozenset(key[:end] for key in self._entries for end in range(1, len(key) + 1))
        words = {alias: alias_key(alias.text)[0] for alias in document.aliases}
        vocabulary = set(self._entries).union(*words.values())
        never = common_words | _DOMAIN_WORDS
        self._vehicle_words = frozenset(
            word for word in vocabulary if word not in never and word not in SPOKEN and not word.isdigit()
        )
        owned = [(alias.owner, words[alias]) for alias in document.aliases if not alias.ordinary]
        self._speller = Speller(vocabulary, owned, never)
        self._keys: dict[str, str] = {}
        self._found: Memo[tuple[str, bool], list[ModelMention]] = Memo(_CACHE_LIMIT)
        self._last: tuple[str, bool, list[ModelMention]] = ("", False, [])
        self._reading: tuple[str, _Reading] = ("", ([], [], [], []))
        self.vocabulary = frozenset(vocabulary)
        """Every word of every alias, as the matcher reads it (`car_words` reads a message's words the same
        way): a message sharing none of them names a car only misspelt."""

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] | None = None, common_words: frozenset[str] = frozenset()
    ) -> ModelCatalog:
        """Load the catalog JSON (default: the shipped analysis/catalog.json); raises ValueError with a clear
        message for a bad file."""
        document, source = read_catalog(path)
        return cls(document, source, common_words)

    def find(self, text: str, asked: bool = False) -> list[ModelMention]:
        """Every car MODEL mentioned in `text`, in order of appearance. A make alone yields nothing. `asked`:
        the text replies to a question for the model, so everyday-word and split names count (module
        docstring). The answers for short texts, which customers repeat call after call, are remembered; the
        list returned is shared and never changed."""
        if len(text) > SHORT_TEXT:
            if self._last[0] == text and self._last[1] == asked:  # an agent line is read more than once
                return self._last[2]
            found = self._find(text, asked)
            self._last = (text, asked, found)
            return found
        return self._found.get((text, asked), self._find, text, asked)

    def _read(self, text: str) -> _Reading:
        """(the words' keys, the aliases found, the words' start and end offsets) of a text; the last text read
        is remembered, since an agent line is looked at for makes and for models."""
        if self._reading[0] == text:
            return self._reading[1]
        known = self._keys
        keys = [known.get(word) or self._word_key(word) for word in TOKEN.findall(text)]
        starts: list[int] = []
        ends: list[int] = []
        spoken = not SPOKEN.isdisjoint(keys)
        if spoken:
            starts, ends = spans(text)
            read_spoken(keys, starts, ends)
        hits = [] if self._prefixes.isdisjoint(keys) else self._scan(keys)  # most messages name no car
        if hits and not spoken:
            starts, ends = spans(text)
        reading = (keys, hits, starts, ends)
        self._reading = (text, reading)
        return reading

    def _find(self, text: str, asked: bool) -> list[ModelMention]:
        keys, hits, starts, ends = self._read(text)
        if not hits:
            return []
        makes_named = {alias.index for _, _, _, alias in hits if alias.kind == MAKE}
        mentions = []
        make_before: tuple[int, int, int] | None = None  # (make index, first word, last word)
        for first, last, key, alias in hits:
            if alias.kind == MAKE:
                make_before = (alias.index, first, last)
                continue
            if key.isdigit():  # a number alone names no car: "panch" is also "five"
                continue
            make = self._model_makes[alias.index]
            split_code = last > first and len(key) <= 3 and not key.isalpha()  # "a 4", "c 3"
            if (alias.ordinary or split_code) and make not in makes_named:
                # An everyday word is the car only in a short answer ("city mein chalane ke liye" is a town);
                # a name split over words is, in any reply to the question for the model ("i twenty").
                if not (len(keys) <= _SHORT_ANSWER_WORDS or (asked and not alias.ordinary)):
                    continue
                if alias.ordinary and first > 0 and keys[first - 1] in _NOT_AFTER:
                    continue
                if split_code and last + 1 < len(keys) and keys[last + 1] in _UNITS:
                    continue
            start = first
            if make_before is not None and make_before[0] == make and make_before[2] == first - 1:
                start = make_before[1]  # "Tata Nexon": the mention covers the make too
            mentions.append(ModelMention(self.models[alias.index], starts[start], ends[last]))
        return mentions

    def car_words(self, text: Text) -> frozenset[str]:
        """The words of a message (as `phrasebook.Text` keys them) that are words of some alias, read in any
        script: "క్రెటా" is one, as "क्रेटा" is."""
        found = self.vocabulary.intersection(text.keys)
        if text.low.isascii():
            return found
        vocabulary = self.vocabulary
        return found.union(w for w in text.keys if not w.isascii() and normalise(w) in vocabulary)

    def make_spans(self, text: str) -> list[tuple[int, int]]:
        """Where a make is named in `text` ("Which Mahindra are you interested in?"), as char offsets."""
        _, hits, starts, ends = self._read(text)
        return [(starts[first], ends[last]) for first, last, _, alias in hits if alias.kind == MAKE]

    def match(self, text: str) -> str | None:
        """The canonical "Make Model" of the LAST model mentioned in text, else None."""
        mentions = self.find(text)
        return mentions[-1].canonical if mentions else None

    def is_vehicle_word(self, word: str) -> bool:
        """True if the (lower-cased) word is part of any make or model name or alias (used by the language
        detector to ignore car names)."""
        return self._word_key(word) in self._vehicle_words

    def _scan(self, keys: list[str]) -> list[tuple[int, int, str, Alias]]:
        """Leftmost-longest alias matches as (first word, last word, joined key, alias). Each start looks
        at most _MAX_SPAN words ahead, and only while the joined keys are a prefix of some alias."""
        entries, prefixes = self._entries, self._prefixes
        hits = []
        count = len(keys)
        i = 0
        while i < count:
            joined, found, found_last, found_key = "", None, i, ""
            for j in range(i, min(count, i + _MAX_SPAN)):
                joined += keys[j]
                if joined not in prefixes:
                    break
                alias = entries.get(joined)
                if alias is not None:
                    found, found_last, found_key = alias, j, joined
            if found is None:
                i += 1
            else:
                hits.append((i, found_last, found_key, found))
                i = found_last + 1
        return hits

    def _word_key(self, word: str) -> str:
        key = self._keys.get(word)
        if key is None:
            if len(self._keys) >= _CACHE_LIMIT:
                self._keys.clear()
            key = self._keys[word] = self._speller.correct(normalise(word))
        return key
