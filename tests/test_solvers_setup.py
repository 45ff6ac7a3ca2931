"""Solver installation/discovery, MILPs with CBC and HiGHS, and an IDAES flowsheet solve."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import idaes
import pyomo.environ as pyo
import pytest
from pyomo.opt import TerminationCondition

from idaes_ml.errors import SolverNotFoundError
from idaes_ml.solvers import (
    cli_solvers,
    find_solvers,
    install_solvers,
    report_text,
    require_solver,
)
from idaes_ml.solvers import server
from idaes_ml.solvers import install as installer
from idaes_ml.solvers.install import ENV_VAR, MARKER, STARTUP_FILE, dispatcher_text, install, is_ours


def test_install_is_idempotent_and_reports():
    install_solvers()
    launcher = Path(idaes.bin_directory) / "ipopt"
    before = launcher.stat().st_mtime_ns
    start = time.perf_counter()
    infos = install_solvers()
    assert time.perf_counter() - start < 5.0
    assert launcher.stat().st_mtime_ns == before  # untouched when already current
    assert os.access(launcher, os.X_OK) and MARKER in launcher.read_text()
    by_name = {i.name: i for i in infos}
    assert {"ipopt", "ipopt_v2", "cbc", "appsi_highs"} <= set(by_name)
    assert all(i.available for i in infos), report_text(infos)
    assert by_name["ipopt"].version.startswith("3.14")
    assert by_name["ipopt"].path == str(launcher)
    text = report_text(infos)
    assert "ipopt" in text and "cbc" in text and "appsi_highs" in text


def test_cli_solvers_exit_code(capsys):
    assert cli_solvers(install=False) == 0
    assert "casadi-backed" in capsys.readouterr().out


def test_installer_keeps_a_foreign_ipopt(tmp_path, monkeypatch):
    """A working ipopt that is not ours (e.g. from idaes get-extensions) is kept."""
    bin_dir, other = tmp_path / "idaes_bin", tmp_path / "other"
    other.mkdir()
    foreign = other / "ipopt"
    foreign.write_text("#!/bin/sh\necho 'Ipopt 3.14.99 (foreign)'\n")
    foreign.chmod(0o755)
    monkeypatch.setattr(idaes, "bin_directory", str(bin_dir))
    monkeypatch.setenv("PATH", f"{other}{os.pathsep}{os.environ['PATH']}")
    path, note = install("ipopt")
    assert (path, note) == (str(foreign), "existing executable kept")
    assert not (bin_dir / "ipopt").exists()
    monkeypatch.setenv("PATH", os.environ["PATH"].split(os.pathsep, 1)[1])
    path, note = install("ipopt")
    assert path == str(bin_dir / "ipopt") and MARKER in Path(path).read_text()
    (bin_dir / "ipopt").write_text(f"#!/bin/sh\n{MARKER} (ipopt)\nexit 1\n")  # stale
    assert install("ipopt")[0] == path
    assert Path(path).read_text() == dispatcher_text("ipopt")
    before = Path(path).stat().st_mtime_ns
    time.sleep(0.01)
    assert install("ipopt", force=True)[0] == path
    assert Path(path).stat().st_mtime_ns > before


def test_two_environments_keep_their_own_solver(tmp_path, monkeypatch):
    """Issue 21, item 14: installing from environment B does not redirect A's solver calls to B."""
    monkeypatch.setattr(idaes, "bin_directory", str(tmp_path / "idaes_bin"))
    monkeypatch.setenv(ENV_VAR, os.environ.get(ENV_VAR, ""))  # install() sets it; restored after
    for env in ("A", "B"):
        root = tmp_path / env
        (root / "bin").mkdir(parents=True)
        python = root / "bin" / "python"  # stands in for the environment's interpreter
        python.write_text(f'#!/bin/sh\necho "python of {env}: $*"\n')
        python.chmod(0o755)
        monkeypatch.setattr(sys, "executable", str(python))
        monkeypatch.setattr(installer, "env_bin_directory", lambda root=root: root / "bin")
        monkeypatch.setattr(installer, "site_directory", lambda root=root: root / "site")
        assert install("ipopt") == (str(tmp_path / "idaes_bin" / "ipopt"), "installed (casadi-backed)")
        assert (root / "site" / STARTUP_FILE).read_text() == \
            f"import os; os.environ[{ENV_VAR!r}] = {str(root / 'bin')!r}\n"
    shared = tmp_path / "idaes_bin" / "ipopt"
    assert shared.read_text() == dispatcher_text("ipopt") and str(tmp_path) not in shared.read_text()
    for env in ("A", "B"):
        run = subprocess.run([str(shared), "stub.nl", "-AMPL"], capture_output=True, text=True,
                             env={**os.environ, ENV_VAR: str(tmp_path / env / "bin")})
        assert run.stdout.startswith(f"python of {env}: -m idaes_ml.solvers.ipopt_ampl stub.nl -AMPL")
    run = subprocess.run([str(shared)], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != ENV_VAR})
    assert run.returncode == 127 and "run 'idaes-ml solvers --install'" in run.stderr


