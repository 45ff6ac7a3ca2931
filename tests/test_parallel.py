"""The shared map: serial and Dask runs give identical, ordered results with errors kept."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idaes_ml import parallel


def _job(x: float) -> float:
    if x < 0:
        raise ValueError(f"negative input {x}")
    return math.sqrt(x)


@given(st.lists(st.floats(-10, 10, allow_nan=False), max_size=20))
@settings(max_examples=30, deadline=None)
def test_serial_map_keeps_order_and_errors(xs):
    out = parallel.map(_job, xs, progress=False)
    assert len(out) == len(xs)
    for x, r in zip(xs, out):
        assert r.item == x
        if x < 0:
            assert not r.ok and r.error.startswith("ValueError") and "negative input" in r.error
            assert "Traceback" in r.traceback
        else:
            assert r.ok and r.value == math.sqrt(x)
    if any(x < 0 for x in xs):
        with pytest.raises(parallel.JobsFailedError, match="jobs succeeded"):
            out.values()


def test_dask_local_cluster_matches_serial():
    xs = [4.0, -1.0, 9.0, 2.0, 0.0, -3.0, 16.0]
    serial = parallel.map(_job, xs, progress=False)
    dask = parallel.map(_job, xs, client=2, progress=False)
    assert [(r.index, r.item, r.value, r.error) for r in serial] == [
        (r.index, r.item, r.value, r.error) for r in dask
    ]
    assert [r.index for r in dask.failures] == [1, 5]


def test_bad_client_is_rejected():
    with pytest.raises(TypeError, match="client must be"):
        parallel.map(_job, [1.0], client=3.5, progress=False)
