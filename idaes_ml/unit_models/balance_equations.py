"""Pyomo equations of a balance head inside a SurrogateUnit (see :mod:`idaes_ml.balances`).

The network's head outputs bind to ``unit.balance_output[t, label]``; ``balance_eqn``
sets every outlet component flow from them and the inlet component flows, so the
unit's component (split) or element (reaction) balances hold to solver tolerance:

* split: ``F[o, c] = F_in[c] exp(L[o, c]) / sum_o' exp(L[o', c])`` (``L[ref, c] = 0``);
* reaction: ``F[c] = F_in[c] + sum_r nu[c, r] xi[r]`` with ``xi[r] = y[r] F_in[basis r]``
  or ``y[r]``.

States with ``flow_mol_comp`` (e.g. FcTP) are written directly; states with
``flow_mol`` and ``mole_frac_comp`` (FTPx) get ``flow_mol x[c]`` on the left and
``sum_c x[c] = 1`` per outlet (``balance_frac_sum``). With ``energy_balance`` the
outlet temperature follows from the enthalpy balance ``H_in + Q = H_out`` (property
equations must be kept: ``property_equations='full'``), all outlets at one temperature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyomo.environ import Constraint, Var, exp, value
from pyomo.environ import units as pyunits

from idaes.core.util.exceptions import ConfigurationError

from idaes_ml.balances import BalanceError, ReactionHead, SplitHead
from idaes_ml.unit_models.bindings import index_key

if TYPE_CHECKING:
    from idaes.core.base.property_base import StateBlockData
    from pyomo.core.expr.numeric_expr import NumericExpression

    from idaes_ml.balances import BalanceHead
    from idaes_ml.unit_models.surrogate_unit import SurrogateUnitData

__all__ = ["component_flow", "claimed_variables", "molecular_weights", "check_head", "build_balance",
           "build_energy_balance", "initialize_balance"]


def _basis(state: StateBlockData) -> str:
    names = state.define_state_vars()
    if "flow_mol_comp" in names:
        return "comp"
    if "flow_mol" in names and "mole_frac_comp" in names:
        return "total"
    raise ConfigurationError(f"{state.name}: balance heads need state variables flow_mol_comp, or flow_mol and "
                             f"mole_frac_comp; this state has {sorted(names)}")


def component_flow(state: StateBlockData, component: str) -> NumericExpression:
    """Molar flow of ``component`` in a state block (a state variable or flow x fraction)."""
    sv = state.define_state_vars()
    if _basis(state) == "comp":
        return sv["flow_mol_comp"][component]
    return sv["flow_mol"] * sv["mole_frac_comp"][component]


def claimed_variables(state: StateBlockData) -> set[tuple[str, tuple[str, ...]]]:
    """``(name, index)`` of the outlet state variables a balance head determines."""
    sv = state.define_state_vars()
    if _basis(state) == "comp":
        return {("flow_mol_comp", index_key(i)) for i in sv["flow_mol_comp"].index_set()}
    return {("flow_mol", ())} | {("mole_frac_comp", index_key(i)) for i in sv["mole_frac_comp"].index_set()}


def molecular_weights(property_package) -> dict[str, float] | None:
    """Molecular weights by component from an IDAES property package (None if it has none)."""
    out = {}
    for c in property_package.component_list:
        comp = property_package.get_component(c) if hasattr(property_package, "get_component") else None
        if comp is not None and hasattr(comp, "mw"):
            out[c] = float(value(comp.mw))
        elif hasattr(property_package, "mw_comp"):
            out[c] = float(value(property_package.mw_comp[c]))
        else:
            return None
    return out


def check_head(unit: SurrogateUnitData, head: BalanceHead) -> None:
    """Raise BalanceError if ``head`` does not fit the unit (outlets, components, mass)."""
    pp = unit.config.property_package
    components = list(pp.component_list)
    if isinstance(head, SplitHead):
        head.check_outlets(unit.config.outlet_list, components, unit.name)
        return
    if len(unit.config.outlet_list) != 1:
        raise BalanceError(f"{unit.name}: a reaction head needs one outlet, the unit has {unit.config.outlet_list}")
    if sorted(head.components) != sorted(components):
        raise BalanceError(f"{unit.name}: reaction head components {list(head.components)} are not the property "
                           f"package's {components}")
    mw = molecular_weights(pp)
    if mw is None:
        raise BalanceError(f"{unit.name}: property package {pp.name} gives no molecular weights; "
                           "the reaction head's mass conservation cannot be checked")
    try:
        head.check_mass(mw, rtol=1e-6)
    except BalanceError as exc:
        raise BalanceError(f"{unit.name}: {exc}") from exc


def _split_rhs(unit, head: SplitHead, t, outlet: str, c: str):
    logit = {o: (unit.balance_output[t, head.label(o, c)] if o != head.outlets[-1] else 0.0)
             for o in head.outlets}
    total = sum(exp(v) for v in logit.values())
    return component_flow(unit.properties_in[t], c) * exp(logit[outlet]) / total


def _reaction_rhs(unit, head: ReactionHead, t, c: str):
    inlet = unit.properties_in[t]
    change = 0
    for r in head.reactions:
        nu = head.stoichiometry[r].get(c, 0.0)
        if nu:
            y = unit.balance_output[t, head.label(r)]
            xi = y * component_flow(inlet, head.basis[r]) if r in head.basis else y
            change = change + nu * xi
    return component_flow(inlet, c) + change


def build_balance(unit: SurrogateUnitData, head: BalanceHead, time) -> None:
    """Add ``balance_output``, ``balance_eqn`` (and ``balance_frac_sum`` for FTPx) to ``unit``."""
    check_head(unit, head)
    labels = head.output_labels()
    raw = [r for r in getattr(head, "reactions", []) if r not in head.basis]
    if raw and len(raw) != len(labels):
        raise BalanceError(f"{unit.name}: give every reaction a basis or none (extents {raw} would be in flow "
                           "units, the others fractions)")
    units = (unit.config.property_package.get_metadata().get_derived_units("flow_mole") if raw
             else pyunits.dimensionless)
    unit.balance_output = Var(time, labels, initialize=0.0, units=units,
                              doc="Balance-head outputs of the network (split logits, extents)")
    outlets = unit.config.outlet_list
    components = list(head.components)

    def rule(b, t, o, c):
        rhs = _split_rhs(b, head, t, o, c) if isinstance(head, SplitHead) else _reaction_rhs(b, head, t, c)
        return component_flow(b._state(o)[t], c) == rhs

    unit.balance_eqn = Constraint(time, outlets, components, rule=rule, doc="Outlet component flows from the head")
    total = [o for o in outlets if _basis(unit._state(o)[time.first()]) == "total"]
    unit.balance_frac_sum = Constraint(time, total, rule=lambda b, t, o: (
        sum(b._state(o)[t].define_state_vars()["mole_frac_comp"][c] for c in components) == 1))


def build_energy_balance(unit: SurrogateUnitData, time) -> None:
    """``H_in + heat_duty = H_out`` and equal outlet temperatures (needs the property equations)."""
    if not unit.full_properties:
        raise ConfigurationError(f"{unit.name}: energy_balance=True needs property_equations='full' "
                                 "(the enthalpies come from the property package's equations)")
    outlets = unit.config.outlet_list

    def enthalpy(state):
        return sum(state.get_enthalpy_flow_terms(p) for p in state.phase_list)

    unit.enthalpy_balance = Constraint(time, rule=lambda b, t: (
        enthalpy(b.properties_in[t]) + b.heat_duty[t] == sum(enthalpy(b._state(o)[t]) for o in outlets)))
    unit.outlet_temperature_eqn = Constraint(time, outlets[1:], rule=lambda b, t, o: (
        b._state(o)[t].temperature == b._state(outlets[0])[t].temperature))


def initialize_balance(unit: SurrogateUnitData, head: BalanceHead, t) -> None:
    """Set every outlet flow variable the head claims from the current head outputs."""
    for o in unit.config.outlet_list:
        state = unit._state(o)[t]
        flows = {c: float(value(_split_rhs(unit, head, t, o, c) if isinstance(head, SplitHead)
                                else _reaction_rhs(unit, head, t, c))) for c in head.components}
        sv = state.define_state_vars()
        if _basis(state) == "comp":
            for c, f in flows.items():
                sv["flow_mol_comp"][c].set_value(max(f, 0.0), skip_validation=True)
        else:
            total = sum(flows.values())
            sv["flow_mol"].set_value(total, skip_validation=True)
            for c, f in flows.items():
                sv["mole_frac_comp"][c].set_value(f / total if total > 0 else 1.0 / len(flows),
                                                  skip_validation=True)
