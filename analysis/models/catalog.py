"""The catalog file: cars on sale in India as makes -> models, each with aliases. Checked whole at load,
so a deployment's replacement catalog fails at start-up with the first problem and where it is."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.models.reading import alias_key

DEFAULT_CATALOG = Path(__file__).resolve().parents[1] / "catalog.json"
MAKE, MODEL = 0, 1


@dataclass(frozen=True)
class Alias:
    """One name of a make or model, as the catalog gives it."""

    text: str
    kind: int  # MAKE or MODEL
    index: int  # into the make names or the canonical models
    ordinary: bool  # an everyday word: needs the make or a short answer
    owner: str  # canonical make or "Make Model", for messages and the speller
    where: str  # where the catalog lists it, for messages


@dataclass(frozen=True)
class CatalogDocument:
    makes: list[str]  # canonical make names
    models: list[str]  # canonical "Make Model"
    model_makes: list[int]  # each model's make, as an index into makes
    aliases: list[Alias]
    entries: dict[str, Alias]  # alias key -> alias


def read_catalog(path: str | os.PathLike[str] | None) -> tuple[Any, str]:
    """The parsed JSON of the catalog file (default: the shipped analysis/catalog.json) and its name for
    messages. Reading it is the one allowed I/O, done once at start-up; ValueError says what is wrong."""
    source = Path(path) if path is not None else DEFAULT_CATALOG
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"model catalog {source}: cannot read it: {exc}") from exc
    try:
        document = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ValueError(f"model catalog {source}: not valid JSON: {exc}") from exc
    except _DuplicateKeyError as exc:
        raise ValueError(f"model catalog {source}: {exc}") from exc
    return document, f"model catalog {source}"


def parse_catalog(catalog: Any, source: str) -> CatalogDocument:
    """Check a parsed catalog's shape and index its aliases; ValueError names the first problem."""
    makes, models, model_makes, aliases = _parse(catalog, source)
    return CatalogDocument(makes, models, model_makes, aliases, _index(aliases, source))


class _DuplicateKeyError(Exception):
    pass


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"the name {key!r} appears twice in one object")
        result[key] = value
    return result


def _parse(catalog: Any, source: str) -> tuple[list[str], list[str], list[int], list[Alias]]:
    """Check the document's shape; ValueError names the first problem and where it is."""
    if not isinstance(catalog, dict) or not isinstance(catalog.get("makes"), dict) or not catalog["makes"]:
        raise ValueError(f'{source}: top level: must be an object with a non-empty "makes" object')
    _check_keys(catalog, {"makes"}, f"{source}: top level")
    make_names: list[str] = []
    models: list[str] = []
    model_makes: list[int] = []
    aliases: list[Alias] = []
    for make_name, make in catalog["makes"].items():
        where = f"{source}: make {make_name!r}"
        _check_node(make_name, make, {"aliases", "models"}, where)
        if not isinstance(make.get("models"), dict) or not make["models"]:
            raise ValueError(f'{where}: needs a non-empty "models" object')
        make_index = len(make_names)
        make_names.append(make_name)
        for text in (make_name, *_strings(make, "aliases", where)):
            aliases.append(Alias(text, MAKE, make_index, False, make_name, where))
        for model_name, model in make["models"].items():
            model_where = f"{where} model {model_name!r}"
            _check_node(model_name, model, {"aliases", "ordinary_words"}, model_where)
            canonical = f"{make_name} {model_name}"
            index = len(models)
            models.append(canonical)
            model_makes.append(make_index)
            for text in (model_name, *_strings(model, "aliases", model_where)):
                aliases.append(Alias(text, MODEL, index, False, canonical, model_where))
            for text in _strings(model, "ordinary_words", model_where):
                aliases.append(Alias(text, MODEL, index, True, canonical, model_where))
    return make_names, models, model_makes, aliases


def _index(aliases: list[Alias], source: str) -> dict[str, Alias]:
    """key -> alias. One key names one make or model; listed both ways, the everyday-word reading wins."""
    entries: dict[str, Alias] = {}
    for alias in aliases:
        key = alias_key(alias.text)[1]
        if not key:
            raise ValueError(f"{alias.where}: alias {alias.text!r} has no letters or digits")
        existing = entries.get(key)
        if existing is not None and (existing.kind, existing.index) != (alias.kind, alias.index):
            raise ValueError(f"{alias.where}: alias {alias.text!r} (read as {key!r}) also names {existing.owner!r}")
        if existing is None or alias.ordinary:
            entries[key] = alias
    return entries


def _check_node(name: str, node: Any, allowed: set[str], where: str) -> None:
    if not name.strip() or not isinstance(node, dict):
        raise ValueError(f"{where}: must be a non-empty name with an object value")
    _check_keys(node, allowed, where)


def _check_keys(node: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in node:
        if key not in allowed and not key.startswith("_"):
            raise ValueError(f"{where}: unknown key {key!r} (expected {', '.join(sorted(allowed))}, or '_' comments)")


def _strings(node: dict[str, Any], key: str, where: str) -> list[str]:
    value = node.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValueError(f'{where}: "{key}" must be a list of non-empty strings')
    return value
