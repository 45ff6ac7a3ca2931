"""The three model kinds (function, Pyomo, ONNX network) agree on the shower problem."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from flowsheets.operability import shower
from idaes_ml.operability import PairedPolytopes, Region, forward_map, inverse_map, oi_output

DOS = Region.box({"F": (8.0, 14.0), "T": (75.0, 100.0)}, name="DOS")


@pytest.fixture(scope="module")
def maps():
    kinds = {"function": shower.function_model(), "pyomo": shower.pyomo_model(), "network": shower.network_model()}
    return {k: forward_map(m, shower.ais(), 4, progress=False) for k, m in kinds.items()}


def test_forward_maps_agree(maps):
    ref = maps["function"].outputs
    assert maps["pyomo"].success_rate == 1.0
    assert np.allclose(maps["pyomo"].outputs, ref, rtol=1e-6)
    assert np.allclose(maps["network"].outputs, ref, rtol=0.03)


def test_operability_indices_agree(maps):
    oi = {k: oi_output(PairedPolytopes.from_forward_map(fm), DOS) for k, fm in maps.items()}
    assert oi["pyomo"] == pytest.approx(oi["function"], abs=1e-6)
    assert oi["network"] == pytest.approx(oi["function"], abs=0.03)


def test_inverse_maps_agree_across_kinds():
    dos = Region.box({"F": (10.0, 12.0), "T": (80.0, 90.0)}, name="DOS")
    res = {k: inverse_map(m, shower.ais(), dos, 2, progress=False) for k, m in
           {"function": shower.function_model(), "network": shower.network_model()}.items()}
    exact = np.array([shower.shower_inverse(y) for y in res["function"].table[["target:F", "target:T"]].to_numpy()])
    assert np.allclose(res["function"].dis.to_numpy(), exact, atol=1e-5)
    assert res["network"].success_rate == 1.0
    assert np.allclose(res["network"].dis.to_numpy(), exact, rtol=0.05)


def test_models_pickle_for_dask():
    for m in (shower.function_model(), shower.pyomo_model(), shower.network_model()):
        clone = pickle.loads(pickle.dumps(m))
        assert clone.evaluate([[5.0, 5.0]]).ok.all()
