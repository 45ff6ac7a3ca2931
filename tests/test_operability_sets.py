"""Geometry, forward map, paired polytopes and the operability index (closed-form checks)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flowsheets.operability import shower
from idaes_ml.errors import DataError
from idaes_ml.operability import (
    FunctionModel,
    PairedPolytopes,
    Polytope,
    Region,
    forward_map,
    oi_input,
    oi_output,
    union_volume,
)

AIS = Region.box({"a": (0.0, 1.0), "b": (0.0, 1.0)}, name="AIS")


def affine_model(M, c):
    """y = M u + c, whose AOS is exactly a parallelogram."""
    M, c = np.asarray(M, float), np.asarray(c, float)
    return FunctionModel(lambda U: U @ M.T + c, ["a", "b"], ["s", "t"], vectorized=True)


def aos(model, res=4):
    return PairedPolytopes.from_forward_map(forward_map(model, AIS, res, progress=False))


def test_polytope_operations_closed_form():
    a, b = Polytope.box([0, 0], [2, 2]), Polytope.box([1, 1], [3, 3])
    assert a.intersect(b).volume == pytest.approx(1.0)
    assert a.minkowski(b).volume == pytest.approx(16.0)
    assert union_volume([a, b]) == pytest.approx(7.0)
    assert a.pontryagin_difference(Polytope.box([-0.5, -0.5], [0.5, 0.5])).volume == pytest.approx(1.0)
    assert Polytope.box([0, 0], [1, 1]).intersect(Polytope.box([2, 2], [3, 3])) is None
    cube = Polytope.box([0, 0, 0], [1, 1, 1])
    assert union_volume([cube, Polytope.box([0.5] * 3, [2] * 3)]) == pytest.approx(1 + 3.375 - 0.125)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(-5, 5), st.floats(0.1, 3), st.floats(0.1, 3)),
                min_size=1, max_size=4))
def test_union_volume_matches_grid_count(boxes):
    """Union of overlapping boxes: exact decomposition vs counting cells of a fine grid."""
    polys = [Polytope.box([x, y], [x + w, y + h]) for x, y, w, h in boxes]
    g = np.linspace(-5, 8, 521)
    cx = (g[:-1] + g[1:]) / 2
    X, Y = np.meshgrid(cx, cx)
    inside = np.zeros(X.shape, bool)
    for x, y, w, h in boxes:
        inside |= (X >= x) & (X <= x + w) & (Y >= y) & (Y <= y + h)
    assert union_volume(polys) == pytest.approx(inside.sum() * (g[1] - g[0]) ** 2, abs=0.15)


@pytest.mark.parametrize(
    ("dos", "expected"),
    [({"s": (0.2, 0.8), "t": (0.3, 0.7)}, 1.0),   # fully inside
     ({"s": (2.0, 3.0), "t": (0.0, 1.0)}, 0.0),   # fully outside
     ({"s": (0.5, 1.5), "t": (0.0, 1.0)}, 0.5)],  # half inside
)
def test_oi_inside_outside_half(dos, expected):
    pp = aos(affine_model(np.eye(2), [0, 0]))
    assert oi_output(pp, Region.box(dos, name="DOS")) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.2, 2.0), st.floats(-1.0, 1.0), st.floats(-0.5, 1.5), st.floats(-0.5, 1.5),
       st.floats(0.1, 1.5), st.floats(0.1, 1.5))
@example(0.5, 6.103515625e-05, -0.5, 0.0, 1.0, 1.0)  # nearly parallel facets: HiGHS simplex status 4
def test_oi_of_affine_map_matches_inverse_membership(scale, shear, x0, y0, w, h):
    """For y = M u the AOS is exact; OI equals the fraction of DOS points whose preimage is in the AIS."""
    M = np.array([[scale, shear], [0.3, 1.0]])
    dos = Region.box({"s": (x0, x0 + w), "t": (y0, y0 + h)}, name="DOS")
    g = (np.arange(200) + 0.5) / 200
    P = np.array(np.meshgrid(x0 + w * g, y0 + h * g)).reshape(2, -1).T
    pre = np.linalg.solve(M, P.T).T
    frac = np.mean(np.all((pre >= 0) & (pre <= 1), axis=1))
    assert oi_output(aos(affine_model(M, [0, 0]), 3), dos) == pytest.approx(frac, abs=0.02)


def test_oi_3d_half_inside():
    ais3 = Region.box({"a": (0, 1), "b": (0, 1), "c": (0, 1)}, name="AIS")
    m = FunctionModel(lambda U: 2 * U, ["a", "b", "c"], ["x", "y", "z"], vectorized=True)
    pp = PairedPolytopes.from_forward_map(forward_map(m, ais3, 3, progress=False))
    assert len(pp) == 8 * 6
    dos = Region.box({"x": (1, 3), "y": (0, 2), "z": (0, 2)}, name="DOS")
    assert oi_output(pp, dos) == pytest.approx(0.5)


def test_shower_oi_converges_to_closed_form():
    """DOS F in [2, 4], T in [70, 100]: mu(AOS ∩ DOS) = 100 - 120 ln 1.5 - 60 ln(4/3) (integrated by hand)."""
    exact = (100 - 120 * np.log(1.5) - 60 * np.log(4 / 3)) / 60
    fm = forward_map(shower.function_model(), shower.ais(), 40, progress=False)
    oi = oi_output(PairedPolytopes.from_forward_map(fm), Region.box({"F": (2, 4), "T": (70, 100)}, name="DOS"))
    assert oi == pytest.approx(exact, abs=0.01)


def test_input_perspective_oi():
    """DIS of an identity model equals the DOS: input OI = fraction of the DOS inside the AIS."""
    dis = [Polytope.box([0.5, 0.0], [1.5, 1.0])]
    assert oi_input(dis, AIS) == pytest.approx(0.5)


def test_forward_map_with_eds_scenarios():
    m = FunctionModel(lambda u, d: [u[0] + d[0], u[1]], ["a", "b"], ["s", "t"], disturbances=["d"])
    fm = forward_map(m, AIS, 3, eds=Region.box({"d": (0.0, 1.0)}, name="EDS"), progress=False)
    assert fm.outputs.shape == (2, 9, 2)
    assert np.allclose(fm.outputs[1, :, 0] - fm.outputs[0, :, 0], 1.0)


def test_nan_points_are_reported_with_their_inputs():
    m = FunctionModel(lambda u: [np.sqrt(u[0] - 0.5), u[1]], ["a", "b"], ["s", "t"])
    with np.errstate(invalid="ignore"):
        fm = forward_map(m, AIS, 3, progress=False)
    bad = fm.failures()
    assert len(bad) == 3 and (bad["a"] == 0.0).all() and (bad["status"] == "nan").all()
    pp = PairedPolytopes.from_forward_map(fm)
    assert pp.skipped == 4 and len(pp) == 4


@pytest.mark.parametrize("bounds", [{}, {"a": (1.0, 0.0)}, {"a": (0.0, float("nan"))}])
def test_bad_sets_raise(bounds):
    with pytest.raises(DataError):
        Region.box(bounds, name="DOS")


def test_degenerate_and_mismatched_sets_raise():
    pp = aos(affine_model(np.eye(2), [0, 0]))
    with pytest.raises(DataError, match="degenerate"):
        oi_output(pp, Region.box({"s": (0.5, 0.5), "t": (0, 1)}, name="DOS"))
    with pytest.raises(DataError, match="dimension mismatch"):
        oi_output(pp, Region.box({"s": (0, 1)}, name="DOS"))
    with pytest.raises(DataError, match="dimension mismatch"):
        forward_map(affine_model(np.eye(2), [0, 0]), Region.box({"a": (0, 1)}, name="AIS"), 3, progress=False)
    with pytest.raises(DataError, match="degenerate"):
        forward_map(affine_model(np.eye(2), [0, 0]), Region.box({"a": (0, 1), "b": (1, 1)}, name="AIS"), 3)


def test_cell_polyhedra_and_simplices_agree_for_affine_map():
    fm = forward_map(affine_model([[1.0, 0.5], [0.2, 1.0]], [1, 2]), AIS, 4, progress=False)
    dos = Region.box({"s": (1.5, 2.5), "t": (2.0, 3.0)}, name="DOS")
    cells = PairedPolytopes.from_forward_map(fm, kind="cell")
    assert len(cells) == 9 and all(p.vertices.shape == (4, 2) for p in cells.outputs)
    assert oi_output(cells, dos) == pytest.approx(oi_output(PairedPolytopes.from_forward_map(fm), dos))
