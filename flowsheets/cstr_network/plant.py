"""First-principles dynamic model of a series-parallel network of jacketed van de Vusse CSTRs.

The feed (supply ``F_total``) is split over ``n_trains`` parallel trains of ``n_series``
reactors in series; every reactor has a coolant jacket.  Reactor ``r = j * n_series + s``
is position ``s`` of train ``j``.  A reactor taken offline is bypassed: its inlet passes
to the next reactor and its contents are held.  The balances (:func:`balances`) are shared with
the Pyomo steady state (:mod:`.steady_state`) and the Pyomo.DAE model (:mod:`.dae`); this scipy
BDF integration is the fast default plant; the DAE plant reproduces it (largest state difference
over 60-sample PI closed loops of every scenario: 3.5e-6 mol/L, 1.0e-4 K, in
benchmarks/results/cstr_network_dae.json; < 1e-4 asserted in tests/test_cstr_network_dae.py).  Constants and their sources: :mod:`.parameters`.
Units: L, h, mol, kJ, degC::

    >>> import numpy as np
    >>> from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
    >>> net = CSTRNetwork(n_trains=5, n_series=2)
    >>> x = net.initial_state()
    >>> x1 = net.step(x, net.nominal_flows(), np.full(10, 31.0), Disturbance(), dt=1 / 120)
    >>> x1.shape
    (10, 4)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from scipy.integrate import solve_ivp
from scipy.sparse import lil_matrix

from idaes_ml.errors import DataError, SolveFailedError

from .parameters import STATES, Feed, OperatingLimits, VdVParameters

if TYPE_CHECKING:
    from numpy.typing import ArrayLike
    from pyomo.core.expr.numvalue import NumericValue

    #: A balance term: numpy array/float, or a Pyomo variable/expression (``exp=pyo.exp``).
    Term = np.ndarray | float | NumericValue

__all__ = ["Disturbance", "CSTRNetwork", "reaction_terms", "balances"]


@dataclass(frozen=True)
class Disturbance:
    """Exogenous conditions: feed concentration/temperature, coolant inlet, feed supply, offline reactors,
    coolant header capacity and fouled jackets.

    ``coolant_supply`` (kg/h over all jackets; None = no header limit): when the valves ask for more, every
    jacket gets its proportional share (:meth:`CSTRNetwork.deliver_coolant`).  ``fouled``: reactor -> factor
    on its jacket conductance ``kw A_R`` (a mapping or (reactor, factor) pairs; stored as sorted pairs).
    """

    cA0: float = Feed.cA0
    T0: float = Feed.T0
    Tc_in: float = Feed.Tc_in
    F_total: float | None = None  # L/h supply; None = nominal for the network size
    offline: frozenset[int] = field(default_factory=frozenset)
    coolant_supply: float | None = None  # kg/h over all jackets; None = unlimited
    fouled: tuple[tuple[int, float], ...] = ()  # (reactor, UA factor) pairs

    def __post_init__(self) -> None:
        object.__setattr__(self, "offline", frozenset(int(r) for r in self.offline))  # any iterable -> hashable
        pairs = self.fouled.items() if isinstance(self.fouled, dict) else self.fouled
        fouled = tuple(sorted((int(r), float(f)) for r, f in pairs))
        if any(not 0.0 < f <= 1.0 for _, f in fouled):
            raise DataError(f"fouling factors must lie in (0, 1], got {fouled}")
        object.__setattr__(self, "fouled", fouled)

    def with_(self, **changes: float | Iterable[int] | None) -> "Disturbance":
        """A copy with some fields changed."""
        return replace(self, **changes)


def reaction_terms(p: VdVParameters, cA: Term, cB: Term, T: Term,
                   exp: Callable[[Term], Term] = np.exp) -> tuple[Term, Term, Term, Term]:
    """Rates (r1, r2, r3) in mol/(L h) and heat release in K/h; numpy arrays/floats, or Pyomo
    expressions with ``exp=pyo.exp``."""
    Tk = T + 273.15
    r1 = p.k10 * exp(-p.E1 / Tk) * cA
    r2 = p.k20 * exp(-p.E2 / Tk) * cB
    r3 = p.k30 * exp(-p.E3 / Tk) * cA**2
    heat = -(r1 * p.dH1 + r2 * p.dH2 + r3 * p.dH3) / (p.rho * p.cp)
    return r1, r2, r3, heat


def balances(p: VdVParameters, x: np.ndarray | Sequence[Term], inlet: np.ndarray | Sequence[Term], dil: Term, Fc: Term,
             Tc_in: Term, exp: Callable[[Term], Term] = np.exp, ua: Term | None = None) -> tuple[Term, Term, Term, Term]:
    """d(cA, cB, T, TK)/dt of one jacketed CSTR (component, reactor energy and jacket energy balances).

    ``x`` = (cA, cB, T, TK), ``inlet`` = (cA_in, cB_in, T_in), ``dil`` = F/V in 1/h, ``Fc`` kg/h, ``ua``
    the jacket conductance in kJ/(h K) (default ``p.ua``; lower for a fouled jacket);
    the single source of the physics for :meth:`CSTRNetwork.rhs`, the Pyomo steady state and the
    Pyomo.DAE model (numpy arrays/floats, or Pyomo expressions with ``exp=pyo.exp``).
    """
    cA, cB, T, TK = x
    ua = p.ua if ua is None else ua
    r1, r2, r3, heat = reaction_terms(p, cA, cB, T, exp)
    return (dil * (inlet[0] - cA) - r1 - r3,
            dil * (inlet[1] - cB) + r1 - r2,
            dil * (inlet[2] - T) + heat + ua / (p.rho * p.cp * p.volume) * (TK - T),
            (Fc * p.cpK * (Tc_in - TK) + ua * (T - TK)) / (p.mK * p.cpK))


class CSTRNetwork:
    """Ground-truth plant: ``n_trains`` parallel trains of ``n_series`` jacketed CSTRs."""

    def __init__(
        self,
        n_trains: int = 5,
        n_series: int = 2,
        params: VdVParameters = VdVParameters(),
        limits: OperatingLimits = OperatingLimits(),
        feed: Feed = Feed(),
    ) -> None:
        if n_trains < 1 or n_series < 1:
            raise DataError(f"network needs at least one train and one reactor per train, got {n_trains}x{n_series}")
        self.n_trains, self.n_series = int(n_trains), int(n_series)
        self.n = self.n_trains * self.n_series
        self.params, self.limits, self.feed = params, limits, feed
        self.states = STATES

    @classmethod
    def of_size(cls, n_reactors: int, n_series: int = 2, **kw: VdVParameters | OperatingLimits | Feed) -> "CSTRNetwork":
        """A network of ``n_reactors`` reactors arranged as ``n_reactors / n_series`` trains."""
        if n_reactors % n_series:
            raise DataError(f"{n_reactors} reactors cannot form trains of {n_series}")
        return cls(n_reactors // n_series, n_series, **kw)

    # ---- bookkeeping -------------------------------------------------------------------
    def train_of(self, r: int) -> tuple[int, int]:
        """(train, position) of reactor ``r``."""
        return divmod(int(r), self.n_series)

    def nominal_flows(self) -> np.ndarray:
        """Equal split of the nominal feed over the trains (L/h)."""
        return np.full(self.n_trains, self.feed.F_per_train)

    def supply(self, d: Disturbance) -> float:
        """Feed supply F_total (L/h) of disturbance ``d``."""
        return self.feed.F_per_train * self.n_trains if d.F_total is None else float(d.F_total)

    def initial_state(self) -> np.ndarray:
        """The benchmark's nominal single-reactor steady state in every reactor (n, 4)."""
        return np.tile([2.14, 1.09, 114.2, 112.9], (self.n, 1)).astype(float)

    def online(self, d: Disturbance) -> np.ndarray:
        """Boolean mask of reactors in service."""
        bad = [r for r in d.offline if not 0 <= r < self.n]
        if bad:
            raise DataError(f"offline reactors {bad} do not exist in a network of {self.n}")
        mask = np.ones(self.n, dtype=bool)
        mask[list(d.offline)] = False
        return mask

    def ua(self, d: Disturbance) -> np.ndarray:
        """Jacket conductance of every reactor in kJ/(h K) (``kw A_R``, times its fouling factor)."""
        bad = [r for r, _ in d.fouled if not 0 <= r < self.n]
        if bad:
            raise DataError(f"fouled reactors {bad} do not exist in a network of {self.n}")
        ua = np.full(self.n, self.params.ua)
        for r, f in d.fouled:
            ua[r] *= f
        return ua

    def coolant_capacity(self, d: Disturbance) -> float:
        """Coolant the header can deliver to all jackets together (kg/h)."""
        return self.n * self.limits.Fc_max if d.coolant_supply is None else float(d.coolant_supply)

    def deliver_coolant(self, Fc: ArrayLike, d: Disturbance) -> np.ndarray:
        """Coolant flows the jackets get: scaled down in proportion when the online jackets together ask for
        more than :meth:`coolant_capacity` (offline jackets get none)."""
        Fc = np.where(self.online(d), np.asarray(Fc, dtype=float), 0.0)
        total, cap = float(Fc.sum()), self.coolant_capacity(d)
        return Fc * (cap / total) if total > cap else Fc

    def inlets(self, X: np.ndarray, d: Disturbance) -> np.ndarray:
        """Inlet (cA, cB, T) of every reactor (n, 3); bypassed reactors pass their inlet on."""
        X = np.asarray(X, dtype=float).reshape(self.n_trains, self.n_series, 4)
        online = self.online(d).reshape(self.n_trains, self.n_series)
        inl = np.empty((self.n_trains, self.n_series, 3))
        cur = np.tile([d.cA0, 0.0, d.T0], (self.n_trains, 1))
        for s in range(self.n_series):
            inl[:, s] = cur
            cur = np.where(online[:, s, None], X[:, s, :3], cur)
        return inl.reshape(self.n, 3)

    def outlet(self, X: np.ndarray, d: Disturbance) -> np.ndarray:
        """Product stream (cA, cB, T) leaving each train (n_trains, 3)."""
        X = np.asarray(X, dtype=float).reshape(self.n, 4)
        inl = self.inlets(X, d).reshape(self.n_trains, self.n_series, 3)
        last_on = self.online(d).reshape(self.n_trains, self.n_series)[:, -1]
        last = X.reshape(self.n_trains, self.n_series, 4)[:, -1, :3]
        return np.where(last_on[:, None], last, inl[:, -1])

    def throughput(self, X: np.ndarray, F_train: np.ndarray, d: Disturbance) -> float:
        """Product B leaving the network (mol/h)."""
        return float(np.dot(F_train, self.outlet(X, d)[:, 1]))

    def without_trains(self, d: Disturbance, shut: Iterable[int]) -> tuple["CSTRNetwork", Disturbance, np.ndarray]:
        """The network that keeps running when the trains ``shut`` are isolated (no feed, no coolant): the other
        trains, ``d`` mapped onto them (offline and fouled reactors renumbered; header capacity and supply kept),
        and the indices of the kept reactors in this network (rows of ``X``/``Fc``; trains ``kept // n_series``)."""
        shut = sorted({int(j) for j in shut})
        kept_trains = [j for j in range(self.n_trains) if j not in shut]
        if not kept_trains or any(not 0 <= j < self.n_trains for j in shut):
            raise DataError(f"cannot shut trains {shut} of {self.n_trains}: at least one existing train must keep running")
        keep = np.array([j * self.n_series + s for j in kept_trains for s in range(self.n_series)])
        new = {int(r): i for i, r in enumerate(keep)}
        sub = CSTRNetwork(len(kept_trains), self.n_series, self.params, self.limits, self.feed)
        d_sub = d.with_(F_total=self.supply(d), offline={new[r] for r in d.offline if r in new},
                        fouled=tuple((new[r], f) for r, f in d.fouled if r in new))
        return sub, d_sub, keep

    # ---- dynamics ----------------------------------------------------------------------
    def rhs(self, X: np.ndarray, F_train: np.ndarray, Fc: np.ndarray, d: Disturbance) -> np.ndarray:
        """Time derivatives (n, 4) of (cA, cB, T, TK) from the mass, energy and jacket balances."""
        p = self.params
        X = np.asarray(X, dtype=float).reshape(self.n, 4)
        dil = np.repeat(np.asarray(F_train, dtype=float), self.n_series) / p.volume
        dX = np.column_stack(balances(p, X.T, self.inlets(X, d).T, dil, np.asarray(Fc, dtype=float), d.Tc_in,
                                      ua=self.ua(d)))
        dX[~self.online(d)] = 0.0
        return dX

    def _sparsity(self) -> lil_matrix:
        S = lil_matrix((4 * self.n, 4 * self.n), dtype=int)
        for r in range(self.n):
            j, s = self.train_of(r)
            for up in range(j * self.n_series, r + 1):  # bypass can couple any upstream reactor
                S[4 * r : 4 * r + 4, 4 * up : 4 * up + 4] = 1
        return S

    def check_inputs(self, F_train: ArrayLike, Fc: ArrayLike, d: Disturbance) -> tuple[np.ndarray, np.ndarray]:
        """Validated train flows and the coolant flows the jackets get (:meth:`deliver_coolant`)."""
        F_train, Fc = np.asarray(F_train, dtype=float), np.asarray(Fc, dtype=float)
        if F_train.shape != (self.n_trains,) or Fc.shape != (self.n,):
            raise DataError(f"expected {self.n_trains} train flows and {self.n} coolant flows, got {F_train.shape}, {Fc.shape}")
        if (F_train < 0).any() or (Fc < 0).any():
            raise DataError("flows must be non-negative")
        return F_train, self.deliver_coolant(Fc, d)

    def step(self, X: ArrayLike, F_train: ArrayLike, Fc: ArrayLike, d: Disturbance, dt: float) -> np.ndarray:
        """Integrate over ``dt`` hours with inputs held (zero-order hold; coolant as delivered by
        :meth:`deliver_coolant`); returns the new (n, 4) state."""
        F_train, Fc = self.check_inputs(F_train, Fc, d)
        if not hasattr(self, "_jac_sparsity"):
            self._jac_sparsity = self._sparsity()
        sol = solve_ivp(
            lambda t, x: self.rhs(x, F_train, Fc, d).ravel(),
            (0.0, dt),
            np.asarray(X, dtype=float).ravel(),
            method="BDF",
            rtol=1e-7,
            atol=1e-8,
            jac_sparsity=self._jac_sparsity,
        )
        if not sol.success:
            raise SolveFailedError(f"plant integration failed: {sol.message}", status=str(sol.status))
        return sol.y[:, -1].reshape(self.n, 4)

    def violations(self, X: np.ndarray, d: Disturbance) -> np.ndarray:
        """Per-reactor temperature-limit violation in K (0 when inside [T_min, T_max]; offline ignored)."""
        T = np.asarray(X, dtype=float).reshape(self.n, 4)[:, 2]
        v = np.maximum(T - self.limits.T_max, 0.0) + np.maximum(self.limits.T_min - T, 0.0)
        return np.where(self.online(d), v, 0.0)
