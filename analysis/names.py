"""The customer's name: from what the customer said, spelled as the agent read it back when affirmed.

A name comes from a customer message in one of three ways:
- a statement that can only introduce a name, anywhere in the call: "my name is X", "mera naam X hai",
  "en peru X", "naa peru X", "nanna hesaru X", "maru naam X che", "ਮੇਰਾ ਨਾਮ X ਹੈ", "X bol raha hoon",
  "X speaking", "myself X";
- a weaker statement ("this is X", "I'm X", "main X hoon", "naan X", "nenu X") only where a name is
  expected: in reply to a name question or read-back, or as the customer's very first words;
- a bare reply ("Rahul Sharma", "haan ji, Amit") only in reply to a name question or read-back.
Fillers around the name are dropped, the name ends at the first word that is never a name
(`namewords.py`), spelled letters are joined ("r a h u l" -> "Rahul"), and Latin names are title-cased.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from analysis.namewords import LEADING_FILLERS, NOT_NAME_WORDS, TRAILING_FILLERS
from analysis.phrases import LETTER, Text, word_set

_MAX_WORDS = 4
_MAX_BARE_WORDS = 3  # a bare reply longer than this is a sentence, not a name
_MAX_WORD_LENGTH = 24
_CLAUSE_END = '[^,.;:!?।॥\n—–()"]'
_CLAUSE_BREAK = re.compile('[,.;:!?।॥\n—–()"]')
_LOOK = 80  # characters around a marker that can hold a name; bounds the work on a very long message
_X = f"(?P<x>{_CLAUSE_END}{{1,{_LOOK}}})"
_B = f"(?<![{LETTER}])"  # a word starts here


def _after(*openers: str) -> re.Pattern[str]:
    """The name follows the opener: "my name is X"."""
    return re.compile(_B + "(?:" + "|".join(openers) + r")[\s,]+" + _X)


def _before(*markers: str) -> re.Pattern[str]:
    """The name precedes the marker: "X speaking" (see _fragments_before)."""
    return re.compile(r"[\s,]+(?:" + "|".join(markers) + f")(?![{LETTER}])")


_STRONG_AFTER = _after(
    r"my\s+(?:good\s+|full\s+|first\s+)?name\s*(?:is|'s|was|:)?",
    r"name\s+is",
    r"call\s+me",
    r"myself",
    r"(?:mera|meraa|mra|apna)\s+(?:naam|nam|name)\s*(?:hai|he|h)?",
    r"मेरा\s+नाम\s*(?:है)?",
    r"(?:en|enoda|ennoda|ennudaya|enadhu)\s+(?:peru|peyar|per)",
    r"(?:என்|என்னோட|என்னுடைய|எனது)\s+(?:பெயர்|பேரு|பேர்)",
    r"(?:naa|na)\s+peru",
    r"నా\s+పేరు",
    r"nanna\s+(?:hesaru|hesru)",
    r"ನನ್ನ\s+ಹೆಸರು",
    r"(?:maru|maaru|maro)\s+(?:naam|nam)",
    r"(?:મારું|મારુ|મારૂં)\s+નામ",
    r"ਮੇਰਾ\s+(?:ਨਾਮ|ਨਾਂ)\s*(?:ਹੈ)?",
)
_STRONG_BEFORE = _before(
    r"(?:bol|bool)\s+(?:raha|rahi|rha|rhi|rahaa)",
    r"बोल\s+(?:रहा|रही)",
    r"speaking",
    r"(?:pesuren|pesaren|pesuran|pesaran)",
    r"(?:பேசுறேன்|பேசுகிறேன்|பேசறேன்)",
    r"(?:matladutunnanu|matladuthunnanu|matladutunna)",
    r"(?:మాట్లాడుతున్నాను|మాట్లాడుతున్నా)",
    r"(?:maatadtiddini|matadtidini|matadtiddini)",
    r"(?:ಮಾತಾಡ್ತಿದ್ದೀನಿ|ಮಾತನಾಡುತ್ತಿದ್ದೇನೆ)",
    r"(?:bolu|bolun)\s+(?:chu|chhu)",
    r"બોલું\s+છું",
    r"ਬੋਲ\s+(?:ਰਿਹਾ|ਰਹੀ)",
)
_WEAK_AFTER = _after(
    r"this\s+is",
    r"i\s+am",
    r"i'm",
    r"it'?s",
    r"it\s+is",
    r"(?:main|mai)",
    r"मैं",
    r"(?:naan|nan)",
    r"நான்",
    r"nenu",
    r"నేను",
    r"(?:naanu|nanu)",
    r"ನಾನು",
    r"હું",
    r"ਮੈਂ",
)
_WEAK_BEFORE = _before(r"here")

# Words one of the patterns above needs: a message without any of them skips that pattern.
_STRONG_AFTER_GATE = word_set("""
    my name call myself mera meraa mra apna मेरा en enoda ennoda ennudaya enadhu என் என்னோட என்னுடைய எனது
    naa na నా nanna ನನ್ನ maru maaru maro મારું મારુ મારૂં ਮੇਰਾ
