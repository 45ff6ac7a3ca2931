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

Sets are matched by variable name: a desired :class:`Region` over ``{T, F}`` is
reordered to achievable polytopes over ``(F, T)`` when those carry labels (paired
polytopes from a forward map do); different names raise DataError. The OI is an
:class:`OperabilityIndex`, a float that also counts the polytopes left out because a
grid point failed (NaN); leaving any out also warns.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np

from idaes_ml.errors import DataError
from idaes_ml.operability.multimodel import PairedPolytopes
from idaes_ml.operability.polytopes import Polytope, union_volume
from idaes_ml.operability.sets import Region

__all__ = ["OperabilityIndex", "operability_index", "oi_output", "oi_input", "overlap_volume"]

Achievable = PairedPolytopes | Region | Polytope | Sequence[Polytope]


class OperabilityIndex(float):
    """An OI in [0, 1] (a float) and the polytopes of the map it was computed over.

    ``dropped``: polytopes left out because a corner point failed (NaN outputs);
    ``polytopes``: all polytopes of the map, dropped ones included.
    """

    dropped: int
    polytopes: int

    def __new__(cls, value: float, dropped: int = 0, polytopes: int = 0) -> OperabilityIndex:
        """The OI ``value`` with its polytope counts."""
        oi = super().__new__(cls, value)
        oi.dropped, oi.polytopes = int(dropped), int(polytopes)
        return oi


def _polys(region: Achievable) -> list[Polytope]:
    if isinstance(region, PairedPolytopes):
        return region.outputs
    if isinstance(region, Region):
        return [region.polytope]
    if isinstance(region, Polytope):
        return [region]
    return list(region)


def _labels(region: Achievable) -> tuple[str, ...]:
    if isinstance(region, PairedPolytopes):
        return region.output_labels
    return region.labels if isinstance(region, Region) else ()


def _dropped(region: Achievable, what: str, consequence: str) -> tuple[int, int]:
    """``(dropped, total)`` polytopes; warns when some were dropped, raises when all were."""
    if not isinstance(region, PairedPolytopes):
        n = len(_polys(region))
        return 0, n
    total = len(region) + region.skipped
    if region.skipped and not len(region):
        raise DataError(f"every polytope of the {what} touches a failed (NaN) grid point: the OI is undefined")
    if region.skipped:
        warnings.warn(
            f"OI computed without {region.skipped} of {total} polytopes of the {what}: a corner point "
            f"failed (NaN); {consequence} (see OperabilityIndex.dropped)", RuntimeWarning, stacklevel=3,
        )
    return region.skipped, total


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


def _matched(desired: Region | Polytope, labels: tuple[str, ...]) -> tuple[Polytope, str]:
    """The desired polytope with its axes in the order of ``labels`` (when both are named)."""
    if not isinstance(desired, Region):
        return desired, "desired set"
    if labels and len(labels) == desired.dim:
        desired = desired.reordered(labels)
    return desired.polytope, desired.name


def operability_index(achievable: Achievable, desired: Region | Polytope) -> OperabilityIndex:
    """OI of a desired set against an achievable union of polytopes (0..1), axes matched by name."""
    dpoly, name = _matched(desired, _labels(achievable))
    if not dpoly.volume > 0:
        raise DataError(f"{name} is degenerate (zero volume): the OI is undefined")
    dropped, total = _dropped(achievable, "achievable set",
                              "they count as not achievable, so the OI is a lower bound")
    oi = min(1.0, overlap_volume(_polys(achievable), dpoly) / dpoly.volume)
    return OperabilityIndex(oi, dropped, total)


def oi_output(aos: PairedPolytopes | Sequence[Polytope], dos: Region) -> OperabilityIndex:
    """Output-perspective OI: the fraction of the DOS the AOS covers (DOS matched to the AOS by name)."""
    return operability_index(aos, dos)


def oi_input(dis: PairedPolytopes | Sequence[Polytope], ais: Region,
             normalize: Literal["dis", "ais"] = "dis") -> OperabilityIndex:
    """Input-perspective OI: how the DIS and the AIS overlap, ``mu(DIS ∩ AIS) / mu(...)``.

    ``dis`` is the inverse image of the DOS as polytopes, e.g. the ``outputs`` of
    paired polytopes built from an (unbounded) inverse map of a DOS grid. Two
    normalizations, on the same polytopes:

    * ``normalize="dis"`` (default; Vinson & Georgakis's input-perspective OI):
      ``mu(DIS ∩ AIS) / mu(DIS)``, the share of the inputs the DOS needs that are
      available.
    * ``normalize="ais"`` (opyrability's ``OI_eval(DIS_region, AIS_bounds,
      perspective='inputs')``, which always divides by the box it is given):
      ``mu(DIS ∩ AIS) / mu(AIS)``, the share of the available inputs that reach the DOS.
      opyrability reports it in percent (x 100).

    A DIS of area 0.75 overlapping a unit-square AIS by 0.4 gives 0.5333 (``"dis"``)
    and 0.40 (``"ais"``; opyrability: 40.0).
    """
    if normalize not in ("dis", "ais"):
        raise DataError(f"normalize must be 'dis' or 'ais', got {normalize!r}")
    apoly, _ = _matched(ais, _labels(dis))
    polys = _polys(dis)
    dropped, total = _dropped(dis, "DIS", "the OI ignores them")
    if normalize == "ais":
        if not apoly.volume > 0:
            raise DataError(f"{ais.name} is degenerate (zero volume): the input-perspective OI is undefined")
        denominator = apoly.volume
    else:
        denominator = union_volume(polys)
        if not denominator > 0:
            raise DataError("the DIS is degenerate (zero volume): the input-perspective OI is undefined")
    return OperabilityIndex(min(1.0, overlap_volume(polys, apoly) / denominator), dropped, total)
