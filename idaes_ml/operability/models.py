"""Process models for operability: a Python function, a Pyomo model, or an ONNX network.

    >>> from idaes_ml.operability.models import FunctionModel
    >>> m = FunctionModel(lambda u: [u[0] + u[1]], ["a", "b"], ["s"])
    >>> m.evaluate([[1.0, 2.0], [3.0, 4.0]]).outputs.tolist()
    [[3.0], [7.0]]

All three kinds share :meth:`OperabilityModel.evaluate`, which maps rows of inputs
(and optional disturbances) to rows of outputs and keeps a status per point
(``"ok"``, ``"nan"`` or the solver's termination condition / the error raised).
Equation-oriented algorithms (inverse mapping, implicit mapping) need a Pyomo model:
:meth:`OperabilityModel.as_pyomo` gives one for every kind -- a function written with
arithmetic operators and ``pyomo.environ`` functions is called on Pyomo variables, and
a network is embedded with OMLT through :class:`idaes_ml.surrogate.OnnxSurrogate`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import ApplicationError, PyomoException

from idaes_ml.errors import DataError

if TYPE_CHECKING:
    from pathlib import Path

    from numpy.typing import ArrayLike
    from pyomo.core.base.block import BlockData

    from idaes_ml.solvers.discovery import PyomoSolver

__all__ = ["Evaluation", "OperabilityModel", "FunctionModel", "PyomoModel", "NetworkModel", "PyomoInstance"]


@dataclass
class Evaluation:
    """Outputs (rows, NaN where a point failed) and a status string per point."""

    outputs: np.ndarray
    status: list[str]

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of the points that evaluated to finite outputs."""
        return np.array([s == "ok" for s in self.status], dtype=bool)


@dataclass
class PyomoInstance:
    """A built Pyomo model and its input, output and disturbance variables (in label order)."""

    model: pyo.ConcreteModel
    inputs: list
    outputs: list
    disturbances: list


class OperabilityModel:
    """Base class: named inputs, outputs and (optional) disturbances."""

    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]
    disturbance_labels: tuple[str, ...] = ()

    def evaluate(self, inputs: ArrayLike, disturbances: ArrayLike | None = None) -> Evaluation:
        """Outputs for every row of ``inputs`` (and of ``disturbances``, broadcast if one row)."""
        U, D = self._check(inputs, disturbances)
        return self._evaluate(U, D)

    def _evaluate(self, U: np.ndarray, D: np.ndarray | None) -> Evaluation:
        raise NotImplementedError

    def as_pyomo(self) -> PyomoModel:
        """An equation-oriented version of this model (for P1 and implicit mapping)."""
        raise NotImplementedError(f"{type(self).__name__} has no Pyomo form")

    def _check(self, inputs, disturbances) -> tuple[np.ndarray, np.ndarray | None]:
        U = np.atleast_2d(np.asarray(inputs, dtype=float))
        if U.shape[1] != len(self.input_labels):
            raise DataError(
                f"dimension mismatch: {U.shape[1]} input columns given, model inputs are "
                f"{list(self.input_labels)}"
            )
        if not self.disturbance_labels:
            if disturbances is not None and np.size(disturbances):
                raise DataError("disturbances given but the model declares none")
            return U, None
        if disturbances is None:
            raise DataError(f"model needs disturbances {list(self.disturbance_labels)}")
        D = np.atleast_2d(np.asarray(disturbances, dtype=float))
        if D.shape[1] != len(self.disturbance_labels):
            raise DataError(
                f"dimension mismatch: {D.shape[1]} disturbance columns, expected "
                f"{list(self.disturbance_labels)}"
            )
        return U, np.broadcast_to(D, (U.shape[0], D.shape[1]))


def _finish(Y: np.ndarray, status: list[str]) -> Evaluation:
    bad = ~np.isfinite(Y).all(axis=1)
    status = ["nan" if (b and s == "ok") else s for b, s in zip(bad, status)]
    Y = Y.copy()
    Y[bad] = np.nan
    return Evaluation(Y, status)


