"""A compiled set of phrases (syntax: `syntax.py`), matched against one message cheaply.

Every phrase set keeps a gate: for each phrase, the words of its most telling mandatory position (the first
three letters of a `*` word). Most messages share no key with the gate, and nothing more is done for them.
Otherwise matching is per word, anchored: the phrases are grouped by the first three letters of the words
they can start with, and at each word of the message with such a beginning only that group's pattern is
tried, anchored there. Offsets of matches are offsets into the message's `low` text (and into any fragment
of it passed in), since the matched `spaced` form has the same length. Customers say the same short replies
call after call, so a set remembers the matches of short texts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from analysis.memo import SHORT_TEXT, Memo
from analysis.phrasebook.syntax import Phrase, parse
from analysis.phrasebook.text import LETTER, STEM, Text

_AFTER = f"(?![{LETTER}])"
# Short replies ("haan ji", "yes speaking", "ok sir") come back call after call: their matches are
# remembered, up to _REMEMBERED texts per phrase set (a few hundred bytes each).
_REMEMBERED = 8192


class PhraseSet:
    def __init__(self, phrases: Iterable[Phrase | str]) -> None:
        """From parsed phrases (or phrase strings, parsed here; PhraseError for a bad one)."""
        parsed = {p.text: p for p in (p if isinstance(p, Phrase) else parse(p) for p in phrases)}
        # Longest first: at one position the regex takes the first alternative that matches.
        ordered = sorted(parsed.values(), key=lambda p: len(p.text), reverse=True)
        self.phrases = tuple(p.text for p in ordered)
        gates = [word for phrase in ordered for word in phrase.gate]
        self._keys = frozenset(word for word in gates if not word.endswith("*"))
        self._stems = frozenset(word[:STEM] for word in gates if word.endswith("*"))
        # Matching starts only at words a phrase can start with, each tried with just those phrases: one
        # anchored match per candidate word instead of every phrase at every position. A group's pattern is
        # compiled the first time a message needs it: most groups are never needed, and start-up stays fast.
        by_lead: dict[str, list[str]] = {}
        for phrase in ordered:
            for lead in phrase.leads:
                by_lead.setdefault(lead, []).append(phrase.regex)
        self._sources = {lead: f"(?:{'|'.join(regexes)}){_AFTER}" for lead, regexes in by_lead.items()}
        self._by_lead: dict[str, re.Pattern[str]] = {}
        self._leads = frozenset(self._sources)
        self._found: Memo[str, list[re.Match[str]]] = Memo(_REMEMBERED)  # short text -> its matches (module docstring)

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def gate(self, text: Text) -> bool:
        """Could this text hold one of the phrases? (Cheap; False means certainly not.)"""
        return not self._keys.isdisjoint(text.keys) or (bool(self._stems) and not self._stems.isdisjoint(text.stems))

    def search(self, text: Text) -> re.Match[str] | None:
        """The first phrase in the text (the longest of those starting at the same word)."""
        found = self._matches(text)
        return found[0] if found else None

    def finditer(self, text: Text) -> Iterator[re.Match[str]]:
        """The phrases in the text, left to right, not overlapping."""
        return iter(self._matches(text))

    def _matches(self, text: Text) -> list[re.Match[str]]:
        """The matches, left to right, not overlapping. The list may be shared: callers never change it."""
        if not self.gate(text):
            return []
        low = text.low
        if len(low) <= SHORT_TEXT:
            return self._found.get(low, self._find, text)
        return self._find(text)

    def _find(self, text: Text) -> list[re.Match[str]]:
        starts = text.starts
        leads = self._leads.intersection(starts)
        if not leads:
            return []
        spaced = text.spaced
        found = [
            match
            for lead in leads
            for start in starts[lead]
            if (match := self._pattern(lead).match(spaced, start)) is not None
        ]
        if len(found) > 1:
            found.sort(key=lambda match: match.start())
            kept, free = [], 0
            for match in found:
                if match.start() >= free:
                    kept.append(match)
                    free = match.end()
            found = kept
        return found

    def __contains__(self, fragment: str) -> bool:
        """Search a part of a message's `low` text (a clause, say), behind the same gate."""
        return self.search(Text(fragment)) is not None

    def _pattern(self, lead: str) -> re.Pattern[str]:
        pattern = self._by_lead.get(lead)
        if pattern is None:
            pattern = self._by_lead[lead] = re.compile(self._sources[lead])
        return pattern

    def compile_all(self) -> None:
        """Compile every group now (for tests: each phrase of a file is checked when it is read, and this
        shows the groups they make compile too)."""
        for lead in self._sources:
            self._pattern(lead)

    def spans(self, text: Text) -> list[tuple[int, int]]:
        """Where the phrases are in the text."""
        return [match.span() for match in self._matches(text)]

    def masked(self, text: Text) -> Text:
        """The text with every phrase in it replaced by commas (a clause break, the same length); the text
        itself when there is none."""
        spans = self.spans(text)
        if not spans:
            return text
        low, pieces, done = text.low, [], 0
        for start, end in spans:
            pieces += [low[done:start], "," * (end - start)]
            done = end
        pieces.append(low[done:])
        return Text("".join(pieces))

    def ends(self, fragment: str) -> bool:
        """Does a part of a message's `low` text end with one of the phrases (give or take spaces)? Every
        phrase is tried to the end, not only the first that matches at a word: "my wife drives a" ends with
        "my ... drives a", though "my" alone is a phrase too."""
        text = Text(fragment)
        if not self.gate(text):
            return False
        starts = text.starts
        spaced = text.spaced.rstrip()
        return any(
            self._pattern(lead).fullmatch(spaced, start) is not None
            for lead in self._leads.intersection(starts)
            for start in starts[lead]
        )

    def starts(self, fragment: str) -> bool:
        """Does a part of a message's `low` text start with one of the phrases?"""
        text = Text(fragment)
        found = self._matches(text)
        return bool(found) and found[0].start() == len(text.spaced) - len(text.spaced.lstrip())
