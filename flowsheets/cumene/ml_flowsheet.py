"""The cumene flowsheet with SurrogateUnits, solved equation-oriented with Ipopt.

Same property package, same Arcs and port names as :mod:`.flowsheet`; every unit with
a network becomes a :class:`~idaes_ml.unit_models.SurrogateUnit` reading its ONNX
export (with its balance head: split logits or reaction extents, so the unit conserves
mass exactly), while the mixers (several inlets), the heaters (whose outlets are their
set points: no network is needed, see :func:`.ml.train_networks`), the splitter S1
(fractions are operating conditions) and separators whose learned splits are constant
(C1, C2) stay IDAES models.

    >>> export_networks(models, "nets")                        # doctest: +SKIP
    >>> m = build_ml_flowsheet(models, "nets"); set_ml_conditions(m, NOMINAL)  # doctest: +SKIP
    >>> initialize(m); solve(m)["status"]                      # doctest: +SKIP
    'optimal'
"""

from __future__ import annotations

import math
from pathlib import Path

import pyomo.environ as pyo
from idaes.core import FlowsheetBlock
from idaes.models.properties.modular_properties.base.generic_property import GenericParameterBlock
from idaes.models.unit_models import Heater, Separator, SplittingType
from pyomo.environ import units as u
from pyomo.network import Arc

from idaes_ml.balances import SplitHead
from idaes_ml.nn import export_onnx
from idaes_ml.surrogate import OnnxSurrogate
from idaes_ml.unit_models import SurrogateUnit
from idaes_ml.unit_models.surrogate_unit import SurrogateUnitData

from flowsheets.cumene.flowsheet import CONDITION_BOUNDS, FIXED, fix_feeds, make_mixer, set_scaling
from flowsheets.cumene.ml import UnitModel
from flowsheets.cumene.properties import configuration
from flowsheets.cumene.units import UNITS, edges, unit_specs

__all__ = ["export_networks", "build_ml_flowsheet", "set_ml_conditions", "DECISION_UNITS"]

#: Which unit variable carries each operating condition in the ML flowsheet.
DECISION_UNITS = {p: unit for unit, s in UNITS.items() for p in s["params"]}
_PARAM_UNITS = {"reactor_T": u.K, "reactor_volume": u.m**3, "flash_T": u.K, "flash_P": u.Pa}


def export_networks(models: dict[str, UnitModel], directory: str | Path) -> dict[str, float]:
    """Write every unit network as ``<unit>.onnx`` + info JSON; returns ONNX parity errors."""
    out = {}
    for unit, um in models.items():
        if um.network is not None:
            out[unit] = export_onnx(um.network, directory, unit, balance=um.head).max_abs_diff
    return out


def _base(unit: str) -> str:
    """The unit whose network a chained copy uses (``R101_3`` -> ``R101``)."""
    return unit.partition("_")[0]


def _surrogate_unit(fs, unit: str, um: UnitModel, directory: Path, enforce_bounds: bool):
    spec = UNITS[unit]
    (inlet,) = spec["inlets"]
    inputs, unit_vars = {}, {}
    for label in um.network.input_labels:
        head, _, tail = label.partition(".")
        if head == "param":
            inputs[label] = tail
            unit_vars[tail] = {"units": _PARAM_UNITS.get(tail, u.dimensionless), "bounds": CONDITION_BOUNDS[tail]}
        else:
            inputs[label] = tail  # inlet state variable
    head_labels = um.head.output_labels() if um.head is not None else []
    outputs = {label: label for label in um.network.output_labels if label not in head_labels}
    # outlet rules key on unindexed variables; indexed pass-throughs use the default equal_to_inlet
    indexed = [k for k in um.constants if "[" in k]
    if indexed:
        raise ValueError(f"{unit}: constant indexed outputs {indexed} cannot be expressed as outlet rules")
    rules = {label: "fixed" for label in um.constants}
    for out, src in um.passthrough.items():
        if src != f"{inlet}.{out.partition('.')[2]}":
            raise ValueError(f"{unit}: output {out} copies {src}, which an outlet rule cannot express")
        if "[" not in out:
            rules[out] = "equal_to_inlet"
    return SurrogateUnit(property_package=fs.props, surrogate=OnnxSurrogate.load(str(directory), unit),
                         outlet_list=spec["outlets"], inputs=inputs, outputs=outputs,
                         unit_variables=unit_vars, outlet_rules=rules, enforce_bounds=enforce_bounds)


