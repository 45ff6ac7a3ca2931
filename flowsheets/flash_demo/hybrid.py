"""The hybrid flowsheet: the same Mixer -> Heater, with the Flash replaced by a SurrogateUnit.

The network maps the Flash inlet (flow, benzene fraction, temperature; the inlet
pressure is always 1 atm) and the pressure drop to the split of each component between
vapour and liquid (logits of a :class:`~idaes_ml.balances.SplitHead`) and the outlet
temperature. The SurrogateUnit's balance equations turn the splits into outlet flows
and fractions, so benzene and toluene balances hold to solver tolerance whatever the
network predicts; the outlet pressure is ``P_in + deltaP``.
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
import pandas as pd

from idaes_ml.balances import SplitHead, split_targets
from idaes_ml.surrogate import OnnxSurrogate
from idaes_ml.unit_models import SurrogateUnit

#: Network input label -> SurrogateUnit binding (labels are the data-set columns).
FLASH_INPUT_BINDINGS = {
    "flow_mol": "flow_mol",
    "x_benzene": "mole_frac_comp[benzene]",
    "temperature": "temperature",
    "deltaP": "deltaP",
}
#: Network output label -> outlet variable(s) (the split logits bind through the head).
FLASH_OUTPUT_BINDINGS = {"temperature_out": ["vap_outlet.temperature", "liq_outlet.temperature"]}
#: The flash's balance head: per-component vapour/liquid split.
FLASH_HEAD = SplitHead(("vap_outlet", "liq_outlet"), ("benzene", "toluene"))


def component_flows(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Component flows of the flash inlet and outlets from a table of :func:`.ground_truth.flash_streams` rows."""
    def flows(total: str, x_benzene: str) -> pd.DataFrame:
        return pd.DataFrame({"benzene": df[total] * df[x_benzene], "toluene": df[total] * (1 - df[x_benzene])})

    return {"inlet": flows("flow_mol", "x_benzene"), "vap_outlet": flows("vap_flow_mol", "vap_x_benzene"),
            "liq_outlet": flows("liq_flow_mol", "liq_x_benzene")}


def flash_targets(df: pd.DataFrame) -> pd.DataFrame:
    """The network's training targets: split logits (from the streams) and the outlet temperature."""
    flows = component_flows(df)
    logits = split_targets(FLASH_HEAD, flows["inlet"], {o: flows[o] for o in FLASH_HEAD.outlets})
    return logits.assign(temperature_out=df["temperature_out"].to_numpy())


def balance_closure(df: pd.DataFrame) -> pd.Series:
    """Largest relative component imbalance |in - vapour - liquid| / in of every row."""
    flows = component_flows(df)
    gap = (flows["inlet"] - flows["vap_outlet"] - flows["liq_outlet"]).abs() / flows["inlet"]
    return gap.max(axis=1)


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
