"""The reduced 0D particle model in numpy/scipy (the closure form), observation times and yields.

:func:`simulate_0d` is a lumped dry-wood particle heated by the oven
(``rho cp V dT/dt = A q(T)``) with the Miller–Bellan kinetics at that one
temperature; tar stays in the particle and cracks there; no reaction heat, no
moisture, no property change. Its activation energies ``E`` are the closure
parameters. The ground truth is :mod:`flowsheets.pyrolysis.particle`.
It integrates with scipy's BDF and raises :class:`SolveFailedError` naming the
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

from idaes_ml.errors import SolveFailedError
from flowsheets.pyrolysis.kinetics import E_BASE, M0, species_jacobian, species_rates
from flowsheets.pyrolysis.properties import WOOD, ParticleGeometry, WoodProperties, lumped_heating

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["OBS_TIMES", "YIELDS", "check_solution", "simulate_0d"]

#: Observation times [s] of the yield trajectories: dense early (small particles react in
#: fractions of a second), up to 40 s (the largest particles convert in ~30 s).
OBS_TIMES = np.concatenate([[0.0], np.geomspace(0.05, 40.0, 40)])
#: The yields reported (mass fractions of the initial particle), columns of every trajectory.
YIELDS = ["tar", "char", "gas"]
_YIELD_INDEX = [6, 8, 7]  # positions in kinetics.SPECIES


def check_solution(sol, what: str, params: dict) -> np.ndarray:
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
    geo = ParticleGeometry.from_feret(feret_mm, aspect)
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
    y = check_solution(sol, "0D particle", params).T
    return y if full else y[:, [1 + i for i in _YIELD_INDEX]]
