"""Read the parts of an AMPL ``.nl`` file that casadi does not, and write AMPL ``.sol`` files.

``casadi.NlpBuilder.import_nl`` parses the expression graph of a text ``.nl`` file
but rejects ``#`` comments and ``S`` (suffix) segments. :func:`read_nl` strips both,
keeping the suffix values and the objective sense, which the Ipopt AMPL driver
needs (scaling factors, bound-multiplier warm starts, sign conventions). It also
takes out the linear parts (``J`` segments of the constraints, the ``G`` segment of
objective 0) as coefficient arrays: they become one sparse matrix instead of
thousands of scalar expressions (a full-space network's weight matrices).
:func:`write_sol` writes the ASCII ``.sol`` format of the AMPL Solver Library's
``write_sol`` as Pyomo's readers (``pyomo.opt.plugins.sol`` and
``pyomo.contrib.solver.solvers.asl_sol_reader``) parse it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported lazily: ``ipopt --version`` must stay fast
    import numpy as np

SUFFIX_TARGETS = ("var", "con", "obj", "prob")


@dataclass
class LinearTerms:
    """The linear part of some rows: ``vals[k] * x[cols[k]]`` in row ``rows[k]``."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray


@dataclass
class NlInfo:
    """What :func:`read_nl` learned from a ``.nl`` file besides its expressions."""

    n_var: int
    n_con: int
    n_obj: int
    #: Discrete variables (header line 7): binary, and integer ones of every kind.
    n_binary: int = 0
    n_integer: int = 0
    maximize: bool = False
    #: ``suffixes[target][name] = {index: value}`` with target in SUFFIX_TARGETS.
    suffixes: dict[str, dict[str, dict[int, float]]] = field(
        default_factory=lambda: {t: {} for t in SUFFIX_TARGETS}
    )
    #: Linear parts of the constraints (``J`` segments) and of objective 0 (``G``, row 0).
    linear_g: LinearTerms | None = None
    linear_f: LinearTerms | None = None

    def suffix(self, target: str, name: str) -> dict[int, float]:
        """Values of suffix ``name`` on ``target`` components ({} when absent)."""
        return self.suffixes[target].get(name, {})


def read_nl(path: str) -> tuple[NlInfo, str]:
    """Parse header, objective sense, suffixes and linear parts of a text ``.nl`` file.

    Returns the info and the file text with comments, ``S``, ``J`` and ``G`` segments
    removed, ready for ``casadi.NlpBuilder().import_nl``: the expressions it holds
    are the nonlinear parts only.
    """
    import numpy as np

    with open(path, encoding="ascii") as fh:
        lines = [ln.split("#", 1)[0].rstrip() for ln in fh.read().splitlines()]
    if not lines or not lines[0].startswith("g"):
        raise ValueError(f"{path}: not a text (g-format) .nl file; header {lines[:1]!r}")
    counts = lines[1].split()
    discrete = [int(v) for v in lines[6].split()[:5]]  # nbv niv nlvbi nlvci nlvoi
    info = NlInfo(n_var=int(counts[0]), n_con=int(counts[1]), n_obj=int(counts[2]),
                  n_binary=discrete[0], n_integer=sum(discrete[1:]))
    kept: list[str] = lines[:10]
    rows: list[int] = []  # J segment row of each linear term
    jac_terms: list[str] = []
    grad_terms: list[str] = []
    i = 10
    while i < len(lines):
        line = lines[i]
        seg = line[:1]
        if seg in ("S", "J", "G"):
            fields = line[1:].split()
            count = int(fields[1])
            block = lines[i + 1 : i + 1 + count]
            if seg == "S":
                values = {}
                for entry in block:
                    idx, val = entry.split()[:2]
                    values[int(idx)] = float(val)
                info.suffixes[SUFFIX_TARGETS[int(fields[0]) & 3]][fields[2]] = values
            elif seg == "J":
                rows += [int(fields[0])] * count
                jac_terms += block
            elif fields[0] == "0":  # G segment of objective 0
                grad_terms = block
            i += count + 1
            continue
        if seg == "O":
            obj, sense = line[1:].split()[:2]
            if obj == "0":  # the driver optimizes objective 0, as Ipopt's does
                info.maximize = sense == "1"
        kept.append(line)
        i += 1
    jac = np.array(" ".join(jac_terms).split(), dtype=float).reshape(-1, 2)
    grad = np.array(" ".join(grad_terms).split(), dtype=float).reshape(-1, 2)
    info.linear_g = LinearTerms(np.array(rows, dtype=int), jac[:, 0].astype(int), jac[:, 1])
    info.linear_f = LinearTerms(np.zeros(len(grad), dtype=int), grad[:, 0].astype(int), grad[:, 1])
    return info, "\n".join(kept) + "\n"


def _suffix_block(name: str, kind: int, values: dict[int, float]) -> list[str]:
    nonzero = [(i, v) for i, v in sorted(values.items()) if v != 0.0]
    if not nonzero:
        return []
    lines = [f"suffix {kind} {len(nonzero)} {len(name) + 1} 0 0", name]
    lines += [f"{i} {v!r}" for i, v in nonzero]
    return lines


def write_sol(
    path: str,
    message: str,
    primals: list[float],
    duals: list[float],
    solve_result_num: int,
    var_suffixes: dict[str, dict[int, float]] | None = None,
) -> None:
    """Write an AMPL ``.sol`` file (atomically) as the ASL's ``write_sol`` does.

    ``var_suffixes`` are real-valued variable suffixes (e.g. ``ipopt_zL_out``);
    like the ASL, only nonzero entries are written.
    """
    lines = [message, "", "Options", "3", "1", "1", "0"]
    lines += [str(len(duals)), str(len(duals)), str(len(primals)), str(len(primals))]
    lines += [repr(float(v)) for v in duals]
    lines += [repr(float(v)) for v in primals]
    lines.append(f"objno 0 {solve_result_num}")
    for name, values in (var_suffixes or {}).items():
        lines += _suffix_block(name, 4, values)  # 4 = real-valued, on variables
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
