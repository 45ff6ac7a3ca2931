"""A persistent, parametric Ipopt: compile a Pyomo model once, re-solve it in-process many times.

    >>> import pyomo.environ as pyo
    >>> from idaes_ml.solvers.persistent import PersistentIpopt
    >>> m = pyo.ConcreteModel()
    >>> m.x = pyo.Var(initialize=1.0); m.t = pyo.Param(mutable=True, initialize=2.0)
    >>> m.o = pyo.Objective(expr=(m.x - m.t) ** 2)
    >>> opt = PersistentIpopt()            # or pyo.SolverFactory("ipopt_persistent_ml")
    >>> opt.set_instance(m)
    >>> m.t.set_value(3.0)                 # a parameter change: no rebuild
    >>> pyo.check_optimal_termination(opt.solve(m)), round(m.x.value, 6)
    (True, 3.0)

:meth:`PersistentIpopt.set_instance` walks the active constraints and objective once
(:mod:`idaes_ml.solvers.pyomo_casadi`; constraints of one shape share one casadi function,
:mod:`idaes_ml.solvers.pyomo_shapes`) into a casadi NLP ``min f(x, p) s.t.
lbg(p) <= g(x, p) <= ubg(p), lbx <= x <= ubx`` solved by the Ipopt bundled in casadi,
in this process: no ``.nl`` file, no subprocess. Free variables are ``x``; fixed
variables and mutable ``Param`` data are ``p``. Each :meth:`~PersistentIpopt.solve`
reads, from the model, the current parameter values, variable bounds and values
(the primal start, as Pyomo passes them) and hands Ipopt the multipliers of the
previous solve, which Ipopt uses when ``warm_start_init_point=yes``
(:data:`WARM_START_OPTIONS`). Results come back as a Pyomo ``SolverResults`` with the
status and termination condition Pyomo's ``ipopt`` plugin reports for the same Ipopt
outcome (``check_optimal_termination`` works); values are loaded into the model when
Pyomo's results would hold a solution (and, as Pyomo does, an error status raises
ValueError on loading), duals into ``dual``/``ipopt_zL_out``/``ipopt_zU_out`` import
suffixes when the model has them.

:meth:`~PersistentIpopt.solve_batch` solves independent copies of the instance, each with
its own parameter values, as one NLP (the compiled functions mapped over the copies by
casadi): many small solves then pay Ipopt's per-call cost once.

Structure is checked before every solve: the active constraints and objective, their
expressions (and those of named ``Expression`` components), and which variables are
fixed. A change is rebuilt (``on_change="rebuild"``, counted in ``rebuilds``) or
raises :class:`StructureChangedError` (``on_change="raise"``) -- the old model is
never solved silently. Not supported (clear errors): external functions,
``nlp_scaling_method=user-scaling``. Options Ipopt refuses (an unknown name, an HSL linear
solver without libhsl) raise Pyomo's ApplicationError, as the ``ipopt`` command does.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyomo.environ as pyo
from pyomo.common.collections import Bunch
from pyomo.common.numeric_types import native_numeric_types
from pyomo.common.errors import ApplicationError
from pyomo.core.base.suffix import Suffix
from pyomo.opt import SolverFactory, SolverResults, SolverStatus, TerminationCondition

from idaes_ml.errors import IdaesMLError, SolverNotFoundError
from idaes_ml.solvers.ipopt_ampl import ALIASES, DRIVER_ONLY, NO_SOLUTION, RESULTS, UNKNOWN_RESULT, ipopt_version

if TYPE_CHECKING:
    import casadi as ca
    from pyomo.core.base.block import BlockData

__all__ = ["NAME", "PersistentIpopt", "SolveStats", "StructureChangedError", "WARM_START_OPTIONS"]

logger = logging.getLogger(__name__)

NAME = "ipopt_persistent_ml"
#: Ipopt options for a primal-dual warm start from the previous solve's solution.
WARM_START_OPTIONS = {"warm_start_init_point": "yes", "warm_start_bound_push": 1e-9,
                      "warm_start_mult_bound_push": 1e-9, "mu_init": 1e-6}
_INF = math.inf
#: Termination conditions for which Pyomo's .sol reader keeps no solution.
_NO_POINT = (TerminationCondition.unbounded, TerminationCondition.internalSolverError)


class StructureChangedError(IdaesMLError, RuntimeError):
    """The model's structure changed since ``set_instance`` and ``on_change="raise"``."""


