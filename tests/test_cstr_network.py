"""Ground truth, steady state, setpoint checks and PI baseline of the CSTR network case study."""

from __future__ import annotations

import numpy as np
import pytest

from flowsheets.cstr_network.control import PIBaseline, design_setpoints
from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
from flowsheets.cstr_network.scenarios import SCENARIOS, run_closed_loop
from flowsheets.cstr_network.steady_state import InfeasibleSetpointError, required_coolant
from idaes_ml.errors import DataError

DT = 1 / 120


def test_single_reactor_reproduces_literature_steady_state():
    """Klatt & Engell (1998) nominal point: cA 2.14, cB 1.09 mol/L, T 114.2 C (with Fc ~ 31 kg/h)."""
    net = CSTRNetwork(1, 1)
    Fc = required_coolant(net, net.nominal_flows(), [114.2], Disturbance())
    X = net.initial_state()
    for _ in range(6):
        X = net.step(X, net.nominal_flows(), Fc, Disturbance(), dt=0.25)
    assert X[0, :3] == pytest.approx([2.14, 1.09, 114.2], abs=0.01)
    assert np.abs(net.rhs(X, net.nominal_flows(), Fc, Disturbance())).max() < 1e-3


def test_network_size_topology_and_bypass():
    net = CSTRNetwork.of_size(50)
    assert (net.n, net.n_trains, net.n_series) == (50, 25, 2)
    small = CSTRNetwork(2, 2)
    X = small.initial_state() + np.arange(4)[:, None] * 0.01
    d = Disturbance(offline={0})
    assert isinstance(d.offline, frozenset) and hash(d) == hash(Disturbance(offline=[0]))
    inl = small.inlets(X, d)
    assert inl[1] == pytest.approx([d.cA0, 0.0, d.T0])  # reactor 1 fed directly: reactor 0 bypassed
    assert inl[3] == pytest.approx(X[2, :3])
    X1 = small.step(X, small.nominal_flows(), np.full(4, 31.0), d, DT)
    assert X1[0] == pytest.approx(X[0])  # offline contents held
    with pytest.raises(DataError, match="do not exist"):
        small.online(Disturbance(offline={7}))
    with pytest.raises(DataError, match="expected 2 train flows"):
        small.step(X, np.ones(3), np.ones(4), Disturbance(), DT)
    with pytest.raises(DataError, match="cannot form trains"):
        CSTRNetwork.of_size(11)


def test_pyomo_steady_state_matches_simulation():
    from flowsheets.cstr_network.optimize import plant_steady_state

    net, d = CSTRNetwork(2, 2), Disturbance(Tc_in=98.0)
    F, Fc = np.array([120.0, 160.0]), np.array([25.0, 40.0, 30.0, 50.0])
    ss = plant_steady_state(net, d, F, Fc)
    assert ss["ok"], ss["status"]
    X = net.initial_state()
    for _ in range(12):
        X = net.step(X, F, Fc, d, dt=0.25)
    assert ss["X"] == pytest.approx(X, abs=1e-4)
    assert ss["product"] == pytest.approx(net.throughput(X, F, d), rel=1e-6)


def test_true_optimum_beats_design_point_and_respects_limits():
    from flowsheets.cstr_network.optimize import plant_steady_state

    net, d = CSTRNetwork(2, 2), Disturbance()
    design = plant_steady_state(net, d, net.nominal_flows(), required_coolant(net, net.nominal_flows(), design_setpoints(net), d))
    best = plant_steady_state(net, d, optimize=True)
    assert best["ok"] and best["product"] > design["product"]
    assert best["X"][:, 2].max() <= net.limits.T_max + 1e-6 and best["Fc"].max() <= net.limits.Fc_max + 1e-6


@pytest.mark.parametrize(
    "T_sp, d, limit",
    [
        ([125.0, 114.0], Disturbance(), "T_max"),
        ([95.0, 114.0], Disturbance(), "T_min"),
        ([114.2, 104.0], Disturbance(), "Fc_max"),
        ([119.9, 119.9], Disturbance(Tc_in=105.0), "Fc_min"),
    ],
)
def test_infeasible_setpoints_name_the_violated_limit(T_sp, d, limit):
    net = CSTRNetwork(1, 2)
    with pytest.raises(InfeasibleSetpointError) as exc:
        required_coolant(net, net.nominal_flows(), T_sp, d)
    assert exc.value.limit == limit and f"limit {limit}" in str(exc.value)


