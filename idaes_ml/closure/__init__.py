"""Closure re-parameterization: learn the parameters of a reduced ODE model with a network.

    problem = ClosureProblem(rhs, initial_state, observe, times, ...)   # the reduced model
    fits = fit_a_priori(simulate, conditions, targets, x0, bounds)      # (I) per-sample black box,
    MLPRegressor().fit(conditions, fits.params)                         #     then a network on the fits
    net = baseline_network(conditions, baseline, scale)                 # (II) a network trained
    train_a_posteriori(net, problem, conditions, ctx, targets)          #      through the ODE solve
"""

from idaes_ml.closure.aposteriori import TrainingResult, baseline_network, train_a_posteriori
from idaes_ml.closure.apriori import BLACK_BOX_METHODS, APrioriFits, fit_a_priori
from idaes_ml.closure.ode import METHODS, batched_jacobian, implicit_solve
from idaes_ml.closure.problem import ClosureProblem, yield_mse

__all__ = [
    "APrioriFits",
    "BLACK_BOX_METHODS",
    "ClosureProblem",
    "METHODS",
    "TrainingResult",
    "baseline_network",
    "batched_jacobian",
    "fit_a_priori",
    "implicit_solve",
    "train_a_posteriori",
    "yield_mse",
]
