"""Seed-003 case: data generation, a-priori / a-posteriori closures, export and EO embedding."""

import numpy as np
import pandas as pd
import pytest

from idaes_ml.errors import DataError, OutOfDomainError
from idaes_ml.nn import export_onnx, load_network
from idaes_ml.surrogate import OnnxSurrogate
from flowsheets.pyrolysis.closure_case import (E_FIT_BOUNDS, E_LABELS, baseline_E, predict_E, run_a_priori,
                                               split_validation, train_a_posteriori_net, train_a_priori_net,
                                               yield_errors)
from flowsheets.pyrolysis.data import DOMAIN, TrajectorySet, design, generate, sweeps


@pytest.fixture(scope="module")
def small_set():
    conds = pd.DataFrame({"T_oven": [735.0, 805.0, 780.0, 760.0], "feret_mm": [8.0, 6.0, 1.5, 4.0],
                          "aspect": [2.5, 2.2, 5.0, 3.0]})
    return generate(conds, n_nodes=8, progress=False)


def test_design_and_sweeps_cover_the_domain():
    d = design(20, seed=2)
    for c, (lo, hi) in DOMAIN.items():
        assert d[c].between(lo, hi).all() and d[c].max() - d[c].min() > 0.8 * (hi - lo)
    sw = sweeps(3)
    assert len(sw) == 27 and set(sw["sweep"]) == set(DOMAIN)
    assert (sw[sw["sweep"] == "aspect"]["aspect"] == 5.0).all()


def test_failed_runs_are_reported_with_their_parameters(tmp_path):
    conds = pd.DataFrame({"T_oven": [780.0, np.nan], "feret_mm": [1.0, 2.0], "aspect": [3.0, -1.0]})
    with pytest.raises(DataError, match="1 ground-truth runs failed"):
        generate(conds, n_nodes=6, progress=False)
    ds = generate(conds, n_nodes=6, progress=False, strict=False)
    assert len(ds.conditions) == 1 and ds.yields.shape[0] == 1 and np.isfinite(ds.yields).all()
    assert ds.failures["aspect"].tolist() == [-1.0] and "aspect" in ds.failures["error"].iloc[0]
    back = TrajectorySet.load(ds.save(tmp_path / "set.parquet"))
    assert np.array_equal(back.yields, ds.yields) and back.conditions.equals(ds.conditions)


def test_validation_split_is_disjoint_and_never_empty(small_set):
    fit, val = split_validation(small_set, fraction=0.2, seed=3)
    assert len(fit.conditions) == 3 and len(val.conditions) == 1
    rows = {tuple(r) for r in fit.conditions.to_numpy()} | {tuple(r) for r in val.conditions.to_numpy()}
    assert len(rows) == 4


def test_a_priori_fits_beat_baseline_and_feed_a_network(small_set):
    base = yield_errors(baseline_E(4), small_set)
    fits = run_a_priori(small_set, max_nfev=12, progress=False)
    assert fits.status["ok"].all()
    assert np.allclose(yield_errors(fits.params, small_set), fits.loss, rtol=1e-6)
    assert (fits.loss.to_numpy() < 0.2 * base).all()           # per-sample lower limit well below baseline
    assert ((fits.params >= E_FIT_BOUNDS[0] - 1e-9) & (fits.params <= E_FIT_BOUNDS[1] + 1e-9)).all().all()
    reg = train_a_priori_net(small_set.conditions, fits, hidden=(8,), max_epochs=50)
    assert list(predict_E(reg, small_set.conditions).columns) == E_LABELS


def test_a_posteriori_training_improves_yields_and_embeds(small_set, tmp_path):
    net, result = train_a_posteriori_net(small_set, hidden=(6,), epochs=6, learning_rate=2e-2, validation=small_set)
    assert result.history["train"][0] == pytest.approx(yield_errors(baseline_E(4), small_set).mean(), rel=1e-6)
    trained = yield_errors(predict_E(net, small_set.conditions), small_set).mean()
    assert trained < 0.9 * result.history["train"][0]
    export_onnx(net, tmp_path, "closure")
    sur = OnnxSurrogate.load(tmp_path, "closure", enforce_bounds=True)
    got = sur.evaluate_surrogate(small_set.conditions)
    assert np.allclose(got[E_LABELS].to_numpy(), predict_E(net, small_set.conditions).to_numpy(), atol=1e-3)
    outside = small_set.conditions.assign(feret_mm=20.0)
    with pytest.raises(OutOfDomainError, match="feret_mm"):
        sur.evaluate_surrogate(outside)
    with pytest.raises(OutOfDomainError, match="feret_mm"):
        load_network(tmp_path, "closure").check_domain(outside)
    with pytest.raises(OutOfDomainError, match="feret_mm"):
        predict_E(net, outside, check_domain=True)


@pytest.mark.slow
def test_eo_design_with_embedded_closure_matches_ground_truth(small_set, tmp_path):
    from flowsheets.pyrolysis.design import build_design_model, hf_tar, optimize_oven
    from flowsheets.pyrolysis.models import simulate_0d

    net, _ = train_a_posteriori_net(small_set, hidden=(6,), epochs=3, learning_rate=2e-2, validation=small_set)
    export_onnx(net, tmp_path, "closure")
    sur = OnnxSurrogate.load(tmp_path, "closure")
    mix = pd.DataFrame({"feret_mm": [2.0, 6.0], "aspect": [3.0, 3.0], "weight": [0.5, 0.5]})
    res = optimize_oven(sur, mix, t_res=8.0, n_elements=20)
    assert res.status == "optimal" and 735.0 <= res.T_oven <= 805.0

    def model_tar(T):  # the same 0D model + closure, integrated by scipy instead of collocation
        rows = mix.assign(T_oven=T)
        E = predict_E(net, rows)
        return float(sum(0.5 * simulate_0d(T, r.feret_mm, r.aspect, E=E.iloc[i].to_numpy(), t_eval=[0.0, 8.0])[-1, 0]
                         for i, r in enumerate(rows.itertuples())))

    assert res.tar == pytest.approx(model_tar(res.T_oven), abs=5e-3)
    assert max(model_tar(res.T_oven - 10.0), model_tar(res.T_oven + 10.0)) < res.tar + 1e-3  # a maximum
    assert 0.0 < hf_tar(res.T_oven, mix, 8.0, n_nodes=6) < 1.0   # the particle model checks the optimum
    with pytest.raises(OutOfDomainError):
        build_design_model(sur, mix.assign(feret_mm=[2.0, 30.0]))
