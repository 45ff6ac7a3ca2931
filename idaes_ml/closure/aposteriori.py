"""A-posteriori closure training: the loss is on the reduced model's solution itself.

The network maps operating conditions to the reduced model's parameters; those
feed :meth:`ClosureProblem.simulate` (a differentiable stiff solve) and the loss
is the mean squared error of the observed trajectories, back-propagated through
the solver into the network weights::

    net = baseline_network(X, baseline={"k1": 240.0, ...}, scale=5.0, hidden=(16, 16))
    result = train_a_posteriori(net, problem, X, ctx, Y, epochs=200)
    params = net.predict(X_new)            # ScaledNetwork: export_onnx(net, ...) embeds it

:func:`baseline_network` starts at the unmodified parameters (zero last layer),
so epoch 0 is the baseline model and training can only improve on it.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from idaes_ml.closure.problem import ClosureProblem
from idaes_ml.errors import DataError, SolveFailedError
from idaes_ml.metrics import as_frame, check_finite
from idaes_ml.nn import ScaledNetwork, build_mlp
from idaes_ml.nn.network import scaler_from_data

__all__ = ["TrainingResult", "baseline_network", "train_a_posteriori"]


def baseline_network(X: pd.DataFrame, baseline: Mapping[str, float], scale: float | Sequence[float] = 1.0,
                     hidden: Sequence[int] = (16, 16), activation: str = "tanh", seed: int = 0) -> ScaledNetwork:
    """An untrained :class:`ScaledNetwork` from ``X`` to the parameters that outputs ``baseline`` exactly.

    Output scaling is ``offset = baseline``, ``factor = scale``, so the network
    learns corrections in units of ``scale``; input scalers and bounds come from ``X``.
    """
    X = as_frame(X, prefix="x")
    in_off, in_fac = scaler_from_data(X, "conditions")
    labels = list(baseline)
    torch.manual_seed(seed)
    module = build_mlp(X.shape[1], len(labels), hidden, activation)
    torch.nn.init.zeros_(module[-1].weight)
    torch.nn.init.zeros_(module[-1].bias)
    return ScaledNetwork(module=module, input_labels=list(X.columns), output_labels=labels,
                         input_offset=in_off, input_factor=in_fac,
                         output_offset=np.array([baseline[k] for k in labels], dtype=float),
                         output_factor=np.broadcast_to(np.asarray(scale, dtype=float), (len(labels),)).copy(),
                         input_bounds={c: (float(X[c].min()), float(X[c].max())) for c in X.columns},
                         activation=activation)


@dataclass
class TrainingResult:
    """History of losses per epoch, the restored best epoch and the wall time [s]."""

    history: dict[str, list[float]]
    best_epoch: int
    seconds: float


def _loss(net, problem, X, ctx, Y) -> torch.Tensor:
    params = net.torch_forward(X)
    return ((problem.simulate(params, ctx) - Y) ** 2).mean()


def train_a_posteriori(
    net: ScaledNetwork,
    problem: ClosureProblem,
    X: pd.DataFrame,
    ctx: np.ndarray,
    Y: np.ndarray,
    epochs: int = 200,
    learning_rate: float = 1e-2,
    batch_size: int | None = None,
    validation: tuple[pd.DataFrame, np.ndarray, np.ndarray] | None = None,
    patience: int = 50,
    seed: int = 0,
    progress: bool = True,
    min_delta: float = 0.0,
) -> TrainingResult:
    """Train ``net`` in place so that ``problem.simulate(net(X), ctx)`` matches ``Y``.

    Args:
        net: the parameter network (e.g. from :func:`baseline_network`).
        problem: the reduced model.
        X: conditions (network inputs), one row per trajectory.
        ctx: ``(N, c)`` per-sample context of the reduced model.
        Y: ``(N, len(problem.times), k)`` observed trajectories (ground truth).
        epochs: passes over the data (Adam; learning rate halves on plateaus).
        learning_rate: initial Adam step size.
        batch_size: minibatch size, ``None`` for full batch.
        validation: optional ``(X_val, ctx_val, Y_val)`` for model selection.
        patience: epochs without improvement of the monitored loss before stopping.
        seed: seeds the batch order.
        progress: show a tqdm bar.
        min_delta: relative decrease of the monitored loss that counts as improvement for
            ``patience`` (0: any decrease); the weights kept are always those of the lowest loss.

    Returns:
        :class:`TrainingResult`; ``net`` holds the weights of the best epoch.

    Raises:
        SolveFailedError: the reduced model could not be integrated for some
            samples; the message names their conditions.
    """
    X = as_frame(X, labels=net.input_labels)
    Y = np.asarray(Y, dtype=float)
    check_finite(X, "conditions")
    if not np.all(np.isfinite(Y)):
        raise DataError("targets Y hold NaN or inf")
    if not len(X) == len(ctx) == len(Y):
        raise DataError(f"X, ctx and Y disagree in length: {len(X)}, {len(ctx)}, {len(Y)}")
    to = dict(dtype=torch.float64)
    x_t, c_t, y_t = (torch.tensor(np.array(a, dtype=float), **to) for a in (X.to_numpy(), ctx, Y))
    val = None
    if validation is not None:
        Xv, cv, Yv = validation
        val = [torch.tensor(np.array(a, dtype=float), **to)
               for a in (as_frame(Xv, labels=net.input_labels).to_numpy(), cv, Yv)]
    opt = torch.optim.Adam(net.module.parameters(), lr=learning_rate)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=max(patience // 4, 5))
    gen = torch.Generator().manual_seed(seed)
    bs = len(X) if batch_size is None else int(batch_size)
    history: dict[str, list[float]] = {"train": []} | ({"validation": []} if val else {})
    best, best_epoch, best_state, t0 = np.inf, 0, copy.deepcopy(net.module.state_dict()), time.perf_counter()
    progress_ref, progress_epoch = np.inf, 0
    bar = tqdm(range(epochs), desc="a-posteriori training", disable=not progress)
    for epoch in bar:
        total = 0.0
        for idx in torch.randperm(len(X), generator=gen).split(bs):
            opt.zero_grad()
            try:
                loss = _loss(net, problem, x_t[idx], c_t[idx], y_t[idx])
            except SolveFailedError as exc:
                bad = X.iloc[idx[getattr(exc, "rows", [])].numpy()].to_dict("records")
                raise SolveFailedError(f"epoch {epoch}: {exc}; conditions {bad}", status=exc.status) from exc
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        history["train"].append(total / len(X))
        monitored = history["train"][-1]
        if val:
            with torch.no_grad():
                monitored = float(_loss(net, problem, *val))
            history["validation"].append(monitored)
        sched.step(monitored)
        if monitored < best:
            best, best_epoch, best_state = monitored, epoch, copy.deepcopy(net.module.state_dict())
        if monitored < progress_ref * (1.0 - min_delta):
            progress_ref, progress_epoch = monitored, epoch
        bar.set_postfix(loss=f"{monitored:.3e}")
        if epoch - progress_epoch >= patience:
            break
    net.module.load_state_dict(best_state)
    return TrainingResult(history, best_epoch, time.perf_counter() - t0)
