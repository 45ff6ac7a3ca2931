"""Pyomo model of a :class:`StepGraph` over a horizon, each step an OMLT-embedded network.

:func:`build_horizon_model` writes ``x[unit, state, k+1] = x + f(...) + B z`` for every
unit and period, with ``z`` the outputs of an :class:`idaes_ml.surrogate.OnnxSurrogate`
(exported with :func:`idaes_ml.nn.export_onnx`) in a ``SurrogateBlock``.  State limits are
either variable bounds (``constraints="hard"``) or a relaxed logarithmic barrier
(``"barrier"``: ``-mu*log(w)`` with ``w = room_to_limit + s``, ``s >= 0`` priced by
``rho``; smooth, defined even from an infeasible start).  ``steady_state=True`` gives one
period whose end state equals its start (a fixed point of the learned dynamics).

Variables: ``m.x`` (``x[.,.,0]`` fixed to the measured state unless steady),
``m.u[name, k]`` decisions, ``m.p[name, k]`` fixed exogenous values, ``m.u_prev[name]``
the inputs applied last (for move penalties).  ``extra_exogenous`` adds fixed ``m.p``
entries that no unit reads (e.g. a shared supply limit) for ``extra_constraints(m)``.
``guard`` (a radius factor, 1 = the training data's largest distance) keeps every network's inputs
inside its model's training :class:`~idaes_ml.dynamics.support.Support` (box and ellipsoid): the
optimizer cannot propose a point the model never saw.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

import pyomo.environ as pyo
from idaes.core.surrogate.surrogate_block import SurrogateBlock

from idaes_ml.errors import DataError
from idaes_ml.nn import export_onnx, load_network
from idaes_ml.surrogate import OnnxSurrogate

from .graph import StepGraph

__all__ = ["build_horizon_model", "surrogates_for", "CONSTRAINT_MODES"]

CONSTRAINT_MODES = ("hard", "barrier")


def surrogates_for(graph: StepGraph, formulation: str = "full_space", directory: str | None = None) -> dict:
    """Export every model's network to ONNX and load it as an OnnxSurrogate (keyed like ``graph.models``)."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        where = directory or tmp
        for key, model in graph.models.items():
            export_onnx(model.network_, where, f"step_{key}")
            out[key] = OnnxSurrogate.from_network(load_network(where, f"step_{key}"), formulation=formulation)
    return out


def _barrier(m, x, lo, hi, mu: float, rho: float):
    """Relaxed log-barrier terms keeping ``x`` inside ``[lo, hi]`` (scaled by the window width)."""
    width = (hi - lo) if lo is not None and hi is not None else 1.0
    terms = []
    for side, room in (("lo", None if lo is None else (x - lo) / width), ("hi", None if hi is None else (hi - x) / width)):
        if room is None:
            continue
        s = pyo.Var(bounds=(0, None), initialize=0.0)
        w = pyo.Var(bounds=(1e-6, None), initialize=max(pyo.value(room), 1e-3))
        idx = len(m.barrier_terms)
        m.barrier_vars.add_component(f"s_{side}{idx}", s)
        m.barrier_vars.add_component(f"w_{side}{idx}", w)
        m.barrier_cons.add(w == room + s)
        m.barrier_terms.append((w, s, room))
        terms.append(-mu * pyo.log(w) + rho * s)
    return terms