@dataclass
class SolveStats:
    """The last solve: Ipopt's return status, iterations, Ipopt's own time and the whole call's time [s]."""

    status: str
    iterations: int
    ipopt_s: float
    wall_s: float


def termination(status: str) -> tuple[SolverStatus, TerminationCondition, str]:
    """Pyomo's (status, termination condition, message) for an Ipopt return status.

    Ipopt's AMPL solve_result_num (:data:`idaes_ml.solvers.ipopt_ampl.RESULTS`) read the
    way Pyomo's ``.sol`` reader does; statuses where Ipopt writes no solution give
    (warning, other) as Pyomo's ``ipopt`` plugin does when no ``.sol`` file appears.
    """
    if status in NO_SOLUTION:
        return SolverStatus.warning, TerminationCondition.other, status
    code, text = RESULTS.get(status, UNKNOWN_RESULT)
    if code < 100:
        return SolverStatus.ok, TerminationCondition.optimal, text
    ranges = [(200, SolverStatus.warning, TerminationCondition.optimal),
              (300, SolverStatus.warning, TerminationCondition.infeasible),
              (400, SolverStatus.warning, TerminationCondition.unbounded),
              (500, SolverStatus.warning, TerminationCondition.maxIterations)]
    for limit, solver_status, tc in ranges:
        if code < limit:
            return solver_status, tc, text
    return SolverStatus.error, TerminationCondition.internalSolverError, text


@functools.cache
def _version() -> str:
    return ipopt_version()


def _active(model: BlockData, ctype: type) -> list:
    return list(model.component_data_objects(ctype, active=True, descend_into=True))


def _bound(tr: Any, bound: Any) -> Any:
    """A constraint bound as a float (numbers) or casadi expression (parameters)."""
    return float(bound) if type(bound) in native_numeric_types else tr.translate(bound)


