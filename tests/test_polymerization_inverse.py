"""BA/AIBN recipe inversion: direct regression tables, EO inversion, design query, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from idaes_ml.errors import DataError
from flowsheets.polymerization.cli import invert_main
from flowsheets.polymerization.data import RECIPE_BOUNDS, RECIPE_COLUMNS, load_dataset, out_of_domain
from flowsheets.polymerization.direct_inverse import features, fit_direct, seed_table
from flowsheets.polymerization.eo_inverse import invert_target, min_initiator_design, resimulate
from flowsheets.polymerization.forward import ForwardModel, train_forward, target_outputs
from flowsheets.polymerization.mmd import MMD_COLUMNS


TRAIN = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "polymerization_train.parquet"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    """160 recipes of the shipped training set (simulating them takes minutes)."""
    return load_dataset(TRAIN).iloc[:160].reset_index(drop=True)


@pytest.fixture(scope="module")
def forward(data, tmp_path_factory) -> ForwardModel:
    torch.set_num_threads(1)
    d = tmp_path_factory.mktemp("fwd")
    return train_forward(data, d, n_components=4, hidden=(16, 16), batch_size=None, learning_rate=1e-2,
                         max_epochs=600, patience=100)


def test_direct_inverse_seed_table(data):
    train, test = data.iloc[:130], data.iloc[130:]
    pred = fit_direct("rf", "composite", train, n_estimators=40).predict(test)
    table, summary = seed_table(test, pred)
    assert list(table.index) == RECIPE_COLUMNS
    assert summary["R² global"] == pytest.approx(table["R²"].mean())
    assert table.loc["cBA_0", "R²"] > 0.5 and table.loc["time", "R²"] > 0.3
    assert (table["MAE relativo"] > 0).all() and (table["MAE relativo"] < 0.5).all()
    assert not out_of_domain(pred).any()  # a forest averages training recipes: stays in the box
    assert out_of_domain(pred.assign(temp=[90.0] + [70.0] * (len(pred) - 1))).sum() == 1
    with pytest.raises(DataError, match="NaN"):
        features(test.assign(MMD_5=np.nan), "mmd")
    with pytest.raises(DataError, match="feature set"):
        fit_direct("rf", "spectra", train)


def test_eo_inversion_reproduces_the_target_mmd(forward, data):
    target = data.iloc[7]
    inv = invert_target(forward, target, n_starts=2, ranges=False)
    assert set(inv.starts["status"]) <= {"optimal", "locallyOptimal"} or inv.starts["ok"].any()
    for k, (lo, hi) in RECIPE_BOUNDS.items():
        assert lo - 1e-6 <= inv.recipe[k] <= hi * (1 + 1e-6)
    center = {k: sum(b) / 2 for k, b in RECIPE_BOUNDS.items()}
    baseline = resimulate(center, target[MMD_COLUMNS].to_numpy(dtype=float))
    assert inv.resimulated["mmd_rel_l2"] < min(0.3, baseline["mmd_rel_l2"])


def test_target_checks(forward, data):
    row = data.iloc[0]
    assert len(target_outputs(forward, row)) == 3 + 4
    with pytest.raises(DataError, match="NaN"):
        target_outputs(forward, row.copy().where(row.index != "MMD_10", np.nan))
    with pytest.raises(DataError, match="100 MMD values"):
        target_outputs(forward, row.drop("MMD_100"))
    with pytest.raises(DataError, match="not normalized"):
        target_outputs(forward, pd.concat([row.drop(MMD_COLUMNS), row[MMD_COLUMNS] * 3]))
    with pytest.raises(DataError, match="below Mn"):
        target_outputs(forward, row.copy().where(row.index != "Mw", 1.0))


def test_cli_invert(forward, data, tmp_path, capsys):
    cols = ["cBA_time", "Mn", "Mw", *MMD_COLUMNS]
    good = tmp_path / "target.csv"
    data.iloc[[3]][cols].to_csv(good, index=False)
    model = ["--model", str(forward.directory), "--starts", "2", "--no-ranges"]
    assert invert_main(["--target", str(good), *model]) == 0
    out = capsys.readouterr().out
    assert "cAIBN_0" in out and "re-simulated MMD" in out
    saved = pd.read_csv(tmp_path / "target_inversion.csv")
    assert saved.loc[0, "status"] == "ok" and (tmp_path / "target_row0_mmd.png").stat().st_size > 1000

    nan = tmp_path / "nan.csv"
    data.iloc[[3]][cols].assign(MMD_40=np.nan).to_csv(nan, index=False)
    assert invert_main(["--target", str(nan), *model]) == 2
    short = tmp_path / "short.csv"
    data.iloc[[3]][cols[:-1]].to_csv(short, index=False)
    assert invert_main(["--target", str(short), *model]) == 2
    assert "100 MMD values" in capsys.readouterr().err
    assert invert_main(["--target", str(good), "--model", str(tmp_path / "nowhere")]) == 2
    assert "no forward model" in capsys.readouterr().err


def test_unreachable_target_reports_nearest(forward, data):
    target = data.iloc[5].copy()
    target["Mn"], target["Mw"] = 1e8, 3e8  # far beyond any recipe in the box
    inv = invert_target(forward, target, n_starts=2, ranges=False)
    assert not inv.reachable and inv.misfit > 100
    assert 10 ** inv.predicted["log10_Mw"] < 1e8  # the nearest achievable prediction


@pytest.mark.slow
def test_identifiability_ranges_and_design_query(forward, data):
    target = data.iloc[12]
    inv = invert_target(forward, target, n_starts=2, ranges=True)
    r = inv.ranges
    tol = 1e-6 * r["best"].abs()  # Ipopt may sit a hair outside a bound
    assert ((r["low"] <= r["best"] + tol) & (r["best"] <= r["high"] + tol)).all()
    assert ((r["width"] >= 0) & (r["width"] <= 1 + 1e-6)).all()
    design = min_initiator_design(forward, mw_window=(1.5e5, 3e5), min_conversion=0.8, n_starts=2)
    assert 1.5e5 * 0.999 <= design["predicted_Mw"] <= 3e5 * 1.001
    assert design["predicted_conversion"] >= 0.8 - 1e-6
    assert design["simulated_Mw"] == pytest.approx(design["predicted_Mw"], rel=0.35)
