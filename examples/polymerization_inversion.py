"""Recipe inversion of a polymerization
====================================

Recipe inversion for BA/AIBN polymerization with the committed forward network (seconds)::

    python examples/polymerization_inversion.py [--out outputs/polymerization] [--train 600]

1. load the forward network recipe -> (cBA(t), conversion, Mn, Mw, MMD PCA scores) that
   ``benchmarks/polymerization_inverse.py --retrain`` trained on 832 simulated recipes and exported to ONNX
   (``benchmarks/results/polymerization_models``; ``--train N`` simulates N Latin-hypercube
   recipes and trains one here instead: minutes);
2. simulate a new recipe (first-principles kinetics, :mod:`flowsheets.polymerization`) and
   take its MMD as the target;
3. invert it with multistart Ipopt on the embedded network, with identifiability ranges;
4. re-simulate the recovered recipe and plot target vs re-simulated MMD;
5. design query: least AIBN for 1.5e5 <= Mw <= 2.5e5 g/mol at conversion >= 0.9.

The held-out study (accuracy over many targets, profile likelihoods, the design query's
re-simulation) is on the benchmarks pages: ``polymerization_inverse``,
``polymerization_identifiability``, ``polymerization_design``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import flowsheets
from flowsheets.polymerization.data import RECIPE_COLUMNS, generate_dataset
from flowsheets.polymerization.eo_inverse import invert_target, min_initiator_design, mmd_plot
from flowsheets.polymerization.forward import ForwardModel, train_forward
from flowsheets.polymerization.mmd import MMD_COLUMNS

# the checkout holding flowsheets/ (sphinx-gallery runs examples without __file__)
MODELS = Path(flowsheets.__file__).resolve().parents[1] / "benchmarks" / "results" / "polymerization_models"


def main(argv: list[str] | None = None) -> None:
    """Run the example, printing the recipe, its ranges and the design."""
    ap = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    ap.add_argument("--out", default="outputs/polymerization")
    ap.add_argument("--train", type=int, default=0, help="train a forward network on this many new recipes")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if args.train:
        fm = train_forward(generate_dataset(args.train, seed=0), out / "models", n_components=8, max_epochs=800,
                           progress=True)
    else:
        fm = ForwardModel.load(MODELS, "ba_forward")
    print("forward validation RMSE:", {k: round(v, 4) for k, v in fm.rmse.items()})

    target = generate_dataset(1, seed=99, progress=False).iloc[0]
    inv = invert_target(fm, target, n_starts=4)
    print("\ntrue recipe     :", {k: round(float(v), 4) for k, v in target[RECIPE_COLUMNS].items()})
    print("recovered recipe:", {k: round(v, 4) for k, v in inv.recipe.items()},
          f"(misfit {inv.misfit:.3g}, p = {inv.p_value:.2g})")
    print(inv.ranges[["low", "best", "high", "width"]])
    print(f"re-simulated MMD relative L2 error: {inv.resimulated['mmd_rel_l2']:.3g}")
    png = mmd_plot(target[MMD_COLUMNS].to_numpy(dtype=float), {"recovered recipe": inv.resimulated["mmd"]},
                   out / "inversion_mmd.png", title="target vs re-simulated MMD")
    print("plot:", png)

    design = min_initiator_design(fm, mw_window=(1.5e5, 2.5e5), min_conversion=0.9)
    print("\nleast-initiator design:", {k: round(v, 4) for k, v in design["recipe"].items()})
    print(f"  Mw predicted {design['predicted_Mw']:.4g}, simulated {design['simulated_Mw']:.4g}; "
          f"conversion predicted {design['predicted_conversion']:.3f}, simulated {design['simulated_conversion']:.3f}; "
          f"meets spec: {design['meets_spec']} after {design['iterations']} NLP solve(s)")


if __name__ == "__main__":
    main()
