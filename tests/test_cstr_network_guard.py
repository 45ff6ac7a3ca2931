"""The domain guard of the reactor-network optimizers: the training support and its Pyomo constraints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idaes_ml.dynamics import Support
from idaes_ml.errors import DataError

RNG = np.random.default_rng(0)
T = RNG.uniform(100.0, 125.0, 400)
DATA = pd.DataFrame({"T": T, "Fc": 60.0 - 2.0 * (T - 100.0) + RNG.normal(0, 2.0, 400)})  # hot <-> little coolant
SUPPORT = Support.fit(DATA)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, len(DATA) - 1))
def test_every_training_row_is_inside(i):
    assert SUPPORT.contains(DATA.iloc[i].to_dict())


@settings(max_examples=40, deadline=None)
@given(st.floats(100.0, 125.0), st.floats(15.0, 60.0))
def test_inside_means_inside_box_and_ellipsoid(T, Fc):
    row = {"T": T, "Fc": Fc}
    inside = SUPPORT.contains(row)
    assert inside == (SUPPORT.distance2(row) <= SUPPORT.radius2 * (1 + 1e-6)
                      and all(lo <= v <= hi for v, lo, hi in zip((T, Fc), SUPPORT.low, SUPPORT.high)))


def test_corner_of_the_box_that_no_data_came_near_is_outside():
    cold_and_starved = {"T": 101.0, "Fc": 12.0}  # both values seen, never together
    assert all(lo <= v <= hi for v, lo, hi in zip(cold_and_starved.values(), SUPPORT.low, SUPPORT.high))
    msgs = SUPPORT.violations(cold_and_starved)
    assert len(msgs) == 1 and "Mahalanobis distance" in msgs[0]
    assert "T=130 outside training range" in SUPPORT.violations({"T": 130.0, "Fc": 10.0})[0]


def test_constraints_keep_an_optimizer_inside_and_roundtrip():
    m = pyo.ConcreteModel()
    m.T, m.Fc = pyo.Var(initialize=110.0), pyo.Var(initialize=40.0)
    SUPPORT.constrain(m, {"T": m.T, "Fc": m.Fc})
    m.obj = pyo.Objective(expr=m.T + m.Fc)  # minimize both: pushes toward the empty cold-and-starved corner
    res = pyo.SolverFactory("ipopt").solve(m)
    assert pyo.check_optimal_termination(res)
    assert SUPPORT.distance2({"T": m.T.value, "Fc": m.Fc.value}) <= SUPPORT.radius2 * (1 + 1e-6)
    assert m.T.value + m.Fc.value > 101.0 + 12.0  # the corner is not reachable
    again = Support.from_dict(SUPPORT.to_dict())
    assert again.radius2 == SUPPORT.radius2 and np.allclose(again.precision, SUPPORT.precision)


def test_bad_support_input():
    with pytest.raises(DataError, match="more rows"):
        Support.fit(DATA.head(2))
    with pytest.raises(DataError, match="coverage"):
        Support.fit(DATA, coverage=0.1)
