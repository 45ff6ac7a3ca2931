"""MILP multilayer framework (Gazzaneo & Lima): optimal design over paired simplices with HiGHS.

    >>> import numpy as np
    >>> from idaes_ml.operability.multimodel import PairedPolytopes
    >>> from idaes_ml.operability.milp import solve_milp
    >>> from idaes_ml.operability.sets import grid_points
    >>> U = grid_points([0, 0], [1, 1], 3); Y = U.sum(axis=1, keepdims=True)
    >>> pp = PairedPolytopes.from_grid(U, Y, (3, 3))
    >>> res = solve_milp(pp, ("a", "b"), ("s",), {"a": 1.0, "b": 2.0}, {"s": (1.5, 2.0)})
    >>> [round(v, 6) for v in res.inputs.values()]
    [1.0, 0.5]

One layer: a binary ``b_k`` picks exactly one polytope, convex weights ``w_ik`` with
``sum_i w_ik = b_k`` place the design inside it, inputs and outputs are the weighted
corners (outputs interpolated linearly inside the simplex), outputs are kept in the
DOS (``A y <= b``), optional linear constraints on inputs and outputs hold, and a
linear intensification metric ``c_u·u + c_y·y`` is minimized.

Input constraints side by side with opyrability's ``milp_based_approach(model, AIS_bound,
PI_target, DOS_bounds, AIS_resolution, input_constr=(A_u, b_u))`` (``A_u u <= b_u``, inputs
by position): here ``u1 <= u2`` is ``constraints=[({"u1": 1.0, "u2": -1.0}, 0.0)]`` (rows
by variable name, outputs allowed too), in :func:`solve_milp`, :func:`brute_force` and
:func:`multilayer_design`.
:func:`multilayer_design` zooms in: the input box is shrunk around the best design, the
forward map and polytopes are rebuilt there, and the MILP is solved again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo

from idaes_ml.errors import DataError, SolveFailedError
from idaes_ml.operability.forward import forward_map
from idaes_ml.operability.multimodel import PairedPolytopes
from idaes_ml.operability.sets import Region

if TYPE_CHECKING:
    from idaes_ml.operability.models import OperabilityModel
    from idaes_ml.parallel import ClientSpec

__all__ = ["MilpResult", "solve_milp", "brute_force", "multilayer_design"]


#: Linear constraints ``sum(coefficient * variable) <= rhs`` over input and output names.
Constraints = Sequence[tuple[dict[str, float], float]]


@dataclass
class MilpResult:
    """Design of one layer: inputs, outputs, metric, chosen polytope, timings and status."""

    inputs: dict[str, float]
    outputs: dict[str, float]
    objective: float
    polytope: int
    status: str
    solve_seconds: float
    build_seconds: float = 0.0
    ais: Region | None = None


def _corner_values(coefficients: dict[str, float], V_u, V_y, input_labels, output_labels, what: str):
    """``c_u·u + c_y·y`` at every corner ``(K, n)`` of the polytopes."""
    unknown = set(coefficients) - set(input_labels) - set(output_labels)
    if unknown:
        raise DataError(f"{what} names unknown variables {sorted(unknown)} (inputs {list(input_labels)}, "
                        f"outputs {list(output_labels)})")
    cu = np.array([float(coefficients.get(k, 0.0)) for k in input_labels])
    cy = np.array([float(coefficients.get(k, 0.0)) for k in output_labels])
    if not (np.isfinite(cu).all() and np.isfinite(cy).all()):
        raise DataError(f"{what} has a NaN or infinite coefficient: {coefficients}")
    return V_u @ cu + V_y @ cy


def _linear_data(pp, input_labels, output_labels, objective, dos, constraints: Constraints = ()):
    if isinstance(dos, dict):
        dos = Region.box(dos, name="DOS")
    missing = [k for k in dos.labels if k not in output_labels]
    if missing:
        raise DataError(f"DOS variables {missing} are not model outputs {list(output_labels)}")
    cols = [list(output_labels).index(k) for k in dos.labels]
    A, b = dos.polytope.halfspaces
    V_u = pp.input_points[pp.vertex_index]   # (K, n, m)
    V_y = pp.output_points[pp.vertex_index]  # (K, n, p)
    cost = _corner_values(objective, V_u, V_y, input_labels, output_labels, "objective")  # (K, n)
    G = np.einsum("rj,knj->knr", A, V_y[:, :, cols])  # (K, n, rows) DOS rows at each corner
    for i, con in enumerate(constraints):
        try:
            coefficients, rhs = con
            rhs = float(rhs)
        except (TypeError, ValueError) as exc:
            raise DataError(f"constraint {i} must be ({{name: coefficient}}, rhs), got {con!r}") from exc
        row = _corner_values(coefficients, V_u, V_y, input_labels, output_labels, f"constraint {i}")
        G, b = np.concatenate([G, row[:, :, None]], axis=2), np.append(b, rhs)
    return cost, G, b


def solve_milp(pp: PairedPolytopes, input_labels: Sequence[str], output_labels: Sequence[str],
               objective: dict[str, float], dos: Region | dict[str, tuple[float, float]],
               solver: str = "appsi_highs", mip_gap: float = 1e-9, constraints: Constraints = ()) -> MilpResult:
    """Solve one layer of the MILP over ``pp``; raises SolveFailedError when infeasible.

    ``mip_gap`` is the relative optimality gap (HiGHS's default, 1e-4, would let the
    design sit 0.01 % off the best polytope); ``solver`` is an appsi MILP solver or ``cbc``.
    ``constraints``: linear ``({name: coefficient}, rhs)`` rows, ``sum <= rhs``, over
    inputs (exact) and outputs (on the polytope's linear interpolation).
    """
    if len(pp) == 0:
        raise DataError("no polytopes to select from (empty or all-NaN forward map)")
    t0 = time.perf_counter()
    cost, G, b = _linear_data(pp, input_labels, output_labels, objective, dos, constraints)
    K, n = cost.shape
    m = pyo.ConcreteModel()
    m.K, m.N, m.R = pyo.RangeSet(0, K - 1), pyo.RangeSet(0, n - 1), pyo.RangeSet(0, len(b) - 1)
    m.b = pyo.Var(m.K, domain=pyo.Binary)
    m.w = pyo.Var(m.K, m.N, bounds=(0, 1))
    m.link = pyo.Constraint(m.K, rule=lambda m, k: sum(m.w[k, i] for i in m.N) == m.b[k])
    m.one = pyo.Constraint(expr=sum(m.b[k] for k in m.K) == 1)
    m.dos = pyo.Constraint(m.R, rule=lambda m, r: sum(G[k, i, r] * m.w[k, i] for k in m.K for i in m.N) <= b[r])
    m.obj = pyo.Objective(expr=sum(cost[k, i] * m.w[k, i] for k in m.K for i in m.N))
    from idaes_ml.solvers import require_solver

    opt = require_solver(solver)
    if hasattr(opt, "config") and hasattr(opt.config, "mip_gap"):
        opt.config.mip_gap = mip_gap
    elif solver == "cbc":
        opt.options["ratioGap"] = mip_gap
    else:
        raise DataError(f"solve_milp cannot set the MIP gap of solver '{solver}'; use appsi_highs or cbc")
    t1 = time.perf_counter()
    res = opt.solve(m, load_solutions=False)
    t2 = time.perf_counter()
    tc = str(res.solver.termination_condition)
    if tc != "optimal":
        raise SolveFailedError(f"MILP layer ended with {tc}: no polytope reaches the DOS"
                               + (" within the constraints" if len(constraints) else ""), status=tc)
    m.solutions.load_from(res)
    w = np.array([[pyo.value(m.w[k, i]) for i in m.N] for k in m.K])
    k = int(np.argmax([pyo.value(m.b[k]) for k in m.K]))
    return _result(pp, k, w[k], input_labels, output_labels, float(pyo.value(m.obj)), tc, t2 - t1, t1 - t0)


def _result(pp, k, w, input_labels, output_labels, obj, status, solve_s, build_s) -> MilpResult:
    idx = pp.vertex_index[k]
    u = w @ pp.input_points[idx]
    y = w @ pp.output_points[idx]
    return MilpResult(dict(zip(input_labels, map(float, u))), dict(zip(output_labels, map(float, y))),
                      obj, k, status, solve_s, build_s)


def brute_force(pp: PairedPolytopes, input_labels: Sequence[str], output_labels: Sequence[str],
                objective: dict[str, float], dos: Region | dict[str, tuple[float, float]],
                constraints: Constraints = ()) -> MilpResult:
    """The same design by enumeration: one LP (scipy/HiGHS) per polytope, best one kept."""
    from scipy.optimize import linprog

    cost, G, b = _linear_data(pp, input_labels, output_labels, objective, dos, constraints)
    best = None
    t0 = time.perf_counter()
    for k in range(cost.shape[0]):
        n = cost.shape[1]
        r = linprog(cost[k], A_ub=G[k].T, b_ub=b, A_eq=np.ones((1, n)), b_eq=[1.0], bounds=[(0, 1)] * n,
                    method="highs")
        if r.status == 0 and (best is None or r.fun < best[1] - 1e-12):
            best = (k, r.fun, r.x)
    if best is None:
        raise SolveFailedError("no polytope reaches the DOS", status="infeasible")
    return _result(pp, best[0], best[2], input_labels, output_labels, float(best[1]), "optimal",
                   time.perf_counter() - t0, 0.0)


def multilayer_design(model: OperabilityModel, ais: Region, resolution: int, objective: dict[str, float],
                      dos: Region | dict[str, tuple[float, float]], layers: int = 3, shrink: float = 0.5,
                      client: ClientSpec = None, progress: bool = False,
                      constraints: Constraints = ()) -> list[MilpResult]:
    """Zoom-in refinement: solve, shrink the input box around the design by ``shrink``, repeat.

    ``constraints`` (e.g. ``u1 <= u2``) hold in every layer, as in :func:`solve_milp`.
    """
    if not 0 < shrink < 1:
        raise DataError(f"shrink must be in (0, 1), got {shrink}")
    lo0, hi0 = ais.polytope.bounds
    lo, hi = lo0.copy(), hi0.copy()
    out = []
    for _ in range(layers):
        region = Region.box(dict(zip(ais.labels, zip(lo, hi))), name="AIS layer")
        t0 = time.perf_counter()
        fm = forward_map(model, region, resolution, client=client, progress=progress)
        pp = PairedPolytopes.from_forward_map(fm)
        build = time.perf_counter() - t0
        res = solve_milp(pp, model.input_labels, model.output_labels, objective, dos, constraints=constraints)
        res.build_seconds += build
        res.ais = region
        out.append(res)
        u = np.array(list(res.inputs.values()))
        half = (hi - lo) * shrink / 2
        lo, hi = np.maximum(lo0, u - half), np.minimum(hi0, u + half)
    return out
