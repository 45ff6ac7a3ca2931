"""Ideal-VLE property package of the cumene process (IDAES modular properties).

Components: benzene, propylene, propane (inert in the propylene feed), cumene and
p-diisopropylbenzene (DIPB). Ideal gas + ideal liquid (Raoult's law), smooth VLE,
state ``FcTP`` (component flows, T, P) so a stream is a vector of component flows.

    >>> from idaes.models.properties.modular_properties.base.generic_property import (
    ...     GenericParameterBlock)
    >>> sorted(configuration["components"])
    ['benzene', 'cumene', 'dipb', 'propane', 'propylene']

Constants and sources
---------------------
* Vapour pressure: Antoine ``log10(P/bar) = A - B/(T/degC + C)`` (IDAES ``RPP5`` form).
  Benzene, propane, propylene: Poling, Prausnitz & O'Connell, *The Properties of Gases
  and Liquids*, 5th ed. (2001), Appendix A (benzene as tabulated also by Smith, Van Ness
  & Abbott, *Introduction to Chemical Engineering Thermodynamics*, Table B.2; propane
  and propylene as used by IDAES's ``HC_PR`` example). Cumene (isopropylbenzene):
  Antoine table in bar/degC (A=4.06588, B=1464.17, C=208.207; normal boiling point
  425.6 K reproduced). DIPB: no Antoine set was available to us; A and B are fitted here
  to two literature points -- the normal boiling point 483.6 K (NIST Chemistry WebBook,
  CAS 100-18-5) and the Lee-Kesler vapour pressure at 0.9 Tc from Tc = 689 K,
  Pc = 24.5 bar, omega = 0.390 (critical constants of p-diisopropylbenzene in the
  Poling et al. 5th ed. / DIPPR-derived tables) -- with Thomson's rule C = 273.15 - 0.19 Tb
  (Thomson, Chem. Rev. 1946, 38, 1). Derivation in :func:`dipb_antoine`.
* Ideal-gas heat capacity: RPP4 polynomial ``Cp = A + BT + CT^2 + DT^3``.
  Benzene, propane, propylene: Reid, Prausnitz & Poling, *The Properties of Gases and
  Liquids*, 4th ed. (1987), Appendix A (values as in IDAES's ``BT_ideal``/``HC_PR``).
  Cumene and DIPB: Joback group contribution (Joback & Reid, Chem. Eng. Commun. 1987,
  57, 233; Poling et al. 5th ed., Table 2-2), computed in :func:`joback_cp`.
* Liquid heat capacity (constant, J/mol/K at 298 K, NIST Chemistry WebBook): benzene
  135.7 (Grolier et al. 1993), cumene 215.4 (Kishimoto et al. 1973); propane 98.4 and
  propylene 102.0 (saturated liquid near 230-250 K, NIST WebBook fluid data); DIPB
  estimated as cumene + the cumene-benzene increment (295.1).
* Enthalpy of formation (298 K, kJ/mol, NIST WebBook): benzene gas 82.9 / liq 49.0;
  propylene gas 20.4; propane gas -104.7 (liquid values = gas minus enthalpy of
  vaporisation at 298 K: propylene 14.2, propane 15.1, NIST); cumene gas 4.0 / liq
  -41.2 (Prosen et al. 1945). DIPB gas -74.9 by group additivity (cumene increment
  applied twice; Verevkin, Thermochim. Acta 1998, 316, 131 reports only 1-2 kJ/mol
  interaction terms) and liquid -74.9 - 60.2 (vaporisation enthalpy by Trouton-type
  scaling of cumene's 45.1 kJ/mol with Tb).
* Molar masses: from the atoms (:data:`ATOMS`) with the conventional atomic weights
  C 12.011 and H 1.008 of the IUPAC atomic-weight intervals (Atomic weights of the
  elements 2009, Pure Appl. Chem. 2011, 83, 359: C [12.0096; 12.0116], H [1.00784;
  1.00811]; conventional values as in the 2013 report, Meija et al., Pure Appl. Chem.
  2016, 88, 265), so that every reaction's stoichiometry conserves mass exactly
  (tabulated molar masses rounded independently did not: cumene 120.19 vs benzene +
  propylene 120.195). Tc, Pc: Poling et al. 5th ed., Appendix A.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from idaes.core import Component, LiquidPhase, VaporPhase
from idaes.models.properties.modular_properties.eos.ideal import Ideal
from idaes.models.properties.modular_properties.phase_equil import SmoothVLE
from idaes.models.properties.modular_properties.phase_equil.bubble_dew import IdealBubbleDew
from idaes.models.properties.modular_properties.phase_equil.forms import fugacity
from idaes.models.properties.modular_properties.pure import RPP4, RPP5
from idaes.models.properties.modular_properties.pure.ConstantProperties import Constant
from idaes.models.properties.modular_properties.state_definitions import FcTP
import pyomo.environ as pyo
from pyomo.environ import units as u

if TYPE_CHECKING:
    from pyomo.core.base.block import BlockData

__all__ = ["COMPONENTS", "ATOMS", "ATOMIC_WEIGHTS", "molar_mass", "configuration", "joback_cp", "dipb_antoine", "DERIVED_VARS",
           "relax_derived_bounds", "derived_bounds_relaxed"]

COMPONENTS = ("benzene", "propylene", "propane", "cumene", "dipb")

#: Atoms per molecule (C, H) for the plant-wide element balance.
ATOMS = {
    "benzene": {"C": 6, "H": 6},
    "propylene": {"C": 3, "H": 6},
    "propane": {"C": 3, "H": 8},
    "cumene": {"C": 9, "H": 12},
    "dipb": {"C": 12, "H": 18},
}

#: Conventional atomic weights (IUPAC, see the module docstring), kg/mol.
ATOMIC_WEIGHTS = {"C": 12.011e-3, "H": 1.008e-3}


def molar_mass(component: str) -> float:
    """Molar mass (kg/mol) of ``component`` from its atoms and :data:`ATOMIC_WEIGHTS`."""
    return sum(n * ATOMIC_WEIGHTS[a] for a, n in ATOMS[component].items())


# Joback (1987) ideal-gas Cp group increments (a, b, c, d); Poling et al. 5th ed. Table 2-2.
_JOBACK = {
    "CH3": (1.95e1, -8.08e-3, 1.53e-4, -9.67e-8),
    ">CH-": (-2.30e1, 2.04e-1, -2.65e-4, 1.20e-7),
    "ring=CH-": (-2.14, 5.74e-2, -1.64e-6, -1.59e-8),
    "ring=C<": (-8.25, 1.01e-1, -1.42e-4, 6.78e-8),
}


def joback_cp(groups: dict[str, int]) -> tuple[float, float, float, float]:
    """Joback ideal-gas Cp coefficients (J/mol/K; T in K) for a group count."""
    a = sum(n * _JOBACK[g][0] for g, n in groups.items()) - 37.93
    b = sum(n * _JOBACK[g][1] for g, n in groups.items()) + 0.210
    c = sum(n * _JOBACK[g][2] for g, n in groups.items()) - 3.91e-4
    d = sum(n * _JOBACK[g][3] for g, n in groups.items()) + 2.06e-7
    return a, b, c, d


def dipb_antoine(tb: float = 483.6, tc: float = 689.0, pc_bar: float = 24.5, omega: float = 0.390) -> tuple[float, float, float]:
    """Antoine (A, B, C) of p-DIPB in bar/degC from Tb and Lee-Kesler at Tr = 0.9."""
    tr = 0.9
    f0 = 5.92714 - 6.09648 / tr - 1.28862 * math.log(tr) + 0.169347 * tr**6
    f1 = 15.2518 - 15.6875 / tr - 13.4721 * math.log(tr) + 0.43577 * tr**6
    p2 = pc_bar * math.exp(f0 + omega * f1)
    c = 273.15 - 0.19 * tb
    t1, t2 = tb - 273.15 + c, tr * tc - 273.15 + c
    b = (math.log10(p2) - math.log10(1.01325)) / (1.0 / t1 - 1.0 / t2)
    a = math.log10(1.01325) + b / t1
    return a, b, c


def _comp(mw, tc, pc, cp_ig, cp_liq, hf_vap, hf_liq, antoine, atoms):
    A, B, C = antoine
    return {
        "type": Component,
        "elemental_composition": atoms,
        "enth_mol_ig_comp": RPP4,
        "enth_mol_liq_comp": Constant,
        "dens_mol_liq_comp": Constant,
        "pressure_sat_comp": RPP5,
        "phase_equilibrium_form": {("Vap", "Liq"): fugacity},
        "parameter_data": {
            "mw": (mw, u.kg / u.mol),
            "temperature_crit": (tc, u.K),
            "pressure_crit": (pc, u.Pa),
            "cp_mol_ig_comp_coeff": {
                "A": (cp_ig[0], u.J / u.mol / u.K),
                "B": (cp_ig[1], u.J / u.mol / u.K**2),
                "C": (cp_ig[2], u.J / u.mol / u.K**3),
                "D": (cp_ig[3], u.J / u.mol / u.K**4),
            },
            "cp_mol_liq_comp_coeff": (cp_liq, u.J / u.mol / u.K),
            "dens_mol_liq_comp_coeff": (8.0e3, u.mol / u.m**3),  # only used for volumes
            "enth_mol_form_vap_comp_ref": (hf_vap * 1e3, u.J / u.mol),
            "enth_mol_form_liq_comp_ref": (hf_liq * 1e3, u.J / u.mol),
            "pressure_sat_comp_coeff": {"A": (A, None), "B": (B, u.K), "C": (C, u.K)},
        },
    }


_CUMENE_GROUPS = {"CH3": 2, ">CH-": 1, "ring=CH-": 5, "ring=C<": 1}
_DIPB_GROUPS = {"CH3": 4, ">CH-": 2, "ring=CH-": 4, "ring=C<": 2}

configuration = {
    "components": {
        "benzene": _comp(molar_mass("benzene"), 562.05, 48.95e5, (-3.392e1, 4.739e-1, -3.017e-4, 7.130e-8),
                         135.7, 82.9, 49.0, (3.98523, 1184.24, 217.572), ATOMS["benzene"]),
        "propylene": _comp(molar_mass("propylene"), 364.9, 46.0e5, (3.710, 2.345e-1, -1.160e-4, 2.205e-8),
                           102.0, 20.4, 20.4 - 14.2, (3.95606, 789.62, 247.58), ATOMS["propylene"]),
        "propane": _comp(molar_mass("propane"), 369.83, 42.48e5, (-4.224, 3.063e-1, -1.586e-4, 3.215e-8),
                         98.4, -104.7, -104.7 - 15.1, (3.92828, 803.997, 247.04), ATOMS["propane"]),
        "cumene": _comp(molar_mass("cumene"), 631.0, 32.09e5, joback_cp(_CUMENE_GROUPS),
                        215.4, 4.0, -41.2, (4.06588, 1464.17, 208.207), ATOMS["cumene"]),
        "dipb": _comp(molar_mass("dipb"), 689.0, 24.5e5, joback_cp(_DIPB_GROUPS),
                      295.1, -74.9, -74.9 - 60.2, dipb_antoine(), ATOMS["dipb"]),
    },
    "phases": {
        "Liq": {"type": LiquidPhase, "equation_of_state": Ideal},
        "Vap": {"type": VaporPhase, "equation_of_state": Ideal},
    },
    "base_units": {"time": u.s, "length": u.m, "mass": u.kg, "amount": u.mol, "temperature": u.K},
    "state_definition": FcTP,
    "state_bounds": {
        "flow_mol_comp": (0, 10, 2000, u.mol / u.s),
        "temperature": (250, 350, 800, u.K),
        "pressure": (5e4, 1e5, 5e6, u.Pa),
    },
    "pressure_ref": (1e5, u.Pa),
    "temperature_ref": (298.15, u.K),
    "phases_in_equilibrium": [("Vap", "Liq")],
    "phase_equilibrium_state": {("Vap", "Liq"): SmoothVLE},
    "bubble_dew_method": IdealBubbleDew,
}


#: Variables of the smooth-VLE state blocks that are computed from the state (FcTP).
DERIVED_VARS = ("mole_frac_comp", "mole_frac_phase_comp", "phase_frac", "flow_mol_phase",
                "_mole_frac_tbub", "_mole_frac_tdew", "temperature_bubble", "temperature_dew", "_teq", "_t1")


def relax_derived_bounds(m: BlockData) -> int:
    """Drop the bounds of the derived (non-state) variables of every state block in ``m``.

    Trace components and absent phases sit within 1e-9 of these bounds (mole fractions
    >= 1e-20, phase flows >= 0). In an optimization Ipopt's barrier multipliers on them
    grow to ~1e13 and the iterates stall (dual infeasibility ~1e13 after 1000
    iterations); the equations already determine these variables, and the state
    variables (component flows, T, P) keep their bounds. Returns how many were relaxed.

    The price: the phase split of a nearly pure stream (bubble and dew points within
    the smoothing width) is barely determined, and without bounds its vapour fraction
    may end slightly negative (-3e-4 in the benzene feed at the optimum). Re-simulate
    an optimum with the bounded model (:func:`.data.solve_point`) to validate it.
    """
    bounded = _bounded_derived(m)
    for v, _ in bounded:
        v.setlb(None)
        v.setub(None)
    return len(bounded)


@contextmanager
def derived_bounds_relaxed(m: BlockData) -> Iterator[int]:
    """:func:`relax_derived_bounds` inside the ``with`` block, the bounds restored after it.

    Yields how many variables were relaxed (0 when ``m`` has none bounded).
    """
    bounded = _bounded_derived(m)
    try:
        for v, _ in bounded:
            v.setlb(None)
            v.setub(None)
        yield len(bounded)
    finally:
        for v, (lb, ub) in bounded:
            v.setlb(lb)
            v.setub(ub)


def _bounded_derived(m: BlockData) -> list[tuple[pyo.Var, tuple]]:
    return [(v, v.bounds) for v in m.component_data_objects(pyo.Var, descend_into=True)
            if v.parent_component().local_name in DERIVED_VARS and (v.lb is not None or v.ub is not None)]