""")
_STRONG_BEFORE_GATE = word_set("""
    bol bool बोल speaking pesuren pesaren pesuran pesaran பேசுறேன் பேசுகிறேன் பேசறேன் matladutunnanu
    matladuthunnanu matladutunna మాట్లాడుతున్నాను మాట్లాడుతున్నా maatadtiddini matadtidini matadtiddini
    ಮಾತಾಡ್ತಿದ್ದೀನಿ ಮಾತನಾಡುತ್ತಿದ್ದೇನೆ bolu bolun બોલું ਬੋਲ
""")
_WEAK_AFTER_GATE = word_set("this i i'm it's its it main mai मैं naan nan நான் nenu నేను naanu nanu ನಾನು હું ਮੈਂ")
_READBACK_AFTER = _after(
    r"(?:name|naam|नाम|பெயர்|பெயர|பேர்|பேரு|పేరు|ಹೆಸರು|નામ|ਨਾਮ)\s*"
    r"(?:is|as|was|will\s+be|would\s+be|is\s+spelled|spelled|spelt|:|=|-|hai|है)?",
    r"(?:am\s+i|i\s+am)\s+(?:speaking|talking)\s+(?:with|to)",
    r"is\s+this\s+(?:mr|mrs|ms|miss)\.?",
)
_KYA_MAIN = re.compile(rf"(?:kya\s+)?(?:main|mai|मैं)\s+(?P<x>{_CLAUSE_END}{{1,{_LOOK}}}?)\s+(?:se|से)\s+(?:baat|बात)")
_CAPITALISED_RUN = re.compile(r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_SPELLED = re.compile(r"^(?:[a-z][.-]){2,}[a-z]\.?$")
_INITIAL = re.compile(r"(?<![\w])([a-z])\.(?=\s)")
_NAME_WORD = re.compile(f"[{LETTER}]+(?:['.-][{LETTER}]+)*\\.?")


def customer_name(text: Text, expected: bool, first_words: bool, is_vehicle: Callable[[str], bool]) -> str | None:
    """The name this customer message gives, if any (module docstring). `expected`: the agent just asked
    for the name or read one back; `first_words`: this is the customer's first message."""
    words = text.words
    tries: list[tuple[re.Pattern[str], Callable[[str, Callable[[str], bool]], str | None]]] = []
    if not _STRONG_AFTER_GATE.isdisjoint(words):
        tries.append((_STRONG_AFTER, clean_name))
    if not _STRONG_BEFORE_GATE.isdisjoint(words):
        tries.append((_STRONG_BEFORE, _name_before))
    if expected or first_words:
        if not _WEAK_AFTER_GATE.isdisjoint(words):
            tries.append((_WEAK_AFTER, clean_name))
        if "here" in words:
            tries.append((_WEAK_BEFORE, _name_before))
    for pattern, pick in tries:
        fragments = _fragments_before if pick is _name_before else _fragments_after
        for fragment in fragments(pattern, text.low):
            name = pick(fragment, is_vehicle)
            if name:
                return name
    return _bare_reply(text.low, is_vehicle) if expected else None


def _fragments_after(pattern: re.Pattern[str], low: str) -> Iterator[str]:
    for match in pattern.finditer(low):
        yield match["x"]


