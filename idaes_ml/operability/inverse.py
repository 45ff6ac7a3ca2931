"""NLP-based inverse mapping (Carrasco & Lima, 2017): P1 over a DOS grid, P2 ranking, P3.

    >>> from flowsheets.operability.shower import pyomo_model, ais         # doctest: +SKIP
    >>> res = inverse_map(pyomo_model(), ais(), Region.box({"F": (10, 12), "T": (80, 90)}), 3)  # doctest: +SKIP
    >>> res.table[["Fc", "Fh", "F", "T", "status"]].head(2)            # doctest: +SKIP

**P1**, for each point ``y*`` of the discretized DOS: minimize
``sum_j ((y_j - y*_j) / s_j)^2`` (relative distance; ``s_j = |y*_j|``, or the DOS width
when ``y*_j = 0``) subject to the model, the AIS bounds on the inputs and optional
nonlinear constraints. Points are solved row by row in snake order, each warm-started from
its neighbour's solution (after a failure, from the last good one); every point keeps its
solver status. The solutions are DIS* (inputs) and DOS* (outputs); ``distance`` says how far
each desired point is from what the process can achieve (0 inside the AOS). The model is
compiled once for Ipopt per job (serially: once for the whole grid; every row still starts
from the model's initial point) and re-solved in-process with new targets
(:class:`idaes_ml.solvers.persistent.PersistentIpopt`). Multistart (``starts=k``) adds
``k - 1`` Latin-hypercube starts in the AIS to the warm start, keeps the best converged
solution and reports how many starts converged and agreed with it. Batching (the default
for small models, ``batch=True`` for any) solves each grid row's points together, as one
NLP of independent copies of the model.

**P2** keeps the feasible designs that meet a performance requirement and picks the one
minimizing a process-intensification metric; any number of metrics reuse the same P1 run.
**P3** (the bilevel statement: minimize the metric subject to the design being a P1
solution) is solved through its equivalence with P1 followed by P2 (Carrasco & Lima, 2017).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from idaes_ml import parallel
from idaes_ml.errors import DataError
from idaes_ml.operability.models import (OperabilityModel, PyomoInstance, PyomoModel, restore_values,
                                         snapshot_values, solve_status)
from idaes_ml.operability.sets import Region, grid_points, grid_resolution
from idaes_ml.sampling import latin_hypercube

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from idaes_ml.parallel import ClientSpec

__all__ = ["InverseResult", "inverse_map", "intensify", "solve_p3"]

Metric = Callable[[pd.DataFrame], pd.Series] | str


@dataclass
class InverseResult:
    """One row per DOS point: ``target:<y>``, DIS* inputs, DOS* outputs, ``distance``, ``status``."""

    table: pd.DataFrame
    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]

    @property
    def ok(self) -> pd.Series:
        """Mask of the points whose NLP converged."""
        return self.table["status"] == "ok"

    @property
    def success_rate(self) -> float:
        """Fraction of DOS points solved."""
        return float(self.ok.mean())

    @property
    def dis(self) -> pd.DataFrame:
        """DIS*: inputs of the converged points."""
        return self.table.loc[self.ok, list(self.input_labels)]

    @property
    def dos_star(self) -> pd.DataFrame:
        """DOS*: achieved outputs of the converged points."""
        return self.table.loc[self.ok, list(self.output_labels)]


@dataclass(frozen=True)
class _P1Job:
    """DOS grid rows solved from one kind of start on one model (a map job; picklable for Dask)."""

    model: PyomoModel
    bounds: list[tuple[float, float]]
    rows: list[tuple[np.ndarray, np.ndarray]]  # (targets, scales) of each row, in solve order
    constraints: Callable | None
    disturbance: np.ndarray
    start: np.ndarray | None  # None: warm start from the neighbour; else this input point
    persistent: bool
    batch: bool | None = False  # None: batch if the model is small (_p1_batch_job)
    point_starts: np.ndarray | None = None  # one start per point (rows flattened), overrides ``start``


#: Ipopt options of a P1 solve from a start the model was just solved at: a small initial
#: barrier parameter lets Ipopt descend from the start instead of first re-centring the point
#: between all variable bounds (with Ipopt's default 0.1, starts next to DMA-MR's corner
#: optimum at the smallest diameter ended in the long-tube basin, farther from the target
#: than the start itself). Options the model sets itself win.
FROM_START_OPTIONS = {"mu_init": 1e-6}


def _move_to_start(opt: Any, m: pyo.ConcreteModel, inputs: list, start: np.ndarray,
                   bounds: list[tuple[float, float]], initial: Any) -> None:
    """Inputs pinned at ``start`` (both bounds), the model solved there, then the AIS bounds back.

    Bounds, not ``fix``: a persistent solver takes new bounds without recompiling. The pinned
    solve starts from the last solution; if it fails, it is repeated from the model's
    ``initial`` values, so that the next solve never starts from another design's state.
    """
    for v, x in zip(inputs, start):
        v.setlb(float(x))
        v.setub(float(x))
        v.set_value(float(x))
    if solve_status(opt, m) != "ok":
        restore_values(m, initial)
        for v, x in zip(inputs, start):
            v.set_value(float(x))
        solve_status(opt, m)
    for v, (lo, hi) in zip(inputs, bounds):
        v.setlb(lo)
        v.setub(hi)


def _solve_from_start(opt: Any, m: pyo.ConcreteModel) -> str:
    """``solve_status`` with :data:`FROM_START_OPTIONS` added to the solver's own options."""
    saved = dict(opt.options)
    opt.options.update({k: v for k, v in FROM_START_OPTIONS.items() if k not in saved})
    try:
        return solve_status(opt, m)
    finally:
        opt.options.clear()
        opt.options.update(saved)


