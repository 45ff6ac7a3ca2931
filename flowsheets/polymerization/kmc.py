"""Kinetic Monte Carlo (Gillespie) simulator of the same BA/AIBN mechanism, for validation.

    >>> from flowsheets.polymerization.kmc import kmc_simulate
    >>> from flowsheets.polymerization.simulator import Recipe
    >>> out = kmc_simulate(Recipe(1.0, 0.02, 80.0, 60.0), n_monomer=2e6, seed=1)
    >>> 0.0 < out.conversion < 0.5 and out.Mw > out.Mn
    True

Every molecule is explicit: the initiator count, the monomer count, each radical (its
length and kind: chain-end ``R``, mid-chain from backbiting ``QB`` or from transfer to
polymer ``QT``) and each dead chain's length.  The reaction volume is set by
``n_monomer`` (``N_A V = n_monomer / cBA0``).  Events and propensities (counts ``n``,
``c = n / (N_A V)``) are those of :mod:`~flowsheets.polymerization.simulator`:

* initiator decomposition ``kd n_I`` (each fragment starts an ``R_1`` with probability ``f``);
* propagation ``kp c_M n_R``, mid-chain propagation ``kpt c_M n_Q``, backbiting ``kbb n_R``
  (a chain shorter than 3 units does nothing), transfer to monomer ``ktrM c_M n_R``,
  transfer to polymer ``ktrP c_units n_R`` (the dead chain chosen with probability
  proportional to its length), beta-scission ``kbeta n_Q``;
* termination with ``kt(i,j) = c_xy sqrt(kt(i,i) kt(j,j))``: the propensity bound
  ``c_xy W_x W_y / (N_A V)`` (``W = sum sqrt(kt(i,i))``, times 2 for ``x != y``), the pair
  drawn with probability ``∝ sqrt(kt(i,i)) sqrt(kt(j,j))`` and a self-pair rejected
  (thinning, so the rate of each distinct pair is exact).

Compiled with numba; propagation dominates (one event per monomer unit consumed), about
5e6 events per second on one core (``benchmarks/polymerization_kmc.py`` records the times).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from idaes_ml.errors import DataError

from flowsheets.polymerization.kinetics import BA_AIBN, M_BA, Kinetics
from flowsheets.polymerization.mmd import mmd_from_chains
from flowsheets.polymerization.simulator import Recipe

__all__ = ["KMCResult", "kmc_simulate"]


@dataclass
class KMCResult:
    """Dead chains and monomer at ``recipe.time`` of one stochastic run."""

    recipe: Recipe
    conversion: float
    Mn: float
    Mw: float
    mmd: np.ndarray = field(repr=False)
    chains: np.ndarray = field(repr=False)  # dead-chain lengths
    events: int = 0
    radicals: int = 0  # radicals alive at the end (all kinds)


@njit(cache=True)
def _sk(n, table, tail_exp):
    if n < table.size:
        return table[n]
    return table[table.size - 1] * (n / (table.size - 1)) ** tail_exp


@njit(cache=True)
def _push(arr, n, value):
    if n == arr.size:
        new = np.empty(2 * arr.size, arr.dtype)
        new[:n] = arr[:n]
        arr = new
    arr[n] = value
    return arr


@njit(cache=True)
def _pick(lens, n, table, tail_exp, bound):
    """Index drawn with probability proportional to sqrt(kt(len, len)) (rejection)."""
    while True:
        i = np.random.randint(n)
        if np.random.random() * bound < _sk(lens[i], table, tail_exp):
            return i


@njit(cache=True)
def _run(n_monomer, n_init, v_na, t_end, kd, f, kp, kbb, kpt, ktrM, ktrP, kbeta, st, tt, comb,
         table, tail_exp, seed):
    np.random.seed(seed)
    r_len = np.empty(1024, np.int64)
    q_len = np.empty(1024, np.int64)
    q_tp = np.empty(1024, np.int64)  # 1: mid-chain radical from transfer to polymer
    dead = np.empty(1 << 16, np.int64)
    nR = nQ = nD = 0
    NM, NI = n_monomer, n_init
    units = 0  # repeat units in dead chains
    dmax = 1
    WR = WQ = 0.0
    bound = table[1]
    t = 0.0
    events = 0
    a = np.zeros(10)
    while True:
        cM = NM / v_na
        a[0] = kd * NI
        a[1] = kp * cM * nR
        a[2] = kbb * nR
        a[3] = kpt * cM * nQ
        a[4] = ktrM * cM * nR
        a[5] = ktrP * (units / v_na) * nR
        a[6] = kbeta * nQ
        a[7] = WR * WR / v_na
        a[8] = 2.0 * st * WR * WQ / v_na
        a[9] = tt * WQ * WQ / v_na
        a0 = a.sum()
        if a0 <= 0.0:
            break
        t += -math.log(1.0 - np.random.random()) / a0
        if t > t_end:
            break
        events += 1
        if events % 1000000 == 0:  # refresh the weight sums against round-off drift
            WR = 0.0
            for i in range(nR):
                WR += _sk(r_len[i], table, tail_exp)
            WQ = 0.0
            for i in range(nQ):
                WQ += _sk(q_len[i], table, tail_exp)
        u = np.random.random() * a0
        ev = 0
        while ev < 9 and u >= a[ev]:
            u -= a[ev]
            ev += 1
        if ev == 0:  # I -> 2 I*, I* + M -> R_1 with probability f each
            NI -= 1
            for _ in range(2):
                if np.random.random() < f and NM > 0:
                    NM -= 1
                    r_len = _push(r_len, nR, 1)
                    nR += 1
                    WR += _sk(1, table, tail_exp)
        elif ev == 1:  # propagation
            i = np.random.randint(nR)
            n = r_len[i]
            WR += _sk(n + 1, table, tail_exp) - _sk(n, table, tail_exp)
            r_len[i] = n + 1
            NM -= 1
        elif ev == 2:  # backbiting
            i = np.random.randint(nR)
            n = r_len[i]
            if n >= 3:
                s = _sk(n, table, tail_exp)
                WR -= s
                WQ += s
                nR -= 1
                r_len[i] = r_len[nR]
                q_len = _push(q_len, nQ, n)
                q_tp = _push(q_tp, nQ, 0)
                nQ += 1
        elif ev == 3:  # mid-chain propagation -> chain-end radical
            j = np.random.randint(nQ)
            n = q_len[j]
            WQ -= _sk(n, table, tail_exp)
            nQ -= 1
            q_len[j] = q_len[nQ]
            q_tp[j] = q_tp[nQ]
            r_len = _push(r_len, nR, n + 1)
            nR += 1
            WR += _sk(n + 1, table, tail_exp)
            NM -= 1
        elif ev == 4:  # transfer to monomer
            i = np.random.randint(nR)
            n = r_len[i]
            dead = _push(dead, nD, n)
            nD += 1
            units += n
            dmax = max(dmax, n)
            WR += _sk(1, table, tail_exp) - _sk(n, table, tail_exp)
            r_len[i] = 1
            NM -= 1
        elif ev == 5:  # transfer to polymer: dead chain picked with probability ~ length
            if nD == 0:
                continue
            while True:
                d = np.random.randint(nD)
                if np.random.random() * dmax < dead[d]:
                    break
            m = dead[d]
            nD -= 1
            dead[d] = dead[nD]
            units -= m
            q_len = _push(q_len, nQ, m)
            q_tp = _push(q_tp, nQ, 1)
            nQ += 1
            WQ += _sk(m, table, tail_exp)
            i = np.random.randint(nR)
            n = r_len[i]
            WR -= _sk(n, table, tail_exp)
            nR -= 1
            r_len[i] = r_len[nR]
            dead = _push(dead, nD, n)
            nD += 1
            units += n
            dmax = max(dmax, n)
        elif ev == 6:  # beta-scission
            j = np.random.randint(nQ)
            m = q_len[j]
            if q_tp[j] == 1 and m < 2:
                continue
            frag = m - 1 if q_tp[j] == 0 else 1 + np.random.randint(m - 1)
            WQ -= _sk(m, table, tail_exp)
            nQ -= 1
            q_len[j] = q_len[nQ]
            q_tp[j] = q_tp[nQ]
            dead = _push(dead, nD, frag)
            nD += 1
            units += frag
            dmax = max(dmax, frag)
            r_len = _push(r_len, nR, m - frag)
            nR += 1
            WR += _sk(m - frag, table, tail_exp)
        elif ev == 7:  # chain-end + chain-end
            i = _pick(r_len, nR, table, tail_exp, bound)
            j = _pick(r_len, nR, table, tail_exp, bound)
            if i == j:
                continue
            ni, nj = r_len[i], r_len[j]
            WR -= _sk(ni, table, tail_exp) + _sk(nj, table, tail_exp)
            if np.random.random() < comb:
                dead = _push(dead, nD, ni + nj)
                nD += 1
                dmax = max(dmax, ni + nj)
            else:
                dead = _push(dead, nD, ni)
                dead = _push(dead, nD + 1, nj)
                nD += 2
                dmax = max(dmax, ni, nj)
            units += ni + nj
            for k in (max(i, j), min(i, j)):
                nR -= 1
                r_len[k] = r_len[nR]
        elif ev == 8:  # chain-end + mid-chain, disproportionation
            i = _pick(r_len, nR, table, tail_exp, bound)
            j = _pick(q_len, nQ, table, tail_exp, bound)
            ni, nj = r_len[i], q_len[j]
            WR -= _sk(ni, table, tail_exp)
            WQ -= _sk(nj, table, tail_exp)
            dead = _push(dead, nD, ni)
            dead = _push(dead, nD + 1, nj)
            nD += 2
            units += ni + nj
            dmax = max(dmax, ni, nj)
            nR -= 1
            r_len[i] = r_len[nR]
            nQ -= 1
            q_len[j] = q_len[nQ]
            q_tp[j] = q_tp[nQ]
        else:  # mid-chain + mid-chain, disproportionation
            i = _pick(q_len, nQ, table, tail_exp, bound)
            j = _pick(q_len, nQ, table, tail_exp, bound)
            if i == j:
                continue
            ni, nj = q_len[i], q_len[j]
            WQ -= _sk(ni, table, tail_exp) + _sk(nj, table, tail_exp)
            dead = _push(dead, nD, ni)
            dead = _push(dead, nD + 1, nj)
            nD += 2
            units += ni + nj
            dmax = max(dmax, ni, nj)
            for k in (max(i, j), min(i, j)):
                nQ -= 1
                q_len[k] = q_len[nQ]
                q_tp[k] = q_tp[nQ]
    return dead[:nD].copy(), NM, events, nR + nQ


def kmc_simulate(recipe: Recipe, kinetics: Kinetics = BA_AIBN, n_monomer: float = 1e8,
                 seed: int = 0) -> KMCResult:
    """One Gillespie run of ``recipe`` with ``n_monomer`` monomer molecules at the start."""
    if not 1e3 <= n_monomer <= 1e11:
        raise DataError(f"n_monomer must be between 1e3 and 1e11, got {n_monomer!r}")
    k = kinetics.at(recipe.T)
    v_na = n_monomer / recipe.cBA0
    table = np.sqrt(kinetics.kt_ss(recipe.T, np.arange(1, 1 << 20)))
    table = np.concatenate([[table[0]], table])  # table[n] for n >= 1
    chains, NM, events, alive = _run(int(n_monomer), int(round(recipe.cAIBN0 * v_na)), v_na, recipe.time,
                                     k["kd"], k["f"], k["kp"], k["kbb"], k["kpt"], k["ktrM"], k["ktrP"],
                                     k["kbeta"], k["st_ratio"], k["tt_ratio"], k["comb_ss"], table,
                                     -kinetics.alpha_l / 2, seed)
    if chains.size == 0:
        raise DataError(f"no dead chains formed for {recipe} with n_monomer={n_monomer:.3g}; use more molecules")
    n = chains.astype(float)
    return KMCResult(recipe, conversion=1.0 - NM / int(n_monomer), Mn=M_BA * n.mean(),
                     Mw=M_BA * (n * n).sum() / n.sum(), mmd=mmd_from_chains(chains), chains=chains,
                     events=int(events), radicals=int(alive))
