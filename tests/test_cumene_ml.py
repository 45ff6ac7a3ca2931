"""Cumene unit networks: training, torch cycle graph, SurrogateUnit EO flowsheet (slow)."""

from __future__ import annotations

import copy
import logging

import numpy as np
import pytest
from idaes.core.util.exceptions import ConfigurationError
from idaes.core.util.model_statistics import degrees_of_freedom

from flowsheets.cumene.data import generate, optimal
from flowsheets.cumene.flowsheet import NOMINAL
from flowsheets.cumene.ml import (STREAM_SCALE, build_graph, graph_data, random_tear_guesses,
                                  single_unit_r2, standard_tear_guess, tear_truth, train_networks)
from flowsheets.cumene.ml_flowsheet import build_ml_flowsheet, export_networks, set_ml_conditions
from flowsheets.cumene.solve import initialize, solve
from flowsheets.cumene.units import UNITS, kpis, stream_values
from idaes_ml.cycles import solve as cycle_solve

logging.getLogger("pyomo").setLevel(logging.ERROR)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained():
    df = optimal(generate(8, seed=5))
    assert len(df) >= 6
    models = train_networks(df, hidden=(16,), max_epochs=400, validation_fraction=0.0, learning_rate=1e-2)
    return df, models


def test_single_unit_networks_and_torch_graph(trained):
    df, models = trained
    r2 = single_unit_r2(models, df)
    assert set(r2["unit"]) == {u for u, um in models.items() if um.network is not None}
    assert np.isfinite(r2["r2"]).all()
    assert models["H101"].network is None  # a heater's outlet is its set point: nothing to learn
    graph = build_graph(models)
    feeds, params, targets = graph_data(df)
    x_true = tear_truth(df)
    # at the true tears the first unit (fed by feeds + tear only) is inside its training domain ...
    assert "M101" not in graph.domain_report(x_true, feeds, params)
    # ... and the tear map nearly reproduces the true tears (training fit)
    resid = ((graph.tear_map(x_true, feeds, params) - x_true) / STREAM_SCALE.repeat(2)).abs().amax(dim=1)
    assert float(resid.median()) < 0.5
    res = cycle_solve(lambda x: graph.tear_map(x, feeds, params), standard_tear_guess(df), method="newton",
                      scale=STREAM_SCALE.repeat(2), tol=1e-6, max_iter=30)
    assert res.rate > 0


def test_divergence_reports_units_out_of_domain(trained):
    df, models = trained
    graph = build_graph(models)
    feeds, params, _ = graph_data(df)
    x_bad = random_tear_guesses(df, len(df), seed=1, spread=20.0)
    report = graph.domain_report(x_bad, feeds, params)
    assert "M101" in report and any("recycle." in p for p in report["M101"])


def test_surrogate_flowsheet_eo(trained, tmp_path):
    df, models = trained
    export_networks(models, tmp_path)
    m = build_ml_flowsheet(models, tmp_path)
    set_ml_conditions(m, NOMINAL)
    assert degrees_of_freedom(m) == 0
    initialize(m)
    res = solve(m)
    if res["status"] == "optimal":
        k = kpis(stream_values(m))
        assert 15.0 < k["cumene_flow"] < 35.0
    else:  # networks from 8 points may not solve: the failure must name the units out of domain
        assert res["out_of_domain"], res
        assert all(name.startswith("fs.") for name in res["out_of_domain"])


def test_network_stream_mismatch_is_named(trained, tmp_path):
    df, models = trained
    models = copy.deepcopy(models)
    export_networks(models, tmp_path)
    net = models["C1"].network
    net.input_labels = [lab.replace("benzene", "xylene") for lab in net.input_labels]
    with pytest.raises(ConfigurationError, match="xylene"):
        build_ml_flowsheet(models, tmp_path)
    with pytest.raises(ValueError, match="xylene"):
        build_graph(models)


def test_unit_table_covers_every_unit():
    assert set(UNITS) == {"M101", "H101", "R101", "M102", "H102", "F101", "C1", "S1", "C2", "M103", "R102"}