def _p1_instance(job: _P1Job) -> PyomoInstance:
    """The model built for P1: inputs free in the AIS, disturbances fixed, the distance to the
    targets ``_p1_target`` (mutable, scaled by ``_p1_scale``) as objective, extra constraints."""
    inst = job.model.build()
    for v, (lo, hi) in zip(inst.inputs, job.bounds):
        v.unfix()
        v.setlb(lo)
        v.setub(hi)
    for v, d in zip(inst.disturbances, job.disturbance):
        v.fix(float(d))
    m = inst.model
    p = len(inst.outputs)
    m._p1_target = pyo.Param(range(p), mutable=True, initialize=0.0)
    m._p1_scale = pyo.Param(range(p), mutable=True, initialize=1.0)
    m._p1_obj = pyo.Objective(expr=sum(((inst.outputs[j] - m._p1_target[j]) / m._p1_scale[j]) ** 2
                                       for j in range(p)))
    if job.constraints is not None:
        m._p1_cons = pyo.ConstraintList()
        for c in job.constraints(inst):
            m._p1_cons.add(c)
    return inst


def _set_target(m: pyo.ConcreteModel, t: np.ndarray, s: np.ndarray) -> None:
    for j in range(len(t)):
        m._p1_target[j] = float(t[j])
        m._p1_scale[j] = float(s[j])


def _row(inst: PyomoInstance, t: np.ndarray) -> list:
    """A converged point's table row: target, inputs, outputs, distance, status."""
    u = [pyo.value(v) for v in inst.inputs]
    y = [pyo.value(v) for v in inst.outputs]
    return [*t, *u, *y, float(np.sqrt(pyo.value(inst.model._p1_obj.expr))), "ok"]


def _p1_job(job: _P1Job) -> list[list]:
    inst = _p1_instance(job)
    m = inst.model
    opt = job.model.repeated_solver(m, job.persistent)
    out = []
    initial = snapshot_values(m)
    k = 0
    for targets, scales in job.rows:  # each row from the model's initial point, as a fresh build would
        restore_values(m, initial)
        good = initial
        for t, s in zip(targets, scales):
            _set_target(m, t, s)
            start = job.start if job.point_starts is None else job.point_starts[k]
            k += 1
            if start is not None:
                _move_to_start(opt, m, inst.inputs, start, job.bounds, initial)
                status = _solve_from_start(opt, m)
            else:
                status = solve_status(opt, m)
            if status == "ok":
                good = snapshot_values(m)
                out.append(_row(inst, t))
            else:
                restore_values(m, good)
                out.append([*t, *[np.nan] * (len(inst.inputs) + len(inst.outputs) + 1), status])
    return out


