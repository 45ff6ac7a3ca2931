"""A-priori black-box fits and a-posteriori training through the ODE solve (generic, toy model)."""

import numpy as np
import pandas as pd
import pytest
import torch

from idaes_ml.closure import ClosureProblem, baseline_network, fit_a_priori, train_a_posteriori, yield_mse
from idaes_ml.errors import DataError, SolveFailedError

TIMES = np.linspace(0.0, 2.0, 9)


def decay_sim(P, row):
    """Black box: first-order decay with rate P[:, 0] observed at TIMES (bad row raises)."""
    if row["x"] < 0:
        raise FloatingPointError("negative condition")
    return np.exp(-P[:, :1] * TIMES[None, :])[:, :, None]


def true_rate(x):
    return 1.0 + 0.8 * np.asarray(x)


def test_a_priori_recovers_rates_and_keeps_failures():
    X = pd.DataFrame({"x": [0.0, 0.5, 1.0, -1.0]})
    Y = np.stack([decay_sim(np.array([[true_rate(x)]]), {"x": 1.0})[0] for x in X["x"]])
    for method in ("least_squares", "powell"):
        fits = fit_a_priori(decay_sim, X, Y, x0=[1.0], bounds=([0.1], [5.0]), labels=["k"], method=method,
                            progress=False)
        assert np.allclose(fits.params["k"][:3], true_rate(X["x"][:3]), atol=1e-3)
        assert fits.loss[:3].max() < 1e-7
        assert list(fits.failed.index) == [3] and "negative condition" in fits.failed["message"].iloc[0]
        assert np.isnan(fits.params["k"][3])
    with pytest.raises(DataError, match="bracket"):
        fit_a_priori(decay_sim, X, Y, x0=[1.0], bounds=([2.0], [5.0]), progress=False)


def _problem():
    return ClosureProblem(rhs=lambda t, y, k, ctx: -k * y, initial_state=lambda ctx: torch.ones_like(ctx),
                          observe=lambda s: s.permute(1, 0, 2), times=TIMES, substeps=2,
                          jacobian=lambda t, y, k, ctx: -k[:, :, None] * torch.eye(1, dtype=y.dtype),
                          parameter_labels=["k"], observed_labels=["y"])


def test_a_posteriori_learns_the_rate_map_through_the_solver():
    X = pd.DataFrame({"x": np.linspace(0.0, 1.0, 8)})
    ctx = np.ones((8, 1))
    problem = _problem()
    with torch.no_grad():
        Y = problem.simulate(torch.tensor(true_rate(X.to_numpy())), torch.tensor(ctx)).numpy()
    net = baseline_network(X, {"k": 1.0}, scale=0.5, hidden=(8,), seed=0)
    assert np.allclose(net.predict(X)["k"], 1.0)  # starts exactly at the baseline
    with torch.no_grad():
        start = yield_mse(problem.simulate(net.torch_forward(torch.tensor(X.to_numpy())), torch.tensor(ctx)), Y)
    result = train_a_posteriori(net, problem, X, ctx, Y, epochs=60, learning_rate=0.05, progress=False)
    assert result.history["train"][-1] < result.history["train"][0]
    with torch.no_grad():
        end = yield_mse(problem.simulate(net.torch_forward(torch.tensor(X.to_numpy())), torch.tensor(ctx)), Y)
    assert end.mean() < 0.02 * start.mean()
    assert np.allclose(net.predict(X)["k"], true_rate(X["x"]), atol=0.05)


def test_a_posteriori_names_the_conditions_of_a_failed_solve():
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0]})
    bad = ClosureProblem(rhs=lambda t, y, k, ctx: -k * y * torch.where(ctx > 1.5, float("nan"), 1.0),
                         initial_state=lambda ctx: torch.ones_like(ctx), observe=lambda s: s.permute(1, 0, 2),
                         times=TIMES)
    net = baseline_network(X, {"k": 1.0}, hidden=(4,))
    with pytest.raises(SolveFailedError, match=r"conditions \[\{'x': 2.0\}\]"):
        train_a_posteriori(net, bad, X, X.to_numpy(), np.ones((3, len(TIMES), 1)), epochs=1, progress=False)


def test_a_posteriori_rejects_bad_data():
    X = pd.DataFrame({"x": [0.0, 1.0]})
    net = baseline_network(X, {"k": 1.0})
    with pytest.raises(DataError, match="NaN"):
        train_a_posteriori(net, _problem(), X, np.ones((2, 1)), np.full((2, len(TIMES), 1), np.nan), epochs=1,
                           progress=False)
    with pytest.raises(DataError, match="length"):
        train_a_posteriori(net, _problem(), X, np.ones((3, 1)), np.ones((2, len(TIMES), 1)), epochs=1,
                           progress=False)
