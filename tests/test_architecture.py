"""The house's rules, checked on the code itself (with `ast`, not by convention).

- The runtime (daemon/) never imports the application, not even inside a function; the one
  exception is daemon/__main__.py, the composition root that hands the CLI its stage table.
- Only the file backend knows the folders: no other code spells a queue folder as a path or
  parses a claim's "@owner" suffix.
- No module is over 400 lines, unless it says in its docstring that it is a data table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

RUNTIME = "daemon"
APPLICATION = ("stages", "integrations", "calls", "cli", "devtools", "analysis")
COMPOSITION_ROOT = ROOT / "daemon" / "__main__.py"
FILE_BACKEND = ROOT / "daemon" / "brokers" / "file"
PACKAGES = (RUNTIME, *APPLICATION)
MAX_LINES = 400
DATA_TABLE = "data table"

# A queue folder spelled as a path ("results/", "done/transcripts"), or an active folder's name.
FOLDER_PATH = re.compile(r"(^|/)(transcripts|results|dead|done|deferred)/|/(transcripts|results)\b")
ACTIVE_FOLDERS = {"processing", "delivering"}


def sources(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an import statement names, wherever it stands (functions included)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((node.lineno, arg.value))
    return found


def docstring_nodes(tree: ast.AST) -> set[int]:
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                nodes.add(id(first.value))
    return nodes


def test_the_runtime_never_imports_the_application() -> None:
    offences = []
    for path in sources(RUNTIME):
        if path == COMPOSITION_ROOT:
            continue
        for line, module in imported_modules(ast.parse(path.read_text())):
            if module.split(".")[0] in APPLICATION:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offences == []


def test_the_composition_root_is_where_the_stage_table_comes_in() -> None:
    modules = {m for _, m in imported_modules(ast.parse(COMPOSITION_ROOT.read_text()))}
    assert {"stages", "cli.main"} <= modules


def test_only_the_file_backend_knows_the_folders() -> None:
    offences = []
    for path in sources(*PACKAGES):
        if FILE_BACKEND in path.parents:
            continue
        tree = ast.parse(path.read_text())
        docs = docstring_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                text = node.value
                if FOLDER_PATH.search(text) or text in ACTIVE_FOLDERS:
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno} spells a folder: {text[:60]!r}")
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") in ("partition", "rpartition", "split", "rsplit")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == "@"
                and not _is_email(path, node)
            ):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno} parses an @owner suffix")
    assert offences == []


def _is_email(path: Path, call: ast.Call) -> bool:
    """Splitting an email address at its @ is not owner parsing (the analysis reads emails)."""
    receiver = ast.unparse(call.func.value) if isinstance(call.func, ast.Attribute) else ""
    return "email" in receiver or path.parts[len(ROOT.parts)] == "analysis"


@pytest.mark.parametrize("path", sources(*PACKAGES), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_400_lines_unless_it_is_a_data_table(path: Path) -> None:
    text = path.read_text()
    lines = text.count("\n")
    if lines <= MAX_LINES:
        return
    doc = ast.get_docstring(ast.parse(text)) or ""
    assert DATA_TABLE in doc.lower(), f"{lines} lines: split it by concern, or say it is a data table"