#: ``batch=None`` batches P1 when the compiled model has at most this many free variables
#: (measured: the shower's 4 pay, about 1/7 of the CPU time; DMA-MR's collocation model,
#: about 1000, costs several times more).
BATCH_MAX_VARIABLES = 50


def _p1_batch_job(job: _P1Job, auto: bool = False) -> list[list]:
    """Each grid row of the job in one Ipopt solve of independent copies of the model
    (:meth:`~idaes_ml.solvers.persistent.PersistentIpopt.solve_batch`), all from the model's
    initial point; a row whose solve does not converge is solved point by point
    (:func:`_p1_job`), as is the whole job without a persistent solver or, when ``auto``,
    for a model with more than :data:`BATCH_MAX_VARIABLES` free variables."""
    inst = _p1_instance(job)
    m = inst.model
    opt = job.model.repeated_solver(m, job.persistent)
    if not hasattr(opt, "solve_batch") or (auto and opt.n_variables > BATCH_MAX_VARIABLES):
        return _p1_job(job)
    p = range(len(inst.outputs))
    initial = snapshot_values(m)
    out = []
    for targets, scales in job.rows:
        restore_values(m, initial)
        values = [ComponentMap([*((m._p1_target[j], float(t[j])) for j in p),
                                *((m._p1_scale[j], float(s[j])) for j in p)]) for t, s in zip(targets, scales)]
        if not pyo.check_optimal_termination(opt.solve_batch(values)):
            out += _p1_job(replace(job, rows=[(targets, scales)]))
            continue
        for k, (t, s) in enumerate(zip(targets, scales)):
            opt.load_vars(k)
            _set_target(m, t, s)
            out.append(_row(inst, t))
    return out


def _run_p1(job: _P1Job) -> list[list]:
    if job.start is not None or job.point_starts is not None or job.batch is False:
        return _p1_job(job)
    return _p1_batch_job(job, auto=job.batch is None)


def _best_start(candidates: list[list], rtol: float, atol: float) -> list:
    """The candidate row (one per start) with the smallest distance among converged ones,
    extended by ``starts_ok``, ``starts_agree`` and every start's status."""
    ok = [r for r in candidates if r[-1] == "ok"]
    statuses = "; ".join(str(r[-1]) for r in candidates)
    if not ok:
        return [*candidates[0], 0, 0, statuses]
    best = min(ok, key=lambda r: r[-2])
    agree = sum(abs(r[-2] - best[-2]) <= atol + rtol * best[-2] for r in ok)
    return [*best, len(ok), agree, statuses]


