"""Ground-truth data set of the cumene process: LHS points solved EO with Ipopt.

    nice .venv/bin/python benchmarks/cumene_data.py --n 160
    nice .venv/bin/python benchmarks/cumene_data.py --n 200 --seed 1 --out cumene_data_extra

Writes ``benchmarks/results/<out>.parquet`` (default ``cumene_data``) (one row per point: conditions,
every unit's inlet/outlet streams, KPIs, atom balance, solver status) and
``benchmarks/results/<out>.json`` (counts, failures, timing).
"""

from __future__ import annotations

import argparse
import logging

from _common import RESULTS, Timer, write_result

from flowsheets.cumene.data import failed_points, generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=160)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="cumene_data", help="result name under benchmarks/results")
    ap.add_argument("--client", default=None, help="Dask client: 'local', an int or an address")
    args = ap.parse_args()
    logging.getLogger("pyomo").setLevel(logging.ERROR)
    client = int(args.client) if args.client and args.client.isdigit() else args.client
    with Timer() as t:
        df = generate(args.n, seed=args.seed, client=client, path=RESULTS / f"{args.out}.parquet")
    bad = failed_points(df)
    ok = df[df["status"] == "optimal"]
    write_result(args.out, {
        "n_points": len(df), "n_optimal": len(ok), "n_failed": len(bad),
        "failed": bad[["point", "status", "message"]].to_dict("records"),
        "wall_seconds": t.seconds,
        "median_solve_seconds": float(ok["seconds"].median()) if len(ok) else None,
        "max_abs_atom_imbalance": float(ok[["balance.C", "balance.H"]].abs().max().max()) if len(ok) else None,
        "table": str(RESULTS / f"{args.out}.parquet"),
    })


if __name__ == "__main__":
    main()
