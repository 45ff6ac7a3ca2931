"""Identifiability ranges: how far each input can move while the misfit stays small.

For every input ``k`` two NLPs are solved from the best inversion point::

    min / max  x_k   s.t.  misfit(x) <= tolerance,  x in box

(the operability idea of mapping an output set back to the inputs that reach it).  A
range as wide as the box says the target does not pin that input down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from idaes_ml import parallel
from idaes_ml.errors import DataError
from idaes_ml.inverse.problem import MisfitProblem, RangeProblem
from idaes_ml.inverse.solve import solve_start

if TYPE_CHECKING:
    from idaes_ml.parallel import ClientSpec

__all__ = ["identifiability_ranges"]


def identifiability_ranges(problem: MisfitProblem, best: dict[str, float], tolerance: float,
                           client: ClientSpec = None, progress: bool = True) -> pd.DataFrame:
    """Per input: ``best``, ``low``, ``high``, ``width`` (fraction of the box) and both solve statuses.

    A failed min/max solve keeps its status and leaves that end at the best value
    (the range is then a lower estimate).  ``tolerance`` below the misfit at ``best``
    raises DataError.
    """
    at_best = problem.misfit(problem.network.surrogate().evaluate_surrogate(pd.DataFrame([best])).iloc[0])
    if tolerance < at_best:
        raise DataError(f"tolerance {tolerance:.4g} is below the misfit {at_best:.4g} at the best point")
    labels = list(problem.box())
    jobs = [(RangeProblem(problem, k, sense, tolerance), best) for k in labels for sense in ("min", "max")]
    out = parallel.map(solve_start, jobs, client=client, desc="identifiability", progress=progress)
    rows = []
    box = problem.box()
    for i, k in enumerate(labels):
        ends = {}
        for sense, job in zip(("low", "high"), out[2 * i: 2 * i + 2]):
            res = job.value if job.ok else None
            good = res is not None and res.ok
            ends[sense] = res.x[k] if good else best[k]
            ends[f"status_{sense}"] = res.status if res is not None else f"error: {job.error}"
        lo, hi = box[k]
        low = max(min(ends["low"], best[k]), lo)  # clip Ipopt's bound relaxation
        high = min(max(ends["high"], best[k]), hi)
        rows.append({"input": k, "best": best[k], "low": low, "high": high, "width": (high - low) / (hi - lo),
                     "status_low": ends["status_low"], "status_high": ends["status_high"]})
    return pd.DataFrame(rows).set_index("input")
