"""Scaling of a SurrogateUnit from its network's output scaler.

An output with offset ``o`` and factor ``f`` (scaled = (y - o)/f) has magnitude
about ``|o| + f``; its outlet variables and the ties to the network get the
scaling factor ``1 / (|o| + f)``.  Both IDAES scaling interfaces are provided:
:class:`SurrogateUnitScaler` (``CustomScalerBase``, new API) and
:func:`set_legacy_scaling` (``iscale`` suffixes, used by ``calculate_scaling_factors``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyomo.common.collections import ComponentMap
from pyomo.environ import Var

import idaes.core.util.scaling as iscale
from idaes.core.scaling import CustomScalerBase

if TYPE_CHECKING:
    from idaes_ml.surrogate import OnnxSurrogate
    from idaes_ml.unit_models.surrogate_unit import SurrogateUnitData


def output_scaling_factors(surrogate: OnnxSurrogate) -> dict[str, float]:
    """``{output label: 1 / (|offset| + factor)}`` from the surrogate's output scaler."""
    m = surrogate.network.metadata
    return {k: 1.0 / (abs(float(o)) + abs(float(f)))
            for k, o, f in zip(m.output_labels, m.output_offset, m.output_factor)}


def _scaled_items(unit):
    """Yield ``(outlet VarData, tie ConstraintData or None, factor)`` for every bound output."""
    factors = unit.output_scaling_factors()
    for t in unit.flowsheet().time:
        ties = unit.surrogate_block[t].output_surrogate_ties
        for label, variables in unit.output_vars(t).items():
            for i, var in enumerate(variables):
                yield var, ties[label] if i == 0 else None, factors[label]


def set_legacy_scaling(unit: SurrogateUnitData) -> None:
    """Set ``iscale`` factors of the unit's predicted outlet variables and network ties."""
    for var, tie, sf in _scaled_items(unit):
        iscale.set_scaling_factor(var, sf, overwrite=True)
        if tie is not None:
            iscale.constraint_scaling_transform(tie, sf, overwrite=True)


class SurrogateUnitScaler(CustomScalerBase):
    """Scaler for SurrogateUnit (new IDAES scaling API)."""

    def variable_scaling_routine(self, model: SurrogateUnitData, overwrite: bool = False,
                                 submodel_scalers: ComponentMap | None = None) -> None:
        """Predicted outlet variables from the network, other outlet variables copied from the inlet.

        As with IDAES's own units, the inlet state's scaling (flows in particular) is the user's to set.
        """
        for var, _, sf in _scaled_items(model):
            self.set_variable_scaling_factor(var, sf, overwrite=overwrite)
        self.call_submodel_scaler_method(model.properties_in, method="variable_scaling_routine",
                                         submodel_scalers=submodel_scalers, overwrite=overwrite)
        for outlet in model.config.outlet_list:
            state = getattr(model, f"{outlet}_state")
            for t in state.index_set():
                self._copy_scaling(state[t], model.properties_in[t])
            self.call_submodel_scaler_method(state, method="variable_scaling_routine",
                                             submodel_scalers=submodel_scalers, overwrite=overwrite)

    def _copy_scaling(self, target, source) -> None:
        """Give ``target``'s variables the scaling factors set on ``source``'s (without overwriting)."""
        for var in source.component_data_objects(Var, descend_into=False):
            sf = self.get_scaling_factor(var)
            twin = target.find_component(var.local_name)
            if sf is not None and twin is not None:
                self.set_variable_scaling_factor(twin, sf, overwrite=False)

    def constraint_scaling_routine(self, model: SurrogateUnitData, overwrite: bool = False,
                                   submodel_scalers: ComponentMap | None = None) -> None:
        """Scale state-block constraints, the network ties and the outlet rules by nominal value."""
        for block in [model.properties_in] + [getattr(model, f"{o}_state") for o in model.config.outlet_list]:
            self.call_submodel_scaler_method(block, method="constraint_scaling_routine",
                                             submodel_scalers=submodel_scalers, overwrite=overwrite)
        for _, tie, sf in _scaled_items(model):
            if tie is not None:
                self.set_constraint_scaling_factor(tie, sf, overwrite=overwrite)
        for con in list(model.outlet_rule_eqn.values()) + list(model.output_copies.values()):
            self.scale_constraint_by_nominal_value(con, overwrite=overwrite)