def build_horizon_model(
    graph: StepGraph,
    horizon: int,
    objective: Callable[[pyo.ConcreteModel], object],
    decision_bounds: dict[str, tuple[float, float]],
    state_bounds: dict[str, tuple[float | None, float | None]] | None = None,
    constraints: str = "hard",
    steady_state: bool = False,
    move_weight: dict[str, float] | None = None,
    barrier_weight: float = 1.0,
    penalty_weight: float = 1e3,
    formulation: str = "full_space",
    surrogates: dict | None = None,
    extra_exogenous: tuple[str, ...] = (),
    extra_constraints: Callable[[pyo.ConcreteModel], None] | None = None,
    guard: float | None = None,
) -> pyo.ConcreteModel:
    """Horizon (or steady-state) optimization model maximizing ``objective(m)``; see module docstring."""
    if guard is not None:
        unguarded = [k for k, mdl in graph.models.items() if getattr(mdl, "support_", None) is None]
        if unguarded:
            raise DataError(f"guard needs the training support of models {unguarded} (fit, or attach(..., support))")
    if constraints not in CONSTRAINT_MODES:
        raise DataError(f"constraints must be one of {CONSTRAINT_MODES}, got {constraints!r}")
    if horizon < 1 or (steady_state and horizon != 1):
        raise DataError("horizon must be >= 1 (exactly 1 for a steady state)")
    missing = [n for n in graph.names("u") if n not in decision_bounds]
    if missing:
        raise DataError(f"decision_bounds lacks decisions {missing}")
    surrogates = surrogates or surrogates_for(graph, formulation)
    state_bounds = state_bounds or {}
    m = pyo.ConcreteModel(name="receding_horizon" if not steady_state else "learned_steady_state")
    m.surrogates = surrogates  # plain attribute: used to warm-start the network blocks
    m.K = pyo.RangeSet(0, horizon)
    m.Kin = pyo.RangeSet(0, horizon - 1)
    keys = graph.state_keys()
    m.x = pyo.Var(keys, m.K, initialize=0.0)
    m.u = pyo.Var(graph.names("u"), m.Kin, bounds=lambda _, n, k: decision_bounds[n])
    m.p = pyo.Var(graph.names("p") + [n for n in extra_exogenous if n not in graph.names("p")], m.Kin, initialize=0.0)
    m.p.fix()
    m.u_prev = pyo.Var(graph.names("u"), initialize=0.0)
    m.u_prev.fix()
    if not steady_state:
        for key in keys:
            m.x[(*key, 0)].fix()
    m.step = pyo.Block(list(graph.units), m.Kin)
    m.dyn = pyo.ConstraintList()
    for unit in graph.units:
        model = graph.model_of(unit)
        for k in m.Kin:
            nxt = {s: m.x[unit, s, k] if steady_state else m.x[unit, s, k + 1] for s in model.states}
            if unit in graph.frozen:
                for s in model.states:
                    if steady_state:
                        m.x[unit, s, k].fix()
                    else:
                        m.dyn.add(nxt[s] == m.x[unit, s, k])
                continue
            x_k = {key: m.x[(*key, k)] for key in keys}
            vals = graph.unit_values(unit, x_k, {n: m.u[n, k] for n in graph.names("u")},
                                     {n: m.p[n, k] for n in graph.names("p")})
            blk = m.step[unit, k]
            blk.z = pyo.Var(model.latent, initialize=0.0)
            blk.net = SurrogateBlock(concrete=True)
            blk.net.build_model(surrogates[graph.units[unit][0]],
                                input_vars=[vals[c] for c in model.net_inputs],
                                output_vars=[blk.z[z] for z in model.latent])
            if guard is not None:
                model.support_.constrain(blk, {c: vals[c] for c in model.net_inputs}, shrink=guard)
            f = model.known_increment(vals)
            for i, s in enumerate(model.states):
                m.dyn.add(nxt[s] == vals[s] + f[s] + sum(float(model.B[i, j]) * blk.z[z]
                                                         for j, z in enumerate(model.latent) if model.B[i, j]))
    m.barrier_vars = pyo.Block()
    m.barrier_cons = pyo.ConstraintList()
    m.barrier_terms = []  # (w, s, room expression) for warm starts
    penalty = []
    first = 0 if steady_state else 1
    for (unit, s) in keys:
        if s not in state_bounds or unit in graph.frozen:
            continue
        lo, hi = state_bounds[s]
        for k in range(first, horizon + 1):
            x = m.x[unit, s, k]
            if constraints == "hard":
                x.setlb(lo)
                x.setub(hi)
            else:
                penalty += _barrier(m, x, lo, hi, barrier_weight, penalty_weight)
    moves = []
    for n, w in (move_weight or {}).items():
        moves += [w * (m.u[n, k] - (m.u_prev[n] if k == 0 else m.u[n, k - 1])) ** 2 for k in m.Kin]
    if extra_constraints is not None:
        extra_constraints(m)
    m.economic = pyo.Expression(expr=objective(m))
    m.penalty = pyo.Expression(expr=sum(penalty) + sum(moves))
    m.obj = pyo.Objective(expr=-m.economic + m.penalty, sense=pyo.minimize)
    return m
