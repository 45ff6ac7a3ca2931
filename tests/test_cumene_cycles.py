"""Torch cycle solving (idaes_ml.cycles) on a small nested-recycle graph with known answer.

The graph is a linear mass-balance flowsheet (mixer -> reactor -> separator with two
recycles through a second unit), so the converged streams are known in closed form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from idaes_ml.cycles import (FlowsheetGraph, Node, conserve_flows, finetune, implicit_loss, network_node, solve,
                             stream_spread, unit_dataset, unrolled_loss)
from idaes_ml.nn import ScaledNetwork

VARS = ["a", "b"]


def _linear_graph(gain: float = 1.0) -> FlowsheetGraph:
    """feed + r1 + r2 -> mix -> react (a->b, 60 %) -> split: 70 % to r1, 20 % via trans to r2."""

    def mix(i, p):
        return {"out": i["feed"] + i["r1"] + i["r2"]}

    def react(i, p):
        a, b = i["in"][:, :1], i["in"][:, 1:]
        return {"out": torch.cat([0.4 * a, b + 0.6 * a * gain], dim=1)}

    def split(i, p):
        return {"r1": 0.7 * i["in"], "to_trans": 0.2 * i["in"], "product": 0.1 * i["in"]}

    def trans(i, p):
        return {"out": 0.9 * i["in"]}

    nodes = [
        Node("mix", {"feed": "feed", "r1": "split.r1", "r2": "trans.out"}, {"out": "mix.out"}, mix),
        Node("react", {"in": "mix.out"}, {"out": "react.out"}, react),
        Node("split", {"in": "react.out"}, {"r1": "split.r1", "to_trans": "split.to_trans",
                                            "product": "split.product"}, split),
        Node("trans", {"in": "split.to_trans"}, {"out": "trans.out"}, trans),
    ]
    return FlowsheetGraph(nodes, VARS, tears=["split.r1", "trans.out"])


def _exact(feed: np.ndarray) -> np.ndarray:
    """Closed-form converged tears of the linear graph (solve (I - A) x = c)."""
    R = np.array([[0.4, 0.0], [0.6, 1.0]])
    # react.out = R (feed + r1 + r2); r1 = 0.7 react.out; r2 = 0.18 react.out
    M = 0.88 * R
    out = np.linalg.solve(np.eye(2) - M, R @ feed)
    return np.concatenate([0.7 * out, 0.18 * out])


def test_graph_structure_and_errors():
    g = _linear_graph()
    assert g.feeds == ["feed"] and g.products == ["split.product"]
    assert g.order == ["mix", "react", "split", "trans"]
    with pytest.raises(ValueError, match="leave a cycle"):
        FlowsheetGraph(list(g.nodes.values()), VARS, tears=["split.r1"])
    with pytest.raises(ValueError, match="not internal"):
        FlowsheetGraph(list(g.nodes.values()), VARS, tears=["feed", "trans.out"])
    with pytest.raises(ValueError, match="feed streams"):
        g.evaluate(torch.zeros(1, 4), {})


@pytest.mark.parametrize("method", ["direct", "wegstein", "newton", "lbfgs"])
def test_solvers_reach_exact_fixed_point(method):
    g = _linear_graph()
    feed = torch.tensor([[1.0, 0.0], [2.0, 0.5]], dtype=torch.float64)
    G = lambda x: g.tear_map(x, {"feed": feed})  # noqa: E731
    # L-BFGS minimizes the squared residual: it stalls near sqrt(machine eps) of the residual
    tol = 1e-6 if method == "lbfgs" else 1e-9
    res = solve(G, torch.zeros(2, 4, dtype=torch.float64), method=method, tol=tol, max_iter=200)
    assert bool(res.converged.all()), (method, res.history[-1])
    for row in range(2):
        np.testing.assert_allclose(res.x[row].numpy(), _exact(feed[row].numpy()), rtol=100 * tol, atol=1e-8)
    if method == "newton":  # linear problem: one Newton step
        assert int(res.iterations.max()) <= 2


@pytest.mark.parametrize("method", ["direct", "wegstein", "newton", "lbfgs"])
def test_rows_are_independent_problems(method):
    """Each row converges as if alone: a row whose map is undefined (log of a negative
    number) or badly scaled does not hold back or perturb the others."""
    def run(c: list[float]):
        c = torch.tensor(c, dtype=torch.float64)[:, None]
        G = lambda x: 0.5 * x + torch.log(c) + 1.0  # noqa: E731 - x* = 2 (log c + 1); c < 0 undefined
        return solve(G, torch.zeros(len(c), 1, dtype=torch.float64), method=method, tol=1e-7, max_iter=200)

    res = run([1.0, 50.0, -3.0])
    assert res.converged.tolist() == [True, True, False], (method, res.history[-1])
    np.testing.assert_allclose(res.x[:2, 0].numpy(), 2 * (np.log([1.0, 50.0]) + 1), rtol=1e-6)
    assert int(run([1.0]).iterations[0]) == int(res.iterations[0])


def test_divergent_map_is_reported_not_converged():
    G = lambda x: 2.0 * x + 1.0  # noqa: E731 - repelling fixed point at -1
    res = solve(G, torch.zeros(3, 1, dtype=torch.float64), method="direct", max_iter=30)
    assert not bool(res.converged.any())
    assert res.rate == 0.0
    with pytest.raises(ValueError, match="unknown method"):
        solve(G, torch.zeros(1, 1), method="secant")


def _table(n=64, seed=0):
    rng = np.random.default_rng(seed)
    u = rng.uniform(1, 2, size=(n, 2))
    return pd.DataFrame({"U.in.a": u[:, 0], "U.in.b": u[:, 1], "U.out.a": 0.4 * u[:, 0],
                         "U.out.b": u[:, 1] + 0.6 * u[:, 0], "U.out.c": np.full(n, 3.0),
                         "U.in.c": np.full(n, 3.0)})


def test_unit_dataset_constants_and_passthrough():
    df = _table()
    df["U.out.b"] = df["U.in.b"]
    d = unit_dataset(df, "U", ["in"], ["out"], ["a", "b", "c"])
    assert list(d.X.columns) == ["in.a", "in.b"]
    assert d.constants == {"out.c": 3.0}
    assert d.passthrough == {"out.b": "in.b"}
    assert list(d.Y.columns) == ["out.a"]
    with pytest.raises(KeyError, match="lacks columns"):
        unit_dataset(df, "V", ["in"], ["out"], ["a"])


def test_network_node_rejects_mismatched_labels():
    df = _table()
    d = unit_dataset(df, "U", ["in"], ["out"], ["a", "b", "c"])
    net = ScaledNetwork.from_data(d.X, d.Y, hidden=(4,))
    with pytest.raises(ValueError, match="matches no inlet"):
        network_node("U", net, {"feed": "s0"}, {"out": "s1"}, ["a", "b", "c"], d.constants)
    with pytest.raises(ValueError, match="neither predicted nor constant"):
        network_node("U", net, {"in": "s0"}, {"out": "s1"}, ["a", "b", "c"], {})
    node = network_node("U", net, {"in": "s0"}, {"out": "s1"}, ["a", "b", "c"], d.constants)
    x = torch.tensor([[1.5, 1.5, 3.0], [9.0, 1.5, 3.0]], dtype=torch.float64)
    out = node.forward({"in": x}, None)["out"]
    assert out.shape == (2, 3) and torch.all(out[:, 2] == 3.0)
    problems = node.check({"in": x}, None)
    assert len(problems) == 1 and problems[0].startswith("in.a outside")


def test_unrolled_finetuning_reduces_loss():
    """A learnable reactor gain is pulled to the truth by the unrolled-solver loss."""
    g = _linear_graph(gain=1.0)
    gain = torch.nn.Parameter(torch.tensor(0.5, dtype=torch.float64))
    react = g.nodes["react"]
    react.forward = lambda i, p: {"out": torch.cat([0.4 * i["in"][:, :1],
                                                    i["in"][:, 1:] + 0.6 * i["in"][:, :1] * gain], dim=1)}
    holder = torch.nn.Module()
    holder.gain = gain
    feed = torch.tensor([[1.0, 0.0], [2.0, 0.5]], dtype=torch.float64)
    truth_graph = _linear_graph(gain=1.0)
    x_true = torch.tensor(np.stack([_exact(f) for f in feed.numpy()]))
    targets = {k: v.detach() for k, v in truth_graph.evaluate(x_true, {"feed": feed}).items()}
    x0 = x_true.clone()  # from the true tears every unrolled pass must reproduce the truth
    one = torch.ones(2, dtype=torch.float64)
    with torch.no_grad():
        before = float(unrolled_loss(g, x0, {"feed": feed}, {}, targets, one))
        floor = float(unrolled_loss(truth_graph, x0, {"feed": feed}, {}, targets, one))  # early-K terms stay
    hist = finetune(g, [holder], lambda e: (x0, {"feed": feed}, {}, targets), epochs=80,
                    learning_rate=0.05, progress=False)
    assert hist[-1] - floor < 0.05 * (before - floor)
    assert abs(gain.item() - 1.0) < 0.05


def _learnable_gain_graph(gain0: float) -> tuple[FlowsheetGraph, torch.nn.Module]:
    """The linear graph whose reactor conversion gain is a torch parameter."""
    g = _linear_graph()
    holder = torch.nn.Module()
    holder.gain = torch.nn.Parameter(torch.tensor(gain0, dtype=torch.float64))
    g.nodes["react"].forward = lambda i, p: {"out": torch.cat(
        [0.4 * i["in"][:, :1], i["in"][:, 1:] + 0.6 * i["in"][:, :1] * holder.gain], dim=1)}
    return g, holder


def _truth(feed: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    x_true = torch.tensor(np.stack([_exact(f) for f in feed.numpy()]))
    return x_true, {k: v.detach() for k, v in _linear_graph().evaluate(x_true, {"feed": feed}).items()}


def test_implicit_loss_gradient_is_the_fixed_point_derivative():
    """The implicit-function-theorem gradient equals central differences of the loss at
    the re-converged fixed point (the loss of the solved flowsheet, no unrolling)."""
    feed = torch.tensor([[1.0, 0.0], [2.0, 0.5]], dtype=torch.float64)
    _, targets = _truth(feed)
    one = torch.ones(2, dtype=torch.float64)
    x0 = torch.zeros(2, 4, dtype=torch.float64)

    def loss_at(gain: float, grad: bool = False):
        g, holder = _learnable_gain_graph(gain)
        loss, ok = implicit_loss(g, x0, {"feed": feed}, {}, targets, one)
        assert bool(ok.all())
        if grad:
            loss.backward()
            return loss.item(), float(holder.gain.grad)
        return loss.item()

    value, grad = loss_at(0.8, grad=True)
    h = 1e-5
    assert grad == pytest.approx((loss_at(0.8 + h) - loss_at(0.8 - h)) / (2 * h), rel=1e-5)
    assert value > 0 and loss_at(1.0) < 1e-20


def test_implicit_finetuning_recovers_the_gain():
    feed = torch.tensor([[1.0, 0.0], [2.0, 0.5]], dtype=torch.float64)
    _, targets = _truth(feed)
    g, holder = _learnable_gain_graph(0.5)
    x0 = torch.zeros(2, 4, dtype=torch.float64)
    hist = finetune(g, [holder], lambda e: (x0, {"feed": feed}, {}, targets), epochs=120, learning_rate=0.05,
                    progress=False, method="implicit")
    assert hist[-1] < 1e-3 * hist[0]
    assert abs(holder.gain.item() - 1.0) < 0.01
    with pytest.raises(ValueError, match="unknown fine-tuning method"):
        finetune(g, [holder], lambda e: (x0, {"feed": feed}, {}, targets), epochs=1, method="shooting")


def test_implicit_loss_without_any_fixed_point_is_an_error():
    """A gain that makes the recycle loop diverge: no row converges, a clear error."""
    feed = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    _, targets = _truth(feed)
    g = _linear_graph()
    g.nodes["trans"].forward = lambda i, p: {"out": i["in"] * torch.tensor([1.0, float("nan")], dtype=torch.float64)}
    with pytest.raises(RuntimeError, match="no fixed point converged"):
        implicit_loss(g, torch.zeros(1, 4, dtype=torch.float64), {"feed": feed}, {}, targets,
                      torch.ones(2, dtype=torch.float64), max_iter=5)


def test_per_stream_scales():
    """A dict of per-stream scales weighs each stream's error; a missing stream is named."""
    g = _linear_graph(gain=1.0)
    feed = torch.tensor([[1.0, 0.0], [2.0, 0.5], [1.5, 0.2]], dtype=torch.float64)
    x_true = torch.tensor(np.stack([_exact(f) for f in feed.numpy()]))
    targets = g.evaluate(x_true, {"feed": feed})
    off = {k: v + 0.1 for k, v in targets.items()}
    one = torch.ones(2, dtype=torch.float64)
    names = [s for s in targets if s != "feed"]
    same = unrolled_loss(g, x_true, {"feed": feed}, {}, off, {s: one for s in names}, ks=[0])
    assert float(same) == pytest.approx(float(unrolled_loss(g, x_true, {"feed": feed}, {}, off, one, ks=[0])))
    halved = {s: 0.5 * one for s in names}
    assert float(unrolled_loss(g, x_true, {"feed": feed}, {}, off, halved, ks=[0])) == pytest.approx(4 * float(same))
    with pytest.raises(ValueError, match="no scale for streams"):
        unrolled_loss(g, x_true, {"feed": feed}, {}, off, {names[0]: one}, ks=[0])
    spread = stream_spread(targets, floor=torch.full((2,), 0.3, dtype=torch.float64))
    for s, v in targets.items():
        assert torch.allclose(spread[s], torch.maximum(v.std(dim=0), torch.tensor(0.3, dtype=torch.float64)))


