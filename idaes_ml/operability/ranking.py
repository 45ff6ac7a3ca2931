"""Rank candidate designs by their operability index, most operable first (opyrability's ``rank_designs``).

    >>> from idaes_ml.operability import FunctionModel, Region, rank_designs
    >>> wide = Region.box({"a": (0, 1), "b": (0, 1)}, name="AIS")
    >>> narrow = Region.box({"a": (0, 0.5), "b": (0, 1)}, name="AIS")
    >>> m = FunctionModel(lambda u: [u[0], u[1]], ["a", "b"], ["s", "t"])
    >>> dos = Region.box({"s": (0, 1), "t": (0, 1)}, name="DOS")
    >>> [(d.label, round(d.oi, 3)) for d in rank_designs([m, m], {"Design 1": narrow, "Design 2": wide}, dos, 3)]
    [('Design 2', 1.0), ('Design 1', 0.5)]

Side by side with opyrability's ``rank_designs(models, AIS_bound, DOS_bound,
resolution, perspective='outputs')``: the designs are a dict ``{label: model}`` or a
list (labelled ``"Design 1"``, ``"Design 2"``, ... as opyrability does); the AIS is one
:class:`~idaes_ml.operability.sets.Region` shared by all designs or a dict per label;
each design is forward-mapped on the same grid resolution and scored with
:func:`~idaes_ml.operability.index.oi_output` (0..1 here, percent in opyrability).
Ties keep the order given. The input perspective needs each design's DIS (an inverse
map): score those with :func:`~idaes_ml.operability.index.oi_input`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from idaes_ml.errors import DataError
from idaes_ml.operability.forward import ForwardMap, forward_map
from idaes_ml.operability.index import OperabilityIndex, oi_output
from idaes_ml.operability.multimodel import PairedPolytopes
from idaes_ml.operability.sets import Region

if TYPE_CHECKING:
    from idaes_ml.operability.models import OperabilityModel
    from idaes_ml.parallel import ClientSpec

__all__ = ["RankedDesign", "rank_designs"]


@dataclass
class RankedDesign:
    """One design's score: its label, OI (with dropped-polytope counts), AOS and forward map."""

    label: str
    oi: OperabilityIndex
    aos: PairedPolytopes
    forward: ForwardMap


def _labelled(designs: Mapping[str, OperabilityModel] | Sequence[OperabilityModel]) -> dict:
    if isinstance(designs, Mapping):
        named = {str(k): v for k, v in designs.items()}
    else:
        named = {f"Design {i + 1}": m for i, m in enumerate(designs)}
    if not named:
        raise DataError("rank_designs needs at least one design")
    return named


def rank_designs(designs: Mapping[str, OperabilityModel] | Sequence[OperabilityModel],
                 ais: Region | Mapping[str, Region], dos: Region, resolution: int | Sequence[int],
                 client: ClientSpec = None, progress: bool = False) -> list[RankedDesign]:
    """Output-perspective OI of every design against one DOS, sorted from most to least operable."""
    named = _labelled(designs)
    if isinstance(ais, Mapping):
        missing = [k for k in named if k not in ais]
        if missing:
            raise DataError(f"no AIS given for designs {missing} (AIS labels: {list(ais)})")
    scored = []
    for label, model in named.items():
        region = ais[label] if isinstance(ais, Mapping) else ais
        fm = forward_map(model, region, resolution, client=client, progress=progress)
        aos = PairedPolytopes.from_forward_map(fm)
        scored.append(RankedDesign(label, oi_output(aos, dos), aos, fm))
    return sorted(scored, key=lambda d: -float(d.oi))
