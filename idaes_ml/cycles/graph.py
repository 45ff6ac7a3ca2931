"""A flowsheet as a directed graph of unit callables on batched torch streams.

A stream is a ``[batch, n_vars]`` tensor; every :class:`Node` maps its inlet streams
(and per-row parameters) to its outlet streams. Cutting the ``tears`` leaves an acyclic
graph; :meth:`FlowsheetGraph.tear_map` is then the fixed-point map ``x -> G(x)`` that
the solvers of :mod:`idaes_ml.cycles.solvers` converge::

    >>> import torch
    >>> half = Node("half", {"in": "s0", "back": "r"}, {"out": "r", "prod": "p"},
    ...             lambda i, p: {"out": 0.5 * (i["in"] + i["back"]), "prod": i["back"]})
    >>> g = FlowsheetGraph([half], ["x"], tears=["r"])
    >>> g.tear_map(torch.zeros(1, 1), {"s0": torch.ones(1, 1)})
    tensor([[0.5000]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

__all__ = ["Node", "FlowsheetGraph"]

Forward = Callable[[dict[str, torch.Tensor], torch.Tensor | None], dict[str, torch.Tensor]]


@dataclass
class Node:
    """One unit: ``forward(inlets_by_port, params) -> {outlet port or result: tensor}``.

    ``inlets``/``outlets`` map the unit's port names to graph stream names; ``params``
    names the per-row operating parameters the unit reads; ``check`` (optional) returns
    human-readable problems (e.g. inputs outside a network's training domain).
    """

    name: str
    inlets: dict[str, str]
    outlets: dict[str, str]
    forward: Forward
    params: list[str] = field(default_factory=list)
    check: Callable[[dict[str, torch.Tensor], torch.Tensor | None], list[str]] | None = None


class FlowsheetGraph:
    """Nodes wired by stream names; feeds are streams no node produces."""

    def __init__(self, nodes: list[Node], stream_vars: list[str], tears: list[str]) -> None:
        self.nodes = {n.name: n for n in nodes}
        if len(self.nodes) != len(nodes):
            raise ValueError("node names must be unique")
        self.stream_vars = list(stream_vars)
        self.tears = list(tears)
        producers: dict[str, str] = {}
        for n in nodes:
            for s in n.outlets.values():
                if s in producers:
                    raise ValueError(f"stream {s!r} is produced by both {producers[s]} and {n.name}")
                producers[s] = n.name
        consumers: dict[str, str] = {}
        for n in nodes:
            for s in n.inlets.values():
                if s in consumers:
                    raise ValueError(f"stream {s!r} feeds both {consumers[s]} and {n.name}")
                consumers[s] = n.name
        unknown = [t for t in self.tears if t not in producers or t not in consumers]
        if unknown:
            raise ValueError(f"tear streams {unknown} are not internal streams (produced and consumed)")
        self.producers, self.consumers = producers, consumers
        self.feeds = sorted(s for s in consumers if s not in producers)
        self.products = sorted(s for s in producers if s not in consumers)
        self.order = self._order()

    def _order(self) -> list[str]:
        """Topological order with the tear streams cut; names a cycle left uncut."""
        done: set[str] = set()
        order: list[str] = []
        pending = list(self.nodes)
        while pending:
            ready = [n for n in pending
                     if all(s in self.feeds or s in self.tears or self.producers[s] in done
                            for s in self.nodes[n].inlets.values())]
            if not ready:
                raise ValueError(f"tears {self.tears} leave a cycle among units {pending}; tear one of its streams")
            for n in ready:
                done.add(n)
                order.append(n)
                pending.remove(n)
        return order

    @property
    def n_vars(self) -> int:
        return len(self.stream_vars)

    def split_tears(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``[B, n_tears * n_vars]`` -> one tensor per tear stream."""
        return {t: x[:, i * self.n_vars:(i + 1) * self.n_vars] for i, t in enumerate(self.tears)}

    def evaluate(self, x: torch.Tensor, feeds: dict[str, torch.Tensor],
                 params: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
        """All streams (and node results as ``"<node>.<result>"``) given tear values ``x``."""
        missing = [f for f in self.feeds if f not in feeds]
        if missing:
            raise ValueError(f"feed streams {missing} not given")
        streams = {**feeds, **self.split_tears(x)}
        computed: dict[str, torch.Tensor] = {}
        for name in self.order:
            node = self.nodes[name]
            out = node.forward({p: streams[s] for p, s in node.inlets.items()},
                               (params or {}).get(name))
            for port, value in out.items():
                if port in node.outlets:
                    computed[node.outlets[port]] = value
                    if node.outlets[port] not in self.tears:
                        streams[node.outlets[port]] = value
                else:
                    computed[f"{name}.{port}"] = value
        return {**feeds, **computed}

    def tear_map(self, x: torch.Tensor, feeds: dict[str, torch.Tensor],
                 params: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """One pass around every cycle: the new tear values ``G(x)``."""
        s = self.evaluate(x, feeds, params)
        return torch.cat([s[t] for t in self.tears], dim=1)

    def domain_report(self, x: torch.Tensor, feeds: dict[str, torch.Tensor],
                      params: dict[str, torch.Tensor] | None = None) -> dict[str, list[str]]:
        """Problems reported by each node's ``check`` at tear values ``x`` (empty when fine)."""
        with torch.no_grad():
            streams = {**feeds, **self.split_tears(x)}
            streams.update({k: v for k, v in self.evaluate(x, feeds, params).items() if k not in self.tears})
        report = {}
        for name in self.order:
            node = self.nodes[name]
            if node.check is not None:
                problems = node.check({p: streams[s] for p, s in node.inlets.items()}, (params or {}).get(name))
                if problems:
                    report[name] = problems
        return report
