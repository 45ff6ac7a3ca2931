"""Invert a table of targets: for every row, the network inputs whose outputs match it.

    net = NetworkRef("models", "forward")
    table = check_targets(net, pd.read_csv("targets.csv"))      # columns = output labels
    rows = invert_table(net, table, sigma={"y1": 0.05}, n_starts=8)
    pd.DataFrame([r.record() for r in rows])                    # one row per target, with its status

Each row is a :class:`~idaes_ml.inverse.MisfitProblem` with weights ``1 / sigma_j**2``
(``sigma_j``: the target's uncertainty in output ``j``; default 1 % of the output's
training standard deviation, the metadata's output scaler factor), solved by
:func:`~idaes_ml.inverse.multistart`.  The misfit is then chi-square like: ``p_value =
P(chi2(n_targeted) >= misfit)``, and a target is *reachable* when ``p_value >= 0.05``
(otherwise the nearest achievable prediction is reported).  Identifiability ranges use
the likelihood-ratio region ``misfit <= best + chi2_0.95(n_inputs)``.  An optional
``resimulate`` callable (inputs dict -> outputs dict, e.g. the first-principles model)
checks each answer outside the network; its failure is reported per row.  This is what
``idaes-ml invert`` runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd
from scipy.stats import chi2

from idaes_ml.errors import DataError, SolveFailedError
from idaes_ml.inverse.identifiability import identifiability_ranges
from idaes_ml.inverse.problem import MisfitProblem, NetworkRef
from idaes_ml.inverse.solve import multistart

if TYPE_CHECKING:
    from idaes_ml.parallel import ClientSpec

__all__ = ["TargetInversion", "default_sigma", "check_targets", "invert_row", "invert_table"]

#: Default target uncertainty, as a fraction of each output's training standard deviation.
SIGMA_FRACTION = 0.01


@dataclass
class TargetInversion:
    """The inversion of one target row: status, inputs found, misfit, ranges, re-simulation."""

    row: Hashable
    target: dict[str, float]
    status: str = "ok"
    x: dict[str, float] = field(default_factory=dict)
    y: dict[str, float] = field(default_factory=dict)
    misfit: float = float("nan")
    p_value: float = float("nan")
    n_starts: int = 0
    n_converged: int = 0
    n_agreeing: int = 0
    ranges: pd.DataFrame | None = None
    resimulated: dict = field(default_factory=dict)
    starts: pd.DataFrame | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when at least one start converged."""
        return self.status == "ok"

    @property
    def reachable(self) -> bool:
        """``p_value >= 0.05``: the network reaches the target within its uncertainty."""
        return self.ok and self.p_value >= 0.05

    def record(self) -> dict:
        """A flat record: status, misfit, inputs, ``pred_<output>``, ranges and the re-simulation
        (``resim_<output>``, ``resim_misfit``, ``resim_status``)."""
        rec = {"row": self.row, "status": self.status, "misfit": self.misfit, "p_value": self.p_value,
               "reachable": self.reachable, "n_starts": self.n_starts, "n_converged": self.n_converged,
               "n_agreeing": self.n_agreeing, "seconds": self.seconds, **self.x}
        rec.update({f"pred_{k}": v for k, v in self.y.items()})
        if self.ranges is not None:
            for k, r in self.ranges.iterrows():
                rec.update({f"{k}_low": r["low"], f"{k}_high": r["high"], f"{k}_width": r["width"]})
        rec.update({f"resim_{k}": v for k, v in self.resimulated.items()})
        return rec


def default_sigma(net: NetworkRef, sigma: Mapping[str, float] | None = None) -> dict[str, float]:
    """Per output: ``sigma[k]`` where given, else :data:`SIGMA_FRACTION` x its training standard deviation."""
    meta = net.surrogate().network.metadata
    out = {k: SIGMA_FRACTION * abs(float(f)) for k, f in zip(meta.output_labels, meta.output_factor)}
    for k, v in (sigma or {}).items():
        if k not in out:
            raise DataError(f"sigma names {k!r}, which is not an output of {net.name} (outputs: {list(out)})")
        if not (math.isfinite(v) and v > 0):
            raise DataError(f"sigma of {k!r} must be finite and > 0, got {v}")
        out[k] = float(v)
    return out


