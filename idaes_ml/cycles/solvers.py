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

__all__ = ["SolveResult", "solve", "METHODS", "residual"]

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


def _newton(G, x0, scale, tol, max_iter, damping=1.0, **_):
    def step(x, gx, s):
        n = x.shape[1]
        xr = x.detach().requires_grad_(True)
        with torch.enable_grad():
            f = (G(xr) - xr) / scale
            rows = [torch.autograd.grad(f[:, j].sum(), xr, retain_graph=j < n - 1)[0] for j in range(n)]
        J = torch.stack(rows, dim=1)  # [B, n, n]: d f_j / d x_i
        try:
            dx = torch.linalg.solve(J, -f.detach().unsqueeze(-1)).squeeze(-1)
        except RuntimeError:  # singular batch: least squares instead
            dx = torch.linalg.lstsq(J, -f.detach().unsqueeze(-1)).solution.squeeze(-1)
        dx = torch.where(torch.isfinite(dx), dx, torch.zeros_like(dx))
        return x + damping * dx

    return _loop(G, x0, scale, tol, max_iter, step)


def _lbfgs(G, x0, scale, tol, max_iter, inner=5, **_):
    def step(x, gx, s):
        z = (x / scale).detach().clone().requires_grad_(True)
        opt = torch.optim.LBFGS([z], lr=1.0, max_iter=inner, history_size=10, line_search_fn="strong_wolfe",
                                tolerance_grad=1e-15, tolerance_change=1e-20)

        def closure():
            opt.zero_grad()
            zs = z * scale
            r = (G(zs) - zs) / scale
            r = torch.where(torch.isfinite(r), r, torch.zeros_like(r))  # a diverged row must not poison the batch
            loss = (r ** 2).sum()
            loss.backward()
            return loss

        with torch.enable_grad():
            opt.step(closure)
        return (z * scale).detach()

    return _loop(G, x0, scale, tol, max_iter, step)


METHODS = {"direct": _direct, "wegstein": _wegstein, "newton": _newton, "lbfgs": _lbfgs}


def solve(G: Map, x0: torch.Tensor, method: str = "direct", scale: torch.Tensor | None = None,
          tol: float = 1e-6, max_iter: int = 100, **options) -> SolveResult:
    """Converge ``x = G(x)`` from ``x0`` (``[batch, n]``) with ``method`` in :data:`METHODS`."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {sorted(METHODS)}")
    scale = torch.ones(x0.shape[1], dtype=x0.dtype) if scale is None else scale.to(x0.dtype)
    t0 = time.perf_counter()
    result = METHODS[method](G, x0, scale, tol, max_iter, **options)
    result.seconds = time.perf_counter() - t0
    return result
