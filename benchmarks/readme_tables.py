"""Regenerate the README tables that come from the JSON under ``benchmarks/results/``.

    python benchmarks/readme_tables.py           # rewrite README.md in place
    python benchmarks/readme_tables.py --check   # exit 1 (and say which) when README.md is stale

Each generated table sits between markers in README.md::

    <!-- table:NAME -->
    | ... markdown written by this script ... |
    <!-- /table:NAME -->

A table is a function from the results directory to markdown, registered under its
name with ``@table("NAME")``. To add one: write the function (read the JSON with
:func:`load`, build the rows, return :func:`markdown`), put the markers in README.md,
and run this script. ``tests/test_readme_tables.py`` fails when the committed README
differs from what this script generates, so the numbers cannot drift from the JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"

#: Table name -> function(results directory) -> markdown table.
TABLES: dict[str, Callable[[Path], str]] = {}

_BLOCK = re.compile(r"(<!-- table:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /table:(?P=name) -->)", re.S)
_OPENING = re.compile(r"<!-- table:([\w-]+) -->")

SCENARIOS = {
    "nominal": "nominal",
    "feed_rate_up": "feed rate +20 %",
    "feed_composition": "feed composition",
    "reactor_offline": "reactor offline",
    "coolant_warm": "warm coolant",
    "hot_feed_surge": "hot feed surge",
}
#: Issue 19 scenarios beyond the original six (cstr_network_idaes; cold_feed also in cstr_network_mpc).
MORE_SCENARIOS = {
    "cold_feed": "cold feed (75 %)",
    "coolant_limited": "coolant header 35 kg/h per jacket",
    "fouled_reactor": "one jacket fouled (½ UA)",
}


def table(name: str) -> Callable[[Callable[[Path], str]], Callable[[Path], str]]:
    """Register a table function under ``name`` (the name used in the README markers)."""
    def register(fn: Callable[[Path], str]) -> Callable[[Path], str]:
        if name in TABLES:
            raise ValueError(f"table {name!r} is registered twice")
        TABLES[name] = fn
        return fn
    return register


def load(results: Path, name: str) -> dict:
    """The JSON record ``results/<name>.json``."""
    return json.loads((results / f"{name}.json").read_text())


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table (header, separator, rows), ending with a newline."""
    lines = [header, ["---"] * len(header), *rows]
    return "".join("| " + " | ".join(str(c) for c in line) + " |\n" for line in lines)


def signed(value: float, digits: int = 1, unit: str = " %") -> str:
    """``+5.4 %`` / ``−43.0 %`` (a typographic minus, as in the prose)."""
    return f"{value:+.{digits}f}{unit}".replace("-", "−")


