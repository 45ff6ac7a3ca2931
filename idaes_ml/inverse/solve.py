"""Solve inversion problems with Ipopt from many starting points (``idaes_ml.parallel.map``).

    result = multistart(MisfitProblem(NetworkRef(d, "forward"), target), n_starts=8)
    result.best.x, result.best.objective, result.table()   # every start with its status

Each start: inputs fixed at the start point, the network block initialized by a forward
pass (``OnnxSurrogate.initialize_block``), inputs freed, Ipopt solve.  The termination
condition of every start is kept; only optimal starts compete for ``best``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd
from pyomo.environ import Objective, SolverFactory, TerminationCondition, value
from pyomo.opt import SolverStatus

from idaes_ml import parallel
from idaes_ml.errors import SolveFailedError, SolverNotFoundError
from idaes_ml.sampling import latin_hypercube

if TYPE_CHECKING:
    from idaes_ml.inverse.problem import DesignProblem, MisfitProblem, RangeProblem
    from idaes_ml.parallel import ClientSpec

__all__ = ["StartResult", "MultistartResult", "solve_start", "multistart", "IPOPT_OPTIONS"]

IPOPT_OPTIONS = {"tol": 1e-8, "max_iter": 1000, "print_level": 0}
_OK = {TerminationCondition.optimal, TerminationCondition.locallyOptimal}


@dataclass
class StartResult:
    """Outcome of one local solve."""

    start: dict[str, float]
    status: str
    ok: bool
    objective: float = float("nan")
    x: dict[str, float] = field(default_factory=dict)
    y: dict[str, float] = field(default_factory=dict)
    misfit: float = float("nan")
    seconds: float = 0.0


@dataclass
class MultistartResult:
    """All starts of a multistart solve and the best optimal one."""

    starts: list[StartResult]

    @property
    def best(self) -> StartResult:
        """The optimal start with the lowest objective; SolveFailedError if none converged."""
        ok = [s for s in self.starts if s.ok]
        if not ok:
            statuses = sorted({s.status for s in self.starts})
            raise SolveFailedError(f"no start converged ({len(self.starts)} tried): {statuses}",
                                   status=statuses[0] if statuses else None)
        return min(ok, key=lambda s: s.objective)

    def table(self) -> pd.DataFrame:
        """One row per start: status, objective, misfit, seconds and the solution inputs."""
        return pd.DataFrame([{"status": s.status, "ok": s.ok, "objective": s.objective,
                              "misfit": s.misfit, "seconds": s.seconds,
                              **{f"start_{k}": v for k, v in s.start.items()}, **s.x}
                             for s in self.starts])


def _ipopt():
    solver = SolverFactory("ipopt")
    if not solver.available(exception_flag=False):
        raise SolverNotFoundError("ipopt is not available: run idaes_ml.solvers.install_solvers()")
    return solver


def solve_start(job: tuple) -> StartResult:
    """Solve ``problem`` (anything with ``build()`` and ``network``) from ``start``; a map job."""
    problem, start = job
    t0 = time.perf_counter()
    m = problem.build()
    for k, v in start.items():
        m.x[k].fix(v)
    problem.network.surrogate().initialize_block(m.net)
    m.x.unfix()
    try:
        res = _ipopt().solve(m, options=IPOPT_OPTIONS, load_solutions=False)
    except (ValueError, RuntimeError) as exc:  # e.g. evaluation errors reported by the driver
        return StartResult(start, status=f"error: {exc}", ok=False, seconds=time.perf_counter() - t0)
    tc = res.solver.termination_condition
    ok = tc in _OK and res.solver.status == SolverStatus.ok
    out = StartResult(start, status=str(tc), ok=ok, seconds=time.perf_counter() - t0)
    if len(res.solution) > 0:
        m.solutions.load_from(res)
        obj = next(m.component_data_objects(Objective, active=True))
        out.objective = float(value(obj))
        out.x = {k: float(m.x[k].value) for k in m.x}
        out.y = {k: float(m.y[k].value) for k in m.y}
        out.misfit = float(value(m.misfit)) if hasattr(m, "misfit") else float("nan")
    return out


def multistart(problem: MisfitProblem | RangeProblem | DesignProblem, n_starts: int = 8, seed: int = 0,
               starts: list[dict] | None = None, client: ClientSpec = None, progress: bool = True,
               desc: str = "multistart") -> MultistartResult:
    """Solve ``problem`` from ``starts`` (default: ``n_starts`` LHS points in its box)."""
    if starts is None:
        starts = latin_hypercube(problem.box(), n_starts, seed=seed).to_dict("records")
    jobs = parallel.map(solve_start, [(problem, s) for s in starts], client=client, desc=desc, progress=progress)
    results = [j.value if j.ok else StartResult(j.item[1], status=f"error: {j.error}", ok=False)
               for j in jobs]
    return MultistartResult(results)

