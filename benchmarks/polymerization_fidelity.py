"""Collect the issue-18 fidelity record of the BA/AIBN case from the three benchmarks' results.

    nice python benchmarks/polymerization_kmc.py && nice python benchmarks/polymerization_identifiability.py \\
        && nice python benchmarks/polymerization_inverse.py --retrain && python benchmarks/polymerization_fidelity.py

Reads ``results/polymerization_{kmc,identifiability,inverse}.json`` (computed there, not
here) and writes ``results/polymerization_fidelity.json``: ``mechanisms`` (those with
non-zero rates in the data-generating kinetics, plus ``implemented_mechanisms``),
``kmc_validation``, ``identifiability`` and ``inversion`` (seed's global R²: mean of the
per-parameter R² on the held-out targets).
"""

from __future__ import annotations

import numpy as np

from _common import RESULTS, write_result
from flowsheets.polymerization.kinetics import BA_AIBN, MECHANISMS
from flowsheets.polymerization.simulator import SIMULATOR_VERSION
from idaes_ml.io import read_json


def main() -> dict:
    """Assemble the record; returns it."""
    kmc = read_json(RESULTS / "polymerization_kmc.json")
    ident = read_json(RESULTS / "polymerization_identifiability.json")
    inv = read_json(RESULTS / "polymerization_inverse.json")
    eo = inv["eo"]
    inside = eo["true_recipe_inside_range_fraction"]
    out = {
        "simulator_version": SIMULATOR_VERSION,
        "mechanisms": BA_AIBN.active_mechanisms(),
        "implemented_mechanisms": list(MECHANISMS),
        "kmc_validation": {k: kmc[k] for k in ("recipes", "median_rel_l2", "max_rel_l2", "median_kmc_noise_rel_l2",
                                               "median_rel_l2_above_noise", "max_rel_error_Mn", "max_rel_error_Mw",
                                               "max_abs_error_conversion")},
        "identifiability": {k: ident[k] for k in ("mmd_noise_rel_l2", "identifiable_fraction",
                                                  "median_se_box_fraction_mmd", "median_se_box_fraction_composite")},
        "inversion": {
            "n_targets": inv["n_targets"], "n_train": inv["n_train"],
            "global_r2_eo": eo["recovery"]["R2_global"],
            "global_r2_direct": {k: v["R2_global"] for k, v in inv["direct"].items()},
            "per_parameter_r2_eo": {k: v["R2"] for k, v in eo["recovery"]["per_parameter"].items()},
            "truth_in_range_fraction": float(np.mean(list(inside.values()))),
            "truth_in_range_fraction_per_parameter": inside,
            "range_width_median": eo["identifiability_width_median"],
            "resim_median_rel_l2": eo["resimulation"]["mmd_rel_l2_median"],
        },
    }
    write_result("polymerization_fidelity", out)
    print(out)
    return out


if __name__ == "__main__":
    main()
