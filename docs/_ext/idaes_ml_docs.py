"""Sphinx helpers of the idaes_ml documentation.

* :func:`write_api_pages`: one reference page per public module of ``idaes_ml``;
* :func:`write_benchmark_pages`: the benchmark pages, from ``benchmarks/results/*.json`` and PNGs;
* :func:`write_cli_help`: the ``--help`` text of every ``idaes-ml`` subcommand and case-study command;
* :func:`png_scraper`, :func:`reset_argv`, :func:`mark_start`: sphinx-gallery hooks that
  embed the PNG files an example writes and send its output folder under ``docs/_build``;
* :func:`setup`: writes those pages when the build starts, resolves our unqualified names in
  cross-references (``ScaledNetwork`` -> ``idaes_ml.nn.ScaledNetwork``), keeps nitpicky warnings
  for our own names only and applies the docstring conventions (:func:`literal_examples`).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
RESULTS = ROOT / "benchmarks" / "results"
#: Where gallery examples write their files (outside the source trees).
GALLERY_OUT = DOCS / "_build" / "gallery_outputs"

# ---------------------------------------------------------------- API reference


def public_modules(package: str = "idaes_ml") -> list[str]:
    """Every importable module of ``package`` whose dotted name has no part starting with ``_``."""
    pkg = importlib.import_module(package)
    names = [package] + [m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".")]
    return sorted(n for n in names if not any(part.startswith("_") for part in n.split(".")))


def _is_package(name: str) -> bool:
    return hasattr(importlib.import_module(name), "__path__")


def _directive(package: str, name: str) -> list[str]:
    obj = getattr(importlib.import_module(package), name)
    if inspect.isclass(obj):
        return [f".. autoclass:: {package}.{name}", "   :members:", "   :undoc-members:", ""]
    if callable(obj):
        return [f".. autofunction:: {package}.{name}", ""]
    long_value = len(repr(obj)) > 100
    return [f".. autodata:: {package}.{name}"] + (["   :no-value:"] if long_value else []) + [""]


def module_page(name: str, modules: list[str]) -> str:
    """The reST of one module's reference page.

    A package documents the names of its ``__all__`` (where users import them from) and
    lists its submodules; a submodule documents the rest of its public names.
    """
    lines = [name, "=" * len(name), "", f".. automodule:: {name}"]
    parent = name.rpartition(".")[0]
    if name.rpartition(".")[2] in documented_exports(parent):
        # the package exports a function of the module's name (idaes_ml.cycles.finetune): that one is the target
        lines.append("   :no-index:")
    exports = documented_exports(name) if _is_package(name) else []
    if exports:
        lines.append("")
        for export in exports:
            lines += _directive(name, export)
    else:
        lines += ["   :members:", "   :undoc-members:"]
    names = vars(importlib.import_module(name))
    exported = sorted(set(documented_exports(parent)) & set(names)) if parent else []
    own = [n for n in exported if getattr(names[n], "__module__", name) == name]
    if exported:
        lines.append("   :exclude-members: " + ", ".join(exported))
    if own:
        lines += ["", f"Documented with :mod:`{parent}`: " + ", ".join(f":obj:`~{parent}.{n}`" for n in own) + "."]
    children = [m for m in modules if m.rpartition(".")[0] == name]
    if children:
        lines += ["", ".. toctree::", "   :maxdepth: 1", "   :caption: Submodules", ""]
        lines += [f"   {c}" for c in children]
    return "\n".join(lines) + "\n"


def documented_exports(package: str) -> list[str]:
    """Names of ``package.__all__`` that its page documents (lazy ``__getattr__`` names are left to their module)."""
    mod = sys.modules.get(package) if package else None
    return [n for n in getattr(mod, "__all__", ()) if n in vars(mod)]


def write_api_pages(outdir: Path = DOCS / "api") -> None:
    """Write ``<outdir>/<module>.rst`` for every public module (unchanged files are not touched)."""
    modules = public_modules()
    for name in modules:
        _write_if_changed(outdir / f"{name}.rst", module_page(name, modules))
    for stale in outdir.glob("idaes_ml*.rst"):
        if stale.stem not in modules:
            stale.unlink()


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# ---------------------------------------------------------------- benchmark pages


def _fmt(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace(str(ROOT) + "/", "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "–"


def list_table(header: list[str], rows: list[list[str]]) -> str:
    """A reST ``list-table`` (a note when there are no rows: docutils refuses a header alone)."""
    if not rows:
        return "*No rows in the record.*\n"
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        out.append("   * - " + _cell(str(row[0])))
        out += [f"     - {_cell(str(c))}" for c in row[1:]]
    return "\n".join(out) + "\n"


def markdown_to_rst(md: str) -> str:
    """``benchmarks/readme_tables.py`` markdown (tables, paragraphs, bullet lists, in their order) as reST."""
    out: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            out.extend(["", list_table(rows[0], rows[1:]), ""])
            rows.clear()

    for line in md.strip().splitlines():
        if line.startswith("|"):
            cells = [c.strip().replace("`", "``") for c in line.strip("|").split("|")]
            if not set("".join(cells)) <= set("-: "):
                rows.append(cells)
            continue
        flush()
        text = line.replace("`", "``").replace("|", "\\|")  # a bare |x| would be a reST substitution
        if text.startswith("* ") and out and out[-1].strip() and not out[-1].startswith("* "):
            out.append("")  # reST needs a blank line before a list
        out.append(text)
    flush()
    return "\n".join(out).strip("\n") + "\n"


def _flatten(record: dict, prefix: str = "", depth: int = 2) -> list[tuple[str, str]]:
    items = []
    for key, value in record.items():
        if key in ("benchmark", "when", "command", "commands", "machine"):
            continue
        label = f"{prefix}{key}"
        if isinstance(value, dict) and depth > 1:
            items += _flatten(value, label + ".", depth - 1)
        elif isinstance(value, (int, float, str, bool)) or value is None:
            items.append((label, _fmt(value)))
        elif isinstance(value, list) and len(value) <= 8 and all(
                isinstance(v, (int, float, str, bool)) for v in value):
            items.append((label, ", ".join(_fmt(v) for v in value)))
    return items


def _record_tables(record: dict) -> list[str]:
    """Lists of flat records (one row per entry) anywhere in the top two levels."""
    tables = []
    candidates = list(record.items())
    candidates += [(f"{k}.{k2}", v2) for k, v in record.items() if isinstance(v, dict) for k2, v2 in v.items()]
    for key, value in candidates:
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = [c for c in value[0] if all(
                isinstance(v.get(c), (int, float, str, bool)) or v.get(c) is None for v in value)]
            if columns:
                rows = [[_fmt(v.get(c)) for c in columns] for v in value]
                tables.append(f"``{key}`` ({len(rows)} rows)\n\n" + list_table(columns, rows))
    return tables


def benchmark_section(path: Path, figures: list[Path]) -> str:
    """One benchmark's section: command, machine, figures, then the measured values."""
    record = json.loads(path.read_text())
    title = f"``{path.stem}``"
    out = [title, "-" * len(title), ""]
    if "command" in record:
        out += [f"Command: ``{_fmt(record['command'])}`` (in ``benchmarks/``), run {record.get('when', '?')}.", ""]
    machine = record.get("machine", {})
    if machine:
        out += ["Machine: " + ", ".join(f"{k} {_fmt(v)}" for k, v in machine.items()) + ".", ""]
    for fig in figures:
        out += [f".. figure:: figures/{fig.name}", "   :width: 90%", "",
                f"   ``benchmarks/results/{fig.name}``", ""]
    items = _flatten(record)
    if items:
        out += [list_table(["value", "measured"], items), ""]
    for table in _record_tables(record):
        out += [table, ""]
    out += [f"Raw record: ``benchmarks/results/{path.name}``.", ""]
    return "\n".join(out)


