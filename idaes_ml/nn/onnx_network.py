"""Load an exported ``<name>.onnx`` + ``<name>_idaes_info.json`` pair and evaluate it.

    >>> import numpy as np, pandas as pd, tempfile
    >>> from idaes_ml.nn import ScaledNetwork, export_onnx, load_network
    >>> X = pd.DataFrame({"u": np.linspace(0, 1, 10)})
    >>> d = tempfile.mkdtemp()
    >>> _ = export_onnx(ScaledNetwork.from_data(X, X.rename(columns={"u": "y"}), hidden=(3,)), d, "n")
    >>> net = load_network(d, "n")
    >>> net.predict(pd.DataFrame({"u": [0.5]})).shape
    (1, 1)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import torch
from onnx import numpy_helper

from idaes_ml.errors import DataError, MetadataError, UnsupportedOnnxOpError
from idaes_ml.metrics import as_frame, check_finite
from idaes_ml.nn.metadata import NetworkMetadata, info_path, onnx_path
from idaes_ml.nn.network import ACTIVATIONS, ScaledNetwork, check_domain

__all__ = ["OnnxNetwork", "load_network", "onnx_from_bytes", "read_onnx"]

_TORCH_ACTIVATION = {"Tanh": "tanh", "Sigmoid": "sigmoid", "Softplus": "softplus", "Relu": "relu"}


def _checked(load: Callable[[], onnx.ModelProto], where: str | Path) -> onnx.ModelProto:
    """``load()`` and check the model; any failure raises :class:`MetadataError` naming ``where``."""
    try:
        model = load()
        onnx.checker.check_model(model)
    except Exception as exc:  # noqa: BLE001 - protobuf, file and checker errors come in many types
        raise MetadataError(f"{where} is not a valid ONNX model: {exc}") from exc
    return model


def onnx_from_bytes(data: bytes, where: str | Path = "ONNX bytes") -> onnx.ModelProto:
    """Parse and check a serialized ONNX model; a corrupt one raises :class:`MetadataError`."""
    return _checked(lambda: onnx.load_from_string(data), where)


def read_onnx(path: str | Path) -> onnx.ModelProto:
    """Load and check an ONNX file; a missing or corrupt file raises a clear error.

    Weights stored as external data (torch's exporter writes ``<name>.onnx.data`` beside
    ``<name>.onnx``) are read from the file's folder into the returned model.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"ONNX file {path} does not exist")
    return _checked(lambda: onnx.load(str(path), load_external_data=True),
                    f"{path} (with its external data, if any, beside it)")


def _io_width(value_info) -> int | None:
    dims = value_info.type.tensor_type.shape.dim
    return dims[-1].dim_value if dims and dims[-1].HasField("dim_value") else None


