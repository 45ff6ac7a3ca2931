"""A scikit-learn style regressor that trains a :class:`ScaledNetwork` with PyTorch.

    >>> import numpy as np, pandas as pd
    >>> from idaes_ml.nn import MLPRegressor
    >>> X = pd.DataFrame({"a": np.linspace(-1, 1, 64), "b": np.linspace(0, 2, 64) ** 2})
    >>> Y = pd.DataFrame({"y": np.sin(X.a) + X.b})
    >>> reg = MLPRegressor(hidden=(8,), max_epochs=300, progress=False).fit(X, Y)
    >>> reg.score(X, Y) > 0.95
    True
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from tqdm.auto import tqdm

from idaes_ml.errors import DataError
from idaes_ml.metrics import as_frame, check_finite, r2_per_output
from idaes_ml.nn.network import ScaledNetwork

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["MLPRegressor", "resolve_device"]


def resolve_device(device: str) -> torch.device:
    """``"auto"`` picks CUDA when available, else CPU; other strings pass through."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class MLPRegressor(RegressorMixin, BaseEstimator):
    """Feed-forward network regressor with standardized data and early stopping.

    Args:
        hidden: widths of the hidden layers.
        activation: ``"tanh"``, ``"sigmoid"``, ``"softplus"`` or ``"relu"``.
        learning_rate: Adam step size (reduced on validation plateaus).
        max_epochs: upper bound on passes over the training data.
        batch_size: minibatch size; ``None`` trains full-batch.
        validation_fraction: share of rows held out for early stopping (0 disables it).
        patience: epochs without validation improvement before stopping.
        weight_decay: L2 penalty of Adam.
        seed: seeds the split, the initial weights and the batch order.
        device: ``"auto"`` (CUDA if present), ``"cpu"`` or ``"cuda"``; results API identical.
        progress: show a tqdm bar over epochs.
        curve_path: if given, save the training curve there as PNG after fitting.
        positive_outputs: non-negative outputs by construction (softplus output layer, offset 0);
            use for flows, absolute temperatures and pressures that feed property packages.
        n_threads: CPU threads torch may use while fitting (restored afterwards); small
            networks train several times faster on one thread; None keeps torch's setting.
    """

    def __init__(
        self,
        hidden: Sequence[int] = (32, 32),
        activation: str = "tanh",
        learning_rate: float = 1e-3,
        max_epochs: int = 2000,
        batch_size: int | None = 64,
        validation_fraction: float = 0.2,
        patience: int = 100,
        weight_decay: float = 0.0,
        seed: int = 0,
        device: str = "auto",
        progress: bool = True,
        curve_path: str | os.PathLike | None = None,
        positive_outputs: bool = False,
        n_threads: int | None = 1,
    ) -> None:
        self.hidden = hidden
        self.activation = activation
        self.learning_rate = learning_rate
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.weight_decay = weight_decay
        self.seed = seed
        self.device = device
        self.progress = progress
        self.curve_path = curve_path
        self.positive_outputs = positive_outputs
        self.n_threads = n_threads

    def _split(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1), got {self.validation_fraction}")
        order = np.random.default_rng(self.seed).permutation(n)
        n_val = int(round(self.validation_fraction * n))
        if self.validation_fraction > 0 and (n_val < 1 or n - n_val < 1):
            raise DataError(f"{n} rows are too few for a validation fraction of {self.validation_fraction}")
        return order[n_val:], order[:n_val]

    def fit(self, X: pd.DataFrame | np.ndarray, Y: pd.DataFrame | np.ndarray) -> "MLPRegressor":
        """Train on inputs ``X`` and targets ``Y`` (DataFrames or 2-D arrays); returns self."""
        self._frames_ = isinstance(X, pd.DataFrame)
        X, Y = as_frame(X, prefix="x"), as_frame(Y, prefix="y")
        if len(X) != len(Y):
            raise DataError(f"X has {len(X)} rows but Y has {len(Y)}")
        if len(X) < 2:
            raise DataError(f"need at least 2 training rows, got {len(X)}")
        net = ScaledNetwork.from_data(X, Y, self.hidden, self.activation, self.seed, self.positive_outputs)
        dev = resolve_device(self.device)
        net.module.to(dev)
        xs = torch.as_tensor((X.to_numpy() - net.input_offset) / net.input_factor, dtype=torch.float32, device=dev)
        ys = torch.as_tensor((Y.to_numpy() - net.output_offset) / net.output_factor, dtype=torch.float32, device=dev)
        train, val = self._split(len(X))
        threads = torch.get_num_threads()
        if self.n_threads is not None and dev.type == "cpu":
            torch.set_num_threads(int(self.n_threads))
        try:
            self.history_, self.best_epoch_ = self._train(net.module, xs, ys, train, val)
        finally:
            torch.set_num_threads(threads)
        net.module.to("cpu").eval()
        self.network_ = net
        self.input_labels_, self.output_labels_ = net.input_labels, net.output_labels
        self.n_features_in_ = len(net.input_labels)
        if self.curve_path is not None:
            from idaes_ml.plotting import training_curve

            training_curve(self.history_, self.curve_path)
        return self

    def _train(self, module, xs, ys, train, val) -> tuple[dict[str, list[float]], int]:
        gen = torch.Generator().manual_seed(self.seed)
        opt = torch.optim.Adam(module.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=max(self.patience // 4, 5))
        loss_fn = torch.nn.MSELoss()
        bs = len(train) if self.batch_size is None else int(self.batch_size)
        history: dict[str, list[float]] = {"train": [], "validation": []} if len(val) else {"train": []}
        best, best_epoch, best_state = np.inf, 0, copy.deepcopy(module.state_dict())
        bar = tqdm(range(1, self.max_epochs + 1), desc="training", disable=not self.progress, leave=False)
        for epoch in bar:
            module.train()
            perm = train[torch.randperm(len(train), generator=gen).numpy()]
            total = 0.0
            for start in range(0, len(perm), bs):
                idx = torch.as_tensor(perm[start : start + bs], device=xs.device)
                opt.zero_grad()
                loss = loss_fn(module(xs[idx]), ys[idx])
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            history["train"].append(total / len(perm))
            module.eval()
            if len(val):
                with torch.no_grad():
                    monitor = loss_fn(module(xs[val]), ys[val]).item()
                history["validation"].append(monitor)
            else:
                monitor = history["train"][-1]
            sched.step(monitor)
            if monitor < best * (1 - 1e-6):
                best, best_epoch, best_state = monitor, epoch, copy.deepcopy(module.state_dict())
            elif epoch - best_epoch >= self.patience:
                break
            bar.set_postfix(loss=f"{monitor:.3e}", refresh=False)
        module.load_state_dict(best_state)
        return history, best_epoch

    def _check_fitted(self) -> ScaledNetwork:
        if not hasattr(self, "network_"):
            raise RuntimeError("this MLPRegressor is not fitted yet; call fit(X, Y) first")
        return self.network_

    def predict(self, X: pd.DataFrame | np.ndarray) -> pd.DataFrame | np.ndarray:
        """Predictions for ``X``: a DataFrame when fitted on DataFrames, else an array."""
        net = self._check_fitted()
        if isinstance(X, pd.DataFrame):
            missing = [c for c in net.input_labels if c not in X.columns]
            if missing:
                raise DataError(f"input columns {missing} missing; the network expects {net.input_labels}")
        out = net.predict(X)
        return out if self._frames_ else out.to_numpy()

    def r2_per_output(self, X: pd.DataFrame | np.ndarray, Y: pd.DataFrame | np.ndarray) -> pd.Series:
        """R² of each output column on ``(X, Y)``."""
        net = self._check_fitted()
        Y = as_frame(Y, labels=net.output_labels)
        check_finite(Y, "targets")
        return r2_per_output(Y, net.predict(X))

    def score(
        self, X: pd.DataFrame | np.ndarray, Y: pd.DataFrame | np.ndarray, sample_weight: ArrayLike | None = None
    ) -> float:
        """Mean R² over the outputs (scikit-learn's ``score``)."""
        return float(self.r2_per_output(X, Y).mean())
