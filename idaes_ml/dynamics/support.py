"""Where a model's training data lie, as constraints an optimizer must respect (a domain guard).

:class:`Support` is the training box intersected with a Mahalanobis ellipsoid: the inputs ``z``
of a network may only take values with ``lo <= z <= hi`` and ``(z - mean)' P (z - mean) <= r^2``
(``P`` the inverse covariance of the training inputs, ``r`` the largest distance of a training row,
or the ``coverage`` quantile).  The box alone admits corners no data came near (e.g. a cold reactor
at maximum throughput); the ellipsoid removes them with one smooth convex constraint per query::

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500)
    >>> s = Support.fit(pd.DataFrame({"a": x, "b": x + 0.1 * rng.normal(size=500)}))
    >>> s.contains({"a": 1.0, "b": 1.0}), s.contains({"a": 1.0, "b": -1.0})
    (True, False)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from idaes_ml.errors import DataError

__all__ = ["Support"]


@dataclass(frozen=True)
class Support:
    """Training box and Mahalanobis ellipsoid of ``labels``; see the module docstring."""

    labels: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    mean: np.ndarray
    precision: np.ndarray
    radius2: float

    @classmethod
    def fit(cls, data: pd.DataFrame, coverage: float = 1.0) -> "Support":
        """Support of the rows of ``data``: ``coverage`` is the fraction of rows inside the ellipsoid."""
        if not 0.5 <= coverage <= 1.0:
            raise DataError(f"coverage must be in [0.5, 1], got {coverage}")
        Z = data.to_numpy(dtype=float)
        if len(Z) <= Z.shape[1]:
            raise DataError(f"need more rows than the {Z.shape[1]} columns to fit a support, got {len(Z)}")
        mean = Z.mean(axis=0)
        precision = np.linalg.pinv(np.atleast_2d(np.cov(Z, rowvar=False)))
        d2 = np.einsum("ij,jk,ik->i", Z - mean, precision, Z - mean)
        return cls(tuple(data.columns), Z.min(axis=0), Z.max(axis=0), mean, precision, float(np.quantile(d2, coverage)))

    def distance2(self, row: Mapping[str, float]) -> float:
        """Squared Mahalanobis distance of ``row`` from the training mean."""
        z = np.array([float(row[c]) for c in self.labels]) - self.mean
        return float(z @ self.precision @ z)

    def violations(self, row: Mapping[str, float], rtol: float = 1e-6) -> list[str]:
        """Why ``row`` lies outside the support (empty when inside), one message per reason."""
        msgs = []
        for c, lo, hi in zip(self.labels, self.low, self.high):
            v, tol = float(row[c]), rtol * (hi - lo)
            if not lo - tol <= v <= hi + tol:
                msgs.append(f"{c}={v:.4g} outside training range [{lo:.4g}, {hi:.4g}]")
        d2 = self.distance2(row)
        if d2 > self.radius2 * (1 + rtol):
            msgs.append(f"Mahalanobis distance {np.sqrt(d2):.3g} beyond the training data's {np.sqrt(self.radius2):.3g}")
        return msgs

    def contains(self, row: Mapping[str, float]) -> bool:
        """Whether ``row`` lies inside the box and the ellipsoid."""
        return not self.violations(row)

    def constrain(self, block: pyo.Block, values: Mapping[str, object], shrink: float = 1.0) -> None:
        """Add ``block.support_box`` and ``block.support_ellipsoid`` keeping ``values`` (Pyomo expressions
        keyed by label) inside the support; ``shrink`` < 1 scales the ellipsoid's radius down."""
        z = [values[c] - float(m) for c, m in zip(self.labels, self.mean)]
        block.support_box = pyo.ConstraintList()
        for c, lo, hi in zip(self.labels, self.low, self.high):
            if not isinstance(values[c], (int, float)):
                block.support_box.add(pyo.inequality(float(lo), values[c], float(hi)))
        P = self.precision
        n = len(z)
        quad = sum(float(P[i, j]) * z[i] * z[j] for i in range(n) for j in range(n) if P[i, j] != 0.0)
        block.support_ellipsoid = pyo.Constraint(expr=quad <= shrink**2 * self.radius2)

    def to_dict(self) -> dict:
        """JSON-ready form (lists)."""
        return {"labels": list(self.labels), "low": self.low.tolist(), "high": self.high.tolist(),
                "mean": self.mean.tolist(), "precision": self.precision.tolist(), "radius2": self.radius2}

    @classmethod
    def from_dict(cls, d: Mapping[str, Sequence]) -> "Support":
        """Inverse of :meth:`to_dict`."""
        return cls(tuple(d["labels"]), *(np.asarray(d[k], dtype=float) for k in ("low", "high", "mean", "precision")),
                   float(d["radius2"]))
