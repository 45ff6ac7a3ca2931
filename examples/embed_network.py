"""Embed a network with every OMLT formulation
===========================================

Embed a trained network in Pyomo with every OMLT formulation and optimize over it.

Run: ``.venv/bin/python examples/embed_network.py`` (writes to ``outputs/examples/``).

A smooth (softplus) network is maximized with Ipopt in full and reduced space; a
ReLU network of the same data is maximized globally as a MILP with HiGHS (big-M
and partition formulations). Each optimum is checked against onnxruntime.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from idaes.core.surrogate.surrogate_block import SurrogateBlock

from idaes_ml.nn import MLPRegressor, export_onnx
from idaes_ml.surrogate import OnnxSurrogate

out = Path("outputs/examples")
rng = np.random.default_rng(0)
X = pd.DataFrame({"x1": rng.uniform(-1.5, 1.5, 200), "x2": rng.uniform(-1.5, 1.5, 200)})


def bump(x1, x2):
    """Function learned by the networks; its maximum is 1.0425 at (0.450, -0.300)."""
    return np.exp(-(x1 - 0.4) ** 2 - (x2 + 0.3) ** 2) + 0.1 * x1


Y = pd.DataFrame({"y": bump(X.x1, X.x2)})

for activation, formulations, solver in (("softplus", ("full_space", "reduced_space"), "ipopt"),
                                         ("relu", ("relu_bigm", "relu_partition"), "appsi_highs")):
    reg = MLPRegressor(hidden=(12, 12), activation=activation, max_epochs=600, learning_rate=5e-3,
                       progress=False).fit(X, Y)
    export_onnx(reg, out, f"bump_{activation}")
    for formulation in formulations:
        surrogate = OnnxSurrogate.load(out, f"bump_{activation}", formulation=formulation)
        m = pyo.ConcreteModel()
        m.x = pyo.Var(["x1", "x2"], initialize=0.0)
        m.y = pyo.Var()
        m.net = SurrogateBlock()
        m.net.build_model(surrogate, input_vars=[m.x], output_vars=[m.y])  # bounds from the training data
        m.obj = pyo.Objective(expr=m.y, sense=pyo.maximize)
        pyo.assert_optimal_termination(pyo.SolverFactory(solver).solve(m))
        x_opt = pd.DataFrame({k: [pyo.value(m.x[k])] for k in ("x1", "x2")})
        check = surrogate.evaluate_surrogate(x_opt)["y"].iloc[0]
        print(f"{formulation:>15} ({solver}): max y = {pyo.value(m.y):.5f} at "
              f"x = ({x_opt.x1[0]:+.3f}, {x_opt.x2[0]:+.3f}); onnxruntime there: {check:.5f}; "
              f"true function there: {bump(x_opt.x1[0], x_opt.x2[0]):.5f}")
