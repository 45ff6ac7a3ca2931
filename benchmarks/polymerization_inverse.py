"""Recipe inversion benchmark for BA/AIBN: direct regression (seed 002) vs EO inversion.

    nice python benchmarks/polymerization_data.py      # data sets first
    nice python benchmarks/polymerization_inverse.py [--targets 50] [--starts 4] [--ranges 10] [--forward-sets train forward]

Direct inverse regression (random forest, idaes_ml MLPRegressor) on (a) MMD only and
(b) MMD + cBA(t) + Mn + Mw, trained on 432 recipes; EO inversion of the same held-out
targets through the forward network (trained on ``--forward-sets``) embedded in Pyomo
(multistart Ipopt), identifiability
ranges on the first ``--ranges`` targets and re-simulation of every recovered recipe (the
design query is ``polymerization_design.py``).  Writes ``results/polymerization_inverse.json`` and PNGs
under ``results/polymerization_inverse/``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import torch


from _common import RESULTS, Timer, write_result
from polymerization_data import data_path
from flowsheets.polymerization.data import RECIPE_BOUNDS, RECIPE_COLUMNS, load_dataset, out_of_domain
from flowsheets.polymerization.direct_inverse import fit_direct, seed_table
from flowsheets.polymerization.eo_inverse import invert_target, mmd_plot, resimulate
from flowsheets.polymerization.forward import ForwardModel, train_forward
from flowsheets.polymerization.mmd import MMD_COLUMNS
from idaes_ml.plotting import parity_plot

SEED = {  # seed 002, Tables 1-3: (relative MAE, R2) per parameter and global R2
    "rf_mmd": {"cBA_0": (0.0539, 0.9445), "cAIBN_0": (0.2477, 0.1851), "temp": (0.1610, 0.5685),
               "time": (0.1439, 0.5999), "R² global": 0.5745},
    "rf_composite": {"cBA_0": (0.0225, 0.9869), "cAIBN_0": (0.2332, 0.2386), "temp": (0.0752, 0.8997),
                     "time": (0.0871, 0.8562), "R² global": 0.7454},
    "nn_composite": {"cBA_0": (0.0177, 0.9940), "cAIBN_0": (0.1522, 0.5927), "temp": (0.0393, 0.9754),
                     "time": (0.0624, 0.9193), "R² global": 0.8703},
}
MODELS = RESULTS / "polymerization_models"
FIGS = RESULTS / "polymerization_inverse"


def _resim_errors(recipes: pd.DataFrame, targets: pd.DataFrame) -> dict:
    """Re-simulate recipes (clipped into the box; how many needed it is reported)."""
    clipped = recipes.clip(lower={k: b[0] for k, b in RECIPE_BOUNDS.items()},
                           upper={k: b[1] for k, b in RECIPE_BOUNDS.items()}, axis=1)
    errs = [resimulate(r, t) for r, t in zip(clipped.to_dict("records"), targets[MMD_COLUMNS].to_numpy())]
    return {"out_of_domain_recipes": int(out_of_domain(recipes).sum()),
            "mmd_rmse_median": float(np.median([e["mmd_rmse"] for e in errs])),
            "mmd_rel_l2_median": float(np.median([e["mmd_rel_l2"] for e in errs])),
            "mmd_rel_l2_p90": float(np.quantile([e["mmd_rel_l2"] for e in errs], 0.9))}


def _report(name: str, truth: pd.DataFrame, pred: pd.DataFrame, seconds: float) -> dict:
    table, glob = seed_table(truth, pred)
    parity_plot(truth[RECIPE_COLUMNS], pred[RECIPE_COLUMNS], FIGS / f"{name}_parity.png", title=name)
    rec = {"per_parameter": {k: {"rel_MAE": float(r["MAE relativo"]), "R2": float(r["R²"])}
                             for k, r in table.iterrows()},
           **{k.replace("²", "2").replace(" ", "_"): v for k, v in glob.items()},
           "seconds": seconds, "seed": SEED.get(name)}
    print(f"\n{name}: global R2 {glob['R² global']:.4f} (seed {SEED.get(name, {}).get('R² global', '-')})")
    print(table.round(4).to_string())
    return rec


def main(argv: list[str] | None = None) -> dict:
    """Run both approaches on the held-out targets; returns the JSON payload."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, default=50)
    ap.add_argument("--starts", type=int, default=4)
    ap.add_argument("--ranges", type=int, default=10, help="targets that also get identifiability ranges")
    ap.add_argument("--retrain", action="store_true", help="retrain the forward network")
    ap.add_argument("--forward-sets", nargs="+", default=["train", "forward"], choices=["train", "forward"],
                    help="data sets the forward network trains on")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    train, held = load_dataset(data_path("train")), load_dataset(data_path("heldout"))
    targets = held.iloc[: args.targets].reset_index(drop=True)
    truth = targets[RECIPE_COLUMNS]
    out: dict = {"n_train": len(train), "n_targets": len(targets), "direct": {}, "eo": {}}

    for model, kind in [("rf", "mmd"), ("rf", "composite"), ("nn", "mmd"), ("nn", "composite")]:
        name = f"{model}_{kind}"
        with Timer() as t:
            pred = fit_direct(model, kind, train).predict(targets)
        out["direct"][name] = _report(name, truth, pred, t.seconds)
        out["direct"][name]["resimulation"] = _resim_errors(pred, targets)

    try:
        if args.retrain:
            raise FileNotFoundError
        fm = ForwardModel.load(MODELS)
    except FileNotFoundError:
        with Timer() as t:
            fwd = pd.concat([load_dataset(data_path(n)) for n in args.forward_sets], ignore_index=True)
            fm = train_forward(fwd, MODELS, n_components=8)
        out["eo"].update(forward_training_s=t.seconds, forward_training_rows=len(fwd), forward_sets=args.forward_sets)
    out["eo"]["forward_validation_rmse"] = fm.rmse

    invs, rows = [], []
    with Timer() as t_all:
        for i, target in targets.iterrows():
            inv = invert_target(fm, target, n_starts=args.starts, ranges=i < args.ranges, seed=i)
            invs.append(inv)
            rows.append(inv.summary())
            print(f"target {i}: misfit {inv.misfit:.3g}, MMD rel L2 {inv.resimulated['mmd_rel_l2']:.3g}, "
                  f"{inv.seconds:.1f} s", flush=True)
    eo = pd.DataFrame(rows)
    eo.to_csv(FIGS / "eo_inversions.csv", index=False)
    out["eo"]["recovery"] = _report("eo_inversion", truth, eo[RECIPE_COLUMNS], t_all.seconds)
    with_ranges = eo.iloc[: args.ranges]
    out["eo"].update({
        "seconds_per_inversion_without_ranges": float(eo.loc[args.ranges:, "seconds"].mean()),
        "seconds_per_inversion_with_ranges": float(with_ranges["seconds"].mean()),
        "n_starts": args.starts, "starts_converged_fraction": float(eo["n_starts_ok"].sum() / eo["n_starts"].sum()),
        "reachable_fraction": float(eo["reachable"].mean()),
        "misfit_median": float(eo["misfit"].median()),
        "resimulation": {"mmd_rmse_median": float(eo["mmd_rmse"].median()),
                         "mmd_rel_l2_median": float(eo["mmd_rel_l2"].median()),
                         "mmd_rel_l2_p90": float(eo["mmd_rel_l2"].quantile(0.9))},
        "identifiability_width_median": {k: float(with_ranges[f"{k}_width"].median()) for k in RECIPE_COLUMNS},
        "true_recipe_inside_range_fraction": {
            k: float(((with_ranges[f"{k}_low"] <= truth[k].iloc[: args.ranges] * (1 + 1e-6))
                      & (truth[k].iloc[: args.ranges] <= with_ranges[f"{k}_high"] * (1 + 1e-6))).mean())
            for k in RECIPE_COLUMNS},
    })
    for i in range(3):
        mmd_plot(targets.loc[i, MMD_COLUMNS].to_numpy(dtype=float), {"EO re-simulated": invs[i].resimulated["mmd"]},
                 FIGS / f"eo_target{i}_mmd.png", title=f"held-out target {i}")

    path = write_result("polymerization_inverse", out)
    print(f"\nwrote {path}")
    return out


if __name__ == "__main__":
    main()
