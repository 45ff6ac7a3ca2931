"""First-principles IDAES flowsheet of the cumene process with nested recycles.

Topology (every arrow a Pyomo ``Arc``; tears marked ``~>``)::

    benzene feed ----\\
    propylene feed ---> M101 -> H101 -> R101 (CSTR, Luyben kinetics) -> M102 -> H102 -> F101
             S1.recycle ~> /                          R102.outlet ~> /            |vapour: fuel gas
                                                                                  v liquid
    purge <- S1 <- distillate <- C1 (benzene column, component split) <-----------+
               \\ trans                 | bottoms
                \\-> M103 <- heavies <- C2 (cumene column) -> cumene product
                       \\-> R102 (transalkylator, DIPB + benzene -> 2 cumene) ~> M102

Three cycles share C1: the benzene loop (S1 -> M101 -> ... -> C1), the DIPB loop
(C1 -> C2 -> M103 -> R102 -> M102 -> ... -> C1) and the benzene-to-transalkylator loop
(C1 -> S1 -> M103 -> R102 -> ... -> C1). Tearing ``S1.recycle -> M101`` and
``R102.outlet -> M102`` opens all of them.

Documented initialization (:func:`initialize`): set the tear guesses of
:func:`tear_guesses`, initialize every unit once in the order of Pyomo's
``SequentialDecomposition`` (no iteration), then solve the whole model
equation-oriented with Ipopt (:func:`solve`). :func:`solve_sequential` instead
converges the tears with ``SequentialDecomposition`` (Wegstein) alone.

    >>> m = build_flowsheet()
    >>> set_conditions(m, NOMINAL)
    >>> from idaes.core.util.model_statistics import degrees_of_freedom
    >>> degrees_of_freedom(m)
    0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo
from idaes.core import FlowsheetBlock
from idaes.core.util.model_statistics import degrees_of_freedom
from idaes.models.properties.modular_properties.base.generic_property import GenericParameterBlock
from idaes.models.properties.modular_properties.base.generic_reaction import (
    GenericReactionParameterBlock,
)
from idaes.models.unit_models import (
    CSTR,
    Flash,
    Heater,
    Mixer,
    MomentumMixingType,
    Separator,
    SplittingType,
    StoichiometricReactor,
)
from pyomo.network import Arc

from flowsheets.cumene.properties import COMPONENTS, configuration
from flowsheets.cumene.reactions import alkylation_config, transalkylation_config

if TYPE_CHECKING:
    from idaes.core import FlowsheetBlockData
    from pyomo.network.arc import ArcData

__all__ = [
    "CONDITION_BOUNDS", "NOMINAL", "FIXED", "build_flowsheet", "set_conditions",
    "reactor_names", "check_structure", "tear_arcs", "make_mixer", "set_scaling",
]

#: Operating window sampled for data: feeds, reactor, flash, recycle splits, transalkylator.
CONDITION_BOUNDS: dict[str, tuple[float, float]] = {
    "benzene_feed": (25.0, 32.0),  # mol/s fresh benzene
    "propylene_feed": (26.0, 32.0),  # mol/s fresh C3 cut (95 % propylene, 5 % propane)
    "reactor_T": (620.0, 650.0),  # K, isothermal vapour-phase alkylator (Luyben: ~630 K)
    "reactor_volume": (30.0, 60.0),  # m^3
    "flash_T": (310.0, 340.0),  # K, reactor effluent cooler / flash
    "flash_P": (1.5e5, 2.5e5),  # Pa
    "purge_fraction": (0.01, 0.05),  # of the benzene column distillate
    "trans_fraction": (0.05, 0.15),  # of the distillate sent to the transalkylator
    "trans_conversion": (0.5, 0.9),  # DIPB conversion in the transalkylator
}
NOMINAL = {k: 0.5 * (lo + hi) for k, (lo, hi) in CONDITION_BOUNDS.items()}

#: Fixed design data (Luyben 2010 where given: 25 bar reactor, 5 % propane in the C3 feed).
FIXED = {
    "feed_T": 300.0,
    "reactor_P": 25e5,
    "propane_in_c3": 0.05,
    "trans_T": 480.0,
    "trans_P": 25e5,
    # component recoveries of the column stand-ins (fraction to the top outlet)
    "C1_top": {"benzene": 0.995, "propylene": 0.9999, "propane": 0.9999, "cumene": 0.002, "dipb": 1e-4},
    "C2_top": {"benzene": 0.9999, "propylene": 0.9999, "propane": 0.9999, "cumene": 0.995, "dipb": 0.003},
    "trace": 1e-4,  # mol/s of absent components in the feeds (keeps all flows positive)
}


def reactor_names(n_reactors: int) -> list[str]:
    """Names of the alkylation CSTRs in series (``R101``, ``R101_2``, ...)."""
    return ["R101"] + [f"R101_{i}" for i in range(2, n_reactors + 1)]


def make_mixer(fs: FlowsheetBlockData, inlets: list[str]) -> Mixer:
    """A Mixer without pressure equations (its outlet pressure is a specification)."""
    return Mixer(property_package=fs.props, inlet_list=inlets,
                 momentum_mixing_type=MomentumMixingType.none)


def build_flowsheet(n_reactors: int = 1) -> pyo.ConcreteModel:
    """Build the (unspecified) flowsheet; ``n_reactors`` CSTRs in series share the volume."""
    m = pyo.ConcreteModel(name="cumene")
    m.fs = fs = FlowsheetBlock(dynamic=False)
    fs.props = GenericParameterBlock(**configuration)
    fs.rxn_alk = GenericReactionParameterBlock(property_package=fs.props, **alkylation_config)
    fs.rxn_trans = GenericReactionParameterBlock(property_package=fs.props, **transalkylation_config)
    fs.n_reactors = n_reactors

    fs.M101 = make_mixer(fs, ["benzene_feed", "propylene_feed", "recycle"])
    fs.H101 = Heater(property_package=fs.props, has_pressure_change=False)
    for name in reactor_names(n_reactors):
        setattr(fs, name, CSTR(property_package=fs.props, reaction_package=fs.rxn_alk,
                               has_heat_transfer=True, has_heat_of_reaction=False))
    fs.M102 = make_mixer(fs, ["reactor", "trans"])
    fs.H102 = Heater(property_package=fs.props, has_pressure_change=False)
    fs.F101 = Flash(property_package=fs.props, has_heat_transfer=True, has_pressure_change=True)
    fs.C1 = Separator(property_package=fs.props, outlet_list=["distillate", "bottoms"],
                      split_basis=SplittingType.componentFlow)
    fs.S1 = Separator(property_package=fs.props, outlet_list=["recycle", "trans", "purge"],
                      split_basis=SplittingType.totalFlow)
    fs.C2 = Separator(property_package=fs.props, outlet_list=["product", "heavies"],
                      split_basis=SplittingType.componentFlow)
    fs.M103 = make_mixer(fs, ["heavies", "benzene"])
    fs.R102 = StoichiometricReactor(property_package=fs.props, reaction_package=fs.rxn_trans,
                                    has_heat_transfer=True, has_heat_of_reaction=False)
    fs.trans_conversion = pyo.Var(initialize=0.7, bounds=(0, 1), doc="DIPB conversion in R102")
    fs.R102.conversion_eqn = pyo.Constraint(expr=fs.R102.rate_reaction_extent[0, "TRANS"]
                                            == fs.trans_conversion * fs.R102.inlet.flow_mol_comp[0, "dipb"])

    reactors = [getattr(fs, n) for n in reactor_names(n_reactors)]
    fs.s_mix_heat = Arc(source=fs.M101.outlet, destination=fs.H101.inlet)
    fs.s_heat_rx = Arc(source=fs.H101.outlet, destination=reactors[0].inlet)
    for i, (a, b) in enumerate(zip(reactors[:-1], reactors[1:])):
        setattr(fs, f"s_rx_chain_{i + 2}", Arc(source=a.outlet, destination=b.inlet))
    fs.s_rx_mix = Arc(source=reactors[-1].outlet, destination=fs.M102.reactor)
    fs.s_mix_cool = Arc(source=fs.M102.outlet, destination=fs.H102.inlet)
    fs.s_cool_flash = Arc(source=fs.H102.outlet, destination=fs.F101.inlet)
    fs.s_flash_c1 = Arc(source=fs.F101.liq_outlet, destination=fs.C1.inlet)
    fs.s_c1_split = Arc(source=fs.C1.distillate, destination=fs.S1.inlet)
    fs.s_c1_c2 = Arc(source=fs.C1.bottoms, destination=fs.C2.inlet)
    fs.s_recycle = Arc(source=fs.S1.recycle, destination=fs.M101.recycle)
    fs.s_split_trans = Arc(source=fs.S1.trans, destination=fs.M103.benzene)
    fs.s_c2_trans = Arc(source=fs.C2.heavies, destination=fs.M103.heavies)
    fs.s_mix_trans = Arc(source=fs.M103.outlet, destination=fs.R102.inlet)
    fs.s_trans_back = Arc(source=fs.R102.outlet, destination=fs.M102.trans)
    pyo.TransformationFactory("network.expand_arcs").apply_to(m)
    set_scaling(m)
    return m


def set_scaling(m: pyo.ConcreteModel) -> None:
    """Default scaling factors (flows ~10 mol/s, T ~100 K, P ~1 bar) propagated by IDAES."""
    import logging

    import idaes.core.util.scaling as iscale

    for name, factor in (("flow_mol_comp", 0.1), ("flow_mol", 0.01), ("flow_mol_phase", 0.01),
                         ("temperature", 1e-2), ("pressure", 1e-5)):
        m.fs.props.set_default_scaling(name, factor)
    level = logging.getLogger("idaes.core.util.scaling").level
    logging.getLogger("idaes.core.util.scaling").setLevel(logging.ERROR)
    iscale.calculate_scaling_factors(m)
    logging.getLogger("idaes.core.util.scaling").setLevel(level)


def tear_arcs(m: pyo.ConcreteModel) -> list[ArcData]:
    """The two tear arcs that open every cycle: benzene recycle and transalkylator return."""
    ends = (m.fs.M101.recycle, m.fs.M102.trans)
    return [a for end in ends for a in m.component_data_objects(Arc, descend_into=True) if a.destination is end]


def fix_feeds(fs: FlowsheetBlockData, cond: dict[str, float]) -> None:
    """Fix the benzene and propylene (+ propane) feeds of ``cond`` and the feed mixer pressure."""
    missing = [k for k in CONDITION_BOUNDS if k not in cond]
    if missing:
        raise KeyError(f"operating point lacks {missing}")
    feeds = {
        fs.M101.benzene_feed: {"benzene": cond["benzene_feed"]},
        fs.M101.propylene_feed: {"propylene": (1 - FIXED["propane_in_c3"]) * cond["propylene_feed"],
                                 "propane": FIXED["propane_in_c3"] * cond["propylene_feed"]},
    }
    for port, flows in feeds.items():
        for c in COMPONENTS:
            port.flow_mol_comp[0, c].fix(flows.get(c, FIXED["trace"]))
        port.temperature[0].fix(FIXED["feed_T"])
        port.pressure[0].fix(FIXED["reactor_P"])
    fs.M101.outlet.pressure[0].fix(FIXED["reactor_P"])


def set_conditions(m: pyo.ConcreteModel, cond: dict[str, float]) -> None:
    """Fix the degrees of freedom to the operating point ``cond`` (keys of CONDITION_BOUNDS)."""
    fs = m.fs
    fix_feeds(fs, cond)
    fs.H101.outlet.temperature[0].fix(cond["reactor_T"])
    for name in reactor_names(fs.n_reactors):
        r = getattr(fs, name)
        r.volume[0].fix(cond["reactor_volume"] / fs.n_reactors)
        r.outlet.temperature[0].fix(cond["reactor_T"])
    fs.M102.outlet.pressure[0].fix(cond["flash_P"])
    fs.H102.outlet.temperature[0].fix(cond["flash_T"])
    fs.F101.heat_duty[0].fix(0.0)
    fs.F101.deltaP[0].fix(0.0)
    for sep, key, top in ((fs.C1, "C1_top", "distillate"), (fs.C2, "C2_top", "product")):
        for c in COMPONENTS:
            sep.split_fraction[0, top, c].fix(FIXED[key][c])
    fs.S1.split_fraction[0, "purge"].fix(cond["purge_fraction"])
    fs.S1.split_fraction[0, "trans"].fix(cond["trans_fraction"])
    fs.M103.outlet.pressure[0].fix(FIXED["trans_P"])
    fs.R102.outlet.temperature[0].fix(FIXED["trans_T"])
    fs.trans_conversion.fix(cond["trans_conversion"])


def check_structure(m: pyo.ConcreteModel, square: bool = True) -> None:
    """Raise ValueError before any solve if the flowsheet is disconnected or (``square``) DOF != 0."""
    from idaes.core import UnitModelBlockData

    connected = set()
    for arc in m.component_data_objects(Arc, descend_into=True):
        expanded = arc.expanded_block
        if expanded is None and not arc.active or expanded is not None and not expanded.active:
            continue
        connected.add(arc.source.parent_block())
        connected.add(arc.destination.parent_block())
    units = [b for b in m.fs.component_data_objects(pyo.Block, descend_into=False)
             if isinstance(b, UnitModelBlockData)]
    lonely = [u.local_name for u in units if u not in connected]
    if lonely:
        raise ValueError(f"flowsheet is disconnected: units {lonely} have no Arc")
    dof = degrees_of_freedom(m)
    if square and dof != 0:
        raise ValueError(f"flowsheet has {dof} degrees of freedom (expected 0): "
                         f"{'fix' if dof > 0 else 'unfix'} {abs(dof)} variable(s) before solving")
