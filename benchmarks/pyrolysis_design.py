"""Seed-003 embedding benchmark: EO oven design with the exported closure, validated on the 1-D model.

    OMP_NUM_THREADS=1 nice python benchmarks/pyrolysis_design.py

Needs ``results/pyrolysis_onnx/a_posteriori.onnx`` from ``pyrolysis_closure.py``.
Solves ``max_T_oven tar(t_res)`` for a particle-size mixture with Ipopt twice
(closure network embedded via OMLT; baseline activation energies), checks both
optima against a ground-truth temperature scan, and shows that a mixture outside
the trained domain is refused. Writes ``results/pyrolysis_design.json`` and
``results/pyrolysis_design.png``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from _common import RESULTS, write_result  # noqa: E402
from idaes_ml.errors import OutOfDomainError  # noqa: E402
from idaes_ml.plotting import save_figure  # noqa: E402
from idaes_ml.surrogate import OnnxSurrogate  # noqa: E402
from flowsheets.pyrolysis.design import build_design_model, optimize_oven, validate  # noqa: E402

MIXTURE = pd.DataFrame({"feret_mm": [2.0, 5.0, 8.0], "aspect": [3.0, 3.0, 3.0], "weight": [0.3, 0.4, 0.3]})
T_RES = 10.0


def main() -> None:
    sur = OnnxSurrogate.load(RESULTS / "pyrolysis_onnx", "a_posteriori")
    out: dict = {"mixture": MIXTURE.to_dict("list"), "t_res_s": T_RES}
    runs = {"closure": optimize_oven(sur, MIXTURE, t_res=T_RES), "baseline": optimize_oven(None, MIXTURE, t_res=T_RES)}
    T_grid = np.linspace(*runs["closure"].T_bounds, 12)
    for name, res in runs.items():
        check = validate(res, MIXTURE, T_grid=T_grid)
        out[name] = {"T_opt": res.T_oven, "tar_predicted": res.tar, "ipopt_seconds": res.seconds,
                     "status": res.status, "tar_hf_at_opt": check["tar_hf_at_opt"]}
        out["hf_scan"] = {"T": check["T_grid"], "tar": check["tar_hf_grid"],
                          "T_best": check["T_hf_grid_best"], "tar_best": check["tar_hf_grid_best"]}
        print(name, out[name])
    try:
        build_design_model(sur, MIXTURE.assign(feret_mm=[2.0, 5.0, 25.0]))
        out["out_of_domain_refused"] = False
    except OutOfDomainError as exc:
        out["out_of_domain_refused"] = True
        out["out_of_domain_message"] = str(exc)
    fig, ax = plt.subplots(figsize=(4.8, 3.5))
    ax.plot(out["hf_scan"]["T"], out["hf_scan"]["tar"], "ko-", label="1-D truth (scan)")
    for name, color in (("closure", "tab:blue"), ("baseline", "grey")):
        ax.plot(out[name]["T_opt"], out[name]["tar_predicted"], "s", color=color, label=f"EO optimum, {name} (model)")
        ax.plot(out[name]["T_opt"], out[name]["tar_hf_at_opt"], "x", color=color, ms=9,
                label=f"{name} optimum, 1-D truth")
    ax.set_xlabel("T_oven [K]")
    ax.set_ylabel(f"mixture tar yield at {T_RES:.0f} s")
    ax.legend(fontsize=7)
    save_figure(fig, RESULTS / "pyrolysis_design.png")
    print(write_result("pyrolysis_design", out))


if __name__ == "__main__":
    main()