@table("nn_embedding")
def nn_embedding(results: Path) -> str:
    """Inverting random tanh networks (full vs reduced space), evaluation iterations, ReLU MILPs with HiGHS."""
    d = load(results, "nn_embedding")
    inv = {(r["depth"], r["width"], r["formulation"]): r for r in d["smooth"] if r["task"] == "invert"}
    shapes = [(1, 16), (2, 64), (3, 128), (4, 256)]
    rows = [[f"{dp} × {w}"] + [" / ".join(fmt(inv[(dp, w, f)][k]) for f in ("full_space", "reduced_space"))
                               for k, fmt in (("ipopt_s", lambda v: f"{v:.2g}"), ("iterations", str),
                                              ("wall_s", lambda v: f"{v:.2f}"))] for dp, w in shapes]
    wide = shapes[-2:]
    ipopt = [inv[(*s, "full_space")]["ipopt_s"] / inv[(*s, "reduced_space")]["ipopt_s"] for s in wide]
    wall = [inv[(*s, "reduced_space")]["wall_s"] / inv[(*s, "full_space")]["wall_s"] for s in wide]
    evals = [r["iterations"] for r in d["smooth"] if r["task"] == "evaluate"]
    text = markdown(["depth × width", "Ipopt s (full / reduced)", "iterations (full / reduced)",
                     "wall s per solve (full / reduced)"], rows)
    text += (f"\nFor the two widest rows reduced space needs {min(ipopt):.0f}–{max(ipopt):.0f}× less *Ipopt* time than "
             f"full space, but full space is {min(wall):.1f}–{max(wall):.1f}× faster *end to end*. Evaluation solves "
             f"take {min(evals)}–{max(evals)} iterations. Outside Ipopt the bridge spent "
             f"{d['summary']['bridge_overhead_s_median']:.2f} s per solve (median of "
             f"{sum(d['summary']['statuses'].values())} solves; `{d['command']}`, {d['when'][:10]}).\n")
    milp: dict = {}
    for r in d["relu_milp"]:
        milp.setdefault((r["depth"], r["width"]), {})[r["formulation"]] = r
    solved = {k: v for k, v in milp.items() if all(r["status"].endswith("optimal") for r in v.values())}
    limited = [k for k, v in milp.items() if k not in solved]
    times = [r["wall_s"] for v in solved.values() for r in v.values()]
    bigm = sum(v["relu_bigm"]["wall_s"] < v["relu_partition"]["wall_s"] for v in solved.values())
    no_incumbent = all(r["objective"] is None for k in limited for r in milp[k].values())
    name = lambda k: f"{k[0]} × {k[1]}"  # noqa: E731
    text += (f"\nReLU networks minimized as OMLT MILPs with HiGHS (60 s limit): {', '.join(map(name, sorted(solved)))} "
             f"solve to optimality in {min(times):.2f}–{max(times):.0f} s; big-M is faster than partition on {bigm} of "
             f"those {len(solved)}. {', '.join(map(name, sorted(limited)))} hit the time limit with both"
             + (", without an incumbent" if no_incumbent else "") + ".\n")
    return text


@table("solver_setup")
def solver_setup(results: Path) -> str:
    """Old vs new ``.nl`` bridge on the same files: setup and wall seconds per network, same Ipopt path."""
    d = load(results, "solver_setup")
    by: dict = {}
    for r in d["comparison"]:
        by.setdefault(r["shape"], []).append(r)
    span = lambda v, digits: (f"{min(v):.{digits}f}" if f"{min(v):.{digits}f}" == f"{max(v):.{digits}f}"  # noqa: E731
                              else f"{min(v):.{digits}f}–{max(v):.{digits}f}")
    rows = []
    for shape, rs in by.items():
        w, dp = shape.split("x")
        rows.append([f"{dp} × {w}",
                     f"{span([r['setup_s_old'] for r in rs], 2)} → {span([r['setup_s_new'] for r in rs], 2)} "
                     f"(×{span([r['setup_speedup'] for r in rs], 0)})",
                     f"{span([r['wall_s_old'] for r in rs], 2)} → {span([r['wall_s_new'] for r in rs], 2)} "
                     f"(×{span([r['wall_speedup'] for r in rs], 1)})",
                     "same" if all(r["same_ipopt_path"] for r in rs) else "**differs**"])
    return (markdown(["network (full space)", "setup s old → new", "wall s old → new", "Ipopt iterations"], rows)
            + f"\nMedian of {d['repeats']} per task (evaluate, invert), {d['when'][:10]}.\n")


@table("cstr_compare")
def cstr_compare(results: Path) -> str:
    """Throughput vs PI of the optimizer + PI and of PI at the best fixed setpoints (bold: >5 points apart); steady
    product of the learned optimum on the plant and of the multi-start plant optimum vs the equal-split plant optimum."""
    record = load(results, "cstr_network_compare")
    runs, steady = record["closed_loop"], record["steady_state"]
    rows = []
    for key, label in {**SCENARIOS, **MORE_SCENARIOS}.items():
        if key not in runs:
            continue
        opt = runs[key]["rto_pi"]["throughput_vs_pi_pct"]
        fixed = runs[key]["pi_nominal_optimum_setpoints"]["throughput_vs_pi_pct"]
        cell = signed(opt)
        ss = steady[key]
        rows.append([label, f"**{cell}**" if abs(opt - fixed) > 5 else cell, signed(fixed),
                     signed(round(100 * (ss["learned_opt_on_plant"] / ss["true_opt"] - 1), 1) + 0.0),
                     signed(round(100 * (ss["true_opt_multistart"] / ss["true_opt"] - 1), 1) + 0.0)])
    header = ["scenario", "optimizer + PI", "PI with the best fixed setpoints",
              "steady: learned optimum on the plant", "steady: plant optimum, best start"]
    return markdown(header, rows) + f"\n{record['n_reactors']} reactors; `{record['command']}`\n"


