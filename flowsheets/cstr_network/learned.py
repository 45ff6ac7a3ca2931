"""Case-study glue: trajectories from the plant, per-reactor neural models, the learned network.

Every reactor obeys the same physics, so one per-reactor model ``(x_k, u_k, d_k) -> x_{k+1}``
serves all of them: states (cA, cB, T, TK), inputs (F, Fc), disturbances = inlet
(cA_in, cB_in, T_in) and coolant inlet Tc_in.  :func:`reactor_model` builds the plain or the
physics-structured variant (known convective, heat-transfer and coolant terms over one step
plus three learned reaction extents spread by stoichiometry and heats of reaction);
:func:`learned_graph` wires one unit per reactor like the plant (bypassing offline ones).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from idaes_ml.dynamics import NeuralStateSpace, StepGraph, Support
from idaes_ml.parallel import map as pmap

from .control import PIBaseline
from .plant import CSTRNetwork, Disturbance

__all__ = ["simulate_episode", "STATES", "INPUTS", "DISTURBANCES", "DT", "generate_transitions", "reactor_model", "learned_graph",
           "fouled_model", "graph_state", "load_reactor_model", "save_reactor_model", "graph_exogenous", "decisions_to_plant", "plant_to_decisions"]

STATES = ["cA", "cB", "T", "TK"]
INPUTS = ["F", "Fc"]
DISTURBANCES = ["cA_in", "cB_in", "T_in", "Tc_in"]
DT = 1.0 / 120.0  # h (30 s sample time)


T0_max = 116.0  # degC: hot feeds drive first-in-train reactors (hence every T_in) past T_max = 120 C
T_sp_max = 127.0  # degC: setpoints beyond the limit; measured coverage up to 124.9 C (cstr_network_dynamics.json)


def simulate_episode(seed: int, n_steps: int = 60, hold: int = 6, outages: bool = True, mode: str = "pi") -> dict:
    """One excited episode on a 5x2 plant, inputs and disturbances redrawn every ``hold`` steps:
    feed (cA0, T0 up to ``T0_max``), coolant inlet, supply and (if ``outages``) an offline reactor.
    ``mode="pi"``: PI loops with random setpoints (up to ``T_sp_max``), splits and coolant dither;
    ``mode="open_loop"``: train flows and coolant flows drawn over their whole ranges (no controller),
    so the data also cover cold, lightly loaded and fully cooled reactors, where an optimizer may go.
    Returns states ``X`` (N+1, n, 4), inputs ``F``, ``Fc`` and disturbances ``d``."""
    if mode not in ("pi", "open_loop"):
        raise ValueError(f"mode must be 'pi' or 'open_loop', got {mode!r}")
    rng = np.random.default_rng(seed)
    net = CSTRNetwork(5, 2)
    lim = net.limits
    pi = PIBaseline(net, DT)
    X = net.initial_state() + rng.normal(0, [0.2, 0.1, 1.5, 1.5], (net.n, 4))
    out = {"X": [X], "F": [], "Fc": [], "d": []}
    for k in range(n_steps):
        if k % hold == 0:
            n_off = rng.integers(0, 2) if outages else 0
            cold = 5.0 if mode == "open_loop" else 0.0  # open loop: colder feed and coolant too (cold optima)
            d = Disturbance(cA0=rng.uniform(4.5, 5.8), T0=rng.uniform(100.0 - cold, T0_max),
                            Tc_in=rng.uniform(88.0 - cold, 106.0),
                            F_total=net.supply(Disturbance()) * rng.uniform(0.6, 1.35),
                            offline=set(rng.choice(net.n, size=n_off, replace=False).tolist()))
            pi.T_sp = rng.uniform(102.0, T_sp_max, net.n)  # beyond T_max = 120 C: the model must know the limit region
            pi.split = rng.dirichlet(np.full(net.n_trains, 4.0))
            dither = rng.normal(0.0, 6.0, net.n)
            F_open = net.supply(d) * rng.dirichlet(np.full(net.n_trains, 1.5)) * rng.uniform(0.7, 1.0)
            Fc_open = lim.Fc_max * np.sqrt(rng.uniform(0.0, 1.0, net.n))  # denser near capacity, where optima sit
        if mode == "pi":
            F, Fc, _ = pi(k, X, d)
            Fc = Fc + dither
        else:
            F, Fc = F_open, Fc_open
        F = np.minimum(F, lim.F_train_max)
        Fc = np.clip(Fc, 0.0, lim.Fc_max)
        X = net.step(X, F, Fc, d, DT)
        for key, v in (("X", X), ("F", F), ("Fc", Fc), ("d", d)):
            out[key].append(v)
    return {k: (v if k == "d" else np.array(v)) for k, v in out.items()}


def _episode(args: tuple) -> pd.DataFrame:
    """Per-reactor transitions of :func:`simulate_episode` (module level: picklable)."""
    seed, n_steps, hold, mode = args
    ep = simulate_episode(seed, n_steps, hold if mode == "pi" else 3 * hold, mode=mode)
    net = CSTRNetwork(5, 2)
    rows = []
    for k, d in enumerate(ep["d"]):
        X, X1 = ep["X"][k], ep["X"][k + 1]
        inl, Fr = net.inlets(X, d), np.repeat(ep["F"][k], net.n_series)
        for r in np.flatnonzero(net.online(d)):
            rows.append([*X[r], Fr[r], ep["Fc"][k][r], *inl[r], d.Tc_in, *X1[r]])
    return pd.DataFrame(rows, columns=STATES + INPUTS + DISTURBANCES + [s + "_next" for s in STATES])


def generate_transitions(n_episodes: int, n_steps: int = 60, hold: int = 6, seed: int = 0, progress: bool = True,
                         open_loop: float = 0.0) -> pd.DataFrame:
    """Per-reactor one-step transitions from excited episodes (random setpoints, splits, disturbances,
    outages); a fraction ``open_loop`` of the episodes draws the inputs over their whole ranges instead
    (held three times as long, so reactors near their steady states are covered)."""
    n_open = int(round(open_loop * n_episodes))
    items = [(seed * 10_000 + i, n_steps, hold, "open_loop" if i < n_open else "pi") for i in range(n_episodes)]
    frames = pmap(_episode, items, desc="plant episodes", progress=progress).values()
    out = pd.concat([f.assign(episode=i) for i, f in enumerate(frames)], ignore_index=True)
    return out


def _known(net: CSTRNetwork):
    p = net.params

    def known(v: dict) -> dict:
        dil = v["F"] * (DT / p.volume)
        return {
            "cA": dil * (v["cA_in"] - v["cA"]),
            "cB": dil * (v["cB_in"] - v["cB"]),
            "T": dil * (v["T_in"] - v["T"]) + (DT * p.ua / (p.rho * p.cp * p.volume)) * (v["TK"] - v["T"]),
            "TK": (DT / (p.mK * p.cpK)) * (v["Fc"] * p.cpK * (v["Tc_in"] - v["TK"]) + p.ua * (v["T"] - v["TK"])),
        }

    return known


def reaction_basis(net: CSTRNetwork) -> dict[str, dict[str, float]]:
    """Stoichiometry and adiabatic temperature rise of A->B, B->C, 2A->D per mol/L of extent,
    plus two heat-exchange corrections (T, TK) absorbing the explicit-step error of the known terms."""
    p = net.params
    rc = p.rho * p.cp
    return {
        "xi1": {"cA": -1.0, "cB": 1.0, "T": -p.dH1 / rc},
        "xi2": {"cB": -1.0, "T": -p.dH2 / rc},
        "xi3": {"cA": -1.0, "T": -p.dH3 / rc},
        "eT": {"T": 1.0},
        "eTK": {"TK": 1.0},
    }


def reactor_model(kind: str, net: CSTRNetwork | None = None, **train: Any) -> NeuralStateSpace:
    """Untrained per-reactor model: ``kind`` = ``"plain"`` or ``"structured"``; ``train`` -> NeuralStateSpace."""
    net = net or CSTRNetwork(1, 1)
    train = {"hidden": (32, 32), **train}
    if kind == "plain":
        return NeuralStateSpace(STATES, INPUTS, DISTURBANCES, **train)
    if kind == "structured":
        return NeuralStateSpace(STATES, INPUTS, DISTURBANCES, known=_known(net), basis=reaction_basis(net), **train)
    raise ValueError(f"kind must be 'plain' or 'structured', got {kind!r}")


def save_reactor_model(model: NeuralStateSpace, directory: str | Path, kind: str) -> float:
    """Write ``reactor_<kind>.onnx``, ``_domain.json`` (training ranges) and ``_support.json`` (training
    support, for the domain guard) to ``directory``; returns the ONNX export's largest deviation."""
    from idaes_ml.io import write_json
    from idaes_ml.nn import export_onnx

    exp = export_onnx(model.network_, directory, f"reactor_{kind}")
    write_json(model.input_bounds_, Path(directory) / f"reactor_{kind}_domain.json")
    write_json(model.support_.to_dict(), Path(directory) / f"reactor_{kind}_support.json")
    return exp.max_abs_diff


