"""Cumene network flowsheet solved equation-oriented (Ipopt): accuracy, robustness, economics.

    nice .venv/bin/python benchmarks/cumene_eo.py         (after cumene_cycles.py)

For the networks before and after fine-tuning: EO solve of the SurrogateUnit flowsheet at
every held-out point (end-to-end R² of cumene flow/purity and recycle flows vs ground
truth), EO convergence from random tear values, Pyomo SequentialDecomposition on the
network flowsheet, profit maximization validated on the ground truth (with free network
inputs and with every network input kept inside its training box); solve time of the
network flowsheet vs the ground truth with 1, 2, 4, 8 alkylation reactors in series, and
EO time and held-out R² vs network width (16..128, retrained on the same data).
"""

from __future__ import annotations

import argparse
import logging
import pickle
import tempfile

import pandas as pd
import pyomo.environ as pyo
from idaes.core.util.model_serializer import StoreSpec, from_json
from tqdm import tqdm

from _common import RESULTS, Timer, command, read_payload, write_result

from idaes_ml.metrics import r2_per_output
from idaes_ml.plotting import parity_plot

from flowsheets.cumene.data import solve_point, warm_model
from flowsheets.cumene.eo_study import (heldout_accuracy, nominal_ml_model, optimize, random_tear_robustness,
                                        timed_solve)
from flowsheets.cumene.economics import MIN_PURITY, profit_expression
from flowsheets.cumene.flowsheet import NOMINAL, build_flowsheet, set_conditions
from flowsheets.cumene.ml import train_networks
from flowsheets.cumene.ml_flowsheet import build_ml_flowsheet, export_networks, set_ml_conditions
from flowsheets.cumene.properties import relax_derived_bounds
from flowsheets.cumene.solve import solve_sequential
from flowsheets.cumene.study import truth_kpis
from flowsheets.cumene.units import kpis, stream_values


def ground_truth_at(decisions: dict) -> dict:
    """Simulate the ground truth at ``decisions`` (propylene feed nominal) and price it.

    Solved as the data set's points are (:func:`.data.solve_point`: warm start from the
    nominal solution, bounded property variables, continuation through the midpoint).
    """
    row = solve_point({**NOMINAL, **decisions})
    m, _ = warm_model(1)  # solve_point leaves its solution in the cached model
    k = kpis(stream_values(m))
    return {"status": row["status"], "profit": pyo.value(profit_expression(m)), "kpis": k,
            "purity_met": k["cumene_purity"] >= MIN_PURITY - 1e-6}


def ground_truth_optimum() -> dict:
    """Maximize profit on the first-principles flowsheet, then re-simulate it with bounds."""
    _, state = warm_model(1)
    m = build_flowsheet()  # a fresh model: optimize relaxes bounds, solve_point needs them
    set_conditions(m, NOMINAL)
    opt = optimize(m, state)
    return {**opt, "resimulated": ground_truth_at(opt["decisions"])}


def validated_optimum(m, state, truth_optimum: dict) -> dict:
    """Maximize profit on the network flowsheet, then simulate the ground truth there.

    ``prediction_gap``: network profit - true profit at the network's decisions;
    ``optimality_gap``: true optimum - true profit at the network's decisions.
    """
    opt = optimize(m, state)
    gt = ground_truth_at(opt["decisions"])
    both = opt["status"] == gt["status"] == "optimal"
    return {"ml": opt, "ground_truth_at_ml_optimum": gt,
            "prediction_gap_per_hour": opt["profit"] - gt["profit"] if both else None,
            "optimality_gap_per_hour": (truth_optimum["profit"] - gt["profit"]
                                        if both and truth_optimum["status"] == "optimal" else None)}


PARTS = ("eo", "optimize", "chain", "width")


