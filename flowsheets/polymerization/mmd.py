"""The molecular-mass distribution (MMD) as a 100-value vector on a fixed log10(M) grid.

The vector holds ``w(log10 M) = dW / dlog10 M`` (weight fraction per decade, the usual
SEC trace) on ``LOG10_M`` (100 bin centres, 2.5 to 7.5, bins of width ``DLOG10_M``),
normalized so that ``sum(w) * DLOG10_M == 1``.  A chain-length distribution (integer
lengths ``n = 1..N_MAX``, repeat unit ``M_BA``) is mapped onto it by binning the mass of
each length into the bin holding ``log10(n M_BA)`` -- the same histogram for the
deterministic number distribution and for the chains of a kinetic Monte Carlo run.

    >>> import numpy as np
    >>> from flowsheets.polymerization.mmd import LOG10_M, flory_mmd, averages_from_mmd
    >>> w = flory_mmd(nu=500.0)                  # most-probable distribution, 500 units
    >>> mn, mw = averages_from_mmd(w)
    >>> round(mw / mn, 1)
    2.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import gammaln

from idaes_ml.errors import DataError

from flowsheets.polymerization.kinetics import M_BA

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "N_MMD", "LOG10_M", "DLOG10_M", "MMD_COLUMNS", "N_MAX", "BIN_INDEX", "FILLED_COLUMNS",
    "mmd_from_number_distribution", "mmd_from_chains", "averages_from_mmd", "flory_mmd",
    "schulz_zimm_mmd", "check_mmd",
]

N_MMD = 100
LOG10_M = np.linspace(2.5, 7.5, N_MMD)
DLOG10_M = float(LOG10_M[1] - LOG10_M[0])
MMD_COLUMNS = [f"MMD_{i + 1}" for i in range(N_MMD)]
N_MAX = int(10.0 ** (LOG10_M[-1] + DLOG10_M / 2) / M_BA)  # longest chain on the grid
_LENGTHS = np.arange(1, N_MAX + 1)
BIN_INDEX = np.floor((np.log10(_LENGTHS * M_BA) - (LOG10_M[0] - DLOG10_M / 2)) / DLOG10_M).astype(np.int64)
"""Bin of chain length ``n`` at ``BIN_INDEX[n - 1]`` (negative: below the grid)."""
FILLED_COLUMNS = [MMD_COLUMNS[i] for i in np.unique(BIN_INDEX[BIN_INDEX >= 0])]
"""MMD columns that some integer chain length falls in (the lowest bins are narrower than
one repeat unit and some hold none: they are zero for every distribution)."""


def mmd_from_chains(lengths: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
    """Normalized MMD of chains with integer ``lengths`` (optionally weighted by ``counts``)."""
    n = np.asarray(lengths, dtype=np.int64)
    c = np.ones(n.shape) if counts is None else np.asarray(counts, dtype=float)
    keep = (n >= 1) & (n <= N_MAX)
    idx = BIN_INDEX[n[keep] - 1]
    ok = idx >= 0
    mass = np.bincount(idx[ok], weights=(n[keep] * c[keep])[ok], minlength=N_MMD)
    total = mass.sum() * DLOG10_M
    if not total > 0:
        raise DataError("the chain-length distribution has no mass on the log-M grid")
    return mass / total


def mmd_from_number_distribution(number: np.ndarray) -> np.ndarray:
    """Normalized MMD from chain concentrations ``number[n - 1]`` at lengths ``n = 1, 2, ...``."""
    number = np.asarray(number, dtype=float)[:N_MAX]
    return mmd_from_chains(_LENGTHS[: number.size], number)


def averages_from_mmd(w: np.ndarray) -> tuple[float, float]:
    """``(Mn, Mw)`` in g/mol from an MMD vector on the grid."""
    w = np.asarray(w, dtype=float)
    m = 10.0**LOG10_M
    return float(w.sum() / (w / m).sum()), float((w * m).sum() / w.sum())


def flory_mmd(nu: float) -> np.ndarray:
    """MMD of the most-probable (Flory) distribution with number-average length ``nu``."""
    alpha = 1.0 - 1.0 / nu
    return mmd_from_number_distribution((1 - alpha) * alpha ** (_LENGTHS - 1.0))


def schulz_zimm_mmd(nu: float, k: int = 2) -> np.ndarray:
    """MMD of ``k`` combined Flory chains (Schulz-Zimm, PDI ``1 + 1/k``); ``nu`` = Flory length."""
    alpha = 1.0 - 1.0 / nu
    n = _LENGTHS[k - 1:].astype(float)
    log_pmf = gammaln(n) - gammaln(k) - gammaln(n - k + 1) + k * np.log1p(-alpha) + (n - k) * np.log(alpha)
    return mmd_from_number_distribution(np.concatenate([np.zeros(k - 1), np.exp(log_pmf)]))


def check_mmd(w: ArrayLike, name: str = "MMD", rtol: float = 0.05) -> np.ndarray:
    """Return ``w`` as a float vector, or raise DataError if it is not a usable MMD.

    Checks: length ``N_MMD``, finite, non-negative, and ``sum(w) * DLOG10_M`` within
    ``rtol`` of 1 (a vector normalized to sum 1 instead is named as such).
    """
    w = np.asarray(w, dtype=float).ravel()
    if w.size != N_MMD:
        raise DataError(f"{name} must have {N_MMD} values on the log10(M) grid, got {w.size}")
    if not np.isfinite(w).all():
        bad = [MMD_COLUMNS[i] for i in np.flatnonzero(~np.isfinite(w))[:5]]
        raise DataError(f"{name} has NaN or inf values (e.g. {bad})")
    if (w < 0).any():
        raise DataError(f"{name} has negative values (min {w.min():.3g}); a distribution is >= 0")
    area = w.sum() * DLOG10_M
    if abs(area - 1.0) > rtol:
        hint = " (it sums to 1: divide by DLOG10_M)" if abs(w.sum() - 1) < rtol else ""
        raise DataError(f"{name} is not normalized: sum(w)*dlog10M = {area:.4g}, expected 1{hint}")
    return w
