"""Dynamic operability: achievable output funnels AOS^k(x0), dOI(k) and the first operable step.

    >>> import numpy as np
    >>> from idaes_ml.operability.dynamic import LTIStep, dynamic_operability
    >>> from idaes_ml.operability.sets import Region
    >>> lti = LTIStep.from_dict({"A": [[0.5]], "B": [[1.0]], "C": [[1.0]]})
    >>> ais = Region.box({"u": (-1, 1)}, name="AIS")
    >>> res = dynamic_operability(lti, [0.0], ais, Region.box({"y": (1.2, 1.8)}, name="DOS"), horizon=4)
    >>> [round(float(v), 3) for v in res.doi], res.first_operable_step
    ([0.0, 0.0, 0.5, 0.917, 1.0], 2)

Step models map ``(x_k, u_k, d_k) -> (x_{k+1}, y_k)`` on rows (batched):
:class:`LTIStep` (``x+ = A x + B u + E d``, ``y = C x + D u + F d``),
:class:`FunctionStep` (any vectorized Python function) and :class:`NetworkStep` (an
exported network whose inputs are the state, input and disturbance columns). The funnel
slice ``k`` holds every ``y_k`` reachable with ``u_0..u_k`` in the AIS. For LTI models it
is exact: ``{C A^k x0} ⊕ ⊕_i C A^(k-1-i) B·AIS ⊕ D·AIS``; the disturbance-robust funnel
(every disturbance sequence in the EDS) is the Pontryagin difference by the disturbance
terms -- exactly the intersection of the reachable sets over all such sequences. For other
models the funnel is the hull of sampled input sequences (vertex-held, switched once
between two vertices at every step, random and bang-bang), and the robust funnel intersects those hulls over the EDS corners held constant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from idaes_ml.errors import DataError
from idaes_ml.operability.index import operability_index
from idaes_ml.operability.polytopes import Polytope
from idaes_ml.operability.sets import Region, grid_points

if TYPE_CHECKING:
    from pathlib import Path

    from numpy.typing import ArrayLike

__all__ = ["LTIStep", "FunctionStep", "NetworkStep", "DynamicResult", "lti_funnel", "sampled_funnel",
           "dynamic_operability"]


@dataclass
class LTIStep:
    """Discrete LTI model ``x+ = A x + B u + E d``, ``y = C x + D u + F d``."""

    A: np.ndarray
    B: np.ndarray
    C: np.ndarray
    D: np.ndarray | None = None
    E: np.ndarray | None = None
    F: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.A, self.B, self.C = (np.atleast_2d(np.asarray(M, float)) for M in (self.A, self.B, self.C))
        n, m, p = self.A.shape[0], self.B.shape[1], self.C.shape[0]
        self.D = np.zeros((p, m)) if self.D is None else np.atleast_2d(np.asarray(self.D, float))
        q = 0 if self.E is None else np.atleast_2d(self.E).shape[1]
        self.E = np.zeros((n, q)) if self.E is None else np.atleast_2d(np.asarray(self.E, float))
        self.F = np.zeros((p, q)) if self.F is None else np.atleast_2d(np.asarray(self.F, float))
        expect = {"A": (n, n), "B": (n, m), "C": (p, n), "D": (p, m), "E": (n, q), "F": (p, q)}
        for k, shape in expect.items():
            if getattr(self, k).shape != shape:
                raise DataError(f"dimension mismatch: LTI matrix {k} has shape {getattr(self, k).shape}, expected {shape}")

    @classmethod
    def from_dict(cls, d: dict) -> LTIStep:
        """From ``{"A":..., "B":..., "C":...}`` plus optional ``D``, ``E``, ``F``."""
        missing = [k for k in "ABC" if k not in d]
        if missing:
            raise DataError(f"LTI dict lacks matrices {missing}")
        return cls(**{k: d[k] for k in "ABCDEF" if k in d})

    @property
    def sizes(self) -> tuple[int, int, int, int]:
        """``(n_x, n_u, n_d, n_y)``."""
        return self.A.shape[0], self.B.shape[1], self.E.shape[1], self.C.shape[0]

    def step(self, X: np.ndarray, U: np.ndarray, D: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """One step on rows: returns ``(X_next, Y)``."""
        D = np.zeros((X.shape[0], self.E.shape[1])) if D is None else D
        return X @ self.A.T + U @ self.B.T + D @ self.E.T, X @ self.C.T + U @ self.D.T + D @ self.F.T


@dataclass
class FunctionStep:
    """``fn(X, U, D) -> (X_next, Y)`` on rows; sizes ``(n_x, n_u, n_d, n_y)``."""

    fn: Callable
    sizes: tuple[int, int, int, int]

    def step(self, X: np.ndarray, U: np.ndarray, D: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """One step on rows."""
        D = np.zeros((X.shape[0], self.sizes[2])) if D is None else D
        Xn, Y = self.fn(X, U, D)
        return np.asarray(Xn, float).reshape(X.shape[0], -1), np.asarray(Y, float).reshape(X.shape[0], -1)


class NetworkStep:
    """An exported network with inputs ``states + inputs + disturbances`` and outputs
    ``next_states + outputs`` (labels in the network's metadata)."""

    def __init__(self, directory: str | Path, name: str, states: Sequence[str], inputs: Sequence[str],
                 next_states: Sequence[str], outputs: Sequence[str], disturbances: Sequence[str] = ()) -> None:
        from idaes_ml.nn import load_network

        self.net = load_network(directory, name)
        self.cols_in = [*states, *inputs, *disturbances]
        missing = [c for c in self.cols_in if c not in self.net.input_labels]
        missing += [c for c in [*next_states, *outputs] if c not in self.net.output_labels]
        if missing:
            raise DataError(f"network {name!r} has no columns {missing}")
        self.inputs, self.next_states, self.outputs = list(inputs), list(next_states), list(outputs)
        self.sizes = (len(states), len(inputs), len(disturbances), len(outputs))

    def step(self, X: np.ndarray, U: np.ndarray, D: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """One batched onnxruntime step."""
        import pandas as pd

        D = np.zeros((X.shape[0], 0)) if D is None else D
        Z = pd.DataFrame(np.hstack([X, U, D]), columns=self.cols_in)[list(self.net.input_labels)]
        out = self.net.predict(Z)
        return out[self.next_states].to_numpy(float), out[self.outputs].to_numpy(float)


@dataclass
class DynamicResult:
    """Funnel slices (``None`` where empty), robust flag, dOI per step and first operable step."""

    funnel: list[Polytope | None]
    doi: np.ndarray
    first_operable_step: int | None
    robust: bool


def lti_funnel(lti: LTIStep, x0: ArrayLike, ais: Region, horizon: int, eds: Region | None = None,
               d_nominal: ArrayLike | None = None) -> list[Polytope | None]:
    """Exact funnel of an LTI model by affine maps and Minkowski sums (robust when ``eds``)."""
    n, m, q, p = lti.sizes
    x0 = _vector(x0, n, "x0")
    ais.require_volume() if m > 0 else None
    if ais.dim != m:
        raise DataError(f"dimension mismatch: AIS has {ais.dim} variables, model has {m} inputs")
    dn = np.zeros(q) if d_nominal is None else _vector(d_nominal, q, "d_nominal")
    U = ais.polytope
    slices: list[Polytope | None] = []
    Ak = np.eye(n)
    reach = Polytope(np.zeros((1, p)))  # ⊕_i C A^(k-1-i) (B U) so far
    dist = Polytope(np.zeros((1, p)))  # ⊕_i C A^(k-1-i) E W so far
    Gsum = np.zeros((p, q))            # sum of C A^(k-1-i) E (nominal disturbance)
    for k in range(horizon + 1):
        centre = lti.C @ Ak @ x0 + (Gsum + lti.F) @ dn
        Y = reach.minkowski(U.affine_map(lti.D)).affine_map(np.eye(p), centre)
        if eds is not None:
            W = eds.polytope.affine_map(np.eye(q), -dn)
            spread = dist.minkowski(W.affine_map(lti.F))
            Y = Y.pontryagin_difference(spread.affine_map(-np.eye(p))) if Y.is_full_dimensional else None
        slices.append(Y)
        CA = lti.C @ Ak
        # shift: every earlier term gets one more A; equivalently add the newest term C A^k B
        reach = reach.minkowski(U.affine_map(CA @ lti.B))
        if eds is not None:
            dist = dist.minkowski(eds.polytope.affine_map(CA @ lti.E, -(CA @ lti.E) @ dn))
        Gsum = Gsum + CA @ lti.E
        Ak = lti.A @ Ak
    return slices


def _input_sequences(ais: Region, horizon: int, n_random: int, seed: int) -> np.ndarray:
    """(S, horizon+1, m) sequences: AIS corners held, switched once between two corners at
    every step (the extreme points of linear funnels), random, and random bang-bang."""
    rng = np.random.default_rng(seed)
    V = ais.polytope.vertices
    H = horizon + 1
    held = np.repeat(V[:, None, :], H, axis=1)
    pairs = [(i, j, t) for i in range(len(V)) for j in range(len(V)) if i != j for t in range(1, H)]
    if len(pairs) > 20 * n_random:
        pairs = [pairs[k] for k in rng.choice(len(pairs), 20 * n_random, replace=False)]
    switched = np.array([np.where(np.arange(H)[:, None] < t, V[i], V[j]) for i, j, t in pairs]).reshape(-1, H, V.shape[1])
    lo, hi = ais.polytope.bounds
    rand = lo + (hi - lo) * rng.random((n_random, H, len(lo)))
    rand = np.where(ais.polytope.contains(rand.reshape(-1, len(lo))).reshape(n_random, H, 1),
                    rand, V[rng.integers(len(V), size=(n_random, H))])
    bang = V[rng.integers(len(V), size=(n_random, H))]
    return np.concatenate([held, switched, rand, bang])


def sampled_funnel(model: LTIStep | FunctionStep | NetworkStep, x0: ArrayLike, ais: Region, horizon: int,
                   eds: Region | None = None, n_sequences: int = 200, seed: int = 0) -> list[Polytope | None]:
    """Funnel of a nonlinear step model: hulls of simulated input sequences (robust over EDS corners)."""
    n, m, q, p = model.sizes
    x0 = _vector(x0, n, "x0")
    if ais.dim != m:
        raise DataError(f"dimension mismatch: AIS has {ais.dim} variables, model has {m} inputs")
    seqs = _input_sequences(ais, horizon, n_sequences, seed)
    scenarios = [np.zeros(q)] if eds is None else list(grid_points(*eds.polytope.bounds, 2))
    per_scenario = []
    for d in scenarios:
        X = np.repeat(x0[None, :], len(seqs), axis=0)
        D = np.repeat(np.asarray(d, float)[None, :], len(seqs), axis=0)
        hulls = []
        for k in range(horizon + 1):
            X, Y = model.step(X, seqs[:, k, :], D)
            bad = ~np.isfinite(Y).all(axis=1)
            if bad.any():
                raise DataError(f"model output is NaN/inf at step {k} for inputs {seqs[bad][:3, k].tolist()}")
            hulls.append(Polytope(Y))
        per_scenario.append(hulls)
    out = []
    for k in range(horizon + 1):
        acc = per_scenario[0][k]
        for hulls in per_scenario[1:]:
            acc = acc.intersect(hulls[k]) if acc is not None else None
        out.append(acc)
    return out


def dynamic_operability(model: LTIStep | FunctionStep | NetworkStep, x0: ArrayLike, ais: Region, dos: Region,
                        horizon: int, eds: Region | None = None, **sampling: int) -> DynamicResult:
    """Funnel, dOI(k) = mu(AOS^k ∩ DOS)/mu(DOS) and the first step after which dOI stays > 0.

    A :class:`NetworkStep` names its inputs and outputs: the AIS and DOS are matched to
    them by name (other step models are positional).
    """
    if isinstance(model, NetworkStep):
        ais, dos = ais.reordered(model.inputs), dos.reordered(model.outputs)
    if horizon < 0:
        raise DataError(f"horizon must be >= 0, got {horizon}")
    if dos.dim != model.sizes[3]:
        raise DataError(f"dimension mismatch: DOS has {dos.dim} variables, model has {model.sizes[3]} outputs")
    dos.require_volume()
    if isinstance(model, LTIStep):
        funnel = lti_funnel(model, x0, ais, horizon, eds)
    else:
        funnel = sampled_funnel(model, x0, ais, horizon, eds, **sampling)
    doi = np.array([0.0 if s is None or not s.volume > 0 else operability_index([s], dos) for s in funnel])
    positive = doi > 0
    k_bar = None
    if positive[-1]:
        k_bar = int(len(doi) - np.argmin(positive[::-1]) if not positive.all() else 0)
    return DynamicResult(funnel, doi, k_bar, eds is not None)


def _vector(v, n: int, name: str) -> np.ndarray:
    v = np.asarray(v, float).ravel()
    if v.size != n:
        raise DataError(f"dimension mismatch: {name} has {v.size} entries, expected {n}")
    return v
