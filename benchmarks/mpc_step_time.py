"""Per-step MPC time on the 10-reactor network: the ``.nl`` path before the persistent Ipopt, and after.

    OMP_NUM_THREADS=1 python benchmarks/mpc_step_time.py [--steps 12] [--scenario coolant_warm] [--horizon 3]

The economic MPC (hard temperature bounds, learned structured model of
results/cstr_network_models) runs the same closed loop on the scipy plant twice in one
process, alternating nothing else: ``SolverFactory('ipopt')`` for every step
(``persistent=False``, the path before issue 16) and the in-process persistent Ipopt
(``persistent=True``: compiled once per rebuild, re-solved with new values). Writes
results/mpc_step_time.json: per policy the median / mean / max seconds per step (wall; the
first step, which builds the model, reported apart), and the largest difference of the
total feed, coolant and throughput between the two closed loops (the same NLPs: they
should agree to solver tolerance).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from _common import RESULTS, write_result
from flowsheets.cstr_network.learned import DT, load_reactor_model
from flowsheets.cstr_network.optimize import MPCPolicy
from flowsheets.cstr_network.plant import CSTRNetwork
from flowsheets.cstr_network.scenarios import SCENARIOS, run_closed_loop


def closed_loop(persistent: bool, steps: int, scenario: str, horizon: int) -> tuple[dict, np.ndarray]:
    """Seconds per MPC step, and each step's total feed, coolant and throughput."""
    net = CSTRNetwork.of_size(10)
    model = load_reactor_model(RESULTS / "cstr_network_models", "structured")
    policy = MPCPolicy(net, model, horizon=horizon, constraints="hard", persistent=persistent)
    res = run_closed_loop(net, policy, SCENARIOS[scenario], steps, DT)
    s = res.records["policy_s"].to_numpy(float)
    applied = res.records[["feed", "coolant", "throughput"]].to_numpy(float)
    return ({"first_step_s": round(float(s[0]), 3), "median_s": round(float(np.median(s[1:])), 4),
             "mean_s": round(float(np.mean(s[1:])), 4), "max_s": round(float(np.max(s[1:])), 3),
             "fallbacks": int(res.records["fallback"].sum()) if "fallback" in res.records else None}, applied)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--scenario", default="coolant_warm", choices=sorted(SCENARIOS))
    ap.add_argument("--horizon", type=int, default=3)
    args = ap.parse_args()
    load = os.getloadavg()
    before, u_before = closed_loop(False, args.steps, args.scenario, args.horizon)
    print("before", before, flush=True)
    after, u_after = closed_loop(True, args.steps, args.scenario, args.horizon)
    print("after", after, flush=True)
    payload = {"reactors": 10, "scenario": args.scenario, "horizon": args.horizon, "steps": args.steps,
               "before_solverfactory": before, "after_persistent": after,
               "median_speedup": round(before["median_s"] / after["median_s"], 2),
               "closed_loop_max_abs_diff": dict(zip(("feed", "coolant", "throughput"),
                                                    np.abs(u_before - u_after).max(axis=0).round(6).tolist())),
               "load_average_at_start": load, "load_average_at_end": os.getloadavg()}
    print("wrote", write_result("mpc_step_time", payload))


if __name__ == "__main__":
    main()
