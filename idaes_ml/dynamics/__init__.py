"""Learned dynamics for optimization: neural state-space models, rollouts, receding horizon.

    fit (:class:`NeuralStateSpace`) -> wire (:class:`StepGraph`) -> check (:func:`rollout_error`)
    -> embed (:func:`build_horizon_model`, OMLT) -> control (:class:`RecedingHorizon`, Ipopt)
"""

from idaes_ml.dynamics.graph import StepGraph
from idaes_ml.dynamics.horizon import CONSTRAINT_MODES, build_horizon_model, surrogates_for
from idaes_ml.dynamics.receding import RecedingHorizon, initialize_from_simulation, solve_model
from idaes_ml.dynamics.rollout import rollout, rollout_error
from idaes_ml.dynamics.state_space import KnownTerms, NeuralStateSpace
from idaes_ml.dynamics.support import Support

__all__ = [
    "CONSTRAINT_MODES",
    "KnownTerms",
    "NeuralStateSpace",
    "RecedingHorizon",
    "StepGraph",
    "Support",
    "build_horizon_model",
    "initialize_from_simulation",
    "rollout",
    "rollout_error",
    "solve_model",
    "surrogates_for",
]
