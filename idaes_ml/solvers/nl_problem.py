"""Turn a text AMPL ``.nl`` file into a casadi SX problem and casadi's Ipopt for it.

:func:`load_problem` reads the nonlinear parts (``C``/``O``/``V`` segments) with
casadi's C++ importer (``NlpBuilder.import_nl``) when it can and falls back to
:func:`parse_nl`, a Python reader of the text ``.nl`` format (D. M. Gay, "Writing
.nl Files", Sandia report SAND2005-7907P, 2005) that also covers what casadi
rejects: if-then-else (``Expr_if``), comparisons and logic inside it,
``asinh``/``acosh``/``atanh``, ``atan2``, min/max lists. External functions (``F``
segments), logical constraints and complementarities are refused with a message.
The linear parts (``J``/``G`` segments, read by :func:`read_nl`) are kept as sparse
constant matrices. In both paths a maximized objective is negated, as casadi's
importer does.

:func:`ipopt_solver` hands casadi's Ipopt the constraint Jacobian as the symbolic
Jacobian of the nonlinear parts plus the constant linear matrix, and the Hessian
of the Lagrangian of the nonlinear parts alone. Left to itself casadi would
differentiate the linear terms as scalar expressions, one graph sweep per Jacobian
colour: most of the setup time of a full-space network's weight matrices.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import casadi as ca
import numpy as np

from idaes_ml.solvers.nl_file import LinearTerms, NlInfo, read_nl

INF = float("inf")

UNARY = {
    13: ca.floor, 14: ca.ceil, 15: ca.fabs, 16: lambda a: -a, 34: ca.logic_not,
    37: ca.tanh, 38: ca.tan, 39: ca.sqrt, 40: ca.sinh, 41: ca.sin, 42: ca.log10,
    43: ca.log, 44: ca.exp, 45: ca.cosh, 46: ca.cos, 47: ca.atanh, 49: ca.atan,
    50: ca.asinh, 51: ca.asin, 52: ca.acosh, 53: ca.acos,
    58: lambda a: ca.if_else(a >= 0, ca.floor(a), ca.ceil(a)),
}
BINARY = {
    0: lambda a, b: a + b, 1: lambda a, b: a - b, 2: lambda a, b: a * b,
    3: lambda a, b: a / b, 4: ca.fmod, 5: lambda a, b: a**b,
    6: lambda a, b: ca.fmax(a - b, 0), 20: ca.logic_or, 21: ca.logic_and,
    22: lambda a, b: a < b, 23: lambda a, b: a <= b, 24: lambda a, b: a == b,
    28: lambda a, b: a >= b, 29: lambda a, b: a > b, 30: lambda a, b: a != b,
    48: ca.atan2, 55: lambda a, b: ca.floor(a / b),
    57: lambda a, b: ca.floor(a * 10**b + 0.5) / 10**b,
}
NARY = {11: ca.mmin, 12: ca.mmax, 54: ca.sum1}


class NlTranslationError(ValueError):
    """The .nl file uses a construct this driver cannot translate."""


@dataclass
class NlProblem:
    """An NLP as Ipopt sees it: min f(x) + c'x s.t. g_lb <= g(x) + A x <= g_ub, x_lb <= x <= x_ub.

    ``f`` and ``g`` are the nonlinear parts, ``a`` (m x n) and ``c`` (n x 1) the
    linear ones, as sparse constant matrices.
    """

    x: ca.SX
    f: ca.SX
    g: ca.SX
    a: ca.DM
    c: ca.DM
    x_lb: np.ndarray
    x_ub: np.ndarray
    g_lb: np.ndarray
    g_ub: np.ndarray
    x_init: np.ndarray
    lambda_init: np.ndarray


def _bounds(lines: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.full(len(lines), -INF), np.full(len(lines), INF)
    for i, line in enumerate(lines):
        code, *vals = line.split()
        if code == "0":
            lo[i], hi[i] = float(vals[0]), float(vals[1])
        elif code == "1":
            hi[i] = float(vals[0])
        elif code == "2":
            lo[i] = float(vals[0])
        elif code == "4":
            lo[i] = hi[i] = float(vals[0])
        elif code == "5":
            raise NlTranslationError("complementarity constraints are not supported")
    return lo, hi


class _Reader:
    """Prefix-notation expression reader over the lines of an .nl file."""

    def __init__(self, lines: list[str], x: ca.SX, n_var: int) -> None:
        self.lines, self.pos, self.x, self.n_var = lines, 0, x, n_var
        self.defined: dict[int, ca.SX] = {}

    def take(self) -> str:
        line = self.lines[self.pos]
        self.pos += 1
        return line

    def expr(self) -> ca.SX:
        tok = self.take()
        kind, rest = tok[0], tok[1:]
        if kind == "n":
            return ca.SX(float(rest))
        if kind == "v":
            i = int(rest)
            return self.x[i] if i < self.n_var else self.defined[i]
        if kind == "o":
            op = int(rest)
            if op in UNARY:
                return UNARY[op](self.expr())
            if op in BINARY:
                a = self.expr()
                return BINARY[op](a, self.expr())
            if op in NARY:
                args = [self.expr() for _ in range(int(self.take()))]
                return NARY[op](ca.vertcat(*args))
            if op in (35, 65):  # if-then-else (65: logical-valued)
                cond = self.expr()
                then = self.expr()
                return ca.if_else(cond, then, self.expr())
            raise NlTranslationError(f"unsupported .nl operator o{op}")
        if kind == "f":
            raise NlTranslationError("external functions (AMPL 'f' calls) are not supported")
        raise NlTranslationError(f"unexpected .nl expression token {tok!r}")


def _linear(terms: LinearTerms, rows: int, cols: int) -> ca.DM:
    """Sparse constant matrix of ``terms``; zero coefficients (Pyomo lists nonlinear-only
    variables with 0) are left out, as casadi's own ``0 * x`` simplification does."""
    keep = terms.vals != 0.0
    return ca.DM.triplet(terms.rows[keep].tolist(), terms.cols[keep].tolist(),
                         ca.DM(terms.vals[keep]), rows, cols)


