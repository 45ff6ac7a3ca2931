"""Solvers from PyPI
=================

Find and use the solvers installed from PyPI: Ipopt (casadi's, via our bridge), CBC, HiGHS.

Run: ``.venv/bin/python examples/solvers.py``.
"""

import pyomo.environ as pyo
from idaes.core.solvers import get_solver

from idaes_ml.solvers import install_solvers, report_text

install_solvers()  # idempotent: writes the ipopt/cbc launchers into IDAES's bin directory
print(report_text())

m = pyo.ConcreteModel()
m.x = pyo.Var(bounds=(0, 4), initialize=1)
m.y = pyo.Var(within=pyo.Binary)
m.c = pyo.Constraint(expr=m.x <= 3 * m.y + 0.5)
m.o = pyo.Objective(expr=(m.x - 2.5) ** 2 + m.y)
m.y.fix(1)
print("IDAES get_solver (ipopt):", get_solver().solve(m).solver.termination_condition, pyo.value(m.x))
m.y.unfix()
m.o.deactivate()
m.lin = pyo.Objective(expr=-m.x + 2 * m.y)
for name in ("cbc", "appsi_highs"):
    res = pyo.SolverFactory(name).solve(m)
    print(f"{name}: {res.solver.termination_condition}, x={pyo.value(m.x):.3f}, y={pyo.value(m.y):.0f}")
