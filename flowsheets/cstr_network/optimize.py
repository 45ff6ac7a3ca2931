"""Optimization of the reactor network over the learned per-reactor models, checked on the plant.

* :func:`optimize_steady_state` -- equation-oriented steady-state optimum (max B product
  minus coolant cost over train flows and coolant flows, i.e. over split, setpoints and
  coolant use) of the OMLT-embedded learned network with Ipopt;
* :func:`plant_steady_state` -- the ground-truth steady state for given inputs (validation),
  or the true optimum when ``optimize=True`` (the reference the surrogate optimum is judged by);
* :class:`MPCPolicy` -- receding-horizon control on the learned network applied to the plant.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyomo.environ as pyo

from idaes_ml.dynamics import NeuralStateSpace, RecedingHorizon, build_horizon_model, solve_model
from idaes_ml.dynamics.receding import initialize_from_simulation
from idaes_ml.errors import OutOfDomainError

from .learned import DT, decisions_to_plant, graph_exogenous, graph_state, learned_graph, plant_to_decisions
from .plant import CSTRNetwork, Disturbance
from .steady_state import build_steady_state

if TYPE_CHECKING:
    from pyomo.core.expr.numeric_expr import NumericExpression

__all__ = ["RTOPolicy", "economic_objective", "optimize_steady_state", "disturbance_violations", "plant_steady_state", "MPCPolicy",
           "COOLANT_PRICE", "train_flow_starts", "on_bounds", "shut_disturbance", "scored_gap", "FEASIBILITY_TOL_K"]

COOLANT_PRICE = 0.05  # mol B equivalent per kg coolant (ours; small, breaks ties toward less coolant)
FEASIBILITY_TOL_K = 0.05  # K: a proposed optimum over the temperature limits by more than this on the plant is infeasible


def _last_online(net: CSTRNetwork, d: Disturbance) -> dict[int, int | None]:
    on = net.online(d)
    out = {}
    for j in range(net.n_trains):
        rs = [j * net.n_series + s for s in range(net.n_series) if on[j * net.n_series + s]]
        out[j] = rs[-1] if rs else None
    return out


def economic_objective(net: CSTRNetwork, d: Disturbance, steady: bool, coolant_price: float = COOLANT_PRICE,
                       T_target: np.ndarray | None = None,
                       tracking_weight: float = 5.0) -> Callable[[pyo.ConcreteModel], NumericExpression]:
    """Objective builder: mean over the horizon of B product (mol/h) minus coolant cost, minus
    ``tracking_weight * sum (T - T_target)^2`` when targets (the learned steady optimum) are given --
    a short economic horizon alone is myopic (it trades coolant for transient product)."""
    last = _last_online(net, d)
    online = net.online(d)

    def objective(m):
        econ = _economic(m)
        if T_target is None:
            return econ
        track = sum((m.x[f"R{r}", "T", k + 1] - float(T_target[r])) ** 2 for r in range(net.n) if online[r] for k in m.Kin)
        return econ - tracking_weight * track / len(m.Kin)

    def _economic(m):
        H = len(m.Kin)
        shift = 0 if steady else 1
        prod = sum(m.u[f"F{j}", k] * m.x[f"R{r}", "cB", k + shift] for j, r in last.items() if r is not None for k in m.Kin)
        cool = sum(m.u[f"Fc{r}", k] for r in range(net.n) for k in m.Kin)
        return (prod - coolant_price * cool) / H

    return objective


def _supply(net: CSTRNetwork):
    """Feed supply and coolant header limits on every period (exogenous ``supply``, ``coolant_supply``)."""
    def add(m):
        m.supply_limit = pyo.Constraint(m.Kin, rule=lambda m, k: sum(m.u[f"F{j}", k] for j in range(net.n_trains)) <= m.p["supply", k])
        m.coolant_limit = pyo.Constraint(m.Kin, rule=lambda m, k: sum(m.u[f"Fc{r}", k] for r in range(net.n)) <= m.p["coolant_supply", k])

    return add


def train_flow_starts(net: CSTRNetwork, d: Disturbance) -> list[np.ndarray]:
    """Initial train flows for a multi-start: the equal split, and each train at its pump limit with the rest of
    the supply shared by the others (the steady optimum is not unique: unequal splits can beat the equal one)."""
    supply, top = net.supply(d), net.limits.F_train_max
    starts = [np.full(net.n_trains, min(supply / net.n_trains, top))]
    if net.n_trains > 1:
        for j in range(net.n_trains):
            F = np.full(net.n_trains, min(max(supply - top, 0.0) / (net.n_trains - 1), top))
            F[j] = min(top, supply)
            starts.append(F)
    return starts


def shut_disturbance(net: CSTRNetwork, d: Disturbance, shut: Sequence[int]) -> Disturbance:
    """``d`` with every reactor of the trains ``shut`` taken offline (isolated: no feed, no coolant, no limits)."""
    return d.with_(offline=set(d.offline) | set(np.flatnonzero(train_reactors(net, shut)).tolist()))


def train_reactors(net: CSTRNetwork, trains: Sequence[int]) -> np.ndarray:
    """Boolean mask of the reactors of ``trains``."""
    return np.isin(np.arange(net.n) // net.n_series, list(trains))


def scored_gap(plant_optimum: float, objective: float, violation_K: float, tol: float = FEASIBILITY_TOL_K,
               solved: bool = True) -> dict:
    """Gap (%) of a proposed optimum re-simulated on the plant (``objective``, temperature ``violation_K``) to the
    plant's own optimum; ``counted_pct`` is the gap, or 100 % when the proposal violates the limits by more than
    ``tol`` K (not a valid design: none of the optimum's value is delivered within the limits) or when the solve
    that proposed it did not end optimal (``solved=False``: its point is not an optimum of anything)."""
    gap = 100.0 * (1.0 - objective / plant_optimum)
    feasible = bool(violation_K <= tol)
    return {"gap_pct": gap, "feasible": feasible, "counted_pct": gap if feasible and solved else 100.0}


def on_bounds(net: CSTRNetwork, d: Disturbance, F: np.ndarray, Fc: np.ndarray, tol: float = 1e-3) -> dict:
    """Which decisions of an operating point sit on their bounds (online reactors only): train flows at 0 or the
    pump limit, coolant flows at 0 or the jacket capacity, and whether the supply / coolant header limits bind."""
    lim, on = net.limits, net.online(d)
    rel = lambda v, b: abs(v - b) <= tol * max(1.0, abs(b))  # noqa: E731
    F_b = [j for j, f in enumerate(F) if rel(f, 0.0) or rel(f, lim.F_train_max)]
    Fc_b = [r for r in np.flatnonzero(on) if rel(Fc[r], 0.0) or rel(Fc[r], lim.Fc_max)]
    n_dec = net.n_trains + int(on.sum())
    return {"trains_on_bounds": F_b, "jackets_on_bounds": [int(r) for r in Fc_b],
            "decisions_on_bounds": len(F_b) + len(Fc_b), "decisions": n_dec,
            "interior": len(F_b) + len(Fc_b) < n_dec,
            "supply_binds": rel(float(np.sum(F)), net.supply(d)),
            "coolant_header_binds": d.coolant_supply is not None and rel(float(np.sum(Fc[on])), net.coolant_capacity(d))}


def decision_bounds(net: CSTRNetwork, d: Disturbance, model: NeuralStateSpace) -> dict:
    """Input bounds: plant limits intersected with the model's training range (queries stay in domain)."""
    lim, dom = net.limits, model.input_bounds_
    b = {f"F{j}": (max(0.0, dom["F"][0]), min(lim.F_train_max, dom["F"][1])) for j in range(net.n_trains)}
    b.update({f"Fc{r}": (max(0.0, dom["Fc"][0]), min(lim.Fc_max, dom["Fc"][1])) for r in range(net.n)})
    return b


def disturbance_violations(net: CSTRNetwork, model: NeuralStateSpace, d: Disturbance) -> list[str]:
    """Measured feed and coolant conditions outside the model's training ranges (empty when inside)."""
    row = {"cA_in": d.cA0, "T_in": d.T0, "Tc_in": d.Tc_in}
    msgs = [f"{k}={v:.4g} outside training range [{lo:.4g}, {hi:.4g}]" for k, (v, lo, hi) in model.domain_violations(row).items()]
    lo, hi = model.input_bounds_["F"]
    if net.supply(d) > hi * net.n_trains * (1 + 1e-6):
        msgs.append(f"supply {net.supply(d):.4g} L/h exceeds what the trains were trained to carry ({net.n_trains} x {hi:.4g})")
    return msgs


def optimize_steady_state(net: CSTRNetwork, model: NeuralStateSpace, d: Disturbance, X_guess: np.ndarray | None = None,
                          formulation: str = "full_space", solver_options: dict | None = None,
                          guard: float | None = None, margin: float = 0.0,
                          starts: Sequence[np.ndarray] | None = None, prefer: np.ndarray | None = None,
                          shut_trains: bool = False) -> dict:
    """Steady-state optimum on the learned network; returns inputs, predicted states/product, status, times.

    ``guard`` (radius factor, e.g. 1.0) keeps every network's inputs inside its training support
    (:class:`idaes_ml.dynamics.Support`); with a guard, a disturbance outside the training ranges
    raises OutOfDomainError before anything is solved.  ``margin`` (K) lowers the temperature limit.
    ``starts``: initial train flows of a multi-start (e.g. :func:`train_flow_starts`); the best optimal
    solve is returned (``n_starts``, ``n_optimal``); default one start from the nominal split.  ``prefer``
    (train flows, e.g. the current ones): among optimal starts within 1e-4 (relative) of the best, the one
    closest to them -- equal trains have mirror-image optima, and swapping the loads costs a transient.
    ``shut_trains``: a train either runs at least ``limits.F_train_min`` (pump turndown) or is shut (flow 0, its
    reactors isolated: :func:`shut_disturbance`); every proper subset of shut trains is solved too (from the
    equal split of the rest), and the result's ``shut`` / ``disturbance`` say which.  Without it the optimizer
    parks a train it would rather shut at the training data's smallest flow, where a reactor's thermal time
    constant is ~18 h and its learned steady state is wrong by kelvins (cold_feed: the plant left [T_min, T_max]).
    """
    plans = [((), F0) for F0 in (starts if starts is not None else [None])]
    if shut_trains:
        for n_shut in range(1, net.n_trains):
            for shut in itertools.combinations(range(net.n_trains), n_shut):
                F0 = np.full(net.n_trains, min(net.supply(d) / (net.n_trains - n_shut), net.limits.F_train_max))
                F0[list(shut)] = 0.0
                plans.append((shut, F0))
        starts = [F0 for _, F0 in plans]
    if starts is not None:
        runs = [_optimize_once(net, model, d, X_guess, formulation, solver_options, guard, margin, F0, shut, shut_trains)
                for shut, F0 in plans]
        best = best_start(runs, "predicted_product")
        ok = [r for r in runs if r["ok"]]
        if ok and prefer is not None:
            tie = [r for r in ok if r["predicted_product"] >= best["predicted_product"] - 1e-4 * abs(best["predicted_product"])]
            best = {**best, **min(tie, key=lambda r: float(np.abs(r["F"] - np.asarray(prefer, dtype=float)).sum()))}
        return {**best, "build_s": sum(r["build_s"] for r in runs), "solve_s": sum(r["solve_s"] for r in runs)}
    return _optimize_once(net, model, d, X_guess, formulation, solver_options, guard, margin, None)


def best_start(runs: Sequence[dict], key: str) -> dict:
    """The optimal run of a multi-start with the largest ``key`` (the first run when none is optimal), with
    ``n_starts``, ``n_optimal`` and every start's solver status (``start_statuses``)."""
    ok = [r for r in runs if r["ok"]]
    return {**(max(ok, key=lambda r: r[key]) if ok else runs[0]), "n_starts": len(runs), "n_optimal": len(ok),
            "start_statuses": [str(r["status"]) for r in runs]}


def _optimize_once(net: CSTRNetwork, model: NeuralStateSpace, d: Disturbance, X_guess: np.ndarray | None,
                   formulation: str, solver_options: dict | None, guard: float | None, margin: float,
                   F0: np.ndarray | None, shut: Sequence[int] = (), turndown: bool = False) -> dict:
    """One solve of :func:`optimize_steady_state`, warm-started from train flows ``F0`` (None: nominal split);
    the trains ``shut`` are isolated (flow and coolant 0), the others run at least ``F_train_min`` if ``turndown``."""
    t0 = time.perf_counter()
    if guard is not None:
        flags = disturbance_violations(net, model, d)
        if flags:
            raise OutOfDomainError(f"disturbance outside the model's training data, not optimized: {'; '.join(flags)}")
    d_all, d = d, shut_disturbance(net, d, shut)
    graph = learned_graph(net, model, d)
    T_b = (net.limits.T_min, net.limits.T_max - margin)
    bounds = decision_bounds(net, d, model)
    for j in range(net.n_trains):
        lo, hi = bounds[f"F{j}"]
        bounds[f"F{j}"] = (0.0, 0.0) if j in shut else ((min(max(lo, net.limits.F_train_min), hi), hi) if turndown else (lo, hi))
    bounds.update({f"Fc{r}": (0.0, 0.0) for r in np.flatnonzero(~net.online(d) & net.online(d_all))})
    m = build_horizon_model(graph, 1, economic_objective(net, d, steady=True), bounds,
                            state_bounds={"T": T_b}, steady_state=True, formulation=formulation,
                            extra_exogenous=("supply", "coolant_supply"), extra_constraints=_supply(net), guard=guard)
    build_s = time.perf_counter() - t0
    p = graph_exogenous(net, d)
    for n in [i for i, _ in m.p.index_set()]:
        m.p[n, 0].fix(p[n])
    # warm start: run the learned network to its steady state under nominal (or the given) inputs
    F0 = np.minimum(net.nominal_flows(), net.supply(d) / net.n_trains) if F0 is None else np.asarray(F0, dtype=float)
    u0 = plant_to_decisions(F0, net.deliver_coolant(np.full(net.n, 31.0), d))
    x = graph_state(net.initial_state() if X_guess is None else X_guess)
    for _ in range(60):
        x = graph.step(x, u0, p)
    for key, v in x.items():
        m.x[(*key, 0)].set_value(v, skip_validation=True)
    initialize_from_simulation(m, graph, x, [u0], [p])
    ok, status, solve_s = solve_model(m, {"max_iter": 500, **(solver_options or {})})
    u = {n: float(pyo.value(m.u[n, 0])) for n in graph.names("u")}
    F, Fc = decisions_to_plant(net, u)
    X = np.array([[pyo.value(m.x[f"R{r}", s, 0]) for s in ("cA", "cB", "T", "TK")] for r in range(net.n)])
    return {"ok": ok, "status": status, "F": F, "Fc": Fc, "X": X, "predicted_product": float(pyo.value(m.economic)),
            "shut": [int(j) for j in shut], "disturbance": d,
            "build_s": build_s, "solve_s": solve_s, "n_variables": m.nvariables(), "n_constraints": m.nconstraints()}


def plant_steady_state(net: CSTRNetwork, d: Disturbance, F: np.ndarray | Sequence[float] | None = None,
                       Fc: np.ndarray | Sequence[float] | None = None, optimize: bool = False,
                       coolant_price: float = COOLANT_PRICE, starts: Sequence[np.ndarray] | None = None) -> dict:
    """Ground-truth steady state (Pyomo, Ipopt) for fixed ``F``/``Fc``, or the true optimum if ``optimize``
    (from each of ``starts``' train flows when given, the best optimal solve kept; else from the nominal split).

    Temperature limits are relaxed when simulating fixed inputs so that violations are measured, not hidden.
    """
    if optimize and starts is not None:
        return best_start([plant_steady_state(net, d, F0, None, True, coolant_price) for F0 in starts], "objective")
    m = build_steady_state(net, d, coolant_price=coolant_price)
    if not optimize:
        Fc = net.deliver_coolant(np.clip(np.asarray(Fc, dtype=float), 0.0, net.limits.Fc_max), d)  # as the header delivers
        for r in m.R:
            m.T[r].setlb(None)
            m.T[r].setub(None)
            m.Fc[r].fix(float(Fc[r]))
        for j in m.J:
            m.F[j].fix(min(max(float(F[j]), 0.0), net.limits.F_train_max))
        m.supply.deactivate()
        m.coolant_supply.deactivate()
    else:
        m.obj.activate()
        for j in m.J if F is not None else ():
            m.F[j].set_value(min(float(F[j]), net.limits.F_train_max))
    ok, status, secs = solve_model(m, {"max_iter": 500})
    X = np.array([[pyo.value(v[r]) for v in (m.cA, m.cB, m.T, m.TK)] for r in m.R])
    return {"ok": ok, "status": status, "X": X, "product": float(pyo.value(m.product)),
            "objective": float(pyo.value(m.product) - coolant_price * sum(pyo.value(m.Fc[r]) for r in m.R)),
            "F": np.array([pyo.value(m.F[j]) for j in m.J]), "Fc": np.array([pyo.value(m.Fc[r]) for r in m.R]),
            "violation_K": float(net.violations(X, d).max()), "solve_s": secs}


class MPCPolicy:
    """Economic receding-horizon control on the learned network, as a closed-loop policy for the plant.

    When the measured disturbance changes, the learned steady optimum is recomputed (temperature
    targets) and the Pyomo model rebuilt (both counted in that step's time).  ``margin`` (K) keeps the
    predicted temperatures that far below ``T_max``; ``guard`` (radius factor, None = off) keeps every
    network input inside its training support.  Safe fallback: PI loops at the design setpoints (with
    the last split; maximum coolant on reactors within ``margin`` of ``T_max``) whenever the disturbance or the measured state lies outside the training data
    (checked before solving) or the solve fails; ``info["note"]`` says which.  ``cap_feed`` caps each
    train's flow at the margin-limited learned steady optimum's: a 3-step horizon cannot see the slow
    temperature rise a larger feed causes, the steady optimum can.  ``terminal_margin`` (K) adds the hard
    terminal constraint ``T[r, H] <= max(T_max - terminal_margin, T[r, 0])`` on every online reactor (also
    with the barrier): a plan ends at least that far under the limit or, for a reactor already closer, no
    hotter than it starts (a contractive terminal set a short horizon can reach; an infeasible plan means PI
    fallback).
    ``multistart`` computes the steady targets from :func:`train_flow_starts` (of equally good optima, the
    one nearest the current train flows).  ``shut_trains``: the pump turndown holds -- the steady target may
    shut trains (:func:`optimize_steady_state`); a shut train gets no feed and leaves the horizon model
    (isolated) while the PI loops keep cooling the batch left in its reactors, and every running train carries
    at least ``limits.F_train_min``.
    ``persistent`` solves with the in-process persistent Ipopt (compiled once per rebuild).
    """

    def __init__(self, net: CSTRNetwork, model: NeuralStateSpace, horizon: int = 4, constraints: str = "hard",
                 formulation: str = "full_space", move_weight: float = 1e-3, margin: float = 0.0,
                 guard: float | None = None, cap_feed: bool = False, persistent: bool = False,
                 terminal_margin: float | None = None, multistart: bool = False, shut_trains: bool = False,
                 **kw: Any) -> None:
        from .control import PIBaseline

        self.net, self.model, self.horizon, self.guard, self.margin = net, model, horizon, guard, float(margin)
        self.persistent, self.cap_feed, self.multistart = persistent, cap_feed, multistart
        self.shut_trains, self.isolated = shut_trains, np.zeros(net.n, dtype=bool)
        self.terminal_margin = None if terminal_margin is None else float(terminal_margin)
        T_b = (net.limits.T_min, net.limits.T_max - margin)
        self.kw = dict(constraints=constraints, formulation=formulation, state_bounds={"T": T_b}, guard=guard,
                       extra_exogenous=("supply", "coolant_supply"), extra_constraints=self._constraints, **kw)
        self.move_weight = move_weight
        self.ctrl: RecedingHorizon | None = None
        self.d: Disturbance | None = None
        self.d_run: Disturbance | None = None  # self.d with the isolated reactors offline
        self.applied: dict | None = None
        self.pi, self.on_pi, self.unusable = PIBaseline(net, DT), False, ""

    def _constraints(self, m: pyo.ConcreteModel) -> None:
        """Feed and coolant limits; the terminal temperature constraint on the online reactors of ``self.d``."""
        _supply(self.net)(m)
        if self.terminal_margin is not None:
            H, T_end = m.K.last(), self.net.limits.T_max - self.terminal_margin
            online = [int(r) for r in np.flatnonzero(self.net.online(self.d_run))]
            m.terminal_T = pyo.Param(online, initialize=T_end, mutable=True, doc="terminal bound, set each step")
            m.terminal = pyo.Constraint(online, rule=lambda m, r: m.x[f"R{r}", "T", H] <= m.terminal_T[r])

    def _fallback(self, k: int, X: np.ndarray, d: Disturbance, why: str,
                  flags: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
        """PI inputs (integral restarted on entry, split of the last applied flows)."""
        if not self.on_pi:
            self.pi.integral[:] = 0.0
            if self.applied is not None:
                F = decisions_to_plant(self.net, self.applied)[0]
                self.pi.split = F / max(F.sum(), 1e-9) * min(1.0, F.sum() / self.net.supply(d))
        self.on_pi = True
        F, Fc, _ = self.pi(k, X, d)
        hot = X[:, 2] >= self.net.limits.T_max - self.margin
        Fc = self.net.deliver_coolant(np.where(hot, self.net.limits.Fc_max, Fc), d)  # hot reactors: all the coolant there is
        self.applied = plant_to_decisions(F, Fc)
        return F, Fc, {"fallback": True, "out_of_domain": flags or [],
                       "note": f"PI fallback{' (hot reactors at maximum coolant)' if hot.any() else ''}: {why}"}

    def _bounds(self, target: dict, shut: Sequence[int]) -> dict:
        """Decision bounds of the horizon model: the training support; shut trains and isolated jackets at 0;
        with ``shut_trains`` every running train at least at the pump turndown; with ``cap_feed`` no train above
        the safe steady optimum's flow."""
        bounds = decision_bounds(self.net, self.d_run, self.model)
        for j in range(self.net.n_trains):
            lo, hi = bounds[f"F{j}"]
            if j in shut:
                bounds[f"F{j}"] = (0.0, 0.0)
                continue
            lo = min(max(lo, self.net.limits.F_train_min), hi) if self.shut_trains else lo
            hi = max(lo, float(target["F"][j])) if self.cap_feed and target["ok"] else hi
            bounds[f"F{j}"] = (lo, hi)
        bounds.update({f"Fc{r}": (0.0, 0.0) for r in np.flatnonzero(self.isolated)})  # cooled by PI, outside the model
        return bounds

    def _state_outside(self, X: np.ndarray, d: Disturbance) -> list[str]:
        """Network inputs at the measured state (last applied inputs) outside the training support."""
        g, x, p = self.ctrl.graph, graph_state(X), graph_exogenous(self.net, d)
        msgs = []
        for unit in g.units:
            if unit not in g.frozen:
                row = g.unit_values(unit, x, self.applied, p)
                msgs += [f"{unit}: {m}" for m in self.model.support_.violations(row)]
        return msgs

    def __call__(self, k: int, X: np.ndarray, d: Disturbance) -> tuple[np.ndarray, np.ndarray, dict]:
        """Inputs for measured state ``X`` and disturbance ``d``; info says fallback / out-of-domain."""
        note = ""
        if self.applied is None:
            self.applied = plant_to_decisions(np.minimum(self.net.nominal_flows(), self.net.supply(d) / self.net.n_trains),
                                              np.full(self.net.n, 31.0))
        if self.ctrl is None or d != self.d:
            self.d, self.d_run, self.unusable = d, d, ""
            try:
                target = optimize_steady_state(self.net, self.model, d, guard=self.guard, margin=self.margin,
                                               starts=train_flow_starts(self.net, d) if self.multistart else None,
                                               prefer=decisions_to_plant(self.net, self.applied)[0],
                                               shut_trains=self.shut_trains)
            except OutOfDomainError as exc:
                self.unusable = str(exc)
                return self._fallback(k, X, d, self.unusable, [self.unusable])
            self.T_target = np.minimum(target["X"][:, 2] if target["ok"] else X[:, 2], self.net.limits.T_max - self.margin)
            note = f"targets from learned steady optimum ({target['status']}); "
            shut = target["shut"] if target["ok"] and self.shut_trains else []
            self.isolated, self.d_run = train_reactors(self.net, shut), shut_disturbance(self.net, d, shut)
            graph = learned_graph(self.net, self.model, self.d_run)
            mw = {n: self.move_weight for n in graph.names("u")}
            bounds = self._bounds(target, shut)
            args = dict(objective=economic_objective(self.net, self.d_run, steady=False, T_target=self.T_target),
                        decision_bounds=bounds, move_weight=mw, **self.kw)
            if self.ctrl is None:
                self.ctrl = RecedingHorizon(graph, self.horizon, persistent=self.persistent, **args)
            else:
                self.ctrl.objective, self.ctrl.decision_bounds = args["objective"], args["decision_bounds"]
                self.ctrl.build.update(move_weight=mw)
                self.ctrl.rebuild(graph)
                note += "model rebuilt; "
        if self.unusable:
            return self._fallback(k, X, d, self.unusable, [self.unusable])
        outside = self._state_outside(X, self.d_run) if self.guard is not None else []
        if outside:
            return self._fallback(k, X, d, f"state outside the training data ({'; '.join(outside[:2])})", outside)
        if self.terminal_margin is not None:  # contractive: no hotter than now where already within the margin
            T_end = self.net.limits.T_max - self.terminal_margin
            for r, par in self.ctrl.model.terminal_T.items():
                par.set_value(max(T_end, float(X[r, 2])))
        u, info = self.ctrl.step(graph_state(X), graph_exogenous(self.net, self.d_run), self.applied)
        if info["fallback"]:
            return self._fallback(k, X, d, info["note"], info["out_of_domain"])
        self.on_pi = False
        F, Fc = decisions_to_plant(self.net, u)
        if self.isolated.any():  # the batch left in a shut train still reacts: its PI loops keep cooling it
            Fc = self.net.deliver_coolant(np.where(self.isolated, self.pi(k, X, d)[1], Fc), d)
        self.applied = plant_to_decisions(F, Fc)
        info["note"] = note + info.get("note", "")
        return F, Fc, info


class RTOPolicy:
    """Steady-state optimization on the learned network (re-run when the measured disturbance
    changes) feeding its temperatures and split to the PI loops; keeps the old ones if it fails or
    (with a ``guard``) if the disturbance lies outside the model's training data.  ``multistart``: the
    optimum from :func:`train_flow_starts` (of equally good optima, the one nearest the current split).
    ``shut_trains``: the optimum obeys the pump turndown (:func:`optimize_steady_state`); a train it shuts gets
    no feed until a later optimum runs it again, while its PI loops keep cooling the batch left in its reactors
    towards their last setpoints (the contents still react: uncooled, they would run over ``T_max``)."""

    def __init__(self, net: CSTRNetwork, model: NeuralStateSpace, dt: float = DT, solver_options: dict | None = None,
                 guard: float | None = None, multistart: bool = False, shut_trains: bool = False) -> None:
        from .control import PIBaseline

        self.net, self.model, self.pi, self.d = net, model, PIBaseline(net, dt), None
        self.solver_options, self.guard, self.multistart = solver_options, guard, multistart
        self.shut_trains = shut_trains

    def __call__(self, k: int, X: np.ndarray, d: Disturbance) -> tuple[np.ndarray, np.ndarray, dict]:
        """PI inputs toward the latest learned optimum; info notes re-optimizations and fallbacks."""
        info = {"fallback": False, "note": ""}
        if d != self.d:
            self.d = d
            try:
                r = optimize_steady_state(self.net, self.model, d, X_guess=X, solver_options=self.solver_options,
                                          guard=self.guard, starts=train_flow_starts(self.net, d) if self.multistart else None,
                                          prefer=self.pi.split * self.net.supply(d), shut_trains=self.shut_trains)
            except OutOfDomainError as exc:
                r = {"ok": False, "status": str(exc)}
            if r["ok"]:
                self.pi.T_sp = np.where(train_reactors(self.net, r["shut"]), self.pi.T_sp,
                                        np.clip(r["X"][:, 2], self.net.limits.T_min, self.net.limits.T_max))
                self.pi.split = r["F"] / max(r["F"].sum(), 1e-9) * min(1.0, r["F"].sum() / self.net.supply(d))
                info["note"] = f"re-optimized ({r['status']})" + (f", trains {r['shut']} shut" if r["shut"] else "")
            else:
                info.update(fallback=True, note=f"optimizer failed ({r['status']}); kept last safe setpoints/split")
        F, Fc, _ = self.pi(k, X, d)
        return F, Fc, info
