"""Learned reactor dynamics -> ONNX -> OMLT -> Ipopt on the CSTR network, checked on the plant (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from flowsheets.cstr_network.learned import (DISTURBANCES, INPUTS, STATES, generate_transitions, load_reactor_model,
                                             reactor_model, save_reactor_model)
from flowsheets.cstr_network.control import PIBaseline
from flowsheets.cstr_network.optimize import MPCPolicy, optimize_steady_state, plant_steady_state
from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
from idaes_ml.errors import OutOfDomainError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A small structured reactor model trained here, exported to ONNX in a temporary folder."""
    df = generate_transitions(4, n_steps=48, seed=1, progress=False, open_loop=0.5)
    X, Y = df[STATES + INPUTS + DISTURBANCES], df[[s + "_next" for s in STATES]].set_axis(STATES, axis=1)
    m = reactor_model("structured", hidden=(16,), max_epochs=120, progress=False, learning_rate=1e-2).fit(X, Y)
    where = tmp_path_factory.mktemp("models")
    save_reactor_model(m, where, "structured")
    loaded = load_reactor_model(where, "structured")
    assert loaded.support_.labels == m.support_.labels
    assert np.allclose(loaded.predict_next(X.head(20)), m.predict_next(X.head(20)), atol=1e-5)
    return where


@pytest.fixture(scope="module")
def model(model_dir):
    return load_reactor_model(model_dir, "structured")


def test_steady_state_optimum_on_learned_network_validates_on_plant(model):
    net, d = CSTRNetwork(2, 2), Disturbance()
    r = optimize_steady_state(net, model, d)
    assert r["ok"], r["status"]
    assert r["F"].sum() <= net.supply(d) * (1 + 1e-6) and r["Fc"].max() <= net.limits.Fc_max + 1e-6
    plant = plant_steady_state(net, d, r["F"], r["Fc"])
    assert plant["ok"]
    assert plant["violation_K"] < 1.0
    assert abs(plant["product"] - r["predicted_product"] - 0.05 * r["Fc"].sum()) / plant["product"] < 0.1


@pytest.mark.parametrize("mode", ["hard", "barrier"])
def test_mpc_step_on_plant_and_out_of_domain_flag(model, mode):
    net = CSTRNetwork(2, 2)
    pol = MPCPolicy(net, model, horizon=2, constraints=mode)
    from flowsheets.cstr_network.control import design_state

    F, Fc, info = pol(0, design_state(net), Disturbance())
    assert not info["fallback"], info
    assert F.sum() <= net.supply(Disturbance()) * (1 + 1e-4) and (Fc <= net.limits.Fc_max + 1e-6).all()
    _, _, info2 = pol(1, design_state(net), Disturbance(cA0=8.0))
    assert any("cA_in" in f for f in info2["out_of_domain"])


def test_rto_policy_and_dynamic_operability(model):
    from flowsheets.cstr_network.control import design_state
    from flowsheets.cstr_network.operability import network_funnel
    from flowsheets.cstr_network.optimize import RTOPolicy

    net = CSTRNetwork(1, 2)
    pol = RTOPolicy(net, model)
    F, Fc, info = pol(0, design_state(net), Disturbance())
    assert "re-optimized" in info["note"] and not info["fallback"]
    assert F.sum() <= net.supply(Disturbance()) * (1 + 1e-6)
    res = network_funnel(net, model, design_state(net), {"Fc": (20, 60), "F": (110, 175)},
                         {"product": (100, 200), "T_hottest": (105, 118)}, horizon=3, n_sequences=20)
    assert len(res.doi) == 4 and (res.doi >= 0).all() and res.doi[-1] > res.doi[0]  # more steps, more reach


