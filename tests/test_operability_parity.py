"""Parity with opyrability: rank_designs, input constraints in the MILP, its input-OI normalization."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowsheets.operability import shower
from idaes_ml.errors import DataError, SolveFailedError
from idaes_ml.operability import (
    PairedPolytopes,
    Polytope,
    Region,
    brute_force,
    forward_map,
    multilayer_design,
    oi_input,
    rank_designs,
    solve_milp,
)

WIDE = Region.box({"Fc": (1, 10), "Fh": (1, 10)}, name="AIS")
NARROW = Region.box({"Fc": (3, 8), "Fh": (3, 8)}, name="AIS")
RANK_DOS = Region.box({"F": (10, 20), "T": (70, 100)}, name="DOS")
OPYRABILITY_SHOWER_OI_WIDE = 60.23795007653283  # opyrability's test_rank_designs: OI_eval(WIDE, DOS), [5, 5]
MILP_DOS = {"F": (10.0, 12.0), "T": (85.0, 95.0)}
COLD_AT_MOST_HOT = [({"Fc": 1.0, "Fh": -1.0}, 0.0)]  # u1 <= u2


def test_rank_designs_orders_by_oi_and_reproduces_opyrability():
    model = shower.function_model()
    ranking = rank_designs({"narrow": model, "wide": model}, {"wide": WIDE, "narrow": NARROW}, RANK_DOS, 5)
    assert [d.label for d in ranking] == ["wide", "narrow"]
    assert ranking[0].oi * 100 == pytest.approx(OPYRABILITY_SHOWER_OI_WIDE, rel=1e-9)
    assert ranking[1].oi < ranking[0].oi
    assert ranking[0].aos.output_labels == ("F", "T") and ranking[0].forward.success_rate == 1.0


def test_rank_designs_labels_a_list_and_keeps_ties_in_order():
    ranking = rank_designs([shower.function_model(), shower.function_model()], WIDE, RANK_DOS, 4)
    assert [d.label for d in ranking] == ["Design 1", "Design 2"]
    assert ranking[0].oi == pytest.approx(ranking[1].oi)
    with pytest.raises(DataError, match=r"no AIS given for designs \['b'\]"):
        rank_designs({"a": shower.function_model(), "b": shower.function_model()}, {"a": WIDE}, RANK_DOS, 3)
    with pytest.raises(DataError, match="at least one design"):
        rank_designs([], WIDE, RANK_DOS, 3)


@pytest.fixture(scope="module")
def pp():
    return PairedPolytopes.from_forward_map(forward_map(shower.function_model(), shower.ais(), 5, progress=False))


def test_milp_input_constraint_u1_le_u2(pp):
    """Min Fh + 0.2 Fc, F >= 10, T >= 85: Fc = 35/6 > Fh = 25/6 free; with Fc <= Fh the design is (5, 5)."""
    free = solve_milp(pp, shower.INPUTS, shower.OUTPUTS, {"Fh": 1.0, "Fc": 0.2}, MILP_DOS)
    assert free.inputs["Fc"] > free.inputs["Fh"] + 1
    res = solve_milp(pp, shower.INPUTS, shower.OUTPUTS, {"Fh": 1.0, "Fc": 0.2}, MILP_DOS,
                     constraints=COLD_AT_MOST_HOT)
    assert res.inputs["Fc"] == pytest.approx(5.0, abs=1e-6) and res.inputs["Fh"] == pytest.approx(5.0, abs=1e-6)
    assert res.objective == pytest.approx(6.0, abs=1e-6)


@settings(max_examples=15, deadline=None)
@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(-2, 2), st.floats(0.5, 3))
def test_constrained_milp_equals_brute_force(pp, cfc, cfh, offset, ratio):
    """Any linear input constraint Fc - ratio Fh <= offset: MILP and enumeration agree."""
    constraints = [({"Fc": 1.0, "Fh": -ratio}, offset)]
    objective = {"Fc": cfc, "Fh": cfh}
    try:
        milp = solve_milp(pp, shower.INPUTS, shower.OUTPUTS, objective, MILP_DOS, constraints=constraints)
    except SolveFailedError:
        with pytest.raises(SolveFailedError):
            brute_force(pp, shower.INPUTS, shower.OUTPUTS, objective, MILP_DOS, constraints=constraints)
        return
    brute = brute_force(pp, shower.INPUTS, shower.OUTPUTS, objective, MILP_DOS, constraints=constraints)
    assert milp.objective == pytest.approx(brute.objective, abs=1e-6)
    assert milp.inputs["Fc"] - ratio * milp.inputs["Fh"] <= offset + 1e-6


def test_multilayer_design_keeps_the_constraint_in_every_layer():
    layers = multilayer_design(shower.function_model(), shower.ais(), 5, {"Fh": 1.0, "Fc": 0.2}, MILP_DOS,
                               layers=2, constraints=COLD_AT_MOST_HOT)
    assert all(layer.inputs["Fc"] <= layer.inputs["Fh"] + 1e-6 for layer in layers)
    assert layers[-1].objective == pytest.approx(6.0, abs=1e-6)


def test_opyrabilitys_constrained_milp_case():
    """opyrability's test_pi_milp: AIS [0.1, 10]^2, DOS y1 in [6, 9], y2 in [85, 95], PI = u1 + u2,
    input_constr u1 <= u2, resolution 3: PI = 6 (the active DOS bound), constraint honoured."""
    ais = Region.box({"Fc": (0.1, 10.0), "Fh": (0.1, 10.0)}, name="AIS")
    layers = multilayer_design(shower.function_model(), ais, 3, {"Fc": 1.0, "Fh": 1.0},
                               {"F": (6.0, 9.0), "T": (85.0, 95.0)}, layers=2, constraints=COLD_AT_MOST_HOT)
    best = layers[-1]
    assert best.objective == pytest.approx(6.0, abs=1e-6)
    assert best.inputs["Fc"] <= best.inputs["Fh"] + 1e-9
    assert best.outputs["F"] == pytest.approx(best.inputs["Fc"] + best.inputs["Fh"], abs=1e-9)


@pytest.mark.parametrize("bad", [[({"Fc": 1.0, "volume": -1.0}, 0.0)], [({"Fc": float("nan")}, 0.0)], [(1.0,)]])
def test_bad_constraints_name_the_problem(pp, bad):
    with pytest.raises(DataError, match="constraint 0"):
        solve_milp(pp, shower.INPUTS, shower.OUTPUTS, {"Fh": 1.0}, MILP_DOS, constraints=bad)


def test_unreachable_under_constraints_says_so(pp):
    with pytest.raises(SolveFailedError, match="within the constraints"):
        solve_milp(pp, shower.INPUTS, shower.OUTPUTS, {"Fh": 1.0}, MILP_DOS, constraints=[({"Fh": 1.0}, 2.0)])


def test_oi_input_offers_opyrabilitys_normalization():
    """Same polytopes: ours divides by the DIS (0.5333), opyrability's OI_eval by the AIS box (40.0 %)."""
    dis = [Polytope.box([0.6, 0.0], [1.35, 1.0])]
    ais = Region.box({"a": (0.0, 1.0), "b": (0.0, 1.0)}, name="AIS")
    assert oi_input(dis, ais) == pytest.approx(0.4 / 0.75)
    assert oi_input(dis, ais, normalize="dis") == pytest.approx(0.4 / 0.75)
    assert oi_input(dis, ais, normalize="ais") * 100 == pytest.approx(40.0)
    with pytest.raises(DataError, match="normalize must be"):
        oi_input(dis, ais, normalize="box")
