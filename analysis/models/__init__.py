"""Car models: the catalog file (`catalog.py`), how words are read (`reading.py`), misspellings
(`speller.py`) and the matcher (`matcher.py`)."""

from __future__ import annotations

from functools import cache

from analysis.language import common_words
from analysis.models.catalog import DEFAULT_CATALOG
from analysis.models.matcher import ModelCatalog, ModelMention
from analysis.phrasebook import shipped_phrasebook

__all__ = ["DEFAULT_CATALOG", "ModelCatalog", "ModelMention", "default_catalog"]


@cache
def default_catalog() -> ModelCatalog:
    """The shipped catalog, loaded once, with the shipped language word lists as everyday words."""
    return ModelCatalog.load(None, common_words(shipped_phrasebook()))