class FunctionModel(OperabilityModel):
    """A Python function ``fn(u)`` or ``fn(u, d)`` returning the outputs of one point.

    With ``vectorized=True`` ``fn`` takes the whole input array (rows) and returns an
    array of rows. For :meth:`as_pyomo` the function must also accept Pyomo variables
    (use operators and ``pyomo.environ`` functions such as ``pyo.exp``).
    """

    def __init__(self, fn: Callable, inputs: Sequence[str], outputs: Sequence[str],
                 disturbances: Sequence[str] = (), vectorized: bool = False) -> None:
        self.fn = fn
        self.input_labels = tuple(inputs)
        self.output_labels = tuple(outputs)
        self.disturbance_labels = tuple(disturbances)
        self.vectorized = vectorized

    def _call(self, u, d):
        return self.fn(u) if d is None else self.fn(u, d)

    def _evaluate(self, U, D):
        p = len(self.output_labels)
        if self.vectorized:
            Y = np.asarray(self._call(U, D), dtype=float).reshape(U.shape[0], p)
            return _finish(Y, ["ok"] * U.shape[0])
        Y = np.full((U.shape[0], p), np.nan)
        status = []
        for i, u in enumerate(U):
            try:
                Y[i] = np.asarray(self._call(u, None if D is None else D[i]), dtype=float).reshape(p)
                status.append("ok")
            except (ArithmeticError, ValueError) as exc:
                status.append(f"error: {type(exc).__name__}: {exc}")
        return _finish(Y, status)

    def as_pyomo(self, solver: str = "ipopt") -> PyomoModel:
        """A Pyomo model ``y == fn(u)`` (the function called on Pyomo variables)."""
        builder = functools.partial(_function_block, self.fn, self.input_labels, self.output_labels,
                                    self.disturbance_labels)
        return PyomoModel(builder, self.input_labels, self.output_labels, self.disturbance_labels, solver)


def _function_block(fn, inputs, outputs, disturbances) -> PyomoInstance:
    m = pyo.ConcreteModel()
    m.u = pyo.Var(range(len(inputs)), initialize=1.0)
    m.y = pyo.Var(range(len(outputs)), initialize=1.0)
    m.d = pyo.Var(range(len(disturbances)), initialize=0.0)
    u = [m.u[i] for i in m.u]
    expr = fn(u) if not disturbances else fn(u, [m.d[i] for i in m.d])
    if len(expr) != len(outputs):
        raise DataError(f"function returned {len(expr)} outputs, expected {list(outputs)}")
    m.eq = pyo.Constraint(range(len(outputs)), rule=lambda m, j: m.y[j] == expr[j])
    return PyomoInstance(m, list(m.u.values()), list(m.y.values()), list(m.d.values()))


class PyomoModel(OperabilityModel):
    """A Pyomo/IDAES model built by ``builder()`` with named input and output variables.

    ``builder`` is a module-level function (picklable, for Dask) returning either a
    :class:`PyomoInstance` or a model from which ``inputs``/``outputs`` are looked up
    as component names (``"fs.unit.volume[0]"``) with ``model.find_component``.
    Each grid point fixes the inputs and solves the square problem, warm-started from
    the previous point's solution (the last successful one after a failure); with
    ``persistent`` (and ``solver="ipopt"``) through Ipopt compiled once per evaluation
    (:meth:`repeated_solver`), else through ``SolverFactory(solver)`` for every point.
    """

    def __init__(self, builder: Callable, inputs: Sequence[str], outputs: Sequence[str],
                 disturbances: Sequence[str] = (), solver: str = "ipopt",
                 solver_options: dict | None = None, initialize: Callable | None = None,
                 persistent: bool = True) -> None:
        self.builder = builder
        self.input_labels = tuple(inputs)
        self.output_labels = tuple(outputs)
        self.disturbance_labels = tuple(disturbances)
        self.solver = solver
        self.solver_options = dict(solver_options or {})
        self.initialize = initialize
        self.persistent = persistent

    def build(self) -> PyomoInstance:
        """Build a fresh instance and resolve the named variables."""
        built = self.builder()
        if not isinstance(built, PyomoInstance):
            built = PyomoInstance(built, *(_find(built, names) for names in
                                           (self.input_labels, self.output_labels, self.disturbance_labels)))
        if self.initialize is not None:
            self.initialize(built)
        return built

    def make_solver(self) -> PyomoSolver:
        """The configured Pyomo solver (raises SolverNotFoundError when unavailable)."""
        from idaes_ml.solvers import require_solver

        return require_solver(self.solver, **self.solver_options)

    def repeated_solver(self, model: pyo.ConcreteModel, persistent: bool = True) -> PyomoSolver:
        """A solver for many solves of one built ``model`` (set up: call it just before solving).

        With ``persistent`` and the ``"ipopt"`` solver: Ipopt compiled once on ``model``
        (:class:`idaes_ml.solvers.persistent.PersistentIpopt`), re-solved in-process;
        models it cannot translate (external functions) and other solvers get :meth:`make_solver`.
        """
        if persistent and self.solver == "ipopt":
            from idaes_ml.solvers.persistent import PersistentIpopt

            opt = PersistentIpopt(options=self.solver_options)
            try:
                opt.set_instance(model)
            except ValueError:  # untranslatable: the .nl route reports per point what fails
                return self.make_solver()
            return opt
        return self.make_solver()

    def _evaluate(self, U, D):
        inst = self.build()
        for v in inst.inputs + inst.disturbances:
            v.fix()
        opt = self.repeated_solver(inst.model, self.persistent)
        p = len(self.output_labels)
        Y = np.full((U.shape[0], p), np.nan)
        status = []
        good = snapshot_values(inst.model)
        for i, u in enumerate(U):
            _set(inst.inputs, u)
            if D is not None:
                _set(inst.disturbances, D[i])
            st = solve_status(opt, inst.model)
            if st == "ok":
                Y[i] = [pyo.value(v) for v in inst.outputs]
                good = snapshot_values(inst.model)
            else:
                restore_values(inst.model, good)
            status.append(st)
        return _finish(Y, status)

    def as_pyomo(self) -> PyomoModel:
        """Itself."""
        return self


