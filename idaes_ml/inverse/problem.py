"""Inversion problems on an embedded network: what to minimize, over which inputs.

Every problem builds a fresh Pyomo model around an ONNX network (OMLT via
:class:`idaes_ml.surrogate.OnnxSurrogate` in an IDAES ``SurrogateBlock``):
``m.x[label]`` are the network inputs (bounded), ``m.y[label]`` its outputs,
``m.obj`` the objective.

* :class:`MisfitProblem` -- ``min sum_j w_j (y_j - t_j)^2`` (the weighted misfit).
* :class:`RangeProblem` -- ``min`` or ``max`` one input subject to ``misfit <= tolerance``
  (identifiability).
* :class:`DesignProblem` -- ``min sum_k c_k x_k`` subject to output windows (design query).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from idaes.core.surrogate.surrogate_block import SurrogateBlock
from pyomo.environ import ConcreteModel, Constraint, Expression, Objective, Var, maximize, minimize

from idaes_ml.errors import DataError, OutOfDomainError
from idaes_ml.surrogate import OnnxSurrogate

__all__ = ["NetworkRef", "MisfitProblem", "RangeProblem", "DesignProblem", "build_base_model"]


@lru_cache(maxsize=8)
def _load_surrogate(directory: str, name: str, formulation: str) -> OnnxSurrogate:
    return OnnxSurrogate.load(directory, name, formulation=formulation)


@dataclass(frozen=True)
class NetworkRef:
    """An exported network by location (picklable, so jobs can ship it to Dask workers)."""

    directory: str
    name: str
    formulation: str = "full_space"

    def surrogate(self) -> OnnxSurrogate:
        """The loaded surrogate (cached per process)."""
        return _load_surrogate(str(self.directory), self.name, self.formulation)


def _bounds(net: NetworkRef, input_bounds: dict | None) -> dict[str, tuple[float, float]]:
    """Search box: the network's training bounds, optionally narrowed (never widened)."""
    trained = net.surrogate().input_bounds()
    box = dict(trained)
    for k, (lo, hi) in (input_bounds or {}).items():
        if k not in trained:
            raise DataError(f"input {k!r} is not an input of {net.name}: {list(trained)}")
        tlo, thi = trained[k]
        if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
            raise DataError(f"bounds of {k!r} must be finite with low <= high, got ({lo}, {hi})")
        if lo < tlo - 1e-12 * abs(tlo) or hi > thi + 1e-12 * abs(thi):
            raise OutOfDomainError(f"bounds of {k!r} ({lo}, {hi}) leave the training domain ({tlo}, {thi})")
        box[k] = (float(lo), float(hi))
    return box


def build_base_model(net: NetworkRef, input_bounds: dict | None = None) -> ConcreteModel:
    """Model with bounded inputs ``m.x``, outputs ``m.y`` and the network block ``m.net``."""
    sur = net.surrogate()
    box = _bounds(net, input_bounds)
    m = ConcreteModel()
    m.x = Var(sur.input_labels(), bounds=lambda m, k: box[k], initialize=lambda m, k: sum(box[k]) / 2)
    m.y = Var(sur.output_labels(), initialize=0.0)
    m.net = SurrogateBlock()
    m.net.build_model(sur, input_vars=[m.x], output_vars=[m.y])
    return m


def _check_outputs(net: NetworkRef, values: dict, what: str) -> None:
    unknown = [k for k in values if k not in net.surrogate().output_labels()]
    if unknown:
        raise DataError(f"{what} names {unknown}, which are not outputs of {net.name}")


def _misfit_expr(m, target: dict[str, float], weights: dict[str, float]):
    return sum(weights.get(k, 1.0) * (m.y[k] - t) ** 2 for k, t in target.items())


@dataclass(frozen=True)
class MisfitProblem:
    """Weighted least-squares misfit between network outputs and a target."""

    network: NetworkRef
    target: dict[str, float]
    weights: dict[str, float] = field(default_factory=dict)
    input_bounds: dict[str, tuple[float, float]] | None = None

    def __post_init__(self):
        _check_outputs(self.network, self.target, "target")
        _check_outputs(self.network, self.weights, "weights")
        bad = [k for k, v in self.target.items() if not math.isfinite(float(v))]
        if bad:
            raise DataError(f"target values of {bad} are NaN or infinite")
        if any(not (math.isfinite(w) and w >= 0) for w in self.weights.values()):
            raise DataError(f"weights must be finite and >= 0, got {self.weights}")
        if not self.target:
            raise DataError("target must name at least one output")

    def box(self) -> dict[str, tuple[float, float]]:
        """The input search box."""
        return _bounds(self.network, self.input_bounds)

    def misfit(self, y: dict[str, float]) -> float:
        """The weighted misfit of output values ``y`` (e.g. a prediction)."""
        return float(sum(self.weights.get(k, 1.0) * (float(y[k]) - t) ** 2 for k, t in self.target.items()))

    def build(self) -> ConcreteModel:
        """Model minimizing the misfit (``m.misfit`` holds the expression)."""
        m = build_base_model(self.network, self.input_bounds)
        m.misfit = Expression(expr=_misfit_expr(m, self.target, self.weights))
        m.obj = Objective(expr=m.misfit, sense=minimize)
        return m


@dataclass(frozen=True)
class RangeProblem:
    """Smallest (``sense="min"``) or largest value of input ``label`` with misfit <= tolerance."""

    base: MisfitProblem
    label: str
    sense: str
    tolerance: float

    def box(self) -> dict[str, tuple[float, float]]:
        """The input search box."""
        return self.base.box()

    @property
    def network(self) -> NetworkRef:
        """The embedded network."""
        return self.base.network

    def build(self) -> ConcreteModel:
        """Model with the misfit constraint and a scaled objective on one input."""
        if self.sense not in ("min", "max"):
            raise DataError(f"sense must be 'min' or 'max', got {self.sense!r}")
        m = self.base.build()
        m.obj.deactivate()
        lo, hi = self.box()[self.label]
        m.misfit_limit = Constraint(expr=m.misfit <= self.tolerance)
        m.range_obj = Objective(expr=(m.x[self.label] - lo) / (hi - lo),
                                sense=minimize if self.sense == "min" else maximize)
        return m


@dataclass(frozen=True)
class DesignProblem:
    """``min sum_k cost[k] * x_k`` over inputs subject to ``lo <= y_j <= hi`` windows."""

    network: NetworkRef
    cost: dict[str, float]
    output_bounds: dict[str, tuple[float | None, float | None]]
    input_bounds: dict[str, tuple[float, float]] | None = None

    def __post_init__(self):
        _check_outputs(self.network, self.output_bounds, "output_bounds")
        unknown = [k for k in self.cost if k not in self.network.surrogate().input_labels()]
        if unknown:
            raise DataError(f"cost names {unknown}, which are not inputs of {self.network.name}")

    def box(self) -> dict[str, tuple[float, float]]:
        """The input search box."""
        return _bounds(self.network, self.input_bounds)

    def build(self) -> ConcreteModel:
        """Model with output windows as constraints and the scaled linear cost."""
        m = build_base_model(self.network, self.input_bounds)
        box = self.box()
        for k, (lo, hi) in self.output_bounds.items():
            m.y[k].setlb(lo)
            m.y[k].setub(hi)
        m.obj = Objective(expr=sum(c * (m.x[k] - box[k][0]) / (box[k][1] - box[k][0])
                                   for k, c in self.cost.items()), sense=minimize)
        return m
