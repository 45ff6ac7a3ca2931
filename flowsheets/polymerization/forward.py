"""Forward surrogate recipe -> (cBA(t), conversion, log10 Mn, log10 Mw, MMD principal scores).

    fm = train_forward(load_dataset("forward.parquet"), "models", n_components=8)
    fm = ForwardModel.load("models")                     # later, e.g. from the CLI
    fm.outputs_of(target_row)                            # a target in network-output space

The 100-value MMD is compressed by PCA (``n_components`` scores).  Because the PCA basis
is orthonormal, a squared distance between scores equals the squared L2 distance
between the reconstructed MMD vectors; the part of a target MMD outside the basis adds
the same constant to every candidate, so fitting scores fits the MMD.  The network is an
:class:`idaes_ml.nn.MLPRegressor` exported with :func:`idaes_ml.nn.export_onnx`; the
PCA basis, per-output validation RMSE and simulator version go to ``<name>_pca.json``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from idaes_ml.errors import DataError, MetadataError
from idaes_ml.io import read_json, write_json
from idaes_ml.metrics import check_finite
from idaes_ml.nn import MLPRegressor, export_onnx

from flowsheets.polymerization.data import RECIPE_COLUMNS
from flowsheets.polymerization.mmd import MMD_COLUMNS, check_mmd
from flowsheets.polymerization.simulator import SIMULATOR_VERSION

__all__ = ["SCALAR_OUTPUTS", "ForwardModel", "train_forward", "target_outputs"]

SCALAR_OUTPUTS = ["cBA_time", "conversion", "log10_Mn", "log10_Mw"]


@dataclass
class ForwardModel:
    """Location of the exported network plus the PCA basis of the MMD."""

    directory: Path
    name: str
    mean: np.ndarray
    components: np.ndarray  # (n_components, 100), orthonormal rows
    rmse: dict[str, float]  # validation RMSE of each network output

    @property
    def score_labels(self) -> list[str]:
        """Network output labels of the MMD scores."""
        return [f"pc_{i + 1}" for i in range(len(self.components))]

    @property
    def output_labels(self) -> list[str]:
        """All network outputs."""
        return [*SCALAR_OUTPUTS, *self.score_labels]

    def scores(self, mmd: np.ndarray) -> np.ndarray:
        """PCA scores of MMD rows (n, 100) -> (n, n_components)."""
        return (np.atleast_2d(mmd) - self.mean) @ self.components.T

    def mmd(self, scores: np.ndarray) -> np.ndarray:
        """Reconstructed MMD rows from scores."""
        return np.atleast_2d(scores) @ self.components + self.mean

    def network_outputs(self, df: pd.DataFrame) -> pd.DataFrame:
        """The network's training targets for data-set rows."""
        out = pd.DataFrame({"cBA_time": df["cBA_time"], "conversion": df["conversion"],
                            "log10_Mn": np.log10(df["Mn"]), "log10_Mw": np.log10(df["Mw"])})
        scores = self.scores(df[MMD_COLUMNS].to_numpy(dtype=float))
        out[self.score_labels] = scores
        return out.reset_index(drop=True)

    def save(self) -> Path:
        """Write ``<name>_pca.json`` beside the network."""
        return write_json({"simulator_version": SIMULATOR_VERSION, "mean": self.mean,
                           "components": self.components, "rmse": self.rmse},
                          Path(self.directory) / f"{self.name}_pca.json")

    @classmethod
    def load(cls, directory: str | os.PathLike, name: str = "ba_forward") -> "ForwardModel":
        """Read a model written by :func:`train_forward`; refuses another simulator version."""
        path = Path(directory) / f"{name}_pca.json"
        if not path.exists():
            raise FileNotFoundError(f"no forward model {name!r} in {directory} (missing {path.name}); "
                                    "train one with benchmarks/polymerization_eo.py or train_forward()")
        doc = read_json(path)
        if doc.get("simulator_version") != SIMULATOR_VERSION:
            raise MetadataError(f"{path} was trained on simulator {doc.get('simulator_version')}, "
                                f"this is {SIMULATOR_VERSION}; retrain it")
        return cls(Path(directory), name, np.asarray(doc["mean"]), np.asarray(doc["components"]),
                   {k: float(v) for k, v in doc["rmse"].items()})


