"""Convex polytopes in V- and H-representation, and the few operations operability needs.

    >>> import numpy as np
    >>> from idaes_ml.operability.polytopes import Polytope
    >>> a = Polytope.box([0, 0], [2, 2])
    >>> b = Polytope.box([1, 1], [3, 3])
    >>> round(a.intersect(b).volume, 6), round(a.minkowski(b).volume, 6)
    (1.0, 16.0)

Everything is computed with ``scipy.spatial`` (Qhull) and ``scipy.optimize.linprog``:
hulls for V->H, half-space intersection for H->V, and LPs for Chebyshev centres.
Lower-dimensional (flat) polytopes are allowed; their volume is 0 and they keep only
their vertices, which is what affine images and Minkowski sums of them need.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.optimize import linprog
from scipy.spatial import ConvexHull, HalfspaceIntersection, QhullError

from idaes_ml.errors import DataError

__all__ = ["Polytope", "union_volume", "chebyshev_center"]

_TOL = 1e-9


def chebyshev_center(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre and radius of the largest ball inside ``{x: A x <= b}`` (radius < 0: empty).

    HiGHS's simplex can end with a numerical failure (status 4) on nearly parallel
    facets, e.g. a sheared cell against a box; the interior-point method then decides.
    """
    norms = np.linalg.norm(A, axis=1)
    n = A.shape[1]
    c = np.zeros(n + 1)
    c[-1] = -1.0
    for method in ("highs", "highs-ipm"):
        res = linprog(
            c, A_ub=np.hstack([A, norms[:, None]]), b_ub=b,
            bounds=[(None, None)] * n + [(None, 1e12)], method=method,
        )
        if res.status == 0:
            return res.x[:n], float(res.x[-1])
        if res.status == 2:  # infeasible: the set is empty
            break
    return np.full(n, np.nan), -1.0


