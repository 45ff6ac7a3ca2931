"""The casadi-backed ``ipopt`` command through Pyomo's and IDAES's own interfaces.

Every test is a real Ipopt solve through ``SolverFactory('ipopt')``, ``'ipopt_v2'`` or
``idaes.core.solvers.get_solver()``; expected statuses are what Pyomo derives from
the real Ipopt AMPL driver's solve_result_num codes (``AmplTNLP::finalize_solution``).
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import idaes  # noqa: F401  (puts IDAES's bin directory on PATH)
import pyomo.environ as pyo
import pytest
from idaes.core.solvers import get_solver
from pyomo.common.errors import ApplicationError
from pyomo.opt import SolverStatus, TerminationCondition

from idaes_ml.solvers import install_solvers, require_solver


@pytest.fixture(scope="module", autouse=True)
def ipopt_installed():
    install_solvers()
    return require_solver("ipopt")


def ipopt_exe() -> str:
    return str(pyo.SolverFactory("ipopt").executable())


def qp(sense=pyo.minimize) -> pyo.ConcreteModel:
    """min (x-2)^2 + (y-1)^2  s.t.  x + y <= 2,  0 <= x,  y <= 0.25.

    Analytic optimum: x = 1.75, y = 0.25; Ipopt multipliers lambda_c = 0.5,
    z_U(y) = 1.0, so Pyomo's dual(c) = -0.5 and ipopt_zU_out(y) = -1.0
    (maximizing the negated objective flips both signs).
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None), initialize=0.5)
    m.y = pyo.Var(bounds=(None, 0.25), initialize=0.0)
    m.c = pyo.Constraint(expr=m.x + m.y <= 2)
    sign = 1 if sense == pyo.minimize else -1
    m.o = pyo.Objective(expr=sign * ((m.x - 2) ** 2 + (m.y - 1) ** 2), sense=sense)
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    m.ipopt_zL_out = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    m.ipopt_zU_out = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    return m


def infeasible() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0)
    m.y = pyo.Var(initialize=0)
    m.disk = pyo.Constraint(expr=m.x**2 + m.y**2 <= 1)
    m.line = pyo.Constraint(expr=m.x + m.y >= 3)
    m.o = pyo.Objective(expr=m.x)
    return m


def rosenbrock(scale_x: float = 1.0, scale_y: float = 1.0) -> pyo.ConcreteModel:
    """Rosenbrock in X = u/scale_x, Y = v/scale_y with a bound-active constraint."""
    m = pyo.ConcreteModel()
    m.X = pyo.Var(initialize=-1.2 / scale_x)
    m.Y = pyo.Var(initialize=1.0 / scale_y, bounds=(None, 0.8 / scale_y))
    u, v = m.X * scale_x, m.Y * scale_y
    m.o = pyo.Objective(expr=(1 - u) ** 2 + 100 * (v - u**2) ** 2)
    m.c = pyo.Constraint(expr=(u + v) / scale_x >= -5 / scale_x)
    return m


def iterations(log: Path) -> int:
    return int(re.search(r"Number of Iterations\.*: (\d+)", log.read_text()).group(1))


def initial_dual_infeasibility(log: Path) -> float:
    """inf_du of iteration 0 in an Ipopt log."""
    return float(re.search(r"^\s+0\s+\S+\s+\S+\s+(\S+)", log.read_text(), re.M).group(1))


