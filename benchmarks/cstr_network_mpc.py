"""Receding-horizon control on the learned network vs the PI baseline, long closed loops on the plant.

Needs the models of cstr_network_dynamics.py.  Two modes (independent runs through
idaes_ml.parallel.map; ``workers`` > 1 = a local Dask cluster of single-threaded processes):

* ``scenarios``: 10 reactors, every scenario, PI baseline vs RTO->PI vs MPC (hard bounds) vs MPC
  (relaxed log barrier), ``n_steps`` x 30 s each -> results/cstr_network_mpc.json + _mpc.png.
  Scored on the scipy plant: B product (throughput), economic objective (product minus
  COOLANT_PRICE x coolant, the quantity the optimizers maximize), temperature-limit violations,
  policy time per step (wall and CPU incl. the solver), fallbacks, out-of-domain steps;
* ``scale``: one scenario at 10, 50 and 200 reactors (PI vs MPC hard, horizon ``horizon`` at
  every size; ``n_steps`` at 10/50, ``n_steps_200`` at 200), each job in a fresh single-worker
  Dask process so its peak memory is its own -> results/cstr_network_mpc_scale.json + .png:
  policy time per step, MPC model size, peak RSS of the worker process.  The Ipopt subprocess
  (casadi's Ipopt behind the AMPL shim) is not measured: on Linux a child's ru_maxrss starts from
  the parent's RSS at fork/exec, so it would only repeat the worker's number.

    .venv/bin/python benchmarks/cstr_network_mpc.py scenarios [n_steps] [workers]
    .venv/bin/python benchmarks/cstr_network_mpc.py scale [n_steps] [n_steps_200] [horizon] [scenario]
"""

from __future__ import annotations

import os
import sys

import matplotlib.pyplot as plt
import numpy as np

from _common import RESULTS, Timer, write_result
from flowsheets.cstr_network.campaign import CampaignJob, closed_loop_job
from flowsheets.cstr_network.optimize import COOLANT_PRICE
from flowsheets.cstr_network.plant import OperatingLimits
from flowsheets.cstr_network.scenarios import SCENARIOS
from idaes_ml.parallel import map as pmap
from idaes_ml.plotting import save_figure

MODELS = str(RESULTS / "cstr_network_models")
SIZES = (10, 50, 200)  # reactors in scale mode
KEYS = ("throughput_after_disturbance", "throughput_final", "reactors_in_use_mean", "T_std_mean_K", "throughput_std",
        "constraint_violation_steps", "constraint_violation_K_max", "policy_s_per_step_mean", "policy_s_per_step_max",
        "policy_cpu_s_per_step_mean", "fallbacks", "out_of_domain_steps", "n_steps")


def _row(job: CampaignJob, out: dict) -> dict:
    """Summary metrics of one run plus the economic objective after the disturbance and timing details."""
    rec = out["records"]
    after = np.array(rec["k"]) >= SCENARIOS[job.scenario].at
    econ = np.array(rec["throughput"]) - COOLANT_PRICE * np.array(rec["coolant"])
    return {**{k: out["summary"][k] for k in KEYS},
            "economic_after_disturbance": float(econ[after].mean()),
            "coolant_after_disturbance_kg_h": float(np.mean(np.array(rec["coolant"])[after])),
            "policy_s_per_step_median": float(np.median(rec["policy_s"])),
            "policy_s_first_steps": [round(v, 3) for v in rec["policy_s"][:6]],
            "notes": sorted(set(rec["note"]) - {""})[:4]}


def _vs_pi(rows: dict) -> None:
    """Add throughput/economic change relative to the PI run (percent), in place."""
    if "pi" not in rows:
        return
    for pol, row in rows.items():
        if pol != "pi":
            for key in ("throughput", "economic"):
                row[f"{key}_vs_pi_pct"] = 100 * (row[f"{key}_after_disturbance"] / rows["pi"][f"{key}_after_disturbance"] - 1)


def _report_failures(res) -> None:
    for r in res.failures:
        print("FAILED", r.item, r.error[-1500:], flush=True)


