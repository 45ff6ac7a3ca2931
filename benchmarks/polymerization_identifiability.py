"""Identifiability of the BA/AIBN recipe from the MMD: Fisher information and profile likelihoods.

    nice python benchmarks/polymerization_identifiability.py [--n 2] [--shifts -0.3 -0.15 0.15 0.3]

Targets: the seed's example recipe (70 degC, 1 mol/L BA, 20 mmol/L AIBN, 3600 s) and
``--n`` Latin-hypercube recipes (seed 8), simulated without noise.  Noise model of
:mod:`flowsheets.polymerization.identifiability` with the kMC noise floor measured by
``polymerization_kmc.py`` (its median bootstrap relative L2; 0.03 if that has not run).
For each target: Cramer-Rao standard errors and correlations (MMD only and composite),
and, for every recipe variable, the profile of the MMD misfit with that variable shifted
by ``--shifts`` box widths (T: 0.15 = 3 degC) and the other three refitted.  Writes ``results/polymerization_identifiability.json`` and
``results/polymerization_identifiability.png``.
"""

from __future__ import annotations

import argparse

import numpy as np
from tqdm import tqdm

from _common import RESULTS, Timer, write_result
from flowsheets.polymerization.data import RECIPE_BOUNDS, RECIPE_COLUMNS
from flowsheets.polymerization.identifiability import CHI2_95_1DOF, fisher, noise_sigma, observe, profile
from idaes_ml.io import read_json
from idaes_ml.sampling import latin_hypercube

SEED_EXAMPLE = {"cBA_0": 1.0, "cAIBN_0": 0.02, "temp": 70.0, "time": 3600.0}


def _plot(cases: list[dict], path) -> None:
    import matplotlib.pyplot as plt

    from idaes_ml.plotting import save_figure

    fig, axes = plt.subplots(1, len(RECIPE_COLUMNS), figsize=(14, 3.5), sharey=True)
    for ax, var in zip(axes, RECIPE_COLUMNS):
        for c in cases:
            shift = [0.0] + [p["shift_box"] for p in c["profiles"][var]]
            chi = [0.0] + [p["chi2"] for p in c["profiles"][var]]
            order = np.argsort(shift)
            ax.plot(np.array(shift)[order], np.array(chi)[order], "o-", label=f"T = {c['truth']['temp']:.1f} C")
        ax.axhline(CHI2_95_1DOF, color="k", ls="--")
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_xlabel(f"{var} shift (box widths), others refitted")
    axes[0].set_ylabel("MMD misfit chi2 (dashed: chi2_1 95 %)")
    axes[0].legend(fontsize=7)
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict:
    """Fisher information and T profiles; returns the JSON payload."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2)
    ap.add_argument("--shifts", type=float, nargs="+", default=[-0.3, -0.15, 0.15, 0.3], help="box widths")
    ap.add_argument("--max-nfev", type=int, default=12)
    args = ap.parse_args(argv)
    kmc = RESULTS / "polymerization_kmc.json"
    noise = read_json(kmc)["median_kmc_noise_rel_l2"] if kmc.exists() else 0.03
    targets = [SEED_EXAMPLE, *latin_hypercube(RECIPE_BOUNDS, args.n, seed=8).to_dict("records")]
    cases = []
    with Timer() as t:
        for truth in tqdm(targets, desc="identifiability"):
            case = {"truth": truth}
            for kind in ("mmd", "composite"):
                obs = observe(truth, kind)
                fi = fisher(truth, noise_sigma(obs, noise))
                case[f"se_box_fraction_{kind}"] = fi["se_box_fraction"]
                case[f"corr_{kind}"] = {f"{a}~{b}": float(fi["corr"][i, j]) for i, a in enumerate(RECIPE_COLUMNS)
                                        for j, b in enumerate(RECIPE_COLUMNS) if i < j}
            obs = observe(truth, "mmd")
            case["profiles"] = {}
            for var, (lo, hi) in RECIPE_BOUNDS.items():
                vals = [truth[var] + s * (hi - lo) for s in args.shifts if lo <= truth[var] + s * (hi - lo) <= hi]
                rows = profile(truth, obs, noise_sigma(obs, noise), var, vals, max_nfev=args.max_nfev)
                case["profiles"][var] = [{**r, "shift_box": (r[var] - truth[var]) / (hi - lo),
                                          "identifiable": r["chi2"] > CHI2_95_1DOF} for r in rows]
            cases.append(case)
            print({v: [round(p["chi2"], 2) for p in ps] for v, ps in case["profiles"].items()}, flush=True)
    out = {"mmd_noise_rel_l2": noise, "chi2_threshold": CHI2_95_1DOF, "cases": cases, "wall_s": t.seconds,
           "identifiable_fraction": {v: float(np.mean([p["identifiable"] for c in cases for p in c["profiles"][v]]))
                                     for v in RECIPE_COLUMNS},
           "median_se_box_fraction_mmd": {k: float(np.median([c["se_box_fraction_mmd"][k] for c in cases]))
                                          for k in RECIPE_COLUMNS},
           "median_se_box_fraction_composite": {k: float(np.median([c["se_box_fraction_composite"][k] for c in cases]))
                                                for k in RECIPE_COLUMNS}}
    _plot(cases, RESULTS / "polymerization_identifiability.png")
    write_result("polymerization_identifiability", out)
    return out


if __name__ == "__main__":
    main()
