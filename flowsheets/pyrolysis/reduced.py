"""The 0D closure model as the closure library sees it: torch RHS, batched numpy twin.

State ``y = [T, m_1..m_9]`` (K, mass fractions of the initial particle);
per-sample closure parameters ``E`` (10 activation energies, kJ/mol);
per-sample context ``ctx = [T_oven, A/V]`` (K, 1/m). ``reduced_problem()``
bundles them for :class:`idaes_ml.closure.ClosureProblem`.

:func:`simulate_batch` integrates the *same* discrete model (variable-step
BDF2 on the same grid as :func:`idaes_ml.closure.implicit_solve`) in numpy for
many parameter sets of one particle at once: the temperature does not depend on
``E`` (no reaction heat) and the kinetics are linear and lower-triangular in
``m``, so each step is a forward substitution. It is the fast black box of the
a-priori fits::

    >>> import numpy as np
    >>> from flowsheets.pyrolysis.reduced import simulate_batch
    >>> from flowsheets.pyrolysis.kinetics import E_BASE
    >>> simulate_batch(np.stack([E_BASE, E_BASE + 5]), 780.0, 2.0, 4.0).shape
    (2, 41, 2)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from flowsheets.pyrolysis.kinetics import A, M0, R_GAS, REACTIONS, STOICHIOMETRY, jacobian_entries
from flowsheets.pyrolysis.models import OBS_TIMES
from flowsheets.pyrolysis.properties import WOOD, ParticleGeometry, lumped_heating

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from idaes_ml.closure import ClosureProblem

__all__ = ["CONDITIONS", "OBSERVED", "SUBSTEPS", "context", "initial_state", "rhs", "jacobian",
           "observe", "reduced_problem", "simulate_batch", "simulate_rows", "BatchedReducedProblem",
           "temperature_history"]

#: Inputs of the closure network: oven temperature [K], Feret length [mm], aspect ratio [-].
CONDITIONS = ["T_oven", "feret_mm", "aspect"]
#: Yields the closure is trained on (columns of the observation arrays).
OBSERVED = ["tar", "char"]
_OBS_INDEX = [1 + 6, 1 + 8]
#: Implicit steps per observation interval (160 steps over 40 s on the geometric grid).
SUBSTEPS = 4


def context(conditions: pd.DataFrame) -> np.ndarray:
    """``(B, 2)`` array ``[T_oven, A/V]`` of each row of ``conditions`` (CONDITIONS columns)."""
    a_over_v = [1.0 / ParticleGeometry.from_feret(f, a).volume_to_surface
                for f, a in zip(conditions["feret_mm"], conditions["aspect"])]
    return np.column_stack([conditions["T_oven"].to_numpy(float), a_over_v])


def initial_state(ctx: torch.Tensor) -> torch.Tensor:
    """``(B, 10)`` initial state: ambient temperature, initial composition."""
    y0 = torch.tensor([WOOD.T_initial, *M0], dtype=ctx.dtype, device=ctx.device)
    return y0.expand(ctx.shape[0], -1).clone()


def _rate_matrix(T: torch.Tensor, E: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rate constants ``k`` (B, 10) and rate matrix ``K`` (B, 9, 9) with ``dm/dt = K m``."""
    k = torch.as_tensor(A, dtype=T.dtype) * torch.exp(-1000.0 / R_GAS * E / T[:, None])
    return k, (k @ torch.as_tensor(STOICHIOMETRY, dtype=T.dtype)).view(-1, 9, 9)


