"""Session-wide test setup: headless plotting, solvers on PATH, quiet threads."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_sessionstart(session) -> None:  # noqa: ARG001 - pytest hook signature
    """Make ipopt/cbc reachable the way IDAES users get them (idaes bin dir)."""
    try:
        from idaes_ml.solvers import install_solvers
    except ImportError:  # solver bridge not importable: solver tests will say so
        return
    install_solvers()