def test_version_is_fast_and_parsable():
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([ipopt_exe(), "--version"], capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert out.stdout.split()[0] == "Ipopt"
    assert re.fullmatch(r"\d+\.\d+\.\d+", out.stdout.split()[1])
    # casadi is not imported: well under Pyomo's 2 s version-check timeout even on a
    # loaded machine, and < 0.5 s of CPU.
    assert cpu < 0.5 and elapsed < 2.0, f"ipopt --version: {elapsed:.2f} s wall, {cpu:.2f} s CPU"
    assert pyo.SolverFactory("ipopt_v2").version()[:2] == (3, 14)


@pytest.mark.parametrize("interface", ["ipopt", "ipopt_v2", "get_solver"])
def test_optimal_values_and_multipliers(interface):
    m = qp()
    opt = get_solver() if interface == "get_solver" else pyo.SolverFactory(interface)
    res = opt.solve(m)
    assert res.solver.termination_condition == TerminationCondition.optimal
    assert res.solver.status == SolverStatus.ok
    assert pyo.value(m.x) == pytest.approx(1.75, abs=1e-6)
    assert pyo.value(m.y) == pytest.approx(0.25, abs=1e-6)
    assert m.dual[m.c] == pytest.approx(-0.5, abs=1e-6)
    assert m.ipopt_zU_out[m.y] == pytest.approx(-1.0, abs=1e-6)
    assert m.ipopt_zL_out[m.x] == pytest.approx(0.0, abs=1e-6)


def test_maximization_sign_conventions():
    m = qp(sense=pyo.maximize)
    res = pyo.SolverFactory("ipopt").solve(m)
    assert res.solver.termination_condition == TerminationCondition.optimal
    assert pyo.value(m.x) == pytest.approx(1.75, abs=1e-6)
    assert m.dual[m.c] == pytest.approx(0.5, abs=1e-6)
    assert m.ipopt_zU_out[m.y] == pytest.approx(1.0, abs=1e-6)


def test_message_matches_ampl_driver():
    res = pyo.SolverFactory("ipopt").solve(qp())
    assert re.fullmatch(r"Ipopt 3\.14\.\d+\\x3a Optimal Solution Found", res.solver.message)


def test_infeasible_problem():
    res = pyo.SolverFactory("ipopt").solve(infeasible(), load_solutions=False)
    assert res.solver.termination_condition == TerminationCondition.infeasible
    assert res.solver.status == SolverStatus.warning
    assert "Converged to a locally infeasible point. Problem may be infeasible." in (
        res.solver.message
    )
    res2 = pyo.SolverFactory("ipopt_v2").solve(infeasible(), load_solutions=False)
    assert res2.solver.termination_condition == TerminationCondition.infeasible


def test_iteration_limit():
    res = pyo.SolverFactory("ipopt").solve(rosenbrock(), options={"max_iter": 3})
    assert res.solver.termination_condition == TerminationCondition.maxIterations
    assert res.solver.status == SolverStatus.warning
    assert res.solver.message.endswith("Maximum Number of Iterations Exceeded.")
    res2 = pyo.SolverFactory("ipopt_v2").solve(
        rosenbrock(), options={"max_iter": 3}, load_solutions=False
    )
    assert res2.solver.termination_condition == TerminationCondition.maxIterations


def over_specified() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.5)
    m.y = pyo.Var(initialize=0.5)
    m.c1 = pyo.Constraint(expr=m.x**2 + m.y == 1)
    m.c2 = pyo.Constraint(expr=m.x + m.y**3 == 1)
    m.c3 = pyo.Constraint(expr=m.x * m.y == 0.3)
    m.o = pyo.Objective(expr=m.x)
    return m


def test_too_few_degrees_of_freedom(tmp_path):
    # Real Ipopt writes no .sol and exits 0; Pyomo's IPOPT plugin reads the log.
    m = over_specified()
    res = pyo.SolverFactory("ipopt").solve(m)
    assert res.solver.status == SolverStatus.warning
    assert res.solver.termination_condition == TerminationCondition.other
    assert res.solver.message == "Too few degrees of freedom (rethrown)!"
    assert pyo.value(m.x) == 0.5  # nothing loaded
    from pyomo.contrib.solver.common.util import NoSolutionError

    with pytest.raises(NoSolutionError):
        pyo.SolverFactory("ipopt_v2").solve(over_specified())
    nl = tmp_path / "dof.nl"
    over_specified().write(str(nl))
    run = subprocess.run([ipopt_exe(), str(nl), "-AMPL"], capture_output=True, text=True)
    assert run.returncode == 0
    assert "EXIT: Problem has too few degrees of freedom." in run.stdout
    assert not (tmp_path / "dof.sol").exists()