def test_mpc_optimizer_failure_falls_back_to_pi_and_says_so(model):
    from flowsheets.cstr_network.control import design_state

    net, d = CSTRNetwork(1, 2), Disturbance()
    pol = MPCPolicy(net, model, horizon=2, persistent=True)
    X = design_state(net)
    F0, Fc0, info0 = pol(0, X, d)
    assert not info0["fallback"], info0
    pol.ctrl.solver_options["max_iter"] = 1  # Ipopt cannot converge in one iteration from the shifted plan
    X1 = net.step(X, F0, Fc0, d, 1 / 120)
    F1, Fc1, info1 = pol(1, X1, d)
    assert info1["fallback"] and "PI fallback: optimizer failed" in info1["note"]
    pi = PIBaseline(net, 1 / 120)  # a fresh PI (integral 0) with the last split: what the fallback applies
    pi.split = F0 / F0.sum()
    F_pi, Fc_pi, _ = pi(1, X1, d)
    assert F1 == pytest.approx(F_pi) and Fc1 == pytest.approx(Fc_pi)


def test_guard_keeps_optimum_in_training_support_and_flags_unknown_disturbances(model):
    net = CSTRNetwork(2, 2)
    r = optimize_steady_state(net, model, Disturbance(), guard=1.0)
    assert r["ok"], r["status"]
    for rr in range(net.n):
        j = rr // 2
        inlet = (5.1, 0.0, 104.9) if rr % 2 == 0 else tuple(r["X"][rr - 1, :3])
        row = dict(zip(STATES + INPUTS + DISTURBANCES, [*r["X"][rr], r["F"][j], r["Fc"][rr], *inlet, 95.0]))
        assert model.support_.distance2(row) <= model.support_.radius2 * (1 + 1e-4)
    with pytest.raises(OutOfDomainError, match="Tc_in=80 outside training range"):
        optimize_steady_state(net, model, Disturbance(Tc_in=80.0), guard=1.0)


def test_mpc_and_rto_refuse_disturbances_outside_training_data(model):
    from flowsheets.cstr_network.control import design_state
    from flowsheets.cstr_network.optimize import RTOPolicy

    net, d = CSTRNetwork(1, 2), Disturbance(cA0=8.0)
    F, Fc, info = MPCPolicy(net, model, horizon=2, guard=1.0)(0, design_state(net), d)
    assert info["fallback"] and "PI fallback: disturbance outside the model's training data" in info["note"]
    assert F.sum() == pytest.approx(net.supply(d))
    _, _, info = RTOPolicy(net, model, guard=1.0)(0, design_state(net), d)
    assert info["fallback"] and "cA_in=8 outside training range" in info["note"]


def test_rto_optimizer_failure_keeps_last_safe_setpoints_and_says_so(model):
    from flowsheets.cstr_network.control import design_state
    from flowsheets.cstr_network.optimize import RTOPolicy

    net = CSTRNetwork(1, 2)
    pol = RTOPolicy(net, model, solver_options={"max_iter": 1})
    T_sp, split = pol.pi.T_sp.copy(), pol.pi.split.copy()
    F, Fc, info = pol(0, design_state(net), Disturbance(Tc_in=100.0))
    assert info["fallback"] and "optimizer failed" in info["note"] and "kept last safe setpoints/split" in info["note"]
    assert pol.pi.T_sp == pytest.approx(T_sp) and pol.pi.split == pytest.approx(split)
    assert F.sum() == pytest.approx(net.supply(Disturbance()))


def test_campaign_mpc_job_reports_model_size_and_memory(model_dir):
    from flowsheets.cstr_network.campaign import CampaignJob, closed_loop_job

    out = closed_loop_job(CampaignJob(2, "coolant_warm", "mpc_barrier", n_steps=2, horizon=2, model_dir=str(model_dir)))
    s = out["summary"]
    assert s["n_steps"] == 2 and s["fallbacks"] == 0 and s["out_of_domain_steps"] == 0
    assert out["model_size"]["n_variables"] > out["model_size"]["n_constraints"] > 0
    assert out["peak_rss_mb"] > 0


