"""Cumene plant: unit networks, recycles, fine-tuning
==================================================

Cumene process, end to end in about a minute: ground truth -> data -> unit networks ->
torch cycle solving -> fine-tuning through the unrolled solver -> SurrogateUnit flowsheet
solved with Ipopt -> profit maximized on it and checked on the ground truth::

    nice .venv/bin/python examples/cumene_quickstart.py [--n 60] [--generate]

The networks are trained on the first ``--n`` optimal rows of the committed ground-truth
table ``benchmarks/results/cumene_data.parquet`` (written by ``benchmarks/cumene_data.py``);
``--generate`` solves ``--n`` new Latin-hypercube points instead (about 1.5 s each).
The full study (bigger networks, held-out accuracy, convergence from random tears,
trust-region refinement of the optimum) is in ``benchmarks/cumene_*.py``; its numbers are
on the benchmarks pages (``cumene_cycles``, ``cumene_eo``, ``cumene_trust``).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from pyomo.environ import value

from idaes_ml.cycles import solve as cycle_solve
from idaes_ml.io import read_table

import flowsheets
from flowsheets.cumene.data import failed_points, generate, optimal, solve_point, warm_model
from flowsheets.cumene.economics import profit_expression
from flowsheets.cumene.eo_study import nominal_ml_model, optimize
from flowsheets.cumene.flowsheet import NOMINAL
from flowsheets.cumene.ml import (STREAM_SCALE, build_graph, graph_data, single_unit_r2,
                                  standard_tear_guess, train_networks)
from flowsheets.cumene.ml_flowsheet import export_networks
from flowsheets.cumene.study import finetune_networks
from flowsheets.cumene.units import atom_balance, kpis, stream_values

# the checkout holding flowsheets/ (sphinx-gallery runs examples without __file__)
DATA = Path(flowsheets.__file__).resolve().parents[1] / "benchmarks" / "results" / "cumene_data.parquet"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    ap.add_argument("--n", type=int, default=60, help="ground-truth points to train on")
    ap.add_argument("--generate", action="store_true", help="solve --n new points instead of reading them")
    args = ap.parse_args()
    logging.getLogger("pyomo").setLevel(logging.ERROR)

    m, _ = warm_model(1)  # documented initialization + EO solve of the ground truth
    print("ground truth KPIs:", kpis(stream_values(m)), "atom balance:", atom_balance(m))

    if args.generate:
        df = generate(args.n, seed=1)
        print(f"{len(optimal(df))}/{len(df)} points optimal; failed:\n{failed_points(df)}")
        data = optimal(df)
    else:
        data = optimal(read_table(DATA)).iloc[: args.n].reset_index(drop=True)
        print(f"{len(data)} optimal ground-truth points from {DATA.name}")

    models = train_networks(data, hidden=(16, 16), max_epochs=800)
    print(single_unit_r2(models, data).groupby("unit")["r2"].mean())

    graph = build_graph(models)
    feeds, params, _ = graph_data(data)
    for method in ("direct", "wegstein", "newton", "lbfgs"):
        res = cycle_solve(lambda x: graph.tear_map(x, feeds, params), standard_tear_guess(data),
                          method=method, scale=STREAM_SCALE.repeat(2), tol=1e-5, max_iter=100)
        print(f"{method:9s} converged {res.rate:.0%} in {res.seconds:.2f} s")

    tuned, history = finetune_networks(models, data, epochs=60)
    print(f"unrolled loss {history[0]:.3f} -> {history[-1]:.3f}")

    with tempfile.TemporaryDirectory() as nets:
        export_networks(tuned, nets)
        mm, state, nom = nominal_ml_model(tuned, nets, relax_bounds=True)
        print("network flowsheet:", nom["status"], kpis(stream_values(mm)))
        opt = optimize(mm, state)  # maximize profit on the network flowsheet
    print(f"ML optimum ({opt['status']}): {opt['profit']:.0f} $/h predicted; decisions {opt['decisions']}")
    truth = solve_point({**NOMINAL, **opt["decisions"]})  # the ground truth at those decisions
    print(f"ground truth at those decisions: {truth['status']}")
    if truth["status"] == "optimal":  # solve_point solved the warm model m in place
        print(f"  profit {value(profit_expression(m)):.0f} $/h on the ground truth")
        print("  KPIs predicted:", opt["kpis"])
        print("  KPIs true     :", {k.removeprefix("kpi."): v for k, v in truth.items() if k.startswith("kpi.")})


if __name__ == "__main__":
    main()
