"""Ground-truth trajectory sets from the 1-D particle model (LHS design and sweeps).

    >>> from flowsheets.pyrolysis.data import design, generate
    >>> ds = generate(design(2, seed=1), n_nodes=8, progress=False)
    >>> ds.yields.shape
    (2, 41, 3)

Every simulation runs through :func:`idaes_ml.parallel.map`; an integration that
fails (stiffness, NaN) is listed in ``failures`` with its parameters and error,
and ``strict`` generation raises :class:`DataError` naming them, so a broken run
never enters a data set.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from idaes_ml.errors import DataError
from idaes_ml.io import read_table, write_table
from idaes_ml.parallel import map as pmap
from idaes_ml.sampling import latin_hypercube
from flowsheets.pyrolysis.models import OBS_TIMES, YIELDS
from flowsheets.pyrolysis.particle import simulate_particle
from flowsheets.pyrolysis.reduced import CONDITIONS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

    from idaes_ml.parallel import ClientSpec

__all__ = ["DOMAIN", "TrajectorySet", "design", "sweeps", "generate"]

#: Sampled domain: oven temperature [K], Feret length [mm], aspect ratio [-] (seed §2.1).
DOMAIN = {"T_oven": (720.0, 830.0), "feret_mm": (0.4, 10.0), "aspect": (2.0, 8.0)}


def design(n: int = 250, seed: int = 0) -> pd.DataFrame:
    """Latin-hypercube conditions over :data:`DOMAIN`."""
    return latin_hypercube(DOMAIN, n, seed=seed)


def sweeps(n: int = 8, fixed: dict[str, float] | None = None) -> pd.DataFrame:
    """Three 2-D linear sweeps (seed Fig. 4): each holds one condition fixed, ``n x n`` over the others.

    Column ``sweep`` names the fixed condition.
    """
    fixed = fixed or {"T_oven": 775.0, "feret_mm": 5.2, "aspect": 5.0}
    grids = {k: np.linspace(lo, hi, n) for k, (lo, hi) in DOMAIN.items()}
    frames = []
    for held in CONDITIONS:
        a, b = [c for c in CONDITIONS if c != held]
        A, B = np.meshgrid(grids[a], grids[b], indexing="ij")
        frames.append(pd.DataFrame({held: fixed[held], a: A.ravel(), b: B.ravel(), "sweep": held}))
    return pd.concat(frames, ignore_index=True)[[*CONDITIONS, "sweep"]]


def _run(row: dict, n_nodes: int) -> np.ndarray:
    return simulate_particle(row["T_oven"], row["feret_mm"], row["aspect"], n_nodes=n_nodes)


@dataclass
class TrajectorySet:
    """Conditions (one row per trajectory), yields ``(N, len(times), 3)``, times, failures."""

    conditions: pd.DataFrame
    yields: np.ndarray
    times: np.ndarray
    failures: pd.DataFrame

    def observed(self, names: Sequence[str] = ("tar", "char")) -> np.ndarray:
        """The yields named ``names`` as ``(N, len(times), len(names))``."""
        return self.yields[:, :, [YIELDS.index(n) for n in names]]

    def subset(self, rows: ArrayLike) -> "TrajectorySet":
        """The trajectories at positions ``rows``."""
        rows = np.asarray(rows)
        return TrajectorySet(self.conditions.iloc[rows].reset_index(drop=True), self.yields[rows],
                             self.times, self.failures)

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per (trajectory, time) with conditions and yields."""
        n, nt, _ = self.yields.shape
        df = self.conditions.loc[self.conditions.index.repeat(nt)].reset_index(drop=True)
        df.insert(0, "sample", np.repeat(np.arange(n), nt))
        df["t"] = np.tile(self.times, n)
        for j, name in enumerate(YIELDS):
            df[name] = self.yields[:, :, j].ravel()
        return df

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_frame` atomically (parquet or CSV by suffix)."""
        return write_table(self.to_frame(), path)

    @classmethod
    def load(cls, path: str | Path) -> "TrajectorySet":
        """Read a set written by :meth:`save`."""
        df = read_table(path)
        nt = int((df["sample"] == 0).sum())
        cols = [c for c in df.columns if c not in ("sample", "t", *YIELDS)]
        cond = df[df["t"] == df["t"].iloc[0]][cols].reset_index(drop=True)
        return cls(cond, df[YIELDS].to_numpy().reshape(len(cond), nt, len(YIELDS)),
                   df["t"].to_numpy()[:nt], pd.DataFrame(columns=[*CONDITIONS, "error"]))


def generate(conditions: pd.DataFrame, n_nodes: int = 20, client: ClientSpec = None, progress: bool = True,
             strict: bool = True) -> TrajectorySet:
    """Run the 1-D model at every row of ``conditions`` (columns :data:`CONDITIONS` plus any extras).

    Failed runs are removed from the set and listed in ``failures`` (conditions +
    error); with ``strict`` any failure raises :class:`DataError` naming them.
    """
    missing = [c for c in CONDITIONS if c not in conditions.columns]
    if missing:
        raise DataError(f"conditions lack columns {missing}")
    rows = conditions[CONDITIONS].to_dict("records")
    res = pmap(functools.partial(_run, n_nodes=n_nodes), rows, client=client, desc="1-D particle runs",
               progress=progress)
    ok = [r.index for r in res if r.ok]
    failures = pd.DataFrame([{**r.item, "error": r.error} for r in res.failures],
                            columns=[*CONDITIONS, "error"])
    if strict and len(failures):
        raise DataError(f"{len(failures)} ground-truth runs failed:\n{failures.to_string()}")
    yields = np.stack([res[i].value for i in ok]) if ok else np.empty((0, len(OBS_TIMES), len(YIELDS)))
    return TrajectorySet(conditions.iloc[ok].reset_index(drop=True), yields, OBS_TIMES.copy(), failures)