@pytest.mark.parametrize("build", [rosenbrock, qp, lambda: qp(pyo.maximize)])
def test_warm_start_with_multipliers(build, tmp_path):
    m = build()
    for name in ("dual", "ipopt_zL_out", "ipopt_zU_out", "ipopt_zL_in", "ipopt_zU_in"):
        m.del_component(name)
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT_EXPORT)
    m.ipopt_zL_out = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    m.ipopt_zU_out = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    m.ipopt_zL_in = pyo.Suffix(direction=pyo.Suffix.EXPORT)
    m.ipopt_zU_in = pyo.Suffix(direction=pyo.Suffix.EXPORT)
    opt = pyo.SolverFactory("ipopt")
    opt.solve(m, logfile=str(tmp_path / "cold.log"))
    cold = iterations(tmp_path / "cold.log")
    solution = [pyo.value(v) for v in (m.component_data_objects(pyo.Var))]
    m.ipopt_zL_in.update(m.ipopt_zL_out)
    m.ipopt_zU_in.update(m.ipopt_zU_out)
    warm_opts = {
        "warm_start_init_point": "yes",
        "warm_start_bound_push": 1e-9,
        "warm_start_mult_bound_push": 1e-9,
        "mu_init": 1e-9,
    }
    res = opt.solve(m, options=warm_opts, logfile=str(tmp_path / "warm.log"))
    assert res.solver.termination_condition == TerminationCondition.optimal
    assert [pyo.value(v) for v in m.component_data_objects(pyo.Var)] == pytest.approx(
        solution, abs=1e-7
    )
    # Correctly signed multipliers: the start is already dual feasible.
    assert initial_dual_infeasibility(tmp_path / "warm.log") < 1e-8
    assert iterations(tmp_path / "warm.log") <= 1
    m.dual.clear()
    m.ipopt_zL_in.clear()
    m.ipopt_zU_in.clear()
    opt.solve(m, options=warm_opts, logfile=str(tmp_path / "primal.log"))
    assert initial_dual_infeasibility(tmp_path / "primal.log") > 1e-2
    assert 1 < iterations(tmp_path / "primal.log") <= cold


def test_option_files_and_precedence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("ipopt.opt").write_text("# default option file\nmax_iter 2\n")
    res = pyo.SolverFactory("ipopt").solve(rosenbrock(), load_solutions=False)
    assert res.solver.termination_condition == TerminationCondition.maxIterations
    Path("ipopt.opt").unlink()
    opt = pyo.SolverFactory("ipopt")  # OF_ options go through option_file_name
    opt.options["OF_max_iter"] = 2
    res = opt.solve(rosenbrock(), load_solutions=False)
    assert res.solver.termination_condition == TerminationCondition.maxIterations
    # option file < $ipopt_options < command line, as in Ipopt's AMPL driver
    rosenbrock().write("r.nl")
    Path("mine.opt").write_text("max_iter 1\n")
    env_run = subprocess.run(
        [ipopt_exe(), "r.nl", "-AMPL", "option_file_name=mine.opt"],
        capture_output=True, text=True, env={**os.environ, "ipopt_options": "max_iter=2"},
    )
    assert "Maximum Number of Iterations Exceeded." in env_run.stdout
    assert iterations_from_text(env_run.stdout) == 2
    cmd_run = subprocess.run(
        [ipopt_exe(), "r.nl", "-AMPL", "option_file_name=mine.opt", "max_iter=100"],
        capture_output=True, text=True, env={**os.environ, "ipopt_options": "max_iter=2"},
    )
    assert "Optimal Solution Found" in cmd_run.stdout


def iterations_from_text(text: str) -> int:
    return int(re.search(r"Number of Iterations\.*: (\d+)", text).group(1))


@pytest.mark.parametrize(("linear_solver", "message"), [
    ("ma57", "libhsl.so"),  # an HSL solver without the HSL library: Ipopt cannot load it
    ("no_such_solver", '"no_such_solver" is not a valid setting for Option: linear_solver'),
])
def test_linear_solver_ipopt_lacks_fails_as_ipopt_fails(linear_solver, message, capfd):
    """No silent MUMPS: a request Ipopt cannot honour stops it (issue 21, item 5)."""
    with pytest.raises(ApplicationError):
        pyo.SolverFactory("ipopt").solve(qp(), options={"linear_solver": linear_solver}, tee=True)
    assert message in capfd.readouterr().out
    res = pyo.SolverFactory("ipopt").solve(qp(), options={"linear_solver": "mumps"}, tee=True)
    assert res.solver.termination_condition == TerminationCondition.optimal
    assert "running with linear solver MUMPS" in capfd.readouterr().out


