"""The IDAES metadata file ``<name>_idaes_info.json`` that travels beside ``<name>.onnx``.

Its layout is the one IDAES's ``ONNXSurrogate.load_onnx_model`` reads: input and
output labels, ``OffsetScaler`` dictionaries (``expected_columns``, ``offset``,
``factor``) and input bounds in unscaled units.

idaes_ml extension: an optional ``"idaes_ml_balance"`` object holds a balance head
(:mod:`idaes_ml.balances`: split fractions or reaction extents) that a
``SurrogateUnit`` turns into exact balance equations; IDAES ignores the key, and files
without it load as free-form networks.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from idaes_ml.balances import METADATA_KEY, BalanceError, BalanceHead, head_from_dict
from idaes_ml.errors import MetadataError

__all__ = ["NetworkMetadata", "info_path", "onnx_path"]


def onnx_path(directory: str | Path, name: str) -> Path:
    """Path of the ONNX file of network ``name`` in ``directory``."""
    return Path(directory) / f"{name}.onnx"


def info_path(directory: str | Path, name: str) -> Path:
    """Path of the IDAES metadata file of network ``name`` in ``directory``."""
    return Path(directory) / f"{name}_idaes_info.json"


def _scaler_dict(labels: list[str], offset: np.ndarray, factor: np.ndarray) -> dict:
    return {
        "expected_columns": list(labels),
        "offset": {k: float(v) for k, v in zip(labels, offset)},
        "factor": {k: float(v) for k, v in zip(labels, factor)},
    }


def _scaler_arrays(info: dict, key: str, labels: list[str], where: Path) -> tuple[np.ndarray, np.ndarray]:
    scaler = info.get(key)
    if scaler is None:
        return np.zeros(len(labels)), np.ones(len(labels))
    try:
        if list(scaler["expected_columns"]) != labels:
            raise MetadataError(
                f"{where}: {key} columns {scaler['expected_columns']} do not match labels {labels}"
            )
        offset = np.array([float(scaler["offset"][k]) for k in labels])
        factor = np.array([float(scaler["factor"][k]) for k in labels])
    except (KeyError, TypeError, ValueError) as exc:
        raise MetadataError(f"{where}: {key} is malformed ({type(exc).__name__}: {exc})") from exc
    if not (np.isfinite(offset).all() and np.isfinite(factor).all()) or (factor == 0).any():
        raise MetadataError(f"{where}: {key} needs finite offsets and finite non-zero factors")
    return offset, factor


@dataclass
class NetworkMetadata:
    """Labels, scalers and input bounds of an exported network."""

    input_labels: list[str]
    output_labels: list[str]
    input_offset: np.ndarray
    input_factor: np.ndarray
    output_offset: np.ndarray
    output_factor: np.ndarray
    input_bounds: dict[str, tuple[float, float]]
    balance: BalanceHead | None = None

    def __post_init__(self) -> None:
        if self.balance is not None:
            missing = [k for k in self.balance.output_labels() if k not in self.output_labels]
            if missing:
                raise BalanceError(f"balance head labels {missing} are not network outputs {self.output_labels}")

    def to_dict(self) -> dict:
        """The JSON document IDAES's ONNXSurrogate reads (+ the balance head, if any)."""
        doc = {
            "input_scaler": _scaler_dict(self.input_labels, self.input_offset, self.input_factor),
            "output_scaler": _scaler_dict(self.output_labels, self.output_offset, self.output_factor),
            "input_bounds": self._ordered_bounds(),
            "input_labels": list(self.input_labels),
            "output_labels": list(self.output_labels),
        }
        if self.balance is not None:
            doc[METADATA_KEY] = self.balance.to_dict()
        return doc

    def _ordered_bounds(self) -> dict[str, list[float]]:
        """Input bounds in input-label order: IDAES's ONNXSurrogate reads them by position."""
        missing = [k for k in self.input_labels if k not in self.input_bounds]
        if self.input_bounds and missing:
            raise MetadataError(f"input_bounds lack inputs {missing}: IDAES's ONNXSurrogate reads bounds "
                                f"by position, so every input of {self.input_labels} needs them")
        return {k: [float(self.input_bounds[k][0]), float(self.input_bounds[k][1])]
                for k in self.input_labels if k in self.input_bounds}

    @classmethod
    def read(cls, path: str | Path) -> "NetworkMetadata":
        """Read and validate a metadata file; problems raise :class:`MetadataError` naming the file."""
        path = Path(path)
        if not path.exists():
            raise MetadataError(f"metadata file {path} is missing (expected beside the .onnx file)")
        try:
            info = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MetadataError(f"metadata file {path} is not valid JSON: {exc}") from exc
        return cls.from_dict(info, path)

    @classmethod
    def from_dict(cls, info: dict, where: str | Path = "metadata") -> "NetworkMetadata":
        """Validate a metadata document (``where`` names its source in errors)."""
        if not isinstance(info, dict):
            raise MetadataError(f"{where} must hold a JSON object")
        missing = [k for k in ("input_labels", "output_labels", "input_bounds") if k not in info]
        if missing:
            raise MetadataError(f"{where} lacks {missing}")
        inputs = [str(c) for c in info["input_labels"]]
        outputs = [str(c) for c in info["output_labels"]]
        in_off, in_fac = _scaler_arrays(info, "input_scaler", inputs, where)
        out_off, out_fac = _scaler_arrays(info, "output_scaler", outputs, where)
        bounds = info["input_bounds"] or {}
        unknown = [k for k in bounds if k not in inputs]
        if unknown:
            raise MetadataError(f"{where}: input_bounds name unknown inputs {unknown}")
        parsed = {}
        for k, pair in sorted(bounds.items(), key=lambda kv: inputs.index(kv[0])):  # label order
            lo, hi = (float(v) for v in pair)
            if math.isnan(lo) or math.isnan(hi) or lo > hi:
                raise MetadataError(f"{where}: input_bounds[{k!r}] = {pair} is not a (low <= high) pair")
            parsed[k] = (lo, hi)
        balance = head_from_dict(info[METADATA_KEY]) if info.get(METADATA_KEY) is not None else None
        return cls(inputs, outputs, in_off, in_fac, out_off, out_fac, parsed, balance)
