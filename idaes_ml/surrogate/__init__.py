"""Embed ONNX networks in Pyomo/IDAES models through OMLT.

    surrogate = OnnxSurrogate.load(directory, name, formulation="reduced_space")
    m.fs.net = SurrogateBlock(); m.fs.net.build_model(surrogate, input_vars=[...], output_vars=[...])
"""

from idaes_ml.surrogate.formulations import FORMULATIONS, SMOOTH_ACTIVATIONS, check_formulation, make_formulation
from idaes_ml.surrogate.onnx_checks import check_onnx, list_ops, normalize_onnx
from idaes_ml.surrogate.onnx_surrogate import OnnxSurrogate

__all__ = [
    "FORMULATIONS",
    "SMOOTH_ACTIVATIONS",
    "OnnxSurrogate",
    "check_formulation",
    "check_onnx",
    "list_ops",
    "make_formulation",
    "normalize_onnx",
]
