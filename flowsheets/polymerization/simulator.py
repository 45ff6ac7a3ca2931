"""Deterministic simulator of isothermal batch solution FRP of n-butyl acrylate with AIBN.

    >>> from flowsheets.polymerization.simulator import Recipe, simulate
    >>> out = simulate(Recipe(cBA0=1.0, cAIBN0=0.02, T=70.0, time=3600.0))
    >>> 0.5 < out.conversion < 1.0 and out.Mw > out.Mn
    True

Mechanism (rate coefficients and sources in :mod:`flowsheets.polymerization.kinetics`)::

    I -> 2 f I*,  I* + M -> R_1       kd, efficiency f
    R_n + M -> R_n+1                  kp    (secondary, chain-end radical)
    R_n -> Q_n                        kbb   (backbiting to a mid-chain radical)
    Q_n + M -> R_n+1                  kpt   (mid-chain radical propagation)
    R_n + M -> D_n + R_1              ktrM  (transfer to monomer)
    X_n + Y_m -> D_n+m | D_n + D_m    kt_ss, kt_st, kt_tt (combination fraction comb_xy)

Assumptions: constant volume (dilute solution), chain-length-independent composite kt, no
gel effect, quasi-steady state for the radicals.  Because every coefficient is independent of
chain length, the QSSA radical populations are geometric, ``R_n = R (1-a) a^(n-1)`` and
``Q_n = Q (1-a) a^(n-1)`` with one ``a(t)``; the dead chains formed at each instant are a
mixture of a Flory (transfer, disproportionation) and a Schulz-Zimm k=2 (combination)
distribution.  Two things are integrated along the batch with ``solve_ivp``:

* the leading moments of the dead polymer (method of moments -> Mn, Mw), and
* the dead-chain number distribution itself at the 100 log-M grid points
  (accumulating the instantaneous distributions; gives the MMD vector).

They are computed independently (closed-form moments vs the distribution), so their
agreement is a check of the model (see tests).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from idaes_ml.errors import DataError, SolveFailedError

from flowsheets.polymerization.kinetics import BA_AIBN, KINETICS_VERSION, M_BA, Kinetics
from flowsheets.polymerization.mmd import CHAIN_LENGTH, MMD_COLUMNS, mmd_from_number_distribution

__all__ = ["Recipe", "SimulationResult", "simulate", "radical_qssa", "SIMULATOR_VERSION"]

SIMULATOR_VERSION = f"bafrp-1.1/{KINETICS_VERSION}"


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

    def as_row(self) -> dict[str, float]:
        """Flat record: recipe, cBA_time, conversion, Mn, Mw, MMD_1..MMD_100."""
        row = {"cBA_0": self.recipe.cBA0, "cAIBN_0": self.recipe.cAIBN0, "temp": self.recipe.T,
               "time": self.recipe.time, "cBA_time": self.cBA, "conversion": self.conversion,
               "Mn": self.Mn, "Mw": self.Mw}
        row.update(zip(MMD_COLUMNS, self.mmd.tolist()))
        return row


def radical_qssa(k: dict[str, float], I: float, M: float) -> tuple[float, float, float]:
    """Quasi-steady chain-end ``R``, mid-chain ``Q`` concentrations and the geometric ratio ``a``.

    ``Q`` solves ``kbb R = Q (kpt M + 2 kt_st R + 2 kt_tt Q)`` and ``R`` the radical balance
    ``2 f kd I = 2 kt_ss R^2 + 4 kt_st R Q + 2 kt_tt Q^2`` (IUPAC convention for kt).
    """
    Ri = 2.0 * k["f"] * k["kd"] * I

    def q_of(R: float) -> float:
        a, b, c = 2.0 * k["kt_tt"], k["kpt"] * M + 2.0 * k["kt_st"] * R, k["kbb"] * R
        return 0.0 if c == 0.0 else 2.0 * c / (b + math.sqrt(b * b + 4.0 * a * c))

    def g(R: float) -> float:
        Q = q_of(R)
        return 2 * k["kt_ss"] * R * R + 4 * k["kt_st"] * R * Q + 2 * k["kt_tt"] * Q * Q - Ri

    if Ri <= 0.0:
        return 0.0, 0.0, 0.0
    hi = math.sqrt(Ri / (2.0 * k["kt_ss"]))  # the root without mid-chain radicals
    R = hi if g(hi) <= 0.0 else brentq(g, 0.0, hi, xtol=1e-14 * hi, rtol=1e-12)
    Q = q_of(R)
    loss_q = k["kpt"] * M + 2 * k["kt_st"] * R + 2 * k["kt_tt"] * Q
    beta = k["kbb"] / loss_q if loss_q > 0 else 0.0
    grow = M * (k["kp"] + k["kpt"] * beta)  # R_n-1 and Q_n-1 = beta R_n-1 feed R_n
    loss_r = (k["kp"] + k["ktrM"]) * M + k["kbb"] + 2 * k["kt_ss"] * R + 2 * k["kt_st"] * Q
    return R, Q, grow / loss_r


def _rates(k: dict[str, float], I: float, M: float):
    """Monomer rate, and the dead-chain formation split into Flory and Schulz-Zimm parts."""
    R, Q, a = radical_qssa(k, I, M)
    flory = k["ktrM"] * M * R + 2 * (
        (1 - k["comb_ss"]) * k["kt_ss"] * R * R
        + 2 * (1 - k["comb_st"]) * k["kt_st"] * R * Q
        + (1 - k["comb_tt"]) * k["kt_tt"] * Q * Q
    )
    comb = k["comb_ss"] * k["kt_ss"] * R * R + 2 * k["comb_st"] * k["kt_st"] * R * Q + k["comb_tt"] * k["kt_tt"] * Q * Q
    initiation = 2.0 * k["f"] * k["kd"] * I  # each primary radical adds one monomer -> R_1
    rM = (k["kp"] * R + k["kpt"] * Q + k["ktrM"] * R) * M + initiation
    return rM, flory, comb, a


def _rhs(t, y, k, I0, M0):
    I, M = y[0] * I0, max(y[1], 0.0) * M0
    rM, flory, comb, a = _rates(k, I, M)
    m1 = 1.0 / (1.0 - a)
    m2 = (1.0 + a) * m1 * m1
    dlam = np.array([flory + comb, (flory + 2 * comb) * m1, flory * m2 + comb * (2 * m2 + 2 * m1 * m1)])
    n = CHAIN_LENGTH
    log_a = math.log(a) if a > 0 else -np.inf
    pmf = (1 - a) * np.exp((n - 1) * log_a)
    pmf2 = (n - 1) * (1 - a) ** 2 * np.exp((n - 2) * log_a)
    dD = (flory * pmf + comb * pmf2) * n * n / M0
    return np.concatenate(([-k["kd"] * y[0], -rM / M0], dlam / np.array([I0, M0, M0 * M0]), dD))


def simulate(recipe: Recipe, kinetics: Kinetics = BA_AIBN, rtol: float = 1e-7) -> SimulationResult:
    """Integrate the batch to ``recipe.time``; raise SolveFailedError if the integrator fails."""
    k = kinetics.at(recipe.T)
    I0, M0 = recipe.cAIBN0, recipe.cBA0
    y0 = np.zeros(5 + CHAIN_LENGTH.size)
    y0[:2] = 1.0
    sol = solve_ivp(_rhs, (0.0, recipe.time), y0, args=(k, I0, M0), method="LSODA",
                    rtol=rtol, atol=1e-12)
    if not sol.success:
        raise SolveFailedError(f"batch integration failed for {recipe}: {sol.message}", status=str(sol.status))
    y = sol.y[:, -1]
    M = y[1] * M0
    lam0, lam1, lam2 = y[2] * I0, y[3] * M0, y[4] * M0 * M0
    if lam0 <= 0:
        raise SolveFailedError(f"no polymer formed for {recipe}", status="no_polymer")
    R, Q, _ = radical_qssa(k, y[0] * I0, M)
    mmd = mmd_from_number_distribution(y[5:] * M0 / CHAIN_LENGTH**2)
    return SimulationResult(recipe, cBA=float(M), conversion=float(1.0 - M / M0),
                            Mn=float(M_BA * lam1 / lam0), Mw=float(M_BA * lam2 / lam1), mmd=mmd,
                            radicals=(float(R), float(Q)), moments=(float(lam0), float(lam1), float(lam2)))
