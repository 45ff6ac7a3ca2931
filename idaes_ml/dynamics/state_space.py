"""Discrete-time neural state-space models ``(x_k, u_k, d_k) -> x_{k+1}`` trained in torch.

One class covers both variants compared in the reactor-network study:

* **plain** -- ``x_{k+1} = x_k + N(x_k, u_k, d_k)``: an MLP learns the whole increment;
* **physics-structured** -- ``x_{k+1} = x_k + f(x_k, u_k, d_k) + B N(z_k)``: ``f`` is the
  known part of the balances (e.g. convective and heat-transfer terms over one step), the
  network only learns ``n_latent`` unknown terms (e.g. reaction extents) from the inputs
  ``z`` it is given, and the fixed matrix ``B`` (states x latent; e.g. stoichiometry and
  heats of reaction) spreads them over the states, so mass/energy coupling is structural.

``f`` is a plain function of a dict of values and must only use ``+ - * /`` so that it
evaluates on numpy arrays (training, simulation) and on Pyomo variables (optimization)::

    >>> import numpy as np, pandas as pd
    >>> from idaes_ml.dynamics import NeuralStateSpace
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"x": rng.uniform(-1, 1, 200), "u": rng.uniform(-1, 1, 200)})
    >>> nxt = pd.DataFrame({"x": 0.9 * data["x"] + 0.1 * data["u"]})
    >>> m = NeuralStateSpace(["x"], ["u"], hidden=(8,), max_epochs=50, progress=False).fit(data, nxt)
    >>> m.predict_next(data.head(2)).columns.tolist()
    ['x']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from idaes_ml.errors import DataError
from idaes_ml.metrics import as_frame, check_finite
from idaes_ml.nn import MLPRegressor, ScaledNetwork, check_domain as _check_domain
from idaes_ml.sampling import outside_bounds

from .support import Support

__all__ = ["NeuralStateSpace", "KnownTerms"]

KnownTerms = Callable[[dict], dict]
"""``f(values) -> {state: increment}``; ``values`` maps every state/input/disturbance label."""


class NeuralStateSpace:
    """Discrete-time state-space model with an MLP increment, optionally physics-structured.

    Args:
        states, inputs, disturbances: labels of ``x``, ``u`` and ``d``.
        known: known increment ``f`` (see module docstring); ``None`` for the plain model.
        basis: ``{latent_label: {state: coefficient}}`` -- the columns of ``B``; ``None``
            means one latent term per state (``B`` = identity).
        net_inputs: labels the network sees (default: all of ``x``, ``u``, ``d``).
        hidden, activation, learning_rate, max_epochs, batch_size, patience, weight_decay, seed, progress:
            passed to :class:`idaes_ml.nn.MLPRegressor`.
    """

    def __init__(
        self,
        states: Sequence[str],
        inputs: Sequence[str] = (),
        disturbances: Sequence[str] = (),
        known: KnownTerms | None = None,
        basis: dict[str, dict[str, float]] | None = None,
        net_inputs: Sequence[str] | None = None,
        hidden: Sequence[int] = (32, 32),
        activation: str = "tanh",
        learning_rate: float = 3e-3,
        max_epochs: int = 500,
        batch_size: int | None = 256,
        patience: int = 40,
        weight_decay: float = 0.0,
        seed: int = 0,
        progress: bool = True,
    ) -> None:
        self.states, self.inputs, self.disturbances = list(states), list(inputs), list(disturbances)
        self.labels = self.states + self.inputs + self.disturbances
        if len(set(self.labels)) != len(self.labels):
            raise DataError(f"state/input/disturbance labels must be distinct: {self.labels}")
        self.known, self.basis = known, basis
        self.net_inputs = list(self.labels if net_inputs is None else net_inputs)
        unknown = [c for c in self.net_inputs if c not in self.labels]
        if unknown:
            raise DataError(f"net_inputs {unknown} are not states, inputs or disturbances {self.labels}")
        self.latent = [f"d_{s}" for s in self.states] if basis is None else list(basis)
        self.B = self._basis_matrix()
        self.regressor = MLPRegressor(hidden=hidden, activation=activation, learning_rate=learning_rate,
                                      max_epochs=max_epochs, batch_size=batch_size, patience=patience,
                                      weight_decay=weight_decay, seed=seed, device="cpu", progress=progress)

    @property
    def structured(self) -> bool:
        """True for the physics-structured variant (known terms or a basis given)."""
        return self.known is not None or self.basis is not None

    def _basis_matrix(self) -> np.ndarray:
        if self.basis is None:
            return np.eye(len(self.states))
        bad = sorted({s for col in self.basis.values() for s in col if s not in self.states})
        if bad:
            raise DataError(f"basis names unknown states {bad}; states are {self.states}")
        return np.array([[float(self.basis[z].get(s, 0.0)) for z in self.latent] for s in self.states])

    def known_increment(self, values: dict) -> dict:
        """``f(values)`` for every state (0 where ``known`` is absent or silent)."""
        f = {} if self.known is None else self.known(values)
        return {s: f.get(s, 0.0) for s in self.states}

    def _frame(self, data) -> pd.DataFrame:
        df = as_frame(data, labels=self.labels if isinstance(data, pd.DataFrame) else None)
        if not isinstance(data, pd.DataFrame):
            if df.shape[1] != len(self.labels):
                raise DataError(f"expected {len(self.labels)} columns {self.labels}, got {df.shape[1]}")
            df.columns = self.labels
        check_finite(df, "state-space data")
        return df

    def latent_targets(
        self, data: pd.DataFrame | np.ndarray, next_states: pd.DataFrame | np.ndarray
    ) -> pd.DataFrame:
        """Least-squares latent terms ``z`` with ``B z = x_{k+1} - x_k - f`` (the network's targets)."""
        df, nxt = self._frame(data), as_frame(next_states, labels=self.states)
        f = self.known_increment({c: df[c].to_numpy() for c in self.labels})
        resid = np.column_stack([nxt[s].to_numpy() - df[s].to_numpy() - np.broadcast_to(f[s], len(df)) for s in self.states])
        z, *_ = np.linalg.lstsq(self.B, resid.T, rcond=None)
        return pd.DataFrame(z.T, columns=self.latent, index=df.index)

    def fit(self, data: pd.DataFrame | np.ndarray, next_states: pd.DataFrame | np.ndarray) -> "NeuralStateSpace":
        """Fit on one-step transitions: rows of ``data`` (x, u, d) and the states one step later."""
        df = self._frame(data)
        z = self.latent_targets(df, next_states)
        self.regressor.fit(df[self.net_inputs], z)
        self.network_: ScaledNetwork = self.regressor.network_
        self.input_bounds_ = {c: (float(df[c].min()), float(df[c].max())) for c in self.labels}
        self.support_ = Support.fit(df[self.net_inputs]) if len(df) > len(self.net_inputs) else None
        return self

    def attach(self, network: ScaledNetwork, input_bounds: dict[str, tuple[float, float]],
               support: Support | None = None) -> "NeuralStateSpace":
        """Use an already trained network (e.g. loaded from ONNX) with its training ranges and, for a
        domain guard, the :class:`Support` of its training inputs; returns self."""
        if list(network.input_labels) != self.net_inputs or list(network.output_labels) != self.latent:
            raise DataError(f"network maps {network.input_labels} -> {network.output_labels}, "
                            f"model needs {self.net_inputs} -> {self.latent}")
        if support is not None and list(support.labels) != self.net_inputs:
            raise DataError(f"support covers {list(support.labels)}, the network reads {self.net_inputs}")
        self.network_, self.input_bounds_ = network, {k: (float(a), float(b)) for k, (a, b) in input_bounds.items()}
        if support is not None:
            self.support_ = support
        return self

    def predict_next(self, data: pd.DataFrame | np.ndarray, check_domain: bool = False) -> pd.DataFrame:
        """States one step after each row of ``data``; ``check_domain`` raises OutOfDomainError outside training."""
        if not hasattr(self, "network_"):
            raise RuntimeError("NeuralStateSpace is not fitted; call fit(data, next_states) first")
        df = self._frame(data)
        if check_domain:
            _check_domain(df, self.input_bounds_)
        z = self.network_.predict(df[self.net_inputs]).to_numpy()
        f = self.known_increment({c: df[c].to_numpy() for c in self.labels})
        out = {s: df[s].to_numpy() + np.broadcast_to(f[s], len(df)) + z @ self.B[i] for i, s in enumerate(self.states)}
        return pd.DataFrame(out, index=df.index)

    def domain_violations(self, row: dict) -> dict[str, tuple[float, float, float]]:
        """``{label: (value, low, high)}`` for entries of ``row`` outside the training ranges."""
        return outside_bounds(row, self.input_bounds_)
