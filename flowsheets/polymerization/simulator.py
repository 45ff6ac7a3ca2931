"""Deterministic simulator of isothermal batch solution FRP of n-butyl acrylate with AIBN.

    >>> from flowsheets.polymerization.simulator import Recipe, simulate
    >>> out = simulate(Recipe(cBA0=1.0, cAIBN0=0.02, T=70.0, time=3600.0))
    >>> 0.5 < out.conversion < 1.0 and out.Mw > out.Mn
    True

Mechanism (rate coefficients and sources in :mod:`flowsheets.polymerization.kinetics`)::

    I -> 2 f I*,  I* + M -> R_1       kd, efficiency f
    R_n + M -> R_n+1                  kp    (secondary, chain-end radical)
    R_n -> QB_n          (n >= 3)     kbb   (backbiting to a mid-chain radical)
    Q_n + M -> R_n+1                  kpt   (mid-chain radical propagation, Q = QB or QT)
    QB_n -> D_n-1 + R_1               kbeta (beta-scission next to the chain end)
    QT_m -> D_j + R_m-j               kbeta (random scission, j uniform on 1..m-1)
    R_n + M -> D_n + R_1              ktrM  (transfer to monomer)
    R_n + D_m -> D_n + QT_m           ktrP * m  (transfer to polymer, per repeat unit)
    X_n + Y_m -> D_n+m | D_n + D_m    kt_xy(n,m), composite chain-length-dependent model

Method: full chain-length resolution ``n = 1..N_MAX`` (the longest chain on the MMD grid)
with quasi-steady radicals (:mod:`~flowsheets.polymerization.qssa`, one sweep in ``n``
per fixed-point iteration) and the dead-chain distribution integrated in time by the
midpoint rule on ``n_steps`` equal steps (combination by FFT convolution); the monomer
by an exponential midpoint step, the initiator exactly.  Assumptions: constant volume
(dilute solution), no gel effect, pseudo-linear chains (a branched chain is counted by
its total length).  The MMD is the binned mass distribution of the dead chains
(:func:`~flowsheets.polymerization.mmd.mmd_from_number_distribution`), the same
histogram the kinetic Monte Carlo simulator (:mod:`~flowsheets.polymerization.kmc`) gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft

from idaes_ml.errors import DataError, SolveFailedError

from flowsheets.polymerization.kinetics import BA_AIBN, KINETICS_VERSION, M_BA, Kinetics
from flowsheets.polymerization.mmd import MMD_COLUMNS, N_MAX, mmd_from_number_distribution
from flowsheets.polymerization.qssa import Radicals, solve_radicals

__all__ = ["Recipe", "SimulationResult", "simulate", "dead_chain_rates", "SIMULATOR_VERSION"]

SIMULATOR_VERSION = f"bafrp-2.0/{KINETICS_VERSION}"


@dataclass(frozen=True)
class Recipe:
    """Batch recipe: monomer and AIBN concentrations (mol/L), temperature (degC), time (s)."""

    cBA0: float
    cAIBN0: float
    T: float
    time: float

    def __post_init__(self):
        for name in ("cBA0", "cAIBN0", "time"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise DataError(f"recipe {name} must be a positive finite number, got {v!r}")
        if not (math.isfinite(self.T) and -50.0 < self.T < 200.0):
            raise DataError(f"recipe T must be in degC between -50 and 200, got {self.T!r}")


@dataclass
class SimulationResult:
    """State of the batch at ``recipe.time``."""

    recipe: Recipe
    cBA: float
    conversion: float
    Mn: float
    Mw: float
    mmd: np.ndarray = field(repr=False)
    radicals: tuple[float, float] = (0.0, 0.0)  # chain-end, mid-chain (mol/L) at the end
    moments: tuple[float, float, float] = (0.0, 0.0, 0.0)  # dead-polymer lambda_0..2 (mol/L)
    number: np.ndarray = field(default=None, repr=False)  # dead chains per length n = 1..N_MAX

    def as_row(self) -> dict[str, float]:
        """Flat record: recipe, cBA_time, conversion, Mn, Mw, MMD_1..MMD_100."""
        row = {"cBA_0": self.recipe.cBA0, "cAIBN_0": self.recipe.cAIBN0, "temp": self.recipe.T,
               "time": self.recipe.time, "cBA_time": self.cBA, "conversion": self.conversion,
               "Mn": self.Mn, "Mw": self.Mw}
        row.update(zip(MMD_COLUMNS, self.mmd.tolist()))
        return row


def _convolve(x: np.ndarray, resolution: int = 4096) -> np.ndarray:
    """``c[k] = sum_i x[i] x[k-i]`` by FFT, negatives from round-off removed.

    Beyond ``resolution`` points ``x`` is summed in blocks of ``h`` lengths, the block sums
    convolved and each result spread evenly over the ``h`` lengths around the pair's
    centre: mass and mean length are kept, the shape is smoothed on a scale ``h`` that is
    far below the chain length (``h ~ x.size / resolution``, ``x`` reaching ~20 x nu).
    """
    h = max(1, x.size // resolution)
    xb = np.pad(x, (0, -x.size % h)).reshape(-1, h).sum(axis=1)
    size = next_fast_len(2 * xb.size - 1, real=True)
    cb = np.maximum(irfft(rfft(xb, size) ** 2, size)[: 2 * xb.size - 1], 0.0)
    if h == 1:
        return cb
    return np.concatenate([np.zeros(h // 2), np.repeat(cb / h, h)])


def dead_chain_rates(k: dict[str, float], sk: np.ndarray, rad: Radicals, M: float, D: np.ndarray,
                     lam1: float) -> np.ndarray:
    """``dD_n/dt`` (mol/L/s, index ``n - 1``) for the radicals ``rad`` and dead chains ``D``.

    The result stops where it becomes zero (twice the radicals' cut, by combination).
    """
    n_r = rad.R.size
    s = sk[:n_r]
    R, QB, QT = rad.R, rad.QB, rad.QT  # cut where negligible (never below the longest dead chain)
    rate = np.zeros(min(D.size, 2 * n_r + 1))
    rate[:n_r] += (k["ktrM"] * M + k["ktrP"] * lam1 + 2 * s * ((1 - k["comb_ss"]) * rad.S_R
                                                                + k["st_ratio"] * rad.S_Q)) * R
    rate[:n_r] += 2 * s * (k["st_ratio"] * rad.S_R + k["tt_ratio"] * rad.S_Q) * (QB + QT)
    rate[: n_r - 1] += k["kbeta"] * QB[1:]
    if k["ktrP"] > 0:
        n = np.arange(1, n_r + 1)
        rate[:n_r] += rad.scission_src - k["ktrP"] * n * D[:n_r] * rad.R.sum()
    comb = k["comb_ss"] * _convolve(s * R)  # lengths i + j: index (i-1) + (j-1) + 1
    m = min(comb.size, rate.size - 1)
    rate[1: 1 + m] += comb[:m]
    return rate


def simulate(recipe: Recipe, kinetics: Kinetics = BA_AIBN, n_steps: int = 64) -> SimulationResult:
    """Integrate the batch to ``recipe.time``; raise SolveFailedError if the radical QSSA fails."""
    k = kinetics.at(recipe.T)
    sk = np.sqrt(kinetics.kt_ss(recipe.T, np.arange(1, N_MAX + 1)))
    I0, M0 = recipe.cAIBN0, recipe.cBA0
    ri = 2.0 * k["f"] * k["kd"]
    D = np.zeros(N_MAX)
    n = np.arange(1, N_MAX + 1, dtype=float)
    M, dt, work = M0, recipe.time / n_steps, np.zeros((4, 2 * N_MAX))
    rad = solve_radicals(k, sk, M0, ri * I0, D, 0.0, work=work)
    guess = np.array([rad.S_R, rad.S_Q, rad.R.sum(), rad.QB.sum()])
    k_m = _monomer_rate(k, rad, M0, ri * I0) / M0
    for step in range(n_steps):
        t_mid = (step + 0.5) * dt
        M_mid = M * math.exp(-k_m * dt / 2)
        Ri = ri * I0 * math.exp(-k["kd"] * t_mid)
        lam1 = float(n @ D) if k["ktrP"] > 0 else 0.0
        rad = solve_radicals(k, sk, M_mid, Ri, D, lam1, guess, work=work)
        k_m = _monomer_rate(k, rad, M_mid, Ri) / M_mid
        rate = dead_chain_rates(k, sk, rad, M_mid, D, lam1)
        D[: rate.size] = np.maximum(D[: rate.size] + dt * rate, 0.0)
        M *= math.exp(-k_m * dt)
    lam = (D.sum(), n @ D, (n * n) @ D)
    if lam[0] <= 0:
        raise SolveFailedError(f"no polymer formed for {recipe}", status="no_polymer")
    return SimulationResult(recipe, cBA=float(M), conversion=float(1.0 - M / M0),
                            Mn=float(M_BA * lam[1] / lam[0]), Mw=float(M_BA * lam[2] / lam[1]),
                            mmd=mmd_from_number_distribution(D), radicals=(float(rad.R.sum()), float(rad.Q.sum())),
                            moments=tuple(float(v) for v in lam), number=D)


def _monomer_rate(k: dict[str, float], rad: Radicals, M: float, Ri: float) -> float:
    """Monomer consumption (mol/L/s): initiation, propagation of both radical types, transfer."""
    return Ri + (k["kp"] + k["ktrM"]) * M * rad.R.sum() + k["kpt"] * M * rad.Q.sum()
