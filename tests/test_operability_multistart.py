"""P1 through the persistent Ipopt (same reached set as SolverFactory('ipopt')) and P1/P3 multistart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowsheets.operability import dma_mr, shower
from idaes_ml.errors import DataError
from idaes_ml.operability import FunctionModel, Region, inverse_map, solve_p3

DOS = Region.box({"F": (8.0, 22.0), "T": (70.0, 115.0)}, name="DOS")


def tilted_well() -> FunctionModel:
    """y = u^4 - 8 u^2 + 2 u on [-3, 3]: local minimum y = -12.0 near u = 1.97, global y = -20.0
    near u = -2.03. From the model's start u = 1 Ipopt finds the local one."""
    return FunctionModel(lambda u: [u[0] ** 4 - 8 * u[0] ** 2 + 2 * u[0]], ["u"], ["y"])


WELL_AIS = Region.box({"u": (-3.0, 3.0)}, name="AIS")


def test_persistent_p1_reaches_the_same_set_as_one_off_solves():
    """A grid partly outside the AOS (F up to 22 > 20): identical statuses, inputs, outputs, distances."""
    fast = inverse_map(shower.pyomo_model(), shower.ais(), DOS, 2, progress=False)
    slow = inverse_map(shower.pyomo_model(), shower.ais(), DOS, 2, progress=False, persistent=False)
    assert list(fast.table["status"]) == list(slow.table["status"])
    cols = ["Fc", "Fh", "F", "T", "distance"]
    assert fast.table[cols].to_numpy(float) == pytest.approx(slow.table[cols].to_numpy(float), rel=1e-6, abs=1e-8)
    assert 0 < (fast.table["distance"] < 1e-6).sum() < len(fast.table)


def test_multistart_escapes_a_local_optimum():
    dos = Region.box({"y": (-25.0, -25.0)}, name="DOS")
    single = inverse_map(tilted_well(), WELL_AIS, dos, 1, progress=False)
    multi = inverse_map(tilted_well(), WELL_AIS, dos, 1, progress=False, starts=6, seed=1)
    assert single.table.loc[0, "y"] == pytest.approx(-12.0, abs=0.1)
    best = multi.table.iloc[0]
    assert best["y"] == pytest.approx(-20.0, abs=0.1) and best["u"] < 0
    assert best["distance"] < single.table.loc[0, "distance"]
    assert best["status"] == "ok" and best["starts_ok"] == 6
    assert 1 <= best["starts_agree"] < 6  # the local optimum is found from some starts too
    assert best["start_status"] == "; ".join(["ok"] * 6)


def test_multistart_grid_keeps_single_start_columns_and_agrees_inside_the_aos():
    res = inverse_map(shower.pyomo_model(), shower.ais(), Region.box({"F": (10, 14), "T": (80, 100)}), 2,
                      progress=False, starts=3)
    assert list(res.table.columns[-4:]) == ["starts_ok", "starts_agree", "start_status", "neighbour_improved"]
    assert (res.table["starts_ok"] == 3).all() and (res.table["starts_agree"] == 3).all()
    exact = np.array([shower.shower_inverse(y) for y in res.table[["target:F", "target:T"]].to_numpy()])
    assert res.table[["Fc", "Fh"]].to_numpy(float) == pytest.approx(exact, abs=1e-5)


def test_no_start_converges_reports_every_status():
    res = inverse_map(shower.pyomo_model(), shower.ais(), Region.box({"F": (10, 14), "T": (80, 100)}), 2,
                      progress=False, starts=3, constraints=lambda inst: [inst.inputs[0] + inst.inputs[1] >= 25.0])
    assert res.success_rate == 0.0
    assert (res.table["starts_ok"] == 0).all()
    for text in res.table["start_status"]:
        statuses = text.split("; ")
        assert len(statuses) == 3 and all("nfeasible" in s or "error" in s for s in statuses)


def test_p3_multistart_and_starts_validation():
    dos = Region.box({"y": (-25.0, -15.0)}, name="DOS")
    best = solve_p3(tilted_well(), WELL_AIS, dos, 3, metric="u", starts=4, progress=False)
    assert best["u"] == pytest.approx(-2.03, abs=0.05)
    with pytest.raises(DataError, match="starts"):
        inverse_map(tilted_well(), WELL_AIS, dos, 2, starts=0, progress=False)


def test_multistart_parallel_over_starts_matches_serial():
    dos = Region.box({"y": (-25.0, -10.0)}, name="DOS")
    serial = inverse_map(tilted_well(), WELL_AIS, dos, 2, progress=False, starts=3)
    dask = inverse_map(tilted_well(), WELL_AIS, dos, 2, progress=False, starts=3, client=1)
    pd.testing.assert_frame_equal(serial.table, dask.table, check_exact=False, atol=1e-9)


def test_forward_evaluation_persistent_equals_one_off_on_an_idaes_model():
    from flowsheets.operability import cstr

    pm = cstr.pyomo_model()
    box = cstr.ais().bounds
    U = np.array([[lo + f * (hi - lo) for lo, hi in box.values()] for f in (0.2, 0.5, 0.8)])
    fast = pm.evaluate(U)
    pm.persistent = False
    slow = pm.evaluate(U)
    assert fast.status == slow.status == ["ok"] * 3
    assert fast.outputs == pytest.approx(slow.outputs, rel=1e-7)


def test_repeated_solver_falls_back_where_the_persistent_one_cannot_serve():
    from idaes_ml.solvers.persistent import PersistentIpopt

    pm = shower.pyomo_model()
    assert isinstance(pm.repeated_solver(pm.build().model), PersistentIpopt)
    assert not isinstance(pm.repeated_solver(pm.build().model, persistent=False), PersistentIpopt)
    pm.solver_options = {"nlp_scaling_method": "user-scaling"}  # honoured by the .nl route only
    assert not isinstance(pm.repeated_solver(pm.build().model), PersistentIpopt)


