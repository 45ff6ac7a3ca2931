"""The two particle models in numpy/scipy: the 0D lumped closure form and the 1-D ground truth.

* :func:`simulate_0d` — the reduced model: a lumped particle heated by the oven
  (``rho cp V dT/dt = A q(T)``) with the Miller–Bellan kinetics at that one
  temperature; its activation energies ``E`` are the closure parameters.
* :func:`simulate_1d` — the higher-fidelity model playing COMSOL's role:
  transient conduction ``rho cp dT/dt = r^-n d/dr(k r^n dT/dr)`` by the method of
  lines (finite volumes, ``n_nodes`` shells), the same kinetics in every shell,
  yields integrated over the particle volume. Its internal temperature gradients
  are what the 0D form cannot represent with the baseline kinetics.

Both integrate with scipy's BDF and raise :class:`SolveFailedError` naming the
offending parameters when the integration fails or produces non-finite values::

    >>> from flowsheets.pyrolysis.models import simulate_0d, OBS_TIMES
    >>> y = simulate_0d(780.0, 1.0, 4.0)
    >>> y.shape == (len(OBS_TIMES), 3)
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.integrate import solve_ivp
from scipy.sparse import lil_matrix

from idaes_ml.errors import SolveFailedError
from flowsheets.pyrolysis.kinetics import E_BASE, M0, species_jacobian, species_rates
from flowsheets.pyrolysis.properties import (STEFAN_BOLTZMANN, WOOD, ParticleGeometry, WoodProperties,
                                             lumped_heating)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["OBS_TIMES", "YIELDS", "simulate_0d", "simulate_1d", "shell_volumes"]

#: Observation times [s] of the yield trajectories: dense early (small particles react in
#: fractions of a second), up to 40 s (the largest particles convert in ~30 s).
OBS_TIMES = np.concatenate([[0.0], np.geomspace(0.05, 40.0, 40)])
#: The yields reported (mass fractions of the initial particle), columns of every trajectory.
YIELDS = ["tar", "char", "gas"]
_YIELD_INDEX = [6, 8, 7]  # positions in kinetics.SPECIES


def _check(sol, what: str, params: dict) -> np.ndarray:
    """Raise SolveFailedError (with the parameters) unless ``sol`` succeeded with finite values."""
    if sol.status != 0:
        raise SolveFailedError(f"{what} integration failed at {params}: {sol.message}", status=str(sol.status))
    if not np.all(np.isfinite(sol.y)):
        raise SolveFailedError(f"{what} produced non-finite states at {params}", status="nonfinite")
    return sol.y


def simulate_0d(T_oven: float, feret_mm: float, aspect: float, E: ArrayLike = E_BASE,
                t_eval: np.ndarray = OBS_TIMES,
                props: WoodProperties = WOOD, rtol: float = 1e-8, atol: float = 1e-10,
                full: bool = False) -> np.ndarray:
    """Yield trajectories ``(len(t_eval), 3)`` [tar, char, gas] of the lumped particle.

    ``E`` are the 10 activation energies [kJ/mol]; ``full`` returns the whole
    state ``(len(t_eval), 10)`` = [T, 9 mass fractions] instead.
    """
    geo = ParticleGeometry.from_feret(feret_mm, aspect, props)
    E = np.asarray(E, dtype=float)
    a_over_v = 1.0 / geo.volume_to_surface

    def rhs(t, y):
        T, m = y[0], y[1:]
        return np.array([lumped_heating(T, T_oven, a_over_v, props)[0], *species_rates(T, m, E)])

    def jac(t, y):
        T, m = y[0], y[1:]
        J = np.zeros((10, 10))
        J[0, 0] = lumped_heating(T, T_oven, a_over_v, props)[1]
        entries, dT = species_jacobian(T, m, E)
        for i, j, v in entries:
            J[1 + i, 1 + j] = v
        J[1:, 0] = dT
        return J

    y0 = np.concatenate([[props.T_initial], M0])
    params = {"T_oven": T_oven, "feret_mm": feret_mm, "aspect": aspect, "E": E.round(3).tolist()}
    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), y0, method="BDF", t_eval=t_eval, jac=jac,
                    rtol=rtol, atol=atol)
    y = _check(sol, "0D particle", params).T
    return y if full else y[:, [1 + i for i in _YIELD_INDEX]]


def shell_volumes(n_nodes: int, radius: float, shape: float) -> tuple[np.ndarray, np.ndarray]:
    """Face radii ``(n_nodes+1,)`` and shell volume weights ``(n_nodes,)`` (per unit ``r^n`` measure)."""
    faces = np.linspace(0.0, radius, n_nodes + 1)
    vol = (faces[1:] ** (shape + 1) - faces[:-1] ** (shape + 1)) / (shape + 1)
    return faces, vol


def simulate_1d(T_oven: float, feret_mm: float, aspect: float, n_nodes: int = 20, t_eval: np.ndarray = OBS_TIMES,
                props: WoodProperties = WOOD, rtol: float = 1e-6, atol: float = 1e-9,
                full: bool = False) -> np.ndarray:
    """Volume-integrated yield trajectories ``(len(t_eval), 3)`` of the conducting particle.

    Shells of equal thickness; the surface flux uses the linearized radiative
    coefficient at the outer shell in series with the half-shell conduction
    resistance. ``full`` returns ``(len(t_eval), 1 + 9)`` = [mean T, integrated masses].
    """
    geo = ParticleGeometry.from_feret(feret_mm, aspect, props)
    N, n, k = n_nodes, geo.shape, geo.conductivity
    faces, vol = shell_volumes(N, geo.radius, n)
    dr = geo.radius / N
    area = faces**n                      # face area per unit r^n measure
    g_inner = k * area[1:-1] / dr        # conductance between shells i and i+1
    sig_eps = props.emissivity * STEFAN_BOLTZMANN

    def rhs(t, y):
        T, m = y[:N], y[N:].reshape(9, N)
        flux = np.zeros(N + 1)
        flux[1:-1] = g_inner * (T[:-1] - T[1:])          # outward heat flow through inner faces
        h_eff = props.h_conv + sig_eps * (T_oven**2 + T[-1] ** 2) * (T_oven + T[-1])
        flux[-1] = -area[-1] * (T_oven - T[-1]) / (1.0 / h_eff + 0.5 * dr / k)
        dT = (flux[:-1] - flux[1:]) / (vol * props.density * props.cp(T))
        return np.concatenate([dT, np.concatenate(species_rates(T, m, E_BASE))])

    y0 = np.concatenate([np.full(N, props.T_initial), np.repeat(M0, N)])
    params = {"T_oven": T_oven, "feret_mm": feret_mm, "aspect": aspect, "n_nodes": N}
    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), y0, method="BDF", t_eval=t_eval,
                    jac_sparsity=_sparsity(N), rtol=rtol, atol=atol)
    y = _check(sol, "1-D particle", params)
    w = vol / vol.sum()
    T_mean = w @ y[:N]
    masses = np.einsum("n,snt->st", w, y[N:].reshape(9, N, -1))
    out = np.vstack([T_mean, masses]).T
    return out if full else out[:, [1 + i for i in _YIELD_INDEX]]


def _sparsity(N: int):
    """Jacobian sparsity of the 1-D model: tridiagonal conduction, per-shell kinetics."""
    S = lil_matrix((10 * N, 10 * N), dtype=int)
    for i in range(N):
        for j in (i - 1, i, i + 1):
            if 0 <= j < N:
                S[i, j] = 1
        for s in range(9):
            row = N + s * N + i
            S[row, i] = 1
            for s2 in range(9):
                S[row, N + s2 * N + i] = 1
    return S.tocsr()
