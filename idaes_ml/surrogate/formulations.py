"""OMLT formulations by name, activation checks and consistent initial values.

Five formulations embed a dense network in a Pyomo block::

    formulation = make_formulation("reduced_space", network_definition)
    block.nn = OmltBlock()
    block.nn.build_formulation(formulation)
    initialize_formulation(block.nn, network_definition, x_scaled)

``full_space`` / ``reduced_space`` take smooth networks (tanh, sigmoid, softplus),
``relu_bigm`` / ``relu_partition`` give MILPs, ``relu_complementarity`` an MPEC
smoothed for Ipopt.  The activation maps are passed to OMLT explicitly, so
Softplus is available whatever defaults the installed OMLT/IDAES versions use.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from omlt.neuralnet import (
    FullSpaceNNFormulation,
    ReducedSpaceNNFormulation,
    ReluBigMFormulation,
    ReluComplementarityFormulation,
    ReluPartitionFormulation,
)
from omlt.neuralnet.activations import (
    linear_activation_constraint,
    linear_activation_function,
    sigmoid_activation_constraint,
    sigmoid_activation_function,
    softplus_activation_constraint,
    softplus_activation_function,
    tanh_activation_constraint,
    tanh_activation_function,
)
from omlt.neuralnet.layer import DenseLayer
from omlt.neuralnet.layers.partition_based import default_partition_split_func
from pyomo.environ import Var
from pyomo.util.calc_var_value import calculate_variable_from_constraint

if TYPE_CHECKING:
    from omlt import OffsetScaling
    from omlt.block import OmltBlockData
    from omlt.neuralnet import NetworkDefinition

FORMULATIONS = ("full_space", "reduced_space", "relu_bigm", "relu_complementarity", "relu_partition")
SMOOTH_ACTIVATIONS = frozenset({"tanh", "sigmoid", "softplus"})
_ALLOWED = {
    "full_space": SMOOTH_ACTIVATIONS,
    "reduced_space": SMOOTH_ACTIVATIONS,
    "relu_bigm": frozenset({"relu"}),
    "relu_complementarity": frozenset({"relu"}),
    "relu_partition": frozenset({"relu"}),
}
_SMOOTH_CONSTRAINTS = {
    "linear": linear_activation_constraint,
    "sigmoid": sigmoid_activation_constraint,
    "softplus": softplus_activation_constraint,
    "tanh": tanh_activation_constraint,
}
_SMOOTH_FUNCTIONS = {
    "linear": linear_activation_function,
    "sigmoid": sigmoid_activation_function,
    "softplus": softplus_activation_function,
    "tanh": tanh_activation_function,
}
_NUMPY_ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "softplus": lambda z: np.logaddexp(0.0, z),
    "tanh": np.tanh,
}


def check_formulation(name: str, activations: list[str]) -> None:
    """Raise ValueError unless formulation ``name`` can embed hidden ``activations``."""
    if name not in FORMULATIONS:
        raise ValueError(f"unknown formulation {name!r}; choose one of {FORMULATIONS}")
    bad = sorted({a for a in activations if a != "linear"} - _ALLOWED[name])
    if bad:
        fits = _fitting_formulations(activations)
        raise ValueError(
            f"formulation {name!r} cannot embed activation(s) {bad} "
            f"(it supports {sorted(_ALLOWED[name])}); formulations for this network: {fits}"
        )


def _fitting_formulations(activations: list[str]) -> list[str]:
    """The formulations, in :data:`FORMULATIONS` order, that embed hidden ``activations``."""
    used = {a for a in activations if a != "linear"}
    return [f for f in FORMULATIONS if not used - _ALLOWED[f]]


def default_formulation(activations: list[str]) -> str:
    """The first formulation that embeds ``activations`` (``full_space`` if smooth, ``relu_bigm`` if ReLU)."""
    fits = _fitting_formulations(activations)
    if not fits:
        raise ValueError(f"no formulation embeds a network mixing activations {sorted(set(activations))}")
    return fits[0]


def make_formulation(
    name: str, net: NetworkDefinition, partition_splits: int = 2
) -> FullSpaceNNFormulation | ReducedSpaceNNFormulation | ReluPartitionFormulation:
    """OMLT formulation object ``name`` for NetworkDefinition ``net`` (activations checked).

    The relu_bigm and relu_complementarity formulations subclass ``FullSpaceNNFormulation``.
    """
    check_formulation(name, [layer.activation for layer in net.layers if isinstance(layer, DenseLayer)])
    if name == "full_space":
        return FullSpaceNNFormulation(net, activation_constraints=_SMOOTH_CONSTRAINTS)
    if name == "reduced_space":
        return ReducedSpaceNNFormulation(net, activation_functions=_SMOOTH_FUNCTIONS)
    if name == "relu_bigm":
        return ReluBigMFormulation(net)
    if name == "relu_complementarity":
        return ReluComplementarityFormulation(net)
    return ReluPartitionFormulation(net, split_func=partial(default_partition_split_func, n=partition_splits))


def layer_values(net: NetworkDefinition, x_scaled: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pre-activation and output values ``(zhat, z)`` of each dense layer at scaled input ``x``."""
    z = np.asarray(x_scaled, dtype=float)
    values = []
    for layer in net.layers:
        if not isinstance(layer, DenseLayer):
            continue
        zhat = z @ np.asarray(layer.weights, dtype=float) + np.asarray(layer.biases, dtype=float)
        z = _NUMPY_ACTIVATIONS[layer.activation](zhat)
        values.append((zhat, z))
    return values


