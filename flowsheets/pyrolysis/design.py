"""Equation-oriented design with the closure embedded: best oven temperature for a size mixture.

A Pyomo.DAE model of the 0D particle (lumped heating + Table 3 kinetics,
Radau collocation) is built for every particle class of a mixture; each class
gets its activation energies from the exported closure network through
:class:`idaes_ml.surrogate.OnnxSurrogate` (OMLT, smooth full-space formulation),
and Ipopt chooses ``T_oven`` to maximize the mass-weighted tar yield at the
residence time ``t_res``::

    sur = OnnxSurrogate.load(directory, "a_posteriori")
    mix = pd.DataFrame({"feret_mm": [2, 5, 8], "aspect": [3, 3, 3], "weight": [.3, .4, .3]})
    res = optimize_oven(sur, mix, t_res=10.0)          # DesignResult(T_oven, tar, seconds, status)
    check = validate(res, mix)                         # 1-D ground truth at and around the optimum

Without a surrogate (``surrogate=None``) the baseline activation energies are
used — the design the unmodified 0D model would recommend.
"""

from __future__ import annotations

import time
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from idaes.core.surrogate.surrogate_block import SurrogateBlock
from pyomo.dae import ContinuousSet, DerivativeVar
from pyomo.util.calc_var_value import calculate_variable_from_constraint

from idaes_ml.errors import DataError, SolveFailedError
from flowsheets.pyrolysis.data import DOMAIN
from flowsheets.pyrolysis.kinetics import E_BASE, M0, SPECIES, rate_constants, rates_from_constants
from flowsheets.pyrolysis.models import simulate_0d
from flowsheets.pyrolysis.particle import simulate_particle
from flowsheets.pyrolysis.properties import WOOD, ParticleGeometry, surface_flux

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

    from idaes_ml.surrogate import OnnxSurrogate

__all__ = ["DesignResult", "build_design_model", "design_bounds", "initialize", "optimize_oven", "hf_tar", "validate",
           "TAR"]

TAR = SPECIES.index("tar")
_PYO = types.SimpleNamespace(exp=pyo.exp)


def _time_points(t_res: float, n_elements: int) -> list[float]:
    return [0.0, *np.geomspace(0.02, t_res, n_elements).tolist()]


def design_bounds(surrogate: OnnxSurrogate | None) -> tuple[float, float]:
    """Oven-temperature bounds: the network's trained range, else the sampled domain."""
    return tuple(surrogate.input_bounds()["T_oven"]) if surrogate is not None else DOMAIN["T_oven"]


def build_design_model(surrogate: OnnxSurrogate | None, mixture: pd.DataFrame, t_res: float = 10.0,
                       T_bounds: Sequence[float] | None = None, n_elements: int = 30, ncp: int = 3,
                       T_oven: float | None = None) -> pyo.ConcreteModel:
    """The mixture's 0D particle models (one block per class) sharing ``T_oven``; objective ``tar``.

    ``mixture`` has columns ``feret_mm``, ``aspect``, ``weight`` (weights are normalized);
    ``T_bounds`` default to :func:`design_bounds`, ``T_oven`` (the start) to their middle.
    """
    T_bounds = design_bounds(surrogate) if T_bounds is None else tuple(T_bounds)
    T_oven = 0.5 * (T_bounds[0] + T_bounds[1]) if T_oven is None else T_oven
    missing = [c for c in ("feret_mm", "aspect", "weight") if c not in mixture.columns]
    if missing or len(mixture) == 0:
        raise DataError(f"mixture needs rows and columns feret_mm, aspect, weight (missing {missing})")
    if surrogate is not None:  # every class must lie in the network's training domain at both T bounds
        rows = pd.DataFrame([{"T_oven": T, "feret_mm": f, "aspect": a} for T in T_bounds
                             for f, a in zip(mixture["feret_mm"], mixture["aspect"])])
        surrogate.network.check_domain(rows)
    w = mixture["weight"].to_numpy(float) / mixture["weight"].sum()
    m = pyo.ConcreteModel()
    m.t = ContinuousSet(initialize=_time_points(t_res, n_elements))
    m.T_oven = pyo.Var(bounds=T_bounds, initialize=T_oven, units=None)
    m.K = pyo.Set(initialize=range(len(mixture)))
    m.S = pyo.Set(initialize=range(9))

    def class_block(b, k):
        geo = ParticleGeometry.from_feret(float(mixture["feret_mm"].iloc[k]), float(mixture["aspect"].iloc[k]))
        b.feret = pyo.Var(initialize=float(mixture["feret_mm"].iloc[k]))
        b.aspect = pyo.Var(initialize=float(mixture["aspect"].iloc[k]))
        b.feret.fix()
        b.aspect.fix()
        b.E = pyo.Var(range(10), initialize=lambda _, j: float(E_BASE[j]), bounds=(50.0, 400.0))
        if surrogate is None:
            b.E.fix()
        else:
            b.closure = SurrogateBlock(concrete=True)
            b.closure.build_model(surrogate, input_vars=[m.T_oven, b.feret, b.aspect],
                                  output_vars=[b.E[j] for j in range(10)])
        b.T = pyo.Var(m.t, bounds=(250.0, 1000.0), initialize=WOOD.T_initial)
        b.x = pyo.Var(m.S, m.t, bounds=(-0.05, 1.0), initialize=lambda _, s, t: float(M0[s]))
        b.dT = DerivativeVar(b.T, wrt=m.t)
        b.dx = DerivativeVar(b.x, wrt=m.t)
        a_over_v = 1.0 / geo.volume_to_surface

        @b.Constraint(m.t)
        def heat(b, t):
            if t == m.t.first():
                return pyo.Constraint.Skip
            return WOOD.density * WOOD.cp_wood * b.dT[t] * 1e-6 == a_over_v * surface_flux(b.T[t], m.T_oven) * 1e-6

        @b.Constraint(m.S, m.t)
        def kinetics(b, s, t):
            if t == m.t.first():
                return pyo.Constraint.Skip
            k = rate_constants(b.T[t], [b.E[j] for j in range(10)], _PYO)
            return b.dx[s, t] == rates_from_constants(k, [b.x[i, t] for i in m.S])[s]

        b.T[m.t.first()].fix(WOOD.T_initial)
        for s in m.S:
            b.x[s, m.t.first()].fix(float(M0[s]))

    m.cls = pyo.Block(m.K, rule=class_block)
    m.tar = pyo.Expression(expr=sum(float(w[k]) * m.cls[k].x[TAR, m.t.last()] for k in m.K))
    m.obj = pyo.Objective(expr=m.tar, sense=pyo.maximize)
    pyo.TransformationFactory("dae.collocation").apply_to(m, wrt=m.t, nfe=n_elements, ncp=ncp,
                                                          scheme="LAGRANGE-RADAU")
    return m