#: Titles of the benchmark pages, by the first word of the record names.
FAMILIES = {"cstr": "Reactor network (CSTRs)", "cumene": "Cumene plant", "nn": "Network embedding",
            "operability": "Operability", "polymerization": "Polymerization inversion",
            "pyrolysis": "Pyrolysis closure", "solver": "Solver bridge"}


def write_benchmark_pages(outdir: Path = DOCS / "benchmarks") -> None:
    """Write the README tables (``readme_tables.inc``), one page per family of records
    (``results_<family>.rst``) and copy the committed PNGs beside them."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import readme_tables
    finally:
        sys.path.pop(0)
    records = sorted(RESULTS.glob("*.json"))
    pngs = sorted(RESULTS.glob("*.png"))
    (outdir / "figures").mkdir(parents=True, exist_ok=True)
    for png in pngs:
        shutil.copy2(png, outdir / "figures" / png.name)

    def owner(png: Path) -> Path:
        # the record whose name shares the longest prefix with the figure's
        return max(records, key=lambda r: (len(os.path.commonprefix([r.stem, png.stem])), -len(r.stem)))

    tables = []
    for name, fn in readme_tables.TABLES.items():
        try:
            body = markdown_to_rst(fn(RESULTS))
        except (OSError, LookupError, ValueError) as exc:
            from sphinx.util import logging

            logging.getLogger(__name__).warning(
                f"README table {name!r} cannot be generated from {RESULTS}: {type(exc).__name__}: {exc}")
            body = f"*Not generated: {type(exc).__name__}.*\n"
        tables += [f"``{name}``: {fn.__doc__}", "", body, ""]
    _write_if_changed(outdir / "readme_tables.inc", "\n".join(tables))
    families: dict[str, list[Path]] = {}
    for record in records:
        families.setdefault(record.stem.split("_")[0], []).append(record)
    for family, members in families.items():
        title = FAMILIES.get(family, family.capitalize())
        sections = [benchmark_section(r, [p for p in pngs if owner(p) == r]) for r in members]
        _write_if_changed(outdir / f"results_{family}.rst", "\n".join([title, "=" * len(title), "", *sections]))
    for stale in outdir.glob("results_*.rst"):
        if stale.stem.removeprefix("results_") not in families:
            stale.unlink()


# ---------------------------------------------------------------- command line

#: The ``idaes-ml`` subcommands (a test checks this against the parser).
CLI_COMMANDS = ("train", "export", "solvers", "invert")
#: The case studies' own commands (``python -m <module>``): the library does not import them.
CASE_STUDY_COMMANDS = ("flowsheets.flash_demo", "flowsheets.polymerization")


def cli_help_sections() -> list[tuple[str, list[str]]]:
    """(command as typed, the ``python`` argv printing its help) for every documented command."""
    sections = [(" ".join(("idaes-ml", *args, "--help")), ["-m", "idaes_ml.cli", *args, "--help"])
                for args in [(), *((c,) for c in CLI_COMMANDS)]]
    return sections + [(f"python -m {m} --help", ["-m", m, "--help"]) for m in CASE_STUDY_COMMANDS]


def write_cli_help(out: Path = DOCS / "guide" / "cli_help.inc") -> None:
    """The ``--help`` text of ``idaes-ml``, each subcommand and the case-study commands, as printed now."""
    env = {**os.environ, "COLUMNS": "100"}
    parts = []
    for cmd, argv in cli_help_sections():
        text = subprocess.run([sys.executable, *argv], env=env, check=True, cwd=ROOT,
                              capture_output=True, text=True).stdout
        title = f"``{cmd}``"
        parts += [title, "~" * len(title), "", ".. code-block:: text", ""]
        parts += [f"   {line}".rstrip() for line in text.splitlines()] + [""]
    _write_if_changed(out, "\n".join(parts))


# ---------------------------------------------------------------- sphinx-gallery hooks

_started: dict[str, float] = {}
#: Command-line arguments of the examples that take an output folder (put under docs/_build).
EXAMPLE_ARGV = {
    "cstr_network_demo.py": lambda out: [str(out)],
    "pyrolysis_closure.py": lambda out: [str(out)],
    "polymerization_inversion.py": lambda out: ["--out", str(out)],
}


#: Examples that take more than about a minute on the project's 2-core machine; ``make docs-fast``
#: (and the documentation test of ``make test``) shows them without running them. Measured alone
#: with ``time``, 2026-12, machine shared with other jobs (real / CPU): cumene 113 s / 77 s; the
#: others are shorter: pyrolysis 48 / 47 s, surrogate unit 68 / 41 s, DMA-MR 23 / 23 s,
#: polymerization 17 / 12 s (it inverts with the committed forward network).
LONG_EXAMPLES = ("cumene_quickstart",)


def executed_examples_pattern(quick: bool) -> str:
    """sphinx-gallery's ``filename_pattern``: every example, or (``quick``) all but :data:`LONG_EXAMPLES`."""
    return rf"/(?!({'|'.join(LONG_EXAMPLES)})\.py$)[^/]+\.py$" if quick else r"\.py$"