def inverse_map(model: OperabilityModel, ais: Region, dos: Region, resolution: int | list[int],
                constraints: Callable | None = None, disturbance: ArrayLike | None = None,
                client: ClientSpec = None, progress: bool = True, starts: int = 1, seed: int = 0,
                persistent: bool = True, agree_rtol: float = 1e-4, batch: bool | None = None) -> InverseResult:
    """P1 over a ``resolution`` grid of the DOS, row by row (Dask-able: with a ``client`` one job per row and start).

    ``constraints(instance)`` may return extra Pyomo relations on ``instance.inputs`` /
    ``instance.outputs`` (product specifications, equipment limits).
    ``starts > 1`` is multistart: besides the warm start from the neighbour, every point is
    solved from ``starts - 1`` Latin-hypercube points of the AIS (``seed``; the model first
    solved with the inputs pinned there) and the converged solution nearest its target is
    kept; ``starts_ok``/``starts_agree`` count the converged starts and those within
    ``agree_rtol`` (relative, plus 1e-6 absolute) of the best distance, ``start_status``
    lists every start's status. Then, until nothing changes, each point is solved again from
    the designs of its grid neighbours that are closer to their own targets, and a closer
    solution replaces its own (``neighbour_improved`` counts how often): a good basin found
    from one start reaches the points next to it (measured on DMA-MR, 5 x 5: with LHS starts
    alone, which points stayed in a poor local optimum depended on the seed).
    ``persistent`` solves with Ipopt compiled once per job
    (:class:`idaes_ml.solvers.persistent.PersistentIpopt`); ``False`` sends every solve
    through ``SolverFactory``. ``batch=True`` solves each row of the DOS grid (serially or
    with a ``client`` alike, so both give the same numbers) as one NLP of independent copies
    of the model, each started from the model's initial point instead of a neighbour's
    solution; a row whose solve fails, point by point. It pays for small models (the
    shower's 10 x 10 grid: about 1/7 of the CPU time) and costs for large ones (DMA-MR's
    collocation model, 5 x 5: about 9 times more). ``batch=None`` (the default) batches the
    single-start jobs when the compiled model has at most :data:`BATCH_MAX_VARIABLES` free
    variables; ``batch=False`` never batches.
    """
    pm = model.as_pyomo()
    ais.check_labels(pm.input_labels)
    dos.check_labels(pm.output_labels)
    ais.require_volume()
    if starts < 1:
        raise DataError(f"starts must be >= 1, got {starts}")
    res = grid_resolution(resolution, dos.dim)
    if not dos.volume > 0 and np.any(res > 1):  # a single desired point is fine, a flat grid is not
        dos.require_volume()
    d = np.zeros(0) if disturbance is None else np.asarray(disturbance, float).ravel()
    if d.size != len(pm.disturbance_labels):
        raise DataError(f"dimension mismatch: model disturbances {list(pm.disturbance_labels)}, got {d.size} values")
    lo, hi = dos.polytope.bounds
    T = grid_points(lo, hi, res)
    width = np.where(hi > lo, hi - lo, 1.0)
    S = _target_scale(T, width)
    row = int(res[-1])
    box = {k: ais.bounds[k] for k in pm.input_labels}
    bounds = list(box.values())
    extra = latin_hypercube(box, starts - 1, seed=seed).to_numpy() if starts > 1 else np.zeros((0, len(box)))
    rows = []
    for n, i in enumerate(range(0, len(T), row)):
        sl = slice(i, i + row) if n % 2 == 0 else slice(min(i + row, len(T)) - 1, i - 1 if i else None, -1)
        rows.append((T[sl], S[sl]))
    chunks = [rows] if client is None else [[r] for r in rows]  # serially, one model serves every row
    jobs = [_P1Job(pm, bounds, chunk, constraints, d, start, persistent, batch) for chunk in chunks
            for start in [None, *extra]]
    results = parallel.map(_run_p1, jobs, client=client, desc="P1 inverse map", progress=progress)
    cols = [f"target:{k}" for k in pm.output_labels] + list(pm.input_labels) + list(pm.output_labels)
    table_rows = []
    for k in range(0, len(jobs), starts):
        per_start = []
        for r, job in zip(results[k:k + starts], jobs[k:k + starts]):
            per_start.append(r.value if r.ok else [[*t, *[np.nan] * (len(cols) - len(t)), np.nan, f"error: {r.error}"]
                                                    for targets, _ in job.rows for t in targets])
        table_rows += per_start[0] if starts == 1 else [_best_start(list(c), agree_rtol, 1e-6)
                                                        for c in zip(*per_start)]
    names = [*cols, "distance", "status"] + (["starts_ok", "starts_agree", "start_status"] if starts > 1 else [])
    table = pd.DataFrame(table_rows, columns=names)
    table = table.sort_values([f"target:{k}" for k in pm.output_labels], kind="stable").reset_index(drop=True)
    if starts > 1:
        table = _neighbour_sweeps(table, pm, bounds, constraints, d, persistent, res, width, client, progress)
    return InverseResult(table, tuple(pm.input_labels), tuple(pm.output_labels))


def _target_scale(targets: np.ndarray, dos_width: np.ndarray) -> np.ndarray:
    """P1's distance scale per target: its magnitude, or the DOS width where it is zero."""
    return np.where(np.abs(targets) > 1e-12, np.abs(targets), dos_width)


def _grid_neighbours(shape: tuple[int, ...]) -> list[tuple[int, int]]:
    """(point, neighbour) pairs of a C-ordered grid: along each axis, the previous then the next."""
    index = np.arange(int(np.prod(shape))).reshape(shape)
    pairs = []
    for pos in np.ndindex(shape):
        for axis in range(len(shape)):
            for q in (pos[axis] - 1, pos[axis] + 1):
                if 0 <= q < shape[axis]:
                    pairs.append((int(index[pos]), int(index[pos[:axis] + (q,) + pos[axis + 1:]])))
    return pairs


