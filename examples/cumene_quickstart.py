"""Cumene process, end to end in a few minutes: ground truth -> data -> unit networks ->
torch cycle solving -> SurrogateUnit flowsheet solved with Ipopt.

    nice .venv/bin/python examples/cumene_quickstart.py --n 24

The full study (bigger data, fine-tuning, benchmarks) is in benchmarks/cumene_*.py.
"""

from __future__ import annotations

import argparse
import logging
import tempfile

from idaes_ml.cycles import solve as cycle_solve

from flowsheets.cumene.data import failed_points, generate, optimal, warm_model
from flowsheets.cumene.flowsheet import NOMINAL
from flowsheets.cumene.ml import (STREAM_SCALE, build_graph, graph_data, single_unit_r2,
                                  standard_tear_guess, train_networks)
from flowsheets.cumene.ml_flowsheet import build_ml_flowsheet, export_networks, set_ml_conditions
from flowsheets.cumene.solve import initialize, solve
from flowsheets.cumene.units import atom_balance, kpis, stream_values


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=24, help="Latin-hypercube points")
    args = ap.parse_args()
    logging.getLogger("pyomo").setLevel(logging.ERROR)

    m, _ = warm_model(1)  # documented initialization + EO solve of the ground truth
    print("ground truth KPIs:", kpis(stream_values(m)), "atom balance:", atom_balance(m))

    df = generate(args.n, seed=1)
    print(f"{len(optimal(df))}/{len(df)} points optimal; failed:\n{failed_points(df)}")
    data = optimal(df)

    models = train_networks(data, hidden=(16, 16), max_epochs=800)
    print(single_unit_r2(models, data).groupby("unit")["r2"].mean())

    graph = build_graph(models)
    feeds, params, _ = graph_data(data)
    for method in ("direct", "wegstein", "newton", "lbfgs"):
        res = cycle_solve(lambda x: graph.tear_map(x, feeds, params), standard_tear_guess(data),
                          method=method, scale=STREAM_SCALE.repeat(2), tol=1e-5, max_iter=100)
        print(f"{method:9s} converged {res.rate:.0%} in {res.seconds:.2f} s")

    with tempfile.TemporaryDirectory() as nets:
        export_networks(models, nets)
        mm = build_ml_flowsheet(models, nets)
        set_ml_conditions(mm, NOMINAL)
        initialize(mm)
        print("network flowsheet:", solve(mm)["status"], kpis(stream_values(mm)))


if __name__ == "__main__":
    main()
