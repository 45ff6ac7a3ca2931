"""Initialize and solve the cumene flowsheet: EO with Ipopt and sequential (SD).

    >>> from flowsheets.cumene.flowsheet import build_flowsheet, set_conditions, NOMINAL
    >>> m = build_flowsheet(); set_conditions(m, NOMINAL)
    >>> initialize(m); solve(m)["status"]          # doctest: +SKIP
    'optimal'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import idaes.logger as idaeslog
import pyomo.environ as pyo
from idaes.core.solvers import get_solver
from idaes.core.util.exceptions import InitializationError
from pyomo.common.errors import ApplicationError, PyomoException
from pyomo.network import Arc, Port, SequentialDecomposition

from idaes_ml.unit_models.surrogate_unit import units_out_of_domain

_log = idaeslog.getLogger(__name__)

from flowsheets.cumene.flowsheet import FIXED, check_structure, tear_arcs
from flowsheets.cumene.properties import COMPONENTS, derived_bounds_relaxed

if TYPE_CHECKING:
    from pyomo.network.port import PortData

__all__ = ["tear_guess_values", "tear_guesses", "initialize", "solve", "solve_sequential", "SOLVER_OPTIONS",
           "solve_from"]

SOLVER_OPTIONS = {"max_iter": 300, "tol": 1e-8, "nlp_scaling_method": "user-scaling"}


def tear_guess_values(cond: dict) -> dict[str, tuple[dict, float, float]]:
    """Documented tear guesses (flows, T, P) from the operating point alone.

    Benzene recycle: 2x the fresh benzene plus 5x the propane of the C3 feed at flash
    conditions; transalkylator return: a small benzene/cumene/DIPB stream at its T, P.
    """
    bz, c3 = cond["benzene_feed"], FIXED["propane_in_c3"] * cond["propylene_feed"]
    tr = FIXED["trace"]
    recycle = {"benzene": 2.0 * bz, "propylene": 0.05 * bz, "propane": 5.0 * c3, "cumene": 0.01, "dipb": tr}
    back = {"benzene": 0.1 * bz, "propylene": tr, "propane": 0.1 * c3, "cumene": 0.5, "dipb": 0.1}
    return {"recycle": (recycle, cond["flash_T"], cond["flash_P"]),
            "trans": (back, FIXED["trans_T"], FIXED["trans_P"])}


def tear_guesses(m: pyo.ConcreteModel) -> dict[PortData, tuple[dict, float, float]]:
    """:func:`tear_guess_values` at the operating point currently fixed in ``m``, by port."""
    fs = m.fs
    cond = {"benzene_feed": pyo.value(fs.M101.benzene_feed.flow_mol_comp[0, "benzene"]),
            "propylene_feed": pyo.value(fs.M101.propylene_feed.flow_mol_comp[0, "propylene"])
            / (1 - FIXED["propane_in_c3"]),
            "flash_T": pyo.value(fs.H102.outlet.temperature[0]),
            "flash_P": pyo.value(fs.M102.outlet.pressure[0])}
    values = tear_guess_values(cond)
    return {fs.M101.recycle: values["recycle"], fs.M102.trans: values["trans"]}


def _port_guess(flows: dict, T: float, P: float) -> dict:
    return {
        "flow_mol_comp": {(0, c): flows[c] for c in COMPONENTS},
        "temperature": {0: T},
        "pressure": {0: P},
    }


def _state_blocks(unit) -> list:
    return [b for b in unit.component_data_objects(pyo.Block, descend_into=True)
            if hasattr(b, "define_state_vars") and not b.is_indexed()]


def _inlets(unit) -> list:
    arcs = list(unit.model().component_data_objects(Arc))
    return [p for p in unit.component_objects(Port, descend_into=False)
            if any(a.destination is p for a in arcs) or p.local_name in ("inlet", "benzene_feed", "propylene_feed")]


def _guess_outlets(unit, inlets) -> None:
    """Network units: evaluate the network; others: every free state = the summed inlets."""
    if hasattr(unit, "set_values_from_network"):
        unit.set_values_from_network()
        for v in unit.component_data_objects(pyo.Var, descend_into=True):  # extrapolation may leave bounds
            if not v.fixed and v.value is not None:
                lo, hi = v.bounds
                v.set_value(min(max(v.value, lo if lo is not None else v.value), hi if hi is not None else v.value),
                            skip_validation=True)
        return
    flows = {c: sum(pyo.value(p.flow_mol_comp[0, c]) for p in inlets) for c in COMPONENTS}
    T = max(pyo.value(p.temperature[0]) for p in inlets)
    P = min(pyo.value(p.pressure[0]) for p in inlets)
    for sb in _state_blocks(unit):
        sv = sb.define_state_vars()
        for c in COMPONENTS:
            if not sv["flow_mol_comp"][c].fixed:
                sv["flow_mol_comp"][c].set_value(max(flows[c], 1e-8))
        for name, v in (("temperature", T), ("pressure", P)):
            if not sv[name].fixed:
                sv[name].set_value(v)


@contextmanager
def _same_fixed(unit):
    """Restore which variables of ``unit`` are fixed and which constraints/blocks are active.

    An initialization that raises half-way may leave state variables fixed or
    constraints deactivated; this puts the unit's structure back.
    """
    fixed = [(v, v.fixed) for v in unit.component_data_objects(pyo.Var, descend_into=True)]
    active = [(c, c.active) for c in unit.component_data_objects((pyo.Constraint, pyo.Block), descend_into=True)]
    try:
        yield
    finally:
        for v, was in fixed:
            if v.fixed != was:
                v.fixed = was
        for c, was in active:
            if c.active != was:
                c.activate() if was else c.deactivate()


def _init_unit(unit) -> None:
    """Fix the unit's inlets, guess its outlets (:func:`_guess_outlets`), solve the unit.

    If that single solve fails, fall back on the unit's own staged IDAES ``initialize``;
    if that fails too the values are left for the flowsheet-level solve to correct.
    """
    inlets = _inlets(unit)
    res = None
    with _same_fixed(unit):
        for p in inlets:
            p.fix()
        try:
            _guess_outlets(unit, inlets)
            res = get_solver("ipopt", options=SOLVER_OPTIONS).solve(unit, load_solutions=False)
        except (ValueError, RuntimeError, PyomoException) as exc:  # e.g. a trivially infeasible guess
            _log.warning(f"{unit.name}: single solve failed ({exc}); trying its initialize")
    if res is not None and str(res.solver.termination_condition) == "optimal":
        unit.model().solutions.load_from(res)
        return
    with _same_fixed(unit):  # an initialize that raises may leave state variables fixed
        try:
            unit.initialize(outlvl=idaeslog.CRITICAL)
        except (InitializationError, PyomoException, ValueError) as exc:
            _log.warning(f"{unit.name} did not initialize ({type(exc).__name__}); left to the flowsheet solve")


def _sd(m, iter_lim: int, tol: float, guesses: dict | None = None) -> SequentialDecomposition:
    seq = SequentialDecomposition(tear_method="Wegstein", iterLim=iter_lim, tol=tol,
                                  tol_type="rel", accel_min=-5, accel_max=0)
    seq.set_tear_set(tear_arcs(m))
    for port, (flows, T, P) in (guesses or tear_guesses(m)).items():
        seq.set_guesses_for(port, _port_guess(flows, T, P))
    seq.run(m, _init_unit)
    return seq


def initialize(m: pyo.ConcreteModel, guesses: dict | None = None) -> None:
    """One sequential pass: tear guesses, then every unit's ``initialize`` in SD order."""
    check_structure(m)
    _sd(m, iter_lim=1, tol=1e9, guesses=guesses)


