"""Dynamic operability: exact LTI funnels (Minkowski sums), robust funnels, dOI and first operable step."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idaes_ml.errors import DataError
from idaes_ml.operability import FunctionStep, LTIStep, Region, dynamic_operability
from idaes_ml.operability.dynamic import lti_funnel

AIS = Region.box({"u1": (-1.0, 1.0), "u2": (-1.0, 1.0)}, name="AIS")


@settings(max_examples=20, deadline=None)
@given(st.floats(-0.95, 0.95), st.floats(-0.95, 0.95), st.floats(0.1, 2), st.floats(0.1, 2), st.integers(0, 6))
def test_diagonal_lti_funnel_is_a_box_of_geometric_sums(a1, a2, b1, b2, k):
    """x+ = diag(a) x + diag(b) u, y = x, x0 = 1: y_k in a^k ± b (1 - |a|^k)/(1 - |a|)."""
    lti = LTIStep(np.diag([a1, a2]), np.diag([b1, b2]), np.eye(2))
    Y = lti_funnel(lti, [1.0, 1.0], AIS, k)[k]
    half = [b * (1 - abs(a) ** k) / (1 - abs(a)) for a, b in ((a1, b1), (a2, b2))]
    lo, hi = Y.bounds
    assert np.allclose(lo, [a1**k - half[0], a2**k - half[1]], atol=1e-9)
    assert np.allclose(hi, [a1**k + half[0], a2**k + half[1]], atol=1e-9)
    assert Y.volume == pytest.approx(4 * half[0] * half[1], abs=1e-9)


def test_scalar_funnel_doi_and_first_operable_step():
    lti = LTIStep.from_dict({"A": [[0.5]], "B": [[1.0]], "C": [[1.0]]})
    res = dynamic_operability(lti, [0.0], Region.box({"u": (-1, 1)}, name="AIS"),
                              Region.box({"y": (1.2, 1.8)}, name="DOS"), horizon=4)
    # reachable y_k = [-(2 - 2^(1-k)), +(2 - 2^(1-k))]; overlap with [1.2, 1.8]
    assert np.allclose(res.doi, [0, 0, 0.5, 0.55 / 0.6, 1.0])
    assert res.first_operable_step == 2


def test_robust_funnel_is_pontryagin_difference():
    """x+ = 0.5 x + u + d, d in [-0.2, 0.2]: robust half-width = sum 0.5^j (1 - 0.2)."""
    lti = LTIStep.from_dict({"A": [[0.5]], "B": [[1.0]], "C": [[1.0]], "E": [[1.0]]})
    ais, eds = Region.box({"u": (-1, 1)}, name="AIS"), Region.box({"d": (-0.2, 0.2)}, name="EDS")
    funnel = lti_funnel(lti, [0.0], ais, 3, eds=eds)
    assert funnel[0] is None
    for k in (1, 2, 3):
        half = 0.8 * (2 - 2.0 ** (1 - k))
        assert funnel[k].bounds[1][0] == pytest.approx(half)
        assert funnel[k].bounds[0][0] == pytest.approx(-half)


def test_sampled_funnel_of_linear_model_equals_exact_and_robust_shrinks():
    lti = LTIStep.from_dict({"A": [[0.9, 0.1], [0.0, 0.8]], "B": [[1.0, 0.0], [0.0, 0.5]],
                             "C": np.eye(2), "E": [[0.1], [0.1]]})
    dos = Region.box({"y1": (1.0, 2.0), "y2": (0.0, 0.5)}, name="DOS")
    eds = Region.box({"d": (-1.0, 1.0)}, name="EDS")
    exact = dynamic_operability(lti, [0, 0], AIS, dos, 5)
    sampled = dynamic_operability(FunctionStep(lti.step, lti.sizes), [0, 0], AIS, dos, 5, n_sequences=50)
    assert np.allclose(exact.doi, sampled.doi, atol=1e-9)
    robust = dynamic_operability(lti, [0, 0], AIS, dos, 5, eds=eds)
    assert np.all(robust.doi <= exact.doi + 1e-12) and robust.doi[2] < exact.doi[2]


def test_nonlinear_funnel_spans_extreme_trajectories():
    """x+ = x + 0.2 (u - x^3) is monotone in u: y1 = x_k spans [x_k(u = 0), x_k(u = 2)] exactly."""
    def step(X, U, D):
        x = X[:, 0]
        return (x + 0.2 * (-x**3 + U[:, 0]))[:, None], np.c_[x, U[:, 0]]

    model = FunctionStep(step, (1, 1, 0, 2))
    res = dynamic_operability(model, [0.0], Region.box({"u": (0, 2)}, name="AIS"),
                              Region.box({"y1": (0.9, 1.5), "y2": (0.0, 2.0)}, name="DOS"), 8, n_sequences=100)
    x_hi = 0.0
    for k in range(9):
        lo, hi = res.funnel[k].bounds
        assert lo[0] == pytest.approx(0.0) and hi[0] == pytest.approx(x_hi)
        x_hi = x_hi + 0.2 * (2.0 - x_hi**3)
    assert res.doi[0] == 0 and res.doi[-1] > 0
    k_bar = res.first_operable_step
    assert k_bar is not None and np.all(res.doi[k_bar:] > 0) and res.doi[k_bar - 1] == 0


def test_bad_dynamic_inputs():
    lti = LTIStep.from_dict({"A": [[0.5]], "B": [[1.0]], "C": [[1.0]]})
    with pytest.raises(DataError, match="dimension mismatch"):
        dynamic_operability(lti, [0.0, 1.0], Region.box({"u": (-1, 1)}), Region.box({"y": (0, 1)}), 3)
    with pytest.raises(DataError, match="dimension mismatch"):
        LTIStep.from_dict({"A": [[0.5]], "B": [[1.0, 2.0]], "C": [[1.0]], "D": [[1.0]]})
    with pytest.raises(DataError, match="lacks"):
        LTIStep.from_dict({"A": [[0.5]]})
    nan_model = FunctionStep(lambda X, U, D: (X, np.sqrt(U - 0.5)), (1, 1, 0, 1))
    with pytest.raises(DataError, match="NaN"), np.errstate(invalid="ignore"):
        dynamic_operability(nan_model, [0.0], Region.box({"u": (0, 1)}), Region.box({"y": (0, 1)}), 2)


def _relu_linear_network(W: np.ndarray, directory, names_in, names_out):
    """An exported ReLU network computing ``W z`` exactly (relu(a) - relu(-a) = a)."""
    import torch

    from idaes_ml.nn import ScaledNetwork, export_onnx

    n_out, n_in = W.shape
    first, last = torch.nn.Linear(n_in, 2 * n_in), torch.nn.Linear(2 * n_in, n_out)
    with torch.no_grad():
        first.weight.copy_(torch.tensor(np.vstack([np.eye(n_in), -np.eye(n_in)])))
        first.bias.zero_()
        last.weight.copy_(torch.tensor(np.hstack([W, -W])))
        last.bias.zero_()
    net = ScaledNetwork(torch.nn.Sequential(first, torch.nn.ReLU(), last).double(), names_in, names_out,
                        np.zeros(n_in), np.ones(n_in), np.zeros(n_out), np.ones(n_out),
                        {k: (-10.0, 10.0) for k in names_in}, "relu")
    export_onnx(net, directory, "lti_step")


def test_network_step_model_reproduces_exact_lti_funnel(tmp_path):
    """A network computing [A B; C D] gives the same sampled funnel as the LTI step function, and
    (switching sequences hit the extreme points) the same dOI as the exact Minkowski-sum funnel."""
    from idaes_ml.operability import NetworkStep

    A, B = np.array([[0.8, 0.1], [0.0, 0.7]]), np.array([[0.5, 0.0], [0.1, 0.4]])
    C = np.eye(2)
    W = np.block([[A, B], [C, np.zeros((2, 2))]])
    _relu_linear_network(W, tmp_path, ["x1", "x2", "u1", "u2"], ["x1n", "x2n", "y1", "y2"])
    net = NetworkStep(tmp_path, "lti_step", ["x1", "x2"], ["u1", "u2"], ["x1n", "x2n"], ["y1", "y2"])
    dos = Region.box({"y1": (0.5, 1.5), "y2": (0.2, 1.0)}, name="DOS")
    lti = LTIStep(A, B, C)
    exact = dynamic_operability(lti, [0.0, 0.0], AIS, dos, 6)
    by_function = dynamic_operability(FunctionStep(lti.step, lti.sizes), [0.0, 0.0], AIS, dos, 6, n_sequences=20)
    by_network = dynamic_operability(net, [0.0, 0.0], AIS, dos, 6, n_sequences=20)
    assert np.allclose(by_network.doi, by_function.doi, atol=1e-5)
    assert np.allclose(by_network.doi, exact.doi, atol=1e-5)
    assert exact.first_operable_step == by_network.first_operable_step
    # the network names its outputs: a DOS written {y2, y1} (or an AIS {u2, u1}) is matched by name
    swapped = dynamic_operability(net, [0.0, 0.0], Region.box({"u2": (-1.0, 1.0), "u1": (-1.0, 1.0)}, name="AIS"),
                                  Region.box({"y2": (0.2, 1.0), "y1": (0.5, 1.5)}, name="DOS"), 6, n_sequences=20)
    assert np.allclose(swapped.doi, by_network.doi, atol=1e-9)
