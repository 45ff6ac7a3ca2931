"""Conservation-exact network heads: torch math, targets, metadata, and SurrogateUnit equations."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from idaes.core import FlowsheetBlock
from idaes.core.solvers import get_solver
from idaes.core.util.exceptions import ConfigurationError
from idaes.core.util.model_statistics import degrees_of_freedom
from idaes.models.properties.modular_properties.base.generic_property import GenericParameterBlock
from idaes.models.properties.modular_properties.examples.BT_ideal import configuration as bt_configuration

from flowsheets.cumene.properties import ATOMS, COMPONENTS, configuration, molar_mass
from flowsheets.cumene.units import HEADS
from idaes_ml.balances import (BalanceError, ReactionHead, SplitHead, head_from_dict, reaction_targets,
                               split_targets)
from idaes_ml.cycles import network_node
from idaes_ml.nn import ScaledNetwork, export_onnx, info_path
from idaes_ml.surrogate import OnnxSurrogate
from idaes_ml.unit_models import SurrogateUnit

FLOWS = st.floats(min_value=1e-3, max_value=50.0)
LOGITS = st.floats(min_value=-12.0, max_value=12.0)
ALKYLATION = HEADS["R101"]
STREAM_VARS = [f"flow_mol_comp[{c}]" for c in COMPONENTS] + ["temperature", "pressure"]


# -- torch heads ------------------------------------------------------------------------
@settings(max_examples=50, deadline=None)
@given(st.lists(FLOWS, min_size=5, max_size=5), st.lists(LOGITS, min_size=10, max_size=10))
def test_split_head_conserves_every_component(flows, logits):
    head = SplitHead(("a", "b", "c"), COMPONENTS)
    inlet = torch.tensor([flows], dtype=torch.float64)
    out = head.apply_torch(inlet, torch.tensor([logits], dtype=torch.float64))
    assert torch.allclose(sum(out.values()), inlet, rtol=1e-12, atol=0)
    assert all((v >= 0).all() for v in out.values())


@settings(max_examples=50, deadline=None)
@given(st.lists(FLOWS, min_size=5, max_size=5), st.floats(0.0, 0.5), st.floats(0.0, 0.5))
def test_reaction_head_conserves_elements(flows, y1, y2):
    inlet = torch.tensor([flows], dtype=torch.float64)
    out = ALKYLATION.apply_torch(inlet, torch.tensor([[y1, y2]], dtype=torch.float64))["outlet"]
    atoms = torch.tensor([[ATOMS[c][a] for c in COMPONENTS] for a in ("C", "H")], dtype=torch.float64)
    assert torch.allclose(atoms @ out[0], atoms @ inlet[0], rtol=1e-12)


def test_cumene_stoichiometry_conserves_mass_with_the_property_molar_masses():
    mw = {c: molar_mass(c) for c in COMPONENTS}
    for head in (HEADS["R101"], HEADS["R102"]):
        head.check_mass(mw)
    ALKYLATION.check_mass({c: configuration["components"][c]["parameter_data"]["mw"][0] for c in COMPONENTS})


def test_bad_heads_are_named():
    with pytest.raises(BalanceError, match="R1: sum"):
        ALKYLATION.check_mass({**{c: molar_mass(c) for c in COMPONENTS}, "cumene": 0.12019})
    with pytest.raises(BalanceError, match="not in"):
        ReactionHead({"r": {"x": -1, "y": 1}}, ("x",))
    with pytest.raises(BalanceError, match="linearly dependent"):
        ReactionHead({"r": {"x": -1, "y": 1}, "s": {"x": 2, "y": -2}}, ("x", "y"))
    with pytest.raises(BalanceError, match="two or more"):
        SplitHead(("only",), ("x",))
    with pytest.raises(BalanceError, match="unknown balance head kind"):
        head_from_dict({"kind": "magic"})


# -- targets ----------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(st.lists(FLOWS, min_size=5, max_size=5), st.lists(st.floats(-8.0, 8.0), min_size=5, max_size=5))
def test_split_targets_invert_the_head(flows, logits):
    head = SplitHead(("top", "bot"), COMPONENTS)
    inlet = torch.tensor([flows], dtype=torch.float64)
    out = head.apply_torch(inlet, torch.tensor([logits], dtype=torch.float64))
    frame = {o: pd.DataFrame(v.numpy(), columns=COMPONENTS) for o, v in out.items()}
    got = split_targets(head, pd.DataFrame(inlet.numpy(), columns=COMPONENTS), frame)
    assert np.allclose(got.to_numpy()[0], logits, atol=1e-8)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(1.0, 50.0), min_size=5, max_size=5), st.floats(0.0, 0.5), st.floats(0.0, 0.4))
def test_reaction_targets_invert_the_head(flows, y1, y2):
    inlet = torch.tensor([[sum(flows)] + flows[1:3] + [sum(flows)] + flows[4:]], dtype=torch.float64)  # excess
    out = ALKYLATION.apply_torch(inlet, torch.tensor([[y1, y2]], dtype=torch.float64))["outlet"]
    got = reaction_targets(ALKYLATION, pd.DataFrame(inlet.numpy(), columns=COMPONENTS),
                           pd.DataFrame(out.numpy(), columns=COMPONENTS))
    assert np.allclose(got.to_numpy()[0], [y1, y2], atol=1e-9)


def test_data_that_break_the_balance_are_reported_with_the_residual():
    feed = pd.DataFrame([[10.0, 5.0, 1.0, 2.0, 0.5]], columns=COMPONENTS)
    with pytest.raises(BalanceError, match=r"relative residual .* component 'propane'"):
        reaction_targets(ALKYLATION, feed, feed.assign(propane=1.5))  # propane is inert
    head = SplitHead(("top", "bot"), COMPONENTS)
    with pytest.raises(BalanceError, match="do not add up"):
        split_targets(head, feed, {"top": feed * 0.5, "bot": feed * 0.6})
    with pytest.raises(BalanceError, match="do not match"):
        split_targets(head, feed, {"top": feed * 0.5, "side": feed * 0.5})


# -- metadata ---------------------------------------------------------------------------
def _network(inputs: list[str], outputs: list[str], seed: int = 0,
             bounds: dict[str, tuple[float, float]] | None = None) -> ScaledNetwork:
    """An untrained network whose input bounds are ``bounds`` (default 1..20 for every input)."""
    rng = np.random.default_rng(seed)
    box = {k: (bounds or {}).get(k, (1.0, 20.0)) for k in inputs}
    X = pd.DataFrame({k: rng.uniform(lo, hi, 40) for k, (lo, hi) in box.items()})
    Y = pd.DataFrame(rng.normal(0.0, 1.0, (40, len(outputs))) * 0.1 + 0.2, columns=outputs)
    return ScaledNetwork.from_data(X, Y, hidden=(6,), seed=seed)


def test_metadata_carries_the_head_and_files_without_it_load_free_form(tmp_path):
    head = SplitHead(("top", "bot"), ("a", "b"))
    net = _network(["F_a", "F_b"], head.output_labels())
    export_onnx(net, tmp_path, "split", balance=head)
    assert OnnxSurrogate.load(tmp_path, "split").balance == head
    doc = json.loads(info_path(tmp_path, "split").read_text())
    assert doc["idaes_ml_balance"]["kind"] == "split"
    export_onnx(net, tmp_path, "free")
    assert OnnxSurrogate.load(tmp_path, "free").balance is None
    with pytest.raises(BalanceError, match="not network outputs"):
        export_onnx(net, tmp_path, "bad", balance=SplitHead(("x", "y"), ("a", "b")))


# -- SurrogateUnit equations ------------------------------------------------------------
def _flowsheet(props_config: dict) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.fs = FlowsheetBlock(dynamic=False)
    m.fs.props = GenericParameterBlock(**props_config)
    return m


@pytest.fixture(scope="module")
def cumene_units(tmp_path_factory):
    """A flash (split head) and an alkylator (reaction head) on the cumene property package."""
    tmp = tmp_path_factory.mktemp("heads")
    flows = [f"F_{c}" for c in COMPONENTS]
    flash_head = SplitHead(("vap_outlet", "liq_outlet"), COMPONENTS)
    export_onnx(_network(flows + ["T"], flash_head.output_labels(), 1, {"T": (300.0, 340.0)}), tmp, "flash",
                balance=flash_head)
    export_onnx(_network(flows, ALKYLATION.output_labels(), 2), tmp, "alk", balance=ALKYLATION)
    m = _flowsheet(configuration)
    bindings = {f"F_{c}": f"flow_mol_comp[{c}]" for c in COMPONENTS}
    m.fs.flash = SurrogateUnit(property_package=m.fs.props, surrogate=(str(tmp), "flash"),
                               outlet_list=["vap_outlet", "liq_outlet"], inputs={**bindings, "T": "temperature"},
                               outputs={})
    m.fs.rx = SurrogateUnit(property_package=m.fs.props, surrogate=(str(tmp), "alk"), inputs=bindings, outputs={})
    return m, tmp


def _set_inlet(unit, flows: list[float]) -> None:
    for c, f in zip(COMPONENTS, flows):
        unit.inlet.flow_mol_comp[0, c].fix(f)
    unit.inlet.temperature[0].fix(320.0)
    unit.inlet.pressure[0].fix(2e5)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.floats(1.0, 20.0), min_size=5, max_size=5))
def test_structured_units_conserve_to_solver_tolerance_and_match_torch(cumene_units, flows):
    m, tmp = cumene_units
    _set_inlet(m.fs.flash, flows)
    _set_inlet(m.fs.rx, [max(flows[:2]), min(flows[:2])] + flows[2:])  # benzene in excess of propylene
    assert degrees_of_freedom(m) == 0
    for unit in (m.fs.flash, m.fs.rx):
        unit.initialize()
    assert pyo.check_optimal_termination(get_solver("ipopt").solve(m))
    # component balance of the flash, element balance of the reactor
    for c in COMPONENTS:
        out = sum(pyo.value(getattr(m.fs.flash, o).flow_mol_comp[0, c]) for o in ("vap_outlet", "liq_outlet"))
        assert out == pytest.approx(pyo.value(m.fs.flash.inlet.flow_mol_comp[0, c]), rel=1e-8)
    for atom in ("C", "H"):
        def flux(port):
            return sum(ATOMS[c][atom] * pyo.value(port.flow_mol_comp[0, c]) for c in COMPONENTS)
        assert flux(m.fs.rx.outlet) == pytest.approx(flux(m.fs.rx.inlet), rel=1e-8)
    # the torch node with the same network and head gives the same outlets
    for unit, name in ((m.fs.flash, "flash"), (m.fs.rx, "alk")):
        surrogate = OnnxSurrogate.load(tmp, name)
        net = _torch_network(surrogate)
        outlets = unit.config.outlet_list
        node = network_node(name, net, {"inlet": "in"}, {o: o for o in outlets}, STREAM_VARS, {}, [],
                            {f"{o}.{v}": f"inlet.{v}" for o in outlets for v in ("temperature", "pressure")},
                            head=surrogate.balance)
        feed = torch.tensor([[pyo.value(unit.inlet.flow_mol_comp[0, c]) for c in COMPONENTS] + [320.0, 2e5]],
                            dtype=torch.float64)
        got = node.forward({"inlet": feed}, None)
        for o in outlets:
            eo = [pyo.value(getattr(unit, o).flow_mol_comp[0, c]) for c in COMPONENTS]
            assert np.allclose(got[o][0, :5].detach().numpy(), eo, rtol=1e-5, atol=1e-9)


def _torch_network(surrogate: OnnxSurrogate) -> ScaledNetwork:
    """The exported network rebuilt in torch, with labels renamed to the node's stream labels."""
    from idaes_ml.nn import load_network

    net = load_network(surrogate.network.source, surrogate.network.name).to_scaled_network()
    rename = {f"F_{c}": f"inlet.flow_mol_comp[{c}]" for c in COMPONENTS} | {"T": "inlet.temperature"}
    net.input_labels = [rename[k] for k in net.input_labels]
    net.input_bounds = {rename[k]: v for k, v in net.input_bounds.items()}
    net.module.double()
    return net