def _problem(info: NlInfo, x: ca.SX, f: ca.SX, g: ca.SX, bounds: list[np.ndarray],
             x0: np.ndarray, lam0: np.ndarray) -> NlProblem:
    """Assemble an :class:`NlProblem` with the linear parts from ``info``."""
    n, m = info.n_var, info.n_con
    c = _linear(info.linear_f, 1, n).T
    return NlProblem(x, f, g, _linear(info.linear_g, m, n), -c if info.maximize else c,
                     *bounds, x0, lam0)


def parse_nl(text: str, info: NlInfo) -> NlProblem:
    """Build an :class:`NlProblem` from stripped ``.nl`` text (see :func:`read_nl`)."""
    lines = text.splitlines()
    n, m = info.n_var, info.n_con
    x = ca.SX.sym("x", n)
    reader = _Reader(lines, x, n)
    body: dict[int, ca.SX] = {}
    f = ca.SX(0)
    x0, lam0 = np.zeros(n), np.zeros(m)
    x_lb, x_ub = np.full(n, -INF), np.full(n, INF)
    g_lb, g_ub = np.full(m, -INF), np.full(m, INF)
    reader.pos = 10
    while reader.pos < len(lines):
        head = reader.take()
        if not head:
            continue
        seg, fields = head[0], head[1:].split()
        if seg == "C":
            body[int(fields[0])] = reader.expr()
        elif seg == "O":
            if int(fields[0]) == 0:
                f = reader.expr()
            else:
                reader.expr()
        elif seg == "V":
            i, n_lin = int(fields[0]), int(fields[1])
            terms = [reader.take().split() for _ in range(n_lin)]
            value = reader.expr()
            for j, coef in terms:
                value = value + float(coef) * x[int(j)]
            reader.defined[i] = value
        elif seg in "xd":
            target = x0 if seg == "x" else lam0
            for _ in range(int(fields[0])):
                i, val = reader.take().split()
                target[int(i)] = float(val)
        elif seg == "r":
            g_lb, g_ub = _bounds([reader.take() for _ in range(m)])
        elif seg == "b":
            x_lb, x_ub = _bounds([reader.take() for _ in range(n)])
        elif seg == "k":
            reader.pos += int(fields[0])
        elif seg == "F":
            raise NlTranslationError(
                f"external function {fields[-1]!r} (AMPL 'F' segment) is not supported"
            )
        elif seg == "L":
            raise NlTranslationError("logical constraints are not supported")
        else:
            raise NlTranslationError(f"unsupported .nl segment {head!r}")
    g = ca.vertcat(*[body.get(i, ca.SX(0)) for i in range(m)]) if m else ca.SX(0, 1)
    return _problem(info, x, -f if info.maximize else f, g, [x_lb, x_ub, g_lb, g_ub], x0, lam0)