def test_hsl_probes_say_no_hsl():
    """Code branching on HSL takes the MUMPS branch: Pyomo's and IDAES's probes answer False."""
    from idaes.core.solvers.features import ipopt_has_linear_solver
    from pyomo.contrib.solver.solvers.ipopt import Ipopt

    assert not Ipopt().has_linear_solver("ma57") and Ipopt().has_linear_solver("mumps")
    assert not ipopt_has_linear_solver.__wrapped__("ma27")  # past any cached answer


def test_idaes_ipopt_v2_is_configured_for_mumps(tmp_path, monkeypatch):
    """IDAES's get_solver('ipopt_v2') asks for ma57 unless idaes.conf says otherwise."""
    from idaes_ml.solvers.install import configure_idaes

    monkeypatch.setattr(idaes, "data_directory", str(tmp_path))
    monkeypatch.setattr(idaes.cfg.ipopt_v2.options, "linear_solver", "ma57")
    (tmp_path / "idaes.conf").write_text('{"use_idaes_solvers": true}')
    assert configure_idaes() == (str(tmp_path / "idaes.conf"), "ipopt_v2 linear_solver=mumps")
    doc = json.loads((tmp_path / "idaes.conf").read_text())
    assert doc == {"use_idaes_solvers": True, "ipopt_v2": {"options": {"linear_solver": "mumps"}}}
    assert get_solver("ipopt_v2").solve(qp()).solver.termination_condition == TerminationCondition.optimal
    (tmp_path / "idaes.conf").write_text('{"ipopt_v2": {"options": {"linear_solver": "ma27"}}}')
    assert configure_idaes()[1] == "ipopt_v2 linear_solver=ma27"  # the user's choice is kept


def test_discrete_variables_are_relaxed_with_ipopts_warning(capfd):
    """As the real AMPL driver (AmplTNLP), say that binaries and integers become continuous (item 6)."""
    m = pyo.ConcreteModel()
    m.b = pyo.Var(within=pyo.Binary)
    m.n = pyo.Var(within=pyo.Integers, bounds=(0, 5))
    m.c = pyo.Constraint(expr=m.b >= 0.3 - 0.1 * m.n)
    m.o = pyo.Objective(expr=m.b + (m.n - 2.6) ** 2)  # b linear (a binary), n nonlinear (an integer)
    res = pyo.SolverFactory("ipopt").solve(m, tee=True)
    assert res.solver.termination_condition == TerminationCondition.optimal
    assert pyo.value(m.n) == pytest.approx(2.65, abs=1e-5)  # relaxed, not rounded
    assert "==> Warning: Treating 1 binary and 1 integer variables as continous." in capfd.readouterr().out


def test_unknown_option_is_an_error():
    with pytest.raises(ApplicationError):
        pyo.SolverFactory("ipopt").solve(qp(), options={"no_such_option": 1})


def test_user_scaling_equals_hand_scaled_problem(tmp_path):
    """user-scaling with factors s solves exactly the problem in s-scaled variables."""
    opt = pyo.SolverFactory("ipopt")
    natural = rosenbrock()
    opt.solve(natural, options={"nlp_scaling_method": "none"}, logfile=str(tmp_path / "n"))
    bad = rosenbrock(scale_x=1e4, scale_y=1e-3)
    bad.scaling_factor = pyo.Suffix(direction=pyo.Suffix.EXPORT)
    bad.scaling_factor[bad.X] = 1e4
    bad.scaling_factor[bad.Y] = 1e-3
    bad.scaling_factor[bad.c] = 1e4
    opt.solve(bad, options={"nlp_scaling_method": "user-scaling"}, logfile=str(tmp_path / "u"))
    assert iterations(tmp_path / "u") == iterations(tmp_path / "n")
    assert pyo.value(bad.X) * 1e4 == pytest.approx(pyo.value(natural.X), rel=1e-9)
    assert pyo.value(bad.Y) * 1e-3 == pytest.approx(pyo.value(natural.Y), rel=1e-9)
    unscaled = rosenbrock(scale_x=1e4, scale_y=1e-3)
    opt.solve(unscaled, options={"nlp_scaling_method": "none"}, logfile=str(tmp_path / "b"))
    assert iterations(tmp_path / "b") != iterations(tmp_path / "n")


