"""Minimize an output of a ReLU network over its input box as a MILP that finishes.

    >>> res = minimize_relu(net, "y0", time_limit=60)        # net: a ReLU ScaledNetwork  # doctest: +SKIP
    >>> res.status, res.objective, res.bound, res.gap         # doctest: +SKIP

Progressive bound tightening, as neural-network verifiers do: interval arithmetic bounds
every pre-activation; then, layer by layer, two LPs per neuron (its smallest and largest
pre-activation over the LP relaxation of the layers before it, each unstable ReLU relaxed
to its triangle) tighten those bounds, and the next layer's intervals start from them.
Neurons whose bounds do not straddle zero are stable and need no binary: active ones are
``y = z``, inactive ones ``y = 0``. The MILP (big-M with the tightened bounds, which is as
tight as big-M gets) starts from an incumbent found by a local search of the same
piecewise-linear model: the best of many random inputs, then the LP over its activation
region (the network is linear there) until the region stops changing. HiGHS solves every
LP and the MILP.

The network is the scaled torch network of a :class:`idaes_ml.nn.ScaledNetwork` (ReLU
hidden layers, affine output); inputs range over its ``input_bounds``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from idaes_ml.errors import DataError

if TYPE_CHECKING:
    import highspy

    from idaes_ml.nn import ScaledNetwork

__all__ = ["ReluNet", "ReluMilpResult", "interval_bounds", "tighten_bounds", "local_incumbent", "minimize_relu"]

Bounds = list[tuple[np.ndarray, np.ndarray]]  # (lower, upper) pre-activation bounds of each hidden layer
#: Padding of LP-derived bounds (HiGHS's feasibility tolerance is 1e-7): never cut off a point.
PAD = 1e-6


@dataclass
class ReluNet:
    """``z_l = W_l a_{l-1} + b_l``, ``a_l = max(z_l, 0)`` for the hidden layers, affine last layer,
    on scaled inputs in the box ``[lower, upper]``."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def from_scaled_network(cls, net: ScaledNetwork) -> ReluNet:
        """The affine layers and scaled input box of a ReLU :class:`~idaes_ml.nn.ScaledNetwork`."""
        import torch

        kinds = [type(m) for m in net.module]
        hidden = len(kinds) // 2
        if kinds != [torch.nn.Linear, torch.nn.ReLU] * hidden + [torch.nn.Linear] or hidden < 1:
            raise DataError(f"not a ReLU network with an affine output layer: {[k.__name__ for k in kinds]}")
        missing = [k for k in net.input_labels if k not in net.input_bounds]
        if missing:
            raise DataError(f"inputs {missing} have no bounds")
        box = np.array([net.input_bounds[k] for k in net.input_labels], float)
        layers = net.linear_layers()
        return cls([lay.weight.detach().double().numpy() for lay in layers],
                   [lay.bias.detach().double().numpy() for lay in layers],
                   (box[:, 0] - net.input_offset) / net.input_factor, (box[:, 1] - net.input_offset) / net.input_factor)

    @property
    def depth(self) -> int:
        """Number of hidden (ReLU) layers."""
        return len(self.weights) - 1

    def forward(self, X: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Pre-activations of every hidden layer and the outputs, for rows of scaled inputs."""
        a, zs = np.atleast_2d(X), []
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            zs.append(a @ W.T + b)
            a = np.maximum(zs[-1], 0.0)
        return zs, a @ self.weights[-1].T + self.biases[-1]


def _interval(W: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    Wp, Wn = np.maximum(W, 0.0), np.minimum(W, 0.0)
    return Wp @ lo + Wn @ hi + b, Wp @ hi + Wn @ lo + b


def interval_bounds(net: ReluNet) -> Bounds:
    """Pre-activation bounds of every hidden layer by interval arithmetic."""
    lo, hi, out = net.lower, net.upper, []
    for W, b in zip(net.weights[:-1], net.biases[:-1]):
        out.append(_interval(W, b, lo, hi))
        lo, hi = np.maximum(out[-1][0], 0.0), np.maximum(out[-1][1], 0.0)
    return out


@dataclass
class _Layout:
    """Columns and rows of the network's (MI)LP through hidden layer ``len(bounds) - 1``.

    Columns: scaled inputs ``x``, then per hidden layer ``z`` (pre-activation), ``y``
    (post-activation) and one ``d`` (binary, or in [0, 1] when relaxed) per unstable neuron.
    Rows: ``z = W a + b``; stable active ``y = z``; unstable ``y >= z``,
    ``y <= z - lo (1 - d)``, ``y <= hi d``. With ``open_last``, the last layer has only its
    ``z`` columns (no ReLU), the targets of bound tightening. ``convex`` marks neurons of the
    last hidden layer that the objective pushes down (positive cost on ``y``): minimizing
    drives ``y`` to ``max(z, 0)`` on its own, so they keep only ``y >= z, y >= 0`` and no binary.
    """

    net: ReluNet
    bounds: Bounds
    integer: bool
    open_last: bool = False
    convex: np.ndarray | None = None
    n_cols: int = 0
    z: list[np.ndarray] = field(default_factory=list)
    y: list[np.ndarray] = field(default_factory=list)
    d: list[np.ndarray] = field(default_factory=list)  # column of each neuron's binary, -1 if stable

    def build(self) -> highspy.HighsLp:
        import highspy

        n0 = len(self.net.lower)
        lower, upper = list(self.net.lower), list(self.net.upper)
        rows, cols, vals, rlo, rhi = [], [], [], [], []
        integral = []

        def new(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
            start = len(lower)
            lower.extend(lo)
            upper.extend(hi)
            return np.arange(start, start + len(lo))

        def row(entries: list[tuple[int, float]], lo: float, hi: float) -> None:
            r = len(rlo)
            for c, v in entries:
                rows.append(r)
                cols.append(c)
                vals.append(v)
            rlo.append(lo)
            rhi.append(hi)

        prev = np.arange(n0)
        for layer, (lo, hi) in enumerate(self.bounds):
            W, b = self.net.weights[layer], self.net.biases[layer]
            z = new(lo, hi)
            for i in range(len(z)):
                row([(z[i], 1.0)] + [(prev[j], -W[i, j]) for j in np.flatnonzero(W[i])], b[i], b[i])
            self.z.append(z)
            if self.open_last and layer == len(self.bounds) - 1:
                break
            y = new(np.zeros(len(z)), np.maximum(hi, 0.0))
            convex = (self.convex if self.convex is not None and layer == len(self.bounds) - 1
                      else np.zeros(len(z), bool))
            unstable = np.flatnonzero((lo < 0) & (hi > 0) & ~convex)
            d = np.full(len(z), -1)
            d[unstable] = new(np.zeros(len(unstable)), np.ones(len(unstable)))
            integral.extend(d[unstable])
            for i in range(len(z)):
                if lo[i] >= 0:
                    row([(y[i], 1.0), (z[i], -1.0)], 0.0, 0.0)
                elif convex[i] and hi[i] > 0:
                    row([(y[i], 1.0), (z[i], -1.0)], 0.0, np.inf)
                elif hi[i] > 0:
                    row([(y[i], 1.0), (z[i], -1.0)], 0.0, np.inf)
                    row([(y[i], 1.0), (z[i], -1.0), (d[i], -lo[i])], -np.inf, -lo[i])
                    row([(y[i], 1.0), (d[i], -hi[i])], -np.inf, 0.0)
            self.y.append(y)
            self.d.append(d)
            prev = y
        self.n_cols = len(lower)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(lower), len(rlo)
        lp.col_cost_ = np.zeros(len(lower))
        lp.col_lower_, lp.col_upper_ = np.array(lower), np.array(upper)
        lp.row_lower_, lp.row_upper_ = np.array(rlo), np.array(rhi)
        A = sp.csc_matrix((vals, (rows, cols)), shape=(len(rlo), len(lower)))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
        if self.integer:
            kinds = np.full(len(lower), highspy.HighsVarType.kContinuous)
            kinds[np.asarray(integral, int)] = highspy.HighsVarType.kInteger
            lp.integrality_ = list(kinds)
        return lp

    def point(self, x: np.ndarray) -> np.ndarray:
        """Every column's value at scaled input ``x`` (a feasible MILP point)."""
        sol = np.zeros(self.n_cols)
        sol[: len(x)] = x
        zs, _ = self.net.forward(x)
        for z, y, d, zv in zip(self.z, self.y, self.d, zs):
            zv = zv[0]
            sol[z], sol[y] = zv, np.maximum(zv, 0.0)
            sol[d[d >= 0]] = (zv[d >= 0] > 0).astype(float)
        return sol


def _highs(output: bool = False) -> highspy.Highs:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", output)
    # no "threads" option: HiGHS's scheduler is global per process, and a different thread
    # count than the one another HiGHS user (e.g. Pyomo's appsi_highs) started it with makes
    # every run() fail with status "Not Set"
    return h


def tighten_bounds(net: ReluNet, method: str = "lp", neuron_time: float = 1.0, budget: float = np.inf,
                   last_neurons: np.ndarray | None = None) -> Bounds:
    """Interval bounds tightened layer by layer, two solves per neuron of the deeper layers
    (the first layer's intervals are exact): LPs over the triangle relaxation of the layers
    before, then, with ``method="milp"`` and while ``budget`` seconds last, MILPs over their
    exact model (each stopped after ``neuron_time`` s; its proven bound is used, so bounds
    stay valid). ``last_neurons`` limits the MILPs of the last hidden layer to those neurons,
    in that order."""
    if method not in ("lp", "milp"):
        raise DataError(f"method must be 'lp' or 'milp', got {method!r}")
    deadline = time.perf_counter() + budget
    bounds = interval_bounds(net)[:1]
    for layer in range(1, net.depth):
        lo, hi = np.maximum(bounds[-1][0], 0.0), np.maximum(bounds[-1][1], 0.0)
        new = _interval(net.weights[layer], net.biases[layer], lo, hi)
        new = _tighten_layer(net, bounds, new, integer=False, neurons=np.arange(len(new[0])), neuron_time=np.inf,
                             deadline=np.inf)
        if method == "milp":
            last = layer == net.depth - 1 and last_neurons is not None
            neurons = np.asarray(last_neurons, int) if last else np.arange(len(new[0]))
            new = _tighten_layer(net, bounds, new, integer=True, neurons=neurons, neuron_time=neuron_time,
                                 deadline=deadline)
        bounds.append(new)
    return bounds


def _tighten_layer(net: ReluNet, bounds: Bounds, current: tuple[np.ndarray, np.ndarray], integer: bool,
                   neurons: np.ndarray, neuron_time: float, deadline: float) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of the next layer's pre-activations (``neurons`` of it) over the (MI)LP of ``bounds``."""
    import highspy

    layout = _Layout(net, [*bounds, current], integer=integer, open_last=True)
    h = _highs()
    h.passModel(layout.build())
    new_lo, new_hi = current[0].copy(), current[1].copy()
    for i in neurons:
        col = int(layout.z[-1][i])
        for sense, target in ((highspy.ObjSense.kMinimize, new_lo), (highspy.ObjSense.kMaximize, new_hi)):
            left = deadline - time.perf_counter()
            if left <= 0:
                return new_lo, new_hi
            h.setOptionValue("time_limit", float(min(neuron_time, left)))
            h.changeObjectiveSense(sense)
            h.changeColCost(col, 1.0)
            h.run()
            if integer:
                v = h.getInfo().mip_dual_bound
            elif h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                v = h.getInfo().objective_function_value
            else:
                continue
            pad = PAD * (1.0 + abs(v))
            if target is new_lo:
                new_lo[i] = max(new_lo[i], v - pad)
            else:
                new_hi[i] = min(new_hi[i], v + pad)
        h.changeColCost(col, 0.0)
    return new_lo, new_hi


def _pattern_bounds(net: ReluNet, bounds: Bounds, x: np.ndarray) -> Bounds:
    """Bounds that pin every neuron to its activation at scaled input ``x`` (its linear region)."""
    zs, _ = net.forward(x)
    return [(np.where(z[0] > 0, np.maximum(lo, 0.0), lo), np.where(z[0] > 0, hi, np.minimum(hi, 0.0)))
            for (lo, hi), z in zip(bounds, zs)]


def _objective(net: ReluNet, output: int, sign: float, layout: _Layout) -> tuple[np.ndarray, float]:
    cost = np.zeros(layout.n_cols)
    cost[layout.y[-1]] = sign * net.weights[-1][output]
    return cost, sign * net.biases[-1][output]


def local_incumbent(net: ReluNet, bounds: Bounds, output: int, sign: float = 1.0, samples: int = 20000,
                    seed: int = 0, max_moves: int = 20) -> np.ndarray:
    """A local minimum of ``sign * out[output]``: the best random input, then LPs over the
    activation region of the current point until the objective stops improving."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(net.lower, net.upper, size=(samples, len(net.lower)))
    values = sign * net.forward(X)[1][:, output]
    x, best = X[np.argmin(values)], float(values.min())
    for _ in range(max_moves):
        layout = _Layout(net, _pattern_bounds(net, bounds, x), integer=False)
        lp = layout.build()
        lp.col_cost_, lp.offset_ = _objective(net, output, sign, layout)
        h = _highs()
        h.passModel(lp)
        h.run()
        cand = np.asarray(h.getSolution().col_value[: len(x)])
        value = float(sign * net.forward(cand)[1][0, output])
        if value >= best - 1e-12 * (1.0 + abs(best)):
            break
        x, best = np.clip(cand, net.lower, net.upper), value
    return x


@dataclass
class ReluMilpResult:
    """The MILP's outcome in the output's own units: incumbent ``objective`` (None if none),
    proven ``bound``, relative ``gap`` and the best ``inputs`` (unscaled), with timings, the
    local search's value, and the binaries left and neurons proven stable."""

    status: str
    objective: float | None
    bound: float
    gap: float | None
    inputs: dict[str, float] | None
    time_s: float
    bounds_time_s: float
    incumbent_objective: float
    n_binary: int
    n_stable: int


def minimize_relu(net: ScaledNetwork, output: str, maximize: bool = False, time_limit: float = 60.0,
                  tighten: str = "milp", bound_time: float | None = None, mip_gap: float = 1e-4,
                  samples: int = 20000, seed: int = 0) -> ReluMilpResult:
    """Minimize (or maximize) one output of a ReLU network over its input bounds with HiGHS.

    ``tighten``: ``"milp"`` (LP then MILP bounds for up to ``bound_time`` s, default half the
    ``time_limit``), ``"lp"`` (:func:`tighten_bounds`), or ``"interval"`` (no tightening, for
    comparison). Neurons of the last hidden layer that the objective pushes down get no
    binary. ``time_limit`` covers everything. HiGHS stops at the relative gap ``mip_gap``;
    the reported gap is ``|objective - bound| / max(|objective|, 1e-9)`` in the output's units.
    """
    import highspy

    if output not in net.output_labels:
        raise DataError(f"{output!r} is not an output of the network: {net.output_labels}")
    t0 = time.perf_counter()
    bound_time = time_limit / 2 if bound_time is None else bound_time
    relu = ReluNet.from_scaled_network(net)
    j = net.output_labels.index(output)
    factor, offset = float(net.output_factor[j]), float(net.output_offset[j])
    sign = (-1.0 if maximize else 1.0) * np.sign(factor)  # minimize sign * scaled output
    convex = sign * relu.weights[-1][j] > 0
    if tighten == "interval":
        bounds = interval_bounds(relu)
    else:
        needed = np.flatnonzero(~convex)  # binaries remain only there: tighten those, largest weight first
        needed = needed[np.argsort(-np.abs(relu.weights[-1][j][needed]))]
        bounds = tighten_bounds(relu, tighten, neuron_time=bound_time / 20, budget=bound_time, last_neurons=needed)
    bounds_s = time.perf_counter() - t0
    x0 = local_incumbent(relu, bounds, j, sign, samples, seed)
    layout = _Layout(relu, bounds, integer=True, convex=convex)
    lp = layout.build()
    lp.col_cost_, lp.offset_ = _objective(relu, j, sign, layout)
    h = _highs()
    h.setOptionValue("time_limit", float(max(time_limit - (time.perf_counter() - t0), 1.0)))
    h.setOptionValue("random_seed", seed)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.passModel(lp)
    start = highspy.HighsSolution()
    start.col_value = list(layout.point(x0))
    start.value_valid = True
    h.setSolution(start)
    h.run()
    info = h.getInfo()
    has_point = info.primal_solution_status == 2  # kSolutionStatusFeasible

    def unscale(v: float) -> float:  # the minimized sign * (scaled output) -> the output's value
        return float(sign * v * factor + offset)

    objective = unscale(info.objective_function_value) if has_point else None
    bound = unscale(info.mip_dual_bound)
    x = np.asarray(h.getSolution().col_value[: len(relu.lower)]) if has_point else None
    n_binary = sum(int((d >= 0).sum()) for d in layout.d)
    return ReluMilpResult(
        status=h.modelStatusToString(h.getModelStatus()), objective=objective, bound=bound,
        gap=abs(objective - bound) / max(abs(objective), 1e-9) if objective is not None else None,
        inputs=None if x is None else dict(zip(net.input_labels, (x * net.input_factor + net.input_offset).tolist())),
        time_s=time.perf_counter() - t0, bounds_time_s=bounds_s,
        incumbent_objective=unscale(sign * relu.forward(x0)[1][0, j]),
        n_binary=n_binary, n_stable=sum(int(((lo >= 0) | (hi <= 0)).sum()) for lo, hi in bounds))
