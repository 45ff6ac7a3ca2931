"""Ipopt/HiGHS cost of evaluating and inverting embedded networks, and the Ipopt bridge's overhead.

    .venv/bin/python benchmarks/nn_embedding.py            # full grid (widths 16-256, depths 1-4)
    .venv/bin/python benchmarks/nn_embedding.py --quick    # a small grid for a smoke run

For each tanh network (4 inputs -> 2 outputs, default PyTorch initialization,
scalers from a uniform sample) and each smooth formulation it records
 * evaluate: inputs fixed, the square system solved;
 * invert: outputs fixed at the network's value at a hidden input, inputs free
   in their bounds, nearest point to the box centre sought;
with wall time, Ipopt's own time and iterations (parsed from the Ipopt log) and
the time our bridge spends outside Ipopt (running the ``ipopt`` command on the
same ``.nl`` file minus Ipopt's reported time). ReLU networks are minimized
over the input box as MILPs with HiGHS (big-M vs partition).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

import idaes  # noqa: F401 - puts IDAES's bin directory (our ipopt launcher) on PATH
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from _common import write_result
from idaes.core.surrogate.surrogate_block import SurrogateBlock
from pyomo.contrib.appsi.solvers import Highs
from tqdm import tqdm

from idaes_ml.nn import ScaledNetwork, export_onnx
from idaes_ml.surrogate import OnnxSurrogate

N_IN, N_OUT = 4, 2


def make_surrogate(width: int, depth: int, activation: str, formulation: str, tmp: Path) -> OnnxSurrogate:
    """A random network of the given shape, exported and loaded as an OnnxSurrogate."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(0, 1, (64, N_IN)), columns=[f"u{i}" for i in range(N_IN)])
    Y = pd.DataFrame(rng.normal(size=(64, N_OUT)), columns=[f"y{i}" for i in range(N_OUT)])
    net = ScaledNetwork.from_data(X, Y, hidden=(width,) * depth, activation=activation, seed=width + depth)
    name = f"{activation}_{width}x{depth}"
    export_onnx(net, tmp, name, input_bounds={c: (0.0, 1.0) for c in X.columns})
    return OnnxSurrogate.load(tmp, name, formulation=formulation)


def build(surr: OnnxSurrogate, formulation: str) -> pyo.ConcreteModel:
    """Inputs u[0..3] in [0, 1], outputs y[0..1], the network on a SurrogateBlock."""
    m = pyo.ConcreteModel()
    m.u = pyo.Var(range(N_IN), bounds=(0, 1), initialize=0.5)
    m.y = pyo.Var(range(N_OUT), initialize=0.0)
    m.nn = SurrogateBlock(concrete=True)
    m.nn.build_model(surr, input_vars=[m.u[i] for i in range(N_IN)], output_vars=[m.y[j] for j in range(N_OUT)],
                     formulation=formulation)
    return m


def ipopt_log_stats(log: str) -> tuple[float, int]:
    """Ipopt's own seconds and iteration count from its log."""
    secs = re.search(r"Total seconds in IPOPT\s*=\s*([0-9.eE+-]+)", log)
    its = re.search(r"Number of Iterations\.*:\s*(\d+)", log)
    return (float(secs.group(1)) if secs else float("nan"), int(its.group(1)) if its else -1)