def test_solvers_on_the_venv_path_and_found_without_activation(tmp_path):
    """A plain Pyomo script in an activated venv finds the venv's ipopt; with ``import idaes`` an
    unactivated one finds it through IDAES's bin directory (the start-up file names the venv)."""
    venv_bin = Path(sysconfig.get_path("scripts"))
    assert is_ours(venv_bin / "ipopt") and is_ours(venv_bin / "cbc")
    solve = ("m = pyo.ConcreteModel(); m.x = pyo.Var(); m.o = pyo.Objective(expr=(m.x - 2) ** 2); "
             "r = pyo.SolverFactory('ipopt').solve(m); "
             "print(pyo.SolverFactory('ipopt').executable(), r.solver.termination_condition, os.environ[%r])" % ENV_VAR)
    bare = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    for imports, path, exe in (("import os, pyomo.environ as pyo", f"{venv_bin}{os.pathsep}/usr/bin:/bin",
                                venv_bin / "ipopt"),
                               ("import os, idaes, pyomo.environ as pyo", "/usr/bin:/bin",
                                Path(idaes.bin_directory) / "ipopt")):
        run = subprocess.run([sys.executable, "-c", f"{imports}; {solve}"], capture_output=True, text=True,
                             cwd=tmp_path, env={**bare, "PATH": path}, timeout=120)
        assert run.stdout.split()[-3:] == [str(exe), "optimal", str(venv_bin)], run.stderr[-2000:]


def test_require_solver_names_missing_solver():
    with pytest.raises(SolverNotFoundError, match="no_such_solver"):
        require_solver("no_such_solver")
    assert require_solver("ipopt", max_iter=50).options["max_iter"] == 50


def knapsack() -> pyo.ConcreteModel:
    """0-1 knapsack; optimum 0 + 1 + 1 + 0 + 1 (value 37, weight 15) by enumeration."""
    values, weights = [10, 13, 11, 8, 13], [5, 6, 4, 7, 5]
    m = pyo.ConcreteModel()
    m.i = pyo.RangeSet(0, 4)
    m.x = pyo.Var(m.i, within=pyo.Binary)
    m.cap = pyo.Constraint(expr=sum(weights[i] * m.x[i] for i in m.i) <= 15)
    m.o = pyo.Objective(expr=sum(values[i] * m.x[i] for i in m.i), sense=pyo.maximize)
    return m


@pytest.mark.parametrize("name", ["cbc", "appsi_highs"])
def test_milp(name):
    m = knapsack()
    res = require_solver(name).solve(m)
    assert res.solver.termination_condition == TerminationCondition.optimal
    assert pyo.value(m.o) == pytest.approx(37)
    assert [round(pyo.value(m.x[i])) for i in m.i] == [0, 1, 1, 0, 1]
    best = max(
        sum(v * ((k >> i) & 1) for i, v in enumerate([10, 13, 11, 8, 13]))
        for k in range(32)
        if sum(w * ((k >> i) & 1) for i, w in enumerate([5, 6, 4, 7, 5])) <= 15
    )
    assert pyo.value(m.o) == pytest.approx(best)


def test_idaes_flowsheet_with_get_solver(tmp_path):
    """Mixer -> Heater -> Flash, benzene/toluene ideal VLE (IDAES BT_ideal config)."""
    from idaes.core.solvers import get_solver
    from idaes.core.util.model_statistics import degrees_of_freedom

    from flowsheets.flash_demo.ground_truth import build_flowsheet, initialize_flowsheet, set_conditions

    m = build_flowsheet()
    set_conditions(m, {"feed_a_flow": 1.0, "feed_a_x_benzene": 0.6, "feed_b_flow": 1.0,
                       "feed_b_x_benzene": 0.3, "heater_T": 368.0, "flash_deltaP": 0.0})
    assert degrees_of_freedom(m) == 0
    initialize_flowsheet(m)
    res = get_solver().solve(m)
    assert res.solver.termination_condition == TerminationCondition.optimal
    vap, liq = m.fs.flash.vap_outlet, m.fs.flash.liq_outlet
    assert pyo.value(vap.flow_mol[0] + liq.flow_mol[0]) == pytest.approx(2.0, rel=1e-6)
    benzene = pyo.value(
        vap.flow_mol[0] * vap.mole_frac_comp[0, "benzene"]
        + liq.flow_mol[0] * liq.mole_frac_comp[0, "benzene"]
    )
    assert benzene == pytest.approx(0.9, rel=1e-6)
    assert 0.05 < pyo.value(vap.flow_mol[0]) < 1.95  # two phases at 368 K, 1 atm
    assert pyo.value(vap.mole_frac_comp[0, "benzene"]) > pyo.value(
        liq.mole_frac_comp[0, "benzene"]
    )
    assert pyo.value(m.fs.heat.heat_duty[0]) > 0
    assert_python_reader_matches_casadi(m, tmp_path / "flowsheet.nl")