def build_ml_flowsheet(models: dict[str, UnitModel], directory: str | Path, enforce_bounds: bool = False,
                       n_reactors: int = 1) -> pyo.ConcreteModel:
    """The cumene topology of :mod:`.flowsheet` with the exported networks as units.

    ``enforce_bounds`` keeps every network input inside its training box during the solve.
    ``n_reactors`` alkylation reactors in series (as :func:`.flowsheet.build_flowsheet`)
    all use the R101 network, each at ``reactor_volume / n_reactors``: beyond one reactor
    the network extrapolates (smaller volumes, cumene-rich inlets), which is reported by
    :func:`idaes_ml.unit_models.units_out_of_domain`, not hidden.
    """
    directory = Path(directory)
    m = pyo.ConcreteModel(name="cumene_ml")
    m.fs = fs = FlowsheetBlock(dynamic=False)
    fs.props = GenericParameterBlock(**configuration)
    fs.n_reactors = n_reactors
    fs.models = models
    for unit, spec in unit_specs(n_reactors).items():
        model = models[_base(unit)]
        if unit.startswith("M"):
            setattr(fs, unit, make_mixer(fs, spec["inlets"]))
        elif model.splitter:
            setattr(fs, unit, Separator(property_package=fs.props, outlet_list=spec["outlets"],
                                        split_basis=SplittingType.totalFlow))
        elif model.network is None and isinstance(model.head, SplitHead):  # constant learned splits
            setattr(fs, unit, Separator(property_package=fs.props, outlet_list=spec["outlets"],
                                        split_basis=SplittingType.componentFlow))
        elif model.network is None:
            setattr(fs, unit, Heater(property_package=fs.props, has_pressure_change=False))
        else:
            block = _surrogate_unit(fs, _base(unit), model, directory, enforce_bounds)
            setattr(fs, unit, block)
            if hasattr(block, "reactor_volume"):  # a chain shares the volume
                block.reactor_volume[0].setlb(CONDITION_BOUNDS["reactor_volume"][0] / n_reactors)
    for (src, out), (dst, inl) in edges(n_reactors).items():
        setattr(fs, f"arc_{src}_{out}", Arc(source=getattr(getattr(fs, src), out),
                                             destination=getattr(getattr(fs, dst), inl)))
    pyo.TransformationFactory("network.expand_arcs").apply_to(m)
    set_scaling(m)
    return m


def set_ml_conditions(m: pyo.ConcreteModel, cond: dict[str, float]) -> None:
    """Fix feeds, mixer pressures, heater set points, network parameters and constants."""
    fs = m.fs
    fix_feeds(fs, cond)
    fs.M102.outlet.pressure[0].fix(cond["flash_P"])
    fs.M103.outlet.pressure[0].fix(FIXED["trans_P"])
    fs.H101.outlet.temperature[0].fix(cond["reactor_T"])
    fs.H102.outlet.temperature[0].fix(cond["flash_T"])
    fs.S1.split_fraction[0, "purge"].fix(cond["purge_fraction"])
    fs.S1.split_fraction[0, "trans"].fix(cond["trans_fraction"])
    for unit in unit_specs(fs.n_reactors):
        block, um = getattr(fs, unit), fs.models[_base(unit)]
        if isinstance(block, Separator) and isinstance(um.head, SplitHead):
            _fix_constant_splits(block, um)
        if not isinstance(block, SurrogateUnitData):
            continue
        for p in UNITS[_base(unit)]["params"]:
            if hasattr(block, p):
                value = cond[p] / fs.n_reactors if p == "reactor_volume" else cond[p]
                getattr(block, p)[0].fix(value)
        for label, value in um.constants.items():
            if um.head is not None and label in um.head.output_labels():
                continue
            port, _, var = label.partition(".")
            name, _, idx = var.partition("[")
            v = getattr(getattr(block, port), name)
            (v[0, idx.rstrip("]")] if idx else v[0]).fix(value)


def _fix_constant_splits(sep: Separator, um: UnitModel) -> None:
    """Fix a Separator's component splits to the (constant) learned split logits."""
    head = um.head
    for c in head.components:
        logit = {o: um.constants[head.label(o, c)] if o != head.outlets[-1] else 0.0 for o in head.outlets}
        total = sum(math.exp(v) for v in logit.values())
        for o in head.outlets[:-1]:
            sep.split_fraction[0, o, c].fix(math.exp(logit[o]) / total)
