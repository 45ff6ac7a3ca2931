"""Reaction packages of the cumene process (IDAES modular reactions).

Alkylation (vapour phase, power-law kinetics of Luyben's cumene process)::

    R1: benzene + propylene -> cumene          r1 = k1 exp(-E1/RT) C_P C_B
    R2: cumene + propylene  -> p-DIPB          r2 = k2 exp(-E2/RT) C_P C_C

with k1 = 2.8e7 m^3/(kmol s) [= 2.8e4 m^3/(mol s)], E1 = 104,174 kJ/kmol,
k2 = 2.32e9 m^3/(kmol s) [= 2.32e6 m^3/(mol s)], E2 = 146,742 kJ/kmol, concentrations
in the vapour (kmol/m^3), rates per reactor volume -- W. L. Luyben, "Design and Control
of the Cumene Process", Ind. Eng. Chem. Res. 2010, 49, 719-734 (after Turton et al.,
*Analysis, Synthesis and Design of Chemical Processes*, 2nd ed., 2003).

Transalkylation (``TRANS``: DIPB + benzene -> 2 cumene) is stoichiometric: the
transalkylator is specified by its DIPB conversion (see :mod:`.flowsheet`), as in
commercial zeolite transalkylators run near equilibrium conversion
(Schmidt, Appl. Catal. A 2005, 280, 89).

Heats of reaction follow from the formation enthalpies in :mod:`.properties`.
"""

from __future__ import annotations

from idaes.models.properties.modular_properties.base.utility import ConcentrationForm
from idaes.models.properties.modular_properties.reactions.rate_constant import arrhenius
from idaes.models.properties.modular_properties.reactions.rate_forms import power_law_rate
from pyomo.environ import units as u

__all__ = ["alkylation_config", "transalkylation_config"]

_BASE = {"time": u.s, "length": u.m, "mass": u.kg, "amount": u.mol, "temperature": u.K}


def _rate(stoich: dict, k: float, e: float) -> dict:
    return {
        "stoichiometry": {("Vap", c): n for c, n in stoich.items()},
        "rate_constant": arrhenius,
        "rate_form": power_law_rate,
        "concentration_form": ConcentrationForm.molarity,
        "parameter_data": {
            "arrhenius_const": (k, u.m**3 / u.mol / u.s),
            "energy_activation": (e, u.J / u.mol),
        },
    }


alkylation_config = {
    "base_units": _BASE,
    "rate_reactions": {
        "R1": _rate({"benzene": -1, "propylene": -1, "cumene": 1}, 2.8e4, 104174.0),
        "R2": _rate({"cumene": -1, "propylene": -1, "dipb": 1}, 2.32e6, 146742.0),
    },
}

transalkylation_config = {
    "base_units": _BASE,
    "rate_reactions": {
        "TRANS": {
            "stoichiometry": {("Liq", "dipb"): -1, ("Liq", "benzene"): -1, ("Liq", "cumene"): 2},
        }
    },
}
