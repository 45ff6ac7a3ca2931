"""First-principles benzene/toluene flowsheet: two feeds -> Mixer -> Heater -> Flash.

Thermodynamics: IDAES's modular ideal package ``BT_ideal`` (ideal gas, Raoult's
law; Antoine/heat-capacity constants from Perry's Chemical Engineers' Handbook,
7th ed., and Poling, Prausnitz & O'Connell, *The Properties of Gases and
Liquids*, 5th ed., as cited in that IDAES module).

    >>> m = build_flowsheet()
    >>> set_conditions(m, FEED_BOUNDS_MID)
    >>> solve_flowsheet(m)["status"]
    'optimal'
"""

from __future__ import annotations

import functools

import pandas as pd
import idaes.logger as idaeslog
import pyomo.environ as pyo
from idaes.core import FlowsheetBlock
from idaes.core.solvers import get_solver
from idaes.core.util.model_serializer import StoreSpec, from_json, to_json
from idaes.core.util.model_statistics import degrees_of_freedom
from idaes.models.properties.modular_properties.base.generic_property import GenericParameterBlock
from idaes.models.properties.modular_properties.examples.BT_ideal import configuration
from idaes.models.unit_models import Flash, Heater, Mixer
from pyomo.network import Arc

from idaes_ml import parallel
from idaes_ml.sampling import latin_hypercube

COMPONENTS = ("benzene", "toluene")

#: Operating window sampled by the demo: feeds, heater outlet temperature, flash pressure drop.
CONDITION_BOUNDS: dict[str, tuple[float, float]] = {
    "feed_a_flow": (0.8, 1.2),  # mol/s
    "feed_a_x_benzene": (0.62, 0.68),
    "feed_b_flow": (0.8, 1.2),  # mol/s
    "feed_b_x_benzene": (0.38, 0.42),
    "heater_T": (365.0, 368.0),  # K, between bubble and dew point of the mixed feed at ~1 atm
    "flash_deltaP": (-10000.0, 0.0),  # Pa
}
FEED_BOUNDS_MID = {k: 0.5 * (lo + hi) for k, (lo, hi) in CONDITION_BOUNDS.items()}

#: Flash inlet and outlet stream variables the surrogate learns from. The inlet pressure
#: is recorded but not an input: every feed enters at 1 atm, so it only varies by solver
#: round-off, which a network must not be scaled to (see ``scaler_from_data``).
FLASH_INPUTS = ["flow_mol", "x_benzene", "temperature", "deltaP"]
FLASH_OUTPUTS = ["vap_flow_mol", "vap_x_benzene", "liq_x_benzene", "temperature_out"]


def build_feed_section() -> pyo.ConcreteModel:
    """Flowsheet with the property package and Mixer(feed_a, feed_b) -> Heater; feeds at 300 K, 1 atm."""
    m = pyo.ConcreteModel()
    m.fs = FlowsheetBlock(dynamic=False)
    m.fs.props = GenericParameterBlock(**configuration)
    m.fs.mix = Mixer(property_package=m.fs.props, inlet_list=["feed_a", "feed_b"])
    m.fs.heat = Heater(property_package=m.fs.props, has_pressure_change=False)
    m.fs.s_mix_heat = Arc(source=m.fs.mix.outlet, destination=m.fs.heat.inlet)
    for feed in ("feed_a", "feed_b"):
        port = getattr(m.fs.mix, feed)
        port.temperature.fix(300.0)
        port.pressure.fix(101325.0)
    return m


def build_flowsheet() -> pyo.ConcreteModel:
    """Mixer(feed_a, feed_b) -> Heater -> adiabatic Flash, connected by Arcs."""
    m = build_feed_section()
    m.fs.flash = Flash(property_package=m.fs.props, has_heat_transfer=True, has_pressure_change=True)
    m.fs.s_heat_flash = Arc(source=m.fs.heat.outlet, destination=m.fs.flash.inlet)
    pyo.TransformationFactory("network.expand_arcs").apply_to(m)
    m.fs.flash.heat_duty.fix(0.0)
    return m


def set_conditions(m: pyo.ConcreteModel, cond: dict[str, float]) -> None:
    """Fix feeds, heater outlet temperature and flash pressure drop from ``cond``."""
    for feed in ("feed_a", "feed_b"):
        port = getattr(m.fs.mix, feed)
        x = cond[f"{feed}_x_benzene"]
        port.flow_mol.fix(cond[f"{feed}_flow"])
        port.mole_frac_comp[0, "benzene"].fix(x)
        port.mole_frac_comp[0, "toluene"].fix(1.0 - x)
    m.fs.heat.outlet.temperature.fix(cond["heater_T"])
    m.fs.flash.deltaP.fix(cond["flash_deltaP"])


