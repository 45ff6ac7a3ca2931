"""Solver throughput: re-solve overhead of the persistent Ipopt, and P1 on the shower against opyrability.

    python benchmarks/solver_throughput.py [--opyr-python /tmp/opyr-venv/bin/python] [--repeats 200]
                                           [--p1-repeats 3] [--no-oneoff] [--relu-time-limit 60] [--relu-gap 0.01]

Writes benchmarks/results/solver_throughput.json:

* ``resolve_overhead``: the shower's P1 NLP (4 variables, 2 constraints) compiled once
  (:class:`idaes_ml.solvers.persistent.PersistentIpopt`) and re-solved ``--repeats`` times at
  random targets; per solve, the call's wall time minus Ipopt's own time (casadi's
  ``t_wall_total``): median and 90th percentile [ms].
* ``p1_shower_10x10``: P1 over the 10x10 grid of the DOS F in [10, 20], T in [70, 100]
  (AIS 1 <= Fc, Fh <= 10) by ``inverse_map`` (persistent, serial) and by opyrability's
  ``nlp_based_approach`` (its defaults: Pounce, in-process; run in opyrability's own venv,
  benchmarks/opyrability_p1_shower.py, timed inside that process around the call): the
  fastest of ``--p1-repeats`` runs on each side (the machine may be shared; all runs are
  kept; ``*_cpu_s``: process CPU time, which a loaded machine distorts less than wall time;
  the load average is recorded); ``ours_batch_*``: ``inverse_map(..., batch=True)``, the
  100 points as one NLP of independent copies (one Ipopt call, no neighbour warm start);
  ``ours_dual_warm_start_*``: the same with Ipopt's primal-dual
  warm start from the neighbour (``WARM_START_OPTIONS`` as the model's solver options, not
  the default); and ``ours_oneoff_s``, one run with every solve through ``SolverFactory('ipopt')``
  (``persistent=False``, the path before the persistent solver). A point is reached when
  every output is within 1e-4 (relative) of its target. ``opyrability_s`` is null, with
  the reason, when opyrability's interpreter is missing or fails.
* ``relu_milp``: y0 of nn_embedding.py's random ReLU networks 2 x 32 and 2 x 64 (4 inputs in
  [0, 1]) minimized by :func:`idaes_ml.solvers.relu_milp.minimize_relu` (bound tightening,
  local-search incumbent, HiGHS) within ``--relu-time-limit`` seconds in all, stopping at
  the relative gap ``--relu-gap``: status, gap, seconds (wall; CPU), objective and proven bound.
  The limits are wall-clock: on a loaded machine they cut the solve short.

Ours runs after the overhead measurement in the same process (imports and Ipopt's plugin loaded).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pyomo.environ as pyo

from _common import write_result
from flowsheets.operability import shower
from idaes_ml.operability import Region, inverse_map
from idaes_ml.solvers.persistent import WARM_START_OPTIONS, PersistentIpopt

DOS = {"F": (10.0, 20.0), "T": (70.0, 100.0)}
RTOL = 1e-4
HERE = Path(__file__).resolve().parent


def shower_p1_model() -> pyo.ConcreteModel:
    """The shower with P1's objective over mutable targets (what inverse_map builds)."""
    m = shower.build_pyomo().model
    for v in (m.Fc, m.Fh):
        v.setlb(1.0)
        v.setub(10.0)
    m.t = pyo.Param(["F", "T"], mutable=True, initialize={"F": 12.0, "T": 85.0})
    m.o = pyo.Objective(expr=((m.F - m.t["F"]) / m.t["F"]) ** 2 + ((m.T - m.t["T"]) / m.t["T"]) ** 2)
    return m


