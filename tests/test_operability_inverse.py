"""NLP-based inverse mapping (P1), intensification (P2) and P3 on the shower problem, with Ipopt."""

from __future__ import annotations

import numpy as np
import pytest

from flowsheets.operability import shower
from idaes_ml.errors import DataError
from idaes_ml.operability import Region, intensify, inverse_map, solve_p3

DOS = Region.box({"F": (10.0, 14.0), "T": (80.0, 100.0)}, name="DOS")


@pytest.fixture(scope="module")
def p1():
    return inverse_map(shower.pyomo_model(), shower.ais(), DOS, 3, progress=False)


def test_p1_matches_closed_form_inverse(p1):
    assert p1.success_rate == 1.0
    t = p1.table
    exact = np.array([shower.shower_inverse(y) for y in t[["target:F", "target:T"]].to_numpy()])
    assert np.allclose(t[["Fc", "Fh"]].to_numpy(), exact, atol=1e-5)
    assert (t["distance"] < 1e-6).all()
    assert list(p1.dis.columns) == ["Fc", "Fh"] and list(p1.dos_star.columns) == ["F", "T"]


def test_p2_known_optimum_and_several_metrics(p1):
    """Least hot water with F >= 12, T >= 90: Fh = F (T - 60) / 60 is smallest at F = 12, T = 90 -> 6."""
    ranked = intensify(p1, {"hot water": "Fh", "total water": lambda d: d["Fc"] + d["Fh"]},
                       requirement={"F": (12.0, 100.0), "T": (90.0, 200.0)})
    assert ranked.loc["hot water", "value"] == pytest.approx(6.0, abs=1e-5)
    assert ranked.loc["total water", "value"] == pytest.approx(12.0, abs=1e-5)
    assert ranked.loc["hot water", "T"] == pytest.approx(90.0, abs=1e-4)


def test_p3_equals_p1_plus_p2(p1):
    dos = Region.box({"F": (12, 14), "T": (90, 100)}, name="DOS")
    best = solve_p3(shower.function_model(), shower.ais(), dos, 2, metric="Fh",
                    requirement=lambda d: (d["F"] >= 12 - 1e-6) & (d["T"] >= 90 - 1e-6), progress=False)
    p2 = intensify(p1, {"m": "Fh"}, requirement={"F": (12 - 1e-6, 99), "T": (90 - 1e-6, 999)}).iloc[0]
    assert best["value"] == pytest.approx(p2["value"], abs=1e-5)
    assert best[["Fc", "Fh"]].to_numpy(float) == pytest.approx(p2[["Fc", "Fh"]].to_numpy(float), abs=1e-4)


def test_dos_outside_aos_reports_distance():
    """F = 25 exceeds the largest total flow (20): P1 converges to the edge and says how far."""
    res = inverse_map(shower.pyomo_model(), shower.ais(), Region.box({"F": (25, 26), "T": (85, 95)}, name="DOS"),
                      2, progress=False)
    assert res.success_rate == 1.0
    assert (res.table["F"] <= 20 + 1e-5).all()
    assert (res.table["distance"] > 0.1).all()


def test_infeasible_points_keep_their_status():
    res = inverse_map(shower.pyomo_model(), shower.ais(), DOS, 2, progress=False,
                      constraints=lambda inst: [inst.inputs[0] + inst.inputs[1] >= 25.0])
    assert res.success_rate == 0.0
    assert len(res.table) == 4
    assert all("nfeasible" in s or "error" in s for s in res.table["status"])
    with pytest.raises(DataError, match="no converged"):
        intensify(res, {"m": "Fh"})


def test_p1_rejects_mismatched_sets():
    with pytest.raises(DataError, match="dimension mismatch"):
        inverse_map(shower.pyomo_model(), shower.ais(), Region.box({"F": (1, 2)}, name="DOS"), 2, progress=False)


def test_p1_rejects_degenerate_dos_grid():
    with pytest.raises(DataError, match="degenerate"):
        inverse_map(shower.pyomo_model(), shower.ais(), Region.box({"F": (10, 10), "T": (80, 90)}, name="DOS"), 3,
                    progress=False)
