"""Seed-003 small-data check: both closures trained to convergence on 10 and 25 trajectories.

    OMP_NUM_THREADS=1 nice python benchmarks/pyrolysis_small_data.py [--epochs 150]

``pyrolysis_closure.py`` gives the a-posteriori runs of its learning curve a fixed
budget of epochs; here they train until early stopping (patience 30) so that the
data-efficiency comparison is not a training-budget artefact. Uses the cached
ground truth of ``pyrolysis_closure.py``; writes ``results/pyrolysis_small_data_n<sizes>.json``.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from _common import RESULTS, Timer, write_result
from flowsheets.pyrolysis.closure_case import (predict_E, run_a_priori, train_a_posteriori_net, train_a_priori_net,
                                               yield_errors)
from flowsheets.pyrolysis.data import TrajectorySet


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 25])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = TrajectorySet.load(RESULTS / "pyrolysis_data_lhs_full.parquet")
    train, test = ds.subset(range(200)), ds.subset(range(200, len(ds.conditions)))
    rng = np.random.default_rng(1)
    rows = []
    for n in args.sizes:
        for s in args.seeds:
            sub = train.subset(np.sort(rng.choice(200, n, replace=False)))
            with Timer() as t1:
                reg = train_a_priori_net(sub.conditions, run_a_priori(sub, progress=False), hidden=(32, 32), seed=s)
            with Timer() as t2:
                net, res = train_a_posteriori_net(sub, hidden=(16, 16), epochs=args.epochs, learning_rate=2e-2,
                                                  patience=30, seed=s)
            rows.append({"n": n, "seed": s,
                         "a_priori_test": float(yield_errors(predict_E(reg, test.conditions), test).mean()),
                         "a_posteriori_test": float(yield_errors(predict_E(net, test.conditions), test).mean()),
                         "a_priori_s": t1.seconds, "a_posteriori_s": t2.seconds,
                         "a_posteriori_epochs": len(res.history["train"])})
            print(rows[-1])
    summary = {str(n): {k: {"mean": float(np.mean([r[k] for r in rows if r["n"] == n])),
                            "std": float(np.std([r[k] for r in rows if r["n"] == n]))}
                        for k in ("a_priori_test", "a_posteriori_test")} for n in args.sizes}
    name = "pyrolysis_small_data_n" + "_".join(map(str, args.sizes))
    print(write_result(name, {"epochs": args.epochs, "runs": rows, "summary": summary}))


if __name__ == "__main__":
    main()
