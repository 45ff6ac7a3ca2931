"""DMA-MR: direct methane aromatization in a membrane reactor, as a Pyomo.DAE model.

Isothermal tubular packed bed (900 °C, 1 atm) with a hydrogen-selective membrane wall;
helium sweeps the shell. Two reversible steps, 2 CH4 <-> C2H4 + 2 H2 and
3 C2H4 <-> C6H6 + 3 H2, with the kinetics, permeance (Sieverts-type, quarter-power
pressure driving force), selectivity, bed voidage and catalyst efficiency of
Carrasco & Lima (2017), "Novel operability-based approach for process design and
intensification: application to a membrane reactor for direct methane aromatization",
AIChE J. 63(3), 975-983 (rate constants k1 = 0.04 1/s, k1' = 6.40e6 cm3/(s mol),
k2 = 4.20 1/s, k2' = 56.38 cm3/(s mol); Q_H2 = 0.01e-4 mol/(s cm2 atm^1/4), selectivity
1500; feed 2/15 cm3/s CH4, sweep 1/6 cm3/s He), as also used in the opyrability DMA-MR example.

Design inputs: tube length ``L`` (cm) and diameter ``dt`` (cm); outputs: benzene
production ``F_C6H6`` (mg/h) and methane conversion ``X_CH4`` (%). The axial
coordinate is normalised (xi = z / L) so that ``L`` is an ordinary variable, and flows
are scaled by the methane feed. ``simulate`` integrates the same right-hand side with
SciPy (used to initialise the collocation model and to cross-check it); ``collocation``
solves the collocation model's own equations with NumPy, many designs at once (a dense
scan of the AIS, or the same equations for a tool that takes a Python function). The
equations need only NumPy and SciPy: Pyomo and idaes_ml are imported by the functions
that build models.

    >>> from flowsheets.operability.dma_mr import simulate
    >>> y = simulate(30.0, 1.0)      # doctest: +SKIP
"""

from __future__ import annotations

from math import pi, sqrt
from typing import TYPE_CHECKING

import numpy as np
from scipy.integrate import solve_ivp

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from numpy.typing import ArrayLike
    from pyomo.core.expr.numvalue import NumericValue

    from idaes_ml.operability.models import NetworkModel, PyomoInstance, PyomoModel
    from idaes_ml.operability.sets import Region
    from idaes_ml.parallel import ClientSpec

    #: A model quantity: a float (SciPy right-hand side) or a Pyomo variable/expression (collocation model).
    Term = float | NumericValue

R = 8.314e6                 # Pa cm3 / (K mol)
K1, K1_INV, K2, K2_INV = 0.04, 6.40e6, 4.20, 56.38
MM_B = 78.0                 # g/mol benzene
T = 1173.15                 # K
Q = 3600 * 0.01e-4          # mol / (h cm2 atm^1/4)
SELEC = 1500.0
PT = PS = 101325.0          # Pa
V0 = 3600 * 2 / 15          # cm3/h methane feed
FT0 = PT * V0 / (R * T)     # mol/h
F_HE = PS * 3600 / 6 / (R * T)
CAT = (1 - 0.5) * 0.9       # (1 - bed voidage) * catalyst efficiency
EPS = 1e-9                  # inlet trace of products (scaled), keeps rates and ^1/4 terms smooth
INPUTS, OUTPUTS = ("L", "dt"), ("F_C6H6", "X_CH4")
AIS_BOUNDS = {"L": (10.0, 100.0), "dt": (0.5, 2.0)}


def rhs(n: Sequence[Term] | np.ndarray, L: Term, dt: Term,
        power: Callable[[Term, float], Term] = lambda x, p: x**p) -> list[Term]:
    """d n / d xi for scaled flows ``n`` (tube CH4, C2H4, H2, C6H6; shell the same four)."""
    F = [FT0 * v for v in n]
    ft = F[0] + F[1] + F[2] + F[3]
    fs = F[4] + F[5] + F[6] + F[7] + F_HE
    v = V0 * ft / FT0
    C = [f / v for f in F[:4]]
    pt = [(PT / 101325) * f / ft for f in F[:4]]
    ps = [(PS / 101325) * f / fs for f in F[4:]]
    r0 = 3600 * (K1 * C[0] - K1_INV * C[1] * C[2] ** 2 / C[0])
    r1 = 3600 * (K2 * C[1] - K2_INV * C[3] * C[2] ** 3 / C[1] ** 2)
    at = 0.25 * pi * dt**2
    perm = [Q / SELEC, Q / SELEC, Q, Q / SELEC]
    flux = [perm[i] * (power(pt[i], 0.25) - power(ps[i], 0.25)) * pi * dt for i in range(4)]
    tube = [-CAT * r0 * at - flux[0], 0.5 * CAT * r0 * at - CAT * r1 * at - flux[1],
            CAT * r0 * at + CAT * r1 * at - flux[2], CAT * r1 * at / 3 - flux[3]]
    return [L * d / FT0 for d in tube + flux]