def _fragments_before(pattern: re.Pattern[str], low: str) -> Iterator[str]:
    """The clause before each marker, at most _LOOK characters of it."""
    for match in pattern.finditer(low):
        window = low[max(0, match.start() - _LOOK) : match.start()]
        yield _CLAUSE_BREAK.split(window)[-1]


def readback_name(text: Text, raw: str, fallback: bool, is_vehicle: Callable[[str], bool]) -> str | None:
    """The name an agent's read-back states: "I have your name as Vivek", "आपका नाम विवेक है, सही है?",
    "Am I speaking with Akash?". With `fallback` (the name was the field asked last), a run of capitalised
    words also counts: "Rahul Sharma, is that correct?"."""
    for match in _READBACK_AFTER.finditer(text.low):
        name = clean_name(match["x"], is_vehicle)
        if name:
            return name
    for match in _KYA_MAIN.finditer(text.low):
        name = clean_name(match["x"], is_vehicle)
        if name:
            return name
    if fallback:
        for run in reversed(_CAPITALISED_RUN.findall(raw)):
            name = clean_name(run.lower(), is_vehicle)
            if name:
                return name
    return None


def clean_name(fragment: str, is_vehicle: Callable[[str], bool]) -> str | None:
    """The name at the start of `fragment` (lower case): leading fillers dropped, cut at the first word
    that is never a name, spelled letters joined; None when nothing name-like is left."""
    words = _words(fragment)
    while words and words[0] in LEADING_FILLERS:
        words.pop(0)
    name: list[str] = []
    for word in words:
        if word.rstrip(".") in NOT_NAME_WORDS or any(ch.isdigit() for ch in word):
            break
        name.append(word)
    return _finish(name, is_vehicle)


def _name_before(fragment: str, is_vehicle: Callable[[str], bool]) -> str | None:
    """The name at the end of `fragment`: "haan ji main Rahul Sharma" (before "bol raha hoon")."""
    name: list[str] = []
    for word in reversed(_words(fragment)):
        if word.rstrip(".") in NOT_NAME_WORDS or any(ch.isdigit() for ch in word) or len(name) == _MAX_WORDS:
            break
        name.insert(0, word)
    return _finish(name, is_vehicle)


def _bare_reply(low: str, is_vehicle: Callable[[str], bool]) -> str | None:
    """A reply that is just a name, after any opening fillers and before any honorific ("haan ji, Rahul
    Sharma ji"). Any other word that is never a name makes the reply not a name."""
    for clause in re.split(r"[,.;:!?।॥\n—–]+", _INITIAL.sub(r"\1", low)):
        words = _words(clause)
        while words and words[0] in LEADING_FILLERS:
            words.pop(0)
        while words and words[-1] in TRAILING_FILLERS:
            words.pop()
        if not words:
            continue
        if len(words) > _MAX_BARE_WORDS or any(w.rstrip(".") in NOT_NAME_WORDS for w in words):
            return None
        return _finish(words, is_vehicle)
    return None


def _words(fragment: str) -> list[str]:
    fragment = _INITIAL.sub(r"\1", fragment)
    words = [w for w in (m.group() for m in _NAME_WORD.finditer(fragment))]
    return _join_spelled(words)


def _join_spelled(words: list[str]) -> list[str]:
    """ "r a h u l" and "r-a-h-u-l" become "rahul"; two initials ("r k sharma") stay as they are."""
    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isascii() and word.isalpha():
            run.append(word)
            continue
        out.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if word:
            out.append(re.sub(r"[.-]", "", word) if _SPELLED.match(word) else word)
    return out


def _finish(words: list[str], is_vehicle: Callable[[str], bool]) -> str | None:
    if not words or len(words) > _MAX_WORDS or any(len(w) > _MAX_WORD_LENGTH for w in words):
        return None
    name = " ".join(w.title() if w.isascii() else w for w in words)
    return None if is_vehicle(name) else name


def name_words(name: str) -> set[str]:
    """The lower-cased words of a name, as the language detector sees them."""
    return {m.group().strip(".").lower() for m in _NAME_WORD.finditer(name)}
