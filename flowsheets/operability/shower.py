"""The shower problem (Lima, Jia, Ierapetritou & Georgakis, 2010, AIChE J. 56(5), 1137-1148).

Cold and hot water streams (``Fc``, ``Fh``) mix into a shower; the outputs are the
total flow ``F = Fc + Fh`` and the mixed temperature ``T = (Fc Tc + Fh Th) / F``
with ``Tc = 60`` and ``Th = 120`` (degrees F). It has a closed-form inverse,
``Fh = F (T - Tc) / (Th - Tc)``, ``Fc = F - Fh``, used to check the inverse mapping.

    >>> from flowsheets.operability.shower import shower, shower_inverse
    >>> [round(v, 6) for v in shower([5.0, 5.0])]
    [10.0, 90.0]
    >>> [round(v, 6) for v in shower_inverse([10.0, 90.0])]
    [5.0, 5.0]

Three model kinds: :func:`function_model` (this Python function),
:func:`pyomo_model` (a Pyomo model with named ``Fc``/``Fh``/``F``/``T`` variables
written as the implicit system ``F(u, y) = 0``), and :func:`network_model` (an MLP
trained on the function, exported to ONNX with ``idaes_ml.nn``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from idaes_ml.operability.models import FunctionModel, NetworkModel, PyomoInstance, PyomoModel
from idaes_ml.operability.sets import Region

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyomo.core.expr.numvalue import NumericValue

TC, TH = 60.0, 120.0
INPUTS, OUTPUTS = ("Fc", "Fh"), ("F", "T")
AIS_BOUNDS = {"Fc": (1.0, 10.0), "Fh": (1.0, 10.0)}
DATA_DIR = Path(__file__).resolve().parent / "data"  # the shipped, trained shower network


def shower(u: Sequence[float | NumericValue] | np.ndarray) -> list[float | NumericValue]:
    """Total flow and temperature from cold and hot flows (works on floats or Pyomo variables)."""
    fc, fh = u[0], u[1]
    return [fc + fh, (fc * TC + fh * TH) / (fc + fh)]


def shower_inverse(y: Sequence[float] | np.ndarray) -> list[float]:
    """Closed-form inverse: cold and hot flows giving total flow ``F`` and temperature ``T``."""
    f, t = y[0], y[1]
    fh = f * (t - TC) / (TH - TC)
    return [f - fh, fh]


def ais() -> Region:
    """The available input set of the shower (1 <= Fc, Fh <= 10)."""
    return Region.box(AIS_BOUNDS, name="AIS")


def function_model() -> FunctionModel:
    """The shower as a Python function."""
    return FunctionModel(shower, INPUTS, OUTPUTS)


def build_pyomo() -> PyomoInstance:
    """Pyomo model: mass balance and energy balance written bilinearly (no division)."""
    m = pyo.ConcreteModel()
    m.Fc = pyo.Var(initialize=5.0, bounds=(0.0, None))
    m.Fh = pyo.Var(initialize=5.0, bounds=(0.0, None))
    m.F = pyo.Var(initialize=10.0, bounds=(1e-6, None))
    m.T = pyo.Var(initialize=90.0)
    m.mass = pyo.Constraint(expr=m.F == m.Fc + m.Fh)
    m.energy = pyo.Constraint(expr=m.T * m.F == TC * m.Fc + TH * m.Fh)
    return PyomoInstance(m, [m.Fc, m.Fh], [m.F, m.T], [])


def pyomo_model() -> PyomoModel:
    """The shower as a Pyomo model solved with Ipopt."""
    return PyomoModel(build_pyomo, INPUTS, OUTPUTS)


def network_model(directory: str | Path = DATA_DIR, n_train: int = 300, seed: int = 0,
                  max_epochs: int = 800) -> NetworkModel:
    """Load the MLP surrogate of the shower from ``directory``, training it there first if absent.

    The network shipped in ``data/`` was made by this function (300 Latin-hypercube
    points, 16x16 tanh, 800 epochs); it matches the function within about 2 %.
    """
    from idaes_ml.nn import MLPRegressor, export_onnx
    from idaes_ml.sampling import latin_hypercube

    directory = Path(directory)
    if not (directory / "shower.onnx").exists():
        X = latin_hypercube(AIS_BOUNDS, n_train, seed=seed)
        Y = pd.DataFrame(np.array([shower(u) for u in X.to_numpy()]), columns=list(OUTPUTS))
        est = MLPRegressor(hidden=(16, 16), activation="tanh", learning_rate=1e-2, max_epochs=max_epochs,
                           batch_size=64, patience=200, seed=seed, progress=False).fit(X, Y)
        export_onnx(est, directory, "shower", input_bounds=AIS_BOUNDS)
    return NetworkModel(directory, "shower")
