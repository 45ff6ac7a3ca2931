"""The documentation site: every public module has a reference page, every example is a gallery page.

The fast tests check what the Sphinx build relies on; the slow one builds every page with
warnings as errors (examples not executed) where the ``[docs]`` extra is installed.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def _docs_ext():
    spec = importlib.util.spec_from_file_location("idaes_ml_docs", ROOT / "docs" / "_ext" / "idaes_ml_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_module_has_a_reference_page():
    docs = _docs_ext()
    on_disk = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
               for p in (ROOT / "idaes_ml").rglob("*.py")}
    public = {m for m in on_disk if not any(part.startswith("_") for part in m.split("."))}
    modules = docs.public_modules()
    assert set(modules) == public
    for name in modules:
        assert f".. automodule:: {name}\n" in docs.module_page(name, modules)


def test_package_pages_document_every_exported_name():
    docs = _docs_ext()
    modules = docs.public_modules()
    for name in (m for m in modules if hasattr(sys.modules[m], "__path__")):
        page = docs.module_page(name, modules)
        for export in docs.documented_exports(name):
            assert f"{name}.{export}\n" in page, (name, export)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_docstring_is_a_gallery_header(path):
    doc = ast.get_docstring(ast.parse(path.read_text()), clean=False)
    assert doc, f"{path.name} has no module docstring"
    title, underline, blank = doc.splitlines()[:3]
    assert underline == "=" * len(title) and not blank.strip(), f"{path.name}: docstring must open with a reST title"


def test_example_settings_name_existing_examples():
    docs = _docs_ext()
    names = {p.name for p in EXAMPLES}
    assert set(docs.EXAMPLE_ARGV) <= names
    assert {f"{n}.py" for n in docs.LONG_EXAMPLES} <= names


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("furo")
    env = {**os.environ, "IDAES_ML_DOCS_OFFLINE": "1", "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", "-D", "plot_gallery=0",
           "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"), str(tmp_path / "html")]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-4000:]
    assert (tmp_path / "html" / "index.html").exists()