def outputs(n_end: Sequence[Term] | np.ndarray) -> tuple[Term, Term]:
    """Benzene production (mg/h) and methane conversion (%) from outlet scaled flows."""
    return n_end[3] * FT0 * 1000 * MM_B, 100 * (1 - n_end[0] - n_end[4])


def _n0() -> np.ndarray:
    return np.array([1.0] + [EPS] * 7)


def simulate(L: float, dt: float, xi: ArrayLike | None = None) -> np.ndarray | tuple[float, float]:
    """Integrate with SciPy (LSODA); returns outputs, or scaled flows at ``xi`` when given."""
    sol = solve_ivp(lambda s, n: rhs(np.maximum(n, 1e-30), L, dt), (0, 1), _n0(), method="LSODA",
                    rtol=1e-9, atol=1e-13, dense_output=True)
    if not sol.success:
        raise RuntimeError(f"DMA-MR integration failed: {sol.message}")
    return sol.sol(np.asarray(xi)).T if xi is not None else outputs(sol.y[:, -1])


def build(nfe: int = 20, ncp: int = 3, L: float = 30.0, dt: float = 1.0) -> PyomoInstance:
    """Collocation model (Radau, ``nfe`` elements x ``ncp`` points), initialised by SciPy at (L, dt)."""
    import pyomo.dae as dae
    import pyomo.environ as pyo

    from idaes_ml.operability.models import PyomoInstance

    m = pyo.ConcreteModel()
    m.xi = dae.ContinuousSet(bounds=(0, 1))
    m.S = pyo.RangeSet(0, 7)
    m.L = pyo.Var(initialize=L, bounds=(1.0, 500.0))
    m.dt = pyo.Var(initialize=dt, bounds=(0.05, 10.0))
    m.n = pyo.Var(m.xi, m.S, bounds=(0, 2), initialize=1e-3)
    m.dn = dae.DerivativeVar(m.n, wrt=m.xi)
    m.F_C6H6 = pyo.Var(initialize=1.0)
    m.X_CH4 = pyo.Var(initialize=10.0)
    pyo.TransformationFactory("dae.collocation").apply_to(m, nfe=nfe, ncp=ncp, scheme="LAGRANGE-RADAU")

    @m.Constraint(m.xi, m.S)
    def ode(m, s, i):
        if s == m.xi.first():
            return pyo.Constraint.Skip
        return m.dn[s, i] == rhs([m.n[s, j] for j in m.S], m.L, m.dt)[i]

    m.inlet = pyo.Constraint(m.S, rule=lambda m, i: m.n[0, i] == _n0()[i])
    y = outputs([m.n[1, j] for j in m.S])
    m.benzene = pyo.Constraint(expr=m.F_C6H6 == y[0])
    m.conversion = pyo.Constraint(expr=m.X_CH4 == y[1])
    pts = list(m.xi)
    prof = simulate(L, dt, pts)
    for k, s in enumerate(pts):
        for i in m.S:
            m.n[s, i].set_value(max(float(prof[k, i]), 0.0))
    m.F_C6H6.set_value(float(prof[-1, 3] * FT0 * 1000 * MM_B))
    m.X_CH4.set_value(float(100 * (1 - prof[-1, 0] - prof[-1, 4])))
    return PyomoInstance(m, [m.L, m.dt], [m.F_C6H6, m.X_CH4], [])


#: Radau IIA with three points (pyomo.dae's LAGRANGE-RADAU, ncp=3): abscissae and coefficients.
_S6 = sqrt(6.0)
RADAU_C = np.array([(4 - _S6) / 10, (4 + _S6) / 10, 1.0])
RADAU_A = np.array([[(88 - 7 * _S6) / 360, (296 - 169 * _S6) / 1800, (-2 + 3 * _S6) / 225],
                    [(296 + 169 * _S6) / 1800, (88 + 7 * _S6) / 360, (-2 - 3 * _S6) / 225],
                    [(16 - _S6) / 36, (16 + _S6) / 36, 1 / 9]])


def _rhs_rows(n: np.ndarray, L: np.ndarray, dt: np.ndarray) -> np.ndarray:
    """``rhs`` on rows of scaled flows (``n``: (..., 8); ``L``, ``dt`` broadcast to ``n[..., 0]``)."""
    return np.stack(rhs([np.maximum(n[..., i], 1e-30) for i in range(8)], L, dt), axis=-1)