def solve(m: pyo.ConcreteModel, tee: bool = False, options: dict | None = None, square: bool = True,
          relaxed_restart: bool = True) -> dict:
    """Solve the whole flowsheet equation-oriented with Ipopt; returns status and time.

    ``relaxed_restart``: if the solve fails and ``m`` has bounded derived property
    variables (:data:`.properties.DERIVED_VARS`), solve once more from the same starting
    point with those bounds dropped (:func:`.properties.derived_bounds_relaxed`: the
    equations determine them, and their barrier terms are what stalls Ipopt near trace
    components and pure-component phase splits) and then again, bounds restored, from
    that solution. The result's ``strategy`` says which path gave it (``"direct"`` or
    ``"relaxed_restart"``, then with ``direct_status``); an ``"optimal"`` result always
    satisfies the model's own bounds.

    On failure ``out_of_domain`` maps each SurrogateUnit outside its training domain at
    the last iterate to ``{input: (value, low, high)}``.
    ``square=False`` (optimization) skips the zero-degrees-of-freedom check.
    """
    check_structure(m, square=square)
    solver = get_solver("ipopt", options={**SOLVER_OPTIONS, **(options or {})})
    t0 = time.perf_counter()
    start = [(v, v.value) for v in m.component_data_objects(pyo.Var, descend_into=True) if not v.fixed]
    out = _ipopt(m, solver, tee)
    out["strategy"] = "direct"
    if out["status"] != "optimal" and relaxed_restart:
        with derived_bounds_relaxed(m) as n_relaxed:
            for v, value in start:  # from the caller's starting point, not the failed iterate
                v.set_value(value, skip_validation=True)
            first = _ipopt(m, solver, tee) if n_relaxed else None
        if first is not None and first["status"] == "optimal":
            out = {**_ipopt(m, solver, tee), "strategy": "relaxed_restart", "direct_status": out["status"]}
    out["seconds"] = time.perf_counter() - t0
    if out["status"] != "optimal":  # name the network units whose inputs left their training domain at the last iterate
        out["out_of_domain"] = units_out_of_domain(m.fs)
    return out