def heldout_and_robustness(m, state, test, truth, n_random: int, plot=None) -> dict:
    """EO solves at every held-out point (R² of the optimal ones) and from random tears."""
    acc = heldout_accuracy(m, state, test)
    ok = acc["status"] == "optimal"
    r2 = r2_per_output(truth[ok.to_numpy()], acc.loc[ok, truth.columns]) if ok.sum() > 1 else pd.Series(dtype=float)
    if plot is not None and ok.sum() > 1:
        parity_plot(truth[ok.to_numpy()], acc.loc[ok, truth.columns], plot,
                    title="EO network flowsheet vs ground truth (held-out)")
    rob = random_tear_robustness(m, state, n_random)
    return {
        "heldout_optimal": int(ok.sum()), "heldout_failed": acc.loc[~ok, ["status"]].join(
            acc.get("out_of_domain", pd.Series(dtype=str))).to_dict("records"),
        "heldout_median_solve_seconds": float(acc["seconds"].median()),
        "end_to_end_r2": {k: float(v) for k, v in r2.items()},
        "random_tear_convergence_rate": float((rob["status"] == "optimal").mean()),
        "random_tear_n": len(rob), "random_tear_median_seconds": float(rob["seconds"].median()),
    }


def eo_part(m, state, nom, t_init: float, test, truth, tag: str, args, models, directory) -> dict:
    """Held-out accuracy, random-tear robustness and SequentialDecomposition of one network set.

    Measured on the standard (bounded) formulation and again with the derived property
    variables' bounds dropped (``relaxed_bounds``, as the optimization uses).
    """
    plot = RESULTS / "cumene_eo_parity.png" if tag == "after" else None
    out = {"nominal_status": nom["status"], "init_and_nominal_seconds": t_init,
           **heldout_and_robustness(m, state, test, truth, args.n_random)}
    mr, state_r, nom_r = nominal_ml_model(models, directory, relax_bounds=True)
    out["relaxed_bounds"] = {"nominal_status": nom_r["status"],
                             **heldout_and_robustness(mr, state_r, test, truth, args.n_random, plot)}
    with Timer() as t_sd:
        from_json(m, sd=state, wts=StoreSpec.value())
        eo_kpi = kpis(stream_values(m))
        try:
            solve_sequential(m, iter_lim=args.sd_iter, tol=1e-5)
            sd_kpi, sd_error = kpis(stream_values(m)), None
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            sd_kpi, sd_error = None, f"{type(exc).__name__}: {exc}"
    out["sequential_decomposition"] = {"kpis": sd_kpi, "eo_kpis": eo_kpi, "error": sd_error, "seconds": t_sd.seconds}
    return out


