"""Car models named in a customer's words, matched against the catalog file.

Every word of the text becomes a key: lower case, no accents, Devanagari spelling variants folded
(nukta, candra o), Devanagari digits as ASCII, and a misspelt word near a catalog word replaced by
it. Then spoken forms are read: letter names in a run of letters become letters ("ex you vee" ->
"x u v") and number words digits ("seven hundred" -> "7 00", "double zero" -> "00"). A run of words
matches an alias when its keys, joined without spaces, equal the alias's key, which the same steps
made from the catalog. So "XUV-700", "xuv 700", "ex you vee seven double zero" and "एक्स यू वी 700"
all read "xuv700". The longest alias starting at a word wins ("nexon ev" beats "nexon").

Aliases that are everyday words ("city", "punch"), and letter-and-digit names split over several
words ("a 4", "c 3"), only count when the make is named in the same message, or in a short answer
(at most four words) where they do not follow "the", "in", "a"... A make alone names no model.

Everything is built once at load; `find` is dictionary lookups over the words of one message, and
rapidfuzz only runs once per distinct unknown word (the result is cached).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import ascii_lowercase
from typing import Any

from rapidfuzz import fuzz, process

from .language import COMMON_WORDS

DEFAULT_CATALOG = Path(__file__).with_name("catalog.json")

_TOKEN = re.compile(r"(?:[^\W_]|[\u0900-\u0963\u0966-\u0d7f\u200c\u200d])+")
_HAS_DIGIT = re.compile(r"\d")
_SHORT_ANSWER_WORDS = 4
_MAX_SPAN = 12  # words one alias may stretch over in speech: "x u v seven double zero"
_FUZZY_MIN_LENGTH = 5
_MIN_CONSONANTS = 5  # shorter skeletons are shared with ordinary words: "slots" and "seltos" are "slts"
_FUZZY_MIN_SOUND = 6  # below this, one added letter turns everyday words into cars: "cares", "covid"
_FUZZY_CUTOFF = 90.0  # one letter added or dropped; a changed letter only from 10 letters on
_CACHE_LIMIT = 100_000
_MAKE, _MODEL = 0, 1


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Nukta, candra o/e, candrabindu, zero-width joiners, Latin accents, Indic digits.
_FOLD = str.maketrans(
    {
        "\u093c": None,
        "\u0949": "\u094b",
        "\u0945": "\u0947",
        "\u0901": "\u0902",
        "\u0911": "\u0913",
        "\u200c": None,
        "\u200d": None,
        **{chr(mark): None for mark in range(0x300, 0x370)},
        **{chr(0x966 + digit): str(digit) for digit in range(10)},
    }
)


def _table(text: str) -> dict[str, str]:
    """Parse 'value: name name | value: name' into {name: value}."""
    return {
        name: value.strip()
        for entry in text.split("|")
        for value, names in [entry.split(":")]
        for name in names.split()
    }


# Devanagari renderings of the Latin words that car names share.
_CROSS_SCRIPT = _table("""
    ev: ईवी | electric: इलेक्ट्रिक | plus: प्लस | line: लाइन | classic: क्लासिक | series: सीरीज
    | hybrid: हाइब्रिड | neo: नियो | class: क्लास | sport: स्पोर्ट
""")
_LETTER_NAMES = _table("""
    a: ay ए | b: bee bi बी | c: see sea si cee सी | d: dee di डी | e: ee ii ई | f: ef eff एफ | g: gee
    | h: aitch aych एच | i: eye aai आई | j: jay जे | k: kay | l: el ell एल | m: em एम | n: en एन | o: oh ओ
    | p: pee pi पी | q: queue cue क्यू | r: ar are aar आर | s: es ess एस | t: tee ti टी | u: you yu yoo यू
    | v: vee vi wee वी | w: डब्ल्यू डबल्यू | x: ex eks aks एक्स | y: why wai वाई | z: zed zee जेड
