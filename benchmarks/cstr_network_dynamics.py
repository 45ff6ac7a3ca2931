"""Learned per-reactor dynamics for the CSTR network: plain MLP vs physics-structured, honestly.

Generates excited closed-loop plant episodes, fits both variants on one-step transitions,
scores them by open-loop rollouts of the whole 10-reactor network on held-out episodes
(no outages, 40 steps = 20 min; also the error on the points whose true T exceeds 118 C, i.e. the
limit region that the data now covers up to ~125 C), exports both to ONNX (results/cstr_network_models/) and
writes results/cstr_network_dynamics.json plus a rollout-error PNG.

    .venv/bin/python benchmarks/cstr_network_dynamics.py [n_episodes] [max_epochs]
"""

from __future__ import annotations

import sys

import matplotlib.pyplot as plt
import numpy as np
import torch

from _common import RESULTS, Timer, write_result
from flowsheets.cstr_network.learned import (DISTURBANCES, INPUTS, STATES, generate_transitions, graph_exogenous,
                                             graph_state, learned_graph, plant_to_decisions, reactor_model,
                                             simulate_episode)
from flowsheets.cstr_network.plant import CSTRNetwork
from idaes_ml.dynamics import rollout_error
from idaes_ml.io import write_json
from idaes_ml.metrics import r2_per_output
from idaes_ml.nn import export_onnx
from idaes_ml.plotting import save_figure

MODELS = RESULTS / "cstr_network_models"


def network_rollout(net, model, ep) -> np.ndarray:
    """Open-loop learned-network prediction of an episode's states (N+1, n, 4)."""
    g = learned_graph(net, model, ep["d"][0])
    x, out = graph_state(ep["X"][0]), [ep["X"][0]]
    for k, d in enumerate(ep["d"]):
        x = g.step(x, plant_to_decisions(ep["F"][k], ep["Fc"][k]), graph_exogenous(net, d))
        out.append(np.array([[x[(f"R{r}", s)] for s in STATES] for r in range(net.n)]))
    return np.array(out)


def main(n_episodes: int = 30, max_epochs: int = 300) -> None:
    torch.set_num_threads(1)
    net = CSTRNetwork(5, 2)
    with Timer() as t_data:
        df = generate_transitions(n_episodes, seed=0)
    test_df = generate_transitions(3, seed=7, progress=False)
    X, Y = df[STATES + INPUTS + DISTURBANCES], df[[s + "_next" for s in STATES]].set_axis(STATES, axis=1)
    tests = [simulate_episode(900 + i, 40, 8, outages=False) for i in range(4)]
    payload = {"n_transitions": len(df), "n_episodes": n_episodes, "data_s": t_data.seconds, "dt_h": 1 / 120,
               "rollout_horizon_steps": 40, "models": {}, "T_limit_C": net.limits.T_max,
               "training_coverage": {"T_max_C": float(df["T"].max()), "T_in_max_C": float(df["T_in"].max()),
                                     "fraction_T_above_limit": float((df["T"] > net.limits.T_max).mean()),
                                     "fraction_T_in_above_limit": float((df["T_in"] > net.limits.T_max).mean()),
                                     "n_transitions_T_above_limit": int((df["T"] > net.limits.T_max).sum())}}
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.2))
    for kind in ("plain", "structured"):
        with Timer() as t_fit:
            model = reactor_model(kind, max_epochs=max_epochs, progress=False).fit(X, Y)
        pred = model.predict_next(test_df[STATES + INPUTS + DISTURBANCES])
        truth = test_df[[s + "_next" for s in STATES]].set_axis(STATES, axis=1)
        true_tr = np.concatenate([ep["X"].transpose(1, 0, 2) for ep in tests])
        pred_tr = np.concatenate([network_rollout(net, model, ep).transpose(1, 0, 2) for ep in tests])
        err = rollout_error(true_tr, pred_tr, STATES)
        hot = true_tr[:, :, 2] > net.limits.T_max - 2.0  # rollout points near/above the 120 C limit
        hot_rmse = {s: float(np.sqrt(np.mean((true_tr[..., i][hot] - pred_tr[..., i][hot]) ** 2))) for i, s in enumerate(STATES)}
        exp = export_onnx(model.network_, MODELS, f"reactor_{kind}")
        write_json(model.input_bounds_, MODELS / f"reactor_{kind}_domain.json")
        payload["models"][kind] = {
            "fit_s": t_fit.seconds, "best_epoch": model.regressor.best_epoch_,
            "n_parameters": int(sum(p.numel() for p in model.network_.module.parameters())),
            "one_step_r2_heldout": r2_per_output(truth, pred).to_dict(),
            "one_step_rmse_heldout": {s: float(np.sqrt(np.mean((truth[s] - pred[s]) ** 2))) for s in STATES},
            "rollout_rmse": {f"step_{k}": err.loc[k].to_dict() for k in (1, 5, 10, 20, 40)},
            "rollout_rmse_mean_over_40": err.iloc[1:].mean().to_dict(),
            "rollout_rmse_where_true_T_above_118C": hot_rmse, "rollout_points_above_118C": int(hot.sum()),
            "onnx_max_abs_diff": exp.max_abs_diff,
        }
        for ax, s in zip(axes, STATES):
            ax.plot(err.index, err[s], label=kind)
            ax.set_title(f"rollout RMSE {s}")
            ax.set_xlabel("steps (30 s)")
    axes[0].legend()
    save_figure(fig, RESULTS / "cstr_network_rollout.png")
    a, b = (payload["models"][k]["rollout_rmse_mean_over_40"] for k in ("plain", "structured"))
    payload["winner_by_state_mean_rollout_rmse"] = {s: "structured" if b[s] < a[s] else "plain" for s in STATES}
    print(write_result("cstr_network_dynamics", payload))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
