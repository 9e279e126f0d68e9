"""Phrase sets, matched against one message cheaply.

A phrase is written as plain words separated by spaces; `*` inside a word stands for the rest of the word
(Indian languages inflect by suffix), `{a,b}` is a choice (`{,please }` makes a word optional, no nesting),
and `?` is a question mark. Matching is on the lower-cased text with word boundaries that know the Indian
scripts, so "name" does not match "named" while "பெயர*" matches its inflections. Between words any run of
spaces and commas, or none, is accepted: ASR output glues and splits words freely.

Every phrase set keeps a gate: for each phrase, the words of its most telling mandatory position (the first
three letters of a `*` word). Most messages share no token with the gate, so the regex never runs for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

LETTER = "\\w\u0900-\u0963\u0966-\u0d7f"  # inside a character class: letters and Indic marks, no dandas
_TOKEN = re.compile(f"[{LETTER}]+(?:'[{LETTER}]+)*")
_ASCII_TOKEN = re.compile(r"[a-z0-9_]+(?:'[a-z0-9_]+)*")  # the same words in lower-case ASCII text, faster
_BEFORE = f"(?<![{LETTER}])"
_AFTER = f"(?![{LETTER}])"
_NUKTAS = "\u093c\u0a3c\u0abc"
_OPTIONAL_NUKTA = f"[{_NUKTAS}]?"
# Precomposed nukta letters (Devanagari, Gurmukhi) become base + nukta, as ASR engines write either.
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
_STRIP_NUKTAS = str.maketrans(dict.fromkeys(map(ord, _NUKTAS)))
_BRACES = re.compile(r"\{([^{}]*)\}")
_STEM = 3


def word_set(words: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string (long word lists stay readable)."""
    return frozenset(words.split())


# Words in nearly every message: a gate on them would open for everything.
_COMMON = word_set("""
    i you is it to the a an are do did what this that my your me we hai hain na kya aap se ka ki ke ko mein
    aur bhi karna karo kijiye kariye karein karen raha rahi rahe hoon nahi nahin ek main time one can could
    have will want get tell say call sir ji ok yes no not please just now then so and or for with on in at
""")


class Text:
    """One message: lower-cased once, with the key set every phrase gate looks at: its words and, for a
    text in an Indian script, the first three letters of each word (for the `*` phrases)."""

    __slots__ = ("keys", "low", "tokens")

    def __init__(self, raw: str) -> None:
        low = raw.lower()
        if low.isascii():
            self.low = low
            self.tokens: list[str] = _ASCII_TOKEN.findall(low)
            if "'" in low:  # "car's" opens the gates of "car" too
                self.keys = frozenset(self.tokens).union([t.split("'")[0] for t in self.tokens if "'" in t])
            else:
                self.keys = frozenset(self.tokens)
        else:
            self.low = low.translate(_FOLD)
            self.tokens = _TOKEN.findall(self.low)
            words = {t.translate(_STRIP_NUKTAS) for t in self.tokens}
            self.keys = frozenset(words.union([w[:_STEM] for w in words if len(w) > _STEM]))

    @property
    def words(self) -> frozenset[str]:
        """The words (nukta-free) plus, in Indian scripts, their stems; enough for membership tests."""
        return self.keys


def _leading_words(phrase: str) -> set[str]:
    """The possible first words of a phrase, expanding only the choices inside its first word."""
    match = _BRACES.search(phrase)
    space = phrase.find(" ")
    if match is None or (space != -1 and space < match.start()):
        return {phrase.split(" ")[0]}
    head, tail = phrase[: match.start()], phrase[match.end() :]
    return set().union(*(_leading_words((head + option + tail).strip()) for option in match[1].split(",")))


