"""SurrogateUnit in IDAES flowsheets: ports, DOF, initialization, scaling, domain reports, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from idaes.core import FlowsheetBlock
from idaes.core.solvers import get_solver
from idaes.core.util.diagnostics_tools.diagnostics_toolbox import DiagnosticsToolbox
from idaes.core.util.exceptions import ConfigurationError
from idaes.core.util.model_statistics import degrees_of_freedom
from idaes.models.properties.modular_properties.base.generic_property import GenericParameterBlock
from idaes.models.properties.modular_properties.examples.BT_ideal import configuration
from idaes.models.unit_models import Heater, Mixer
from pyomo.network import Arc

import idaes.core.util.scaling as iscale
from idaes.core.scaling import get_scaling_factor, set_scaling_factor
from flowsheets.flash_demo.ground_truth import propagate
from idaes_ml.nn import MLPRegressor, ScaledNetwork, export_onnx
from idaes_ml.sampling import latin_hypercube
from idaes_ml.surrogate import OnnxSurrogate
from idaes_ml.unit_models import (
    SurrogateUnit,
    SurrogateUnitInitializer,
    SurrogateUnitScaler,
    report_domain,
    units_out_of_domain,
)

FLASH_BOUNDS = {"flow_mol": (1.0, 4.0), "x_benzene": (0.3, 0.7), "temperature": (360.0, 376.0),
                "deltaP": (-30000.0, 0.0)}
FLASH_INPUTS = {"flow_mol": "flow_mol", "x_benzene": "mole_frac_comp[benzene]", "temperature": "temperature",
                "deltaP": "deltaP"}
FLASH_OUTPUTS = {"vap_flow_mol": "vap_outlet.flow_mol", "vap_x_benzene": "vap_outlet.mole_frac_comp[benzene]",
                 "liq_x_benzene": "liq_outlet.mole_frac_comp[benzene]",
                 "temperature_out": ["vap_outlet.temperature", "liq_outlet.temperature"]}
FLASH_RULES = {"mole_frac_comp": "complement", "liq_outlet.flow_mol": "balance"}


@pytest.fixture(scope="module")
def flash_net(tmp_path_factory) -> OnnxSurrogate:
    """An untrained network with flash-like scalers: any smooth network must embed and solve."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({k: rng.uniform(lo, hi, 50) for k, (lo, hi) in FLASH_BOUNDS.items()})
    Y = pd.DataFrame({"vap_flow_mol": 0.4 * X.flow_mol, "vap_x_benzene": X.x_benzene + 0.1,
                      "liq_x_benzene": X.x_benzene - 0.1, "temperature_out": X.temperature - 3.0})
    net = ScaledNetwork.from_data(X, Y, hidden=(8,), activation="tanh", seed=2)
    tmp = tmp_path_factory.mktemp("flash")
    export_onnx(net, tmp, "flash", input_bounds=FLASH_BOUNDS)
    return OnnxSurrogate.load(tmp, "flash")


def hybrid_flowsheet(surrogate, formulation="full_space", **unit_kw) -> pyo.ConcreteModel:
    """Mixer -> Heater -> SurrogateUnit (two outlets), BT_ideal properties, connected by Arcs."""
    m = pyo.ConcreteModel()
    m.fs = FlowsheetBlock(dynamic=False)
    m.fs.props = GenericParameterBlock(**configuration)
    m.fs.mix = Mixer(property_package=m.fs.props, inlet_list=["feed_a", "feed_b"])
    m.fs.heat = Heater(property_package=m.fs.props)
    kw = dict(inputs=FLASH_INPUTS, outputs=FLASH_OUTPUTS, outlet_rules=FLASH_RULES) | unit_kw
    m.fs.flash = SurrogateUnit(property_package=m.fs.props, surrogate=surrogate, formulation=formulation,
                               outlet_list=["vap_outlet", "liq_outlet"], has_pressure_change=True, **kw)
    m.fs.s01 = Arc(source=m.fs.mix.outlet, destination=m.fs.heat.inlet)
    m.fs.s02 = Arc(source=m.fs.heat.outlet, destination=m.fs.flash.inlet)
    pyo.TransformationFactory("network.expand_arcs").apply_to(m)
    return m


def set_feeds(m, feeds=((1.2, 0.7), (1.0, 0.3)), heater_T=368.0, deltaP=-10000.0) -> None:
    for port, (flow, x) in zip((m.fs.mix.feed_a, m.fs.mix.feed_b), feeds):
        port.flow_mol.fix(flow)
        port.mole_frac_comp[0, "benzene"].fix(x)
        port.mole_frac_comp[0, "toluene"].fix(1 - x)
        port.temperature.fix(300.0)
        port.pressure.fix(101325.0)
    m.fs.heat.outlet.temperature.fix(heater_T)
    m.fs.flash.deltaP.fix(deltaP)


