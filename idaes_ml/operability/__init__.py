"""Process operability, equation-oriented: sets, OI, inverse (P1/P2/P3), implicit, MILP, dynamic.

    >>> from idaes_ml.operability import FunctionModel, Region, forward_map, PairedPolytopes, oi_output
    >>> m = FunctionModel(lambda u: [u[0] + u[1], u[0] - u[1]], ["a", "b"], ["s", "t"])
    >>> fm = forward_map(m, Region.box({"a": (0, 1), "b": (0, 1)}, name="AIS"), 5, progress=False)
    >>> round(oi_output(PairedPolytopes.from_forward_map(fm), Region.box({"s": (0, 1), "t": (-1, 1)}, name="DOS")), 6)
    0.5

Modules: :mod:`.polytopes` (geometry), :mod:`.sets` (named AIS/AOS/DOS/DIS/EDS),
:mod:`.models` (function / Pyomo / ONNX adapters), :mod:`.forward` (grid forward map with
EDS scenarios), :mod:`.multimodel` (paired polytopes), :mod:`.index` (OI),
:mod:`.inverse` (P1, P2, P3), :mod:`.implicit` (implicit mapping), :mod:`.milp`
(multilayer MILP with HiGHS), :mod:`.ranking` (designs ranked by OI), :mod:`.dynamic`
(funnels, dOI), :mod:`.plots` (PNG figures).
"""

from idaes_ml.operability.dynamic import DynamicResult, FunctionStep, LTIStep, NetworkStep, dynamic_operability
from idaes_ml.operability.forward import ForwardMap, forward_map
from idaes_ml.operability.implicit import ImplicitPath, PyomoImplicit, TorchImplicit, implicit_map, snake_order
from idaes_ml.operability.index import OperabilityIndex, oi_input, oi_output, operability_index
from idaes_ml.operability.inverse import InverseResult, intensify, inverse_map, solve_p3
from idaes_ml.operability.milp import MilpResult, brute_force, multilayer_design, solve_milp
from idaes_ml.operability.models import FunctionModel, NetworkModel, OperabilityModel, PyomoInstance, PyomoModel
from idaes_ml.operability.multimodel import PairedPolytopes
from idaes_ml.operability.polytopes import Polytope, union_volume
from idaes_ml.operability.ranking import RankedDesign, rank_designs
from idaes_ml.operability.sets import Region

__all__ = [
    "DynamicResult", "FunctionStep", "LTIStep", "NetworkStep", "dynamic_operability",
    "ForwardMap", "forward_map", "ImplicitPath", "PyomoImplicit", "TorchImplicit", "implicit_map",
    "snake_order", "OperabilityIndex", "oi_input", "oi_output", "operability_index", "InverseResult", "intensify",
    "inverse_map", "solve_p3", "MilpResult", "brute_force", "multilayer_design", "solve_milp",
    "FunctionModel", "NetworkModel", "OperabilityModel", "PyomoInstance", "PyomoModel",
    "PairedPolytopes", "Polytope", "union_volume", "RankedDesign", "rank_designs", "Region",
]