""")
_LETTERISH = frozenset(_LETTER_NAMES) | frozenset(ascii_lowercase)
_NUMBER_WORDS = _table("""
    0: zero | 00: hundred sau सौ हंड्रेड | 1: one वन | 2: two टू | 3: three teen तीन थ्री | 4: four char चार फोर
    | 5: five paanch पांच फाइव | 6: six chhe छह छः सिक्स | 7: seven saat सात सेवन | 8: eight aath आठ
    | 9: nine nau नौ नाइन | 10: ten das दस टेन | 11: eleven | 12: twelve | 20: twenty ट्वेंटी | 30: thirty थर्टी
    | 40: forty फोर्टी | 50: fifty फिफ्टी | 60: sixty सिक्सटी | 70: seventy सेवंटी | 80: eighty | 90: ninety नाइंटी
""")
_TENS = frozenset(str(tens) for tens in range(20, 100, 10))
_MULTIPLIERS = {"double": 2, "triple": 3, "डबल": 2, "ट्रिपल": 3}
_SPOKEN = frozenset(_LETTER_NAMES) | frozenset(_NUMBER_WORDS) | frozenset(_MULTIPLIERS)
# An everyday-word alias right after one of these is the everyday word: "in the city", "a class".
_NOT_AFTER = _word_set("the a an in at of to this that from into")
# Car-shopping words: never read as a misspelt car name, never a car name for the language detector.
_DOMAIN_WORDS = _word_set(
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
_NEVER_FUZZY = COMMON_WORDS | _DOMAIN_WORDS


@dataclass(frozen=True)
class ModelMention:
    canonical: str  # "Tata Nexon EV"
    start: int  # char offsets in the input text
    end: int


@dataclass(frozen=True)
class _Alias:
    """One name of a make or model, as the catalog gives it."""

    text: str
    kind: int  # _MAKE or _MODEL
    index: int  # into the make names or ModelCatalog.models
    ordinary: bool  # an everyday word: needs the make or a short answer
    owner: str  # canonical make or "Make Model", for messages and the speller
    where: str  # where the catalog lists it, for messages


def _normalise(word: str) -> str:
    word = word.lower()
    if word.isascii():
        return word
    word = unicodedata.normalize("NFKD", word).translate(_FOLD)
    return _CROSS_SCRIPT.get(word, word)


def _read_spoken(keys: list[str], starts: list[int], ends: list[int]) -> None:
    """In place: letter names in a run of letters become letters, number words become digits."""
    letters = [key in _LETTERISH for key in keys]
    last = len(keys) - 1
    for i, key in enumerate(keys):
        if key in _LETTER_NAMES and ((i > 0 and letters[i - 1]) or (i < last and letters[i + 1])):
            keys[i] = _LETTER_NAMES[key]
        else:
            keys[i] = _NUMBER_WORDS.get(key, key)
    i = 0
    while i < len(keys) - 1:
        key, following = keys[i], keys[i + 1]
        if key in _MULTIPLIERS and len(following) == 1 and following.isdigit():
            merged = following * _MULTIPLIERS[key]  # "double zero" -> "00"
        elif key in _TENS and len(following) == 1 and following in "123456789":
            merged = key[0] + following  # "twenty one" -> "21", not "201"
        else:
            i += 1
            continue
        keys[i : i + 2] = [merged]
        ends[i : i + 2] = [ends[i + 1]]
        del starts[i + 1]


def _sound(word: str) -> str:
    """A rough phonetic key for Latin words, so "kreta" and "creta", "celtos" and "seltos" agree."""
    word = _SOFT_C.sub("s", word.replace("ch", "\0")).replace("c", "k").replace("\0", "ch")
    for spelling, sound in _SOUNDS:
        word = word.replace(spelling, sound)
    return _REPEATS.sub(r"\1", word)


_SOFT_C = re.compile(r"c(?=[eiy])")
_SOUNDS = (("ph", "f"), ("q", "k"), ("x", "ks"), ("w", "v"), ("z", "s"), ("th", "t"), ("dh", "d"))
_SOUNDS += (("bh", "b"), ("kh", "k"), ("gh", "g"), ("sh", "s"), ("ee", "i"), ("oo", "u"), ("y", "i"))
_REPEATS = re.compile(r"(.)\1+")
_LATER_VOWELS = re.compile(r"(?<=.)[aeiou]+")


def _one_vowel_blurred(sound: str) -> list[str]:
    """The sound with one inner vowel made a wildcard, for each such vowel: "kreta" -> ["kr?ta"]. Not the
    last letter: Hindi inflects there ("kamra", "kamre" are rooms, not a Camry)."""
    if not sound.isascii():
        return []
    return [sound[:i] + "?" + sound[i + 1 :] for i in range(1, len(sound) - 1) if sound[i] in "aeiou"]


def _consonants(sound: str) -> str:
    """The sound without its later vowels: "alkajer" and "alkajar" both give "alkjr"."""
    return _REPEATS.sub(r"\1", _LATER_VOWELS.sub("", sound)) if sound.isascii() else sound


def _spans(text: str) -> tuple[list[int], list[int]]:
    spans = [word.span() for word in _TOKEN.finditer(text)]
    return [start for start, _ in spans], [end for _, end in spans]


def _alias_key(alias: str) -> tuple[list[str], str]:
    words = [_normalise(word) for word in _TOKEN.findall(alias)]
    spoken = list(words)
    _read_spoken(spoken, [0] * len(spoken), [0] * len(spoken))
    return words, "".join(spoken)


class ModelCatalog:
    makes: frozenset[str]  # canonical make names
    models: tuple[str, ...]  # canonical "Make Model" strings

    def __init__(self, catalog: Any, source: str = "model catalog") -> None:
        """Index a parsed catalog document; `source` names it in error messages."""
        make_names, models, model_makes, aliases = _parse(catalog, source)
        self.makes = frozenset(make_names)
        self.models = tuple(models)
        self._model_makes = tuple(model_makes)
        self._entries = _index(aliases, source)
        self._prefixes = frozenset(key[:end] for key in self._entries for end in range(1, len(key) + 1))
        words = {alias: _alias_key(alias.text)[0] for alias in aliases}
        vocabulary = set(self._entries).union(*words.values())
        self._vehicle_words = frozenset(
            word for word in vocabulary if word not in _NEVER_FUZZY and word not in _SPOKEN and not word.isdigit()
        )
        self._speller = _Speller(vocabulary, [(alias.owner, words[alias]) for alias in aliases if not alias.ordinary])
        self._keys: dict[str, str] = {}

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> ModelCatalog:
        """Load the catalog JSON (default: the shipped analysis/catalog.json). Reading a file here is the
        one allowed I/O, done once at start-up; raises ValueError with a clear message for a bad file."""
        source = Path(path) if path is not None else DEFAULT_CATALOG
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"model catalog {source}: cannot read it: {exc}") from exc
        try:
            document = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
        except json.JSONDecodeError as exc:
            raise ValueError(f"model catalog {source}: not valid JSON: {exc}") from exc
        except _DuplicateKeyError as exc:
            raise ValueError(f"model catalog {source}: {exc}") from exc
        return cls(document, f"model catalog {source}")

    def find(self, text: str) -> list[ModelMention]:
        """Every car MODEL mentioned in `text`, in order of appearance. A make alone yields nothing."""
        known = self._keys
        keys = [known.get(word) or self._word_key(word) for word in _TOKEN.findall(text)]
        spoken = not _SPOKEN.isdisjoint(keys)
        if spoken:
            starts, ends = _spans(text)
            _read_spoken(keys, starts, ends)
        hits = self._scan(keys)
        if not hits:
            return []
        if not spoken:
            starts, ends = _spans(text)
        makes_named = {alias.index for _, _, _, alias in hits if alias.kind == _MAKE}
        mentions = []
        make_before: tuple[int, int, int] | None = None  # (make index, first word, last word)
        for first, last, key, alias in hits:
            if alias.kind == _MAKE:
                make_before = (alias.index, first, last)
                continue
            make = self._model_makes[alias.index]
            split_code = last > first and len(key) <= 3 and not key.isalpha()  # "a 4", "c 3"
            if (alias.ordinary or split_code) and make not in makes_named:
                short_answer = len(keys) <= _SHORT_ANSWER_WORDS
                if not short_answer or (first > 0 and keys[first - 1] in _NOT_AFTER):
                    continue
            start = first
            if make_before is not None and make_before[0] == make and make_before[2] == first - 1:
                start = make_before[1]  # "Tata Nexon": the mention covers the make too
            mentions.append(ModelMention(self.models[alias.index], starts[start], ends[last]))
        return mentions

    def match(self, text: str) -> str | None:
        """The canonical "Make Model" of the LAST model mentioned in text, else None."""
        mentions = self.find(text)
        return mentions[-1].canonical if mentions else None

    def is_vehicle_word(self, word: str) -> bool:
        """True if the (lower-cased) word is part of any make or model name or alias (used by the language
        detector to ignore car names)."""
        return self._word_key(word) in self._vehicle_words

    def _scan(self, keys: list[str]) -> list[tuple[int, int, str, _Alias]]:
        """Leftmost-longest alias matches as (first word, last word, joined key, alias)."""
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
            key = self._keys[word] = self._speller.correct(_normalise(word))
        return key


class _Speller:
    """Reads a misspelt word as the catalog word it stands for. Tried in turn: the same sound ("kreta" is
    "creta"), the same consonants ("alcazer" is "alcazar"), one inner vowel changed ("baleeno" is
    "baleno"), then rapidfuzz on longer words. Each index keeps only keys whose words all belong to one
    car, and words of everyday-word aliases are never targets: a word near "city" is another word."""

    def __init__(self, vocabulary: set[str], owned_words: list[tuple[str, list[str]]]) -> None:
        self._vocabulary = frozenset(vocabulary)
        owners: dict[str, set[str]] = {}
        uses: dict[str, int] = {}
        for owner, words in owned_words:
            for word in words:
                owners.setdefault(word, set()).add(owner)
                uses[word] = uses.get(word, 0) + 1
        targets = sorted(
            (
                w
                for w in owners
                if len(w) >= _FUZZY_MIN_LENGTH - 1 and w not in _NEVER_FUZZY and not _HAS_DIGIT.search(w)
            ),
            key=lambda word: (-uses[word], word),  # the most used spelling is the one a key leads to
        )
        sounds = {word: _sound(word) for word in targets}
        self._by_sound = _unambiguous(((sounds[w], w) for w in targets), owners, _FUZZY_MIN_LENGTH - 1)
        self._by_consonants = _unambiguous(((_consonants(sounds[w]), w) for w in targets), owners, _MIN_CONSONANTS)
        blurred = ((key, w) for w in targets for key in _one_vowel_blurred(sounds[w]))
        self._by_one_vowel = _unambiguous(blurred, owners, _FUZZY_MIN_LENGTH)
        buckets: dict[str, tuple[list[str], list[str]]] = {}
        for word in targets:
            bucket = buckets.setdefault(sounds[word][0], ([], []))
            bucket[0].append(sounds[word])
            bucket[1].append(word)
        self._buckets = {first: (tuple(keys), tuple(words)) for first, (keys, words) in buckets.items()}

    def correct(self, word: str) -> str:
        if (
            word in self._vocabulary
            or word in _SPOKEN
            or word in _NEVER_FUZZY
            or len(word) < _FUZZY_MIN_LENGTH
            or _HAS_DIGIT.search(word)
        ):
            return word
        sound = _sound(word)
        if len(sound) < _FUZZY_MIN_LENGTH - 1:
            return word
        found = self._by_sound.get(sound) or self._by_consonants.get(_consonants(sound))
        for blurred in _one_vowel_blurred(sound) if found is None else ():
            found = self._by_one_vowel.get(blurred)
            if found is not None:
                break
        if found is not None or len(sound) < _FUZZY_MIN_SOUND:
            return found or word
        sounds, words = self._buckets.get(sound[0], ((), ()))
        best = process.extractOne(sound, sounds, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        return words[best[2]] if best is not None else word


def _unambiguous(
    keyed_words: Iterable[tuple[str, str]], owners: dict[str, set[str]], min_length: int
) -> dict[str, str]:
    """key -> its first word, for keys at least min_length long whose words are all spellings of one car
    ("creta", "kreta"); a key that two cars' words share ("tigor", "tiger" if both were listed) is dropped."""
    first_word: dict[str, str] = {}
    shared: dict[str, set[str]] = {}
    for key, word in keyed_words:
        if len(key) >= min_length:
            first_word.setdefault(key, word)
            shared[key] = shared.get(key, owners[word]) & owners[word]
    return {key: word for key, word in first_word.items() if shared[key]}


