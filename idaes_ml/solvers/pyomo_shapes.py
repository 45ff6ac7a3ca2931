"""Many Pyomo expressions as one casadi SX vector, built one *shape* at a time.

Translating a large model node by node through casadi's Python API costs about 17 µs per
operation (SWIG dispatch), seconds for 25k constraints. Most large models repeat a few
expression shapes thousands of times (a discretized balance, a recurrence, a network
layer). :class:`ShapeCompiler` walks each expression once in plain Python, recording its
shape (the operators, in prefix order, with constant exponents) and its leaves
(variables, mutable parameters, numbers, named ``Expression`` components); expressions
of one shape become one casadi ``Function`` of their leaves, evaluated on all of them by
one mapped call inside casadi (C++). The result is the same SX graph that
:class:`~idaes_ml.solvers.pyomo_casadi.Translator` builds, up to the order of
commutative operations; leaves get their symbols from the same
:class:`~idaes_ml.solvers.pyomo_casadi.SymbolTable`, and named expressions, and every
expression with a construct outside the shapes (conditionals, min/max, relations,
external functions) or nested deeper than Python's recursion limit, are translated by the
``Translator`` itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import casadi as ca
import numpy as np
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.expr import numeric_expr as ne
from pyomo.core.expr.numvalue import value

from idaes_ml.solvers.pyomo_casadi import UNARY, SymbolTable, Translator

__all__ = ["ShapeCompiler"]

_SUM, _PROD, _DIV, _POW, _POWC, _NEG, _FN, _LEAF = range(8)


class _Other(Exception):
    """An operator outside the shapes: the whole expression goes to the Translator."""


def _fold(node: Any) -> int | None:
    """The first token of ``node``'s class, or None for classes outside the shapes."""
    for base, token in ((ne.SumExpressionBase, _SUM), (ne.DivisionExpression, _DIV), (ne.ProductExpression, _PROD),
                        (ne.PowExpression, _POW), (ne.NegationExpression, _NEG)):
        if issubclass(node, base):
            return token
    if issubclass(node, ne.UnaryFunctionExpression) and not issubclass(node, ne.ExternalFunctionExpression):
        return _FN
    return None


_TOKEN: dict[type, int | None] = {}


class ShapeCompiler:
    """Compile Pyomo expressions over one :class:`SymbolTable`, sharing casadi work per shape."""

    def __init__(self, table: SymbolTable, translator: Translator) -> None:
        self.table, self.translator = table, translator
        self._slot: dict[int, int] = {}  # id(component) -> position in _entries
        self._entries: list[ca.SX] = []
        self._consts: list[float] = []

    def compile(self, exprs: Sequence[Any]) -> ca.SX:
        """The column of the casadi expressions of ``exprs``, in order."""
        if not exprs:
            return ca.SX(0, 1)
        groups: dict[tuple, tuple[list[int], list[int]]] = {}
        others: list[tuple[int, Any]] = []
        for i, expr in enumerate(exprs):
            shape: list = []
            leaves: list[int] = []
            try:
                self._walk(expr, shape, leaves)
            except (_Other, RecursionError):  # the Translator's walk is not recursive: any depth
                others.append((i, self.translator.translate(expr)))
                continue
            rows, flat = groups.setdefault(tuple(shape), ([], []))
            rows.append(i)
            flat.extend(leaves)
        n_entries = len(self._entries)
        z = ca.vertcat(ca.vertcat(*self._entries) if self._entries else ca.SX(0, 1), ca.SX(ca.DM(self._consts)))
        parts, order = [], []
        for shape, (rows, flat) in groups.items():
            codes = np.asarray(flat, dtype=np.int64)
            codes = np.where(codes >= 0, codes, n_entries - 1 - codes)  # constants follow the entries in z
            k, n = len(codes) // len(rows), len(rows)
            a = ca.SX.sym("a", k)
            f = ca.Function("shape", [a], [_rebuild(shape, a)])
            leaves = ca.reshape(z[codes.tolist()], k, n) if k else ca.SX(0, n)
            parts.append(ca.vec(f.map(n)(leaves)))
            order.extend(rows)
        for i, sx in others:
            parts.append(ca.SX(sx))
            order.append(i)
        g = ca.vertcat(*parts)
        return g[np.argsort(np.asarray(order), kind="stable").tolist()]

    def _leaf(self, node: Any, leaves: list[int]) -> None:
        if node.is_variable_type() or (node.is_parameter_type() and not node.is_constant()):
            slot = self._slot.get(id(node))
            if slot is None:
                slot = self._slot[id(node)] = len(self._entries)
                self._entries.append(self.table.symbol(node))
            leaves.append(slot)
        else:
            self._const(float(value(node)), leaves)

    def _const(self, v: float, leaves: list[int]) -> None:
        leaves.append(-1 - len(self._consts))
        self._consts.append(v)

    def _named(self, node: Any, leaves: list[int]) -> None:
        sx = self.translator.translate(node)  # translated once, shared, recorded for change detection
        if isinstance(sx, float):
            self._const(sx, leaves)
            return
        slot = self._slot.get(id(node))
        if slot is None:
            slot = self._slot[id(node)] = len(self._entries)
            self._entries.append(sx)
        leaves.append(slot)

    def _walk(self, node: Any, shape: list, leaves: list[int]) -> None:
        cls = type(node)
        if cls in native_numeric_types:
            shape.append(_LEAF)
            self._const(float(node), leaves)
            return
        if not node.is_expression_type():
            shape.append(_LEAF)
            self._leaf(node, leaves)
            return
        if node.is_named_expression_type():
            shape.append(_LEAF)
            self._named(node, leaves)
            return
        token = _TOKEN.get(cls, -1)
        if token == -1:
            token = _TOKEN[cls] = _fold(cls)
        if token is None:
            raise _Other
        args = node.args
        if token == _SUM:
            shape.append((_SUM, len(args)))
        elif token == _FN:
            name = node.getname()
            if name not in UNARY:
                raise _Other
            shape.append((_FN, name))
        elif token == _POW and type(args[1]) in native_numeric_types:
            shape.append((_POWC, float(args[1])))
            self._walk(args[0], shape, leaves)
            return
        else:
            shape.append(token)
        for arg in args:
            self._walk(arg, shape, leaves)


_BINARY: dict[int, Callable[[ca.SX, ca.SX], ca.SX]] = {
    _PROD: lambda a, b: a * b, _DIV: lambda a, b: a / b, _POW: lambda a, b: a**b,
}


def _rebuild(shape: tuple, a: ca.SX) -> ca.SX:
    """The casadi expression of ``shape`` over the leaf symbols ``a`` (in walk order)."""
    tokens, leaf = iter(shape), iter(range(a.numel()))

    def build() -> ca.SX:
        t = next(tokens)
        if t == _LEAF:
            return a[next(leaf)]
        if t in _BINARY:
            x = build()
            return _BINARY[t](x, build())
        if t == _NEG:
            return -build()
        kind, arg = t
        if kind == _SUM:
            terms = [build() for _ in range(arg)]
            if not terms:
                return ca.SX(0.0)
            return functools.reduce(lambda s, u: s + u, terms) if len(terms) < 3 else ca.sum1(ca.vertcat(*terms))
        if kind == _POWC:
            return build() ** arg
        return UNARY[arg](build())

    return build()
