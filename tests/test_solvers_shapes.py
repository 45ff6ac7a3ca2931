"""Shape-shared compilation (idaes_ml.solvers.pyomo_shapes) against the node-by-node Translator.

Random Pyomo expressions over free and fixed variables, mutable parameters, numbers and a
named Expression are compiled both ways over one symbol table; values and gradients must
agree at random points, in the expressions' order.
"""

from __future__ import annotations

import casadi as ca
import numpy as np
import pyomo.environ as pyo
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idaes_ml.solvers.pyomo_casadi import SymbolTable, Translator, UnsupportedExpressionError
from idaes_ml.solvers.pyomo_shapes import ShapeCompiler


def _model() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(4), initialize=1.0)
    m.a = pyo.Var(initialize=1.5)
    m.a.fix()
    m.p = pyo.Param(mutable=True, initialize=0.7)
    m.e = pyo.Expression(expr=m.x[0] * m.p + 1.0)
    return m


M = _model()
LEAVES = [M.x[0], M.x[1], M.x[2], M.x[3], M.a, M.p, M.e]


def _symbolic(a):
    """A number times the fixed variable: Pyomo would evaluate exp(1000.0) in Python (OverflowError) while the
    test builds it; as an expression it is evaluated, like the rest, in casadi's doubles (inf on both sides)."""
    return M.a * a if isinstance(a, (int, float)) else a


def expressions():
    leaf = st.one_of(st.sampled_from(LEAVES), st.sampled_from([1, 2, 0.5, -3.0]))
    unary = [pyo.exp, pyo.sin, pyo.tanh, lambda u: pyo.log(1.0 + u**2), lambda u: pyo.sqrt(2.0 + pyo.cos(u)), abs]

    def grow(children):
        return st.one_of(
            st.tuples(children, children).map(lambda t: t[0] + t[1]),
            st.tuples(children, children).map(lambda t: t[0] * t[1]),
            st.tuples(children, children).map(lambda t: t[0] / (2.0 + pyo.cos(t[1]))),
            st.tuples(children, st.sampled_from([2, 3, 0.5])).map(lambda t: (1.0 + _symbolic(t[0]) ** 2) ** t[1]),
            children.map(lambda c: -c),
            st.lists(children, min_size=3, max_size=5).map(sum),
            st.tuples(st.sampled_from(unary), children).map(lambda t: t[0](_symbolic(t[1]))),
            st.tuples(children, children).map(lambda t: pyo.Expr_if(IF=t[0] >= 0, THEN=t[1], ELSE=t[0])),
        )

    return st.recursive(leaf, grow, max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(expressions(), min_size=1, max_size=6), st.lists(st.floats(-1.5, 1.5), min_size=5, max_size=5))
def test_shapes_evaluate_like_the_translator(exprs, point):
    table = SymbolTable()
    tr = Translator(table)
    shared = ShapeCompiler(table, tr).compile(exprs)
    one_by_one = ca.vertcat(*[ca.SX(tr.translate(e)) for e in exprs])
    x, p = table.vector(table.free), table.vector(table.params)
    f = ca.Function("f", [x, p], [shared, one_by_one, ca.jacobian(shared, x), ca.jacobian(one_by_one, x)])
    xv = [point[i] for i, v in enumerate(M.x.values()) if any(v is c for c in table.free)]
    pv = [M.a.value if c is M.a else 2.0 * point[4] for c in table.params]
    a, b, ja, jb = (np.array(o) for o in f(xv, pv))
    assert a.shape == (len(exprs), 1)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ja, jb, rtol=1e-9, atol=1e-9)


def test_repeated_shapes_share_one_function_and_keep_the_order():
    m = pyo.ConcreteModel()
    m.u = pyo.Var(range(50), initialize=0.3)
    m.c = pyo.Constraint(range(49), rule=lambda m, i: m.u[i + 1] * pyo.exp(-0.1 * m.u[i]) - (1 + 0.01 * i) == 0)
    bodies = [c.body for c in m.c.values()] + [m.u[0] ** 2]  # two shapes
    table = SymbolTable()
    g = ShapeCompiler(table, Translator(table)).compile(bodies)
    values = np.array(ca.Function("g", [table.vector(table.free)], [g])([0.3] * len(table.free))).ravel()
    np.testing.assert_allclose(values, [pyo.value(b) for b in bodies], rtol=1e-12)


def test_named_expression_is_translated_once_and_external_functions_are_refused():
    m = _model()
    table = SymbolTable()
    tr = Translator(table)
    ShapeCompiler(table, tr).compile([m.e * m.x[i] for i in range(4)])
    assert list(tr.named) == [id(m.e)]  # recorded, so that replacing m.e.expr is seen as a structure change
    m.f = pyo.ExternalFunction(library="nowhere.so", function="f")
    with pytest.raises(UnsupportedExpressionError, match="external function"):
        ShapeCompiler(table, tr).compile([m.f(m.x[0]) + m.x[1]])


def test_expressions_nested_deeper_than_the_recursion_limit_compile():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), initialize=1.0)
    deep = m.x[0]
    for i in range(3000):  # a product chain Pyomo keeps nested, 3000 levels deep
        deep = (deep * m.x[i % 3]) / 1.0001
    table = SymbolTable()
    g = ShapeCompiler(table, Translator(table)).compile([deep, m.x[1] + 1])
    value = ca.Function("g", [table.vector(table.free)], [g])([1.0] * len(table.free))
    np.testing.assert_allclose(np.array(value).ravel(), [1.0001**-3000, 2.0], rtol=1e-12)