def collocation(U: ArrayLike, nfe: int = 20, tol: float = 1e-10, max_newton: int = 100) -> np.ndarray:
    """Outputs (F_C6H6, X_CH4) of the collocation model ``build(nfe, 3)`` at each row (L, dt) of
    ``U``: the same Radau equations, solved element by element by Newton's method (NumPy,
    vectorized over the rows; Jacobians by forward differences). Rows whose Newton iterations
    do not converge are NaN."""
    U = np.atleast_2d(np.asarray(U, float))
    N, h = len(U), 1.0 / nfe
    x0 = np.tile(_n0(), (N, 1))
    ok = np.ones(N, bool)
    eye = np.eye(24)
    for _ in range(nfe):
        Z = np.repeat(x0[:, None, :], 3, axis=1)  # (N, 3 stages, 8)
        todo = ok.copy()
        for _ in range(max_newton):
            if not todo.any():
                break
            z, start = Z[todo], x0[todo]
            L, dt = U[todo, :1], U[todo, 1:2]  # broadcast over the three stages
            F = _rhs_rows(z, L, dt)
            R = (z - start[:, None, :] - h * np.einsum("kj,nji->nki", RADAU_A, F)).reshape(-1, 24)
            step = 1e-7 * np.maximum(np.abs(z), 1e-8)
            J = np.empty((len(z), 3, 8, 8))  # d F_stage / d Z_stage
            for i in range(8):
                zp = z.copy()
                zp[..., i] += step[..., i]
                J[..., i] = (_rhs_rows(zp, L, dt) - F) / step[..., i, None]
            M = eye - h * np.einsum("kj,njab->nkajb", RADAU_A, J).reshape(-1, 24, 24)
            bad = ~(np.isfinite(M).all(axis=(1, 2)) & np.isfinite(R).all(axis=1))
            M[bad], R[bad] = eye, 0.0
            try:
                dz = np.linalg.solve(M, -R[..., None])[..., 0].reshape(-1, 3, 8)
            except np.linalg.LinAlgError:  # a singular row: solve row by row, NaN where singular
                dz = np.stack([_solve_or_nan(a, -r) for a, r in zip(M, R)]).reshape(-1, 3, 8)
            Z[todo] = np.where(z + dz > 0, z + dz, 0.1 * z)  # positive flows: at most a tenfold drop per step
            size = np.abs(dz).max(axis=(1, 2))
            idx = np.flatnonzero(todo)
            ok[idx[bad | ~np.isfinite(size)]] = False
            todo[idx[(size < tol) | bad | ~np.isfinite(size)]] = False
        ok &= ~todo  # still iterating after max_newton
        x0 = Z[:, -1, :]
    Y = np.column_stack(outputs(x0.T))
    Y[~ok] = np.nan
    return Y


def _solve_or_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.full(len(b), np.nan)


def pyomo_model(nfe: int = 20, ncp: int = 3) -> PyomoModel:
    """The DMA-MR as an operability model (warm-started Ipopt solves per design point)."""
    import functools

    from idaes_ml.operability.models import PyomoModel

    return PyomoModel(functools.partial(build, nfe, ncp), INPUTS, OUTPUTS, solver_options={"max_iter": 300})


def ais() -> Region:
    """Design space: 10 <= L <= 100 cm, 0.5 <= dt <= 2 cm."""
    from idaes_ml.operability.sets import Region

    return Region.box(AIS_BOUNDS, name="AIS")


def _simulate_row(u) -> tuple:
    return simulate(float(u[0]), float(u[1]))


def network_model(directory: str | Path | None = None, n_train: int = 300, seed: int = 0, max_epochs: int = 1500,
                  client: ClientSpec = None) -> NetworkModel:
    """Network surrogate of the DMA-MR (MLP on SciPy simulations of the same equations).

    Loads ``dma_mr.onnx`` from ``directory`` (default: the shipped ``data/`` folder),
    training and exporting it there first when absent.
    """
    from pathlib import Path

    import pandas as pd

    from idaes_ml import parallel
    from idaes_ml.nn import MLPRegressor, export_onnx
    from idaes_ml.operability.models import NetworkModel
    from idaes_ml.sampling import latin_hypercube

    directory = Path(directory) if directory is not None else Path(__file__).resolve().parent / "data"
    if not (directory / "dma_mr.onnx").exists():
        X = latin_hypercube(AIS_BOUNDS, n_train, seed=seed)
        Y = pd.DataFrame(parallel.map(_simulate_row, X.to_numpy(), client=client, desc="DMA-MR data").values(),
                         columns=list(OUTPUTS), dtype=float)
        est = MLPRegressor(hidden=(24, 24), activation="tanh", learning_rate=5e-3, max_epochs=max_epochs,
                           batch_size=32, patience=200, seed=seed, progress=False).fit(X, Y)
        export_onnx(est, directory, "dma_mr", input_bounds=AIS_BOUNDS)
    return NetworkModel(directory, "dma_mr")
