"""Spoken forms that more than one reader needs, tabulated once: how a word is looked up (`key`), letter
names ("ex", "you", "vee", "एक्स"), number words in English, romanized Hindi and Devanagari, and the
multipliers "double" and "triple". The model matcher reads "ex you vee seven double zero" as "xuv700" and
the email reader reads "r a h u l double seven" as "rahul77" from these same tables; each decides for
itself which entries it trusts where (see `models/reading.py` and `emails/lexer.py`).
"""

from __future__ import annotations

import unicodedata

# Indic spelling variants that speech recognisers mix freely: nukta or not, candra o/e or plain,
# candrabindu or anusvara, zero-width joiners; Devanagari digits are digits.
_INDIC_FOLD = str.maketrans(
    {
        "\u093c": None,  # Devanagari nukta
        "\u0a3c": None,  # Gurmukhi nukta
        "\u0abc": None,  # Gujarati nukta
        "\u0949": "\u094b",
        "\u0945": "\u0947",
        "\u0901": "\u0902",
        "\u0911": "\u0913",
        "\u200c": None,
        "\u200d": None,
        **{chr(mark): None for mark in range(0x300, 0x370)},  # Latin accents, once NFKD split them off
        **{chr(0x966 + digit): str(digit) for digit in range(10)},
    }
)


def key(word: str) -> str:
    """The form a word is looked up in: lower case; outside ASCII also decomposed (so a precomposed
    nukta letter and its two-character spelling agree) and folded as above."""
    word = word.lower()
    if word.isascii():
        return word
    # Composed again after folding: the nuktas and accents are gone by then, and the Tamil, Telugu and
    # Kannada two-part vowel signs that NFKD split come back together as one sign each.
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKD", word).translate(_INDIC_FOLD))


def word_set(words: str) -> frozenset[str]:
    """A set of lookup keys written as one whitespace-separated string, so long word lists stay readable."""
    return frozenset(key(word) for word in words.split())


def _table(text: str) -> dict[str, str]:
    """Parse lines of 'value: name name ...' into {key(name): value}."""
    table: dict[str, str] = {}
    for line in text.strip().splitlines():
        value, names = line.split(":")
        for name in names.split():
            table[key(name)] = value.strip()
    return table


# Letter names as people say them and as speech recognisers write them (Latin and Devanagari). Many are
# ordinary words too ("see", "you", "जी"): a reader only trusts them inside a run of letters.
LETTER_NAMES: dict[str, str] = _table("""
    a: ay ए
    b: bee bi बी
    c: see sea si cee सी
    d: dee di डी
    e: ee ii ई
    f: ef eff एफ
    g: gee जी
    h: aitch aych एच
    i: eye aai आई
    j: jay जे
    k: kay के
    l: el ell एल
    m: em एम
    n: en एन
    o: oh ओ
    p: pee pi पी
    q: queue cue क्यू
    r: ar are aar आर
    s: es ess एस
    t: tee ti टी
    u: you yu yoo यू
    v: vee vi wee वी
    w: डब्ल्यू डबल्यू
    x: ex eks aks एक्स
    y: why wai वाई
    z: zed zee ज़ेड
""")

# Number words that are nothing else: they always mean their number.
NUMBER_WORDS: dict[str, int] = {
    word: int(value)
    for word, value in _table("""
        0: zero
        1: one
        2: two
        3: three
        4: four
        5: five
        6: six
        7: seven
        8: eight
        9: nine
        10: ten
        11: eleven
        12: twelve
        13: thirteen
        14: fourteen
        15: fifteen
        16: sixteen
        17: seventeen
        18: eighteen
        19: nineteen
        20: twenty
        30: thirty
        40: forty
        50: fifty
        60: sixty
        70: seventy
        80: eighty
        90: ninety
        100: hundred
        1000: thousand
    """).items()
}

# Number words that are everyday words too ("do" is Hindi's "give", "oh" an interjection, "सात" also "with"
# in some mouths): romanized Hindi, Devanagari, and English said in Devanagari. A reader counts them as
# numbers only where numbers are expected.
NUMBER_WORDS_IN_RUNS: dict[str, int] = {
    word: int(value)
    for word, value in _table("""
        0: oh shunya shoonya sunya शून्य जीरो
        1: ek एक वन
        2: do दो टू
        3: teen tin तीन थ्री
        4: char chaar चार फोर
        5: paanch panch paach पांच पाँच फाइव
        6: chhe chhah chah che छह छः छे छै सिक्स
        7: saat sat सात सेवन
        8: aath ath आठ
        9: nau नौ नाइन नाईन
        10: das दस टेन
        20: ट्वेंटी
        30: थर्टी
        40: फोर्टी
        50: फिफ्टी
        60: सिक्सटी
        70: सेवंटी
        90: नाइंटी
        100: sau सौ हंड्रेड
    """).items()
}

# "double s" is "ss", "triple seven" is "777".
MULTIPLIERS: dict[str, int] = {
    key(word): times for word, times in (("double", 2), ("triple", 3), ("डबल", 2), ("ट्रिपल", 3))
}