@table("cstr_mpc")
def cstr_mpc(results: Path) -> str:
    """Economic objective vs PI of RTO -> PI and the two learned-model MPCs, per scenario."""
    scenarios = load(results, "cstr_network_mpc")["scenarios"]
    policies = ["rto_pi", "mpc_hard", "mpc_barrier"]
    rows = [[label, *(signed(scenarios[key]["runs"][p]["economic_vs_pi_pct"]) for p in policies)]
            for key, label in {**SCENARIOS, **MORE_SCENARIOS}.items() if key in scenarios]
    record = load(results, "cstr_network_mpc")
    surge = scenarios["hot_feed_surge"]["runs"]
    mpc = [r for sc in scenarios.values() for p, r in sc["runs"].items() if p.startswith("mpc")]
    over = " / ".join(str(surge[p]["constraint_violation_steps"]) for p in ("pi", *policies))
    text = markdown(["scenario", "RTO → PI", "MPC, hard bounds", "MPC, log barrier"], rows)
    return text + (f"\nHot feed surge: steps over 120 °C (PI / RTO → PI / MPC hard / MPC barrier) {over} of "
                   f"{record['n_steps']}, by up to {max(r['constraint_violation_K_max'] for r in surge.values()):.1f} K; "
                   f"hard-MPC fallbacks {surge['mpc_hard']['fallbacks']}. MPC policy time "
                   f"{min(r['policy_s_per_step_mean'] for r in mpc):.1f}–{max(r['policy_s_per_step_mean'] for r in mpc):.1f} s "
                   f"per step on average, up to {max(r['policy_s_per_step_max'] for r in mpc):.0f} s (rebuilds), load average "
                   f"{record['load_average_at_end'][0]:.1f} on 2 cores; `{record['command']}`\n")


def _learned_optimum_cell(row: dict, tol: float) -> str:
    """Gap of a learned optimum (re-simulated on the plant) to the plant's, its shut trains, and 'infeasible' with
    the violation when the plant leaves the temperature limits by more than ``tol`` K."""
    cell = signed(round(-row["gap_pct"], 2) + 0.0, 2)
    if row.get("shut_trains"):
        cell += f", train {' & '.join(str(j) for j in row['shut_trains'])} shut"
    return cell if row["violation_K"] <= tol else f"{cell}, infeasible ({row['violation_K']:.2f} K off limits)"


