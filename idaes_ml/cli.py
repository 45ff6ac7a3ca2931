"""The ``idaes-ml`` command: ``train``, ``export``, ``solvers``, ``demo``, ``invert``.

    idaes-ml solvers                      # which Ipopt/CBC/HiGHS were found, installing the Ipopt bridge
    idaes-ml train data.csv --inputs T,P --outputs h --out nets --name unit
    idaes-ml export nets/unit.pt --out nets --name unit
    idaes-ml demo                         # the end-to-end job of ``make demo``
    idaes-ml invert --target target.csv   # polymerization recipe inversion
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _labels(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def _train(args: argparse.Namespace) -> int:
    from idaes_ml.io import read_table
    from idaes_ml.nn import MLPRegressor, export_onnx, save_checkpoint

    df = read_table(args.data)
    missing = [c for c in args.inputs + args.outputs if c not in df.columns]
    if missing:
        print(f"error: columns {missing} not in {args.data} (has {list(df.columns)})", file=sys.stderr)
        return 2
    out = Path(args.out)
    reg = MLPRegressor(
        hidden=tuple(int(h) for h in _labels(args.hidden)),
        activation=args.activation,
        max_epochs=args.epochs,
        learning_rate=args.lr,
        seed=args.seed,
        curve_path=out / f"{args.name}_training.png",
    ).fit(df[args.inputs], df[args.outputs])
    ckpt = save_checkpoint(reg.network_, out / f"{args.name}.pt")
    r2 = reg.r2_per_output(df[args.inputs], df[args.outputs])
    print(f"trained {args.name}: best epoch {reg.best_epoch_}; R² on all data:")
    print(r2.to_string())
    print(f"checkpoint: {ckpt}")
    if not args.no_export:
        res = export_onnx(reg, out, args.name)
        print(f"exported {res.onnx_path} and {res.info_path} (onnxruntime parity {res.max_abs_diff:.2e})")
    return 0


def _export(args: argparse.Namespace) -> int:
    from idaes_ml.nn import export_onnx, load_checkpoint

    res = export_onnx(load_checkpoint(args.checkpoint), args.out, args.name, tolerance=args.tolerance)
    print(f"exported {res.onnx_path} and {res.info_path} (onnxruntime parity {res.max_abs_diff:.2e})")
    return 0


def _solvers(args: argparse.Namespace) -> int:
    from idaes_ml.solvers import cli_solvers

    return cli_solvers(install=not args.no_install)


def _demo(args: argparse.Namespace) -> int:
    from flowsheets.flash_demo.demo import run_demo

    return run_demo(Path(args.out), n_points=args.points, seed=args.seed)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``idaes-ml``."""
    p = argparse.ArgumentParser(prog="idaes-ml", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a network on a CSV/parquet table and export it")
    t.add_argument("data")
    t.add_argument("--inputs", type=_labels, required=True, help="comma-separated input columns")
    t.add_argument("--outputs", type=_labels, required=True, help="comma-separated output columns")
    t.add_argument("--hidden", default="32,32")
    t.add_argument("--activation", default="tanh", choices=["tanh", "sigmoid", "softplus", "relu"])
    t.add_argument("--epochs", type=int, default=2000)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default=".")
    t.add_argument("--name", default="network")
    t.add_argument("--no-export", action="store_true", help="write only the checkpoint")
    t.set_defaults(func=_train)

    e = sub.add_parser("export", help="export a checkpoint to <name>.onnx + <name>_idaes_info.json")
    e.add_argument("checkpoint")
    e.add_argument("--out", default=".")
    e.add_argument("--name", default="network")
    e.add_argument("--tolerance", type=float, default=1e-5)
    e.set_defaults(func=_export)

    s = sub.add_parser("solvers", help="install the Ipopt bridge and report the solvers found")
    s.add_argument("--no-install", action="store_true", help="only report")
    s.add_argument("--install", action="store_true", help="install (the default; kept for scripts)")
    s.set_defaults(func=_solvers)

    d = sub.add_parser("demo", help="end-to-end demo: flowsheet data -> surrogate -> hybrid EO solve")
    d.add_argument("--out", default="outputs/demo")
    d.add_argument("--points", type=int, default=80)
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(func=_demo)

    sub.add_parser("invert", help="polymerization recipe inversion (see idaes-ml invert -h)", add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``idaes-ml`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "invert":  # its own parser, options passed through untouched
        from flowsheets.polymerization.cli import invert_main

        return invert_main(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