def test_coolant_limit_and_fouling_reach_the_learned_optimum(model):
    from flowsheets.cstr_network.learned import fouled_model, learned_graph
    from flowsheets.cstr_network.optimize import on_bounds, train_flow_starts

    net = CSTRNetwork(2, 2)
    d = Disturbance(coolant_supply=120.0, fouled={1: 0.5})
    g = learned_graph(net, model, d)
    assert g.units["R1"][0] == "reactor_ua0.5" and g.units["R0"][0] == "reactor"
    fm = g.models["reactor_ua0.5"]
    assert fm.network_ is model.network_ and fm.support_ is model.support_
    row = {"cA": 2.0, "cB": 1.0, "T": 115.0, "TK": 110.0, "F": 140.0, "Fc": 30.0, "Tc_in": 95.0,
           "cA_in": 5.1, "cB_in": 0.0, "T_in": 105.0}
    k_full, k_half = model.known_increment(row), fm.known_increment(row)
    conv = k_full["T"] - (140.0 / 120 / net.params.volume) * (105.0 - 115.0)  # heat-transfer part of the T increment
    assert k_half["T"] - (140.0 / 120 / net.params.volume) * (105.0 - 115.0) == pytest.approx(conv / 2)
    assert fouled_model(model, 1.0).known_increment(row) == pytest.approx(k_full)
    starts = train_flow_starts(net, d)
    assert len(starts) == 3 and all(F.sum() <= net.supply(d) + 1e-9 for F in starts)
    r = optimize_steady_state(net, model, d, guard=1.0, starts=starts)
    assert r["ok"] and r["n_starts"] == 3 and r["n_optimal"] >= 1
    assert r["Fc"].sum() <= 120.0 * (1 + 1e-6)
    true = plant_steady_state(net, d, optimize=True, starts=starts)
    assert true["Fc"].sum() <= 120.0 * (1 + 1e-6) and true["objective"] >= plant_steady_state(net, d, optimize=True)["objective"] - 1e-6
    b = on_bounds(net, d, true["F"], true["Fc"])
    assert b["coolant_header_binds"] and b["interior"] and b["decisions"] == 6
    # equal trains (no fouling): of mirror-image optima, the one nearest the preferred (current) flows
    sym = Disturbance(coolant_supply=120.0)
    near = {i: optimize_steady_state(net, model, sym, starts=starts, prefer=starts[i]) for i in (1, 2)}
    assert near[1]["predicted_product"] == pytest.approx(near[2]["predicted_product"], rel=1e-4)
    for i, j in ((1, 2), (2, 1)):
        assert np.abs(near[i]["F"] - starts[i]).sum() <= np.abs(near[j]["F"] - starts[i]).sum() + 1e-6


def test_mpc_terminal_constraint_keeps_the_plan_end_below_the_margin(model):
    import pyomo.environ as pyo

    from flowsheets.cstr_network.control import design_state

    net, d = CSTRNetwork(1, 2), Disturbance()
    X = design_state(net) - [0.0, 0.0, 4.0, 4.0]  # 4 K below the design point: the plan warms up, using less coolant

    def plan_end(tm: float | None) -> tuple[float, MPCPolicy]:
        pol = MPCPolicy(net, model, horizon=2, constraints="barrier", terminal_margin=tm)
        _, _, info = pol(0, X, d)
        assert not info["fallback"], info
        assert hasattr(pol.ctrl.model, "terminal") == (tm is not None)
        return max(pyo.value(pol.ctrl.model.x[f"R{r}", "T", 2]) for r in range(net.n)), pol

    free, _ = plan_end(None)
    assert free > X[:, 2].max() + 0.05  # the unconstrained plan warms the reactors up
    T_end = (free + X[:, 2].max()) / 2  # a terminal bound above where they start that the unconstrained plan violates
    end, pol = plan_end(net.limits.T_max - T_end)
    assert len(pol.ctrl.model.terminal) == 2 and pyo.value(pol.ctrl.model.terminal[1].upper) == pytest.approx(T_end)
    assert end <= T_end + 1e-5 < free
    # a bound no plan reaches in two steps (101 C): contractive instead, the plan ends no hotter than it starts
    hot = design_state(net)  # 114.2 / 116.3 C
    pol = MPCPolicy(net, model, horizon=2, terminal_margin=19.0)
    _, _, info = pol(0, hot, Disturbance(offline={0}))
    assert not info["fallback"], info
    m = pol.ctrl.model
    assert list(m.terminal) == [1]  # offline reactors carry no terminal constraint
    assert pyo.value(m.terminal_T[1]) == pytest.approx(hot[1, 2])
    assert pyo.value(m.x["R1", "T", 2]) <= hot[1, 2] + 1e-5


