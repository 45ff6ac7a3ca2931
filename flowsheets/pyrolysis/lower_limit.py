"""Lower limit of the 0D form: per-trajectory least squares over all 10 activation energies, no box.

    fits = fit_lower_limit(ds.conditions, ds.observed(OBSERVED), starts=multistarts(len(ds.conditions)))
    fits.mse.mean()                  # the lower limit of the test MSE any E_A closure can reach
    fits.status["converged"].sum()   # how many samples reached a convergence test

Every (sample, start) pair is one Levenberg–Marquardt problem in ``z = E / E_BASE``
with exact Jacobians (complex steps, :func:`flowsheets.pyrolysis.reduced.simulate_rows`);
all pairs advance together, so one iteration is one batched 0D integration. There is
no box: a trial step whose rate constants overflow (non-finite yields) is rejected and
the damping raised, as in any trust-region method. A pair stops when it meets one of
the tests of ``scipy.optimize.least_squares`` (``ftol``, ``xtol``, ``gtol``) or at
``max_iter`` (reported as not converged). The fit of a sample is its best start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from flowsheets.pyrolysis.kinetics import E_BASE, REACTIONS
from flowsheets.pyrolysis.reduced import context, simulate_rows

__all__ = ["LowerLimitFits", "multistarts", "fit_lower_limit"]


@dataclass
class LowerLimitFits:
    """Best fit per sample: ``params`` (E_A, kJ/mol), ``mse``; ``status`` per sample; ``starts`` per pair."""

    params: pd.DataFrame
    mse: pd.Series
    status: pd.DataFrame
    starts: pd.DataFrame


def multistarts(n: int, k: int = 4, spread: float = 0.15, seed: int = 0,
                extra: np.ndarray | None = None) -> np.ndarray:
    """Starts ``(n, S, 10)`` [kJ/mol]: the baseline, ``extra`` (``(n, 10)``, e.g. earlier fits), ``k`` random.

    Random starts scale each baseline E_A by ``1 + spread * N(0, 1)``.
    """
    rng = np.random.default_rng(seed)
    starts = [np.tile(E_BASE, (n, 1))] + ([np.asarray(extra, float)] if extra is not None else [])
    starts += [E_BASE * (1 + spread * rng.standard_normal((n, len(E_BASE)))) for _ in range(k)]
    return np.stack(starts, axis=1)


def _residuals(z: np.ndarray, ctx: np.ndarray, target: np.ndarray, jac: bool):
    """Scaled residuals ``(Q, m)`` (sum of squares = MSE) and optionally their Jacobian ``(Q, m, 10)`` in z."""
    m = target.shape[1]
    with np.errstate(all="ignore"):   # overflowing trial steps give non-finite costs and are rejected
        out = simulate_rows(z * E_BASE, ctx, jacobian=jac)
    Y, J = out if jac else (out, None)
    r = (Y.reshape(len(z), -1) - target) / np.sqrt(m)
    return (r, J.reshape(len(z), m, -1) * E_BASE / np.sqrt(m)) if jac else r


def fit_lower_limit(conditions: pd.DataFrame, targets: np.ndarray, starts: np.ndarray, max_iter: int = 3000,
                    ftol: float = 1e-10, xtol: float = 1e-10, gtol: float = 1e-10,
                    progress: bool = True) -> LowerLimitFits:
    """Unboxed multi-start Levenberg–Marquardt fits of the 10 E_A to each trajectory (module docstring).

    Args:
        conditions: one row per sample (``T_oven``, ``feret_mm``, ``aspect``).
        targets: ``(N, len(OBS_TIMES), 2)`` tar/char ground truth.
        starts: ``(N, S, 10)`` starting activation energies [kJ/mol] (:func:`multistarts`).
        max_iter: Jacobian evaluations per (sample, start) before it is reported as not converged.
        ftol, xtol, gtol: the convergence tests of ``scipy.optimize.least_squares``
            (relative cost decrease, relative step, max-norm of the gradient of the cost in ``z``).
    """
    n, s, p = starts.shape
    ctx = np.repeat(context(conditions), s, axis=0)
    target = np.repeat(np.asarray(targets, float).reshape(n, -1), s, axis=0)
    z = starts.reshape(-1, p) / E_BASE
    r = _residuals(z, ctx, target, jac=False)
    cost = (r**2).sum(1)
    lam = np.full(len(z), 1e-3)
    reason = np.full(len(z), "max_iter", dtype=object)
    iters = np.zeros(len(z), int)
    active = np.isfinite(cost)
    reason[~active] = "non-finite start"
    bar = tqdm(range(max_iter), desc="lower-limit LM", disable=not progress, mininterval=10)
    for _ in bar:
        idx = np.flatnonzero(active)
        bar.set_postfix(active=len(idx), refresh=False)
        if not len(idx):
            break
        iters[idx] += 1
        ri, Ji = _residuals(z[idx], ctx[idx], target[idx], jac=True)
        g = np.einsum("qm,qmp->qp", ri, Ji)                       # half the gradient of the cost
        H = np.einsum("qmp,qmk->qpk", Ji, Ji)
        done = np.abs(2 * g).max(1) < gtol
        reason[idx[done]] = "gtol"
        active[idx[done]] = False
        idx, g, H, ri = idx[~done], g[~done], H[~done], ri[~done]
        # up to 8 damping trials per iteration, all pairs in one batch per trial
        pending = np.ones(len(idx), bool)
        for _trial in range(8):
            q = np.flatnonzero(pending)
            if not len(q):
                break
            A = H[q] + lam[idx[q], None, None] * np.eye(p)
            step = -np.linalg.solve(A, g[q][:, :, None])[:, :, 0]
            zt = z[idx[q]] + step
            rt = _residuals(zt, ctx[idx[q]], target[idx[q]], jac=False)
            with np.errstate(all="ignore"):
                ct = (rt**2).sum(1)
            c0 = cost[idx[q]]
            pred = -2 * np.einsum("qp,qp->q", g[q], step) - np.einsum("qp,qpk,qk->q", step, H[q], step)
            ok = np.isfinite(ct) & (ct < c0)
            acc = q[ok]
            small_f = (c0[ok] - ct[ok] <= ftol * c0[ok]) & (pred[ok] <= ftol * c0[ok])
            small_x = np.linalg.norm(step[ok], axis=1) <= xtol * (xtol + np.linalg.norm(z[idx[acc]], axis=1))
            z[idx[acc]], cost[idx[acc]] = zt[ok], ct[ok]
            lam[idx[acc]] = np.maximum(lam[idx[acc]] / 3, 1e-12)
            fin = acc[small_f | small_x]
            reason[idx[fin]] = np.where(small_f, "ftol", "xtol")[small_f | small_x]
            active[idx[fin]] = False
            pending[acc] = False
            rej = q[~ok]
            lam[idx[rej]] *= 4
            tiny = rej[lam[idx[rej]] > 1e12]           # no decrease even for a vanishing step
            reason[idx[tiny]] = "no descent"
            active[idx[tiny]] = False
            pending[tiny] = False
    pairs = pd.DataFrame({"sample": np.repeat(np.arange(n), s), "start": np.tile(np.arange(s), n), "mse": cost,
                          "reason": reason, "iterations": iters})
    pairs["converged"] = pairs["reason"].isin(["ftol", "xtol", "gtol"])
    best = pairs.loc[pairs.groupby("sample")["mse"].idxmin()].reset_index(drop=True)
    spread = pairs.groupby("sample")["mse"].agg(lambda c: float(c.max() / c.min()) if c.min() > 0 else np.inf)
    status = best[["reason", "iterations", "converged", "start"]].assign(
        starts_converged=pairs.groupby("sample")["converged"].sum().to_numpy(),
        starts_within_1pct=pairs.assign(b=pairs.groupby("sample")["mse"].transform("min"))
        .eval("mse <= 1.01 * b").groupby(pairs["sample"]).sum().to_numpy(),
        worst_over_best=spread.to_numpy())
    params = z.reshape(n, s, p)[np.arange(n), best["start"].to_numpy()] * E_BASE
    return LowerLimitFits(pd.DataFrame(params, columns=[f"E_{r}" for r in REACTIONS], index=conditions.index),
                          pd.Series(best["mse"].to_numpy(), index=conditions.index, name="mse"),
                          status.set_index(conditions.index), pairs)
