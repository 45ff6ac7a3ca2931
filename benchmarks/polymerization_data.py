"""Generate the BA/AIBN recipe data sets used by the polymerization benchmarks.

    nice python benchmarks/polymerization_data.py [--client 2] [--sets train heldout] [--reuse]

Writes ``results/polymerization_{train,heldout,forward}.parquet`` (with the simulator
version) and ``results/polymerization_data.json`` (sizes, failures, wall time).  The
forward network trains on ``forward`` + ``train`` (832 recipes); ``heldout`` gives the
inversion targets.  Sizes were cut from 200 held-out / 3000 forward recipes (and the inversion benchmark uses the first 50 held-out targets) when the
simulator became chain-length resolved (~0.5-3 s per recipe on a shared 2-core machine).
"""

from __future__ import annotations

import argparse
from pathlib import Path


from _common import RESULTS, Timer, write_result
from idaes_ml.io import read_json
from flowsheets.polymerization.data import generate_dataset, load_dataset, save_dataset
from flowsheets.polymerization.simulator import SIMULATOR_VERSION

SETS = {"train": (432, 1), "heldout": (100, 2), "forward": (400, 3)}  # name: (n, LHS seed)


def data_path(name: str) -> Path:
    """Where the data set ``name`` (train / heldout / forward) lives."""
    return RESULTS / f"polymerization_{name}.parquet"


def main(argv: list[str] | None = None) -> dict:
    """Simulate and save every data set; returns the summary written to JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--client", default=None, help="idaes_ml.parallel.map client (e.g. 2)")
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS), help="data sets to make")
    ap.add_argument("--reuse", action="store_true",
                    help="keep an existing file of this simulator version and size instead of re-simulating "
                         "(and its entry in the JSON summary)")
    args = ap.parse_args(argv)
    client = int(args.client) if args.client and args.client.isdigit() else args.client
    summary = {"simulator_version": SIMULATOR_VERSION, "sets": {}}
    old = RESULTS / "polymerization_data.json"
    previous = read_json(old) if old.exists() else {}
    previous = previous.get("sets", {}) if previous.get("simulator_version") == SIMULATOR_VERSION else {}
    for name in args.sets:
        n, seed = SETS[name]
        if args.reuse and data_path(name).exists() and len(df := load_dataset(data_path(name), ok_only=False)) == n:
            summary["sets"][name] = previous.get(name) or {"n": n, "seed": seed,
                                                           "failed": int((df["status"] != "ok").sum()), "reused": True}
            continue
        with Timer() as t:
            df = generate_dataset(n, seed=seed, client=client)
        save_dataset(df, data_path(name))
        summary["sets"][name] = {"n": n, "seed": seed, "failed": int((df["status"] != "ok").sum()),
                                 "wall_s": round(t.seconds, 2), "s_per_simulation": t.seconds / n}
    write_result("polymerization_data", summary)
    return summary


if __name__ == "__main__":
    print(main())
