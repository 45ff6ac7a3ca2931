"""Dynamic operability of the learned reactor network (funnel and dOI via idaes_ml.operability).

The aggregated inputs are a common coolant flow ``Fc`` (kg/h, every jacket) and a common
train flow ``F`` (L/h, every train); the outputs are the B product (mol/h) and the hottest
reactor temperature (C) one step later.  :func:`network_step` batches the learned graph
over rows so :func:`idaes_ml.operability.dynamic_operability` can sample input sequences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from idaes_ml.dynamics import NeuralStateSpace
from idaes_ml.operability import DynamicResult, FunctionStep, Region, dynamic_operability

from .learned import DISTURBANCES, INPUTS, STATES
from .plant import CSTRNetwork, Disturbance

__all__ = ["network_step", "network_funnel"]


def network_step(net: CSTRNetwork, model: NeuralStateSpace, d: Disturbance) -> FunctionStep:
    """FunctionStep: rows of all reactor states (n*4) and (Fc, F) -> next states and (product, T_hottest)."""
    on = net.online(d)

    def fn(X, U, D):
        S = X.shape[0]
        Xr = X.reshape(S, net.n, 4)
        Fc, F = U[:, 0], U[:, 1]
        frames, cur = [], None
        for j in range(net.n_trains):
            cur = np.column_stack([np.full(S, d.cA0), np.zeros(S), np.full(S, d.T0)])
            for s in range(net.n_series):
                r = j * net.n_series + s
                frames.append(pd.DataFrame(np.column_stack([Xr[:, r], F, Fc, cur, np.full(S, d.Tc_in)]),
                                           columns=STATES + INPUTS + DISTURBANCES))
                if on[r]:
                    cur = Xr[:, r, :3]
        nxt = model.predict_next(pd.concat(frames, ignore_index=True)).to_numpy().reshape(net.n, S, 4).transpose(1, 0, 2).copy()
        nxt[:, ~on] = Xr[:, ~on]
        last = [max(r for r in range(j * net.n_series, (j + 1) * net.n_series) if on[r]) for j in range(net.n_trains)]
        product = F * nxt[:, last, 1].sum(axis=1)
        return nxt.reshape(S, -1), np.column_stack([product, nxt[:, on, 2].max(axis=1)])

    return FunctionStep(fn, (net.n * 4, 2, 0, 2))


def network_funnel(net: CSTRNetwork, model: NeuralStateSpace, X0: np.ndarray, ais: dict, dos: dict,
                   horizon: int = 10, d: Disturbance = Disturbance(), n_sequences: int = 100) -> DynamicResult:
    """Funnel and dOI(k) of the learned network from state ``X0`` for AIS/DOS boxes over
    ``{"Fc", "F"}`` and ``{"product", "T_hottest"}``."""
    return dynamic_operability(network_step(net, model, d), np.asarray(X0).ravel(),
                               Region.box({k: ais[k] for k in ("Fc", "F")}, name="AIS"),
                               Region.box({k: dos[k] for k in ("product", "T_hottest")}, name="DOS"),
                               horizon, n_sequences=n_sequences)
