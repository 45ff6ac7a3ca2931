"""Rule-based baseline: one PI loop per reactor (temperature -> coolant flow), fixed setpoints and split.

Discrete positional PI with conditional-integration anti-windup, run at the sample time of
the closed loop.  Setpoints and the flow split never change; the feed supply is shared
over the trains in the fixed proportion ``split``::

    >>> from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
    >>> net = CSTRNetwork(2, 2)
    >>> pi = PIBaseline(net, dt=1 / 120)
    >>> F, Fc, info = pi(0, net.initial_state(), Disturbance())
    >>> F.tolist(), info["policy"]
    ([141.9, 141.9], 'pi')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .plant import CSTRNetwork, Disturbance
from .steady_state import required_coolant

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["PIBaseline", "design_setpoints", "design_state"]

DESIGN_COOLANT = 31.0  # kg/h


def design_state(net: CSTRNetwork) -> np.ndarray:
    """Steady state (n, 4) with design coolant at nominal feed and split (open loop, 2 h)."""
    X = net.initial_state()
    for _ in range(8):
        X = net.step(X, net.nominal_flows(), np.full(net.n, DESIGN_COOLANT), Disturbance(), dt=0.25)
    return X


def design_setpoints(net: CSTRNetwork) -> np.ndarray:
    """Temperatures of :func:`design_state`, rounded to 0.01 K."""
    return np.round(design_state(net)[:, 2], 2)


class PIBaseline:
    """PI temperature loops on every reactor with fixed setpoints ``T_sp`` and fixed ``split``.

    Gains: ``Kc`` in (kg/h)/K and ``tau_i`` in h, tuned by simulation on a -1 K setpoint
    step of an unsaturated loop (settles in ~7 min, no overshoot).  Default setpoints are the
    design point: every reactor at the temperature it reaches with the design coolant flow
    (31 kg/h) at nominal feed (114.2 C first in a train, 116.3 C second).
    """

    def __init__(self, net: CSTRNetwork, dt: float, T_sp: ArrayLike | None = None, split: ArrayLike | None = None,
                 Kc: float = 20.0, tau_i: float = 0.05) -> None:
        self.net, self.dt, self.Kc, self.tau_i = net, float(dt), float(Kc), float(tau_i)
        self.T_sp = design_setpoints(net) if T_sp is None else np.asarray(T_sp, dtype=float)
        self.split = np.full(net.n_trains, 1.0 / net.n_trains) if split is None else np.asarray(split, dtype=float)
        self.bias = required_coolant(net, net.nominal_flows(), self.T_sp, Disturbance())
        self.integral = np.zeros(net.n)

    def __call__(self, k: int, X: np.ndarray, d: Disturbance) -> tuple[np.ndarray, np.ndarray, dict]:
        """Inputs (train flows, coolant flows) for measured state ``X`` and measured disturbance ``d``."""
        lim = self.net.limits
        F = self.split * self.net.supply(d)
        e = X[:, 2] - self.T_sp
        raw = self.bias + self.Kc * (e + (self.integral + e * self.dt) / self.tau_i)
        Fc = self.net.deliver_coolant(np.clip(raw, 0.0, lim.Fc_max), d)  # a limited coolant header shares out
        unsaturated = (raw == Fc) | (np.sign(e) != np.sign(raw - Fc))
        self.integral = np.where(unsaturated, self.integral + e * self.dt, self.integral)
        return F, Fc, {"policy": "pi", "fallback": False}
