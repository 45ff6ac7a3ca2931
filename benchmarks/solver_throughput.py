"""Solver throughput: re-solve overhead of the persistent Ipopt, P1 on the shower and DMA-MR against opyrability.

    python benchmarks/solver_throughput.py [--opyr-python /tmp/opyr-venv/bin/python] [--repeats 200]
                                           [--p1-repeats 3] [--no-oneoff] [--relu-time-limit 60] [--relu-gap 0.01]
                                           [--dma-starts 8] [--dma-grid 200] [--dma-opyr-model collocation]
                                           [--dma-opyr-timeout 900] [--only PART ...]

Writes benchmarks/results/solver_throughput.json:

* ``resolve_overhead``: the shower's P1 NLP (4 variables, 2 constraints) compiled once
  (:class:`idaes_ml.solvers.persistent.PersistentIpopt`) and re-solved ``--repeats`` times at
  random targets; per solve, the call's wall time minus Ipopt's own time (casadi's
  ``t_wall_total``): median and 90th percentile [ms].
* ``p1_shower_10x10``: P1 over the 10x10 grid of the DOS F in [10, 20], T in [70, 100]
  (AIS 1 <= Fc, Fh <= 10) by ``inverse_map`` with its defaults (``ours_*``: persistent,
  serial, each grid row one NLP of independent copies since the model is small) and by
  opyrability's ``nlp_based_approach`` (its defaults: Pounce, in-process; run in
  opyrability's own venv, benchmarks/opyrability_p1_shower.py, timed inside that process
  around the call): the fastest of ``--p1-repeats`` runs on each side (the machine may be
  shared; all runs are kept; ``*_cpu_s``: process CPU time, which a loaded machine distorts
  less than wall time; the load average is recorded); ``ours_per_point_*``:
  ``batch=False``, point by point, warm-started from the neighbour; ``ours_dual_warm_start_*``:
  the same with Ipopt's primal-dual warm start (``WARM_START_OPTIONS`` as the model's solver
  options); and ``ours_oneoff_s``, one run with every solve through ``SolverFactory('ipopt')``
  (``persistent=False``, the path before the persistent solver). A point is reached when
  every output is within 1e-4 (relative) of its target. ``opyrability_s`` is null, with
  the reason, when opyrability's interpreter is missing or fails.
* ``p1_dma_mr_10x10``: P1 over the 10x10 grid of the DOS F_C6H6 in [15, 25] mg/h, X_CH4 in
  [35, 45] % on the Pyomo.DAE DMA-MR model (``dma_mr.pyomo_model()``: collocation, 980
  variables) by ``inverse_map`` with its defaults (``ours_*``) and with
  ``starts=--dma-starts`` (``ours_multistart_*``: LHS starts, then neighbour sweeps), one
  run each; by opyrability's ``nlp_based_approach`` (defaults, one run;
  benchmarks/opyrability_p1_dma_mr.py) on the same equations as a Python function
  (``--dma-opyr-model``: ``collocation``, the model's Radau equations solved by NumPy, or
  ``simulate``, SciPy's LSODA on the same right-hand side, about 3x cheaper per call); and
  the best design of a ``--dma-grid`` x ``--dma-grid`` scan of the AIS (the Radau
  equations, NumPy). Distances are P1's relative distances, opyrability's designs evaluated
  on the collocation equations; ``*_farther_than_*`` count the points farther from their
  target (by more than ``farther_tolerance``) than opyrability's design or the scan's best.
  opyrability's run stops after ``--dma-opyr-timeout`` seconds: then ``opyrability_s`` is
  null, ``speedup_vs_opyrability_at_least`` is the limit over our time (a lower bound) and
  the designs of the points it finished (``opyrability_points_done``) are compared.
* ``oneoff_large``: one-off solves of a cheap 25k-variable recurrence (``chain_25000``,
  benchmarks/solver_overhead.py) and the 2-D Bratu problem on 150 x 150 points: the
  persistent Ipopt's first solve (compiling the model from Pyomo's expressions included),
  its time outside Ipopt against Ipopt's own, and ``SolverFactory('ipopt')``'s wall time;
  ``casadi_floor``: the same equations written directly in casadi (no Pyomo: one scalar
  function mapped over the index set, MX), the time to build them and set up Ipopt
  (``nlpsol``) against Ipopt's solve -- the least any route from a model to this Ipopt pays;
  ``pyomo_nl_write_s``: Pyomo's own ``.nl`` writer exporting the model, the least any
  ``SolverFactory`` route pays.
* ``compile_idaes``: the constraint bodies of the IDAES dynamic CSTR-network flowsheet (4 and
  10 reactors) compiled into casadi node by node (``Translator``) and by expression shape
  (``ShapeCompiler``, the persistent solver's path): fastest of 3 each, speedup, and the
  largest difference of the two compiled vectors at a random point.
* ``relu_milp``: y0 of nn_embedding.py's random ReLU networks 2 x 32 and 2 x 64 (4 inputs in
  [0, 1]) minimized by :func:`idaes_ml.solvers.relu_milp.minimize_relu` (bound tightening,
  local-search incumbent, HiGHS) within ``--relu-time-limit`` seconds in all, stopping at
  the relative gap ``--relu-gap``: status, gap, seconds (wall; CPU), objective and proven bound.
  The limits are wall-clock: on a loaded machine they cut the solve short. ``n_boxes``: input
  boxes the branch and bound solved.

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
import pandas as pd
import pyomo.environ as pyo

from _common import command, read_payload, write_result
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


def ours(persistent: bool, repeats: int, options: dict | None = None, batch: bool | None = None
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
    point_runs, point_cpu, point_reached = ours(True, repeats, batch=False)
    out.update({"ours_per_point_s": round(min(point_runs), 4), "ours_per_point_cpu_s": round(min(point_cpu), 4),
                "per_point_same_reached_set": point_reached == ours_reached})
    if theirs is not None:
        out["per_point_speedup_vs_opyrability"] = round(min(theirs["seconds"]) / min(point_runs), 2)
    warm_runs, warm_cpu, warm_reached = ours(True, repeats, WARM_START_OPTIONS, batch=False)
    out.update({"ours_dual_warm_start_s": round(min(warm_runs), 4),
                "ours_dual_warm_start_cpu_s": round(min(warm_cpu), 4),
                "dual_warm_start_same_reached_set": warm_reached == ours_reached})
    if oneoff:
        oneoff_runs, _, oneoff_reached = ours(False, 1, batch=False)
        out.update({"ours_oneoff_s": round(oneoff_runs[0], 4), "reached_ours_oneoff": len(oneoff_reached),
                    "oneoff_same_reached_set": oneoff_reached == ours_reached})
    return out


DMA_DOS = {"F_C6H6": (15.0, 25.0), "X_CH4": (35.0, 45.0)}


def _distances(targets: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """P1's relative distance of each output row to its target row (NaN where outputs are)."""
    return np.sqrt((((outputs - targets) / np.abs(targets)) ** 2).sum(axis=1))


