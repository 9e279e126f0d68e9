"""One message as phrase matching sees it: lower-cased and folded once, with the set of keys every phrase
gate looks at."""

from __future__ import annotations

import re

LETTER = "\\w\u0900-\u0963\u0966-\u0d7f"  # inside a character class: letters and Indic marks, no dandas
TOKEN = re.compile(f"[{LETTER}]+(?:'[{LETTER}]+)*")
_ASCII_TOKEN = re.compile(r"[a-z0-9_]+(?:'[a-z0-9_]+)*")  # the same words in lower-case ASCII text, faster
NUKTAS = "\u093c\u0a3c\u0abc"
STEM = 3  # letters of a word that a `*` phrase word and a text's stem keys share
# Precomposed nukta letters (Devanagari, Gurmukhi) become base + nukta, as ASR engines write either; curly
# apostrophes become straight ones; zero-width joiners go.
_FOLD = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "`": "'",
        "\u200c": None,
        "\u200d": None,
        **{
            chr(c): chr(b) + "\u093c"
            for c, b in zip(range(0x958, 0x960), (0x915, 0x916, 0x917, 0x91C, 0x921, 0x922, 0x92B, 0x92F), strict=True)
        },
        "\u0929": "\u0928\u093c",
        "\u0931": "\u0930\u093c",
        "\u0934": "\u0933\u093c",
        "\u0a33": "\u0a32\u0a3c",
        "\u0a36": "\u0a38\u0a3c",
        "\u0a59": "\u0a16\u0a3c",
        "\u0a5a": "\u0a17\u0a3c",
        "\u0a5b": "\u0a1c\u0a3c",
        "\u0a5e": "\u0a2b\u0a3c",
    }
)
STRIP_NUKTAS = str.maketrans(dict.fromkeys(map(ord, NUKTAS)))
# Phrases match a same-length copy of the text in which every space, comma and hyphen is a plain space, so a
# gap between words in a phrase is just " *" (spaces, commas and hyphens run freely through ASR output:
# "manager-ஐ", "e-mail").
_SPACES = str.maketrans(
    dict.fromkeys(",-\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000", " ")
    | {c: " " for c in range(0x2000, 0x200B)}
)


def spaced(low: str) -> str:
    """`low` with every space, comma and hyphen a plain space; the same length, so offsets are shared."""
    return low.translate(_SPACES)


def fold(low: str) -> str:
    """Lower-cased text as the matcher reads it (see _FOLD); ASCII text is left alone."""
    return low if low.isascii() else low.translate(_FOLD)


class Text:
    """One message: lower-cased and folded once (`low`; every offset a phrase match gives is into it), its
    word tokens, and `keys`: the words (without nuktas), which is what every phrase gate looks at, with
    `starts` for the gates of `*` words and for where phrases can start."""

    __slots__ = ("_spaced", "_starts", "_stems", "keys", "low", "tokens")

    def __init__(self, raw: str) -> None:
        self._spaced: str | None = None
        self._starts: dict[str, list[int]] | None = None
        self._stems: frozenset[str] | None = None
        low = raw.lower()
        if low.isascii():
            self.low = low
            self.tokens: list[str] = _ASCII_TOKEN.findall(low)
            if "'" in low:  # "car's" opens the gates of "car" too
                self.keys = frozenset(self.tokens).union([t.split("'")[0] for t in self.tokens if "'" in t])
            else:
                self.keys = frozenset(self.tokens)
        else:
            self.low = fold(low)
            self.tokens = TOKEN.findall(self.low)
            words = {t.translate(STRIP_NUKTAS) for t in self.tokens}
            self.keys = frozenset(words.union([t.split("'")[0] for t in words if "'" in t]))

    @property
    def spaced(self) -> str:
        """What phrases match: `low` with spaces and commas as plain spaces (computed once, when needed)."""
        if self._spaced is None:
            self._spaced = spaced(self.low)
        return self._spaced

    @property
    def starts(self) -> dict[str, list[int]]:
        """Where the words start, by their first STEM letters without nuktas: "பெயரை" is found under "பெய",
        where the phrase word "பெயர*" looks (computed once, when needed)."""
        if self._starts is None:
            starts: dict[str, list[int]] = {}
            find, position = self.low.find, 0
            strip = not self.low.isascii()
            for token in self.tokens:  # each token is the next run of letters, so `find` lands on it
                position = find(token, position)
                lead = (token.translate(STRIP_NUKTAS) if strip else token)[:STEM]
                if lead in starts:
                    starts[lead].append(position)
                else:
                    starts[lead] = [position]
                position += len(token)
            self._starts = starts
        return self._starts

    @property
    def stems(self) -> frozenset[str]:
        """The first STEM letters of every word (nukta-free): what the gate of a `*` phrase word looks at.
        Cheaper than `starts`, which only matching needs."""
        if self._stems is None:
            self._stems = frozenset([word[:STEM] for word in self.keys])
        return self._stems

    @property
    def words(self) -> frozenset[str]:
        """The words, without nuktas."""
        return self.keys
