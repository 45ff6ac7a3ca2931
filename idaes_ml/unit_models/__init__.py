"""IDAES unit models built around embedded networks.

    from idaes_ml.unit_models import SurrogateUnit   # see idaes_ml.unit_models.surrogate_unit
"""

from idaes_ml.unit_models.scaling import SurrogateUnitScaler
from idaes_ml.unit_models.surrogate_unit import (
    OUTLET_RULES,
    SurrogateUnit,
    SurrogateUnitData,
    SurrogateUnitInitializer,
    report_domain,
    units_out_of_domain,
)

__all__ = [
    "OUTLET_RULES",
    "SurrogateUnit",
    "SurrogateUnitData",
    "SurrogateUnitInitializer",
    "SurrogateUnitScaler",
    "report_domain",
    "units_out_of_domain",
]