def test_split_head_on_a_total_flow_state(tmp_path):
    """FTPx states: flow_mol x[c] on the left, sum x = 1 per outlet."""
    head = SplitHead(("vap_outlet", "liq_outlet"), ("benzene", "toluene"))
    export_onnx(_network(["F", "x", "T"], head.output_labels()), tmp_path, "bt", balance=head)
    m = _flowsheet(bt_configuration)
    m.fs.flash = SurrogateUnit(property_package=m.fs.props, surrogate=(str(tmp_path), "bt"),
                               outlet_list=["vap_outlet", "liq_outlet"],
                               inputs={"F": "flow_mol", "x": "mole_frac_comp[benzene]", "T": "temperature"},
                               outputs={})
    m.fs.flash.inlet.flow_mol[0].fix(3.0)
    m.fs.flash.inlet.mole_frac_comp[0, "benzene"].fix(0.4)
    m.fs.flash.inlet.mole_frac_comp[0, "toluene"].fix(0.6)
    m.fs.flash.inlet.temperature[0].fix(365.0)
    m.fs.flash.inlet.pressure[0].fix(101325.0)
    assert degrees_of_freedom(m) == 0
    m.fs.flash.initialize()
    assert pyo.check_optimal_termination(get_solver("ipopt").solve(m))
    for c, z in (("benzene", 0.4), ("toluene", 0.6)):
        out = sum(pyo.value(getattr(m.fs.flash, o).flow_mol[0] * getattr(m.fs.flash, o).mole_frac_comp[0, c])
                  for o in ("vap_outlet", "liq_outlet"))
        assert out == pytest.approx(3.0 * z, rel=1e-8)