def p1_dma_mr(python: str, starts: int, grid: int, opyr_model: str, n: int = 10, opyr_timeout: float = 3600.0
              ) -> dict:
    """DMA-MR P1 ``n`` x ``n`` (10) on the Pyomo.DAE model: ours (default; multistart), opyrability on the same
    model in its own process, and the best distance of a ``grid`` x ``grid`` scan of the AIS."""
    from flowsheets.operability import dma_mr

    dos = Region.box(DMA_DOS, name="DOS")
    model = dma_mr.pyomo_model()
    runs = {}
    for name, k in (("ours", 1), ("ours_multistart", starts)):
        t0, c0 = time.perf_counter(), time.process_time()
        res = inverse_map(model, dma_mr.ais(), dos, n, progress=False, starts=k)
        runs[name] = (time.perf_counter() - t0, time.process_time() - c0, res.table)
        print(name, round(runs[name][0], 2), flush=True)
    t = runs["ours"][2]
    targets = t[["target:F_C6H6", "target:X_CH4"]].to_numpy(float)
    inst = model.build()
    out = {"dos": DMA_DOS, "ais": dma_mr.AIS_BOUNDS, "points": len(t),
           "model": f"Pyomo.DAE collocation, 20 elements x 3 Radau points ({len(list(inst.model.component_data_objects(pyo.Var)))} variables)",
           "starts": starts}
    for name, (wall, cpu, table) in runs.items():
        assert (table[["target:F_C6H6", "target:X_CH4"]].to_numpy(float) == targets).all()
        out.update({f"{name}_s": round(wall, 3), f"{name}_cpu_s": round(cpu, 3),
                    f"{name}_statuses": table["status"].value_counts().to_dict()})
    ours_d = runs["ours"][2]["distance"].to_numpy(float)
    multi_d = runs["ours_multistart"][2]["distance"].to_numpy(float)
    t0 = time.perf_counter()
    L, dt = np.meshgrid(np.linspace(*dma_mr.AIS_BOUNDS["L"], grid), np.linspace(*dma_mr.AIS_BOUNDS["dt"], grid))
    U = np.column_stack([L.ravel(), dt.ravel()])
    Y = dma_mr.collocation(U)
    ok = np.isfinite(Y).all(axis=1)
    grid_d = np.array([np.nanmin(_distances(np.tile(tg, (ok.sum(), 1)), Y[ok])) for tg in targets])
    out["grid_scan"] = {"points": grid, "designs": len(U), "failed": int((~ok).sum()), "model": "dma_mr.collocation "
                        "(the same Radau equations, NumPy)", "seconds": round(time.perf_counter() - t0, 2)}
    progress = Path(tempfile.mkdtemp()) / "opyrability_progress.txt"
    spec = json.dumps({"dos": list(DMA_DOS.values()), "n": n, "model": opyr_model, "progress": str(progress)})
    theirs, why = None, ""
    if not Path(python).exists():
        why = f"no interpreter at {python}"
    else:
        try:
            run = subprocess.run([python, str(HERE / "opyrability_p1_dma_mr.py"), spec], capture_output=True,
                                 text=True, timeout=opyr_timeout)
            if run.returncode != 0:
                why = f"opyrability run failed: {run.stderr.strip().splitlines()[-1:]}"
            else:
                theirs = json.loads(run.stdout.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            why = f"stopped after {opyr_timeout:.0f} s"
    # per finished point: count, seconds, model calls, design (L, dt), target (F_C6H6, X_CH4)
    done = np.array([[float(v) for v in line.split()] for line in
                     (progress.read_text().split("\n") if progress.exists() else []) if line.strip()]).reshape(-1, 7)
    opyr_d = np.full(len(targets), np.nan)  # NaN: not reached by opyrability's run
    if len(done):
        order = [int(np.flatnonzero((np.abs(targets - tg) < 1e-9).all(axis=1))[0]) for tg in done[:, 5:]]
        evaluated = dma_mr.collocation(done[:, 3:5])  # opyrability's designs on the same equations
        opyr_d[order] = np.where(np.isfinite(evaluated).all(axis=1), _distances(done[:, 5:], evaluated), np.inf)
    out.update({"opyrability_model": {"collocation": "dma_mr.collocation (the same Radau equations, NumPy)",
                                      "simulate": "dma_mr.simulate (SciPy LSODA on the same right-hand side)"}[opyr_model],
                "opyrability_points_done": len(done),
                "opyrability_progress": [[int(r[0]), r[1], int(r[2])] for r in done.tolist()]})
    if theirs is None:
        out.update({"opyrability_s": None, "opyrability_note": why})
        if len(done) and "stopped" in why:  # opyrability took longer than the limit: a lower bound on the speedup
            out.update({"opyrability_timeout_s": opyr_timeout,
                        "speedup_vs_opyrability_at_least": round(opyr_timeout / runs["ours"][0], 1),
                        "multistart_speedup_vs_opyrability_at_least":
                            round(opyr_timeout / runs["ours_multistart"][0], 1)})
    else:
        out.update({"opyrability_s": round(theirs["seconds"], 3), "opyrability_cpu_s": round(theirs["cpu_seconds"], 3),
                    "opyrability_model_calls": theirs["model_calls"], "opyrability_version": theirs["version"],
                    "opyrability_messages": pd.Series(theirs["messages"]).value_counts().to_dict(),
                    "speedup_vs_opyrability": round(theirs["seconds"] / runs["ours"][0], 2),
                    "cpu_speedup_vs_opyrability": round(theirs["cpu_seconds"] / runs["ours"][1], 2),
                    "multistart_speedup_vs_opyrability": round(theirs["seconds"] / runs["ours_multistart"][0], 2)})
    best_other = np.fmin(opyr_d, grid_d)  # opyrability's design where it has one, else the scan's
    tol = 1e-6
    compared = ~np.isnan(opyr_d)
    for name, d in (("ours", ours_d), ("ours_multistart", multi_d)):
        d = np.where(np.isfinite(d), d, np.inf)
        out[f"{name}_farther_than_grid"] = int((d > grid_d + tol).sum())
        out[f"{name}_farther_than_opyrability"] = int((d[compared] > opyr_d[compared] + tol).sum())
        out[f"{name}_farther_than_either"] = int((d > best_other + tol).sum())
        out[f"{name}_max_excess"] = float(np.max(d - best_other))
    out["opyrability_compared_points"] = int(compared.sum())
    out["opyrability_farther_than_grid"] = int((opyr_d[compared] > grid_d[compared] + tol).sum())
    out["farther_tolerance"] = tol
    out["distances"] = {"targets": targets.tolist(), "ours": ours_d.tolist(), "ours_multistart": multi_d.tolist(),
                        "opyrability": [None if np.isnan(v) else v for v in opyr_d.tolist()],
                        "grid_scan": grid_d.tolist()}
    return out


def bratu(n: int, lam: float = 6.0) -> pyo.ConcreteModel:
    """The 2-D Bratu problem -Laplace(u) = lam exp(u) on the unit square, u = 0 on the boundary,
    five-point differences on ``n`` x ``n`` interior points (a square sparse NLP of n^2 variables)."""
    m = pyo.ConcreteModel()
    h2 = (1.0 / (n + 1)) ** 2
    m.u = pyo.Var(range(n), range(n), initialize=0.0)

    def u(i: int, j: int):
        return m.u[i, j] if 0 <= i < n and 0 <= j < n else 0.0

    m.c = pyo.Constraint(range(n), range(n), rule=lambda m, i, j: (
        4 * m.u[i, j] - u(i - 1, j) - u(i + 1, j) - u(i, j - 1) - u(i, j + 1)) / h2 == lam * pyo.exp(m.u[i, j]))
    return m


def oneoff_large() -> dict:
    """One-off solves of large sparse NLPs (a cheap 25k-variable recurrence, the 22.5k-variable
    Bratu problem): the persistent Ipopt's first solve (compile from Pyomo's expressions + Ipopt)
    and SolverFactory('ipopt') (``.nl`` round trip), wall time against Ipopt's own time."""
    from solver_overhead import chain

    rows = {}
    for name, build in (("chain_25000", lambda: chain(25000)), ("bratu_150x150", lambda: bratu(150))):
        opt = PersistentIpopt()
        opt.solve(build())
        first = opt.last
        t0 = time.perf_counter()
        res = pyo.SolverFactory("ipopt").solve(build())
        rows[name] = {"n_variables": opt.n_variables, "status": first.status, "ipopt_s": round(first.ipopt_s, 3),
                      "persistent_first_solve_s": round(first.wall_s, 3),
                      "persistent_outside_ipopt_s": round(first.wall_s - first.ipopt_s, 3),
                      "outside_le_ipopt": bool(first.wall_s - first.ipopt_s <= first.ipopt_s),
                      "solverfactory_s": round(time.perf_counter() - t0, 3),
                      "solverfactory_status": str(res.solver.termination_condition)}
        rows[name]["casadi_floor"] = casadi_floor(name)
        rows[name]["pyomo_nl_write_s"] = round(pyomo_nl_write(build()), 3)
        print(name, rows[name], flush=True)
    return rows


def compile_idaes(sizes: tuple[int, ...] = (4, 10), repeats: int = 3) -> dict:
    """Compiling the constraint bodies of the IDAES dynamic CSTR-network flowsheet into casadi, node by node
    (``Translator``, the persistent solver's path before the shape compiler) and by shape (``ShapeCompiler``):
    the fastest of ``repeats`` each, and the largest difference of the two at a random point."""
    import casadi as ca

    from flowsheets.cstr_network.idaes_plant import build_flowsheet
    from flowsheets.cstr_network.plant import CSTRNetwork
    from idaes_ml.solvers.pyomo_casadi import SymbolTable, Translator
    from idaes_ml.solvers.pyomo_shapes import ShapeCompiler

    def node_by_node(table: SymbolTable, bodies: list) -> ca.SX:
        tr = Translator(table)
        return ca.vertcat(*[ca.SX(tr.translate(b)) for b in bodies])

    def by_shape(table: SymbolTable, bodies: list) -> ca.SX:
        return ShapeCompiler(table, Translator(table)).compile(bodies)

    out, rng = {}, np.random.default_rng(0)
    for n in sizes:
        m = build_flowsheet(CSTRNetwork.of_size(n))
        bodies = [c.body for c in m.component_data_objects(pyo.Constraint, active=True)]
        variables = list(m.component_data_objects(pyo.Var))
        point = dict(zip(map(id, variables), rng.uniform(0.5, 1.5, len(variables))))
        row, values = {"n_constraints": len(bodies)}, {}
        for name, compile_ in (("node_by_node", node_by_node), ("by_shape", by_shape)):
            times = []
            for _ in range(repeats):
                table = SymbolTable()
                t0 = time.perf_counter()
                g = compile_(table, bodies)
                times.append(time.perf_counter() - t0)
            row[f"{name}_s"] = round(min(times), 4)
            f = ca.Function("g", [table.vector(table.free), table.vector(table.params)], [g])
            values[name] = np.asarray(f([point[id(v)] for v in table.free], [c.value for c in table.params])).ravel()
        row["speedup"] = round(row["node_by_node_s"] / row["by_shape_s"], 2)
        row["max_abs_diff"] = float(np.max(np.abs(values["node_by_node"] - values["by_shape"])))
        out[f"cstr_network_{n}"] = row
        print("compile", n, row, flush=True)
    return out


def pyomo_nl_write(m: pyo.ConcreteModel) -> float:
    """Seconds Pyomo's own ``.nl`` writer takes to export ``m`` (the first step of every
    ``SolverFactory('ipopt')`` solve, with any Ipopt binary)."""
    from pyomo.repn.plugins.nl_writer import NLWriter

    with tempfile.TemporaryDirectory() as tmp:
        files = [open(Path(tmp) / f"m.{ext}", "w") for ext in ("nl", "row", "col")]
        try:
            t0 = time.perf_counter()
            NLWriter().write(m, *files)
            return time.perf_counter() - t0
        finally:
            for f in files:
                f.close()


def casadi_floor(name: str) -> dict:
    """``chain_25000`` or ``bratu_150x150`` written directly in casadi: setup (build + ``nlpsol``) vs Ipopt."""
    import casadi as ca

    t0 = time.perf_counter()
    a, b = ca.SX.sym("a"), ca.SX.sym("b")
    if name == "chain_25000":
        n = 25000
        X = ca.MX.sym("x", n)
        f = ca.Function("f", [a, b], [a * ca.exp(-1e-3 * b) - (1 + 1e-4 * b**2)]).map(n - 1)
        g = f(X[1:].T, X[:-1].T).T
        x0, lbx, ubx = np.ones(n), np.full(n, 0.01), np.full(n, np.inf)
        lbx[0] = ubx[0] = 1.0
    else:
        n, lam = 150, 6.0
        h2 = (1.0 / (n + 1)) ** 2
        X = ca.MX.sym("u", n * n)
        U = ca.horzcat(ca.MX(n + 2, 1), ca.vertcat(ca.MX(1, n), ca.reshape(X, n, n), ca.MX(1, n)), ca.MX(n + 2, 1))
        c, nb = ca.SX.sym("c"), ca.SX.sym("nb")
        f = ca.Function("f", [c, nb], [(4 * c - nb) / h2 - lam * ca.exp(c)]).map(n * n)
        inner = U[1:-1, 1:-1]
        neighbours = U[:-2, 1:-1] + U[2:, 1:-1] + U[1:-1, :-2] + U[1:-1, 2:]
        g = f(ca.vec(inner).T, ca.vec(neighbours).T).T
        x0, lbx, ubx = np.zeros(n * n), np.full(n * n, -np.inf), np.full(n * n, np.inf)
    solver = ca.nlpsol("floor", "ipopt", {"x": X, "f": 0, "g": g},
                       {"ipopt": {"print_level": 0, "sb": "yes"}, "print_time": False})
    setup = time.perf_counter() - t0
    t1 = time.perf_counter()
    solver(x0=x0, lbx=lbx, ubx=ubx, lbg=0, ubg=0)
    solve = time.perf_counter() - t1
    return {"setup_s": round(setup, 3), "ipopt_s": round(solve, 3), "status": solver.stats()["return_status"],
            "setup_le_ipopt": bool(setup <= solve)}


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
                                 "n_stable": res.n_stable, "algorithm": res.algorithm, "n_boxes": res.n_boxes,
                                 "n_box_milps": res.n_box_milps}
            print(width, out[f"2x{width}"], flush=True)
    return {"time_limit_s": time_limit, "mip_gap": mip_gap, "solver": "HiGHS (highspy)", **out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--opyr-python", default="/tmp/opyr-venv/bin/python")
    ap.add_argument("--repeats", type=int, default=200, help="re-solves timed for the overhead")
    ap.add_argument("--p1-repeats", type=int, default=3, help="P1 runs per side (fastest reported)")
    ap.add_argument("--no-oneoff", action="store_true", help="skip the SolverFactory('ipopt') P1 run and the large one-off solves")
    ap.add_argument("--relu-time-limit", type=float, default=60.0, help="0 skips the ReLU MILPs")
    ap.add_argument("--relu-gap", type=float, default=0.01, help="relative gap to stop at")
    ap.add_argument("--dma-starts", type=int, default=8, help="multistart starts for DMA-MR; 0 skips DMA-MR")
    ap.add_argument("--dma-n", type=int, default=10, help="DOS grid points per output for DMA-MR")
    ap.add_argument("--dma-grid", type=int, default=200, help="points per input of the AIS scan")
    ap.add_argument("--dma-opyr-model", choices=["collocation", "simulate"], default="collocation")
    ap.add_argument("--dma-opyr-timeout", type=float, default=900.0, help="seconds opyrability's DMA-MR run may take")
    ap.add_argument("--only", nargs="+", choices=["resolve_overhead", "p1_shower_10x10", "oneoff_large", "compile_idaes"],
                    help="run only these parts and merge them into the existing JSON")
    args = ap.parse_args()
    if args.only:
        payload = read_payload("solver_throughput")
        parts = {"resolve_overhead": lambda: resolve_overhead(args.repeats),
                 "p1_shower_10x10": lambda: p1_shower(args.opyr_python, not args.no_oneoff, args.p1_repeats),
                 "oneoff_large": oneoff_large, "compile_idaes": compile_idaes}
        for part in args.only:
            payload[part] = parts[part]()
            payload["commands_of_merged_parts"] = payload.get("commands_of_merged_parts", {}) | {
                part: command()}
        write_result("solver_throughput", payload)
        return
    payload = {"load_average_at_start": os.getloadavg(), "resolve_overhead": resolve_overhead(args.repeats)}
    print(payload)
    payload["p1_shower_10x10"] = p1_shower(args.opyr_python, not args.no_oneoff, args.p1_repeats)
    print(payload["p1_shower_10x10"])
    if not args.no_oneoff:
        payload["oneoff_large"] = oneoff_large()
    payload["compile_idaes"] = compile_idaes()
    if args.relu_time_limit > 0:
        payload["relu_milp"] = relu_milp(args.relu_time_limit, args.relu_gap)
    if args.dma_starts > 0:
        payload["load_average_before_dma_mr"] = os.getloadavg()
        payload[f"p1_dma_mr_{args.dma_n}x{args.dma_n}"] = p1_dma_mr(
            args.opyr_python, args.dma_starts, args.dma_grid, args.dma_opyr_model, args.dma_n, args.dma_opyr_timeout)
    payload["load_average_at_end"] = os.getloadavg()
    write_result("solver_throughput", payload)


if __name__ == "__main__":
    main()
