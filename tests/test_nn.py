"""Training, export and loading of feed-forward networks (idaes_ml.nn)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from idaes_ml.errors import DataError, MetadataError, OutOfDomainError, UnsupportedOnnxOpError
from idaes_ml.nn import (
    ACTIVATIONS,
    MLPRegressor,
    ScaledNetwork,
    build_mlp,
    export_onnx,
    info_path,
    load_network,
    onnx_path,
)


def _data(n: int = 80, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"T": rng.uniform(300, 400, n), "P": rng.uniform(1e5, 3e5, n)})
    Y = pd.DataFrame({"h": 0.02 * X["T"] + 1e-5 * X["P"], "v": np.sqrt(X["T"]) * X["P"] / 1e5})
    return X, Y


@pytest.fixture(scope="module")
def fitted() -> tuple[MLPRegressor, pd.DataFrame, pd.DataFrame]:
    X, Y = _data()
    return MLPRegressor(hidden=(16, 16), max_epochs=400, progress=False, seed=3).fit(X, Y), X, Y


def test_fit_predict_labels_and_accuracy(fitted):
    reg, X, Y = fitted
    pred = reg.predict(X)
    assert list(pred.columns) == ["h", "v"] and reg.input_labels_ == ["T", "P"]
    r2 = reg.r2_per_output(X, Y)
    assert (r2 > 0.98).all(), r2
    assert reg.score(X, Y) == pytest.approx(r2.mean())
    assert reg.best_epoch_ >= 1 and len(reg.history_["validation"]) >= reg.best_epoch_


def test_numpy_in_numpy_out_and_column_order():
    X, Y = _data(40)
    reg = MLPRegressor(hidden=(4,), max_epochs=20, progress=False).fit(X.to_numpy(), Y.to_numpy())
    out = reg.predict(X.to_numpy())
    assert isinstance(out, np.ndarray) and out.shape == (40, 2)
    assert reg.input_labels_ == ["x0", "x1"] and reg.output_labels_ == ["y0", "y1"]
    fitted_df = MLPRegressor(hidden=(4,), max_epochs=20, progress=False).fit(X, Y)
    shuffled = X[["P", "T"]]
    pd.testing.assert_frame_equal(fitted_df.predict(shuffled), fitted_df.predict(X))


def test_same_seed_same_network_other_seed_differs():
    X, Y = _data(40)
    a = MLPRegressor(hidden=(8,), max_epochs=30, progress=False, seed=1).fit(X, Y).predict(X)
    b = MLPRegressor(hidden=(8,), max_epochs=30, progress=False, seed=1).fit(X, Y).predict(X)
    c = MLPRegressor(hidden=(8,), max_epochs=30, progress=False, seed=2).fit(X, Y).predict(X)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.to_numpy(), c.to_numpy())


def test_early_stopping_stops_before_max_epochs():
    X, Y = _data(60)
    reg = MLPRegressor(hidden=(4,), max_epochs=5000, patience=5, learning_rate=0.05, progress=False).fit(X, Y)
    assert len(reg.history_["train"]) < 5000
    assert len(reg.history_["train"]) - reg.best_epoch_ <= 5


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_trains_and_exports(activation, tmp_path):
    X, Y = _data(60)
    reg = MLPRegressor(hidden=(8,), activation=activation, max_epochs=200, progress=False,
                       curve_path=tmp_path / "curve.png").fit(X, Y)
    assert (tmp_path / "curve.png").stat().st_size > 1000
    res = export_onnx(reg, tmp_path, f"net_{activation}")
    assert res.max_abs_diff < 1e-5
    ops = [n.op_type for n in load_network(tmp_path, f"net_{activation}").model.graph.node]
    assert ops == ["Gemm", {"tanh": "Tanh", "sigmoid": "Sigmoid", "softplus": "Softplus", "relu": "Relu"}[activation], "Gemm"]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda X, Y: X.assign(T=np.where(X.index == 3, np.nan, X["T"])), r"NaN or inf.*\['T'\]"),
        (lambda X, Y: X.assign(P=np.where(X.index == 1, np.inf, X["P"])), r"NaN or inf.*\['P'\]"),
        (lambda X, Y: X.assign(T=350.0), r"constant columns \['T'\]"),
        # solver round-off on a fixed pressure is no signal (a spread of 1e-13 of the mean)
        (lambda X, Y: X.assign(P=101325.0 + 1e-8 * np.sin(X.index.to_numpy())), r"constant columns \['P'\]"),
    ],
)
def test_bad_training_inputs_are_named(mutate, message):
    X, Y = _data(30)
    with pytest.raises(DataError, match=message):
        MLPRegressor(max_epochs=1, progress=False).fit(mutate(X, Y), Y)


def test_bad_shapes_and_labels():
    X, Y = _data(30)
    with pytest.raises(DataError, match="30 rows but Y has 29"):
        MLPRegressor(max_epochs=1, progress=False).fit(X, Y.iloc[:29])
    with pytest.raises(DataError, match=r"constant columns \['v'\]"):
        MLPRegressor(max_epochs=1, progress=False).fit(X, Y.assign(v=1.0))
    reg = MLPRegressor(hidden=(2,), max_epochs=2, progress=False).fit(X, Y)
    with pytest.raises(DataError, match=r"\['P'\] missing"):
        reg.predict(X[["T"]])
    with pytest.raises(DataError, match="expected 2 input columns"):
        reg.network_.predict(np.ones((3, 3)))
    with pytest.raises(RuntimeError, match="not fitted"):
        MLPRegressor().predict(X)
    with pytest.raises(ValueError, match="activation 'elu' not supported"):
        build_mlp(2, 1, (3,), "elu")


def test_export_loads_in_idaes_and_ours(fitted, tmp_path):
    from idaes.core.surrogate.onnx_surrogate import ONNXSurrogate

    reg, X, _ = fitted
    export_onnx(reg, tmp_path, "unit")
    info = json.loads(info_path(tmp_path, "unit").read_text())
    assert info["input_labels"] == ["T", "P"] and info["input_bounds"]["T"][0] == pytest.approx(X["T"].min())
    idaes_surr = ONNXSurrogate.load_onnx_model(str(tmp_path), "unit")
    assert idaes_surr.input_labels() == ["T", "P"] and idaes_surr.output_labels() == ["h", "v"]
    ours = load_network(tmp_path, "unit")
    np.testing.assert_allclose(ours.predict(X).to_numpy(), reg.predict(X).to_numpy(), rtol=1e-5, atol=1e-5)


@given(st.lists(st.tuples(st.floats(300, 400), st.floats(1e5, 3e5)), min_size=1, max_size=20))
@settings(max_examples=25, deadline=None)
def test_onnxruntime_matches_torch_and_roundtrip(tmp_path_factory, points):
    d = tmp_path_factory.mktemp("rt")
    X, Y = _data(40)
    net = ScaledNetwork.from_data(X, Y, hidden=(6, 5), activation="softplus", seed=4)
    export_onnx(net, d, "n")
    loaded = load_network(d, "n")
    q = pd.DataFrame(points, columns=["T", "P"])
    torch_out = net.predict(q).to_numpy()
    np.testing.assert_allclose(loaded.predict(q).to_numpy(), torch_out, rtol=1e-4, atol=1e-4)
    rebuilt = loaded.to_scaled_network()
    np.testing.assert_allclose(rebuilt.predict(q).to_numpy(), torch_out, rtol=1e-5, atol=1e-5)


def test_custom_bounds_and_domain_check(fitted, tmp_path):
    reg, X, _ = fitted
    export_onnx(reg, tmp_path, "b", input_bounds={"T": (310.0, 390.0), "P": (1e5, 3e5)})
    net = load_network(tmp_path, "b")
    assert net.input_bounds["T"] == (310.0, 390.0)
    with pytest.raises(OutOfDomainError, match=r"T = 305 .*outside \[310, 390\]"):
        net.predict(pd.DataFrame({"T": [305.0], "P": [2e5]}), check_domain=True)
    net.check_domain(pd.DataFrame({"T": [305.0], "P": [2e5]}), tolerance=0.1)
    with pytest.raises(DataError, match=r"unknown inputs \['Q'\]"):
        export_onnx(reg, tmp_path, "c", input_bounds={"Q": (0, 1)})


def test_missing_and_corrupt_files(fitted, tmp_path):
    reg, _, _ = fitted
    with pytest.raises(FileNotFoundError, match="nope.onnx"):
        load_network(tmp_path, "nope")
    export_onnx(reg, tmp_path, "m")
    info_path(tmp_path, "m").unlink()
    with pytest.raises(MetadataError, match="m_idaes_info.json is missing"):
        load_network(tmp_path, "m")
    export_onnx(reg, tmp_path, "m")
    info_path(tmp_path, "m").write_text("{not json")
    with pytest.raises(MetadataError, match="not valid JSON"):
        load_network(tmp_path, "m")
    export_onnx(reg, tmp_path, "m")
    info = json.loads(info_path(tmp_path, "m").read_text())
    info["output_labels"] = ["h"]
    info["output_scaler"] = None
    info_path(tmp_path, "m").write_text(json.dumps(info))
    with pytest.raises(MetadataError, match=r"ONNX output has 2 values, metadata labels \['h'\]"):
        load_network(tmp_path, "m")
    onnx_path(tmp_path, "m").write_bytes(b"garbage")
    with pytest.raises(MetadataError, match="not a valid ONNX model"):
        load_network(tmp_path, "m")


def test_unsupported_layer_is_named(tmp_path):
    X, Y = _data(20)
    net = ScaledNetwork.from_data(X, Y, hidden=(3,))
    net.module[1] = torch.nn.ELU()
    with pytest.raises(UnsupportedOnnxOpError, match="layer 1 \\(ELU\\)"):
        export_onnx(net, tmp_path, "elu")
    assert not onnx_path(tmp_path, "elu").exists()


def test_positive_outputs_stay_non_negative_and_export(tmp_path):
    """A softplus output layer keeps predictions >= 0 far outside the data, survives the ONNX
    round trip (ONNX runtime, rebuilt torch network, OMLT embedding solved by Ipopt)."""
    import pyomo.environ as pyo
    from idaes.core.surrogate.surrogate_block import SurrogateBlock

    from idaes_ml.surrogate import OnnxSurrogate

    rng = np.random.default_rng(5)
    X = pd.DataFrame({"a": rng.uniform(0, 1, 60), "b": rng.uniform(0, 1, 60)})
    Y = pd.DataFrame({"flow": 0.05 + 3 * X.a * X.b, "T": 300 + 20 * X.b})
    reg = MLPRegressor(hidden=(8,), max_epochs=1000, progress=False, positive_outputs=True, seed=1).fit(X, Y)
    net = reg.network_
    assert net.positive_outputs and isinstance(net.module[-1], torch.nn.Softplus)
    assert reg.r2_per_output(X, Y).min() > 0.9
    far = pd.DataFrame({"a": rng.uniform(-50, 50, 500), "b": rng.uniform(-50, 50, 500)})
    assert (reg.predict(far).to_numpy() >= 0).all()
    export_onnx(reg, tmp_path, "pos")
    loaded = load_network(tmp_path, "pos")
    np.testing.assert_allclose(loaded.predict(far).to_numpy(), reg.predict(far).to_numpy(), rtol=1e-4, atol=1e-4)
    rebuilt = loaded.to_scaled_network()
    assert rebuilt.positive_outputs and rebuilt.activation == "tanh"
    m = pyo.ConcreteModel()
    m.u = pyo.Var(range(2), initialize=0.5)
    m.y = pyo.Var(range(2), initialize=1.0)
    m.s = SurrogateBlock()
    m.s.build_model(OnnxSurrogate.load(tmp_path, "pos"), input_vars=[m.u], output_vars=[m.y],
                    formulation="full_space")
    m.u[0].fix(0.3)
    m.u[1].fix(0.8)
    pyo.assert_optimal_termination(pyo.SolverFactory("ipopt").solve(m))
    want = reg.predict(pd.DataFrame({"a": [0.3], "b": [0.8]})).iloc[0]
    assert pyo.value(m.y[0]) == pytest.approx(want["flow"], rel=1e-4)
    assert pyo.value(m.y[1]) == pytest.approx(want["T"], rel=1e-5)


def test_positive_outputs_reject_negative_targets():
    X, Y = _data(20)
    Y["h"] -= 100.0
    with pytest.raises(DataError, match=r"positive_outputs=True but targets \['h'\]"):
        ScaledNetwork.from_data(X, Y, hidden=(4,), positive_outputs=True)