def test_heads_that_do_not_fit_the_unit_are_refused(tmp_path):
    flows = [f"F_{c}" for c in COMPONENTS]
    bindings = {f"F_{c}": f"flow_mol_comp[{c}]" for c in COMPONENTS}
    wrong_outlets = SplitHead(("top", "bottom"), COMPONENTS)
    export_onnx(_network(flows, wrong_outlets.output_labels()), tmp_path, "split", balance=wrong_outlets)
    m = _flowsheet(configuration)
    with pytest.raises(BalanceError, match="do not match the unit's outlet list"):
        m.fs.flash = SurrogateUnit(property_package=m.fs.props, surrogate=(str(tmp_path), "split"),
                                   outlet_list=["vap_outlet", "liq_outlet"], inputs=bindings, outputs={})
    lossy = ReactionHead({"R1": {"benzene": -1, "propylene": -1, "cumene": 1.001}}, COMPONENTS)
    export_onnx(_network(flows, lossy.output_labels()), tmp_path, "lossy", balance=lossy)
    with pytest.raises(BalanceError, match="does not conserve mass"):
        m.fs.rx = SurrogateUnit(property_package=m.fs.props, surrogate=(str(tmp_path), "lossy"), inputs=bindings,
                                outputs={})
    both = _network(flows, ["extent[R1]", "cumene_out"])
    export_onnx(both, tmp_path, "both")
    with pytest.raises(ConfigurationError, match="set by the balance equations"):
        m.fs.rx2 = SurrogateUnit(property_package=m.fs.props, surrogate=(str(tmp_path), "both"), inputs=bindings,
                                 outputs={"cumene_out": "outlet.flow_mol_comp[cumene]"},
                                 balance=ReactionHead({"R1": {"benzene": -1, "propylene": -1, "cumene": 1}},
                                                      COMPONENTS))