def rhs(t: torch.Tensor, y: torch.Tensor, E: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
    """Batched 0D right-hand side: oven heating of the lumped particle, Table 3 kinetics."""
    T, m = y[:, 0], y[:, 1:]
    _, K = _rate_matrix(T, E)
    dT, _ = lumped_heating(T, ctx[:, 0], ctx[:, 1])
    return torch.cat([dT[:, None], torch.bmm(K, m[:, :, None])[:, :, 0]], dim=1)


def jacobian(t: torch.Tensor, y: torch.Tensor, E: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
    """Analytic ``(B, 10, 10)`` Jacobian of :func:`rhs` with respect to ``y``."""
    T, m = y[:, 0], y[:, 1:]
    k, K = _rate_matrix(T, E)
    dK = ((k * E * (1000.0 / R_GAS) / (T * T)[:, None]) @ torch.as_tensor(STOICHIOMETRY, dtype=T.dtype))
    dm_dT = torch.bmm(dK.view(-1, 9, 9), m[:, :, None])            # (B, 9, 1)
    _, dTdT = lumped_heating(T, ctx[:, 0], ctx[:, 1])
    top = torch.cat([dTdT[:, None, None], torch.zeros_like(m)[:, None, :]], dim=2)
    return torch.cat([top, torch.cat([dm_dT, K], dim=2)], dim=1)


def observe(states: torch.Tensor) -> torch.Tensor:
    """``(T_out, B, 10)`` solver output -> ``(B, T_out, 2)`` tar and char yields."""
    return states[:, :, _OBS_INDEX].permute(1, 0, 2)


def reduced_problem(substeps: int = SUBSTEPS) -> ClosureProblem:
    """The 0D pyrolysis model as a :class:`idaes_ml.closure.ClosureProblem`."""
    from idaes_ml.closure import ClosureProblem

    return ClosureProblem(rhs=rhs, initial_state=initial_state, observe=observe, times=OBS_TIMES,
                          jacobian=jacobian, substeps=substeps, parameter_labels=list(REACTIONS),
                          observed_labels=list(OBSERVED))


def _grid(times: np.ndarray, substeps: int) -> np.ndarray:
    steps = [np.linspace(a, b, substeps + 1)[1:] for a, b in zip(times[:-1], times[1:])]
    return np.concatenate([[times[0]], *steps])


def _bdf2_weights(grid: np.ndarray) -> list[tuple[float, float, float]]:
    """Per step ``(a, b, h_beta)`` with ``y1 = a y0 - b y_prev + h_beta f(y1)`` (first step Euler)."""
    h = np.diff(grid)
    out = [(1.0, 0.0, h[0])]
    for n in range(1, len(h)):
        w = h[n] / h[n - 1]
        out.append(((1 + w) ** 2 / (1 + 2 * w), w**2 / (1 + 2 * w), h[n] * (1 + w) / (1 + 2 * w)))
    return out


def temperature_history(T_oven: float, a_over_v: float, times: ArrayLike = OBS_TIMES,
                        substeps: int = SUBSTEPS) -> np.ndarray:
    """Lumped-particle temperature on the solver grid (BDF2 + scalar Newton), ``(n_steps+1,)``."""
    grid = _grid(np.asarray(times, float), substeps)
    T = np.empty(len(grid))
    T[0] = WOOD.T_initial
    for n, (a, b, hb) in enumerate(_bdf2_weights(grid)):
        c = a * T[n] - (b * T[n - 1] if n else 0.0)
        x = T[n]
        for _ in range(50):
            f, df = lumped_heating(x, T_oven, a_over_v)
            dx = (x - c - hb * f) / (1 - hb * df)
            x -= dx
            if abs(dx) < 1e-10 * x:
                break
        T[n + 1] = x
    return T


def _integrate(E: np.ndarray, T: np.ndarray, grid: np.ndarray, substeps: int) -> np.ndarray:
    """BDF2 tar/char ``(P, len(grid[::substeps]), 2)`` for rows ``E`` (P, 10), real or complex.

    ``T`` is the temperature on ``grid``, ``(n_steps+1, 1)`` for all rows or ``(n_steps+1, P)`` per row.
    Only ``+ - * /`` and ``exp`` act on ``E``, so complex ``E`` gives complex-step derivatives.
    """
    k = A[None, :, None] * np.exp(-1000.0 * E.T[None, :, :] / (R_GAS * T[:, None, :]))  # (steps, 10, P)
    m_prev = m = [np.full(E.shape[0], v, dtype=E.dtype) for v in M0]
    keep = [m]
    for n, (a, b, hb) in enumerate(_bdf2_weights(grid)):
        rows: list[list] = [[] for _ in range(9)]
        diag: list = [0.0] * 9
        for i, j, v in jacobian_entries(k[n + 1]):
            if i == j:
                diag[i] = v
            else:
                rows[i].append((j, v))
        new: list = []
        for i in range(9):  # forward substitution of (I - hb K) m_new = a m - b m_prev
            acc = a * m[i] - b * m_prev[i]
            for j, v in rows[i]:
                acc = acc + hb * v * new[j]
            new.append(acc / (1 - hb * diag[i]))
        m_prev, m = m, new
        keep.append(m)
    traj = np.array([[s[6], s[8]] for s in keep[::substeps]])  # (len(times), 2, P)
    return traj.transpose(2, 0, 1)


def simulate_batch(E: np.ndarray, T_oven: float, feret_mm: float, aspect: float,
                   times: ArrayLike = OBS_TIMES, substeps: int = SUBSTEPS) -> np.ndarray:
    """Tar/char trajectories ``(P, len(times), 2)`` of the 0D model for ``P`` parameter rows ``E``."""
    E = np.atleast_2d(np.asarray(E, float))
    grid = _grid(np.asarray(times, float), substeps)
    a_over_v = 1.0 / ParticleGeometry.from_feret(feret_mm, aspect).volume_to_surface
    T = temperature_history(T_oven, a_over_v, times, substeps)
    return _integrate(E, T[:, None], grid, substeps)


@functools.lru_cache(maxsize=4096)
def _cached_history(T_oven: float, a_over_v: float, substeps: int) -> np.ndarray:
    return temperature_history(T_oven, a_over_v, OBS_TIMES, substeps)


def simulate_rows(E: np.ndarray, ctx: np.ndarray, jacobian: bool = False, substeps: int = SUBSTEPS,
                  chunk: int = 2000) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Tar/char ``(B, len(OBS_TIMES), 2)`` of row ``b`` with parameters ``E[b]`` at context ``ctx[b]``.

    Every row of ``E`` (B, 10) has its own ``ctx`` row ``[T_oven, A/V]`` (see :func:`context`);
    all rows are integrated in one batch. With ``jacobian`` also returns the exact
    ``dY/dE`` ``(B, len(OBS_TIMES), 2, 10)`` by complex steps (one complex set per parameter).
    """
    E = np.atleast_2d(np.asarray(E, float))
    ctx = np.atleast_2d(np.asarray(ctx, float))
    grid = _grid(np.asarray(OBS_TIMES, float), substeps)
    T = np.column_stack([_cached_history(float(t), float(a), substeps) for t, a in ctx])  # (steps, B)
    if not jacobian:
        return np.concatenate([_integrate(E[i:i + chunk], T[:, i:i + chunk], grid, substeps)
                               for i in range(0, len(E), chunk)])
    p, h = E.shape[1], 1e-30
    Ec = (E[:, None, :] + 1j * h * np.eye(p)[None]).reshape(-1, p)   # (B*p, p)
    Tc = np.repeat(T, p, axis=1)
    rows = max(1, chunk // p) * p
    Y = np.concatenate([_integrate(Ec[i:i + rows], Tc[:, i:i + rows], grid, substeps)
                        for i in range(0, len(Ec), rows)]).reshape(len(E), p, len(OBS_TIMES), 2)
    return Y[:, 0].real.copy(), np.moveaxis(Y.imag / h, 1, -1)


class _RowYields(torch.autograd.Function):
    """Torch op over :func:`simulate_rows`: forward values, backward through the complex-step Jacobian."""

    @staticmethod
    def forward(fctx, E: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:  # noqa: D102
        Y, J = simulate_rows(E.detach().numpy(), ctx.numpy(), jacobian=True)
        fctx.save_for_backward(torch.from_numpy(J))
        return torch.from_numpy(Y)

    @staticmethod
    def backward(fctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # noqa: D102
        (J,) = fctx.saved_tensors
        return torch.einsum("btk,btkp->bp", grad, J), None


@dataclass
class BatchedReducedProblem:
    """The 0D model for closure training, integrated by :func:`simulate_rows` (numpy, complex-step gradients).

    Same discrete model and ``simulate(params, ctx)`` contract as :func:`reduced_problem`,
    so :func:`idaes_ml.closure.train_a_posteriori` accepts it; an epoch costs a few
    batched numpy calls instead of an unrolled torch solve.
    """

    times: np.ndarray = field(default_factory=lambda: OBS_TIMES.copy())

    def simulate(self, params: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        """Observations ``(B, len(times), 2)``, differentiable in ``params`` (float64)."""
        params = torch.as_tensor(params).to(torch.float64)
        ctx = torch.as_tensor(ctx, dtype=torch.float64)
        if params.requires_grad and torch.is_grad_enabled():
            return _RowYields.apply(params, ctx)
        return torch.from_numpy(simulate_rows(params.detach().numpy(), ctx.numpy()))