def bridge_overhead(m: pyo.ConcreteModel, tmp: Path) -> float:
    """Seconds the ``ipopt`` command spends outside Ipopt on the model's ``.nl`` file."""
    nl = tmp / "bridge.nl"
    m.write(str(nl), format="nl")
    t0 = time.perf_counter()
    run = subprocess.run(["ipopt", str(nl), "-AMPL"], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    ipopt_s, _ = ipopt_log_stats(run.stdout)
    return wall - ipopt_s


def solve_ipopt(m: pyo.ConcreteModel, tmp: Path) -> dict:
    """Solve with SolverFactory('ipopt'); wall time, Ipopt time, iterations, bridge overhead."""
    log = tmp / "ipopt.log"
    overhead = bridge_overhead(m, tmp)
    t0 = time.perf_counter()
    res = pyo.SolverFactory("ipopt").solve(m, logfile=str(log))
    wall = time.perf_counter() - t0
    ipopt_s, iters = ipopt_log_stats(log.read_text())
    return {
        "status": str(res.solver.termination_condition),
        "wall_s": wall,
        "ipopt_s": ipopt_s,
        "iterations": iters,
        "bridge_overhead_s": overhead,
        "n_vars": sum(1 for v in m.component_data_objects(pyo.Var, active=True) if not v.fixed),
    }


def smooth_case(width: int, depth: int, formulation: str, tmp: Path) -> list[dict]:
    """Evaluate and invert one network with one smooth formulation."""
    surr = make_surrogate(width, depth, "tanh", formulation, tmp)
    rng = np.random.default_rng(width * 10 + depth)
    u_true = rng.uniform(0.2, 0.8, N_IN)
    y_true = surr.evaluate_surrogate(pd.DataFrame([u_true], columns=surr.input_labels())).to_numpy()[0]
    rows = []
    m = build(surr, formulation)
    for i in range(N_IN):
        m.u[i].fix(u_true[i])
    out = solve_ipopt(m, tmp)
    out["max_abs_err"] = float(np.max(np.abs([pyo.value(m.y[j]) - y_true[j] for j in range(N_OUT)])))
    rows.append({"task": "evaluate", **out})
    m = build(surr, formulation)
    for j in range(N_OUT):
        m.y[j].fix(y_true[j])
    m.obj = pyo.Objective(expr=sum((m.u[i] - 0.5) ** 2 for i in range(N_IN)))
    out = solve_ipopt(m, tmp)
    u_hat = [pyo.value(m.u[i]) for i in range(N_IN)]
    y_hat = surr.evaluate_surrogate(pd.DataFrame([u_hat], columns=surr.input_labels())).to_numpy()[0]
    out["max_abs_err"] = float(np.max(np.abs(y_hat - y_true)))
    rows.append({"task": "invert", **out})
    return [{"width": width, "depth": depth, "formulation": formulation, **r} for r in rows]


def relu_case(width: int, depth: int, formulation: str, tmp: Path, time_limit: float) -> dict:
    """Minimize y0 of a ReLU network over the input box with HiGHS."""
    m = build(make_surrogate(width, depth, "relu", formulation, tmp), formulation)
    m.obj = pyo.Objective(expr=m.y[0])
    opt = Highs()
    opt.config.time_limit = time_limit
    opt.config.load_solution = False
    t0 = time.perf_counter()
    res = opt.solve(m)
    wall = time.perf_counter() - t0
    return {"width": width, "depth": depth, "formulation": formulation,
            "status": str(res.termination_condition), "wall_s": wall,
            "objective": res.best_feasible_objective, "bound": res.best_objective_bound,
            "n_binary": sum(1 for v in m.component_data_objects(pyo.Var) if v.is_binary())}


def main() -> None:
    """Run the grid and write ``benchmarks/results/nn_embedding.json``."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--milp-time-limit", type=float, default=60.0)
    args = ap.parse_args()
    widths = [16, 64] if args.quick else [16, 32, 64, 128, 256]
    depths = [1, 2] if args.quick else [1, 2, 3, 4]
    relu_widths = [16] if args.quick else [16, 32, 64]
    relu_depths = [1, 2] if args.quick else [1, 2, 3]
    smooth, relu = [], []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        grid = [(w, k, f) for w in widths for k in depths for f in ("full_space", "reduced_space")]
        for w, k, f in tqdm(grid, desc="smooth networks"):
            smooth += smooth_case(w, k, f, tmp)
        grid = [(w, k, f) for w in relu_widths for k in relu_depths for f in ("relu_bigm", "relu_partition")]
        for w, k, f in tqdm(grid, desc="ReLU MILPs"):
            relu.append(relu_case(w, k, f, tmp, args.milp_time_limit))
    df = pd.DataFrame(smooth)
    summary = {
        "bridge_overhead_s_median": float(df["bridge_overhead_s"].median()),
        "bridge_overhead_s_max": float(df["bridge_overhead_s"].max()),
        "statuses": df["status"].value_counts().to_dict(),
    }
    write_result("nn_embedding", {"quick": args.quick, "summary": summary, "smooth": smooth, "relu_milp": relu})
    print(df.pivot_table(index=["task", "depth", "width"], columns="formulation",
                         values=["wall_s", "iterations"]).round(3).to_string())
    print(pd.DataFrame(relu).to_string())
    print(summary)


if __name__ == "__main__":
    main()
