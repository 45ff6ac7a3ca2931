# idaes_ml: two commands do everything on a fresh machine.
#   make demo   -> set up .venv (solvers included) and run the end-to-end demo
#   make test   -> set up .venv and run the whole test suite (slow tests included)
#   make docs   -> set up .venv, install the [docs] extra, build the site (examples executed)
#                  into docs/_build/html; warnings are errors (the [test] extra includes the
#                  docs requirements, so make test builds the docs too, see docs-fast)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.docs-installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export MPLBACKEND := Agg

.PHONY: setup demo test test-fast docs docs-fast bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# CPU build of torch first (a bare requirement would pull a multi-GB CUDA build)
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[test]"
	$(VENV)/bin/idaes-ml solvers --install
	touch $(STAMP)

demo: setup
	$(PY) -m flowsheets.flash_demo

test: setup
	OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile --durations=15

test-fast: setup
	OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile -m "not slow"

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	OMP_NUM_THREADS=1 $(VENV)/bin/sphinx-build -b html -W --keep-going docs docs/_build/html

# every page, executing every example but LONG_EXAMPLES (docs/_ext/idaes_ml_docs.py; shown unexecuted);
# make test runs the same build as tests/test_docs.py::test_docs_fast_build
docs-fast: $(DOCS_STAMP)
	IDAES_ML_DOCS_QUICK=1 OMP_NUM_THREADS=1 $(VENV)/bin/sphinx-build -b html -W --keep-going docs docs/_build/html

bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis docs/_build docs/auto_examples
