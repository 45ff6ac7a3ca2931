"""Solver bridge: Ipopt, CBC and HiGHS from PyPI wheels for Pyomo and IDAES.

``install_solvers()`` writes an ``ipopt`` command (our AMPL driver around the Ipopt
bundled in casadi, :mod:`idaes_ml.solvers.ipopt_ampl`) and launchers for casadi's
``cbc``/``clp``/``highs`` into this environment's scripts directory (``.venv/bin``), and
environment-independent dispatchers to them into IDAES's bin directory
(:mod:`idaes_ml.solvers.install`), so that ``SolverFactory('ipopt')``, ``'ipopt_v2'``,
``'cbc'`` and ``idaes.core.solvers.get_solver()`` work unchanged. ``find_solvers()``/``report_text()`` report what is usable;
``require_solver(name)`` returns a ready solver or raises SolverNotFoundError.
``PersistentIpopt`` (:mod:`idaes_ml.solvers.persistent`, registered with ``SolverFactory``
as ``ipopt_persistent_ml`` once imported) compiles a model once and re-solves it in-process.

Environment: ``IDAES_ML_IPOPT_SERVER=0`` makes every ``ipopt`` call solve in its own
process instead of the warm helper (:mod:`idaes_ml.solvers.server`);
``IDAES_ML_IPOPT_TIMING=1`` prints the driver's phase times to stderr.
"""

from __future__ import annotations

from idaes_ml.solvers.discovery import (
    SolverInfo,
    cli_solvers,
    find_solvers,
    install_solvers,
    report_text,
    require_solver,
)

__all__ = [
    "PersistentIpopt",
    "SolverInfo",
    "cli_solvers",
    "find_solvers",
    "install_solvers",
    "report_text",
    "require_solver",
]


def __getattr__(name: str) -> type:
    """``PersistentIpopt`` loads on first use: it imports Pyomo, which the ``ipopt`` driver must not."""
    if name == "PersistentIpopt":
        from idaes_ml.solvers.persistent import PersistentIpopt

        return PersistentIpopt
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
