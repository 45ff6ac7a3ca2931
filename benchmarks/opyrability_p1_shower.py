"""opyrability's P1 on the shower problem, run by benchmarks/solver_throughput.py in opyrability's own venv.

    /tmp/opyr-venv/bin/python benchmarks/opyrability_p1_shower.py '{"dos": [[10, 20], [70, 100]], "n": 10}'

Needs only numpy and opyrability (not idaes_ml). Prints one JSON line: the seconds (wall and
process CPU) spent in each of ``repeats`` (default 1) calls of ``nlp_based_approach`` (its
default method, Pounce, in-process), the DOS grid points and the DOS* outputs opyrability
reached (last call), and its version.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from importlib.metadata import version

import numpy as np

TC, TH = 60.0, 120.0


def shower(u: np.ndarray) -> np.ndarray:
    """Total flow and temperature from cold and hot flows."""
    return np.array([u[0] + u[1], (u[0] * TC + u[1] * TH) / (u[0] + u[1])])


def main() -> None:
    args = json.loads(sys.argv[1])
    warnings.filterwarnings("ignore")
    from opyrability import create_grid, nlp_based_approach

    dos = np.array(args["dos"], float)
    res = [int(args["n"])] * len(dos)
    seconds, cpu = [], []
    for _ in range(int(args.get("repeats", 1))):
        t0, c0 = time.perf_counter(), time.process_time()
        dis, dos_star, messages = nlp_based_approach(shower, dos, res, np.array([5.5, 5.5]), np.array([1.0, 1.0]),
                                                     np.array([10.0, 10.0]), plot=False)
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    targets = create_grid(dos, res).reshape(-1, len(dos))
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "targets": targets.tolist(),
                      "outputs": np.asarray(dos_star).tolist(),
                      "inputs": np.asarray(dis).tolist(), "messages": [str(m) for m in messages],
                      "version": version("opyrability")}))


if __name__ == "__main__":
    main()
