"""IDAES property packages of the reactor network: the van de Vusse liquid and the jacket coolant.

Both are constant-density, constant-heat-capacity liquids written after IDAES's saponification
example package (``idaes.models.properties.examples.saponification_thermo``, A. Lee): enthalpy
``rho cp (T - T_ref)`` per volume, SI base units.  The constants are those of :mod:`.parameters`
(Chen, Kremling & Allgöwer 1995, as tabulated by Klatt & Engell 1998), converted exactly to SI::

    >>> import pyomo.environ as pyo
    >>> from idaes.core import FlowsheetBlock
    >>> m = pyo.ConcreteModel(); m.fs = FlowsheetBlock(dynamic=False)
    >>> m.fs.props = VanDeVusseParameterBlock()
    >>> round(pyo.value(m.fs.props.cp_mass))
    3010

* :class:`VanDeVusseParameterBlock` -- state ``flow_vol`` (m3/s), ``conc_mol_comp`` (mol/m3) of
  A (cyclopentadiene), B (cyclopentenol, the product), C, D and the solvent water, ``temperature``
  (K), ``pressure`` (Pa).  The reaction runs in dilute aqueous solution (Klatt & Engell 1998), so
  the water concentration of every computed state is held at ``rho / M_water``: with constant
  density the volumetric flow leaving a unit equals the one entering, as in :mod:`.plant`.
* :class:`CoolantParameterBlock` -- state ``flow_mass`` (kg/s), ``temperature``, ``pressure`` of the
  once-through jacket coolant (heat capacity ``cpK``); only the jacket holdup ``rho V = mK`` enters
  the balances, so the density (1000 kg/m3, ours) only sets the jacket volume.
"""

from __future__ import annotations

import pyomo.environ as pyo
from idaes.core import (Component, EnergyBalanceType, LiquidPhase, MaterialBalanceType, MaterialFlowBasis,
                        PhysicalParameterBlock, StateBlock, StateBlockData, declare_process_block_class)
from idaes.core.util.initialization import fix_state_vars, revert_state_vars

from .parameters import VdVParameters

__all__ = ["VanDeVusseParameterBlock", "CoolantParameterBlock", "M_WATER", "COOLANT_DENSITY", "to_si"]

u = pyo.units
M_WATER = 18.015e-3  # kg/mol (IUPAC standard atomic weights: 2 x 1.008 + 15.999 g/mol)
COOLANT_DENSITY = 1000.0  # kg/m3 (ours; cancels: the jacket volume is mK / density)
T_REF = 298.15  # K, enthalpy reference (any value: only differences enter)
SI = {"time": u.s, "length": u.m, "mass": u.kg, "amount": u.mol, "temperature": u.K}


def to_si(value: float, from_units, to_units) -> float:
    """``value`` converted from the units of :mod:`.parameters` (L, h, kJ) to SI ``to_units``."""
    return float(u.convert_value(value, from_units=from_units, to_units=to_units))


class _StateBlockMethods(StateBlock):
    """Initialization of an indexed state block: every property is explicit, so fix and release."""

    def initialize(blk, state_args: dict | None = None, hold_state: bool = False, **kwargs) -> dict | None:
        """Fix the state variables (deactivating the solvent closure); release them unless ``hold_state``."""
        for b in blk.values():
            if b.is_property_constructed("solvent_eqn"):
                b.solvent_eqn.deactivate()
        flags = fix_state_vars(blk, state_args)
        if hold_state:
            return flags
        blk.release_state(flags)
        return None

    def release_state(blk, flags: dict | None, **kwargs) -> None:
        """Unfix what :meth:`initialize` fixed and reactivate the solvent closure."""
        for b in blk.values():
            if b.is_property_constructed("solvent_eqn"):
                b.solvent_eqn.activate()
        if flags is not None:
            revert_state_vars(blk, flags)


@declare_process_block_class("VanDeVusseParameterBlock")
class VanDeVusseParameterData(PhysicalParameterBlock):
    """Dilute aqueous van de Vusse mixture: components A, B, C, D in water, one liquid phase."""

    def build(self) -> None:
        """Phase, components, density, heat capacity and reference state."""
        super().build()
        self._state_block_class = VanDeVusseStateBlock
        self.Liq = LiquidPhase()
        for j in ("A", "B", "C", "D", "H2O"):
            self.add_component(j, Component())
        p = VdVParameters()
        self.dens_mass = pyo.Param(initialize=to_si(p.rho, u.kg / u.L, u.kg / u.m**3), units=u.kg / u.m**3,
                                   doc="liquid density (Chen et al. 1995: 0.9342 kg/L)")
        self.cp_mass = pyo.Param(initialize=to_si(p.cp, u.kJ / u.kg / u.K, u.J / u.kg / u.K), units=u.J / u.kg / u.K,
                                 doc="liquid heat capacity (Chen et al. 1995: 3.01 kJ/(kg K))")
        self.conc_solvent = pyo.Param(initialize=self.dens_mass.value / M_WATER, units=u.mol / u.m**3,
                                      doc="water concentration of the dilute solution, rho / M_water")
        self.temperature_ref = pyo.Param(initialize=T_REF, units=u.K, doc="enthalpy reference temperature")

    @classmethod
    def define_metadata(cls, obj) -> None:
        obj.add_properties({"flow_vol": {"method": None}, "conc_mol_comp": {"method": None},
                            "temperature": {"method": None}, "pressure": {"method": None}})
        obj.add_default_units(SI)


