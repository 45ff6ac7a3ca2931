"""Operability-index time vs grid resolution (shower in 2-D, an affine 3-D map), and MILP time per layer.

    python benchmarks/operability_oi.py

Writes benchmarks/results/operability_oi.json.
"""

from __future__ import annotations

import time

import numpy as np

from _common import write_result
from flowsheets.operability import shower
from idaes_ml.operability import FunctionModel, PairedPolytopes, Region, forward_map, multilayer_design, oi_output


def _oi_timing(model, ais, dos, resolutions) -> list[dict]:
    rows = []
    for n in resolutions:
        t0 = time.perf_counter()
        fm = forward_map(model, ais, n, progress=False)
        t1 = time.perf_counter()
        pp = PairedPolytopes.from_forward_map(fm)
        t2 = time.perf_counter()
        oi = oi_output(pp, dos)
        t3 = time.perf_counter()
        rows.append({"resolution": n, "polytopes": len(pp), "oi": oi, "forward_s": round(t1 - t0, 4),
                     "polytopes_s": round(t2 - t1, 4), "oi_s": round(t3 - t2, 4)})
        print(rows[-1])
    return rows


def main() -> None:
    exact = (100 - 120 * np.log(1.5) - 60 * np.log(4 / 3)) / 60
    shower_rows = _oi_timing(shower.function_model(), shower.ais(), Region.box({"F": (2, 4), "T": (70, 100)}, name="DOS"),
                             [5, 10, 20, 30, 40, 60])
    M = np.array([[1.0, 0.2, 0.0], [0.1, 1.0, 0.3], [0.0, 0.2, 1.0]])
    lin3 = FunctionModel(lambda U: np.tanh(U @ M.T), ["a", "b", "c"], ["x", "y", "z"], vectorized=True)
    ais3 = Region.box({"a": (-1, 1), "b": (-1, 1), "c": (-1, 1)}, name="AIS")
    dos3 = Region.box({"x": (0, 1), "y": (0, 1), "z": (0, 1)}, name="DOS")
    rows3 = _oi_timing(lin3, ais3, dos3, [3, 5, 8, 10])
    t0 = time.perf_counter()
    layers = multilayer_design(shower.function_model(), shower.ais(), 10, {"Fh": 1.0, "Fc": 0.2},
                               {"F": (10.0, 12.0), "T": (85.0, 95.0)}, layers=5)
    milp = [{"layer": i + 1, "objective": lay.objective, "Fh": lay.inputs["Fh"], "solve_s": round(lay.solve_seconds, 4),
             "build_s": round(lay.build_seconds, 4)} for i, lay in enumerate(layers)]
    print(milp)
    write_result("operability_oi", {"shower_2d": {"exact_oi": exact, "rows": shower_rows}, "tanh_3d": rows3,
                                    "milp_layers": {"grid": "10x10", "exact_objective": 25 / 6 + 0.2 * 35 / 6,
                                                    "layers": milp,
                                                    "total_s": round(time.perf_counter() - t0, 3)}})


if __name__ == "__main__":
    main()
