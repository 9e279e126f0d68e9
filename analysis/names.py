"""The customer's name: from what the customer said, spelled as the agent read it back when affirmed.

A name comes from a customer message in one of three ways:
- a statement that can only introduce a name, anywhere in the call (phrasebook `name_intro`, `name_outro`):
  "my name is X", "mera naam X hai", "en peru X", "naa peru X", "nanna hesaru X", "maru naam X che",
  "ਮੇਰਾ ਨਾਮ X ਹੈ", "X bol raha hoon", "X speaking", "myself X";
- a weaker statement (`name_intro_weak`, `name_outro_weak`: "this is X", "I'm X", "main X hoon", "naan X",
  "nenu X", "X here") only where a name is expected: in reply to a name question or read-back, or as the
  customer's very first words;
- a bare reply ("Rahul Sharma", "haan ji, Amit") only in reply to a name question or read-back.
Acknowledgements ("ಸರಿ", "ठीक है", "சரிங்க", "ok go ahead") and non-answers ("pata nahi") are never a name.
Fillers around the name are dropped, the name ends at the first word that is never a name (`not_name`, the
everyday `words` of every language, places, and sounds such as "hmm" or "ம்"), a place is dropped with the
word that marks it ("pune se", "from pune"), spelled letters are joined ("r a h u l" -> "Rahul"), and Latin
names are title-cased.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import islice

from analysis.memo import SHORT_TEXT, Memo
from analysis.phrasebook import Phrasebook, PhraseSet, Text
from analysis.phrasebook.text import LETTER, STRIP_NUKTAS

_MAX_WORDS = 4
_MAX_BARE_WORDS = 3  # a bare reply longer than this is a sentence, not a name
_MAX_WORD_LENGTH = 24
_BREAKS = '[,.;:!?।॥\n—–()"]'
_CLAUSE_BREAK = re.compile(_BREAKS)
_BARE_BREAK = re.compile("[,.;:!?।॥\n—–]+")
_LOOK = 80  # characters around a marker that can hold a name; bounds the work on a very long message
_MAX_MARKERS = 8  # "my name is" markers read in one message: nobody says it more often, and each costs work
_LEADING_GAP = re.compile(r"[\s,:]*")
_KYA_MAIN = re.compile(
    rf"(?:kya\s+)?(?:main|mai|मैं)\s+(?P<x>[^,.;:!?।॥\n—–()\"]{{1,{_LOOK}}}?)\s+(?:se|से)\s+(?:baat|बात)"
)
_CAPITALISED_RUN = re.compile(r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_SPELLED = re.compile(r"^(?:[a-z][.-]){2,}[a-z]\.?$")
_INITIAL = re.compile(r"(?<![\w])([a-z])\.(?=\s)")
_NAME_WORD = re.compile(f"[{LETTER}]+(?:['.-][{LETTER}]+)*\\.?")
_DIGIT = re.compile(r"\d")
_WORD_CACHE = 65_536
_SUFFIX_LENGTH = 3  # "-a", "-ji", "-ai", "-la": endings ASR joins to a name with a hyphen
_LATIN_SOUND = re.compile(r"[b-df-hj-np-tv-xz]{2,}")  # no vowel: "hmm", "mhm", "mm"
_INDIC = range(0x0900, 0x0D80)  # the blocks of the Indian scripts, each laid out alike (128 code points)
_VIRAMA, _NUKTA = 0x4D, 0x3C  # offsets in a block
_VOWELS = range(0x05, 0x15)  # independent vowel letters ("आ", "ஆ", "ఆ")
_CONSONANTS = range(0x15, 0x3A)
_LONE_VOWEL_MARKS = (0x01, 0x03)  # candrabindu, visarga: "आँ"

IsVehicle = Callable[[str], bool]


class NameReader:
    """Names in customer messages and agent read-backs, with one phrasebook's knowledge."""

    def __init__(self, book: Phrasebook, is_vehicle: IsVehicle) -> None:
        self._book = book
        self._is_vehicle = is_vehicle
        # The everyday words of every language are never a name either ("the network is very poor here",
        # "kavali", "cheppanu" name nobody).
        never = frozenset().union(
            book.not_name, book.borrowed, book.place, book.place_before, book.place_after, *book.words.values()
        )
        self._not_name = frozenset(word.translate(STRIP_NUKTAS) for word in never)  # "बिज़ी" is "बिजी"
        self._never: Memo[str, bool] = Memo(_WORD_CACHE)  # word -> never a name
        self._answers: Memo[tuple[str, bool, bool], str | None] = Memo(_WORD_CACHE)  # short reply -> name
        self._leading = book.leading_filler
        self._trailing = book.trailing_filler

    def customer_name(self, text: Text, expected: bool, first_words: bool) -> str | None:
        """The name this customer message gives, if any (module docstring). `expected`: the agent just asked
        for the name or read one back; `first_words`: this is the customer's first message. The answers for
        short replies ("haan ji", "yes speaking"), which come back call after call, are remembered."""
        if len(text.low) > SHORT_TEXT:
            return self._customer_name(text, expected, first_words)
        key = (text.low, expected, first_words)
        return self._answers.get(key, self._customer_name, text, expected, first_words)

    def _customer_name(self, text: Text, expected: bool, first_words: bool) -> str | None:
        book = self._book
        tries: list[tuple[PhraseSet, bool]] = [(book.name_intro, True), (book.name_outro, False)]
        # A non-answer ("I can't hear you", "pata nahi") holds no weak statement or bare name.
        weak = (expected or first_words) and book.non_answer.search(text) is None
        if weak:
            tries += [(book.name_intro_weak, True), (book.name_outro_weak, False)]
        for phrases, after in tries:
            for fragment in _after(phrases, text) if after else _before(phrases, text):
                name = self.clean(fragment) if after else self._name_before(fragment)
                if name:
                    return name
        return self._bare_reply(text) if expected and weak else None

    def readback_name(self, text: Text, raw: str, fallback: bool) -> str | None:
        """The name an agent's read-back states: "I have your name as Vivek", "आपका नाम विवेक है, सही है?",
        "Am I speaking with Akash?". With `fallback` (the name was the field asked last), a run of
        capitalised words also counts: "Rahul Sharma, is that correct?"."""
        for fragment in _after(self._book.readback_name, text):
            name = self.clean(fragment)
            if name:
                return name
        for match in _KYA_MAIN.finditer(text.low):
            name = self.clean(match["x"])
            if name:
                return name
        if fallback:
            for run in reversed(_CAPITALISED_RUN.findall(raw)):
                words = run.lower().split()
                while words and self._never_a_name(words[0]):  # "Noted Vivek Sharma": a sentence's first word
                    words.pop(0)
                name = self.clean(" ".join(words))
                if name:
                    return name
        return None

    def clean(self, fragment: str) -> str | None:
        """The name at the start of `fragment` (lower case): leading fillers dropped, cut at the first word
        that is never a name, spelled letters joined; None when nothing name-like is left."""
        words = self._without_places(_words(fragment))
        while words and words[0] in self._leading:
            words.pop(0)
        name: list[str] = []
        for word in words:
            if self._never_a_name(word):
                break
            name.append(word)
        return self._finish(name)

    def _name_before(self, fragment: str) -> str | None:
        """The name at the end of `fragment`: "haan ji main Rahul Sharma" (before "bol raha hoon")."""
        name: list[str] = []
        for word in reversed(self._without_places(_words(fragment))):
            if self._never_a_name(word) or len(name) == _MAX_WORDS:
                break
            name.insert(0, word)
        return self._finish(name)

    def _bare_reply(self, text: Text) -> str | None:
        """A reply that is just a name, after any opening fillers and acknowledgements and before any
        honorific ("haan ji, Rahul Sharma ji"). Any other word that is never a name makes the reply not a
        name, and so does a non-answer ("pata nahi", "I don't know")."""
        book = self._book
        # "சரிங்க, முத்து": an acknowledgement is a clause of its own.
        low = book.acknowledgement.masked(text).low
        for clause in _BARE_BREAK.split(_INITIAL.sub(r"\1", low)):
            words = self._without_places(_words(clause))
            while words and words[0] in self._leading:
                words.pop(0)
            while words and words[-1] in self._trailing:
                words.pop()
            if not words:
                continue
            if len(words) > _MAX_BARE_WORDS or any(self._never_a_name(w) for w in words):
                return None
            return self._finish(words)
        return None

    def _without_places(self, words: list[str]) -> list[str]:
        """The words without the places they name: a place before a postposition ("pune se", "chennai la
        irundhu", "mysuru inda") and everything from a preposition on ("from pune"). "main pune se hoon" names
        nobody; "rahul from pune" and "main delhi se ravi" name Rahul and Ravi. A word that is never a name
        and no known place keeps its postposition: "baad mein" is a time, not a place."""
        book = self._book
        after, before, places = book.place_after, book.place_before, book.place
        if after.isdisjoint(words) and before.isdisjoint(words):
            return words
        kept: list[str] = []
        marked = False  # the word before was a postposition: "la irundhu" marks one place
        for word in words:
            if word in before:
                break
            if word in after:
                if marked:
                    continue
                if kept and (kept[-1] in places or not self._never_a_name(kept[-1])):
                    kept.pop()
                    marked = True
                    continue
            marked = False
            kept.append(word)
        return kept

    def _never_a_name(self, word: str) -> bool:
        return self._never.get(word, self._judge_never, word)

    def _judge_never(self, word: str) -> bool:
        return (
            word.rstrip(".").translate(STRIP_NUKTAS) in self._not_name
            or _DIGIT.search(word) is not None
            or is_sound(word)
        )

    def _finish(self, words: list[str]) -> str | None:
        words = [word for i, word in enumerate(words) if i == 0 or word != words[i - 1]]  # "mohit mohit"
        if not words or len(words) > _MAX_WORDS or any(len(w) > _MAX_WORD_LENGTH for w in words):
            return None
        if all(len(word.rstrip(".")) == 1 for word in words):  # initials alone ("hu j", "r k") name nobody
            return None
        name = " ".join(w.title() if w.isascii() else w for w in words)
        return None if self._is_vehicle(name) else name