def test_mpc_closed_loop_on_the_idaes_plant_matches_the_scipy_plant(model):
    from flowsheets.cstr_network.idaes_plant import IdaesPlant
    from flowsheets.cstr_network.scenarios import Scenario, run_closed_loop

    net = CSTRNetwork(1, 2)
    sc = Scenario("tight_coolant", {"coolant_per_reactor": 30.0}, at=1)
    runs = [run_closed_loop(net, MPCPolicy(net, model, horizon=2, constraints="barrier", terminal_margin=1.0), sc,
                            n_steps=3, plant=p) for p in (None, IdaesPlant(net))]
    assert runs[1].summary["plant"] == "IdaesPlant" and runs[1].summary["fallbacks"] == 0
    assert (runs[1].records["coolant"].iloc[1:] <= 60.0 + 1e-4).all()  # the header limit holds on the IDAES plant
    assert np.abs(runs[0].states - runs[1].states).max() < 1e-3


def test_near_shut_train_is_shut_not_parked_at_the_smallest_trained_flow(model):
    """Cold feed at 75 % supply: one train carries everything the plant optimum sends.  Without the turndown rule
    the learned optimum keeps the other train at a trickle (the training data's smallest flow), where the reactor's
    thermal time constant is hours and its learned steady state is off by kelvins; with ``shut_trains`` every train
    runs at least ``F_train_min`` or is shut (flow and coolant 0, reactors isolated), and the plant holds the limits."""
    from flowsheets.cstr_network.optimize import FEASIBILITY_TOL_K, shut_disturbance, train_flow_starts
    from flowsheets.cstr_network.scenarios import SCENARIOS

    net = CSTRNetwork(2, 2)
    sc = SCENARIOS["cold_feed"]
    d = sc.disturbance(net, sc.at)
    starts = train_flow_starts(net, d)
    r = optimize_steady_state(net, model, d, guard=1.0, starts=starts, shut_trains=True)
    assert r["ok"], r["status"]
    assert r["n_starts"] == len(starts) + net.n_trains  # plus each train shut once
    F_min = net.limits.F_train_min
    for j, f in enumerate(r["F"]):
        reactors = range(j * net.n_series, (j + 1) * net.n_series)
        if j in r["shut"]:
            assert f == 0.0 and all(r["Fc"][q] == 0.0 and q in r["disturbance"].offline for q in reactors)
        else:
            assert f >= F_min - 1e-6 and not any(q in r["disturbance"].offline for q in reactors)
    assert r["disturbance"] == shut_disturbance(net, d, r["shut"])
    plant = plant_steady_state(net, r["disturbance"], r["F"], r["Fc"])
    assert plant["ok"] and plant["violation_K"] <= FEASIBILITY_TOL_K
    true = plant_steady_state(net, d, optimize=True, starts=starts)
    assert plant["objective"] >= 0.98 * true["objective"]


@pytest.mark.parametrize("policy", ["rto", "mpc"])
def test_closed_loops_with_shut_trains_never_run_a_pump_below_its_turndown(model, policy):
    """``shut_trains``: RTO -> PI and the MPC send each train at least ``F_train_min`` or nothing (cold feed, where
    the learned optimum wants one train at a trickle); the batch left in a shut train is still cooled."""
    from flowsheets.cstr_network.optimize import RTOPolicy
    from flowsheets.cstr_network.scenarios import SCENARIOS, run_closed_loop

    net, sc = CSTRNetwork(2, 2), SCENARIOS["cold_feed"]
    pol = (RTOPolicy(net, model, guard=1.0, multistart=True, shut_trains=True) if policy == "rto" else
           MPCPolicy(net, model, horizon=2, constraints="barrier", margin=1.0, guard=1.0, cap_feed=True, multistart=True,
                     shut_trains=True))
    applied = []

    def recorded(k, X, d):
        F, Fc, info = pol(k, X, d)
        applied.append((np.asarray(F, float), np.asarray(Fc, float)))
        return F, Fc, info

    r = run_closed_loop(net, recorded, sc, sc.at + 4)
    assert r.summary["below_turndown_steps"] == 0
    for F, Fc in applied:
        assert all(f == 0.0 or f >= net.limits.F_train_min - 1e-6 for f in F)
        assert (Fc >= 0.0).all() and (Fc <= net.limits.Fc_max + 1e-6).all()