def load_reactor_model(directory: str | Path, kind: str) -> NeuralStateSpace:
    """A trained per-reactor model from ``reactor_<kind>.onnx`` + ``reactor_<kind>_domain.json`` (and, when
    present, ``reactor_<kind>_support.json``) in ``directory``."""
    from idaes_ml.io import read_json
    from idaes_ml.nn import load_network

    net = load_network(directory, f"reactor_{kind}").to_scaled_network()
    bounds = read_json(Path(directory) / f"reactor_{kind}_domain.json")
    support = Path(directory) / f"reactor_{kind}_support.json"
    return reactor_model(kind).attach(net, bounds, Support.from_dict(read_json(support)) if support.exists() else None)


def learned_graph(net: CSTRNetwork, model: NeuralStateSpace, d: Disturbance) -> StepGraph:
    """One unit ``R<r>`` per reactor wired like the plant: decisions ``F<j>``, ``Fc<r>``; exogenous
    ``cA0``, ``cB0`` (=0), ``T0``, ``Tc_in``; offline reactors frozen and bypassed.  A fouled reactor of a
    structured model gets :func:`fouled_model` (its known heat-transfer terms with the lower conductance)."""
    online, fouled = net.online(d), dict(d.fouled)
    units, models = {}, {"reactor": model}
    for j in range(net.n_trains):
        src = {"cA_in": "p:cA0", "cB_in": "p:cB0", "T_in": "p:T0"}
        for s in range(net.n_series):
            r = j * net.n_series + s
            key = "reactor"
            if r in fouled and model.structured:
                key = f"reactor_ua{fouled[r]:g}"
                models.setdefault(key, fouled_model(model, fouled[r], net))
            units[f"R{r}"] = (key, {"F": f"u:F{j}", "Fc": f"u:Fc{r}", "Tc_in": "p:Tc_in", **src})
            if online[r]:
                src = {"cA_in": f"x:R{r}.cA", "cB_in": f"x:R{r}.cB", "T_in": f"x:R{r}.T"}
    return StepGraph(models, units, frozen={f"R{r}" for r in np.flatnonzero(~online)})