def _casadi_import(path: str, info: NlInfo, text: str) -> NlProblem:
    stripped = f"{path}.casadi{os.getpid()}.nl"
    with open(stripped, "w", encoding="ascii") as fh:
        fh.write(text)
    try:
        nlp = ca.NlpBuilder()
        nlp.import_nl(stripped, {"verbose": False})
    finally:
        os.remove(stripped)
    x = ca.vertcat(*nlp.x)
    g = ca.vertcat(*nlp.g) if nlp.g else ca.MX(0, 1)
    fun = ca.Function("nl", [x], [nlp.f if info.n_obj else ca.MX(0), g]).expand()
    xs = ca.SX.sym("x", len(nlp.x))
    f_x, g_x = fun(xs)
    bounds = [np.asarray(v, float) for v in (nlp.x_lb, nlp.x_ub, nlp.g_lb, nlp.g_ub)]
    return _problem(info, xs, f_x, g_x, bounds,
                    np.asarray(nlp.x_init, float), np.asarray(nlp.lambda_init, float))


def load_problem(path: str) -> tuple[NlInfo, NlProblem]:
    """Read ``path``: casadi's importer first, the Python reader where casadi refuses."""
    info, text = read_nl(path)
    try:
        return info, _casadi_import(path, info, text)
    except RuntimeError:
        return info, parse_nl(text, info)


def ipopt_solver(nlp: NlProblem, options: dict,
                 scaling: tuple[np.ndarray, np.ndarray] | None = None) -> ca.Function:
    """casadi's Ipopt (``nlpsol``) for ``nlp`` with ``options`` (casadi's, ``ipopt`` included).

    With ``scaling = (x_scale, g_scale)`` Ipopt sees ``xs = x_scale * x`` and
    ``g_scale * (g(x) + A x)``. Derivatives are SX functions of the nonlinear parts
    (Hessian of the Lagrangian: its upper triangle, as casadi's own
    ``triu:hess:gamma:x:x``); MX functions add the linear parts as sparse matrix
    products, so that no SX graph holds them.
    """
    x, f, g, a, c = nlp.x, nlp.f, nlp.g, nlp.a, nlp.c
    if scaling is not None:
        sx, sg = (ca.DM(s) for s in scaling)
        x = ca.SX.sym("x", x.numel())
        f, g = ca.Function("nl", [nlp.x], [f, g])(x / sx)
        g = sg * g
        a = ca.mtimes(ca.mtimes(ca.diag(sg), a), ca.diag(1.0 / sx))
        c = c / sx
    xm, p = ca.MX.sym("x", x.numel()), ca.MX.sym("p", 0)
    f_x, g_x = ca.Function("nl_fg", [x], [f, g])(xm)
    f_x, g_x = f_x + ca.dot(c, xm), g_x + ca.mtimes(a, xm)
    grad = ca.Function("nl_grad", [x], [ca.gradient(f, x)])(xm) + c
    jac = ca.Function("nl_jac", [x], [ca.jacobian(g, x)])(xm) + a
    opts = {
        **options,
        "grad_f": ca.Function("nlp_grad_f", [xm, p], [f_x, ca.densify(grad)]),
        "jac_g": ca.Function("nlp_jac_g", [xm, p], [g_x, jac]),
    }
    if options.get("ipopt", {}).get("hessian_approximation") != "limited-memory":
        lam_f, lam_g = ca.SX.sym("lam_f"), ca.SX.sym("lam_g", g.numel())
        hess = ca.triu(ca.hessian(lam_f * f + ca.dot(lam_g, g), x)[0])
        opts["hess_lag"] = ca.Function("nlp_hess_l", [x, ca.SX.sym("p", 0), lam_f, lam_g], [hess])
    oracle = ca.Function("nlp", [xm, p], [f_x, g_x], ["x", "p"], ["f", "g"])
    return ca.nlpsol("ipopt", "ipopt", oracle, opts)
