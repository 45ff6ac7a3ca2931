"""MILP multilayer framework with HiGHS: equal to brute-force enumeration, zoom-in converges."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowsheets.operability import shower
from idaes_ml.errors import DataError, SolveFailedError
from idaes_ml.operability import PairedPolytopes, brute_force, forward_map, multilayer_design, solve_milp

DOS = {"F": (10.0, 12.0), "T": (85.0, 95.0)}


@pytest.fixture(scope="module")
def pp():
    return PairedPolytopes.from_forward_map(forward_map(shower.function_model(), shower.ais(), 5, progress=False))


@settings(max_examples=25, deadline=None)
@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(-0.2, 0.2), st.floats(80, 88), st.floats(6, 14))
def test_milp_equals_brute_force(pp, cfc, cfh, ct, tlo, flo):
    objective = {"Fc": cfc, "Fh": cfh, "T": ct}
    dos = {"F": (flo, flo + 3.0), "T": (tlo, tlo + 8.0)}
    milp = solve_milp(pp, shower.INPUTS, shower.OUTPUTS, objective, dos)
    brute = brute_force(pp, shower.INPUTS, shower.OUTPUTS, objective, dos)
    assert milp.objective == pytest.approx(brute.objective, abs=1e-6)


def test_zoom_in_reaches_exact_intensified_design():
    """Min Fh + 0.2 Fc with F >= 10, T >= 85: exact design F = 10, T = 85 -> Fh = 25/6, Fc = 35/6."""
    layers = multilayer_design(shower.function_model(), shower.ais(), 5, {"Fh": 1.0, "Fc": 0.2}, DOS, layers=4)
    errors = [abs(layer.inputs["Fh"] - 25 / 6) for layer in layers]
    assert errors[-1] < 1e-3 and errors[-1] <= errors[0]
    assert layers[-1].objective == pytest.approx(25 / 6 + 0.2 * 35 / 6, abs=1e-3)


def test_unreachable_dos_and_bad_objective(pp):
    with pytest.raises(SolveFailedError) as err:
        solve_milp(pp, shower.INPUTS, shower.OUTPUTS, {"Fh": 1.0}, {"F": (30.0, 40.0), "T": (80.0, 90.0)})
    assert "infeasible" in err.value.status
    with pytest.raises(DataError, match="unknown"):
        solve_milp(pp, shower.INPUTS, shower.OUTPUTS, {"volume": 1.0}, DOS)


def test_cbc_gives_the_same_design(pp):
    highs = solve_milp(pp, shower.INPUTS, shower.OUTPUTS, {"Fh": 1.0, "Fc": 0.2}, DOS)
    cbc = solve_milp(pp, shower.INPUTS, shower.OUTPUTS, {"Fh": 1.0, "Fc": 0.2}, DOS, solver="cbc")
    assert cbc.objective == pytest.approx(highs.objective, abs=1e-6)
    with pytest.raises(DataError, match="MIP gap"):
        solve_milp(pp, shower.INPUTS, shower.OUTPUTS, {"Fh": 1.0}, DOS, solver="ipopt")
