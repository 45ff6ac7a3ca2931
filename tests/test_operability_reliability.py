"""No silent wrong OI: sets matched by name, dropped (NaN) polytopes counted, integer grids only."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowsheets.operability import shower
from idaes_ml.errors import DataError
from idaes_ml.operability import (
    FunctionModel,
    PairedPolytopes,
    Region,
    forward_map,
    inverse_map,
    oi_input,
    oi_output,
)
from idaes_ml.operability.sets import grid_points

AIS = Region.box({"a": (0.0, 1.0), "b": (0.0, 1.0)}, name="AIS")


@pytest.fixture(scope="module")
def shower_aos() -> PairedPolytopes:
    return PairedPolytopes.from_forward_map(forward_map(shower.function_model(), shower.ais(), 10, progress=False))


def test_dos_is_matched_to_the_outputs_by_name(shower_aos):
    """Outputs are (F, T); a DOS written {T: ..., F: ...} used to give 0.0."""
    as_ordered = oi_output(shower_aos, Region.box({"F": (2, 4), "T": (70, 100)}, name="DOS"))
    reversed_ = oi_output(shower_aos, Region.box({"T": (70, 100), "F": (2, 4)}, name="DOS"))
    assert as_ordered > 0.5
    assert reversed_ == pytest.approx(as_ordered, abs=1e-12)
    with pytest.raises(DataError, match=r"DOS is over \['T', 'G'\].*missing \['F'\], unknown \['G'\]"):
        oi_output(shower_aos, Region.box({"T": (70, 100), "G": (2, 4)}, name="DOS"))


@settings(max_examples=12, deadline=None)
@given(st.permutations(["x", "y", "z"]), st.floats(0.0, 1.5), st.floats(0.5, 1.5))
def test_oi_does_not_depend_on_the_dos_label_order(order, lo, width):
    m = FunctionModel(lambda U: U * [1.0, 2.0, 3.0], ["a", "b", "c"], ["x", "y", "z"], vectorized=True)
    ais3 = Region.box({"a": (0, 1), "b": (0, 1), "c": (0, 1)}, name="AIS")
    aos = PairedPolytopes.from_forward_map(forward_map(m, ais3, 2, progress=False))
    box = {"x": (lo, lo + width), "y": (0.5, 1.5), "z": (1.0, 2.0)}
    reference = oi_output(aos, Region.box(box, name="DOS"))
    permuted = oi_output(aos, Region.box({k: box[k] for k in order}, name="DOS"))
    assert permuted == pytest.approx(reference, abs=1e-9)
    # the AOS is [0, 1] x [0, 2] x [0, 3]: only x is cut
    assert reference == pytest.approx(max(0.0, min(1.0, lo + width) - lo) / width, abs=1e-9)


def test_ais_is_matched_to_a_labelled_dis_by_name():
    U = grid_points([0.5, 0.0], [1.5, 1.0], 3)
    dis = PairedPolytopes.from_grid(U, U, (3, 3), output_labels=("a", "b"))
    swapped = Region.box({"b": (0.0, 1.0), "a": (0.0, 1.0)}, name="AIS")
    assert oi_input(dis, swapped) == pytest.approx(0.5)


def _half_nan(u):
    return [np.nan if u[0] < 0.5 else u[0], u[1]]


def test_nan_polytopes_are_counted_and_warned():
    """Half the grid fails: the OI says how many polytopes it left out (it used to say nothing)."""
    fm = forward_map(FunctionModel(_half_nan, ["a", "b"], ["s", "t"]), AIS, 5, progress=False)
    aos = PairedPolytopes.from_forward_map(fm)
    dos = Region.box({"s": (0, 1), "t": (0, 1)}, name="DOS")
    with pytest.warns(RuntimeWarning, match=r"without 16 of 32 polytopes .* lower bound"):
        oi = oi_output(aos, dos)
    assert (oi.dropped, oi.polytopes) == (16, 32)
    assert oi == pytest.approx(0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = oi_output(PairedPolytopes.from_forward_map(forward_map(
            FunctionModel(lambda u: [u[0], u[1]], ["a", "b"], ["s", "t"]), AIS, 5, progress=False)), dos)
    assert (full.dropped, full.polytopes, float(full)) == (0, 32, 1.0)


def test_all_nan_map_has_no_oi():
    fm = forward_map(FunctionModel(lambda u: [np.nan, np.nan], ["a", "b"], ["s", "t"]), AIS, 3, progress=False)
    with pytest.raises(DataError, match="every polytope .* failed"):
        oi_output(PairedPolytopes.from_forward_map(fm), Region.box({"s": (0, 1), "t": (0, 1)}, name="DOS"))


@settings(max_examples=20, deadline=None)
@given(st.floats(1.01, 9.99).filter(lambda r: not float(r).is_integer()))
def test_non_integer_resolution_is_rejected(resolution):
    model = FunctionModel(lambda u: [u[0], u[1]], ["a", "b"], ["s", "t"])
    with pytest.raises(DataError, match="whole numbers of points"):
        forward_map(model, AIS, resolution, progress=False)
    with pytest.raises(DataError, match="whole numbers of points"):
        forward_map(model, AIS, [3, resolution], progress=False)
    with pytest.raises(DataError, match="whole numbers of points"):
        AIS.grid(resolution)
    with pytest.raises(DataError, match="whole numbers of points"):  # P1 over the DOS grid, before any solve
        inverse_map(model, AIS, Region.box({"s": (0, 1), "t": (0, 1)}, name="DOS"), resolution, progress=False)


@pytest.mark.parametrize(("resolution", "n"), [(3, 9), (3.0, 9), (np.int64(2), 4), ([2, 4], 8)])
def test_integral_resolutions_are_accepted(resolution, n):
    assert grid_points([0, 0], [1, 1], resolution).shape == (n, 2)


@pytest.mark.parametrize("bad", [[2, 3, 4], True, "3", 0])
def test_bad_resolutions_name_the_problem(bad):
    with pytest.raises(DataError, match="grid resolution"):
        grid_points([0, 0], [1, 1], bad)


def test_resolution_grid_matches_itertools():
    pts = grid_points([0, 0], [1, 2], [2, 3])
    assert pts.tolist() == [list(p) for p in itertools.product([0.0, 1.0], [0.0, 1.0, 2.0])]
