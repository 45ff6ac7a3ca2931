"""ReLU networks as MILPs with tightened bounds (idaes_ml.solvers.relu_milp), checked against
sampling, OMLT's big-M MILP through Pyomo, and the interval bounds they refine; the input-box
branch and bound against HiGHS's MILP, and its ideal-formulation cuts against network points."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idaes_ml.errors import DataError
from idaes_ml.nn import ScaledNetwork, export_onnx, load_network
from idaes_ml.solvers.relu_milp import ReluNet, _Layout, interval_bounds, minimize_relu, tighten_bounds

LABELS = [f"u{i}" for i in range(3)]


def relu_net(seed: int, hidden: tuple[int, ...] = (8, 8)) -> ScaledNetwork:
    """An untrained ReLU network on three inputs in [0, 1] (random weights by ``seed``)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.uniform(0, 1, (32, 3)), columns=LABELS)
    Y = pd.DataFrame(rng.normal(size=(32, 2)), columns=["y0", "y1"])
    net = ScaledNetwork.from_data(X, Y, hidden=hidden, activation="relu", seed=seed)
    net.input_bounds = {k: (0.0, 1.0) for k in LABELS}
    return net


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_tightened_bounds_contain_every_sampled_preactivation(seed):
    relu = ReluNet.from_scaled_network(relu_net(seed, (6, 6, 6)))
    X = np.random.default_rng(seed).uniform(relu.lower, relu.upper, (4000, 3))
    zs, _ = relu.forward(np.vstack([X, relu.lower, relu.upper]))
    ib, lp, milp = interval_bounds(relu), tighten_bounds(relu, "lp"), tighten_bounds(relu, "milp")
    for z, (a, b), (c, d), (e, f) in zip(zs, ib, lp, milp):
        assert (z >= e - 1e-9).all() and (z <= f + 1e-9).all()
        assert (c >= a - 1e-9).all() and (d <= b + 1e-9).all() and (e >= c - 1e-9).all() and (f <= d + 1e-9).all()
    assert np.allclose(ib[0][0], milp[0][0]) and np.allclose(ib[0][1], milp[0][1])  # the first layer is exact


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize(("algorithm", "tighten"),
                         [("split", "lp"), ("split", "interval"), ("milp", "milp"), ("milp", "lp"), ("milp", "interval")])
def test_optimum_matches_omlt_bigm_and_beats_sampling(tmp_path, maximize, algorithm, tighten):
    from idaes.core.surrogate.surrogate_block import SurrogateBlock
    from pyomo.contrib.appsi.solvers import Highs

    from idaes_ml.surrogate import OnnxSurrogate

    export_onnx(relu_net(3), tmp_path, "relu")
    net = load_network(tmp_path, "relu").to_scaled_network()
    res = minimize_relu(net, "y1", maximize=maximize, time_limit=300, tighten=tighten, algorithm=algorithm)
    assert res.status == "Optimal" and res.gap <= 1e-4 and res.algorithm == algorithm
    assert (res.n_boxes >= 1) == (algorithm == "split")
    assert net.predict(pd.DataFrame([res.inputs]))["y1"].iloc[0] == pytest.approx(res.objective, abs=1e-5)
    sampled = net.predict(pd.DataFrame(np.random.default_rng(0).uniform(0, 1, (5000, 3)), columns=LABELS))["y1"]
    sign = -1 if maximize else 1
    assert sign * res.objective <= sign * (sampled.max() if maximize else sampled.min()) + 1e-9
    assert sign * res.incumbent_objective >= sign * res.objective - 1e-9
    m = pyo.ConcreteModel()
    m.u = pyo.Var(range(3), bounds=(0, 1))
    m.y = pyo.Var(range(2))
    m.nn = SurrogateBlock(concrete=True)
    m.nn.build_model(OnnxSurrogate.load(tmp_path, "relu", formulation="relu_bigm"), input_vars=list(m.u.values()),
                     output_vars=list(m.y.values()), formulation="relu_bigm")
    m.obj = pyo.Objective(expr=m.y[1], sense=pyo.maximize if maximize else pyo.minimize)
    omlt = Highs().solve(m)
    assert res.objective == pytest.approx(omlt.best_feasible_objective, abs=1e-5)