def test_constructs_casadi_cannot_import():
    """Expr_if and inverse hyperbolics go through the Python .nl reader."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0.5, 3), initialize=1.5)
    m.y = pyo.Var(initialize=0)
    m.z = pyo.Var(initialize=0)
    m.piece = pyo.Constraint(expr=m.y == pyo.Expr_if(IF=m.x >= 1, THEN=m.x**2, ELSE=2 * m.x - 1))
    m.hyp = pyo.Constraint(expr=m.z == pyo.asinh(m.x) + pyo.acosh(m.x + 1) + pyo.atanh(m.x / 10))
    m.o = pyo.Objective(expr=(m.x - 0.7) ** 2 + (m.y - 2.0) ** 2)
    res = pyo.SolverFactory("ipopt").solve(m)
    assert res.solver.termination_condition == TerminationCondition.optimal
    # On x >= 1 the objective (x-0.7)^2 + (x^2-2)^2 has its minimum near x = 1.31.
    assert pyo.value(m.x) > 1 and pyo.value(m.y) == pytest.approx(pyo.value(m.x) ** 2)
    x = pyo.value(m.x)
    import math

    assert pyo.value(m.z) == pytest.approx(math.asinh(x) + math.acosh(x + 1) + math.atanh(x / 10))


def test_external_functions_are_refused_clearly(tmp_path, caplog):
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=1.0)
    m.ext = pyo.ExternalFunction(library=str(tmp_path / "libnothing.so"), function="f")
    m.c = pyo.Constraint(expr=m.ext(m.x) == 0)
    m.o = pyo.Objective(expr=m.x**2)
    with pytest.raises(ApplicationError):
        pyo.SolverFactory("ipopt").solve(m)
    assert "external function 'f' (AMPL 'F' segment) is not supported" in caplog.text


def test_user_scaling_returns_unscaled_multipliers():
    """Scaling x, y, c and the objective must not change the reported multipliers."""
    m = qp()
    m.scaling_factor = pyo.Suffix(direction=pyo.Suffix.EXPORT)
    m.scaling_factor[m.x] = 5.0
    m.scaling_factor[m.y] = 0.2
    m.scaling_factor[m.c] = 3.0
    m.scaling_factor[m.o] = 10.0
    res = pyo.SolverFactory("ipopt").solve(m, options={"nlp_scaling_method": "user-scaling"})
    assert res.solver.termination_condition == TerminationCondition.optimal
    assert pyo.value(m.x) == pytest.approx(1.75, abs=1e-6)
    assert m.dual[m.c] == pytest.approx(-0.5, abs=1e-6)
    assert m.ipopt_zU_out[m.y] == pytest.approx(-1.0, abs=1e-6)


def mixed_model() -> pyo.ConcreteModel:
    """Linear, nonlinear and mixed rows, a shared Expression, a maximized objective."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(4), bounds=(-2, 3), initialize=0.5)
    m.e = pyo.Expression(expr=m.x[0] + 2 * m.x[2] + m.x[1] ** 2)
    m.lin = pyo.Constraint(expr=m.x[0] - 2 * m.x[1] + 0.5 * m.x[3] <= 1)
    m.mix = pyo.Constraint(expr=m.x[0] * pyo.exp(m.x[1]) + 3 * m.x[2] - m.x[3] <= 5)
    m.rng = pyo.Constraint(expr=pyo.inequality(-1, m.e * m.x[3] + 2 * m.x[0], 4))
    m.nl = pyo.Constraint(expr=pyo.sin(m.e) + m.x[2] ** 3 == 0.2)
    m.o = pyo.Objective(expr=-((m.x[0] - 1) ** 2) + 4 * m.x[2] + m.x[3] * m.e, sense=pyo.maximize)
    return m


