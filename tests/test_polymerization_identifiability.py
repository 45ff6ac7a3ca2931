"""Identifiability (Fisher information, profile likelihood) and the kMC validation harness."""

from __future__ import annotations

import numpy as np
import pytest

from flowsheets.polymerization.data import RECIPE_COLUMNS
from flowsheets.polymerization.identifiability import fisher, noise_sigma, observe, profile
from flowsheets.polymerization.mmd import N_MMD
from flowsheets.polymerization.simulator import Recipe
from flowsheets.polymerization.validation import bootstrap_noise, validate_recipe

TRUTH = {"cBA_0": 0.5, "cAIBN_0": 0.02, "temp": 78.0, "time": 600.0}  # short chains: cheap


def test_noise_model_scales_with_the_target():
    obs = observe(TRUTH, "composite")
    sigma = noise_sigma(obs, 0.03)
    assert sigma.size == N_MMD + 3
    assert np.linalg.norm(sigma[:N_MMD]) == pytest.approx(0.03 * np.linalg.norm(obs[:N_MMD]))
    assert sigma[N_MMD] == pytest.approx(0.01 * obs[N_MMD])


def test_fisher_information_is_a_covariance():
    fi = fisher(TRUTH, noise_sigma(observe(TRUTH), 0.03))
    F, corr = fi["information"], fi["corr"]
    assert np.allclose(F, F.T) and np.all(np.linalg.eigvalsh(F) >= -1e-9 * np.abs(F).max())
    assert np.allclose(np.diag(corr), 1.0) and np.all(np.abs(corr) <= 1 + 1e-9)
    assert all(v > 0 and np.isfinite(v) for v in fi["se_box_fraction"].values())
    assert list(fi["se_box_fraction"]) == RECIPE_COLUMNS


def test_profile_is_zero_at_the_truth_and_positive_away():
    obs = observe(TRUTH)
    rows = profile(TRUTH, obs, noise_sigma(obs, 0.03), "temp", [TRUTH["temp"], TRUTH["temp"] - 4.0], max_nfev=4)
    assert rows[0]["chi2"] < 1e-6
    assert rows[1]["chi2"] > rows[0]["chi2"] and rows[1]["temp"] == TRUTH["temp"] - 4.0


def test_validate_recipe_against_kmc():
    rec = validate_recipe(Recipe(**dict(zip(["cBA0", "cAIBN0", "T", "time"], TRUTH.values()))),
                          target_chains=3e4, min_monomer=1e6)
    assert rec["chains"] > 1e4
    assert rec["rel_l2"] < 0.12 and 0 < rec["kmc_noise_rel_l2"] < rec["rel_l2"] * 2
    assert abs(rec["conversion_kmc"] / rec["conversion_det"] - 1) < 0.02


def test_bootstrap_noise_shrinks_with_sample_size():
    rng = np.random.default_rng(0)
    chains = rng.geometric(1 / 500, size=40_000)
    assert bootstrap_noise(chains[:4000]) > 2 * bootstrap_noise(chains)
