"""Equation-oriented experiments on the network flowsheet: accuracy, robustness, optimization."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from idaes.core.util.model_serializer import StoreSpec, from_json, to_json
from idaes.core.util.model_statistics import number_activated_equalities, number_variables_in_activated_constraints
from pyomo.network import Arc
from tqdm.auto import tqdm

from idaes_ml.unit_models.surrogate_unit import units_out_of_domain

from flowsheets.cumene.economics import add_economics, decisions_of
from flowsheets.cumene.flowsheet import CONDITION_BOUNDS, NOMINAL
from flowsheets.cumene.ml_flowsheet import build_ml_flowsheet, set_ml_conditions
from flowsheets.cumene.properties import COMPONENTS, relax_derived_bounds
from flowsheets.cumene.solve import initialize, solve, solve_from
from flowsheets.cumene.units import atom_balance, kpis, stream_values

if TYPE_CHECKING:
    from flowsheets.cumene.ml import UnitModel

__all__ = ["nominal_ml_model", "heldout_accuracy", "random_tear_robustness", "optimize", "timed_solve"]


def nominal_ml_model(models: dict[str, UnitModel], directory: str | Path, enforce_bounds: bool = False,
                     relax_bounds: bool = False) -> tuple[pyo.ConcreteModel, dict, dict]:
    """Network flowsheet initialized and solved at the nominal point, and its saved state.

    ``relax_bounds`` drops the bounds of the derived property variables of the mixers'
    and heaters' state blocks (:func:`.properties.relax_derived_bounds`). With
    ``enforce_bounds`` the tear guesses lie outside the networks' training boxes, so the
    model without the network bounds is initialized and solved first and its solution
    starts the bounded solve.
    """
    m = build_ml_flowsheet(models, directory, enforce_bounds)
    if relax_bounds:
        relax_derived_bounds(m)
    set_ml_conditions(m, NOMINAL)
    if enforce_bounds:
        free, _, first = nominal_ml_model(models, directory, relax_bounds=relax_bounds)
        if first["status"] != "optimal":
            return m, to_json(m, return_dict=True, wts=StoreSpec.value()), first
        from_json(m, sd=to_json(free, return_dict=True, wts=StoreSpec.value()), wts=StoreSpec.value())
    else:
        initialize(m)
    res = solve(m)
    return m, to_json(m, return_dict=True, wts=StoreSpec.value()), res


def timed_solve(m: pyo.ConcreteModel, set_conditions: Callable[[pyo.ConcreteModel, dict[str, float]], None],
                cond: dict | None = None) -> dict:
    """Fix ``cond`` (default nominal) with ``set_conditions``, initialize and EO-solve ``m``.

    Returns status, initialization and solve seconds, model size, KPIs and the network
    units outside their training domain at the solution (empty for the ground truth).
    """
    set_conditions(m, cond or NOMINAL)
    t0 = time.perf_counter()
    initialize(m)
    init_s = time.perf_counter() - t0
    res = solve(m)
    return {"status": res["status"], "init_seconds": init_s, "solve_seconds": res["seconds"],
            "n_variables": number_variables_in_activated_constraints(m),
            "n_equalities": number_activated_equalities(m),
            "kpis": kpis(stream_values(m)), "units_out_of_domain": sorted(units_out_of_domain(m.fs))}


def _conditions(row) -> dict:
    return {k: float(row[f"cond.{k}"]) for k in CONDITION_BOUNDS}


def heldout_accuracy(m: pyo.ConcreteModel, state: dict, test: pd.DataFrame) -> pd.DataFrame:
    """EO-solve the network flowsheet at every held-out point (warm start from nominal,
    continuation from nominal where that fails: :func:`.solve.solve_from`)."""
    rows = []
    for _, r in tqdm(test.iterrows(), total=len(test), desc="held-out EO solves"):
        t0 = time.perf_counter()
        res = solve_from(m, state, _conditions(r), set_ml_conditions, NOMINAL)
        row = {"status": res["status"], "seconds": time.perf_counter() - t0, "continuation": res["continuation"],
               "strategy": res["strategy"]}
        row.update({f"balance.{k}": v for k, v in atom_balance(m).items()})
        row.update(kpis(stream_values(m)))
        if res["status"] != "optimal":
            row["out_of_domain"] = str(units_out_of_domain(m.fs))
        rows.append(row)
    return pd.DataFrame(rows)


def random_tear_robustness(m: pyo.ConcreteModel, state: dict, n: int, seed: int = 0, spread: float = 1.0) -> pd.DataFrame:
    """EO solves at the nominal point from random tear-stream values (both ends of each tear).

    ``strategy`` per row: ``"direct"`` or ``"relaxed_restart"`` (:func:`.solve.solve`).
    """
    rng = np.random.default_rng(seed)
    from_json(m, sd=state, wts=StoreSpec.value())
    ref = {p: {c: pyo.value(p.flow_mol_comp[0, c]) for c in COMPONENTS} | {"T": pyo.value(p.temperature[0])}
           for p in (m.fs.M101.recycle, m.fs.M102.trans)}
    rows = []
    for _ in tqdm(range(n), desc="random tear EO solves"):
        from_json(m, sd=state, wts=StoreSpec.value())
        for port, vals in ref.items():
            src = next(a.source for a in m.component_data_objects(Arc) if a.destination is port)
            for p in (port, src):
                for c in COMPONENTS:
                    p.flow_mol_comp[0, c].set_value(vals[c] * rng.uniform(0.0, 1.0 + spread))
                p.temperature[0].set_value(vals["T"] + rng.uniform(-20, 20) * spread)
        res = solve(m)
        rows.append({"status": res["status"], "seconds": res["seconds"], "strategy": res["strategy"]})
    return pd.DataFrame(rows)


def optimize(m: pyo.ConcreteModel, state: dict | None = None,
             bounds: dict[str, tuple[float, float]] | None = None) -> dict:
    """Maximize profit (:mod:`.economics`) on ``m`` (decisions within ``bounds`` if given)."""
    if state is not None:
        from_json(m, sd=state, wts=StoreSpec.value())
    add_economics(m, bounds=bounds)
    res = solve(m, square=False, options={"max_iter": 1000})
    return {"status": res["status"], "seconds": res["seconds"], "profit": pyo.value(m.profit_expr),
            "decisions": decisions_of(m), "kpis": kpis(stream_values(m))}
