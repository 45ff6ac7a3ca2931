"""The reduced model a closure re-parameterizes: batched torch RHS + what is observed.

    >>> import numpy as np, torch
    >>> from idaes_ml.closure import ClosureProblem
    >>> decay = ClosureProblem(rhs=lambda t, y, k, ctx: -k * y, initial_state=lambda ctx: ctx.clone(),
    ...                        observe=lambda s: s.permute(1, 0, 2), times=np.linspace(0, 1, 5))
    >>> out = decay.simulate(torch.ones(3, 1, dtype=torch.float64), torch.ones(3, 1, dtype=torch.float64))
    >>> tuple(out.shape), round(float(out[0, -1, 0]), 2)
    ((3, 5, 1), 0.38)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch

from idaes_ml.closure.ode import implicit_solve

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["ClosureProblem", "yield_mse"]


@dataclass
class ClosureProblem:
    """A reduced ODE model ``dy/dt = rhs(t, y, params, ctx)`` with per-sample parameters.

    Attributes:
        rhs: batched RHS; ``params`` (B, p) are what the closure network predicts,
            ``ctx`` (B, c) are fixed per-sample inputs (operating conditions).
        initial_state: ``ctx -> y0`` (B, n).
        observe: solver output ``(len(times), B, n)`` -> observations ``(B, len(times), k)``.
        times: observation times.
        jacobian: optional analytic ``(B, n, n)`` Jacobian with the RHS signature.
        substeps: implicit steps per observation interval.
        method: ``"bdf2"`` or ``"euler"``.
        parameter_labels, observed_labels: names for tables and reports.
    """

    rhs: Callable[..., torch.Tensor]
    initial_state: Callable[[torch.Tensor], torch.Tensor]
    observe: Callable[[torch.Tensor], torch.Tensor]
    times: np.ndarray
    jacobian: Callable[..., torch.Tensor] | None = None
    substeps: int = 1
    method: str = "bdf2"
    parameter_labels: list[str] = field(default_factory=list)
    observed_labels: list[str] = field(default_factory=list)

    def simulate(self, params: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        """Differentiable observations ``(B, len(times), k)`` for parameters ``params`` (float64 solve)."""
        params = torch.as_tensor(params).to(torch.float64)
        ctx = torch.as_tensor(ctx, dtype=torch.float64)
        t = torch.as_tensor(np.asarray(self.times, dtype=float), dtype=torch.float64)
        states = implicit_solve(self.rhs, self.initial_state(ctx), t, (params, ctx), method=self.method,
                                jac=self.jacobian, substeps=self.substeps)
        return self.observe(states)


def yield_mse(pred: torch.Tensor | ArrayLike, target: ArrayLike) -> np.ndarray:
    """Per-sample mean squared error over times and observed quantities, ``(B,)``."""
    pred = pred.detach().cpu().numpy() if isinstance(pred, torch.Tensor) else np.asarray(pred)
    target = np.asarray(target)
    return ((pred - target) ** 2).reshape(len(target), -1).mean(axis=1)
