"""Named operability sets: AIS, AOS, DOS, DIS and EDS as labelled boxes or polytopes.

    >>> from idaes_ml.operability.sets import Region
    >>> ais = Region.box({"Fc": (1.0, 10.0), "Fh": (1.0, 10.0)}, name="AIS")
    >>> ais.volume, ais.grid(3).shape
    (81.0, (9, 2))

A :class:`Region` is a :class:`~idaes_ml.operability.polytopes.Polytope` whose axes
carry variable names, plus the role it plays (``name``) so that errors say which set
is wrong. Grids are in C order over the labels (the last label varies fastest).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from idaes_ml.errors import DataError
from idaes_ml.operability.polytopes import Polytope

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Region", "grid_points", "grid_resolution"]


@dataclass(frozen=True, eq=False)
class Region:
    """A convex set over named variables; ``name`` is its role (AIS, DOS, ...)."""

    labels: tuple[str, ...]
    polytope: Polytope
    name: str = "set"

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        if not self.labels:
            raise DataError(f"{self.name} names no variables")
        if len(set(self.labels)) != len(self.labels):
            raise DataError(f"{self.name} repeats a variable name: {list(self.labels)}")
        if self.polytope.dim != len(self.labels):
            raise DataError(
                f"{self.name} has {len(self.labels)} labels but a {self.polytope.dim}-D polytope"
            )

    @classmethod
    def box(cls, bounds: dict[str, tuple[float, float]], name: str = "set") -> Region:
        """An axis-aligned box ``{name: (low, high)}``; empty or reversed bounds raise DataError."""
        if not bounds:
            raise DataError(f"{name} is empty: give at least one (low, high) bound")
        lo, hi = [], []
        for var, pair in bounds.items():
            try:
                a, b = (float(v) for v in pair)
            except (TypeError, ValueError) as exc:
                raise DataError(f"{name}[{var!r}] must be a (low, high) pair, got {pair!r}") from exc
            if not (math.isfinite(a) and math.isfinite(b)) or b < a:
                raise DataError(f"{name}[{var!r}] = ({a}, {b}) must be finite with low <= high")
            lo.append(a)
            hi.append(b)
        return cls(tuple(bounds), Polytope.box(lo, hi), name)

    @classmethod
    def from_vertices(cls, labels: Sequence[str], vertices: ArrayLike, name: str = "set") -> Region:
        """The convex hull of ``vertices`` (rows) over ``labels``."""
        return cls(tuple(labels), Polytope(np.asarray(vertices, float)), name)

    @classmethod
    def from_halfspaces(cls, labels: Sequence[str], A: np.ndarray, b: np.ndarray, name: str = "set") -> Region:
        """The polytope ``{x: A x <= b}``; an empty one raises DataError."""
        poly = Polytope.from_halfspaces(A, b)
        if poly is None:
            raise DataError(f"{name}: the half-spaces A x <= b enclose no interior")
        return cls(tuple(labels), poly, name)

    @property
    def dim(self) -> int:
        """Number of variables."""
        return len(self.labels)

    @property
    def volume(self) -> float:
        """Lebesgue measure of the set."""
        return self.polytope.volume

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        """Bounding box per variable."""
        lo, hi = self.polytope.bounds
        return {k: (float(a), float(b)) for k, a, b in zip(self.labels, lo, hi)}

    def require_volume(self) -> None:
        """Raise DataError when the set is degenerate (zero measure)."""
        if not self.volume > 0:
            raise DataError(f"{self.name} is degenerate (zero volume) over {list(self.labels)}")

    def reordered(self, labels: Sequence[str]) -> Region:
        """The same set with its axes in the order of ``labels`` (the same names, permuted).

        Raises DataError naming the variables when ``labels`` is not a permutation of
        this set's labels.
        """
        labels = tuple(labels)
        if labels == self.labels:
            return self
        if sorted(labels) != sorted(self.labels):
            missing = [k for k in labels if k not in self.labels]
            extra = [k for k in self.labels if k not in labels]
            raise DataError(
                f"{self.name} is over {list(self.labels)} but the variables are {list(labels)}"
                f" (missing {missing}, unknown {extra})"
            )
        cols = [self.labels.index(k) for k in labels]
        return Region(labels, Polytope(self.polytope.vertices[:, cols]), self.name)

    def check_labels(self, labels: Sequence[str]) -> None:
        """Raise DataError unless the set is over exactly ``labels`` (in order)."""
        if tuple(labels) != self.labels:
            raise DataError(
                f"dimension mismatch: {self.name} is over {list(self.labels)} but the model "
                f"expects {list(labels)}"
            )

    def grid(self, resolution: int | Sequence[int]) -> np.ndarray:
        """Grid points of the bounding box that lie in the set (rows, C order)."""
        lo, hi = self.polytope.bounds
        pts = grid_points(lo, hi, resolution)
        return pts[self.polytope.contains(pts)] if self.polytope.is_full_dimensional else pts


def grid_resolution(resolution: int | Sequence[int], dim: int) -> np.ndarray:
    """Points per axis as ``dim`` integers >= 1; a non-integer (2.7) or bad length raises DataError."""
    items = np.asarray(resolution, dtype=object)
    if items.ndim > 1 or (items.ndim == 1 and items.size != dim):
        raise DataError(f"grid resolution must be one integer or {dim} (one per axis), got {resolution!r}")
    for v in items.ravel():
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)) \
                or not float(v).is_integer():
            raise DataError(f"grid resolution must be whole numbers of points, got {resolution!r}")
    res = np.broadcast_to(items.astype(int), (dim,))
    if np.any(res < 1):
        raise DataError(f"grid resolution must be >= 1 per axis, got {res.tolist()}")
    return res


def grid_points(lower: ArrayLike, upper: ArrayLike, resolution: int | Sequence[int]) -> np.ndarray:
    """Rows of a regular grid over the box ``[lower, upper]`` in C order."""
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    res = grid_resolution(resolution, lower.size)
    axes = [np.linspace(a, b, n) if n > 1 else np.array([(a + b) / 2]) for a, b, n in zip(lower, upper, res)]
    return np.array(np.meshgrid(*axes, indexing="ij")).reshape(len(axes), -1).T