@dataclass(frozen=True, eq=False)
class Polytope:
    """A bounded convex polytope given by its vertices (rows of ``vertices``)."""

    vertices: np.ndarray

    def __post_init__(self) -> None:
        v = np.atleast_2d(np.asarray(self.vertices, dtype=float))
        if v.size == 0:
            raise DataError("a polytope needs at least one vertex")
        if not np.isfinite(v).all():
            raise DataError("polytope vertices must be finite (NaN/inf found)")
        d = v.shape[1]
        if d == 1:
            v = np.array([[v.min()], [v.max()]])
        elif v.shape[0] > d + 1:
            if _rank(v) == d:
                try:
                    v = v[ConvexHull(v).vertices]
                except QhullError:
                    pass
            else:
                v = _flat_vertices(v)
        object.__setattr__(self, "vertices", v)

    @cached_property
    def _geometry(self) -> tuple[np.ndarray, np.ndarray, float] | None:
        """``(A, b, volume)`` for a full-dimensional polytope, ``None`` for a flat one."""
        v = self.vertices
        n, d = v.shape
        scale = max(1.0, float(np.max(np.abs(v - v.mean(axis=0)))))
        if n == d + 1:  # simplex: barycentric coordinates give the facets directly
            M = (v[1:] - v[0]).T
            det = float(np.linalg.det(M))
            if abs(det) <= 1e-12 * scale**d:
                return None
            Minv = np.linalg.inv(M)
            A = np.vstack([-Minv, Minv.sum(axis=0)])
            b = np.concatenate([-Minv @ v[0], [1.0 + Minv.sum(axis=0) @ v[0]]])
            norms = np.linalg.norm(A, axis=1)
            return A / norms[:, None], b / norms, abs(det) / math.factorial(d)
        if n <= d or _rank(v) < d:
            return None
        try:
            hull = ConvexHull(v)
        except QhullError:
            return None
        eq = np.unique(np.round(hull.equations, 12), axis=0)
        return eq[:, :-1], -eq[:, -1], float(hull.volume)

    # -- constructors -------------------------------------------------------------
    @classmethod
    def box(cls, lower: Sequence[float], upper: Sequence[float]) -> Polytope:
        """The axis-aligned box ``lower <= x <= upper``."""
        lo, hi = np.asarray(lower, float), np.asarray(upper, float)
        if lo.shape != hi.shape or lo.ndim != 1:
            raise DataError(f"box bounds must be two 1-D arrays of equal length, got {lo.shape}, {hi.shape}")
        if np.any(hi < lo):
            raise DataError(f"box has upper < lower: lower={lo.tolist()}, upper={hi.tolist()}")
        corners = np.array(np.meshgrid(*zip(lo, hi), indexing="ij")).reshape(lo.size, -1).T
        return cls(corners)

    @classmethod
    def from_halfspaces(cls, A: np.ndarray, b: np.ndarray) -> Polytope | None:
        """The polytope ``{x: A x <= b}``; ``None`` when it is empty or has no interior."""
        A, b = np.atleast_2d(np.asarray(A, float)), np.asarray(b, float).ravel()
        if A.shape[0] != b.size:
            raise DataError(f"A has {A.shape[0]} rows but b has {b.size} entries")
        center, radius = chebyshev_center(A, b)
        scale = max(1.0, float(np.max(np.abs(b))))
        if radius <= _TOL * scale:
            return None
        if radius >= 1e11:
            raise DataError("half-spaces describe an unbounded set; a polytope must be bounded")
        if A.shape[1] == 1:
            up = np.min(b[A[:, 0] > 0] / A[A[:, 0] > 0, 0])
            lo = np.max(b[A[:, 0] < 0] / A[A[:, 0] < 0, 0])
            return cls(np.array([[lo], [up]]))
        hs = HalfspaceIntersection(np.hstack([A, -b[:, None]]), center)
        return cls(hs.intersections)

    # -- properties -------------------------------------------------------------
    @property
    def dim(self) -> int:
        """Dimension of the ambient space."""
        return self.vertices.shape[1]

    @property
    def is_full_dimensional(self) -> bool:
        """True when the polytope has an interior (positive volume)."""
        return np.ptp(self.vertices) > 0 if self.dim == 1 else self._geometry is not None

    @property
    def volume(self) -> float:
        """Lebesgue measure (0 for flat polytopes)."""
        if self.dim == 1:
            return float(np.ptp(self.vertices))
        return self._geometry[2] if self._geometry is not None else 0.0

    @property
    def halfspaces(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, b)`` with unit-norm rows such that the polytope is ``A x <= b``."""
        if self.dim == 1:
            return np.array([[1.0], [-1.0]]), np.array([self.vertices.max(), -self.vertices.min()])
        if self._geometry is None:
            raise DataError("a flat (zero-volume) polytope has no bounded H-representation")
        return self._geometry[0], self._geometry[1]

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounding box ``(lower, upper)``."""
        return self.vertices.min(axis=0), self.vertices.max(axis=0)

    # -- operations -------------------------------------------------------------
    def contains(self, points: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        """Boolean mask of the rows of ``points`` inside (or on) the polytope."""
        pts = np.atleast_2d(np.asarray(points, float))
        _check_dim(pts.shape[1], self.dim)
        A, b = self.halfspaces
        return np.all(pts @ A.T <= b + tol * (1 + np.abs(b)), axis=1)

    def intersect(self, other: Polytope) -> Polytope | None:
        """Intersection with ``other``; ``None`` when it has no interior."""
        _check_dim(other.dim, self.dim)
        if not (self.is_full_dimensional and other.is_full_dimensional):
            return None
        (lo1, hi1), (lo2, hi2) = self.bounds, other.bounds
        if np.any(hi1 < lo2) or np.any(hi2 < lo1):
            return None
        if other.contains(self.vertices).all():
            return self
        if self.contains(other.vertices).all():
            return other
        A1, b1 = self.halfspaces
        A2, b2 = other.halfspaces
        return Polytope.from_halfspaces(np.vstack([A1, A2]), np.concatenate([b1, b2]))

    def affine_map(self, M: np.ndarray, c: np.ndarray | None = None) -> Polytope:
        """Image ``{M x + c}`` (exact: images of the vertices, then their hull)."""
        M = np.atleast_2d(np.asarray(M, float))
        if M.shape[1] != self.dim:
            raise DataError(f"matrix has {M.shape[1]} columns, polytope dimension is {self.dim}")
        out = self.vertices @ M.T
        return Polytope(out if c is None else out + np.asarray(c, float))

    def minkowski(self, other: Polytope) -> Polytope:
        """Minkowski sum (pairwise vertex sums, reduced to their hull)."""
        _check_dim(other.dim, self.dim)
        sums = (self.vertices[:, None, :] + other.vertices[None, :, :]).reshape(-1, self.dim)
        return Polytope(sums)

    def pontryagin_difference(self, other: Polytope) -> Polytope | None:
        """``{x: x + w in self for all w in other}`` (exact via support functions)."""
        _check_dim(other.dim, self.dim)
        A, b = self.halfspaces
        support = np.max(other.vertices @ A.T, axis=0)
        return Polytope.from_halfspaces(A, b - support)


def union_volume(polytopes: Sequence[Polytope]) -> float:
    """Exact volume of a union of (possibly overlapping) polytopes.

    Each polytope contributes the part not covered by earlier ones; the set
    difference of convex polytopes is split into convex pieces along the facets of
    the subtrahend, and pairs are screened by bounding boxes and a separating-axis
    test so that a mesh of face-sharing simplices costs almost nothing.
    """
    polys = [p for p in polytopes if p is not None and p.volume > 0]
    if not polys:
        return 0.0
    lows = np.array([p.bounds[0] for p in polys])
    highs = np.array([p.bounds[1] for p in polys])
    total = 0.0
    for k, p in enumerate(polys):
        pieces = [p]
        earlier = np.nonzero(np.all(lows[:k] < highs[k], axis=1) & np.all(highs[:k] > lows[k], axis=1))[0]
        for j in earlier:
            q = polys[j]
            if _separated(p, q):
                continue
            pieces = [r for piece in pieces for r in _difference(piece, q)]
            if not pieces:
                break
        total += sum(r.volume for r in pieces)
    return total


def _difference(p: Polytope, q: Polytope) -> list[Polytope]:
    """Convex pieces of ``p \\ q`` (disjoint up to boundaries)."""
    if _separated(p, q):
        return [p]
    Ap, bp = p.halfspaces
    Aq, bq = q.halfspaces
    pieces = []
    for i in range(Aq.shape[0]):
        A = np.vstack([Ap, Aq[:i], -Aq[i : i + 1]])
        b = np.concatenate([bp, bq[:i], -bq[i : i + 1]])
        piece = Polytope.from_halfspaces(A, b)
        if piece is not None and piece.volume > 1e-12 * p.volume:
            pieces.append(piece)
    return pieces


def _separated(p: Polytope, q: Polytope) -> bool:
    """True when a facet normal of ``p`` or ``q`` separates their interiors."""
    tol = 1e-10 * (1.0 + np.max(np.abs(np.vstack([p.vertices, q.vertices]))))
    for A in (p.halfspaces[0], q.halfspaces[0]):
        pp, pq = p.vertices @ A.T, q.vertices @ A.T
        if np.any(pp.max(axis=0) <= pq.min(axis=0) + tol) or np.any(pq.max(axis=0) <= pp.min(axis=0) + tol):
            return True
    return False


def _rank(v: np.ndarray) -> int:
    centred = v - v.mean(axis=0)
    scale = max(1.0, float(np.max(np.abs(centred))))
    return int(np.linalg.matrix_rank(centred, tol=1e-10 * scale))


def _flat_vertices(v: np.ndarray) -> np.ndarray:
    """Extreme points of a rank-deficient point set (hull inside its affine span)."""
    centre = v.mean(axis=0)
    _, sv, vt = np.linalg.svd(v - centre, full_matrices=False)
    r = int(np.sum(sv > 1e-10 * max(1.0, float(np.max(np.abs(v - centre))))))
    if r == 0:
        return v[:1]
    coords = (v - centre) @ vt[:r].T
    if r == 1:
        return v[[int(np.argmin(coords[:, 0])), int(np.argmax(coords[:, 0]))]]
    try:
        return v[ConvexHull(coords).vertices]
    except QhullError:
        return v


def _check_dim(got: int, expected: int) -> None:
    if got != expected:
        raise DataError(f"dimension mismatch: got {got}-D data for a {expected}-D polytope")
