"""Constants of the jacketed van de Vusse CSTR and the operating limits of the network.

Kinetics A -> B -> C, 2A -> D (B is the product) and the reactor/jacket data are the
benchmark of Chen, Kremling & Allgöwer (1995), "Nonlinear predictive control of a
benchmark CSTR", Proc. 3rd European Control Conference, Rome, pp. 3247-3252, as tabulated
by Klatt & Engell (1998), "Gain-scheduling trajectory control of a continuous stirred tank
reactor", Computers & Chemical Engineering 22(4-5), 491-502.  Their nominal point
(F/V = 14.19 1/h, c_A0 = 5.1 mol/L, T_0 = 104.9 C, Q_K = -1113.5 kJ/h) has
c_A = 2.14 mol/L, c_B = 1.09 mol/L, T = 114.2 C, T_K = 112.9 C.

Extension (ours, stated plainly): the benchmark's heat-removal input Q_K is replaced by a
once-through coolant of flow ``F_c`` (kg/h) and inlet temperature ``T_c,in`` entering the
jacket, Q_K = F_c Cp_K (T_c,in - T_K) (the jacketed-CSTR form of Seborg, Edgar, Mellichamp
& Doyle, "Process Dynamics and Control", 3rd ed., Wiley 2011, ch. 2), so that coolant
temperature and coolant capacity are physical disturbances/limits.  With T_c,in = 95 C the
nominal Q_K needs F_c ~ 31 kg/h.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VdVParameters", "OperatingLimits", "Feed", "STATES"]

STATES = ("cA", "cB", "T", "TK")  # mol/L, mol/L, degC, degC


@dataclass(frozen=True)
class VdVParameters:
    """Van de Vusse reactor constants (Chen et al. 1995; Klatt & Engell 1998). Units: L, h, kJ, mol, K."""

    k10: float = 1.287e12  # 1/h, A -> B
    k20: float = 1.287e12  # 1/h, B -> C
    k30: float = 9.043e9  # L/(mol h), 2A -> D
    E1: float = 9758.3  # K (E/R)
    E2: float = 9758.3  # K
    E3: float = 8560.0  # K
    dH1: float = 4.2  # kJ/mol A (A -> B, endothermic)
    dH2: float = -11.0  # kJ/mol B (B -> C)
    dH3: float = -41.85  # kJ/mol A (2A -> D)
    rho: float = 0.9342  # kg/L
    cp: float = 3.01  # kJ/(kg K)
    kw: float = 4032.0  # kJ/(h m2 K)
    area: float = 0.215  # m2
    volume: float = 10.0  # L
    mK: float = 5.0  # kg jacket holdup
    cpK: float = 2.0  # kJ/(kg K) coolant

    @property
    def ua(self) -> float:
        """Jacket heat-transfer conductance kw*A_R in kJ/(h K)."""
        return self.kw * self.area


@dataclass(frozen=True)
class OperatingLimits:
    """Hard limits of each reactor: temperature window, coolant capacity, feed pump capacity and turndown."""

    T_min: float = 100.0  # degC
    T_max: float = 120.0  # degC (safety limit on every reactor)
    Fc_max: float = 60.0  # kg/h coolant per jacket
    F_train_max: float = 250.0  # L/h per parallel train (pump)
    F_train_min: float = 25.0  # L/h: 10:1 pump turndown (ours); a train runs at least this or is shut


@dataclass(frozen=True)
class Feed:
    """Nominal feed and utility conditions (Klatt & Engell 1998 nominal point; coolant inlet ours)."""

    cA0: float = 5.1  # mol/L
    T0: float = 104.9  # degC
    Tc_in: float = 95.0  # degC
    F_per_train: float = 141.9  # L/h (F/V = 14.19 1/h with V = 10 L)
