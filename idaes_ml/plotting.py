"""PNG figures people would rather see than tables: parity plots, training curves."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from idaes_ml.io import atomic_write  # noqa: E402
from idaes_ml.metrics import as_frame, r2_per_output  # noqa: E402

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["save_figure", "parity_plot", "training_curve", "balance_closure_plot"]


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Save ``fig`` as PNG atomically and close it."""
    path = Path(path)
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path


def parity_plot(
    y_true: pd.DataFrame | np.ndarray,
    y_pred: pd.DataFrame | np.ndarray,
    path: str | os.PathLike,
    title: str | None = None,
) -> Path:
    """One predicted-vs-true panel per output column, R² in each panel title."""
    t = as_frame(y_true, prefix="y")
    p = as_frame(y_pred, labels=list(t.columns))
    r2 = r2_per_output(t, p)
    n = len(t.columns)
    ncol = min(n, 4)
    nrow = math.ceil(n / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 3.0 * nrow), squeeze=False)
    for ax, col in zip(axes.flat, t.columns):
        x, y = t[col].to_numpy(), p[col].to_numpy()
        lo, hi = float(np.nanmin([x.min(), y.min()])), float(np.nanmax([x.max(), y.max()]))
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.scatter(x, y, s=10, alpha=0.7)
        ax.set_title(f"{col}\nR²={r2[col]:.4f}", fontsize=8)
        ax.set_xlabel("true", fontsize=8)
        ax.set_ylabel("predicted", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)


def training_curve(history: dict[str, list[float]], path: str | os.PathLike) -> Path:
    """Loss curves (log scale) of every series in ``history`` against epoch."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, values in history.items():
        if len(values):
            ax.semilogy(np.arange(1, len(values) + 1), values, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled MSE)")
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)




def balance_closure_plot(closure: pd.DataFrame, path: str | os.PathLike, title: str | None = None,
                         floor: float = 1e-17) -> Path:
    """Relative balance residual of every point, sorted, one line per column (log scale).

    Residuals below ``floor`` (exact closure in double precision) are drawn at ``floor``.
    """
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for name in closure.columns:
        ax.semilogy(np.sort(np.maximum(closure[name].to_numpy(float), floor)), marker=".", label=str(name))
    ax.set_xlabel("point (sorted by residual)")
    ax.set_ylabel("relative imbalance |in - out| / in")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend()
    return save_figure(fig, path)