def test_conserve_flows_replaces_mixer_flows_only():
    """A wrapped mixer's outlet flows are the inlet sums; its other columns come from the node."""
    g = _linear_graph()

    def wrong_mix(i, p):
        return {"out": 2.0 * (i["feed"] + i["r1"] + i["r2"])}

    node = Node("mix", g.nodes["mix"].inlets, g.nodes["mix"].outlets, wrong_mix)
    fixed = conserve_flows(node, [0])
    inl = {k: torch.rand(3, 2, dtype=torch.float64) for k in ("feed", "r1", "r2")}
    out = fixed.forward(inl, None)["out"]
    total = inl["feed"] + inl["r1"] + inl["r2"]
    assert torch.allclose(out[:, 0], total[:, 0])  # flow column: mass balance
    assert torch.allclose(out[:, 1], 2.0 * total[:, 1])  # other column: the node's value
    with pytest.raises(ValueError, match="a mixer has one"):
        conserve_flows(g.nodes["split"], [0])


def test_flowsheet_diagram(tmp_path, monkeypatch):
    from flowsheets.cumene import diagram

    path = diagram.draw_flowsheet(tmp_path / "fs.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.delitem(diagram.POSITIONS, "C2")
    with pytest.raises(ValueError, match=r"no drawing position for units \['C2'\]"):
        diagram.draw_flowsheet(tmp_path / "bad.png")
