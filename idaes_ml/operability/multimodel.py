"""Multimodel representation: paired input/output polytopes from a forward grid.

    >>> import numpy as np
    >>> from idaes_ml.operability.multimodel import PairedPolytopes
    >>> U = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    >>> pp = PairedPolytopes.from_grid(U, 2 * U, (2, 2))
    >>> len(pp), round(sum(p.volume for p in pp.outputs), 6)
    (2, 4.0)

Each cell of the input grid is split into simplices (Kuhn triangulation, ``m!``
simplices per cell) or kept whole (``kind="cell"``); the paired output polytope is the
convex hull of the images of its corners, ``P_k = {P_k^u, P_k^y}``. Cells touching a
failed (NaN) point are left out and counted in ``skipped``. The axes' variable names
(``input_labels``, ``output_labels``) come with a forward map, so that the OI can match
a desired set to them by name.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from idaes_ml.errors import DataError
from idaes_ml.operability.polytopes import Polytope

if TYPE_CHECKING:
    from idaes_ml.operability.forward import ForwardMap

__all__ = ["PairedPolytopes", "grid_simplices"]


def grid_simplices(shape: tuple[int, ...], kind: str = "simplex") -> np.ndarray:
    """Vertex indices (rows) of the simplices or cells of a C-ordered grid of ``shape``."""
    if kind not in ("simplex", "cell"):
        raise DataError(f"kind must be 'simplex' or 'cell', got {kind!r}")
    shape = tuple(int(s) for s in shape)
    if any(s < 2 for s in shape):
        raise DataError(f"a grid needs at least 2 points per axis for polytopes, got {shape}")
    m = len(shape)
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    origins = idx[tuple(slice(0, s - 1) for s in shape)].ravel()
    strides = np.array(idx.strides) // idx.itemsize
    if kind == "cell":
        offs = np.array([np.dot(c, strides) for c in itertools.product((0, 1), repeat=m)])
        return origins[:, None] + offs[None, :]
    paths = []
    for perm in itertools.permutations(range(m)):
        steps = np.cumsum([0] + [strides[a] for a in perm])
        paths.append(steps)
    offs = np.array(paths)  # (m!, m+1)
    return (origins[:, None, None] + offs[None, :, :]).reshape(-1, m + 1)


@dataclass
class PairedPolytopes:
    """Input polytopes paired with the output polytopes they map to."""

    inputs: list[Polytope]
    outputs: list[Polytope]
    vertex_index: np.ndarray  # (K, n_vertices) rows into the grid
    input_points: np.ndarray
    output_points: np.ndarray
    skipped: int = 0
    kind: str = field(default="simplex")
    input_labels: tuple[str, ...] = ()
    output_labels: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.inputs)

    @classmethod
    def from_grid(cls, inputs: np.ndarray, outputs: np.ndarray, shape: tuple[int, ...],
                  kind: str = "simplex", input_labels: tuple[str, ...] = (),
                  output_labels: tuple[str, ...] = ()) -> PairedPolytopes:
        """Pair the grid's simplices (or cells) with the hulls of their images (labels optional)."""
        U, Y = np.asarray(inputs, float), np.asarray(outputs, float)
        if U.shape[0] != Y.shape[0] or U.shape[0] != int(np.prod(shape)):
            raise DataError(f"grid of shape {tuple(shape)} does not match {U.shape[0]} inputs / {Y.shape[0]} outputs")
        simp = grid_simplices(shape, kind)
        good = np.isfinite(Y).all(axis=1)[simp].all(axis=1)
        simp = simp[good]
        for labels, cols, what in ((input_labels, U.shape[1], "input"), (output_labels, Y.shape[1], "output")):
            if labels and len(labels) != cols:
                raise DataError(f"{len(labels)} {what} labels {list(labels)} for {cols} {what} columns")
        return cls([Polytope(U[s]) for s in simp], [Polytope(Y[s]) for s in simp], simp, U, Y,
                   int((~good).sum()), kind, tuple(input_labels), tuple(output_labels))

    @classmethod
    def from_forward_map(cls, fm: ForwardMap, scenario: int = 0, kind: str = "simplex") -> PairedPolytopes:
        """Paired polytopes of one scenario of a :class:`~idaes_ml.operability.forward.ForwardMap`."""
        return cls.from_grid(fm.inputs, fm.outputs[scenario], fm.shape, kind, fm.input_labels, fm.output_labels)