def fouled_model(model: NeuralStateSpace, factor: float, net: CSTRNetwork | None = None) -> NeuralStateSpace:
    """The trained structured ``model`` for a jacket whose conductance is ``factor`` times ``kw A_R``: the same
    network, training ranges and support; the known heat-transfer terms use the lower conductance (the fouling
    factor is measured, e.g. from the jacket's heat balance)."""
    net = net or CSTRNetwork(1, 1)
    fouled = CSTRNetwork(1, 1, params=replace(net.params, kw=net.params.kw * factor), limits=net.limits, feed=net.feed)
    return reactor_model("structured", fouled).attach(model.network_, model.input_bounds_, getattr(model, "support_", None))


def graph_state(X: np.ndarray) -> dict:
    """Plant state array (n, 4) -> graph state dict."""
    return {(f"R{r}", s): float(X[r, i]) for r in range(len(X)) for i, s in enumerate(STATES)}


def graph_exogenous(net: CSTRNetwork, d: Disturbance) -> dict:
    """Measured disturbance -> graph exogenous values (plus the feed supply and the coolant header capacity)."""
    return {"cA0": d.cA0, "cB0": 0.0, "T0": d.T0, "Tc_in": d.Tc_in, "supply": net.supply(d),
            "coolant_supply": net.coolant_capacity(d)}


def decisions_to_plant(net: CSTRNetwork, u: dict) -> tuple[np.ndarray, np.ndarray]:
    """Graph decisions -> (train flows, coolant flows)."""
    return (np.array([u[f"F{j}"] for j in range(net.n_trains)]), np.array([u[f"Fc{r}"] for r in range(net.n)]))


def plant_to_decisions(F: np.ndarray, Fc: np.ndarray) -> dict:
    """(train flows, coolant flows) -> graph decisions."""
    return {**{f"F{j}": float(v) for j, v in enumerate(F)}, **{f"Fc{r}": float(v) for r, v in enumerate(Fc)}}
