"""Cumene unit networks: training, torch cycle graph, SurrogateUnit EO flowsheet (slow)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from idaes.core.util.diagnostics_tools.diagnostics_toolbox import DiagnosticsToolbox
from idaes.core.util.exceptions import ConfigurationError
from idaes.core.util.model_statistics import degrees_of_freedom

from flowsheets.cumene.data import generate, optimal
from flowsheets.cumene.flowsheet import CONDITION_BOUNDS, NOMINAL
from flowsheets.cumene.ml import (STREAM_SCALE, build_graph, graph_data, random_tear_guesses,
                                  single_unit_r2, standard_tear_guess, tear_truth, train_networks)
from flowsheets.cumene.ml_flowsheet import build_ml_flowsheet, export_networks, set_ml_conditions
from flowsheets.cumene.solve import initialize, solve
from flowsheets.cumene.properties import COMPONENTS
from flowsheets.cumene.study import select_learning_rate, truth_kpis
from flowsheets.cumene.units import EDGES, UNITS, column, edges, kpis, stream_values
from idaes_ml.cycles import solve as cycle_solve


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("quiet_pyomo")]


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
    assert float(resid.detach().median()) < 0.5
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


def _true_tear(row, unit: str, port: str) -> tuple[dict, float, float]:
    flows = {c: float(row[column(unit, port, f"flow_mol_comp[{c}]")]) for c in COMPONENTS}
    return flows, float(row[column(unit, port, "temperature")]), float(row[column(unit, port, "pressure")])


def test_surrogate_flowsheet_eo_reproduces_training_points(trained, tmp_path):
    """At a training point the ground-truth streams are (nearly) a fixed point of the fitted
    networks: the EO network flowsheet, started from the true tear streams, converges there."""
    df, models = trained
    export_networks(models, tmp_path)
    truth = truth_kpis(df)
    for i in (0, 3):
        row = df.iloc[i]
        m = build_ml_flowsheet(models, tmp_path)
        set_ml_conditions(m, {k: float(row[f"cond.{k}"]) for k in CONDITION_BOUNDS})
        assert degrees_of_freedom(m) == 0
        initialize(m, guesses={m.fs.M101.recycle: _true_tear(row, "S1", "recycle"),
                               m.fs.M102.trans: _true_tear(row, "R102", "outlet")})
        res = solve(m)
        assert res["status"] == "optimal", res
        k = kpis(stream_values(m))
        for name in ("cumene_flow", "cumene_purity", "benzene_recycle"):
            assert k[name] == pytest.approx(truth.iloc[i][name], rel=0.05), name
    DiagnosticsToolbox(m).assert_no_structural_warnings()  # units consistent, no singular structure


def test_network_stream_mismatch_is_named(trained, tmp_path):
    df, models = trained
    models = copy.deepcopy(models)
    export_networks(models, tmp_path)
    net = models["F101"].network
    net.input_labels = [lab.replace("benzene", "xylene") for lab in net.input_labels]
    with pytest.raises(ConfigurationError, match="xylene"):
        build_ml_flowsheet(models, tmp_path)
    with pytest.raises(ValueError, match="xylene"):
        build_graph(models)


@pytest.fixture(scope="module")
def heldout():
    """Structured networks trained on the committed ground-truth table, and held-out rows."""
    from idaes_ml.io import read_table

    from flowsheets.cumene.study import split_rows

    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    df = optimal(pd.concat([read_table(results / f"{n}.parquet") for n in ("cumene_data", "cumene_data_extra")],
                           ignore_index=True))
    train, test = split_rows(df, seed=0)
    models = train_networks(train, hidden=(32, 32), max_epochs=1500, patience=200, learning_rate=3e-3)
    return train, test, models


def test_heldout_end_to_end_accuracy_and_exact_balances(heldout, tmp_path):
    """Points the networks never saw: the torch graph (Newton) and the EO network flowsheet
    reproduce the ground-truth KPIs, and the EO flowsheet closes the plant C/H balance."""
    from flowsheets.cumene.eo_study import heldout_accuracy, nominal_ml_model
    from flowsheets.cumene.study import convergence_study
    from idaes_ml.metrics import r2_per_output

    train, test, models = heldout
    torch_res = convergence_study(models, test, train, n_random=20, methods=("newton",))["newton"]
    assert torch_res["documented_guess_convergence_rate"] == 1.0
    assert min(torch_res["end_to_end_r2"].values()) > 0.9, torch_res["end_to_end_r2"]
    export_networks(models, tmp_path)
    m, state, nom = nominal_ml_model(models, tmp_path)
    assert nom["status"] == "optimal"
    rows = test.iloc[:4].reset_index(drop=True)
    acc = heldout_accuracy(m, state, rows)
    assert (acc["status"] == "optimal").all(), acc
    truth = truth_kpis(rows)
    rel = ((acc[truth.columns] - truth) / truth).abs()
    assert (rel[["cumene_flow", "cumene_purity"]] < 0.01).all().all(), rel
    assert (rel[["benzene_recycle", "trans_return"]] < 0.05).all().all(), rel
    assert acc[["balance.C", "balance.H"]].abs().to_numpy().max() < 1e-6
    assert r2_per_output(truth, acc[truth.columns]).notna().all()


def test_random_tear_starts_converge_on_the_bounded_model(heldout, tmp_path):
    """EO solves of the bounded network flowsheet from random tear values all converge
    (directly or through the relaxed-bounds restart), to points within every bound."""
    from pyomo.environ import Var, value

    from flowsheets.cumene.eo_study import nominal_ml_model, random_tear_robustness

    _, _, models = heldout
    export_networks(models, tmp_path)
    m, state, _ = nominal_ml_model(models, tmp_path)
    rob = random_tear_robustness(m, state, 6, seed=3)
    assert (rob["status"] == "optimal").all(), rob
    assert set(rob["strategy"]) <= {"direct", "relaxed_restart"}
    for v in m.component_data_objects(Var, active=True):
        if v.value is not None and not v.fixed:
            lo, hi = v.bounds
            scale = max(1.0, abs(value(v)))
            assert lo is None or v.value >= lo - 1e-6 * scale, v.name
            assert hi is None or v.value <= hi + 1e-6 * scale, v.name


def test_relaxed_restart_restores_bounds_and_reports_failure(heldout, tmp_path):
    """A model infeasible because of a derived-variable bound: the restart solves the
    relaxed model, puts the bound back and reports the bounded solve's failure honestly."""
    from flowsheets.cumene.eo_study import nominal_ml_model
    from flowsheets.cumene.solve import solve

    _, _, models = heldout
    export_networks(models, tmp_path)
    m, _, _ = nominal_ml_model(models, tmp_path)
    vap = m.fs.H102.control_volume.properties_out[0].phase_frac["Vap"]  # the flash feed: mostly liquid
    assert vap.value < 0.4
    vap.setlb(0.9)
    res = solve(m, options={"max_iter": 60})
    assert res["status"] != "optimal" and res["strategy"] == "relaxed_restart", res
    assert res["direct_status"] != "optimal"
    assert vap.lb == 0.9
    assert solve(m, options={"max_iter": 60}, relaxed_restart=False)["strategy"] == "direct"


