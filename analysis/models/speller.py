"""Misspelt car names read as the catalog word they stand for: "kreta" is "creta", "alcazer" is "alcazar",
"baleeno" is "baleno". Built once per catalog; each distinct unknown word is corrected once (the caller
caches the answer)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from analysis.models.reading import SPOKEN

_FUZZY_MIN_LENGTH = 5
_MIN_CONSONANTS = 5  # shorter skeletons are shared with ordinary words: "slots" and "seltos" are "slts"
_FUZZY_MIN_SOUND = 6  # below this, one added letter turns everyday words into cars: "cares", "covid"
_FUZZY_CUTOFF = 90.0  # one letter added or dropped; a changed letter only from 10 letters on
_FUZZY_MAX_LENGTH = 30  # no car word is longer; the vowel-blurring below is quadratic in the length
_HAS_DIGIT = re.compile(r"\d")


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


class Speller:
    """Reads a misspelt word as the catalog word it stands for. Tried in turn: the same sound ("kreta" is
    "creta"), the same consonants ("alcazer" is "alcazar"), one inner vowel changed ("baleeno" is
    "baleno"), then rapidfuzz on longer words. Each index keeps only keys whose words all belong to one
    car, and words of everyday-word aliases are never targets: a word near "city" is another word."""

    def __init__(self, vocabulary: set[str], owned_words: list[tuple[str, list[str]]], never: frozenset[str]) -> None:
        """`never`: everyday and car-shopping words, which are never read as a misspelt car name."""
        self._vocabulary = frozenset(vocabulary)
        self._never = never
        owners: dict[str, set[str]] = {}
        uses: dict[str, int] = {}
        for owner, words in owned_words:
            for word in words:
                owners.setdefault(word, set()).add(owner)
                uses[word] = uses.get(word, 0) + 1
        targets = sorted(
            (w for w in owners if len(w) >= _FUZZY_MIN_LENGTH - 1 and w not in never and not _HAS_DIGIT.search(w)),
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
            or word in SPOKEN
            or word in self._never
            or not _FUZZY_MIN_LENGTH <= len(word) <= _FUZZY_MAX_LENGTH
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