def test_batched_p1_reaches_the_same_set_and_falls_back_when_it_fails():
    seq = inverse_map(shower.pyomo_model(), shower.ais(), DOS, 4, progress=False)
    bat = inverse_map(shower.pyomo_model(), shower.ais(), DOS, 4, progress=False, batch=True)
    assert list(bat.table["status"]) == list(seq.table["status"]) == ["ok"] * 16
    reached = [(t["distance"] < 1e-6) for t in (seq.table, bat.table)]
    assert (reached[0] == reached[1]).all() and 0 < reached[0].sum() < 16
    cols = ["Fc", "Fh", "F", "T"]
    inside = reached[0].to_numpy()
    assert bat.table.loc[inside, cols].to_numpy(float) == pytest.approx(seq.table.loc[inside, cols].to_numpy(float),
                                                                        rel=1e-6)
    assert bat.table["distance"].to_numpy() == pytest.approx(seq.table["distance"].to_numpy(), abs=1e-6)
    infeasible = inverse_map(shower.pyomo_model(), shower.ais(), DOS, 2, progress=False, batch=True,
                             constraints=lambda inst: [inst.inputs[0] + inst.inputs[1] >= 25.0])
    assert infeasible.success_rate == 0.0 and len(infeasible.table) == 4


def test_default_p1_batches_small_models_row_by_row(monkeypatch):
    """The default (batch=None) is the row-batched solve for the shower (4 variables): same
    numbers as batch=True, the same statuses and reached set as point by point, and identical
    serially and with a client (each row is one NLP either way); above BATCH_MAX_VARIABLES
    the default is the point-by-point solve."""
    from idaes_ml.operability import inverse

    default = inverse_map(shower.pyomo_model(), shower.ais(), DOS, 4, progress=False)
    batched = inverse_map(shower.pyomo_model(), shower.ais(), DOS, 4, progress=False, batch=True)
    single = inverse_map(shower.pyomo_model(), shower.ais(), DOS, 4, progress=False, batch=False)
    pd.testing.assert_frame_equal(default.table, batched.table)
    assert list(default.table["status"]) == list(single.table["status"])
    cols = ["Fc", "Fh", "F", "T", "distance"]
    assert default.table[cols].to_numpy(float) == pytest.approx(single.table[cols].to_numpy(float), rel=1e-6, abs=1e-7)
    dask = inverse_map(shower.pyomo_model(), shower.ais(), DOS, 4, progress=False, client=1)
    pd.testing.assert_frame_equal(default.table, dask.table)
    monkeypatch.setattr(inverse, "BATCH_MAX_VARIABLES", 3)
    large = inverse_map(shower.pyomo_model(), shower.ais(), DOS, 4, progress=False)
    pd.testing.assert_frame_equal(large.table, single.table)


def test_neighbour_sweeps_carry_a_better_design_to_the_points_next_to_it():
    """A point left with a poor design (here: planted) is solved again from its neighbours'
    designs and takes the exact one; converged points never get farther from their targets."""
    from idaes_ml.operability.inverse import _neighbour_sweeps

    dos = Region.box({"F": (10.0, 14.0), "T": (80.0, 100.0)}, name="DOS")
    res = inverse_map(shower.pyomo_model(), shower.ais(), dos, 3, progress=False, starts=2)
    assert (res.table["neighbour_improved"] == 0).all()
    table = res.table.drop(columns="neighbour_improved")
    planted = table.copy()
    planted.loc[4, ["Fc", "Fh", "distance"]] = [9.0, 1.0, 0.5]
    pm = shower.pyomo_model().as_pyomo()
    bounds = list(shower.ais().bounds.values())
    swept = _neighbour_sweeps(planted, pm, bounds, None, np.zeros(0), True, np.array([3, 3]), np.array([4.0, 20.0]),
                              None, False)
    assert swept.loc[4, "neighbour_improved"] == 1 and (swept.drop(index=4)["neighbour_improved"] == 0).all()
    exact = shower.shower_inverse(table.loc[4, ["target:F", "target:T"]].to_numpy(float))
    assert swept.loc[4, ["Fc", "Fh"]].to_numpy(float) == pytest.approx(exact, abs=1e-5)
    assert (swept["distance"] <= table["distance"] + 1e-8).all()


def test_a_solve_from_a_start_next_to_a_corner_optimum_stays_in_its_basin():
    """DMA-MR's P1 optimum for F_C6H6 17.2 mg/h, X_CH4 35 % lies on the smallest diameter
    (distance 0.1263; a 200 x 200 scan of the AIS finds 0.12629). Solved from a design next to
    it, after a solve at the long-tube design (another basin), P1 must stay in the start's basin
    (Ipopt's default initial barrier parameter re-centred the point and ended at distance 0.183)."""
    from idaes_ml.operability.inverse import _P1Job, _p1_job

    pm = dma_mr.pyomo_model().as_pyomo()
    targets = np.array([[17.2222222, 35.0], [17.2222222, 35.0]])
    starts = np.array([[99.9996, 0.6314], [18.7848, 0.5000001]])
    job = _P1Job(pm, list(dma_mr.ais().bounds.values()), [(targets, np.abs(targets))], None, np.zeros(0), None,
                 True, False, starts)
    far, near = _p1_job(job)
    assert far[-1] == "ok" and near[-1] == "ok"
    assert near[-2] == pytest.approx(0.12626, abs=1e-4) and near[2:4] == pytest.approx([17.3087, 0.5], abs=1e-3)
