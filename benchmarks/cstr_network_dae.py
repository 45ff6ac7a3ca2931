"""Pyomo.DAE ground truth vs the scipy (BDF) plant: same steady state, same trajectories, same PI metrics.

1. steady state: the DAE network run to rest under fixed inputs vs the Pyomo steady state of
   steady_state.py (and the DAE step from that steady state: does it stay put?);
2. closed loop: the PI baseline on both plant backends for every scenario (10 reactors,
   ``n_steps`` x 30 s), summary metrics side by side, max state difference, time per plant step.
   Writes results/cstr_network_dae.json.

    .venv/bin/python benchmarks/cstr_network_dae.py [n_steps] [workers]
"""

from __future__ import annotations

import sys

import numpy as np

from _common import Timer, write_result
from flowsheets.cstr_network.campaign import CampaignJob, closed_loop_job
from flowsheets.cstr_network.dae import DaePlant
from flowsheets.cstr_network.optimize import plant_steady_state
from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
from flowsheets.cstr_network.scenarios import SCENARIOS
from idaes_ml.parallel import map as pmap

METRICS = ("throughput_mean", "throughput_after_disturbance", "throughput_final", "reactors_in_use_mean", "T_std_mean_K",
           "constraint_violation_steps", "constraint_violation_K_max", "fallbacks")


def steady_check(n: int = 10) -> dict:
    net, d = CSTRNetwork.of_size(n), Disturbance(Tc_in=98.0, offline={2})
    F = np.linspace(110.0, 170.0, net.n_trains)
    Fc = np.linspace(20.0, 55.0, net.n)
    ss = plant_steady_state(net, d, F, Fc)
    plant = DaePlant(net)
    X = net.initial_state()
    with Timer() as t:
        for _ in range(8):
            X = plant.step(X, F, Fc, d, 0.5)
    X_ss = ss["X"].copy()
    X_ss[2] = X[2]  # offline reactor: contents held wherever they were
    still = plant.step(X_ss, F, Fc, d, 1 / 120)
    return {"n_reactors": n, "pyomo_ss_status": ss["status"], "dae_after_4h_vs_pyomo_ss_max_abs": np.abs(X - X_ss).max(axis=0).tolist(),
            "dae_step_from_pyomo_ss_max_abs_change": np.abs(still - X_ss).max(axis=0).tolist(), "dae_4h_s": t.seconds,
            "states": ["cA", "cB", "T", "TK"]}


def main(n_steps: int = 60, workers: int = 1) -> None:
    jobs = [CampaignJob(10, sc, "pi", n_steps, plant=pl) for sc in SCENARIOS for pl in ("scipy", "dae")]
    with Timer() as t:
        outs = pmap(closed_loop_job, jobs, client=workers if workers > 1 else None, desc="PI on both plants").values()
    payload = {"n_reactors": 10, "n_steps": n_steps, "dt_h": 1 / 120, "collocation": "Radau, 4 elements x 3 points per 30 s sample",
               "wall_s_total": t.seconds, "steady_state": steady_check(), "closed_loop": {}}
    for sc in SCENARIOS:
        a, b = (next(o for j, o in zip(jobs, outs) if j.scenario == sc and j.plant == pl) for pl in ("scipy", "dae"))
        diff = np.abs(np.array(a["states"]) - np.array(b["states"])).max(axis=(0, 1))
        payload["closed_loop"][sc] = {
            "scipy": {k: a["summary"][k] for k in METRICS}, "dae": {k: b["summary"][k] for k in METRICS},
            "max_rel_diff_throughput": float(np.max(np.abs(np.array(a["records"]["throughput"]) - b["records"]["throughput"])
                                                    / np.array(a["records"]["throughput"]))),
            "max_abs_state_diff": dict(zip(("cA", "cB", "T", "TK"), diff.tolist())),
            "plant_s_per_step": {"scipy": a["summary"]["plant_s_per_step_mean"], "dae": b["summary"]["plant_s_per_step_mean"]},
        }
        print(sc, payload["closed_loop"][sc]["max_abs_state_diff"], payload["closed_loop"][sc]["plant_s_per_step"], flush=True)
    print(write_result("cstr_network_dae", payload))


if __name__ == "__main__":
    main(*(int(v) for v in sys.argv[1:3]))
