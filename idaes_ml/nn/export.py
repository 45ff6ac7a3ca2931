"""Export a trained network to ``<name>.onnx`` + ``<name>_idaes_info.json``.

The ONNX graph maps *scaled* inputs to *scaled* outputs with one ``Gemm`` per
Linear layer followed by its activation -- exactly the ops OMLT embeds -- and
the scaling lives in the metadata file, as IDAES's ``ONNXSurrogate`` expects::

    >>> import numpy as np, pandas as pd, tempfile
    >>> from idaes_ml.nn import ScaledNetwork, export_onnx, load_network
    >>> X = pd.DataFrame({"u": np.linspace(0, 1, 10)})
    >>> net = ScaledNetwork.from_data(X, 2 * X.rename(columns={"u": "y"}), hidden=(3,))
    >>> d = tempfile.mkdtemp()
    >>> res = export_onnx(net, d, "demo")
    >>> res.max_abs_diff < 1e-5, load_network(d, "demo").output_labels
    (True, ['y'])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from idaes_ml.balances import BalanceHead
from idaes_ml.errors import DataError, UnsupportedOnnxOpError
from idaes_ml.io import atomic_write, write_json
from idaes_ml.nn.metadata import NetworkMetadata, info_path, onnx_path
from idaes_ml.nn.network import ScaledNetwork

if TYPE_CHECKING:
    from idaes_ml.nn.estimator import MLPRegressor

__all__ = ["ExportResult", "export_onnx", "to_onnx_model", "OPSET"]

OPSET = 17
_ONNX_ACTIVATION = {
    torch.nn.Tanh: "Tanh",
    torch.nn.Sigmoid: "Sigmoid",
    torch.nn.Softplus: "Softplus",
    torch.nn.ReLU: "Relu",
}


@dataclass(frozen=True)
class ExportResult:
    """Where the network was written and how closely onnxruntime reproduces torch."""

    onnx_path: Path
    info_path: Path
    max_abs_diff: float


def to_onnx_model(net: ScaledNetwork) -> onnx.ModelProto:
    """Translate the torch ``Sequential`` of ``net`` into a checked ONNX model (scaled space)."""
    nodes, inits = [], []
    current = "x"
    for i, layer in enumerate(net.module):
        out = f"h{i}"
        if isinstance(layer, torch.nn.Linear):
            w = layer.weight.detach().cpu().numpy().astype(np.float32)
            b = (layer.bias.detach().cpu().numpy() if layer.bias is not None else np.zeros(w.shape[0])).astype(np.float32)
            inits += [numpy_helper.from_array(w, f"W{i}"), numpy_helper.from_array(b, f"B{i}")]
            nodes.append(helper.make_node(
                "Gemm", [current, f"W{i}", f"B{i}"], [out], alpha=1.0, beta=1.0, transB=1, name=f"dense{i}"
            ))
        elif type(layer) in _ONNX_ACTIVATION:
            if isinstance(layer, torch.nn.Softplus) and (layer.beta != 1 or layer.threshold != 20):
                raise UnsupportedOnnxOpError("Softplus with beta != 1 has no ONNX/OMLT equivalent")
            nodes.append(helper.make_node(_ONNX_ACTIVATION[type(layer)], [current], [out], name=f"act{i}"))
        else:
            raise UnsupportedOnnxOpError(
                f"layer {i} ({type(layer).__name__}) cannot be exported for OMLT; "
                f"supported: Linear, {', '.join(t.__name__ for t in _ONNX_ACTIVATION)}"
            )
        current = out
    nodes[-1].output[0] = "y"
    graph = helper.make_graph(
        nodes,
        "idaes_ml_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", len(net.input_labels)])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", len(net.output_labels)])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="idaes_ml")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def _parity_points(net: ScaledNetwork, n: int = 256, seed: int = 0) -> np.ndarray:
    """Uniform points in the input bounds (mean ± 2 std where a bound is missing)."""
    box = np.array([
        net.input_bounds.get(c, (o - 2 * f, o + 2 * f))
        for c, o, f in zip(net.input_labels, net.input_offset, net.input_factor)
    ])
    return box[:, 0] + (box[:, 1] - box[:, 0]) * np.random.default_rng(seed).random((n, len(box)))


def onnx_parity(model: onnx.ModelProto, net: ScaledNetwork) -> tuple[float, float]:
    """Largest |onnxruntime - torch| over random in-domain points, in scaled output units,
    and the largest |scaled output| there (float32 round-off grows with it)."""
    import onnxruntime as ort

    x = _parity_points(net)
    xs = ((x - net.input_offset) / net.input_factor).astype(np.float32)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    y_onnx = sess.run(None, {sess.get_inputs()[0].name: xs})[0]
    p = next(net.module.parameters())
    with torch.no_grad():
        y_torch = net.module(torch.as_tensor(xs, dtype=p.dtype, device=p.device)).cpu().numpy()
    return float(np.max(np.abs(y_onnx - y_torch))), float(np.max(np.abs(y_torch)))


def export_onnx(
    model: MLPRegressor | ScaledNetwork,
    directory: str | Path,
    name: str,
    input_bounds: dict[str, tuple[float, float]] | None = None,
    tolerance: float = 1e-5,
    balance: BalanceHead | None = None,
) -> ExportResult:
    """Write ``<name>.onnx`` and ``<name>_idaes_info.json`` for ``model`` into ``directory``.

    Args:
        model: a fitted :class:`~idaes_ml.nn.MLPRegressor` or a :class:`ScaledNetwork`.
        directory: target folder (created if needed); both files are written atomically.
        name: base name of the pair.
        input_bounds: bounds to record instead of the training-data ranges.
        tolerance: largest accepted onnxruntime-vs-torch difference (scaled outputs), relative
            to the largest scaled output when that exceeds 1 (positive-output networks have
            scaled outputs of mean/std, e.g. 300 for a temperature).
        balance: a balance head (:mod:`idaes_ml.balances`) recorded in the metadata file;
            its labels must be outputs of the network.

    Returns:
        :class:`ExportResult`; raises ``AssertionError`` if the parity check fails.
    """
    net = model if isinstance(model, ScaledNetwork) else getattr(model, "network_", None)
    if net is None:
        raise TypeError(f"cannot export {type(model).__name__}: pass a fitted MLPRegressor or a ScaledNetwork")
    bounds = dict(net.input_bounds if input_bounds is None else input_bounds)
    unknown = [k for k in bounds if k not in net.input_labels]
    if unknown:
        raise DataError(f"input_bounds name unknown inputs {unknown}; inputs are {net.input_labels}")
    proto = to_onnx_model(net)
    diff, magnitude = onnx_parity(proto, net)
    if not diff <= tolerance * max(1.0, magnitude):
        raise AssertionError(f"onnxruntime differs from torch by {diff:.3e} > tolerance {tolerance:.1e}"
                             f" x max(1, largest scaled output {magnitude:.3g})")
    meta = NetworkMetadata(net.input_labels, net.output_labels, net.input_offset, net.input_factor,
                           net.output_offset, net.output_factor, bounds, balance)
    info = meta.to_dict()  # raises before anything is written
    directory = Path(directory)
    with atomic_write(onnx_path(directory, name), "wb") as fh:
        fh.write(proto.SerializeToString())
    write_json(info, info_path(directory, name))
    return ExportResult(onnx_path(directory, name), info_path(directory, name), diff)
