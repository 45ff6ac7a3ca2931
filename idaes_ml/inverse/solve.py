"""Solve inversion problems with Ipopt from many starting points (``idaes_ml.parallel.map``).

    result = multistart(MisfitProblem(NetworkRef(d, "forward"), target), n_starts=8)
    result.best.x, result.best.objective, result.table()   # every start with its status

Each start: inputs fixed at the start point, the network block initialized by a forward
pass (``OnnxSurrogate.initialize_block``), inputs freed, Ipopt solve -- in-process, on the
model compiled once per job (:class:`idaes_ml.solvers.persistent.PersistentIpopt`).  The
termination condition of every start is kept; only optimal starts compete for ``best``,
and ``agreeing()`` counts the starts that reached it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd
from pyomo.environ import Objective, TerminationCondition, value
from pyomo.opt import SolverStatus

from idaes_ml import parallel
from idaes_ml.errors import SolveFailedError
from idaes_ml.operability.models import restore_values, snapshot_values
from idaes_ml.sampling import latin_hypercube
from idaes_ml.solvers.persistent import PersistentIpopt

if TYPE_CHECKING:
    from pyomo.environ import ConcreteModel

    from idaes_ml.inverse.problem import DesignProblem, MisfitProblem, RangeProblem
    from idaes_ml.parallel import ClientSpec

__all__ = ["StartResult", "MultistartResult", "solve_start", "solve_starts", "multistart", "IPOPT_OPTIONS"]

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
        """The optimal start with the lowest objective; SolveFailedError (every start's status) if none."""
        ok = [s for s in self.starts if s.ok]
        if not ok:
            statuses = [s.status for s in self.starts]
            listed = "; ".join(f"start {i}: {st}" for i, st in enumerate(statuses))
            raise SolveFailedError(f"no start converged ({len(self.starts)} tried): {listed}",
                                   status=statuses[0] if statuses else None)
        return min(ok, key=lambda s: s.objective)

    def agreeing(self, rtol: float = 1e-4, atol: float = 1e-8) -> int:
        """How many converged starts reached the best objective (within ``atol + rtol |best|``)."""
        best = self.best.objective
        return sum(s.ok and abs(s.objective - best) <= atol + rtol * abs(best) for s in self.starts)

    def table(self) -> pd.DataFrame:
        """One row per start: status, objective, misfit, seconds and the solution inputs."""
        return pd.DataFrame([{"status": s.status, "ok": s.ok, "objective": s.objective,
                              "misfit": s.misfit, "seconds": s.seconds,
                              **{f"start_{k}": v for k, v in s.start.items()}, **s.x}
                             for s in self.starts])


def _solve(opt: PersistentIpopt, m: ConcreteModel, start: dict[str, float]) -> StartResult:
    t0 = time.perf_counter()
    try:
        res = opt.solve(m, load_solutions=False)
    except (ValueError, RuntimeError) as exc:  # e.g. an untranslatable model
        return StartResult(start, status=f"error: {exc}", ok=False, seconds=time.perf_counter() - t0)
    tc = res.solver.termination_condition
    ok = tc in _OK and res.solver.status == SolverStatus.ok
    out = StartResult(start, status=str(tc), ok=ok)
    if opt.has_solution:
        opt.load_vars()
        obj = next(m.component_data_objects(Objective, active=True))
        out.objective = float(value(obj))
        out.x = {k: float(m.x[k].value) for k in m.x}
        out.y = {k: float(m.y[k].value) for k in m.y}
        out.misfit = float(value(m.misfit)) if hasattr(m, "misfit") else float("nan")
    out.seconds = time.perf_counter() - t0
    return out


def solve_starts(job: tuple) -> list[StartResult]:
    """Solve ``problem`` from each of ``starts`` on one model compiled once for Ipopt; a map job.

    Every start begins from the model's initial values, with the inputs at the start point
    and the network block initialized by a forward pass.
    """
    problem, starts = job
    m = problem.build()
    initial = snapshot_values(m)
    opt = PersistentIpopt(options=IPOPT_OPTIONS)
    results = []
    for start in starts:
        restore_values(m, initial)
        for k, v in start.items():
            m.x[k].fix(v)
        problem.network.surrogate().initialize_block(m.net)
        m.x.unfix()
        results.append(_solve(opt, m, start))
    return results


def solve_start(job: tuple) -> StartResult:
    """Solve ``problem`` (anything with ``build()`` and ``network``) from ``start``; a map job."""
    problem, start = job
    return solve_starts((problem, [start]))[0]


def multistart(problem: MisfitProblem | RangeProblem | DesignProblem, n_starts: int = 8, seed: int = 0,
               starts: list[dict] | None = None, client: ClientSpec = None, progress: bool = True,
               desc: str = "multistart", warm_start: dict[str, float] | None = None) -> MultistartResult:
    """Solve ``problem`` from ``starts`` (default: ``n_starts`` LHS points in its box).

    ``warm_start`` (e.g. a previous solution) replaces one LHS point and is tried first.
    Serially all starts share one compiled model (one map job); with a ``client`` each
    start is a job, so starts run in parallel. The results are the same either way.
    """
    if starts is None:
        n_lhs = n_starts - (warm_start is not None)
        starts = latin_hypercube(problem.box(), n_lhs, seed=seed).to_dict("records") if n_lhs > 0 else []
    if warm_start is not None:
        starts = [dict(warm_start), *starts]
    chunks = [starts] if client is None else [[s] for s in starts]
    jobs = parallel.map(solve_starts, [(problem, c) for c in chunks], client=client, desc=desc, progress=progress)
    results = []
    for job in jobs:
        results += job.value if job.ok else [StartResult(s, status=f"error: {job.error}", ok=False)
                                             for s in job.item[1]]
    return MultistartResult(results)
