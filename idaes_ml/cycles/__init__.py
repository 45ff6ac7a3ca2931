"""Cycle (recycle) solving of flowsheets of unit callables, in torch.

graph (:class:`FlowsheetGraph`, tears) -> solvers (:func:`solve`: direct substitution,
Wegstein, Newton, L-BFGS) -> fine-tuning through the unrolled solver or at the converged
fixed point by the implicit function theorem (:func:`finetune`).
"""

from idaes_ml.cycles.finetune import FINETUNE_METHODS, finetune, implicit_loss, stream_spread, unrolled_loss
from idaes_ml.cycles.graph import FlowsheetGraph, Node
from idaes_ml.cycles.network_unit import UnitData, bias_correct, conserve_flows, flow_var, network_node, splitter_node, unit_dataset
from idaes_ml.cycles.solvers import METHODS, SolveResult, jacobian, residual, solve

__all__ = ["FlowsheetGraph", "Node", "METHODS", "FINETUNE_METHODS", "SolveResult", "UnitData", "bias_correct",
           "conserve_flows", "finetune", "flow_var", "implicit_loss", "jacobian", "network_node", "residual", "solve",
           "splitter_node", "stream_spread", "unit_dataset", "unrolled_loss"]
