"""The operability toolbox on the shower problem
=============================================

Shower problem, end to end: three model kinds, OI, P1/P2/P3, implicit mapping, MILP, plots::

    python -m examples.operability_shower        # PNGs in outputs/operability/
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flowsheets.operability import shower
from idaes_ml.operability import (
    PairedPolytopes, PyomoImplicit, Region, forward_map, implicit_map, intensify, inverse_map,
    multilayer_design, oi_input, oi_output, snake_order, solve_p3,
)
from idaes_ml.operability.plots import plot_implicit_path, plot_inverse, plot_paired_polytopes
from idaes_ml.operability.sets import grid_points

OUT = Path("outputs/operability")


def main() -> None:
    ais = shower.ais()
    dos = Region.box({"F": (10.0, 20.0), "T": (70.0, 100.0)}, name="DOS")
    for kind, model in {"function": shower.function_model(), "pyomo": shower.pyomo_model(),
                        "network": shower.network_model()}.items():
        fm = forward_map(model, ais, 10)
        pp = PairedPolytopes.from_forward_map(fm)
        print(f"{kind:8s}: OI (output perspective) = {oi_output(pp, dos):.4f}, success {fm.success_rate:.0%}")
        plot_paired_polytopes(pp, shower.INPUTS, shower.OUTPUTS, OUT / f"shower_aos_{kind}.png", dos=dos,
                              title=f"shower, {kind} model")
    # input perspective: trace the (unbounded) inverse image of the DOS with implicit mapping
    sys_ = PyomoImplicit.from_model(shower.pyomo_model(), "inverse")
    order = snake_order((15, 15))
    Y = grid_points([10, 70], [20, 100], 15)
    path = implicit_map(sys_, Y[order], w0=[5.0, 5.0], method="rk4")
    W = np.empty_like(path.dependent)
    W[order] = path.dependent
    dis = PairedPolytopes.from_grid(Y, W, (15, 15))
    print(f"OI (input perspective) = {oi_input(dis, ais):.4f}")
    plot_implicit_path(path, shower.OUTPUTS, shower.INPUTS, OUT / "shower_implicit_inverse.png")
    # NLP-based inverse map, then intensification by two metrics from the same P1 run
    p1 = inverse_map(shower.pyomo_model(), ais, dos, 10)
    plot_inverse(p1, OUT / "shower_inverse_p1.png", ais=ais, dos=dos)
    print(intensify(p1, {"hot water": "Fh", "total water": lambda d: d.Fc + d.Fh},
                    requirement={"F": (12.0, 99.0), "T": (90.0, 999.0)}))
    print("P3:", solve_p3(shower.function_model(), ais, dos, 10, "Fh", {"F": (12.0, 99.0), "T": (90.0, 999.0)},
                          progress=False).to_dict())
    for i, layer in enumerate(multilayer_design(shower.function_model(), ais, 8, {"Fh": 1.0, "Fc": 0.2},
                                                {"F": (10.0, 12.0), "T": (85.0, 95.0)}, layers=4)):
        print(f"MILP layer {i + 1}: {layer.inputs} -> {layer.outputs}, PI = {layer.objective:.5f}, "
              f"{layer.solve_seconds:.2f} s")


if __name__ == "__main__":
    main()
