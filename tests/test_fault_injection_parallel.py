"""Fault injection in the shared map: dead workers and a crashing solver mid-grid.

Completed results are kept and the failed job carries its own error, serially and on a
tiny Dask LocalCluster (worker processes) with identical results.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pyomo.environ as pyo
import pytest

from idaes_ml import parallel
from idaes_ml.operability import PyomoInstance, PyomoModel, Region, forward_map


def _exit_on_three(x: int) -> int:
    if x == 3:
        sys.exit(7)
    return 10 * x


def _die_on_three(x: int) -> int:
    if x == 3:
        os._exit(13)
    return 10 * x


def _outcomes(results: parallel.MapResults) -> list[tuple]:
    return [(r.index, r.item, r.value, r.error) for r in results]


def test_sys_exit_is_that_jobs_error_serial_and_dask():
    serial = parallel.map(_exit_on_three, range(6), progress=False)
    dask = parallel.map(_exit_on_three, range(6), client=1, progress=False)
    assert _outcomes(serial) == _outcomes(dask)
    assert serial.values(strict=False) == [0, 10, 20, None, 40, 50]
    assert [(r.index, r.error) for r in serial.failures] == [(3, "SystemExit: 7")]


def test_dead_worker_keeps_the_other_results():
    """``os._exit`` kills the worker process: retried once, then that job's error."""
    out = parallel.map(_die_on_three, range(6), client=1, progress=False)
    assert out.values(strict=False) == [0, 10, 20, None, 40, 50]
    (dead,) = out.failures
    assert dead.index == 3 and dead.item == 3
    assert dead.error.startswith("WorkerDied: KilledWorker") and "2 different workers" in dead.error


# --- a real Ipopt that crashes (SIGSEGV) at one grid point --------------------------------

#: u0 + 10 u1 = 15.75 at the middle of the grid's second row: the cubic's right-hand side in the .nl
CRASH_RHS = {"4 15.75", "4 -15.75"}


def _crash_builder() -> PyomoInstance:
    m = pyo.ConcreteModel()
    m.u = pyo.Var(range(2), initialize=1.0)
    m.y = pyo.Var(range(2), initialize=1.0)
    m.cubic = pyo.Constraint(expr=m.y[1] ** 3 + m.y[1] == m.u[0] + 10 * m.u[1])
    m.shift = pyo.Constraint(expr=m.y[0] == m.y[1] - m.u[0])
    m.obj = pyo.Objective(expr=0.0)
    return PyomoInstance(m, list(m.u.values()), list(m.y.values()), [])


class CrashingIpoptModel(PyomoModel):
    """The cubic model solved by the real Ipopt through a launcher that segfaults on one point."""

    def __init__(self, launcher: str) -> None:
        super().__init__(_crash_builder, ["u0", "u1"], ["y0", "y1"], persistent=False)
        self.launcher = launcher

    def make_solver(self):
        """Real Ipopt, run through the crash-injecting launcher."""
        opt = super().make_solver()
        opt.set_executable(self.launcher, validate=False)
        return opt


@pytest.fixture
def crashing_launcher(tmp_path) -> str:
    real = pyo.SolverFactory("ipopt").executable()
    path = tmp_path / "ipopt_crash"
    path.write_text(
        f"#!{sys.executable}\n"
        "import os, signal, sys\n"
        "nl = next(a for a in sys.argv[1:] if not a.startswith('-'))\n"
        "nl = nl if nl.endswith('.nl') else nl + '.nl'\n"
        f"if {CRASH_RHS!r} & set(open(nl).read().splitlines()):\n"
        "    os.kill(os.getpid(), signal.SIGSEGV)\n"
        f"os.execv({real!r}, [{real!r}] + sys.argv[1:])\n"
    )
    path.chmod(0o755)
    return str(path)


def test_solver_crash_mid_grid_fails_only_that_point(crashing_launcher):
    """2 x 3 grid, one row of 3 per job: the crash mid-row leaves the row's other points solved."""
    model = CrashingIpoptModel(crashing_launcher)
    ais = Region.box({"u0": (0.25, 0.75), "u1": (1.0, 2.0)}, name="AIS")
    serial = forward_map(model, ais, [2, 3], progress=False)
    dask = forward_map(model, ais, [2, 3], client=1, progress=False)
    assert np.array_equal(serial.status, dask.status)
    assert np.allclose(serial.outputs, dask.outputs, equal_nan=True, rtol=0, atol=1e-9)
    status = serial.status[0]
    assert list(np.nonzero(status != "ok")[0]) == [4]
    assert status[4].startswith("error: ApplicationError") and "did not exit normally" in status[4]
    y1 = serial.outputs[0, :, 1]
    rhs = serial.inputs[:, 0] + 10 * serial.inputs[:, 1]
    ok = status == "ok"
    assert np.allclose(y1[ok] ** 3 + y1[ok], rhs[ok], atol=1e-6)
