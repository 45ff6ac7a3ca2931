"""Sphinx configuration of the idaes_ml documentation (``make docs``)."""

from __future__ import annotations

import os
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import idaes_ml_docs  # noqa: E402

import idaes_ml  # noqa: E402

project = "idaes_ml"
author = "idaes_ml developers"
copyright = "idaes_ml developers"
release = version = idaes_ml.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "idaes_ml_docs",
]

html_theme = "furo"
html_title = f"idaes_ml {release}"
exclude_patterns = ["_build"]
nitpicky = True  # idaes_ml_docs keeps the warnings for our own names only

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"show-inheritance": True}
napoleon_numpy_docstring = False
napoleon_google_docstring = True
napoleon_use_ivar = True


def _quiet_progress_bars() -> None:
    """Examples pass ``disable=not progress`` to tqdm; in the gallery its bars would only
    fill the output with carriage returns, so every bar is disabled here."""
    import tqdm

    init = tqdm.std.tqdm.__init__

    def quiet(self, *args, **kwargs):
        kwargs["disable"] = True
        init(self, *args, **kwargs)

    tqdm.std.tqdm.__init__ = quiet


_quiet_progress_bars()

# idaes_ml_docs generates the reference pages, the benchmark pages and the CLI help at builder-inited.

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # every example is executed; IDAES_ML_DOCS_QUICK=1 (make docs-fast) skips the long ones
    "filename_pattern": idaes_ml_docs.executed_examples_pattern(os.environ.get("IDAES_ML_DOCS_QUICK") == "1"),
    "run_stale_examples": True,  # outputs always come from the library as it is now
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib", "idaes_ml_docs.png_scraper"),
    "reset_modules": ("matplotlib", "idaes_ml_docs.mark_start"),
    "reset_argv": "idaes_ml_docs.reset_argv",
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
}

# Intersphinx only for the inventories reachable now, fetched once into _build: the
# build never needs the network (IDAES_ML_DOCS_OFFLINE=1 skips even the attempt).
INVENTORIES = {
    "python": "https://docs.python.org/3/",
    "numpy": "https://numpy.org/doc/stable/",
    "pandas": "https://pandas.pydata.org/docs/",
    "torch": "https://pytorch.org/docs/stable/",
    "pyomo": "https://pyomo.readthedocs.io/en/stable/",
    "idaes": "https://idaes-pse.readthedocs.io/en/stable/",
    "omlt": "https://omlt.readthedocs.io/en/latest/",
}


def _fetch_inventory(item: tuple[str, str]) -> tuple[str, tuple[str, str]] | None:
    name, url = item
    local = DOCS / "_build" / "inventories" / f"{name}.inv"
    try:
        with urllib.request.urlopen(url + "objects.inv", timeout=5) as resp:
            data = resp.read()
    except OSError:
        return None
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(data)
    return name, (url, str(local))


intersphinx_mapping = {}
if os.environ.get("IDAES_ML_DOCS_OFFLINE") != "1":
    with ThreadPoolExecutor(len(INVENTORIES)) as pool:
        intersphinx_mapping = dict(r for r in pool.map(_fetch_inventory, INVENTORIES.items()) if r)