def _after(phrases: PhraseSet, text: Text) -> Iterator[str]:
    """The clause after each phrase, at most _LOOK characters of it."""
    low = text.low
    for match in islice(phrases.finditer(text), _MAX_MARKERS):
        start = _LEADING_GAP.match(low, match.end()).end()
        yield _CLAUSE_BREAK.split(low[start : start + _LOOK], maxsplit=1)[0]


def _before(phrases: PhraseSet, text: Text) -> Iterator[str]:
    """The clause before each phrase, at most _LOOK characters of it."""
    low = text.low
    for match in islice(phrases.finditer(text), _MAX_MARKERS):
        window = low[max(0, match.start() - _LOOK) : match.start()]
        yield _CLAUSE_BREAK.split(window)[-1]


def _words(fragment: str) -> list[str]:
    fragment = _INITIAL.sub(r"\1", fragment)
    return _join_spelled([piece for m in _NAME_WORD.finditer(fragment) for piece in _unhyphenated(m.group())])


def _unhyphenated(word: str) -> list[str]:
    """ "vivek-a" (a Tamil question suffix), "rahul-ji", "manager-ai": a hyphen before a short ending splits
    it off; "r-a-h-u-l" is a spelled word and stays whole."""
    if "-" not in word or _SPELLED.match(word):
        return [word]
    head, _, tail = word.partition("-")
    return [head, tail] if len(tail) <= _SUFFIX_LENGTH else [word]


