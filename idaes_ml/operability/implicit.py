"""Implicit mapping (Alves, Kitchin & Lima, 2022) for models written as F(u, w) = 0.

    >>> import torch
    >>> from idaes_ml.operability.implicit import TorchImplicit, implicit_map
    >>> sys_ = TorchImplicit(lambda u, w: w ** 2 - u, n_independent=1, n_dependent=1)
    >>> out = implicit_map(sys_, [[1.0], [4.0], [9.0]], w0=[1.0], method="rk4")
    >>> out.dependent[:, 0].round(6).tolist()
    [1.0, 2.0, 3.0]

By the implicit function theorem, along ``F(u, w(u)) = 0`` the dependent variables move as
``dw/du = -F_w^{-1} F_u``. Between consecutive grid points a predictor integrates this
(explicit Euler or classic RK4) and, whenever ``||F||`` exceeds ``tol``, a Newton corrector
``w <- w - F_w^{-1} F`` pulls the point back onto the solution. Derivatives are exact:
casadi's symbolic differentiation of the Pyomo equations, compiled once per model
(:class:`PyomoImplicit`, through :mod:`idaes_ml.solvers.pyomo_casadi`), or torch autograd
(:class:`TorchImplicit`). Forward mapping takes the inputs as independent
variables; inverse mapping swaps the roles (``direction="inverse"``): the outputs are
swept and the inputs are traced -- with no input bounds, so the full DIS is found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.visitor import identify_variables

from idaes_ml.errors import DataError, SolveFailedError
from idaes_ml.operability.models import PyomoModel

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["PyomoImplicit", "TorchImplicit", "ImplicitPath", "implicit_map", "snake_order"]


class PyomoImplicit:
    """``F(u, w)`` from the active equality constraints of a Pyomo model, compiled once to casadi.

    Residuals and exact Jacobians are casadi functions of ``(u, w)`` and of the model's
    other data (fixed variables, mutable parameters, free variables that are neither
    ``u`` nor ``w``), whose current values are read at each evaluation.
    """

    def __init__(self, model: pyo.ConcreteModel, independent: list, dependent: list) -> None:
        import casadi as ca

        from idaes_ml.solvers.pyomo_casadi import SymbolTable, Translator

        self.model, self.u, self.w = model, list(independent), list(dependent)
        self.cons = [c for c in model.component_data_objects(pyo.Constraint, active=True, descend_into=True)
                     if c.equality]
        if len(self.cons) != len(self.w):
            raise DataError(f"implicit system is not square: {len(self.cons)} equations, {len(self.w)} dependent variables")
        table = SymbolTable()
        tr = Translator(table)
        F = ca.vertcat(*[tr.translate(body) - tr.translate(ub) for _, body, ub in
                         (c.to_bounded_expression() for c in self.cons)])
        u, w = table.vector(self.u), table.vector(self.w)
        mine = {id(v) for v in self.u + self.w}
        self._data = table.params + [v for v in table.free if id(v) not in mine]
        p = table.vector(self._data)
        self._F = ca.Function("F", [u, w, p], [F])
        self._J = ca.Function("J", [u, w, p], [ca.jacobian(F, u), ca.jacobian(F, w)])

    @classmethod
    def from_model(cls, model: PyomoModel, direction: str = "forward") -> PyomoImplicit:
        """Build the model; independent = inputs (forward) or outputs (inverse), dependent = the rest."""
        if direction not in ("forward", "inverse"):
            raise DataError(f"direction must be 'forward' or 'inverse', got {direction!r}")
        inst = model.build()
        for v in inst.disturbances:
            v.fix()
        indep = inst.inputs if direction == "forward" else inst.outputs
        ids = {id(v) for v in indep}
        for v in inst.inputs + inst.outputs:
            v.unfix()
        if direction == "inverse":  # trace the whole DIS, not only its part inside the AIS
            for v in inst.inputs:
                v.setlb(None)
                v.setub(None)
        seen, dep = set(), []
        for c in inst.model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
            for v in identify_variables(c.body, include_fixed=False):
                if id(v) not in ids and id(v) not in seen:
                    seen.add(id(v))
                    dep.append(v)
        return cls(inst.model, indep, dep)

    def _set(self, u, w) -> None:
        for v, x in zip(self.u, u):
            v.set_value(float(x), skip_validation=True)
        for v, x in zip(self.w, w):
            v.set_value(float(x), skip_validation=True)

    def current(self) -> tuple[np.ndarray, np.ndarray]:
        """Current values of ``(u, w)`` in the model."""
        return (np.array([pyo.value(v) for v in self.u], float), np.array([pyo.value(v) for v in self.w], float))

    def _args(self, u, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._set(u, w)
        return np.asarray(u, float), np.asarray(w, float), np.array([c.value for c in self._data], float)

    def residual(self, u: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``F(u, w)`` (body minus right-hand side of each equation)."""
        return np.asarray(self._F(*self._args(u, w)), float).ravel()

    def jacobians(self, u: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(F_u, F_w)``, exact (casadi's symbolic derivatives)."""
        Fu, Fw = self._J(*self._args(u, w))
        return np.asarray(Fu, float), np.asarray(Fw, float)


class TorchImplicit:
    """``F(u, w)`` as a torch function of two 1-D tensors (derivatives by autograd)."""

    def __init__(self, fn: Callable, n_independent: int, n_dependent: int) -> None:
        self.fn, self.n_u, self.n_w = fn, n_independent, n_dependent

    def residual(self, u: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``F(u, w)``."""
        import torch

        with torch.no_grad():
            return self.fn(_t(u), _t(w)).reshape(-1).numpy()

    def jacobians(self, u: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(F_u, F_w)`` by ``torch.autograd.functional.jacobian``."""
        import torch

        Ju, Jw = torch.autograd.functional.jacobian(lambda a, b: self.fn(a, b).reshape(-1), (_t(u), _t(w)))
        return Ju.numpy().reshape(-1, self.n_u), Jw.numpy().reshape(-1, self.n_w)


def _t(x):
    import torch

    return torch.as_tensor(np.asarray(x, float), dtype=torch.float64)


@dataclass
class ImplicitPath:
    """Traced points: independent and dependent values, residual before correction,
    Newton iterations used and a status per point (``ok`` or why it failed)."""

    independent: np.ndarray
    dependent: np.ndarray
    predictor_residual: np.ndarray
    newton_iterations: np.ndarray
    status: list[str]


def _slope(system, u, w, du) -> np.ndarray:
    Fu, Fw = system.jacobians(u, w)
    return -np.linalg.solve(Fw, Fu @ du)


def _newton(system, u, w, tol: float, max_iter: int) -> tuple[np.ndarray, int, bool]:
    for it in range(max_iter + 1):
        F = system.residual(u, w)
        if not np.all(np.isfinite(F)):
            return w, it, False
        if np.linalg.norm(F) <= tol:
            return w, it, True
        if it == max_iter:
            break
        _, Fw = system.jacobians(u, w)
        w = w - np.linalg.lstsq(Fw, F, rcond=None)[0]
    return w, max_iter, False


def implicit_map(system: PyomoImplicit | TorchImplicit, points: ArrayLike, w0: ArrayLike, method: str = "rk4",
                 tol: float = 1e-8, substeps: int = 1, max_newton: int = 20) -> ImplicitPath:
    """Trace ``F(u, w) = 0`` through ``points`` (rows, visited in the given order).

    ``w0`` is a guess at the first point, corrected by Newton. Each move is split into
    ``substeps`` predictor steps. A point whose corrector fails keeps NaN and its status;
    the march continues from the last good point.
    """
    if method not in ("euler", "rk4"):
        raise DataError(f"method must be 'euler' or 'rk4', got {method!r}")
    P = np.atleast_2d(np.asarray(points, float))
    w, it, ok = _newton(system, P[0], np.asarray(w0, float), tol, max_newton)
    if not ok:
        raise SolveFailedError("Newton corrector did not converge at the first point", status="not converged")
    W = np.full((len(P), len(w)), np.nan)
    W[0], res, iters, status = w, [0.0], [it], ["ok"]
    u_prev, w_prev = P[0], w
    for k in range(1, len(P)):
        w = w_prev.copy()
        du = (P[k] - u_prev) / substeps
        try:
            for s in range(substeps):
                u = u_prev + s * du
                w = w + (_slope(system, u, w, du) if method == "euler" else _rk4(system, u, w, du))
            r = float(np.linalg.norm(system.residual(P[k], w)))
            w, it, ok = (w, 0, True) if r <= tol else _newton(system, P[k], w, tol, max_newton)
        except np.linalg.LinAlgError as exc:
            r, it, ok = np.nan, 0, False
            status_k = f"singular Jacobian: {exc}"
        else:
            status_k = "ok" if ok else "corrector did not converge"
        res.append(r)
        iters.append(it)
        status.append(status_k)
        if ok:
            W[k], u_prev, w_prev = w, P[k], w
    return ImplicitPath(P, W, np.array(res), np.array(iters), status)


def _rk4(system, u, w, du) -> np.ndarray:
    k1 = _slope(system, u, w, du)
    k2 = _slope(system, u + du / 2, w + k1 / 2, du)
    k3 = _slope(system, u + du / 2, w + k2 / 2, du)
    k4 = _slope(system, u + du, w + k3, du)
    return (k1 + 2 * k2 + 2 * k3 + k4) / 6


def snake_order(shape: tuple[int, ...]) -> np.ndarray:
    """Indices of a C-ordered grid visited boustrophedon-wise (neighbour to neighbour)."""
    idx = np.arange(int(np.prod(shape))).reshape(-1, shape[-1]).copy()
    idx[1::2] = idx[1::2, ::-1]
    return idx.ravel()
