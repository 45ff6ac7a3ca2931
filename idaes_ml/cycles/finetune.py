"""Fine-tuning unit networks through the unrolled cycle solver (arXiv 2307.13621).

For every K in ``ks`` the tear guess ``x0`` is pushed through K differentiable
direct-substitution passes ``x <- G(x)``; all streams computed from ``x_K`` (tears
and intermediate streams alike) are compared with the converged ground truth. The
mean over K of these scaled squared errors is back-propagated into every network::

    loss = mean_K  mean_streams  ((s_K - s_true) / scale)^2

``scale`` is one tensor for every stream or one per stream (e.g. each stream variable's
spread over the training points, :func:`stream_spread`, so that a product stream that
varies by 1 mol/s weighs as much as a recycle that varies by 20 mol/s).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from tqdm.auto import tqdm

from idaes_ml.cycles.graph import FlowsheetGraph

__all__ = ["unrolled_loss", "finetune", "stream_spread"]


Scale = torch.Tensor | dict[str, torch.Tensor]


def stream_spread(targets: dict[str, torch.Tensor], floor: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per stream, each variable's standard deviation over the rows, at least ``floor``."""
    return {s: torch.maximum(v.std(dim=0), floor) for s, v in targets.items()}


def unrolled_loss(graph: FlowsheetGraph, x0: torch.Tensor, feeds: dict[str, torch.Tensor],
                  params: dict[str, torch.Tensor], targets: dict[str, torch.Tensor],
                  scale: Scale, ks: Iterable[int] = range(11)) -> torch.Tensor:
    """Mean over K of the scaled stream error after K unrolled substitution passes."""
    ks = sorted(set(ks))
    names = [s for s in targets if s not in feeds]
    scales = scale if isinstance(scale, dict) else dict.fromkeys(names, scale)
    missing = [s for s in names if s not in scales]
    if missing:
        raise ValueError(f"no scale for streams {missing}")
    x, loss = x0, x0.new_zeros(())
    for k in range(ks[-1] + 1):
        streams = graph.evaluate(x, feeds, params)
        if k in ks:
            err = torch.stack([(((streams[s] - targets[s]) / scales[s]) ** 2).mean() for s in names])
            loss = loss + err.mean()
        x = torch.cat([streams[t] for t in graph.tears], dim=1)
        x = torch.where(torch.isfinite(x), x, x0)  # a diverged row restarts from its guess
    return loss / len(ks)


def finetune(graph: FlowsheetGraph, modules: list[torch.nn.Module], batches: Callable[[int], tuple],
             epochs: int = 100, learning_rate: float = 1e-4, ks: Iterable[int] = range(11),
             scale: Scale | None = None, progress: bool = True) -> list[float]:
    """Adam on all ``modules`` minimizing :func:`unrolled_loss`; returns the loss history.

    ``batches(epoch)`` returns ``(x0, feeds, params, targets)`` for that epoch (e.g. the
    training points with freshly drawn random tear guesses).
    """
    params = [p for m in modules for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=learning_rate)
    history = []
    for epoch in tqdm(range(epochs), desc="fine-tuning through the solver", disable=not progress):
        x0, feeds, par, targets = batches(epoch)
        opt.zero_grad()
        loss = unrolled_loss(graph, x0, feeds, par, targets,
                             scale if scale is not None else torch.ones(graph.n_vars, dtype=x0.dtype), ks)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        history.append(float(loss.detach()))
    return history
