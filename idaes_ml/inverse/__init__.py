"""Equation-oriented inversion of an embedded forward network (ONNX -> OMLT -> Ipopt).

    from idaes_ml.inverse import NetworkRef, MisfitProblem, multistart, identifiability_ranges
    net = NetworkRef("models", "forward")
    problem = MisfitProblem(net, target={"y1": 0.3, "y2": 2.0}, weights={"y1": 1.0, "y2": 0.5})
    result = multistart(problem, n_starts=8)              # LHS starts via idaes_ml.parallel.map
    ranges = identifiability_ranges(problem, result.best.x, tolerance=2 * result.best.misfit + 1e-3)
    design = multistart(DesignProblem(net, cost={"u1": 1.0}, output_bounds={"y2": (1.5, 2.5)}))
    rows = invert_table(net, pd.read_csv("targets.csv"))  # every row, with status and ranges (idaes-ml invert)

The library knows nothing about any case study: inputs/outputs are network labels.
"""

from idaes_ml.inverse.identifiability import identifiability_ranges
from idaes_ml.inverse.problem import DesignProblem, MisfitProblem, NetworkRef, RangeProblem, build_base_model
from idaes_ml.inverse.solve import IPOPT_OPTIONS, MultistartResult, StartResult, multistart, solve_start, solve_starts
from idaes_ml.inverse.targets import TargetInversion, check_targets, default_sigma, invert_row, invert_table

__all__ = [
    "DesignProblem",
    "IPOPT_OPTIONS",
    "MisfitProblem",
    "MultistartResult",
    "NetworkRef",
    "RangeProblem",
    "StartResult",
    "TargetInversion",
    "build_base_model",
    "check_targets",
    "default_sigma",
    "identifiability_ranges",
    "invert_row",
    "invert_table",
    "multistart",
    "solve_start",
    "solve_starts",
]
