"""BA/AIBN simulator: known limits, moment consistency, trends, data sets, bad input."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from idaes_ml.errors import DataError
from flowsheets.polymerization.data import RECIPE_BOUNDS, generate_dataset, load_dataset, save_dataset
from flowsheets.polymerization.kinetics import BA_AIBN, M_BA
from flowsheets.polymerization.mmd import (
    DLOG10_M, MMD_COLUMNS, N_MMD, averages_from_mmd, check_mmd, flory_mmd, schulz_zimm_mmd,
)
from flowsheets.polymerization.simulator import SIMULATOR_VERSION, Recipe, simulate

SHORT = Recipe(cBA0=0.5, cAIBN0=0.02, T=80.0, time=0.1)  # ~0.1 % conversion: constant rates


def _ideal(comb: float):
    return dataclasses.replace(BA_AIBN.without("kbb", "ktrM"), comb_ss=comb)


def test_disproportionation_only_gives_flory_with_kinetic_chain_length():
    out = simulate(SHORT, _ideal(0.0))
    k = BA_AIBN.at(SHORT.T)
    R = math.sqrt(k["f"] * k["kd"] * SHORT.cAIBN0 / k["kt_ss"])  # Ri = 2 f kd I = 2 kt R^2
    nu = k["kp"] * SHORT.cBA0 / (2 * k["kt_ss"] * R)  # textbook kinetic chain length
    assert out.conversion < 5e-3
    assert out.Mn == pytest.approx(M_BA * nu, rel=5e-3)
    assert out.Mw / out.Mn == pytest.approx(2.0, rel=5e-3)
    assert np.abs(out.mmd - flory_mmd(out.Mn / M_BA)).max() < 1e-2 * out.mmd.max()


def test_combination_only_gives_schulz_zimm_two():
    out = simulate(SHORT, _ideal(1.0))
    assert out.Mw / out.Mn == pytest.approx(1.5, rel=5e-3)
    sz = schulz_zimm_mmd(out.Mn / (2 * M_BA), k=2)
    assert np.abs(out.mmd - sz).max() < 1e-2 * out.mmd.max()
    assert np.abs(out.mmd - flory_mmd(out.Mn / M_BA)).max() > 0.1 * out.mmd.max()


@pytest.mark.parametrize("recipe", [Recipe(1.0, 0.02, 70.0, 3600.0), Recipe(2.5, 0.005, 62.0, 1800.0)])
def test_mmd_moments_match_moment_equations(recipe):
    out = simulate(recipe)
    mn, mw = averages_from_mmd(out.mmd)
    assert mn == pytest.approx(out.Mn, rel=0.025)  # Mn feels the low-M tail cut at 10^2.5
    assert mw == pytest.approx(out.Mw, rel=0.005)
    assert out.mmd.sum() * DLOG10_M == pytest.approx(1.0)
    # monomer balance: repeat units in dead chains = monomer consumed (radicals hold ~1e-6 of it)
    assert out.moments[1] == pytest.approx(recipe.cBA0 - out.cBA, rel=1e-4)


def test_backbiting_and_temperature_trends():
    base = Recipe(1.5, 0.01, 70.0, 1800.0)
    full, no_bb = simulate(base), simulate(base, BA_AIBN.without("kbb"))
    assert full.conversion < no_bb.conversion  # mid-chain radicals propagate slowly
    assert full.Mw / full.Mn > 2.0  # broadened by conversion drift and MCRs
    hot = simulate(dataclasses.replace(base, T=80.0))
    assert hot.conversion > full.conversion and hot.Mw < full.Mw
    assert simulate(dataclasses.replace(base, cAIBN0=0.02)).Mw < full.Mw


def test_dataset_roundtrip_and_version(tmp_path):
    df = generate_dataset(5, seed=3, progress=False)
    assert (df["status"] == "ok").all() and len(df) == 5
    for col, (lo, hi) in RECIPE_BOUNDS.items():
        assert df[col].between(lo, hi).all()
    assert np.allclose(df[MMD_COLUMNS].sum(axis=1) * DLOG10_M, 1.0)
    path = save_dataset(df, tmp_path / "d.parquet")
    back = load_dataset(path)
    assert back["simulator_version"].iloc[0] == SIMULATOR_VERSION
    pd.testing.assert_frame_equal(back, df)
    df.assign(simulator_version="old").to_parquet(tmp_path / "old.parquet")
    with pytest.raises(DataError, match="regenerate"):
        load_dataset(tmp_path / "old.parquet")


def test_failed_simulation_is_kept_with_status():
    df = generate_dataset(3, seed=0, progress=False, bounds={**RECIPE_BOUNDS, "cAIBN_0": (-1.0, -0.5)})
    assert df["status"].str.contains("DataError").all()
    assert df["Mn"].isna().all() and len(df) == 3


@pytest.mark.parametrize("kwargs", [dict(cBA0=-1), dict(cAIBN0=float("nan")), dict(time=0), dict(T=400)])
def test_bad_recipe_raises(kwargs):
    with pytest.raises(DataError):
        Recipe(**{**dict(cBA0=1.0, cAIBN0=0.01, T=70.0, time=100.0), **kwargs})


def test_check_mmd_errors():
    w = flory_mmd(300.0)
    check_mmd(w)
    with pytest.raises(DataError, match=f"{N_MMD} values"):
        check_mmd(w[:-1])
    with pytest.raises(DataError, match="NaN"):
        check_mmd(np.where(np.arange(N_MMD) == 3, np.nan, w))
    with pytest.raises(DataError, match="negative"):
        check_mmd(w - w.max() / 2)
    with pytest.raises(DataError, match="sums to 1"):
        check_mmd(w / w.sum())
