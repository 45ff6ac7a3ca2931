"""A-priori closure fitting: a black-box optimizer finds each sample's best parameters.

For every sample ``i`` (operating conditions ``row_i``, observed trajectory
``target_i``) scipy minimizes ``mean((simulate(p, row_i) - target_i)**2)`` over
the parameters ``p`` within ``bounds``; a network is then trained on the pairs
``(row_i, p_i)`` (e.g. :class:`idaes_ml.nn.MLPRegressor`). The fitted losses are
also the *lower error limit* of the reduced model form. Samples run through
:func:`idaes_ml.parallel.map`; a failed fit is reported, never dropped::

    >>> import numpy as np, pandas as pd
    >>> from idaes_ml.closure.apriori import fit_a_priori
    >>> def sim(P, row):                     # exponential decay, P: (n_sets, 1) rates
    ...     return np.exp(-P[:, :1] * np.linspace(0, 1, 6)[None, :] * row["scale"])
    >>> rows = pd.DataFrame({"scale": [1.0, 2.0]})
    >>> Y = np.stack([sim(np.array([[3.0]]), r)[0] for _, r in rows.iterrows()])
    >>> fits = fit_a_priori(sim, rows, Y, x0=[1.0], bounds=([0.1], [10.0]), labels=["k"], progress=False)
    >>> fits.params["k"].round(3).tolist(), bool(fits.loss.max() < 1e-12)
    ([3.0, 3.0], True)

``simulate(P, row)`` evaluates many parameter rows ``P`` (n_sets, p) for one
sample at once (finite-difference Jacobians need ``p + 1`` of them); it must be
a module-level function for Dask.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.optimize import least_squares, minimize

from idaes_ml.errors import DataError
from idaes_ml.parallel import map as pmap

if TYPE_CHECKING:
    from idaes_ml.parallel import ClientSpec

__all__ = ["APrioriFits", "fit_a_priori", "BLACK_BOX_METHODS"]

BLACK_BOX_METHODS = ("least_squares", "powell", "nelder-mead")


@dataclass
class APrioriFits:
    """Per-sample fits: ``params`` (DataFrame), ``loss`` (MSE Series), ``status`` (ok/message/nfev)."""

    params: pd.DataFrame
    loss: pd.Series
    status: pd.DataFrame

    @property
    def failed(self) -> pd.DataFrame:
        """Rows whose fit raised or whose optimizer reported failure."""
        return self.status[~self.status["ok"]]


def _fit_one(job, simulate, x0, lo, hi, method, max_nfev):
    """Fit one sample; returns ``(params, mse, message, nfev)``."""
    row, target = job
    target = np.asarray(target, dtype=float).ravel()
    scale = np.maximum(np.abs(x0), 1e-12)
    n = target.size

    def resid(z):
        return (np.asarray(simulate(np.atleast_2d(z * scale), row))[0].ravel() - target) / np.sqrt(n)

    def jac(z):  # forward differences, all perturbed sets in one batched call
        step = 1e-5 * np.maximum(np.abs(z), 1.0)
        Z = np.vstack([z, z + np.diag(step)])
        R = (np.asarray(simulate(Z * scale, row)).reshape(len(Z), -1) - target) / np.sqrt(n)
        return ((R[1:] - R[0]) / step[:, None]).T

    z0, bounds = x0 / scale, (lo / scale, hi / scale)
    if method == "least_squares":
        res = least_squares(resid, z0, jac=jac, bounds=bounds, x_scale="jac", max_nfev=max_nfev)
        z, message, nfev = res.x, res.message, res.nfev
    else:
        res = minimize(lambda z: float(np.sum(resid(z) ** 2)), z0, method=method,
                       bounds=list(zip(*bounds)), options={"maxfev": max_nfev * len(z0)})
        z, message, nfev = res.x, str(res.message), res.nfev
    mse = float(np.sum(resid(z) ** 2))
    if not np.isfinite(mse):
        raise FloatingPointError(f"non-finite loss at the optimum for conditions {dict(row)}")
    return z * scale, mse, message, int(nfev)


def fit_a_priori(
    simulate: Callable[[np.ndarray, pd.Series], np.ndarray],
    conditions: pd.DataFrame,
    targets: np.ndarray,
    x0: Sequence[float],
    bounds: tuple[Sequence[float], Sequence[float]],
    labels: Sequence[str] | None = None,
    method: str = "least_squares",
    max_nfev: int = 60,
    client: ClientSpec = None,
    progress: bool = True,
) -> APrioriFits:
    """Black-box fit of the parameters of every sample (rows of ``conditions``, ``targets``).

    Args:
        simulate: ``(P (n_sets, p), row) -> (n_sets, ...)`` observations.
        conditions: one row per sample (passed to ``simulate`` as a Series).
        targets: ``(N, ...)`` observations to match.
        x0: starting parameters (also the scale of each parameter).
        bounds: ``(low, high)`` per parameter.
        labels: parameter names (columns of ``params``).
        method: ``"least_squares"`` (trust-region reflective, FD Jacobian), ``"powell"`` or ``"nelder-mead"``.
        max_nfev: budget of residual evaluations (per parameter for the direct-search methods).
        client: forwarded to :func:`idaes_ml.parallel.map`.
        progress: show a progress bar.
    """
    if method not in BLACK_BOX_METHODS:
        raise ValueError(f"method {method!r} not supported; choose from {BLACK_BOX_METHODS}")
    x0 = np.asarray(x0, dtype=float)
    lo, hi = (np.asarray(b, dtype=float) for b in bounds)
    if len(conditions) != len(targets):
        raise DataError(f"{len(conditions)} condition rows but {len(targets)} targets")
    if lo.shape != x0.shape or hi.shape != x0.shape or not np.all(lo < hi) or not np.all((lo <= x0) & (x0 <= hi)):
        raise DataError("bounds must bracket x0 elementwise with low < high")
    labels = list(labels) if labels is not None else [f"p{i}" for i in range(len(x0))]
    fn = functools.partial(_fit_one, simulate=simulate, x0=x0, lo=lo, hi=hi, method=method, max_nfev=max_nfev)
    jobs = [(row, target) for (_, row), target in zip(conditions.iterrows(), targets)]
    results = pmap(fn, jobs, client=client, desc="a-priori fits", progress=progress)
    params = np.full((len(jobs), len(x0)), np.nan)
    loss = np.full(len(jobs), np.nan)
    status = []
    for r in results:
        if r.ok:
            params[r.index], loss[r.index], message, nfev = r.value
            status.append({"ok": True, "message": message, "nfev": nfev})
        else:
            status.append({"ok": False, "message": r.error, "nfev": 0})
    index = conditions.index
    return APrioriFits(pd.DataFrame(params, columns=labels, index=index),
                       pd.Series(loss, index=index, name="mse"), pd.DataFrame(status, index=index))
