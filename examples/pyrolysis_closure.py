"""Closure networks for biomass pyrolysis
======================================

Closure re-parameterization of a 0D biomass-pyrolysis model, a priori and a posteriori (seed 003)::

    OMP_NUM_THREADS=1 python examples/pyrolysis_closure.py [outdir]

A small end-to-end run (under a minute on one core):

1. ground truth: 1-D conducting particles (Miller–Bellan kinetics) on a Latin hypercube;
2. a priori: black-box fit of the 10 activation energies per trajectory, then an MLP;
3. a posteriori: an MLP trained through the differentiable stiff 0D solve;
4. yield MSE of baseline / lower limit / both closures on held-out trajectories;
5. export the a-posteriori network, embed it in a Pyomo.DAE particle model and let
   Ipopt choose the oven temperature for a size mixture; check it on the 1-D model.

The full-size study (250 trajectories, learning curves, sweeps) is
``benchmarks/pyrolysis_closure.py``; its numbers are on the benchmarks pages
(``pyrolysis_closure``, ``pyrolysis_fidelity``, ``pyrolysis_design``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from idaes_ml.nn import export_onnx
from idaes_ml.surrogate import OnnxSurrogate
from flowsheets.pyrolysis.closure_case import (baseline_E, predict_E, run_a_priori, train_a_posteriori_net,
                                               train_a_priori_net, yield_errors)
from flowsheets.pyrolysis.data import design, generate
from flowsheets.pyrolysis.design import optimize_oven, validate


def main(outdir: Path) -> None:
    torch.set_num_threads(1)
    ds = generate(design(16, seed=7), n_nodes=10)
    train, test = ds.subset(range(12)), ds.subset(range(12, 16))
    fits = run_a_priori(train, max_nfev=50)
    reg = train_a_priori_net(train.conditions, fits, hidden=(16, 16), max_epochs=1000)
    net, result = train_a_posteriori_net(train, hidden=(8, 8), epochs=40, learning_rate=2e-2, progress=True)
    table = pd.DataFrame({
        "baseline": [yield_errors(baseline_E(len(d.conditions)), d).mean() for d in (train, test)],
        "lower limit (per-sample fit)": [fits.loss.mean(),
                                         run_a_priori(test, max_nfev=50, progress=False).loss.mean()],
        "a priori": [yield_errors(predict_E(reg, d.conditions), d).mean() for d in (train, test)],
        "a posteriori": [yield_errors(predict_E(net, d.conditions), d).mean() for d in (train, test)],
    }, index=["train MSE", "test MSE"]).T
    print(table.to_string(float_format="%.3e"))
    print(f"a-posteriori training: {result.seconds:.1f} s, best epoch {result.best_epoch}")

    export_onnx(net, outdir, "pyrolysis_closure")
    sur = OnnxSurrogate.load(outdir, "pyrolysis_closure")
    mix = pd.DataFrame({"feret_mm": [2.0, 5.0, 8.0], "aspect": [3.0, 3.0, 3.0], "weight": [0.3, 0.4, 0.3]})
    mix = mix[mix["feret_mm"].between(*sur.input_bounds()["feret_mm"])]
    res = optimize_oven(sur, mix, t_res=10.0)
    check = validate(res, mix, T_grid=np.linspace(*res.T_bounds, 8))
    print(f"EO optimum T_oven = {res.T_oven:.1f} K (Ipopt {res.seconds:.1f} s): tar predicted {res.tar:.3f}, "
          f"1-D truth {check['tar_hf_at_opt']:.3f}; best of 1-D scan {check['tar_hf_grid_best']:.3f} "
          f"at {check['T_hf_grid_best']:.0f} K")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("pyrolysis_closure_out"))