def _set(var, value: float) -> None:
    """Set ``var`` to ``value`` projected into its bounds (skips fixed vars)."""
    if var.fixed:
        return
    lo, hi = var.bounds
    value = max(value, lo) if lo is not None else value
    value = min(value, hi) if hi is not None else value
    var.set_value(float(value), skip_validation=True)


def initialize_formulation(nn_block: OmltBlockData, net: NetworkDefinition, x_scaled: np.ndarray,
                           scaler: OffsetScaling) -> None:
    """Set every OMLT variable of ``nn_block`` to the network's values at scaled input ``x``.

    ``nn_block`` must have been built from ``net`` (its layer blocks are indexed
    by ``id(layer)``); ``scaler`` is the OMLT OffsetScaling used for it.
    """
    x_scaled = np.asarray(x_scaled, dtype=float).ravel()
    values = layer_values(net, x_scaled)
    y_scaled = values[-1][1]
    x = scaler.get_unscaled_input_expressions(dict(enumerate(x_scaled)))
    y = scaler.get_unscaled_output_expressions(dict(enumerate(y_scaled)))
    for i, idx in enumerate(nn_block.inputs_set):
        _set(nn_block.inputs[idx], x[i])
        _set(nn_block.scaled_inputs[idx], x_scaled[i])
    for i, idx in enumerate(nn_block.outputs_set):
        _set(nn_block.outputs[idx], y[i])
        _set(nn_block.scaled_outputs[idx], y_scaled[i])
    dense = iter(values)
    for layer in net.layers:
        block = nn_block.layer[id(layer)]
        if isinstance(layer, DenseLayer):
            zhat, layer_z = next(dense)
            _set_indexed(block.component("zhat"), layer.output_indexes, zhat)
            _set_indexed(block.component("q_relu"), layer.output_indexes, (zhat > 0).astype(float))
        else:
            layer_z = x_scaled
        _set_indexed(block.component("z"), layer.output_indexes, layer_z)
        _set_complementarity_slacks(block.component("_complementarity"))


def _set_complementarity_slacks(comp) -> None:
    """Give the MPEC slack ``v`` of each complementarity (relu_complementarity) its value."""
    for data in comp.values() if comp is not None else ():
        if data.component("v") is not None and data.component("ve") is not None:
            calculate_variable_from_constraint(data.v, data.ve)


def _set_indexed(var, indexes, values: np.ndarray) -> None:
    """Set an indexed Var (skipped when absent or an Expression, as in reduced space)."""
    if var is None or var.ctype is not Var:
        return
    for j, idx in enumerate(indexes):
        _set(var[idx], values[j])
