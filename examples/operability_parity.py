"""Operability as opyrability users know it
========================================

What opyrability users reach for, on the shower: rank designs by OI, a constrained MILP design, input OI::

    python -m examples.operability_parity
"""

from __future__ import annotations

from flowsheets.operability import shower
from idaes_ml.operability import Polytope, Region, multilayer_design, oi_input, rank_designs


def main() -> None:
    dos = Region.box({"F": (10.0, 20.0), "T": (70.0, 100.0)}, name="DOS")
    envelopes = {"wide": shower.ais(), "narrow": Region.box({"Fc": (3, 8), "Fh": (3, 8)}, name="AIS")}
    model = shower.function_model()
    for design in rank_designs({k: model for k in envelopes}, envelopes, dos, 5):
        print(f"{design.label:7s} OI = {design.oi:.4f} ({100 * design.oi:.2f} % as opyrability prints it)")
    # min Fh + 0.2 Fc with F >= 10, T >= 85 and the input constraint Fc <= Fh (u1 <= u2)
    layers = multilayer_design(model, shower.ais(), 5, {"Fh": 1.0, "Fc": 0.2},
                               {"F": (10.0, 12.0), "T": (85.0, 95.0)}, layers=2,
                               constraints=[({"Fc": 1.0, "Fh": -1.0}, 0.0)])
    print(f"constrained MILP design: {layers[-1].inputs}, PI = {layers[-1].objective:.4f}")
    dis = [Polytope.box([0.6, 0.0], [1.35, 1.0])]
    ais = Region.box({"a": (0.0, 1.0), "b": (0.0, 1.0)}, name="AIS")
    print(f"input OI: {oi_input(dis, ais):.4f} (divided by the DIS), "
          f"{oi_input(dis, ais, normalize='ais'):.4f} (divided by the AIS, opyrability's OI_eval)")


if __name__ == "__main__":
    main()
