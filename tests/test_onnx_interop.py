"""Interop over the exporters users actually use and IDAES's own ONNXSurrogate (issue 21).

* torch's dynamo exporter (the default: weights of 16 x 16 layers go to ``<name>.onnx.data``),
  the same without external data, the legacy TorchScript exporter (``dynamo=False``) and its
  file converted to external data with ``onnx.save_model``;
* files written by IDAES's ``ONNXSurrogate`` read by ours, and ours read by IDAES's,
  with every formulation each side offers for the network's activation.

The reference is always the torch module itself, evaluated on the scaled inputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pyomo.environ as pyo
import pytest
import torch
from idaes.core.surrogate.onnx_surrogate import ONNXSurrogate
from idaes.core.surrogate.sampling.scaling import OffsetScaler
from idaes.core.surrogate.surrogate_block import SurrogateBlock

from idaes_ml.io import write_json
from idaes_ml.nn import NetworkMetadata, ScaledNetwork, export_onnx, info_path
from idaes_ml.surrogate import OnnxSurrogate

pytestmark = pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning")  # torch's exporter, not ours

INPUTS, OUTPUTS = ["u", "v"], ["a", "b"]
BOUNDS = {"u": (-1.0, 2.0), "v": (10.0, 30.0)}
IN_OFFSET, IN_FACTOR = np.array([0.5, 20.0]), np.array([1.5, 10.0])
OUT_OFFSET, OUT_FACTOR = np.array([1.0, 300.0]), np.array([2.0, 10.0])
POINT = {"u": 0.7, "v": 25.0}
ACTIVATIONS = {"tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "softplus": torch.nn.Softplus,
               "relu": torch.nn.ReLU}
EXPORTERS = ("dynamo_external", "dynamo", "legacy", "legacy_external")
OURS = {"smooth": ("full_space", "reduced_space"), "relu": ("relu_bigm", "relu_complementarity", "relu_partition")}
THEIRS = {"smooth": ("FULL_SPACE", "REDUCED_SPACE"), "relu": ("RELU_BIGM", "RELU_COMPLEMENTARITY")}
MILP = {"relu_bigm", "relu_partition", "RELU_BIGM"}


def kind(activation: str) -> str:
    return "relu" if activation == "relu" else "smooth"


def torch_module(activation: str) -> torch.nn.Sequential:
    torch.manual_seed(0)
    act = ACTIVATIONS[activation]
    return torch.nn.Sequential(torch.nn.Linear(2, 16), act(), torch.nn.Linear(16, 16), act(),
                               torch.nn.Linear(16, 2)).eval()


def truth(module: torch.nn.Sequential, point: dict[str, float]) -> np.ndarray:
    """The torch module's unscaled outputs at ``point`` (the same scalers as the metadata)."""
    x = (np.array([point[k] for k in INPUTS]) - IN_OFFSET) / IN_FACTOR
    with torch.no_grad():
        y = module(torch.tensor(x[None, :], dtype=torch.float32)).numpy()[0]
    return y * OUT_FACTOR + OUT_OFFSET


def torch_export(module: torch.nn.Sequential, directory: Path, name: str, exporter: str) -> Path:
    """Export ``module`` as a user would, plus the IDAES metadata file; returns the .onnx path."""
    path = directory / f"{name}.onnx"
    torch.onnx.export(module, (torch.zeros(1, 2),), str(path), input_names=["x"], output_names=["y"],
                      dynamo=exporter.startswith("dynamo"), external_data=exporter == "dynamo_external",
                      verbose=False)
    if exporter == "legacy_external":
        onnx.save_model(onnx.load(str(path)), str(path), save_as_external_data=True,
                        all_tensors_to_one_file=True, location=f"{name}.onnx.data", size_threshold=0)
    meta = NetworkMetadata(INPUTS, OUTPUTS, IN_OFFSET, IN_FACTOR, OUT_OFFSET, OUT_FACTOR, BOUNDS)
    write_json(meta.to_dict(), info_path(directory, name))
    return path


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    """Every (exporter, activation) pair exported once."""
    directory = tmp_path_factory.mktemp("torch_exports")
    for exporter in EXPORTERS:
        for activation in ACTIVATIONS:
            torch_export(torch_module(activation), directory, f"{exporter}_{activation}", exporter)
    return directory


