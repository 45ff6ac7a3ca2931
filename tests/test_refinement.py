"""Trust-region refinement loop and the zeroth-order network correction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idaes_ml.balances import SplitHead
from idaes_ml.cycles import bias_correct
from idaes_ml.errors import SolveFailedError
from idaes_ml.nn import ScaledNetwork
from idaes_ml.refinement import refine_optimum

BOX = {"x": (0.0, 1.0)}


def _truth(x: float) -> float:
    return 10.0 - (x - 0.3) ** 2


def _loop(bias: float, slope: float, **kw):
    """Surrogate = truth + bias + slope x; correction = additive shift to the truth at the centre."""
    def optimize(shift, bounds):
        lo, hi = (bounds or BOX)["x"]
        grid = np.linspace(lo, hi, 2001)
        values = _truth(grid) + bias + slope * grid + shift
        i = int(np.argmax(values))
        return "optimal", {"x": float(grid[i])}, float(values[i])

    def evaluate(d):
        return "optimal", _truth(d["x"]), pd.DataFrame([d])

    def correct(shift, rows):
        x = float(rows["x"].iloc[0])
        return shift + _truth(x) - (_truth(x) + bias + slope * x + shift)

    return refine_optimum(0.0, optimize, evaluate, correct, BOX, progress=False, **kw)


@settings(max_examples=25, deadline=None)
@given(st.floats(-2.0, 2.0), st.floats(-0.05, 0.05))
def test_prediction_agrees_with_the_truth_at_the_final_candidate(bias, slope):
    res = _loop(bias, slope, rtol=1e-3, max_iter=8)
    assert res.converged, res.iterations
    assert abs(res.final.gap) <= 1e-3
    assert res.gt_evaluations == len(res.iterations) <= 8
    assert res.iterations[0].accepted and res.iterations[0].radius is None


def test_failures_keep_the_steps_taken():
    def optimize(model, bounds):
        return "optimal", {"x": 0.5}, 11.0

    calls = []

    def evaluate(d):
        calls.append(d)
        return ("optimal", 9.0, pd.DataFrame([d])) if len(calls) == 1 else ("infeasible", float("nan"), None)

    with pytest.raises(SolveFailedError, match="ground truth ended infeasible") as info:
        refine_optimum(0, optimize, evaluate, lambda m, rows: m, BOX, rtol=1e-6, progress=False)
    assert len(info.value.result.iterations) == 2 and info.value.result.final.status == "infeasible"
    with pytest.raises(ValueError, match="max_iter"):
        refine_optimum(0, optimize, evaluate, lambda m, rows: m, BOX, max_iter=0)


def test_bias_correct_reproduces_the_row_exactly():
    rng = np.random.default_rng(0)
    head = SplitHead(("top", "bot"), ("a", "b"))
    X = pd.DataFrame({"inlet.flow_mol_comp[a]": rng.uniform(1, 2, 30), "param.p": rng.uniform(0, 1, 30)})
    Y = pd.DataFrame({**{k: rng.normal(size=30) for k in head.output_labels()}, "top.temperature": rng.uniform(300, 310, 30)})
    net = ScaledNetwork.from_data(X, Y, hidden=(4,))
    row = pd.DataFrame({"u.inlet.flow_mol_comp[a]": [1.5], "u.inlet.flow_mol_comp[b]": [2.0], "cond.p": [0.4],
                        "u.top.flow_mol_comp[a]": [0.5], "u.top.flow_mol_comp[b]": [1.5],
                        "u.bot.flow_mol_comp[a]": [1.0], "u.bot.flow_mol_comp[b]": [0.5], "u.top.temperature": [305.0]})
    fixed = bias_correct(net, row, "u", ["inlet"], ["top", "bot"], head)
    pred = fixed.predict(pd.DataFrame({"inlet.flow_mol_comp[a]": [1.5], "param.p": [0.4]})).iloc[0]
    assert pred["split_logit[top,a]"] == pytest.approx(np.log(0.5 / 1.0))
    assert pred["split_logit[top,b]"] == pytest.approx(np.log(1.5 / 0.5))
    assert pred["top.temperature"] == pytest.approx(305.0)
    assert not np.allclose(net.output_offset, fixed.output_offset)  # a copy: the original is untouched