@table("cstr_idaes")
def cstr_idaes(results: Path) -> str:
    """Issue 19 per scenario: IDAES vs scipy plant, plant optimum (multi-start; decisions on bounds; vs the
    equal-split start), guarded/unguarded learned optimum gap, MPC vs RTO -> PI; MPC on the IDAES plant."""
    det = load(results, "cstr_network_idaes_details")
    tol = det.get("feasibility_tol_K", 0.05)
    rows = []
    for key, label in {**SCENARIOS, **MORE_SCENARIOS}.items():
        gap, cl = det["optimum_gaps"][key], det["closed_loop"][key]
        econ = {p: cl[p]["economic_after_disturbance"] for p in ("rto_pi", "mpc")}
        bounds = gap["plant_optimum_on_bounds"]
        rows.append([label, f"{max(det['idaes_vs_scipy'][key]['max_abs_state_diff'][s] for s in ('T', 'TK')):.1e}",
                     f"{bounds['decisions_on_bounds']} / {bounds['decisions']}",
                     signed(round(100 * (gap["plant_optimum"] / gap["plant_optimum_single_start"] - 1), 1) + 0.0),
                     *(_learned_optimum_cell(gap[g], tol) for g in ("guarded", "unguarded")),
                     signed(round(100 * (econ["mpc"] / econ["rto_pi"] - 1), 1) + 0.0),
                     f"{cl['rto_pi']['constraint_violation_K_max']:.2f} / {cl['mpc']['constraint_violation_K_max']:.2f}",
                     cl["mpc"]["fallbacks"]])
    header = ["scenario", "IDAES − scipy (K)", "plant optimum: decisions on bounds", "vs equal-split start",
              "guarded optimum vs plant's", "unguarded", "MPC vs RTO → PI", "over limit (K): RTO → PI / MPC",
              "MPC fallbacks"]
    text = markdown(header, rows) + f"\n{det['n_reactors']} reactors, {det['n_steps']} × 30 s; `{det['command']}`\n"
    goal = load(results, "cstr_network_idaes")
    text += (f"\nTargets (`benchmarks/results/cstr_network_idaes.json`): IDAES vs scipy "
             f"{goal['idaes_vs_scipy_max_abs_K']:.1e} K (≤ 0.01), largest guarded-optimum gap "
             f"{goal['guarded_optimum_gap_pct']['max']:.2f} % (≤ 1.0; an optimum off the temperature limits by more "
             f"than {tol:g} K on the plant counts as 100 %), largest temperature violation of a guarded optimum "
             f"{goal.get('guarded_optimum_violation_K_max', float('nan')):.2f} K, MPC over the limit by at most "
             f"{goal['mpc']['constraint_violation_K_max']:.2f} K (≤ 0.5), ahead of RTO → PI in "
             f"{goal['mpc']['beats_rto_pi_scenarios']} of {len(rows)} scenarios (≥ 3).\n")
    on = det.get("mpc_on_idaes_plant")
    if on:
        scipy_run = det["closed_loop"][on["scenario"]]["mpc"]
        diff = max(on["max_abs_state_diff_vs_scipy_run"][s] for s in ("T", "TK"))
        text += (f"\nMPC closed loop on the IDAES plant ({MORE_SCENARIOS.get(on['scenario'], on['scenario'])}): "
                 f"economic {on['economic_after_disturbance']:.2f} (scipy plant {scipy_run['economic_after_disturbance']:.2f}), "
                 f"over limit {on['constraint_violation_K_max']:.2f} K, {on['fallbacks']} fallbacks, temperatures "
                 f"within {diff:.1e} K of the scipy-plant run, {on['plant_s_per_step_mean']:.2f} s per plant step.\n")
    return text


@table("operability_oi")
def operability_oi(results: Path) -> str:
    """Shower OI vs grid resolution: polytopes, OI and time (forward map + polytopes + OI)."""
    rows = [[f"{r['resolution']} × {r['resolution']}", r["polytopes"], f"{r['oi']:.4f}",
             f"{r['forward_s'] + r['polytopes_s'] + r['oi_s']:.2g} s"]
            for r in load(results, "operability_oi")["shower_2d"]["rows"]]
    return markdown(["grid", "paired polytopes", "OI", "time"], rows)


@table("operability_p1")
def operability_p1(results: Path) -> str:
    """P1 inverse mapping: seconds per point, serial vs Dask, per case and grid."""
    cases = {"shower": "shower (Pyomo)", "dma_mr": "DMA-MR network"}
    rows, commands = [], []
    for name in ("operability_p1", "operability_p1_dma_mr", "operability_p1_dma_mr_30"):
        record = load(results, name)
        command = re.sub(r"[^ ]*/(benchmarks/)", r"\1", record["command"])  # any checkout's path prefix
        commands.append(f"`{command}`")
        for r in record["runs"]:
            identical = {True: "yes", False: "**no**"}.get(r.get("identical_to_serial"), "–")
            rows.append([cases.get(r["case"], r["case"]), r["grid"].replace("x", " × "), r["executor"],
                         f"{r['per_point_s']:.2f}", f"{r['total_s']:.0f}", f"{100 * r['success_rate']:.0f} %",
                         identical])
    header = ["case", "grid", "executor", "s per point", "total s", "converged", "identical to serial"]
    return markdown(header, rows) + "\nCommands:\n" + "".join(f"* {c}\n" for c in commands)


