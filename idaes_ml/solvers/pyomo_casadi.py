"""Pyomo expressions as casadi SX: free variables become decision symbols, the rest parameters.

    >>> import pyomo.environ as pyo
    >>> m = pyo.ConcreteModel(); m.x = pyo.Var(); m.p = pyo.Param(mutable=True, initialize=2.0)
    >>> table = SymbolTable(); tr = Translator(table)
    >>> str(tr.translate(m.p * pyo.exp(m.x)))
    '(p*exp(x))'
    >>> [v.name for v in table.free], [c.name for c in table.params]
    (['x'], ['p'])

:class:`Translator` walks an expression tree once (non-recursively, with Pyomo's
``StreamBasedExpressionVisitor``) and builds the same expression over casadi symbols:
each free variable gets a symbol in ``SymbolTable.free``, each fixed variable and each
mutable ``Param`` one in ``SymbolTable.params`` (so their values can change between
solves without rebuilding), and everything else -- numbers, immutable parameters,
units -- is folded to its value. Named ``Expression`` components are translated once
and shared. What casadi cannot represent (external functions) raises
:class:`UnsupportedExpressionError`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import casadi as ca
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.expr import numeric_expr as ne
from pyomo.core.expr import relational_expr as rel
from pyomo.core.expr.numvalue import value
from pyomo.core.expr.visitor import StreamBasedExpressionVisitor

from idaes_ml.errors import IdaesMLError

__all__ = ["SymbolTable", "Translator", "UnsupportedExpressionError"]


class UnsupportedExpressionError(IdaesMLError, ValueError):
    """A Pyomo expression uses a construct with no casadi counterpart (e.g. an external function)."""


Operand = ca.SX | float


def _sx(a: Operand) -> ca.SX:
    return a if isinstance(a, ca.SX) else ca.SX(a)


UNARY: dict[str, Callable[[ca.SX], ca.SX]] = {
    "log": ca.log, "log10": ca.log10, "exp": ca.exp, "sqrt": ca.sqrt, "abs": ca.fabs,
    "sin": ca.sin, "cos": ca.cos, "tan": ca.tan, "asin": ca.asin, "acos": ca.acos, "atan": ca.atan,
    "sinh": ca.sinh, "cosh": ca.cosh, "tanh": ca.tanh, "asinh": ca.asinh, "acosh": ca.acosh,
    "atanh": ca.atanh, "ceil": ca.ceil, "floor": ca.floor,
}


def _unary(node: Any, a: list[Operand]) -> ca.SX:
    name = node.getname()
    if name not in UNARY:
        raise UnsupportedExpressionError(f"function {name!r} has no casadi counterpart")
    return UNARY[name](_sx(a[0]))


def _inequality(node: Any, a: list[Operand]) -> ca.SX:
    return _sx(a[0]) < a[1] if node.strict else _sx(a[0]) <= a[1]


def _ranged(node: Any, a: list[Operand]) -> ca.SX:
    lo, hi = node.strict
    return ca.logic_and(_sx(a[0]) < a[1] if lo else _sx(a[0]) <= a[1],
                        _sx(a[1]) < a[2] if hi else _sx(a[1]) <= a[2])


def _external(node: Any, a: list[Operand]) -> ca.SX:
    raise UnsupportedExpressionError(
        f"external function {node.getname()!r} cannot be translated to casadi; "
        "solve this model with SolverFactory('ipopt')")


class _Term:
    """``coef * symbol`` inside a sum, kept apart so that a sum's linear part is one casadi product."""

    __slots__ = ("coef", "sym")

    def __init__(self, coef: float, sym: ca.SX) -> None:
        self.coef, self.sym = coef, sym


def _sum(node: Any, a: list[Operand | _Term]) -> Operand:
    """A sum as ``c' x`` (one sparse product) plus the other terms (one ``sum1``); casadi's
    Python operators cost microseconds each, so long linear sums are built in few calls."""
    terms = [t for t in a if type(t) is _Term]
    rest = [t for t in a if type(t) is not _Term]
    const = sum(t for t in rest if type(t) is float)
    parts = [t for t in rest if type(t) is not float]
    total: Operand = const
    if terms:
        total = total + ca.mtimes(ca.DM([t.coef for t in terms]).T, ca.vertcat(*[t.sym for t in terms]))
    if parts:
        total = total + (parts[0] if len(parts) == 1 else ca.sum1(ca.vertcat(*parts)))
    return total