def optimize_part(models, directory, truth_optimum: dict) -> dict:
    """The validated optimum with free network inputs and with inputs kept in the training box.

    Both start from the nominal solution of the network flowsheet with relaxed property
    bounds (the optimization's formulation).
    """
    m, state, nom = nominal_ml_model(models, directory, relax_bounds=True)
    if nom["status"] != "optimal":
        return {"optimization": {"ml": {"status": f"nominal solve {nom['status']}"}}}
    out = {"optimization": validated_optimum(m, state, truth_optimum)}
    mb = build_ml_flowsheet(models, directory, enforce_bounds=True)
    set_ml_conditions(mb, NOMINAL)
    out["optimization_inputs_in_training_domain"] = validated_optimum(mb, state, truth_optimum)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS,
                    help="what to (re)measure; other parts are kept from the existing JSON")
    ap.add_argument("--n-random", type=int, default=100)
    ap.add_argument("--chain", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--sd-iter", type=int, default=20, help="SequentialDecomposition iteration limit")
    ap.add_argument("--tags", nargs="+", default=["before", "after"], choices=["before", "after"])
    ap.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64, 128])
    ap.add_argument("--width-epochs", type=int, default=1500)
    ap.add_argument("--free-form", action="store_true",
                    help="free-form networks in the width study (the committed JSON); the other parts read "
                         "results/cumene_nets written by cumene_cycles.py")
    args = ap.parse_args()
    logging.getLogger("pyomo").setLevel(logging.ERROR)
    logging.getLogger("idaes").setLevel(logging.ERROR)
    saved = pickle.load(open(RESULTS / "cumene_nets" / "models.pkl", "rb"))
    test = saved["test"]
    truth = truth_kpis(test)
    payload: dict = {"n_test": len(test), "commands": {}}
    previous = RESULTS / "cumene_eo.json"
    if set(args.parts) != set(PARTS) and previous.exists():
        payload = read_payload("cumene_eo")
        payload.setdefault("commands", {})
    for part in args.parts:
        payload["commands"][part] = command()
    if "optimize" in args.parts:
        payload["ground_truth_optimum"] = ground_truth_optimum()
    for tag in args.tags:
        directory = RESULTS / "cumene_nets" / tag
        entry = payload.setdefault(tag, {})
        if "eo" in args.parts:
            with Timer() as t_init:
                m, state, nom = nominal_ml_model(saved[tag], directory)
            entry.update(eo_part(m, state, nom, t_init.seconds, test, truth, tag, args, saved[tag], directory))
        if "optimize" in args.parts:
            entry.pop("optimization_inputs_in_training_domain", None)
            entry.update(optimize_part(saved[tag], directory, payload["ground_truth_optimum"]))
        write_result("cumene_eo", payload)
    tag = args.tags[-1]
    if "chain" in args.parts:
        payload["chain_scaling"] = chain_scaling(saved[tag], RESULTS / "cumene_nets" / tag, args.chain)
        write_result("cumene_eo", payload)
    if "width" in args.parts:
        payload["width_scaling"] = width_scaling(saved["train"], test, truth, args.widths, args.width_epochs,
                                                   structured=not args.free_form)
    write_result("cumene_eo", payload)


def chain_scaling(models, directory, chain: list[int]) -> list[dict]:
    """Ground truth vs network flowsheet with 1, 2, 4, ... alkylation reactors in series.

    Both with the derived property bounds relaxed (the bounded network flowsheet's
    nominal solve can end at the iteration limit).
    """
    rows = []
    for n in tqdm(chain, desc="reactor chain"):
        m_gt, m_ml = build_flowsheet(n), build_ml_flowsheet(models, directory, n_reactors=n)
        for m in (m_gt, m_ml):
            relax_derived_bounds(m)
        gt = timed_solve(m_gt, set_conditions)
        ml = timed_solve(m_ml, set_ml_conditions)
        rows.append({"n_reactors": n, "ground_truth": gt, "network": ml,
                     "solve_time_ratio_network_over_truth": ml["solve_seconds"] / gt["solve_seconds"]})
    return rows


def width_scaling(train, test, truth, widths: list[int], epochs: int, structured: bool = True) -> list[dict]:
    """Networks of width w x w (same data, same seed): nominal EO time and held-out R².

    Solved with the derived property bounds relaxed (as the optimization), which
    converges more held-out points and faster than the bounded formulation.
    """
    rows = []
    for w in tqdm(widths, desc="network width"):
        with Timer() as t_train:
            models = train_networks(train, hidden=(w, w), max_epochs=epochs, structured=structured)
        with tempfile.TemporaryDirectory() as tmp:
            export_networks(models, tmp)
            m, state, nom = nominal_ml_model(models, tmp, relax_bounds=True)
            acc = heldout_accuracy(m, state, test)
        ok = (acc["status"] == "optimal").to_numpy()
        r2 = r2_per_output(truth[ok], acc.loc[ok, truth.columns]) if ok.sum() > 1 else pd.Series(dtype=float)
        rows.append({"width": w, "train_seconds": t_train.seconds, "nominal_status": nom["status"],
                     "nominal_solve_seconds": nom["seconds"], "heldout_optimal": int(ok.sum()),
                     "heldout_n": len(acc), "heldout_median_solve_seconds": float(acc["seconds"].median()),
                     "end_to_end_r2": {k: float(v) for k, v in r2.items()}})
    return rows


if __name__ == "__main__":
    main()
