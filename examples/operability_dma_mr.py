"""Operability of a membrane reactor and its network
=================================================

DMA-MR membrane reactor: AOS of the Pyomo.DAE model and of its network surrogate, P1 on the surrogate::

    python -m examples.operability_dma_mr        # PNGs in outputs/operability/
"""

from __future__ import annotations

from pathlib import Path

from flowsheets.operability import dma_mr
from idaes_ml.operability import PairedPolytopes, Region, forward_map, intensify, inverse_map, oi_output
from idaes_ml.operability.plots import plot_inverse, plot_paired_polytopes

OUT = Path("outputs/operability")


def main() -> None:
    ais = dma_mr.ais()
    dos = Region.box({"F_C6H6": (15.0, 25.0), "X_CH4": (35.0, 45.0)}, name="DOS")
    for kind, model, n in (("pyomo_dae", dma_mr.pyomo_model(nfe=10), 5), ("network", dma_mr.network_model(), 25)):
        fm = forward_map(model, ais, n)
        pp = PairedPolytopes.from_forward_map(fm)
        print(f"{kind}: OI = {oi_output(pp, dos):.4f} on a {n}x{n} grid (success {fm.success_rate:.0%})")
        plot_paired_polytopes(pp, dma_mr.INPUTS, dma_mr.OUTPUTS, OUT / f"dma_mr_aos_{kind}.png", dos=dos,
                              title=f"DMA-MR, {kind}")
    p1 = inverse_map(dma_mr.network_model(), ais, dos, 8)
    print(f"P1 on the surrogate: {p1.success_rate:.0%} converged; statuses {p1.table['status'].value_counts().to_dict()}")
    plot_inverse(p1, OUT / "dma_mr_inverse_network.png", ais=ais, dos=dos)
    # smallest reactor volume (pi dt^2 L / 4) and shortest tube, each reaching >= 20 mg/h benzene
    print(intensify(p1, {"volume_cm3": lambda d: 3.14159 * d.dt**2 * d.L / 4, "length_cm": "L"},
                    requirement={"F_C6H6": (20.0, 1e9)}))


if __name__ == "__main__":
    main()
