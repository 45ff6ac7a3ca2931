"""Lower limit of the 0D form: per-trajectory least squares over all 10 activation energies, no box.

    fits = fit_lower_limit(ds.conditions, ds.observed(OBSERVED), starts=multistarts(len(ds.conditions)))
    fits.mse.mean()                  # the lower limit of the test MSE any E_A closure can reach
    fits.status["converged"].sum()   # how many best fits carry the second-order certificate

Every (sample, start) pair is one Levenberg–Marquardt problem in ``z = E / E_BASE``
with exact Jacobians (complex steps, :func:`flowsheets.pyrolysis.reduced.simulate_rows`);
all pairs advance together, so one iteration is one batched 0D integration. There is
no box: a trial step whose rate constants overflow (non-finite yields) is rejected and
the damping raised, as in any trust-region method. A pair stops when it meets one of
the tests of ``scipy.optimize.least_squares`` (``ftol``, ``xtol``, ``gtol``) or at
``max_iter``. The fit of a sample is its best start.

Levenberg–Marquardt is Gauss–Newton with damping: it drops the residual-curvature term of
the Hessian, which matters here because the 0D form cannot fit the particle model (large
residuals), so it crawls along the flat valleys of the sloppy E_A directions. Each
sample's best start is therefore polished by a trust-region Newton method
(:func:`polish_newton`, exact Hessian: central differences of the exact complex-step
gradient) and counts as converged only with a second-order certificate at the final point:

* the Hessian is positive semi-definite (smallest eigenvalue ``>= -psd_rtol`` times the largest);
* the Newton decrement over the curved directions (eigenvalues above ``null_rtol`` times the
  largest), ``0.5 g' H^+ g``, i.e. the decrease still available in the local quadratic
  model, is at most ``dec_rtol`` times the MSE plus ``dec_atol`` (for exact fits, MSE ~ 0);
* along the flat directions (the rest) the gradient is at most ``gtol_abs + gtol_rel * MSE``.

Flat directions are E_A combinations the data do not determine: there the minimum MSE
is reached along a valley, not at a point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from tqdm.auto import tqdm

from flowsheets.pyrolysis.kinetics import E_BASE, REACTIONS
from flowsheets.pyrolysis.reduced import context, simulate_rows

__all__ = ["LowerLimitFits", "multistarts", "fit_lower_limit", "polish_newton"]


@dataclass
class LowerLimitFits:
    """Best fit per sample: ``params`` (E_A, kJ/mol), ``mse``; ``status`` per sample; ``starts`` per pair.

    ``status`` has the Levenberg–Marquardt outcome of the best start (``lm_reason``,
    ``iterations``), the Newton polish (``newton_iterations``, ``grad_inf``,
    ``hess_min_eig_rel``, ``decrement_rel``) and ``converged`` (the second-order certificate).
    """

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


def polish_newton(conditions: pd.DataFrame, targets: np.ndarray, E: np.ndarray, max_iter: int = 200,
                  dec_rtol: float = 1e-8, dec_atol: float = 1e-20, null_rtol: float = 1e-10, gtol_abs: float = 1e-13,
                  gtol_rel: float = 1e-6, psd_rtol: float = 1e-8, progress: bool = True) -> pd.DataFrame:
    """Trust-region Newton from ``E`` (``(N, 10)`` kJ/mol) per sample, with the certificate of the module docstring.

    Returns one row per sample: the E_A, ``mse``, ``newton_iterations``, ``grad_inf``
    (max-norm of the MSE gradient in ``z = E/E_BASE``), ``hess_min_eig_rel`` (smallest over
    largest Hessian eigenvalue), ``decrement_rel`` (Newton decrement over the MSE) and
    ``certified``. The MSE never rises above the start's.
    """
    ctx_all = context(conditions)
    tgt_all = np.asarray(targets, float).reshape(len(conditions), -1)
    rows = []
    for q in tqdm(range(len(conditions)), desc="lower-limit Newton", disable=not progress, mininterval=10):
        ctx, tgt = ctx_all[q:q + 1], tgt_all[q:q + 1]

        def cost(z: np.ndarray) -> float:
            return float((_residuals(z[None], ctx, tgt, jac=False) ** 2).sum())

        def grads(Z: np.ndarray) -> np.ndarray:
            r, J = _residuals(Z, np.repeat(ctx, len(Z), 0), np.repeat(tgt, len(Z), 0), jac=True)
            return 2 * np.einsum("qm,qmp->qp", r, J)

        def hess(z: np.ndarray, eps: float = 1e-6) -> np.ndarray:
            G = grads(np.vstack([z + eps * np.eye(len(z)), z - eps * np.eye(len(z))]))
            H = (G[:len(z)] - G[len(z):]) / (2 * eps)
            return 0.5 * (H + H.T)

        z0 = np.asarray(E[q], float) / E_BASE
        c0 = cost(z0)
        with np.errstate(all="ignore"):  # overflowing trial steps give non-finite costs and are rejected
            res = minimize(cost, z0, jac=lambda z: grads(z[None])[0], hess=hess, method="trust-exact",
                           options={"gtol": gtol_abs * 1e-3, "maxiter": max_iter})
        z, c = (res.x, float(res.fun)) if np.isfinite(res.fun) and res.fun <= c0 else (z0, c0)
        g = grads(z[None])[0]
        eig, V = np.linalg.eigh(hess(z))
        eig_rel = float(eig.min() / eig.max()) if eig.max() > 0 else -np.inf
        gv = V.T @ g
        curved = eig > null_rtol * max(eig.max(), 0.0)
        decrement = 0.5 * float((gv[curved] ** 2 / eig[curved]).sum())
        flat_slope = float(np.abs(gv[~curved]).max()) if (~curved).any() else 0.0
        ok = eig_rel >= -psd_rtol and decrement <= dec_rtol * c + dec_atol and flat_slope <= gtol_abs + gtol_rel * c
        rows.append([*(z * E_BASE), c, int(res.nit), float(np.abs(g).max()), eig_rel,
                     decrement / c if c > 0 else 0.0, bool(ok)])
    cols = [f"E_{r}" for r in REACTIONS] + ["mse", "newton_iterations", "grad_inf", "hess_min_eig_rel",
                                            "decrement_rel", "certified"]
    return pd.DataFrame(rows, columns=cols, index=conditions.index)


def fit_lower_limit(conditions: pd.DataFrame, targets: np.ndarray, starts: np.ndarray, max_iter: int = 3000,
                    ftol: float = 1e-10, xtol: float = 1e-10, gtol: float = 1e-10,
                    progress: bool = True) -> LowerLimitFits:
    """Unboxed multi-start Levenberg–Marquardt fits of the 10 E_A to each trajectory, best start
    polished by :func:`polish_newton` (module docstring).

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
    params = z.reshape(n, s, p)[np.arange(n), best["start"].to_numpy()] * E_BASE
    newton = polish_newton(conditions, targets, params, progress=progress)
    status = pd.DataFrame({
        "lm_reason": best["reason"].to_numpy(), "iterations": best["iterations"].to_numpy(),
        "converged": newton["certified"].to_numpy(), "start": best["start"].to_numpy(),
        "starts_converged": pairs.groupby("sample")["converged"].sum().to_numpy(),
        "starts_within_1pct": pairs.assign(b=pairs.groupby("sample")["mse"].transform("min"))
        .eval("mse <= 1.01 * b").groupby(pairs["sample"]).sum().to_numpy(),
        "worst_over_best": spread.to_numpy(),
        **{k: newton[k].to_numpy() for k in ("newton_iterations", "grad_inf", "hess_min_eig_rel", "decrement_rel")}},
        index=conditions.index)
    return LowerLimitFits(newton[[f"E_{r}" for r in REACTIONS]], newton["mse"].rename("mse"), status, pairs)
