"""The analysis package's shape: a pure library that imports nothing from the runtime or the stages, in
modules small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "analysis"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 400


def imported(path: Path) -> set[str]:
    """Every module name an import statement in the file names, at any depth (function bodies included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_analysis_imports_nothing_from_the_runtime_or_the_stages(path: Path) -> None:
    assert {name for name in imported(path) if name.split(".")[0] in {"daemon", "stages"}} == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_400_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES
