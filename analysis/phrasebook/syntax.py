"""The phrase syntax, parsed and checked one line at a time so that a mistake is reported where it is.

A phrase is plain words separated by spaces, in lower case or not:

- `word*`: the word and any longer word it starts ("பெயர*" matches "பெயரை", "பெயரென்ன"), since Indian
  languages inflect by suffix;
- `{a,b,c}`: one of the choices; a choice may be several words, and an empty choice makes it optional
  (`{please ,}`); choices do not nest;
- `?`: a question mark;
- `...`: up to three words, any words ("tell ... to call me").

Matching is on the lower-cased message with word boundaries that know the Indian scripts, so "name" does
not match "named". Between words any run of spaces and commas is accepted. (Speech recognisers also glue
words: write a glued form that matters as a choice of its own, "{phir se,phirse}".) Nuktas never matter:
"ज़रूर" and "जरूर" are one word.

Every phrase compiles to a regular expression without nested repetition: literal letters, ` *` gaps,
`[letters]*` word ends and a bounded `...`; each piece matches a different kind of character from the one
that follows it, so matching is linear in the length of the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analysis.phrasebook.text import LETTER, STEM, STRIP_NUKTAS, TOKEN, fold
from analysis.spoken import word_set

ELLIPSIS = "..."
_ELLIPSIS_WORDS = 3
_GAP = " *"  # phrases match the message's `spaced` form, where spaces and commas are all spaces
# A nukta may follow any letter of its script: "ज़रूर" and "जरूर" are one word.
_NUKTA_AFTER = {0x900 >> 7: "\u093c?", 0xA00 >> 7: "\u0a3c?", 0xA80 >> 7: "\u0abc?"}
_WORD_CHARS = re.compile(f"[{LETTER}']+")
_MAX_GATE_EXPANSIONS = 1024  # ways one position can be said that are weighed for its gate
_VIRAMAS = "\u094d\u0a4d\u0acd\u0bcd\u0c4d\u0ccd"

# Words in nearly every message: a gate on them would open for everything.
_COMMON = word_set("""
    i you is it to the a an are do did what this that my your me we can could have will want get tell say
    call sir ok yes no not please just now then so and or for with on in at of be was am there here
    hai hain na naa ho h kya aap se ka ki ke ko mein me main aur bhi to toh ji haan nahi nahin ek time raha
    rahi rahe hoon karna karo kijiye kariye karein karen
    है हैं ना न हो क्या आप से का की के को में मैं और भी तो जी हाँ नहीं एक
""")


class PhraseError(ValueError):
    """A phrase that cannot be compiled; str() says why, without the place (the caller adds it)."""


@dataclass(frozen=True)
class Phrase:
    text: str  # as written, whitespace collapsed
    regex: str  # the pattern fragment, without word boundaries
    # For each position where some word must appear: the words (or `stem*`) one of which a message must
    # hold for the phrase to match there. A phrase set gates the phrase on the rarest of them (`gate`).
    gates: tuple[frozenset[str], ...]
    leads: frozenset[str]  # the first STEM letters of every word the phrase can start with

    @property
    def gate(self) -> frozenset[str]:
        """The position least likely to be in a message: common words count as always there, short words
        and stems as often there."""
        return min(reversed(self.gates), key=lambda words: sum(map(_likelihood, words)))


def _likelihood(word: str) -> float:
    """A rough chance that a message holds the word, for choosing gates."""
    if word in _COMMON:
        return 1.0
    if word.endswith("*"):
        return 0.1 if len(word) > 2 else 0.3
    return 0.3 if len(word) <= 2 else 0.05 if len(word) == 3 else 0.02


def parse(line: str) -> Phrase:
    """Compile one phrase; PhraseError says what is wrong with it."""
    text = " ".join(fold(line.lower()).replace("-", " ").split())  # a hyphen is a space, as in messages
    if not text:
        raise PhraseError("empty phrase")
    positions = _positions(text)
    regex = _GAP.join(_position_regex(position) for position in positions)
    first = positions[0]
    if first == ELLIPSIS or first == "?":
        raise PhraseError(f"a phrase must start with a word, not {first!r}")
    return Phrase(text, regex, _gates(positions, text), _leads(positions))


def _positions(text: str) -> list[str]:
    """The phrase split at the spaces outside braces, with the braces checked."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(text):
        if char == "{":
            if depth:
                raise PhraseError("choices do not nest: '{' inside '{...}'")
            depth = 1
        elif char == "}":
            if not depth:
                raise PhraseError("'}' without its '{'")
            depth = 0
        elif char == " " and not depth:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise PhraseError("'{' without its '}'")
    parts.append(text[start:])
    return parts


