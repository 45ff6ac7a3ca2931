"""Generic learned-dynamics library: state-space fit, rollout, graph, embedding, receding horizon."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from idaes_ml.dynamics import (NeuralStateSpace, RecedingHorizon, StepGraph, build_horizon_model, rollout,
                               rollout_error, solve_model)
from idaes_ml.errors import DataError, OutOfDomainError


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x": rng.uniform(-1.5, 1.5, n), "u": rng.uniform(-1, 1, n), "d": rng.uniform(-0.5, 0.5, n)})
    nxt = pd.DataFrame({"x": 0.8 * X["x"] + 0.2 * X["u"] + 0.1 * X["d"] + 0.05 * np.sin(2 * X["x"])})
    return X, nxt


def _known(v):
    return {"x": -0.2 * v["x"] + 0.2 * v["u"] + 0.1 * v["d"]}


@pytest.fixture(scope="module")
def models():
    X, nxt = _data()
    kw = dict(hidden=(12,), max_epochs=300, patience=40, progress=False, learning_rate=1e-2, batch_size=None)
    plain = NeuralStateSpace(["x"], ["u"], ["d"], **kw).fit(X, nxt)
    structured = NeuralStateSpace(["x"], ["u"], ["d"], known=_known, basis={"r": {"x": 1.0}}, net_inputs=["x"], **kw).fit(X, nxt)
    return plain, structured


def test_one_step_accuracy_both_variants(models):
    X, nxt = _data(100, seed=3)
    for m in models:
        err = np.sqrt(np.mean((m.predict_next(X)["x"] - nxt["x"]) ** 2))
        assert err < 0.03, (m.structured, err)
    assert models[1].structured and not models[0].structured


def test_structured_learns_only_the_unknown_term(models):
    structured = models[1]
    z = structured.latent_targets(*_data(50, seed=5))
    assert np.allclose(z["r"], 0.05 * np.sin(2 * _data(50, seed=5)[0]["x"]))
    assert structured.network_.input_labels == ["x"] and structured.network_.output_labels == ["r"]


def test_rollout_and_error_table(models):
    exo = pd.DataFrame({"u": np.full(20, 0.5), "d": np.zeros(20)})
    traj = rollout(models[1], {"x": 0.0}, exo)
    truth = [0.0]
    for _ in range(20):
        truth.append(0.8 * truth[-1] + 0.1 + 0.05 * np.sin(2 * truth[-1]))
    err = rollout_error(np.array(truth)[None, :, None], traj.to_numpy()[None], ["x"])
    assert err.shape == (21, 1) and err.iloc[0, 0] == 0.0 and err["x"].max() < 0.05
    with pytest.raises(DataError):
        rollout_error(np.zeros((1, 3, 1)), np.zeros((1, 4, 1)), ["x"])
    with pytest.raises(DataError, match="lacks columns"):
        rollout(models[0], {"x": 0.0}, pd.DataFrame({"u": [0.0]}))


def test_bad_configuration_and_domain(models):
    with pytest.raises(DataError, match="net_inputs"):
        NeuralStateSpace(["x"], ["u"], net_inputs=["y"])
    with pytest.raises(DataError, match="unknown states"):
        NeuralStateSpace(["x"], ["u"], basis={"r": {"y": 1.0}})
    with pytest.raises(RuntimeError, match="not fitted"):
        NeuralStateSpace(["x"], ["u"]).predict_next(pd.DataFrame({"x": [0.0], "u": [0.0]}))
    with pytest.raises(OutOfDomainError):
        models[0].predict_next(pd.DataFrame({"x": [5.0], "u": [0.0], "d": [0.0]}), check_domain=True)
    assert "x" in models[0].domain_violations({"x": 5.0, "u": 0.0})
    with pytest.raises(DataError, match="model needs"):
        NeuralStateSpace(["x"], ["u"], ["d"]).attach(models[1].network_, models[1].input_bounds_)


def _graph(model):
    return StepGraph({"m": model}, {"a": ("m", {"u": "u:q", "d": "p:w"}), "b": ("m", {"u": "x:a.x", "d": "p:w"})})


def test_graph_wiring_and_batched_step(models):
    g = _graph(models[1])
    assert g.names("u") == ["q"] and g.names("p") == ["w"]
    x1 = g.step({("a", "x"): 0.2, ("b", "x"): -0.3}, {"q": 0.5}, {"w": 0.1})
    row_b = pd.DataFrame({"x": [-0.3], "u": [0.2], "d": [0.1]})
    assert x1[("b", "x")] == pytest.approx(models[1].predict_next(row_b)["x"].iloc[0], abs=1e-7)
    with pytest.raises(DataError, match="unwired"):
        StepGraph({"m": models[1]}, {"a": ("m", {"u": "u:q"})})
    with pytest.raises(DataError, match="names no state"):
        StepGraph({"m": models[1]}, {"a": ("m", {"u": "x:zz.x", "d": "p:w"})})
    frozen = StepGraph(g.models, g.units, frozen={"b"}).step({("a", "x"): 0.2, ("b", "x"): -0.3}, {"q": 0.5}, {"w": 0.1})
    assert frozen[("b", "x")] == -0.3


def _track(target, unit="b"):
    return lambda m: -sum((m.x[unit, "x", k] - target) ** 2 for k in m.K if k > 0)


@pytest.mark.parametrize("mode", ["hard", "barrier"])
def test_horizon_model_respects_state_limit(models, mode):
    g = _graph(models[1])
    m = build_horizon_model(g, 4, _track(1.0, "a"), {"q": (-1.0, 1.0)}, state_bounds={"x": (-1.0, 0.4)},
                            constraints=mode, barrier_weight=0.01)
    for key in g.state_keys():
        m.x[(*key, 0)].fix(0.0)
    m.p.fix(0.0)
    ok, status, _ = solve_model(m)
    assert ok, status
    xb = [m.x["a", "x", k].value for k in range(1, 5)]
    assert max(xb) <= 0.4 + 1e-6
    if mode == "barrier":
        assert max(xb) < 0.4 - 1e-3  # the barrier keeps a margin
    assert max(xb) > 0.3  # and still pushes toward the target


def test_steady_state_model_is_fixed_point(models):
    g = StepGraph({"m": models[1]}, {"a": ("m", {"u": "u:q", "d": "p:w"})})
    m = build_horizon_model(g, 1, lambda m: -(m.x["a", "x", 0] - 0.5) ** 2, {"q": (-1.0, 1.0)}, steady_state=True)
    m.p.fix(0.0)
    ok, status, _ = solve_model(m)
    assert ok, status
    x, q = m.x["a", "x", 0].value, m.u["q", 0].value
    assert x == pytest.approx(0.5, abs=1e-4)
    assert g.step({("a", "x"): x}, {"q": q}, {"w": 0.0})[("a", "x")] == pytest.approx(x, abs=1e-5)


def test_receding_horizon_moves_and_falls_back(models):
    g = _graph(models[1])
    ctrl = RecedingHorizon(g, 3, _track(0.3), {"q": (-1.0, 1.0)}, state_bounds={"x": (-1.0, 1.0)})
    x = {("a", "x"): 0.0, ("b", "x"): 0.0}
    u, info = ctrl.step(x, {"w": 0.0}, {"q": 0.0})
    assert not info["fallback"] and info["status"] == "optimal" and u["q"] > 0.1
    # impossible limits: Ipopt cannot succeed, the controller applies the last safe inputs and says so
    bad = RecedingHorizon(g, 3, _track(0.3), {"q": (-0.01, 0.01)}, state_bounds={"x": (2.0, 3.0)},
                          solver_options={"max_iter": 50})
    bad.last_safe = {"q": 0.42}
    u2, info2 = bad.step(x, {"w": 0.0}, {"q": 0.0})
    assert info2["fallback"] and u2 == {"q": 0.42} and "last safe inputs" in info2["note"]
    # measured values outside the training range are flagged
    _, info3 = ctrl.step({("a", "x"): 9.0, ("b", "x"): 0.0}, {"w": 0.0}, {"q": 0.0})
    assert any("a.x=9" in f for f in info3["out_of_domain"])
