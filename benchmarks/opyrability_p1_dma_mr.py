"""opyrability's P1 on the DMA-MR's collocation equations, run by benchmarks/solver_throughput.py
in opyrability's own venv.

    /tmp/opyr-venv/bin/python benchmarks/opyrability_p1_dma_mr.py \
        '{"dos": [[15, 25], [35, 45]], "n": 10, "model": "collocation"}'

Needs only numpy, scipy and opyrability (not idaes_ml): the model is
``flowsheets.operability.dma_mr.collocation`` (the Radau equations of the Pyomo.DAE model,
``nfe`` elements, solved by NumPy), or ``"model": "simulate"`` (SciPy's LSODA on the same
right-hand side). ``nlp_based_approach`` runs with its defaults (Pounce, in-process, warm
start from the neighbour) from the AIS centre. Prints one JSON line: wall and process CPU
seconds of the call, model evaluations, the DOS grid points, DIS* and DOS*, the messages,
opyrability's version. With ``"progress": path``, a line per finished point goes to that
file (points done, seconds, model calls, the point's design and target).
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flowsheets.operability import dma_mr  # noqa: E402  (NumPy/SciPy only at import)


def main() -> None:
    args = json.loads(sys.argv[1])
    warnings.filterwarnings("ignore")
    from opyrability import create_grid, nlp_based_approach

    calls = [0]
    nfe = int(args.get("nfe", 20))

    def model(u: np.ndarray) -> np.ndarray:
        calls[0] += 1
        if args.get("model", "collocation") == "simulate":
            return np.array(dma_mr.simulate(float(u[0]), float(u[1])))
        return dma_mr.collocation(np.asarray(u, float)[None, :], nfe=nfe)[0]

    progress = args.get("progress")
    if progress:  # one line per finished DOS point (opyrability loops over them with tqdm)
        import opyrability

        def tracked(iterable):
            """Yield opyrability's point indices; when the loop asks for the next one, point i is
            done: write its count, seconds, model calls and design (read from the caller's
            ``fDIS``) and target (``DOSPts``), so that a run stopped early still shows its designs."""
            t0 = time.perf_counter()
            with open(progress, "w") as fh:
                for i in iterable:
                    yield i
                    caller = sys._getframe(1).f_locals
                    row = [float(v) for v in (*caller["fDIS"][i], *caller["DOSPts"][i])]
                    fh.write(f"{i + 1} {time.perf_counter() - t0:.3f} {calls[0]} {' '.join(map(repr, row))}\n")
                    fh.flush()

        opyrability.tqdm = tracked
    dos = np.array(args["dos"], float)
    res = [int(args["n"])] * len(dos)
    box = np.array(list(dma_mr.AIS_BOUNDS.values()), float)
    t0, c0 = time.perf_counter(), time.process_time()
    dis, dos_star, messages = nlp_based_approach(model, dos, res, box.mean(axis=1), box[:, 0], box[:, 1], plot=False)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    targets = create_grid(dos, res).reshape(-1, len(dos))
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "model_calls": calls[0], "targets": targets.tolist(),
                      "inputs": np.asarray(dis).tolist(), "outputs": np.asarray(dos_star).tolist(),
                      "messages": [str(m) for m in messages], "version": version("opyrability")}))


if __name__ == "__main__":
    main()
