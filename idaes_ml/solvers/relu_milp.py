"""Minimize an output of a ReLU network over its input box, to a certified gap.

    >>> res = minimize_relu(net, "y0", time_limit=60)        # net: a ReLU ScaledNetwork  # doctest: +SKIP
    >>> res.status, res.objective, res.bound, res.gap         # doctest: +SKIP

The model is OMLT's big-M MILP of the network (``z = W a + b``, ``y = max(z, 0)`` with one
binary per neuron whose pre-activation bounds straddle zero). How well it solves depends on
those bounds: the LP relaxation of a hidden layer behind another is loose when they are
(measured on a random 2 x 32 network, 4 inputs: root LP bound -1.02 against the optimum
-0.21; HiGHS branching on the binaries keeps the big-M bounds of the root and did not reach
a 1 % gap in 120 s). The default algorithm (``algorithm="split"``) therefore branches on the
*input box*, as input-splitting verifiers of low-dimensional networks do. Every box gets
its own bounds: exact intervals for the first layer, intervals narrowed by the parent's
bounds for the deeper ones and, where the box's LP does not already close it, one LP per
unstable neuron of the deeper layers. The box's LP relaxation (HiGHS) is restricted to
objective values that beat the incumbent by more than the tolerance (an infeasible LP
closes the box) and strengthened by rounds of violated inequalities of each neuron's ideal
formulation (Anderson et al., Math. Program. 2020); its value is the box's bound and its
solution an incumbent candidate. Boxes are split best-first (the input the unstable
first-layer neurons depend on most, weighted by its width) until the incumbent is within
``mip_gap`` of the smallest bound left; a box with few binaries left is closed by its own
MILP (HiGHS). Measured on that network: 1 % gap in 161 boxes, 7 s (HiGHS on the whole box
with MILP-tightened bounds: 25 s).

``algorithm="milp"`` hands the whole-box MILP to HiGHS instead, with bounds tightened up
front (interval, then LP per neuron, then budgeted MILPs per neuron).

Neurons whose bounds do not straddle zero are stable and need no binary (active ``y = z``,
inactive ``y = 0``); last-layer neurons that the objective pushes down need none either.
Both algorithms start from an incumbent found by local search of the same piecewise-linear
model: the best random inputs, each followed by LPs over its activation region (the network
is linear there) until the region stops changing.

The network is the scaled torch network of a :class:`idaes_ml.nn.ScaledNetwork` (ReLU
hidden layers, affine output); inputs range over its ``input_bounds``.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
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

    def on_box(self, lower: np.ndarray, upper: np.ndarray) -> ReluNet:
        """The same network on the input box ``[lower, upper]``."""
        return ReluNet(self.weights, self.biases, np.asarray(lower, float), np.asarray(upper, float))

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


def interval_bounds(net: ReluNet, known: Bounds | None = None) -> Bounds:
    """Pre-activation bounds of every hidden layer by interval arithmetic, each layer's
    intersected with ``known`` bounds (valid on a box containing ``net``'s) before it
    propagates."""
    lo, hi, out = net.lower, net.upper, []
    for layer, (W, b) in enumerate(zip(net.weights[:-1], net.biases[:-1])):
        new_lo, new_hi = _interval(W, b, lo, hi)
        if known is not None:
            new_lo, new_hi = np.maximum(new_lo, known[layer][0]), np.minimum(new_hi, known[layer][1])
        out.append((new_lo, new_hi))
        lo, hi = np.maximum(new_lo, 0.0), np.maximum(new_hi, 0.0)
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
    inputs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)  # columns, box of each layer's inputs

    def build(self) -> highspy.HighsLp:
        import highspy

        lower, upper = [np.asarray(self.net.lower, float)], [np.asarray(self.net.upper, float)]
        n_cols = len(self.net.lower)
        rows, cols, vals, rlo, rhi = [], [], [], [], []
        n_rows = 0
        integral = []

        def new(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
            nonlocal n_cols
            lower.append(np.asarray(lo, float))
            upper.append(np.asarray(hi, float))
            n_cols += len(lo)
            return np.arange(n_cols - len(lo), n_cols)

        def add(entries: list[tuple[np.ndarray, np.ndarray]], lo: np.ndarray, hi: np.ndarray) -> None:
            """One row per element of ``lo``; each entry is (columns, coefficients), aligned with the rows."""
            nonlocal n_rows
            r = np.arange(n_rows, n_rows + len(lo))
            for c, v in entries:
                rows.append(r)
                cols.append(np.asarray(c))
                vals.append(np.broadcast_to(np.asarray(v, float), r.shape))
            rlo.append(np.broadcast_to(np.asarray(lo, float), r.shape))
            rhi.append(np.broadcast_to(np.asarray(hi, float), r.shape))
            n_rows += len(lo)

        prev, prev_lo, prev_hi = np.arange(n_cols), lower[0], upper[0]
        for layer, (lo, hi) in enumerate(self.bounds):
            W, b = self.net.weights[layer], self.net.biases[layer]
            self.inputs.append((prev, prev_lo, prev_hi))
            z = new(lo, hi)
            r, c = np.nonzero(W)
            rows.append(n_rows + r)
            cols.append(prev[c])
            vals.append(-W[r, c])
            add([(z, 1.0)], b, b)
            self.z.append(z)
            if self.open_last and layer == len(self.bounds) - 1:
                break
            y = new(np.zeros(len(z)), np.maximum(hi, 0.0))
            convex = (self.convex if self.convex is not None and layer == len(self.bounds) - 1
                      else np.zeros(len(z), bool))
            active = lo >= 0
            lower_only = ~active & (hi > 0) & convex
            unstable = ~active & (hi > 0) & ~convex
            d = np.full(len(z), -1)
            d[unstable] = new(np.zeros(unstable.sum()), np.ones(unstable.sum()))
            integral.extend(d[unstable])
            add([(y[active], 1.0), (z[active], -1.0)], np.zeros(active.sum()), np.zeros(active.sum()))
            both = lower_only | unstable
            add([(y[both], 1.0), (z[both], -1.0)], np.zeros(both.sum()), np.full(both.sum(), np.inf))
            u, lu, hu = y[unstable], lo[unstable], hi[unstable]
            add([(u, 1.0), (z[unstable], -1.0), (d[unstable], -lu)], np.full(len(u), -np.inf), -lu)
            add([(u, 1.0), (d[unstable], -hu)], np.full(len(u), -np.inf), np.zeros(len(u)))
            self.y.append(y)
            self.d.append(d)
            prev, prev_lo, prev_hi = y, np.maximum(lo, 0.0), np.maximum(hi, 0.0)
        self.n_cols = n_cols
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_cols, n_rows
        lp.col_cost_ = np.zeros(n_cols)
        lp.col_lower_, lp.col_upper_ = np.concatenate(lower), np.concatenate(upper)
        lp.row_lower_, lp.row_upper_ = np.concatenate(rlo), np.concatenate(rhi)
        A = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_cols))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
        if self.integer:
            kinds = np.full(n_cols, highspy.HighsVarType.kContinuous)
            kinds[np.asarray(integral, int)] = highspy.HighsVarType.kInteger
            lp.integrality_ = list(kinds)
        return lp

    def ideal_cuts(self, sol: np.ndarray, tol: float = 1e-6) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """Inequalities of the ideal (convex hull) formulation of each unstable neuron over the
        box of its inputs (Anderson et al., Math. Program. 2020) that the LP point ``sol``
        violates by more than ``tol``, the most violated one per neuron: with ``L``/``U`` the
        input bound that minimizes/maximizes ``w_i a_i`` and ``I`` any subset of the inputs,
        ``y <= sum_{i in I} w_i (a_i - L_i (1 - d)) + (b + sum_{i not in I} w_i U_i) d``.
        Rows as (columns, coefficients, upper bound)."""
        cuts = []
        for layer, d in enumerate(self.d):
            idx = np.flatnonzero(d >= 0)
            if not len(idx):
                continue
            cols, lo, hi = self.inputs[layer]
            W, b = self.net.weights[layer][idx], self.net.biases[layer][idx]
            L, U = np.where(W >= 0, lo, hi), np.where(W >= 0, hi, lo)
            a, dv, yv = sol[cols], sol[d[idx]][:, None], sol[self.y[layer][idx]]
            inside, outside = W * (a - L * (1.0 - dv)), W * U * dv
            chosen = inside < outside
            rhs = np.where(chosen, inside, outside).sum(1) + b * dv[:, 0]
            for k in np.flatnonzero(yv - rhs > tol):
                I = chosen[k]
                coef_d = -(W[k, I] @ L[k, I] + b[k] + W[k, ~I] @ U[k, ~I])
                cuts.append((np.concatenate([[self.y[layer][idx[k]], d[idx[k]]], cols[I]]),
                             np.concatenate([[1.0, coef_d], -W[k, I]]), float(-(W[k, I] @ L[k, I]))))
        return cuts

    @property
    def n_binary(self) -> int:
        return sum(int((d >= 0).sum()) for d in self.d)

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


def _extremes(h: highspy.Highs, cols: np.ndarray, lo: np.ndarray, hi: np.ndarray, integer: bool = False,
              neuron_time: float = np.inf, deadline: float = np.inf) -> None:
    """Narrow ``lo``/``hi`` (in place) of the columns ``cols`` to their min and max over ``h``'s
    model (its proven bound when ``integer``), padded by :data:`PAD`; stops at ``deadline``."""
    import highspy

    if not integer:  # each LP starts from the last one's basis, which stays primal feasible
        h.setOptionValue("presolve", "off")
        h.setOptionValue("simplex_strategy", 4)  # primal simplex
    for i, col in enumerate(np.asarray(cols, int)):
        for sense, target in ((highspy.ObjSense.kMinimize, lo), (highspy.ObjSense.kMaximize, hi)):
            left = deadline - time.perf_counter()
            if left <= 0:
                return
            if integer or np.isfinite(neuron_time):
                h.setOptionValue("time_limit", float(min(neuron_time, left)))
            h.changeObjectiveSense(sense)
            h.changeColCost(int(col), 1.0)
            h.run()
            if integer:
                v = h.getInfo().mip_dual_bound
            elif h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                v = h.getInfo().objective_function_value
            else:
                continue
            pad = PAD * (1.0 + abs(v))
            if target is lo:
                lo[i] = max(lo[i], v - pad)
            else:
                hi[i] = min(hi[i], v + pad)
        h.changeColCost(int(col), 0.0)


def _tighten_layer(net: ReluNet, bounds: Bounds, current: tuple[np.ndarray, np.ndarray], integer: bool,
                   neurons: np.ndarray, neuron_time: float, deadline: float) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of the next layer's pre-activations (``neurons`` of it) over the (MI)LP of ``bounds``."""
    layout = _Layout(net, [*bounds, current], integer=integer, open_last=True)
    h = _highs()
    h.passModel(layout.build())
    new_lo, new_hi = current[0].copy(), current[1].copy()
    neurons = np.asarray(neurons, int)
    lo, hi = new_lo[neurons], new_hi[neurons]
    _extremes(h, layout.z[-1][neurons], lo, hi, integer, neuron_time, deadline)
    new_lo[neurons], new_hi[neurons] = lo, hi
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


def _walk(net: ReluNet, bounds: Bounds, output: int, sign: float, x: np.ndarray, max_moves: int
          ) -> tuple[np.ndarray, float]:
    """From ``x``, LPs over the activation region of the current point until the objective
    ``sign * out[output]`` stops improving; the last point and its value."""
    best = float(sign * net.forward(x)[1][0, output])
    for _ in range(max_moves):
        layout = _Layout(net, _pattern_bounds(net, bounds, x), integer=False)
        lp = layout.build()
        lp.col_cost_, lp.offset_ = _objective(net, output, sign, layout)
        h = _highs()
        h.passModel(lp)
        h.run()
        cand = np.clip(np.asarray(h.getSolution().col_value[: len(x)]), net.lower, net.upper)
        value = float(sign * net.forward(cand)[1][0, output])
        if not value < best - 1e-12 * (1.0 + abs(best)):
            break
        x, best = cand, value
    return x, best


def local_incumbent(net: ReluNet, bounds: Bounds, output: int, sign: float = 1.0, samples: int = 20000,
                    seed: int = 0, max_moves: int = 20, starts: int = 20) -> np.ndarray:
    """A local minimum of ``sign * out[output]``: the ``starts`` best of ``samples`` random
    inputs, each followed by LPs over the activation region of the current point until the
    objective stops improving; the best end point."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(net.lower, net.upper, size=(samples, len(net.lower)))
    values = sign * net.forward(X)[1][:, output]
    best_x, best = X[np.argmin(values)], np.inf
    for k in np.argsort(values)[: max(starts, 1)]:
        x, value = _walk(net, bounds, output, sign, X[k], max_moves)
        if value < best:
            best_x, best = x, value
    return best_x


@dataclass
class ReluMilpResult:
    """The outcome in the output's own units: incumbent ``objective`` (None if none), proven
    ``bound``, relative ``gap`` and the best ``inputs`` (unscaled), with timings, the local
    search's value, the binaries of the whole-box MILP and the neurons proven stable on the
    whole box (after its bound tightening), and, for ``algorithm="split"``, the input boxes
    solved (LPs and MILPs)."""

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
    algorithm: str = "split"
    n_boxes: int = 0
    n_box_milps: int = 0


@dataclass
class _Search:
    """Best-first branch and bound over input boxes of ``sign * out[output]`` (scaled units)."""

    net: ReluNet
    output: int
    sign: float
    convex: np.ndarray
    tolerance: Callable[[float], float]  # incumbent value -> how much lower a box's bound must be to stay open
    tighten: bool  # one LP per unstable neuron of the deeper layers in every box the LP leaves open
    leaf_binaries: int
    deadline: float
    cut_rounds: int = 3
    best: float = np.inf
    best_x: np.ndarray | None = None
    closed_bound: float = np.inf  # smallest proven bound of the boxes closed so far
    boxes: int = 0
    milps: int = 0
    heap: list = field(default_factory=list)
    _count: itertools.count = field(default_factory=itertools.count)

    def offer(self, x: np.ndarray | None, bounds: Bounds) -> None:
        """Keep ``x`` if it beats the incumbent, after a local walk from it."""
        if x is not None and float(self.sign * self.net.forward(x)[1][0, self.output]) < self.best:
            self.best_x, self.best = _walk(self.net, bounds, self.output, self.sign, x, 20)

    @property
    def cutoff(self) -> float:
        """A box whose bound is at least this cannot improve the incumbent by more than the tolerance."""
        return self.best - self.tolerance(self.best) if np.isfinite(self.best) else np.inf

    def _close(self, bound: float) -> None:
        self.closed_bound = min(self.closed_bound, bound)

    def _relax(self, box: ReluNet, bounds: Bounds) -> tuple[float, np.ndarray | None, _Layout, highspy.Highs]:
        """The box's LP relaxation restricted to objective values up to :attr:`cutoff`, with
        rounds of ideal-formulation cuts: its value (``inf`` when infeasible: nothing in the box
        beats the cutoff), input point, layout and solver (holding the LP, cuts included)."""
        import highspy

        layout = _Layout(box, bounds, integer=False, convex=self.convex)
        lp = layout.build()
        lp.col_cost_, lp.offset_ = _objective(box, self.output, self.sign, layout)
        h = _highs()
        h.passModel(lp)
        nz = np.flatnonzero(lp.col_cost_)
        if np.isfinite(self.cutoff):
            h.addRow(-np.inf, self.cutoff - lp.offset_, len(nz), nz.astype(np.int32), lp.col_cost_[nz])
        for rnd in range(self.cut_rounds + 1):
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return np.inf, None, layout, h
            sol = np.asarray(h.getSolution().col_value)
            cuts = layout.ideal_cuts(sol) if rnd < self.cut_rounds else []
            if not cuts:
                break
            for cols, vals, upper in cuts:
                h.addRow(-np.inf, upper, len(cols), cols.astype(np.int32), vals)
        return h.getInfo().objective_function_value, sol[: len(box.lower)], layout, h

    def _milp(self, box: ReluNet, bounds: Bounds) -> tuple[float, np.ndarray | None]:
        """The box's MILP (HiGHS): proven bound and best input point (None if none)."""
        layout = _Layout(box, bounds, integer=True, convex=self.convex)
        lp = layout.build()
        lp.col_cost_, lp.offset_ = _objective(box, self.output, self.sign, layout)
        h = _highs()
        h.passModel(lp)
        h.setOptionValue("time_limit", float(max(self.deadline - time.perf_counter(), 0.1)))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", float(self.tolerance(self.best)) / 10 if np.isfinite(self.best) else 1e-9)
        h.run()
        info = h.getInfo()
        x = np.asarray(h.getSolution().col_value[: len(box.lower)]) if info.primal_solution_status == 2 else None
        return info.mip_dual_bound, x

    def _tightened(self, box: ReluNet, bounds: Bounds, layout: _Layout, h: highspy.Highs) -> Bounds:
        """One LP per unstable neuron of the deeper layers (last layer: those with a binary) over
        the box's relaxation (``h``, ``layout``; rebuilt between deeper layers)."""
        bounds = [(lo.copy(), hi.copy()) for lo, hi in bounds]
        for layer in range(1, box.depth):
            if layer > 1:
                _, _, layout, h = self._relax(box, bounds)
            h.changeColsCost(layout.n_cols, np.arange(layout.n_cols, dtype=np.int32), np.zeros(layout.n_cols))
            h.changeObjectiveOffset(0.0)
            lo, hi = bounds[layer]
            need = (lo < 0) & (hi > 0) & ~(self.convex if layer == box.depth - 1 else False)
            idx = np.flatnonzero(need)
            new_lo, new_hi = lo[idx], hi[idx]
            _extremes(h, layout.z[layer][idx], new_lo, new_hi, deadline=self.deadline)
            lo[idx], hi[idx] = new_lo, new_hi
            bounds = interval_bounds(box, bounds)
        return bounds

    def visit(self, box: ReluNet, known: Bounds) -> None:
        """Bound the box: close it (its bound recorded) or queue it for splitting."""
        self.boxes += 1
        bounds = interval_bounds(box, known)
        for tightened in (False, True):
            if tightened:
                bounds = self._tightened(box, bounds, layout, h)
            lb, x, layout, h = self._relax(box, bounds)
            if x is None:  # nothing in the box beats the cutoff
                self._close(self.cutoff)
                return
            self.offer(x, bounds)
            if lb >= self.cutoff:
                self._close(lb)
                return
            if layout.n_binary <= self.leaf_binaries:
                self.milps += 1
                lb, x = self._milp(box, bounds)
                self.offer(x, bounds)
                self._close(lb)
                return
            if not self.tighten or time.perf_counter() >= self.deadline:
                break
        heapq.heappush(self.heap, (lb, next(self._count), box, bounds))

    def _branch(self, box: ReluNet, bounds: Bounds) -> int:
        """The input to split: widest, weighted by how much the first layer's unstable neurons depend on it."""
        lo, hi = bounds[0]
        unstable = (lo < 0) & (hi > 0)
        weight = np.abs(box.weights[0][unstable]).sum(0) if unstable.any() else np.ones(len(box.lower))
        return int(np.argmax(weight * (box.upper - box.lower)))

    def run(self, root: ReluNet, bounds: Bounds) -> bool:
        """Branch until every box is closed (True) or the deadline passes (False)."""
        self.visit(root, bounds)
        while self.heap:
            lb, _, box, bounds = self.heap[0]
            if lb >= self.cutoff:
                heapq.heappop(self.heap)
                self._close(lb)
                continue
            if time.perf_counter() >= self.deadline:
                return False
            heapq.heappop(self.heap)
            d = self._branch(box, bounds)
            mid = 0.5 * (box.lower[d] + box.upper[d])
            for lo_d, hi_d in ((box.lower[d], mid), (mid, box.upper[d])):
                lower, upper = box.lower.copy(), box.upper.copy()
                lower[d], upper[d] = lo_d, hi_d
                self.visit(box.on_box(lower, upper), bounds)
        return True

    @property
    def bound(self) -> float:
        """Proven lower bound over the whole box."""
        return min([self.closed_bound, self.best] + [item[0] for item in self.heap])


def minimize_relu(net: ScaledNetwork, output: str, maximize: bool = False, time_limit: float = 60.0,
                  tighten: str | None = None, bound_time: float | None = None, mip_gap: float = 1e-4,
                  samples: int = 20000, seed: int = 0, algorithm: str = "split", starts: int = 20,
                  leaf_binaries: int = 6, cut_rounds: int = 3) -> ReluMilpResult:
    """Minimize (or maximize) one output of a ReLU network over its input bounds with HiGHS.

    ``algorithm``: ``"split"`` (branch on the input box, module docstring) or ``"milp"``
    (HiGHS's MILP over the whole box). ``tighten``: bounds of the whole box before either,
    ``"milp"`` (LP then MILP bounds for up to ``bound_time`` s, default half the
    ``time_limit``; the default with ``"milp"``), ``"lp"`` (:func:`tighten_bounds`; the
    default with ``"split"``), or ``"interval"`` (no tightening, for comparison; with
    ``"split"`` also none in the boxes). Neurons of the last hidden
    layer that the objective pushes down get no binary. ``starts``: local searches for the
    first incumbent. ``leaf_binaries``: a box with at most that many binaries is solved as
    a MILP. ``time_limit`` covers everything. The search stops at the relative gap
    ``mip_gap``: ``|objective - bound| / max(|objective|, 1e-9)`` in the output's units.
    """
    import highspy

    if output not in net.output_labels:
        raise DataError(f"{output!r} is not an output of the network: {net.output_labels}")
    if algorithm not in ("split", "milp"):
        raise DataError(f"algorithm must be 'split' or 'milp', got {algorithm!r}")
    tighten = tighten or ("lp" if algorithm == "split" else "milp")
    if tighten not in ("milp", "lp", "interval"):
        raise DataError(f"tighten must be 'milp', 'lp' or 'interval', got {tighten!r}")
    t0 = time.perf_counter()
    bound_time = time_limit / 2 if bound_time is None else bound_time
    relu = ReluNet.from_scaled_network(net)
    j = net.output_labels.index(output)
    factor, offset = float(net.output_factor[j]), float(net.output_offset[j])
    sign = (-1.0 if maximize else 1.0) * np.sign(factor)  # minimize sign * scaled output
    convex = sign * relu.weights[-1][j] > 0

    def unscale(v: float) -> float:  # the minimized sign * (scaled output) -> the output's value
        return float(sign * v * factor + offset)

    if tighten == "interval":
        bounds = interval_bounds(relu)
    else:
        needed = np.flatnonzero(~convex)  # binaries remain only there: tighten those, largest weight first
        needed = needed[np.argsort(-np.abs(relu.weights[-1][j][needed]))]
        bounds = tighten_bounds(relu, tighten, neuron_time=bound_time / 20, budget=bound_time, last_neurons=needed)
    bounds_s = time.perf_counter() - t0
    x0 = local_incumbent(relu, bounds, j, sign, samples, seed, starts=starts)
    incumbent = unscale(sign * relu.forward(x0)[1][0, j])
    whole = _Layout(relu, bounds, integer=True, convex=convex)
    lp = whole.build()
    n_stable = sum(int(((lo >= 0) | (hi <= 0)).sum()) for lo, hi in bounds)
    deadline = t0 + time_limit
    if algorithm == "split":
        search = _Search(relu, j, sign, convex, lambda v: max((1 - 1e-6) * mip_gap * abs(unscale(v)), 1e-9) / abs(factor),
                         tighten != "interval", leaf_binaries, deadline, cut_rounds)
        search.best_x, search.best = x0, float(sign * relu.forward(x0)[1][0, j])
        done = search.run(relu, bounds)
        x, objective, bound = search.best_x, unscale(search.best), unscale(search.bound)
        status = "Optimal" if done else "Time limit reached"
        extra = {"n_boxes": search.boxes, "n_box_milps": search.milps}
    else:
        lp.col_cost_, lp.offset_ = _objective(relu, j, sign, whole)
        h = _highs()
        h.setOptionValue("time_limit", float(max(deadline - time.perf_counter(), 1.0)))
        h.setOptionValue("random_seed", seed)
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.passModel(lp)
        start = highspy.HighsSolution()
        start.col_value = list(whole.point(x0))
        start.value_valid = True
        h.setSolution(start)
        h.run()
        info = h.getInfo()
        has_point = info.primal_solution_status == 2  # kSolutionStatusFeasible
        objective = unscale(info.objective_function_value) if has_point else None
        bound = unscale(info.mip_dual_bound)
        x = np.asarray(h.getSolution().col_value[: len(relu.lower)]) if has_point else None
        status = h.modelStatusToString(h.getModelStatus())
        extra = {}
    return ReluMilpResult(
        status=status, objective=objective, bound=bound,
        gap=abs(objective - bound) / max(abs(objective), 1e-9) if objective is not None else None,
        inputs=None if x is None else dict(zip(net.input_labels, (x * net.input_factor + net.input_offset).tolist())),
        time_s=time.perf_counter() - t0, bounds_time_s=bounds_s, incumbent_objective=incumbent,
        n_binary=whole.n_binary, n_stable=n_stable, algorithm=algorithm, **extra)