def initialize(m: pyo.ConcreteModel, surrogate: OnnxSurrogate | None, mixture: pd.DataFrame) -> None:
    """Set every class's states from a scipy solve of the 0D model at the current ``T_oven``."""
    times = np.array(sorted(m.t))
    for k in m.K:
        b = m.cls[k]
        if surrogate is not None:
            E = surrogate.initialize_block(b.closure).to_numpy(float)
        else:
            E = np.array([pyo.value(b.E[j]) for j in range(10)])
        y = simulate_0d(pyo.value(m.T_oven), float(mixture["feret_mm"].iloc[k]), float(mixture["aspect"].iloc[k]),
                        E=E, t_eval=times, full=True)
        for i, t in enumerate(times):
            b.T[t].set_value(float(y[i, 0]))
            for s in m.S:
                b.x[s, t].set_value(float(min(max(y[i, 1 + s], 0.0), 1.0)))
        for t in times[1:]:  # derivatives consistent with the states
            calculate_variable_from_constraint(b.dT[t], b.heat[t])
            for s in m.S:
                calculate_variable_from_constraint(b.dx[s, t], b.kinetics[s, t])


@dataclass
class DesignResult:
    """Optimal oven temperature, predicted tar yield, Ipopt wall time and termination status."""

    T_oven: float
    tar: float
    seconds: float
    status: str
    t_res: float
    T_bounds: tuple[float, float]


def optimize_oven(surrogate: OnnxSurrogate | None, mixture: pd.DataFrame, t_res: float = 10.0,
                  T_start: float | None = None, n_elements: int = 30, tee: bool = False) -> DesignResult:
    """Build, initialize and solve the design problem with Ipopt; raise SolveFailedError unless optimal."""
    m = build_design_model(surrogate, mixture, t_res=t_res, n_elements=n_elements, T_oven=T_start)
    initialize(m, surrogate, mixture)
    solver = pyo.SolverFactory("ipopt")
    solver.options.update({"tol": 1e-8, "max_iter": 500})
    t0 = time.perf_counter()
    res = solver.solve(m, tee=tee)
    seconds = time.perf_counter() - t0
    cond = str(res.solver.termination_condition)
    if res.solver.termination_condition != pyo.TerminationCondition.optimal:
        raise SolveFailedError(f"design problem not solved to optimality: {cond}", status=cond)
    return DesignResult(float(pyo.value(m.T_oven)), float(pyo.value(m.tar)), seconds, cond, t_res,
                        (m.T_oven.lb, m.T_oven.ub))


def hf_tar(T_oven: float, mixture: pd.DataFrame, t_res: float, n_nodes: int = 12) -> float:
    """Mass-weighted 1-D (ground truth) tar yield at ``t_res`` for the mixture."""
    w = mixture["weight"].to_numpy(float) / mixture["weight"].sum()
    t = np.array([0.0, t_res])
    return float(sum(wk * simulate_particle(T_oven, f, a, n_nodes=n_nodes, t_eval=t)[-1, 0]
                     for wk, f, a in zip(w, mixture["feret_mm"], mixture["aspect"])))


def validate(result: DesignResult, mixture: pd.DataFrame, T_grid: ArrayLike | None = None,
             n_nodes: int = 12) -> dict:
    """Ground-truth tar at the EO optimum and on a temperature grid (its best point for comparison)."""
    T_grid = np.linspace(*result.T_bounds, 12) if T_grid is None else np.asarray(T_grid, float)
    scan = [hf_tar(T, mixture, result.t_res, n_nodes) for T in T_grid]
    best = int(np.argmax(scan))
    return {"T_opt": result.T_oven, "tar_predicted": result.tar,
            "tar_hf_at_opt": hf_tar(result.T_oven, mixture, result.t_res, n_nodes),
            "T_grid": T_grid.tolist(), "tar_hf_grid": scan,
            "T_hf_grid_best": float(T_grid[best]), "tar_hf_grid_best": float(scan[best])}
