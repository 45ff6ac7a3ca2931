"""Train, export, reload
=====================

Train a network with the estimator API, export it to ONNX + IDAES metadata, load it back.

Run: ``.venv/bin/python examples/train_and_export.py`` (writes to ``outputs/examples/``).
"""

from pathlib import Path

import numpy as np
import pandas as pd

from idaes_ml.nn import MLPRegressor, export_onnx, load_network
from idaes_ml.plotting import parity_plot

out = Path("outputs/examples")
rng = np.random.default_rng(0)
X = pd.DataFrame({"T": rng.uniform(300, 400, 400), "P": rng.uniform(1e5, 5e5, 400)})
# ideal-gas molar volume and a smooth enthalpy-like response
Y = pd.DataFrame({"v": 8.314 * X["T"] / X["P"], "h": 29.1 * (X["T"] - 298.15) + 1e-3 * X["P"] ** 0.5})
train, test = X.index < 300, X.index >= 300

reg = MLPRegressor(hidden=(32, 32), activation="softplus", max_epochs=1500,
                   curve_path=out / "training_curve.png").fit(X[train], Y[train])
print("held-out R²:\n" + reg.r2_per_output(X[test], Y[test]).to_string())
res = export_onnx(reg, out, "gas")
print(f"exported {res.onnx_path.name} + {res.info_path.name}; onnxruntime vs torch max |diff| = {res.max_abs_diff:.2e}")
net = load_network(out, "gas")
parity_plot(Y[test], net.predict(X[test]), out / "parity.png", title="ONNX network, held-out data")
print(f"plots in {out}/")
