"""Seed-003 closure study on the high-fidelity particle (heat of reaction, drying, volatile escape, properties).

    OMP_NUM_THREADS=1 nice python benchmarks/pyrolysis_fidelity.py [--n-lhs 100 --n-test 20 --sizes 10 25 50
        --subsets 5 --sweep 3 --workers 2]

The defaults are the documented smaller run that fits ~30 min on 2 shared cores; the seed's
study is ``--n-lhs 250 --n-test 50 --sizes 10 25 50 100 200 --sweep 8``.

Stages (the JSON is rewritten after each, ``stage`` says how far ``main`` got):

1. ground truth from :mod:`flowsheets.pyrolysis.particle` at ``--nodes`` shells (LHS + 3 sweeps, cached parquet;
   failed runs are printed and listed in ``*_failures.csv``, never kept);
2. convergence on ``--n-conv`` test conditions: yield MSE of the production grid against a 4x finer one, and
   of the production tolerances against 100x tighter ones; energy-audit residual and mass closure;
3. boxed black-box fits (a priori targets), baseline / a priori / a posteriori train and test MSE, and the
   lower limit of the 0D form: unboxed multi-start fits run to convergence (:mod:`flowsheets.pyrolysis.lower_limit`);
4. E_A landscape on the sweeps (seed Fig. 4) and its smoothness;
5. EO design with the exported closure (OMLT + Ipopt) validated by a temperature scan of the particle model.

``--stage main`` runs 1-5. The other stages run one study and merge its keys into the record, so they can
run side by side (each size or layer shape is merged as soon as it is done):

* ``--stage lower-limit [--starts 8] [--more-iter N]``: the lower-limit fits alone (``--more-iter`` continues
  the cached fits whose best start had not converged);
* ``--stage data-size --sizes ...``: ``--subsets`` random subsets per size of a pool of the training set plus
  ``--extra-lhs`` more trajectories (LHS seed 1), every network stopped by early stopping on 20 % of its subset;
* ``--stage network-size --net-n 50 --layers 16x16 8 ...``: the same per hidden-layer shape.

Writes ``results/pyrolysis_fidelity.json`` and ``results/pyrolysis_fidelity_*.png``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from _common import RESULTS, Timer, command, payload_of, write_result
from pyrolysis_plots import landscape_plot, learning_plot, rollout_plot
from flowsheets.pyrolysis.closure_case import (E_FIT_BOUNDS, E_LABELS, baseline_E, predict_E, run_a_priori,
                                               train_a_posteriori_net, train_a_priori_net, yield_errors)
from flowsheets.pyrolysis.data import TrajectorySet, design, generate, sweeps
from flowsheets.pyrolysis.design import optimize_oven, validate
from flowsheets.pyrolysis.kinetics import E_BASE
from flowsheets.pyrolysis.models import OBS_TIMES
from flowsheets.pyrolysis.lower_limit import fit_lower_limit, multistarts, polish_newton
from flowsheets.pyrolysis.particle import simulate_particle, solve_particle
from flowsheets.pyrolysis.reduced import CONDITIONS, OBSERVED, BatchedReducedProblem
from idaes_ml.closure import APrioriFits
from idaes_ml.io import read_json, read_table, write_table
from idaes_ml.nn import export_onnx
from idaes_ml.surrogate import OnnxSurrogate

NAME = "pyrolysis_fidelity"
MECHANISMS = ["heat_of_reaction", "volatile_escape", "tar_cracking_in_pores", "moisture", "property_evolution",
              "surface_radiation_convection"]
MIXTURE = pd.DataFrame({"feret_mm": [2.0, 5.0, 8.0], "aspect": [3.0, 3.0, 3.0], "weight": [0.3, 0.4, 0.3]})


def dataset(name: str, conditions: pd.DataFrame, nodes: int, workers) -> TrajectorySet:
    """Generate (or read the cached) ground-truth set; failures are printed and listed beside it, never kept."""
    path = RESULTS / f"pyrolysis_hifi_{name}_n{nodes}.parquet"
    failed = path.with_name(path.stem + "_failures.csv")
    if path.exists():
        ds = TrajectorySet.load(path)
        return ds if not failed.exists() else TrajectorySet(ds.conditions, ds.yields, ds.times, pd.read_csv(failed))
    ds = generate(conditions, n_nodes=nodes, client=workers, strict=False)
    if len(ds.failures):
        print(f"{len(ds.failures)} failed runs in {name}:\n{ds.failures.to_string()}")
    ds.save(path)
    ds.failures.to_csv(failed, index=False)
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


def _subset_fits(fits: APrioriFits, idx: np.ndarray) -> APrioriFits:
    return type(fits)(*(f.iloc[idx].reset_index(drop=True) for f in (fits.params, fits.loss, fits.status)))


def closure_runs(pool: TrajectorySet, fits_pool: APrioriFits, test: TrajectorySet, n: int, subsets: int,
                 hidden: tuple[int, ...] | None = None, seed: int = 0) -> dict:
    """Both closures on ``subsets`` random ``n``-trajectory subsets of ``pool``; test MSE (mean, std) and runs.

    Every network stops by early stopping on 20 % of its subset; the a posteriori one trains through
    :class:`BatchedReducedProblem`. ``hidden`` sets both networks' hidden layers (defaults otherwise).
    """
    rng = np.random.default_rng(seed)
    arch = {} if hidden is None else {"hidden": hidden}
    runs: dict = {k: [] for k in ("apriori", "aposteriori", "epochs_apriori", "epochs_aposteriori",
                                  "capped_apriori", "capped_aposteriori", "seconds_aposteriori")}
    for s in tqdm(range(subsets), desc=f"n={n} {hidden or ''}"):
        idx = np.sort(rng.choice(len(pool.conditions), n, replace=False))
        sub = pool.subset(idx)
        reg = train_a_priori_net(sub.conditions, _subset_fits(fits_pool, idx), seed=s, **arch)
        net, res = train_a_posteriori_net(sub, seed=s, learning_rate=2e-2, problem=BatchedReducedProblem(), **arch)
        runs["apriori"].append(float(yield_errors(predict_E(reg, test.conditions), test).mean()))
        runs["aposteriori"].append(float(yield_errors(predict_E(net, test.conditions), test).mean()))
        runs["epochs_apriori"].append(len(reg.history_["train"]))
        runs["epochs_aposteriori"].append(len(res.history["train"]))
        runs["capped_apriori"].append(len(reg.history_["train"]) >= reg.max_epochs)
        runs["capped_aposteriori"].append(len(res.history["train"]) >= 2000)
        runs["seconds_aposteriori"].append(res.seconds)
    return {"apriori": [float(np.mean(runs["apriori"])), float(np.std(runs["apriori"]))],
            "aposteriori": [float(np.mean(runs["aposteriori"])), float(np.std(runs["aposteriori"]))],
            "subsets": subsets, "stopped": "epoch_cap" if any(runs["capped_apriori"] + runs["capped_aposteriori"])
            else "early_stopping", "aposteriori_solver": "BatchedReducedProblem", "runs": runs}


def data_size(pool: TrajectorySet, fits_pool: APrioriFits, test: TrajectorySet, sizes, subsets: int, report) -> dict:
    """Test MSE (mean, std over random subsets of ``pool``) of both closures per training-set size.

    ``report(partial)`` is called after every size.
    """
    out: dict = {}
    for n in sizes:
        out[str(n)] = closure_runs(pool, fits_pool, test, n, subsets, seed=n)
        print(n, {k: out[str(n)][k] for k in ("apriori", "aposteriori")})
        report({"data_size": out})
    return out


def network_size(pool: TrajectorySet, fits_pool: APrioriFits, test: TrajectorySet, n: int, subsets: int,
                 layers: list[tuple[int, ...]], report) -> dict:
    """Test MSE (mean, std over random ``n``-subsets of ``pool``) of both closures per hidden-layer shape."""
    out: dict = {}
    for hidden in layers:
        out["x".join(map(str, hidden))] = closure_runs(pool, fits_pool, test, n, subsets, hidden=hidden, seed=n)
        report({"network_size": out | {"n_train": n}})
    return out | {"n_train": n}


def lower_limit(name: str, ds: TrajectorySet, boxed: APrioriFits | None, starts: int, max_iter: int,
                more_iter: int = 0, net_start: np.ndarray | None = None) -> pd.DataFrame:
    """Unboxed multi-start fits (:func:`fit_lower_limit`) of ``ds``, cached as ``results/pyrolysis_lowerlimit_<name>``.

    Starts: baseline, the boxed fits ``boxed`` (if given) and ``starts`` random ones.
    ``more_iter`` continues the samples whose best start did not converge from where they
    stopped, for up to that many more iterations. ``net_start`` (``(N, 10)``, the a-posteriori network's E_A)
    adds one more start per sample, so each fit is at most that network's error.
    One row per sample: E_A, mse, convergence status.
    """
    path = RESULTS / f"pyrolysis_lowerlimit_{name}.parquet"
    status_cols = ["lm_reason", "converged", "iterations", "newton_iterations", "grad_inf", "hess_min_eig_rel",
                   "decrement_rel"]
    if path.exists():
        df = read_table(path).rename(columns={"reason": "lm_reason"})
        if "grad_inf" not in df:  # fits cached before the Newton polish: polish them now
            pol = polish_newton(ds.conditions, ds.observed(OBSERVED), df[E_LABELS].to_numpy())
            df[E_LABELS], df["mse"], df["converged"] = pol[E_LABELS], pol["mse"], pol["certified"]
            df[status_cols[3:]] = pol[status_cols[3:]]
    else:
        x0 = multistarts(len(ds.conditions), k=starts, extra=None if boxed is None else boxed.params.to_numpy())
        fits = fit_lower_limit(ds.conditions, ds.observed(OBSERVED), x0, max_iter=max_iter)
        df = pd.concat([fits.params, fits.mse, fits.status], axis=1).assign(n_starts=x0.shape[1], max_iter=max_iter)
    def adopt(rows: np.ndarray, fits, better: np.ndarray) -> None:
        """Take ``fits`` (one row per entry of ``rows``) where ``better``: E_A, mse and status."""
        df.loc[rows[better], E_LABELS] = fits.params.to_numpy()[better]
        df.loc[rows[better], "mse"] = fits.mse.to_numpy()[better]
        df.loc[rows[better], status_cols] = fits.status[status_cols].to_numpy()[better]

    todo = np.flatnonzero(~df["converged"].to_numpy(bool))
    if more_iter and len(todo):
        more = fit_lower_limit(ds.conditions.iloc[todo], ds.observed(OBSERVED)[todo],
                               df[E_LABELS].to_numpy()[todo][:, None, :], max_iter=more_iter)
        more.status["iterations"] += df["iterations"].to_numpy()[todo]
        adopt(todo, more, more.mse.to_numpy() <= df["mse"].to_numpy()[todo])   # LM never increases the cost
    if net_start is not None and "net_start_mse" not in df:
        extra = fit_lower_limit(ds.conditions, ds.observed(OBSERVED), net_start[:, None, :], max_iter=max_iter)
        better = extra.mse.to_numpy() < df["mse"].to_numpy()
        adopt(np.arange(len(df)), extra, better)
        df.loc[better, "start"] = df["n_starts"].to_numpy()[better]      # index of the new start
        df["net_start_mse"] = extra.mse.to_numpy()
        df["net_start_converged"] = extra.status["converged"].to_numpy()
        df["n_starts"] += 1
    write_table(df, path)
    return df


def lower_limit_record(test: pd.DataFrame, train: pd.DataFrame | None) -> dict:
    """JSON part of the lower limit: test (and train) mean MSE, converged counts, per-sample status."""
    def part(df: pd.DataFrame) -> dict:
        return {"mse": float(df["mse"].mean()), "converged": int(df["converged"].sum()), "samples": len(df),
                "starts": int(df["n_starts"].iloc[0]), "max_iter": int(df["max_iter"].iloc[0]),
                "best_from_aposteriori_start": int((df["start"] == df["n_starts"] - 1).sum())
                if "net_start_mse" in df else 0,
                "max_grad_inf": float(df["grad_inf"].max()),
                "min_hess_eig_rel": float(df["hess_min_eig_rel"].min()),
                "max_decrement_rel": float(df["decrement_rel"].max()),
                "per_sample": df[["mse", "lm_reason", "iterations", "newton_iterations", "grad_inf",
                                  "hess_min_eig_rel", "decrement_rel", "converged", "start", "starts_converged",
                                  "starts_within_1pct", "worst_over_best"]].to_dict("list")}
    rec = {"method": "Levenberg-Marquardt in E/E_base, no bounds, exact (complex-step) Jacobian, "
                     "starts: baseline, boxed fit, random ones (E_base x (1 + 0.15 N(0,1))), with "
                     "--start-from-aposteriori the a-posteriori network's E_A (last start), see 'starts'; "
                     "'max_iter' is the first LM run's cap, 'iterations' per sample include continuations "
                     "(--more-iter); the best start is then polished by trust-region Newton (exact Hessian from "
                     "central differences of the complex-step gradient); 'converged' = second-order certificate: "
                     "Hessian min/max eigenvalue >= -1e-8, Newton decrement over the curved directions "
                     "(eigenvalue > 1e-10 max) <= 1e-8 MSE + 1e-20, slope along the flat ones <= 1e-13 + 1e-6 MSE",
           "test": part(test)}
    return rec | ({"train": part(train)} if train is not None else {})


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
    ap.add_argument("--extra-lhs", type=int, default=120,
                    help="extra training trajectories (LHS, seed 1) pooled with the training set for the size studies")
    ap.add_argument("--starts", type=int, default=10, help="random starts of the lower-limit fits")
    ap.add_argument("--max-iter", type=int, default=3000, help="iteration cap of the lower-limit fits")
    ap.add_argument("--more-iter", type=int, default=0,
                    help="continue the cached lower-limit fits that did not converge for this many iterations")
    ap.add_argument("--start-from-aposteriori", action="store_true",
                    help="add the exported a-posteriori network's E_A as one more lower-limit start")
    ap.add_argument("--lower-limit-train", action="store_true", help="also fit the training set's lower limit")
    ap.add_argument("--net-n", type=int, default=80, help="trajectories per network-size run")
    ap.add_argument("--layers", nargs="+", default=["8", "16x16", "32x32", "64x64", "16x16x16"])
    ap.add_argument("--stage", choices=["all", "main", "lower-limit", "data-size", "network-size"], default="all",
                    help="main: stop after the design; the others run only that study and merge it into the JSON")
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
    if args.stage in ("data-size", "network-size"):
        extra = dataset(f"lhs{args.extra_lhs}s1", design(args.extra_lhs, seed=1), args.nodes, workers)
        pool = TrajectorySet(pd.concat([train.conditions, extra.conditions], ignore_index=True),
                             np.concatenate([train.yields, extra.yields]), train.times, extra.failures)
        fits = [cached_fits(f"{tag}_train", train, workers), cached_fits(f"lhs{args.extra_lhs}s1_n{args.nodes}",
                                                                         extra, workers)]
        fits_pool = APrioriFits(*(pd.concat([getattr(f, a) for f in fits], ignore_index=True)
                                  for a in ("params", "loss", "status")))
        info = {"pool": len(pool.conditions), "extra_lhs": args.extra_lhs,
                "extra_failed_runs": int(len(extra.failures)), "test": len(test.conditions),
                "aposteriori_solver": "BatchedReducedProblem (numpy BDF2, complex-step gradients)"}
        if args.stage == "data-size":
            res = data_size(pool, fits_pool, test, args.sizes, args.subsets, report_part)
            learning_plot_from(read_json(RESULTS / f"{NAME}.json")["data_size"] | res)
            return merge({"data_size": res, "data_size_setup": info}, "data-size")
        layers = [tuple(int(v) for v in a.split("x")) for a in args.layers]
        res = network_size(pool, fits_pool, test, args.net_n, args.subsets, layers, report_part)
        return merge({"network_size": res, "network_size_setup": info}, "network-size")
    if args.stage == "lower-limit":
        return merge(lower_limit_stage(train, test, tag, args, workers), "lower-limit")
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
    out |= lower_limit_stage(train, test, tag, args, workers)
    out |= {"train_mse": {k: v["train"] for k, v in mse.items()} | {"lower_limit": out["train_mse"]["lower_limit"]},
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
        for stage in ("data-size", "network-size"):
            print(f"run --stage {stage} next")


def lower_limit_stage(train: TrajectorySet, test: TrajectorySet, tag: str, args, workers) -> dict:
    """Lower-limit keys of the record: converged unboxed fits of the test (and training) set."""
    boxed = {k: cached_fits(f"{tag}_{k}", d, workers) for k, d in (("test", test), ("train", train))}
    net = None
    if args.start_from_aposteriori:   # the exported network of the main stage
        net = OnnxSurrogate.load(RESULTS / "pyrolysis_onnx", "a_posteriori").network
    starts = {k: None if net is None else predict_E(net, d.conditions).to_numpy() for k, d in (("test", test),
                                                                                                 ("train", train))}
    ll_test = lower_limit(f"{tag}_test", test, boxed["test"], args.starts, args.max_iter, args.more_iter,
                          starts["test"])
    ll_train = (lower_limit(f"{tag}_train", train, boxed["train"], args.starts, args.max_iter, args.more_iter,
                            starts["train"])
                if args.lower_limit_train else None)
    rec = lower_limit_record(ll_test, ll_train)
    out = read_json(RESULTS / f"{NAME}.json") if (RESULTS / f"{NAME}.json").exists() else {}
    train_mse = out.get("train_mse", {}) | {"lower_limit": rec["train"]["mse"] if ll_train is not None else None,
                                            "boxed_fits": float(boxed["train"].loss.mean())}
    if "aposteriori_test_mse" in out:
        rec["aposteriori_over_lower_limit"] = out["aposteriori_test_mse"] / rec["test"]["mse"]
    return {"lower_limit_test_mse": rec["test"]["mse"], "lower_limit": rec, "train_mse": train_mse,
            "boxed_fits_test_mse": float(boxed["test"].loss.mean())}


def report_part(part: dict) -> None:
    """Merge a size study's finished runs into the record (so a stopped run keeps what it finished)."""
    merge(part, "partial")


def learning_plot_from(sizes: dict) -> None:
    """Draw the data-size figure (baseline and lower limit from the record)."""
    out = read_json(RESULTS / f"{NAME}.json")
    arms = {"a_priori": "apriori", "a_posteriori": "aposteriori"}
    curve = {"sizes": [int(n) for n in sizes],
             **{k: [{"mean": d[m][0], "std": d[m][1]} for d in sizes.values()] for k, m in arms.items()}}
    learning_plot(curve, {"baseline": {"test": out["baseline_test_mse"]},
                          "lower_limit": {"test": out["lower_limit_test_mse"]}}, RESULTS / f"{NAME}_data_size.png")


def merge(update: dict, stage: str) -> None:
    """Put one stage's keys into the record; ``commands`` keeps the command of every stage."""
    out = read_json(RESULTS / f"{NAME}.json")
    commands = out.get("commands", {}) | {stage: command()}
    keep = payload_of(out)
    for key in ("data_size", "network_size"):   # studies run in parts (several processes) add up
        if key in update:
            update = update | {key: keep.get(key, {}) | update[key]}
    print(write_result(NAME, keep | update | {"commands": commands}))


if __name__ == "__main__":
    main()
