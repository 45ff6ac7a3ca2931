"""SurrogateUnit: an IDAES unit whose outlet streams are predicted by a neural network.

    from idaes_ml.unit_models import SurrogateUnit
    m.fs.flash = SurrogateUnit(
        property_package=m.fs.props,
        surrogate=("models", "flash"),            # or an OnnxSurrogate
        outlet_list=["vap_outlet", "liq_outlet"],
        inputs={"F": "flow_mol", "z_B": "mole_frac_comp[benzene]", "T": "temperature",
                "Q": "heat_duty"},
        outputs={"V": "vap_outlet.flow_mol", "y_B": "vap_outlet.mole_frac_comp[benzene]",
                 "L": "liq_outlet.flow_mol", "x_B": "liq_outlet.mole_frac_comp[benzene]",
                 "T_out": ["vap_outlet.temperature", "liq_outlet.temperature"]},
        outlet_rules={"mole_frac_comp": "complement"},
    )
    m.fs.flash.heat_duty.fix(0)
    m.fs.s05 = Arc(source=m.fs.heater.outlet, destination=m.fs.flash.inlet)

Network inputs bind to inlet state variables, unit variables (``heat_duty``,
``deltaP``, ``split_fraction`` or names in ``unit_variables``) or outlet state
variables used as specifications; outputs bind to outlet state variables, in the
units of the property package.  Outlet state variables the network does not
predict follow ``outlet_rules``: ``equal_to_inlet`` (default), ``deltaP``
(pressure: P_out = P_in + deltaP, IDAES sign convention; default for pressure
when ``has_pressure_change``), ``complement`` (x[i] = 1 - sum of the others),
``balance`` (extensive variables: inlet minus the other outlets, e.g. liquid
flow = feed - vapour flow) or ``fixed`` (fixed at build; a specification).  With the feed and the unit
variables fixed the unit has zero degrees of freedom.

Conservation-exact units: a network exported with a balance head
(:mod:`idaes_ml.balances`; ``export_onnx(..., balance=SplitHead(...))``) predicts
split logits or reaction extents, bound automatically to ``balance_output``; the
unit's ``balance_eqn`` then sets every outlet component flow, so component (split) or
element (reaction) balances hold to solver tolerance whatever the network predicts
(:mod:`idaes_ml.unit_models.balance_equations`). ``balance='free'`` ignores a recorded
head; ``energy_balance=True`` closes the enthalpy balance with the property package
instead of predicting the outlet temperature.  Binding strings are
described in :mod:`idaes_ml.unit_models.bindings`.  After a failed solve,
``units_out_of_domain(m.fs)`` names the units whose network inputs left the
training bounds (:func:`report_domain` for one unit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyomo.common.config import Bool, ConfigBlock, ConfigValue, In
from pyomo.environ import Block, Constraint, Var, check_optimal_termination, value
from pyomo.environ import units as pyunits

import idaes.logger as idaeslog
from idaes.core import UnitModelBlockData, declare_process_block_class
from idaes.core.solvers import get_solver
from idaes.core.surrogate.surrogate_block import SurrogateBlock
from idaes.core.util.config import is_physical_parameter_block
from idaes.core.util.exceptions import ConfigurationError, InitializationError
from idaes.core.util.initialization import fix_state_vars, revert_state_vars
from idaes.core.util.tables import create_stream_table_dataframe

from idaes_ml.balances import BalanceHead, ReactionHead, SplitHead, head_from_dict
from idaes_ml.surrogate import OnnxSurrogate, check_formulation
from idaes_ml.unit_models.balance_equations import (build_balance, build_energy_balance, claimed_variables,
                                                    initialize_balance)
from idaes_ml.unit_models.bindings import check_labels, index_key, parse_binding, select, state_var
from idaes_ml.unit_models.initializer import SurrogateUnitInitializer
from idaes_ml.unit_models.scaling import SurrogateUnitScaler, output_scaling_factors, set_legacy_scaling

if TYPE_CHECKING:
    from pyomo.core.base.block import BlockData

__all__ = ["OUTLET_RULES", "PROPERTY_EQUATIONS", "SurrogateUnit", "SurrogateUnitData", "SurrogateUnitInitializer",
           "report_domain", "units_out_of_domain"]

OUTLET_RULES = ("equal_to_inlet", "deltaP", "complement", "balance", "fixed")
PROPERTY_EQUATIONS = ("state_only", "full")
_BUILTIN_UNIT_VARS = {"heat_duty": ("power", (None, None)), "deltaP": ("pressure", (None, None)),
                      "split_fraction": (None, (0.0, 1.0))}
_log = idaeslog.getLogger(__name__)


def _start(bounds: tuple[float | None, float | None]) -> float:
    """Default initial value of a unit variable: 0 moved into ``bounds``."""
    lo, hi = bounds
    start = 0.0 if lo is None else max(0.0, lo)
    return start if hi is None else min(start, hi)


def _surrogate_domain(value):
    """Accept an OnnxSurrogate or a ``(directory, name)`` pair (loaded here)."""
    if isinstance(value, OnnxSurrogate):
        return value
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return OnnxSurrogate.load(str(value[0]), str(value[1]))
    raise ConfigurationError(f"surrogate must be an OnnxSurrogate or a (directory, name) pair, got {value!r}")


def _balance_domain(value) -> BalanceHead | str | None:
    """None (use the network's recorded head), 'free', a head, or a head's dict form."""
    if value is None or value == "free" or isinstance(value, (SplitHead, ReactionHead)):
        return value
    if isinstance(value, dict):
        return head_from_dict(value)
    raise ConfigurationError(f"balance must be None, 'free', a SplitHead/ReactionHead or its dict, got {value!r}")


def _outputs_domain(value) -> dict[str, list[str]]:
    return {str(k): [v] if isinstance(v, str) else [str(s) for s in v] for k, v in dict(value).items()}


@declare_process_block_class("SurrogateUnit")
class SurrogateUnitData(UnitModelBlockData):
    """Unit model embedding an :class:`~idaes_ml.surrogate.OnnxSurrogate` between Ports."""

    default_initializer = SurrogateUnitInitializer
    default_scaler = SurrogateUnitScaler
    CONFIG = ConfigBlock()
    CONFIG.declare("dynamic", ConfigValue(default=False, domain=In([False]), description="Dynamic model flag",
                                          doc="SurrogateUnit is steady-state only; must be False."))
    CONFIG.declare("has_holdup", ConfigValue(default=False, domain=In([False]), description="Holdup construction flag",
                                             doc="SurrogateUnit has no holdup; must be False."))
    CONFIG.declare("property_package", ConfigValue(
        default=None, domain=is_physical_parameter_block, description="Property package to use",
        doc="Property parameter block used for the inlet and every outlet state block."))
    CONFIG.declare("property_package_args", ConfigValue(
        default={}, domain=dict, description="Arguments for the property state blocks",
        doc="Keyword arguments passed to the property package when building state blocks."))
    CONFIG.declare("surrogate", ConfigValue(
        default=None, domain=_surrogate_domain, description="The network",
        doc="An OnnxSurrogate, or a (directory, name) pair of <name>.onnx + <name>_idaes_info.json."))
    CONFIG.declare("formulation", ConfigValue(
        default=None, domain=str, description="OMLT formulation",
        doc="One of full_space, reduced_space, relu_bigm, relu_complementarity, relu_partition; "
            "None uses the surrogate's own formulation."))
    CONFIG.declare("enforce_bounds", ConfigValue(
        default=False, domain=Bool, description="Bound the network inputs by the training domain",
        doc="If True the network inputs may not leave the training bounds during the solve."))
    CONFIG.declare("outlet_list", ConfigValue(
        default=["outlet"], domain=list, description="Names of the outlet Ports",
        doc="One state block <name>_state and one Port <name> is built per entry."))
    CONFIG.declare("inputs", ConfigValue(
        default={}, domain=dict, description="Network input label -> bound variable",
        doc="Each network input label maps to an inlet state variable ('temperature', "
            "'mole_frac_comp[benzene]'), a unit variable ('heat_duty', 'deltaP', 'split_fraction' or a "
            "unit_variables name) or an outlet state variable used as a specification "
            "('vap_outlet.temperature')."))
    CONFIG.declare("outputs", ConfigValue(
        default={}, domain=_outputs_domain, description="Network output label -> outlet variable(s)",
        doc="Each network output label maps to one outlet state variable ('vap_outlet.flow_mol') or a "
            "list of them (all set equal to the prediction)."))
    CONFIG.declare("unit_variables", ConfigValue(
        default={}, domain=dict, description="Extra scalar unit variables",
        doc="name -> dict(units=<pyomo units>, bounds=(lo, hi), initialize=value, doc=str); each becomes "
            "a time-indexed Var usable in inputs (a degree of freedom to fix); initialize defaults to 0 "
            "moved into the bounds."))
    CONFIG.declare("has_pressure_change", ConfigValue(
        default=False, domain=Bool, description="Pressure change term construction flag",
        doc="If True a deltaP variable is built and outlet pressures default to P_in + deltaP."))
    CONFIG.declare("outlet_rules", ConfigValue(
        default={}, domain=dict, description="Rules for outlet state variables not predicted",
        doc="Key 'var' or 'outlet.var' -> one of equal_to_inlet, deltaP, complement, balance, fixed."))
    CONFIG.declare("property_equations", ConfigValue(
        default="state_only", domain=In(PROPERTY_EQUATIONS), description="Property equations of the unit's states",
        doc="'state_only' (default) deactivates the property equations (phase split, bubble and dew points, "
            "...) of the unit's own state blocks: bindings are state variables, so the network never needs "
            "them, and downstream IDAES units compute the properties of the streams they receive. This keeps "
            "flash equations of streams near a phase boundary out of the flowsheet solve. 'full' keeps them "
            "(outlet properties reported by the unit itself, at the price of harder solves)."))
    CONFIG.declare("balance", ConfigValue(
        default=None, domain=_balance_domain, description="Balance head of the network",
        doc="None uses the head recorded in the network's metadata (free-form if none); 'free' ignores it; "
            "a SplitHead or ReactionHead (idaes_ml.balances) overrides it. With a head the network's head "
            "outputs bind to balance_output and balance_eqn sets every outlet component flow exactly."))
    CONFIG.declare("energy_balance", ConfigValue(
        default=False, domain=Bool, description="Close the energy balance with the property package",
        doc="If True, H_in + heat_duty = H_out sets the (common) outlet temperature; needs "
            "property_equations='full'; heat_duty is a unit variable to fix or a network input."))
    CONFIG.declare("default_outlet_rule", ConfigValue(
        default="equal_to_inlet", domain=In(OUTLET_RULES), description="Rule for unlisted outlet variables",
        doc="Rule applied to outlet state variables that are neither predicted nor in outlet_rules."))

    def build(self) -> None:
        """Build state blocks, ports, unit variables, the embedded network and outlet rules."""
        super().build()
        cfg = self.config
        surrogate: OnnxSurrogate = cfg.surrogate
        if surrogate is None or cfg.property_package is None:
            raise ConfigurationError(f"{self.name}: property_package and surrogate must be given")
        self.formulation = cfg.formulation or surrogate.formulation
        check_formulation(self.formulation, surrogate.activations)
        self.balance_head = surrogate.balance if cfg.balance is None else (
            None if cfg.balance == "free" else cfg.balance)
        head_labels = self.balance_head.output_labels() if self.balance_head is not None else []
        unknown = [k for k in head_labels if k not in surrogate.output_labels()]
        if unknown:
            raise ConfigurationError(f"{self.name}: balance head labels {unknown} are not outputs of the network "
                                     f"{surrogate.output_labels()}")
        check_labels("inputs", cfg.inputs, surrogate.input_labels())
        check_labels("outputs", cfg.outputs, [k for k in surrogate.output_labels() if k not in head_labels])
        time = self.flowsheet().time
        args = dict(cfg.property_package_args)
        self.properties_in = cfg.property_package.build_state_block(
            time, doc="Inlet state", defined_state=True, **args)
        self.add_port("inlet", self.properties_in, doc="Inlet port")
        for outlet in cfg.outlet_list:
            block = cfg.property_package.build_state_block(
                time, doc=f"{outlet} state", defined_state=True, has_phase_equilibrium=False, **args)
            self.add_component(f"{outlet}_state", block)
            self.add_port(outlet, block, doc=f"{outlet} port")
        if cfg.property_equations == "state_only":
            for state in self._state_blocks():
                for data in state.values():
                    for con in data.component_data_objects(Constraint, descend_into=True):
                        con.deactivate()
        self._build_unit_variables()
        t0 = time.first()
        self._input_refs = {k: self._resolve(v, t0, "input") for k, v in cfg.inputs.items()}
        self._output_refs = {k: [self._resolve(v, t0, "output") for v in vs] for k, vs in cfg.outputs.items()}
        self._claimed: set[tuple[str, str, tuple[str, ...]]] = set()
        if self.balance_head is not None:
            build_balance(self, self.balance_head, time)
            self._output_refs.update({k: [("unit", "balance_output", (k,))] for k in head_labels})
            self._claimed |= {(o, n, i) for o in cfg.outlet_list for n, i in claimed_variables(self._state(o)[t0])}
        if cfg.energy_balance:
            build_energy_balance(self, time)
            self._claimed |= {(o, "temperature", ()) for o in cfg.outlet_list}
        twice = sorted(f"{o}.{n}" for rs in self._output_refs.values() for o, n, _ in rs if (o, n, _) in self._claimed)
        if twice:
            raise ConfigurationError(f"{self.name}: outputs {twice} are set by the balance equations; "
                                     "remove their bindings (the head determines them)")
        self.surrogate_block = SurrogateBlock(time)
        for t in time:
            self.surrogate_block[t].build_model(
                surrogate,
                input_vars=[self._ref_at(self._input_refs[k], t) for k in surrogate.input_labels()],
                output_vars=[self._ref_at(self._output_refs[k][0], t) for k in surrogate.output_labels()],
                use_surrogate_bounds=False, formulation=self.formulation, enforce_bounds=cfg.enforce_bounds)
        copies = [(k, i) for k, refs in self._output_refs.items() for i in range(1, len(refs))]
        self.output_copies = Constraint(time, range(len(copies)), rule=lambda b, t, n: (
            b._ref_at(b._output_refs[copies[n][0]][copies[n][1]], t)
            == b._ref_at(b._output_refs[copies[n][0]][0], t)))
        self._build_outlet_rules(time)

    # -- construction helpers ---------------------------------------------------
    def _build_unit_variables(self) -> None:
        cfg = self.config
        meta = cfg.property_package.get_metadata()
        wanted = {parse_binding(v, cfg.outlet_list)[1] for v in cfg.inputs.values()
                  if parse_binding(v, cfg.outlet_list)[0] is None}
        if cfg.has_pressure_change or "deltaP" in cfg.outlet_rules.values():
            wanted.add("deltaP")
        if cfg.energy_balance:
            wanted.add("heat_duty")
        self._unit_var_names = []
        for name, (quantity, bounds) in _BUILTIN_UNIT_VARS.items():
            if name in wanted and name not in cfg.unit_variables:
                units = meta.get_derived_units(quantity) if quantity else pyunits.dimensionless
                self.add_component(name, Var(self.flowsheet().time, initialize=_start(bounds), units=units,
                                             bounds=bounds, doc=f"Unit variable {name}"))
                self._unit_var_names.append(name)
        for name, spec in cfg.unit_variables.items():
            spec = dict(spec)
            unknown = set(spec) - {"units", "bounds", "initialize", "doc"}
            if unknown:
                raise ConfigurationError(f"{self.name}: unit_variables[{name!r}] has unknown keys {sorted(unknown)}")
            bounds = spec.get("bounds", (None, None))
            self.add_component(name, Var(self.flowsheet().time, initialize=spec.get("initialize", _start(bounds)),
                                         units=spec.get("units", pyunits.dimensionless),
                                         bounds=bounds, doc=spec.get("doc", name)))
            self._unit_var_names.append(name)

    def _resolve(self, text: str, t, role: str) -> tuple[str, str, tuple[str, ...]]:
        """Check a binding and return ``(owner, var, index)`` with owner 'unit', 'inlet' or an outlet."""
        outlets = self.config.outlet_list
        owner, name, index = parse_binding(text, outlets)
        if owner is None and name in self._unit_var_names:
            if role == "output":
                raise ConfigurationError(f"{self.name}: output binding {text!r} names unit variable {name!r}; "
                                         "outputs must bind outlet state variables")
            select(getattr(self, name)[t], index, text)
            return "unit", name, index
        if owner is None:
            if role == "output" and len(outlets) != 1:
                raise ConfigurationError(f"{self.name}: output binding {text!r} must name its outlet, one of {outlets}")
            owner = "inlet" if role == "input" else outlets[0]
        if role == "output" and owner == "inlet":
            raise ConfigurationError(f"{self.name}: output binding {text!r} names the inlet; outputs are outlet variables")
        state_var(self._state(owner)[t], name, index, text)
        return owner, name, index

    def _state_blocks(self) -> list:
        """The inlet state block followed by every outlet state block."""
        return [self.properties_in] + [self._state(o) for o in self.config.outlet_list]

    @property
    def full_properties(self) -> bool:
        """True when the state blocks keep their property equations (``property_equations='full'``)."""
        return self.config.property_equations == "full"

    def _state(self, owner: str):
        return self.properties_in if owner == "inlet" else getattr(self, f"{owner}_state")

    def _ref_at(self, ref: tuple[str, str, tuple[str, ...]], t):
        """The VarData a resolved binding denotes at time ``t``."""
        owner, name, index = ref
        if owner == "unit":
            return getattr(self, name)[(t, *index)] if index else getattr(self, name)[t]
        return state_var(self._state(owner)[t], name, index, f"{owner}.{name}")

    def _build_outlet_rules(self, time) -> None:
        cfg = self.config
        taken = {(o, n, i) for o, n, i in list(self._input_refs.values()) + [r for rs in self._output_refs.values()
                                                                              for r in rs]} | self._claimed
        self._rules: dict[str, tuple[str, str, tuple[str, ...], str]] = {}
        t0 = time.first()
        known = {key for outlet in cfg.outlet_list for name in self._state(outlet)[t0].define_state_vars()
                 for key in (name, f"{outlet}.{name}")}
        unknown = sorted(k for k in cfg.outlet_rules if k not in known)
        if unknown:
            raise ConfigurationError(
                f"{self.name}: outlet_rules keys {unknown} name no outlet state variable; keys are whole "
                f"variables, 'name' or 'outlet.name' (per-index rules are not supported): {sorted(known)}")
        for outlet in cfg.outlet_list:
            for name, var in self._state(outlet)[t0].define_state_vars().items():
                rule = cfg.outlet_rules.get(f"{outlet}.{name}", cfg.outlet_rules.get(name))
                if rule is None:
                    rule = "deltaP" if name == "pressure" and cfg.has_pressure_change else cfg.default_outlet_rule
                if rule not in OUTLET_RULES or (rule == "deltaP" and name != "pressure"):
                    raise ConfigurationError(f"{self.name}: outlet rule {rule!r} for {outlet}.{name} is not valid; "
                                             f"rules are {OUTLET_RULES} (deltaP only for pressure)")
                for idx in var.index_set() if var.is_indexed() else [None]:
                    key = index_key(idx)
                    if (outlet, name, key) not in taken:
                        label = f"{outlet}.{name}" + (f"[{', '.join(key)}]" if key else "")
                        self._rules[label] = (outlet, name, key, rule)
        for t in time:
            for outlet, name, key, rule in self._rules.values():
                if rule == "fixed":
                    self._ref_at((outlet, name, key), t).fix()
        keys = [k for k, v in self._rules.items() if v[3] != "fixed"]
        self.outlet_rule_eqn = Constraint(time, keys, rule=lambda b, t, k: b._rule_expr(t, k))

    def _rule_expr(self, t, key: str):
        outlet, name, index, rule = self._rules[key]
        var = self._ref_at((outlet, name, index), t)
        if rule == "equal_to_inlet":
            return var == self._ref_at(("inlet", name, index), t)
        if rule == "deltaP":
            return var == self._ref_at(("inlet", name, index), t) + self.deltaP[t]
        if rule == "balance":
            others = [self._ref_at((o, name, index), t) for o in self.config.outlet_list if o != outlet]
            return var == self._ref_at(("inlet", name, index), t) - sum(others)
        parent = var.parent_component()
        return var == 1 - sum(v for v in parent.values() if v is not var)

    # -- initialization, domain, reporting --------------------------------------
    def _rule_value(self, t, key: str) -> float:
        """Value an outlet rule gives its variable from current values (for initialization)."""
        return float(value(self._rule_expr(t, key).args[1]))

    def set_values_from_network(self) -> None:
        """Evaluate the network (onnxruntime) at the current inputs; set outlets, rules and OMLT layers."""
        surrogate: OnnxSurrogate = self.config.surrogate
        for t in self.flowsheet().time:
            outside = self.report_domain(t)
            if outside:
                _log.warning(f"{self.name}: network inputs outside the training domain: {outside}")
            surrogate.initialize_block(self.surrogate_block[t])
            if self.balance_head is not None:
                initialize_balance(self, self.balance_head, t)
            for refs in self._output_refs.values():
                for ref in refs[1:]:
                    self._ref_at(ref, t).set_value(self._ref_at(refs[0], t).value, skip_validation=True)
            for key, (outlet, name, index, rule) in list(self._rules.items()) * 2:  # 2nd pass: rules using rules
                if rule != "fixed":
                    self._ref_at((outlet, name, index), t).set_value(self._rule_value(t, key), skip_validation=True)

    def initialize_build(self, state_args: dict | None = None, outlvl: int = idaeslog.NOTSET,
                         solver: str | None = None, optarg: dict | None = None) -> None:
        """Hold the inlet, evaluate the network with onnxruntime, set outlets and layers, solve, release.

        With ``property_equations='state_only'`` the state blocks have no equations to initialize.
        """
        init_log = idaeslog.getInitLogger(self.name, outlvl, tag="unit")
        solve_log = idaeslog.getSolveLogger(self.name, outlvl, tag="unit")
        if self.full_properties:
            flags = self.properties_in.initialize(outlvl=outlvl, optarg=optarg, solver=solver,
                                                  state_args=state_args, hold_state=True)
        else:
            flags = fix_state_vars(self.properties_in, state_args)
        try:
            self.set_values_from_network()
            if self.full_properties:
                for outlet in self.config.outlet_list:
                    self._state(outlet).initialize(outlvl=outlvl, optarg=optarg, solver=solver, hold_state=False)
            init_log.info_high("Initialization Step 1 (network evaluation) complete.")
            with idaeslog.solver_log(solve_log, idaeslog.DEBUG) as slc:
                results = get_solver(solver, optarg).solve(self, tee=slc.tee)
        finally:  # the inlet is released even when a step raises
            if self.full_properties:
                self.properties_in.release_state(flags, outlvl)
            else:
                revert_state_vars(self.properties_in, flags)
        if not check_optimal_termination(results):
            raise InitializationError(f"{self.name} failed to initialize: {results.solver.termination_condition}")
        init_log.info(f"Initialization complete: {idaeslog.condition(results)}")

    def report_domain(self, t: float | None = None) -> dict[str, tuple[float, float, float]]:
        """``{label: (value, low, high)}`` for network inputs outside the training bounds at ``t``."""
        t = self.flowsheet().time.first() if t is None else t
        row = {k: self._ref_at(ref, t).value for k, ref in self._input_refs.items()}
        return self.config.surrogate.domain_violations(row)

    def calculate_scaling_factors(self) -> None:
        """Legacy scaling: outlet variables and their ties scaled from the network's output scaler."""
        super().calculate_scaling_factors()
        set_legacy_scaling(self)

    def output_vars(self, t: float) -> dict:
        """``{label: [VarData, ...]}`` of the outlet variables each output is bound to at ``t``."""
        return {k: [self._ref_at(r, t) for r in refs] for k, refs in self._output_refs.items()}

    def output_scaling_factors(self) -> dict[str, float]:
        """Scaling factor per output label from the network's output scaler."""
        return output_scaling_factors(self.config.surrogate)

    def _get_performance_contents(self, time_point=0):
        return {"vars": {name: getattr(self, name)[time_point] for name in self._unit_var_names}}

    def _get_stream_table_contents(self, time_point=0):
        ports = {"inlet": self.inlet} | {o: getattr(self, o) for o in self.config.outlet_list}
        return create_stream_table_dataframe(ports, time_point=time_point)


def report_domain(unit: SurrogateUnitData) -> dict[str, tuple[float, float, float]]:
    """Network inputs of SurrogateUnit ``unit`` outside the training bounds at its current point."""
    return unit.report_domain()


def units_out_of_domain(flowsheet: BlockData) -> dict[str, dict[str, tuple[float, float, float]]]:
    """``{unit name: report_domain(unit)}`` for every SurrogateUnit of ``flowsheet`` that is outside."""
    found = {u.name: u.report_domain() for u in flowsheet.component_data_objects(Block, descend_into=True)
             if isinstance(u, SurrogateUnitData)}
    return {k: v for k, v in found.items() if v}
