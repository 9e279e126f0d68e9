"""Cutting one customer message into tokens, and turning spoken forms into symbols, numbers and letters.

"rahul dot sharma at the rate g mail dot com" becomes WORD DOT WORD AT WORD WORD DOT WORD; "double",
"nine two" and "आर ए" become MULTI, NUMBER and LETTER tokens that `spelling.py` then merges.
"""

from __future__ import annotations

import re
from enum import StrEnum

from analysis.spoken import LETTER_NAMES, MULTIPLIERS, NUMBER_WORDS, NUMBER_WORDS_IN_RUNS, key


class Kind(StrEnum):
    WORD = "word"  # a Latin word or a joined run of spelled letters
    LETTER = "letter"  # one spelled letter
    DIGITS = "digits"
    NUMBER = "number"  # a number word, not yet merged with its neighbours
    MULTI = "multi"  # "double", "triple"
    AT = "at"
    DOT = "dot"
    POINT = "point"  # "point": a dot, but only inside a domain
    SYMBOL = "symbol"  # "_", "-", "+"
    BREAK = "break"  # any other punctuation
    DEVA = "deva"  # a Devanagari word


JOINERS = (Kind.AT, Kind.DOT, Kind.SYMBOL)
JOINER_TEXTS = frozenset(".-_+")

_TOKEN = re.compile(
    r"(?P<word>[a-z0-9]+(?:'[a-z]+)?)"
    r"|(?P<deva>[\u0900-\u0963\u0971-\u097f\u200c\u200d]+)"
    r"|(?P<devadigit>[\u0966-\u096f]+)"
    # A dot or hyphen inside a written word ("rahul.sharma", "R-A-H-U-L") belongs to it; elsewhere it is
    # sentence punctuation.
    r"|(?P<inner>(?<=[a-z0-9\u0900-\u097f])[.\-](?=[a-z0-9\u0900-\u097f]))"
    r"|(?P<sym>[@_+])"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.DOTALL,
)
_DEVA_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")


class Tok:
    """One token: `text` is what it adds to an address, `orig` what the customer said, `gap` whether
    whitespace came before it (so untouched text can be written back as it was), `typed` whether it is a
    word written against an "@", "." or "_" (part of a typed address, taken literally). A NUMBER carries
    `number` (value, needs-a-neighbour); a LETTER spoken in Devanagari keeps that word in `deva`."""

    __slots__ = ("deva", "gap", "kind", "number", "orig", "text", "typed")

    def __init__(self, kind: Kind, text: str, orig: str, gap: bool) -> None:
        self.kind, self.text, self.orig, self.gap = kind, text, orig, gap
        self.typed = False
        self.number: tuple[int, bool] = (0, False)
        self.deva = ""


def joined(kind: Kind, text: str, parts: list[Tok]) -> Tok:
    """One token standing for several, keeping what the customer said."""
    orig = parts[0].orig + "".join((" " if t.gap else "") + t.orig for t in parts[1:])
    tok = Tok(kind, text, orig, parts[0].gap)
    tok.typed = all(t.typed for t in parts)
    return tok


# Spoken phrases, keyed by their words' lookup keys; the longest match wins.
_PHRASES: dict[tuple[str, ...], tuple[Kind, str]] = {}
for _phrase, _kind, _text in (
    ("at|attherate|atherate|एट|ऐट", Kind.AT, "@"),
    (
        "at the rate|at the rate of|at rate|at d rate|at da rate|at de rate|@ the rate|@ the rate of|@ rate"
        "|एट द रेट|ऐट द रेट|एट दी रेट|एट दि रेट|ऐट दि रेट|एट द रेट ऑफ|एट रेट|@ द रेट",
        Kind.AT,
        "@",
    ),
    ("dot|period|डॉट|डोट|डाट", Kind.DOT, "."),
    ("point|पॉइंट|पॉइन्ट", Kind.POINT, "."),
    ("underscore|under score|अंडरस्कोर|अंडर स्कोर", Kind.SYMBOL, "_"),
    ("dash|hyphen|minus|डैश|हाइफन|हायफन|माइनस", Kind.SYMBOL, "-"),
    ("double u|double you|डबल यू|डबल्यू|डब्ल्यू", Kind.LETTER, "w"),
    ("gee mail|jee mail|जी मेल|जीमेल", Kind.WORD, "gmail"),
    ("हॉट मेल|हॉटमेल", Kind.WORD, "hotmail"),
    ("याहू", Kind.WORD, "yahoo"),
    ("आउट लुक|आउटलुक", Kind.WORD, "outlook"),
    ("रेडिफ मेल|रेडिफमेल", Kind.WORD, "rediffmail"),
    ("आई डी|आईडी|आइडी", Kind.WORD, "id"),
):
    for _words in _phrase.split("|"):
        _PHRASES[tuple(key(w) for w in _words.split())] = (_kind, _text)