def resolve_overhead(repeats: int, seed: int = 0) -> dict:
    """Median/p90 of (wall - Ipopt) over re-solves at random targets in the DOS."""
    m = shower_p1_model()
    opt = PersistentIpopt()
    opt.set_instance(m)
    rng = np.random.default_rng(seed)
    outside, ipopt, iters, ok = [], [], [], 0
    for _ in range(repeats):
        m.t["F"] = rng.uniform(*DOS["F"])
        m.t["T"] = rng.uniform(*DOS["T"])
        ok += pyo.check_optimal_termination(opt.solve(m))
        outside.append(opt.last.wall_s - opt.last.ipopt_s)
        ipopt.append(opt.last.ipopt_s)
        iters.append(opt.last.iterations)
    return {"model": "shower P1 NLP (4 variables, 2 constraints)", "solves": repeats, "optimal": ok,
            "overhead_median_ms": round(1e3 * float(np.median(outside)), 4),
            "overhead_p90_ms": round(1e3 * float(np.percentile(outside, 90)), 4),
            "ipopt_median_ms": round(1e3 * float(np.median(ipopt)), 4),
            "iterations_median": float(np.median(iters)), "rebuilds": opt.rebuilds}


def _reached(targets: np.ndarray, outputs: np.ndarray) -> set[tuple]:
    with np.errstate(invalid="ignore"):
        hit = (np.abs(outputs - targets) <= RTOL * np.abs(targets)).all(axis=1)
    return {tuple(np.round(t, 9)) for t in targets[hit]}


def ours(persistent: bool, repeats: int, options: dict | None = None, batch: bool = False
         ) -> tuple[list[float], list[float], set[tuple]]:
    """Wall and CPU seconds of each of ``repeats`` inverse_map runs on the 10x10 shower grid (Ipopt
    ``options``, ``batch`` as in inverse_map), and the reached targets (last run)."""
    seconds, cpu = [], []
    model = shower.pyomo_model()
    model.solver_options = dict(options or {})
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        res = inverse_map(model, shower.ais(), Region.box(DOS, name="DOS"), 10, progress=False,
                          persistent=persistent, batch=batch)
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t = res.table
    return seconds, cpu, _reached(t[["target:F", "target:T"]].to_numpy(float), t[["F", "T"]].to_numpy(float))


def opyrability(python: str, repeats: int) -> tuple[dict | None, str]:
    """opyrability's P1 in its own interpreter; (result, "") or (None, why not)."""
    if not Path(python).exists():
        return None, (f"no interpreter at {python} (python -m venv /tmp/opyr-venv && "
                      "/tmp/opyr-venv/bin/pip install opyrability)")
    spec = json.dumps({"dos": list(DOS.values()), "n": 10, "repeats": repeats})
    run = subprocess.run([python, str(HERE / "opyrability_p1_shower.py"), spec], capture_output=True, text=True,
                         timeout=600)
    if run.returncode != 0:
        return None, f"opyrability run failed: {run.stderr.strip().splitlines()[-1:]}"
    return json.loads(run.stdout.strip().splitlines()[-1]), ""


