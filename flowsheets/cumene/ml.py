"""The cumene flowsheet as unit networks: training, the torch graph, end-to-end tests.

One :class:`~idaes_ml.nn.MLPRegressor` per unit maps inlet streams (+ operating
parameters) to what the unit's physics leaves unknown: with ``structured=True``
(default) the separators predict split logits and the reactors reaction extents
(:data:`.units.HEADS`), so every outlet flow closes the unit's balance exactly, and the
splitter S1 is exact (its fractions are operating conditions); with
``structured=False`` every outlet stream variable is predicted freely (the earlier,
non-conserving networks, kept for comparison). :func:`build_graph` wires the units
with the topology of :mod:`.units` into an :class:`~idaes_ml.cycles.FlowsheetGraph`
whose tears are the benzene recycle and the transalkylator return.

    >>> models = train_networks(train_df, hidden=(16,), max_epochs=200)   # doctest: +SKIP
    >>> graph = build_graph(models)                                      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from idaes_ml.balances import BalanceHead
from idaes_ml.cycles import FlowsheetGraph, Node, bias_correct, conserve_flows, network_node, splitter_node, unit_dataset
from idaes_ml.metrics import r2_per_output
from idaes_ml.nn import MLPRegressor, ScaledNetwork

from flowsheets.cumene.flowsheet import CONDITION_BOUNDS
from flowsheets.cumene.properties import COMPONENTS
from flowsheets.cumene.solve import tear_guess_values
from flowsheets.cumene.units import EDGES, FEEDS, HEADS, SPLITTERS, STREAM_VARS, TEARS, UNITS, column

if TYPE_CHECKING:
    from idaes_ml.cycles import UnitData

__all__ = ["UnitModel", "STREAM_SCALE", "stream_name", "train_networks", "single_unit_r2", "correct_networks",
           "build_graph", "graph_data", "tear_truth", "standard_tear_guess", "random_tear_guesses", "predicted_kpis"]

#: Flows that never exceed this (mol/s) are traces: no network input, predicted as constant.
TRACE = 5e-3

#: Typical magnitudes of the stream variables (mol/s, K, Pa): solver tolerances are relative to these.
STREAM_SCALE = torch.tensor([10.0] * 5 + [100.0, 1e5], dtype=torch.float64)


@dataclass
class UnitModel:
    """A trained unit network with its constant and pass-through outputs and balance head.

    ``splitter``: an exact splitter (:data:`.units.SPLITTERS`), no network at all.
    """

    network: ScaledNetwork | None  # None: every output constant or copied from an input
    constants: dict[str, float]
    passthrough: dict[str, str]
    head: BalanceHead | None = None
    splitter: bool = False


def stream_name(unit: str, port: str) -> str:
    """Graph name of the stream leaving ``unit.port`` (feeds: the inlet port itself)."""
    return f"{unit}.{port}"


def _inlet_streams(unit: str) -> dict[str, str]:
    into = {dst: src for src, dst in EDGES.items()}
    return {p: stream_name(*into[(unit, p)]) if (unit, p) in into else stream_name(unit, p)
            for p in UNITS[unit]["inlets"]}


def unit_data(df: pd.DataFrame, unit: str, structured: bool = True) -> UnitData:
    """Inputs/outputs of one unit from the ground-truth table (stream variables only)."""
    spec = UNITS[unit]
    return unit_dataset(df, unit, spec["inlets"], spec["outlets"], STREAM_VARS, spec["params"], floor=TRACE,
                        head=HEADS.get(unit) if structured else None)


def train_networks(df: pd.DataFrame, hidden: Sequence[int] = (32, 32), max_epochs: int = 2000, seed: int = 0,
                   progress: bool = False, positive_outputs: bool = True, structured: bool = True,
                   **kwargs: Any) -> dict[str, UnitModel]:
    """Fit one MLPRegressor per unit on the optimal rows of ``df``.

    Free-form outputs (flows, K, Pa) are non-negative by construction
    (``positive_outputs``): with plain linear output layers the networks' recycle fixed
    points had negative flows, which no property package accepts. Balance heads'
    outputs (logits, extents) are signed, and their outlet flows are non-negative
    through the head (softmax splits) or the outlet bounds (extents).
    """
    models = {}
    for unit in UNITS:
        if structured and unit in SPLITTERS:
            models[unit] = UnitModel(None, {}, {}, splitter=True)
            continue
        d = unit_data(df, unit, structured)
        head = HEADS.get(unit) if structured else None
        net = None
        if d.Y.shape[1]:
            reg = MLPRegressor(hidden=hidden, max_epochs=max_epochs, seed=seed, progress=progress,
                               positive_outputs=positive_outputs and head is None, **kwargs)
            net = reg.fit(d.X, d.Y).network_
        models[unit] = UnitModel(net, d.constants, d.passthrough, head)
    return models


def correct_networks(models: dict[str, UnitModel], row: pd.DataFrame) -> dict[str, UnitModel]:
    """Copies of ``models`` whose networks reproduce the ground-truth row ``row`` exactly
    (zeroth-order correction, :func:`idaes_ml.cycles.bias_correct`); at that operating
    point the corrected network flowsheet then has the truth as its solution."""
    out = {}
    for unit, um in models.items():
        net = um.network
        if net is not None:
            spec = UNITS[unit]
            net = bias_correct(net, row, unit, spec["inlets"], spec["outlets"], um.head)
        out[unit] = UnitModel(net, dict(um.constants), dict(um.passthrough), um.head, um.splitter)
    return out


def _node(unit: str, um: UnitModel, domain_tolerance: float = 0.0, exact_mixers: bool = True) -> Node:
    """The graph node of one unit (``exact_mixers``: mixer flows are the summed inlets)."""
    spec = UNITS[unit]
    outlets = {p: stream_name(unit, p) for p in spec["outlets"]}
    flows = [i for i, v in enumerate(STREAM_VARS) if v.startswith("flow_mol_comp")]
    if um.splitter:
        return splitter_node(unit, _inlet_streams(unit), outlets, SPLITTERS[unit], flows)
    node = network_node(unit, um.network, _inlet_streams(unit), outlets, STREAM_VARS, um.constants, spec["params"],
                        um.passthrough, domain_tolerance, head=um.head)
    return conserve_flows(node, flows) if exact_mixers and len(spec["inlets"]) > 1 else node


def single_unit_r2(models: dict[str, UnitModel], df: pd.DataFrame) -> pd.DataFrame:
    """Held-out R² of every varying outlet stream variable of each network unit, fed the
    true inlet streams (open loop): columns unit, output, r2."""
    feeds, params, targets = graph_data(df)
    truth = {**feeds, **targets}
    rows = []
    for unit, um in models.items():
        if um.network is None:
            continue
        node = _node(unit, um)
        with torch.no_grad():
            out = node.forward({p: truth[s] for p, s in node.inlets.items()}, params.get(unit))
        for port, stream in node.outlets.items():
            for j, var in enumerate(STREAM_VARS):
                y = truth[stream][:, j].numpy()
                if np.ptp(y) > 1e-9 * max(1.0, np.abs(y).max()):
                    r2 = r2_per_output(pd.DataFrame({"y": y}), pd.DataFrame({"y": out[port][:, j].numpy()}))
                    rows.append({"unit": unit, "output": f"{port}.{var}", "r2": float(r2["y"])})
    return pd.DataFrame(rows)


def build_graph(models: dict[str, UnitModel], domain_tolerance: float = 0.0,
                exact_mixers: bool = True) -> FlowsheetGraph:
    """The torch flowsheet graph of the unit networks (double precision).

    ``exact_mixers``: the mixers' outlet flows are the summed inlet flows (their networks
    only give T and P), as in the EO flowsheet, whose mixers are IDAES Mixers.
    """
    nodes = []
    for unit, um in models.items():
        if um.network is not None:
            um.network.module.double()
        nodes.append(_node(unit, um, domain_tolerance, exact_mixers))
    return FlowsheetGraph(nodes, STREAM_VARS, tears=[stream_name(*t) for t in TEARS])


def _stream(df: pd.DataFrame, unit: str, port: str) -> torch.Tensor:
    return torch.tensor(df[[column(unit, port, v) for v in STREAM_VARS]].to_numpy(float), dtype=torch.float64)


def graph_data(df: pd.DataFrame) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Feeds, per-node parameters and ground-truth streams (targets) of every row."""
    feeds = {stream_name(u, p): _stream(df, u, p) for u, p in FEEDS}
    params = {u: torch.tensor(df[[f"cond.{p}" for p in s["params"]]].to_numpy(float), dtype=torch.float64)
              for u, s in UNITS.items() if s["params"]}
    targets = {stream_name(u, p): _stream(df, u, p) for u, s in UNITS.items() for p in s["outlets"]}
    return feeds, params, targets