_PHRASE_LEN = max(len(p) for p in _PHRASES)
_PHRASE_STARTS = frozenset(p[0] for p in _PHRASES)

# Number words: value, and whether the word only counts as a number next to another number. Addresses are
# spelled digit by digit, so of the everyday number words only digits count ("Rahul Das" keeps his name).
NUMBERS: dict[str, tuple[int, bool]] = {
    **{word: (value, True) for word, value in NUMBER_WORDS_IN_RUNS.items() if value < 10},
    **{word: (value, False) for word, value in NUMBER_WORDS.items()},
}
# Latin letter names are everyday English words ("see", "you", "are"): only Devanagari ones are read here,
# and "w" is a phrase above ("double u").
_DEVA_LETTERS = {name: letter for name, letter in LETTER_NAMES.items() if not name.isascii() and letter != "w"}


def lex(text: str) -> list[Tok]:
    """Cut lower-cased text into tokens and turn spoken phrases into symbols, numbers and letters."""
    raw: list[Tok] = []
    gap = False
    for m in _TOKEN.finditer(text):
        kind, piece = m.lastgroup, m.group()
        if kind == "space":
            gap = True
            continue
        if kind == "word":
            raw.append(Tok(Kind.WORD, piece, piece, gap))
        elif kind == "deva":
            raw.append(Tok(Kind.DEVA, key(piece), piece, gap))
        elif kind == "devadigit":
            raw.append(Tok(Kind.DIGITS, piece.translate(_DEVA_DIGITS), piece, gap))
        elif kind == "inner":
            raw.append(Tok(Kind.DOT if piece == "." else Kind.SYMBOL, piece, piece, gap))
        elif kind == "sym":
            raw.append(Tok(Kind.AT if piece == "@" else Kind.SYMBOL, piece, piece, gap))
        else:
            raw.append(Tok(Kind.BREAK, piece, piece, gap))
        gap = False
    n = len(raw)
    for i, tok in enumerate(raw):
        if tok.kind == Kind.WORD:
            tok.typed = (i + 1 < n and not raw[i + 1].gap and raw[i + 1].kind in JOINERS) or (
                i > 0 and not tok.gap and raw[i - 1].kind in JOINERS
            )
    toks: list[Tok] = []
    i = 0
    while i < n:
        spoken = raw[i].text in _PHRASE_STARTS and not raw[i].typed
        sizes = range(min(_PHRASE_LEN, n - i), 0, -1) if spoken else ()
        for size in sizes:
            hit = _PHRASES.get(tuple(t.text for t in raw[i : i + size]))
            if hit is not None:
                toks.append(joined(hit[0], hit[1], raw[i : i + size]))
                i += size
                break
        else:
            toks.append(_classify(raw[i]))
            i += 1
    return toks


def _classify(tok: Tok) -> Tok:
    word = tok.text
    if tok.kind == Kind.WORD:
        if word.isdigit():
            tok.kind = Kind.DIGITS
        elif word in MULTIPLIERS and not tok.typed:
            tok.kind, tok.text = Kind.MULTI, str(MULTIPLIERS[word])
        elif word in NUMBERS and not tok.typed:
            tok.kind, tok.number = Kind.NUMBER, NUMBERS[word]
        elif len(word) == 1:
            tok.kind = Kind.LETTER
    elif tok.kind == Kind.DEVA:
        if word in MULTIPLIERS:
            tok.kind, tok.text = Kind.MULTI, str(MULTIPLIERS[word])
        elif word in NUMBERS:
            tok.kind, tok.number = Kind.NUMBER, NUMBERS[word]
        elif word in _DEVA_LETTERS:
            tok.kind, tok.text, tok.deva = Kind.LETTER, _DEVA_LETTERS[word], word
    return tok