def test_pi_baseline_holds_design_point_and_rejects_coolant_disturbance():
    net = CSTRNetwork(2, 2)
    pi = PIBaseline(net, DT)
    assert pi.T_sp == pytest.approx(design_setpoints(net))
    res = run_closed_loop(net, pi, SCENARIOS["coolant_warm"], n_steps=40, X0=None)
    T_end = res.states[-1][:, 2]
    assert np.abs(T_end - pi.T_sp).max() < 0.3
    s = res.summary
    assert s["constraint_violation_steps"] == 0 and s["fallbacks"] == 0 and s["reactors_in_use_mean"] == 4
    assert res.records["policy_s"].max() < 0.05


def test_scenarios_apply_their_disturbance():
    net = CSTRNetwork(3, 2)
    assert SCENARIOS["reactor_offline"].disturbance(net, 10).offline == {0}
    assert SCENARIOS["reactor_offline"].disturbance(net, 0).offline == frozenset()
    assert SCENARIOS["feed_rate_up"].disturbance(net, 10).F_total == pytest.approx(1.2 * net.supply(Disturbance()))


def test_closed_loop_counts_trains_run_below_the_pump_turndown():
    net = CSTRNetwork(2, 2)
    pi = PIBaseline(net, DT)

    def starved(k, X, d):  # PI coolant, but the second train's pump at 1 L/h (< F_train_min) from step 2
        F, Fc, info = pi(k, X, d)
        return (np.array([F[0], 1.0]) if k >= 2 else F), Fc, info

    r = run_closed_loop(net, starved, SCENARIOS["nominal"], 5, DT)
    assert r.summary["below_turndown_steps"] == 3 and r.records["below_turndown"].tolist() == [0, 0, 1, 1, 1]
    assert run_closed_loop(net, PIBaseline(net, DT), SCENARIOS["nominal"], 3, DT).summary["below_turndown_steps"] == 0


def test_a_shut_train_counts_only_when_it_runs_over_t_max():
    from flowsheets.cstr_network.scenarios import _violations

    net = CSTRNetwork(2, 1)
    X = net.initial_state()
    X[:, 2] = [95.0, 95.0]  # both below T_min: the running train violates, the shut (isolated) one does not
    assert _violations(net, X, np.array([0.0, 100.0]), Disturbance()).tolist() == [0.0, 5.0]
    X[:, 2] = [123.0, 110.0]  # over T_max: a safety limit, shut or not
    assert _violations(net, X, np.array([0.0, 100.0]), Disturbance()).tolist() == [3.0, 0.0]


def test_campaign_job_runs_pi_and_rejects_unknown_choices():
    from flowsheets.cstr_network.campaign import CampaignJob, closed_loop_job

    out = closed_loop_job(CampaignJob(2, "coolant_warm", "pi", n_steps=5))
    assert out["summary"]["n_steps"] == 5 and out["summary"]["plant"] == "CSTRNetwork" and len(out["records"]["k"]) == 5
    assert out["model_size"] is None and out["summary"]["out_of_domain_steps"] == 0
    with pytest.raises(DataError, match="policy must be one of"):
        closed_loop_job(CampaignJob(2, "nominal", "magic"))
    with pytest.raises(DataError, match="needs model_dir"):
        closed_loop_job(CampaignJob(2, "nominal", "mpc_hard"))
    with pytest.raises(DataError, match="plant must be"):
        closed_loop_job(CampaignJob(2, "nominal", "pi", plant="aspen"))
    with pytest.raises(DataError, match="unknown scenario"):
        closed_loop_job(CampaignJob(2, "earthquake", "pi"))


def test_coolant_header_limit_shares_out_and_binds_the_steady_state():
    net = CSTRNetwork(2, 2)
    d = SCENARIOS["coolant_limited"].disturbance(net, 10)
    assert d.coolant_supply == pytest.approx(4 * 35.0) and net.coolant_capacity(Disturbance()) == 4 * net.limits.Fc_max
    Fc = net.deliver_coolant(np.array([60.0, 60.0, 20.0, 60.0]), d)
    assert Fc.sum() == pytest.approx(140.0) and Fc / Fc[0] == pytest.approx([1, 1, 1 / 3, 1])  # proportional
    assert net.deliver_coolant([10.0, 10.0, 10.0, 10.0], d) == pytest.approx(10.0)  # under the cap: untouched
    assert net.deliver_coolant([10.0] * 4, d.with_(offline={2}))[2] == 0.0
    # the plant integrates what the header delivers: asking for more than the cap changes nothing
    X = net.initial_state()
    assert net.step(X, net.nominal_flows(), np.full(4, 60.0), d, DT) == pytest.approx(
        net.step(X, net.nominal_flows(), np.full(4, 35.0), d, DT))
    pi = PIBaseline(net, DT)
    _, Fc_pi, _ = pi(0, X + [0, 0, 5.0, 0], d)  # hot reactors: the loops ask for all the coolant
    assert Fc_pi.sum() == pytest.approx(140.0)
    with pytest.raises(InfeasibleSetpointError, match="header"):
        required_coolant(net, net.nominal_flows(), [113.0, 114.0] * 2, d)  # 47-48 kg/h each: 190 > 140