def _positions(phrase: str) -> list[str]:
    """The phrase split at the spaces outside braces."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(phrase):
        depth += (char == "{") - (char == "}")
        if char == " " and depth == 0:
            parts.append(phrase[start:i])
            start = i + 1
    parts.append(phrase[start:])
    return parts


def _gate_words(phrase: str) -> list[str]:
    """The words one of which a text must hold for the phrase to match: those of the mandatory position
    with the longest words (common short words like "i", "to", "is" would open the gate for every
    message), else the phrase's possible first words."""
    best: tuple[int, int, list[str]] | None = None
    for index, position in enumerate(_positions(phrase)):
        group = _BRACES.fullmatch(position)
        # An option of several words is known by its first word ("phir se" by "phir").
        options = [option.split(" ")[0] for option in (group[1].split(",") if group else [position])]
        usable = all(
            option
            and _TOKEN.fullmatch(option.translate(_STRIP_NUKTAS).split("*")[0])
            and ("*" not in option or (option.endswith("*") and len(option) > _STEM))
            for option in options
        )
        if usable and "{" not in "".join(options):
            # Common words open the gate for nearly every message; a Latin `*` stem costs a substring search.
            lengths = [1 if option.endswith("*") and option.isascii() else len(option) for option in options]
            score = 0 if _COMMON.intersection(options) else min(lengths)
            if best is None or (score, index) >= best[:2]:
                best = (score, index, options)
    return best[2] if best else sorted(_leading_words(phrase))


def _regex(fragment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(fragment):
        char = fragment[i]
        if char == "{":
            close = fragment.index("}", i)
            options = fragment[i + 1 : close].split(",")
            out.append("(?:" + "|".join(_regex(option) for option in options) + ")")
            i = close + 1
            continue
        if char == " ":
            out.append(r"[\s,]*")
        elif char == "*":
            out.append(f"[{LETTER}]*")
        elif char == "?":
            out.append(r"\?")
        elif char not in _NUKTAS:
            out.append(re.escape(char))
            if "\u0900" <= char <= "\u0aff" and char.isalpha():
                out.append(_OPTIONAL_NUKTA)
        i += 1
    return "".join(out)


class PhraseSet:
    def __init__(self, *blocks: str) -> None:
        phrases = sorted(
            {" ".join(line.lower().split()) for block in blocks for line in block.splitlines() if line.strip()},
            key=len,
            reverse=True,
        )
        words: set[str] = set()
        latin_stems: set[str] = set()
        for phrase in phrases:
            for key in _gate_words(phrase):
                key = key.translate(_STRIP_NUKTAS)
                lead = key.split("*")[0]
                token = _TOKEN.match(lead)
                if token is None:
                    raise ValueError(f"a phrase must start with a word: {phrase!r}")
                if "*" in key and token.end() == len(lead):
                    if len(lead) < _STEM:
                        raise ValueError(f"a '*' word needs {_STEM} letters before the '*': {phrase!r}")
                    if lead.isascii():
                        latin_stems.add(lead)
                    else:
                        words.add(lead[:_STEM])
                else:
                    words.add(token.group())
        self._keys = frozenset(words)
        self._latin_stems = re.compile("|".join(map(re.escape, sorted(latin_stems)))) if latin_stems else None
        self.pattern = re.compile(_BEFORE + "(?:" + "|".join(map(_regex, phrases)) + ")" + _AFTER)

    def gate(self, text: Text) -> bool:
        """Could this text hold one of the phrases? (Cheap; False means certainly not.)"""
        if not self._keys.isdisjoint(text.keys):
            return True
        return self._latin_stems is not None and self._latin_stems.search(text.low) is not None

    def search(self, text: Text) -> re.Match[str] | None:
        return self.pattern.search(text.low) if self.gate(text) else None

    def finditer(self, text: Text) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text.low) if self.gate(text) else iter(())

    def __contains__(self, fragment: str) -> bool:
        """Search a part of a message (a sentence, a clause), behind the same gate."""
        return self.gate(Text(fragment)) and self.pattern.search(fragment) is not None
