"""Feed-forward networks that carry their own scaling, labels and training domain.

A :class:`ScaledNetwork` is what gets trained, exported and embedded: a torch
``Sequential`` acting on *scaled* data plus the IDAES ``OffsetScaler``
convention ``scaled = (x - offset) / factor`` for inputs and outputs::

    >>> import numpy as np, pandas as pd
    >>> from idaes_ml.nn import ScaledNetwork
    >>> X = pd.DataFrame({"u": np.linspace(0, 1, 20)})
    >>> net = ScaledNetwork.from_data(X, X.rename(columns={"u": "y"}), hidden=(4,))
    >>> net.predict(X.head(2)).columns.tolist()
    ['y']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from idaes_ml.errors import DataError, OutOfDomainError
from idaes_ml.metrics import as_frame, check_finite

__all__ = ["ACTIVATIONS", "build_mlp", "check_domain", "ScaledNetwork", "scaler_from_data"]

ACTIVATIONS: dict[str, type[torch.nn.Module]] = {
    "tanh": torch.nn.Tanh,
    "sigmoid": torch.nn.Sigmoid,
    "softplus": torch.nn.Softplus,
    "relu": torch.nn.ReLU,
}


def build_mlp(
    n_inputs: int, n_outputs: int, hidden: Sequence[int] = (32, 32), activation: str = "tanh",
    output_activation: str | None = None,
) -> torch.nn.Sequential:
    """A ``Linear -> activation -> ... -> Linear`` network; ``output_activation`` follows the last layer."""
    for act in (activation, output_activation or activation):
        if act not in ACTIVATIONS:
            raise ValueError(f"activation {act!r} not supported; choose from {sorted(ACTIVATIONS)}")
    if n_inputs < 1 or n_outputs < 1 or any(int(h) < 1 for h in hidden):
        raise ValueError(f"layer sizes must be positive: inputs={n_inputs}, hidden={tuple(hidden)}, outputs={n_outputs}")
    layers: list[torch.nn.Module] = []
    width = n_inputs
    for h in hidden:
        layers += [torch.nn.Linear(width, int(h)), ACTIVATIONS[activation]()]
        width = int(h)
    layers.append(torch.nn.Linear(width, n_outputs))
    if output_activation is not None:
        layers.append(ACTIVATIONS[output_activation]())
    return torch.nn.Sequential(*layers)


def scaler_from_data(df: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean/std offset and factor of each column; constant columns raise :class:`DataError`.

    A column whose spread is below ``1e-9`` of its magnitude counts as constant: it holds
    solver round-off (e.g. a pressure fixed upstream), and scaling by that spread would
    make the network's output hinge on the round-off.
    """
    check_finite(df, name)
    offset = df.mean().to_numpy(dtype=float)
    factor = df.std(ddof=0).to_numpy(dtype=float)
    constant = [str(c) for c, f, o in zip(df.columns, factor, offset) if not f > 1e-9 * abs(o)]
    if constant:
        raise DataError(f"{name} has constant columns {constant} (spread <= 1e-9 of the mean): "
                        "nothing to learn from or scale by; drop them or fix them in the model")
    return offset, factor


def check_domain(X: pd.DataFrame, bounds: dict[str, tuple[float, float]], tolerance: float = 0.0) -> None:
    """Raise :class:`OutOfDomainError` naming the columns of ``X`` outside ``bounds``.

    ``tolerance`` widens each interval by that fraction of its width.
    """
    problems = []
    for c, (lo, hi) in bounds.items():
        slack = tolerance * (hi - lo)
        bad = X[(X[c] < lo - slack) | (X[c] > hi + slack)][c]
        if len(bad):
            problems.append(
                f"{c} = {bad.iloc[0]:.6g} (rows {list(bad.index[:5])}) outside [{lo:.6g}, {hi:.6g}]"
            )
    if problems:
        raise OutOfDomainError("inputs outside the training domain: " + "; ".join(problems))


