"""``python -m flowsheets.polymerization --target FILE.csv``: recipe inversion of measured BA/AIBN polymer targets.

    python -m flowsheets.polymerization --target target.csv --model benchmarks/results/polymerization_models

The case-study command over :mod:`flowsheets.polymerization.eo_inverse`: its targets are
MMDs, turned into the forward network's outputs (PCA scores, log10 Mn/Mw) before the
inversion, and every answer is re-simulated.  For targets given directly as network
outputs, the generic ``idaes-ml invert --model DIR/NAME`` does the same on any exported
network.

Each row of the CSV needs ``MMD_1..MMD_100`` (dW/dlog10M on the fixed grid 10^2.5..10^7.5,
normalized to unit area), ``cBA_time`` (mol/L), ``Mn`` and ``Mw`` (g/mol).  For every row
the recipe (cBA_0, cAIBN_0, temp, time) is found by multistart Ipopt on the embedded
forward network, with identifiability ranges, then re-simulated.  Printed, and saved to
``--out``: ``<stem>_inversion.csv`` (one row per target), ``<stem>_ranges.csv``, and
``<stem>_row<i>_mmd.png`` (target vs re-simulated MMD).  Exit codes: 0 ok, 2 bad input or
missing model (one ``error:`` line on stderr), 1 no start converged.

Each row prints its misfit with the p-value under the noise model of
:mod:`flowsheets.polymerization.eo_inverse` (target = network prediction + Gaussian errors
of the network's validation RMSE; no measurement noise): "reachable" means p >= 0.05.
Pyomo/IDAES log messages go to stderr, so stdout carries only the results.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from idaes_ml.cli import OneLineParser, client_spec, error_line, logs_to_stderr, positive_int, read_input_table
from idaes_ml.errors import DataError, IdaesMLError, MetadataError, SolveFailedError
from idaes_ml.io import write_table

__all__ = ["invert_main", "DEFAULT_MODEL_DIR"]

DEFAULT_MODEL_DIR = os.environ.get("IDAES_ML_POLYMER_MODEL", "benchmarks/results/polymerization_models")


def _parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="python -m flowsheets.polymerization",
                      description="Recipe inversion of measured BA/AIBN polymer targets (MMD, cBA(t), Mn, Mw) "
                                  "through the forward network, with identifiability ranges and re-simulation.")
    ap.add_argument("--target", required=True, help="CSV/parquet with MMD_1..MMD_100, cBA_time, Mn, Mw")
    ap.add_argument("--model", default=DEFAULT_MODEL_DIR, help="forward-model directory (default %(default)s)")
    ap.add_argument("--name", default="ba_forward", help="forward-model name")
    ap.add_argument("--out", default=None, help="output directory (default: beside the target file)")
    ap.add_argument("--starts", type=positive_int, default=8, help="multistart points")
    ap.add_argument("--no-ranges", action="store_true", help="skip identifiability ranges")
    ap.add_argument("--client", type=client_spec, default=None,
                    help="idaes_ml.parallel.map client: 2 (local workers), local, or tcp://host:port")
    return ap


def invert_main(argv: list[str] | None = None) -> int:
    """Run the ``invert`` command; returns the process exit code."""
    args = _parser().parse_args(argv)
    with logs_to_stderr():
        try:
            return _invert(args)
        except (OSError, IdaesMLError) as exc:  # e.g. an unreachable scheduler
            print(error_line(exc), file=sys.stderr)
            return 2


def _invert(args: argparse.Namespace) -> int:
    from flowsheets.polymerization.eo_inverse import invert_target, mmd_plot
    from flowsheets.polymerization.forward import ForwardModel
    from flowsheets.polymerization.mmd import MMD_COLUMNS

    target_path = Path(args.target)
    out_dir = Path(args.out) if args.out else target_path.parent
    try:
        targets = read_input_table(target_path)
        if targets.empty:
            raise DataError(f"{target_path} has no rows")
        fm = ForwardModel.load(args.model, args.name)
    except (OSError, DataError, MetadataError) as exc:
        print(error_line(exc), file=sys.stderr)
        return 2
    rows, ranges, code = [], [], 0
    for i, target in targets.iterrows():
        try:
            inv = invert_target(fm, target, n_starts=args.starts, ranges=not args.no_ranges, client=args.client)
        except DataError as exc:
            print(error_line(f"row {i}: {exc}"), file=sys.stderr)
            return 2
        except SolveFailedError as exc:
            print(f"row {i}: inversion failed: {exc}", file=sys.stderr)
            rows.append({"row": i, "status": f"failed: {exc}"})
            code = 1
            continue
        rec = {"row": i, "status": "ok", **inv.summary()}
        rows.append(rec)
        if inv.ranges is not None:
            ranges.append(inv.ranges.reset_index().assign(row=i))
        png = mmd_plot(target[MMD_COLUMNS].to_numpy(dtype=float), {"re-simulated": inv.resimulated["mmd"]},
                       out_dir / f"{target_path.stem}_row{i}_mmd.png", title=f"row {i}: target vs recovered recipe")
        _print(i, inv, png)
    write_table(pd.DataFrame(rows), out_dir / f"{target_path.stem}_inversion.csv")
    if ranges:
        write_table(pd.concat(ranges, ignore_index=True), out_dir / f"{target_path.stem}_ranges.csv")
    print(f"saved {out_dir / (target_path.stem + '_inversion.csv')}")
    return code


def _print(i: int, inv, png: Path) -> None:
    units = {"cBA_0": "mol/L", "cAIBN_0": "mol/L", "temp": "degC", "time": "s"}
    state = "reachable" if inv.reachable else "NOT reachable: nearest achievable shown"
    print(f"row {i}: misfit {inv.misfit:.3g}, p = {inv.p_value:.3g} ({state}; chi-square, "
          f"{len(inv.target)} outputs), {inv.seconds:.1f} s")
    for k, v in inv.recipe.items():
        rng = "" if inv.ranges is None else f"  identifiable range [{inv.ranges.loc[k, 'low']:.4g}, {inv.ranges.loc[k, 'high']:.4g}]"
        print(f"  {k:8s} = {v:.4g} {units.get(k, '')}{rng}")
    print(f"  re-simulated MMD: RMSE {inv.resimulated['mmd_rmse']:.3g}, relative L2 "
          f"{inv.resimulated['mmd_rel_l2']:.3g}; plot {png}")


if __name__ == "__main__":
    raise SystemExit(invert_main())
