"""A SurrogateUnit in an IDAES flowsheet
=====================================

Replace the Flash of a Mixer -> Heater -> Flash flowsheet by a SurrogateUnit and solve the hybrid.

Run: ``.venv/bin/python examples/surrogate_unit_flowsheet.py`` (writes to ``outputs/examples/``).

1. solve the first-principles flowsheet (IDAES modular ideal benzene/toluene
   package) at 40 sampled conditions and record the Flash inlet/outlet streams;
2. train a small network of the Flash and export it;
3. build Mixer -> Heater -> SurrogateUnit with Arcs, initialize once, solve with Ipopt;
4. re-solve the hybrid at new conditions and compare its outlets with first principles.
"""

from pathlib import Path

import idaes.logger as idaeslog
import pandas as pd
import pyomo.environ as pyo
from idaes.core import FlowsheetBlock
from idaes.core.solvers import get_solver
from idaes.core.util.model_statistics import degrees_of_freedom
from idaes.models.properties.modular_properties.base.generic_property import GenericParameterBlock
from idaes.models.properties.modular_properties.examples.BT_ideal import configuration
from idaes.models.unit_models import Heater, Mixer
from pyomo.network import Arc

from flowsheets.flash_demo import ground_truth as gt
from idaes_ml.nn import MLPRegressor, export_onnx
from idaes_ml.sampling import latin_hypercube
from idaes_ml.unit_models import SurrogateUnit, report_domain

out = Path("outputs/examples")
INPUTS = {"flow_mol": "flow_mol", "x_benzene": "mole_frac_comp[benzene]", "temperature": "temperature",
          "deltaP": "deltaP"}
OUTPUTS = {"vap_flow_mol": "vap_outlet.flow_mol", "vap_x_benzene": "vap_outlet.mole_frac_comp[benzene]",
           "liq_x_benzene": "liq_outlet.mole_frac_comp[benzene]",
           "temperature_out": ["vap_outlet.temperature", "liq_outlet.temperature"]}


def hybrid_flowsheet() -> pyo.ConcreteModel:
    """Mixer -> Heater -> SurrogateUnit; liquid flow closes the mole balance, x_toluene = 1 - x_benzene."""
    m = pyo.ConcreteModel()
    m.fs = FlowsheetBlock(dynamic=False)
    m.fs.props = GenericParameterBlock(**configuration)
    m.fs.mix = Mixer(property_package=m.fs.props, inlet_list=["feed_a", "feed_b"])
    m.fs.heat = Heater(property_package=m.fs.props)
    m.fs.flash = SurrogateUnit(property_package=m.fs.props, surrogate=(out, "flash"), formulation="full_space",
                               outlet_list=["vap_outlet", "liq_outlet"], has_pressure_change=True,
                               inputs=INPUTS, outputs=OUTPUTS,
                               outlet_rules={"mole_frac_comp": "complement", "liq_outlet.flow_mol": "balance"})
    m.fs.s01 = Arc(source=m.fs.mix.outlet, destination=m.fs.heat.inlet)
    m.fs.s02 = Arc(source=m.fs.heat.outlet, destination=m.fs.flash.inlet)
    pyo.TransformationFactory("network.expand_arcs").apply_to(m)
    return m


data = gt.sample_dataset(40, seed=0, progress=False)
data = data[data.status == "optimal"]
reg = MLPRegressor(hidden=(16, 16), activation="tanh", max_epochs=1500, learning_rate=3e-3, patience=300,
                   progress=False).fit(data[list(INPUTS)], data[list(OUTPUTS)])
print(f"{len(data)} flowsheet solves; export max |onnx - torch| = {export_onnx(reg, out, 'flash').max_abs_diff:.1e}")

# build and initialize the hybrid flowsheet once, then re-solve it at new conditions (warm started)
conditions = latin_hypercube(gt.CONDITION_BOUNDS, 5, seed=11).to_dict("records")
m = hybrid_flowsheet()
gt.set_conditions(m, conditions[0])  # same feed/heater/deltaP specification as the first-principles model
for port in (m.fs.mix.feed_a, m.fs.mix.feed_b):
    port.temperature.fix(300.0)
    port.pressure.fix(101325.0)
assert degrees_of_freedom(m) == 0
m.fs.mix.initialize(outlvl=idaeslog.WARNING)
for arc, unit in ((m.fs.s01, m.fs.heat), (m.fs.s02, m.fs.flash)):
    gt.propagate(arc)
    unit.initialize(outlvl=idaeslog.WARNING)
solver = get_solver()
rows = []
for cond in conditions:
    truth = gt.simulate_point(cond)
    gt.set_conditions(m, cond)
    status = solver.solve(m).solver.termination_condition
    f = m.fs.flash
    rows.append({"status": str(status), "out_of_domain": list(report_domain(f)),
                 "V hybrid": pyo.value(f.vap_outlet.flow_mol[0]), "V truth": truth["vap_flow_mol"],
                 "y_B hybrid": pyo.value(f.vap_outlet.mole_frac_comp[0, "benzene"]),
                 "y_B truth": truth["vap_x_benzene"],
                 "T hybrid": pyo.value(f.vap_outlet.temperature[0]), "T truth": truth["temperature_out"]})
print(pd.DataFrame(rows).round(4).to_string())