@cache
def default_catalog() -> ModelCatalog:
    """Cached ModelCatalog.load(None)."""
    return ModelCatalog.load(None)


class _DuplicateKeyError(Exception):
    pass


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"the name {key!r} appears twice in one object")
        result[key] = value
    return result


def _parse(catalog: Any, source: str) -> tuple[list[str], list[str], list[int], list[_Alias]]:
    """Check the document's shape; ValueError names the first problem and where it is."""
    if not isinstance(catalog, dict) or not isinstance(catalog.get("makes"), dict) or not catalog["makes"]:
        raise ValueError(f'{source}: top level: must be an object with a non-empty "makes" object')
    _check_keys(catalog, {"makes"}, f"{source}: top level")
    make_names: list[str] = []
    models: list[str] = []
    model_makes: list[int] = []
    aliases: list[_Alias] = []
    for make_name, make in catalog["makes"].items():
        where = f"{source}: make {make_name!r}"
        _check_node(make_name, make, {"aliases", "models"}, where)
        if not isinstance(make.get("models"), dict) or not make["models"]:
            raise ValueError(f'{where}: needs a non-empty "models" object')
        make_index = len(make_names)
        make_names.append(make_name)
        for text in (make_name, *_strings(make, "aliases", where)):
            aliases.append(_Alias(text, _MAKE, make_index, False, make_name, where))
        for model_name, model in make["models"].items():
            model_where = f"{where} model {model_name!r}"
            _check_node(model_name, model, {"aliases", "ordinary_words"}, model_where)
            canonical = f"{make_name} {model_name}"
            index = len(models)
            models.append(canonical)
            model_makes.append(make_index)
            for text in (model_name, *_strings(model, "aliases", model_where)):
                aliases.append(_Alias(text, _MODEL, index, False, canonical, model_where))
            for text in _strings(model, "ordinary_words", model_where):
                aliases.append(_Alias(text, _MODEL, index, True, canonical, model_where))
    return make_names, models, model_makes, aliases


