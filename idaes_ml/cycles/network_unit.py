"""Single-unit data sets and network-backed graph nodes.

A data table holds one row per operating point with columns ``"<unit>.<port>.<var>"``
for stream variables, ``"<unit>.<result>"`` for unit results and ``"<param_prefix><p>"``
for operating parameters. :func:`unit_dataset` cuts out one unit's inputs (inlet
streams + parameters) and outputs (outlet streams + results), setting aside the columns
that never vary as constants; :func:`network_node` turns a trained
:class:`~idaes_ml.nn.ScaledNetwork` plus those constants into a graph :class:`Node`.

Network labels are ``"<port>.<var>"``, ``"param.<p>"`` (inputs) and ``"<port>.<var>"``,
``"<result>"`` (outputs). With a balance head (:mod:`idaes_ml.balances`) the outlet
component flows are not outputs: the network predicts the head's labels (split logits,
reaction extents) and the node applies the head, exactly as ``SurrogateUnit`` does in
the equation-oriented model. :func:`splitter_node` is the exact splitter (fractions are
parameters, every other variable passes through).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from idaes_ml.balances import BalanceHead, SplitHead, reaction_targets, split_targets
from idaes_ml.cycles.graph import Node
from idaes_ml.nn import ScaledNetwork

__all__ = ["UnitData", "unit_dataset", "network_node", "conserve_flows", "splitter_node", "flow_var",
           "bias_correct"]


def flow_var(component: str) -> str:
    """Stream variable of a component flow (``flow_mol_comp[<component>]``)."""
    return f"flow_mol_comp[{component}]"


def _head_targets(df: pd.DataFrame, unit: str, inlets: list[str], outlets: list[str], head: BalanceHead) -> pd.DataFrame:
    """Head labels computed from the table's inlet and outlet component flows."""
    if len(inlets) != 1:
        raise ValueError(f"unit {unit}: a balance head needs one inlet, got {inlets}")

    def flows(port: str) -> pd.DataFrame:
        return pd.DataFrame({c: df[f"{unit}.{port}.{flow_var(c)}"].to_numpy(float) for c in head.components})

    if isinstance(head, SplitHead):
        return split_targets(head, flows(inlets[0]), {o: flows(o) for o in outlets})
    if len(outlets) != 1:
        raise ValueError(f"unit {unit}: a reaction head needs one outlet, got {outlets}")
    return reaction_targets(head, flows(inlets[0]), flows(outlets[0]))


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
                 param_prefix: str = "cond.", atol: float = 1e-9, floor: float = 0.0,
                 head: BalanceHead | None = None, head_atol: float = 1e-4) -> UnitData:
    """Inputs/outputs of ``unit`` from a wide table; constant columns become constants.

    Input columns whose magnitude never exceeds ``floor`` (trace flows) are dropped too:
    their relative noise would dominate a standardized input. Trace outputs stay (their
    absolute error is as small as they are). With a balance ``head`` the outlet component
    flows are replaced by the head's labels (split logits / extents, raising
    BalanceError when the data do not close the balance); they are constants only if
    all of them are, within ``head_atol`` (trace flows at solver tolerance make a fixed
    split's logit wobble by ~1e-5), as the equation-oriented unit binds all or none to
    its network.
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
    held: list[str] = []
    head_constants: dict[str, float] = {}
    if head is not None:
        Y = Y.drop(columns=[f"{p}.{flow_var(c)}" for p in outlets for c in head.components])
        targets = _head_targets(df, unit, inlets, outlets, head)
        Y = pd.concat([targets.reset_index(drop=True), Y], axis=1)
        if all(_is_constant(Y[k], head_atol) for k in targets.columns):
            head_constants = {k: float(Y[k].mean()) for k in targets.columns}
        else:
            held = list(targets.columns)

    def negligible(col: pd.Series) -> bool:
        return _is_constant(col, atol) or float(col.abs().max()) <= floor

    constants = head_constants | {k: float(Y[k].mean()) for k in Y.columns
                                  if k not in held and k not in head_constants and _is_constant(Y[k], atol)}
    passthrough = {}
    for k in Y.columns:
        if k in constants or k in held:
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
                 passthrough: dict[str, str] | None = None, domain_tolerance: float = 0.0,
                 head: BalanceHead | None = None) -> Node:
    """A graph node whose outlets are ``net``'s predictions, constants or copied inputs.

    ``net`` may be None when every outlet variable is constant or copied (e.g. a heater's
    flows and temperature set point). With a balance ``head`` the outlet component flows
    come from the head applied to the single inlet's flows and the head labels (predicted
    or constant).
    """
    passthrough = dict(passthrough or {})
    in_labels = list(net.input_labels) if net is not None else []
    out_labels = list(net.output_labels) if net is not None else []
    var_index = {v: i for i, v in enumerate(stream_vars)}
    param_index = {p: i for i, p in enumerate(params)}
    for label in in_labels + list(passthrough.values()):
        port, _, tail = label.partition(".")
        ok = (tail in param_index) if port == "param" else (port in inlets and tail in var_index)
        if not ok:
            raise ValueError(f"network input {label!r} of unit {name} matches no inlet stream variable "
                             f"({list(inlets)} x {stream_vars}) or parameter {list(params)}")
    head_labels = head.output_labels() if head is not None else []
    if head is not None and len(inlets) != 1:
        raise ValueError(f"unit {name}: a balance head needs one inlet, got {list(inlets)}")
    outputs = out_labels + list(constants) + list(passthrough)
    missing_head = [k for k in head_labels if k not in outputs]
    if missing_head:
        raise ValueError(f"unit {name}: balance head labels {missing_head} are neither predicted nor constant")
    head_flows = [f"{p}.{flow_var(c)}" for p in outlets for c in head.components] if head is not None else []
    for label in [k for k in outputs if k not in head_labels] + head_flows:
        port, _, tail = label.partition(".")
        if tail and (port not in outlets or tail not in var_index):
            raise ValueError(f"network output {label!r} of unit {name} matches no outlet stream variable "
                             f"({list(outlets)} x {stream_vars})")
    uncovered = [f"{p}.{v}" for p in outlets for v in stream_vars if f"{p}.{v}" not in outputs + head_flows]
    if uncovered:
        raise ValueError(f"unit {name}: outlet variables {uncovered} are neither predicted nor constant")

    def pick(label, inl, par):
        port, _, tail = label.partition(".")
        return par[:, param_index[tail]] if port == "param" else inl[port][:, var_index[tail]]

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
        if head is not None:
            (feed,) = inl.values()
            flows = feed[:, [var_index[flow_var(c)] for c in head.components]]
            y = torch.stack([values.pop(lab) for lab in head_labels], dim=1)
            applied = head.apply_torch(flows, y) if isinstance(head, SplitHead) else \
                head.apply_torch(flows, y, outlet=next(iter(outlets)))
            for p, stream in applied.items():
                values.update({f"{p}.{flow_var(c)}": stream[:, j] for j, c in enumerate(head.components)})
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


def splitter_node(name: str, inlets: dict[str, str], outlets: dict[str, str],
                  fractions: dict[str, str], flow_columns: list[int]) -> Node:
    """An exact splitter: outlet ``o`` gets ``fraction[o]`` of every flow (the one outlet
    missing from ``fractions`` the rest); non-flow variables pass through.

    ``inlets``/``outlets`` map ports to stream names (one inlet); ``fractions`` maps outlet
    ports to the per-row parameter holding their fraction.
    """
    if len(inlets) != 1:
        raise ValueError(f"splitter {name} needs one inlet, got {list(inlets)}")
    (inlet,) = inlets
    rest = [o for o in outlets if o not in fractions]
    if len(rest) != 1 or any(o not in outlets for o in fractions):
        raise ValueError(f"splitter {name}: give a fraction for every outlet but one; outlets {list(outlets)}, "
                         f"fractions {fractions}")
    params = list(fractions.values())
    cols = torch.tensor(flow_columns, dtype=torch.long)

    def forward(inl, par):
        feed = inl[inlet]
        share = {o: par[:, params.index(p)].to(feed.dtype) for o, p in fractions.items()}
        share[rest[0]] = 1 - sum(share.values())
        out = {}
        for o, f in share.items():
            stream = feed.clone()
            stream[:, cols] = feed[:, cols] * f.unsqueeze(1)
            out[o] = stream
        return out

    return Node(name, dict(inlets), dict(outlets), forward, params)


def bias_correct(net: ScaledNetwork, df: pd.DataFrame, unit: str, inlets: list[str], outlets: list[str],
                 head: BalanceHead | None = None, param_prefix: str = "cond.") -> ScaledNetwork:
    """A copy of ``net`` whose outputs match the table's first row exactly (zeroth-order correction).

    The correction is a shift of the output offsets by the residual at that row, as in
    trust-region methods that make a surrogate consistent with the truth at the current
    point (Eason & Biegler 2016). Column names follow :func:`unit_dataset`.
    """
    row = df.iloc[:1]

    def column(label: str) -> str:
        port, _, tail = label.partition(".")
        if port == "param":
            return f"{param_prefix}{tail}"
        return f"{unit}.{label}" if tail else f"{unit}.{port}"

    X = pd.DataFrame({k: row[column(k)].to_numpy(float) for k in net.input_labels})
    truth = _head_targets(row, unit, inlets, outlets, head) if head is not None else pd.DataFrame(index=[0])
    head_labels = set(truth.columns)
    Y = np.array([truth[k].iloc[0] if k in head_labels else float(row[column(k)].iloc[0]) for k in net.output_labels])
    out = copy.deepcopy(net)
    out.output_offset = out.output_offset + (Y - net.predict(X).to_numpy()[0])
    return out
