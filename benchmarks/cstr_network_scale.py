"""How the CSTR-network problems grow with the number of reactors (10, 50, 200).

Each size runs in a fresh subprocess so its peak memory (ru_maxrss of the Python process:
plant, Pyomo/OMLT models, torch) is its own; the Ipopt child's peak is not separated
(a forked child reports the parent's RSS).  Wall and CPU seconds are both recorded: the
machine is shared, so wall time is inflated by contention (load average recorded).  Per size: plant step time, ground-truth steady-state model size
and true-optimum solve, learned steady-state optimization (OMLT full space) size/build/solve,
and one receding-horizon step (horizon 3) where it fits the time limit.  Needs the models of
cstr_network_dynamics.py.  Writes results/cstr_network_scale.json and a PNG.

    .venv/bin/python benchmarks/cstr_network_scale.py [sizes...]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import matplotlib.pyplot as plt
import numpy as np

from _common import RESULTS, Timer, write_result


def measure(n: int, mpc: bool) -> dict:
    import torch

    from flowsheets.cstr_network.control import PIBaseline, design_state
    from flowsheets.cstr_network.learned import load_reactor_model
    from flowsheets.cstr_network.optimize import MPCPolicy, optimize_steady_state, plant_steady_state
    from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
    from flowsheets.cstr_network.steady_state import build_steady_state

    torch.set_num_threads(1)
    net, d = CSTRNetwork.of_size(n), Disturbance()
    model = load_reactor_model(RESULTS / "cstr_network_models", "structured")
    out = {"n_reactors": n}
    X = design_state(net)
    with Timer() as t:
        for _ in range(5):
            X = net.step(X, net.nominal_flows(), np.full(n, 31.0), d, 1 / 120)
    out["plant_step_s"] = t.seconds / 5
    pi = PIBaseline(net, 1 / 120)
    with Timer() as t:
        pi(0, X, d)
    out["pi_step_s"] = t.seconds
    m = build_steady_state(net, d)
    out["truth_ss_vars"], out["truth_ss_cons"] = m.nvariables(), m.nconstraints()
    true = plant_steady_state(net, d, optimize=True)
    out.update(truth_opt_s=true["solve_s"], truth_opt_status=true["status"], truth_opt_product=true["product"])
    from flowsheets.cstr_network.scenarios import _cpu

    c0 = _cpu()
    r = optimize_steady_state(net, model, d, X_guess=X)
    out["learned_ss_cpu_s"] = _cpu() - c0
    plant = plant_steady_state(net, d, r["F"], r["Fc"])
    out.update(learned_ss_vars=r["n_variables"], learned_ss_cons=r["n_constraints"], learned_ss_build_s=r["build_s"],
               learned_ss_solve_s=r["solve_s"], learned_ss_status=r["status"],
               learned_opt_on_plant=plant["product"], learned_opt_gap_to_true_pct=100 * (1 - plant["product"] / true["product"]))
    if mpc:
        pol = MPCPolicy(net, model, horizon=3)
        t0, c0 = time.perf_counter(), _cpu()
        F, Fc, info = pol(0, X, d)
        out["mpc_first_step_cpu_s"] = _cpu() - c0
        out.update(mpc_first_step_s=time.perf_counter() - t0, mpc_build_s=pol.ctrl.build_s,
                   mpc_solve_s=info.get("solve_s"), mpc_status=info.get("status"),
                   mpc_vars=pol.ctrl.model.nvariables(), mpc_cons=pol.ctrl.model.nconstraints())
        X1 = net.step(X, F, Fc, d, 1 / 120)
        t0, c0 = time.perf_counter(), _cpu()
        _, _, info = pol(1, X1, d)
        out.update(mpc_next_step_s=time.perf_counter() - t0, mpc_next_step_cpu_s=_cpu() - c0, mpc_next_status=info.get("status"))
    out["load_average"] = os.getloadavg()
    out["peak_rss_mb_python"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(sizes=(10, 50, 200)) -> None:
    rows = []
    for n in sizes:
        cmd = [sys.executable, __file__, "--worker", str(n), "1" if n <= 50 else "0"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
        if proc.returncode:
            rows.append({"n_reactors": n, "error": proc.stderr[-2000:]})
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["wall_s"] = time.perf_counter() - t0
        rows.append(row)
        print(row, flush=True)
    ok = [r for r in rows if "error" not in r]
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.4))
    ns = [r["n_reactors"] for r in ok]
    ax[0].loglog(ns, [r["learned_ss_vars"] for r in ok], "o-", label="learned SS (OMLT)")
    ax[0].loglog(ns, [r["truth_ss_vars"] for r in ok], "s-", label="ground-truth SS")
    ax[0].set_ylabel("variables")
    ax[1].loglog(ns, [r["learned_ss_solve_s"] for r in ok], "o-", label="learned SS solve")
    ax[1].loglog(ns, [r["truth_opt_s"] for r in ok], "s-", label="ground-truth SS solve")
    ax[1].loglog(ns, [r["plant_step_s"] for r in ok], "^-", label="plant 30 s step")
    ax[1].set_ylabel("seconds")
    ax[2].plot(ns, [r["peak_rss_mb_python"] for r in ok], "o-", label="python process")
    ax[2].set_ylabel("peak RSS (MB)")
    for a in ax:
        a.set_xlabel("reactors")
        a.legend(fontsize=7)
    from idaes_ml.plotting import save_figure

    save_figure(fig, RESULTS / "cstr_network_scale.png")
    print(write_result("cstr_network_scale", {"sizes": rows}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(measure(int(sys.argv[2]), sys.argv[3] == "1"), default=float))
    else:
        main(tuple(int(a) for a in sys.argv[1:]) or (10, 50, 200))
