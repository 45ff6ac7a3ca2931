"""Many solves, serially or on Dask
================================

Many independent solves through the one ``map``: serially, then on a local Dask cluster.

Run: ``.venv/bin/python examples/parallel_map.py`` (same results both ways, failures kept).
"""

import pyomo.environ as pyo

from idaes_ml import parallel
from idaes_ml.solvers import require_solver


def solve_point(target: float) -> float:
    """Smallest x >= 0 with x**2 = target (Ipopt); negative targets are infeasible."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None), initialize=1.0)
    m.c = pyo.Constraint(expr=m.x**2 == target)
    m.o = pyo.Objective(expr=m.x)
    res = require_solver("ipopt").solve(m)
    if res.solver.termination_condition != pyo.TerminationCondition.optimal:
        raise RuntimeError(f"solve ended {res.solver.termination_condition}")
    return pyo.value(m.x)


if __name__ == "__main__":
    targets = [4.0, 9.0, -1.0, 2.0]
    serial = parallel.map(solve_point, targets, desc="serial")
    dask = parallel.map(solve_point, targets, client=2, desc="dask")  # or "tcp://scheduler:8786"
    print(serial.summary())
    print("identical:", [r.value for r in serial] == [r.value for r in dask])
