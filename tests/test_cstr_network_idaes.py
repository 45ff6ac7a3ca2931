"""The IDAES dynamic flowsheet of the CSTR network against the scipy plant (same equations)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from idaes.core.util.model_statistics import degrees_of_freedom
from idaes.models.unit_models import Mixer, Separator
from idaes.models.unit_models.cstr import CSTRData
from idaes.models.unit_models.heater import HeaterData
from pyomo.util.check_units import assert_units_consistent

from flowsheets.cstr_network.control import PIBaseline
from flowsheets.cstr_network.idaes_plant import FlowsheetPIPolicy, IdaesPlant, build_flowsheet
from flowsheets.cstr_network.parameters import VdVParameters
from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
from flowsheets.cstr_network.scenarios import SCENARIOS, Scenario, run_closed_loop
from idaes_ml.errors import DataError, SolveFailedError

DT = 1 / 120


def test_flowsheet_is_idaes_units_with_ports_square_and_unit_consistent():
    net = CSTRNetwork(2, 2)
    plant = IdaesPlant(net)
    m = plant.model(frozenset({2}), DT)
    assert degrees_of_freedom(m) == 0
    fs = m.fs
    assert isinstance(fs.split, Separator) and isinstance(fs.product, Mixer)
    assert all(isinstance(fs.reactor[r], CSTRData) and isinstance(fs.jacket[r], HeaterData) for r in (0, 1, 3))
    assert 2 not in fs.reactor  # offline: bypassed
    assert fs.reactor[0].config.dynamic and fs.jacket[0].config.dynamic
    # reactor 3 is fed by the splitter (reactor 2 offline), reactor 1 by reactor 0
    assert fs.feed_R3.source is fs.split.train1 and fs.feed_R1.source is fs.reactor[0].outlet
    for c in m.component_data_objects(pyo.Constraint, active=True):  # collocation equations carry no units
        if "_disc_eq" not in c.parent_component().local_name:
            assert_units_consistent(c)


def test_packages_carry_the_benchmark_constants_in_si():
    p = VdVParameters()
    m = build_flowsheet(CSTRNetwork(1, 1))
    assert pyo.value(m.fs.kinetics.k0["R1"]) == pytest.approx(p.k10 / 3600)
    assert pyo.value(m.fs.kinetics.k30) == pytest.approx(p.k30 / 1000 / 3600)
    assert pyo.value(m.fs.kinetics.dh_rxn["R3"]) == pytest.approx(2 * p.dH3 * 1000)  # per mole of D formed
    assert pyo.value(m.fs.UA[0]) == pytest.approx(p.ua / 3.6)  # kJ/(h K) -> W/K
    assert pyo.value(m.fs.liquid.dens_mass * m.fs.liquid.cp_mass) == pytest.approx(p.rho * p.cp * 1e6)


def test_idaes_trajectory_matches_scipy_with_disturbances_and_outage():
    """Same inputs, disturbance changes, a fouled jacket, a coolant header limit and an outage: states agree to
    1e-4 (mol/L and K)."""
    net = CSTRNetwork(2, 2)
    plant = IdaesPlant(net)
    X = Xs = net.initial_state()
    F, Fc = np.array([120.0, 160.0]), np.array([25.0, 40.0, 30.0, 50.0])
    worst = 0.0
    for k in range(6):
        d = Disturbance(Tc_in=98.0 if k < 2 else 101.0, T0=106.0, cA0=5.4, offline={2} if k >= 3 else set(),
                        fouled={1: 0.4} if k >= 1 else {}, coolant_supply=100.0 if k >= 2 else None)
        X, Xs = plant.step(X, F, Fc, d, DT), net.step(Xs, F, Fc, d, DT)
        worst = max(worst, float(np.abs(X - Xs).max()))
        assert plant.product(DT, d.offline) == pytest.approx(net.throughput(X, F, d), rel=1e-6)
    assert plant.last_status == "optimal" and worst < 1e-4
    assert np.abs(X - net.initial_state()).max() > 0.5  # the test moved the plant


def test_pi_closed_loop_on_idaes_plant_matches_scipy_within_10_mK():
    net = CSTRNetwork(1, 2)
    sc = Scenario("cold", {"cA0": 4.7, "T0": 100.5, "Tc_in": 89.0, "offline_first": 1}, at=2)
    runs = [run_closed_loop(net, PIBaseline(net, DT), sc, n_steps=6, plant=p) for p in (None, IdaesPlant(net))]
    assert runs[1].summary["plant"] == "IdaesPlant"
    assert np.abs(runs[0].states - runs[1].states)[..., 2:].max() <= 0.01


def test_pi_inside_the_flowsheet_as_idaes_pid_controllers_tracks_like_the_discrete_pi():
    from idaes.models.control.controller import PIDControllerData

    net = CSTRNetwork(1, 2)
    plant = IdaesPlant(net, pi=PIBaseline(net, DT))
    m = plant.model(frozenset(), DT)
    assert degrees_of_freedom(m) == 0 and all(isinstance(c, PIDControllerData) for c in m.fs.pi.values())
    sc = SCENARIOS["coolant_warm"]
    inside = run_closed_loop(net, FlowsheetPIPolicy(plant), sc, n_steps=12, plant=plant)
    discrete = run_closed_loop(net, PIBaseline(net, DT), sc, n_steps=12)
    assert np.abs(inside.states - discrete.states)[..., 2].max() < 0.05  # continuous vs sampled PI
    assert (plant.last_Fc > PIBaseline(net, DT).bias + 5).all()  # warm coolant: the loops opened the valves
    with pytest.raises(DataError, match="needs an IdaesPlant built with pi"):
        FlowsheetPIPolicy(IdaesPlant(net))


def test_idaes_plant_bad_input_and_failure_named_with_scenario_and_step():
    net = CSTRNetwork(1, 2)
    plant = IdaesPlant(net)
    X = net.initial_state()
    with pytest.raises(DataError, match="expected 1 train flows"):
        plant.step(X, np.ones(2), np.ones(2), Disturbance(), DT)
    with pytest.raises(DataError, match="non-negative"):
        plant.step(X, np.ones(1), -np.ones(2), Disturbance(), DT)
    with pytest.raises(DataError, match="do not exist"):
        plant.step(X, np.ones(1), np.ones(2), Disturbance(offline={5}), DT)
    starved = IdaesPlant(net, solver_options={"max_iter": 0})
    with pytest.raises(SolveFailedError, match="scenario 'nominal', step 0: IDAES plant step 1 failed") as exc:
        run_closed_loop(net, PIBaseline(net, DT), SCENARIOS["nominal"], n_steps=2, plant=starved)
    assert exc.value.status == starved.last_status != "optimal"