def solve_at(surrogate, formulation, point: dict[str, float], ours: bool) -> np.ndarray:
    """Embed ``surrogate`` with ``formulation``, fix the inputs at ``point``, solve, return the outputs."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(INPUTS, bounds=lambda m, k: BOUNDS[k], initialize=lambda m, k: point[k])
    m.y = pyo.Var(OUTPUTS, initialize=0.0)
    m.s = SurrogateBlock()
    m.s.build_model(surrogate, input_vars=[m.x], output_vars=[m.y],
                    formulation=formulation if ours else ONNXSurrogate.Formulation[formulation])
    for k in INPUTS:
        m.x[k].fix(point[k])
    if ours:
        surrogate.initialize_block(m.s)  # the MPEC (relu_complementarity) needs a consistent start
    m.o = pyo.Objective(expr=0.0)
    solver = pyo.SolverFactory("appsi_highs" if formulation in MILP else "ipopt")
    pyo.assert_optimal_termination(solver.solve(m))
    return np.array([pyo.value(m.y[k]) for k in OUTPUTS])


def _cases(table: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    return [(act, form) for act in ACTIVATIONS for form in table[kind(act)]]


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize(("activation", "formulation"), _cases(OURS))
def test_torch_exports_embed_with_every_formulation(exports, exporter, activation, formulation):
    name = f"{exporter}_{activation}"
    external = (exports / f"{name}.onnx.data").exists()
    assert external == exporter.endswith("external")
    surrogate = OnnxSurrogate.load(exports, name, formulation=formulation)
    expected = truth(torch_module(activation), POINT)
    np.testing.assert_allclose(surrogate.evaluate_surrogate(pd.DataFrame([POINT])).iloc[0], expected, rtol=1e-5)
    np.testing.assert_allclose(solve_at(surrogate, formulation, POINT, ours=True), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("source", ["dynamo_external", "export_onnx"])
@pytest.mark.parametrize(("activation", "formulation"), _cases(THEIRS))
def test_ours_read_by_idaes_with_every_formulation(exports, tmp_path, source, activation, formulation):
    """What we write (a torch export we re-save, or export_onnx) is one self-contained .onnx IDAES embeds."""
    if source == "export_onnx":
        module = torch_module(activation)
        net = ScaledNetwork(module, INPUTS, OUTPUTS, IN_OFFSET, IN_FACTOR, OUT_OFFSET, OUT_FACTOR, BOUNDS, activation)
        export_onnx(net, tmp_path, "net")
    else:
        OnnxSurrogate.load(exports, f"{source}_{activation}").save_to_folder(tmp_path, "net")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.onnx", "net_idaes_info.json"]
    theirs = ONNXSurrogate.load_onnx_model(str(tmp_path), "net")
    np.testing.assert_allclose(solve_at(theirs, formulation, POINT, ours=False), truth(torch_module(activation), POINT),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("activation", "formulation"), _cases(OURS))
def test_idaes_files_read_by_ours_with_every_formulation(exports, tmp_path, activation, formulation):
    """A pair written by IDAES's ONNXSurrogate.save_to_folder (model from the legacy exporter)."""
    model = onnx.load(str(exports / f"legacy_{activation}.onnx"))
    scaler = OffsetScaler(INPUTS, pd.Series(IN_OFFSET, INPUTS), pd.Series(IN_FACTOR, INPUTS))
    out_scaler = OffsetScaler(OUTPUTS, pd.Series(OUT_OFFSET, OUTPUTS), pd.Series(OUT_FACTOR, OUTPUTS))
    ONNXSurrogate(model, INPUTS, OUTPUTS, BOUNDS, scaler, out_scaler).save_to_folder(str(tmp_path), "idaes")
    ours = OnnxSurrogate.load(tmp_path, "idaes", formulation=formulation)
    np.testing.assert_allclose(solve_at(ours, formulation, POINT, ours=True), truth(torch_module(activation), POINT),
                               rtol=1e-5, atol=1e-5)
