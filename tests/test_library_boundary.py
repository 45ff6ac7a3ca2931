"""The library never imports a case study: nothing under ``idaes_ml/`` imports ``flowsheets``.

A static scan of every module (imports at the top and inside functions, ``importlib.import_module``
and ``__import__`` calls with a literal name), so a lazy import that a test run never reaches
is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = sorted((ROOT / "idaes_ml").rglob("*.py"))
CASE_STUDIES = "flowsheets"


def imported_names(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import statement and literal-named dynamic import in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def test_the_scan_sees_every_kind_of_import():
    source = ("import flowsheets\nfrom flowsheets.a import b\ndef f():\n    from flowsheets import c\n"
              "    importlib.import_module('flowsheets.d')\n    __import__('flowsheets')\n")
    assert [m.split(".")[0] for _, m in imported_names(source)] == [CASE_STUDIES] * 5


def test_no_library_module_imports_case_studies():
    assert len(LIBRARY) > 20
    bad = [f"{path.relative_to(ROOT)}:{line} imports {module}" for path in LIBRARY
           for line, module in imported_names(path.read_text()) if module.split(".")[0] == CASE_STUDIES]
    assert not bad, "the library imports a case study: " + "; ".join(bad)
