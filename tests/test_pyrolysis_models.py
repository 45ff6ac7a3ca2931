"""Pyrolysis models: the 0D closure form, its torch twin, and the high-fidelity 1-D particle (balances, convergence)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from idaes_ml.closure import batched_jacobian, implicit_solve
from idaes_ml.errors import DataError, SolveFailedError
from flowsheets.pyrolysis.data import DOMAIN
from flowsheets.pyrolysis.kinetics import E_BASE, M0
from flowsheets.pyrolysis.models import OBS_TIMES, simulate_0d
from flowsheets.pyrolysis.particle import simulate_particle, solve_particle
from flowsheets.pyrolysis.properties import WOOD, ParticleGeometry
from flowsheets.pyrolysis.reduced import (CONDITIONS, SUBSTEPS, context, initial_state, jacobian, observe, rhs,
                                          simulate_batch)


def test_0d_mass_is_conserved_and_conversion_completes():
    y = simulate_0d(790.0, 3.0, 3.0, full=True)
    assert np.allclose(y[:, 1:].sum(axis=1), M0.sum(), atol=1e-6)
    assert y[-1, 1:4].sum() < 1e-3 and y[:, 1:].min() > -1e-8
    assert 300.0 <= y[:, 0].min() and y[:, 0].max() <= 790.0 + 1e-6


@settings(max_examples=4, deadline=None)
@given(T=st.floats(*DOMAIN["T_oven"]), fl=st.floats(*DOMAIN["feret_mm"]), ar=st.floats(*DOMAIN["aspect"]))
def test_particle_conserves_mass_of_solid_plus_escaped_volatiles(T, fl, ar):
    sol = solve_particle(T, fl, ar, n_nodes=4)
    assert np.abs(sol.mass_closure(OBS_TIMES) - 1.0).max() < 1e-6
    N = len(sol.grid.vol)
    states = sol.states(OBS_TIMES)
    assert states[:, N:9 * N].min() > -1e-8                        # no negative densities
    assert states[:, :N].max() <= T + 1e-6                          # no exothermic step: never above the oven


def test_particle_energy_balance_closes():
    bal = solve_particle(790.0, 4.0, 3.0, n_nodes=6).energy_balance()
    assert abs(bal["residual"]) < 1e-3
    assert bal["reaction_heat"] < 0 < bal["carried_out"] < bal["surface_in"]   # endothermic, gas leaves hot


def test_particle_grid_convergence_order():
    args = (800.0, 6.0, 2.5)
    ref = simulate_particle(*args, n_nodes=12)[:, :2]
    err = {N: np.sqrt(((simulate_particle(*args, n_nodes=N)[:, :2] - ref) ** 2).mean()) for N in (3, 6)}
    assert err[6] < err[3] / 2.0                                    # at least first order on the coarse pair
    tight = simulate_particle(*args, n_nodes=6, rtol=1e-8, atol=1e-11)[:, :2]
    assert np.abs(tight - simulate_particle(*args, n_nodes=6)[:, :2]).max() < 1e-4   # time-step converged


def test_particle_physics_the_0d_model_lacks():
    base = simulate_particle(780.0, 6.0, 2.5, n_nodes=6)
    no_heat = simulate_particle(780.0, 6.0, 2.5, n_nodes=6, props=dataclasses.replace(WOOD, heat_primary=0.0))
    dry = simulate_particle(780.0, 6.0, 2.5, n_nodes=6, props=dataclasses.replace(WOOD, latent_heat=0.0))
    i = np.searchsorted(OBS_TIMES, 10.0)
    assert no_heat[i, 1] > base[i, 1] + 1e-3 and dry[i, 1] > base[i, 1]  # reaction and drying heat slow charring
    small, large = (simulate_particle(780.0, fl, 2.0, n_nodes=6)[-1, 0] for fl in (1.0, 10.0))
    assert large < small - 0.02                                     # longer pore residence: more tar cracks
    assert simulate_0d(780.0, 1.0, 2.0)[-1, 0] < 0.05 < small       # tar that escaped no longer cracks


def test_internal_gradients_grow_with_biot_number():
    def spread(fl, ar):
        sol = solve_particle(760.0, fl, ar, n_nodes=6)
        T = sol.states(OBS_TIMES)[:, :6]
        return (T[:, -1] - T[:, 0]).max()

    assert spread(0.4, 8.0) < 5.0 < 50.0 < spread(10.0, 2.0)
    assert ParticleGeometry.from_feret(10.0, 2.0).biot(760.0) > 50 * ParticleGeometry.from_feret(0.4, 8.0).biot(760.0)


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


def test_bad_input_is_rejected_with_its_parameters():
    with pytest.raises(DataError, match="aspect"):
        ParticleGeometry.from_feret(2.0, 0.5)
    with pytest.raises(DataError, match="Feret"):
        simulate_0d(780.0, -1.0, 3.0)
    with pytest.raises(DataError, match="T_oven"):
        simulate_particle(float("nan"), 2.0, 3.0, n_nodes=3)
    with pytest.raises(SolveFailedError, match="feret_mm"):       # an integration that cannot finish names its inputs
        simulate_particle(780.0, 2.0, 3.0, n_nodes=3, rtol=1e-14, atol=1e-300)