@dataclass
class ScaledNetwork:
    """A torch network on scaled data with the labels, scalers and input bounds to use it."""

    module: torch.nn.Sequential
    input_labels: list[str]
    output_labels: list[str]
    input_offset: np.ndarray
    input_factor: np.ndarray
    output_offset: np.ndarray
    output_factor: np.ndarray
    input_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    activation: str = "tanh"

    def __post_init__(self) -> None:
        self.input_labels = [str(c) for c in self.input_labels]
        self.output_labels = [str(c) for c in self.output_labels]
        for name, arr, labels in (
            ("input_offset", self.input_offset, self.input_labels),
            ("input_factor", self.input_factor, self.input_labels),
            ("output_offset", self.output_offset, self.output_labels),
            ("output_factor", self.output_factor, self.output_labels),
        ):
            arr = np.array(arr, dtype=float).reshape(-1)
            if arr.shape != (len(labels),):
                raise DataError(f"{name} has {arr.size} entries for {len(labels)} labels {labels}")
            setattr(self, name, arr)
        first, last = self.linear_layers()[0], self.linear_layers()[-1]
        if first.in_features != len(self.input_labels) or last.out_features != len(self.output_labels):
            raise DataError(
                f"network maps {first.in_features} -> {last.out_features} values but has "
                f"{len(self.input_labels)} input and {len(self.output_labels)} output labels"
            )
        self.input_bounds = {k: (float(v[0]), float(v[1])) for k, v in self.input_bounds.items()}

    @classmethod
    def from_data(
        cls,
        X: pd.DataFrame,
        Y: pd.DataFrame,
        hidden: Sequence[int] = (32, 32),
        activation: str = "tanh",
        seed: int = 0,
        positive_outputs: bool = False,
    ) -> "ScaledNetwork":
        """An untrained network with scalers and input bounds taken from ``X`` and ``Y``.

        ``positive_outputs`` makes every output non-negative by construction (flows, absolute
        temperatures, pressures): a softplus output layer and an output scaler with offset 0
        (factor = std), the last bias starting at the mean.  Negative targets raise DataError.
        """
        X, Y = as_frame(X, prefix="x"), as_frame(Y, prefix="y")
        in_off, in_fac = scaler_from_data(X, "inputs")
        out_off, out_fac = scaler_from_data(Y, "outputs")
        torch.manual_seed(seed)
        module = build_mlp(X.shape[1], Y.shape[1], hidden, activation, "softplus" if positive_outputs else None)
        if positive_outputs:
            negative = [str(c) for c in Y.columns if (Y[c] < 0).any()]
            if negative:
                raise DataError(f"positive_outputs=True but targets {negative} have negative values")
            start = torch.as_tensor(np.maximum(out_off / out_fac, 1e-6))
            with torch.no_grad():  # softplus^-1(mean/std): the untrained network predicts the mean
                module[-2].bias.copy_(start + torch.log(-torch.expm1(-start)))
            out_off = np.zeros_like(out_off)
        return cls(
            module=module,
            input_labels=list(X.columns),
            output_labels=list(Y.columns),
            input_offset=in_off,
            input_factor=in_fac,
            output_offset=out_off,
            output_factor=out_fac,
            input_bounds={c: (float(X[c].min()), float(X[c].max())) for c in X.columns},
            activation=activation,
        )

    @property
    def positive_outputs(self) -> bool:
        """True when a softplus output layer keeps every output >= the output offset."""
        return isinstance(self.module[-1], torch.nn.Softplus)

    def linear_layers(self) -> list[torch.nn.Linear]:
        """The network's Linear layers, in order."""
        return [m for m in self.module if isinstance(m, torch.nn.Linear)]

    def torch_forward(self, x: torch.Tensor) -> torch.Tensor:
        """Unscaled inputs -> unscaled outputs, differentiable (for fine-tuning and ODE losses)."""
        p = next(self.module.parameters())
        off_in = torch.as_tensor(self.input_offset, dtype=p.dtype, device=p.device)
        fac_in = torch.as_tensor(self.input_factor, dtype=p.dtype, device=p.device)
        off_out = torch.as_tensor(self.output_offset, dtype=p.dtype, device=p.device)
        fac_out = torch.as_tensor(self.output_factor, dtype=p.dtype, device=p.device)
        return self.module((x.to(p.dtype) - off_in) / fac_in) * fac_out + off_out

    def check_domain(self, X: pd.DataFrame | np.ndarray, tolerance: float = 0.0) -> None:
        """Raise :class:`OutOfDomainError` naming inputs outside ``input_bounds``."""
        check_domain(as_frame(X, labels=self.input_labels), self.input_bounds, tolerance)

    def predict(self, X: pd.DataFrame | np.ndarray, check_domain: bool = False) -> pd.DataFrame:
        """Evaluate with torch on a DataFrame or 2-D array of unscaled inputs."""
        X = as_frame(X, labels=self.input_labels if isinstance(X, pd.DataFrame) else None)
        if X.shape[1] != len(self.input_labels):
            raise DataError(f"expected {len(self.input_labels)} input columns {self.input_labels}, got {X.shape[1]}")
        X.columns = self.input_labels
        check_finite(X, "prediction inputs")
        if check_domain:
            self.check_domain(X)
        p = next(self.module.parameters())
        with torch.no_grad():
            y = self.torch_forward(torch.tensor(X.to_numpy(), dtype=p.dtype, device=p.device))
        return pd.DataFrame(y.cpu().numpy().astype(float), columns=self.output_labels, index=X.index)