def p1_shower(python: str, oneoff: bool, repeats: int) -> dict:
    """The 10x10 shower P1 comparison (opyrability first, in its own process); times are the
    fastest of ``repeats`` runs on each side (the machine is shared), every run's time is kept."""
    theirs, why = opyrability(python, repeats)
    ours_runs, ours_cpu, ours_reached = ours(True, repeats)
    out = {"dos": DOS, "ais": shower.AIS_BOUNDS, "reached_rtol": RTOL, "repeats": repeats,
           "ours_s": round(min(ours_runs), 4), "ours_runs_s": [round(t, 4) for t in ours_runs],
           "ours_cpu_s": round(min(ours_cpu), 4), "reached_ours": len(ours_reached)}
    if theirs is None:
        out.update({"opyrability_s": None, "reached_opyrability": None, "opyrability_note": why})
    else:
        their_reached = _reached(np.array(theirs["targets"]), np.array(theirs["outputs"]))
        out.update({"opyrability_s": round(min(theirs["seconds"]), 4),
                    "opyrability_runs_s": [round(t, 4) for t in theirs["seconds"]],
                    "opyrability_cpu_s": round(min(theirs["cpu_seconds"]), 4),
                    "cpu_speedup_vs_opyrability": round(min(theirs["cpu_seconds"]) / min(ours_cpu), 2),
                    "reached_opyrability": len(their_reached), "same_reached_set": ours_reached == their_reached,
                    "speedup_vs_opyrability": round(min(theirs["seconds"]) / min(ours_runs), 2),
                    "opyrability_version": theirs["version"]})
    batch_runs, batch_cpu, batch_reached = ours(True, repeats, batch=True)
    out.update({"ours_batch_s": round(min(batch_runs), 4), "ours_batch_cpu_s": round(min(batch_cpu), 4),
                "batch_same_reached_set": batch_reached == ours_reached})
    if theirs is not None:
        out["batch_speedup_vs_opyrability"] = round(min(theirs["seconds"]) / min(batch_runs), 2)
        out["batch_cpu_speedup_vs_opyrability"] = round(min(theirs["cpu_seconds"]) / min(batch_cpu), 2)
    warm_runs, warm_cpu, warm_reached = ours(True, repeats, WARM_START_OPTIONS)
    out.update({"ours_dual_warm_start_s": round(min(warm_runs), 4),
                "ours_dual_warm_start_cpu_s": round(min(warm_cpu), 4),
                "dual_warm_start_same_reached_set": warm_reached == ours_reached})
    if oneoff:
        oneoff_runs, _, oneoff_reached = ours(False, 1)
        out.update({"ours_oneoff_s": round(oneoff_runs[0], 4), "reached_ours_oneoff": len(oneoff_reached),
                    "oneoff_same_reached_set": oneoff_reached == ours_reached})
    return out


def relu_milp(time_limit: float, mip_gap: float) -> dict:
    """Minimize y0 of nn_embedding.py's ReLU benchmark networks (2 x 32, 2 x 64) with minimize_relu."""
    from nn_embedding import make_surrogate

    from idaes_ml.nn import load_network
    from idaes_ml.solvers.relu_milp import minimize_relu

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for width in (32, 64):
            make_surrogate(width, 2, "relu", "relu_bigm", Path(tmp))
            net = load_network(tmp, f"relu_{width}x2").to_scaled_network()
            c0 = time.process_time()
            res = minimize_relu(net, "y0", time_limit=time_limit, mip_gap=mip_gap)
            out[f"2x{width}"] = {"status": res.status, "gap": res.gap, "time_s": round(res.time_s, 3),
                                 "cpu_s": round(time.process_time() - c0, 3),
                                 "objective": res.objective, "bound": res.bound,
                                 "bounds_time_s": round(res.bounds_time_s, 3),
                                 "incumbent_objective": res.incumbent_objective, "n_binary": res.n_binary,
                                 "n_stable": res.n_stable}
            print(width, out[f"2x{width}"], flush=True)
    return {"time_limit_s": time_limit, "mip_gap": mip_gap, "solver": "HiGHS (highspy)", **out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--opyr-python", default="/tmp/opyr-venv/bin/python")
    ap.add_argument("--repeats", type=int, default=200, help="re-solves timed for the overhead")
    ap.add_argument("--p1-repeats", type=int, default=3, help="P1 runs per side (fastest reported)")
    ap.add_argument("--no-oneoff", action="store_true", help="skip the SolverFactory('ipopt') P1 run")
    ap.add_argument("--relu-time-limit", type=float, default=60.0, help="0 skips the ReLU MILPs")
    ap.add_argument("--relu-gap", type=float, default=0.01, help="HiGHS's relative MIP gap to stop at")
    args = ap.parse_args()
    payload = {"load_average_at_start": os.getloadavg(), "resolve_overhead": resolve_overhead(args.repeats)}
    print(payload)
    payload["p1_shower_10x10"] = p1_shower(args.opyr_python, not args.no_oneoff, args.p1_repeats)
    print(payload["p1_shower_10x10"])
    if args.relu_time_limit > 0:
        payload["relu_milp"] = relu_milp(args.relu_time_limit, args.relu_gap)
    payload["load_average_at_end"] = os.getloadavg()
    write_result("solver_throughput", payload)


if __name__ == "__main__":
    main()
