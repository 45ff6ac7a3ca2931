"""The persistent, parametric Ipopt (idaes_ml.solvers.persistent) against one-off ``SolverFactory('ipopt')``.

Every comparison is a real solve on both sides: the in-process casadi NLP compiled once
and the ``.nl`` round trip through our AMPL driver.
"""

from __future__ import annotations

import idaes  # noqa: F401  (puts IDAES's bin directory on PATH)
import numpy as np
import pyomo.environ as pyo
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyomo.common.errors import ApplicationError
from pyomo.environ import units
from pyomo.opt import SolverStatus, TerminationCondition

from idaes_ml.solvers import require_solver
from idaes_ml.solvers.persistent import (NAME, WARM_START_OPTIONS, PersistentIpopt, StructureChangedError,
                                         termination)
from idaes_ml.solvers.pyomo_casadi import SymbolTable, Translator, UnsupportedExpressionError


def parametric(sense=pyo.minimize) -> pyo.ConcreteModel:
    """A small NLP whose data are a mutable Param ``t``, a fixed variable ``a`` and a
    parameter-dependent constraint bound; duals imported."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([0, 1], initialize=1.0, bounds=(0.1, 10.0))
    m.y = pyo.Var(initialize=1.0)
    m.a = pyo.Var(initialize=1.0)
    m.a.fix()
    m.t = pyo.Param([0, 1], mutable=True, initialize=1.0)
    m.cap = pyo.Param(mutable=True, initialize=4.0)
    m.e = pyo.Expression(expr=m.a * m.x[0] * m.x[1])
    m.link = pyo.Constraint(expr=m.y == m.e + pyo.log(m.x[0]))
    m.budget = pyo.Constraint(expr=m.x[0] + 2 * m.x[1] <= m.cap)
    sign = 1 if sense == pyo.minimize else -1
    m.o = pyo.Objective(expr=sign * ((m.y - m.t[0]) ** 2 + (m.x[1] - m.t[1]) ** 2 + 0.01 * m.x[0] ** 2),
                        sense=sense)
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    return m


def _state(m) -> np.ndarray:
    return np.array([pyo.value(v) for v in (m.x[0], m.x[1], m.y)])


def _reset_start(m) -> None:
    for v in (m.x[0], m.x[1], m.y):
        v.set_value(1.0)


def _data(m, t0, t1, a, cap) -> None:
    m.t[0], m.t[1], m.cap = t0, t1, cap
    m.a.fix(a)


@pytest.fixture(scope="module")
def ipopt():
    return require_solver("ipopt")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(t0=st.floats(-2.0, 6.0), t1=st.floats(0.0, 5.0), a=st.floats(0.5, 2.0), cap=st.floats(1.0, 8.0),
       sense=st.sampled_from([pyo.minimize, pyo.maximize]))
def test_resolve_equals_fresh_one_off_solve(ipopt, t0, t1, a, cap, sense):
    """After set_value/fix(value) on the data, a re-solve gives what a one-off solve gives."""
    m = parametric(sense)
    opt = PersistentIpopt()
    opt.set_instance(m)
    opt.solve(m)  # a first solve at other data: the second one re-uses the compiled NLP
    _data(m, t0, t1, a, cap)
    _reset_start(m)
    res = opt.solve(m)
    mine, duals = _state(m), {c.name: m.dual[c] for c in (m.link, m.budget)}
    _reset_start(m)
    ref = ipopt.solve(m)
    assert res.solver.termination_condition == ref.solver.termination_condition
    assert res.solver.status == ref.solver.status
    assert opt.rebuilds == 0
    assert mine == pytest.approx(_state(m), abs=1e-6)
    for c in (m.link, m.budget):
        assert duals[c.name] == pytest.approx(m.dual[c], abs=1e-6)


def test_status_semantics_match_pyomo(ipopt):
    """Infeasible and iteration-limited solves report what Pyomo's ipopt plugin reports."""
    m = parametric()
    m.cap = -1.0  # x >= 0.1 cannot meet x0 + 2 x1 <= -1
    opt = PersistentIpopt()
    res = opt.solve(m)
    ref = ipopt.solve(m, load_solutions=False)
    assert (res.solver.status, res.solver.termination_condition) == (ref.solver.status,
                                                                     ref.solver.termination_condition)
    assert res.solver.termination_condition == TerminationCondition.infeasible
    assert not pyo.check_optimal_termination(res)
    m.cap = 4.0
    m.t[0] = 5.0
    res = opt.solve(m, options={"max_iter": 1}, load_solutions=False)
    ref = ipopt.solve(m, options={"max_iter": 1}, load_solutions=False)
    assert res.solver.termination_condition == ref.solver.termination_condition == TerminationCondition.maxIterations
    assert res.solver.status == ref.solver.status == SolverStatus.warning
    assert pyo.check_optimal_termination(opt.solve(m))
    assert opt.last.iterations > 1 and opt.last.ipopt_s <= opt.last.wall_s


