"""Pyrolysis ground truth: 0D and 1-D particle models, torch twin, limits and sanity checks."""

import numpy as np
import pandas as pd
import pytest
import torch

from idaes_ml.closure import batched_jacobian, implicit_solve
from idaes_ml.errors import DataError
from flowsheets.pyrolysis.kinetics import E_BASE, M0
from flowsheets.pyrolysis.models import OBS_TIMES, simulate_0d, simulate_1d
from flowsheets.pyrolysis.properties import ParticleGeometry
from flowsheets.pyrolysis.reduced import (CONDITIONS, SUBSTEPS, context, initial_state, jacobian, observe, rhs,
                                          simulate_batch)

INITIAL_MASS = M0.sum()


@pytest.mark.parametrize("sim", [simulate_0d, simulate_1d])
def test_mass_is_conserved_and_conversion_completes(sim):
    kw = {"n_nodes": 8} if sim is simulate_1d else {}
    y = sim(790.0, 3.0, 3.0, full=True, **kw)
    assert np.allclose(y[:, 1:].sum(axis=1), INITIAL_MASS, atol=1e-6)
    assert y[-1, 1:4].sum() < 1e-3          # virgin biomass consumed
    assert y[:, 1:].min() > -1e-8           # no negative masses
    assert 300.0 <= y[:, 0].min() and y[:, 0].max() <= 790.0 + 1e-6


def test_small_particle_limit_and_large_particle_gradients():
    small = np.abs(simulate_1d(760.0, 0.4, 8.0, n_nodes=8) - simulate_0d(760.0, 0.4, 8.0)).max()
    large = np.abs(simulate_1d(760.0, 10.0, 2.0, n_nodes=8) - simulate_0d(760.0, 10.0, 2.0)).max()
    assert small < 5e-3                      # Biot ~ 0.03: the 1-D model approaches the lumped one
    assert large > 10 * small                # Biot ~ 2: internal gradients the 0D form cannot see
    assert ParticleGeometry.from_feret(10.0, 2.0).biot(760.0) > 50 * ParticleGeometry.from_feret(0.4, 8.0).biot(760.0)


def test_hotter_oven_heats_and_converts_faster():
    i = np.searchsorted(OBS_TIMES, 2.0)
    prev_T, prev_left = -np.inf, np.inf
    for T in (720.0, 775.0, 830.0):
        y = simulate_1d(T, 2.0, 3.0, n_nodes=8, full=True)
        left = y[i, 1:7].sum()               # unconverted virgin + active mass at t ~ 2 s
        assert y[i, 0] > prev_T and left < prev_left
        prev_T, prev_left = y[i, 0], left


def test_torch_model_matches_numpy_twin_and_scipy():
    conds = pd.DataFrame([(730.0, 0.5, 7.0), (820.0, 6.0, 2.5)], columns=CONDITIONS)
    ctx = torch.tensor(context(conds))
    E = torch.tensor(np.stack([E_BASE, E_BASE * 1.02]))
    states = implicit_solve(rhs, initial_state(ctx), torch.tensor(OBS_TIMES), (E, ctx), jac=jacobian,
                            substeps=SUBSTEPS)
    torch_obs = observe(states).numpy()
    for b, row in enumerate(conds.itertuples(index=False)):
        twin = simulate_batch(E[b].numpy(), *row)[0]
        assert np.abs(torch_obs[b] - twin).max() < 1e-9
        assert np.abs(twin - simulate_0d(*row, E=E[b].numpy())[:, :2]).max() < 1e-2  # discretization error


def test_analytic_jacobian_matches_autograd():
    ctx = torch.tensor([[780.0, 4000.0], [740.0, 60000.0]], dtype=torch.float64)
    y = torch.tensor([[650.0, 0.2, 0.1, 0.15, 0.1, 0.05, 0.05, 0.1, 0.1, 0.15]] * 2, dtype=torch.float64)
    E = torch.tensor(np.stack([E_BASE, E_BASE * 0.97]))
    assert torch.allclose(jacobian(0.0, y, E, ctx), batched_jacobian(rhs, 0.0, y, (E, ctx)), rtol=1e-10)


def test_bad_geometry_is_rejected():
    with pytest.raises(DataError, match="aspect"):
        ParticleGeometry.from_feret(2.0, 0.5)
    with pytest.raises(DataError, match="Feret"):
        simulate_0d(780.0, -1.0, 3.0)
