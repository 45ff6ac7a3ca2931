"""High-fidelity 1-D particle model: the ground truth of the seed-003 closure study.

Finite volumes (``n_nodes`` shells of equal thickness on the equivalent body of
:class:`ParticleGeometry`), method of lines, scipy BDF. Per shell the states are
the temperature, the seven solid species of the Miller–Bellan scheme
(virgin and active cellulose/hemicellulose/lignin, char) and moisture, all as
mass per volume relative to the initial apparent density. Physics the 0D model
does not have:

* **heats of reaction** — the tar- and char-forming primary steps absorb
  ``heat_primary`` per kg of active solid converted;
* **moisture and drying** — Arrhenius evaporation (Chan et al. 1985) with the
  latent heat;
* **volatile escape** — tar, gas and vapour leave outward through the pores
  (quasi-steady: no pore-gas storage, so a shell's outflow is everything made
  inside it); they carry their sensible heat (``-G cp_g dT/dr``, upwind), and tar
  cracks to gas (Miller–Bellan ``k4``) *in the pore gas* with the residence time
  ``tau = eps rho_g V / G`` of each shell (each shell is a CSTR, the chain tends
  to plug flow as the grid is refined); tar that leaves no longer cracks;
* **property evolution** — heat capacity from the local composition (wood,
  char, water), conductivity blended from wood to char by the local conversion
  (harmonic means at faces), porosity from the local solid and water volume;
* convection plus wall radiation at the surface (half-shell resistance in series).

Yields are fractions of the initial (wet) particle mass: tar and gas are what
has left the particle, char is what is left in it::

    >>> from flowsheets.pyrolysis.particle import simulate_particle
    >>> y = simulate_particle(780.0, 2.0, 4.0, n_nodes=6)
    >>> y.shape, bool(0.0 < y[-1, 1] < 0.3)
    ((41, 3), True)

Bad conditions raise :class:`DataError`; a failed or unphysical integration
(stiffness, negative densities) raises :class:`SolveFailedError` naming the parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.sparse import lil_matrix

from idaes_ml.errors import DataError, SolveFailedError
from flowsheets.pyrolysis.kinetics import E_BASE, M0, R_GAS, rate_constants, rates_from_constants
from flowsheets.pyrolysis.models import OBS_TIMES, check_solution
from flowsheets.pyrolysis.properties import STEFAN_BOLTZMANN, WOOD, ParticleGeometry, WoodProperties

__all__ = ["MOISTURE0", "ParticleSolution", "solve_particle", "simulate_particle"]

#: Initial moisture (wet basis): the part of the 0D initial composition outside the three components.
MOISTURE0 = 1.0 - float(M0.sum())
_SOLID = [0, 1, 2, 3, 4, 5, 8]          # kinetics.SPECIES positions of the 7 solid species (char last)
_TINY = 1e-30


@dataclass(frozen=True)
class _Grid:
    """Shell volumes and face areas per unit ``r^n`` measure, shell width."""

    vol: np.ndarray
    area: np.ndarray
    dr: float

    @classmethod
    def build(cls, n_nodes: int, geo: ParticleGeometry) -> "_Grid":
        faces = np.linspace(0.0, geo.radius, n_nodes + 1)
        vol = (faces[1:] ** (geo.shape + 1) - faces[:-1] ** (geo.shape + 1)) / (geo.shape + 1)
        return cls(vol, faces**geo.shape, geo.radius / n_nodes)


def _split(y: np.ndarray, N: int):
    return y[:N], y[N:8 * N].reshape(7, N), y[8 * N:9 * N]


def _terms(y: np.ndarray, T_oven: float, g: _Grid, p: WoodProperties) -> dict[str, np.ndarray]:
    """All rates and fluxes at state ``y`` (per shell, per face); the RHS and the energy audit read them."""
    N = len(g.vol)
    T, S, w = _split(y, N)
    m9 = np.zeros((9, N))
    m9[_SOLID] = S
    k = rate_constants(T, E_BASE)
    rates = rates_from_constants(k, m9)
    d_solid = np.array([rates[i] for i in _SOLID])
    converted = k[1] * m9[3] + k[2] * m9[3] + k[4] * m9[4] + k[5] * m9[4] + k[7] * m9[5] + k[8] * m9[5]
    dry = p.A_dry * np.exp(-1000.0 * p.E_dry / (R_GAS * T)) * w
    mass = p.density * g.vol                                        # kg per unit measure of each shell
    made = np.array([rates[6], rates[7], dry]) * mass               # tar, gas, vapour made [kg/s]
    wood = S[:6].sum(axis=0)
    eta = np.clip(wood / M0.sum(), 0.0, 1.0)
    k_loc = eta * p.k_wood + (1 - eta) * p.k_char
    porosity = 1.0 - p.density * (S.sum(axis=0) / p.skeletal_density + w / p.water_density)
    flux = np.zeros((3, N + 1))                                     # tar, gas, vapour through faces
    for i in range(N):
        through = flux[:, i] + made[:, i]
        W = max(through.sum(), _TINY)
        molar = W / (through[0] / p.molar_mass_tar + through[1] / p.molar_mass_gas
                     + through[2] / p.molar_mass_water + _TINY)
        tau = porosity[i] * p.pressure * molar / (R_GAS * T[i]) * g.vol[i] / W
        tar = through[0] / (1.0 + k[9][i] * tau)
        flux[:, i + 1] = (tar, through[1] + through[0] - tar, through[2])
    W_face = flux.sum(axis=0)
    cond = np.zeros(N + 1)
    k_face = 2 * k_loc[:-1] * k_loc[1:] / (k_loc[:-1] + k_loc[1:])
    cond[1:-1] = k_face * g.area[1:-1] * (T[:-1] - T[1:]) / g.dr   # outward conduction
    h_eff = p.h_conv + p.emissivity * STEFAN_BOLTZMANN * (T_oven**2 + T[-1] ** 2) * (T_oven + T[-1])
    cond[-1] = -g.area[-1] * (T_oven - T[-1]) / (1.0 / h_eff + 0.5 * g.dr / k_loc[-1])
    T_up = np.concatenate([[T[0]], T[:-1]])
    convect = W_face[:-1] * p.cp_gas * (T_up - T)                   # enthalpy of gas entering from inside
    sink = -mass * (p.heat_primary * converted + p.latent_heat * dry)
    heat_cap = mass * (p.cp_wood * wood + p.cp_char * S[6] + p.cp_water * w)
    dT = (cond[:-1] - cond[1:] + convect + sink) / heat_cap
    return {"dT": dT, "d_solid": d_solid, "dry": dry, "flux": flux, "sink": sink, "mass": mass,
            "q_surface": -cond[-1]}


def _rhs(t, y, T_oven, g, p):
    N = len(g.vol)
    f = _terms(y, T_oven, g, p)
    return np.concatenate([f["dT"], f["d_solid"].ravel(), -f["dry"], f["flux"][:, -1] / (p.density * g.vol.sum())])


def _sparsity(N: int):
    """Jacobian pattern: T_i couples to T_{i±1}, its own shell, and every inner shell (escaping gas).

    The three cumulative-escape states are quadratures (nothing depends on them);
    their rows are left empty, which only delays their Newton update by one iteration.
    """
    S = lil_matrix((9 * N + 3, 9 * N + 3), dtype=int)
    for i in range(N):
        own = [i] + [N + s * N + i for s in range(8)]
        for r in own:
            for c in own:
                S[r, c] = 1
        for j in range(i):                                         # inner shells feed the gas through shell i
            for c in [j] + [N + s * N + j for s in range(8)]:
                S[i, c] = 1
        if i + 1 < N:
            S[i, i + 1] = 1
    return S.tocsr()


@dataclass
class ParticleSolution:
    """A solved particle: dense solution, grid, conditions and properties (see :func:`solve_particle`)."""

    sol: object
    grid: _Grid
    T_oven: float
    props: WoodProperties

    def states(self, t: np.ndarray) -> np.ndarray:
        """State vectors ``(len(t), 9 N + 3)`` at times ``t``."""
        return self.sol.sol(np.asarray(t, float)).T

    def yields(self, t: np.ndarray) -> np.ndarray:
        """``(len(t), 3)`` [tar, char, gas] as fractions of the initial particle mass."""
        N, w = len(self.grid.vol), self.grid.vol / self.grid.vol.sum()
        y = self.states(t)
        char = y[:, 7 * N:8 * N] @ w
        return np.column_stack([y[:, -3], char, y[:, -2]])

    def mass_closure(self, t: np.ndarray) -> np.ndarray:
        """Solids + moisture left plus everything escaped, per time (1 when mass is conserved)."""
        N, w = len(self.grid.vol), self.grid.vol / self.grid.vol.sum()
        y = self.states(t)
        return y[:, N:9 * N].reshape(len(y), 8, N) @ w @ np.ones(8) + y[:, -3:].sum(axis=1)

    def energy_balance(self, per_step: int = 4) -> dict[str, float]:
        """Energy audit over the run [J per unit measure, relative to ``T_initial``], ``per_step`` points a step.

        ``stored`` (sensible enthalpy change of the solid, char and water) must equal
        ``surface_in - carried_out + reaction_heat + conversion_sensible``: heat in through
        the surface, minus the enthalpy of the escaping gas, plus the reaction and
        evaporation heat, plus the sensible enthalpy released when solid becomes gas at
        local temperature (``sum_k h_k(T) dm_k/dt`` with ``h_gas`` for the products).
        ``residual`` is the relative mismatch.
        """
        p, g, N = self.props, self.grid, len(self.grid.vol)
        steps = self.sol.t                                          # quadrature on the solver's own steps
        t = np.concatenate([np.linspace(a, b, per_step, endpoint=False) for a, b in zip(steps[:-1], steps[1:])]
                           + [steps[-1:]])
        Y = self.states(t)
        rows = []
        for y in Y:
            f = _terms(y, self.T_oven, g, p)
            T, S, w = _split(y, N)
            dh = T - p.T_initial
            cps = np.array([p.cp_wood] * 6 + [p.cp_char])[:, None]
            conv = f["mass"] * dh * ((cps - p.cp_gas) * f["d_solid"]).sum(axis=0) \
                - f["mass"] * dh * (p.cp_water - p.cp_gas) * f["dry"]
            rows.append((f["q_surface"], f["flux"][:, -1].sum() * p.cp_gas * dh[-1], f["sink"].sum(), conv.sum()))
        q, out, sink, conv = (np.trapezoid(np.array(c), t) for c in zip(*rows))

        def enthalpy(y):
            T, S, w = _split(y, N)
            return float(((p.cp_wood * S[:6].sum(axis=0) + p.cp_char * S[6] + p.cp_water * w)
                          * (T - p.T_initial) * p.density * g.vol).sum())

        stored = enthalpy(Y[-1]) - enthalpy(Y[0])
        return {"stored": stored, "surface_in": q, "carried_out": out, "reaction_heat": sink,
                "conversion_sensible": conv, "residual": (stored - (q - out + sink + conv)) / q}


def solve_particle(T_oven: float, feret_mm: float, aspect: float, n_nodes: int = 16, t_end: float = OBS_TIMES[-1],
                   props: WoodProperties = WOOD, rtol: float = 1e-6, atol: float = 1e-9) -> ParticleSolution:
    """Integrate the particle to ``t_end`` [s] (dense output); see the module docstring."""
    geo = ParticleGeometry.from_feret(feret_mm, aspect)
    if not (np.isfinite(T_oven) and T_oven > 0):
        raise DataError(f"need a finite oven temperature > 0 K, got T_oven={T_oven}")
    g = _Grid.build(n_nodes, geo)
    N = n_nodes
    y0 = np.concatenate([np.full(N, props.T_initial), np.repeat(M0[_SOLID], N), np.full(N, MOISTURE0), np.zeros(3)])
    params = {"T_oven": T_oven, "feret_mm": feret_mm, "aspect": aspect, "n_nodes": N}
    try:
        sol = solve_ivp(_rhs, (0.0, float(t_end)), y0, method="BDF", dense_output=True, args=(T_oven, g, props),
                        jac_sparsity=_sparsity(N), rtol=rtol, atol=atol)
    except (RuntimeError, ValueError, FloatingPointError) as exc:   # e.g. a singular Newton matrix
        raise SolveFailedError(f"1-D particle integration failed at {params}: {exc}", status="solver") from exc
    y = check_solution(sol, "1-D particle", params)
    if y[N:9 * N].min() < -1e-6:
        raise SolveFailedError(f"1-D particle: negative densities (min {y[N:9 * N].min():.3g}) at {params}",
                               status="negative_density")
    return ParticleSolution(sol, g, float(T_oven), props)


def simulate_particle(T_oven: float, feret_mm: float, aspect: float, n_nodes: int = 16,
                      t_eval: np.ndarray = OBS_TIMES, props: WoodProperties = WOOD, rtol: float = 1e-6,
                      atol: float = 1e-9) -> np.ndarray:
    """Yield trajectories ``(len(t_eval), 3)`` [tar, char, gas] of the 1-D particle."""
    t_eval = np.asarray(t_eval, float)
    return solve_particle(T_oven, feret_mm, aspect, n_nodes, t_eval[-1], props, rtol, atol).yields(t_eval)