def test_termination_table():
    assert termination("Solve_Succeeded")[:2] == (SolverStatus.ok, TerminationCondition.optimal)
    assert termination("Solved_To_Acceptable_Level")[:2] == (SolverStatus.ok, TerminationCondition.optimal)
    assert termination("Diverging_Iterates")[:2] == (SolverStatus.warning, TerminationCondition.unbounded)
    assert termination("Restoration_Failed")[:2] == (SolverStatus.error, TerminationCondition.internalSolverError)
    assert termination("Not_Enough_Degrees_Of_Freedom")[:2] == (SolverStatus.warning, TerminationCondition.other)


def test_too_few_degrees_of_freedom_like_pyomo(ipopt):
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=1.0)
    m.c1 = pyo.Constraint(expr=m.x == 1)
    m.c2 = pyo.Constraint(expr=2 * m.x == 3)
    res = PersistentIpopt().solve(m)
    ref = ipopt.solve(m, load_solutions=False)
    assert (res.solver.status, res.solver.termination_condition) == (ref.solver.status,
                                                                     ref.solver.termination_condition)


@pytest.mark.parametrize("options", [{"linear_solver": "ma57"}, {"not_an_ipopt_option": 1}])
def test_refused_options_raise_like_pyomo(ipopt, options):
    m = parametric()
    with pytest.raises(ApplicationError):
        ipopt.solve(m, options=options)
    with pytest.raises(ApplicationError):
        PersistentIpopt().solve(m, options=options)


@pytest.mark.parametrize("change", ["fix", "unfix", "deactivate", "add", "replace", "replace_named", "objective"])
def test_structure_change_is_rebuilt_or_raises(ipopt, change):
    def edit(m):
        if change == "fix":
            m.x[1].fix(0.7)
        elif change == "unfix":
            m.a.unfix()
            m.a.setlb(0.5)
            m.a.setub(2.0)
        elif change == "deactivate":
            m.budget.deactivate()
        elif change == "add":
            m.extra = pyo.Constraint(expr=m.x[0] >= 2.5)
        elif change == "replace":
            m.budget.set_value(m.x[0] + m.x[1] <= 1.5)
        elif change == "replace_named":
            m.e.set_value(m.x[0] + m.x[1])
        else:
            m.o.deactivate()
            m.o2 = pyo.Objective(expr=(m.x[0] - 3) ** 2 + (m.y - 1) ** 2)

    m = parametric()
    m.t[0] = 3.0
    strict = PersistentIpopt(on_change="raise")
    strict.solve(m)
    edit(m)
    with pytest.raises(StructureChangedError):
        strict.solve(m)
    m = parametric()
    m.t[0] = 3.0
    opt = PersistentIpopt()
    opt.solve(m)
    edit(m)
    _reset_start(m)
    assert pyo.check_optimal_termination(opt.solve(m))
    assert opt.rebuilds == 1
    mine = _state(m)
    _reset_start(m)
    ipopt.solve(m)
    assert mine == pytest.approx(_state(m), abs=1e-6)


def test_warm_start_reduces_iterations():
    m = parametric()
    opt = PersistentIpopt(options={"tol": 1e-10})
    m.t[0] = 3.0
    opt.solve(m)
    start = _state(m)
    m.t[0] = 3.05
    opt.solve(m, options=WARM_START_OPTIONS)
    warm, warm_solution = opt.last.iterations, _state(m)
    for v, x in zip((m.x[0], m.x[1], m.y), start):  # the same primal start, cold duals
        v.set_value(x)
    cold_opt = PersistentIpopt(options={"tol": 1e-10})
    cold_opt.solve(m)
    assert warm < cold_opt.last.iterations
    assert warm_solution == pytest.approx(_state(m), abs=1e-7)


