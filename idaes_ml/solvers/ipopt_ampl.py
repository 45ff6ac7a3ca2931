"""An ``ipopt`` AMPL driver backed by the Ipopt bundled in the casadi wheel.

Usage as Pyomo calls it: ``ipopt stub.nl -AMPL [key=value ...]``; ``ipopt --version``.
Options come, in increasing precedence, from the option file (``option_file_name``,
default ``./ipopt.opt``), the ``$ipopt_options`` environment variable and the
command line, as with Ipopt's own AMPL driver (``ampl_ipopt.cpp``/``AmplTNLP.cpp``,
Ipopt 3.14). The driver solves with ``casadi.nlpsol(..., "ipopt")``, prints Ipopt's
log, and writes ``stub.sol`` with primals, duals, ``ipopt_zL_out``/``ipopt_zU_out``
and the same solve_result_num codes and messages as the real driver. When Ipopt
stops before iterating (too few degrees of freedom, invalid options) no ``.sol`` is
written and the exit status is 0, as with the real driver (``ampl_ipopt.cpp``
returns 0 after ``OptimizeTNLP``; Pyomo's IPOPT plugin relies on it).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import shlex
import sys
import time

from idaes_ml.solvers.nl_file import NlInfo, write_sol

#: casadi return_status -> (solve_result_num, message) as in AmplTNLP::finalize_solution.
RESULTS = {
    "Solve_Succeeded": (0, "Optimal Solution Found"),
    "Solved_To_Acceptable_Level": (1, "Solved To Acceptable Level."),
    "Feasible_Point_Found": (2, "Found feasible point for square problem."),
    "Infeasible_Problem_Detected": (
        200,
        "Converged to a locally infeasible point. Problem may be infeasible.",
    ),
    "Diverging_Iterates": (300, "Iterates diverging; problem might be unbounded."),
    "Maximum_Iterations_Exceeded": (400, "Maximum Number of Iterations Exceeded."),
    "Maximum_CpuTime_Exceeded": (401, "Maximum CPU Time Exceeded."),
    "Maximum_WallTime_Exceeded": (402, "Maximum Wallclock Time Exceeded."),
    "Search_Direction_Becomes_Too_Small": (500, "Search Direction becomes Too Small."),
    "Restoration_Failed": (501, "Restoration Phase Failed."),
}
UNKNOWN_RESULT = (502, "Unknown Error")
#: Statuses for which Ipopt never reaches finalize_solution: the real driver writes no .sol.
NO_SOLUTION = {
    "Not_Enough_Degrees_Of_Freedom",
    "Invalid_Option",
    "Invalid_Problem_Definition",
    "Insufficient_Memory",
    "Internal_Error",
    "Unrecoverable_Exception",
    "NonIpopt_Exception_Thrown",
}
#: AMPL-driver aliases and options consumed by the driver itself.
ALIASES = {"maxit": "max_iter", "outlev": "print_level"}
DRIVER_ONLY = {"wantsol", "halt_on_ampl_error", "option_file_name"}
#: Linear solvers built into the casadi-bundled Ipopt (HSL ones need libhsl at run time).
LINEAR_SOLVERS = {"mumps"}


class _PhaseTimer:
    """Wall time per driver phase and total CPU, printed to stderr when
    ``$IDAES_ML_IPOPT_TIMING`` is set (to measure the bridge's overhead)."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []
        self.cpu0 = 0.0

    def start(self) -> None:
        self.marks, self.cpu0 = [("start", time.perf_counter())], time.process_time()

    def mark(self, label: str) -> None:
        self.marks.append((label, time.perf_counter()))

    def report(self) -> None:
        if not os.environ.get("IDAES_ML_IPOPT_TIMING"):
            return
        steps = [f"{b[0]}={b[1] - a[1]:.4f}" for a, b in zip(self.marks, self.marks[1:])]
        steps.append(f"cpu={time.process_time() - self.cpu0:.4f}")
        print("idaes_ml ipopt timing [s]: " + " ".join(steps), file=sys.stderr)


_TIMER = _PhaseTimer()


def ipopt_version() -> str:
    """Version of the casadi-bundled Ipopt, read from its library name (casadi not imported)."""
    spec = importlib.util.find_spec("casadi")
    if spec is None or not spec.submodule_search_locations:
        return "unknown"
    libs = glob.glob(os.path.join(spec.submodule_search_locations[0], "libipopt.so.*.*.*"))
    return libs[0].rsplit(".so.", 1)[1] if libs else "unknown"


def version_banner() -> str:
    """What ``ipopt --version`` prints (Pyomo reads the version from it)."""
    return f"Ipopt {ipopt_version()} (casadi wheel, idaes_ml AMPL driver), ASL(idaes_ml)"


def _parse_value(text: str) -> int | float | str:
    text = text.strip().strip('"').strip("'")
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _parse_assignments(tokens: list[str]) -> dict[str, int | float | str]:
    """``key=value`` (or ``key value`` pairs, as AMPL accepts) into a dict."""
    opts: dict[str, int | float | str] = {}
    it = iter(tokens)
    for tok in it:
        if "=" in tok:
            key, val = tok.split("=", 1)
        else:
            key, val = tok, next(it, "")
        opts[ALIASES.get(key, key)] = _parse_value(val)
    return opts


def read_option_file(path: str) -> dict[str, int | float | str]:
    """Parse an Ipopt option file (``name value`` per line, ``#`` comments)."""
    opts: dict[str, int | float | str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            fields = line.split("#", 1)[0].split(None, 1)
            if len(fields) == 2:
                opts[ALIASES.get(fields[0], fields[0])] = _parse_value(fields[1])
    return opts


def collect_options(cmdline: list[str]) -> dict[str, int | float | str]:
    """Merge option file < ``$ipopt_options`` < command line, as the AMPL driver does."""
    env = _parse_assignments(shlex.split(os.environ.get("ipopt_options", "")))
    cmd = _parse_assignments(cmdline)
    merged = {**env, **cmd}
    opt_file = str(merged.get("option_file_name", "ipopt.opt"))
    if opt_file and os.path.isfile(opt_file):
        merged = {**read_option_file(opt_file), **merged}
    elif "option_file_name" in merged and opt_file:
        raise FileNotFoundError(f"Ipopt option file {opt_file!r} not found")
    return merged


def ipopt_options(opts: dict, info: NlInfo) -> tuple[dict, bool]:
    """Options for casadi's Ipopt and whether user scaling applies (``user-scaling``)."""
    ipopt = {k: v for k, v in opts.items() if k not in DRIVER_ONLY}
    # linear_solver goes to Ipopt as given: an HSL solver without libhsl, or an unknown
    # value, stops Ipopt before iterating (Invalid_Option), as with the real driver.
    ipopt["option_file_name"] = ""  # already read by collect_options
    user_scaling = ipopt.get("nlp_scaling_method") == "user-scaling"
    if user_scaling:
        # casadi's TNLP has no get_scaling_parameters: variable and constraint
        # factors are applied to the expressions (solve_nl), the objective factor
        # through obj_scaling_factor, which Ipopt combines the same way.
        ipopt["nlp_scaling_method"] = "none"
        obj = _scales(info.suffix("obj", "scaling_factor"), 1)[0]
        ipopt["obj_scaling_factor"] = float(ipopt.get("obj_scaling_factor", 1.0)) * obj
    return ipopt, user_scaling


def _scales(values: dict[int, float], n: int):
    import numpy as np

    scale = np.ones(n)
    for i, v in values.items():
        if v > 0.0:  # AmplTNLP::get_scaling_parameters ignores non-positive factors
            scale[i] = v
    return scale


def solve_nl(nl_path: str, opts: dict) -> tuple[NlInfo, dict | None, str]:
    """Solve a ``.nl`` file with casadi's Ipopt; returns (info, solution or None, status).

    With user scaling, Ipopt sees ``xs = sx * x`` and ``gs = sg * g(x)``; multipliers
    are mapped back (``lam = sg * lam_s``, ``z = sx * z_s``) as Ipopt's own
    user-scaling does. Multipliers follow AmplTNLP's sign conventions.
    """
    import numpy as np

    from idaes_ml.solvers.nl_problem import ipopt_solver, load_problem

    _TIMER.mark("import")
    info, nlp = load_problem(nl_path)
    _TIMER.mark("read_nl")
    if info.n_binary or info.n_integer:  # AmplTNLP's warning, word for word
        print(f"==> Warning: Treating {info.n_binary} binary and {info.n_integer} integer variables "
              "as continous.\n")
    ipopt, user_scaling = ipopt_options(opts, info)
    n, m = nlp.x.numel(), nlp.g.numel()
    sx = _scales(info.suffix("var", "scaling_factor"), n) if user_scaling else np.ones(n)
    sg = _scales(info.suffix("con", "scaling_factor"), m) if user_scaling else np.ones(m)

    # Warm start in Ipopt's sign convention (AmplTNLP::get_starting_point).
    sign = -1.0 if info.maximize else 1.0
    z_l = np.array([info.suffix("var", "ipopt_zL_in").get(i, 0.0) for i in range(n)])
    z_u = np.array([info.suffix("var", "ipopt_zU_in").get(i, 0.0) for i in range(n)])
    z_l, z_u = (-z_l, z_u) if info.maximize else (z_l, -z_u)
    args = dict(
        x0=nlp.x_init * sx,
        lbx=nlp.x_lb * sx,
        ubx=nlp.x_ub * sx,
        lbg=nlp.g_lb * sg,
        ubg=nlp.g_ub * sg,
        lam_x0=(z_u - z_l) / sx,
        lam_g0=-sign * nlp.lambda_init / sg,
    )
    options = {"ipopt": ipopt, "print_time": False}
    solver = ipopt_solver(nlp, options, (sx, sg) if user_scaling else None)
    sys.stdout.flush()
    _TIMER.mark("setup")
    res = solver(**args)
    _TIMER.mark("ipopt")
    status = solver.stats()["return_status"]
    if status in NO_SOLUTION:
        return info, None, status
    lam_x = np.asarray(res["lam_x"]).ravel() * sx
    lam_g = np.asarray(res["lam_g"]).ravel() * sg
    z_l, z_u = np.maximum(-lam_x, 0.0), np.maximum(lam_x, 0.0)
    if info.maximize:  # AmplTNLP::finalize_solution sign conventions
        z_l, duals = -z_l, lam_g
    else:
        z_u, duals = -z_u, -lam_g
    solution = {
        "x": (np.asarray(res["x"]).ravel() / sx).tolist(),
        "duals": duals.tolist(),
        "zL": dict(enumerate(z_l.tolist())),
        "zU": dict(enumerate(z_u.tolist())),
    }
    return info, solution, status


def _stub_path(args: list[str]) -> tuple[str, list[str]]:
    positional = [a for a in args if not a.startswith("-") and "=" not in a]
    if not positional:
        raise SystemExit("usage: ipopt stub[.nl] -AMPL [option=value ...] | ipopt --version")
    stub = positional[0]
    rest = [a for a in args if a != stub and not a.startswith("-")]
    return stub, rest


def main(argv: list[str] | None = None) -> int:
    """Run the driver (through the warm server when possible); returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-v", "--version", "-version"):
        print(version_banner())
        return 0
    from idaes_ml.solvers import server

    if server.enabled():
        code = server.run_remote(args)
        if code is not None:
            return code
    return run_local(args)


def run_local(args: list[str]) -> int:
    """Solve ``stub[.nl] [-AMPL] [key=value ...]`` in this process."""
    _TIMER.start()
    version = ipopt_version()
    stub, option_tokens = _stub_path(args)
    nl_path = stub if stub.endswith(".nl") or not os.path.isfile(stub + ".nl") else stub + ".nl"
    sol_path = (nl_path[:-3] if nl_path.endswith(".nl") else nl_path) + ".sol"
    try:
        opts = collect_options(option_tokens)
    except (FileNotFoundError, ValueError) as err:
        print(f"ipopt: {err}")
        return 1
    try:
        info, solution, status = solve_nl(nl_path, opts)
    except (RuntimeError, ValueError) as err:  # bad option or untranslatable model
        unknown = re.search(r"No such IPOPT option: (\S+)", str(err))
        print(f'Unknown keyword "{unknown.group(1)}"' if unknown else f"ipopt: {err}")
        return 1
    sys.stdout.flush()
    if solution is None:
        # ampl_ipopt.cpp returns 0 here too; Pyomo's IPOPT plugin then reads the
        # TOO_FEW_DEGREES_OF_FREEDOM line of the log instead of a .sol file.
        print(f"\nIpopt {version}: stopped ({status}); no solution file written.")
        return 2 if status == "Invalid_Option" else 0
    code, text = RESULTS.get(status, UNKNOWN_RESULT)
    message = f"Ipopt {version}: {text}"
    write_sol(
        sol_path,
        " \n" + message,
        solution["x"],
        solution["duals"],
        code,
        {"ipopt_zU_out": solution["zU"], "ipopt_zL_out": solution["zL"]},
    )
    _TIMER.mark("write_sol")
    print(f"\n{message}")
    _TIMER.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
