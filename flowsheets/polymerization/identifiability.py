"""Is the recipe identifiable from the MMD?  Fisher information and profile likelihood.

    >>> from flowsheets.polymerization.identifiability import observe, noise_sigma, fisher
    >>> truth = {"cBA_0": 1.5, "cAIBN_0": 0.01, "temp": 70.0, "time": 1800.0}
    >>> obs = observe(truth)
    >>> fi = fisher(truth, noise_sigma(obs, mmd_noise=0.03))
    >>> sorted(fi)
    ['corr', 'information', 'se_box_fraction']

Misfit (a Gaussian negative log-likelihood times 2): ``chi2 = sum(((y(x) - y_target) /
sigma)^2)`` over the 100 MMD values (``kind="mmd"``) plus cBA(t), log10 Mn and log10 Mw
(``kind="composite"``).  Noise model (:func:`noise_sigma`): every MMD value has the same
sigma, ``mmd_noise x ||w_target|| / sqrt(100)``, so that a target whose relative L2
error is ``mmd_noise`` has ``chi2 ~ 100`` -- the scale of a kinetic Monte Carlo MMD's
sampling noise (``benchmarks/polymerization_kmc.py`` measures it); cBA(t) has 1 %
and log10 Mn / Mw 0.01 (2.3 %).

* :func:`fisher` -- central-difference sensitivities at a recipe, in units of the box
  width of each variable; ``se_box_fraction`` = sqrt(diag(F^-1)) (Cramer-Rao standard
  error as a fraction of the box), ``corr`` the correlation matrix of F^-1.
* :func:`profile` -- fix one variable at each of ``values`` and minimize the misfit over
  the others (bounded least squares from the truth); a variable is identifiable to within
  a shift if its profile rises above ``chi2_1(0.95) = 3.84`` there.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

from flowsheets.polymerization.data import RECIPE_BOUNDS, RECIPE_COLUMNS, to_recipe
from flowsheets.polymerization.mmd import N_MMD
from flowsheets.polymerization.simulator import simulate

__all__ = ["observe", "noise_sigma", "fisher", "profile", "CHI2_95_1DOF"]

CHI2_95_1DOF = 3.841
_WIDTH = np.array([hi - lo for lo, hi in RECIPE_BOUNDS.values()])
_LOW = np.array([lo for lo, _ in RECIPE_BOUNDS.values()])


def observe(recipe: dict[str, float], kind: str = "mmd") -> np.ndarray:
    """Simulated observations of a recipe: the MMD, plus cBA(t), log10 Mn, log10 Mw if composite."""
    out = simulate(to_recipe(recipe))
    if kind == "mmd":
        return out.mmd
    return np.concatenate([out.mmd, [out.cBA, np.log10(out.Mn), np.log10(out.Mw)]])


def noise_sigma(obs: np.ndarray, mmd_noise: float) -> np.ndarray:
    """Per-observation sigma of the noise model in the module docstring."""
    sigma = np.full(obs.size, mmd_noise * np.linalg.norm(obs[:N_MMD]) / np.sqrt(N_MMD))
    if obs.size > N_MMD:
        sigma[N_MMD:] = [0.01 * obs[N_MMD], 0.01, 0.01]
    return sigma


def fisher(recipe: dict[str, float], sigma: np.ndarray, step: float = 0.01) -> dict:
    """Fisher information in box-width units from central differences of ``step`` box widths."""
    kind = "mmd" if sigma.size == N_MMD else "composite"
    x = np.array([recipe[k] for k in RECIPE_COLUMNS])
    J = np.empty((sigma.size, len(x)))
    for j in range(len(x)):
        h = step * _WIDTH[j]
        lo, hi = x.copy(), x.copy()
        lo[j], hi[j] = max(x[j] - h, _LOW[j]), min(x[j] + h, _LOW[j] + _WIDTH[j])
        y_hi = observe(dict(zip(RECIPE_COLUMNS, hi)), kind)
        y_lo = observe(dict(zip(RECIPE_COLUMNS, lo)), kind)
        J[:, j] = (y_hi - y_lo) / sigma / ((hi[j] - lo[j]) / _WIDTH[j])
    F = J.T @ J
    cov = np.linalg.pinv(F)
    se = np.sqrt(np.diag(cov))
    return {"information": F, "se_box_fraction": dict(zip(RECIPE_COLUMNS, se.tolist())),
            "corr": cov / np.outer(se, se)}


def profile(truth: dict[str, float], target: np.ndarray, sigma: np.ndarray, variable: str,
            values: list[float], max_nfev: int = 15) -> list[dict]:
    """Least misfit with ``variable`` fixed at each of ``values`` (others refitted from the truth)."""
    kind = "mmd" if sigma.size == N_MMD else "composite"
    free = [k for k in RECIPE_COLUMNS if k != variable]
    idx = [RECIPE_COLUMNS.index(k) for k in free]
    rows = []
    for v in values:
        def resid(z: np.ndarray) -> np.ndarray:
            rec = {variable: v, **{k: _LOW[i] + zi * _WIDTH[i] for k, i, zi in zip(free, idx, z)}}
            return (observe(rec, kind) - target) / sigma

        z0 = np.clip([(truth[k] - _LOW[i]) / _WIDTH[i] for k, i in zip(free, idx)], 0.0, 1.0)
        fit = least_squares(resid, z0, bounds=(0.0, 1.0), diff_step=1e-3, max_nfev=max_nfev)
        best = {k: float(_LOW[i] + zi * _WIDTH[i]) for k, i, zi in zip(free, idx, fit.x)}
        rows.append({variable: float(v), "chi2": float(2 * fit.cost), "nfev": int(fit.nfev), **best})
    return rows
