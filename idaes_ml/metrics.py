"""Accuracy metrics and data checks shared by training, benchmarks and case studies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from idaes_ml.errors import DataError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["check_finite", "r2_per_output", "as_frame"]


def as_frame(data: pd.DataFrame | ArrayLike, labels: list[str] | None = None, prefix: str = "x") -> pd.DataFrame:
    """Return ``data`` as a float DataFrame; 2-D arrays get ``labels`` or ``prefix0..`` columns."""
    if isinstance(data, pd.DataFrame):
        if labels is not None and list(data.columns) != list(labels):
            missing = [c for c in labels if c not in data.columns]
            if missing:
                raise DataError(f"columns {missing} missing; expected {list(labels)}")
            data = data[list(labels)]
        return data.astype(float)
    arr = np.asarray(data, dtype=float)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1) if labels is None or len(labels) == 1 else arr.reshape(1, -1)
    if arr.ndim != 2:
        raise DataError(f"expected a 2-D table, got an array of shape {arr.shape}")
    if labels is None:
        labels = [f"{prefix}{i}" for i in range(arr.shape[1])]
    if len(labels) != arr.shape[1]:
        raise DataError(f"{arr.shape[1]} columns given but {len(labels)} labels expected: {list(labels)}")
    return pd.DataFrame(arr, columns=list(labels))


def check_finite(data: pd.DataFrame | np.ndarray, name: str = "data") -> None:
    """Raise :class:`DataError` naming the columns of ``data`` that hold NaN or inf."""
    df = as_frame(data)
    bad = [str(c) for c in df.columns if not np.isfinite(df[c].to_numpy()).all()]
    if bad:
        raise DataError(f"{name} has NaN or inf values in columns {bad}")


def r2_per_output(y_true: pd.DataFrame | np.ndarray, y_pred: pd.DataFrame | np.ndarray) -> pd.Series:
    """Coefficient of determination of each column (labels from ``y_true``)."""
    t = as_frame(y_true, prefix="y")
    p = as_frame(y_pred, labels=list(t.columns))
    if len(t) != len(p):
        raise DataError(f"y_true has {len(t)} rows but y_pred has {len(p)}")
    resid = ((t.to_numpy() - p.to_numpy()) ** 2).sum(axis=0)
    total = ((t.to_numpy() - t.to_numpy().mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(total > 0, 1.0 - resid / np.where(total > 0, total, 1.0), np.where(resid == 0, 1.0, 0.0))
    return pd.Series(r2, index=t.columns, name="r2")
