"""Time the ``ipopt`` bridge spends outside Ipopt, per phase, for small to large models.

For each model the ``.nl`` file Pyomo writes is solved by the installed ``ipopt``
command (our casadi-backed AMPL driver) ``--repeats`` times with
``IDAES_ML_IPOPT_TIMING=1``, which makes the driver print its phase times
(import casadi, read .nl, build the casadi/Ipopt problem, Ipopt, write .sol).
Overhead = command wall time - "Total seconds in IPOPT". Process start-up alone is
timed with ``python -c pass``. The machine's load average is recorded because the
machine is shared. Run: ``python benchmarks/solver_overhead.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import idaes  # noqa: F401  (IDAES bin directory on PATH)
import pyomo.environ as pyo

from _common import write_result
from idaes_ml.solvers import install_solvers


def qp() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None), initialize=0.5)
    m.y = pyo.Var(bounds=(None, 0.25))
    m.c = pyo.Constraint(expr=m.x + m.y <= 2)
    m.o = pyo.Objective(expr=(m.x - 2) ** 2 + (m.y - 1) ** 2)
    return m


def chain(n: int) -> pyo.ConcreteModel:
    """A square nonlinear recurrence x_i exp(-x_{i-1}/1000) = 1 + 1e-4 x_{i-1}^2."""
    m = pyo.ConcreteModel()
    m.i = pyo.RangeSet(0, n - 1)
    m.x = pyo.Var(m.i, initialize=1.0, bounds=(0.01, None))
    m.c = pyo.Constraint(
        pyo.RangeSet(1, n - 1),
        rule=lambda m, i: m.x[i] * pyo.exp(-1e-3 * m.x[i - 1]) == 1 + 1e-4 * m.x[i - 1] ** 2,
    )
    m.x[0].fix(1.0)
    return m


def flash_flowsheet() -> pyo.ConcreteModel:
    """The demo's Mixer -> Heater -> Flash (IDAES BT_ideal package), initialized at mid conditions."""
    from flowsheets.flash_demo.ground_truth import FEED_BOUNDS_MID, build_flowsheet, initialize_flowsheet, set_conditions

    m = build_flowsheet()
    set_conditions(m, FEED_BOUNDS_MID)
    initialize_flowsheet(m)
    return m


def run_command(nl: Path, exe: str, server: bool) -> dict:
    """One driver run: wall time, Ipopt's own time and the driver's phase times."""
    env = {**os.environ, "IDAES_ML_IPOPT_TIMING": "1", "IDAES_ML_IPOPT_SERVER": str(int(server))}
    t0 = time.perf_counter()
    run = subprocess.run(
        [exe, str(nl), "-AMPL", "print_level=5"], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - t0
    ipopt_s = float(re.search(r"Total seconds in IPOPT\s*=\s*(\S+)", run.stdout).group(1))
    phases = re.findall(r"(\w+)=([0-9.]+)", run.stderr.split("timing [s]:")[-1])
    return {"wall_s": wall, "ipopt_s": ipopt_s, **{f"driver_{k}_s": float(v) for k, v in phases}}


def measure(name: str, m: pyo.ConcreteModel, repeats: int, tmp: Path) -> dict:
    nl = tmp / f"{name}.nl"
    t0 = time.perf_counter()
    m.write(str(nl), format="nl")
    write_s = time.perf_counter() - t0
    exe = str(pyo.SolverFactory("ipopt").executable())
    row = {"model": name, "n_vars": sum(
        1 for v in m.component_data_objects(pyo.Var, active=True) if not v.fixed
    ), "pyomo_nl_write_s": write_s}
    for mode, server in (("local", False), ("server", True)):
        run_command(nl, exe, server)  # warm-up (starts the server in "server" mode)
        time.sleep(2 if server else 0)
        runs = [run_command(nl, exe, server) for _ in range(repeats)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        row.update({f"{mode}_{k}": v for k, v in med.items()})
        row[f"{mode}_bridge_overhead_s"] = med["wall_s"] - med["ipopt_s"]
        print(f"{name:>12} n={row['n_vars']:>6} {mode:>6}: wall={med['wall_s']:.3f}s "
              f"ipopt={med['ipopt_s']:.3f}s overhead={row[f'{mode}_bridge_overhead_s']:.3f}s "
              + " ".join(f"{k[7:]}={v:.3f}" for k, v in med.items() if k.startswith("driver_")))
    t0 = time.perf_counter()
    pyo.SolverFactory("ipopt").solve(m)
    row["pyomo_solve_wall_s"] = time.perf_counter() - t0
    return row


def startup_s(code: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 5000, 20000])
    args = parser.parse_args()
    install_solvers()
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(measure("qp", qp(), args.repeats, Path(tmp)))
        rows.append(measure("flash_fs", flash_flowsheet(), args.repeats, Path(tmp)))
        for n in args.sizes:
            rows.append(measure(f"chain_{n}", chain(n), max(2, args.repeats // 2), Path(tmp)))
    payload = {
        "python_startup_s": startup_s("pass", args.repeats),
        "python_import_casadi_s": startup_s("import casadi", args.repeats),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "rows": rows,
    }
    print(f"python start {payload['python_startup_s']:.3f}s, "
          f"+import casadi {payload['python_import_casadi_s']:.3f}s")
    print("wrote", write_result("solver_overhead", payload))


if __name__ == "__main__":
    main()
