"""Direct inverse regression (the seed's study): MMD (+ cBA(t), Mn, Mw) -> recipe.

    >>> from flowsheets.polymerization.data import generate_dataset
    >>> from flowsheets.polymerization.direct_inverse import fit_direct, seed_table
    >>> train, test = generate_dataset(40, seed=1, progress=False), generate_dataset(10, seed=2, progress=False)
    >>> model = fit_direct("rf", "composite", train, n_estimators=20)
    >>> table, summary = seed_table(test[["cBA_0", "cAIBN_0", "temp", "time"]], model.predict(test))
    >>> list(table.columns), sorted(summary)
    (['MAE relativo', 'R²'], ['MSE global', 'R² global'])

Feature sets: ``"mmd"`` (the MMD values, less the low-M bins that no integer chain
length falls in: always zero) and ``"composite"`` (MMD + cBA_time + log10 Mn + log10 Mw).  Metrics follow the seed: the relative MAE of a parameter is its
MAE divided by the range of its true values; the global R² is the mean of the
per-parameter R² (sklearn ``uniform_average``), the global MSE the mean squared error
over all parameters in their own units.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

from idaes_ml.errors import DataError
from idaes_ml.metrics import check_finite, r2_per_output
from idaes_ml.nn import MLPRegressor

from flowsheets.polymerization.data import RECIPE_COLUMNS
from flowsheets.polymerization.mmd import FILLED_COLUMNS

__all__ = ["FEATURE_SETS", "features", "DirectInverse", "fit_direct", "seed_table"]

FEATURE_SETS = {"mmd": FILLED_COLUMNS, "composite": [*FILLED_COLUMNS, "cBA_time", "log10_Mn", "log10_Mw"]}


def features(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The model inputs of feature set ``kind`` from a data-set or target table."""
    if kind not in FEATURE_SETS:
        raise DataError(f"feature set must be one of {sorted(FEATURE_SETS)}, got {kind!r}")
    out = df.reindex(columns=[c for c in FEATURE_SETS[kind] if not c.startswith("log10_")]).copy()
    if kind == "composite":
        for m in ("Mn", "Mw"):
            if m not in df:
                raise DataError(f"composite features need column {m!r}")
            out[f"log10_{m}"] = np.log10(df[m].to_numpy(dtype=float))
    check_finite(out, f"{kind} features")
    return out[FEATURE_SETS[kind]]


class DirectInverse:
    """A fitted regressor from one feature set to the four recipe parameters."""

    def __init__(self, estimator: RandomForestRegressor | MLPRegressor, kind: str) -> None:
        self.estimator, self.kind = estimator, kind

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        """Predicted recipes (``RECIPE_COLUMNS``) for the rows of ``df``."""
        pred = self.estimator.predict(features(df, self.kind))
        return pd.DataFrame(np.asarray(pred, dtype=float), columns=RECIPE_COLUMNS, index=df.index)


def fit_direct(model: str, kind: str, train: pd.DataFrame, seed: int = 0, **params: Any) -> DirectInverse:
    """Fit ``model`` (``"rf"`` sklearn random forest or ``"nn"`` idaes_ml MLPRegressor)."""
    X, Y = features(train, kind), train[RECIPE_COLUMNS].astype(float)
    if model == "rf":
        est = RandomForestRegressor(**{"n_estimators": 300, "random_state": seed, "n_jobs": 1, **params})
        est.fit(X, Y.to_numpy())
    elif model == "nn":
        est = MLPRegressor(**{"hidden": (64, 64), "activation": "tanh", "max_epochs": 3000,
                              "patience": 200, "batch_size": 32, "weight_decay": 1e-5,
                              "seed": seed, "progress": False, **params})
        est.fit(X, Y)
    else:
        raise DataError(f"model must be 'rf' or 'nn', got {model!r}")
    return DirectInverse(est, kind)


def seed_table(y_true: pd.DataFrame, y_pred: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Per-parameter relative MAE and R² (the seed's Tables 1-3) and the global MSE / R²."""
    t, p = y_true[RECIPE_COLUMNS].astype(float), y_pred[RECIPE_COLUMNS].astype(float)
    err = (p.to_numpy() - t.to_numpy())
    span = (t.max() - t.min()).to_numpy()
    r2 = r2_per_output(t, p)
    table = pd.DataFrame({"MAE relativo": np.abs(err).mean(axis=0) / span, "R²": r2.to_numpy()},
                         index=RECIPE_COLUMNS)
    return table, {"MSE global": float((err**2).mean()), "R² global": float(r2.mean())}
