"""Session-wide test setup: headless plotting, solvers on PATH, quiet threads."""

from __future__ import annotations

import logging
import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_sessionstart(session) -> None:  # noqa: ARG001 - pytest hook signature
    """Make ipopt/cbc reachable the way IDAES users get them (idaes bin dir)."""
    try:
        from idaes_ml.solvers import install_solvers
    except ImportError:  # solver bridge not importable: solver tests will say so
        return
    install_solvers()


@pytest.fixture
def quiet_pyomo():
    """Pyomo's logger at ERROR for one test (W1002 notes in flowsheet solves are noise), restored after."""
    logger = logging.getLogger("pyomo")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)
