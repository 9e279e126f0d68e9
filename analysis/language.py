"""Which language the customer spoke, from the words of their messages.

Every word scores on its own (spec: "score per word"):

- A word in a native script scores 1 for the language of its Unicode block (Devanagari counts as
  hindi, Gurmukhi as punjabi).
- A romanized word scores 1 for every language whose word list holds it. Words shared by related
  Indian languages ("illa": tamil and kannada; "haan", "nahi": hindi and punjabi) count for EACH of
  them: between the sharing languages they cancel out and the distinctive words decide, while
  against every other language they are real evidence. Counting them for neither would throw that
  away, and a lone "illa" would then fall through to the hindi default, the one answer it rules out.
- A romanized word that is also an English word ("to", "do", "me", "hi", "ya") counts for NEITHER:
  the spelling cannot tell which reading was meant, and that is the very question. The lists keep
  such a word only where both readings are common; a word whose English reading is rare in speech
  ("main", "emi") simply is not in the English list.
- English function words and verbs score 1. Interjections and nouns that every Indian language has
  borrowed ("ok", "yes", "sir", "car", "price") score 0.5, so "yes sir, en peru Muthu" stays tamil.
- A few fixed phrases ("mera naam", "naa peru", "ki haal") add 1 to their language on top of their
  words, because together they pick one language out of a group that shares the single words.

The word lists are the phrasebook's `words`, `borrowed` and `signature` sections, one file per language.

No signal: email and URL words ("at", "dot", "com", "gmail", "एट", "डॉट"), whole addresses, runs of
spelled single letters ("r a h u l"), anything with a digit, and any word `ignore(word)` accepts
(personal names, car names). `ignore` is called with the lower-cased word, only for words that
would otherwise score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache

from analysis.memo import SHORT_TEXT, Memo
from analysis.phrasebook import Phrasebook, shipped_phrasebook
from analysis.spoken import key, word_set

LANGUAGES = ("english", "hindi", "tamil", "telugu", "kannada", "gujarati", "punjabi")

_BORROWED_WEIGHT = 0.5
_REMEMBERED = 65_536  # short customer messages remembered with their signals
# (languages of the fixed phrases found, (word, ((language, weight), ...)) for each word that scores)
_Signals = tuple[tuple[int, ...], tuple[tuple[str, tuple[tuple[int, float], ...]], ...]]
_PHRASE_BONUS = 1.0

# Words of spoken or written email addresses and URLs, in Latin and Devanagari.
_EMAIL_WORDS = frozenset(
    word_set("""
    at dot com gmail gmailcom yahoo hotmail outlook rediffmail rediff ymail icloud protonmail email
    emailid mail id underscore hyphen dash rate www http https
    एट डोट डाट कोम जीमेल याहू रेट द अंडरस्कोर ईमेल इमेल मेल आईडी
    """)
)
# Top-level domains only count as email words right after "dot" ("gmail dot co dot in").
_EMAIL_PAIRS = frozenset(
    [("at", "the")]
    + [(dot, domain) for dot in ("dot", "डॉट", "डोट", "डाट") for domain in ("in", "co", "org", "net", "io")]
)

# A written web address or domain, tested against one word at a time (anchored, so linear on any input).
_WEB_WORD = re.compile(r"(?:https?://|www\.)\S*|[\w.-]*\w\.(?:com|in|org|net|co|io)", re.IGNORECASE)
_PUNCTUATION = "\"'()[]{}<>,;:!?."
_WORD = re.compile(r"(?:[^\W_]|[\u0900-\u0963\u0966-\u0d7f\u200c\u200d])+(?:['’](?:[^\W_])+)*")
_HAS_DIGIT = re.compile(r"\d")

# Unicode block (code point >> 7) -> language index. Bengali and Oriya blocks carry no signal.
_BLOCK_LANGUAGE = {
    0x0900 >> 7: LANGUAGES.index("hindi"),
    0x0A00 >> 7: LANGUAGES.index("punjabi"),
    0x0A80 >> 7: LANGUAGES.index("gujarati"),
    0x0B80 >> 7: LANGUAGES.index("tamil"),
    0x0C00 >> 7: LANGUAGES.index("telugu"),
    0x0C80 >> 7: LANGUAGES.index("kannada"),
}


class LanguageDetector:
    """Per-word language scores from one phrasebook's word lists (`words`, `borrowed`, `signature`)."""

    def __init__(self, book: Phrasebook) -> None:
        by_word: dict[str, dict[int, float]] = {}
        english = LANGUAGES.index("english")
        for word in book.borrowed:
            by_word.setdefault(word, {})[english] = _BORROWED_WEIGHT
        for language, words in book.words.items():
            for word in words:
                by_word.setdefault(word, {})[LANGUAGES.index(language)] = 1.0
        self._word_scores = {
            word: tuple(weights.items())
            for word, weights in by_word.items()
            # an email word, or an English homograph that counts for neither (module docstring)
            if word not in _EMAIL_WORDS and not (english in weights and len(weights) > 1)
        }
        self._phrase_scores = {pair: LANGUAGES.index(language) for pair, language in book.signature.items()}
        self._phrase_starts = frozenset(first for first, _ in book.signature)
        self._remembered: Memo[str, _Signals] = Memo(_REMEMBERED)

    def scores(self, text: str, ignore: Callable[[str], bool] | None = None) -> dict[str, float]:
        """Per-word language signal of one customer message. `ignore(word)` returns True for words that carry
        no signal (names, car names); email/URL words and digits are ignored here."""
        scores = [0.0] * len(LANGUAGES)
        bonuses, scoring = self._signals(text)
        for language in bonuses:
            scores[language] += _PHRASE_BONUS
        for word, weights in scoring:
            if ignore is not None and ignore(word):
                continue
            for language, weight in weights:
                scores[language] += weight
        return dict(zip(LANGUAGES, scores, strict=True))

    def _signals(self, text: str) -> _Signals:
        """(the languages of the fixed phrases in the text, the words that score with their weights), before
        any word is ignored. Short replies come back call after call, so theirs are remembered."""
        if len(text) > SHORT_TEXT:
            return self._read(text)
        return self._remembered.get(text, self._read, text)

    def _read(self, text: str) -> _Signals:
        if "@" in text or "." in text or "/" in text:
            text = _without_addresses(text)
        words = _WORD.findall(text.lower())
        last = len(words) - 1
        word_scores, phrase_starts = self._word_scores, self._phrase_starts
        bonuses: list[int] = []
        scoring: list[tuple[str, tuple[tuple[int, float], ...]]] = []
        for position, word in enumerate(words):
            previous = words[position - 1] if position else ""
            weights = word_scores.get(word)
            if weights is None:
                if word.isascii() or _HAS_DIGIT.search(word):
                    continue
                block = _BLOCK_LANGUAGE.get(ord(word[0]) >> 7)
                if block is None or key(word) in _EMAIL_WORDS:
                    continue
                weights = ((block, 1.0),)
            elif len(word) == 1 and (len(previous) == 1 or (position < last and len(words[position + 1]) == 1)):
                continue  # one of a run of spelled letters: "r a h u l"
            if word in phrase_starts and position < last:
                phrase_language = self._phrase_scores.get((word, words[position + 1]))
                if phrase_language is not None:
                    bonuses.append(phrase_language)
            if (previous, word) in _EMAIL_PAIRS:
                continue
            scoring.append((word, weights))
        return tuple(bonuses), tuple(scoring)

    def detect(
        self, customer_texts: Sequence[str], default: str = "hindi", ignore: Callable[[str], bool] | None = None
    ) -> str:
        """The spec's rule: highest total score wins; ties go to the language of the latest message carrying a
        signal; no signal at all -> default.

        "Latest message carrying a signal" means a signal for one of the tied languages: walking back from
        the last message, the first one in which a tied language leads the others wins. If no message tells
        them apart (a lone "illa" is tamil and kannada alike), the default wins if it is among them, else
        the first of them in LANGUAGES order.
        """
        per_message = [self.scores(text, ignore) for text in customer_texts]
        totals = dict.fromkeys(LANGUAGES, 0.0)
        for scores in per_message:
            for language, score in scores.items():
                totals[language] += score
        best = max(totals.values())
        if best <= 0:
            return default
        tied = [language for language in LANGUAGES if totals[language] == best]
        for scores in reversed(per_message):
            if len(tied) == 1:
                break
            lead = max(scores[language] for language in tied)
            if lead > 0:
                tied = [language for language in tied if scores[language] == lead]
        if len(tied) == 1:
            return tied[0]
        return default if default in tied else tied[0]


def _without_addresses(text: str) -> str:
    """The text without written email and web addresses, which carry no language signal."""
    return " ".join(
        word for word in text.split() if "@" not in word and _WEB_WORD.fullmatch(word.strip(_PUNCTUATION)) is None
    )


def common_words(book: Phrasebook) -> frozenset[str]:
    """Every word the language lists know, homographs included. The model matcher never takes one of these
    for a misspelt car name."""
    return book.borrowed.union(*book.words.values())


@cache
def _shipped() -> LanguageDetector:
    return LanguageDetector(shipped_phrasebook())


def language_scores(text: str, ignore: Callable[[str], bool] | None = None) -> dict[str, float]:
    """`LanguageDetector.scores` with the shipped word lists."""
    return _shipped().scores(text, ignore)


def detect_language(
    customer_texts: Sequence[str], default: str = "hindi", ignore: Callable[[str], bool] | None = None
) -> str:
    """`LanguageDetector.detect` with the shipped word lists."""
    return _shipped().detect(customer_texts, default, ignore)