def train_forward(train: pd.DataFrame, directory: str | os.PathLike, name: str = "ba_forward",
                  n_components: int = 8, seed: int = 0, **mlp: Any) -> ForwardModel:
    """Fit PCA + network on a data set, export to ONNX, store the basis; returns the model."""
    check_finite(train[[*RECIPE_COLUMNS, "cBA_time", "conversion", "Mn", "Mw", *MMD_COLUMNS]], "training data")
    pca = PCA(n_components=n_components, random_state=seed).fit(train[MMD_COLUMNS].to_numpy(dtype=float))
    fm = ForwardModel(Path(directory), name, pca.mean_, pca.components_, {})
    X, Y = train[RECIPE_COLUMNS].reset_index(drop=True).astype(float), fm.network_outputs(train)
    params = {"hidden": (64, 64), "activation": "tanh", "max_epochs": 2000, "batch_size": 128,
              "learning_rate": 3e-3, "patience": 150, "validation_fraction": 0.2, "seed": seed,
              "progress": False, **mlp}
    reg = MLPRegressor(**params).fit(X, Y)
    val = np.random.default_rng(seed).permutation(len(X))[: int(round(params["validation_fraction"] * len(X)))]
    resid = reg.predict(X.iloc[val]).to_numpy() - Y.iloc[val].to_numpy()
    fm.rmse = dict(zip(Y.columns, np.sqrt((resid**2).mean(axis=0)).tolist()))
    export_onnx(reg, directory, name)
    fm.save()
    return fm


def target_outputs(fm: ForwardModel, target: pd.Series | dict) -> dict[str, float]:
    """A target row (MMD_1..100, cBA_time, Mn, Mw) in network-output space; checks it first.

    ``target`` is a labelled row (a pandas Series such as ``df.iloc[0]``, or a dict); an
    unlabelled array, non-numeric cells or MMD columns beyond ``MMD_100`` raise DataError.
    """
    if isinstance(target, dict):
        target = pd.Series(target)
    if not isinstance(target, pd.Series):
        raise DataError(f"target must be a labelled row (pandas Series, e.g. df.iloc[0], or a dict) with "
                        f"columns cBA_time, Mn, Mw, MMD_1..MMD_{len(MMD_COLUMNS)}; got {type(target).__name__}")
    needed = ["cBA_time", "Mn", "Mw", *MMD_COLUMNS]
    missing = [c for c in needed if c not in target.index]
    mmd = [c for c in target.index if str(c).startswith("MMD_")]
    if missing:
        raise DataError(f"target lacks columns {missing[:5]}{'...' if len(missing) > 5 else ''}; "
                        f"it needs cBA_time, Mn, Mw and {len(MMD_COLUMNS)} MMD values (has {len(mmd)})")
    extra = [c for c in mmd if c not in MMD_COLUMNS]
    if extra:
        raise DataError(f"target has {len(mmd)} MMD columns, expected exactly {len(MMD_COLUMNS)} "
                        f"(MMD_1..MMD_{len(MMD_COLUMNS)} on the fixed log10 M grid); unexpected {extra[:5]}")
    numeric = pd.to_numeric(target[needed], errors="coerce")
    text = [c for c in needed if pd.isna(numeric[c]) and not pd.isna(target[c])]
    if text:
        raise DataError(f"target has non-numeric values in {text[:5]} (e.g. {text[0]}={target[text[0]]!r})")
    w = check_mmd(numeric[MMD_COLUMNS].to_numpy(dtype=float), "target MMD")
    scal = numeric[["cBA_time", "Mn", "Mw"]].astype(float)
    if not np.isfinite(scal).all() or (scal <= 0).any():
        raise DataError(f"target cBA_time, Mn, Mw must be positive and finite, got {scal.to_dict()}")
    if scal["Mw"] < scal["Mn"]:
        raise DataError(f"target Mw ({scal['Mw']:.4g}) is below Mn ({scal['Mn']:.4g})")
    out = {"cBA_time": float(scal["cBA_time"]), "log10_Mn": float(np.log10(scal["Mn"])),
           "log10_Mw": float(np.log10(scal["Mw"]))}
    out.update(zip(fm.score_labels, fm.scores(w)[0].tolist()))
    return out
