"""OnnxSurrogate: graph checks, every OMLT formulation against onnxruntime, MILPs, errors, persistence."""

from __future__ import annotations

import io
import json

import numpy as np
import onnx
import pandas as pd
import pyomo.environ as pyo
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from idaes.core.surrogate.onnx_surrogate import ONNXSurrogate
from idaes.core.surrogate.surrogate_block import SurrogateBlock
from onnx import TensorProto, helper, numpy_helper

from idaes_ml.errors import DataError, MetadataError, OutOfDomainError, UnsupportedOnnxOpError
from idaes_ml.io import write_json
from idaes_ml.sampling import outside_bounds
from idaes_ml.nn import NetworkMetadata, ScaledNetwork, export_onnx, info_path
from idaes_ml.surrogate import FORMULATIONS, OnnxSurrogate, check_onnx, list_ops, normalize_onnx

BOUNDS = {"u": (-1.0, 2.0), "v": (10.0, 30.0)}
SMOOTH = ("full_space", "reduced_space")
RELU = ("relu_bigm", "relu_complementarity", "relu_partition")
MILP = ("relu_bigm", "relu_partition")


def _data(n: int = 40, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({k: rng.uniform(lo, hi, n) for k, (lo, hi) in BOUNDS.items()})
    Y = pd.DataFrame({"a": X.u**2 + 0.1 * X.v, "b": 300 + 5 * np.sin(X.u) * X.v})
    return X, Y


def make_surrogate(tmp_path, activation: str, formulation: str, hidden=(6, 5), seed: int = 0, **kw) -> OnnxSurrogate:
    """Untrained network with data scalers/bounds, exported and loaded like a real one."""
    X, Y = _data()
    net = ScaledNetwork.from_data(X, Y, hidden=hidden, activation=activation, seed=seed)
    export_onnx(net, tmp_path, f"{activation}{seed}", input_bounds=BOUNDS)
    return OnnxSurrogate.load(tmp_path, f"{activation}{seed}", formulation=formulation, **kw)


def build(surrogate: OnnxSurrogate, formulation: str, **kw) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(surrogate.input_labels(), initialize=lambda m, k: sum(BOUNDS[k]) / 2)
    m.y = pyo.Var(surrogate.output_labels(), initialize=0.0)
    m.s = SurrogateBlock()
    m.s.build_model(surrogate, input_vars=[m.x], output_vars=[m.y], formulation=formulation, **kw)
    return m


def solve(m: pyo.ConcreteModel, formulation: str):
    solver = pyo.SolverFactory("appsi_highs" if formulation in MILP else "ipopt")
    res = solver.solve(m)
    pyo.assert_optimal_termination(res)
    return res


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """One model per formulation (smooth ones on a softplus network: Softplus must work)."""
    tmp = tmp_path_factory.mktemp("nets")
    out = {}
    for form in FORMULATIONS:
        s = make_surrogate(tmp, "softplus" if form in SMOOTH else "relu", form)
        m = build(s, form)
        if form not in MILP:
            m.obj = pyo.Objective(expr=0.0)
        out[form] = (s, m)
    return out


@pytest.mark.parametrize("formulation", FORMULATIONS)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(u=st.floats(*BOUNDS["u"]), v=st.floats(*BOUNDS["v"]))
def test_pyomo_network_equals_onnxruntime(models, formulation, u, v):
    surrogate, m = models[formulation]
    if formulation == "relu_complementarity":  # MPEC: start Ipopt from a consistent point elsewhere
        surrogate.initialize_block(m.s, {"u": 0.5, "v": 20.0})
    m.x["u"].fix(u)
    m.x["v"].fix(v)
    if formulation in MILP:
        m.obj = pyo.Objective(expr=0.0)
    solve(m, formulation)
    if formulation in MILP:
        m.del_component(m.obj)
    expected = surrogate.evaluate_surrogate(pd.DataFrame({"u": [u], "v": [v]})).iloc[0]
    for label in surrogate.output_labels():
        assert pyo.value(m.y[label]) == pytest.approx(expected[label], rel=1e-4, abs=1e-4)


def test_initialize_block_gives_consistent_point(tmp_path):
    s = make_surrogate(tmp_path, "tanh", "full_space")
    m = build(s, "full_space")
    y = s.initialize_block(m.s, {"u": 0.3, "v": 12.0})
    residuals = [abs(pyo.value(c.body) - pyo.value(c.upper)) for c in m.component_data_objects(pyo.Constraint)]
    assert max(residuals) < 1e-5
    assert pyo.value(m.y["b"]) == pytest.approx(y["b"])


def test_inverse_problem_recovers_known_inputs(tmp_path):
    """An injective tanh network (invertible 2x2 layers): solve for the inputs giving its outputs."""
    X, Y = _data()
    net = ScaledNetwork.from_data(X, Y, hidden=(2,), activation="tanh", seed=1)
    with torch.no_grad():
        net.module[0].weight.copy_(torch.tensor([[0.9, 0.3], [-0.4, 0.8]]))
        net.module[2].weight.copy_(torch.tensor([[1.0, 0.5], [-0.2, 1.1]]))
    export_onnx(net, tmp_path, "inv", input_bounds=BOUNDS)
    for form in SMOOTH:
        s = OnnxSurrogate.load(tmp_path, "inv", formulation=form)
        target = s.evaluate_surrogate(pd.DataFrame({"u": [1.3], "v": [14.0]})).iloc[0]
        m = build(s, form, enforce_bounds=True)
        for k in ("a", "b"):
            m.y[k].fix(float(target[k]))
        m.obj = pyo.Objective(expr=0.0)
        solve(m, form)
        assert pyo.value(m.x["u"]) == pytest.approx(1.3, abs=1e-3)
        assert pyo.value(m.x["v"]) == pytest.approx(14.0, abs=1e-2)


@pytest.mark.parametrize("solver", ["appsi_highs", "cbc"])
@pytest.mark.parametrize("formulation", MILP)
def test_relu_milp_optimum_beats_dense_grid(tmp_path, formulation, solver):
    s = make_surrogate(tmp_path, "relu", formulation, hidden=(8, 8), seed=3)
    m = build(s, formulation)
    m.obj = pyo.Objective(expr=m.y["b"] - 20.0 * m.y["a"], sense=pyo.maximize)
    pyo.assert_optimal_termination(pyo.SolverFactory(solver).solve(m))
    best = pyo.value(m.obj)
    g = np.meshgrid(np.linspace(*BOUNDS["u"], 301), np.linspace(*BOUNDS["v"], 301))
    grid = pd.DataFrame({"u": g[0].ravel(), "v": g[1].ravel()})
    pred = s.evaluate_surrogate(grid)
    grid_best = float((pred["b"] - 20.0 * pred["a"]).max())
    assert best >= grid_best - 1e-3 * max(1.0, abs(grid_best))
    at_opt = s.evaluate_surrogate(pd.DataFrame({k: [pyo.value(m.x[k])] for k in ("u", "v")})).iloc[0]
    assert at_opt["b"] - 20.0 * at_opt["a"] == pytest.approx(best, rel=1e-4, abs=1e-3)


# -- PyTorch exports that break IDAES's ONNXSurrogate -------------------------------------------
def _torch_export(tmp_path, name: str, activation: type, dynamo: bool, shape=(1, 2)) -> None:
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(2, 6), activation(), torch.nn.Linear(6, 2)).eval()
    torch.onnx.export(module, (torch.zeros(*shape),), str(tmp_path / f"{name}.onnx"), input_names=["x"],
                      output_names=["y"], dynamo=dynamo, verbose=False)
    X, Y = _data()
    meta = NetworkMetadata(list(X.columns), list(Y.columns), X.mean().to_numpy(), X.std().to_numpy(),
                           Y.mean().to_numpy(), Y.std().to_numpy(), BOUNDS)
    write_json(meta.to_dict(), info_path(tmp_path, name))


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """PyTorch's own exports: legacy ones with static batch dims, dynamo with Softplus (exported once)."""
    tmp = tmp_path_factory.mktemp("torch_exports")
    _torch_export(tmp, "static_tanh", torch.nn.Tanh, dynamo=False)
    _torch_export(tmp, "matmul_add_sigmoid", torch.nn.Sigmoid, dynamo=False, shape=(1, 1, 2))
    _torch_export(tmp, "dynamo_softplus", torch.nn.Softplus, dynamo=True)
    return tmp


@pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning")  # torch's dynamo exporter, not ours
@pytest.mark.parametrize(("name", "idaes_error"), [
    ("static_tanh", KeyError),        # static batch dim [1, 2] -> KeyError (0, 0) in populate_block
    ("matmul_add_sigmoid", KeyError),  # [1, 1, 2] input: MatMul + Add(bias, .) -> KeyError (0, 0, 0)
    ("dynamo_softplus", ValueError),  # Where(Greater(z, 20), z, Softplus(z)) -> "Unhandled node type Where"
])
def test_pytorch_exports_idaes_fails_ours_works(exports, name, idaes_error):
    theirs = ONNXSurrogate.load_onnx_model(str(exports), name)
    with pytest.raises(idaes_error):
        build(theirs, ONNXSurrogate.Formulation.FULL_SPACE)
    ours = OnnxSurrogate.load(exports, name)
    m = build(ours, "full_space")
    m.x["u"].fix(0.7)
    m.x["v"].fix(25.0)
    m.obj = pyo.Objective(expr=0.0)
    solve(m, "full_space")
    expected = ours.evaluate_surrogate(pd.DataFrame({"u": [0.7, 0.1], "v": [25.0, 11.0]}))
    assert [pyo.value(m.y[k]) for k in ("a", "b")] == pytest.approx(expected.iloc[0].tolist(), rel=1e-5)