def tear_truth(df: pd.DataFrame) -> torch.Tensor:
    """Converged ground-truth tear streams, ``[rows, n_tears * n_vars]``."""
    return torch.cat([_stream(df, u, p) for u, p in TEARS], dim=1)


def standard_tear_guess(df: pd.DataFrame) -> torch.Tensor:
    """The documented tear guesses of :func:`.solve.tear_guess_values` for every row."""
    rows = []
    for cond in df[[f"cond.{k}" for k in CONDITION_BOUNDS]].rename(columns=lambda c: c[5:]).to_dict("records"):
        g = tear_guess_values(cond)
        rows.append([x for key in ("recycle", "trans") for x in
                     [g[key][0][c] for c in COMPONENTS] + [g[key][1], g[key][2]]])
    return torch.tensor(rows, dtype=torch.float64)


def random_tear_guesses(df_train: pd.DataFrame, n: int, seed: int = 0, spread: float = 1.0) -> torch.Tensor:
    """Random tear initializations: flows U(0, (1+spread) x max seen), T and P U(range +- spread/2)."""
    rng = np.random.default_rng(seed)
    truth = tear_truth(df_train).numpy()
    lo, hi = truth.min(axis=0), truth.max(axis=0)
    flows = np.array([v.startswith("flow") for v in STREAM_VARS] * len(TEARS))
    width = hi - lo
    low = np.where(flows, 0.0, lo - 0.5 * spread * width)
    high = np.where(flows, (1 + spread) * hi, hi + 0.5 * spread * width)
    return torch.tensor(rng.uniform(low, high, size=(n, truth.shape[1])), dtype=torch.float64)


def predicted_kpis(streams: dict[str, torch.Tensor]) -> pd.DataFrame:
    """Cumene product flow and purity and recycle flows from graph streams."""
    prod = streams[stream_name("C2", "product")].detach().numpy()
    rec = streams[stream_name("S1", "recycle")].detach().numpy()
    back = streams[stream_name("R102", "outlet")].detach().numpy()
    i_c = STREAM_VARS.index("flow_mol_comp[cumene]")
    return pd.DataFrame({
        "cumene_flow": prod[:, i_c],
        "cumene_purity": prod[:, i_c] / prod[:, :5].sum(axis=1),
        "benzene_recycle": rec[:, :5].sum(axis=1),
        "trans_return": back[:, :5].sum(axis=1),
    })