def reset_argv(gallery_conf: dict, script_vars: dict) -> list[str]:
    """``sys.argv[1:]`` for an example: its entry in :data:`EXAMPLE_ARGV`, else none."""
    name = Path(script_vars["src_file"]).name
    out = GALLERY_OUT / Path(name).stem
    return EXAMPLE_ARGV[name](out) if name in EXAMPLE_ARGV else []


def mark_start(gallery_conf: dict, fname: str) -> None:
    """A ``reset_modules`` hook: remember when the example started (PNGs after that are its own)."""
    _started[Path(fname).name] = time.time()


def png_scraper(block, block_vars: dict, gallery_conf: dict, **kwargs) -> str:
    """Embed the PNG files the example wrote since the last block (its plots are saved and closed)."""
    from sphinx_gallery.scrapers import figure_rst

    src = Path(block_vars["src_file"])
    since = _started.get(src.name, 0.0)
    roots = [src.parent, GALLERY_OUT / src.stem]
    new = sorted({p for root in roots if root.exists() for p in root.rglob("*.png")
                  if p.stat().st_mtime >= since}, key=lambda p: p.stat().st_mtime)
    _started[src.name] = time.time()
    paths = []
    for png, target in zip(new, block_vars["image_path_iterator"]):
        shutil.copy2(png, target)
        paths.append(target)
    return figure_rst(paths, gallery_conf["src_dir"])


