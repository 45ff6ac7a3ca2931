"""Seed-003 case glue: fit the 0D pyrolysis closure a priori and a posteriori.

    ds = generate(design(250))                           # 1-D ground truth (flowsheets.pyrolysis.data)
    fits = run_a_priori(ds)                              # black-box E_A per trajectory
    reg = train_a_priori_net(ds.conditions, fits)        # (T_oven, FL, aspect) -> E_A
    net, result = train_a_posteriori_net(ds)             # E_A network through the torch ODE solve
    mse = yield_errors(predict_E(net, ds.conditions), ds)  # per-trajectory tar/char MSE

The black-box fits run trust-region least squares to its own convergence test
(or ``max_nfev``) inside a wide box, half to twice the baseline (:data:`E_FIT_BOUNDS`:
without any box the optimizer steps into overflowing rate constants and stalls),
so their losses estimate the lower limit of the 0D form; both networks stop by
early stopping on a validation split of their training set, the epoch cap only guards against runaway. The a-posteriori
network learns corrections in units of :data:`E_SCALE` kJ/mol starting from the baseline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from idaes_ml.closure import APrioriFits, TrainingResult, baseline_network, fit_a_priori, train_a_posteriori
from idaes_ml.nn import MLPRegressor, ScaledNetwork
from flowsheets.pyrolysis.data import TrajectorySet
from flowsheets.pyrolysis.kinetics import E_BASE, REACTIONS
from flowsheets.pyrolysis.reduced import (CONDITIONS, OBSERVED, BatchedReducedProblem, context, reduced_problem,
                                         simulate_batch)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from idaes_ml.closure import ClosureProblem
    from idaes_ml.nn import OnnxNetwork
    from idaes_ml.parallel import ClientSpec

__all__ = ["E_LABELS", "E_FIT_BOUNDS", "E_SCALE", "split_validation", "fit_simulator", "predict_E", "predict_yields",
           "yield_errors", "run_a_priori", "train_a_priori_net", "train_a_posteriori_net", "baseline_E"]

#: Network outputs: the 10 activation energies [kJ/mol].
E_LABELS = [f"E_{r}" for r in REACTIONS]
#: Box of the black-box fits: half to twice the baseline (wide enough never to be active, see the benchmark).
E_FIT_BOUNDS = (0.5 * E_BASE, 2.0 * E_BASE)
#: Output scale of the a-posteriori network [kJ/mol].
E_SCALE = 5.0


def fit_simulator(P: np.ndarray, row: pd.Series) -> np.ndarray:
    """Black box of the a-priori fits: tar/char trajectories of parameter rows ``P`` at ``row``."""
    return simulate_batch(P, row["T_oven"], row["feret_mm"], row["aspect"])


def baseline_E(n: int) -> pd.DataFrame:
    """The unmodified activation energies for ``n`` samples."""
    return pd.DataFrame(np.tile(E_BASE, (n, 1)), columns=E_LABELS)


def predict_E(model: MLPRegressor | ScaledNetwork | OnnxNetwork, conditions: pd.DataFrame,
              check_domain: bool = False) -> pd.DataFrame:
    """Activation energies from an MLPRegressor / ScaledNetwork / OnnxNetwork (E_LABELS columns).

    ``check_domain`` raises :class:`OutOfDomainError` for conditions outside the training ranges.
    """
    if check_domain:
        getattr(model, "network_", model).check_domain(conditions[CONDITIONS])
    out = model.predict(conditions[CONDITIONS])
    return pd.DataFrame(np.asarray(out, dtype=float), columns=E_LABELS, index=conditions.index)


def predict_yields(E: pd.DataFrame | np.ndarray, conditions: pd.DataFrame) -> np.ndarray:
    """0D tar/char trajectories ``(N, len(times), 2)`` for per-row activation energies ``E``."""
    E = np.asarray(E, dtype=float)
    return np.stack([fit_simulator(E[i:i + 1], row)[0] for i, (_, row) in enumerate(conditions.iterrows())])


def yield_errors(E: pd.DataFrame | np.ndarray, ds: TrajectorySet) -> np.ndarray:
    """Per-trajectory MSE of the 0D tar/char yields against the ground truth ``ds``."""
    pred = predict_yields(E, ds.conditions)
    return ((pred - ds.observed(OBSERVED)) ** 2).reshape(len(pred), -1).mean(axis=1)


def run_a_priori(ds: TrajectorySet, method: str = "least_squares", max_nfev: int = 100, client: ClientSpec = None,
                 progress: bool = True) -> APrioriFits:
    """Black-box fit (within :data:`E_FIT_BOUNDS`) of the 10 activation energies to each trajectory's tar and char."""
    return fit_a_priori(fit_simulator, ds.conditions[CONDITIONS], ds.observed(OBSERVED), x0=E_BASE,
                        bounds=E_FIT_BOUNDS, labels=E_LABELS, method=method, max_nfev=max_nfev,
                        client=client, progress=progress)


