"""BA/AIBN simulator: known limits, conservation, kMC agreement, trends, data sets, bad input."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from idaes_ml.errors import DataError
from flowsheets.polymerization.data import RECIPE_BOUNDS, generate_dataset, load_dataset, save_dataset
from flowsheets.polymerization.kinetics import BA_AIBN, M_BA, Arrhenius
from flowsheets.polymerization.kmc import kmc_simulate
from flowsheets.polymerization.mmd import (
    DLOG10_M, MMD_COLUMNS, N_MAX, N_MMD, averages_from_mmd, check_mmd, flory_mmd, mmd_from_chains,
    schulz_zimm_mmd,
)
from flowsheets.polymerization.qssa import solve_radicals
from flowsheets.polymerization.simulator import SIMULATOR_VERSION, Recipe, simulate

SHORT = Recipe(cBA0=0.5, cAIBN0=0.02, T=80.0, time=0.1)  # ~0.1 % conversion: constant rates
FAST = Recipe(cBA0=0.5, cAIBN0=0.02, T=80.0, time=600.0)  # short chains: a cheap kMC run


def _ideal(comb: float):
    return dataclasses.replace(BA_AIBN.without("kbb", "ktrM", "kbeta", "cld"), comb_ss=comb)


def _rel_l2(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def test_disproportionation_only_gives_flory_with_kinetic_chain_length():
    out = simulate(SHORT, _ideal(0.0))
    k = BA_AIBN.at(SHORT.T)
    R = math.sqrt(k["f"] * k["kd"] * SHORT.cAIBN0 / k["kt11"])  # Ri = 2 f kd I = 2 kt R^2
    nu = k["kp"] * SHORT.cBA0 / (2 * k["kt11"] * R)  # textbook kinetic chain length
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


def test_composite_termination_model():
    kt = BA_AIBN.kt_ss(70.0, np.array([1.0, 29.0, 30.0, 31.0, 1000.0]))
    assert kt[0] == pytest.approx(BA_AIBN.kt11(70.0))
    assert np.all(np.diff(kt) < 0)
    assert kt[2] / kt[1] == pytest.approx((30 / 29) ** -0.85) and kt[3] / kt[2] == pytest.approx((31 / 30) ** -0.16)
    assert BA_AIBN.active_mechanisms() == ["backbiting", "beta_scission", "transfer_to_monomer",
                                           "chain_length_dependent_termination"]


@settings(max_examples=15, deadline=None)
@given(M=st.floats(0.05, 3.0), Ri=st.floats(1e-9, 1e-5), T=st.floats(60.0, 80.0))
def test_qssa_radical_balance(M, Ri, T):
    """Initiation equals termination (transfer and scission conserve radicals)."""
    k = BA_AIBN.at(T)
    sk = np.sqrt(BA_AIBN.kt_ss(T, np.arange(1, N_MAX + 1)))
    rad = solve_radicals(k, sk, M, Ri, np.zeros(N_MAX), 0.0)
    loss = 2 * rad.S_R**2 + 4 * k["st_ratio"] * rad.S_R * rad.S_Q + 2 * k["tt_ratio"] * rad.S_Q**2
    assert loss == pytest.approx(Ri, rel=1e-6)
    assert rad.S_R == pytest.approx(sk[: rad.R.size] @ rad.R, rel=1e-8)
    assert (rad.R >= 0).all() and (rad.QB >= 0).all()


@settings(max_examples=4, deadline=None)
@given(cBA0=st.floats(0.5, 3.0), cAIBN0=st.floats(0.005, 0.02), T=st.floats(65.0, 80.0), time=st.floats(60.0, 3600.0))
def test_monomer_balance_and_mmd(cBA0, cAIBN0, T, time):
    """Repeat units in dead chains = monomer consumed; MMD normalized; averages consistent."""
    recipe = Recipe(cBA0, cAIBN0, T, time)
    out = simulate(recipe)
    assert out.moments[1] == pytest.approx(cBA0 - out.cBA, rel=2e-2)  # midpoint rule, O(dt^2): hypothesis found 1.0 % at 80 degC, high initiator, long time
    assert out.mmd.sum() * DLOG10_M == pytest.approx(1.0)
    mn, mw = averages_from_mmd(out.mmd)
    assert mw == pytest.approx(out.Mw, rel=0.03) and mn == pytest.approx(out.Mn, rel=0.05)
    assert out.Mw / out.Mn > 1.5


def test_time_step_convergence():
    coarse, fine = simulate(FAST, n_steps=32), simulate(FAST, n_steps=128)
    assert coarse.conversion == pytest.approx(fine.conversion, rel=1e-3)
    assert _rel_l2(coarse.mmd, fine.mmd) < 5e-3


def test_kmc_agrees_with_deterministic_on_a_small_recipe():
    det = simulate(FAST)
    kmc = kmc_simulate(FAST, n_monomer=1e7, seed=2)
    assert kmc.chains.size > 4e4
    assert kmc.conversion == pytest.approx(det.conversion, rel=0.01)
    assert kmc.Mn == pytest.approx(det.Mn, rel=0.03) and kmc.Mw == pytest.approx(det.Mw, rel=0.04)
    assert _rel_l2(det.mmd, kmc.mmd) < 0.08  # ~4e4 chains: sampling noise ~ 0.04-0.05


def test_transfer_to_polymer_and_scission_agree_with_kmc():
    """Transfer to polymer on (test value) and scission 300x faster: both simulators agree."""
    kin = dataclasses.replace(BA_AIBN, ktrP=Arrhenius(20.0, 0.0), kbeta=Arrhenius(300 * 1.49e9, 63.9e3))
    base, det = simulate(FAST), simulate(FAST, kin)
    kmc = kmc_simulate(FAST, kin, n_monomer=1e7, seed=1)
    assert det.Mn < 0.5 * base.Mn  # scission of the (random-position) transfer radicals
    assert kmc.conversion == pytest.approx(det.conversion, rel=0.01)
    assert kmc.Mn == pytest.approx(det.Mn, rel=0.02) and kmc.Mw == pytest.approx(det.Mw, rel=0.02)
    assert _rel_l2(det.mmd, kmc.mmd) < 0.03  # ~5e5 chains


def test_backbiting_and_temperature_trends():
    base = Recipe(1.5, 0.01, 70.0, 1800.0)
    full, no_bb = simulate(base), simulate(base, BA_AIBN.without("kbb"))
    assert full.conversion < no_bb.conversion  # mid-chain radicals propagate slowly
    assert full.Mw / full.Mn > 2.0  # broadened by conversion drift and MCRs
    hot = simulate(dataclasses.replace(base, T=80.0))
    assert hot.conversion > full.conversion and hot.Mw < full.Mw
    assert simulate(dataclasses.replace(base, cAIBN0=0.02)).Mw < full.Mw


def test_mmd_binning_of_chains():
    w = mmd_from_chains(np.array([100, 100, 1000]))
    assert w.sum() * DLOG10_M == pytest.approx(1.0) and (w > 0).sum() == 2
    with pytest.raises(DataError, match="no mass"):
        mmd_from_chains(np.array([N_MAX + 5]))


def test_dataset_roundtrip_and_version(tmp_path):
    df = generate_dataset(3, seed=3, progress=False)
    assert (df["status"] == "ok").all() and len(df) == 3
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
    with pytest.raises(DataError, match="n_monomer"):
        kmc_simulate(FAST, n_monomer=10)
