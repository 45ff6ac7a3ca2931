"""PI baseline vs optimization on learned dynamics, scored on the ground-truth plant.

Needs the models of benchmarks/cstr_network_dynamics.py.  Writes
results/cstr_network_compare.json and cstr_network_compare_<scenario>.png:

1. steady state, per scenario's post-disturbance conditions: product of the PI design point,
   of the learned-network optimum *applied to the plant*, and of the plant optimum from the nominal
   split (``true_opt``, what Ipopt finds from there) and the best of train_flow_starts
   (``true_opt_multistart``: with unequal splits the steady optimum can be higher);
2. closed loop (40 x 30 s): PI baseline (design setpoints) vs PI with the fixed setpoints of
   the true nominal optimum (attribution: how much do better fixed setpoints alone give?) vs
   RTO (learned steady optimum, re-solved on each measured disturbance -> PI setpoints/split);
3. closed loop: economic receding-horizon control on the learned network, hard temperature
   bounds vs relaxed log-barrier, on the scenarios named on the command line.

    .venv/bin/python benchmarks/cstr_network_compare.py [n_steps] [mpc_steps] [kind] [mpc scenarios...]
"""

from __future__ import annotations

import os
import sys

import matplotlib.pyplot as plt
import numpy as np
import torch

from _common import RESULTS, Timer, write_result
from flowsheets.cstr_network.control import PIBaseline, design_setpoints
from flowsheets.cstr_network.learned import DT, load_reactor_model
from flowsheets.cstr_network.optimize import MPCPolicy, RTOPolicy, optimize_steady_state, plant_steady_state, train_flow_starts
from flowsheets.cstr_network.plant import CSTRNetwork
from flowsheets.cstr_network.scenarios import SCENARIOS, run_closed_loop
from flowsheets.cstr_network.steady_state import InfeasibleSetpointError, required_coolant
from idaes_ml.plotting import save_figure


def steady_comparison(net, model, scenario) -> dict:
    d = scenario.disturbance(net, scenario.at)
    out = {}
    F_base = PIBaseline(net, DT).split * net.supply(d)
    try:
        Fc = required_coolant(net, F_base, design_setpoints(net), d)
        out["pi_design"] = plant_steady_state(net, d, F_base, Fc)["product"]
    except InfeasibleSetpointError as exc:
        out["pi_design"] = None
        out["pi_design_infeasible"] = str(exc)
    with Timer() as t:
        r = optimize_steady_state(net, model, d)
    v = plant_steady_state(net, d, r["F"], r["Fc"])
    true = plant_steady_state(net, d, optimize=True)
    multi = plant_steady_state(net, d, optimize=True, starts=train_flow_starts(net, d))
    out.update(learned_opt_status=r["status"], learned_opt_predicted=r["predicted_product"] if r["ok"] else None,
               learned_opt_on_plant=v["product"], learned_opt_plant_violation_K=v["violation_K"],
               learned_opt_s=t.seconds, true_opt=true["product"], true_opt_status=true["status"],
               learned_F=r["F"].round(2).tolist(), learned_Fc=r["Fc"].round(2).tolist(),
               true_F=true["F"].round(2).tolist(), true_Fc=true["Fc"].round(2).tolist(),
               true_opt_multistart=multi["product"], true_multistart_F=multi["F"].round(2).tolist())
    return out


def main(n_steps: int = 40, mpc_steps: int = 16, kind: str = "structured", mpc_scenarios=("coolant_warm",)) -> None:
    torch.set_num_threads(1)
    net = CSTRNetwork(5, 2)
    model = load_reactor_model(RESULTS / "cstr_network_models", kind)
    T_best = np.round(plant_steady_state(net, SCENARIOS["nominal"].disturbance(net, 0), optimize=True)["X"][:, 2], 2) + 0.01
    payload = {"nominal_optimum_setpoints": T_best.round(2).tolist(), "model": kind, "n_reactors": net.n, "dt_h": DT, "steady_state": {}, "closed_loop": {},
               "load_average_at_start": os.getloadavg(), "mpc_horizon": 3}
    for name, sc in SCENARIOS.items():
        payload["steady_state"][name] = steady_comparison(net, model, sc)
        runs = {"pi": run_closed_loop(net, PIBaseline(net, DT), sc, n_steps),
                "pi_nominal_optimum_setpoints": run_closed_loop(net, PIBaseline(net, DT, T_sp=T_best), sc, n_steps),
                "rto_pi": run_closed_loop(net, RTOPolicy(net, model), sc, n_steps)}
        if name in mpc_scenarios:  # same (shorter) window for every policy
            runs["pi_short"] = run_closed_loop(net, PIBaseline(net, DT), sc, mpc_steps)
            runs["rto_pi_short"] = run_closed_loop(net, RTOPolicy(net, model), sc, mpc_steps)
            for mode in ("hard", "barrier"):
                runs[f"mpc_{mode}_short"] = run_closed_loop(net, MPCPolicy(net, model, horizon=3, constraints=mode), sc, mpc_steps)
        payload["closed_loop"][name] = {
            k: {**r.summary, "notes": sorted(set(r.records["note"]) - {""})[:5]} for k, r in runs.items()}
        for k in runs:
            base = runs["pi_short" if k.endswith("_short") else "pi"].summary["throughput_after_disturbance"]
            payload["closed_loop"][name][k]["throughput_vs_pi_pct"] = 100 * (runs[k].summary["throughput_after_disturbance"] / base - 1)
        fig, ax = plt.subplots(1, 2, figsize=(10, 3.4))
        for k, r in runs.items():
            if k in ("pi_short", "rto_pi_short", "pi_nominal_optimum_setpoints"):
                continue
            ax[0].plot(r.records["t_min"], r.records["throughput"], label=k)
            ax[1].plot(r.records["t_min"], r.records["T_max_C"], label=k)
        ax[1].axhline(net.limits.T_max, color="k", ls="--", lw=0.8)
        ax[0].set_ylabel("B product (mol/h)"), ax[1].set_ylabel("hottest reactor (C)")
        for a in ax:
            a.set_xlabel("time (min)")
        ax[0].legend(fontsize=7)
        fig.suptitle(f"scenario {name}")
        save_figure(fig, RESULTS / f"cstr_network_compare_{name}.png")
        payload["load_average_after_" + name] = os.getloadavg()
        print(name, {k: round(v["throughput_after_disturbance"], 1) for k, v in payload["closed_loop"][name].items()}, flush=True)
    print(write_result("cstr_network_compare", payload))


if __name__ == "__main__":
    a = sys.argv[1:]
    main(int(a[0]) if a else 40, int(a[1]) if len(a) > 1 else 16, a[2] if len(a) > 2 else "structured",
         tuple(a[3:]) if len(a) > 3 else ("coolant_warm",))