def test_normalize_fuses_softplus_guard_and_frees_batch(exports):
    raw = onnx.load(str(exports / "dynamo_softplus.onnx"))
    assert {"Greater", "Where"} <= set(list_ops(raw))
    assert raw.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 1
    fixed = normalize_onnx(raw)
    assert list_ops(fixed) == ["Gemm", "Softplus", "Gemm"]
    assert fixed.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert check_onnx(fixed) == ["softplus", "linear"]


# -- bad input ---------------------------------------------------------------------------------
def _graph(ops: list[str]) -> onnx.ModelProto:
    """x[batch,2] -> Gemm(2->3) -> ops... with constant weights."""
    inits = [numpy_helper.from_array(np.ones((3, 2), np.float32), "W"),
             numpy_helper.from_array(np.zeros(3, np.float32), "B")]
    nodes = [helper.make_node("Gemm", ["x", "W", "B"], ["h0"], transB=1, name="dense")]
    for i, op in enumerate(ops):
        nodes.append(helper.make_node(op, [f"h{i}"], [f"h{i + 1}"], name=f"n{i}"))
    nodes[-1].output[0] = "y"
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize(("ops", "message"), [
    (["Softmax"], "Softmax (node 'n0')"),
    (["Relu", "Sigmoid"], "Sigmoid after a non-dense node 'n0' (op Relu)"),
    (["Relu", "Exp"], "Exp"),
])
def test_unsupported_op_is_named(ops, message):
    with pytest.raises(UnsupportedOnnxOpError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_onnx(normalize_onnx(_graph(ops)))


def test_normalize_drops_identity_and_initializer_inputs():
    model = _graph(["Tanh", "Identity"])
    model.graph.input.append(helper.make_tensor_value_info("W", TensorProto.FLOAT, [3, 2]))
    fixed = normalize_onnx(model)
    assert list_ops(fixed) == ["Gemm", "Tanh"]
    assert [v.name for v in fixed.graph.input] == ["x"]
    assert fixed.graph.node[-1].output[0] == "y"
    assert check_onnx(fixed) == ["tanh"]


def test_unsupported_op_rejected_on_load(tmp_path):
    onnx.save(_graph(["Softmax"]), str(tmp_path / "sm.onnx"))
    write_json({"input_labels": ["u", "v"], "output_labels": ["a", "b", "c"], "input_scaler": None,
                "output_scaler": None, "input_bounds": {"u": [0, 1], "v": [0, 1]}}, info_path(tmp_path, "sm"))
    with pytest.raises(UnsupportedOnnxOpError, match="Softmax"):
        OnnxSurrogate.load(tmp_path, "sm")


def test_missing_and_corrupt_metadata(tmp_path):
    make_surrogate(tmp_path, "tanh", "full_space")
    info = info_path(tmp_path, "tanh0")
    doc = json.loads(info.read_text())
    info.unlink()
    with pytest.raises(MetadataError, match="missing"):
        OnnxSurrogate.load(tmp_path, "tanh0")
    info.write_text("{not json")
    with pytest.raises(MetadataError, match="not valid JSON"):
        OnnxSurrogate.load(tmp_path, "tanh0")
    doc["output_labels"] = ["a"]
    doc["output_scaler"] = None
    info.write_text(json.dumps(doc))
    with pytest.raises(MetadataError, match="labels"):
        OnnxSurrogate.load(tmp_path, "tanh0")
    with pytest.raises(MetadataError, match="does not hold a saved"):
        OnnxSurrogate.load(io.StringIO('{"format": "idaes_ml.OnnxSurrogate"}'))


def test_formulation_activation_mismatch(tmp_path):
    with pytest.raises(ValueError, match=r"'relu_bigm' cannot embed activation\(s\) \['tanh'\]"):
        make_surrogate(tmp_path, "tanh", "relu_bigm")
    s = make_surrogate(tmp_path, "relu", "relu_bigm")
    with pytest.raises(ValueError, match=r"'reduced_space' cannot embed activation\(s\) \['relu'\]"):
        build(s, "reduced_space")
    with pytest.raises(ValueError, match="unknown formulation 'milp'"):
        build(s, "milp")


def test_bounds_enforced(tmp_path):
    s = make_surrogate(tmp_path, "sigmoid", "reduced_space", enforce_bounds=True)
    inside = pd.DataFrame({"u": [0.0], "v": [20.0]})
    outside = pd.DataFrame({"u": [0.0, 3.5], "v": [20.0, 20.0]})
    assert s.evaluate_surrogate(inside).shape == (1, 2)
    with pytest.raises(OutOfDomainError, match=r"u = 3\.5"):
        s.evaluate_surrogate(outside)
    assert s.evaluate_surrogate(outside, check_bounds=False).shape == (2, 2)
    m = build(s, "reduced_space", use_surrogate_bounds=False)
    # the network's own inputs are bounded, the model's variables keep theirs (issue 21, item 13)
    assert m.x["u"].bounds == (None, None) and m.s.nn.inputs[0].bounds == pytest.approx(BOUNDS["u"])
    m.x["u"].fix(3.5)
    m.x["v"].fix(20.0)
    with pytest.raises(OutOfDomainError, match=r"^s: fixed network inputs .* u = 3\.5 \(x\[u\]\) outside \[-1, 2\]"):
        s.initialize_block(m.s)
    m.obj = pyo.Objective(expr=0.0)
    res = pyo.SolverFactory("ipopt").solve(m, load_solutions=False)
    assert res.solver.termination_condition == pyo.TerminationCondition.infeasible
    assert s.domain_violations({"u": 3.5, "v": 20.0}) == {"u": (3.5, -1.0, 2.0)}
    # a solver's bound relaxation (1e-8 relative) is not an excursion; a missing input is named
    assert s.domain_violations({"u": 2.0 + 1e-8, "v": BOUNDS["v"][0]}) == {}
    with pytest.raises(DataError, match="lacks network inputs"):
        s.domain_violations({"u": 0.0})


@given(lo=st.floats(-1e6, 1e6), width=st.floats(1e-3, 1e6), frac=st.floats(-2.0, 3.0))
def test_outside_bounds_tolerance(lo, width, frac):
    """Inside (with rtol x width slack) is never reported; clearly outside always is."""
    hi = lo + width
    v = lo + frac * width
    tol = 1e-6 * width
    out = outside_bounds({"x": v, "other": 1.0}, {"x": (lo, hi)})
    if lo - 0.5 * tol <= v <= hi + 0.5 * tol:
        assert out == {}
    elif v < lo - 2 * tol or v > hi + 2 * tol:
        assert out == {"x": (v, lo, hi)}


def test_save_load_stream_and_folder(tmp_path):
    s = make_surrogate(tmp_path, "softplus", "reduced_space", enforce_bounds=True)
    buf = io.StringIO()
    s.save(buf)
    buf.seek(0)
    again = OnnxSurrogate.load(buf)
    assert (again.formulation, again.enforce_bounds) == ("reduced_space", True)
    X, _ = _data(5, seed=9)
    pd.testing.assert_frame_equal(again.evaluate_surrogate(X), s.evaluate_surrogate(X))
    s.save_to_folder(tmp_path / "copy", "net")
    folder = OnnxSurrogate.load(tmp_path / "copy", "net", formulation="full_space")
    pd.testing.assert_frame_equal(folder.evaluate_surrogate(X), s.evaluate_surrogate(X))
    # the pair we write is still readable by IDAES's own class
    assert ONNXSurrogate.load_onnx_model(str(tmp_path / "copy"), "net").output_labels() == ["a", "b"]
