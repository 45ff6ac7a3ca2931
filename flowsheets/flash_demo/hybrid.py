"""The hybrid flowsheet: the same Mixer -> Heater, with the Flash replaced by a SurrogateUnit.

The network maps the Flash inlet (flow, benzene fraction, temperature; the inlet
pressure is always 1 atm) and the pressure drop to the vapour flow, both benzene fractions and the outlet
temperature; the liquid flow closes the mole balance, toluene fractions close
the mole fractions and the outlet pressure is ``P_in + deltaP``.
"""

from __future__ import annotations

import idaes.logger as idaeslog
import pyomo.environ as pyo
from pyomo.network import Arc

from flowsheets.flash_demo.ground_truth import (
    FEED_BOUNDS_MID,
    build_feed_section,
    propagate,
    set_conditions,
    solve_flowsheet,
)
from idaes_ml.surrogate import OnnxSurrogate
from idaes_ml.unit_models import SurrogateUnit

#: Network input label -> SurrogateUnit binding (labels are the data-set columns).
FLASH_INPUT_BINDINGS = {
    "flow_mol": "flow_mol",
    "x_benzene": "mole_frac_comp[benzene]",
    "temperature": "temperature",
    "deltaP": "deltaP",
}
#: Network output label -> outlet variable(s).
FLASH_OUTPUT_BINDINGS = {
    "vap_flow_mol": "vap_outlet.flow_mol",
    "vap_x_benzene": "vap_outlet.mole_frac_comp[benzene]",
    "liq_x_benzene": "liq_outlet.mole_frac_comp[benzene]",
    "temperature_out": ["vap_outlet.temperature", "liq_outlet.temperature"],
}


def build_hybrid(surrogate: OnnxSurrogate, formulation: str = "full_space") -> pyo.ConcreteModel:
    """Mixer -> Heater -> SurrogateUnit flash with the same Arcs and property package."""
    m = build_feed_section()
    m.fs.flash = SurrogateUnit(
        property_package=m.fs.props,
        surrogate=surrogate,
        formulation=formulation,
        outlet_list=["vap_outlet", "liq_outlet"],
        has_pressure_change=True,
        inputs=FLASH_INPUT_BINDINGS,
        outputs=FLASH_OUTPUT_BINDINGS,
        outlet_rules={"flow_mol": "balance", "mole_frac_comp": "complement"},
    )
    m.fs.s_heat_flash = Arc(source=m.fs.heat.outlet, destination=m.fs.flash.inlet)
    pyo.TransformationFactory("network.expand_arcs").apply_to(m)
    return m


def initialize_hybrid(m: pyo.ConcreteModel, cond: dict[str, float] = FEED_BOUNDS_MID) -> dict:
    """Set ``cond``, initialize Mixer, Heater and SurrogateUnit in sequence, then solve EO."""
    set_conditions(m, cond)
    m.fs.mix.initialize(outlvl=idaeslog.WARNING)
    propagate(m.fs.s_mix_heat)
    m.fs.heat.initialize(outlvl=idaeslog.WARNING)
    propagate(m.fs.s_heat_flash)
    m.fs.flash.initialize(outlvl=idaeslog.WARNING)
    return solve_flowsheet(m)
