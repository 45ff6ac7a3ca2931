"""Cycle-solving study on the cumene unit networks (the paper's experiments).

:func:`convergence_study` solves the torch flowsheet from the documented and from random
tear guesses with every solver; :func:`finetune_networks` runs the unrolled-solver (or
implicit, fixed-point) fine-tuning on copies of the networks; :func:`select_learning_rate` picks its learning
rate on a validation split of the training points.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import torch

from idaes_ml.cycles import finetune, solve, stream_spread
from idaes_ml.metrics import r2_per_output

from flowsheets.cumene.ml import (STREAM_SCALE, UnitModel, build_graph, graph_data, predicted_kpis,
                                  random_tear_guesses, standard_tear_guess)
from flowsheets.cumene.units import TEARS, kpis

__all__ = ["convergence_study", "finetune_networks", "select_learning_rate", "split_rows", "truth_kpis"]


def truth_kpis(df: pd.DataFrame) -> pd.DataFrame:
    """Ground-truth KPIs of every row."""
    return pd.DataFrame([kpis(r) for r in df.to_dict("records")])


def _rows(d: dict, idx: np.ndarray) -> dict:
    return {k: v[idx] for k, v in d.items()}


def convergence_study(models: dict[str, UnitModel], test: pd.DataFrame, train: pd.DataFrame,
                      n_random: int = 100, tol: float = 1e-5, max_iter: int = 100, seed: int = 0,
                      methods: Sequence[str] = ("direct", "wegstein", "newton", "lbfgs"), exact_mixers: bool = True) -> dict:
    """Per solver: convergence rate and time from random guesses; end-to-end KPI R² (documented guess).

    ``exact_mixers`` as in :func:`.ml.build_graph`.
    """
    graph = build_graph(models, exact_mixers=exact_mixers)
    feeds, params, _ = graph_data(test)
    scale = STREAM_SCALE.repeat(len(TEARS))
    idx = np.arange(n_random) % len(test)
    x_rand = random_tear_guesses(train, n_random, seed=seed)
    truth = truth_kpis(test)
    out = {}
    for method in methods:
        G = lambda x, f=_rows(feeds, idx), p=_rows(params, idx): graph.tear_map(x, f, p)  # noqa: E731
        rnd = solve(G, x_rand, method=method, scale=scale, tol=tol, max_iter=max_iter)
        Gs = lambda x: graph.tear_map(x, feeds, params)  # noqa: E731
        std = solve(Gs, standard_tear_guess(test), method=method, scale=scale, tol=tol, max_iter=max_iter)
        with torch.no_grad():
            pred = predicted_kpis(graph.evaluate(std.x, feeds, params))
        ok = std.converged.numpy() & np.isfinite(pred.to_numpy()).all(axis=1)
        r2 = r2_per_output(truth[ok], pred[ok]) if ok.sum() > 1 else pd.Series(dtype=float)
        hist = torch.stack(rnd.history).numpy()
        out[method] = {
            "random_init_convergence_rate": rnd.rate,
            "random_init_n": n_random,
            "random_init_mean_iterations": float(rnd.iterations[rnd.converged].float().mean()) if rnd.rate else None,
            "seconds_per_solve": rnd.seconds / n_random,
            "documented_guess_convergence_rate": std.rate,
            "end_to_end_r2": {k: float(v) for k, v in r2.items()},
            "median_residual_history": np.nanmedian(np.where(np.isfinite(hist), hist, np.nan), axis=1).tolist(),
        }
    return out


def finetune_networks(models: dict[str, UnitModel], train: pd.DataFrame, epochs: int = 150,
                      learning_rate: float = 1e-3, ks: Iterable[int] = range(11), seed: int = 0, standardize: bool = True,
                      exact_mixers: bool = True, progress: bool = True,
                      method: str = "unrolled") -> tuple[dict[str, UnitModel], list[float]]:
    """Copies of ``models`` fine-tuned through K unrolled substitution passes (K in ``ks``),
    or with ``method="implicit"`` at the converged fixed point of every training point
    (:func:`idaes_ml.cycles.implicit_loss`, Newton from the documented guess).

    Each unrolled epoch starts every training point from a fresh random tear guess (half
    of the rows) or the documented guess (the other half). ``standardize`` scales each stream
    variable's error by its spread over the training points (at least 1e-3 of
    :data:`.ml.STREAM_SCALE`); otherwise by ``STREAM_SCALE``, where the large recycle
    streams dominate and the product stream is neglected. ``exact_mixers`` as in
    :func:`.ml.build_graph` (the EO flowsheet's mixers are first-principles).
    """
    tuned = copy.deepcopy(models)
    graph = build_graph(tuned, exact_mixers=exact_mixers)
    feeds, params, targets = graph_data(train)
    rng = np.random.default_rng(seed)
    x_std = standard_tear_guess(train)

    def batches(epoch):
        x0 = x_std.clone()
        if method == "unrolled":
            rnd = random_tear_guesses(train, len(train), seed=int(rng.integers(1 << 31)), spread=0.5)
            mask = torch.tensor(rng.random(len(train)) < 0.5)
            x0[mask] = rnd[mask]
        return x0, feeds, params, targets

    modules = [um.network.module for um in tuned.values() if um.network is not None]
    scale = stream_spread(targets, 1e-3 * STREAM_SCALE) if standardize else STREAM_SCALE
    history = finetune(graph, modules, batches, epochs=epochs, learning_rate=learning_rate, ks=ks,
                       scale=scale, progress=progress, method=method, tear_scale=STREAM_SCALE.repeat(len(TEARS)))
    return tuned, history


def split_rows(df: pd.DataFrame, fraction: float = 0.8, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random split of the rows of ``df``: ``fraction`` of them first, the rest second."""
    idx = np.random.default_rng(seed).permutation(len(df))
    cut = int(fraction * len(df))
    return df.iloc[idx[:cut]].reset_index(drop=True), df.iloc[idx[cut:]].reset_index(drop=True)


def select_learning_rate(models: dict[str, UnitModel], train: pd.DataFrame, rates: Sequence[float], epochs: int = 150,
                         fraction: float = 0.2, seed: int = 0) -> tuple[float, dict[float, float]]:
    """The fine-tuning learning rate with the best validation end-to-end R² (no test data).

    ``fraction`` of ``train`` is held out; for each rate the networks are fine-tuned on
    the rest and the torch flowsheet is solved (Newton, documented guess) at the held-out
    rows; the score is the mean R² of the four KPIs (-inf if fewer than two rows converge).
    """
    if len(rates) == 0 or not 0 < fraction < 1:
        raise ValueError(f"need at least one learning rate and 0 < fraction < 1, got {rates!r}, {fraction}")
    fit, val = split_rows(train, 1 - fraction, seed)
    scores = {}
    for rate in rates:
        tuned, _ = finetune_networks(models, fit, epochs=epochs, learning_rate=rate, seed=seed, progress=False)
        r2 = convergence_study(tuned, val, fit, n_random=1, seed=seed, methods=("newton",))["newton"]["end_to_end_r2"]
        scores[float(rate)] = float(np.mean(list(r2.values()))) if r2 else -np.inf
    return max(scores, key=scores.get), scores
