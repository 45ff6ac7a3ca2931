"""Fine-tuning unit networks through the unrolled cycle solver (arXiv 2307.13621).

For every K in ``ks`` the tear guess ``x0`` is pushed through K differentiable
direct-substitution passes ``x <- G(x)``; all streams computed from ``x_K`` (tears
and intermediate streams alike) are compared with the converged ground truth. The
mean over K of these scaled squared errors is back-propagated into every network::

    loss = mean_K  mean_streams  ((s_K - s_true) / scale)^2

``scale`` is one tensor for every stream or one per stream (e.g. each stream variable's
spread over the training points, :func:`stream_spread`, so that a product stream that
varies by 1 mol/s weighs as much as a recycle that varies by 20 mol/s).

``method="implicit"`` trains the converged flowsheet instead of the unrolled passes:
the fixed point ``x*(theta)`` is found by Newton and differentiated through the
implicit function theorem, ``dx*/dtheta = (I - dG/dx)^-1 dG/dtheta``
(:func:`implicit_loss`; the deep-equilibrium construction of Bai, Kolter & Koltun,
NeurIPS 2019), so the loss is exactly the end-to-end error of the solved flowsheet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import warnings

import torch
from tqdm.auto import tqdm

from idaes_ml.cycles.graph import FlowsheetGraph
from idaes_ml.cycles.solvers import jacobian, solve

__all__ = ["unrolled_loss", "implicit_loss", "finetune", "stream_spread", "FINETUNE_METHODS"]

#: Losses :func:`finetune` can minimize.
FINETUNE_METHODS = ("unrolled", "implicit")


Scale = torch.Tensor | dict[str, torch.Tensor]


def stream_spread(targets: dict[str, torch.Tensor], floor: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per stream, each variable's standard deviation over the rows, at least ``floor``."""
    return {s: torch.maximum(v.std(dim=0), floor) for s, v in targets.items()}


def _stream_scales(targets: dict[str, torch.Tensor], feeds: dict[str, torch.Tensor],
                   scale: Scale) -> dict[str, torch.Tensor]:
    names = [s for s in targets if s not in feeds]
    scales = scale if isinstance(scale, dict) else dict.fromkeys(names, scale)
    missing = [s for s in names if s not in scales]
    if missing:
        raise ValueError(f"no scale for streams {missing}")
    return {s: scales[s] for s in names}


def _stream_error(streams: dict[str, torch.Tensor], targets: dict[str, torch.Tensor],
                  scales: dict[str, torch.Tensor], rows: torch.Tensor | slice = slice(None)) -> torch.Tensor:
    """Mean over streams of the mean scaled squared error (over ``rows``)."""
    return torch.stack([(((streams[s][rows] - targets[s][rows]) / sc) ** 2).mean() for s, sc in scales.items()]).mean()


def unrolled_loss(graph: FlowsheetGraph, x0: torch.Tensor, feeds: dict[str, torch.Tensor],
                  params: dict[str, torch.Tensor], targets: dict[str, torch.Tensor],
                  scale: Scale, ks: Iterable[int] = range(11)) -> torch.Tensor:
    """Mean over K of the scaled stream error after K unrolled substitution passes."""
    ks = sorted(set(ks))
    scales = _stream_scales(targets, feeds, scale)
    x, loss = x0, x0.new_zeros(())
    for k in range(ks[-1] + 1):
        streams = graph.evaluate(x, feeds, params)
        if k in ks:
            loss = loss + _stream_error(streams, targets, scales)
        x = torch.cat([streams[t] for t in graph.tears], dim=1)
        x = torch.where(torch.isfinite(x), x, x0)  # a diverged row restarts from its guess
    return loss / len(ks)


def implicit_loss(graph: FlowsheetGraph, x0: torch.Tensor, feeds: dict[str, torch.Tensor],
                  params: dict[str, torch.Tensor], targets: dict[str, torch.Tensor], scale: Scale,
                  tear_scale: torch.Tensor | None = None, tol: float = 1e-8,
                  max_iter: int = 50) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled stream error at the converged fixed point, differentiable in the networks.

    Newton from ``x0`` (no autograd graph) gives ``x*``; then
    ``x_hat = x* + (I - J)^-1 (G(x*) - x*)`` with ``J = dG/dx`` at ``x*`` held constant
    equals ``x*`` in value and has ``dx_hat/dtheta = (I - J)^-1 dG/dtheta``, the
    implicit-function-theorem derivative of the fixed point. Returns the loss over the
    rows that converged (``tol`` on the residual scaled by ``tear_scale``) and that mask;
    raises ``RuntimeError`` when no row converges.
    """
    scales = _stream_scales(targets, feeds, scale)
    G = lambda x: graph.tear_map(x, feeds, params)  # noqa: E731
    with torch.no_grad():
        res = solve(G, x0, method="newton", scale=tear_scale, tol=tol, max_iter=max_iter)
    ok = res.converged
    if not bool(ok.any()):
        raise RuntimeError(f"no fixed point converged (of {len(ok)} rows): the implicit loss is undefined")
    x_star = res.x.detach()
    J = jacobian(G, x_star)  # [B, n, n], d G_i / d x_j
    eye = torch.eye(J.shape[-1], dtype=J.dtype).expand_as(J)
    g = G(x_star)  # graph to the network parameters only
    x_hat = x_star + torch.linalg.solve(eye - J, (g - x_star).unsqueeze(-1)).squeeze(-1)
    streams = graph.evaluate(x_hat, feeds, params)
    return _stream_error(streams, targets, scales, ok), ok


def finetune(graph: FlowsheetGraph, modules: list[torch.nn.Module], batches: Callable[[int], tuple],
             epochs: int = 100, learning_rate: float = 1e-4, ks: Iterable[int] = range(11),
             scale: Scale | None = None, progress: bool = True, method: str = "unrolled",
             tear_scale: torch.Tensor | None = None) -> list[float]:
    """Adam on all ``modules`` minimizing :func:`unrolled_loss` (``method="unrolled"``,
    passes ``ks``) or :func:`implicit_loss` (``"implicit"``, Newton tolerance relative to
    ``tear_scale``); returns the loss history.

    ``batches(epoch)`` returns ``(x0, feeds, params, targets)`` for that epoch (e.g. the
    training points with freshly drawn random tear guesses; for ``"implicit"`` the
    Newton starts). Implicit epochs leave out the rows whose fixed point did not
    converge; their total count is given in a warning.
    """
    if method not in FINETUNE_METHODS:
        raise ValueError(f"unknown fine-tuning method {method!r}; choose from {FINETUNE_METHODS}")
    params = [p for m in modules for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=learning_rate)
    history = []
    left_out = total = 0
    for epoch in tqdm(range(epochs), desc=f"fine-tuning through the solver ({method})", disable=not progress):
        x0, feeds, par, targets = batches(epoch)
        sc = scale if scale is not None else torch.ones(graph.n_vars, dtype=x0.dtype)
        opt.zero_grad()
        if method == "implicit":
            loss, ok = implicit_loss(graph, x0, feeds, par, targets, sc, tear_scale)
            left_out, total = left_out + int((~ok).sum()), total + len(ok)
        else:
            loss = unrolled_loss(graph, x0, feeds, par, targets, sc, ks)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        history.append(float(loss.detach()))
    if left_out:
        warnings.warn(f"implicit fine-tuning: {left_out} of {total} row-epochs had no converged fixed point "
                      "and were left out of the loss", RuntimeWarning, stacklevel=2)
    return history
