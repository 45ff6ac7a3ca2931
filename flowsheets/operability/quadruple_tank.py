"""Quadruple-tank process (Johansson, 2000, IEEE Trans. Control Syst. Technol. 8(3), 456-465).

Four tanks, two pumps (voltages ``v1``, ``v2``), two measured levels; parameters of the
paper's minimum-phase operating point P-: A1 = A3 = 28 cm2, A2 = A4 = 32 cm2,
a1 = a3 = 0.071 cm2, a2 = a4 = 0.057 cm2, kc = 0.50 V/cm, g = 981 cm/s2,
k1 = 3.33, k2 = 3.35 cm3/(V s), gamma1 = 0.70, gamma2 = 0.60, steady levels
h0 = (12.4, 12.7, 1.8, 1.4) cm at v0 = (3.0, 3.0) V. A disturbance ``d`` (cm3/s) adds
flow into tank 1 (a leak when negative).

- :func:`linear_step`: the paper's linearisation in deviation variables, discretised
  exactly with a zero-order hold (matrix exponential) -- an :class:`LTIStep`.
- :func:`nonlinear_step`: the mass balances with Torricelli outflows, integrated over
  one sampling interval by RK4 sub-steps -- a :class:`FunctionStep` on rows.

    >>> from flowsheets.operability.quadruple_tank import linear_step
    >>> linear_step().sizes
    (4, 2, 1, 2)
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm

from idaes_ml.operability.dynamic import FunctionStep, LTIStep

A_T = np.array([28.0, 32.0, 28.0, 32.0])
A_O = np.array([0.071, 0.057, 0.071, 0.057])
KC, G = 0.50, 981.0
K = np.array([3.33, 3.35])
GAMMA = np.array([0.70, 0.60])
H0 = np.array([12.4, 12.7, 1.8, 1.4])
V0 = np.array([3.0, 3.0])
DT = 5.0  # s, sampling interval


def continuous_matrices() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Linearised ``(A, B, C, E)`` at the operating point (deviation variables)."""
    T = A_T / A_O * np.sqrt(2 * H0 / G)
    A = np.diag(-1 / T)
    A[0, 2], A[1, 3] = A_T[2] / (A_T[0] * T[2]), A_T[3] / (A_T[1] * T[3])
    B = np.array([[GAMMA[0] * K[0] / A_T[0], 0], [0, GAMMA[1] * K[1] / A_T[1]],
                  [0, (1 - GAMMA[1]) * K[1] / A_T[2]], [(1 - GAMMA[0]) * K[0] / A_T[3], 0]])
    C = np.array([[KC, 0, 0, 0], [0, KC, 0, 0]])
    E = np.array([[1 / A_T[0]], [0], [0], [0]])
    return A, B, C, E


def linear_step(dt: float = DT) -> LTIStep:
    """Zero-order-hold discretisation: ``[Ad, Bd] = expm([[A, B], [0, 0]] dt)``."""
    A, B, C, E = continuous_matrices()
    n, m = A.shape[0], B.shape[1] + E.shape[1]
    M = np.zeros((n + m, n + m))
    M[:n, :n], M[:n, n:] = A, np.hstack([B, E])
    Md = expm(M * dt)
    return LTIStep(Md[:n, :n], Md[:n, n:n + 2], C, E=Md[:n, n + 2:])


def _derivatives(h, v, d):
    h = np.maximum(h, 0.0)
    out = A_O * np.sqrt(2 * G * h)
    q1, q2 = GAMMA * K * v, (1 - GAMMA) * K * v
    return np.stack([(-out[:, 0] + out[:, 2] + q1[:, 0] + d[:, 0]) / A_T[0],
                     (-out[:, 1] + out[:, 3] + q1[:, 1]) / A_T[1],
                     (-out[:, 2] + q2[:, 1]) / A_T[2],
                     (-out[:, 3] + q2[:, 0]) / A_T[3]], axis=1)


def _nonlinear(X, U, D, dt: float = DT, substeps: int = 10):
    h, s = X.copy(), dt / substeps
    for _ in range(substeps):
        k1 = _derivatives(h, U, D)
        k2 = _derivatives(h + s / 2 * k1, U, D)
        k3 = _derivatives(h + s / 2 * k2, U, D)
        k4 = _derivatives(h + s * k3, U, D)
        h = h + s / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return h, KC * X[:, :2]


def nonlinear_step() -> FunctionStep:
    """Absolute levels (cm) and voltages (V); outputs the measured levels kc·h1, kc·h2 (V)."""
    return FunctionStep(_nonlinear, (4, 2, 1, 2))