@declare_process_block_class("VanDeVusseStateBlock", block_class=_StateBlockMethods)
class VanDeVusseStateBlockData(StateBlockData):
    """State of the van de Vusse liquid; computed (not defined) states hold the water concentration."""

    def build(self) -> None:
        """State variables and, for computed states, the solvent closure."""
        super().build()
        self.flow_vol = pyo.Var(initialize=141.9e-3 / 3600, bounds=(0, None), units=u.m**3 / u.s, doc="volumetric flow")
        self.conc_mol_comp = pyo.Var(self.params.component_list, initialize=1000.0, bounds=(0, None),
                                     units=u.mol / u.m**3, doc="molar concentrations")
        self.temperature = pyo.Var(initialize=387.0, bounds=(273.15, 500.0), units=u.K, doc="temperature")
        self.pressure = pyo.Var(initialize=101325.0, bounds=(1e3, 1e7), units=u.Pa, doc="pressure")
        if not self.config.defined_state:
            self.solvent_eqn = pyo.Constraint(expr=self.conc_mol_comp["H2O"] == self.params.conc_solvent)

    def get_material_flow_terms(self, p, j):
        return self.flow_vol * self.conc_mol_comp[j]

    def get_enthalpy_flow_terms(self, p):
        return self.flow_vol * self.params.dens_mass * self.params.cp_mass * (self.temperature - self.params.temperature_ref)

    def get_material_density_terms(self, p, j):
        return self.conc_mol_comp[j]

    def get_energy_density_terms(self, p):
        return self.params.dens_mass * self.params.cp_mass * (self.temperature - self.params.temperature_ref)

    def default_material_balance_type(self):
        return MaterialBalanceType.componentPhase

    def default_energy_balance_type(self):
        return EnergyBalanceType.enthalpyTotal

    def get_material_flow_basis(self):
        return MaterialFlowBasis.molar

    def define_state_vars(self) -> dict:
        return {"flow_vol": self.flow_vol, "conc_mol_comp": self.conc_mol_comp, "temperature": self.temperature,
                "pressure": self.pressure}


@declare_process_block_class("CoolantParameterBlock")
class CoolantParameterData(PhysicalParameterBlock):
    """Once-through jacket coolant: one component in one liquid phase, constant heat capacity."""

    def build(self) -> None:
        """Phase, component, density and heat capacity."""
        super().build()
        self._state_block_class = CoolantStateBlock
        self.Liq = LiquidPhase()
        self.coolant = Component()
        self.dens_mass = pyo.Param(initialize=COOLANT_DENSITY, units=u.kg / u.m**3, doc="coolant density (ours, cancels)")
        self.cp_mass = pyo.Param(initialize=to_si(VdVParameters().cpK, u.kJ / u.kg / u.K, u.J / u.kg / u.K),
                                 units=u.J / u.kg / u.K, doc="coolant heat capacity (Chen et al. 1995: 2.0 kJ/(kg K))")
        self.temperature_ref = pyo.Param(initialize=T_REF, units=u.K, doc="enthalpy reference temperature")

    @classmethod
    def define_metadata(cls, obj) -> None:
        obj.add_properties({"flow_mass": {"method": None}, "temperature": {"method": None}, "pressure": {"method": None}})
        obj.add_default_units(SI)


@declare_process_block_class("CoolantStateBlock", block_class=_StateBlockMethods)
class CoolantStateBlockData(StateBlockData):
    """State of the coolant: mass flow, temperature, pressure."""

    def build(self) -> None:
        """State variables."""
        super().build()
        self.flow_mass = pyo.Var(initialize=31.0 / 3600, bounds=(0, None), units=u.kg / u.s, doc="coolant mass flow")
        self.temperature = pyo.Var(initialize=385.0, bounds=(273.15, 500.0), units=u.K, doc="temperature")
        self.pressure = pyo.Var(initialize=101325.0, bounds=(1e3, 1e7), units=u.Pa, doc="pressure")

    def get_material_flow_terms(self, p, j):
        return self.flow_mass

    def get_enthalpy_flow_terms(self, p):
        return self.flow_mass * self.params.cp_mass * (self.temperature - self.params.temperature_ref)

    def get_material_density_terms(self, p, j):
        return self.params.dens_mass

    def get_energy_density_terms(self, p):
        return self.params.dens_mass * self.params.cp_mass * (self.temperature - self.params.temperature_ref)

    def default_material_balance_type(self):
        return MaterialBalanceType.componentTotal

    def default_energy_balance_type(self):
        return EnergyBalanceType.enthalpyTotal

    def get_material_flow_basis(self):
        return MaterialFlowBasis.mass

    def define_state_vars(self) -> dict:
        return {"flow_mass": self.flow_mass, "temperature": self.temperature, "pressure": self.pressure}
