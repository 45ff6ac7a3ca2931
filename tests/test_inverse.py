"""idaes_ml.inverse on a small network of a known function: s = u1 + u2, p = u1 * u2."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from idaes_ml.errors import DataError, OutOfDomainError, SolveFailedError
from idaes_ml.inverse import (
    DesignProblem, MisfitProblem, NetworkRef, identifiability_ranges, multistart,
)
from idaes_ml.nn import MLPRegressor, export_onnx


@pytest.fixture(scope="module")
def net(tmp_path_factory) -> NetworkRef:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"u1": rng.uniform(0, 1, 300), "u2": rng.uniform(1, 3, 300)})
    X.loc[:1, ["u1", "u2"]] = [[0.0, 1.0], [1.0, 3.0]]  # training box exactly [0,1] x [1,3]
    Y = pd.DataFrame({"s": X.u1 + X.u2, "p": X.u1 * X.u2})
    reg = MLPRegressor(hidden=(16,), max_epochs=500, batch_size=None, learning_rate=3e-2,
                       patience=200, progress=False).fit(X, Y)
    assert reg.score(X, Y) > 0.9995
    d = tmp_path_factory.mktemp("toy")
    export_onnx(reg, d, "toy")
    return NetworkRef(str(d), "toy")


def _predict(net, x):
    return net.surrogate().evaluate_surrogate(pd.DataFrame([x])).iloc[0]


def test_multistart_recovers_inputs_and_keeps_every_status(net):
    truth = {"u1": 0.4, "u2": 2.0}
    target = dict(_predict(net, truth))
    res = multistart(MisfitProblem(net, target), n_starts=3, progress=False)
    table = res.table()
    assert len(table) == 3 and set(table["status"]) == {"optimal"}
    assert res.best.misfit < 1e-10
    assert res.best.x == pytest.approx(truth, abs=1e-4)


def test_identifiability_of_a_sum_only_target(net):
    y = _predict(net, {"u1": 0.4, "u2": 2.0})
    problem = MisfitProblem(net, {"s": float(y["s"])})
    ranges = identifiability_ranges(problem, {"u1": 0.4, "u2": 2.0}, tolerance=1e-4, progress=False)
    # s = u1 + u2 = 2.4 fixes a line: u1 spans its whole box, u2 = 2.4 - u1 in [1.4, 2.4]
    assert ranges.loc["u1", "width"] > 0.97
    assert ranges.loc["u2", ["low", "high"]].tolist() == pytest.approx([1.4, 2.4], abs=0.03)
    assert (ranges[["status_low", "status_high"]] == "optimal").all().all()
    full = identifiability_ranges(MisfitProblem(net, dict(y)), {"u1": 0.4, "u2": 2.0}, tolerance=1e-4,
                                  progress=False)
    assert (full["width"] < 0.05).all()  # both outputs pin both inputs


def test_design_query_minimizes_cost_within_output_windows(net):
    design = DesignProblem(net, cost={"u1": 1.0}, output_bounds={"p": (1.2, None), "s": (None, 3.0)})
    best = multistart(design, n_starts=3, progress=False).best
    expected = (3 - math.sqrt(9 - 4.8)) / 2  # u1 (3 - u1) = 1.2
    assert best.x["u1"] == pytest.approx(expected, abs=0.01)
    assert best.y["p"] >= 1.2 - 1e-6 and best.y["s"] <= 3.0 + 1e-6


def test_unreachable_and_infeasible_requests(net):
    far = multistart(MisfitProblem(net, {"s": 10.0}), n_starts=2, progress=False).best
    assert far.x["u1"] == pytest.approx(1.0, abs=1e-3) and far.x["u2"] == pytest.approx(3.0, abs=1e-3)
    assert far.misfit == pytest.approx((10.0 - far.y["s"]) ** 2) and far.misfit > 30
    res = multistart(DesignProblem(net, cost={"u1": 1.0}, output_bounds={"p": (50.0, None)}),
                     n_starts=2, progress=False)
    assert not any(s.ok for s in res.starts) and all(s.status for s in res.starts)
    with pytest.raises(SolveFailedError):
        res.best


def test_bad_problem_definitions(net):
    with pytest.raises(DataError, match="NaN"):
        MisfitProblem(net, {"s": float("nan")})
    with pytest.raises(DataError, match="not outputs"):
        MisfitProblem(net, {"q": 1.0})
    with pytest.raises(DataError, match="weights"):
        MisfitProblem(net, {"s": 1.0}, weights={"s": -1.0})
    with pytest.raises(OutOfDomainError, match="training domain"):
        MisfitProblem(net, {"s": 2.0}, input_bounds={"u1": (-1.0, 0.5)}).build()
    with pytest.raises(DataError, match="below the misfit"):
        identifiability_ranges(MisfitProblem(net, {"s": 2.0}), {"u1": 1.0, "u2": 3.0}, 1e-3, progress=False)


def test_multistart_warm_start_agreement_and_parallel_starts(net):
    truth = {"u1": 0.4, "u2": 2.0}
    problem = MisfitProblem(net, dict(_predict(net, truth)))
    serial = multistart(problem, n_starts=3, warm_start={"u1": 0.5, "u2": 2.5}, progress=False)
    assert [s.start for s in serial.starts][0] == {"u1": 0.5, "u2": 2.5} and len(serial.starts) == 3
    assert serial.agreeing() == 3  # a unique minimizer: every start finds it
    dask = multistart(problem, n_starts=3, warm_start={"u1": 0.5, "u2": 2.5}, progress=False, client=1)
    cols = ["status", "objective", "u1", "u2"]
    pd.testing.assert_frame_equal(serial.table()[cols], dask.table()[cols], check_exact=False, atol=1e-10)


def test_failed_multistart_lists_every_start(net):
    res = multistart(DesignProblem(net, cost={"u1": 1.0}, output_bounds={"p": (50.0, None)}), n_starts=3,
                     progress=False)
    with pytest.raises(SolveFailedError, match="start 0: .*; start 1: .*; start 2: "):
        res.best
