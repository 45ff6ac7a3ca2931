"""Operability figures are written as PNG files."""

from __future__ import annotations

import numpy as np

from flowsheets.operability import shower
from idaes_ml.operability import (
    LTIStep, PairedPolytopes, Region, TorchImplicit, dynamic_operability, forward_map, implicit_map,
)
from idaes_ml.operability.inverse import InverseResult
from idaes_ml.operability.plots import plot_funnel, plot_implicit_path, plot_inverse, plot_paired_polytopes

PNG = b"\x89PNG"


def test_all_plots_write_png(tmp_path):
    import pandas as pd
    import torch

    dos = Region.box({"F": (8, 14), "T": (75, 100)}, name="DOS")
    pp = PairedPolytopes.from_forward_map(forward_map(shower.function_model(), shower.ais(), 4, progress=False))
    paths = [plot_paired_polytopes(pp, shower.INPUTS, shower.OUTPUTS, tmp_path / "aos.png", dos=dos)]
    table = pd.DataFrame({"target:F": [10, 12], "target:T": [80, 90], "Fc": [6.7, 6.0], "Fh": [3.3, 6.0],
                          "F": [10, 12], "T": [80, 90], "distance": [0, 0], "status": ["ok", "maxIterations"]})
    paths.append(plot_inverse(InverseResult(table, shower.INPUTS, shower.OUTPUTS), tmp_path / "inv.png",
                              ais=shower.ais(), dos=dos))
    path = implicit_map(TorchImplicit(lambda u, w: w - torch.stack([u[0] + u[1], u[0] * u[1]]), 2, 2),
                        [[1, 1], [1, 2], [2, 2]], w0=[2, 1])
    paths.append(plot_implicit_path(path, ["a", "b"], ["s", "p"], tmp_path / "implicit.png"))
    lti = LTIStep(np.diag([0.5, 0.8]), np.eye(2), np.eye(2))
    ais = Region.box({"u1": (-1, 1), "u2": (-1, 1)}, name="AIS")
    res = dynamic_operability(lti, [0, 0], ais, Region.box({"y1": (1, 2), "y2": (1, 2)}, name="DOS"), 4)
    paths.append(plot_funnel(res, tmp_path / "funnel2d.png", dos=None))
    lti1 = LTIStep([[0.5]], [[1.0]], [[1.0]])
    res1 = dynamic_operability(lti1, [0], Region.box({"u": (-1, 1)}), Region.box({"y": (1, 2)}), 4)
    paths.append(plot_funnel(res1, tmp_path / "funnel1d.png", dos=Region.box({"y": (1, 2)})))
    for p in paths:
        assert p.read_bytes()[:4] == PNG and p.stat().st_size > 2000
