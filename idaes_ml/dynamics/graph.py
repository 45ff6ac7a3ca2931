"""A network of units, each advanced by a neural state-space model, wired by name.

Every unit uses one of ``models`` (units may share one) and says where each of its
model's inputs and disturbances comes from: ``"u:<name>"`` a decision (manipulated
input), ``"p:<name>"`` an exogenous measured value, ``"x:<unit>.<state>"`` another unit's
current state.  ``frozen`` units keep their state (e.g. equipment taken out of service).
The same graph is simulated here and embedded in Pyomo by :mod:`.horizon`::

    >>> g = StepGraph({"m": model}, {"a": ("m", {"u": "u:q"}), "b": ("m", {"u": "x:a.x"})})  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from idaes_ml.errors import DataError

from .state_space import NeuralStateSpace

if TYPE_CHECKING:
    from pyomo.core.base.var import VarData

__all__ = ["StepGraph"]


@dataclass
class StepGraph:
    """Units advanced by shared neural state-space models; see the module docstring."""

    models: dict[str, NeuralStateSpace]
    units: dict[str, tuple[str, dict[str, str]]]
    frozen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for unit, (key, wiring) in self.units.items():
            if key not in self.models:
                raise DataError(f"unit {unit!r} uses unknown model {key!r}")
            need = self.models[key].inputs + self.models[key].disturbances
            missing = [c for c in need if c not in wiring]
            if missing:
                raise DataError(f"unit {unit!r} leaves model inputs {missing} unwired")
            for label, src in wiring.items():
                kind, _, name = src.partition(":")
                if kind not in {"u", "p", "x"} or not name:
                    raise DataError(f"unit {unit!r}: source {src!r} of {label!r} must be 'u:..', 'p:..' or 'x:unit.state'")
                if kind == "x":
                    other, _, state = name.partition(".")
                    if other not in self.units or state not in self.models[self.units[other][0]].states:
                        raise DataError(f"unit {unit!r}: {src!r} names no state of a unit in the graph")
        unknown = [u for u in self.frozen if u not in self.units]
        if unknown:
            raise DataError(f"frozen units {unknown} are not in the graph")

    def model_of(self, unit: str) -> NeuralStateSpace:
        """The model advancing ``unit``."""
        return self.models[self.units[unit][0]]

    def state_keys(self) -> list[tuple[str, str]]:
        """All ``(unit, state)`` pairs in a fixed order."""
        return [(u, s) for u in self.units for s in self.model_of(u).states]

    def names(self, kind: str) -> list[str]:
        """Sorted names of the decisions (``"u"``) or exogenous values (``"p"``) the graph reads."""
        return sorted({src[2:] for _, w in self.units.values() for src in w.values() if src.startswith(kind + ":")})

    def resolve(self, src: str, x: dict, u: dict, p: dict) -> float | VarData:
        """Value of source ``src`` given states ``x[(unit, state)]``, decisions ``u`` and exogenous ``p``."""
        kind, name = src[0], src[2:]
        if kind == "x":
            unit, _, state = name.partition(".")
            return x[(unit, state)]
        return (u if kind == "u" else p)[name]

    def unit_values(self, unit: str, x: dict, u: dict, p: dict) -> dict:
        """Every label of the unit's model mapped to its value (own states, wired inputs)."""
        model = self.model_of(unit)
        vals = {s: x[(unit, s)] for s in model.states}
        vals.update({lab: self.resolve(src, x, u, p) for lab, src in self.units[unit][1].items()})
        return vals

    def step(self, x: dict, u: dict, p: dict, check_domain: bool = False) -> dict:
        """States one step later; units sharing a model are evaluated in one batch."""
        out = {}
        by_model: dict[str, list[str]] = {}
        for unit, (key, _) in self.units.items():
            if unit in self.frozen:
                out.update({(unit, s): x[(unit, s)] for s in self.model_of(unit).states})
            else:
                by_model.setdefault(key, []).append(unit)
        for key, units in by_model.items():
            model = self.models[key]
            rows = pd.DataFrame([self.unit_values(un, x, u, p) for un in units], columns=model.labels)
            nxt = model.predict_next(rows, check_domain=check_domain).to_numpy()
            for i, un in enumerate(units):
                out.update({(un, s): float(nxt[i, j]) for j, s in enumerate(model.states)})
        return out

    def simulate(self, x0: dict, U: list[dict], P: list[dict]) -> list[dict]:
        """States ``x_0 .. x_N`` under decision and exogenous sequences of length N."""
        if len(U) != len(P):
            raise DataError(f"{len(U)} decision steps but {len(P)} exogenous steps")
        xs = [dict(x0)]
        for u, p in zip(U, P):
            xs.append(self.step(xs[-1], u, p))
        return xs

    def as_array(self, xs: list[dict]) -> np.ndarray:
        """Trajectory as an array ``(N+1, n_state_keys)`` in :meth:`state_keys` order."""
        keys = self.state_keys()
        return np.array([[x[k] for k in keys] for x in xs])