def test_fouled_jacket_lowers_conductance_in_plant_and_steady_state():
    from flowsheets.cstr_network.optimize import plant_steady_state

    net = CSTRNetwork(2, 2)
    d = SCENARIOS["fouled_reactor"].disturbance(net, 10)
    assert d.fouled == ((1, 0.5),) and d == Disturbance(fouled=[(1, 0.5)])  # normalized, hashable
    assert net.ua(d) == pytest.approx(net.params.ua * np.array([1, 0.5, 1, 1]))
    with pytest.raises(DataError, match="fouling factors"):
        Disturbance(fouled={0: 1.5})
    with pytest.raises(DataError, match="fouled reactors"):
        net.ua(Disturbance(fouled={9: 0.5}))
    ss = plant_steady_state(net, d, net.nominal_flows(), np.full(4, 31.0))
    X = ss["X"]
    assert X[1, 2] > X[3, 2] + 0.1 and X[1, 3] < X[3, 3]  # same inputs: the fouled reactor runs hotter, its jacket colder
    assert X[1, 2] - X[1, 3] > 1.8 * (X[3, 2] - X[3, 3])  # half the conductance: about twice the wall temperature drop
    assert X[0] == pytest.approx(X[2], abs=1e-6)  # upstream reactors unaffected
    Fc = required_coolant(net, net.nominal_flows(), X[:, 2], d)
    assert Fc == pytest.approx(31.0, rel=1e-4)  # the setpoint check uses the fouled conductance too


def test_scored_gap_counts_an_optimum_over_the_limits_as_infeasible():
    from flowsheets.cstr_network.optimize import FEASIBILITY_TOL_K, scored_gap

    ok = scored_gap(200.0, 199.0, FEASIBILITY_TOL_K)
    assert ok == {"gap_pct": pytest.approx(0.5), "feasible": True, "counted_pct": pytest.approx(0.5)}
    bad = scored_gap(200.0, 199.6, 2.4)  # 0.2 % short of the optimum, 2.4 K under T_min: not a valid design
    assert bad["gap_pct"] == pytest.approx(0.2) and not bad["feasible"] and bad["counted_pct"] == 100.0
    unsolved = scored_gap(200.0, 199.0, 0.0, solved=False)  # a failed optimizer's point is no optimum
    assert unsolved["feasible"] and unsolved["counted_pct"] == 100.0


def test_multistart_keeps_the_best_optimal_start_and_reports_every_status():
    from flowsheets.cstr_network.optimize import best_start

    runs = [{"ok": False, "status": "maxIterations", "objective": 9.0}, {"ok": True, "status": "optimal", "objective": 2.0},
            {"ok": True, "status": "optimal", "objective": 3.0}]
    best = best_start(runs, "objective")
    assert best["objective"] == 3.0 and (best["n_starts"], best["n_optimal"]) == (3, 2)
    failed = best_start([{**runs[0]}, {"ok": False, "status": "infeasible", "objective": 1.0}], "objective")
    assert not failed["ok"] and failed["n_optimal"] == 0
    assert failed["start_statuses"] == ["maxIterations", "infeasible"]


def test_network_without_shut_trains_runs_like_the_full_one_with_them_isolated():
    net = CSTRNetwork(3, 2)
    d = Disturbance(offline={5}, fouled={1: 0.5, 4: 0.7}, coolant_supply=200.0)
    sub, d_sub, keep = net.without_trains(d, [1])
    assert (sub.n_trains, sub.n_series) == (2, 2) and keep.tolist() == [0, 1, 4, 5]
    assert d_sub.offline == {3} and dict(d_sub.fouled) == {1: 0.5, 2: 0.7} and sub.supply(d_sub) == net.supply(d)
    F, Fc = np.array([150.0, 0.0, 120.0]), np.array([40.0, 30.0, 0.0, 0.0, 50.0, 20.0])
    shut = d.with_(offline={2, 3, 5})  # train 1 isolated in the full network
    X = net.step(net.initial_state(), F, Fc, shut, 0.5)
    X_sub = sub.step(sub.initial_state(), F[[0, 2]], Fc[keep], d_sub, 0.5)
    assert X_sub == pytest.approx(X[keep], abs=1e-6)
    assert sub.throughput(X_sub, F[[0, 2]], d_sub) == pytest.approx(net.throughput(X, F, shut), rel=1e-6)
    with pytest.raises(DataError, match="at least one"):
        net.without_trains(d, [0, 1, 2])
