"""Differentiable implicit ODE solver of idaes_ml.closure: accuracy, gradients, failures."""

import numpy as np
import pytest
import torch

from idaes_ml.closure import batched_jacobian, implicit_solve
from idaes_ml.errors import SolveFailedError

F64 = torch.float64


def _stiff(t, y, k):
    """Stiff linear chain A -> B (rate k[:,0] ~ 1e4) -> C (rate k[:,1] ~ 1)."""
    return torch.stack([-k[:, 0] * y[:, 0], k[:, 0] * y[:, 0] - k[:, 1] * y[:, 1],
                        k[:, 1] * y[:, 1]], dim=1)


def _exact_B(k1, k2, t):
    return k1 / (k2 - k1) * (np.exp(-k1 * t) - np.exp(-k2 * t))


def test_stiff_chain_matches_analytic_solution_and_bdf2_is_second_order():
    k = torch.tensor([[1e4, 1.0]], dtype=F64)
    y0 = torch.tensor([[1.0, 0.0, 0.0]], dtype=F64)
    t = torch.linspace(0.0, 2.0, 11, dtype=F64)
    errs = {}
    for sub in (10, 20):
        y = implicit_solve(_stiff, y0, t, (k,), substeps=sub)
        errs[sub] = abs(y[-1, 0, 1].item() - _exact_B(1e4, 1.0, 2.0))
        assert abs(y[-1, 0].sum().item() - 1.0) < 1e-10  # linear invariant kept
    assert errs[20] < 1e-3
    assert 2.5 < errs[10] / errs[20] < 6.0  # second order
    y_euler = implicit_solve(_stiff, y0, t, (k,), substeps=20, method="euler")
    assert abs(y_euler[-1, 0, 1].item() - _exact_B(1e4, 1.0, 2.0)) > errs[20]


def test_gradient_matches_finite_differences():
    k = torch.tensor([[50.0, 1.3], [2e3, 0.4]], dtype=F64, requires_grad=True)
    y0 = torch.tensor([[1.0, 0.0, 0.0]] * 2, dtype=F64)
    t = torch.linspace(0.0, 1.0, 6, dtype=F64)
    loss = implicit_solve(_stiff, y0, t, (k,), substeps=4)[:, :, 1].sum()
    loss.backward()
    eps = 1e-6
    for i, j in [(0, 0), (0, 1), (1, 1)]:
        kp, km = k.detach().clone(), k.detach().clone()
        kp[i, j] *= 1 + eps
        km[i, j] *= 1 - eps
        fd = (implicit_solve(_stiff, y0, t, (kp,), substeps=4)[:, :, 1].sum()
              - implicit_solve(_stiff, y0, t, (km,), substeps=4)[:, :, 1].sum()) / (2 * eps * k[i, j].item())
        assert k.grad[i, j].item() == pytest.approx(fd.item(), rel=1e-4, abs=1e-9)


def test_autograd_jacobian_of_independent_rows():
    k = torch.tensor([[3.0, 2.0], [5.0, 7.0]], dtype=F64)
    y = torch.tensor([[0.3, 0.5, 0.2], [0.9, 0.1, 0.0]], dtype=F64)
    J = batched_jacobian(_stiff, torch.tensor(0.0), y, (k,))
    assert J.shape == (2, 3, 3)
    assert J[1, 1, 0].item() == 5.0 and J[1, 1, 1].item() == -7.0 and J[0, 2, 1].item() == 2.0


def test_non_finite_rhs_is_reported_with_the_sample_row():
    def bad(t, y, k):
        out = -k * y
        return torch.where(k > 0, out, torch.full_like(out, float("nan")))

    k = torch.tensor([[1.0], [-1.0], [2.0]], dtype=F64)
    with pytest.raises(SolveFailedError, match=r"sample rows \[1\]") as info:
        implicit_solve(bad, torch.ones(3, 1, dtype=F64), torch.linspace(0, 1, 3), (k,), max_halvings=2)
    assert info.value.status == "newton"


def test_bad_arguments():
    y0 = torch.ones(1, 1, dtype=F64)
    with pytest.raises(ValueError, match="method"):
        implicit_solve(lambda t, y: -y, y0, torch.linspace(0, 1, 3), method="rk4")
    with pytest.raises(ValueError, match="increasing"):
        implicit_solve(lambda t, y: -y, y0, torch.tensor([0.0, 1.0, 0.5]))