@table("polymerization_identifiability")
def polymerization_identifiability(results: Path) -> str:
    """Profile likelihood of the recipe from the MMD: share of shifts above the χ² threshold, T profiles, CRB."""
    d = load(results, "polymerization_identifiability")
    names = {"cBA_0": "cBA₀", "cAIBN_0": "cAIBN₀", "temp": "T", "time": "t"}
    cases = d["cases"]
    rows = [[names[k], f"{d['identifiable_fraction'][k]:.2f}", f"{d['median_se_box_fraction_mmd'][k]:.2f}",
             f"{d['median_se_box_fraction_composite'][k]:.3f}"] for k in names]
    profiles = "; ".join(
        f"T = {c['truth']['temp']:.1f} °C: " + ", ".join(f"{p['temp'] - c['truth']['temp']:+.0f} °C → {p['chi2']:.2g}"
                                                         for p in c["profiles"]["temp"])
        for c in cases)
    return (markdown(["variable", "shifts with χ² > %.2f" % d["chi2_threshold"], "Cramér–Rao SE / box, MMD only",
                      "Cramér–Rao SE / box, + cBA(t), Mn, Mw"], rows)
            + f"\n{len(cases)} recipes (the seed's example and {len(cases) - 1} Latin-hypercube ones); the T "
              f"profiles (χ² after refitting the other three): {profiles}.\n")


@table("pyrolysis_fidelity")
def pyrolysis_fidelity(results: Path) -> str:
    """Seed 003 on the high-fidelity particle: tar + char trajectory MSE of each closure, train and test."""
    r = load(results, "pyrolysis_fidelity")
    labels = {"baseline": "baseline (literature E_A)", "apriori": "a priori (per-sample fits → network)",
              "aposteriori": "a posteriori (through the torch BDF2 solve)",
              "lower_limit": "lower limit of the 0D form (unboxed multi-start fits, best start)"}

    def fmt(value: float | None) -> str:
        return "–" if value is None else f"{value:.2e}"

    rows = [[label, fmt(r["train_mse"].get(key)), fmt(r[f"{key}_test_mse"])] for key, label in labels.items()]
    ll = r.get("lower_limit", {})
    train = f" and {ll['train']['converged']} of {ll['train']['samples']} training" if "train" in ll else ""
    certificate = (f" (Newton decrement ≤ {ll['test']['max_decrement_rel']:.0e} of the MSE, smallest Hessian "
                   f"eigenvalue ≥ {ll['test']['min_hess_eig_rel']:.0e} of the largest)"
                   if "max_decrement_rel" in ll.get("test", {}) else "")
    note = (f"\nLower limit: the best start of {ll['test']['converged']} of {ll['test']['samples']} "
            f"test{train} trajectories carries a second-order local-minimum certificate{certificate}; "
            f"a-posteriori test MSE / lower limit = "
            f"{ll['aposteriori_over_lower_limit']:.1f}\n" if "aposteriori_over_lower_limit" in ll else "")
    return markdown(["model", "train MSE", "test MSE"], rows) + note


def _size_rows(study: dict) -> list[list]:
    """Rows ``[a priori, a posteriori (mean ± std), a posteriori median, subsets, stopped]`` of a size study."""
    return [[*(f"{d[k][0]:.2e} ± {d[k][1]:.1e}" for k in ("apriori", "aposteriori")),
             f"{statistics.median(d['runs']['aposteriori']):.2e}", d["subsets"], d.get("stopped", "–")]
            for d in study.values()]