def propagate(arc: Arc) -> None:
    """Copy the source port values of ``arc`` to its destination port (sequential initialization)."""
    for name, var in arc.destination.vars.items():
        for idx, v in var.items():
            v.set_value(pyo.value(arc.source.vars[name][idx]))


def initialize_flowsheet(m: pyo.ConcreteModel) -> None:
    """Sequential initialization along the (acyclic) flowsheet: Mixer, Heater, Flash."""
    m.fs.mix.initialize(outlvl=idaeslog.WARNING)
    for arc, unit in ((m.fs.s_mix_heat, m.fs.heat), (m.fs.s_heat_flash, m.fs.flash)):
        propagate(arc)
        unit.initialize(outlvl=idaeslog.WARNING)


def solve_flowsheet(m: pyo.ConcreteModel, tee: bool = False) -> dict:
    """Solve with IDAES's default Ipopt; returns the termination status and DOF."""
    dof = degrees_of_freedom(m)
    if dof != 0:
        raise ValueError(f"flowsheet has {dof} degrees of freedom; fix feeds and unit specifications first")
    res = get_solver().solve(m, tee=tee)
    return {"status": str(res.solver.termination_condition), "dof": dof}


def flash_streams(m: pyo.ConcreteModel) -> dict[str, float]:
    """Flash inlet (network inputs) and outlet (network outputs) values at the current point."""
    f = m.fs.flash
    return {
        "flow_mol": pyo.value(f.inlet.flow_mol[0]),
        "x_benzene": pyo.value(f.inlet.mole_frac_comp[0, "benzene"]),
        "temperature": pyo.value(f.inlet.temperature[0]),
        "pressure": pyo.value(f.inlet.pressure[0]),
        "deltaP": pyo.value(f.deltaP[0]),
        "vap_flow_mol": pyo.value(f.vap_outlet.flow_mol[0]),
        "vap_x_benzene": pyo.value(f.vap_outlet.mole_frac_comp[0, "benzene"]),
        "liq_flow_mol": pyo.value(f.liq_outlet.flow_mol[0]),
        "liq_x_benzene": pyo.value(f.liq_outlet.mole_frac_comp[0, "benzene"]),
        "temperature_out": pyo.value(f.vap_outlet.temperature[0]),
    }


def save_state(m: pyo.ConcreteModel) -> dict:
    """Values of every variable of ``m`` (a converged starting point to restore later)."""
    return to_json(m, return_dict=True, wts=StoreSpec.value())


def solve_at(m: pyo.ConcreteModel, state: dict, cond: dict[str, float]) -> dict[str, float | str]:
    """Restore ``state``, apply ``cond`` and solve; returns conditions, Flash streams and status.

    Every solve starts from the same state, so results do not depend on the order
    of points (serial and Dask runs agree). Works for the first-principles and the
    hybrid flowsheet alike (same Port names on ``m.fs.flash``).
    """
    from_json(m, sd=state, wts=StoreSpec.value())
    set_conditions(m, cond)
    out = solve_flowsheet(m)
    return {**cond, **flash_streams(m), "status": out["status"]}


@functools.cache
def _base_model() -> tuple[pyo.ConcreteModel, dict]:
    """One initialized first-principles flowsheet per process and its converged state."""
    m = build_flowsheet()
    set_conditions(m, FEED_BOUNDS_MID)
    initialize_flowsheet(m)
    solve_flowsheet(m)
    return m, save_state(m)


def simulate_point(cond: dict[str, float]) -> dict[str, float | str]:
    """Solve the first-principles flowsheet at one operating point (see :func:`solve_at`)."""
    return solve_at(*_base_model(), cond)


def sample_dataset(n: int, seed: int = 0, client=None, progress: bool = True) -> pd.DataFrame:
    """Solve the flowsheet at ``n`` Latin-hypercube points through the shared ``map``.

    Every point is kept: failed solves carry their status (or the error text) and NaN streams.
    """
    conds = latin_hypercube(CONDITION_BOUNDS, n, seed=seed).to_dict("records")
    results = parallel.map(simulate_point, conds, client=client, desc="flowsheet solves", progress=progress)
    rows = [r.value if r.ok else {**r.item, "status": f"error: {r.error}"} for r in results]
    return pd.DataFrame(rows)
