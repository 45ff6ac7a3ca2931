"""Issue 21: checkpoints keep the output layer, bounds keep their order, files keep the umask's mode,
the requested formulation is honoured on load, enforce_bounds bounds the network, not the stream."""

from __future__ import annotations

import json
import os
import stat
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from idaes.core import FlowsheetBlock
from idaes.core.surrogate.onnx_surrogate import ONNXSurrogate
from idaes.core.surrogate.surrogate_block import SurrogateBlock
from idaes.models.properties.modular_properties.base.generic_property import GenericParameterBlock
from idaes.models.properties.modular_properties.examples.BT_ideal import configuration

from idaes_ml.errors import MetadataError, OutOfDomainError
from idaes_ml.io import write_json, write_table
from idaes_ml.nn import ScaledNetwork, export_onnx, load_checkpoint, save_checkpoint
from idaes_ml.solvers.install import write_launcher
from idaes_ml.surrogate import OnnxSurrogate
from idaes_ml.unit_models import SurrogateUnit

BOUNDS = {"T": (300.0, 400.0), "P": (1e5, 5e5)}


def _data(n: int = 40, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({k: rng.uniform(lo, hi, n) for k, (lo, hi) in BOUNDS.items()})
    return X, pd.DataFrame({"h": 0.02 * (X["T"] - 290.0) * X["P"] / 1e5})


# -- item 1: a reloaded checkpoint predicts what the saved network predicted ----------------------
@settings(max_examples=6, deadline=None)
@given(hidden=st.lists(st.integers(1, 16), min_size=1, max_size=3),
       activation=st.sampled_from(["tanh", "sigmoid", "softplus", "relu"]), positive=st.booleans())
def test_checkpoint_round_trip_keeps_output_layer(tmp_path_factory, hidden, activation, positive):
    X, Y = _data()
    net = ScaledNetwork.from_data(X, Y, hidden=hidden, activation=activation, positive_outputs=positive)
    path = save_checkpoint(net, tmp_path_factory.mktemp("ckpt") / "net.pt")
    again = load_checkpoint(path)
    assert again.positive_outputs == positive
    assert [type(m) for m in again.module] == [type(m) for m in net.module]
    pd.testing.assert_frame_equal(again.predict(X), net.predict(X))


def test_exported_checkpoint_is_the_trained_network(tmp_path):
    """The demo's kind of network (positive outputs): export of the reloaded checkpoint predicts the same."""
    X, Y = _data()
    net = ScaledNetwork.from_data(X, Y, hidden=(16, 16), positive_outputs=True)
    export_onnx(load_checkpoint(save_checkpoint(net, tmp_path / "net.pt")), tmp_path, "net")
    onnx_pred = OnnxSurrogate.load(tmp_path, "net").evaluate_surrogate(X)
    np.testing.assert_allclose(onnx_pred.to_numpy(), net.predict(X).to_numpy(), rtol=1e-5)
    assert (onnx_pred.to_numpy() >= 0).all()


def test_ambiguous_old_checkpoint_and_unrebuildable_network_are_refused(tmp_path):
    X, Y = _data()
    net = ScaledNetwork.from_data(X, Y, hidden=(4,), positive_outputs=True)
    payload = torch.load(save_checkpoint(net, tmp_path / "new.pt"), weights_only=True)
    payload["format"] = "idaes_ml.ScaledNetwork/1"
    del payload["output_activation"]
    torch.save(payload, tmp_path / "old.pt")
    with pytest.raises(MetadataError, match="format 1.*Softplus"):
        load_checkpoint(tmp_path / "old.pt")
    net.module.insert(1, torch.nn.Dropout(0.1))
    with pytest.raises(ValueError, match="cannot checkpoint.*Dropout"):
        save_checkpoint(net, tmp_path / "dropout.pt")
    assert not (tmp_path / "dropout.pt").exists()


# -- item 3: bounds are written in input order, as IDAES reads them by position --------------------
def test_bounds_written_in_label_order_idaes_reads_them_right(tmp_path):
    X, Y = _data()
    net = ScaledNetwork.from_data(X, Y, hidden=(6,), activation="relu")
    given_bounds = {"P": (1.5e5, 4e5), "T": (310.0, 390.0)}  # not the label order [T, P]
    export_onnx(net, tmp_path, "net", input_bounds=given_bounds)
    info = json.loads((tmp_path / "net_idaes_info.json").read_text())
    assert list(info["input_bounds"]) == ["T", "P"]
    theirs = ONNXSurrogate.load_onnx_model(str(tmp_path), "net")
    ours = OnnxSurrogate.load(tmp_path, "net")
    their_scaled = theirs.generate_omlt_scaling_objecets()[1]
    for i, bounds in ours.scaled_input_bounds().items():
        assert their_scaled[i] == pytest.approx(bounds)
    # IDAES's big-M model of our file is feasible at an in-domain point and agrees with onnxruntime
    m = pyo.ConcreteModel()
    m.x = pyo.Var(["T", "P"], bounds=lambda m, k: given_bounds[k])
    m.y = pyo.Var(["h"])
    m.s = SurrogateBlock()
    m.s.build_model(theirs, input_vars=[m.x], output_vars=[m.y], formulation=ONNXSurrogate.Formulation.RELU_BIGM)
    m.x["T"].fix(320.0)
    m.x["P"].fix(3e5)
    m.o = pyo.Objective(expr=0)
    pyo.assert_optimal_termination(pyo.SolverFactory("appsi_highs").solve(m))
    expected = ours.evaluate_surrogate(pd.DataFrame({"T": [320.0], "P": [3e5]}))["h"].iloc[0]
    assert pyo.value(m.y["h"]) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_partial_bounds_are_refused(tmp_path):
    X, Y = _data()
    with pytest.raises(MetadataError, match=r"lack inputs \['T'\].*by position"):
        export_onnx(ScaledNetwork.from_data(X, Y, hidden=(3,)), tmp_path, "net", input_bounds={"P": (1e5, 2e5)})


# -- item 11: files get the umask's mode, as open() and IDAES give them --------------------------
@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_artifacts_respect_umask(tmp_path, mask, mode):
    X, Y = _data()
    net = ScaledNetwork.from_data(X, Y, hidden=(3,))
    with umask(mask):
        res = export_onnx(net, tmp_path, "net")
        written = [res.onnx_path, res.info_path, save_checkpoint(net, tmp_path / "net.pt"),
                   write_table(X, tmp_path / "t.csv"), write_json({"a": 1}, tmp_path / "a.json")]
        write_launcher(tmp_path / "run", "#!/bin/sh\nexit 0\n")
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == mode | (0o111 & ~mask)


# -- items 7 and 13: SurrogateUnit given (directory, name) -----------------------------------------
def _unit_flowsheet(directory, name: str, **unit_kw) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.fs = FlowsheetBlock(dynamic=False)
    m.fs.props = GenericParameterBlock(**configuration)
    m.fs.unit = SurrogateUnit(property_package=m.fs.props, surrogate=(str(directory), name),
                              inputs={"T": "temperature", "P": "pressure"}, outputs={"h": "outlet.flow_mol"},
                              **unit_kw)
    inlet = m.fs.unit.inlet
    inlet.flow_mol.fix(1.0)
    inlet.mole_frac_comp[0, "benzene"].fix(0.5)
    inlet.mole_frac_comp[0, "toluene"].fix(0.5)
    inlet.temperature.fix(360.0)
    inlet.pressure.fix(2e5)
    return m


def test_relu_network_from_files_takes_the_requested_formulation(tmp_path):
    X, Y = _data()
    export_onnx(ScaledNetwork.from_data(X, Y, hidden=(5,), activation="relu"), tmp_path, "relu")
    assert OnnxSurrogate.load(tmp_path, "relu").formulation == "relu_bigm"  # default fits the network
    m = _unit_flowsheet(tmp_path, "relu", formulation="relu_complementarity")
    assert m.fs.unit.formulation == "relu_complementarity"
    m = _unit_flowsheet(tmp_path, "relu", formulation="relu_bigm")
    m.o = pyo.Objective(expr=0)
    pyo.assert_optimal_termination(pyo.SolverFactory("appsi_highs").solve(m))
    expected = OnnxSurrogate.load(tmp_path, "relu").evaluate_surrogate(pd.DataFrame({"T": [360.0], "P": [2e5]}))
    assert pyo.value(m.fs.unit.outlet.flow_mol[0]) == pytest.approx(expected["h"].iloc[0], rel=1e-5, abs=1e-6)


def test_enforce_bounds_bounds_the_network_and_names_unit_and_input(tmp_path):
    X, Y = _data()
    export_onnx(ScaledNetwork.from_data(X, Y, hidden=(5,)), tmp_path, "net", input_bounds=BOUNDS)
    m = _unit_flowsheet(tmp_path, "net", enforce_bounds=True)
    inlet_T = m.fs.unit.properties_in[0].temperature
    free = _unit_flowsheet(tmp_path, "net").fs.unit.properties_in[0].temperature
    assert inlet_T.bounds == free.bounds  # the stream variable keeps the property package's bounds
    assert m.fs.unit.surrogate_block[0].nn.inputs[0].bounds == pytest.approx(BOUNDS["T"])
    m.fs.unit.initialize()  # in the domain: fine
    inlet_T.fix(450.0)
    with pytest.raises(OutOfDomainError, match=r"fs\.unit\.surrogate_block\[0\.0\].*T = 450 "
                                               r"\(fs\.unit\.properties_in\[0\.0\]\.temperature\) outside \[300, 400\]"):
        m.fs.unit.initialize()
