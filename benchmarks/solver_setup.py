"""Setup cost of the ``ipopt`` bridge versus Ipopt itself on embedded tanh networks.

For each network shape (4 inputs -> 2 outputs, full-space OMLT formulation, built as
in ``benchmarks/nn_embedding.py``) and each task (evaluate: inputs fixed; invert:
outputs fixed at the network's value at a hidden input, nearest input to the box
centre sought) the ``.nl`` file Pyomo writes is solved by the AMPL driver in its own
process (``python -m idaes_ml.solvers.ipopt_ampl``, no warm server, run in the
``.nl`` file's folder) with ``IDAES_ML_IPOPT_TIMING=1``, which prints the driver's
phase times: reading the ``.nl`` file (``read_nl``), building the casadi functions
and Ipopt (``setup``) and Ipopt itself; with ``--repeats`` each time is the median.
The Ipopt log's iteration count, final objective and derivative sizes are kept so
that runs of different bridge versions can be compared.

``--bridge DIR`` runs the driver of another copy of the package (e.g. the committed
one, ``git archive HEAD | tar -x -C DIR``) by putting DIR first on its
``PYTHONPATH``; the module each driver imports is recorded (``bridge_module``).
``--baseline-bridge DIR`` also runs DIR's driver on the same ``.nl`` files,
alternating with this one (old, new, new, old, ...) so that both see the same load
of a shared machine; ``--baseline FILE`` instead takes the rows of an earlier
result. Either is kept under ``baseline`` with a ``comparison``: per shape and task
the speedups (baseline / this run) of setup and wall time and whether Ipopt took
the same path (same iterations, Jacobian/Hessian sizes and exit, objective to
1e-9); the script exits with status 1 after writing when it did not.

    python benchmarks/solver_setup.py --repeats 3 --baseline-bridge /tmp/bridge_base
    python benchmarks/solver_setup.py --baseline earlier.json [--shapes 32x2 128x3 256x4]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyomo.environ as pyo
from _common import write_result
from nn_embedding import N_IN, N_OUT, build, make_surrogate
from tqdm import tqdm

#: Log facts that must agree between two bridges solving the same ``.nl`` file.
PATH_KEYS = ("iterations", "exit", "jacobian_nnz", "hessian_nnz")


def write_tasks(width: int, depth: int, tmp: Path) -> dict[str, Path]:
    """The evaluate and invert problems of one network as ``.nl`` files."""
    surr = make_surrogate(width, depth, "tanh", "full_space", tmp)
    m = build(surr, "full_space")
    for i in range(N_IN):
        m.u[i].fix(0.3 + 0.1 * i)
    files = {"evaluate": tmp / f"evaluate_{width}x{depth}.nl"}
    m.write(str(files["evaluate"]), format="nl")
    u_hidden = pd.DataFrame([[0.35 + 0.1 * i for i in range(N_IN)]], columns=surr.input_labels())
    y_hidden = surr.evaluate_surrogate(u_hidden).to_numpy()[0]
    m = build(surr, "full_space")
    for j in range(N_OUT):
        m.y[j].fix(float(y_hidden[j]))
    m.obj = pyo.Objective(expr=sum((m.u[i] - 0.5) ** 2 for i in range(N_IN)))
    files["invert"] = tmp / f"invert_{width}x{depth}.nl"
    m.write(str(files["invert"]), format="nl")
    return files


def driver_env(bridge: Path | None) -> dict[str, str]:
    """Environment of a driver process: timing on, no server, ``bridge`` first on the path."""
    env = {**os.environ, "IDAES_ML_IPOPT_TIMING": "1", "IDAES_ML_IPOPT_SERVER": "0"}
    if bridge is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(bridge), env.get("PYTHONPATH")) if p)
    return env


def bridge_module(bridge: Path | None, env: dict[str, str], cwd: Path) -> str:
    """File of the ``nl_problem`` module a driver started with ``env`` in ``cwd`` imports
    (one under ``bridge`` when that is given)."""
    code = "import idaes_ml.solvers.nl_problem as m; print(m.__file__)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=cwd, check=True)
    module = run.stdout.strip()
    if bridge is not None and not Path(module).resolve().is_relative_to(bridge.resolve()):
        raise SystemExit(f"bridge {bridge}: the driver imports {module}")
    return module


def run_driver(nl: Path, env: dict[str, str]) -> dict:
    """Solve ``nl`` in a fresh driver process; wall time, phase times and Ipopt's log facts."""
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "idaes_ml.solvers.ipopt_ampl", nl.name, "-AMPL"],
                         capture_output=True, text=True, env=env, cwd=nl.parent, check=True)
    wall = time.perf_counter() - t0
    phases = re.findall(r"(\w+)=([0-9.]+)", run.stderr.split("timing [s]:")[-1])
    log = run.stdout

    def count(label: str) -> int:
        return int(re.search(label + r"\.*:\s*(\d+)", log).group(1))

    return {
        "wall_s": wall,
        **{f"{k}_s": float(v) for k, v in phases},
        "ipopt_log_s": float(re.search(r"Total seconds in IPOPT\s*=\s*(\S+)", log).group(1)),
        "iterations": count("Number of Iterations"),
        "objective": float(re.search(r"Objective\.*:\s*\S+\s+(\S+)", log).group(1)),
        "exit": re.search(r"EXIT: (.*)", log).group(1).strip(),
        "jacobian_nnz": count("nonzeros in equality constraint Jacobian"),
        "hessian_nnz": count("nonzeros in Lagrangian Hessian"),
    }


