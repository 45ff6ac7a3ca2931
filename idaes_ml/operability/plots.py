"""PNG figures of operability results (matplotlib, Agg, written atomically).

    >>> from idaes_ml.operability.plots import plot_paired_polytopes   # doctest: +SKIP
    >>> plot_paired_polytopes(pp, ("Fc", "Fh"), ("F", "T"), "aos.png", dos=dos)   # doctest: +SKIP

Two-dimensional sets are drawn as filled polygons; other dimensions fall back to the
first two coordinates of the vertices.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from idaes_ml.plotting import save_figure  # noqa: E402

if TYPE_CHECKING:
    from idaes_ml.operability.dynamic import DynamicResult
    from idaes_ml.operability.implicit import ImplicitPath
    from idaes_ml.operability.inverse import InverseResult
    from idaes_ml.operability.multimodel import PairedPolytopes
    from idaes_ml.operability.sets import Region

__all__ = ["plot_paired_polytopes", "plot_inverse", "plot_implicit_path", "plot_funnel"]


def _polygon(poly) -> np.ndarray:
    v = poly.vertices[:, :2]
    c = v.mean(axis=0)
    return v[np.argsort(np.arctan2(v[:, 1] - c[1], v[:, 0] - c[0]))]


def _draw(ax, polys, color, label, alpha=0.35) -> None:
    ax.add_collection(PolyCollection([_polygon(p) for p in polys if p is not None], facecolors=color,
                                     edgecolors="k", linewidths=0.2, alpha=alpha, label=label))
    ax.autoscale_view()


def _region(ax, region, color, label) -> None:
    if region is not None:
        ax.add_patch(plt.Polygon(_polygon(region.polytope), fill=False, edgecolor=color, lw=2, label=label))
        ax.autoscale_view()


def plot_paired_polytopes(pp: PairedPolytopes, input_labels: Sequence[str], output_labels: Sequence[str],
                          path: str | os.PathLike, dos: Region | None = None, title: str | None = None) -> Path:
    """AIS with its simplices beside the AOS polytopes they map to, DOS overlaid."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4.2))
    colors = plt.cm.viridis(np.linspace(0, 1, max(len(pp), 1)))
    for ax, polys, labels, name in ((a, pp.inputs, input_labels, "AIS"), (b, pp.outputs, output_labels, "AOS")):
        ax.add_collection(PolyCollection([_polygon(p) for p in polys], facecolors=colors, edgecolors="k",
                                         linewidths=0.2, alpha=0.6))
        ax.autoscale_view()
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1] if len(labels) > 1 else "")
        ax.set_title(f"{name} (paired polytopes)")
    _region(b, dos, "red", "DOS")
    if dos is not None:
        b.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_inverse(result: InverseResult, path: str | os.PathLike, ais: Region | None = None,
                 dos: Region | None = None) -> Path:
    """DIS* in the input plane; DOS targets and achieved DOS* in the output plane."""
    t = result.table
    ok = result.ok
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4.2))
    iu, iy = list(result.input_labels), list(result.output_labels)
    a.scatter(t.loc[ok, iu[0]], t.loc[ok, iu[1]], s=12, c="tab:blue", label="DIS*")
    _region(a, ais, "k", "AIS")
    b.scatter(t[f"target:{iy[0]}"], t[f"target:{iy[1]}"], s=18, facecolors="none", edgecolors="r", label="DOS")
    b.scatter(t.loc[ok, iy[0]], t.loc[ok, iy[1]], s=8, c="tab:blue", label="DOS*")
    bad = ~ok
    if bad.any():
        b.scatter(t.loc[bad, f"target:{iy[0]}"], t.loc[bad, f"target:{iy[1]}"], marker="x", c="k", label="failed")
    _region(b, dos, "r", None)
    for ax, lab in ((a, iu), (b, iy)):
        ax.set_xlabel(lab[0])
        ax.set_ylabel(lab[1])
        ax.legend(fontsize=8)
    a.set_title("inverse map: inputs")
    b.set_title(f"outputs (success {result.success_rate:.0%})")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_implicit_path(ip: ImplicitPath, independent_labels: Sequence[str], dependent_labels: Sequence[str],
                       path: str | os.PathLike) -> Path:
    """Traced grid in both spaces, points coloured by Newton iterations of the corrector."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4.2))
    a.plot(ip.independent[:, 0], ip.independent[:, 1], "-", lw=0.5, c="grey")
    sc = a.scatter(ip.independent[:, 0], ip.independent[:, 1], c=ip.newton_iterations, s=10, cmap="plasma")
    b.plot(ip.dependent[:, 0], ip.dependent[:, 1], "-", lw=0.5, c="grey")
    b.scatter(ip.dependent[:, 0], ip.dependent[:, 1], c=ip.newton_iterations, s=10, cmap="plasma")
    fig.colorbar(sc, ax=b, label="Newton corrector iterations")
    for ax, lab, name in ((a, independent_labels, "swept"), (b, dependent_labels, "traced")):
        ax.set_xlabel(lab[0])
        ax.set_ylabel(lab[1])
        ax.set_title(f"implicit map: {name}")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_funnel(result: DynamicResult, path: str | os.PathLike, dos: Region | None = None,
                output_labels: Sequence[str] = ("y1", "y2")) -> Path:
    """The achievable output funnel along the step axis, slices coloured by dOI(k)."""
    cmap = plt.cm.viridis
    fig = plt.figure(figsize=(6.5, 5))
    dim = next((s.dim for s in result.funnel if s is not None), 1)
    if dim == 1:
        ax = fig.add_subplot(111)
        for k, (s, d) in enumerate(zip(result.funnel, result.doi)):
            if s is not None:
                lo, hi = s.bounds
                ax.plot([k, k], [lo[0], hi[0]], lw=6, color=cmap(d))
        if dos is not None:
            lo, hi = dos.polytope.bounds
            ax.axhspan(lo[0], hi[0], color="r", alpha=0.15, label="DOS")
        ax.set_xlabel("step k")
        ax.set_ylabel(output_labels[0])
    else:
        from mpl_toolkits.mplot3d.art3d import Poly3DCollection

        ax = fig.add_subplot(111, projection="3d")
        for k, (s, d) in enumerate(zip(result.funnel, result.doi)):
            if s is None:
                continue
            v = _polygon(s) if s.vertices.shape[0] > 2 else s.vertices[:, :2]
            ax.add_collection3d(Poly3DCollection([np.c_[np.full(len(v), k), v]], facecolors=cmap(d),
                                                 edgecolors="k", linewidths=0.3, alpha=0.6))
        all_v = np.vstack([s.vertices[:, :2] for s in result.funnel if s is not None])
        ax.set_xlim(0, len(result.funnel) - 1)
        ax.set_ylim(all_v[:, 0].min(), all_v[:, 0].max())
        ax.set_zlim(all_v[:, 1].min(), all_v[:, 1].max())
        if dos is not None:
            v = _polygon(dos.polytope)
            for k in (0, len(result.funnel) - 1):
                ax.plot(np.full(len(v) + 1, k), *np.r_[v, v[:1]].T, "r-", lw=1)
        ax.set_xlabel("step k")
        ax.set_ylabel(output_labels[0])
        ax.set_zlabel(output_labels[1])
    fig.colorbar(plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1)), ax=ax, label="dOI(k)", shrink=0.7)
    kb = result.first_operable_step
    ax.set_title(f"achievable output funnel{' (disturbance-robust)' if result.robust else ''}; "
                 f"first operable step: {kb if kb is not None else 'none'}")
    fig.tight_layout()
    return save_figure(fig, path)
