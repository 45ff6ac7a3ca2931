"""Multi-step (open-loop) rollout of a neural state-space model and its honest error.

One-step fit says little about a model used over a horizon: :func:`rollout` feeds the
model its own predictions, and :func:`rollout_error` reports the RMSE of every state at
every horizon step against the true trajectory::

    >>> import numpy as np, pandas as pd
    >>> from idaes_ml.dynamics import NeuralStateSpace, rollout
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.uniform(-1, 1, 200), "u": rng.uniform(-1, 1, 200)})
    >>> m = NeuralStateSpace(["x"], ["u"], hidden=(8,), max_epochs=30, progress=False)
    >>> m = m.fit(X, pd.DataFrame({"x": 0.9 * X["x"] + 0.1 * X["u"]}))
    >>> rollout(m, {"x": 0.5}, pd.DataFrame({"u": [0.0, 0.0]})).shape
    (3, 1)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from idaes_ml.errors import DataError

from .state_space import NeuralStateSpace

__all__ = ["rollout", "rollout_error"]


def rollout(model: NeuralStateSpace, x0: dict, exogenous: pd.DataFrame) -> pd.DataFrame:
    """States ``x_0 .. x_N`` from ``x0`` under the N rows of inputs/disturbances ``exogenous``."""
    missing = [c for c in model.inputs + model.disturbances if c not in exogenous.columns]
    if missing:
        raise DataError(f"exogenous data lacks columns {missing}")
    x = {s: float(x0[s]) for s in model.states}
    rows = [dict(x)]
    for _, e in exogenous.iterrows():
        row = {**x, **{c: float(e[c]) for c in model.inputs + model.disturbances}}
        x = model.predict_next(pd.DataFrame([row])).iloc[0].to_dict()
        rows.append(dict(x))
    return pd.DataFrame(rows, columns=model.states)


def rollout_error(true: np.ndarray, pred: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """RMSE per horizon step (rows) and state (columns) over trajectories ``(n_traj, N+1, n_states)``."""
    true, pred = np.asarray(true, dtype=float), np.asarray(pred, dtype=float)
    if true.shape != pred.shape or true.ndim != 3 or true.shape[2] != len(labels):
        raise DataError(f"true {true.shape} and predicted {pred.shape} trajectories must match (n, N+1, {len(labels)})")
    rmse = np.sqrt(np.mean((true - pred) ** 2, axis=0))
    out = pd.DataFrame(rmse, columns=labels)
    out.index.name = "step"
    return out