def assert_python_reader_matches_casadi(m: pyo.ConcreteModel, nl: Path) -> None:
    """The fallback .nl reader builds the same problem as casadi's importer."""
    import casadi as ca
    import numpy as np

    from idaes_ml.solvers.nl_file import read_nl
    from idaes_ml.solvers.nl_problem import _casadi_import, parse_nl

    m.write(str(nl))
    info, text = read_nl(str(nl))
    ours, theirs = parse_nl(text, info), _casadi_import(str(nl), info, text)
    for field in ("x_lb", "x_ub", "g_lb", "g_ub", "x_init", "lambda_init"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(theirs, field))
    f_ours = ca.Function("a", [ours.x], [ours.f, ours.g])
    f_theirs = ca.Function("b", [theirs.x], [theirs.f, theirs.g])
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = np.abs(theirs.x_init) * rng.uniform(0.9, 1.1, theirs.x.numel()) + 1e-3
        for a, b in zip(f_ours(x), f_theirs(x)):
            np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-12, atol=1e-9)


def _timed_run(nl: Path, cwd: Path, **env) -> subprocess.CompletedProcess:
    exe = str(pyo.SolverFactory("ipopt").executable())
    full_env = {**os.environ, "IDAES_ML_IPOPT_TIMING": "1", **env}
    return subprocess.run([exe, str(nl), "-AMPL"], capture_output=True, text=True,
                          cwd=cwd, env=full_env, check=True)


def _sol_primal(sol: Path) -> float:
    """The only primal of a one-variable .sol file (the line before 'objno')."""
    lines = sol.read_text().splitlines()
    return float(next(lines[i - 1] for i, ln in enumerate(lines) if ln.startswith("objno")))


def _import_seconds(run: subprocess.CompletedProcess) -> float:
    return float(re.search(r"import=([0-9.]+)", run.stderr).group(1))


def _solver_server_up(nl: Path, cwd: Path) -> None:
    _timed_run(nl, cwd)  # starts the server if none is running
    deadline = time.monotonic() + 30
    while not os.path.exists(server.socket_path()):
        assert time.monotonic() < deadline, "solver server did not start"
        time.sleep(0.2)


def test_warm_server_skips_imports_and_local_mode_still_works(tmp_path):
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.0)
    m.o = pyo.Objective(expr=(m.x - 3) ** 2)
    m.write(str(tmp_path / "p.nl"))
    _solver_server_up(tmp_path / "p.nl", tmp_path)
    warm = _timed_run(tmp_path / "p.nl", tmp_path)
    assert _import_seconds(warm) < 0.05  # casadi was already imported in the server
    assert _sol_primal(tmp_path / "p.sol") == pytest.approx(3.0)
    (tmp_path / "p.sol").unlink()
    local = _timed_run(tmp_path / "p.nl", tmp_path, IDAES_ML_IPOPT_SERVER="0")
    assert "Optimal Solution Found" in local.stdout
    assert _sol_primal(tmp_path / "p.sol") == pytest.approx(3.0)


def _server_children_in(cwd: Path) -> set[int]:
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.readlink(proc / "cwd") == str(cwd) and (
                b"idaes_ml.solvers.server" in (proc / "cmdline").read_bytes()
            ):
                found.add(int(proc.name))
        except OSError:
            continue
    return found


def _write_big_nl_with_server_up(tmp_path) -> None:
    """Write a 301-variable QP to ``big.nl`` and make sure the solver server is running."""
    m = pyo.ConcreteModel()
    m.i = pyo.RangeSet(0, 300)
    m.x = pyo.Var(m.i, initialize=1.0)
    m.o = pyo.Objective(expr=sum((m.x[i] - i) ** 2 for i in m.i))
    m.write(str(tmp_path / "big.nl"))
    _solver_server_up(tmp_path / "big.nl", tmp_path)


def test_server_child_ends_when_caller_is_killed(tmp_path):
    """The caller's stdout pipe is never read, so the solve blocks writing its log."""
    _write_big_nl_with_server_up(tmp_path)
    exe = str(pyo.SolverFactory("ipopt").executable())
    caller = subprocess.Popen([exe, "big.nl", "-AMPL", "print_level=12"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not (children := _server_children_in(tmp_path)):
            assert time.monotonic() < deadline, "no server child picked up the solve"
            time.sleep(0.1)
        caller.kill()
        caller.wait()
        deadline = time.monotonic() + 10
        while children & _server_children_in(tmp_path):
            assert time.monotonic() < deadline, "server child outlived its caller"
            time.sleep(0.1)
    finally:
        caller.stdout.close()


def test_caller_solves_locally_if_server_child_dies(tmp_path):
    _write_big_nl_with_server_up(tmp_path)
    (tmp_path / "big.sol").unlink()
    exe = str(pyo.SolverFactory("ipopt").executable())
    caller = subprocess.Popen([exe, "big.nl", "-AMPL", "print_level=12"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (children := _server_children_in(tmp_path)):
        assert time.monotonic() < deadline, "no server child picked up the solve"
        time.sleep(0.1)
    for pid in children:  # e.g. its memory cgroup was torn down
        os.kill(pid, signal.SIGKILL)
    out, err = caller.communicate(timeout=120)
    assert caller.returncode == 0
    assert "solving locally" in err
    assert "Ipopt 3.14" in out.splitlines()[-1] and "Optimal Solution Found" in out
    assert (tmp_path / "big.sol").exists()
