"""Forward map AIS -> AOS on a grid, for every EDS scenario.

    >>> from idaes_ml.operability.models import FunctionModel
    >>> from idaes_ml.operability.sets import Region
    >>> from idaes_ml.operability.forward import forward_map
    >>> m = FunctionModel(lambda u: [u[0] + u[1], u[0] - u[1]], ["a", "b"], ["s", "t"])
    >>> fm = forward_map(m, Region.box({"a": (0, 1), "b": (0, 1)}), 3, progress=False)
    >>> fm.outputs.shape, fm.success_rate
    ((1, 9, 2), 1.0)

The grid is split into rows along the last input (one job per row, so a Pyomo model
warm-starts from point to point inside a row) and the rows go through
:func:`idaes_ml.parallel.map` -- serially or on Dask, with identical results.
Networks are evaluated in a single onnxruntime batch per scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from idaes_ml import parallel
from idaes_ml.errors import DataError
from idaes_ml.operability.models import Evaluation, NetworkModel, OperabilityModel
from idaes_ml.operability.sets import Region, grid_points, grid_resolution

if TYPE_CHECKING:
    from idaes_ml.parallel import ClientSpec

__all__ = ["ForwardMap", "forward_map"]


@dataclass
class ForwardMap:
    """Inputs on a grid, outputs per disturbance scenario, and a status per point."""

    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]
    inputs: np.ndarray          # (N, m) grid points, C order
    shape: tuple[int, ...]      # grid shape (one entry per input)
    outputs: np.ndarray         # (S, N, p), NaN where a point failed
    status: np.ndarray          # (S, N) strings
    disturbances: np.ndarray    # (S, q) scenario values (q = 0 without EDS)

    @property
    def success_rate(self) -> float:
        """Fraction of (scenario, point) evaluations that succeeded."""
        return float(np.mean(self.status == "ok"))

    def failures(self) -> pd.DataFrame:
        """The failed points: scenario, inputs and status (empty when all succeeded)."""
        s, i = np.nonzero(self.status != "ok")
        df = pd.DataFrame(self.inputs[i], columns=list(self.input_labels))
        df.insert(0, "scenario", s)
        df["status"] = self.status[s, i]
        return df

    def table(self, scenario: int = 0) -> pd.DataFrame:
        """Inputs, outputs and status of one scenario as a DataFrame."""
        df = pd.DataFrame(self.inputs, columns=list(self.input_labels))
        for j, lab in enumerate(self.output_labels):
            df[lab] = self.outputs[scenario, :, j]
        df["status"] = self.status[scenario]
        return df


def _row_job(job) -> Evaluation:
    model, U, D = job
    return model.evaluate(U, D)


def forward_map(
    model: OperabilityModel,
    ais: Region,
    resolution: int | list[int],
    eds: Region | None = None,
    eds_resolution: int = 2,
    client: ClientSpec = None,
    progress: bool = True,
) -> ForwardMap:
    """Evaluate ``model`` on a regular grid of ``ais`` for every scenario of ``eds``.

    ``eds`` is sampled on an ``eds_resolution`` grid (2: its corners). Failed or NaN
    points keep NaN outputs and their status; see :meth:`ForwardMap.failures`.
    """
    ais.check_labels(model.input_labels)
    ais.require_volume()
    if eds is not None:
        eds.check_labels(model.disturbance_labels)
        lo, hi = eds.polytope.bounds
        scen = grid_points(lo, hi, eds_resolution)
        scen = scen[eds.polytope.contains(scen)] if eds.polytope.is_full_dimensional else scen
    elif model.disturbance_labels:
        raise DataError(f"model has disturbances {list(model.disturbance_labels)}: pass an EDS")
    else:
        scen = np.zeros((1, 0))
    lo, hi = ais.polytope.bounds
    res = grid_resolution(resolution, ais.dim)
    U = grid_points(lo, hi, res)
    row = int(res[-1])
    outs, stats = [], []
    for d in scen:
        D = d[None, :] if d.size else None
        if isinstance(model, NetworkModel):
            ev = model.evaluate(U, D)
            Y, st = ev.outputs, ev.status
        else:
            jobs = [(model, U[i : i + row], D) for i in range(0, len(U), row)]
            results = parallel.map(_row_job, jobs, client=client, desc="forward map", progress=progress)
            Y, st = _collect(results, row, len(model.output_labels))
        outs.append(Y)
        stats.append(st)
    return ForwardMap(tuple(model.input_labels), tuple(model.output_labels), U, tuple(int(r) for r in res),
                      np.array(outs), np.array(stats, dtype=object), scen)


def _collect(results, row: int, p: int) -> tuple[np.ndarray, list[str]]:
    Y, status = [], []
    for r in results:
        if r.ok:
            Y.append(r.value.outputs)
            status += r.value.status
        else:
            n = len(r.item[1])
            Y.append(np.full((n, p), np.nan))
            status += [f"error: {r.error}"] * n
    return np.vstack(Y), status
