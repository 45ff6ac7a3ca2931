"""Reduced Miller–Bellan biomass pyrolysis kinetics (seed 003, Tables 2 and 3).

Scheme of R.S. Miller & J. Bellan, "A generalized biomass pyrolysis model based
on superimposed cellulose, hemicellulose and lignin kinetics", Combust. Sci.
Technol. 126 (1997) 97–137, with the rate constants tabulated by Q. Xiong,
S.-C. Kong & A. Passalacqua, Chem. Eng. Sci. 99 (2013) 305–313: each component
``X`` (cellulose c, hemicellulose h, lignin l) turns into an active form
(``k1X``), which gives tar (``k2X``) or char + gas (``k3X``, char fraction
``Y_X``); tar cracks to gas (``k4``). Rates are first order, ``k = A exp(-E/RT)``.
Masses are fractions of the initial particle mass; the remainder of the initial
composition (1 - 0.94821, moisture/ash) is inert. The 0D model neglects heats
of reaction; the 1-D particle (:mod:`flowsheets.pyrolysis.particle`) adds them.

The rate functions take an array module ``xp`` (``numpy`` or ``torch``) so the
same expressions drive the scipy ground truth and the differentiable torch model::

    >>> import numpy as np
    >>> from flowsheets.pyrolysis.kinetics import species_rates, E_BASE, M0
    >>> d = species_rates(np.array(700.0), list(M0), E_BASE, np)
    >>> bool(abs(sum(d)) < 1e-12 * max(abs(v) for v in d))   # total mass is conserved
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from types import ModuleType, SimpleNamespace

    from flowsheets.pyrolysis.properties import Numeric

__all__ = ["REACTIONS", "SPECIES", "A", "E_BASE", "CHAR_FRACTION", "M0", "R_GAS",
           "rate_constants", "rates_from_constants", "species_rates", "jacobian_entries", "STOICHIOMETRY", "species_jacobian"]

R_GAS = 8.314462618  # J/(mol K)

#: Reaction labels in the seed's Table 2 order (the closure's 10 activation energies).
REACTIONS = ["k1c", "k2c", "k3c", "k1h", "k2h", "k3h", "k1l", "k2l", "k3l", "k4"]
#: Pre-exponential factors [1/s] (seed Table 2; Xiong et al. 2013).
A = np.array([2.80e19, 3.28e14, 1.30e10, 2.10e16, 8.75e15, 2.60e11, 9.60e8, 1.50e9, 7.70e6, 4.25e6])
#: Baseline activation energies [kJ/mol] (seed Table 2; Xiong et al. 2013).
E_BASE = np.array([242.4, 196.5, 150.5, 186.7, 202.4, 145.7, 107.6, 143.8, 111.4, 108.0])
#: Char mass fraction of the k3 products of cellulose, hemicellulose, lignin.
CHAR_FRACTION = (0.35, 0.60, 0.75)

#: Species order of the 9 mass fractions (seed Table 3 numbering 1..9).
SPECIES = ["cellulose", "hemicellulose", "lignin", "active_c", "active_h", "active_l", "tar", "gas", "char"]
#: Initial mass fractions (cellulose, hemicellulose, lignin as in the issue; products zero).
M0 = np.array([0.40177, 0.23887, 0.30757, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])


def rate_constants(T: Numeric, E: Sequence[Numeric] | np.ndarray,
                   xp: ModuleType | SimpleNamespace = np) -> list[Numeric]:
    """The 10 rate constants [1/s] at temperature ``T`` [K] for activation energies ``E`` [kJ/mol].

    ``E`` is a sequence of 10 (scalars or arrays broadcasting with ``T``).
    """
    return [float(a) * xp.exp(-1000.0 * E[j] / (R_GAS * T)) for j, a in enumerate(A)]


def rates_from_constants(k: Sequence, m: Sequence) -> list:
    """Table 3 right-hand sides for rate values ``k`` (10) and masses ``m`` (9, SPECIES order).

    The rates are linear in ``k``: passing ``dk/dT`` gives ``d rates / dT``.
    """
    y = CHAR_FRACTION
    r1 = [k[0] * m[0], k[3] * m[1], k[6] * m[2]]
    r2 = [k[1] * m[3], k[4] * m[4], k[7] * m[5]]
    r3 = [k[2] * m[3], k[5] * m[4], k[8] * m[5]]
    r4 = k[9] * m[6]
    return [
        -r1[0], -r1[1], -r1[2],
        r1[0] - r2[0] - r3[0], r1[1] - r2[1] - r3[1], r1[2] - r2[2] - r3[2],
        r2[0] + r2[1] + r2[2] - r4,
        (1 - y[0]) * r3[0] + (1 - y[1]) * r3[1] + (1 - y[2]) * r3[2] + r4,
        y[0] * r3[0] + y[1] * r3[1] + y[2] * r3[2],
    ]


def species_rates(T: Numeric, m: Sequence, E: Sequence[Numeric] | np.ndarray,
                  xp: ModuleType | SimpleNamespace = np) -> list:
    """d(mass fraction)/dt of the 9 species (Table 3) at temperature ``T``; ``m`` in SPECIES order."""
    return rates_from_constants(rate_constants(T, E, xp), m)


def jacobian_entries(k: Sequence) -> list[tuple[int, int, object]]:
    """``(i, j, d rate_i / d m_j)`` for rate constants ``k``; lower-triangular (``j <= i``)."""
    y = CHAR_FRACTION
    return [(0, 0, -k[0]), (1, 1, -k[3]), (2, 2, -k[6]),
            (3, 0, k[0]), (3, 3, -(k[1] + k[2])),
            (4, 1, k[3]), (4, 4, -(k[4] + k[5])),
            (5, 2, k[6]), (5, 5, -(k[7] + k[8])),
            (6, 3, k[1]), (6, 4, k[4]), (6, 5, k[7]), (6, 6, -k[9]),
            (7, 3, (1 - y[0]) * k[2]), (7, 4, (1 - y[1]) * k[5]), (7, 5, (1 - y[2]) * k[8]), (7, 6, k[9]),
            (8, 3, y[0] * k[2]), (8, 4, y[1] * k[5]), (8, 5, y[2] * k[8])]


def species_jacobian(T: Numeric, m: Sequence, E: Sequence[Numeric] | np.ndarray,
                     xp: ModuleType | SimpleNamespace = np) -> tuple[list[tuple[int, int, object]], list]:
    """Sparse Jacobian of :func:`species_rates`: ``(entries, dT)``.

    ``entries`` lists ``(i, j, d rate_i / d m_j)``; ``dT[i]`` is ``d rate_i / dT``.
    """
    k = rate_constants(T, E, xp)
    dk = [k[j] * 1000.0 * E[j] / (R_GAS * T * T) for j in range(10)]
    return jacobian_entries(k), rates_from_constants(dk, m)


def _stoichiometry() -> np.ndarray:
    """``S`` (10, 81) with ``K = (k @ S).reshape(9, 9)`` the rate matrix, ``dm/dt = K m``."""
    S = np.zeros((10, 81))
    for j in range(10):
        unit = np.eye(10)[j]
        for i, jj, v in jacobian_entries(unit):
            S[j, 9 * i + jj] += v
    return S


#: Maps the 10 rate constants to the flattened 9x9 rate matrix (kinetics are linear in ``m``).
STOICHIOMETRY = _stoichiometry()
