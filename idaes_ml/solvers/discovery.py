"""Find, report and require the solvers Pyomo/IDAES will use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idaes_ml.errors import SolverNotFoundError
from idaes_ml.solvers import install as _install

if TYPE_CHECKING:
    from pyomo.contrib.appsi.base import LegacySolverInterface
    from pyomo.contrib.solver.common.base import LegacySolverWrapper
    from pyomo.opt.base.solvers import OptSolver

    #: What ``SolverFactory`` returns for the solvers used here (all with the legacy ``solve`` API):
    #: shell solvers (ipopt, cbc), ``ipopt_v2`` and ``appsi_highs``.
    PyomoSolver = OptSolver | LegacySolverWrapper | LegacySolverInterface

#: Pyomo solver name -> executable our installer provides (None: Python package).
SOLVERS = {"ipopt": "ipopt", "ipopt_v2": "ipopt", "cbc": "cbc", "appsi_highs": None}
HOW_TO_INSTALL = {
    "ipopt": "pip install casadi, then run `idaes-ml solvers` "
    "(or idaes_ml.solvers.install_solvers())",
    "cbc": "pip install casadi, then run `idaes-ml solvers` "
    "(or idaes_ml.solvers.install_solvers())",
    "appsi_highs": "pip install highspy",
}
HOW_TO_INSTALL["ipopt_v2"] = HOW_TO_INSTALL["ipopt"]


@dataclass
class SolverInfo:
    """One solver as Pyomo sees it."""

    name: str
    version: str | None
    path: str | None
    available: bool
    note: str = ""


def _factory(name: str):
    import idaes  # noqa: F401  (puts idaes.bin_directory on PATH)
    import pyomo.environ as pyo

    return pyo.SolverFactory(name)


def _describe(name: str) -> SolverInfo:
    opt = _factory(name)
    try:
        available = bool(opt.available(exception_flag=False))
    except Exception as err:  # noqa: BLE001 - any failure means "not usable"
        return SolverInfo(name, None, None, False, f"unavailable: {err}")
    version = opt.version() if available else None
    version = ".".join(str(v) for v in version) if version else None
    if SOLVERS.get(name) is None:
        import importlib.util

        spec = importlib.util.find_spec("highspy")
        path = spec.origin if spec else None
        note = "Python package highspy" if available else HOW_TO_INSTALL[name]
    else:
        exe = opt.config.executable.path() if name == "ipopt_v2" else opt.executable()
        path = str(exe) if exe else None
        if not available:
            note = HOW_TO_INSTALL[name]
        elif path and _install.is_ours(path):
            note = "casadi-backed (idaes_ml)"
        else:
            note = "external"
    return SolverInfo(name, version, path, available, note)


def find_solvers() -> list[SolverInfo]:
    """Describe ipopt, ipopt_v2, cbc and appsi_highs as Pyomo finds them now."""
    return [_describe(name) for name in SOLVERS]


def install_solvers(force: bool = False) -> list[SolverInfo]:
    """Install the casadi-backed launchers (this environment's, and IDAES's dispatchers) unless others exist.

    Idempotent and cheap when already installed; ``force=True`` rewrites our
    launchers (never someone else's working executable). Returns find_solvers().
    """
    notes = _install.install_all(force)
    infos = find_solvers()
    for info in infos:
        exe = SOLVERS.get(info.name)
        if exe and not info.available:
            info.note = f"{notes[exe][1]}; {HOW_TO_INSTALL[info.name]}"
    return infos


def report_text(infos: list[SolverInfo] | None = None) -> str:
    """A plain-text table of :func:`find_solvers` (or of ``infos``)."""
    infos = find_solvers() if infos is None else infos
    rows = [("solver", "available", "version", "path", "note")]
    rows += [
        (i.name, "yes" if i.available else "NO", i.version or "-", i.path or "-", i.note)
        for i in infos
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths)) + "  " + r[4] for r in rows
    )


def cli_solvers(install: bool = True) -> int:
    """``idaes-ml solvers``: optionally install, print the report; 1 if ipopt is missing."""
    infos = install_solvers() if install else find_solvers()
    print(report_text(infos))
    ipopt = next(i for i in infos if i.name == "ipopt")
    return 0 if ipopt.available else 1


def require_solver(name: str, **options: str | int | float) -> PyomoSolver:
    """``SolverFactory(name)`` if usable (installing our launchers once if needed).

    Raises SolverNotFoundError naming the solver and how to install it.
    """
    opt = _factory(name)
    if not opt.available(exception_flag=False) and SOLVERS.get(name):
        _install.install(SOLVERS[name])
        opt = _factory(name)
    if not opt.available(exception_flag=False):
        how = HOW_TO_INSTALL.get(name, "install it and make sure Pyomo can find it")
        raise SolverNotFoundError(f"solver '{name}' is not available to Pyomo: {how}.")
    for key, value in options.items():
        opt.options[key] = value
    return opt
