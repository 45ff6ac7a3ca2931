"""Train feed-forward networks in PyTorch and export them for equation-oriented use.

    train (:class:`MLPRegressor`) -> export (:func:`export_onnx`) -> load (:func:`load_network`)
"""

from idaes_ml.nn.checkpoint import load_checkpoint, save_checkpoint
from idaes_ml.nn.estimator import MLPRegressor, resolve_device
from idaes_ml.nn.export import ExportResult, export_onnx, to_onnx_model
from idaes_ml.nn.metadata import NetworkMetadata, info_path, onnx_path
from idaes_ml.nn.network import ACTIVATIONS, ScaledNetwork, build_mlp, check_domain
from idaes_ml.nn.onnx_network import OnnxNetwork, load_network, onnx_from_bytes, read_onnx

__all__ = [
    "ACTIVATIONS",
    "ExportResult",
    "MLPRegressor",
    "NetworkMetadata",
    "OnnxNetwork",
    "ScaledNetwork",
    "build_mlp",
    "check_domain",
    "export_onnx",
    "info_path",
    "load_checkpoint",
    "load_network",
    "onnx_from_bytes",
    "onnx_path",
    "read_onnx",
    "resolve_device",
    "save_checkpoint",
    "to_onnx_model",
]
