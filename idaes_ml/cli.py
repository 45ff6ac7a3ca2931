"""The ``idaes-ml`` command: ``train``, ``export``, ``solvers``, ``invert``.

    idaes-ml solvers                      # which Ipopt/CBC/HiGHS were found, installing the Ipopt bridge
    idaes-ml train data.csv --inputs T,P --outputs h --out nets --name unit
    idaes-ml export nets/unit.pt --out nets --name unit
    idaes-ml invert --model nets/unit --target target.csv   # inputs that reach target outputs

Bad input (a missing or unreadable file, bad options, NaN data, a file that is not a
checkpoint, a target column that is not an output of the model) ends with one
``error: ...`` line on stderr and exit code 2, never a traceback. Pyomo/IDAES log
messages go to stderr, so stdout carries only results. The case studies have their own
commands (``python -m flowsheets.flash_demo``, ``python -m flowsheets.polymerization``):
the library never imports them.
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

from idaes_ml.errors import DataError, IdaesMLError, MetadataError

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
    """Send these loggers' messages (Pyomo's W1002 warnings, IDAES notes) to stderr, not stdout.

    Pyomo and IDAES are imported first: each installs its stdout handler when imported, which
    would otherwise come back beside ours when a command imports them lazily.
    """
    import idaes  # noqa: F401
    import pyomo.environ  # noqa: F401

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


def model_location(text: str) -> tuple[str, str]:
    """An argparse type: ``DIR/NAME`` (or ``DIR/NAME.onnx``) of an exported network -> ``(DIR, NAME)``."""
    path = Path(text)
    name = path.name.removesuffix(".onnx")
    if not name:
        raise argparse.ArgumentTypeError(f"expected DIR/NAME of an exported network, got {text!r}")
    return str(path.parent), name


def _pairs(text: str, what: str) -> list[tuple[str, str]]:
    pairs = [item.partition("=") for item in _labels(text)]
    if not pairs or any(not k.strip() or not sep or not v.strip() for k, sep, v in pairs):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return [(k.strip(), v.strip()) for k, _, v in pairs]


def named_values(text: str) -> dict[str, float]:
    """An argparse type: ``LABEL=VALUE[,LABEL=VALUE...]`` -> dict of floats."""
    what = "LABEL=VALUE[,LABEL=VALUE...] such as y1=0.1,y2=2"
    try:
        return {k: float(v) for k, v in _pairs(text, what)}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def named_bounds(text: str) -> dict[str, tuple[float, float]]:
    """An argparse type: ``LABEL=LOW:HIGH[,...]`` with LOW < HIGH -> dict of (low, high)."""
    what = "LABEL=LOW:HIGH[,LABEL=LOW:HIGH...] such as T=300:350"
    out = {}
    for k, v in _pairs(text, what):
        lo, sep, hi = v.partition(":")
        try:
            out[k] = (float(lo), float(hi))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not sep or not out[k][0] < out[k][1]:
            raise argparse.ArgumentTypeError(f"bounds of {k!r} need LOW < HIGH, got {v!r}")
    return out


def load_hook(spec: str):
    """``module:function`` -> the function (a re-simulation hook); DataError if it cannot be imported.

    The module is looked up as ``python -m`` would (the working directory first).
    """
    import importlib

    module, _, attr = spec.partition(":")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:  # as `python -m` would: modules beside you
        sys.path.insert(0, str(Path.cwd()))
    try:
        fn = getattr(importlib.import_module(module), attr) if module and attr else None
    except (ImportError, AttributeError) as exc:
        raise DataError(f"--resimulate {spec}: {type(exc).__name__}: {exc}") from None
    if not callable(fn):
        raise DataError(f"--resimulate expects MODULE:FUNCTION naming a callable, got {spec!r}")
    return fn


def _invert(args: argparse.Namespace) -> int:
    import pandas as pd

    from idaes_ml.inverse import NetworkRef, check_targets, invert_row
    from idaes_ml.io import write_table

    net = NetworkRef(*args.model)
    net.surrogate()  # a missing or broken model is one error line, before anything else
    bounds = {k: v for d in args.bounds or [] for k, v in d.items()}
    targets = check_targets(net, read_input_table(args.target), args.outputs, args.sigma, bounds)
    hook = load_hook(args.resimulate) if args.resimulate else None
    target_path = Path(args.target)
    out_dir = Path(args.out) if args.out else target_path.parent
    rows = []
    for i, t in targets.iterrows():
        inv = invert_row(net, dict(t), row=i, sigma=args.sigma, input_bounds=bounds, n_starts=args.starts,
                         seed=args.seed, ranges=not args.no_ranges, client=args.client, resimulate=hook)
        rows.append(inv)
        _print_inversion(inv)
    stem = out_dir / target_path.stem
    write_table(pd.DataFrame([r.record() for r in rows]), f"{stem}_inversion.csv")
    write_table(pd.concat([r.starts.assign(row=r.row) for r in rows], ignore_index=True), f"{stem}_starts.csv")
    ranges = [r.ranges.reset_index().assign(row=r.row) for r in rows if r.ranges is not None]
    if ranges:
        write_table(pd.concat(ranges, ignore_index=True), f"{stem}_ranges.csv")
    failed = [r.row for r in rows if not r.ok]
    print(f"saved {stem}_inversion.csv ({len(rows) - len(failed)} of {len(rows)} targets solved"
          + (f"; failed rows {failed})" if failed else ")"))
    return 1 if failed else 0


def _print_inversion(inv) -> None:
    if not inv.ok:
        print(f"row {inv.row}: FAILED: {inv.status}")
        return
    state = "reachable" if inv.reachable else "NOT reachable: nearest achievable shown"
    print(f"row {inv.row}: ok, misfit {inv.misfit:.3g}, p = {inv.p_value:.3g} ({state}; chi-square, "
          f"{len(inv.target)} outputs); {inv.n_converged}/{inv.n_starts} starts converged, "
          f"{inv.n_agreeing} at the best; {inv.seconds:.1f} s")
    for k, v in inv.x.items():
        rng = "" if inv.ranges is None else (f"  identifiable range [{inv.ranges.loc[k, 'low']:.4g}, "
                                             f"{inv.ranges.loc[k, 'high']:.4g}]")
        print(f"  {k} = {v:.6g}{rng}")
    for k, t in inv.target.items():
        sim = f", re-simulated {inv.resimulated[k]:.6g}" if k in inv.resimulated else ""
        print(f"  {k}: target {t:.6g}, predicted {inv.y[k]:.6g}{sim}")
    if inv.resimulated:
        state = inv.resimulated["status"]
        print(f"  re-simulation: misfit {inv.resimulated['misfit']:.3g}" if state == "ok"
              else f"  re-simulation {state}")


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

    i = sub.add_parser(
        "invert", help="find the inputs of an exported network that reach target outputs",
        description="Invert an exported network row by row: for each row of the target table (columns = "
                    "output labels) multistart Ipopt finds the inputs, within the training bounds of the "
                    "metadata (or --bounds), that minimize sum_j ((y_j - target_j) / sigma_j)^2, then "
                    "identifiability ranges: how far each input moves while the misfit stays within "
                    "chi2_0.95(n_inputs) of the best. Writes <stem>_inversion.csv (one row per target, "
                    "with its status), <stem>_starts.csv and <stem>_ranges.csv. Exit code 0: every "
                    "target solved; 1: a target with no converged start; 2: bad input.")
    i.add_argument("--model", type=model_location, required=True, metavar="DIR/NAME",
                   help="the exported network: DIR/NAME.onnx and DIR/NAME_idaes_info.json")
    i.add_argument("--target", required=True, help="CSV/parquet table, one target per row, columns = output labels")
    i.add_argument("--outputs", type=_labels, default=None,
                   help="comma-separated target columns to match (default: every column)")
    i.add_argument("--sigma", type=named_values, default=None, metavar="Y=S[,...]",
                   help="uncertainty of each targeted output (default: 1%% of its training standard deviation)")
    i.add_argument("--bounds", type=named_bounds, action="append", metavar="X=LOW:HIGH[,...]",
                   help="narrow the search box of inputs (default: the training bounds in the metadata)")
    i.add_argument("--starts", type=positive_int, default=8, help="multistart points per target (default 8)")
    i.add_argument("--seed", type=int, default=0, help="seed of the Latin-hypercube starts")
    i.add_argument("--no-ranges", action="store_true", help="skip the identifiability ranges")
    i.add_argument("--resimulate", default=None, metavar="MODULE:FUNCTION",
                   help="check each answer with FUNCTION(inputs dict) -> outputs dict "
                        "(e.g. the first-principles model)")
    i.add_argument("--client", type=client_spec, default=None,
                   help="idaes_ml.parallel.map client: 2 (local workers), local, or tcp://host:port")
    i.add_argument("--out", default=None, help="output directory (default: beside the target file)")
    i.set_defaults(func=_invert)
    return p


#: Commands that moved to the case studies (the library does not import them).
MOVED = {"demo": "python -m flowsheets.flash_demo (or make demo)"}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``idaes-ml`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in MOVED:
        print(f"error: `idaes-ml {argv[0]}` moved to the case studies: run {MOVED[argv[0]]}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    with logs_to_stderr():
        try:
            return int(args.func(args) or 0)
        except (OSError, IdaesMLError) as exc:
            print(error_line(exc), file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