#: Expression class -> builder(node, translated args); subclasses resolve through the MRO.
HANDLERS: dict[type, Callable[[Any, list[Operand]], Operand]] = {
    ne.SumExpressionBase: _sum,
    ne.ProductExpression: lambda n, a: a[0] * a[1],
    ne.DivisionExpression: lambda n, a: _sx(a[0]) / a[1],
    ne.PowExpression: lambda n, a: _sx(a[0]) ** a[1],
    ne.NegationExpression: lambda n, a: -a[0],
    ne.UnaryFunctionExpression: _unary,
    ne.MaxExpression: lambda n, a: functools.reduce(ca.fmax, map(_sx, a)),
    ne.MinExpression: lambda n, a: functools.reduce(ca.fmin, map(_sx, a)),
    ne.Expr_ifExpression: lambda n, a: ca.if_else(_sx(a[0]), a[1], a[2]),
    ne.ExternalFunctionExpression: _external,
    rel.EqualityExpression: lambda n, a: _sx(a[0]) == a[1],
    rel.NotEqualExpression: lambda n, a: _sx(a[0]) != a[1],
    rel.InequalityExpression: _inequality,
    rel.RangedExpression: _ranged,
}


@functools.cache
def _handler(cls: type) -> Callable[[Any, list[Operand]], Operand]:
    for base in cls.__mro__:
        if base in HANDLERS:
            return HANDLERS[base]
    raise UnsupportedExpressionError(f"Pyomo expression type {cls.__name__} cannot be translated to casadi")


class SymbolTable:
    """The casadi symbol of every Pyomo variable and mutable parameter met so far.

    ``free`` lists the variables that were free when first met (decision variables),
    ``params`` the fixed variables and mutable ``Param`` data (parameters), each in
    order of first appearance.
    """

    def __init__(self) -> None:
        self.free: list = []
        self.params: list = []
        self._symbols: dict[int, ca.SX] = {}

    def symbol(self, component: Any) -> ca.SX:
        """The symbol of a variable or mutable parameter (created on first use)."""
        sym = self._symbols.get(id(component))
        if sym is None:
            sym = ca.SX.sym(component.name)
            self._symbols[id(component)] = sym
            is_free = component.is_variable_type() and not component.fixed
            (self.free if is_free else self.params).append(component)
        return sym

    def leaf(self, node: Any) -> Operand:
        """A leaf of an expression: a symbol, or the value of a constant (numbers, units)."""
        if node.is_variable_type() or (node.is_parameter_type() and not node.is_constant()):
            return self.symbol(node)
        return float(value(node))

    def vector(self, components: list) -> ca.SX:
        """The column of the symbols of ``components`` (for a casadi Function input)."""
        return ca.vertcat(*[self.symbol(c) for c in components]) if components else ca.SX(0, 1)


class Translator(StreamBasedExpressionVisitor):
    """Translate Pyomo expressions into casadi SX over the symbols of one :class:`SymbolTable`.

    ``named`` records each named ``Expression`` met, with the expression object it held,
    so that a caller can tell later whether it was replaced.
    """

    def __init__(self, table: SymbolTable) -> None:
        super().__init__()
        self.table = table
        self.named: dict[int, tuple[Any, Any, Operand]] = {}

    def translate(self, expr: Any) -> Operand:
        """The casadi expression of ``expr`` (a float when it has no symbols)."""
        return self.walk_expression(expr)

    def initializeWalker(self, expr: Any) -> tuple[bool, Operand | None]:  # noqa: N802 - Pyomo's API
        walk, result = self.beforeChild(None, expr, 0)
        return walk, result

    def beforeChild(self, node: Any, child: Any, child_idx: int) -> tuple[bool, Operand | _Term | None]:  # noqa: N802
        if type(child) in native_numeric_types or type(child) is bool:  # bool: a condition Pyomo already decided
            return False, float(child)
        if not child.is_expression_type():
            return False, self.table.leaf(child)
        if type(child) is ne.MonomialTermExpression and isinstance(node, ne.SumExpressionBase):
            coef, var = child.args
            if type(coef) in native_numeric_types:
                return False, _Term(float(coef), self.table.symbol(var))
        if child.is_named_expression_type() and id(child) in self.named:
            return False, self.named[id(child)][2]
        return True, None

    def exitNode(self, node: Any, data: list[Operand]) -> Operand:  # noqa: N802 - Pyomo's API
        if node.is_named_expression_type():
            self.named[id(node)] = (node, node.expr, data[0])
            return data[0]
        return _handler(type(node))(node, data)
