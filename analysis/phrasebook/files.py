"""Reading phrase files: the shipped ones in `data/`, and a folder of an operator's overrides.

A phrase file holds one language (`en.txt`, `hi.txt`, `ta.txt`, `te.txt`, `kn.txt`, `gu.txt`, `pa.txt`) in
UTF-8. Lines starting with `#` are comments, blank lines are ignored, and `[section]` starts a section;
every other line belongs to the section above it. A phrase section has one phrase per line (syntax:
`syntax.py`); a word section has words separated by spaces; a pair section has two words per line.

An override folder holds files of the same names. Its sections change the shipped lists of that language:

- `[section]` adds its lines to the shipped section;
- `[section: replace]` replaces the shipped section of that language with its lines;
- a line `-phrase` (in either) removes that exact shipped line (spaces and case do not matter).

Every line is checked as it is read; a problem raises ValueError naming the file and the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

from analysis.phrasebook.syntax import Phrase, PhraseError, parse
from analysis.phrasebook.text import TOKEN

SHIPPED = Path(__file__).with_name("data")
LANGUAGE_FILES = {
    "en": "english",
    "hi": "hindi",
    "ta": "tamil",
    "te": "telugu",
    "kn": "kannada",
    "gu": "gujarati",
    "pa": "punjabi",
}
_HEADER = re.compile(r"\[\s*([a-z_]+)\s*(?::\s*([a-z]+)\s*)?\]")


class Kind(StrEnum):
    PHRASES = "phrases"  # one phrase a line
    WORDS = "words"  # words separated by spaces
    PAIRS = "pairs"  # two words a line


@dataclass(frozen=True)
class Line:
    text: str  # whitespace collapsed
    where: str  # "phrase file X, line N", for messages
    phrase: Phrase | None = None  # in a phrase section: the line compiled


@dataclass
class _Edit:
    replace: bool = False
    add: list[Line] = field(default_factory=list)
    remove: list[Line] = field(default_factory=list)


def where(path: Path, number: int) -> str:
    return f"phrase file {path}, line {number}"


def read_file(path: Path, kinds: dict[str, Kind], override: bool) -> dict[str, _Edit]:
    """The sections of one file, every line checked against its section's kind."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"phrase file {path}: cannot read it: {exc}") from None
    sections: dict[str, _Edit] = {}
    first_line: dict[str, int] = {}
    current: _Edit | None = None
    kind = Kind.PHRASES
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split())
        if not line or line.startswith("#"):
            continue
        place = where(path, number)
        if line.startswith("["):
            name, mode = _header(line, place, kinds, override)
            if name in first_line:
                raise ValueError(f"{place}: section [{name}] again (it starts at line {first_line[name]})")
            first_line[name] = number
            current = sections[name] = _Edit(replace=mode == "replace")
            kind = kinds[name]
            continue
        if current is None:
            raise ValueError(f"{place}: {line!r} comes before any [section]")
        if line.startswith("-") and override:
            current.remove.append(Line(" ".join(line[1:].lower().split()), place))
            continue
        current.add.append(Line(line, place, _check(line, kind, place)))
    return sections


def _header(line: str, place: str, kinds: dict[str, Kind], override: bool) -> tuple[str, str | None]:
    match = _HEADER.fullmatch(line.lower())
    if match is None:
        raise ValueError(f"{place}: {line!r} is not a section header like [person_request]")
    name, mode = match[1], match[2]
    if name not in kinds:
        raise ValueError(f"{place}: unknown section [{name}]; the sections are: {', '.join(sorted(kinds))}")
    if mode is not None and mode != "replace":
        raise ValueError(f"{place}: [{name}: {mode}]: the only mode is ': replace'")
    if mode is not None and not override:
        raise ValueError(f"{place}: [{name}: replace] belongs in an override folder, not in the shipped files")
    return name, mode


def _check(line: str, kind: Kind, place: str) -> Phrase | None:
    """The line compiled, in a phrase section; ValueError names the place of a problem."""
    if kind == Kind.PHRASES:
        try:
            return parse(line)
        except PhraseError as exc:
            raise ValueError(f"{place}: {exc}") from None
    words = line.lower().split()
    bad = next((word for word in words if TOKEN.fullmatch(word) is None), None)
    if bad is not None:
        raise ValueError(f"{place}: {bad!r} is not a word (letters and digits, maybe with an apostrophe)")
    if kind == Kind.PAIRS and len(words) != 2:
        raise ValueError(f"{place}: a line of this section is two words, not {len(words)}")
    return None


def read_folder(folder: Path, kinds: dict[str, Kind], override: bool) -> dict[str, dict[str, _Edit]]:
    """language -> section -> edit, for every language file in the folder."""
    if not folder.is_dir():
        raise ValueError(f"phrase folder {folder}: not a folder")
    files: dict[str, dict[str, _Edit]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix != ".txt":
            continue  # a README or an editor's backup is not a phrase file
        if path.stem not in LANGUAGE_FILES:
            known = ", ".join(f"{code}.txt" for code in LANGUAGE_FILES)
            raise ValueError(f"phrase file {path}: not a language file; the names are {known}")
        files[LANGUAGE_FILES[path.stem]] = read_file(path, kinds, override)
    return files


@cache
def _read_shipped(kinds: tuple[tuple[str, Kind], ...]) -> dict[str, dict[str, _Edit]]:
    """The shipped files, read and checked once per process (they do not change while it runs)."""
    return read_folder(SHIPPED, dict(kinds), override=False)


def merged(kinds: dict[str, Kind], overrides: Path | None) -> dict[str, dict[str, list[Line]]]:
    """section -> language -> lines: the shipped files, changed by the override folder if there is one."""
    shipped = _read_shipped(tuple(kinds.items()))
    result = {
        name: {language: list(sections[name].add) for language, sections in shipped.items() if name in sections}
        for name in kinds
    }
    if overrides is None:
        return result
    for language, sections in read_folder(overrides, kinds, override=True).items():
        for name, edit in sections.items():
            lines = [] if edit.replace else result[name].get(language, [])
            for removal in edit.remove:
                kept = [line for line in lines if " ".join(line.text.lower().split()) != removal.text]
                if len(kept) == len(lines):
                    raise ValueError(
                        f"{removal.where}: removes nothing: the {language} [{name}] has no line {removal.text!r}"
                    )
                lines = kept
            result[name][language] = lines + edit.add
    return result
