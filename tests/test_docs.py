"""The documentation site: every public module has a reference page, every example is a gallery page.

The fast tests check what the Sphinx build relies on; the slow one is ``make docs-fast`` (every
page, warnings as errors, every example executed but the long ones), so CI builds the site.
"""

from __future__ import annotations

import ast
import html as html_lib
import importlib.util
import os
import re
import shutil
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


def test_cli_page_documents_every_command():
    from idaes_ml.cli import build_parser

    docs = _docs_ext()
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(docs.CLI_COMMANDS) == set(subparsers.choices)
    for module in docs.CASE_STUDY_COMMANDS:
        assert importlib.util.find_spec(f"{module}.__main__") is not None, module
    page = (ROOT / "docs" / "guide" / "cli.rst").read_text()
    assert ".. include:: cli_help.inc" in page
    for command in (*docs.CLI_COMMANDS, *docs.CASE_STUDY_COMMANDS):
        assert f"``{command}``" in page or f"python -m {command}" in page, command


def _source_copy(dest: Path) -> Path:
    """``docs/`` and ``examples/`` copied under ``dest`` (generated files left out), ``benchmarks`` linked.

    The build then writes nothing into the checkout: its generated pages, gallery and example
    outputs land under ``dest``, so it can run beside ``make docs`` or another test run.
    """
    generated = shutil.ignore_patterns("_build", "auto_examples", "sg_execution_times.rst", "idaes_ml*.rst",
                                       "results_*.rst", "readme_tables.inc", "figures", "cli_help.inc",
                                       "outputs", "__pycache__")
    shutil.copytree(ROOT / "docs", dest / "docs", ignore=generated)
    shutil.copytree(ROOT / "examples", dest / "examples", ignore=generated)
    (dest / "benchmarks").symlink_to(ROOT / "benchmarks", target_is_directory=True)
    return dest / "docs"


@pytest.mark.slow
def test_docs_fast_build(tmp_path):
    """CI's documentation check (``make test``): ``make docs-fast``, i.e. every page built with warnings
    as errors, every example executed but :data:`LONG_EXAMPLES` (shown unexecuted), offline."""
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("furo")
    docs_src = _source_copy(tmp_path / "src")
    env = {**os.environ, "IDAES_ML_DOCS_QUICK": "1", "IDAES_ML_DOCS_OFFLINE": "1", "MPLBACKEND": "Agg",
           "OMP_NUM_THREADS": "1"}
    html = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
           "-d", str(tmp_path / "doctrees"), str(docs_src), str(html)]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp_path / "src")
    # the examples' solver logs share stderr: show Sphinx's own warnings first, then the end
    problems = [line for line in run.stderr.splitlines() if re.match(r"(.*: )?(WARNING|ERROR): ", line)]
    assert run.returncode == 0, "\n".join([*problems[-30:], "...", run.stderr[-2000:]])
    assert (html / "index.html").exists()
    docs = _docs_ext()
    for module in docs.public_modules():
        assert (html / "api" / f"{module}.html").exists(), module
    for path in EXAMPLES:
        page = (html / "auto_examples" / f"{path.stem}.html").read_text()
        executed = "sphx-glr-script-out" in page  # every example prints
        assert executed == (path.stem not in docs.LONG_EXAMPLES), path.name
        assert f"{path.stem}.ipynb" in page and f"{path.stem}.py" in page, path.name
    cli = html_lib.unescape(re.sub(r"<[^>]+>", "", (html / "guide" / "cli.html").read_text()))
    for command, _ in docs.cli_help_sections():
        assert command in cli, command
    assert "usage: idaes-ml invert" in cli and "usage: python -m flowsheets.polymerization" in cli


def test_readme_blocks_become_rest_in_their_order():
    """README blocks are tables, prose or both (``readme_tables``); the benchmark pages keep all of it."""
    to_rst = _docs_ext().markdown_to_rst
    assert to_rst("Mean |2nd difference| is `x`.\n") == "Mean \\|2nd difference\\| is ``x``.\n"
    rst = to_rst("Intro:\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\nAfter.\n* one\n* two\n")
    assert rst.index("Intro:") < rst.index(".. list-table::") < rst.index("After.") < rst.index("\n\n* one\n* two")
