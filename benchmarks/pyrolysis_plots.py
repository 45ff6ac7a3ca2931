"""Figures of the pyrolysis closure benchmark (seed 003 Figs. 2–4), PNG via idaes_ml.plotting."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from idaes_ml.plotting import save_figure  # noqa: E402
from flowsheets.pyrolysis.closure_case import predict_yields  # noqa: E402

COLORS = {"baseline": "grey", "a_priori": "green", "a_posteriori": "tab:blue", "black_box": "purple"}


def rollout_plot(test, E_by_model, path, n: int = 6):
    """Tar yield vs time for ``n`` test trajectories: 1-D truth and each 0D model."""
    fig, axes = plt.subplots(1, n, figsize=(3 * n, 2.8), sharey=True)
    for i, ax in enumerate(axes):
        c = test.conditions.iloc[i:i + 1]
        ax.semilogx(test.times[1:], test.yields[i, 1:, 0], "k:", lw=2.5, label="1-D truth", zorder=5)
        for name, E in E_by_model.items():
            y = predict_yields(np.asarray(E)[i:i + 1], c)[0]
            ax.semilogx(test.times[1:], y[1:, 0], color=COLORS[name], label=name)
        r = c.iloc[0]
        ax.set_title(f"T={r.T_oven:.0f} K, FL={r.feret_mm:.1f} mm, AR={r.aspect:.1f}", fontsize=8)
        ax.set_xlabel("t [s]")
    axes[0].set_ylabel("tar yield")
    axes[0].legend(fontsize=7)
    return save_figure(fig, path)


def learning_plot(curve, mse, path):
    """Mean ± std test MSE vs number of training trajectories (seed Fig. 3a)."""
    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    n = np.array(curve["sizes"])
    for name in ("a_priori", "a_posteriori"):
        m = np.array([c["mean"] for c in curve[name]])
        s = np.array([c["std"] for c in curve[name]])
        ax.plot(n, m, "o-", color=COLORS[name], label=name)
        ax.fill_between(n, np.maximum(m - s, 1e-12), m + s, color=COLORS[name], alpha=0.2)
    ax.axhline(mse["baseline"]["test"], color="grey", ls="--", label="baseline")
    ax.axhline(mse["lower_limit"]["test"], color="k", ls=":", label="0D lower limit")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training trajectories")
    ax.set_ylabel("test yield MSE")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def sweep_plot(sw, E_by_model, path, t_index: int = 32):
    """Tar yield at ``times[t_index]`` vs Feret length on the fixed-aspect sweep (seed Fig. 3b)."""
    mask = (sw.conditions["sweep"] == "aspect").to_numpy()
    cond = sw.conditions[mask]
    T_mid = np.unique(cond["T_oven"])[len(np.unique(cond["T_oven"])) // 2]
    rows = np.flatnonzero(mask & (sw.conditions["T_oven"] == T_mid).to_numpy())
    c = sw.conditions.iloc[rows]
    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    ax.plot(c["feret_mm"], sw.yields[rows, t_index, 0], "ko-", label="1-D truth")
    for name, E in E_by_model.items():
        y = predict_yields(np.asarray(E)[rows], c)[:, t_index, 0]
        ax.plot(c["feret_mm"], y, "o-", color=COLORS[name], label=name)
    ax.set_xlabel("Feret length [mm]")
    ax.set_ylabel(f"tar yield at t = {sw.times[t_index]:.1f} s")
    ax.set_title(f"T_oven = {T_mid:.0f} K, aspect = {c['aspect'].iloc[0]:.1f}", fontsize=9)
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def landscape_plot(dE, conditions, n, labels, path):
    """E_A - baseline on the three 2-D sweeps for each method (seed Fig. 4): rows method x sweep."""
    sweeps = list(dict.fromkeys(conditions["sweep"]))
    methods = list(dE)
    fig, axes = plt.subplots(len(methods) * len(sweeps), len(labels),
                             figsize=(1.6 * len(labels), 1.5 * len(methods) * len(sweeps)), squeeze=False)
    vmax = {j: max(np.abs(v[:, j]).max() for v in dE.values()) or 1.0 for j in range(len(labels))}
    for a, method in enumerate(methods):
        for b, sweep in enumerate(sweeps):
            rows = np.flatnonzero((conditions["sweep"] == sweep).to_numpy())
            for j, label in enumerate(labels):
                ax = axes[a * len(sweeps) + b, j]
                ax.imshow(dE[method][rows, j].reshape(n, n), cmap="RdBu_r", vmin=-vmax[j], vmax=vmax[j])
                ax.set_xticks([])
                ax.set_yticks([])
                if a == 0 and b == 0:
                    ax.set_title(label, fontsize=7)
                if j == 0:
                    ax.set_ylabel(f"{method}\n{sweep} fixed", fontsize=6)
    fig.tight_layout()
    return save_figure(fig, path)
