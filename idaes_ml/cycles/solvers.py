"""Batched tear-stream solvers for ``x = G(x)``: direct substitution, Wegstein, Newton, L-BFGS.

All solvers work on a batch of independent problems (one row each), in scaled
coordinates ``z = x / scale``, and report per row whether ``max|G(x) - x| / scale``
fell below ``tol``::

    >>> import torch
    >>> G = lambda x: 0.5 * x + 1.0                        # fixed point x* = 2
    >>> r = solve(G, torch.zeros(3, 1), method="wegstein")
    >>> bool(r.converged.all()), round(float(r.x[0, 0]), 6)
    (True, 2.0)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

__all__ = ["SolveResult", "solve", "METHODS", "residual", "jacobian"]

Map = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class SolveResult:
    """Final iterate, per-row convergence and iteration counts, residual history, time."""

    x: torch.Tensor
    converged: torch.Tensor
    iterations: torch.Tensor
    history: list[torch.Tensor] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Share of rows that converged."""
        return float(self.converged.float().mean())


def residual(G: Map, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Row-wise max-norm of the scaled fixed-point residual (inf where not finite)."""
    with torch.no_grad():
        r = ((G(x) - x) / scale).abs().amax(dim=1)
    return torch.where(torch.isfinite(r), r, torch.full_like(r, float("inf")))


def _loop(G, x0, scale, tol, max_iter, step) -> SolveResult:
    x = x0.clone()
    n = x.shape[0]
    converged = torch.zeros(n, dtype=torch.bool)
    iterations = torch.full((n,), max_iter, dtype=torch.long)
    history = []
    state: dict = {}
    for k in range(max_iter + 1):
        with torch.no_grad():
            gx = G(x)
        r = ((gx - x) / scale).abs().amax(dim=1)
        r = torch.where(torch.isfinite(r), r, torch.full_like(r, float("inf")))
        history.append(r.clone())
        newly = (r < tol) & ~converged
        iterations[newly] = k
        converged |= r < tol
        if bool(converged.all()) or k == max_iter:
            break
        x_new = step(x, gx, state)
        x = torch.where(converged[:, None], x, x_new)
    return SolveResult(x, converged, iterations, history)


def _direct(G, x0, scale, tol, max_iter, **_):
    return _loop(G, x0, scale, tol, max_iter, lambda x, gx, s: gx)


def _wegstein(G, x0, scale, tol, max_iter, q_min=-5.0, q_max=0.0, **_):
    def step(x, gx, s):
        if "x" not in s:
            s["x"], s["gx"] = x, gx
            return gx
        dx, dg = x - s["x"], gx - s["gx"]
        with torch.no_grad():
            slope = torch.where(dx.abs() > 1e-12 * scale, dg / torch.where(dx == 0, torch.ones_like(dx), dx),
                                torch.zeros_like(dx))
            q = torch.where((slope - 1).abs() > 1e-12, slope / (slope - 1), torch.zeros_like(slope))
            q = q.clamp(q_min, q_max)
        s["x"], s["gx"] = x, gx
        return q * x + (1 - q) * gx

    return _loop(G, x0, scale, tol, max_iter, step)


def jacobian(G: Map, x: torch.Tensor) -> torch.Tensor:
    """Row-wise Jacobian ``[B, n, n]`` of ``G`` at ``x`` (``J[b, i, j] = dG_i/dx_j``), detached.

    One backward pass per output (rows of ``G`` are independent, so summing over the
    batch gives every row's gradient at once).
    """
    n = x.shape[1]
    xr = x.detach().requires_grad_(True)
    with torch.enable_grad():
        g = G(xr)
        rows = [torch.autograd.grad(g[:, j].sum(), xr, retain_graph=j < n - 1)[0] for j in range(n)]
    return torch.stack(rows, dim=1)


def _newton(G, x0, scale, tol, max_iter, damping=1.0, **_):
    def step(x, gx, s):
        n = x.shape[1]
        f = (gx - x) / scale
        eye = torch.eye(n, dtype=x.dtype).expand(x.shape[0], n, n)
        J = (jacobian(G, x) - eye) / scale[:, None]  # [B, n, n]: d f_j / d x_i
        try:
            dx = torch.linalg.solve(J, -f.detach().unsqueeze(-1)).squeeze(-1)
        except RuntimeError:  # singular batch: least squares instead
            dx = torch.linalg.lstsq(J, -f.detach().unsqueeze(-1)).solution.squeeze(-1)
        dx = torch.where(torch.isfinite(dx), dx, torch.zeros_like(dx))
        return x + damping * dx

    return _loop(G, x0, scale, tol, max_iter, step)


def _sq_residual(G, z, scale) -> torch.Tensor:
    """Per-row ``||(G(x) - x) / scale||^2`` at ``x = z * scale``."""
    return (((G(z * scale) - z * scale) / scale) ** 2).sum(dim=1)


def _loss_grad(G, z, scale) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`_sq_residual` and its gradient in ``z`` (non-finite rows contribute none)."""
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        f = _sq_residual(G, z, scale)
        (g,) = torch.autograd.grad(torch.where(torch.isfinite(f), f, torch.zeros_like(f)).sum(), z)
    return f.detach(), g


def _loss(G, z, scale) -> torch.Tensor:
    """:func:`_sq_residual` without gradient, ``inf`` where not finite."""
    with torch.no_grad():
        f = _sq_residual(G, z, scale)
    return torch.where(torch.isfinite(f), f, torch.full_like(f, float("inf")))


def _lbfgs(G, x0, scale, tol, max_iter, history_size=10, max_backtracks=30, **_):
    """L-BFGS on each row's ``||G(x) - x||^2`` (Nocedal & Wright 2006, Alg. 7.4 two-loop
    recursion), vectorized over the batch: every row keeps its own curvature pairs and its
    own Armijo backtracking step, so rows do not share (or spoil) one line search."""

    def step(x, gx, s):
        z = x / scale
        f, g = _loss_grad(G, z, scale)
        pairs = s.setdefault("pairs", [])
        if "z" in s:
            sk, yk = z - s["z"], g - s["g"]
            sy = (sk * yk).sum(dim=1)
            valid = sy > 1e-12 * (yk * yk).sum(dim=1).clamp_min(1e-300)  # curvature condition, per row
            pairs.append((sk, yk, torch.where(valid, 1.0 / sy.clamp_min(1e-300), torch.zeros_like(sy))))
            del pairs[:-history_size]
            gamma = torch.where(valid, sy / (yk * yk).sum(dim=1).clamp_min(1e-300), s["gamma"])
            s["gamma"] = gamma
        gamma = s.setdefault("gamma", torch.ones(len(z), dtype=z.dtype))
        q, alphas = g.clone(), []
        for sk, yk, rho in reversed(pairs):
            a = rho * (sk * q).sum(dim=1)
            q -= a[:, None] * yk
            alphas.append(a)
        r = gamma[:, None] * q
        for (sk, yk, rho), a in zip(pairs, reversed(alphas)):
            b = rho * (yk * r).sum(dim=1)
            r += (a - b)[:, None] * sk
        d = -r
        slope = (g * d).sum(dim=1)
        d = torch.where((slope < 0)[:, None], d, -g)  # not a descent direction: steepest descent
        slope = (g * d).sum(dim=1)
        t = torch.ones(len(z), dtype=z.dtype)
        accepted = torch.zeros(len(z), dtype=torch.bool)
        for _ in range(max_backtracks):
            f_new = _loss(G, z + t[:, None] * d, scale)
            ok = ~accepted & (f_new <= f + 1e-4 * t * slope)
            accepted |= ok
            if bool(accepted.all()):
                break
            t = torch.where(accepted, t, 0.5 * t)
        t = torch.where(accepted, t, torch.zeros_like(t))  # no decrease found: the row stays put
        z_new = z + t[:, None] * d
        s["z"], s["g"] = z, g
        return z_new * scale

    return _loop(G, x0, scale, tol, max_iter, step)


METHODS = {"direct": _direct, "wegstein": _wegstein, "newton": _newton, "lbfgs": _lbfgs}


def solve(G: Map, x0: torch.Tensor, method: str = "direct", scale: torch.Tensor | None = None,
          tol: float = 1e-6, max_iter: int = 100, **options: float) -> SolveResult:
    """Converge ``x = G(x)`` from ``x0`` (``[batch, n]``) with ``method`` in :data:`METHODS`."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {sorted(METHODS)}")
    scale = torch.ones(x0.shape[1], dtype=x0.dtype) if scale is None else scale.to(x0.dtype)
    t0 = time.perf_counter()
    result = METHODS[method](G, x0, scale, tol, max_iter, **options)
    result.seconds = time.perf_counter() - t0
    return result