def test_stable_neurons_and_binaries_are_counted():
    net = relu_net(5)
    res = minimize_relu(net, "y0", time_limit=300)
    assert res.n_binary + res.n_stable <= 16 and res.bounds_time_s <= res.time_s
    assert res.bound <= res.objective + 1e-9


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_ideal_cuts_hold_at_network_points_and_cut_off_the_lp_point(seed):
    """Every inequality of the ideal formulation (all subsets, enumerated) holds at points of the
    network; the separated ones are violated by the LP point they were separated from."""
    import highspy

    relu = ReluNet.from_scaled_network(relu_net(seed, (5, 5)))
    layout = _Layout(relu, tighten_bounds(relu, "lp"), integer=False)
    lp = layout.build()
    lp.col_cost_ = np.random.default_rng(seed).normal(size=layout.n_cols)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    h.run()
    sol = np.asarray(h.getSolution().col_value)
    cuts = layout.ideal_cuts(sol)
    for cols, vals, upper in cuts:
        assert vals @ sol[cols] > upper + 1e-6
    points = [layout.point(x) for x in np.random.default_rng(seed).uniform(relu.lower, relu.upper, (200, 3))]
    for layer, d in enumerate(layout.d):
        cols, lo, hi = layout.inputs[layer]
        for k in np.flatnonzero(d >= 0):
            w, b = relu.weights[layer][k], relu.biases[layer][k]
            L, U = np.where(w >= 0, lo, hi), np.where(w >= 0, hi, lo)
            for mask in itertools.product([False, True], repeat=len(w)):
                inset = np.array(mask)
                for p in points:
                    a, dv, yv = p[cols], p[d[k]], p[layout.y[layer][k]]
                    rhs = w[inset] @ (a[inset] - L[inset] * (1 - dv)) + (b + w[~inset] @ U[~inset]) * dv
                    assert yv <= rhs + 1e-9


@pytest.mark.parametrize("maximize", [False, True])
def test_split_matches_highs_milp_on_a_deeper_network(maximize):
    net = relu_net(11, (6, 6, 6))
    split = minimize_relu(net, "y0", maximize=maximize, time_limit=300, algorithm="split")
    milp = minimize_relu(net, "y0", maximize=maximize, time_limit=300, algorithm="milp", tighten="lp")
    assert split.status == milp.status == "Optimal"
    assert split.objective == pytest.approx(milp.objective, abs=1e-5)
    sign = -1 if maximize else 1
    assert sign * split.bound <= sign * split.objective + 1e-9 and split.gap <= 1e-4
    assert net.predict(pd.DataFrame([split.inputs]))["y0"].iloc[0] == pytest.approx(split.objective, abs=1e-5)


def test_split_time_limit_reports_a_valid_bound():
    net = relu_net(2, (24, 24))
    res = minimize_relu(net, "y0", time_limit=0.5, algorithm="split", samples=200, starts=1)
    exact = minimize_relu(net, "y0", time_limit=300, algorithm="split")
    assert exact.status == "Optimal"
    assert res.bound <= exact.objective + 1e-6 <= res.objective + 2e-6
    if res.status != "Optimal":
        assert res.status == "Time limit reached"


def test_bad_requests():
    net = relu_net(1)
    with pytest.raises(DataError, match="not an output"):
        minimize_relu(net, "y9")
    with pytest.raises(DataError, match="method"):
        tighten_bounds(ReluNet.from_scaled_network(net), "sdp")
    with pytest.raises(DataError, match="algorithm"):
        minimize_relu(net, "y0", algorithm="simplex")
    with pytest.raises(DataError, match="tighten"):
        minimize_relu(net, "y0", tighten="sdp")
    tanh = ScaledNetwork.from_data(pd.DataFrame({"a": [0.0, 1.0]}), pd.DataFrame({"b": [0.0, 1.0]}), hidden=(4,))
    with pytest.raises(DataError, match="not a ReLU network"):
        ReluNet.from_scaled_network(tanh)