@pytest.mark.parametrize("reader", ["casadi", "python"])
@pytest.mark.parametrize("scaled", [False, True])
def test_split_problem_matches_pyomo_derivatives(reader, scaled, tmp_path):
    """Values, gradient and Jacobian Ipopt gets (linear parts as sparse matrices) equal
    Pyomo's own, from casadi's importer and from the Python fallback reader; the Hessian
    of the Lagrangian equals finite differences of them."""
    import casadi as ca
    import numpy as np
    from pyomo.core.expr.calculus.derivatives import Modes, differentiate

    from idaes_ml.solvers.nl_file import read_nl
    from idaes_ml.solvers.nl_problem import _casadi_import, ipopt_solver, parse_nl

    m = mixed_model()
    nl = str(tmp_path / "mixed.nl")
    _, smap_id = m.write(nl)
    by_symbol = m.solutions.symbol_map[smap_id].bySymbol
    info, text = read_nl(nl)
    assert info.maximize and len(info.linear_g.vals) > 0 and len(info.linear_f.vals) > 0
    nlp = _casadi_import(nl, info, text) if reader == "casadi" else parse_nl(text, info)
    n, k = info.n_var, info.n_con
    xs = [by_symbol[f"v{i}"] for i in range(n)]
    rows = [by_symbol[f"c{i}"] for i in range(k)]
    rng = np.random.default_rng(1)
    sx, sg = (rng.uniform(0.2, 5, n), rng.uniform(0.2, 5, k)) if scaled else (np.ones(n), np.ones(k))
    solver = ipopt_solver(nlp, {"print_time": False}, (sx, sg) if scaled else None)
    grad_f, jac_g = solver.get_function("nlp_grad_f"), solver.get_function("nlp_jac_g")
    hess = solver.get_function("nlp_hess_l")
    for _ in range(3):
        x = rng.uniform(-1, 2, n)
        for var, val in zip(xs, x):
            var.set_value(val)
        f, grad = (np.array(v).ravel() for v in grad_f(x * sx, []))
        g, jac = np.array(jac_g(x * sx, [])[0]).ravel(), np.array(jac_g(x * sx, [])[1])
        assert f[0] == pytest.approx(-pyo.value(m.o), rel=1e-12)
        np.testing.assert_allclose(grad * sx, -np.array(differentiate(m.o.expr, wrt_list=xs,
                                   mode=Modes.reverse_numeric)), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g / sg, [pyo.value(c.body) for c in rows], rtol=1e-12)
        ref = [differentiate(c.body, wrt_list=xs, mode=Modes.reverse_numeric) for c in rows]
        np.testing.assert_allclose(jac * sx / sg[:, None], ref, rtol=1e-12, atol=1e-12)
        lam_f, lam_g = 0.7, rng.normal(size=k)

        def lagrangian_gradient(z):
            gf, (_, jg) = grad_f(z, [])[1], jac_g(z, [])
            return np.array(lam_f * gf + ca.mtimes(jg.T, lam_g)).ravel()

        upper = np.array(hess(x * sx, [], lam_f, lam_g))
        assert np.allclose(upper, np.triu(upper))
        h, step = upper + np.triu(upper, 1).T, 1e-6
        fd = [(lagrangian_gradient(x * sx + step * e) - lagrangian_gradient(x * sx - step * e))
              / (2 * step) for e in np.eye(n)]
        np.testing.assert_allclose(h, np.array(fd).T, rtol=1e-6, atol=1e-6)


def no_constraints() -> tuple[pyo.ConcreteModel, dict[str, float]]:
    """min (x-1)^2 + 3x + exp(y) - 2y: linear objective terms, no constraints; x = -1/2, y = ln 2."""
    import math

    m = pyo.ConcreteModel()
    m.x, m.y = pyo.Var(initialize=0.0), pyo.Var(initialize=0.0)
    m.o = pyo.Objective(expr=(m.x - 1) ** 2 + 3 * m.x + pyo.exp(m.y) - 2 * m.y)
    return m, {"x": -0.5, "y": math.log(2)}


def no_linear_part() -> tuple[pyo.ConcreteModel, dict[str, float]]:
    """min x^2 + y^2 s.t. x y >= 1 from (2, 0.5): no linear term anywhere; x = y = 1."""
    m = pyo.ConcreteModel()
    m.x, m.y = pyo.Var(initialize=2.0), pyo.Var(initialize=0.5)
    m.c = pyo.Constraint(expr=m.x * m.y >= 1)
    m.o = pyo.Objective(expr=m.x**2 + m.y**2)
    return m, {"x": 1.0, "y": 1.0}


