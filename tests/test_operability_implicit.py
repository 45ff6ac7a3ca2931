"""Implicit mapping: predictor (Euler/RK4) + Newton corrector, Pyomo symbolic and torch derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowsheets.operability import shower
from idaes_ml.errors import DataError
from idaes_ml.operability import PyomoImplicit, TorchImplicit, implicit_map, snake_order
from idaes_ml.operability.sets import grid_points


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_forward_implicit_map_of_shower(method):
    sys_ = PyomoImplicit.from_model(shower.pyomo_model(), "forward")
    P = grid_points([1, 1], [10, 10], 6)[snake_order((6, 6))]
    out = implicit_map(sys_, P, w0=[2.0, 90.0], method=method, tol=1e-9)
    exact = np.array([shower.shower(p) for p in P])
    assert out.status.count("ok") == len(P)
    assert np.allclose(out.dependent, exact, atol=1e-7)


def test_rk4_predictor_is_more_accurate_than_euler():
    sys_ = PyomoImplicit.from_model(shower.pyomo_model(), "forward")
    P = grid_points([1, 1], [10, 10], 5)[snake_order((5, 5))]
    e = implicit_map(sys_, P, w0=[2.0, 90.0], method="euler", tol=1e-9)
    r = implicit_map(sys_, P, w0=[2.0, 90.0], method="rk4", tol=1e-9)
    assert r.predictor_residual[1:].max() < 0.01 * e.predictor_residual[1:].max()
    assert r.newton_iterations.sum() < e.newton_iterations.sum()


def test_inverse_implicit_map_matches_closed_form_beyond_ais():
    """Inverse direction: sweep (F, T), trace (Fc, Fh) -- including points outside the AIS."""
    sys_ = PyomoImplicit.from_model(shower.pyomo_model(), "inverse")
    P = grid_points([5, 70], [30, 110], 5)[snake_order((5, 5))]
    out = implicit_map(sys_, P, w0=[5.0, 5.0])
    exact = np.array([shower.shower_inverse(p) for p in P])
    assert np.allclose(out.dependent, exact, atol=1e-7)
    assert out.dependent.max() > 10  # beyond the AIS upper bound: the unbounded DIS


def test_torch_autograd_system():
    """Shower written as F(u, y) = 0 in torch: same answers as the Pyomo system."""
    def F(u, y):
        return torch.stack([y[0] - u[0] - u[1], y[1] * y[0] - 60 * u[0] - 120 * u[1]])

    P = grid_points([1, 1], [10, 10], 4)[snake_order((4, 4))]
    out = implicit_map(TorchImplicit(F, 2, 2), P, w0=[2.0, 90.0])
    assert np.allclose(out.dependent, [shower.shower(p) for p in P], atol=1e-7)


def test_bad_arguments():
    sys_ = PyomoImplicit.from_model(shower.pyomo_model(), "forward")
    with pytest.raises(DataError):
        implicit_map(sys_, [[1, 1]], w0=[2, 90], method="midpoint")
    with pytest.raises(DataError):
        PyomoImplicit.from_model(shower.pyomo_model(), "sideways")