def _neighbour_sweeps(table: pd.DataFrame, pm: PyomoModel, bounds: list[tuple[float, float]],
                      constraints: Callable | None, d: np.ndarray, persistent: bool, res: np.ndarray,
                      dos_width: np.ndarray, client: ClientSpec, progress: bool, max_sweeps: int = 50
                      ) -> pd.DataFrame:
    """Multistart's last step on a grid: every point is solved again from the design of each grid
    neighbour that is closer to its own target and differs from the point's design (first sweep:
    all such neighbours; later sweeps: the neighbours that changed), keeping a solution when it is
    closer; until nothing changes. A basin one start found reaches the points next to it.
    ``neighbour_improved`` counts the improvements of each point."""
    inputs, outputs = list(pm.input_labels), list(pm.output_labels)
    targets = table[[f"target:{k}" for k in outputs]].to_numpy(float)
    lo, hi = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    width = np.where(hi > lo, hi - lo, 1.0)
    scale = _target_scale(targets, dos_width)
    neighbours = _grid_neighbours(tuple(int(r) for r in res))  # the table is sorted in C order
    table = table.assign(neighbour_improved=0)
    changed = np.ones(len(table), bool)
    for _ in range(max_sweeps):
        ok = (table["status"] == "ok").to_numpy()
        dist = np.where(ok, table["distance"].to_numpy(float), np.inf)
        U = table[inputs].to_numpy(float)
        pairs = [(i, j) for i, j in neighbours if changed[j] and ok[j] and dist[j] < dist[i]
                 and not (ok[i] and np.all(np.abs(U[j] - U[i]) <= 1e-6 * width))]
        if not pairs:
            break
        points = np.array([i for i, _ in pairs])
        rows = [(targets[points], scale[points])]
        job = _P1Job(pm, bounds, rows, constraints, d, None, persistent, False, U[[j for _, j in pairs]])
        result = parallel.map(_run_p1, [job], client=client, desc="P1 neighbour starts", progress=progress)[0]
        solved = result.value if result.ok else []
        changed[:] = False
        for (i, _), row in zip(pairs, solved):
            if row[-1] == "ok" and row[-2] < dist[i] - 1e-9 * (1.0 + dist[i]):
                dist[i] = row[-2]
                table.loc[i, [*inputs, *outputs, "distance", "status"]] = row[len(outputs):]
                table.loc[i, "neighbour_improved"] += 1
                changed[i] = True
    return table


def intensify(result: InverseResult, metrics: dict[str, Metric], requirement: Callable | dict | None = None
              ) -> pd.DataFrame:
    """P2: for each metric, the converged design meeting ``requirement`` with the smallest metric.

    ``metrics`` maps a name to a column of the table or a function of the table returning a
    Series. ``requirement`` is a mask function of the table or ``{output: (low, high)}``.
    Returns one row per metric: the metric value and the design (inputs and outputs).
    """
    if not metrics:
        raise DataError("give at least one intensification metric")
    feas = result.table[result.ok]
    if isinstance(requirement, dict):
        mask = pd.Series(True, index=feas.index)
        for k, (lo, hi) in requirement.items():
            if k not in feas.columns:
                raise DataError(f"requirement names unknown column {k!r}")
            mask &= feas[k].between(lo, hi)
        feas = feas[mask]
    elif requirement is not None:
        feas = feas[requirement(feas)]
    if feas.empty:
        raise DataError("no converged P1 design meets the performance requirement")
    rows = []
    for name, metric in metrics.items():
        values = feas[metric] if isinstance(metric, str) else metric(feas)
        best = values.astype(float).idxmin()
        rows.append({"metric": name, "value": float(values[best]),
                     **feas.loc[best, [*result.input_labels, *result.output_labels]].to_dict(), "row": int(best)})
    return pd.DataFrame(rows).set_index("metric")


def solve_p3(model: OperabilityModel, ais: Region, dos: Region, resolution: int | list[int], metric: Metric,
             requirement: Callable | dict | None = None, **p1_options: Any) -> pd.Series:
    """P3 through its equivalence with P1 + P2: the intensified design for one metric."""
    res = inverse_map(model, ais, dos, resolution, **p1_options)
    return intensify(res, {"metric": metric}, requirement).iloc[0]
