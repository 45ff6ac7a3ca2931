"""Pyrolysis: the batched 0D solve with complex-step gradients and the unboxed lower-limit fits."""

import numpy as np
import pandas as pd
import torch

from flowsheets.pyrolysis.kinetics import E_BASE
from flowsheets.pyrolysis.lower_limit import fit_lower_limit, multistarts, polish_newton
from flowsheets.pyrolysis.reduced import (CONDITIONS, BatchedReducedProblem, context, reduced_problem,
                                          simulate_batch, simulate_rows)

CONDS = pd.DataFrame([(730.0, 0.5, 7.0), (790.0, 4.0, 3.0), (825.0, 9.0, 2.0)], columns=CONDITIONS)


def test_batched_problem_matches_torch_solve_in_values_and_gradients():
    ctx = torch.tensor(context(CONDS))
    target = torch.tensor(np.random.default_rng(1).uniform(0.0, 0.3, (3, 41, 2)))
    E0 = E_BASE + np.random.default_rng(0).normal(0.0, 4.0, (3, 10))
    out = []
    for problem in (reduced_problem(), BatchedReducedProblem()):
        E = torch.tensor(E0, requires_grad=True)
        loss = ((problem.simulate(E, ctx) - target) ** 2).mean()
        (grad,) = torch.autograd.grad(loss, E)
        out.append((float(loss.detach()), grad.numpy()))
    assert abs(out[0][0] - out[1][0]) < 1e-12
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-6, atol=1e-12)


def test_simulate_rows_is_simulate_batch_per_row_and_its_jacobian_matches_differences():
    E = E_BASE + np.random.default_rng(2).normal(0.0, 3.0, (3, 10))
    Y, J = simulate_rows(E, context(CONDS), jacobian=True)
    for i, row in enumerate(CONDS.itertuples(index=False)):
        np.testing.assert_allclose(Y[i], simulate_batch(E[i], *row)[0], atol=1e-14)
    h = 1e-4
    fd = (simulate_rows(E + h * np.eye(10)[4], context(CONDS)) - simulate_rows(E - h * np.eye(10)[4],
                                                                                context(CONDS))) / (2 * h)
    np.testing.assert_allclose(J[..., 4], fd, atol=1e-8)


def test_lower_limit_recovers_parameters_it_can_reach_and_reports_convergence():
    rng = np.random.default_rng(3)
    truth = E_BASE * (1 + 0.04 * rng.standard_normal((3, 10)))
    targets = simulate_rows(truth, context(CONDS))
    near = truth * (1 + 0.005 * rng.standard_normal(truth.shape))
    fits = fit_lower_limit(CONDS, targets, multistarts(3, k=0, extra=near), max_iter=300, progress=False)
    assert fits.status["converged"].all()
    assert fits.mse.max() < 1e-12          # the 0D form reproduces its own trajectories
    assert (fits.mse.to_numpy() <= fits.starts.groupby("sample")["mse"].min().to_numpy()).all()  # polished best start
    noisy = targets + rng.normal(0.0, 0.01, targets.shape)
    rough = fit_lower_limit(CONDS, noisy, multistarts(3, k=0, extra=near), max_iter=300, progress=False)
    assert (rough.mse > 5e-5).all()        # the noise (variance 1e-4) cannot be fitted away


def test_newton_polish_certifies_a_large_residual_minimum_and_refuses_a_non_minimum():
    rng = np.random.default_rng(4)
    truth = E_BASE * (1 + 0.04 * rng.standard_normal((3, 10)))
    noisy = simulate_rows(truth, context(CONDS)) + rng.normal(0.0, 0.01, (3, 41, 2))
    short = fit_lower_limit(CONDS, noisy, multistarts(3, k=0), max_iter=3, progress=False)
    assert short.status["converged"].all()                   # polished from where LM stopped
    assert (short.status["hess_min_eig_rel"] >= -1e-8).all()
    assert (short.status["decrement_rel"] <= 1e-8).all()
    assert (short.mse <= short.starts.groupby("sample")["mse"].min().to_numpy()).all()
    unpolished = polish_newton(CONDS, noisy, np.tile(E_BASE, (3, 1)), max_iter=0, progress=False)
    assert not unpolished["certified"].any()                   # the baseline is no minimum of the noisy data
