"""How the matcher reads words, for catalog aliases and customer messages alike.

Every word becomes a key: lower case, no accents, Indic spelling variants folded (`spoken.key`), every
Indian script read as Devanagari (`scripts.py`), renderings of the Latin words car names share ("ईवी" is
"ev"). Then spoken forms are read:
letter names in a run of letters become letters ("ex you vee" -> "x u v") and number words digits
("seven hundred" -> "7 00", "double zero" and "double o" -> "00", "twenty one" -> "21").
"""

from __future__ import annotations

import re
from string import ascii_lowercase

from analysis.models.scripts import devanagari_key
from analysis.spoken import LETTER_NAMES, MULTIPLIERS, NUMBER_WORDS, NUMBER_WORDS_IN_RUNS, key

TOKEN = re.compile(r"(?:[^\W_]|[\u0900-\u0963\u0966-\u0d7f\u200c\u200d])+")

# Indian-script renderings of the Latin words that car names share ("ईवी", "ఈవీ" are "ev").
_CROSS_SCRIPT = {
    devanagari_key(key(rendering)): latin
    for latin, renderings in (
        ("ev", "ईवी இவி ఈవీ ಇವಿ ઈવી ਈਵੀ"),
        ("xuv", "एक्सयूवी एक्सयुवी எக்ஸ்யூவி ఎక్స్యూవీ ಎಕ್ಸ್ಯುವಿ ಎಕ್ಸ್ಯೂವಿ એક્સયુવી એક્સયૂવી ਐਕਸਯੂਵੀ"),
        ("electric", "इलेक्ट्रिक எலக்ட்ரிக் ఎలక్ట్రిక్ ಎಲೆಕ್ಟ್ರಿಕ್ ઇલેક્ટ્રિક ਇਲੈਕਟ੍ਰਿਕ"),
        ("plus", "प्लस ப்ளஸ் ప్లస్ ಪ್ಲಸ್ પ્લસ ਪਲੱਸ"),
        ("line", "लाइन லைன் లైన్ ಲೈನ್ લાઇન ਲਾਈਨ"),
        ("classic", "क्लासिक க்ளாசிக் క్లాసిక్ ಕ್ಲಾಸಿಕ್ ક્લાસિક ਕਲਾਸਿਕ"),
        ("series", "सीरीज"),
        ("hybrid", "हाइब्रिड ஹைப்ரிட் హైబ్రిడ్ ಹೈಬ್ರಿಡ್ હાઇબ્રિડ ਹਾਈਬ੍ਰਿਡ"),
        ("neo", "नियो நியோ నియో ನಿಯೋ નિયો ਨਿਓ"),
        ("class", "क्लास"),
        ("sport", "स्पोर्ट"),
    )
    for rendering in renderings.split()
}
# The spoken tables, keyed as the matcher reads words (`scripts.py`): "ई" and "इ" are one letter name.
_LETTER_NAMES = {devanagari_key(name): letter for name, letter in LETTER_NAMES.items()}
_MULTIPLIERS = {devanagari_key(word): times for word, times in MULTIPLIERS.items()}
_LETTERISH = frozenset(_LETTER_NAMES) | frozenset(ascii_lowercase)
_ZERO_LETTERS = frozenset(("o", "oh"))
# Digits as a model name is read: "hundred" only ever follows a digit ("seven hundred" is "700"), and no
# model has a number in the thousands.
_NUMBER_KEYS = {
    devanagari_key(word): "00" if value == 100 else str(value)
    for word, value in {**NUMBER_WORDS_IN_RUNS, **NUMBER_WORDS}.items()
    if value < 1000
}
_TENS = frozenset(str(tens) for tens in range(20, 100, 10))
SPOKEN = frozenset(_LETTER_NAMES) | frozenset(_NUMBER_KEYS) | frozenset(_MULTIPLIERS)


def normalise(word: str) -> str:
    folded = devanagari_key(key(word))
    return _CROSS_SCRIPT.get(folded, folded)


def read_spoken(keys: list[str], starts: list[int], ends: list[int]) -> None:
    """In place: letter names in a run of letters become letters, number words become digits; `starts` and
    `ends` (the words' character offsets) follow the merges."""
    letters = [word in _LETTERISH for word in keys]
    last = len(keys) - 1
    for i, word in enumerate(keys):
        if word in _LETTER_NAMES and ((i > 0 and letters[i - 1]) or (i < last and letters[i + 1])):
            keys[i] = _LETTER_NAMES[word]
        else:
            keys[i] = _NUMBER_KEYS.get(word, word)
    for i in range(2, len(keys)):  # "seven double o": after a digit and "double", "o" is a zero
        if keys[i] in _ZERO_LETTERS and keys[i - 1] in _MULTIPLIERS and keys[i - 2].isdigit():
            keys[i] = "0"
    i = 0
    while i < len(keys) - 1:
        word, following = keys[i], keys[i + 1]
        if word in _MULTIPLIERS and len(following) == 1 and following.isdigit():
            merged = following * _MULTIPLIERS[word]  # "double zero" -> "00"
        elif word in _TENS and len(following) == 1 and following in "123456789":
            merged = word[0] + following  # "twenty one" -> "21", not "201"
        else:
            i += 1
            continue
        keys[i : i + 2] = [merged]
        ends[i : i + 2] = [ends[i + 1]]
        del starts[i + 1]


def spans(text: str) -> tuple[list[int], list[int]]:
    found = [word.span() for word in TOKEN.finditer(text)]
    return [start for start, _ in found], [end for _, end in found]


def alias_key(alias: str) -> tuple[list[str], str]:
    """(the alias's word keys, the key of the whole alias: spoken forms read, words joined)."""
    words = [normalise(word) for word in TOKEN.findall(alias)]
    spoken = list(words)
    read_spoken(spoken, [0] * len(spoken), [0] * len(spoken))
    return words, "".join(spoken)