def _index(aliases: list[_Alias], source: str) -> dict[str, _Alias]:
    """key -> alias. One key names one make or model; listed both ways, the everyday-word reading wins."""
    entries: dict[str, _Alias] = {}
    for alias in aliases:
        key = _alias_key(alias.text)[1]
        if not key:
            raise ValueError(f"{alias.where}: alias {alias.text!r} has no letters or digits")
        existing = entries.get(key)
        if existing is not None and (existing.kind, existing.index) != (alias.kind, alias.index):
            raise ValueError(f"{alias.where}: alias {alias.text!r} (read as {key!r}) also names {existing.owner!r}")
        if existing is None or alias.ordinary:
            entries[key] = alias
    return entries


def _check_node(name: str, node: Any, allowed: set[str], where: str) -> None:
    if not name.strip() or not isinstance(node, dict):
        raise ValueError(f"{where}: must be a non-empty name with an object value")
    _check_keys(node, allowed, where)


def _check_keys(node: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in node:
        if key not in allowed and not key.startswith("_"):
            raise ValueError(f"{where}: unknown key {key!r} (expected {', '.join(sorted(allowed))}, or '_' comments)")


def _strings(node: dict[str, Any], key: str, where: str) -> list[str]:
    value = node.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValueError(f'{where}: "{key}" must be a list of non-empty strings')
    return value