@dataclass
class OnnxNetwork:
    """An ONNX network with its IDAES metadata; evaluates unscaled data with onnxruntime."""

    model: onnx.ModelProto
    metadata: NetworkMetadata
    name: str = "network"
    source: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        graph = self.model.graph
        if len(graph.output) != 1:
            raise UnsupportedOnnxOpError(f"{self.name}: OMLT embeds single-output graphs, this one has {len(graph.output)}")
        n_in, n_out = _io_width(graph.input[0]), _io_width(graph.output[0])
        meta = self.metadata
        if n_in is not None and n_in != len(meta.input_labels):
            raise MetadataError(f"{self.name}: ONNX input has {n_in} values, metadata labels {meta.input_labels}")
        if n_out is not None and n_out != len(meta.output_labels):
            raise MetadataError(f"{self.name}: ONNX output has {n_out} values, metadata labels {meta.output_labels}")

    @property
    def input_labels(self) -> list[str]:
        """Names of the network inputs, in order."""
        return self.metadata.input_labels

    @property
    def output_labels(self) -> list[str]:
        """Names of the network outputs, in order."""
        return self.metadata.output_labels

    @property
    def input_bounds(self) -> dict[str, tuple[float, float]]:
        """Input bounds in unscaled units."""
        return self.metadata.input_bounds

    @cached_property
    def _session(self):
        import onnxruntime as ort

        return ort.InferenceSession(self.model.SerializeToString(), providers=["CPUExecutionProvider"])

    def check_domain(self, X: pd.DataFrame | np.ndarray, tolerance: float = 0.0) -> None:
        """Raise :class:`~idaes_ml.errors.OutOfDomainError` naming inputs outside the bounds."""
        check_domain(as_frame(X, labels=self.input_labels), self.input_bounds, tolerance)

    def predict(self, X: pd.DataFrame | np.ndarray, check_domain: bool = False) -> pd.DataFrame:
        """Evaluate the network on unscaled inputs (DataFrame with the input labels or 2-D array)."""
        X = as_frame(X, labels=self.input_labels)
        check_finite(X, "prediction inputs")
        if check_domain:
            self.check_domain(X)
        m = self.metadata
        xs = ((X.to_numpy() - m.input_offset) / m.input_factor).astype(np.float32)
        ys = self._session.run(None, {self._session.get_inputs()[0].name: xs})[0]
        return pd.DataFrame(ys * m.output_factor + m.output_offset, columns=self.output_labels, index=X.index)

    def to_scaled_network(self) -> ScaledNetwork:
        """Rebuild the torch network (for fine-tuning); only dense + activation graphs qualify."""
        inits = {t.name: numpy_helper.to_array(t) for t in self.model.graph.initializer}
        layers: list[torch.nn.Module] = []
        activation = None
        nodes = list(self.model.graph.node)
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if node.op_type == "Gemm":
                attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
                w = inits[node.input[1]] * attrs.get("alpha", 1.0)
                w = w if attrs.get("transB", 0) else w.T
                b = inits[node.input[2]] * attrs.get("beta", 1.0) if len(node.input) > 2 else np.zeros(w.shape[0])
                layers.append(self._linear(w, b))
            elif node.op_type == "MatMul" and i + 1 < len(nodes) and nodes[i + 1].op_type == "Add":
                w = inits[node.input[1]].T
                layers.append(self._linear(w, inits[[n for n in nodes[i + 1].input if n in inits][0]]))
                i += 1
            elif node.op_type in _TORCH_ACTIVATION:
                name = _TORCH_ACTIVATION[node.op_type]
                activation = activation or name  # the hidden one; a positive output layer may differ
                layers.append(ACTIVATIONS[name]())
            else:
                raise UnsupportedOnnxOpError(
                    f"{self.name}: node {node.name or i} has op {node.op_type!r}; fine-tuning supports "
                    f"Gemm, MatMul+Add and {sorted(_TORCH_ACTIVATION)}"
                )
            i += 1
        m = self.metadata
        return ScaledNetwork(torch.nn.Sequential(*layers), m.input_labels, m.output_labels, m.input_offset,
                             m.input_factor, m.output_offset, m.output_factor, dict(m.input_bounds),
                             activation or "relu")

    @staticmethod
    def _linear(w: np.ndarray, b: np.ndarray) -> torch.nn.Linear:
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(np.asarray(w, dtype=np.float32)))
            lin.bias.copy_(torch.as_tensor(np.asarray(b, dtype=np.float32).reshape(-1)))
        return lin


def load_network(directory: str | Path, name: str) -> OnnxNetwork:
    """Load ``<directory>/<name>.onnx`` and its ``_idaes_info.json``; errors name the bad file."""
    model = read_onnx(onnx_path(directory, name))
    meta = NetworkMetadata.read(info_path(directory, name))
    if not meta.input_labels or not meta.output_labels:
        raise DataError(f"{info_path(directory, name)} declares no input or no output labels")
    return OnnxNetwork(model, meta, name=name, source=Path(directory))