def only_linear() -> tuple[pyo.ConcreteModel, dict[str, float]]:
    """max x + 2y + 5 s.t. x + y <= 4, x - y >= -2, x, y >= 0 (an LP); x = 1, y = 3."""
    m = pyo.ConcreteModel()
    m.x, m.y = pyo.Var(bounds=(0, None)), pyo.Var(bounds=(0, None))
    m.c1 = pyo.Constraint(expr=m.x + m.y <= 4)
    m.c2 = pyo.Constraint(expr=m.x - m.y >= -2)
    m.o = pyo.Objective(expr=m.x + 2 * m.y + 5, sense=pyo.maximize)
    return m, {"x": 1.0, "y": 3.0}


def no_objective() -> tuple[pyo.ConcreteModel, dict[str, float]]:
    """Square system x y = 2, x + y = 3 from (0.8, 2.2): no objective; x = 1, y = 2."""
    m = pyo.ConcreteModel()
    m.x, m.y = pyo.Var(initialize=0.8), pyo.Var(initialize=2.2)
    m.c1 = pyo.Constraint(expr=m.x * m.y == 2)
    m.c2 = pyo.Constraint(expr=m.x + m.y == 3)
    return m, {"x": 1.0, "y": 2.0}


@pytest.mark.parametrize("build", [no_constraints, no_linear_part, only_linear, no_objective])
@pytest.mark.parametrize("reader", ["casadi", "python"])
@pytest.mark.parametrize("scaled", [False, True])
def test_edge_problems_solve_in_driver(build, reader, scaled, tmp_path, monkeypatch, capfd):
    """Problems without constraints, objective, linear or nonlinear parts solve (in the
    driver's own ``solve_nl``, both .nl readers, with and without user scaling)."""
    from idaes_ml.solvers import nl_problem
    from idaes_ml.solvers.ipopt_ampl import solve_nl

    def casadi_refuses(*args):
        raise RuntimeError("refused")  # as casadi's importer does for constructs it lacks

    if reader == "python":
        monkeypatch.setattr(nl_problem, "_casadi_import", casadi_refuses)
    m, expected = build()
    if scaled:
        m.scaling_factor = pyo.Suffix(direction=pyo.Suffix.EXPORT)
        m.scaling_factor[m.x], m.scaling_factor[m.y] = 4.0, 0.25
        for c in m.component_data_objects(pyo.Constraint):
            m.scaling_factor[c] = 3.0
    nl = str(tmp_path / "edge.nl")
    _, smap_id = m.write(nl)
    by_symbol = m.solutions.symbol_map[smap_id].bySymbol
    opts = {"print_level": 0, "nlp_scaling_method": "user-scaling" if scaled else "none"}
    info, solution, status = solve_nl(nl, opts)
    assert status == "Solve_Succeeded", capfd.readouterr().out
    values = {by_symbol[f"v{i}"].local_name: v for i, v in enumerate(solution["x"])}
    assert values == pytest.approx(expected, abs=1e-6)
    assert len(solution["duals"]) == info.n_con


def test_limited_memory_hessian_reaches_the_exact_optimum(tmp_path):
    """Without ``hess_lag`` (quasi-Newton) Ipopt finds the same optimum of the mixed model."""
    from idaes_ml.solvers.ipopt_ampl import solve_nl

    nl = str(tmp_path / "mixed.nl")
    mixed_model().write(nl)
    solutions = {}
    for hessian in ("exact", "limited-memory"):
        _, solutions[hessian], status = solve_nl(nl, {"print_level": 0, "hessian_approximation": hessian})
        assert status == "Solve_Succeeded"
    assert solutions["limited-memory"]["x"] == pytest.approx(solutions["exact"]["x"], abs=1e-6)


def test_the_ipopt_client_starts_without_heavy_imports():
    """Every ``ipopt`` call starts a Python client that hands the solve to the warm server; importing pandas,
    numpy, casadi or Pyomo there would cost most of a small solve (it did: pandas through idaes_ml.io, 0.2 s)."""
    probe = ("import sys, idaes_ml.solvers.ipopt_ampl; "
             "print(','.join(m for m in ('pandas', 'numpy', 'casadi', 'pyomo') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
