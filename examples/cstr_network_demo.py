"""Reactor network: learned dynamics to an embedded optimum
========================================================

End-to-end CSTR-network demo (small and quick): plant -> PI baseline -> learned dynamics ->
ONNX -> OMLT steady-state optimum with Ipopt -> check on the plant -> bad inputs::

    .venv/bin/python examples/cstr_network_demo.py [output_dir]

The full-size numbers come from benchmarks/cstr_network_*.py, not from this script.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


from flowsheets.cstr_network.control import PIBaseline, design_state
from flowsheets.cstr_network.learned import (DISTURBANCES, DT, INPUTS, STATES, generate_transitions, load_reactor_model,
                                             reactor_model)
from flowsheets.cstr_network.optimize import MPCPolicy, optimize_steady_state, plant_steady_state
from flowsheets.cstr_network.plant import CSTRNetwork, Disturbance
from flowsheets.cstr_network.scenarios import SCENARIOS, run_closed_loop
from flowsheets.cstr_network.steady_state import InfeasibleSetpointError, required_coolant
from idaes_ml.io import write_json
from idaes_ml.nn import export_onnx


def main(out: Path) -> None:
    net = CSTRNetwork(2, 2)
    base = run_closed_loop(net, PIBaseline(net, DT), SCENARIOS["coolant_warm"], n_steps=20)
    print("PI baseline, warm coolant:", {k: round(v, 3) for k, v in base.summary.items() if "throughput" in k})

    df = generate_transitions(4, n_steps=48, seed=3, progress=False)
    X, Y = df[STATES + INPUTS + DISTURBANCES], df[[s + "_next" for s in STATES]].set_axis(STATES, axis=1)
    model = reactor_model("structured", hidden=(16,), max_epochs=150, learning_rate=1e-2, progress=False).fit(X, Y)
    export_onnx(model.network_, out, "reactor_structured")
    write_json(model.input_bounds_, out / "reactor_structured_domain.json")
    model = load_reactor_model(out, "structured")  # what the optimizer embeds is the ONNX file

    d = Disturbance()
    opt = optimize_steady_state(net, model, d)
    plant = plant_steady_state(net, d, opt["F"], opt["Fc"])
    print(f"learned optimum ({opt['status']}): predicted {opt['predicted_product']:.1f}, on plant {plant['product']:.1f} mol/h B;"
          f" true optimum {plant_steady_state(net, d, optimize=True)['product']:.1f}")

    try:
        required_coolant(net, net.nominal_flows(), [114.2, 104.0, 114.2, 116.3], d)
    except InfeasibleSetpointError as exc:
        print("infeasible setpoint ->", exc)
    pol = MPCPolicy(net, model, horizon=2)
    _, _, info = pol(0, design_state(net), Disturbance(cA0=8.0))
    print("out-of-domain flags:", info["out_of_domain"][:2], "| fallback:", info["fallback"], info["note"])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()))
