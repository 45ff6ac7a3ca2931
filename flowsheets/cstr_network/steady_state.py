"""Steady state of the ground-truth network: an equation-oriented Pyomo model and a setpoint check.

:func:`build_steady_state` writes the balances of :mod:`.plant` with time derivatives set to
zero (flows, coolant and temperatures as variables within the operating limits), so the
same model simulates a given operation (fix ``F``/``Fc``) or finds the true economic optimum.
:func:`required_coolant` solves the balances reactor by reactor for temperature setpoints
and raises :class:`InfeasibleSetpointError` naming the violated limit::

    >>> from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
    >>> net = CSTRNetwork(2, 2)
    >>> fc = required_coolant(net, net.nominal_flows(), [114.2] * 4, Disturbance())
    >>> round(float(fc[0]), 1)
    31.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo

from idaes_ml.errors import DataError

from .plant import CSTRNetwork, Disturbance, balances, reaction_terms

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["InfeasibleSetpointError", "required_coolant", "build_steady_state"]


class InfeasibleSetpointError(DataError):
    """A temperature setpoint that no admissible input can hold; names reactor, limit and values."""

    def __init__(self, reactor: int, limit: str, value: float, bound: float, detail: str) -> None:
        super().__init__(f"reactor {reactor}: {detail} (limit {limit}: needed {value:.4g}, limit {bound:.4g})")
        self.reactor, self.limit, self.value, self.bound = reactor, limit, value, bound


def _reactor_ss(net: CSTRNetwork, F: float, T: float, inlet: np.ndarray, ua: float) -> tuple[float, float, float]:
    """(cA, cB, TK) of one reactor held at temperature ``T`` with inlet (cA, cB, T), flow ``F``, jacket conductance ``ua``."""
    p = net.params
    dil = F / p.volume
    k1, k2, k3 = (r for r in reaction_terms(p, 1.0, 1.0, T)[:3])
    # k3 cA^2 + (dil + k1) cA - dil cA_in = 0, positive root
    b = dil + k1
    cA = 2 * dil * inlet[0] / (b + np.sqrt(b * b + 4 * k3 * dil * inlet[0]))
    cB = (dil * inlet[1] + k1 * cA) / (dil + k2)
    heat = reaction_terms(p, cA, cB, T)[3]
    TK = T - (dil * (inlet[2] - T) + heat) / (ua / (p.rho * p.cp * p.volume))
    return float(cA), float(cB), float(TK)


def required_coolant(net: CSTRNetwork, F_train: ArrayLike, T_sp: ArrayLike, d: Disturbance) -> np.ndarray:
    """Coolant flow (kg/h) each reactor needs to sit at its setpoint; raises on an unreachable one (or when all
    together need more than the coolant header delivers)."""
    lim, p = net.limits, net.params
    T_sp, F_train = np.asarray(T_sp, dtype=float), np.asarray(F_train, dtype=float)
    if T_sp.shape != (net.n,) or F_train.shape != (net.n_trains,):
        raise DataError(f"need {net.n} setpoints and {net.n_trains} train flows")
    online, ua = net.online(d), net.ua(d)
    Fc = np.zeros(net.n)
    for j in range(net.n_trains):
        inlet = np.array([d.cA0, 0.0, d.T0])
        for s in range(net.n_series):
            r = j * net.n_series + s
            if not online[r]:
                continue
            T = T_sp[r]
            if T > lim.T_max:
                raise InfeasibleSetpointError(r, "T_max", T, lim.T_max, f"setpoint {T:.2f} C above the temperature limit")
            if T < lim.T_min:
                raise InfeasibleSetpointError(r, "T_min", T, lim.T_min, f"setpoint {T:.2f} C below the temperature limit")
            cA, cB, TK = _reactor_ss(net, F_train[j], T, inlet, ua[r])
            if TK >= T:
                raise InfeasibleSetpointError(r, "Fc_min", 0.0, 0.0, f"setpoint {T:.2f} C needs heating (jacket at {TK:.2f} C) but the jacket only cools")
            if TK <= d.Tc_in:
                raise InfeasibleSetpointError(r, "Tc_in", TK, d.Tc_in, f"setpoint {T:.2f} C needs the jacket at {TK:.2f} C, below the coolant inlet")
            Fc[r] = ua[r] * (T - TK) / (p.cpK * (TK - d.Tc_in))
            if Fc[r] > lim.Fc_max:
                raise InfeasibleSetpointError(r, "Fc_max", Fc[r], lim.Fc_max, f"setpoint {T:.2f} C needs more coolant than the jacket capacity")
            inlet = np.array([cA, cB, T])
    if Fc.sum() > net.coolant_capacity(d) * (1 + 1e-9):
        r = int(np.argmax(Fc))
        raise InfeasibleSetpointError(r, "coolant_supply", float(Fc.sum()), net.coolant_capacity(d),
                                      "the setpoints together need more coolant than the header delivers")
    return Fc


def build_steady_state(net: CSTRNetwork, d: Disturbance, coolant_price: float = 0.0) -> pyo.ConcreteModel:
    """Pyomo steady-state model of the network; objective = B product (mol/h) minus coolant cost.

    Variables ``F[j]`` (L/h), ``Fc[r]`` (kg/h), ``cA, cB, T, TK[r]`` carry the operating
    limits as bounds; ``supply`` and ``coolant_supply`` cap the feed and the coolant of all jackets
    together; fouled jackets have their lower conductance.  The objective is deactivated until
    callers activate it.
    """
    p, lim = net.params, net.limits
    online, ua = net.online(d), net.ua(d)
    m = pyo.ConcreteModel(name=f"cstr_network_ss_{net.n}")
    m.J, m.R = pyo.RangeSet(0, net.n_trains - 1), pyo.RangeSet(0, net.n - 1)
    m.F = pyo.Var(m.J, bounds=(0.0, lim.F_train_max), initialize=net.feed.F_per_train)
    m.Fc = pyo.Var(m.R, bounds=(0.0, lim.Fc_max), initialize=30.0)
    m.cA = pyo.Var(m.R, bounds=(0.0, d.cA0 + 1e-9), initialize=1.5)
    m.cB = pyo.Var(m.R, bounds=(0.0, d.cA0 + 1e-9), initialize=1.0)
    m.T = pyo.Var(m.R, bounds=(lim.T_min, lim.T_max), initialize=112.0)
    m.TK = pyo.Var(m.R, bounds=(d.Tc_in, lim.T_max), initialize=110.0)
    m.supply = pyo.Constraint(expr=sum(m.F[j] for j in m.J) <= net.supply(d))
    m.coolant_supply = pyo.Constraint(expr=sum(m.Fc[r] for r in m.R if online[r]) <= net.coolant_capacity(d))
    inlet: dict[int, tuple] = {}
    for j in range(net.n_trains):
        cur = (d.cA0, 0.0, d.T0)
        for s in range(net.n_series):
            r = j * net.n_series + s
            inlet[r] = cur
            if online[r]:
                cur = (m.cA[r], m.cB[r], m.T[r])
            else:  # bypassed: contents held, no coolant (none bought either)
                for v in (m.cA, m.cB, m.T, m.TK):
                    v[r].fix(v[r].value)
                m.Fc[r].fix(0.0)
    last_cB = {}
    for j in range(net.n_trains):
        r = (j + 1) * net.n_series - 1
        last_cB[j] = m.cB[r] if online[r] else inlet[r][1]
    m.balances = pyo.ConstraintList()
    for r in range(net.n):
        if not online[r]:
            continue
        rhs = balances(p, (m.cA[r], m.cB[r], m.T[r], m.TK[r]), inlet[r], m.F[r // net.n_series] / p.volume,
                       m.Fc[r], d.Tc_in, exp=pyo.exp, ua=float(ua[r]))
        for scale, expr in zip((p.volume, p.volume, p.volume, p.mK * p.cpK), rhs):  # L/h, L/h, L/h, kJ/(h K) units
            m.balances.add(scale * expr == 0)
    m.product = pyo.Expression(expr=sum(m.F[j] * last_cB[j] for j in m.J))
    m.obj = pyo.Objective(expr=m.product - coolant_price * sum(m.Fc[r] for r in m.R), sense=pyo.maximize)
    m.obj.deactivate()
    return m
