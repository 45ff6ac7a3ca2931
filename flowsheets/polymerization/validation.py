"""Deterministic MMD vs kinetic Monte Carlo: one recipe's comparison and the kMC noise floor.

    >>> from flowsheets.polymerization.simulator import Recipe
    >>> from flowsheets.polymerization.validation import validate_recipe
    >>> rec = validate_recipe(Recipe(0.5, 0.02, 80.0, 600.0), target_chains=2e4)
    >>> rec["rel_l2"] < 0.15 and rec["kmc_noise_rel_l2"] > 0
    True

The kMC volume is sized from the deterministic answer (``n_monomer = target_chains x
DPn / conversion``, clipped to ``[min_monomer, max_monomer]``) so that each run has about
``target_chains`` dead chains; that only sets the sample size, the kMC run itself uses
nothing from the deterministic one.  ``kmc_noise_rel_l2`` is the median relative L2
distance between the run's MMD and bootstrap resamples of its chains: the part of
``rel_l2`` that finite sampling alone explains.
"""

from __future__ import annotations

import time

import numpy as np

from flowsheets.polymerization.kinetics import BA_AIBN, M_BA, Kinetics
from flowsheets.polymerization.kmc import kmc_simulate
from flowsheets.polymerization.mmd import mmd_from_chains
from flowsheets.polymerization.simulator import Recipe, simulate

__all__ = ["rel_l2", "bootstrap_noise", "validate_recipe"]


def rel_l2(w: np.ndarray, reference: np.ndarray) -> float:
    """``||w - reference|| / ||reference||``."""
    return float(np.linalg.norm(np.asarray(w) - reference) / np.linalg.norm(reference))


def bootstrap_noise(chains: np.ndarray, n_boot: int = 20, seed: int = 0) -> float:
    """Median relative L2 distance between the chains' MMD and bootstrap resamples of them."""
    rng = np.random.default_rng(seed)
    w = mmd_from_chains(chains)
    return float(np.median([rel_l2(mmd_from_chains(rng.choice(chains, chains.size)), w) for _ in range(n_boot)]))


def validate_recipe(recipe: Recipe, kinetics: Kinetics = BA_AIBN, target_chains: float = 1e5,
                    min_monomer: float = 1e7, max_monomer: float = 2e8, seed: int = 0) -> dict:
    """Simulate ``recipe`` both ways; MMD relative L2, averages, conversion, noise floor, times."""
    t0 = time.perf_counter()
    det = simulate(recipe, kinetics)
    t1 = time.perf_counter()
    dpn = det.Mn / M_BA
    n_monomer = float(np.clip(target_chains * dpn / max(det.conversion, 1e-3), min_monomer, max_monomer))
    kmc = kmc_simulate(recipe, kinetics, n_monomer=n_monomer, seed=seed)
    t2 = time.perf_counter()
    return {"cBA_0": recipe.cBA0, "cAIBN_0": recipe.cAIBN0, "temp": recipe.T, "time": recipe.time,
            "rel_l2": rel_l2(det.mmd, kmc.mmd), "kmc_noise_rel_l2": bootstrap_noise(kmc.chains, seed=seed),
            "conversion_det": det.conversion, "conversion_kmc": kmc.conversion,
            "Mn_det": det.Mn, "Mn_kmc": kmc.Mn, "Mw_det": det.Mw, "Mw_kmc": kmc.Mw,
            "n_monomer": n_monomer, "chains": int(kmc.chains.size), "events": kmc.events,
            "radicals_at_end": kmc.radicals, "det_s": t1 - t0, "kmc_s": t2 - t1,
            "mmd_det": det.mmd.tolist(), "mmd_kmc": kmc.mmd.tolist()}
