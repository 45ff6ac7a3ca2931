"""Operability index OI = mu(AOS ∩ DOS) / mu(DOS), output or input perspective.

    >>> from idaes_ml.operability.polytopes import Polytope
    >>> from idaes_ml.operability.index import operability_index
    >>> aos = [Polytope.box([0, 0], [2, 2])]
    >>> operability_index(aos, Polytope.box([1, 0], [3, 2]))
    0.5

The achievable set is a union of (paired) polytopes; its overlap with the desired
set is measured exactly with :func:`~idaes_ml.operability.polytopes.union_volume`,
so folds of a nonlinear map (overlapping output polytopes) are not counted twice.
Works in any dimension Qhull handles (2-D and 3-D routinely, n-D for small grids).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from idaes_ml.errors import DataError
from idaes_ml.operability.multimodel import PairedPolytopes
from idaes_ml.operability.polytopes import Polytope, union_volume
from idaes_ml.operability.sets import Region

__all__ = ["operability_index", "oi_output", "oi_input", "overlap_volume"]


def _polys(region) -> list[Polytope]:
    if isinstance(region, PairedPolytopes):
        return region.outputs
    if isinstance(region, Region):
        return [region.polytope]
    if isinstance(region, Polytope):
        return [region]
    return list(region)


def overlap_volume(achievable: Sequence[Polytope], desired: Polytope) -> float:
    """Exact measure of ``(∪ achievable) ∩ desired``."""
    lo, hi = desired.bounds
    clipped = []
    for p in achievable:
        if p.dim != desired.dim:
            raise DataError(f"dimension mismatch: {p.dim}-D achievable set vs {desired.dim}-D desired set")
        plo, phi = p.bounds
        if p.volume > 0 and np.all(plo < hi) and np.all(phi > lo):
            clipped.append(p.intersect(desired))
    return union_volume(clipped)


def operability_index(achievable: PairedPolytopes | Region | Polytope | Sequence[Polytope],
                      desired: Region | Polytope) -> float:
    """OI of a desired set against an achievable union of polytopes (0..1)."""
    dpoly = desired.polytope if isinstance(desired, Region) else desired
    name = desired.name if isinstance(desired, Region) else "desired set"
    if not dpoly.volume > 0:
        raise DataError(f"{name} is degenerate (zero volume): the OI is undefined")
    return min(1.0, overlap_volume(_polys(achievable), dpoly) / dpoly.volume)


def oi_output(aos: PairedPolytopes | Sequence[Polytope], dos: Region) -> float:
    """Output-perspective OI: the fraction of the DOS the AOS covers."""
    return operability_index(aos, dos)


def oi_input(dis: PairedPolytopes | Sequence[Polytope], ais: Region) -> float:
    """Input-perspective OI: the fraction of the DIS that lies in the AIS.

    ``dis`` is the inverse image of the DOS as polytopes, e.g. the ``outputs`` of
    paired polytopes built from an (unbounded) inverse map of a DOS grid.
    """
    polys = _polys(dis)
    total = union_volume(polys)
    if not total > 0:
        raise DataError("the DIS is degenerate (zero volume): the input-perspective OI is undefined")
    return min(1.0, overlap_volume(polys, ais.polytope) / total)