def initialize_sequential(m) -> None:
    m.fs.mix.initialize()
    for arc, unit in ((m.fs.s01, m.fs.heat), (m.fs.s02, m.fs.flash)):
        propagate(arc)
        unit.initialize()


def flash_inlet_frame(unit) -> pd.DataFrame:
    return pd.DataFrame({"flow_mol": [pyo.value(unit.inlet.flow_mol[0])],
                         "x_benzene": [pyo.value(unit.inlet.mole_frac_comp[0, "benzene"])],
                         "temperature": [pyo.value(unit.inlet.temperature[0])],
                         "deltaP": [pyo.value(unit.deltaP[0])]})


def active_state_constraints(unit) -> int:
    """Number of active constraints in the unit's inlet and outlet state blocks."""
    blocks = [unit.properties_in] + [getattr(unit, f"{o}_state") for o in unit.config.outlet_list]
    return sum(1 for b in blocks for d in b.values()
               for c in d.component_data_objects(pyo.Constraint, active=True, descend_into=True))


@pytest.mark.parametrize("formulation, property_equations",
                         [("full_space", "state_only"), ("reduced_space", "state_only"), ("full_space", "full")])
def test_hybrid_flowsheet_solves_and_matches_network(flash_net, formulation, property_equations):
    """Both property modes give the same square problem and the network's prediction; only
    'full' keeps the state blocks' own equations (phase split, bubble/dew points)."""
    m = hybrid_flowsheet(flash_net, formulation, property_equations=property_equations)
    set_feeds(m)
    assert m.fs.flash.full_properties == (property_equations == "full")
    assert (active_state_constraints(m.fs.flash) > 0) == (property_equations == "full")
    assert degrees_of_freedom(m) == 0
    # inlet state (flow, 2 mole fractions, T, P), deltaP fixed; without property equations the
    # toluene fraction appears only in the Arc, outside the unit
    assert degrees_of_freedom(m.fs.flash) == (5 if property_equations == "full" else 4)
    initialize_sequential(m)
    f = m.fs.flash
    # initialize() evaluated the network with onnxruntime: the unit is converged before the solve
    worst = max(abs(pyo.value(c.body) - pyo.value(c.upper))
                for c in f.component_data_objects(pyo.Constraint, active=True) if c.equality)
    assert worst < 1e-4
    res = get_solver().solve(m)
    pyo.assert_optimal_termination(res)
    pred = flash_net.evaluate_surrogate(flash_inlet_frame(f)).iloc[0]
    assert pyo.value(f.vap_outlet.flow_mol[0]) == pytest.approx(pred["vap_flow_mol"], rel=1e-5)
    assert pyo.value(f.liq_outlet.mole_frac_comp[0, "benzene"]) == pytest.approx(pred["liq_x_benzene"], rel=1e-5)
    for port in (f.vap_outlet, f.liq_outlet):
        assert pyo.value(port.temperature[0]) == pytest.approx(pred["temperature_out"], rel=1e-6)
        assert pyo.value(port.pressure[0]) == pytest.approx(101325.0 - 10000.0)
        assert pyo.value(sum(port.mole_frac_comp[0, j] for j in ("benzene", "toluene"))) == pytest.approx(1.0)
    assert pyo.value(f.liq_outlet.flow_mol[0] + f.vap_outlet.flow_mol[0]) == pytest.approx(2.2)



@pytest.mark.parametrize("formulation", ["full_space", "reduced_space"])
def test_diagnostics_toolbox_finds_no_structural_issues(flash_net, formulation):
    """Unit-consistent ties between the network and the streams; no singular structure."""
    m = hybrid_flowsheet(flash_net, formulation)
    set_feeds(m)
    initialize_sequential(m)
    pyo.assert_optimal_termination(get_solver().solve(m))
    DiagnosticsToolbox(m).assert_no_structural_warnings()


