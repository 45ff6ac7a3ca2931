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
from idaes_ml.nn.network import ScaledNetwork, build_mlp

__all__ = ["save_checkpoint", "load_checkpoint"]


def save_checkpoint(net: ScaledNetwork, path: str | Path) -> Path:
    """Write ``net`` to ``path`` atomically (torch format)."""
    hidden = [lin.out_features for lin in net.linear_layers()[:-1]]
    payload = {
        "format": "idaes_ml.ScaledNetwork/1",
        "hidden": hidden,
        "activation": net.activation,
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


def load_checkpoint(path: str | Path) -> ScaledNetwork:
    """Read a checkpoint written by :func:`save_checkpoint`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        p = torch.load(path, map_location="cpu", weights_only=True)
        if p.get("format") != "idaes_ml.ScaledNetwork/1":
            raise KeyError("format")
        module = build_mlp(len(p["input_labels"]), len(p["output_labels"]), p["hidden"], p["activation"])
        module.load_state_dict(p["state_dict"])
    except Exception as exc:  # noqa: BLE001 - unpickling and shape errors come in many types
        raise MetadataError(f"{path} is not an idaes_ml network checkpoint: {exc}") from exc
    return ScaledNetwork(
        module.eval(), p["input_labels"], p["output_labels"], p["input_offset"], p["input_factor"],
        p["output_offset"], p["output_factor"], {k: tuple(v) for k, v in p["input_bounds"].items()},
        p["activation"],
    )
