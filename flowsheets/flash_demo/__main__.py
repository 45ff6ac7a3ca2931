"""``python -m flowsheets.flash_demo``: the end-to-end demo of ``make demo``.

    python -m flowsheets.flash_demo [--out outputs/demo] [--points 80] [--seed 0]

Exit code 0 when the hybrid flowsheet solved, 1 otherwise (see :func:`.demo.run_demo`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from idaes_ml.cli import OneLineParser, error_line, logs_to_stderr, positive_int
from idaes_ml.errors import IdaesMLError


def build_parser() -> argparse.ArgumentParser:
    """The demo's argument parser."""
    p = OneLineParser(prog="python -m flowsheets.flash_demo",
                      description="end-to-end demo: flowsheet data -> surrogate -> hybrid EO solve")
    p.add_argument("--out", default="outputs/demo", help="output directory (default %(default)s)")
    p.add_argument("--points", type=positive_int, default=80, help="first-principles operating points")
    p.add_argument("--seed", type=int, default=0)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the process exit code."""
    from flowsheets.flash_demo.demo import run_demo

    args = build_parser().parse_args(argv)
    with logs_to_stderr():
        try:
            return run_demo(Path(args.out), n_points=args.points, seed=args.seed)
        except (OSError, IdaesMLError) as exc:
            print(error_line(exc), file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