def test_scaling_from_output_scaler(flash_net):
    m = hybrid_flowsheet(flash_net)
    meta = flash_net.network.metadata
    i = meta.output_labels.index("temperature_out")
    expected = 1.0 / (abs(meta.output_offset[i]) + meta.output_factor[i])
    m.fs.flash.calculate_scaling_factors()
    assert iscale.get_scaling_factor(m.fs.flash.liq_outlet_state[0].temperature) == pytest.approx(expected)
    m2 = hybrid_flowsheet(flash_net)  # keep the model alive: a unit only weakly references its parents
    flash = m2.fs.flash
    inlet = flash.properties_in[0]
    for var in [inlet.flow_mol, *inlet.flow_mol_phase.values()]:  # the user scales the feed, as in IDAES
        set_scaling_factor(var, 0.5)
    SurrogateUnitScaler().scale_model(flash)
    assert get_scaling_factor(flash.vap_outlet_state[0].temperature) == pytest.approx(expected)
    assert get_scaling_factor(flash.liq_outlet_state[0].flow_mol) == pytest.approx(0.5)  # propagated
    assert get_scaling_factor(flash.surrogate_block[0].output_surrogate_ties["temperature_out"]) == \
        pytest.approx(expected)


def test_report_domain_names_inputs_outside_bounds(flash_net):
    m = hybrid_flowsheet(flash_net)
    set_feeds(m)
    inlet = m.fs.flash.inlet
    for var, val in ((inlet.flow_mol[0], 5.0), (inlet.mole_frac_comp[0, "benzene"], 0.78),
                     (inlet.temperature[0], 380.0), (m.fs.flash.deltaP[0], -5000.0)):
        var.set_value(val)
    outside = report_domain(m.fs.flash)
    assert set(outside) == {"flow_mol", "x_benzene", "temperature"}
    assert outside["temperature"] == pytest.approx((380.0, 360.0, 376.0))
    assert list(units_out_of_domain(m.fs)) == ["fs.flash"]
    inlet.temperature[0].set_value(370.0)
    assert set(report_domain(m.fs.flash)) == {"flow_mol", "x_benzene"}