def test_solver_factory_name_and_instance_checks():
    opt = pyo.SolverFactory(NAME, options={"tol": 1e-9})
    assert isinstance(opt, PersistentIpopt) and opt.available() and opt.version()[0] == 3
    m = parametric()
    with pytest.raises(ValueError, match="set_instance"):
        opt.load_vars()
    assert pyo.check_optimal_termination(opt.solve(m))  # the first model becomes the instance
    with pytest.raises(ValueError, match="different model"):
        opt.solve(parametric())
    with pytest.raises(ValueError, match="user scaling"):
        opt.solve(m, options={"nlp_scaling_method": "user-scaling"})
    with pytest.raises(ValueError, match="user scaling"):
        PersistentIpopt(options={"nlp_scaling_method": "user-scaling"}).set_instance(m)


@settings(max_examples=25, deadline=None)
@given(x=st.floats(0.2, 3.0), y=st.floats(-2.0, 2.0), p=st.floats(-1.0, 1.0))
def test_translation_evaluates_like_pyomo(x, y, p):
    """Every supported operator evaluates to what Pyomo's value() gives."""
    import casadi as ca

    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=x, units=units.m)
    m.y = pyo.Var(initialize=y)
    m.p = pyo.Param(mutable=True, initialize=p)
    m.k = pyo.Param(initialize=0.5)
    m.e = pyo.Expression(expr=m.x * m.y)
    exprs = [m.x ** 2.5 + m.k * m.y, m.e / m.x - m.p ** 2, -pyo.exp(m.p * m.y) + pyo.log(m.x) * pyo.log10(m.x),
             pyo.sqrt(m.x) + abs(m.y) + pyo.tanh(m.y) + pyo.atan(m.y) + pyo.sinh(m.p) + pyo.cos(m.x),
             pyo.Expr_if(IF=m.y >= m.p, THEN=m.y, ELSE=m.p) + pyo.Expr_if(IF=pyo.inequality(0, m.y, 1), THEN=1, ELSE=0),
             m.e + 3 * units.m ** 2, sum(i * m.y for i in range(4)) + m.y ** 3]
    table = SymbolTable()
    tr = Translator(table)
    out = [tr.translate(e) for e in exprs]
    fn = ca.Function("f", [table.vector(table.free), table.vector(table.params)], [ca.vertcat(*out)])
    got = np.asarray(fn([x, y], [p])).ravel()
    assert [c.name for c in table.free] == ["x", "y"] and [c.name for c in table.params] == ["p"]
    assert got == pytest.approx([pyo.value(e) for e in exprs], rel=1e-12, abs=1e-12)


def test_external_functions_are_refused():
    m = pyo.ConcreteModel()
    m.x = pyo.Var()
    m.f = pyo.ExternalFunction(library="nowhere.so", function="f")
    with pytest.raises(UnsupportedExpressionError, match="external function"):
        Translator(SymbolTable()).translate(m.f(m.x))


@settings(max_examples=5, deadline=None)
@given(data=st.lists(st.tuples(st.floats(-2.0, 6.0), st.floats(0.0, 5.0), st.floats(1.0, 8.0)), min_size=1, max_size=6))
def test_batch_of_copies_equals_one_solve_per_copy(data):
    from pyomo.common.collections import ComponentMap

    m = parametric()
    opt = PersistentIpopt(options={"tol": 1e-10})
    opt.set_instance(m)
    res = opt.solve_batch([ComponentMap([(m.t[0], t0), (m.t[1], t1), (m.cap, cap)]) for t0, t1, cap in data])
    assert pyo.check_optimal_termination(res)
    batch = []
    for k in range(len(data)):
        opt.load_vars(k)
        batch.append(_state(m))
    for (t0, t1, cap), expected in zip(data, batch):
        _data(m, t0, t1, 1.0, cap)
        _reset_start(m)
        assert pyo.check_optimal_termination(opt.solve(m))
        assert _state(m) == pytest.approx(expected, abs=1e-6)
    with pytest.raises(ValueError, match="not a parameter"):
        opt.solve_batch([ComponentMap([(m.x[0], 1.0)])])
