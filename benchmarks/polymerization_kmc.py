"""Validate the deterministic BA/AIBN MMD against kinetic Monte Carlo on Latin-hypercube recipes.

    nice python benchmarks/polymerization_kmc.py [--n 12] [--chains 1e5] [--max-monomer 2e8]

Recipes: ``--n`` Latin-hypercube points (seed 7) over the seed's box.  Writes
``results/polymerization_kmc.json`` (per recipe: relative L2 of the MMDs, the kMC
bootstrap noise floor, conversion/Mn/Mw both ways, run sizes and times) and
``results/polymerization_kmc.png`` (the first six MMD pairs).
"""

from __future__ import annotations

import argparse

import numpy as np
from tqdm import tqdm

from _common import RESULTS, Timer, write_result
from flowsheets.polymerization.data import RECIPE_BOUNDS, to_recipe
from flowsheets.polymerization.kinetics import BA_AIBN
from flowsheets.polymerization.mmd import LOG10_M
from flowsheets.polymerization.validation import validate_recipe
from idaes_ml.sampling import latin_hypercube


def _plot(rows: list[dict], path) -> None:
    import matplotlib.pyplot as plt

    from idaes_ml.plotting import save_figure

    fig, axes = plt.subplots(2, 3, figsize=(12, 6), sharex=True)
    for ax, r in zip(axes.ravel(), rows):
        ax.plot(LOG10_M, r["mmd_kmc"], "k-", lw=1, label=f"kMC ({r['chains']:.2g} chains)")
        ax.plot(LOG10_M, r["mmd_det"], "r--", lw=1.5, label="deterministic")
        ax.set_title(f"{r['cBA_0']:.2f} M, {1e3 * r['cAIBN_0']:.1f} mM, {r['temp']:.0f} C, {r['time']:.0f} s: "
                     f"L2 {r['rel_l2']:.3f}", fontsize=8)
        ax.legend(fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("log10 M (g/mol)")
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict:
    """Run every recipe both ways; returns the JSON payload."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--chains", type=float, default=1e5, help="dead chains aimed at per kMC run")
    ap.add_argument("--max-monomer", type=float, default=2e8, help="cap on monomer molecules per kMC run")
    args = ap.parse_args(argv)
    recipes = latin_hypercube(RECIPE_BOUNDS, args.n, seed=7)
    rows = []
    with Timer() as t:
        for i, rec in tqdm(list(recipes.iterrows()), desc="kMC vs deterministic"):
            rows.append(validate_recipe(to_recipe(rec), target_chains=args.chains,
                                        max_monomer=args.max_monomer, seed=i))
    l2 = np.array([r["rel_l2"] for r in rows])
    noise = np.array([r["kmc_noise_rel_l2"] for r in rows])
    out = {"mechanisms": BA_AIBN.active_mechanisms(), "recipes": len(rows),
           "median_rel_l2": float(np.median(l2)), "max_rel_l2": float(l2.max()),
           "median_kmc_noise_rel_l2": float(np.median(noise)),
           "median_rel_l2_above_noise": float(np.median(np.sqrt(np.maximum(l2**2 - noise**2, 0.0)))),
           "max_rel_error_Mn": float(max(abs(r["Mn_kmc"] / r["Mn_det"] - 1) for r in rows)),
           "max_rel_error_Mw": float(max(abs(r["Mw_kmc"] / r["Mw_det"] - 1) for r in rows)),
           "max_abs_error_conversion": float(max(abs(r["conversion_kmc"] - r["conversion_det"]) for r in rows)),
           "wall_s": t.seconds,
           "per_recipe": [{k: v for k, v in r.items() if not k.startswith("mmd_")} for r in rows]}
    _plot(rows[:6], RESULTS / "polymerization_kmc.png")
    print({k: v for k, v in out.items() if k != "per_recipe"})
    write_result("polymerization_kmc", out)
    return out


if __name__ == "__main__":
    main()
