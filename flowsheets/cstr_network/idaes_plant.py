"""The reactor network as an IDAES dynamic flowsheet, usable as the closed-loop plant.

:func:`build_flowsheet` writes the network of :class:`.plant.CSTRNetwork` with IDAES unit models
connected by Ports and Arcs: a ``Separator`` splits the feed over the trains, every online reactor
is a dynamic IDAES ``CSTR`` (van de Vusse property and reaction packages of :mod:`.properties` and
:mod:`.reactions`) with a dynamic ``Heater`` as its coolant jacket (heat flow ``UA (T_K - T)`` from
jacket to reactor, Chen et al. 1995 ``kw A_R``), trains run in series and a ``Mixer`` collects the
product.  Offline reactors are left out and their train bypasses them, their contents held, as in
:class:`.plant.CSTRNetwork`.  Time is one sample interval, discretized by Radau collocation
(Pyomo.DAE); the inputs are held over it (zero-order hold).  Optionally the PI loops run inside the
flowsheet as IDAES ``PIDController`` blocks (``pi=PIBaseline(...)``, policy :class:`FlowsheetPIPolicy`).
:class:`IdaesPlant` wraps the flowsheet with ``CSTRNetwork.step``'s signature (plant units: L, h,
mol/L, degC)::

    >>> from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
    >>> net = CSTRNetwork(1, 2)
    >>> plant = IdaesPlant(net)
    >>> X1 = plant.step(net.initial_state(), net.nominal_flows(), [31.0, 31.0], Disturbance(), 1 / 120)
    >>> X1.shape, plant.last_status
    ((2, 4), 'optimal')
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import numpy as np
import pyomo.dae as dae
import pyomo.environ as pyo
from idaes.core import FlowsheetBlock
from idaes.core.util.model_statistics import degrees_of_freedom
from idaes.models.control.controller import (ControllerAntiwindupType, ControllerMVBoundType, ControllerType,
                                             PIDController)
from idaes.models.unit_models import CSTR, Heater, Mixer, MomentumMixingType, Separator
from idaes.models.unit_models.separator import SplittingType
from pyomo.core.expr.visitor import identify_variables
from pyomo.network import Arc
from pyomo.util.calc_var_value import calculate_variable_from_constraint

from idaes_ml.errors import DataError, SolveFailedError
from idaes_ml.solvers.persistent import PersistentIpopt

from .control import PIBaseline
from .plant import CSTRNetwork, Disturbance
from .properties import CoolantParameterBlock, VanDeVusseParameterBlock, to_si
from .reactions import VanDeVusseReactionParameterBlock

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["build_flowsheet", "IdaesPlant", "FlowsheetPIPolicy"]

u = pyo.units
KELVIN = 273.15
P_FEED = 101325.0  # Pa (the benchmark is isobaric; any pressure gives the same balances)
L_H = to_si(1.0, u.L / u.h, u.m**3 / u.s)  # plant units (L/h, mol/L, kg/h, mol/h) in SI
MOL_L = to_si(1.0, u.mol / u.L, u.mol / u.m**3)
KG_H = to_si(1.0, u.kg / u.h, u.kg / u.s)
MOL_H = to_si(1.0, u.mol / u.h, u.mol / u.s)


def _chain(net: CSTRNetwork, online: np.ndarray) -> dict[int, list[int]]:
    """Online reactors of each train, upstream first."""
    return {j: [r for r in range(j * net.n_series, (j + 1) * net.n_series) if online[r]] for j in range(net.n_trains)}


def build_flowsheet(net: CSTRNetwork, offline: frozenset = frozenset(), dt: float = 1 / 120, nfe: int = 4,
                    ncp: int = 3, pi: PIBaseline | None = None) -> pyo.ConcreteModel:
    """Dynamic IDAES flowsheet of ``net`` over ``dt`` hours with reactors ``offline`` left out (inputs free).

    Units: ``m.fs.split`` (Separator), ``m.fs.reactor[r]`` (CSTR), ``m.fs.jacket[r]`` (Heater),
    ``m.fs.product`` (Mixer); volumes fixed, initial conditions and inputs left to :class:`IdaesPlant`.
    With ``pi`` (its setpoints, gains and coolant bias), ``m.fs.pi[r]`` are IDAES ``PIDController``
    blocks (continuous PI, smooth bounds [0, Fc_max], conditional integration) moving each jacket's
    coolant flow inside the flowsheet.
    """
    p = net.params
    online = net.online(Disturbance(offline=offline))
    trains, rs = _chain(net, online), [r for r in range(net.n) if online[r]]
    m = pyo.ConcreteModel(name=f"cstr_network_idaes_{net.n}")
    m.fs = FlowsheetBlock(dynamic=True, time_set=[0.0, to_si(dt, u.h, u.s)], time_units=u.s)
    m.fs.liquid = VanDeVusseParameterBlock()
    m.fs.kinetics = VanDeVusseReactionParameterBlock(property_package=m.fs.liquid)
    m.fs.coolant = CoolantParameterBlock()
    names = [f"train{j}" for j in range(net.n_trains)]
    m.fs.split = Separator(property_package=m.fs.liquid, outlet_list=names, split_basis=SplittingType.totalFlow,
                           dynamic=False)
    m.fs.reactor = CSTR(rs, property_package=m.fs.liquid, reaction_package=m.fs.kinetics, has_heat_transfer=True,
                        has_heat_of_reaction=True, has_pressure_change=False)
    m.fs.jacket = Heater(rs, property_package=m.fs.coolant, has_pressure_change=False)
    m.fs.product = Mixer(property_package=m.fs.liquid, inlet_list=names, momentum_mixing_type=MomentumMixingType.none,
                         dynamic=False)
    m.fs.UA = pyo.Param(rs, initialize=to_si(p.ua, u.kJ / u.h / u.K, u.W / u.K), units=u.W / u.K, mutable=True,
                        doc="jacket conductance kw A_R (Chen et al. 1995: 4032 kJ/(h m2 K) x 0.215 m2; lower when fouled)")

    @m.fs.Constraint(m.fs.time, rs, doc="heat from the jacket into the reactor")
    def heat_transfer(fs, t, r):
        cv, jk = fs.reactor[r].control_volume, fs.jacket[r].control_volume
        return cv.heat[t] == fs.UA[r] * (jk.properties_out[t].temperature - cv.properties_out[t].temperature)

    @m.fs.Constraint(m.fs.time, rs, doc="the jacket loses what the reactor gains")
    def jacket_duty(fs, t, r):
        return fs.jacket[r].control_volume.heat[t] == -fs.reactor[r].control_volume.heat[t]

    if pi is not None:
        _add_pi(m, rs)
    arcs = {}
    for j, chain in trains.items():
        src = getattr(m.fs.split, names[j])
        for r in chain:
            arcs[f"feed_R{r}"] = (src, m.fs.reactor[r].inlet)
            src = m.fs.reactor[r].outlet
        arcs[f"product_{names[j]}"] = (src, getattr(m.fs.product, names[j]))
    for name, (a, b) in arcs.items():
        m.fs.add_component(name, Arc(source=a, destination=b))
    pyo.TransformationFactory("network.expand_arcs").apply_to(m)
    pyo.TransformationFactory("dae.collocation").apply_to(m.fs, wrt=m.fs.time, nfe=nfe, ncp=ncp, scheme="LAGRANGE-RADAU")
    if pi is not None:
        _tune_pi(m, net, pi)
    t0 = m.fs.time.first()
    m.fs.product.outlet.pressure.fix(P_FEED)
    m.fs.split.inlet.pressure.fix(P_FEED)
    for r in rs:
        m.fs.reactor[r].volume.fix(to_si(p.volume, u.L, u.m**3))
        m.fs.jacket[r].control_volume.volume.fix(p.mK / pyo.value(m.fs.coolant.dens_mass))
        m.fs.jacket[r].inlet.pressure.fix(P_FEED)
        cv = m.fs.reactor[r].control_volume
        cv.material_accumulation[t0, "Liq", "H2O"].fix(0.0)  # constant density: the solvent holdup cannot change
        m.fs.jacket[r].control_volume.material_accumulation[t0, "Liq", "coolant"].fix(0.0)
    return m


def propagate_explicit(m: pyo.ConcreteModel, known: set | None = None, sweeps: int = 20) -> int:
    """Warm start: compute every variable that an active equality constraint fixes alone, given the
    fixed and ``known`` variables (e.g. states set at every time point), until nothing changes."""
    known = {id(v) for v in (known or ())}
    cons = [(c, [v for v in identify_variables(c.body) if not v.fixed])
            for c in m.component_data_objects(pyo.Constraint, active=True) if c.equality]
    done, log = 0, logging.getLogger("pyomo.core")
    level = log.level
    log.setLevel(logging.ERROR)  # intermediate values may sit outside bounds (W1002): Ipopt moves them
    try:
        for _ in range(sweeps):
            progress = False
            for c, vs in cons:
                free = [v for v in vs if id(v) not in known]
                if len(free) == 1:
                    try:
                        calculate_variable_from_constraint(free[0], c)
                    except (ValueError, RuntimeError, ZeroDivisionError, OverflowError):
                        continue
                    known.add(id(free[0]))
                    progress, done = True, done + 1
            if not progress:
                break
    finally:
        log.setLevel(level)
    return done


def _add_pi(m: pyo.ConcreteModel, rs: list[int]) -> None:
    """PI temperature -> coolant loops as IDAES PIDControllers (before discretization)."""
    kind = {"controller_type": ControllerType.PI, "mv_bound_type": ControllerMVBoundType.SMOOTH_BOUND,
            "antiwindup_type": ControllerAntiwindupType.CONDITIONAL_INTEGRATION}
    loops = {r: {"process_var": m.fs.reactor[r].control_volume.properties_out[:].temperature,
                 "manipulated_var": m.fs.jacket[r].control_volume.properties_in[:].flow_mass, **kind} for r in rs}
    m.fs.pi = PIDController(rs, initialize=loops)


def _tune_pi(m: pyo.ConcreteModel, net: CSTRNetwork, pi: PIBaseline) -> None:
    """Setpoints, gains, bias and bounds of the PIDControllers at every (discretized) time point."""
    kc = pi.Kc * KG_H  # (kg/h)/K -> (kg/s)/K
    for r, c in m.fs.pi.items():
        c.mv_lb.set_value(0.0)
        c.mv_ub.set_value(net.limits.Fc_max * KG_H)
        c.smooth_eps.set_value(1e-3 * KG_H)
        c.setpoint.fix(float(pi.T_sp[r]) + KELVIN)
        c.gain_p.fix(-kc)  # error = setpoint - T: a hot reactor opens the coolant
        c.gain_i.fix(-kc / to_si(pi.tau_i, u.h, u.s))
        c.mv_ref.fix(float(pi.bias[r]) * KG_H)


class IdaesPlant:
    """The IDAES flowsheet as a plant: ``step(X, F_train, Fc, d, dt)`` like :meth:`CSTRNetwork.step`.

    One flowsheet per (offline set, sample time) is built on first use, checked square, and re-solved
    every step with initial state, inputs and disturbance re-fixed (a failed solve is retried once from a
    fresh consistent point before SolveFailedError); C and D (which the plant does not
    report) start each step where the last one ended.  Bookkeeping stays with ``net``.
    """

    def __init__(self, net: CSTRNetwork, nfe: int = 4, ncp: int = 3, solver_options: dict | None = None,
                 pi: PIBaseline | None = None) -> None:
        self.net, self.nfe, self.ncp, self.pi = net, int(nfe), int(ncp), pi
        self.last_Fc: np.ndarray | None = None
        self.solver_options = {"tol": 1e-8, "constr_viol_tol": 1e-9, "acceptable_iter": 0, "max_iter": 200, **(solver_options or {})}
        self.models: dict[tuple[frozenset, float], pyo.ConcreteModel] = {}
        self.solvers: dict[pyo.ConcreteModel, PersistentIpopt] = {}
        self.last_status, self.last_solve_s, self.steps = None, 0.0, 0

    def model(self, offline: frozenset, dt: float) -> pyo.ConcreteModel:
        """The flowsheet for reactors ``offline`` and sample time ``dt`` (built once, with its inputs fixed)."""
        key = (offline, round(float(dt), 12))
        if key not in self.models:
            m = build_flowsheet(self.net, offline, dt, self.nfe, self.ncp, self.pi)
            self._fix_inputs(m, self.net.nominal_flows(), np.full(self.net.n, 31.0), Disturbance(offline=offline))
            self._set_initial(m, self.net.initial_state())
            dof = degrees_of_freedom(m)
            if dof != 0:
                raise DataError(f"IDAES flowsheet of the network is not square: {dof} degrees of freedom")
            self.models[key] = m
        return self.models[key]

    def _fix_inputs(self, m: pyo.ConcreteModel, F: np.ndarray, Fc: np.ndarray, d: Disturbance) -> None:
        fs, total = m.fs, float(F.sum())
        frac = F / total if total > 0 else np.full(len(F), 1 / len(F))
        for t in fs.time:
            inl = fs.split.inlet
            inl.flow_vol[t].fix(total * L_H)
            inl.temperature[t].fix(d.T0 + KELVIN)
            for j, c in (("A", d.cA0), ("B", 0.0), ("C", 0.0), ("D", 0.0)):
                inl.conc_mol_comp[t, j].fix(c * MOL_L)
            inl.conc_mol_comp[t, "H2O"].fix(pyo.value(fs.liquid.conc_solvent))
            for j in range(1, len(F)):
                fs.split.split_fraction[t, f"train{j}"].fix(float(frac[j]))
            for r in fs.jacket:
                flow = fs.jacket[r].inlet.flow_mass[t]
                if t == fs.time.first() or not hasattr(fs, "pi"):
                    flow.fix(float(Fc[r]) * KG_H)
                else:  # the in-flowsheet PI moves it
                    flow.unfix()
                fs.jacket[r].inlet.temperature[t].fix(d.Tc_in + KELVIN)

    def _set_initial(self, m: pyo.ConcreteModel, X: np.ndarray) -> None:
        """Fix the t=0 state to ``X`` and warm-start every time point with it."""
        fs, t0 = m.fs, m.fs.time.first()
        for r in fs.reactor:
            out, jk = fs.reactor[r].control_volume.properties_out, fs.jacket[r].control_volume.properties_out
            cA, cB = float(X[r, 0]) * MOL_L, float(X[r, 1]) * MOL_L
            carried = {j: out[fs.time.last()].conc_mol_comp[j].value for j in ("C", "D")}
            for t in fs.time:
                out[t].conc_mol_comp["A"].set_value(cA)
                out[t].conc_mol_comp["B"].set_value(cB)
                out[t].conc_mol_comp["H2O"].set_value(pyo.value(fs.liquid.conc_solvent))
                out[t].temperature.set_value(X[r, 2] + KELVIN)
                jk[t].temperature.set_value(X[r, 3] + KELVIN)
            for j in ("A", "B", "C", "D"):
                out[t0].conc_mol_comp[j].fix(carried[j] if j in carried else out[t0].conc_mol_comp[j].value)
            out[t0].temperature.fix()
            jk[t0].temperature.fix()

    def _solve(self, m: pyo.ConcreteModel) -> tuple[bool, str]:
        res = self.solvers[m].solve(m, load_solutions=False)
        ok = pyo.check_optimal_termination(res)
        if ok:
            self.solvers[m].load_vars()
        return ok, str(res.solver.termination_condition)

    @staticmethod
    def _warm_start(m: pyo.ConcreteModel) -> None:
        """First point of a new flowsheet: states constant over the interval (derivatives 0), the rest explicit."""
        known = []
        for r in m.fs.reactor:
            for t in m.fs.time:
                out = m.fs.reactor[r].control_volume.properties_out[t]
                known += [*out.conc_mol_comp.values(), out.temperature,
                          m.fs.jacket[r].control_volume.properties_out[t].temperature]
        for v in m.component_data_objects(dae.DerivativeVar):
            v.set_value(0.0)
            known.append(v)
        propagate_explicit(m, known)

    def step(self, X: ArrayLike, F_train: ArrayLike, Fc: ArrayLike, d: Disturbance, dt: float) -> np.ndarray:
        """Solve the flowsheet over ``dt`` hours from ``X`` with inputs held; returns the new (n, 4) state."""
        net = self.net
        F_train, Fc = net.check_inputs(F_train, Fc, d)  # coolant as the header delivers it
        online = net.online(d)
        X = np.asarray(X, dtype=float).reshape(net.n, 4)
        m = self.model(frozenset(d.offline), dt)
        ua = net.ua(d)
        for r in m.fs.reactor:
            m.fs.UA[r] = to_si(float(ua[r]), u.kJ / u.h / u.K, u.W / u.K)
        self._fix_inputs(m, F_train, Fc, d)
        self._set_initial(m, X)
        t0 = time.perf_counter()
        if m not in self.solvers:  # a new flowsheet: a consistent first point for these inputs
            self._warm_start(m)
            self.solvers[m] = PersistentIpopt(self.solver_options, on_change="raise")
        ok, status = self._solve(m)
        if not ok:  # once more from a fresh consistent point (the last solution may be far away)
            self._set_initial(m, X)
            self._warm_start(m)
            ok, status = self._solve(m)
        self.last_status, self.last_solve_s = status, time.perf_counter() - t0
        self.steps += 1
        if not ok:
            raise SolveFailedError(f"IDAES plant step {self.steps} failed: {status}", status=status)
        out = X.copy()  # offline reactors: contents held
        end = m.fs.time.last()
        self.last_Fc = Fc.copy()
        for r in m.fs.jacket:  # with in-flowsheet PI: the coolant flow it reached
            self.last_Fc[r] = pyo.value(m.fs.jacket[r].inlet.flow_mass[end]) / KG_H
        for r in np.flatnonzero(online):
            state = m.fs.reactor[r].control_volume.properties_out[end]
            out[r] = [pyo.value(state.conc_mol_comp["A"]) / MOL_L, pyo.value(state.conc_mol_comp["B"]) / MOL_L,
                      pyo.value(state.temperature) - KELVIN,
                      pyo.value(m.fs.jacket[r].control_volume.properties_out[end].temperature) - KELVIN]
        return out

    def product(self, dt: float, offline: frozenset = frozenset()) -> float:
        """B leaving the product Mixer at the end of the last solved interval (mol/h)."""
        m = self.model(offline, dt)
        o = m.fs.product.mixed_state[m.fs.time.last()]
        return pyo.value(o.flow_vol * o.conc_mol_comp["B"]) / MOL_H

    def __getattr__(self, name: str):
        """Bookkeeping (``n``, ``online``, ``throughput``, ...) comes from ``net``."""
        if name == "net":
            raise AttributeError(name)
        return getattr(self.net, name)


class FlowsheetPIPolicy:
    """Policy for an :class:`IdaesPlant` built with ``pi``: the PI's fixed split of the supply, and as the
    coolant flows the values its PIDControllers reached at the end of the last interval (bias at first)."""

    def __init__(self, plant: IdaesPlant) -> None:
        if plant.pi is None:
            raise DataError("FlowsheetPIPolicy needs an IdaesPlant built with pi=PIBaseline(...)")
        self.plant = plant

    def __call__(self, k: int, X: np.ndarray, d: Disturbance) -> tuple[np.ndarray, np.ndarray, dict]:
        """Train flows and initial coolant flows of the next interval."""
        pi, last = self.plant.pi, self.plant.last_Fc
        return pi.split * self.plant.net.supply(d), (pi.bias if last is None else last).copy(), {"fallback": False}
