"""The ``idaes-ml`` command: ``train``, ``export``, ``solvers``, ``demo``, ``invert``.

    idaes-ml solvers                      # which Ipopt/CBC/HiGHS were found, installing the Ipopt bridge
    idaes-ml train data.csv --inputs T,P --outputs h --out nets --name unit
    idaes-ml export nets/unit.pt --out nets --name unit
    idaes-ml demo                         # the end-to-end job of ``make demo``
    idaes-ml invert --target target.csv   # polymerization recipe inversion

Bad input (a missing or unreadable file, bad options, NaN data, a file that is not a
checkpoint) ends with one ``error: ...`` line on stderr and exit code 2, never a
traceback. Pyomo/IDAES log messages go to stderr, so stdout carries only results.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from idaes_ml.errors import IdaesMLError, MetadataError

if TYPE_CHECKING:
    import pandas as pd


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message`` (no usage block) and exit with 2."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} -h)\n")


def _labels(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def client_spec(text: str) -> int | str:
    """An argparse type for a :func:`idaes_ml.parallel.map` client: a worker count, ``local`` or ``host:port``."""
    if text.isdigit():
        return positive_int(text)
    if text == "local" or re.fullmatch(r"([a-z]+://)?[^:/\s]+:\d+", text):
        return text
    raise argparse.ArgumentTypeError(
        f"expected a number of local workers, 'local' or a scheduler address such as tcp://host:8786, got {text!r}")


def _hidden(text: str) -> tuple[int, ...]:
    try:
        return tuple(positive_int(h) for h in text.split(","))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer widths >= 1 such as 32,32, got {text!r}") from None


def read_input_table(path: str | Path) -> pd.DataFrame:
    """:func:`idaes_ml.io.read_table` with empty or unparsable files raised as DataError naming the file."""
    import pandas as pd
    import pyarrow

    from idaes_ml.errors import DataError
    from idaes_ml.io import read_table

    try:
        return read_table(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, pyarrow.ArrowException) as exc:
        raise DataError(f"cannot read {path} as a table: {exc}") from None


@contextmanager
def logs_to_stderr(names: tuple[str, ...] = ("pyomo", "idaes")) -> Iterator[None]:
    """Send these loggers' messages (Pyomo's W1002 warnings, IDAES notes) to stderr, not stdout."""
    saved = {}
    for name in names:
        logger = logging.getLogger(name)
        saved[name] = logger.handlers[:]
        handler = logging.StreamHandler(sys.stderr)
        if logger.handlers:
            handler.setFormatter(logger.handlers[0].formatter)
        logger.handlers = [handler]
    try:
        yield
    finally:
        for name, handlers in saved.items():
            logging.getLogger(name).handlers = handlers


def error_line(exc: BaseException | str) -> str:
    """The first line of an error (or message), as ``error: ...``."""
    text = str(exc).strip().splitlines()
    return f"error: {text[0] if text else type(exc).__name__}"


def _train(args: argparse.Namespace) -> int:
    from idaes_ml.nn import MLPRegressor, export_onnx, save_checkpoint

    df = read_input_table(args.data)
    missing = [c for c in args.inputs + args.outputs if c not in df.columns]
    if missing:
        print(f"error: columns {missing} not in {args.data} (has {list(df.columns)})", file=sys.stderr)
        return 2
    out = Path(args.out)
    reg = MLPRegressor(
        hidden=args.hidden,
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

    try:
        net = load_checkpoint(args.checkpoint)
    except MetadataError as exc:
        if exc.__cause__ is None:
            raise
        # torch's own message here advises weights_only=False, which is not the problem
        raise MetadataError(f"{args.checkpoint} is not an idaes_ml network checkpoint (one written by "
                            "`idaes-ml train` or idaes_ml.nn.save_checkpoint)") from None
    res = export_onnx(net, args.out, args.name, tolerance=args.tolerance)
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
    p = OneLineParser(prog="idaes-ml", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a network on a CSV/parquet table and export it")
    t.add_argument("data")
    t.add_argument("--inputs", type=_labels, required=True, help="comma-separated input columns")
    t.add_argument("--outputs", type=_labels, required=True, help="comma-separated output columns")
    t.add_argument("--hidden", type=_hidden, default=(32, 32), help="layer widths, e.g. 32,32")
    t.add_argument("--activation", default="tanh", choices=["tanh", "sigmoid", "softplus", "relu"])
    t.add_argument("--epochs", type=positive_int, default=2000)
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
    with logs_to_stderr():
        try:
            return int(args.func(args) or 0)
        except (OSError, IdaesMLError) as exc:
            print(error_line(exc), file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
