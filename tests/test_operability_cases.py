"""Case studies: quadruple tank (dynamic), DMA-MR (Pyomo.DAE + network), IDAES CSTR; serial vs Dask."""

from __future__ import annotations

import numpy as np
import pytest

from flowsheets.operability import dma_mr, quadruple_tank, shower
from idaes_ml.operability import (
    PairedPolytopes,
    Region,
    dynamic_operability,
    forward_map,
    inverse_map,
    oi_output,
)


def test_quadruple_tank_linear_and_nonlinear_funnels_agree():
    """Small input moves around the operating point: nonlinear funnel ≈ exact LTI funnel."""
    lin = quadruple_tank.linear_step()
    dev = Region.box({"dv1": (-0.3, 0.3), "dv2": (-0.3, 0.3)}, name="AIS")
    dos_dev = Region.box({"y1": (0.1, 0.5), "y2": (0.1, 0.5)}, name="DOS")
    exact = dynamic_operability(lin, np.zeros(4), dev, dos_dev, 20)
    nl = quadruple_tank.nonlinear_step()
    x0 = quadruple_tank.H0
    for _ in range(200):  # settle the nonlinear model on its own steady state first
        x0 = nl.step(x0[None, :], quadruple_tank.V0[None, :], np.zeros((1, 1)))[0][0]
    y0 = quadruple_tank.KC * x0[:2]
    ais = Region.box({"v1": (2.7, 3.3), "v2": (2.7, 3.3)}, name="AIS")
    dos = Region.box({"y1": (y0[0] + 0.1, y0[0] + 0.5), "y2": (y0[1] + 0.1, y0[1] + 0.5)}, name="DOS")
    sampled = dynamic_operability(nl, x0, ais, dos, 20, n_sequences=30)
    assert exact.first_operable_step == sampled.first_operable_step
    assert np.allclose(exact.doi, sampled.doi, atol=0.02)


def test_dma_mr_numpy_collocation_solves_the_pyomo_equations_without_pyomo():
    """dma_mr.collocation (NumPy, many designs at once) gives the Pyomo.DAE model's outputs; the
    module's equations import without Pyomo or idaes_ml (as opyrability's venv runs them)."""
    import subprocess
    import sys
    from pathlib import Path

    U = np.array([[10.0, 0.5], [30.0, 1.0], [98.9, 1.98], [100.0, 2.0]])
    Y = dma_mr.collocation(U, nfe=10)
    ev = dma_mr.pyomo_model(nfe=10).evaluate(U)
    assert ev.ok.all() and np.allclose(Y, ev.outputs, rtol=1e-7)
    assert np.allclose(dma_mr.collocation(U), [dma_mr.simulate(*u) for u in U], rtol=1e-3)
    code = ("import sys; sys.modules.update(pyomo=None, idaes_ml=None); "
            "from flowsheets.operability import dma_mr; print(dma_mr.collocation([[30.0, 1.0]])[0, 0])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent, check=True)
    assert float(run.stdout) == pytest.approx(Y[1, 0], rel=1e-3)


def test_dma_mr_network_surrogate_matches_simulation():
    net = dma_mr.network_model()
    U = np.array([[20.0, 0.8], [50.0, 1.2], [80.0, 1.8]])
    Y = net.evaluate(U).outputs
    ref = np.array([dma_mr.simulate(*u) for u in U])
    assert np.allclose(Y, ref, rtol=0.03)


@pytest.mark.slow
def test_dma_mr_collocation_matches_scipy_and_inverse_map_runs():
    model = dma_mr.pyomo_model(nfe=10)
    ev = model.evaluate([[30.0, 1.0], [60.0, 1.5]])
    assert ev.ok.all()
    ref = np.array([dma_mr.simulate(30.0, 1.0), dma_mr.simulate(60.0, 1.5)])
    assert np.allclose(ev.outputs, ref, rtol=2e-3)
    res = inverse_map(model, dma_mr.ais(), Region.box({"F_C6H6": (18.0, 20.0), "X_CH4": (38.0, 40.0)}, name="DOS"),
                      2, progress=False)
    assert res.success_rate == 1.0
    check = np.array([dma_mr.simulate(*u) for u in res.dis.to_numpy()])
    assert np.allclose(check, res.dos_star.to_numpy(), rtol=5e-3)


@pytest.mark.slow
def test_idaes_cstr_forward_and_inverse():
    from flowsheets.operability import cstr

    fm = forward_map(cstr.pyomo_model(), cstr.ais(), 3, progress=False)
    assert fm.success_rate == 1.0
    X, T = fm.outputs[0, :, 0], fm.outputs[0, :, 1]
    assert np.all((X > 0) & (X < 1)) and np.all(T >= fm.inputs[:, 1])  # exothermic, adiabatic
    pp = PairedPolytopes.from_forward_map(fm)
    dos = Region.box({"X_NaOH": (0.7, 0.85), "T_out": (300.0, 310.0)}, name="DOS")
    assert 0 < oi_output(pp, dos) <= 1
    res = inverse_map(cstr.pyomo_model(), cstr.ais(), dos, 2, progress=False)
    assert res.success_rate == 1.0


@pytest.mark.slow
def test_serial_and_dask_give_identical_results():
    dos = Region.box({"F": (10.0, 14.0), "T": (80.0, 100.0)}, name="DOS")
    serial = inverse_map(shower.pyomo_model(), shower.ais(), dos, 3, progress=False)
    dask = inverse_map(shower.pyomo_model(), shower.ais(), dos, 3, client=2, progress=False)
    assert serial.table.drop(columns="status").equals(dask.table.drop(columns="status"))
    assert (serial.table["status"] == dask.table["status"]).all()