def _position_regex(position: str) -> str:
    """One position: words glued to choices ("{a ,an ,}dealer*" is one position), `?` or `...`."""
    if position == ELLIPSIS:
        # Each word ends at spaces or right before a question mark ("is it ... ?" reads "is it vivek?").
        return f"(?:[{LETTER}']+(?: +|(?=\\?))){{0,{_ELLIPSIS_WORDS}}}"
    out: list[str] = []
    for piece in re.split(r"(\{[^{}]*\})", position):
        if piece.startswith("{"):
            options = piece[1:-1].split(",")
            out.append("(?:" + "|".join(_option_regex(option) for option in options) + ")")
        elif piece:
            out.append(_word_regex(piece))
    return "".join(out)


def _option_regex(option: str) -> str:
    words = option.strip().split()
    if ELLIPSIS in words:
        raise PhraseError("'...' cannot be one of the choices")
    # A trailing space ("{please ,}") reads as the gap before whatever follows the choice.
    gap_after = _GAP if option.endswith(" ") and words else ""
    return _GAP.join(_word_regex(word) for word in words) + gap_after


def _word_regex(word: str) -> str:
    if word == "?":
        return r"\?"
    if word == ELLIPSIS:
        raise PhraseError("'...' must stand alone between spaces")
    stem, star, rest = word.partition("*")
    if rest:
        raise PhraseError(f"'*' may only end a word: {word!r}")
    if not _WORD_CHARS.fullmatch(stem):
        raise PhraseError(
            f"{word!r}: a word holds letters, digits and ' only "
            "(use {a,b} for choices, * for the rest of a word, ? for a question mark, ... for any words)"
        )
    stem = stem.translate(STRIP_NUKTAS)
    if star:
        # "டீலர்*" also matches "டீலரை": an inflection replaces the final virama with a vowel sign.
        stem = stem.rstrip(_VIRAMAS) or stem
    out: list[str] = []
    for char in stem:
        out.append(re.escape(char))
        if char.isalpha():
            out.append(_NUKTA_AFTER.get(ord(char) >> 7, ""))
    if star:
        out.append(f"[{LETTER}]*")
    return "".join(out)


def _leads(positions: list[str]) -> frozenset[str]:
    """The first STEM letters (nuktas dropped) of each word the phrase can start with: a message is only
    matched at its words with these beginnings."""
    leads: set[str] = set()
    for position in positions:
        for piece in re.split(r"(\{[^{}]*\})", position):
            if not piece:
                continue
            options = piece[1:-1].split(",") if piece.startswith("{") else [piece]
            for option in options:
                words = option.split()
                if words:
                    leads.add(words[0].rstrip("*").translate(STRIP_NUKTAS)[:STEM])
            if all(option.split() for option in options):
                return frozenset(leads)  # this piece always says a word: nothing after it can start the phrase
    return frozenset(leads)


def _gates(positions: list[str], text: str) -> tuple[frozenset[str], ...]:
    """For each position where some word must appear, the words one of which does."""
    gates = tuple(frozenset(picks) for picks in map(_position_gate, positions) if picks is not None)
    if not gates:
        raise PhraseError(
            f"{text!r} has no word that must appear (every word is optional, or a '*' word with fewer than "
            f"{STEM} letters before the '*')"
        )
    return gates


def _position_gate(position: str) -> set[str] | None:
    """For each way the position can be said, its most telling word; None if one way says no word at all."""
    expansions = [""]
    for piece in re.split(r"(\{[^{}]*\})", position):
        options = piece[1:-1].split(",") if piece.startswith("{") else [piece]
        # Pieces are glued as written: "{a ,the ,}dealer" says "a dealer" or "the dealer", and
        # "{matlad,maatlad}{ali,aali}" one word, "matladali".
        expansions = [head + option for head in expansions for option in options]
        if len(expansions) > _MAX_GATE_EXPANSIONS:
            return None
    picks: set[str] = set()
    for expansion in expansions:
        words = [word.translate(STRIP_NUKTAS) for word in expansion.split() if word not in ("?", ELLIPSIS)]
        words = [word for word in words if _gate_word(word)]
        if not words:
            return None
        picks.add(max(words, key=lambda word: (word not in _COMMON, len(word.rstrip("*")))))
    return picks


def _gate_word(option: str) -> bool:
    """A word a message's keys can hold: a whole word, or a `*` word with at least STEM letters (the keys
    hold the first STEM letters of each word)."""
    stem = option.removesuffix("*").translate(STRIP_NUKTAS)
    if option.endswith("*") and len(stem) < STEM:
        return False
    return bool(stem) and TOKEN.fullmatch(stem) is not None
