"""Turn a text AMPL ``.nl`` file into a casadi SX problem.

:func:`load_problem` uses casadi's C++ importer (``NlpBuilder.import_nl``) when it can
and falls back to :func:`parse_nl`, a Python reader of the text ``.nl`` format
(D. M. Gay, "Writing .nl Files", Sandia report SAND2005-7907P, 2005) that also covers
what casadi rejects: if-then-else (``Expr_if``), comparisons and logic inside it,
``asinh``/``acosh``/``atanh``, ``atan2``, min/max lists. External functions (``F``
segments), logical constraints and complementarities are refused with a message.
In both paths a maximized objective is negated, as casadi's importer does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import casadi as ca
import numpy as np

from idaes_ml.solvers.nl_file import NlInfo, read_nl

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
    """An NLP as Ipopt sees it: min f(x) s.t. g_lb <= g(x) <= g_ub, x_lb <= x <= x_ub."""

    x: ca.SX
    f: ca.SX
    g: ca.SX
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

    def __init__(self, lines: list[str], x: ca.SX, n_var: int):
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


def parse_nl(text: str, info: NlInfo) -> NlProblem:
    """Build an :class:`NlProblem` from stripped ``.nl`` text (see :func:`read_nl`)."""
    lines = text.splitlines()
    n, m = info.n_var, info.n_con
    x = ca.SX.sym("x", n)
    reader = _Reader(lines, x, n)
    body: dict[int, ca.SX] = {}
    f = ca.SX(0)
    linear: dict[tuple[str, int], list[tuple[int, float]]] = {}
    x0, lam0 = np.zeros(n), np.zeros(m)
    x_lb = x_ub = g_lb = g_ub = None
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
        elif seg in "JG":
            i, count = int(fields[0]), int(fields[1])
            terms = [reader.take().split() for _ in range(count)]
            if seg == "J" or i == 0:
                linear[(seg, i)] = [(int(j), float(c)) for j, c in terms]
        elif seg == "F":
            raise NlTranslationError(
                f"external function {fields[-1]!r} (AMPL 'F' segment) is not supported"
            )
        elif seg == "L":
            raise NlTranslationError("logical constraints are not supported")
        else:
            raise NlTranslationError(f"unsupported .nl segment {head!r}")

    def linear_part(seg: str, rows: int) -> ca.SX:
        trip = [(i, j, c) for (s, i), terms in linear.items() if s == seg for j, c in terms]
        if not trip:
            return ca.SX(rows, 1)
        r, c, v = zip(*trip)
        a = ca.DM.triplet(list(r), list(c), ca.DM(list(v)), rows, n)
        return ca.mtimes(a, x)

    g = ca.vertcat(*[body.get(i, ca.SX(0)) for i in range(m)]) + linear_part("J", m)
    f = f + linear_part("G", 1)  # only objective 0 is optimized
    empty = (np.full(0, -INF), np.full(0, INF))
    x_lb, x_ub = (x_lb, x_ub) if x_lb is not None else (np.full(n, -INF), np.full(n, INF))
    g_lb, g_ub = (g_lb, g_ub) if g_lb is not None else empty
    return NlProblem(x, -f if info.maximize else f, g,
                     x_lb, x_ub, g_lb, g_ub, x0, lam0)


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
    return NlProblem(
        xs, f_x, g_x,
        np.asarray(nlp.x_lb, float), np.asarray(nlp.x_ub, float),
        np.asarray(nlp.g_lb, float), np.asarray(nlp.g_ub, float),
        np.asarray(nlp.x_init, float), np.asarray(nlp.lambda_init, float),
    )


def load_problem(path: str) -> tuple[NlInfo, NlProblem]:
    """Read ``path``: casadi's importer first, the Python reader where casadi refuses."""
    info, text = read_nl(path)
    try:
        return info, _casadi_import(path, info, text)
    except RuntimeError:
        return info, parse_nl(text, info)
