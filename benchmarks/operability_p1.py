"""P1 inverse mapping over DOS grids: shower (Pyomo) and DMA-MR network surrogate, serial vs Dask.

    python benchmarks/operability_p1.py [--sizes 10 30] [--cases shower dma_mr] [--workers 2]

Writes benchmarks/results/operability_p1.json: total time, time per point and success
rate for each case, grid size and executor (serial, Dask LocalCluster with 2 workers),
and whether serial and Dask gave identical tables (written after every grid).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _common import write_result
from flowsheets.operability import dma_mr, shower
from idaes_ml.operability import Region, inverse_map

CASES = {
    "shower": (shower.pyomo_model, shower.ais, Region.box({"F": (8.0, 16.0), "T": (75.0, 105.0)}, name="DOS")),
    "dma_mr": (dma_mr.network_model, dma_mr.ais, Region.box({"F_C6H6": (14.0, 24.0), "X_CH4": (30.0, 45.0)},
                                                            name="DOS")),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 30])
    ap.add_argument("--cases", nargs="+", default=list(CASES))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--name", default="operability_p1", help="result file name (benchmarks/results/<name>.json)")
    args = ap.parse_args()
    runs = []
    for case in args.cases:
        make_model, make_ais, dos = CASES[case]
        model = make_model()
        for n in args.sizes:
            tables = {}
            for executor, client in (("serial", None), (f"dask-{args.workers}", args.workers)):
                t0 = time.perf_counter()
                res = inverse_map(model, make_ais(), dos, n, client=client, progress=False)
                total = time.perf_counter() - t0
                tables[executor] = res.table
                runs.append({"case": case, "grid": f"{n}x{n}", "points": n * n, "executor": executor,
                             "total_s": round(total, 3), "per_point_s": round(total / (n * n), 4),
                             "success_rate": res.success_rate,
                             "statuses": res.table["status"].value_counts().to_dict()})
                print(runs[-1])
            a, b = (t.drop(columns="status").to_numpy(float) for t in tables.values())
            runs[-1]["identical_to_serial"] = bool(np.allclose(a, b, equal_nan=True, atol=1e-8))
            write_result(args.name, {"runs": runs})  # after every grid, so partial results survive


if __name__ == "__main__":
    main()