def train_a_priori_net(conditions: pd.DataFrame, fits: APrioriFits, hidden: Sequence[int] = (32, 32),
                       seed: int = 0, max_epochs: int = 20000, progress: bool = False) -> MLPRegressor:
    """Network (T_oven, FL, aspect) -> fitted E_A on the successful fits, early-stopped on 20 % of them."""
    ok = fits.status["ok"].to_numpy()
    reg = MLPRegressor(hidden=hidden, max_epochs=max_epochs, learning_rate=3e-3, patience=200,
                       batch_size=None, validation_fraction=0.2,
                       seed=seed, device="cpu", progress=progress)
    return reg.fit(conditions[CONDITIONS][ok].reset_index(drop=True), fits.params[ok].reset_index(drop=True))


def split_validation(ds: TrajectorySet, fraction: float = 0.2, seed: int = 0) -> tuple[TrajectorySet, TrajectorySet]:
    """Random ``(fit, validation)`` split of ``ds`` (at least one trajectory in each)."""
    n = len(ds.conditions)
    n_val = min(max(1, int(round(fraction * n))), n - 1)
    perm = np.random.default_rng(seed).permutation(n)
    return ds.subset(np.sort(perm[n_val:])), ds.subset(np.sort(perm[:n_val]))


def train_a_posteriori_net(ds: TrajectorySet, hidden: Sequence[int] = (16, 16), epochs: int = 2000,
                           learning_rate: float = 1e-2, seed: int = 0, validation: TrajectorySet | None = None,
                           patience: int = 25, min_delta: float = 0.02, progress: bool = False,
                           problem: ClosureProblem | BatchedReducedProblem | None = None,
                           ) -> tuple[ScaledNetwork, TrainingResult]:
    """Network trained through the differentiable 0D solve on the tar/char trajectories of ``ds``.

    Without ``validation`` 20 % of ``ds`` is held out (:func:`split_validation`);
    training stops once the validation loss has not fallen by ``min_delta``
    (relative) for ``patience`` epochs, keeping the weights of its lowest value.
    ``problem`` is the 0D solve trained through: :func:`reduced_problem` (unrolled torch BDF2,
    the default) or :class:`BatchedReducedProblem` (same discrete model, complex-step gradients, faster).
    """
    if validation is None:
        ds, validation = split_validation(ds, seed=seed)
    X = ds.conditions[CONDITIONS].reset_index(drop=True)
    net = baseline_network(X, dict(zip(E_LABELS, E_BASE)), scale=E_SCALE, hidden=hidden, seed=seed)
    val = (validation.conditions[CONDITIONS], context(validation.conditions), validation.observed(OBSERVED))
    result = train_a_posteriori(net, problem or reduced_problem(), X, context(X), ds.observed(OBSERVED), epochs=epochs,
                                learning_rate=learning_rate, validation=val, patience=patience, seed=seed,
                                progress=progress, min_delta=min_delta)
    return net, result