def _join_spelled(words: list[str]) -> list[str]:
    """ "r a h u l" and "r-a-h-u-l" become "rahul"; two initials ("r k sharma") stay as they are."""
    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isascii() and word.isalpha():
            run.append(word)
            continue
        out.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if word:
            out.append(re.sub(r"[.-]", "", word) if _SPELLED.match(word) else word)
    return out


def is_sound(word: str) -> bool:
    """A word that only spells a sound, never a name: Latin letters without a vowel ("hmm", "mhm"; an initial
    is one letter and is read apart), Indian-script letters without a vowel of their own, every consonant
    silenced by a virama ("ம்", "ம்ம்ம்", "హ్మ్"), or a vowel letter alone ("ஆ", "ఆ", "ಓ")."""
    if word.isascii():
        return _LATIN_SOUND.fullmatch(word) is not None
    vowels = voiced = 0
    for i, char in enumerate(word):
        code = ord(char)
        if code not in _INDIC:
            return False
        offset = code & 0x7F
        if offset in _VOWELS:
            vowels += 1
        elif offset in _CONSONANTS:
            following = word[i + 1 : i + 3]
            if following[:1] and ord(following[0]) & 0x7F == _NUKTA:
                following = following[1:]
            if not (following and ord(following[0]) & 0x7F == _VIRAMA):
                voiced += 1
        elif vowels and offset not in _LONE_VOWEL_MARKS:
            return False
    return voiced == 0 and (vowels == 0 or (vowels == 1 and len(word) <= 2))


def name_words(name: str) -> set[str]:
    """The lower-cased words of a name, as the language detector sees them."""
    return {m.group().strip(".").lower() for m in _NAME_WORD.finditer(name)}
