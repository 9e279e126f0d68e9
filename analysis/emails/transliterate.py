"""Devanagari to Latin, for names spoken in a Devanagari transcript ("राहुल" -> "rahul"). Best effort: the
inherent vowel is dropped at a word's end only, long vowels fold to short ones."""

from __future__ import annotations

_NUKTA = "\u093c"
_CONSONANTS = {
    "क": "k",
    "ख": "kh",
    "ग": "g",
    "घ": "gh",
    "ङ": "n",
    "च": "ch",
    "छ": "chh",
    "ज": "j",
    "झ": "jh",
    "ञ": "n",
    "ट": "t",
    "ठ": "th",
    "ड": "d",
    "ढ": "dh",
    "ण": "n",
    "त": "t",
    "थ": "th",
    "द": "d",
    "ध": "dh",
    "न": "n",
    "प": "p",
    "फ": "ph",
    "ब": "b",
    "भ": "bh",
    "म": "m",
    "य": "y",
    "र": "r",
    "ल": "l",
    "व": "v",
    "श": "sh",
    "ष": "sh",
    "स": "s",
    "ह": "h",
    "ळ": "l",
}
_NUKTA_CONSONANTS = {"k": "q", "kh": "kh", "g": "g", "j": "z", "d": "r", "dh": "rh", "ph": "f", "y": "y"}
_VOWEL_SIGNS = {
    "ा": "a",
    "ि": "i",
    "ी": "i",
    "ु": "u",
    "ू": "u",
    "ृ": "ri",
    "े": "e",
    "ै": "ai",
    "ो": "o",
    "ौ": "au",
    "ॉ": "o",
    "ॅ": "e",
}
_VOWELS = {
    "अ": "a",
    "आ": "a",
    "इ": "i",
    "ई": "i",
    "उ": "u",
    "ऊ": "u",
    "ऋ": "ri",
    "ए": "e",
    "ऐ": "ai",
    "ओ": "o",
    "औ": "au",
    "ऑ": "o",
}
_VIRAMA, _NASALS = "्", "ंँ"


def transliterate(word: str) -> str:
    out: list[str] = []
    inherent = False  # the last consonant still carries its unwritten "a"
    for ch in word:
        if ch in _CONSONANTS:
            if inherent:
                out.append("a")
            out.append(_CONSONANTS[ch])
            inherent = True
        elif ch == _NUKTA and out:
            out[-1] = _NUKTA_CONSONANTS.get(out[-1], out[-1])
        elif ch in _VOWEL_SIGNS:
            out.append(_VOWEL_SIGNS[ch])
            inherent = False
        elif ch == _VIRAMA:
            inherent = False
        elif ch in _NASALS or ch == "ः":
            if inherent:
                out.append("a")
            out.append("n" if ch in _NASALS else "h")
            inherent = False
        elif ch in _VOWELS:
            if inherent:
                out.append("a")
            out.append(_VOWELS[ch])
            inherent = False
    return "".join(out)
