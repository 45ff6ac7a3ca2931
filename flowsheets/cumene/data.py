"""Ground-truth data: Latin hypercube over operating conditions, one EO solve per point.

Every point is solved from the converged nominal state (warm start, built once per
process by the documented initialization) and, if that fails, by a two-step
continuation from the nominal point. Every point keeps its solver status.

    >>> df = generate(n=4, seed=0)                      # doctest: +SKIP
    >>> df[["point", "status"]].head(2)                 # doctest: +SKIP
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from idaes.core.util.model_serializer import StoreSpec, to_json

from idaes_ml import parallel
from idaes_ml.io import write_table
from idaes_ml.sampling import latin_hypercube

from flowsheets.cumene.flowsheet import CONDITION_BOUNDS, NOMINAL, build_flowsheet, set_conditions
from flowsheets.cumene.solve import initialize, solve, solve_from
from flowsheets.cumene.units import atom_balance, kpis, stream_values

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from idaes_ml.parallel import ClientSpec

__all__ = ["warm_model", "solve_point", "generate", "failed_points", "optimal"]


@functools.lru_cache(maxsize=4)
def warm_model(n_reactors: int = 1) -> tuple[pyo.ConcreteModel, dict]:
    """(model, saved nominal state) after the documented initialization and an EO solve."""
    m = build_flowsheet(n_reactors)
    set_conditions(m, NOMINAL)
    initialize(m)
    res = solve(m)
    if res["status"] != "optimal":
        raise RuntimeError(f"nominal cumene flowsheet did not solve: {res}")
    return m, to_json(m, return_dict=True, wts=StoreSpec.value())


def solve_point(cond: dict, n_reactors: int = 1) -> dict:
    """Solve the ground truth at ``cond``; a row of conditions, streams, KPIs and status.

    Warm start from the nominal solution, then continuation from nominal if that fails
    (:func:`.solve.solve_from`).
    """
    m, nominal = warm_model(n_reactors)
    t0 = time.perf_counter()
    res = solve_from(m, nominal, cond, set_conditions, NOMINAL, steps=(0.5, 1.0))
    row = {f"cond.{k}": float(cond[k]) for k in CONDITION_BOUNDS}
    row.update(status=res["status"], message=res["message"], seconds=time.perf_counter() - t0)
    row.update(stream_values(m))
    row.update({f"balance.{k}": v for k, v in atom_balance(m).items()})
    row.update({f"kpi.{k}": v for k, v in kpis(stream_values(m)).items()})
    return row


def generate(n: int, seed: int = 0, client: ClientSpec = None, path: str | Path | None = None,
             bounds: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Solve ``n`` Latin-hypercube points (through :func:`idaes_ml.parallel.map`).

    Returns one row per point with ``point`` and ``status``; jobs that raised keep their
    error text as ``status``. Written with :func:`idaes_ml.io.write_table` when ``path``.
    """
    design = latin_hypercube(bounds or CONDITION_BOUNDS, n=n, seed=seed)
    for k, v in NOMINAL.items():
        if k not in design:
            design[k] = v
    results = parallel.map(solve_point, design.to_dict("records"), client=client, desc="cumene ground truth")
    rows = []
    for r in results:
        row = r.value if r.ok else {**{f"cond.{k}": v for k, v in r.item.items()},
                                    "status": f"error: {r.error}", "message": r.error}
        rows.append({"point": r.index, **row})
    df = pd.DataFrame(rows)
    if path is not None:
        write_table(df, path)
    return df


def failed_points(df: pd.DataFrame) -> pd.DataFrame:
    """The points whose solve did not end optimal, with status and message."""
    bad = df[df["status"] != "optimal"]
    return bad[["point", "status", "message"] + [c for c in df.columns if c.startswith("cond.")]]


def optimal(df: pd.DataFrame) -> pd.DataFrame:
    """The optimal points only (the ones to train on)."""
    return df[df["status"] == "optimal"].reset_index(drop=True)


