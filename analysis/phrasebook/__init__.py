"""Phrase knowledge as data: one editable file per language (`data/`), merged into one matcher per section.
The file format is in `files.py`, the phrase syntax in `syntax.py`, the sections in `book.py`."""

from analysis.phrasebook.book import SECTIONS, Phrasebook, shipped_phrasebook
from analysis.phrasebook.phrase_set import PhraseSet
from analysis.phrasebook.text import Text

__all__ = ["SECTIONS", "PhraseSet", "Phrasebook", "Text", "shipped_phrasebook"]
