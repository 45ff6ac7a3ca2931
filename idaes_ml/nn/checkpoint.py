"""Save and restore a :class:`ScaledNetwork` (weights, scalers, labels, bounds) as one file.

The checkpoint is what ``idaes-ml train`` writes and ``idaes-ml export`` reads;
ONNX is the exchange format, the checkpoint keeps training resumable.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch

from idaes_ml.errors import MetadataError
from idaes_ml.io import atomic_write
from idaes_ml.nn.network import ACTIVATIONS, ScaledNetwork, build_mlp

__all__ = ["save_checkpoint", "load_checkpoint"]

FORMAT = "idaes_ml.ScaledNetwork/2"
#: Format 1 did not record the output activation (a positive-output network's final Softplus).
_FORMAT_1 = "idaes_ml.ScaledNetwork/1"


def _layer_types(module: torch.nn.Sequential) -> list[type]:
    return [type(m) for m in module]


def _skeleton(net: ScaledNetwork) -> tuple[list[int], str | None]:
    """Hidden widths and output activation of ``net``; ValueError if ``build_mlp`` cannot rebuild it."""
    hidden = [lin.out_features for lin in net.linear_layers()[:-1]]
    last = net.module[-1]
    output = None if isinstance(last, torch.nn.Linear) else next(
        (k for k, cls in ACTIVATIONS.items() if type(last) is cls), type(last).__name__)
    try:
        rebuilt = build_mlp(len(net.input_labels), len(net.output_labels), hidden, net.activation, output)
    except ValueError as exc:
        raise ValueError(f"cannot checkpoint this network: {exc}") from exc
    if _layer_types(rebuilt) != _layer_types(net.module):
        raise ValueError(
            "cannot checkpoint this network: its layers "
            f"{[t.__name__ for t in _layer_types(net.module)]} are not Linear/{net.activation} "
            f"blocks with an optional output activation"
        )
    return hidden, output


def save_checkpoint(net: ScaledNetwork, path: str | Path) -> Path:
    """Write ``net`` to ``path`` atomically (torch format), output activation included."""
    hidden, output_activation = _skeleton(net)
    payload = {
        "format": FORMAT,
        "hidden": hidden,
        "activation": net.activation,
        "output_activation": output_activation,
        "state_dict": net.module.state_dict(),
        "input_labels": net.input_labels,
        "output_labels": net.output_labels,
        "input_offset": net.input_offset.tolist(),
        "input_factor": net.input_factor.tolist(),
        "output_offset": net.output_offset.tolist(),
        "output_factor": net.output_factor.tolist(),
        "input_bounds": {k: list(v) for k, v in net.input_bounds.items()},
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    with atomic_write(path, "wb") as fh:
        fh.write(buf.getvalue())
    return Path(path)


def _output_activation(p: dict, path: Path) -> str | None:
    """The output activation a checkpoint records; format 1 is accepted only where it is unambiguous."""
    if p.get("format") == FORMAT:
        return p["output_activation"]
    if p.get("format") != _FORMAT_1:
        raise KeyError("format")
    if not any(p["output_offset"]):
        # positive_outputs networks (final Softplus) have zero output offsets; format 1 did not say
        raise MetadataError(
            f"{path} is an old (format 1) checkpoint with zero output offsets: it may end in a Softplus "
            "layer (positive_outputs=True) that format 1 did not record; retrain or re-save it"
        )
    return None


def load_checkpoint(path: str | Path) -> ScaledNetwork:
    """Read a checkpoint written by :func:`save_checkpoint`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        p = torch.load(path, map_location="cpu", weights_only=True)
        output_activation = _output_activation(p, path)
        module = build_mlp(len(p["input_labels"]), len(p["output_labels"]), p["hidden"], p["activation"],
                           output_activation)
        module.load_state_dict(p["state_dict"])
    except MetadataError:
        raise
    except Exception as exc:  # noqa: BLE001 - unpickling and shape errors come in many types
        raise MetadataError(f"{path} is not an idaes_ml network checkpoint: {exc}") from exc
    return ScaledNetwork(
        module.eval(), p["input_labels"], p["output_labels"], p["input_offset"], p["input_factor"],
        p["output_offset"], p["output_factor"], {k: tuple(v) for k, v in p["input_bounds"].items()},
        p["activation"],
    )