def scenarios(n_steps: int = 60, workers: int = 1) -> None:
    policies = ("pi", "rto_pi", "mpc_hard", "mpc_barrier")
    jobs = [CampaignJob(10, sc, pol, n_steps, 3, model_dir=MODELS) for sc in SCENARIOS for pol in policies]
    with Timer() as t:
        res = pmap(closed_loop_job, jobs, client=workers if workers > 1 else None, desc="closed loops (10 reactors)")
    _report_failures(res)
    outs = res.values(strict=False)
    payload = {"n_reactors": 10, "n_steps": n_steps, "dt_h": 1 / 120, "mpc_horizon": 3, "model": "structured",
               "coolant_price": COOLANT_PRICE, "plant": "scipy BDF (CSTRNetwork)", "workers": workers,
               "wall_s_total": t.seconds, "load_average_at_end": os.getloadavg(), "scenarios": {}}
    fig, ax = plt.subplots(2, len(SCENARIOS), figsize=(4 * len(SCENARIOS), 6.4), sharex=True)
    for i, sc in enumerate(SCENARIOS):
        runs = {job.policy: (job, out) for job, out in zip(jobs, outs) if job.scenario == sc and out is not None}
        rows = {pol: _row(job, out) for pol, (job, out) in runs.items()}
        _vs_pi(rows)
        failed = [job.policy for job, out in zip(jobs, outs) if job.scenario == sc and out is None]
        payload["scenarios"][sc] = {"disturbance_at_step": SCENARIOS[sc].at, "runs": rows, "failed_runs": failed}
        for pol, (_, out) in runs.items():
            ax[0, i].plot(out["records"]["t_min"], out["records"]["throughput"], label=pol)
            ax[1, i].plot(out["records"]["t_min"], out["records"]["T_max_C"], label=pol)
        ax[1, i].axhline(OperatingLimits().T_max, color="k", ls="--", lw=0.8)
        ax[0, i].set_title(sc), ax[1, i].set_xlabel("time (min)")
        print(sc, {p: (round(r["throughput_after_disturbance"], 1), round(r["economic_after_disturbance"], 1),
                       r["constraint_violation_steps"], round(r["policy_s_per_step_mean"], 2), r["fallbacks"])
                   for p, r in rows.items()}, flush=True)
    ax[0, 0].set_ylabel("B product (mol/h)"), ax[1, 0].set_ylabel("hottest reactor (C)")
    ax[0, 0].legend(fontsize=7)
    save_figure(fig, RESULTS / "cstr_network_mpc.png")
    print(write_result("cstr_network_mpc", payload))


def _scale_plot(payload: dict) -> None:
    sizes = [int(n) for n in payload["sizes"]]
    runs = [payload["sizes"][str(n)]["runs"] for n in sizes]
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.6))
    for pol in ("pi", "mpc_hard"):
        ok = [(n, r[pol]) for n, r in zip(sizes, runs) if pol in r]
        ax[0].loglog([n for n, _ in ok], [max(r["policy_s_per_step_median"], 1e-5) for _, r in ok], "o-", label=f"{pol} median")
        ax[2].plot([n for n, _ in ok], [r["peak_rss_mb_worker"] for _, r in ok], "o-", label=f"{pol} worker")
    mpc = [(n, r["mpc_hard"]) for n, r in zip(sizes, runs) if "mpc_hard" in r]
    ax[0].loglog([n for n, _ in mpc], [r["policy_s_per_step_max"] for _, r in mpc], "s:", label="mpc_hard max (rebuild)")
    ax[1].loglog([n for n, _ in mpc], [r["model_size"]["n_variables"] for _, r in mpc], "o-", label="variables")
    ax[1].loglog([n for n, _ in mpc], [r["model_size"]["n_constraints"] for _, r in mpc], "s--", label="constraints")
    for a, yl in zip(ax, ("policy wall s / step", "MPC model size", "peak RSS (MB)")):
        a.set_xlabel("reactors"), a.set_ylabel(yl), a.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, RESULTS / "cstr_network_mpc_scale.png")


def scale(n_steps: int = 20, n_steps_200: int = 10, horizon: int = 3, scenario: str = "coolant_warm") -> None:
    payload = {"scenario": scenario, "dt_h": 1 / 120, "model": "structured", "mpc_horizon": horizon,
               "coolant_price": COOLANT_PRICE, "memory": "peak RSS of a fresh single-worker Dask process per job (Python: plant, Pyomo/OMLT, torch); Ipopt subprocess not measured", "sizes": {}}
    for n in SIZES:
        sized = [CampaignJob(n, scenario, pol, n_steps_200 if n == 200 else n_steps, horizon, model_dir=MODELS)
                 for pol in ("pi", "mpc_hard")]
        runs, failed = {}, []
        with Timer() as t:
            for job in sized:  # one fresh worker process per job: its peak RSS is this job's
                res = pmap(closed_loop_job, [job], client=1, desc=f"{job.policy} ({n} reactors)")
                _report_failures(res)
                out = res.values(strict=False)[0]
                if out is None:
                    failed.append(job.policy)
                    continue
                runs[job.policy] = {**_row(job, out), "model_size": out["model_size"], "peak_rss_mb_worker": out["peak_rss_mb"]}
        _vs_pi(runs)
        payload["sizes"][str(n)] = {"n_steps": sized[0].n_steps, "wall_s_total": t.seconds, "runs": runs,
                                    "failed_runs": failed, "load_average_at_end": os.getloadavg()}
        print(n, {p: (round(r["economic_after_disturbance"], 1), round(r["policy_s_per_step_median"], 2),
                      round(r["peak_rss_mb_worker"])) for p, r in runs.items()}, flush=True)
        write_result("cstr_network_mpc_scale", payload)  # partial results survive a later time-out
    _scale_plot(payload)
    print(RESULTS / "cstr_network_mpc_scale.json")


if __name__ == "__main__":
    a = sys.argv[1:]
    if not a or a[0] not in ("scenarios", "scale"):
        raise SystemExit(__doc__)
    if a[0] == "scenarios":
        scenarios(*(int(v) for v in a[1:3]))
    else:
        scale(*(int(v) for v in a[1:4]), *a[4:5])
