"""Generate the BA/AIBN recipe data sets used by the polymerization benchmarks.

    nice python benchmarks/polymerization_data.py [--client 2]

Writes ``results/polymerization_{train,heldout,forward}.parquet`` (with the simulator
version) and ``results/polymerization_data.json`` (sizes, failures, wall time).
"""

from __future__ import annotations

import argparse
from pathlib import Path


from _common import RESULTS, Timer, write_result
from flowsheets.polymerization.data import generate_dataset, save_dataset
from flowsheets.polymerization.simulator import SIMULATOR_VERSION

SETS = {"train": (432, 1), "heldout": (200, 2), "forward": (3000, 3)}  # name: (n, LHS seed)


def data_path(name: str) -> Path:
    """Where the data set ``name`` (train / heldout / forward) lives."""
    return RESULTS / f"polymerization_{name}.parquet"


def main(argv: list[str] | None = None) -> dict:
    """Simulate and save every data set; returns the summary written to JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--client", default=None, help="idaes_ml.parallel.map client (e.g. 2)")
    args = ap.parse_args(argv)
    client = int(args.client) if args.client and args.client.isdigit() else args.client
    summary = {"simulator_version": SIMULATOR_VERSION, "sets": {}}
    for name, (n, seed) in SETS.items():
        with Timer() as t:
            df = generate_dataset(n, seed=seed, client=client)
        save_dataset(df, data_path(name))
        summary["sets"][name] = {"n": n, "seed": seed, "failed": int((df["status"] != "ok").sum()),
                                 "wall_s": round(t.seconds, 2), "s_per_simulation": t.seconds / n}
    write_result("polymerization_data", summary)
    return summary


if __name__ == "__main__":
    print(main())