@table("pyrolysis_data_size")
def pyrolysis_data_size(results: Path) -> str:
    """Test MSE (mean ± std over random subsets, early stopping) per number of training trajectories."""
    sizes = load(results, "pyrolysis_fidelity").get("data_size", {})
    rows = [[n, *row] for n, row in zip(sizes, _size_rows(sizes))]
    return markdown(["trajectories", "a priori", "a posteriori", "a posteriori median", "subsets", "stopped by"], rows)


@table("pyrolysis_network_size")
def pyrolysis_network_size(results: Path) -> str:
    """Test MSE (mean ± std over random subsets, early stopping) per hidden-layer shape of both networks."""
    study = dict(load(results, "pyrolysis_fidelity").get("network_size", {}))
    n = study.pop("n_train", "?")
    rows = [[name.replace("x", " × "), *row] for name, row in zip(study, _size_rows(study))]
    return markdown(["hidden layers", "a priori", "a posteriori", "a posteriori median", "subsets", "stopped by"],
                    rows) + (
        f"\n{n} training trajectories per run\n")


@table("cumene_trust")
def cumene_trust(results: Path) -> str:
    """Conservation-exact cumene networks: the issue's targets next to what was measured."""
    d = load(results, "cumene_trust")
    r2, opt = d["heldout_r2"], d["optimum"]
    solved, total = d["heldout_solved"]
    rsc = d["random_start_convergence"]

    def ok(flag: bool) -> str:
        return "yes" if flag else "**no**"

    rows = [[f"held-out end-to-end R² ({name.replace('_', ' ')})", "≥ 0.95", f"{r2[name]:.4f}", ok(r2[name] >= 0.95)]
            for name in ("cumene_flow", "purity", "benzene_recycle", "dipb_return")]
    rows += [
        ["held-out points solved (bounded EO)", "all", f"{solved}/{total}", ok(solved == total)],
        ["… of these through the relaxed-bounds restart", "–",
         str(d["eo_details"].get("heldout_strategy", {}).get("relaxed_restart", 0)), "–"],
        ["EO from random tears, bounded", "≥ 0.99", f"{rsc['bounded']:.2f} of {rsc['n']}", ok(rsc["bounded"] >= 0.99)],
        ["… of these by the first (direct) solve", "–", f"{rsc['bounded_direct']:.2f} of {rsc['n']}", "–"],
        ["EO from random tears, relaxed bounds", "–", f"{rsc['relaxed']:.2f} of {rsc['n']}", "–"],
        ["plant C/H imbalance, max over solved points", "≤ 1e-6", f"{d['balance_max_rel']:.1e}",
         ok(d["balance_max_rel"] <= 1e-6)],
        ["ML-predicted profit at its optimum ($/h)", "–", f"{opt['ml_predicted']:.1f}", "–"],
        ["truth at the ML decisions ($/h)", "–", f"{opt['truth_at_ml_decisions']:.1f}", "–"],
        ["first-principles optimum ($/h)", "–", f"{opt['gt_optimum']:.1f}", "–"],
        ["prediction gap", "≤ 2 %", f"{100 * opt['prediction_gap']:.2f} %", ok(abs(opt["prediction_gap"]) <= 0.02)],
        ["optimality gap", "≤ 1 %", f"{100 * opt['optimality_gap']:.2f} %", ok(opt["optimality_gap"] <= 0.01)],
        ["ground-truth evaluations in the refinement loop", "–", str(opt["gt_evaluations"]), "–"],
    ]
    return markdown(["quantity", "target", "measured", "met"], rows)


