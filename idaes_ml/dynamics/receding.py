"""Receding-horizon optimization over an embedded :class:`StepGraph`, with a safe fallback.

Each call of :meth:`RecedingHorizon.step` fixes the measured state and exogenous values,
warm-starts every variable by simulating the learned graph under the previous plan, solves
with Ipopt and returns the first move.  If Ipopt does not report an optimal solution the
controller applies the *last safe inputs* (the last move from a successful solve, or the
inputs applied before) and says so in ``info["note"]``; measured values outside the
models' training ranges are flagged in ``info["out_of_domain"]``::

    >>> ctrl = RecedingHorizon(graph, horizon=5, objective=..., decision_bounds=...)  # doctest: +SKIP
    >>> u, info = ctrl.step(x_measured, p_measured, u_applied)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pyomo.environ as pyo
from pyomo.opt import TerminationCondition

from idaes_ml.solvers import require_solver
from idaes_ml.solvers.persistent import PersistentIpopt

from .graph import StepGraph
from .horizon import build_horizon_model

__all__ = ["RecedingHorizon", "initialize_from_simulation", "solve_model"]

_OK = {TerminationCondition.optimal, TerminationCondition.locallyOptimal}


def initialize_from_simulation(m: pyo.ConcreteModel, graph: StepGraph, x0: dict, U: list[dict], P: list[dict]) -> None:
    """Set states, decisions and every network block of ``m`` by simulating ``graph`` under ``U``."""
    xs = graph.simulate(x0, U, P)
    for k, x in enumerate(xs):
        for key, v in x.items():
            if not m.x[(*key, k)].fixed:
                m.x[(*key, k)].set_value(v, skip_validation=True)
    for k, u in enumerate(U):
        for n, v in u.items():
            m.u[n, k].set_value(v, skip_validation=True)
    for (unit, k), blk in m.step.items():
        if hasattr(blk, "net"):
            y = m.surrogates[graph.units[unit][0]].initialize_block(blk.net)
            for z in blk.z:
                blk.z[z].set_value(float(y[z]))
    for w, s, room in m.barrier_terms:
        r = pyo.value(room)
        s.set_value(max(0.0, 1e-3 - r))
        w.set_value(r + s.value)


def solve_model(m: pyo.ConcreteModel, options: dict | None = None, solver: Any = None) -> tuple[bool, str, float]:
    """Solve with Ipopt (or ``solver``, e.g. a :class:`~idaes_ml.solvers.persistent.PersistentIpopt`
    holding ``m``); returns (ok, termination condition, seconds)."""
    opt = require_solver("ipopt", **(options or {})) if solver is None else solver
    t0 = time.perf_counter()
    try:
        res = opt.solve(m, load_solutions=False)
    except Exception as exc:  # noqa: BLE001 - a crashed solve is reported, never raised mid-loop
        return False, f"error: {type(exc).__name__}: {exc}", time.perf_counter() - t0
    tc = res.solver.termination_condition
    ok = tc in _OK
    if ok:
        log = logging.getLogger("pyomo.core")
        level = log.level
        log.setLevel(logging.ERROR)  # Ipopt's round-off past a bound (W1002) is not news
        try:
            opt.load_vars() if solver is not None else m.solutions.load_from(res)
        finally:
            log.setLevel(level)
    return ok, str(tc), time.perf_counter() - t0


class RecedingHorizon:
    """Receding-horizon controller on a learned graph; arguments as :func:`build_horizon_model`.

    ``solver_options`` go to Ipopt (e.g. ``{"max_iter": 200}``).  The model is built once
    and re-solved each step with new fixed values; :meth:`rebuild` after a topology change.
    ``persistent=True`` compiles it once into the in-process persistent Ipopt (no ``.nl`` file and
    no subprocess per step).
    """

    def __init__(
        self,
        graph: StepGraph,
        horizon: int,
        objective: Callable[[pyo.ConcreteModel], object],
        decision_bounds: dict,
        solver_options: dict | None = None,
        persistent: bool = False,
        **build: Any,
    ) -> None:
        self.graph, self.horizon, self.objective, self.persistent = graph, int(horizon), objective, persistent
        self.decision_bounds, self.build = dict(decision_bounds), build
        self.solver_options = {"max_iter": 300, "tol": 1e-6, **(solver_options or {})}
        self.last_safe: dict | None = None
        self.plan: list[dict] | None = None
        self.rebuild(graph)

    def rebuild(self, graph: StepGraph) -> float:
        """(Re)build the Pyomo model for ``graph``; returns the build time in seconds."""
        t0 = time.perf_counter()
        self.graph = graph
        self.model = build_horizon_model(graph, self.horizon, self.objective, self.decision_bounds, **self.build)
        self.solver = PersistentIpopt(on_change="rebuild") if self.persistent else None
        self.plan = None
        self.build_s = time.perf_counter() - t0
        return self.build_s

    def out_of_domain(self, x0: dict, p: dict) -> list[str]:
        """Messages for measured states/exogenous values outside the training range of their unit's model."""
        msgs = []
        for unit in self.graph.units:
            if unit in self.graph.frozen:
                continue
            model = self.graph.model_of(unit)
            vals = self.graph.unit_values(unit, x0, {n: 0.0 for n in self.graph.names("u")}, p)
            vals = {k: v for k, v in vals.items() if not self.graph.units[unit][1].get(k, "").startswith("u:")}
            for lab, (v, lo, hi) in model.domain_violations(vals).items():
                msgs.append(f"{unit}.{lab}={v:.4g} outside training range [{lo:.4g}, {hi:.4g}]")
        return msgs

    def step(self, x0: dict, p: dict, u_applied: dict) -> tuple[dict, dict]:
        """First move of the optimal plan from state ``x0`` (fallback: last safe inputs); returns (u, info)."""
        m, H = self.model, self.horizon
        for key, v in x0.items():
            m.x[(*key, 0)].fix(v)
        names = sorted({n for n, _ in m.p.index_set()})
        P = [{n: float(p[n]) for n in names} for _ in range(H)]
        for k in range(H):
            for n, v in P[k].items():
                m.p[n, k].fix(v)
        for n, v in u_applied.items():
            m.u_prev[n].fix(v)
        U = self.plan[1:] + self.plan[-1:] if self.plan else [dict(u_applied) for _ in range(H)]
        U = [{n: min(max(u[n], self.decision_bounds[n][0]), self.decision_bounds[n][1]) for n in u} for u in U]
        flags = self.out_of_domain(x0, p)
        info = {"fallback": False, "out_of_domain": flags, "note": ""}
        try:
            initialize_from_simulation(m, self.graph, x0, U, P)
        except Exception as exc:  # noqa: BLE001 - a failed warm start is reported and the solve still tried
            info["note"] = f"warm start failed ({type(exc).__name__}: {exc}); "
        if self.solver is not None:
            self.solver.options.update(self.solver_options)
        ok, status, secs = solve_model(m, self.solver_options, self.solver)
        info.update(status=status, solve_s=secs)
        if ok:
            self.plan = [{n: float(pyo.value(m.u[n, k])) for n in self.graph.names("u")} for k in range(H)]
            self.last_safe = self.plan[0]
            info["predicted_economic"] = float(pyo.value(m.economic))
            return dict(self.plan[0]), info
        safe = self.last_safe if self.last_safe is not None else dict(u_applied)
        self.plan = None
        info["fallback"] = True
        info["note"] += f"optimizer failed ({status}); applied the last safe inputs"
        if flags:
            info["note"] += f"; out-of-domain: {flags[:3]}"
        return dict(safe), info
