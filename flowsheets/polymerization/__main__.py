"""``python -m flowsheets.polymerization --target FILE.csv``: BA/AIBN recipe inversion (see :mod:`.cli`)."""

from flowsheets.polymerization.cli import invert_main

if __name__ == "__main__":
    raise SystemExit(invert_main())