@table("cumene_trust_solvers")
def cumene_trust_solvers(results: Path) -> str:
    """Torch cycle solvers on the structured networks: before fine-tuning, after fine-tuning
    through the unrolled solver (K = 0..10), after fine-tuning at the fixed point (implicit)."""
    t = load(results, "cumene_trust")["torch_graph"]
    names = {"direct": "direct substitution", "wegstein": "Wegstein", "newton": "Newton", "lbfgs": "L-BFGS"}
    stages = ("before", "after", "after_implicit")
    fmt = "{:.3f} / {:.3f} / {:.3f} / {:.3f}"
    rows = []
    for key, label in names.items():
        runs = [t[s][key] for s in stages]
        rows.append([label, " → ".join(f"{r['random_init_convergence_rate']:.2f}" for r in runs),
                     *(fmt.format(*r["end_to_end_r2"].values()) if r["end_to_end_r2"] else "–" for r in runs)])
    return markdown(["solver", "random-start convergence before → unrolled → implicit",
                     "R² before (flow / purity / recycle / return)", "R² after unrolled fine-tuning",
                     "R² after implicit fine-tuning"], rows)


@table("solver_throughput")
def solver_throughput(results: Path) -> str:
    """Shower and DMA-MR P1 10 x 10 against opyrability 2.0 (one run), re-solve overhead, ReLU MILPs."""
    d = load(results, "solver_throughput")
    p1, ov = d["p1_shower_10x10"], d["resolve_overhead"]
    load_avg = d["load_average_at_start"][0]
    rows = [
        ["opyrability 2.0 (pounce, in-process Ipopt)", f"{p1['opyrability_s']:.3f}", f"{p1['opyrability_cpu_s']:.3f}",
         str(p1["reached_opyrability"])],
        ["ours, default (persistent Ipopt, each grid row one NLP)", f"{p1['ours_s']:.3f}", f"{p1['ours_cpu_s']:.3f}",
         str(p1["reached_ours"])],
        ["ours, `batch=False` (point by point)", f"{p1['ours_per_point_s']:.3f}", f"{p1['ours_per_point_cpu_s']:.3f}",
         str(p1["reached_ours"])],
        ["ours, `batch=False` + dual warm start", f"{p1['ours_dual_warm_start_s']:.3f}",
         f"{p1['ours_dual_warm_start_cpu_s']:.3f}", str(p1["reached_ours"])],
    ]
    text = markdown(["shower P1 10 × 10", f"wall s (best of {p1['repeats']})", "CPU s", "reached"], rows)
    milp = d["relu_milp"]
    text += (f"\nSame reached set as opyrability: {p1['same_reached_set']}; default "
             f"{p1['speedup_vs_opyrability']:.1f}× faster (wall). Machine load average "
             f"{load_avg:.1f} on 2 cores. Re-solve overhead (wall − Ipopt's own time, {ov['solves']} solves): "
             f"median {ov['overhead_median_ms']:.2f} ms, p90 {ov['overhead_p90_ms']:.1f} ms. ReLU MILPs "
             f"({milp['time_limit_s']:.0f} s wall limit, gap target {100 * milp['mip_gap']:.0f} %, branch and bound "
             "over input boxes with HiGHS LPs): "
             + "; ".join(f"{k} {milp[k]['status']}, gap {100 * milp[k]['gap']:.2f} %, {milp[k]['time_s']:.0f} s "
                         f"({milp[k]['cpu_s']:.0f} s CPU, {milp[k].get('n_boxes', 0)} boxes)"
                         for k in ("2x32", "2x64")) + ".\n")
    dma = d.get("p1_dma_mr_10x10")
    if dma:
        text += (f"\nDMA-MR P1 10 × 10 on the Pyomo.DAE model ({dma['points']} points, one run each): ours "
                 f"{dma['ours_s']:.0f} s, with {dma['starts']} starts {dma['ours_multistart_s']:.0f} s")
        if dma.get("opyrability_s") is not None:
            text += (f"; opyrability 2.0 {dma['opyrability_s']:.0f} s on {dma['opyrability_model']} "
                     f"({dma['speedup_vs_opyrability']:.1f}× / {dma['multistart_speedup_vs_opyrability']:.1f}×)")
        elif dma.get("opyrability_timeout_s") is not None:
            text += (f"; opyrability 2.0 stopped after {dma['opyrability_timeout_s']:.0f} s with "
                     f"{dma['opyrability_points_done']} of {dma['points']} points done (≥ "
                     f"{dma['speedup_vs_opyrability_at_least']:.0f}× / "
                     f"≥ {dma['multistart_speedup_vs_opyrability_at_least']:.0f}×)")
        text += (f". Points farther from their target than the best design of a {dma['grid_scan']['points']} × "
                 f"{dma['grid_scan']['points']} scan of the AIS: {dma['ours_farther_than_grid']} single start, "
                 f"{dma['ours_multistart_farther_than_grid']} multistart; than opyrability's design (on the "
                 f"{dma['opyrability_compared_points']} points it finished): {dma['ours_farther_than_opyrability']} "
                 f"single start, {dma['ours_multistart_farther_than_opyrability']} multistart.\n")
    big = d.get("oneoff_large")
    if big:
        text += ("\nOne-off large solves (first solve of the persistent Ipopt, compile included; "
                 "`SolverFactory('ipopt')` for comparison): "
                 + "; ".join(f"{k} ({r['n_variables']} variables): Ipopt {r['ipopt_s']:.2f} s, outside Ipopt "
                             f"{r['persistent_outside_ipopt_s']:.1f} s, SolverFactory {r['solverfactory_s']:.1f} s"
                             + (f" (of which Pyomo's `.nl` writer {r['pyomo_nl_write_s']:.2f} s)" if "pyomo_nl_write_s" in r else "")
                             for k, r in big.items()) + ".\n")
        floors = {k: r["casadi_floor"] for k, r in big.items() if "casadi_floor" in r}
        if floors:
            text += ("\nThe same equations written directly in casadi (no Pyomo; one function mapped over the "
                     "index set): " + "; ".join(f"{k}: building + Ipopt setup {f['setup_s']:.2f} s, Ipopt "
                                               f"{f['ipopt_s']:.2f} s" for k, f in floors.items()) + ".\n")
    mpc = load(results, "mpc_step_time")
    b, a = mpc["before_solverfactory"], mpc["after_persistent"]
    text += (f"\nEconomic MPC on the {mpc['reactors']}-reactor network ({mpc['scenario']}, horizon {mpc['horizon']}, "
             f"{mpc['steps']} steps, `python benchmarks/mpc_step_time.py`): median {b['median_s']:.2f} s per step with "
             f"`SolverFactory('ipopt')` → {a['median_s']:.2f} s persistent ({mpc['median_speedup']:.1f}×; the step "
             f"that builds or rebuilds the model: {b['max_s']:.0f} → {a['max_s']:.0f} s); closed loops agree to "
             f"{max(mpc['closed_loop_max_abs_diff'].values()):.0e} (load average {mpc['load_average_at_start'][0]:.0f}).\n")
    return text


