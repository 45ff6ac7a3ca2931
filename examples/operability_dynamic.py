"""Dynamic operability of the quadruple tank
=========================================

Dynamic operability of the quadruple-tank process: exact LTI funnel, robust funnel, nonlinear funnel::

    python -m examples.operability_dynamic       # PNGs in outputs/operability/
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flowsheets.operability import quadruple_tank as qt
from idaes_ml.operability import Region, dynamic_operability
from idaes_ml.operability.plots import plot_funnel

OUT = Path("outputs/operability")


def main() -> None:
    lin = qt.linear_step()
    ais = Region.box({"dv1": (-1.0, 1.0), "dv2": (-1.0, 1.0)}, name="AIS")
    dos = Region.box({"y1": (0.5, 1.5), "y2": (0.5, 1.5)}, name="DOS")
    eds = Region.box({"d": (-1.0, 1.0)}, name="EDS")
    for name, res in (("linear", dynamic_operability(lin, np.zeros(4), ais, dos, 30)),
                      ("linear_robust", dynamic_operability(lin, np.zeros(4), ais, dos, 30, eds=eds))):
        print(f"{name}: first operable step {res.first_operable_step}, dOI = {np.round(res.doi, 3).tolist()}")
        plot_funnel(res, OUT / f"quadruple_tank_funnel_{name}.png", dos=dos, output_labels=("y1 (V)", "y2 (V)"))
    nl = qt.nonlinear_step()
    y0 = qt.KC * qt.H0[:2]
    ais_abs = Region.box({"v1": (2.0, 4.0), "v2": (2.0, 4.0)}, name="AIS")
    dos_abs = Region.box({"y1": (y0[0] + 0.5, y0[0] + 1.5), "y2": (y0[1] + 0.5, y0[1] + 1.5)}, name="DOS")
    eds_abs = Region.box({"d": (-1.0, 1.0)}, name="EDS")
    for name, res in (("nonlinear", dynamic_operability(nl, qt.H0, ais_abs, dos_abs, 30, n_sequences=200)),
                      ("nonlinear_robust", dynamic_operability(nl, qt.H0, ais_abs, dos_abs, 30, eds=eds_abs,
                                                               n_sequences=200))):
        print(f"{name}: first operable step {res.first_operable_step}, dOI = {np.round(res.doi, 3).tolist()}")
        plot_funnel(res, OUT / f"quadruple_tank_funnel_{name}.png", dos=dos_abs, output_labels=("y1 (V)", "y2 (V)"))


if __name__ == "__main__":
    main()