def solve_status(opt: PyomoSolver, model: pyo.ConcreteModel, tee: bool = False) -> str:
    """Solve and return ``"ok"`` or the termination condition (never raises on failure).

    A solver that crashes (killed, segfault: Pyomo's ApplicationError) fails only this
    point: ``"error: ApplicationError: ..."``.
    """
    try:
        res = opt.solve(model, tee=tee, load_solutions=False)
    except (ValueError, RuntimeError, PyomoException, ApplicationError) as exc:
        return f"error: {type(exc).__name__}: {exc}"
    tc = res.solver.termination_condition
    if tc in (pyo.TerminationCondition.optimal, pyo.TerminationCondition.locallyOptimal,
              pyo.TerminationCondition.feasible):
        if hasattr(opt, "load_vars"):  # persistent solvers hold the solution themselves
            opt.load_vars()
        else:
            model.solutions.load_from(res)
        return "ok"
    return str(tc)


def _find(model, names):
    out = []
    for n in names:
        c = model.find_component(n)
        if c is None:
            raise DataError(f"model has no component named {n!r}")
        out.append(c)
    return out


def _set(variables, values) -> None:
    for v, x in zip(variables, values):
        v.set_value(float(x), skip_validation=True)


def snapshot_values(model: BlockData) -> dict:
    """Current values of every variable of ``model`` (to restore after a failed solve)."""
    return {id(v): v.value for v in model.component_data_objects(pyo.Var, descend_into=True)}


def restore_values(model: BlockData, snap: dict) -> None:
    """Put back the values of the free variables saved by :func:`snapshot_values`."""
    for v in model.component_data_objects(pyo.Var, descend_into=True):
        if not v.fixed and id(v) in snap:
            v.set_value(snap[id(v)], skip_validation=True)


class NetworkModel(OperabilityModel):
    """An exported network (``<name>.onnx`` + ``<name>_idaes_info.json`` in ``directory``).

    Forward maps run batched through onnxruntime; :meth:`as_pyomo` embeds the network
    in Pyomo with OMLT (``formulation`` as in :class:`idaes_ml.surrogate.OnnxSurrogate`).
    """

    def __init__(self, directory: str | Path, name: str, formulation: str = "full_space",
                 solver: str = "ipopt") -> None:
        from idaes_ml.nn import load_network

        self.directory, self.name = str(directory), name
        self.formulation, self.solver = formulation, solver
        net = load_network(self.directory, name)
        self.input_labels = tuple(net.input_labels)
        self.output_labels = tuple(net.output_labels)
        self.input_bounds = dict(net.input_bounds)
        self._net = net

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_net"] = None
        return state

    def _evaluate(self, U, D):
        import pandas as pd

        if self._net is None:
            from idaes_ml.nn import load_network

            self._net = load_network(self.directory, self.name)
        Y = self._net.predict(pd.DataFrame(U, columns=list(self.input_labels)))
        return _finish(Y[list(self.output_labels)].to_numpy(dtype=float), ["ok"] * U.shape[0])

    def as_pyomo(self) -> PyomoModel:
        """The network embedded with OMLT; input variables are bounded by the training domain."""
        builder = functools.partial(_network_block, self.directory, self.name, self.formulation,
                                    self.input_labels, self.output_labels, self.input_bounds)
        return PyomoModel(builder, self.input_labels, self.output_labels, (), self.solver)


def _network_block(directory, name, formulation, inputs, outputs, bounds) -> PyomoInstance:
    from idaes.core.surrogate.surrogate_block import SurrogateBlock

    from idaes_ml.surrogate import OnnxSurrogate

    m = pyo.ConcreteModel()
    m.u = pyo.Var(range(len(inputs)), initialize=lambda m, i: sum(bounds[inputs[i]]) / 2,
                  bounds=lambda m, i: bounds[inputs[i]])
    m.y = pyo.Var(range(len(outputs)), initialize=0.0)
    m.surrogate = SurrogateBlock(concrete=True)
    surrogate = OnnxSurrogate.load(directory, name, formulation=formulation)
    m.surrogate.build_model(surrogate, input_vars=list(m.u.values()), output_vars=list(m.y.values()))
    surrogate.initialize_block(m.surrogate)
    return PyomoInstance(m, list(m.u.values()), list(m.y.values()), [])