# ---------------------------------------------------------------- cross-references


def _our_objects(env) -> dict[str, object]:
    """Our documented objects under their documented names (not the ``:canonical:`` aliases)."""
    return {k: v for k, v in env.get_domain("py").objects.items() if k.startswith("idaes_ml") and not v.aliased}


def _candidates(target: str, names: list[str]) -> list[str]:
    """Objects ``target`` may name: itself, a qualified name ending with it, or the same name
    re-exported by a package above its module (``idaes_ml.nn.network.ScaledNetwork`` ->
    ``idaes_ml.nn.ScaledNetwork``)."""
    if target in names:
        return [target]
    suffix = [k for k in names if k.endswith("." + target)]
    if suffix or not target.startswith("idaes_ml."):
        return suffix
    parts = target.split(".")
    shorter = {".".join(parts[:i] + parts[j:]) for i in range(1, len(parts)) for j in range(i + 1, len(parts))}
    return sorted(shorter & set(names))


def resolve_short_names(app, env, node, contnode):
    """Resolve a short or module-qualified name to the idaes_ml object it names (first in order if several)."""
    if node.get("refdomain") != "py":
        return None
    objects = _our_objects(env)
    matches = sorted(_candidates(node["reftarget"].lstrip(".~"), list(objects)))
    if not matches:
        return None
    from sphinx.util.nodes import make_refnode

    entry = objects[matches[0]]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, matches[0])


def only_our_names(app, domain, node) -> bool | None:
    """Silence nitpicky warnings for names that are not ours (pandas, torch, Pyomo types in signatures)."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    if any(part.startswith("_") for part in target.split(".")):
        return True  # private helpers (in signatures) have no page by design
    ours = target.startswith("idaes_ml") or any(
        k.rpartition(".")[2] == target.rpartition(".")[2] for k in _our_objects(app.env))
    return None if ours else True


def skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out class members defined by other libraries (scikit-learn's ``set_*_request``)."""
    module = getattr(obj, "__module__", None) or ""
    return True if what == "class" and module and not module.startswith("idaes_ml") else None


# ---------------------------------------------------------------- docstring conventions

_BACKTICKS = re.compile(r"(``.*?``|`[^`]*`)")
_NOT_PROSE = re.compile(r"^\s*([*+-]\s|\d+[.)]\s|:|\.\.\s|>>>|\S.*::$)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def literal_examples(app, what, name, obj, options, lines: list[str]) -> None:
    """Apply the project's docstring conventions for reST.

    An indented block after a blank line that follows a prose line is a code example
    (``    from idaes_ml.nn import MLPRegressor``): it becomes a literal block. Outside
    code, ``|x|`` is an absolute value, not a substitution: the bars are escaped.
    """
    if what == "data" and lines and lines[0].strip() == (type(obj).__doc__ or "").strip().split("\n")[0].strip():
        lines[:] = []  # a constant without a doc comment: not the docstring of its type (dict, tuple)
    if what == "class" and hasattr(obj, "CONFIG") and len(lines) > 1 and lines[1].strip():
        lines.insert(1, "")  # IDAES appends its CONFIG options to the summary line without a blank line
    out: list[str] = []
    prev, blank, block_indent, doctest = None, False, None, False
    for line in lines:
        stripped = line.strip()
        if block_indent is not None and (not stripped or _indent(line) > block_indent):
            out.append(line)
            continue
        block_indent = None
        if not stripped:
            doctest = False
        elif stripped.startswith(">>>"):
            doctest = True
        elif prev is not None and blank and not doctest and _indent(line) > _indent(prev):
            block_indent = _indent(prev)
            if not prev.rstrip().endswith("::"):
                out += [" " * block_indent + "::", ""]
            out.append(line)
            continue
        if stripped and not doctest:
            line = "".join(part if part.startswith("`") else part.replace("|", "\\|")
                           for part in _BACKTICKS.split(line))
        out.append(line)
        blank = not stripped
        if stripped:
            prev = line if not _NOT_PROSE.match(line) or line.rstrip().endswith("::") else None
    lines[:] = out


def generate_pages(app) -> None:
    """Write the generated sources (reference pages, benchmark pages, CLI help) before Sphinx reads them."""
    write_api_pages()
    write_benchmark_pages()
    write_cli_help()


def setup(app):
    app.connect("builder-inited", generate_pages, priority=400)  # before sphinx-gallery runs the examples
    app.connect("missing-reference", resolve_short_names)
    app.connect("warn-missing-reference", only_our_names)
    app.connect("autodoc-skip-member", skip_foreign_members)
    app.connect("autodoc-process-docstring", literal_examples, priority=600)  # after napoleon
    return {"parallel_read_safe": True, "parallel_write_safe": True}
