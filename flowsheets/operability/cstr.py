"""Operability of a real IDAES CSTR: saponification of ethyl acetate (IDAES example packages).

NaOH + EtOAc -> NaOAc + EtOH in an adiabatic IDAES ``CSTR`` with the
``saponification_thermo``/``saponification_reactions`` example property packages
(rate constant and heat of reaction exactly as defined in those IDAES packages; the
package is valid for 298-323 K). Inputs: reactor volume ``V_L`` (litres) and feed temperature
``T_in`` (K); outputs: NaOH conversion ``X_NaOH`` and outlet temperature ``T_out`` (K).

    >>> from flowsheets.operability.cstr import pyomo_model, ais      # doctest: +SKIP
    >>> pyomo_model().evaluate([[1.5, 303.15]]).outputs               # doctest: +SKIP
"""

from __future__ import annotations

import idaes.logger as idaeslog
import pyomo.environ as pyo
from idaes.core import FlowsheetBlock
from idaes.models.properties.examples.saponification_reactions import SaponificationReactionParameterBlock
from idaes.models.properties.examples.saponification_thermo import SaponificationParameterBlock
from idaes.models.unit_models import CSTR

from idaes_ml.operability.models import PyomoInstance, PyomoModel
from idaes_ml.operability.sets import Region

INPUTS, OUTPUTS = ("V_L", "T_in"), ("X_NaOH", "T_out")
AIS_BOUNDS = {"V_L": (0.5, 3.0), "T_in": (298.15, 313.15)}


def build() -> PyomoInstance:
    """Flowsheet with one CSTR (1 L/s feed, 100 mol/m3 NaOH and EtOAc), initialised at 1.5 L, 303 K."""
    m = pyo.ConcreteModel()
    m.fs = FlowsheetBlock(dynamic=False)
    m.fs.properties = SaponificationParameterBlock()
    m.fs.reactions = SaponificationReactionParameterBlock(property_package=m.fs.properties)
    m.fs.unit = CSTR(property_package=m.fs.properties, reaction_package=m.fs.reactions,
                     has_equilibrium_reactions=False, has_heat_transfer=True,
                     has_heat_of_reaction=True, has_pressure_change=True)
    u = m.fs.unit
    u.inlet.flow_vol.fix(1.0e-3)
    for comp, c in {"H2O": 55388.0, "NaOH": 100.0, "EthylAcetate": 100.0, "SodiumAcetate": 0.0, "Ethanol": 0.0}.items():
        u.inlet.conc_mol_comp[0, comp].fix(c)
    u.inlet.temperature.fix(303.15)
    u.inlet.pressure.fix(101325.0)
    u.volume.fix(1.5e-3)
    u.heat_duty.fix(0.0)
    u.deltaP.fix(0.0)
    u.initialize(outlvl=idaeslog.WARNING)
    m.fs.V_L = pyo.Var(initialize=1.5, bounds=(0.01, 100.0), doc="reactor volume [L]")
    m.fs.X_NaOH = pyo.Var(initialize=0.5, doc="NaOH conversion [-]")
    u.volume.unfix()
    m.fs.volume_litres = pyo.Constraint(expr=u.volume[0] == m.fs.V_L / 1000)
    m.fs.conversion = pyo.Constraint(
        expr=m.fs.X_NaOH * u.inlet.conc_mol_comp[0, "NaOH"] == u.inlet.conc_mol_comp[0, "NaOH"]
        - u.outlet.conc_mol_comp[0, "NaOH"])
    cin = u.control_volume.properties_in[0]
    cout = u.control_volume.properties_out[0]
    m.fs.X_NaOH.set_value(1 - pyo.value(cout.conc_mol_comp["NaOH"]) / 100.0)
    return PyomoInstance(m, [m.fs.V_L, cin.temperature], [m.fs.X_NaOH, cout.temperature], [])


def pyomo_model() -> PyomoModel:
    """The CSTR as an operability model (Ipopt, warm-started per grid point)."""
    return PyomoModel(build, INPUTS, OUTPUTS)


def ais() -> Region:
    """0.5-3 L reactor, 25-40 °C feed (the property package is valid for 298-323 K)."""
    return Region.box(AIS_BOUNDS, name="AIS")
