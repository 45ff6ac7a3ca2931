"""Dynamic operability funnel and dOI of the learned 10-reactor network (idaes_ml.operability).

AIS: common coolant flow Fc in [20, 60] kg/h and common train flow F in [110, 175] L/h;
DOS: B product in [720, 800] mol/h with the hottest reactor in [105, 116] C; 10 steps of
30 s from the PI design steady state.  Writes results/cstr_network_operability.json + PNG.

    .venv/bin/python benchmarks/cstr_network_operability.py
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy.spatial import ConvexHull

from _common import RESULTS, Timer, write_result
from flowsheets.cstr_network.control import design_state
from flowsheets.cstr_network.learned import load_reactor_model
from flowsheets.cstr_network.operability import network_funnel
from flowsheets.cstr_network.plant import CSTRNetwork
from idaes_ml.plotting import save_figure

AIS = {"Fc": (20.0, 60.0), "F": (110.0, 175.0)}
DOS = {"product": (720.0, 800.0), "T_hottest": (105.0, 116.0)}


def main() -> None:
    net = CSTRNetwork(5, 2)
    model = load_reactor_model(RESULTS / "cstr_network_models", "structured")
    with Timer() as t:
        res = network_funnel(net, model, design_state(net), AIS, DOS, horizon=10, n_sequences=100)
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    ax[0].plot(range(len(res.doi)), res.doi, "o-")
    ax[0].set_xlabel("step k (30 s)"), ax[0].set_ylabel("dOI(k)")
    for k in (1, 3, 6, 10):
        s = res.funnel[k]
        if s is not None and len(s.vertices) >= 3:
            v = s.vertices[ConvexHull(s.vertices).vertices]
            ax[1].fill(v[:, 0], v[:, 1], alpha=0.25, label=f"AOS k={k}")
    (a, b), (c, e) = DOS["product"], DOS["T_hottest"]
    ax[1].plot([a, b, b, a, a], [c, c, e, e, c], "k--", label="DOS")
    ax[1].set_xlabel("B product (mol/h)"), ax[1].set_ylabel("hottest reactor (C)")
    ax[1].legend(fontsize=7)
    save_figure(fig, RESULTS / "cstr_network_operability.png")
    print(write_result("cstr_network_operability", {
        "ais": AIS, "dos": DOS, "horizon": 10, "doi": res.doi.tolist(), "first_operable_step": res.first_operable_step,
        "funnel_bounds": [None if s is None else [np.asarray(b).tolist() for b in s.bounds] for s in res.funnel],
        "seconds": t.seconds, "model": "structured", "method": "sampled funnel (100 random + bang-bang + held corners)",
    }))


if __name__ == "__main__":
    main()
