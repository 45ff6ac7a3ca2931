"""Single-unit data sets and network-backed graph nodes.

A data table holds one row per operating point with columns ``"<unit>.<port>.<var>"``
for stream variables, ``"<unit>.<result>"`` for unit results and ``"<param_prefix><p>"``
for operating parameters. :func:`unit_dataset` cuts out one unit's inputs (inlet
streams + parameters) and outputs (outlet streams + results), setting aside the columns
that never vary as constants; :func:`network_node` turns a trained
:class:`~idaes_ml.nn.ScaledNetwork` plus those constants into a graph :class:`Node`.

Network labels are ``"<port>.<var>"``, ``"param.<p>"`` (inputs) and ``"<port>.<var>"``,
``"<result>"`` (outputs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from idaes_ml.cycles.graph import Node
from idaes_ml.nn import ScaledNetwork

__all__ = ["UnitData", "unit_dataset", "network_node", "conserve_flows"]


@dataclass
class UnitData:
    """One unit's varying inputs ``X`` and outputs ``Y``, constant outputs and outputs
    that always equal an input (``passthrough``: output label -> input label)."""

    X: pd.DataFrame
    Y: pd.DataFrame
    constants: dict[str, float]
    passthrough: dict[str, str]


def _is_constant(col: pd.Series, atol: float) -> bool:
    return float(col.std(ddof=0)) <= atol * max(1.0, float(col.abs().mean()))


def unit_dataset(df: pd.DataFrame, unit: str, inlets: list[str], outlets: list[str],
                 stream_vars: list[str], params: list[str] = (), results: list[str] = (),
                 param_prefix: str = "cond.", atol: float = 1e-9, floor: float = 0.0) -> UnitData:
    """Inputs/outputs of ``unit`` from a wide table; constant columns become constants.

    Input columns whose magnitude never exceeds ``floor`` (trace flows) are dropped too:
    their relative noise would dominate a standardized input. Trace outputs stay (their
    absolute error is as small as they are).
    """
    xcols = {f"{p}.{v}": f"{unit}.{p}.{v}" for p in inlets for v in stream_vars}
    xcols.update({f"param.{p}": f"{param_prefix}{p}" for p in params})
    ycols = {f"{p}.{v}": f"{unit}.{p}.{v}" for p in outlets for v in stream_vars}
    ycols.update({r: f"{unit}.{r}" for r in results})
    missing = [c for c in list(xcols.values()) + list(ycols.values()) if c not in df.columns]
    if missing:
        raise KeyError(f"table lacks columns of unit {unit}: {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    X = pd.DataFrame({k: df[c].to_numpy(float) for k, c in xcols.items()})
    Y = pd.DataFrame({k: df[c].to_numpy(float) for k, c in ycols.items()})
    def negligible(col: pd.Series) -> bool:
        return _is_constant(col, atol) or float(col.abs().max()) <= floor

    constants = {k: float(Y[k].mean()) for k in Y.columns if _is_constant(Y[k], atol)}
    passthrough = {}
    for k in Y.columns:
        if k in constants:
            continue
        same = [j for j in X.columns
                if np.allclose(Y[k].to_numpy(), X[j].to_numpy(), rtol=1e-9, atol=atol)]
        if same:
            passthrough[k] = same[0]
    X = X[[k for k in X.columns if not negligible(X[k])]]
    Y = Y.drop(columns=list(constants) + list(passthrough))
    return UnitData(X, Y, constants, passthrough)


def network_node(name: str, net: ScaledNetwork | None, inlets: dict[str, str], outlets: dict[str, str],
                 stream_vars: list[str], constants: dict[str, float], params: list[str] = (),
                 passthrough: dict[str, str] | None = None, domain_tolerance: float = 0.0) -> Node:
    """A graph node whose outlets are ``net``'s predictions, constants or copied inputs.

    ``net`` may be None when every outlet variable is constant or copied (e.g. a heater's
    flows and temperature set point).
    """
    passthrough = dict(passthrough or {})
    in_labels = list(net.input_labels) if net is not None else []
    out_labels = list(net.output_labels) if net is not None else []
    var_index = {v: i for i, v in enumerate(stream_vars)}
    param_index = {p: i for i, p in enumerate(params)}
    for label in in_labels + list(passthrough.values()):
        head, _, tail = label.partition(".")
        ok = (tail in param_index) if head == "param" else (head in inlets and tail in var_index)
        if not ok:
            raise ValueError(f"network input {label!r} of unit {name} matches no inlet stream variable "
                             f"({list(inlets)} x {stream_vars}) or parameter {list(params)}")
    outputs = out_labels + list(constants) + list(passthrough)
    for label in outputs:
        head, _, tail = label.partition(".")
        if tail and (head not in outlets or tail not in var_index):
            raise ValueError(f"network output {label!r} of unit {name} matches no outlet stream variable "
                             f"({list(outlets)} x {stream_vars})")
    uncovered = [f"{p}.{v}" for p in outlets for v in stream_vars if f"{p}.{v}" not in outputs]
    if uncovered:
        raise ValueError(f"unit {name}: outlet variables {uncovered} are neither predicted nor constant")

    def pick(label, inl, par):
        head, _, tail = label.partition(".")
        return par[:, param_index[tail]] if head == "param" else inl[head][:, var_index[tail]]

    def gather(inl: dict[str, torch.Tensor], par: torch.Tensor | None) -> torch.Tensor:
        return torch.stack([pick(label, inl, par) for label in in_labels], dim=1)

    def forward(inl, par):
        ref = next(iter(inl.values()))
        values = {}
        if net is not None:
            y = net.torch_forward(gather(inl, par))
            values = {lab: y[:, i].to(ref.dtype) for i, lab in enumerate(out_labels)}
        values.update({lab: torch.full((ref.shape[0],), c, dtype=ref.dtype) for lab, c in constants.items()})
        values.update({lab: pick(src, inl, par).to(ref.dtype) for lab, src in passthrough.items()})
        out = {p: torch.stack([values[f"{p}.{v}"] for v in stream_vars], dim=1) for p in outlets}
        out.update({lab: v for lab, v in values.items() if "." not in lab})
        return out

    def check(inl, par) -> list[str]:
        if net is None:
            return []
        x = gather(inl, par).detach().cpu().numpy()
        problems = []
        for j, label in enumerate(in_labels):
            lo, hi = net.input_bounds.get(label, (-np.inf, np.inf))
            slack = domain_tolerance * (hi - lo)
            bad = (x[:, j] < lo - slack) | (x[:, j] > hi + slack) | ~np.isfinite(x[:, j])
            if bad.any():
                problems.append(f"{label} outside [{lo:.6g}, {hi:.6g}] in {int(bad.sum())} row(s), "
                                f"e.g. {x[bad, j][0]:.6g}")
        return problems

    return Node(name, dict(inlets), dict(outlets), forward, list(params), check)


def conserve_flows(node: Node, flow_columns: list[int]) -> Node:
    """``node`` with the flow columns of its single outlet replaced by the summed inlets.

    A mixer is mass balance plus an energy balance; when the equation-oriented flowsheet
    keeps the mixer as a first-principles unit, the graph should too: the network then
    only supplies the non-flow variables (temperature, pressure), and fine-tuning
    cannot make a mixer network's flow errors compensate for other units.
    """
    if len(node.outlets) != 1:
        raise ValueError(f"unit {node.name} has outlets {list(node.outlets)}; a mixer has one")
    (port,) = node.outlets
    cols = torch.tensor(flow_columns, dtype=torch.long)

    def forward(inl, par):
        out = node.forward(inl, par)
        total = sum(v[:, cols] for v in inl.values())
        stream = out[port].clone()
        stream[:, cols] = total.to(stream.dtype)
        return {**out, port: stream}

    return Node(node.name, node.inlets, node.outlets, forward, node.params, node.check)
