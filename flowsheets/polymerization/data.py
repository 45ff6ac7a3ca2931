"""Latin-hypercube recipe data sets from the BA/AIBN simulator (the seed's table layout).

    >>> from flowsheets.polymerization.data import generate_dataset
    >>> df = generate_dataset(4, seed=0, progress=False)
    >>> list(df.columns[:8])
    ['cBA_0', 'cAIBN_0', 'temp', 'time', 'cBA_time', 'conversion', 'Mn', 'Mw']
    >>> bool((df["status"] == "ok").all())
    True

Each row is one recipe, its simulated state at ``time`` and a ``status`` ("ok" or the
simulator's error); failed rows keep their recipe with NaN outputs.  Files carry the
simulator version in the ``simulator_version`` column; :func:`load_dataset` refuses a file
made by another version.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from idaes_ml import parallel
from idaes_ml.errors import DataError
from idaes_ml.io import read_table, write_table
from idaes_ml.sampling import latin_hypercube

from flowsheets.polymerization.mmd import MMD_COLUMNS
from flowsheets.polymerization.simulator import SIMULATOR_VERSION, Recipe, simulate

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from idaes_ml.parallel import ClientSpec

__all__ = [
    "RECIPE_BOUNDS", "RECIPE_COLUMNS", "SCALAR_FEATURES", "OUTPUT_COLUMNS",
    "simulate_row", "generate_dataset", "save_dataset", "load_dataset", "out_of_domain",
]

RECIPE_BOUNDS: dict[str, tuple[float, float]] = {
    "cBA_0": (0.5, 3.0),  # mol/L
    "cAIBN_0": (0.0025, 0.02),  # mol/L
    "temp": (60.0, 80.0),  # degC
    "time": (60.0, 3600.0),  # s
}
RECIPE_COLUMNS = list(RECIPE_BOUNDS)
SCALAR_FEATURES = ["cBA_time", "Mn", "Mw"]
OUTPUT_COLUMNS = ["cBA_time", "conversion", "Mn", "Mw", *MMD_COLUMNS]


def to_recipe(row: Mapping[str, float] | pd.Series) -> Recipe:
    """A :class:`Recipe` from a mapping with the ``RECIPE_COLUMNS`` keys."""
    return Recipe(cBA0=float(row["cBA_0"]), cAIBN0=float(row["cAIBN_0"]),
                  T=float(row["temp"]), time=float(row["time"]))


def simulate_row(row: dict) -> dict:
    """Simulate one recipe given as a dict; module level so Dask can ship it."""
    return simulate(to_recipe(row)).as_row()


def generate_dataset(n: int, seed: int = 0, client: ClientSpec = None, progress: bool = True,
                     bounds: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Simulate ``n`` Latin-hypercube recipes through :func:`idaes_ml.parallel.map`."""
    recipes = latin_hypercube(bounds or RECIPE_BOUNDS, n, seed=seed)
    out = parallel.map(simulate_row, recipes.to_dict("records"), client=client,
                       desc="simulate BA/AIBN recipes", progress=progress)
    rows = []
    for job in out:
        if job.ok:
            rows.append({**job.value, "status": "ok"})
        else:
            rows.append({**job.item, **{c: np.nan for c in OUTPUT_COLUMNS}, "status": job.error})
    df = pd.DataFrame(rows, columns=[*RECIPE_COLUMNS, *OUTPUT_COLUMNS, "status"])
    df["simulator_version"] = SIMULATOR_VERSION
    return df


def save_dataset(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a data set atomically (parquet or CSV by suffix); it must carry its version."""
    if "simulator_version" not in df:
        raise DataError("data set has no simulator_version column; make it with generate_dataset")
    return write_table(df, path)


def load_dataset(path: str | os.PathLike, ok_only: bool = True) -> pd.DataFrame:
    """Read a data set; refuse other simulator versions; optionally keep only ``ok`` rows."""
    df = read_table(path)
    versions = set(df.get("simulator_version", pd.Series(["<none>"])).unique())
    if versions != {SIMULATOR_VERSION}:
        raise DataError(f"{path} was made by simulator {sorted(versions)}, this is {SIMULATOR_VERSION}; regenerate it")
    return df[df["status"] == "ok"].reset_index(drop=True) if ok_only else df


def out_of_domain(recipes: pd.DataFrame) -> pd.Series:
    """True for recipes outside the training box ``RECIPE_BOUNDS`` (e.g. direct-regression output)."""
    inside = np.all([recipes[k].between(lo, hi).to_numpy() for k, (lo, hi) in RECIPE_BOUNDS.items()], axis=0)
    return pd.Series(~inside, index=recipes.index, name="out_of_domain")
