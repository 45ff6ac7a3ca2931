"""Run every benchmark in dependency order (``make bench``); each writes JSON to ``results/``.

    .venv/bin/python benchmarks/run_all.py [--only PREFIX ...]

Hours of CPU in total on a 2-core machine; ``--only nn_ solver_`` runs a subset.
A failing script is reported and the others still run; the exit code is the
number of failures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (script, arguments) in the order their inputs require.
PLAN: list[tuple[str, list[str]]] = [
    ("solver_overhead.py", ["--repeats", "5"]),
    ("solver_setup.py", ["--repeats", "5"]),
    ("nn_embedding.py", []),
    ("cumene_data.py", ["--n", "160"]),
    ("cumene_data.py", ["--n", "200", "--seed", "1", "--out", "cumene_data_extra"]),
    ("cumene_cycles.py", []),
    ("cumene_eo.py", []),
    ("cumene_trust.py", []),
    ("operability_oi.py", []),
    ("operability_p1.py", ["--sizes", "10", "30", "--cases", "shower"]),
    ("operability_p1.py", ["--sizes", "10", "--cases", "dma_mr", "--name", "operability_p1_dma_mr"]),
    ("operability_p1.py", ["--sizes", "30", "--cases", "dma_mr", "--name", "operability_p1_dma_mr_30"]),
    ("solver_throughput.py", []),  # opyrability in /tmp/opyr-venv if present, else its columns are null
    ("polymerization_data.py", []),
    ("polymerization_inverse.py", []),
    ("polymerization_design.py", []),
    ("polymerization_fidelity.py", []),
    ("polymerization_kmc.py", []),
    ("polymerization_identifiability.py", []),
    ("pyrolysis_closure.py", []),
    ("pyrolysis_small_data.py", []),
    ("pyrolysis_design.py", []),
    ("pyrolysis_plots.py", []),
    ("pyrolysis_fidelity.py", ["--workers", "2", "--stage", "main"]),
    ("cstr_network_dynamics.py", ["20", "300"]),
    ("mpc_step_time.py", []),
    ("cstr_network_idaes.py", ["4", "24", "30"]),
    ("cstr_network_compare.py", ["40", "16", "structured", "hot_feed_surge", "reactor_offline", "coolant_warm"]),
    ("cstr_network_operability.py", []),
    ("cstr_network_scale.py", []),
    ("cstr_network_dae.py", ["60", "1"]),
    ("cstr_network_mpc.py", ["scenarios", "60", "1"]),
    ("cstr_network_mpc.py", ["scale", "20", "10", "3"]),
    ("readme_tables.py", []),  # last: the README tables from the JSON just written
]


def main() -> int:
    """Run the plan (or the scripts whose names start with ``--only`` prefixes)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    failures = []
    for script, script_args in PLAN:
        if args.only and not any(script.startswith(p) for p in args.only):
            continue
        t0 = time.perf_counter()
        print(f"== {script} {' '.join(script_args)}", flush=True)
        rc = subprocess.call([sys.executable, str(HERE / script), *script_args], env=env)
        print(f"== {script}: exit {rc} after {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failures.append(script)
    if failures:
        print(f"failed: {failures}")
    return len(failures)


if __name__ == "__main__":
    sys.exit(main())