class _Compiled:
    """One model as a casadi NLP, with what its structure was when compiled."""

    def __init__(self, model: BlockData) -> None:
        import casadi as ca

        from idaes_ml.solvers.pyomo_casadi import SymbolTable, Translator
        from idaes_ml.solvers.pyomo_shapes import ShapeCompiler

        table = SymbolTable()
        tr = Translator(table)
        self.constraints = _active(model, pyo.Constraint)
        objectives = _active(model, pyo.Objective)
        if len(objectives) > 1:
            raise ValueError(f"more than one active objective: {[o.name for o in objectives]}")
        self.objective = objectives[0] if objectives else None
        self.sign = -1.0 if self.objective is not None and not self.objective.is_minimizing() else 1.0
        f = self.sign * tr.translate(self.objective.expr) if self.objective is not None else 0.0
        body, lower, upper = [], [], []
        for c in self.constraints:
            lb, expr, ub = c.to_bounded_expression()
            body.append(expr)
            lower.append(-_INF if lb is None else _bound(tr, lb))
            upper.append(_INF if ub is None else _bound(tr, ub))
        g = ShapeCompiler(table, tr).compile(body)
        if not table.free:
            raise ValueError("no free variables appear in the active constraints or objective")
        self.free, self.params = table.free, table.params
        self.fixed = [(v, v.fixed) for v in self.free + self.params if v.is_variable_type()]
        self.expressions = [(c, c.expr) for c in self.constraints]
        self.expressions += [(self.objective, self.objective.expr)] if self.objective is not None else []
        self.expressions += [(named, expr) for named, expr, _ in tr.named.values()]
        x, p = table.vector(self.free), table.vector(self.params)
        self.nlp = {"x": x, "p": p, "f": ca.SX(f), "g": g}
        self.bounds = ca.Function("bounds", [p], [ca.vertcat(*lower), ca.vertcat(*upper)]) if body else None
        self.solvers: dict[tuple[int, frozenset], ca.Function] = {}
        self.lam_x, self.lam_g = np.zeros(len(self.free)), np.zeros(len(self.constraints))
        self.x: np.ndarray | None = None
        self.batch_x: np.ndarray | None = None  # one row per copy of the last solve_batch

    def batch(self, copies: int) -> dict:
        """The NLP of ``copies`` independent copies (variables and parameters copy by copy)."""
        import casadi as ca

        x, p = self.nlp["x"], self.nlp["p"]
        fg = ca.Function("fg", [x, p], [self.nlp["f"], self.nlp["g"]]).map(copies)
        X, P = ca.SX.sym("X", x.numel(), copies), ca.SX.sym("P", p.numel(), copies)
        F, G = fg(X, P)
        return {"x": ca.vec(X), "p": ca.vec(P), "f": ca.sum2(F), "g": ca.vec(G)}

    def change(self, model: BlockData) -> str | None:
        """What changed in the structure of ``model`` since compiling, or None."""
        cons = _active(model, pyo.Constraint)
        if len(cons) != len(self.constraints) or any(a is not b for a, b in zip(cons, self.constraints)):
            old, new = {id(c) for c in self.constraints}, {id(c) for c in cons}
            added = [c.name for c in cons if id(c) not in old]
            removed = [c.name for c in self.constraints if id(c) not in new]
            return f"active constraints changed (added {added[:5]}, removed or deactivated {removed[:5]})"
        objectives = _active(model, pyo.Objective)
        expected = [self.objective] if self.objective is not None else []
        if len(objectives) != len(expected) or any(a is not b for a, b in zip(objectives, expected)):
            return f"active objective changed to {[o.name for o in objectives]}"
        for component, expr in self.expressions:
            if component.expr is not expr:
                return f"the expression of {component.name} was replaced"
        for v, fixed in self.fixed:
            if v.fixed != fixed:
                return f"variable {v.name} was {'fixed' if v.fixed else 'unfixed'}"
        return None

    def parameter_values(self) -> np.ndarray:
        """Current values of the fixed variables and mutable parameters."""
        values = [c.value for c in self.params]
        if any(v is None for v in values):
            missing = [c.name for c, v in zip(self.params, values) if v is None]
            raise ValueError(f"fixed variables or parameters without a value: {missing[:5]}")
        return np.array(values, dtype=float)

    def variable_data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Start (0 where unset, as Pyomo's NL writer leaves it to Ipopt), lower and upper bounds."""
        x0 = np.array([0.0 if v.value is None else v.value for v in self.free], dtype=float)
        lb = np.array([-_INF if v.lb is None else v.lb for v in self.free], dtype=float)
        ub = np.array([_INF if v.ub is None else v.ub for v in self.free], dtype=float)
        return x0, lb, ub


class PersistentIpopt:
    """Ipopt on a model compiled once; re-solve after ``set_value``/``fix(value)`` on the model.

    Args:
        options: Ipopt options (``opt.options`` may also be edited later); ``solve``
            merges its own ``options`` on top.
        on_change: ``"rebuild"`` (recompile when the structure changed) or ``"raise"``.
    """

    name = NAME

    def __init__(self, options: dict | None = None, on_change: str = "rebuild") -> None:
        if on_change not in ("rebuild", "raise"):
            raise ValueError(f"on_change must be 'rebuild' or 'raise', got {on_change!r}")
        self.options = Bunch(**(options or {}))
        self.on_change = on_change
        self.rebuilds = 0
        self.last: SolveStats | None = None
        self._model: BlockData | None = None
        self._compiled: _Compiled | None = None

    def available(self, exception_flag: bool = True) -> bool:
        """Whether casadi and its Ipopt plugin can be loaded."""
        try:
            import casadi as ca

            ok = bool(ca.has_nlpsol("ipopt"))
        except ImportError:
            ok = False
        if not ok and exception_flag:
            raise SolverNotFoundError(f"{NAME} needs casadi with its Ipopt plugin: pip install casadi")
        return ok

    def version(self) -> tuple[int, ...]:
        """Version of the casadi-bundled Ipopt."""
        return tuple(int(part) for part in _version().split(".") if part.isdigit())

    def license_is_valid(self) -> bool:
        """Always True (Ipopt and MUMPS are open source)."""
        return True

    def set_instance(self, model: BlockData) -> None:
        """Compile ``model`` (its active constraints and objective) for later solves.

        Raises ValueError (before compiling) for options this solver cannot honour.
        """
        self._ipopt_options(None, tee=False)
        self._compiled = _Compiled(model)
        self._model = model

    def solve(self, model: BlockData | None = None, tee: bool = False, load_solutions: bool = True,
              options: dict | None = None) -> SolverResults:
        """Solve the instance with the model's current parameter values, bounds and start.

        ``model`` (optional) must be the instance given to :meth:`set_instance`; without a
        prior ``set_instance`` it becomes the instance. With ``load_solutions`` the primal
        values (and suffix duals) are loaded, and, as with Pyomo, a result with an error
        status raises ValueError; otherwise use :meth:`load_vars`.
        """
        t0 = time.perf_counter()
        compiled = self._prepare(model)
        p = compiled.parameter_values()
        x0, lbx, ubx = compiled.variable_data()
        lbg, ubg = ((np.asarray(b, float).ravel() for b in compiled.bounds(p)) if compiled.bounds is not None
                    else (np.zeros(0), np.zeros(0)))
        solver = self._solver(compiled, options, tee)
        out = solver(x0=x0, p=p, lbx=lbx, ubx=ubx, lbg=lbg, ubg=ubg, lam_x0=compiled.lam_x, lam_g0=compiled.lam_g)
        stats = solver.stats()
        status = stats["return_status"]
        if status == "Invalid_Option":  # e.g. an HSL linear solver without libhsl
            raise ApplicationError(f"{NAME}: Ipopt refused the options {self._ipopt_options(options, tee)}")
        results = self._results(status)
        compiled.x = None
        if status not in NO_SOLUTION:
            compiled.lam_x = np.asarray(out["lam_x"], float).ravel()
            compiled.lam_g = np.asarray(out["lam_g"], float).ravel()
            if results.solver.termination_condition not in _NO_POINT:
                compiled.x = np.asarray(out["x"], float).ravel()
        self.last = SolveStats(status, int(stats["iter_count"]), float(stats["t_wall_total"]), time.perf_counter() - t0)
        if load_solutions:
            if results.solver.status == SolverStatus.error:
                raise ValueError(f"Cannot load a SolverResults object with bad status: {results.solver.status}")
            if compiled.x is not None:
                self.load_vars()
        self.last.wall_s = results.solver.wallclock_time = time.perf_counter() - t0
        return results

    def solve_batch(self, points: list[Mapping], tee: bool = False, options: dict | None = None) -> SolverResults:
        """One Ipopt solve of ``len(points)`` independent copies of the instance.

        Copy ``k`` takes the parameter values of ``points[k]`` (a ``ComponentMap`` from fixed
        variables or mutable Param data to values; parameters not named keep the model's values); every copy starts
        from the model's current values, within its current bounds. Independent small NLPs
        solved together pay Ipopt's per-call cost once. The results are those of the whole
        NLP; :meth:`load_vars` ``(k)`` loads copy ``k``'s point. Nothing is loaded here.
        """
        t0 = time.perf_counter()
        compiled = self._prepare(None)
        n = len(points)
        column = {id(c): i for i, c in enumerate(compiled.params)}
        P = np.tile(compiled.parameter_values(), (n, 1))
        for k, point in enumerate(points):
            for c, v in point.items():
                if id(c) not in column:
                    raise ValueError(f"{c.name} is not a parameter (fixed variable or mutable Param) of the instance")
                P[k, column[id(c)]] = v
        x0, lbx, ubx = compiled.variable_data()
        if compiled.bounds is None:
            lbg = ubg = np.zeros(0)
        else:
            lbg, ubg = (np.asarray(b, float).ravel(order="F") for b in compiled.bounds.map(n)(P.T))
        solver = self._solver(compiled, options, tee, copies=n)
        out = solver(x0=np.tile(x0, n), p=P.ravel(), lbx=np.tile(lbx, n), ubx=np.tile(ubx, n), lbg=lbg, ubg=ubg)
        stats = solver.stats()
        status = stats["return_status"]
        if status == "Invalid_Option":
            raise ApplicationError(f"{NAME}: Ipopt refused the options {self._ipopt_options(options, tee)}")
        results = self._results(status)
        has_point = status not in NO_SOLUTION and results.solver.termination_condition not in _NO_POINT
        compiled.batch_x = np.asarray(out["x"], float).reshape(n, -1) if has_point else None
        self.last = SolveStats(status, int(stats["iter_count"]), float(stats["t_wall_total"]), time.perf_counter() - t0)
        results.solver.wallclock_time = self.last.wall_s
        return results

    @property
    def n_variables(self) -> int:
        """Free variables of the compiled instance (0 before :meth:`set_instance`)."""
        return 0 if self._compiled is None else len(self._compiled.free)

    @property
    def has_solution(self) -> bool:
        """Whether the last solve left a point to load (as Pyomo's results would hold one)."""
        return self._compiled is not None and self._compiled.x is not None

    def load_vars(self, copy: int | None = None) -> None:
        """Load the last solution's primal values (and suffix duals) into the model; with
        ``copy``, the primal values of that copy of the last :meth:`solve_batch`."""
        compiled = self._compiled
        if compiled is None:
            raise ValueError("nothing solved yet: call set_instance(model) and solve()")
        x = compiled.x if copy is None else None if compiled.batch_x is None else compiled.batch_x[copy]
        if x is None:
            raise ValueError("no solution to load: the last solve did not produce one")
        for v, value in zip(compiled.free, x.tolist()):
            v.set_value(value, skip_validation=True)
        if copy is None:
            self._load_suffixes(compiled)

    def _prepare(self, model: BlockData | None) -> _Compiled:
        if model is not None and self._model is None:
            self.set_instance(model)
        if self._compiled is None:
            raise ValueError("call set_instance(model) (or solve(model)) first")
        if model is not None and model is not self._model:
            raise ValueError("solve() got a different model than set_instance(); call set_instance(model) first")
        change = self._compiled.change(self._model)
        if change is not None:
            if self.on_change == "raise":
                raise StructureChangedError(f"{change} since set_instance(); call set_instance(model) again")
            logger.info("%s: %s; rebuilding", NAME, change)
            self.set_instance(self._model)
            self.rebuilds += 1
        return self._compiled

    def _ipopt_options(self, options: dict | None, tee: bool) -> dict:
        merged = {ALIASES.get(k, k): v for k, v in {**self.options, **(options or {})}.items()
                  if k not in DRIVER_ONLY}
        if merged.get("nlp_scaling_method") == "user-scaling":
            raise ValueError(f"{NAME} does not apply user scaling; use SolverFactory('ipopt') for it")
        if not tee:
            merged["print_level"] = 0
        merged.setdefault("sb", "yes")
        return merged

    def _solver(self, compiled: _Compiled, options: dict | None, tee: bool, copies: int = 0) -> ca.Function:
        import casadi as ca

        ipopt = self._ipopt_options(options, tee)
        key = (copies, frozenset(ipopt.items()))
        if key not in compiled.solvers:
            opts = {"ipopt": ipopt, "print_time": False, "record_time": True, "error_on_fail": False,
                    "show_eval_warnings": tee}
            try:
                nlp = compiled.batch(copies) if copies else compiled.nlp
                compiled.solvers[key] = ca.nlpsol(NAME, "ipopt", nlp, opts)
            except RuntimeError as err:  # an unknown option: Pyomo's ipopt plugin raises the same
                raise ApplicationError(f"{NAME}: Ipopt refused the options {ipopt}") from err
        return compiled.solvers[key]

    def _results(self, status: str) -> SolverResults:
        results = SolverResults()
        solver_status, tc, text = termination(status)
        results.solver.name = NAME
        results.solver.status = solver_status
        results.solver.termination_condition = tc
        results.solver.message = f"Ipopt {_version()}: {text}"
        return results

    def _load_suffixes(self, compiled: _Compiled) -> None:
        """Duals with the signs Pyomo's ``ipopt`` plugin loads (AmplTNLP's conventions)."""
        model = self._model
        z_l, z_u = np.maximum(-compiled.lam_x, 0.0), np.maximum(compiled.lam_x, 0.0)
        if compiled.sign < 0:
            z_l, duals = -z_l, compiled.lam_g
        else:
            z_u, duals = -z_u, -compiled.lam_g
        for name, comps, values in (("dual", compiled.constraints, duals), ("ipopt_zL_out", compiled.free, z_l),
                                    ("ipopt_zU_out", compiled.free, z_u)):
            suffix = model.component(name)
            if isinstance(suffix, Suffix) and suffix.import_enabled():
                for c, val in zip(comps, values.tolist()):
                    suffix[c] = val


SolverFactory.register(NAME, doc="Persistent, parametric Ipopt (casadi, in-process; idaes_ml)")(PersistentIpopt)