def median_runs(nl: Path, envs: list[dict[str, str]], repeats: int) -> list[dict]:
    """:func:`run_driver` ``repeats`` times per environment, alternating the order
    between rounds; per environment the median times and the first run's log facts."""
    runs: list[list[dict]] = [[] for _ in envs]
    for i in range(repeats):
        order = list(zip(envs, runs))
        for env, out in order[:: -1 if i % 2 else 1]:
            out.append(run_driver(nl, env))
    return [{**r[0], **{k: statistics.median(x[k] for x in r) for k in r[0] if k.endswith("_s")}}
            for r in runs]


def compare(rows: list[dict], base_rows: list[dict]) -> list[dict]:
    """Speedups (baseline / new) and Ipopt-path agreement per shape and task."""
    base = {(r["width"], r["depth"], r["task"]): r for r in base_rows}
    out = []
    for new in rows:
        old = base.get((new["width"], new["depth"], new["task"]))
        if old is None:
            continue
        same = all(old.get(k) == new[k] for k in PATH_KEYS) and math.isclose(
            old["objective"], new["objective"], rel_tol=1e-9, abs_tol=1e-12)
        out.append({
            "shape": f"{new['width']}x{new['depth']}", "task": new["task"],
            **{f"{k}_{tag}": r[k] for k in ("setup_s", "wall_s") for tag, r in (("old", old), ("new", new))},
            "setup_speedup": old["setup_s"] / new["setup_s"],
            "wall_speedup": old["wall_s"] / new["wall_s"],
            "same_ipopt_path": same,
        })
    return out


def main() -> None:
    """Time every shape and task; write ``benchmarks/results/solver_setup.json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", nargs="*", default=["32x2", "128x3", "256x4"])
    ap.add_argument("--repeats", type=int, default=1, help="driver runs per problem (median times)")
    ap.add_argument("--bridge", type=Path, help="package copy whose driver is run (PYTHONPATH)")
    ap.add_argument("--note", default="", help="what this run measures (kept in the result)")
    base_group = ap.add_mutually_exclusive_group()
    base_group.add_argument("--baseline-bridge", type=Path, help="package copy to compare with, run alongside")
    base_group.add_argument("--baseline", type=Path, help="earlier solver_setup result to compare with")
    args = ap.parse_args()
    bridges = [args.bridge] + ([args.baseline_bridge] if args.baseline_bridge else [])
    envs = [driver_env(b) for b in bridges]
    results: list[list[dict]] = [[] for _ in bridges]
    payload: dict = {"note": args.note, "repeats": args.repeats, "load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as d:
        modules = [bridge_module(b, env, Path(d)) for b, env in zip(bridges, envs)]
        print("driver imports", " and ".join(modules))
        for shape in tqdm(args.shapes, desc="networks"):
            width, depth = map(int, shape.split("x"))
            for task, nl in write_tasks(width, depth, Path(d)).items():
                for rows, stats in zip(results, median_runs(nl, envs, args.repeats)):
                    rows.append({"width": width, "depth": depth, "task": task, **stats})
                row = results[0][-1]
                print(f"{shape:>6} {task:>8}: read_nl={row['read_nl_s']:.3f}s setup={row['setup_s']:.3f}s "
                      f"ipopt={row['ipopt_s']:.3f}s wall={row['wall_s']:.3f}s its={row['iterations']} "
                      f"nnz={row['jacobian_nnz']}/{row['hessian_nnz']}")
    payload.update(load_average_after=os.getloadavg(), bridge_module=modules[0], rows=results[0])
    if args.baseline_bridge:
        payload["baseline"] = {"note": f"run alongside, driver of {args.baseline_bridge}",
                               "bridge_module": modules[1], "rows": results[1]}
    elif args.baseline:
        base = json.loads(args.baseline.read_text())
        keys = ("when", "command", "note", "bridge_module", "repeats", "load_average_before", "rows")
        payload["baseline"] = {k: base.get(k) for k in keys}
    same = True
    if "baseline" in payload:
        payload["comparison"] = comparison = compare(results[0], payload["baseline"]["rows"])
        for c in comparison:
            print(f"{c['shape']:>6} {c['task']:>8}: setup {c['setup_s_old']:.3f}s -> {c['setup_s_new']:.3f}s "
                  f"(x{c['setup_speedup']:.1f}), wall {c['wall_s_old']:.3f}s -> {c['wall_s_new']:.3f}s "
                  f"(x{c['wall_speedup']:.1f}), same Ipopt path: {c['same_ipopt_path']}")
        same = all(c["same_ipopt_path"] for c in comparison)
    print("wrote", write_result("solver_setup", payload))
    if not same:
        raise SystemExit("Ipopt took a different path than in the baseline (see 'comparison')")


if __name__ == "__main__":
    main()
