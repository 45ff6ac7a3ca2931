"""Space-filling designs of experiments over named boxes.

    >>> from idaes_ml.sampling import latin_hypercube
    >>> df = latin_hypercube({"T": (300.0, 400.0), "P": (1e5, 2e5)}, n=8, seed=1)
    >>> df.shape, bool(df["T"].between(300, 400).all())
    ((8, 2), True)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import qmc

from idaes_ml.errors import DataError

__all__ = ["latin_hypercube", "check_bounds", "outside_bounds"]


def check_bounds(bounds: dict[str, tuple[float, float]]) -> None:
    """Raise :class:`DataError` unless every bound is a finite pair with ``lo < hi``."""
    if not bounds:
        raise DataError("bounds must name at least one variable")
    for name, pair in bounds.items():
        try:
            lo, hi = (float(v) for v in pair)
        except (TypeError, ValueError) as exc:
            raise DataError(f"bounds[{name!r}] must be a (low, high) pair, got {pair!r}") from exc
        if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
            raise DataError(f"bounds[{name!r}] = ({lo}, {hi}) must be finite with low < high")


def outside_bounds(row: dict[str, float], bounds: dict[str, tuple[float, float]],
                   rtol: float = 1e-6) -> dict[str, tuple[float, float, float]]:
    """``{name: (value, low, high)}`` for entries of ``row`` outside ``bounds``.

    A value within ``rtol`` x (high - low) of a bound counts as inside, so a solver's
    bound relaxation (Ipopt moves bounds by ~1e-8 relative) is not reported.
    """
    out = {}
    for k, (lo, hi) in bounds.items():
        if k in row:
            v, tol = float(row[k]), rtol * (hi - lo)
            if not lo - tol <= v <= hi + tol:
                out[k] = (v, lo, hi)
    return out


def latin_hypercube(
    bounds: dict[str, tuple[float, float]], n: int, seed: int = 0
) -> pd.DataFrame:
    """Draw ``n`` Latin-hypercube points inside ``bounds`` (column per name, reproducible by ``seed``)."""
    check_bounds(bounds)
    if n < 1:
        raise DataError(f"n must be a positive number of samples, got {n}")
    unit = qmc.LatinHypercube(d=len(bounds), seed=np.random.default_rng(seed)).random(n)
    lo = np.array([b[0] for b in bounds.values()], dtype=float)
    hi = np.array([b[1] for b in bounds.values()], dtype=float)
    return pd.DataFrame(qmc.scale(unit, lo, hi), columns=list(bounds))
