"""Quasi-steady chain-length distributions of the radicals (numba kernel of the simulator).

    >>> import numpy as np
    >>> from flowsheets.polymerization.kinetics import BA_AIBN
    >>> from flowsheets.polymerization.qssa import Radicals, solve_radicals
    >>> rad = solve_radicals(BA_AIBN.at(70.0), BA_AIBN.kt_ss(70.0, np.arange(1, 1001)) ** 0.5,
    ...                      M=1.0, Ri=1e-7, D=np.zeros(1000), lam1=0.0)
    >>> bool(rad.R.sum() > 0 and rad.Q.sum() > rad.R.sum())     # mid-chain radicals dominate
    True

Three radical populations per chain length ``n``: chain-end radicals ``R_n``, mid-chain
radicals from backbiting ``QB_n`` (radical on the third unit from the end) and from
intermolecular transfer to polymer ``QT_n`` (radical at a random unit).  With the
geometric-mean termination ``kt_xy(i,j) = c_xy sqrt(kt(i,i) kt(j,j))`` every
termination loss of a radical of length ``n`` is ``sqrt(kt(n,n))`` times a weighted sum
``S_R = sum sqrt(kt(m,m)) R_m`` or ``S_Q`` over all radicals, so for given scalars
``(S_R, S_Q)`` the balances are a linear first-order recursion in ``n``
(one sweep).  The scalars are found by a secant iteration on the sweep; a radical tail below 1e-9 of the largest population is cut (beyond the longest dead
chain when transfer to polymer is on).
Scission fragments: ``QB_n -> D_(n-1) + R_1`` (the short fragment, really 2-3 units, is
counted as one unit: below the MMD grid's resolution); ``QT_m -> D_j + R_(m-j)``, ``j`` uniform
on ``1..m-1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from idaes_ml.errors import SolveFailedError

__all__ = ["Radicals", "solve_radicals"]


@dataclass
class Radicals:
    """Radical distributions (mol/L per chain length, index ``n - 1``) and the scalars."""

    R: np.ndarray
    QB: np.ndarray
    QT: np.ndarray
    S_R: float
    S_Q: float
    scission_src: np.ndarray  # sum_{m>n} kbeta QT_m / (m-1): fragments of length n

    @property
    def Q(self) -> np.ndarray:
        """All mid-chain radicals."""
        return self.QB + self.QT


@njit(cache=True)
def _sweep(M, Ri, sk, D, lam1, kp, kbb, kpt, ktrM, ktrP, kbeta, st, tt, scal, R, QB, QT, scis, n_dead):
    """One sweep for fixed termination sums; returns new ``(S_R, S_Q, R_tot, B)`` and the cut.

    The recursion is run for two sources at once -- a unit source at ``n = 1`` (``u``) and
    the transfer-to-polymer scission fragments (``w``) -- and the ``n = 1`` source
    ``s1 = Ri + ktrM M R_tot + kbeta B`` is then solved for exactly, ``R = s1 u + w``.
    """
    S_R, S_Q, Rtot = scal[0], scal[1], scal[2]
    N = sk.size
    if ktrP > 0.0:
        acc = 0.0
        for i in range(n_dead - 1, -1, -1):
            scis[i] = acc
            LQ = kpt * M + 2.0 * sk[i] * (st * S_R + tt * S_Q) + (kbeta if i >= 1 else 0.0)
            QT[i] = ktrP * (i + 1) * D[i] * Rtot / LQ
            if i >= 1:
                acc += kbeta * QT[i] / i
    # u: response to a unit n = 1 source (stored in R, QB); w: to the scission sources
    wR, wQ = R[N:], QB[N:]  # the second halves of the work rows
    su = np.zeros(4)  # sum sk*uR, sum sk*uQB, sum uR, sum uQB
    sw = np.zeros(4)
    rmax, n_eff = 0.0, N
    for i in range(N):
        s = sk[i]
        inv_lr = 1.0 / ((kp + ktrM) * M + ktrP * lam1 + (kbb if i >= 2 else 0.0) + 2.0 * s * (S_R + st * S_Q))
        qfac = kbb / (kpt * M + kbeta + 2.0 * s * (st * S_R + tt * S_Q)) if i >= 2 else 0.0
        if i == 0:
            R[0] = inv_lr
        else:
            R[i] = (kp * M * R[i - 1] + kpt * M * QB[i - 1]) * inv_lr
        QB[i] = qfac * R[i]
        su[0] += s * R[i]
        su[1] += s * QB[i]
        su[2] += R[i]
        su[3] += QB[i]
        if ktrP > 0.0:
            if i >= n_dead:  # no dead chains this long: no QT, no fragments
                QT[i] = 0.0
                scis[i] = 0.0
            src = scis[i] + (kp * M * wR[i - 1] + kpt * M * (wQ[i - 1] + QT[i - 1]) if i > 0 else 0.0)
            wR[i] = src * inv_lr
            wQ[i] = qfac * wR[i]
            sw[0] += s * wR[i]
            sw[1] += s * (wQ[i] + QT[i])
            sw[2] += wR[i]
            sw[3] += wQ[i]
        rmax = max(rmax, R[i] + QB[i])
        if i > 50 and i >= n_dead and R[i] + QB[i] < 1e-9 * rmax:
            n_eff = i + 1
            break
    s1 = (Ri + ktrM * M * sw[2] + kbeta * sw[3]) / (1.0 - ktrM * M * su[2] - kbeta * su[3])
    for i in range(n_eff):
        R[i] *= s1
        QB[i] *= s1
        if ktrP > 0.0:
            R[i] += wR[i]
            QB[i] += wQ[i]
    return s1 * su + sw, n_eff


@njit(cache=True)
def _solve(M, Ri, sk, D, lam1, kp, kbb, kpt, ktrM, ktrP, kbeta, st, tt, scal, R, QB, QT, scis, n_dead, tol,
           max_iter):
    """Secant on ``g(x) = log(S_R + S_Q)(x) - x``, ``x = log(S_R + S_Q)``, with the split
    ``S_R / (S_R + S_Q)``, ``R_tot`` and ``B`` taken from the latest sweep."""
    args = (M, Ri, sk, D, lam1, kp, kbb, kpt, ktrM, ktrP, kbeta, st, tt)
    n_eff = sk.size
    x_old, g_old = 0.0, 0.0
    for it in range(max_iter):
        new, n_eff = _sweep(*args, scal, R, QB, QT, scis, n_dead)
        x = np.log(scal[0] + scal[1])
        g = np.log(new[0] + new[1]) - x
        phi = new[0] / (new[0] + new[1])
        dphi = abs(phi - scal[0] / (scal[0] + scal[1]))
        if ktrP > 0.0:  # QT is proportional to R_tot of the previous sweep
            dphi += abs(new[2] / scal[2] - 1.0)
        scal[2], scal[3] = new[2], new[3]
        if abs(g) + dphi < tol:
            return it + 1, n_eff
        step = 0.5 * g
        if it > 0 and g != g_old:
            step = -g * (x - x_old) / (g - g_old)
        step = max(min(step, 2.0), -2.0)
        x_old, g_old = x, g
        scal[0] = np.exp(x + step) * phi
        scal[1] = np.exp(x + step) * (1.0 - phi)
    return -1, n_eff


def solve_radicals(k: dict[str, float], sk: np.ndarray, M: float, Ri: float, D: np.ndarray, lam1: float,
                   guess: np.ndarray | None = None, tol: float = 1e-9, work: np.ndarray | None = None) -> Radicals:
    """QSSA radical distributions for monomer ``M``, initiation rate ``Ri`` and dead chains ``D``.

    ``sk[n-1] = sqrt(kt_ss(n,n))``; ``guess`` (updated in place) holds ``(S_R, S_Q, R_tot, B)``
    from a previous call; ``work`` (shape ``(4, 2 * sk.size)``) is scratch space reused between
    calls (the returned arrays are views into it).  Raises SolveFailedError if the
    iteration does not converge.
    """
    N = sk.size
    scal = guess if guess is not None else np.array([np.sqrt(Ri / 2), 10 * np.sqrt(Ri / 2), np.sqrt(Ri / 2) / sk[-1], 0.0])
    work = np.zeros((4, 2 * N)) if work is None else work
    R, QB, QT, scis = work
    n_dead = 0
    if k["ktrP"] > 0 and D.any():  # longest dead chain that matters (FFT round-off aside)
        n_dead = int(np.flatnonzero(D > 1e-12 * D.max())[-1]) + 1
    its, n_eff = _solve(M, Ri, sk, D, lam1, k["kp"], k["kbb"], k["kpt"], k["ktrM"], k["ktrP"], k["kbeta"],
                        k["st_ratio"], k["tt_ratio"], scal, R, QB, QT, scis, n_dead, tol, 50)
    if its < 0:
        raise SolveFailedError(f"radical QSSA did not converge (M={M:.3g}, Ri={Ri:.3g})", status="qssa")
    return Radicals(R[:n_eff], QB[:n_eff], QT[:n_eff], float(scal[0]), float(scal[1]), scis[:n_eff])
