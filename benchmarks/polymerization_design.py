"""Design query on the BA/AIBN forward network: least AIBN for an Mw window at high conversion.

    nice python benchmarks/polymerization_design.py      # after polymerization_inverse.py trained the network

For each Mw window: multistart Ipopt on the embedded network, re-simulation of the answer
and (if the simulator misses a spec) constraint-shift refinement.  Writes
``results/polymerization_design.json``.
"""

from __future__ import annotations



from _common import RESULTS, Timer, write_result
from flowsheets.polymerization.eo_inverse import min_initiator_design
from flowsheets.polymerization.forward import ForwardModel

WINDOWS = [(5e4, 1e5), (1.5e5, 2.5e5), (4e5, 6e5)]  # g/mol


def main() -> dict:
    """Run the design query for every window at conversion >= 0.9."""
    fm = ForwardModel.load(RESULTS / "polymerization_models")
    cases = []
    for window in WINDOWS:
        with Timer() as t:
            d = min_initiator_design(fm, mw_window=window, min_conversion=0.9, n_starts=4)
        rec = {"mw_window": list(window), "min_conversion": 0.9, "seconds": t.seconds,
               **{k: v for k, v in d.items() if k != "starts"},
               "start_statuses": d["starts"]["status"].tolist()}
        print(rec, flush=True)
        cases.append(rec)
    write_result("polymerization_design", {"cases": cases})
    return {"cases": cases}


if __name__ == "__main__":
    main()
