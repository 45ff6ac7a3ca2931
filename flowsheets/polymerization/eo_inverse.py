"""Equation-oriented recipe inversion for the BA/AIBN case (glue over :mod:`idaes_ml.inverse`).

    fm = ForwardModel.load("models")
    inv = invert_target(fm, target_row)          # multistart Ipopt + identifiability ranges
    inv.recipe, inv.misfit, inv.ranges, inv.resimulated["mmd_rmse"]
    design = min_initiator_design(fm, mw_window=(2e5, 3e5), min_conversion=0.9)

The misfit is chi-square like: each targeted output (cBA_time, log10 Mn, log10 Mw, the MMD
principal scores) is weighted by ``1 / rmse^2`` with the forward network's validation
RMSE, so ``misfit ~ n_targets`` means "as close as the network can tell".

Noise model: the target's outputs are taken as the network's prediction plus independent
Gaussian errors with the network's validation RMSE per output; measurement noise in the
target is *not* added. Under it the misfit at the true recipe is chi-square with
``n_targets`` degrees of freedom, and ``p_value = P(chi2 >= misfit)``. A target is called
reachable when ``p_value >= 0.05`` (misfit below the 95 % quantile); otherwise the
nearest achievable prediction and its distance are reported. The flag is a threshold:
a misfit near the cutoff (p near 0.05) can flip with a few % of target noise, so read
the p-value, not only the flag.  Identifiability ranges use the likelihood-ratio region
``misfit <= best + chi2_0.95(n_inputs)`` (Delta chi^2 = 9.49 for the 4 recipe parameters).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import chi2

from idaes_ml.errors import DataError
from idaes_ml.inverse import DesignProblem, MisfitProblem, NetworkRef, identifiability_ranges, multistart

from flowsheets.polymerization.data import RECIPE_COLUMNS, to_recipe
from flowsheets.polymerization.forward import ForwardModel, target_outputs
from flowsheets.polymerization.mmd import LOG10_M, MMD_COLUMNS
from flowsheets.polymerization.simulator import simulate

if TYPE_CHECKING:
    import os
    from pathlib import Path

    from idaes_ml.parallel import ClientSpec

__all__ = ["Inversion", "misfit_problem", "invert_target", "resimulate", "min_initiator_design",
           "mmd_plot"]


@dataclass
class Inversion:
    """Recovered recipe, its misfit, identifiability ranges and the re-simulation check."""

    recipe: dict[str, float]
    misfit: float
    reachable: bool
    p_value: float
    predicted: dict[str, float]
    target: dict[str, float]
    starts: pd.DataFrame
    ranges: pd.DataFrame | None
    resimulated: dict = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict:
        """A flat record for tables/JSON."""
        rec = {**self.recipe, "misfit": self.misfit, "p_value": self.p_value, "reachable": self.reachable,
               "distance": float(np.sqrt(self.misfit)), "seconds": self.seconds,
               "n_starts_ok": int(self.starts["ok"].sum()), "n_starts": len(self.starts)}
        if self.ranges is not None:
            for k, r in self.ranges.iterrows():
                rec.update({f"{k}_low": r["low"], f"{k}_high": r["high"], f"{k}_width": r["width"]})
        rec.update({k: v for k, v in self.resimulated.items() if k != "mmd"})
        return rec


def misfit_problem(fm: ForwardModel, target: pd.Series | dict) -> MisfitProblem:
    """The chi-square-like misfit problem of one target row."""
    t = target_outputs(fm, target)
    return MisfitProblem(NetworkRef(str(fm.directory), fm.name), t, {k: 1.0 / fm.rmse[k] ** 2 for k in t})


def resimulate(recipe: dict[str, float], target_mmd: np.ndarray) -> dict:
    """Simulate ``recipe`` and compare its MMD with the target (RMSE, relative L2, peak shift)."""
    out = simulate(to_recipe(recipe))
    diff = out.mmd - target_mmd
    return {"mmd": out.mmd, "mmd_rmse": float(np.sqrt((diff**2).mean())),
            "mmd_rel_l2": float(np.linalg.norm(diff) / np.linalg.norm(target_mmd)),
            "peak_shift_decades": float(LOG10_M[out.mmd.argmax()] - LOG10_M[np.argmax(target_mmd)]),
            "sim_cBA_time": out.cBA, "sim_Mn": out.Mn, "sim_Mw": out.Mw, "sim_conversion": out.conversion}


def invert_target(fm: ForwardModel, target: pd.Series | dict, n_starts: int = 8, seed: int = 0,
                  ranges: bool = True, client: ClientSpec = None, progress: bool = False) -> Inversion:
    """Invert one target row (MMD_1..100, cBA_time, Mn, Mw; a Series or dict) to a recipe."""
    t0 = time.perf_counter()
    problem = misfit_problem(fm, target)  # checks the target first
    target_mmd = pd.to_numeric(pd.Series(target)[MMD_COLUMNS]).to_numpy(dtype=float)
    ms = multistart(problem, n_starts=n_starts, seed=seed, client=client, progress=progress,
                    desc="recipe inversion")
    best = ms.best
    n_in = len(RECIPE_COLUMNS)
    rng = (identifiability_ranges(problem, best.x, best.misfit + chi2.ppf(0.95, n_in), client=client,
                                  progress=progress) if ranges else None)
    resim = resimulate(best.x, target_mmd)
    p_value = float(chi2.sf(best.misfit, len(problem.target)))
    return Inversion(recipe=best.x, misfit=best.misfit, reachable=p_value >= 0.05, p_value=p_value,
                     predicted=best.y, target=problem.target, starts=ms.table(), ranges=rng,
                     resimulated=resim, seconds=time.perf_counter() - t0)


def min_initiator_design(fm: ForwardModel, mw_window: tuple[float, float], min_conversion: float = 0.9,
                         n_starts: int = 8, seed: int = 0, client: ClientSpec = None,
                         refine: int = 3) -> dict:
    """Recipe with the least AIBN whose Mw lies in ``mw_window`` at conversion >= ``min_conversion``.

    The NLP answer is re-simulated; while the simulation misses a spec (network error), that
    constraint is shifted by the observed prediction - simulation gap and the NLP re-solved,
    at most ``refine`` times.  Returns the recipe, predicted and simulated Mw/conversion,
    ``meets_spec``, the number of ``iterations`` and the last multistart's statuses.
    """
    lo, hi = mw_window
    if not 0 < lo < hi:
        raise DataError(f"Mw window must satisfy 0 < low < high, got {mw_window}")
    net = NetworkRef(str(fm.directory), fm.name)
    mw_bias, conv_bias = 0.0, 0.0  # network minus simulator, accumulated where a spec was missed
    for it in range(refine + 1):
        bounds = {"log10_Mw": (float(np.log10(lo)) + mw_bias, float(np.log10(hi)) + mw_bias),
                  "conversion": (min_conversion + conv_bias, None)}
        problem = DesignProblem(net, cost={"cAIBN_0": 1.0}, output_bounds=bounds)
        ms = multistart(problem, n_starts=n_starts, seed=seed, client=client, progress=False, desc="design")
        best = ms.best
        sim = simulate(to_recipe(best.x))
        mw_ok, conv_ok = lo <= sim.Mw <= hi, sim.conversion >= min_conversion
        if (mw_ok and conv_ok) or it == refine:
            break
        if not mw_ok:
            mw_bias += best.y["log10_Mw"] - float(np.log10(sim.Mw))
        if not conv_ok:
            conv_bias += best.y["conversion"] - sim.conversion
    low, high = problem.box()["cAIBN_0"]
    return {"recipe": best.x, "predicted_Mw": 10 ** best.y["log10_Mw"],
            "predicted_conversion": best.y["conversion"], "simulated_Mw": sim.Mw,
            "simulated_conversion": sim.conversion, "meets_spec": bool(mw_ok and conv_ok),
            "iterations": it + 1, "starts": ms.table(),
            "at_initiator_lower_bound": bool(best.x["cAIBN_0"] <= low + 1e-3 * (high - low))}


def mmd_plot(target_mmd: np.ndarray, curves: dict[str, np.ndarray], path: str | os.PathLike,
             title: str | None = None) -> Path:
    """PNG of the target MMD against re-simulated curves (log10 M on x)."""
    import matplotlib.pyplot as plt

    from idaes_ml.plotting import save_figure

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(LOG10_M, target_mmd, "k-", lw=2.5, label="target")
    for label, w in curves.items():
        ax.plot(LOG10_M, w, "--", lw=1.5, label=label)
    ax.set_xlabel("log10 M (g/mol)")
    ax.set_ylabel("dW / dlog10 M")
    ax.legend()
    if title:
        ax.set_title(title)
    return save_figure(fig, path)
