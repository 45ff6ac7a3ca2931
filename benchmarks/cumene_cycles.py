"""Cumene unit networks: single-unit accuracy, sequential cycle solving, fine-tuning.

    nice .venv/bin/python benchmarks/cumene_cycles.py        (after both cumene_data.py runs)

Trains one MLP per unit (non-negative outputs) on 80 % of the optimal ground-truth
points of the data sets named by ``--data``, solves the torch
flowsheet with direct substitution, Wegstein, Newton and L-BFGS from >= 100 random tear
initializations and from the documented guess, fine-tunes the networks through the
unrolled solver (K = 0..10), and repeats the measurements. The torch graph's mixers
conserve flows exactly (as the EO flowsheet's IDAES mixers do); ``all_network_mixers``
repeats Newton and fine-tuning with network mixers (the paper's all-ML setting). The
fine-tuning learning rate is chosen on a validation split of the training points. Writes
``results/cumene_cycles.json``, ONNX exports (``results/cumene_nets/{before,after}``),
pickled unit models for ``cumene_eo.py`` and PNG plots (convergence histories, fine-tuning
loss, the flowsheet diagram).
"""

from __future__ import annotations

import argparse
import pickle

import matplotlib.pyplot as plt
import pandas as pd

from _common import RESULTS, Timer, write_result

from idaes_ml.io import atomic_write, read_table
from idaes_ml.plotting import save_figure, training_curve

from flowsheets.cumene.data import optimal
from flowsheets.cumene.diagram import draw_flowsheet
from flowsheets.cumene.ml import single_unit_r2, train_networks
from flowsheets.cumene.ml_flowsheet import export_networks
from flowsheets.cumene.study import convergence_study, finetune_networks, select_learning_rate, split_rows


def plot_histories(before: dict, after: dict, path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, res, title in ((axes[0], before, "before fine-tuning"), (axes[1], after, "after fine-tuning")):
        for method, r in res.items():
            ax.semilogy(r["median_residual_history"], label=method)
        ax.set_title(f"median tear residual, random inits ({title})", fontsize=9)
        ax.set_xlabel("iteration")
    axes[0].set_ylabel("max |G(x)-x| / scale")
    axes[0].legend()
    save_figure(fig, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hidden", type=int, nargs="+", default=[32, 32])
    ap.add_argument("--epochs", type=int, default=1500)
    ap.add_argument("--ft-epochs", type=int, default=150)
    ap.add_argument("--ft-lr", type=float, nargs="+", default=[1e-4, 3e-4, 1e-3],
                    help="fine-tuning learning rates; the best on a validation split of the training points is used")
    ap.add_argument("--n-random", type=int, default=120)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--free-form", action="store_true",
                    help="free-form unit networks (every outlet variable predicted; the committed JSON)")
    ap.add_argument("--data", nargs="+", default=["cumene_data", "cumene_data_extra"],
                    help="ground-truth tables (names under results/, written by cumene_data.py)")
    args = ap.parse_args()
    df = optimal(pd.concat([read_table(RESULTS / f"{name}.parquet").assign(source=name) for name in args.data],
                           ignore_index=True))
    train, test = split_rows(df, seed=args.seed)
    with Timer() as t_train:
        models = train_networks(train, hidden=tuple(args.hidden), max_epochs=args.epochs, seed=args.seed,
                                structured=not args.free_form)
    r2_before = single_unit_r2(models, test)
    with Timer() as t_b:
        conv_before = convergence_study(models, test, train, n_random=args.n_random, seed=args.seed)
    with Timer() as t_select:
        lr, lr_scores = select_learning_rate(models, train, args.ft_lr, epochs=args.ft_epochs, seed=args.seed)
    with Timer() as t_ft:
        tuned, ft_history = finetune_networks(models, train, epochs=args.ft_epochs, learning_rate=lr,
                                              seed=args.seed)
    r2_after = single_unit_r2(tuned, test)
    with Timer() as t_a:
        conv_after = convergence_study(tuned, test, train, n_random=args.n_random, seed=args.seed)
    # the paper's setting: every unit a network, mixers included (not what EO can solve)
    tuned_all, history_all = finetune_networks(models, train, epochs=args.ft_epochs, learning_rate=lr,
                                               seed=args.seed, exact_mixers=False)
    all_networks = {
        "note": "torch graph whose mixers are networks too; EO keeps IDAES mixers",
        "single_unit_r2_after": single_unit_r2(tuned_all, test).groupby("unit")["r2"].mean().to_dict(),
        "finetune_loss_first_last": [history_all[0], history_all[-1]],
        **{tag: {k: v for k, v in convergence_study(ms, test, train, n_random=args.n_random, seed=args.seed,
                                                     methods=("newton",), exact_mixers=False)["newton"].items()
                 if k != "median_residual_history"}
           for tag, ms in (("before", models), ("after", tuned_all))},
    }
    parity = {"before": export_networks(models, RESULTS / "cumene_nets" / "before"),
              "after": export_networks(tuned, RESULTS / "cumene_nets" / "after")}
    with atomic_write(RESULTS / "cumene_nets" / "models.pkl", "wb") as fh:
        pickle.dump({"before": models, "after": tuned, "train": train, "test": test}, fh)
    plot_histories(conv_before, conv_after, RESULTS / "cumene_convergence.png")
    draw_flowsheet(RESULTS / "cumene_flowsheet.png")
    training_curve({"unrolled loss": ft_history}, RESULTS / "cumene_finetune_loss.png")
    table2 = r2_before.rename(columns={"r2": "r2_before"}).merge(r2_after.rename(columns={"r2": "r2_after"}))
    per_unit = table2.groupby("unit")[["r2_before", "r2_after"]].mean()
    write_result("cumene_cycles", {
        "data": args.data, "n_train": len(train), "n_test": len(test), "hidden": args.hidden,
        "finetune": {"epochs": args.ft_epochs, "learning_rate": lr, "loss_scale": "per-stream spread",
                     "validation_mean_kpi_r2_by_learning_rate": lr_scores, "selection_seconds": t_select.seconds},
        "train_seconds": t_train.seconds, "finetune_seconds": t_ft.seconds,
        "study_seconds": {"before": t_b.seconds, "after": t_a.seconds},
        "single_unit_r2_mean_by_unit": per_unit.to_dict(orient="index"),
        "single_unit_r2": table2.to_dict(orient="records"),
        "convergence_before": conv_before, "convergence_after": conv_after,
        "finetune_loss_first_last": [ft_history[0], ft_history[-1]],
        "onnx_max_abs_diff": parity,
        "all_network_mixers": all_networks,
    })


if __name__ == "__main__":
    main()
