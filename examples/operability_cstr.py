"""Operability of an IDAES CSTR
============================

Operability of an IDAES CSTR (saponification): AOS, OI and inverse map with warm-started Ipopt::

    python -m examples.operability_cstr          # PNGs in outputs/operability/
"""

from __future__ import annotations

from pathlib import Path

from flowsheets.operability import cstr
from idaes_ml.operability import PairedPolytopes, Region, forward_map, inverse_map, oi_output
from idaes_ml.operability.plots import plot_inverse, plot_paired_polytopes

OUT = Path("outputs/operability")


def main() -> None:
    ais = cstr.ais()
    dos = Region.box({"X_NaOH": (0.75, 0.9), "T_out": (300.0, 312.0)}, name="DOS")
    fm = forward_map(cstr.pyomo_model(), ais, 6)
    pp = PairedPolytopes.from_forward_map(fm)
    print(f"CSTR: OI = {oi_output(pp, dos):.4f}, forward success {fm.success_rate:.0%}")
    plot_paired_polytopes(pp, cstr.INPUTS, cstr.OUTPUTS, OUT / "cstr_aos.png", dos=dos, title="IDAES CSTR")
    p1 = inverse_map(cstr.pyomo_model(), ais, dos, 4)
    print(p1.table)
    plot_inverse(p1, OUT / "cstr_inverse.png", ais=ais, dos=dos)


if __name__ == "__main__":
    main()
