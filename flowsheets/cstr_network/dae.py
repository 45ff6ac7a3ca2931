"""First-principles dynamic model of the reactor network in Pyomo.DAE, usable as the closed-loop plant.

:func:`build_dae_model` writes the balances of :func:`.plant.balances` (component A and B,
reactor energy, jacket energy; van de Vusse constants of Chen, Kremling & Allgöwer 1995,
Proc. 3rd ECC, pp. 3247-3252, as tabulated by Klatt & Engell 1998, Comput. Chem. Eng.
22(4-5), 491-502; coolant jacket after Seborg et al., Process Dynamics and Control, 3rd ed.,
Wiley 2011 -- see :mod:`.parameters`) as ``DerivativeVar`` equations of ``cA, cB, T, TK`` of
every reactor over one sample interval, on a normalized ``ContinuousSet`` ``tau in [0, 1]``
(``d x / d tau = dt * f(x, u, d)``).  Inputs (train flows ``F``, coolant flows ``Fc``) and
the disturbance (``cA0``, ``T0``, ``Tc_in``) are fixed variables held over the interval
(zero-order hold, i.e. piecewise constant from sample to sample); offline reactors are
bypassed and their contents held, exactly as in :class:`.plant.CSTRNetwork`.  The model is
discretized by Radau collocation and solved as a square problem (0 degrees of freedom,
checked) with Ipopt.  :class:`DaePlant` wraps it with ``CSTRNetwork.step``'s signature so
:func:`.scenarios.run_closed_loop` can run any policy on it::

    >>> from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
    >>> net = CSTRNetwork(1, 2)
    >>> plant = DaePlant(net)
    >>> X1 = plant.step(net.initial_state(), net.nominal_flows(), [31.0, 31.0], Disturbance(), 1 / 120)
    >>> X1.shape, plant.last_status
    ((2, 4), 'optimal')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyomo.dae as dae
import pyomo.environ as pyo
from idaes.core.util.model_statistics import degrees_of_freedom

from idaes_ml.dynamics import solve_model
from idaes_ml.errors import DataError, SolveFailedError

from .parameters import STATES
from .plant import CSTRNetwork, Disturbance, balances

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["build_dae_model", "DaePlant"]


def build_dae_model(net: CSTRNetwork, offline: frozenset = frozenset(), nfe: int = 4, ncp: int = 3) -> pyo.ConcreteModel:
    """Discretized Pyomo.DAE model of ``net`` over one sample (``m.dt`` hours) with reactors ``offline``.

    States ``m.cA, m.cB, m.T, m.TK[r, tau]`` (their ``tau = 0`` values fixed to the initial
    state), inputs ``m.F[j]``, ``m.Fc[r]`` and disturbance ``m.cA0, m.T0, m.Tc_in`` fixed;
    ``nfe`` finite elements of ``ncp``-point Radau collocation.
    """
    p = net.params
    online = net.online(Disturbance(offline=offline))
    m = pyo.ConcreteModel(name=f"cstr_network_dae_{net.n}")
    m.R, m.J = pyo.RangeSet(0, net.n - 1), pyo.RangeSet(0, net.n_trains - 1)
    m.tau = dae.ContinuousSet(bounds=(0.0, 1.0))
    m.dt = pyo.Param(initialize=1 / 120, mutable=True, doc="sample interval (h)")
    m.F = pyo.Var(m.J, initialize=net.feed.F_per_train, doc="train flow (L/h)")
    m.Fc = pyo.Var(m.R, initialize=31.0, doc="coolant flow (kg/h)")
    m.cA0 = pyo.Var(initialize=net.feed.cA0, doc="feed A (mol/L)")
    m.T0 = pyo.Var(initialize=net.feed.T0, doc="feed temperature (C)")
    m.Tc_in = pyo.Var(initialize=net.feed.Tc_in, doc="coolant inlet temperature (C)")
    m.ua = pyo.Param(m.R, initialize=p.ua, mutable=True, doc="jacket conductance (kJ/(h K)), lower when fouled")
    for v in (m.F, m.Fc, m.cA0, m.T0, m.Tc_in):
        v.fix()
    x0 = dict(zip(STATES, net.initial_state()[0]))
    for s in STATES:
        m.add_component(s, pyo.Var(m.R, m.tau, initialize=x0[s]))
        m.add_component(f"d{s}", dae.DerivativeVar(getattr(m, s), wrt=m.tau))
    state = lambda r, t: tuple(getattr(m, s)[r, t] for s in STATES)  # noqa: E731

    def inlet(r: int, t):
        """(cA, cB, T) entering reactor ``r``: the last online reactor upstream in its train, else the feed."""
        j, pos = net.train_of(r)
        for up in range(j * net.n_series + pos - 1, j * net.n_series - 1, -1):
            if online[up]:
                return state(up, t)[:3]
        return m.cA0, 0.0, m.T0

    def ode(m, r, t, i):
        if t == m.tau.first():
            return pyo.Constraint.Skip
        deriv = getattr(m, f"d{STATES[i]}")[r, t]
        if not online[r]:
            return deriv == 0.0
        f = balances(p, state(r, t), inlet(r, t), m.F[net.train_of(r)[0]] / p.volume, m.Fc[r], m.Tc_in, exp=pyo.exp,
                     ua=m.ua[r])
        return deriv == m.dt * f[i]

    m.S = pyo.RangeSet(0, 3)
    m.ode = pyo.Constraint(m.R, m.tau, m.S, rule=ode)
    pyo.TransformationFactory("dae.collocation").apply_to(m, nfe=nfe, ncp=ncp, scheme="LAGRANGE-RADAU")
    for s in STATES:
        getattr(m, s)[:, m.tau.first()].fix()
    return m


class DaePlant:
    """The Pyomo.DAE network as a plant: ``step(X, F_train, Fc, d, dt)`` like :meth:`CSTRNetwork.step`.

    One discretized model per set of offline reactors is built on first use and re-solved
    every step (initial state, inputs and disturbance re-fixed); bookkeeping (``throughput``,
    ``violations``, ...) stays with ``net``.  ``last_status``/``last_solve_s`` report the latest solve.
    """

    def __init__(self, net: CSTRNetwork, nfe: int = 4, ncp: int = 3, solver_options: dict | None = None) -> None:
        self.net, self.nfe, self.ncp = net, int(nfe), int(ncp)
        self.solver_options = {"tol": 1e-10, "max_iter": 100, **(solver_options or {})}
        self.models: dict[frozenset, pyo.ConcreteModel] = {}
        self.last_status, self.last_solve_s = None, 0.0

    def model(self, offline: frozenset) -> pyo.ConcreteModel:
        """The discretized model for reactors ``offline`` (built and checked square once)."""
        if offline not in self.models:
            m = build_dae_model(self.net, offline, self.nfe, self.ncp)
            dof = degrees_of_freedom(m)
            if dof != 0:
                raise DataError(f"DAE model of the network is not square: {dof} degrees of freedom")
            self.models[offline] = m
        return self.models[offline]

    def step(self, X: ArrayLike, F_train: ArrayLike, Fc: ArrayLike, d: Disturbance, dt: float) -> np.ndarray:
        """Solve the collocation model over ``dt`` hours from ``X`` with inputs held; returns the new (n, 4) state."""
        net = self.net
        F_train, Fc = net.check_inputs(F_train, Fc, d)  # also validates the offline set
        m = self.model(frozenset(d.offline))
        for r, ua in enumerate(net.ua(d)):
            m.ua[r] = float(ua)
        X = np.asarray(X, dtype=float).reshape(net.n, 4)
        m.dt = float(dt)
        for j in m.J:
            m.F[j].fix(float(F_train[j]))
        for r in m.R:
            m.Fc[r].fix(float(Fc[r]))
        m.cA0.fix(d.cA0), m.T0.fix(d.T0), m.Tc_in.fix(d.Tc_in)
        for i, s in enumerate(STATES):
            var = getattr(m, s)
            for r in m.R:
                for t in m.tau:  # warm start: the initial state held over the interval
                    var[r, t].set_value(float(X[r, i]))
        ok, status, secs = solve_model(m, self.solver_options)
        self.last_status, self.last_solve_s = status, secs
        if not ok:
            raise SolveFailedError(f"Pyomo.DAE plant step failed: {status}", status=status)
        end = m.tau.last()
        return np.array([[pyo.value(getattr(m, s)[r, end]) for s in STATES] for r in m.R])

    def __getattr__(self, name):
        """Everything but ``step`` (bookkeeping: ``n``, ``online``, ``throughput``, ...) comes from ``net``."""
        if name == "net":
            raise AttributeError(name)
        return getattr(self.net, name)