def render(text: str, results: Path = RESULTS) -> str:
    """``text`` with every marked table regenerated; unknown, unclosed or missing tables raise ValueError."""
    opened = _OPENING.findall(text)
    closed = {m["name"] for m in _BLOCK.finditer(text)}
    problems = [f"unknown table {n!r} (registered: {sorted(TABLES)})" for n in opened if n not in TABLES]
    problems += [f"table {n!r} has no closing <!-- /table:{n} -->" for n in opened if n not in closed]
    problems += [f"table {n!r} is registered but has no markers in the README" for n in TABLES if n not in opened]
    problems += [f"table {n!r} is marked more than once" for n in set(opened) if opened.count(n) > 1]
    if problems:
        raise ValueError("; ".join(problems))
    return _BLOCK.sub(lambda m: m.group(1) + TABLES[m["name"]](results) + m.group(4), text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite README.md (or, with ``--check``, report whether it is up to date)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check; exit 1 when README.md is stale")
    ap.add_argument("--readme", type=Path, default=README)
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    try:
        text = args.readme.read_text()
        new = render(text, args.results)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if new == text:
        print(f"{args.readme}: {len(TABLES)} tables up to date")
        return 0
    if args.check:
        print(f"{args.readme} is stale: run python benchmarks/readme_tables.py", file=sys.stderr)
        return 1
    args.readme.write_text(new)
    print(f"{args.readme}: tables regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
