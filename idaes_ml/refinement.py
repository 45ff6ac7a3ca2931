"""Trust-region refinement of a surrogate optimum with ground-truth evaluations.

An optimum of a network flowsheet is only as good as the networks near it. This loop
follows the trust-region filter idea for surrogate-based flowsheet optimization (Eason
& Biegler, AIChE J. 2016, 62, 3124; Yoshio & Biegler, AIChE J. 2021;
``pyomo.contrib.trustregion``): the surrogate is made consistent with the truth at the
current centre (``correct``: e.g. a zeroth-order correction of every network's outputs),
optimized within a trust region around the centre, and the truth is evaluated at the
candidate. A step is accepted when the true improvement is at least ``eta`` of the
predicted one; the radius grows after good steps and shrinks after rejected ones. The
loop stops when the surrogate's prediction at its candidate agrees with the truth there
(``rtol``)::

    result = refine_optimum(model, optimize, evaluate, correct, rtol=0.01)
    result.final.predicted, result.final.truth, result.gt_evaluations

Simplifications against a full trust-region filter: the objective is the merit
function (no filter on constraint violation: the surrogate carries the constraints),
the correction is whatever ``correct`` does (no gradient term required), and every
candidate costs one ground-truth evaluation (``gt_evaluations``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from idaes_ml.errors import SolveFailedError

__all__ = ["RefinementStep", "RefinementResult", "refine_optimum"]

Box = Mapping[str, tuple[float, float]]


@dataclass
class RefinementStep:
    """One candidate: decisions, surrogate prediction, truth, relative gap, radius, acceptance."""

    decisions: dict[str, float]
    predicted: float
    truth: float
    gap: float
    status: str
    radius: float | None
    accepted: bool


@dataclass
class RefinementResult:
    """Every candidate, whether the loop converged, and the last (corrected) surrogate."""

    iterations: list[RefinementStep] = field(default_factory=list)
    converged: bool = False
    model: Any = None

    @property
    def gt_evaluations(self) -> int:
        """Ground-truth evaluations spent (one per candidate)."""
        return len(self.iterations)

    @property
    def final(self) -> RefinementStep:
        """The last candidate."""
        return self.iterations[-1]


def _region(center: Mapping[str, float], radius: float, box: Box) -> dict[str, tuple[float, float]]:
    """The trust region: ``center`` +- ``radius`` x each decision's range, inside ``box``."""
    return {k: (max(lo, center[k] - radius * (hi - lo)), min(hi, center[k] + radius * (hi - lo)))
            for k, (lo, hi) in box.items()}


def _fail(result: RefinementResult, message: str, status: str) -> SolveFailedError:
    err = SolveFailedError(message, status)
    err.result = result
    return err


def refine_optimum(model: Any,
                   optimize: Callable[[Any, dict[str, tuple[float, float]] | None], tuple[str, dict[str, float], float]],
                   evaluate: Callable[[dict[str, float]], tuple[str, float, pd.DataFrame]],
                   correct: Callable[[Any, pd.DataFrame], Any], box: Box, rtol: float = 0.01,
                   max_iter: int = 6, radius: float = 0.25, eta: float = 0.1, shrink: float = 0.5,
                   grow: float = 2.0, progress: bool = True) -> RefinementResult:
    """Maximize with the surrogate, correct it at the truth, re-optimize in a trust region.

    Args:
        model: the surrogate (e.g. trained unit networks).
        optimize: (surrogate, decision bounds or None for ``box``) -> (status, decisions, predicted objective).
        evaluate: decisions -> (status, true objective, ground-truth rows at the decisions).
        correct: (surrogate, ground-truth rows) -> surrogate consistent with the truth there.
        box: every decision's global bounds.
        rtol: stop when |predicted - truth| <= rtol |truth| at a candidate.
        max_iter: most candidates (= ground-truth evaluations).
        radius: first trust-region radius, a fraction of each decision's range.
        eta, shrink, grow: step acceptance ratio and radius updates.

    Raises SolveFailedError when the surrogate optimization or the truth fails (the steps
    so far are on the exception's ``result``).
    """
    if max_iter < 1 or not rtol > 0 or not 0 < radius or not 0 < shrink < 1 < grow:
        raise ValueError(f"need max_iter >= 1, rtol > 0, radius > 0, 0 < shrink < 1 < grow; got "
                         f"{max_iter}, {rtol}, {radius}, {shrink}, {grow}")
    result = RefinementResult(model=model)
    center: dict[str, float] | None = None
    t_center = float("nan")
    rows = None
    for _ in tqdm(range(max_iter), desc="refining the surrogate optimum", disable=not progress):
        if center is not None:
            result.model = correct(result.model, rows)
        bounds = None if center is None else _region(center, radius, box)
        status, decisions, predicted = optimize(result.model, bounds)
        if status != "optimal":
            raise _fail(result, f"surrogate optimization ended {status} at step {result.gt_evaluations + 1}", status)
        gt_status, truth, new_rows = evaluate(decisions)
        if gt_status != "optimal":
            result.iterations.append(RefinementStep(dict(decisions), float(predicted), float("nan"), float("nan"),
                                                    gt_status, None if center is None else radius, False))
            raise _fail(result, f"ground truth ended {gt_status} at the candidate of step {result.gt_evaluations}",
                        gt_status)
        gap = (predicted - truth) / abs(truth)
        ratio = 1.0 if center is None or predicted == t_center else (truth - t_center) / (predicted - t_center)
        accepted = center is None or ratio >= eta
        result.iterations.append(RefinementStep(dict(decisions), float(predicted), float(truth), float(gap),
                                                gt_status, None if center is None else radius, accepted))
        if progress:
            tqdm.write(f"step {result.gt_evaluations}: predicted {predicted:.6g}, truth {truth:.6g}, gap {gap:+.2%}, "
                       f"{'accepted' if accepted else 'rejected'}")
        if accepted:
            if center is not None and ratio > 0.75:
                radius *= grow
            center, t_center, rows = dict(decisions), truth, new_rows
        else:
            radius *= shrink
        if abs(gap) <= rtol:
            result.converged = True
            break
    return result