def check_targets(net: NetworkRef, table: pd.DataFrame, outputs: list[str] | None = None,
                  sigma: Mapping[str, float] | None = None, input_bounds: dict | None = None) -> pd.DataFrame:
    """The target columns of ``table`` (``outputs``, default all) as floats; DataError names what is wrong.

    Every column must be an output label of the network; values must be numbers, finite.
    ``sigma`` and ``input_bounds`` are checked too (as :func:`invert_row` uses them), so that
    bad input fails before any solve.
    """
    labels = net.surrogate().output_labels()
    if table.empty:
        raise DataError("the target table has no rows")
    columns = [str(c) for c in table.columns]
    if outputs is not None:
        missing = [k for k in outputs if k not in columns]
        if missing:
            raise DataError(f"the target table lacks columns {missing} (has {columns})")
        columns = list(outputs)
    unknown = [k for k in columns if k not in labels]
    if unknown:
        raise DataError(f"unknown output label(s) {unknown}: {net.name} has outputs {labels}"
                        + ("" if outputs is not None else "; select the columns to match with outputs= "
                                                              "(--outputs of idaes-ml invert)"))
    frame = table.set_axis([str(c) for c in table.columns], axis=1)[columns]
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    for k in columns:
        text = numeric[k].isna() & frame[k].notna()
        if text.any():
            i = text.idxmax()
            raise DataError(f"row {i}: output {k!r} is not a number ({frame.at[i, k]!r})")
        bad = ~numeric[k].map(math.isfinite)
        if bad.any():
            raise DataError(f"row {bad.idxmax()}: output {k!r} is empty, NaN or infinite")
    default_sigma(net, sigma)
    MisfitProblem(net, dict(numeric.iloc[0]), {}, input_bounds).box()
    return numeric.astype(float)


def invert_row(net: NetworkRef, target: Mapping[str, float], row: Hashable = 0,
               sigma: Mapping[str, float] | None = None, input_bounds: dict | None = None, n_starts: int = 8,
               seed: int = 0, ranges: bool = True, client: ClientSpec = None,
               resimulate: Callable[[dict[str, float]], Mapping[str, float]] | None = None,
               progress: bool = False) -> TargetInversion:
    """Invert one target (output label -> value); a failed multistart is a status, not an exception."""
    t0 = time.perf_counter()
    sig = default_sigma(net, sigma)
    target = {k: float(v) for k, v in target.items()}
    problem = MisfitProblem(net, target, {k: 1.0 / sig[k] ** 2 for k in target}, input_bounds)
    res = multistart(problem, n_starts=n_starts, seed=seed, client=client, progress=progress, desc=f"row {row}")
    out = TargetInversion(row, target, n_starts=len(res.starts), n_converged=sum(s.ok for s in res.starts),
                          starts=res.table())
    try:
        best = res.best
    except SolveFailedError as exc:
        out.status, out.seconds = str(exc), time.perf_counter() - t0
        return out
    out.x, out.y, out.misfit, out.n_agreeing = best.x, best.y, best.misfit, res.agreeing()
    out.p_value = float(chi2.sf(best.misfit, len(target)))
    if ranges:
        out.ranges = identifiability_ranges(problem, best.x, best.misfit + chi2.ppf(0.95, len(best.x)),
                                            client=client, progress=progress)
    if resimulate is not None:
        out.resimulated = _resimulate(resimulate, best.x, problem)
    out.seconds = time.perf_counter() - t0
    return out


def _resimulate(fn: Callable, x: dict[str, float], problem: MisfitProblem) -> dict:
    """``fn(x)``'s outputs, their misfit and ``status``; a failing model is a status, not an exception."""
    try:
        sim = {str(k): float(v) for k, v in fn(dict(x)).items()}
    except Exception as exc:  # noqa: BLE001 - the user's model, whatever it raises, is reported per row
        return {"status": f"failed: {type(exc).__name__}: {exc}"}
    missing = [k for k in problem.target if k not in sim]
    if missing:
        return {**sim, "status": f"failed: no values for the targeted outputs {missing}"}
    return {**sim, "misfit": problem.misfit(sim), "status": "ok"}


def invert_table(net: NetworkRef, table: pd.DataFrame, outputs: list[str] | None = None,
                 sigma: Mapping[str, float] | None = None, input_bounds: dict | None = None, n_starts: int = 8,
                 seed: int = 0, ranges: bool = True, client: ClientSpec = None,
                 resimulate: Callable[[dict[str, float]], Mapping[str, float]] | None = None,
                 progress: bool = False) -> list[TargetInversion]:
    """:func:`invert_row` for every row of ``table`` (checked first by :func:`check_targets`)."""
    targets = check_targets(net, table, outputs, sigma, input_bounds)
    return [invert_row(net, dict(t), row=i, sigma=sigma, input_bounds=input_bounds, n_starts=n_starts, seed=seed,
                       ranges=ranges, client=client, resimulate=resimulate, progress=progress)
            for i, t in targets.iterrows()]