def _ipopt(m: pyo.ConcreteModel, solver, tee: bool) -> dict:
    """One Ipopt solve of ``m``; the iterate is loaded when Ipopt returns one."""
    try:
        res = solver.solve(m, tee=tee, load_solutions=False)
    except ApplicationError as exc:  # the solver process died: a status for this solve, not a crash of the caller
        return {"status": "solver_error", "message": str(exc)}
    term = res.solver.termination_condition
    ok = term in (pyo.TerminationCondition.optimal, pyo.TerminationCondition.locallyOptimal)
    if ok or res.solution:
        m.solutions.load_from(res)
    return {"status": "optimal" if ok else str(term), "message": str(res.solver.message or "")}


def solve_from(m: pyo.ConcreteModel, state: dict, cond: dict, set_conditions: Callable[[pyo.ConcreteModel, dict], None],
               start: dict, steps: Sequence[float] = (0.25, 0.5, 0.75, 1.0)) -> dict:
    """Solve ``m`` at ``cond`` warm-started from ``state`` (the solution at ``start``).

    If the direct solve fails, restart from ``state`` and walk ``start -> cond`` through
    ``steps`` (continuation), stopping at the first failed step. The result records
    ``continuation`` (steps taken; 0 when the direct solve succeeded).
    """
    from idaes.core.util.model_serializer import StoreSpec, from_json

    from_json(m, sd=state, wts=StoreSpec.value())
    set_conditions(m, cond)
    res = solve(m)
    res["continuation"] = 0
    if res["status"] == "optimal":
        return res
    from_json(m, sd=state, wts=StoreSpec.value())
    for i, w in enumerate(steps, start=1):
        set_conditions(m, {k: (1 - w) * start[k] + w * cond[k] for k in cond})
        res = solve(m)
        res["continuation"] = i
        if res["status"] != "optimal":
            break
    return res


def solve_sequential(m: pyo.ConcreteModel, iter_lim: int = 40, tol: float = 1e-5, guesses: dict | None = None) -> dict:
    """Converge the tears with Pyomo's SequentialDecomposition (Wegstein, unit-by-unit)."""
    check_structure(m)
    t0 = time.perf_counter()
    _sd(m, iter_lim=iter_lim, tol=tol, guesses=guesses)
    return {"seconds": time.perf_counter() - t0}
