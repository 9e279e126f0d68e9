"""One spelling for a car name in every Indian script: the matcher reads a Gurmukhi, Gujarati, Tamil, Telugu
or Kannada word as the Devanagari word it would be, and folds the spellings speech recognisers mix.

The Unicode blocks of these scripts share one layout (a letter sits at the same offset in each block), so
"క్రెటా", "ಕ್ರೆಟಾ", "ક્રેટા" and "ਕ੍ਰੇਟਾ" all become "क्रेटा", and one Devanagari alias in the catalog serves every
script. Then the spellings that say the same sound are folded: long and short i and u, short and long e and
o, "ाइ" and "ै", a consonant written twice ("ट्टा"), a final virama. Only the matcher reads words so: the
catalog's aliases go through the same steps, so both sides agree.
"""

from __future__ import annotations

import re

_DEVANAGARI = 0x900
_SHIFTED = (0xA00, 0xA80, 0xB80, 0xC00, 0xC80)  # Gurmukhi, Gujarati, Tamil, Telugu, Kannada
_TO_DEVANAGARI: dict[int, str | None] = {
    base + offset: chr(_DEVANAGARI + offset) for base in _SHIFTED for offset in range(0x01, 0x70)
}
_TO_DEVANAGARI.update(
    {
        0xA70: "ं",  # Gurmukhi tippi
        0xA71: None,  # Gurmukhi addak: the next consonant is doubled, which is folded away anyway
        0xC55: None,  # Telugu length marks
        0xC56: None,
        0xCD5: None,  # Kannada length marks
        0xCD6: None,
    }
)
_FOLD = str.maketrans(
    {
        "ॆ": "े",  # short e and o, which only the southern scripts write
        "ॊ": "ो",
        "ऎ": "ए",
        "ऒ": "ओ",
        "ी": "ि",  # long and short i and u: recognisers write either
        "ू": "ु",
        "ई": "इ",
        "ऊ": "उ",
        "ऴ": "ल",
        "ळ": "ल",
        "ऱ": "र",
        "ऩ": "न",
    }
)
# Two letters for one sound: "ाइ" is "ै"; Tamil writes f and z as ஃப and ஃஜ.
_DIPHTHONGS = (("ाइ", "ै"), ("ाउ", "ौ"), ("आइ", "ऐ"), ("आउ", "औ"), ("ःप", "फ"), ("ःज", "ज"))
_DOUBLED = re.compile("([\u0915-\u0939])\u094d\\1")  # "ट्ट" is "ट"


def devanagari_key(word: str) -> str:
    """The folded Devanagari spelling of an Indian-script word (already lower-cased and nukta-free, as
    `spoken.key` leaves it); other words come back unchanged."""
    if word.isascii():
        return word
    if any(0xA00 <= ord(char) < 0xD00 for char in word):
        word = word.translate(_TO_DEVANAGARI)
    if not any(0x900 <= ord(char) < 0x980 for char in word):
        return word
    word = word.translate(_FOLD)
    for spelling, sound in _DIPHTHONGS:
        word = word.replace(spelling, sound)
    word = _DOUBLED.sub(r"\1", word)
    return word.removesuffix("\u094d")
