"""The Pyomo.DAE ground truth of the CSTR network against the scipy plant and the Pyomo steady state."""

from __future__ import annotations

import numpy as np
import pytest
from idaes.core.util.model_statistics import degrees_of_freedom

from flowsheets.cstr_network.control import PIBaseline
from flowsheets.cstr_network.dae import DaePlant, build_dae_model
from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
from flowsheets.cstr_network.scenarios import SCENARIOS, run_closed_loop
from idaes_ml.errors import DataError, SolveFailedError

DT = 1 / 120


def test_dae_model_is_square_collocation_with_bypass():
    net = CSTRNetwork(1, 3)
    m = build_dae_model(net, offline=frozenset({1}), nfe=2, ncp=3)
    assert degrees_of_freedom(m) == 0
    assert len(m.tau) == 2 * 3 + 1  # Radau: element ends plus interior points
    # reactor 2 is fed by reactor 0 (reactor 1 offline and bypassed): its A balance reads cA[0, t]
    t = m.tau.last()
    from pyomo.core.expr.visitor import identify_variables

    names = {v.name for v in identify_variables(m.ode[2, t, 0].body)}
    assert f"cA[0,{t}]" in names and f"cA[1,{t}]" not in names


def test_dae_trajectory_matches_scipy_integrator():
    """Same inputs, disturbance changes and an outage: states agree to 1e-4 (mol/L and K) over 10 samples."""
    net = CSTRNetwork(2, 2)
    dae_plant = DaePlant(net)
    X = Xs = net.initial_state()
    F, Fc = np.array([120.0, 160.0]), np.array([25.0, 40.0, 30.0, 50.0])
    worst = 0.0
    for k in range(10):
        d = Disturbance(Tc_in=98.0 if k < 3 else 101.0, T0=106.0, offline={2} if k >= 5 else set())
        X, Xs = dae_plant.step(X, F, Fc, d, DT), net.step(Xs, F, Fc, d, DT)
        worst = max(worst, float(np.abs(X - Xs).max()))
    assert dae_plant.last_status == "optimal"
    assert worst < 1e-4
    assert np.abs(X - net.initial_state()).max() > 0.5  # the test moved the plant


def test_dae_steady_state_agrees_with_pyomo_steady_state():
    from flowsheets.cstr_network.optimize import plant_steady_state

    net, d = CSTRNetwork(2, 2), Disturbance(Tc_in=98.0)
    F, Fc = np.array([120.0, 160.0]), np.array([25.0, 40.0, 30.0, 50.0])
    ss = plant_steady_state(net, d, F, Fc)
    plant = DaePlant(net)
    X = net.initial_state()
    for _ in range(6):
        X = plant.step(X, F, Fc, d, 0.5)  # 3 h: long past every time constant
    assert X == pytest.approx(ss["X"], abs=1e-6)


def test_pi_baseline_on_dae_plant_matches_scipy_plant():
    net = CSTRNetwork(1, 2)
    runs = {name: run_closed_loop(net, PIBaseline(net, DT), SCENARIOS["reactor_offline"], n_steps=10, plant=plant)
            for name, plant in (("scipy", None), ("dae", DaePlant(net)))}
    a, b = runs["scipy"].summary, runs["dae"].summary
    assert (a["plant"], b["plant"]) == ("CSTRNetwork", "DaePlant")
    assert b["throughput_after_disturbance"] == pytest.approx(a["throughput_after_disturbance"], rel=1e-6)
    assert b["constraint_violation_steps"] == a["constraint_violation_steps"]
    assert np.abs(runs["scipy"].states - runs["dae"].states).max() < 1e-4


def test_dae_plant_bad_input_and_solver_failure():
    net = CSTRNetwork(1, 2)
    plant = DaePlant(net)
    X = net.initial_state()
    with pytest.raises(DataError, match="expected 1 train flows"):
        plant.step(X, np.ones(2), np.ones(2), Disturbance(), DT)
    with pytest.raises(DataError, match="non-negative"):
        plant.step(X, np.ones(1), -np.ones(2), Disturbance(), DT)
    with pytest.raises(DataError, match="do not exist"):
        plant.step(X, np.ones(1), np.ones(2), Disturbance(offline={5}), DT)
    starved = DaePlant(net, solver_options={"max_iter": 0})
    with pytest.raises(SolveFailedError, match="DAE plant step failed") as exc:
        starved.step(X, net.nominal_flows(), np.full(2, 5.0), Disturbance(Tc_in=90.0), 0.5)
    assert exc.value.status == starved.last_status != "optimal"
