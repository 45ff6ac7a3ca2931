"""Surrogate-optimum refinement with ground-truth evaluations (local refit loop).

An optimum of a network flowsheet is only as good as the networks near it. This loop,
in the spirit of trust-region filter methods for surrogate-based flowsheet
optimization (Eason & Biegler, AIChE J. 2016/2018; Yoshio & Biegler, AIChE J. 2021;
``pyomo.contrib.trustregion``), evaluates the ground truth at every candidate optimum,
adds that evaluation to the training data and refits, until the surrogate's predicted
objective agrees with the truth at its own decisions::

    result = refine_optimum(fit, optimize, evaluate, data, rtol=0.01)
    result.iterations[-1]          # decisions, predicted, truth, gap of the last candidate

It is a local refit, not a full trust-region filter: there is no step-acceptance test
on a merit function and no radius; every candidate is evaluated. Each iteration costs
one ground-truth evaluation (``gt_evaluations``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from idaes_ml.errors import SolveFailedError

__all__ = ["RefinementStep", "RefinementResult", "refine_optimum"]


@dataclass
class RefinementStep:
    """One candidate: its decisions, surrogate prediction, truth and relative gap."""

    decisions: dict[str, float]
    predicted: float
    truth: float
    gap: float
    status: str


@dataclass
class RefinementResult:
    """Every step of the loop, whether it converged, and the ground-truth evaluations used."""

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


def refine_optimum(fit: Callable[[pd.DataFrame], Any],
                   optimize: Callable[[Any], tuple[str, dict[str, float], float]],
                   evaluate: Callable[[dict[str, float]], tuple[str, float, pd.DataFrame]],
                   data: pd.DataFrame, rtol: float = 0.01, max_iter: int = 5, weight: int = 10,
                   progress: bool = True) -> RefinementResult:
    """Optimize, evaluate the truth at the candidate, refit with it; repeat until they agree.

    Args:
        fit: training data -> surrogate (e.g. trained unit networks).
        optimize: surrogate -> (status, decisions, predicted objective).
        evaluate: decisions -> (status, true objective, new training rows at the decisions).
        data: the initial training data.
        rtol: stop when |predicted - truth| <= rtol |truth|.
        max_iter: most candidates (= ground-truth evaluations).
        weight: each new row is added ``weight`` times, so that a handful of local points
            count against hundreds of global ones.

    Raises SolveFailedError when the surrogate optimization or the truth fails at a step
    (the steps so far are on the exception's ``result``).
    """
    if max_iter < 1 or weight < 1 or not rtol > 0:
        raise ValueError(f"need max_iter >= 1, weight >= 1 and rtol > 0, got {max_iter}, {weight}, {rtol}")
    result = RefinementResult()
    for _ in tqdm(range(max_iter), desc="refining the surrogate optimum", disable=not progress):
        model = fit(data)
        result.model = model
        status, decisions, predicted = optimize(model)
        if status != "optimal":
            err = SolveFailedError(f"surrogate optimization ended {status} at step {result.gt_evaluations + 1}", status)
            err.result = result
            raise err
        gt_status, truth, rows = evaluate(decisions)
        gap = (predicted - truth) / abs(truth) if gt_status == "optimal" else float("nan")
        result.iterations.append(RefinementStep(dict(decisions), float(predicted), float(truth), float(gap), gt_status))
        if gt_status != "optimal":
            err = SolveFailedError(f"ground truth ended {gt_status} at the candidate of step {result.gt_evaluations}",
                                   gt_status)
            err.result = result
            raise err
        if abs(gap) <= rtol:
            result.converged = True
            break
        data = pd.concat([data] + [rows] * weight, ignore_index=True)
    return result
