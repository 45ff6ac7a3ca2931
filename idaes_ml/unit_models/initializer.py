"""IDAES Initializer object for SurrogateUnit (the new initialization API).

    from idaes_ml.unit_models import SurrogateUnitInitializer
    SurrogateUnitInitializer().initialize(m.fs.flash)   # inlet fixed for the call, then restored

The network is evaluated with onnxruntime at the current inlet and unit values,
so the outlet states and every OMLT layer variable start consistent and the
final Ipopt solve of the unit converges at once.  With
``property_equations='full'`` the state blocks are initialized first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import idaes.logger as idaeslog
from idaes.core.initialization import ModularInitializerBase

if TYPE_CHECKING:
    from pyomo.opt import SolverResults

    from idaes_ml.unit_models.surrogate_unit import SurrogateUnitData

__all__ = ["SurrogateUnitInitializer"]


class SurrogateUnitInitializer(ModularInitializerBase):
    """IDAES Initializer: inlet properties, network evaluation (onnxruntime), outlet properties, solve."""

    def initialize_main_model(self, model: SurrogateUnitData, **kwargs: Any) -> SolverResults:
        """Initialize ``model`` (a SurrogateUnit) whose inlet state has been fixed by the caller."""
        if model.full_properties:
            self.get_submodel_initializer(model.properties_in).initialize(model.properties_in)
        model.set_values_from_network()
        if model.full_properties:
            for outlet in model.config.outlet_list:
                state = getattr(model, f"{outlet}_state")
                self.get_submodel_initializer(state).initialize(state)
        solve_log = idaeslog.getSolveLogger(model.name, self.get_output_level(), tag="unit")
        with idaeslog.solver_log(solve_log, idaeslog.DEBUG) as slc:
            return self._get_solver().solve(model, tee=slc.tee)
