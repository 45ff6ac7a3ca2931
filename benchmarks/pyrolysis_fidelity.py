"""Seed-003 closure study on the high-fidelity particle (heat of reaction, drying, volatile escape, properties).

    OMP_NUM_THREADS=1 nice python benchmarks/pyrolysis_fidelity.py [--n-lhs 100 --n-test 20 --sizes 10 25 50
        --subsets 5 --sweep 3 --workers 2]

The defaults are the documented smaller run that fits ~30 min on 2 shared cores; the seed's
study is ``--n-lhs 250 --n-test 50 --sizes 10 25 50 100 200 --sweep 8``.

Stages (the JSON is rewritten after each, ``stage`` says how far it got):

1. ground truth from :mod:`flowsheets.pyrolysis.particle` at ``--nodes`` shells (LHS + 3 sweeps, cached parquet);
2. convergence on ``--n-conv`` test conditions: yield MSE of the production grid against a 4x finer one, and
   of the production tolerances against 100x tighter ones; energy-audit residual and mass closure;
3. black-box fits (lower limit of the 0D form), baseline / a priori / a posteriori train and test MSE;
4. data size: ``--subsets`` random subsets per size, every network stopped by early stopping on 20 % of its subset;
5. E_A landscape on the sweeps (seed Fig. 4) and its smoothness;
6. EO design with the exported closure (OMLT + Ipopt) validated by a temperature scan of the particle model.

``--stage main`` stops before step 4 and ``--stage data-size`` runs only step 4 (refitting the training set),
so the two can run side by side; step 4 writes ``results/pyrolysis_fidelity_data_size.json`` after every size
and merges into the main record when done.

Writes ``results/pyrolysis_fidelity.json`` and ``results/pyrolysis_fidelity_*.png``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from _common import RESULTS, Timer, write_result
from pyrolysis_plots import landscape_plot, learning_plot, rollout_plot
from flowsheets.pyrolysis.closure_case import (E_FIT_BOUNDS, E_LABELS, baseline_E, predict_E, run_a_priori,
                                               train_a_posteriori_net, train_a_priori_net, yield_errors)
from flowsheets.pyrolysis.data import TrajectorySet, design, generate, sweeps
from flowsheets.pyrolysis.design import optimize_oven, validate
from flowsheets.pyrolysis.kinetics import E_BASE
from flowsheets.pyrolysis.models import OBS_TIMES
from flowsheets.pyrolysis.particle import simulate_particle, solve_particle
from flowsheets.pyrolysis.reduced import CONDITIONS
from idaes_ml.closure import APrioriFits
from idaes_ml.io import read_json, read_table, write_table
from idaes_ml.nn import export_onnx
from idaes_ml.surrogate import OnnxSurrogate

NAME = "pyrolysis_fidelity"
MECHANISMS = ["heat_of_reaction", "volatile_escape", "tar_cracking_in_pores", "moisture", "property_evolution",
              "surface_radiation_convection"]
MIXTURE = pd.DataFrame({"feret_mm": [2.0, 5.0, 8.0], "aspect": [3.0, 3.0, 3.0], "weight": [0.3, 0.4, 0.3]})


def dataset(name: str, conditions: pd.DataFrame, nodes: int, workers) -> TrajectorySet:
    """Generate (or read the cached) ground-truth set; failures are printed, never kept."""
    path = RESULTS / f"pyrolysis_hifi_{name}_n{nodes}.parquet"
    if path.exists():
        return TrajectorySet.load(path)
    ds = generate(conditions, n_nodes=nodes, client=workers, strict=False)
    if len(ds.failures):
        print(f"{len(ds.failures)} failed runs in {name}:\n{ds.failures.to_string()}")
    ds.save(path)
    return ds


def cached_fits(name: str, ds: TrajectorySet, workers) -> APrioriFits:
    """Black-box fits of ``ds``, cached as ``results/pyrolysis_hifi_fits_<name>.parquet``."""
    path = RESULTS / f"pyrolysis_hifi_fits_{name}.parquet"
    if path.exists():
        df = read_table(path)
        return APrioriFits(df[E_LABELS], df["mse"], df[["ok", "message", "nfev"]])
    fits = run_a_priori(ds, client=workers)
    write_table(pd.concat([fits.params, fits.loss, fits.status], axis=1), path)
    return fits


def convergence(test: TrajectorySet, nodes: int, k: int) -> dict:
    """Grid (nodes vs 4 nodes) and tolerance (1e-6 vs 1e-8) errors, energy and mass audits on ``k`` conditions."""
    rows = []
    for r in tqdm(test.conditions.iloc[:k].itertuples(index=False), total=k, desc="convergence"):
        args = (r.T_oven, r.feret_mm, r.aspect)
        base = simulate_particle(*args, n_nodes=nodes)[:, :2]
        fine = simulate_particle(*args, n_nodes=4 * nodes)[:, :2]
        half = simulate_particle(*args, n_nodes=nodes // 2)[:, :2]
        tight = simulate_particle(*args, n_nodes=nodes, rtol=1e-8, atol=1e-11)[:, :2]
        sol = solve_particle(*args, n_nodes=nodes)
        rows.append({"grid": float(((base - fine) ** 2).mean()), "grid_half": float(((half - fine) ** 2).mean()),
                     "tolerance": float(((base - tight) ** 2).mean()),
                     "energy_residual": abs(sol.energy_balance()["residual"]),
                     "mass_error": float(np.abs(sol.mass_closure(OBS_TIMES) - 1).max())})
    df = pd.DataFrame(rows)
    order = np.log2(df["grid_half"].mean() / df["grid"].mean()) / 2   # MSE ~ h^(2p), h halved
    return {"nodes": nodes, "nodes_fine": 4 * nodes, "conditions": k, "mse_vs_4x": float(df["grid"].mean()),
            "mse_half_vs_4x": float(df["grid_half"].mean()), "observed_order": float(order),
            "mse_rtol_1e-6_vs_1e-8": float(df["tolerance"].mean()),
            "max_energy_residual": float(df["energy_residual"].max()), "max_mass_error": float(df["mass_error"].max())}


def data_size(train: TrajectorySet, test: TrajectorySet, fits_tr, sizes, subsets: int, report) -> dict:
    """Test MSE (mean, std over random subsets) of both closures per training-set size; early stopping only.

    ``report(partial)`` is called after every size.
    """
    rng = np.random.default_rng(0)
    out: dict = {}
    for n in sizes:
        runs = {"apriori": [], "aposteriori": [], "epochs_apriori": [], "epochs_aposteriori": []}
        for s in tqdm(range(subsets), desc=f"n={n}"):
            idx = np.sort(rng.choice(len(train.conditions), n, replace=False))
            sub = train.subset(idx)
            fits = type(fits_tr)(*(f.iloc[idx].reset_index(drop=True)
                                   for f in (fits_tr.params, fits_tr.loss, fits_tr.status)))
            reg = train_a_priori_net(sub.conditions, fits, seed=s)
            net, res = train_a_posteriori_net(sub, seed=s, learning_rate=2e-2)
            runs["apriori"].append(float(yield_errors(predict_E(reg, test.conditions), test).mean()))
            runs["aposteriori"].append(float(yield_errors(predict_E(net, test.conditions), test).mean()))
            runs["epochs_apriori"].append(len(reg.history_["train"]))
            runs["epochs_aposteriori"].append(len(res.history["train"]))
        out[str(n)] = {"apriori": [float(np.mean(runs["apriori"])), float(np.std(runs["apriori"]))],
                       "aposteriori": [float(np.mean(runs["aposteriori"])), float(np.std(runs["aposteriori"]))],
                       "subsets": subsets, "stopped": "early_stopping", "runs": runs}
        print(n, {k: out[str(n)][k] for k in ("apriori", "aposteriori")})
        report(out)
    return out


def smoothness(dE: np.ndarray, n: int) -> float:
    """Mean |second difference| of the E_A corrections over the n x n sweep grids [kJ/mol]."""
    g = dE.reshape(-1, n, n, dE.shape[-1])
    return float(np.mean([np.abs(np.diff(g, 2, axis=a)).mean() for a in (1, 2)]))


def eo_design(net, nodes: int) -> dict:
    """EO optimum of the mixture with the embedded closure, checked on a particle-model temperature scan."""
    export_onnx(net, RESULTS / "pyrolysis_onnx", "a_posteriori")
    sur = OnnxSurrogate.load(RESULTS / "pyrolysis_onnx", "a_posteriori")
    res = optimize_oven(sur, MIXTURE, t_res=10.0)
    check = validate(res, MIXTURE, T_grid=np.linspace(*res.T_bounds, 12), n_nodes=nodes)
    return {"T_eo": res.T_oven, "tar_eo_model": res.tar, "tar_hifi_at_T_eo": check["tar_hf_at_opt"],
            "T_hifi_optimum": check["T_hf_grid_best"], "tar_hifi_optimum": check["tar_hf_grid_best"],
            "tar_gap": check["tar_hf_grid_best"] - check["tar_hf_at_opt"], "ipopt_s": res.seconds,
            "scan": {"T": check["T_grid"], "tar": check["tar_hf_grid"]}, "mixture": MIXTURE.to_dict("list"),
            "t_res_s": 10.0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-lhs", type=int, default=100)
    ap.add_argument("--n-test", type=int, default=20)
    ap.add_argument("--nodes", type=int, default=16)
    ap.add_argument("--n-conv", type=int, default=5)
    ap.add_argument("--sweep", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 25, 50])
    ap.add_argument("--subsets", type=int, default=5)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--stage", choices=["all", "main", "data-size"], default="all",
                    help="main: stop after the design; data-size: only the data-size study (refits the training set)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    workers = args.workers or None
    out: dict = {"mechanisms": MECHANISMS, "settings": vars(args)}
    with Timer() as t:
        ds = dataset(f"lhs{args.n_lhs}", design(args.n_lhs, seed=0), args.nodes, workers)
        sw = dataset(f"sweeps{args.sweep}", sweeps(args.sweep), args.nodes, workers)
    n_train = len(ds.conditions) - args.n_test
    train, test = ds.subset(range(n_train)), ds.subset(range(n_train, len(ds.conditions)))
    tag = f"lhs{args.n_lhs}_test{args.n_test}_n{args.nodes}"
    if args.stage == "data-size":
        fits_train = cached_fits(f"{tag}_train", train, workers)
        return merge_data_size(data_size(train, test, fits_train, args.sizes, args.subsets, report_sizes))
    out |= {"n_train": n_train, "n_test": args.n_test, "failed_runs": int(len(ds.failures) + len(sw.failures)),
            "data_seconds": t.seconds}
    with Timer() as t:
        conv = convergence(test, args.nodes, args.n_conv)
    out["convergence"] = conv | {"seconds": t.seconds}
    write_result(NAME, out | {"stage": "data and convergence"})

    with Timer() as t_fit:
        fits = {k: cached_fits(f"{tag}_{k}" if k != "sweeps" else f"sweeps{args.sweep}_n{args.nodes}", d, workers)
                for k, d in (("train", train), ("test", test), ("sweeps", sw))}
    at_box = {k: int(((f.params.to_numpy() <= E_FIT_BOUNDS[0] * 1.001)
                      | (f.params.to_numpy() >= E_FIT_BOUNDS[1] * 0.999)).any(axis=1).sum()) for k, f in fits.items()}
    with Timer() as t_net:
        reg = train_a_priori_net(train.conditions, fits["train"])
        net, res = train_a_posteriori_net(train, learning_rate=2e-2, progress=True)
    models = {"baseline": lambda c: baseline_E(len(c)), "apriori": lambda c: predict_E(reg, c),
              "aposteriori": lambda c: predict_E(net, c)}
    mse = {k: {s: float(yield_errors(f(d.conditions), d).mean()) for s, d in (("train", train), ("test", test))}
           for k, f in models.items()}
    out |= {f"{k}_test_mse": v["test"] for k, v in mse.items()}
    out |= {"lower_limit_test_mse": float(fits["test"].loss.mean()),
            "train_mse": {k: v["train"] for k, v in mse.items()} | {"lower_limit": float(fits["train"].loss.mean())},
            "fits": {"at_box": at_box, "failed": {k: int(len(f.failed)) for k, f in fits.items()},
                     "not_converged": {k: int(f.status["message"].str.contains("maximum number").sum())
                                       for k, f in fits.items()},
                     "max_rel_change": float(np.abs(fits["train"].params.to_numpy() / E_BASE - 1).max())},
            "epochs": {"apriori": len(reg.history_["train"]), "aposteriori": len(res.history["train"]),
                       "aposteriori_best": res.best_epoch},
            "seconds": {"fits": t_fit.seconds, "networks": t_net.seconds}}
    out["grid_convergence"] = {"mse_vs_4x_over_aposteriori_test_mse": conv["mse_vs_4x"] / mse["aposteriori"]["test"]}
    plot_keys = {"baseline": "baseline", "apriori": "a_priori", "aposteriori": "a_posteriori"}
    rollout_plot(test, {plot_keys[k]: f(test.conditions) for k, f in models.items()}, RESULTS / f"{NAME}_rollouts.png",
                 n=min(6, len(test.conditions)))
    print({k: v["test"] for k, v in mse.items()}, out["lower_limit_test_mse"])
    write_result(NAME, out | {"stage": "main table"})

    dE = {"black_box": fits["sweeps"].params.to_numpy() - E_BASE,
          "a_priori": models["apriori"](sw.conditions).to_numpy() - E_BASE,
          "a_posteriori": models["aposteriori"](sw.conditions).to_numpy() - E_BASE}
    out["sweep_smoothness_kJ_mol"] = {k: smoothness(v, args.sweep) for k, v in dE.items()}
    landscape_plot(dE, sw.conditions, args.sweep, E_LABELS, RESULTS / f"{NAME}_E_landscape.png")
    with Timer() as t:
        out["design"] = eo_design(net, args.nodes)
    out["design"]["seconds"] = t.seconds
    write_result(NAME, out | {"stage": "main table, landscape, design"})

    if args.stage == "all":
        merge_data_size(data_size(train, test, fits["train"], args.sizes, args.subsets, report_sizes))


def report_sizes(part: dict) -> None:
    """Write the data-size runs finished so far to ``results/<NAME>_data_size.json``."""
    write_result(f"{NAME}_data_size", {"data_size": part})


def merge_data_size(sizes: dict) -> None:
    """Put the data-size study into the main record and draw its figure."""
    out = read_json(RESULTS / f"{NAME}.json")
    arms = {"a_priori": "apriori", "a_posteriori": "aposteriori"}
    curve = {"sizes": [int(n) for n in sizes],
             **{k: [{"mean": d[m][0], "std": d[m][1]} for d in sizes.values()] for k, m in arms.items()}}
    learning_plot(curve, {"baseline": {"test": out["baseline_test_mse"]},
                          "lower_limit": {"test": out["lower_limit_test_mse"]}}, RESULTS / f"{NAME}_data_size.png")
    keep = {k: v for k, v in out.items() if k not in ("benchmark", "when", "command", "machine")}
    print(write_result(NAME, keep | {"data_size": sizes, "stage": "complete"}))


if __name__ == "__main__":
    main()