def test_single_outlet_unit_variables_and_specs(flash_net, tmp_path):
    """A heater-like unit: T_out from the inlet, a user unit variable and an outlet spec."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"T_in": rng.uniform(300, 360, 30), "Q": rng.uniform(0, 5e3, 30), "eff": rng.uniform(0.5, 1, 30)})
    Y = pd.DataFrame({"T_out": X.T_in + X.Q * X.eff / 200})
    export_onnx(ScaledNetwork.from_data(X, Y, hidden=(4,), activation="sigmoid"), tmp_path, "heat")
    m = pyo.ConcreteModel()
    m.fs = FlowsheetBlock(dynamic=False)
    m.fs.props = GenericParameterBlock(**configuration)
    m.fs.unit = SurrogateUnit(property_package=m.fs.props, surrogate=(tmp_path, "heat"), formulation="reduced_space",
                              inputs={"T_in": "temperature", "Q": "heat_duty", "eff": "efficiency"},
                              outputs={"T_out": "temperature"}, outlet_rules={"pressure": "fixed"},
                              unit_variables={"efficiency": {"bounds": (0.5, 1)}})
    u = m.fs.unit
    assert u.efficiency[0].value == 0.5  # no initialize given: 0 moved into the bounds
    # inlet state + heat_duty + efficiency; with the outlet pressure fixed and no property
    # equations (state_only) the inlet pressure enters no equation of the unit
    assert degrees_of_freedom(u) == 4 + 2
    u.inlet.flow_mol.fix(1.0)
    u.inlet.mole_frac_comp[0, "benzene"].fix(0.4)
    u.inlet.mole_frac_comp[0, "toluene"].fix(0.6)
    u.inlet.temperature.fix(330.0)
    u.inlet.pressure.fix(2e5)
    u.heat_duty.fix(2000.0)
    u.efficiency.fix(0.9)
    u.outlet.pressure[0].set_value(1.5e5)
    assert degrees_of_freedom(u) == 0
    SurrogateUnitInitializer().initialize(u)  # IDAES Initializer API (u.initialize() is the legacy one)
    assert pyo.value(u.outlet.temperature[0]) > 330.0
    pyo.assert_optimal_termination(get_solver().solve(m))
    pred = u.config.surrogate.evaluate_surrogate(pd.DataFrame({"T_in": [330.0], "Q": [2000.0], "eff": [0.9]}))
    assert pyo.value(u.outlet.temperature[0]) == pytest.approx(pred["T_out"].iloc[0], rel=1e-6)
    assert pyo.value(u.outlet.flow_mol[0]) == pytest.approx(1.0)
    assert pyo.value(u.outlet.pressure[0]) == pytest.approx(1.5e5)


def test_outlet_variable_as_specification(flash_net):
    """Binding a network input to an outlet variable makes it a specification (no outlet rule)."""
    m = hybrid_flowsheet(flash_net, inputs=FLASH_INPUTS | {"temperature": "vap_outlet.temperature"},
                         outputs=FLASH_OUTPUTS | {"temperature_out": "liq_outlet.temperature"})
    set_feeds(m)
    f = m.fs.flash
    assert "vap_outlet.temperature" not in {k for _, k in f.outlet_rule_eqn}
    assert "liq_outlet.pressure" in {k for _, k in f.outlet_rule_eqn}
    assert degrees_of_freedom(m) == 1
    f.vap_outlet.temperature.fix(365.0)
    assert degrees_of_freedom(m) == 0


@pytest.mark.parametrize(("change", "message"), [
    ({"inputs": {k: v for k, v in FLASH_INPUTS.items() if k != "deltaP"} | {"dP": "deltaP"}},
     r"labels without a binding \['deltaP'\], bindings for unknown labels \['dP'\]"),
    ({"outputs": FLASH_OUTPUTS | {"vap_x_benzene": "vap_outlet.mole_frac[benzene]"}},
     r"'mole_frac' is not a state variable .*state variables are \['flow_mol', 'mole_frac_comp'"),
    ({"outputs": FLASH_OUTPUTS | {"vap_x_benzene": "vap_outlet.mole_frac_comp[xylene]"}},
     r"no index \[xylene\]"),
    ({"outputs": FLASH_OUTPUTS | {"vap_x_benzene": "mole_frac_comp[benzene]"}}, "must name its outlet"),
    ({"outlet_rules": {"temperature": "deltaP"}}, "deltaP only for pressure"),
    ({"outlet_rules": {"liq_outlet.mole_frac_comp[toluene]": "complement"}},
     r"keys \['liq_outlet.mole_frac_comp\[toluene\]'\] name no outlet state variable"),
])
def test_mismatched_bindings_are_named(flash_net, change, message):
    with pytest.raises(ConfigurationError, match=message):
        hybrid_flowsheet(flash_net, **change)


def test_relu_formulation_on_tanh_network_rejected(flash_net):
    with pytest.raises(ValueError, match="cannot embed activation"):
        hybrid_flowsheet(flash_net, formulation="relu_bigm")


@pytest.mark.slow
def test_surrogate_flash_replaces_first_principles_flash(tmp_path):
    """Solve Mixer->Heater->Flash over sampled conditions, train a surrogate of the Flash, swap it in.

    The hybrid flowsheet must reproduce the network exactly and first principles within the
    network's own error on held-out points.
    """
    from flowsheets.flash_demo import ground_truth as gt

    data = gt.sample_dataset(48, seed=0, progress=False)
    assert (data.status == "optimal").all()
    inputs = ["flow_mol", "x_benzene", "temperature", "deltaP"]
    outputs = list(FLASH_OUTPUTS)
    est = MLPRegressor(hidden=(16, 16), activation="tanh", max_epochs=1500, learning_rate=3e-3, patience=300,
                       progress=False).fit(data[inputs], data[outputs])
    export_onnx(est, tmp_path, "flash")
    surrogate = OnnxSurrogate.load(tmp_path, "flash")
    test_conds = latin_hypercube(gt.CONDITION_BOUNDS, 4, seed=7).to_dict("records")
    truth = pd.DataFrame([gt.simulate_point(c) for c in test_conds])
    net_err = (surrogate.evaluate_surrogate(truth[inputs]) - truth[outputs]).abs()
    for cond, (_, true_row), (_, err) in zip(test_conds, truth.iterrows(), net_err.iterrows()):
        m = hybrid_flowsheet(surrogate)
        feeds = ((cond["feed_a_flow"], cond["feed_a_x_benzene"]), (cond["feed_b_flow"], cond["feed_b_x_benzene"]))
        set_feeds(m, feeds, cond["heater_T"], cond["flash_deltaP"])
        initialize_sequential(m)
        pyo.assert_optimal_termination(get_solver().solve(m))
        f = m.fs.flash
        hybrid = {"vap_flow_mol": f.vap_outlet.flow_mol[0], "vap_x_benzene": f.vap_outlet.mole_frac_comp[0, "benzene"],
                  "liq_x_benzene": f.liq_outlet.mole_frac_comp[0, "benzene"],
                  "temperature_out": f.vap_outlet.temperature[0]}
        for label, var in hybrid.items():
            assert abs(pyo.value(var) - true_row[label]) <= err[label] * 1.001 + 1e-6 * abs(true_row[label]) + 1e-9
        liq_true = true_row["flow_mol"] - true_row["vap_flow_mol"]
        assert pyo.value(f.liq_outlet.flow_mol[0]) == pytest.approx(liq_true, abs=err["vap_flow_mol"] * 1.001 + 1e-6)
    r2 = est.r2_per_output(truth[inputs], truth[outputs])
    assert (r2 > 0.8).all(), r2