def test_energy_balance_sets_the_outlet_temperature(tmp_path):
    """energy_balance=True: H_in + Q = H_out with the property package's enthalpies; no T output."""
    head = SplitHead(("vap_outlet", "liq_outlet"), ("benzene", "toluene"))
    export_onnx(_network(["F", "x", "T"], head.output_labels(), 3, {"x": (0.3, 0.7), "T": (360.0, 380.0)}),
                tmp_path, "bt", balance=head)
    m = _flowsheet(bt_configuration)
    kw = dict(property_package=m.fs.props, surrogate=(str(tmp_path), "bt"), outlet_list=["vap_outlet", "liq_outlet"],
              inputs={"F": "flow_mol", "x": "mole_frac_comp[benzene]", "T": "temperature"}, outputs={},
              energy_balance=True)
    with pytest.raises(ConfigurationError, match="property_equations='full'"):
        _flowsheet(bt_configuration).fs.bad = SurrogateUnit(**(kw | {"property_package": m.fs.props}))
    m.fs.flash = SurrogateUnit(**kw, property_equations="full")
    f = m.fs.flash
    f.inlet.flow_mol[0].fix(3.0)
    f.inlet.mole_frac_comp[0, "benzene"].fix(0.4)
    f.inlet.mole_frac_comp[0, "toluene"].fix(0.6)
    f.inlet.temperature[0].fix(370.0)
    f.inlet.pressure[0].fix(101325.0)
    f.heat_duty[0].fix(2000.0)
    assert degrees_of_freedom(m) == 0
    f.initialize()
    assert pyo.check_optimal_termination(get_solver("ipopt").solve(m))

    def enthalpy(state):
        return sum(pyo.value(state.get_enthalpy_flow_terms(p)) for p in state.phase_list)

    h_out = enthalpy(f.vap_outlet_state[0]) + enthalpy(f.liq_outlet_state[0])
    assert h_out == pytest.approx(enthalpy(f.properties_in[0]) + 2000.0, rel=1e-8)
    assert pyo.value(f.vap_outlet.temperature[0]) == pytest.approx(pyo.value(f.liq_outlet.temperature[0]))
    assert pyo.value(f.vap_outlet.temperature[0]) != pytest.approx(370.0, abs=1e-3)  # heated: not a copy