def test_unit_table_covers_every_unit():
    assert set(UNITS) == {"M101", "H101", "R101", "M102", "H102", "F101", "C1", "S1", "C2", "M103", "R102"}


def test_reactor_chain_shares_the_reactor_network(trained, tmp_path):
    df, models = trained
    export_networks(models, tmp_path)
    assert edges(1) == EDGES
    chain = edges(3)
    assert chain[("R101", "outlet")] == ("R101_2", "inlet") and chain[("R101_3", "outlet")] == ("M102", "reactor")
    m = build_ml_flowsheet(models, tmp_path, n_reactors=2)
    set_ml_conditions(m, NOMINAL)
    assert degrees_of_freedom(m) == 0
    assert m.fs.arc_R101_outlet.destination is m.fs.R101_2.inlet
    for r in (m.fs.R101, m.fs.R101_2):
        assert r.reactor_volume[0].value == pytest.approx(NOMINAL["reactor_volume"] / 2)
        assert r.config.surrogate.input_labels() == models["R101"].network.input_labels


def test_profit_optimization_on_network_flowsheet(heldout, tmp_path):
    """Ipopt maximizes profit over the SurrogateUnit flowsheet with every network input
    kept in its training box: optimal, better than nominal, purity met, no excursion."""
    from pyomo.environ import value

    from flowsheets.cumene.economics import MIN_PURITY, profit_expression
    from flowsheets.cumene.eo_study import nominal_ml_model, optimize
    from idaes_ml.unit_models.surrogate_unit import units_out_of_domain

    _, _, models = heldout
    export_networks(models, tmp_path)
    m, state, nom = nominal_ml_model(models, tmp_path, enforce_bounds=True, relax_bounds=True)
    assert nom["status"] == "optimal", nom
    nominal_profit = value(profit_expression(m))
    opt = optimize(m, state)
    assert opt["status"] == "optimal", opt
    assert opt["profit"] > nominal_profit
    assert opt["kpis"]["cumene_purity"] >= MIN_PURITY - 1e-6
    assert units_out_of_domain(m.fs) == {}
    for name, v in opt["decisions"].items():
        lo, hi = CONDITION_BOUNDS[name]
        assert lo - 1e-6 * abs(lo) <= v <= hi + 1e-6 * abs(hi), name


def test_learning_rate_is_selected_on_a_validation_split(trained):
    df, models = trained
    before = {u: [p.detach().clone() for p in um.network.module.parameters()]
              for u, um in models.items() if um.network is not None}
    best, scores = select_learning_rate(models, df, [1e-4, 1e-3], epochs=3, fraction=0.25)
    assert set(scores) == {1e-4, 1e-3} and best in scores
    assert scores[best] == max(scores.values())
    for u, params in before.items():  # the caller's networks are not touched
        assert all(torch.equal(a, b) for a, b in zip(params, models[u].network.module.parameters()))
