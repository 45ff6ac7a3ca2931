"""Conservation-exact network heads: what a structured unit network predicts.

A *head* turns a few network outputs into outlet component flows that satisfy the
unit's material balance exactly, whatever the network predicts:

* :class:`SplitHead` (separators, flashes, columns): per component, logits of the
  split between outlets; outlet flow = softmax split x inlet flow. The last outlet is
  the reference (logit 0), so a unit with ``n`` outlets and ``c`` components predicts
  ``(n - 1) c`` labels ``split_logit[<outlet>,<component>]``. Component balances hold.
* :class:`ReactionHead` (reactors): extents of declared reactions; outlet = inlet +
  nu xi. With a ``basis`` component a reaction's label ``extent[<r>]`` is the extent
  as a fraction of that component's inlet flow (xi = y F_in[basis]), else the extent
  itself (mol/s). Element balances hold when the stoichiometry does
  (:meth:`ReactionHead.check_mass`).

The same head is applied in torch (:meth:`apply_torch`, fine-tuning) and written as
Pyomo equations by :class:`~idaes_ml.unit_models.SurrogateUnit`; it travels in the
network's metadata file under ``"idaes_ml_balance"`` (:meth:`to_dict`,
:func:`head_from_dict`).

    >>> import torch
    >>> head = SplitHead(outlets=("vap", "liq"), components=("a", "b"))
    >>> head.output_labels()
    ['split_logit[vap,a]', 'split_logit[vap,b]']
    >>> out = head.apply_torch(torch.tensor([[2.0, 4.0]]), torch.tensor([[0.0, 0.0]]))
    >>> out["vap"], out["liq"]
    (tensor([[1., 2.]]), tensor([[1., 2.]]))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from idaes_ml.errors import MetadataError

__all__ = ["SplitHead", "ReactionHead", "BalanceHead", "head_from_dict", "BalanceError", "METADATA_KEY"]

#: Key of the head in ``<name>_idaes_info.json`` (an idaes_ml extension; IDAES ignores it).
METADATA_KEY = "idaes_ml_balance"


class BalanceError(MetadataError):
    """A balance head that cannot conserve mass or does not fit the unit it is given to."""


def _label(name: str, *index: str) -> str:
    return f"{name}[{','.join(index)}]"


@dataclass(frozen=True)
class SplitHead:
    """Per-component split of one inlet over ``outlets`` (last outlet: reference, logit 0)."""

    outlets: tuple[str, ...]
    components: tuple[str, ...]
    kind: str = field(default="split", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "outlets", tuple(str(o) for o in self.outlets))
        object.__setattr__(self, "components", tuple(str(c) for c in self.components))
        if len(self.outlets) < 2 or len(set(self.outlets)) != len(self.outlets):
            raise BalanceError(f"a split head needs two or more distinct outlets, got {list(self.outlets)}")
        if not self.components or len(set(self.components)) != len(self.components):
            raise BalanceError(f"a split head needs distinct components, got {list(self.components)}")

    def output_labels(self) -> list[str]:
        """Network output labels, outlet-major: ``split_logit[<outlet>,<component>]``."""
        return [_label("split_logit", o, c) for o in self.outlets[:-1] for c in self.components]

    def label(self, outlet: str, component: str) -> str:
        """The logit label of ``component`` to ``outlet`` (not the reference outlet)."""
        return _label("split_logit", outlet, component)

    def apply_torch(self, inlet: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """``inlet [B, c]`` component flows, ``y [B, (n-1) c]`` logits -> outlet flows per outlet."""
        n, c = len(self.outlets), len(self.components)
        logits = torch.cat([y.reshape(-1, n - 1, c), torch.zeros_like(y[:, :c]).unsqueeze(1)], dim=1)
        split = torch.softmax(logits, dim=1)
        return {o: split[:, i, :] * inlet for i, o in enumerate(self.outlets)}

    def check_outlets(self, outlets: Sequence[str], components: Sequence[str], where: str) -> None:
        """Raise BalanceError unless the head's outlets and components are the unit's."""
        if sorted(self.outlets) != sorted(outlets):
            raise BalanceError(f"{where}: split head outlets {list(self.outlets)} do not match the unit's "
                               f"outlet list {list(outlets)}")
        if sorted(self.components) != sorted(components):
            raise BalanceError(f"{where}: split head components {list(self.components)} are not the property "
                               f"package's {list(components)}")

    def to_dict(self) -> dict:
        """JSON form stored in the metadata file."""
        return {"kind": "split", "outlets": list(self.outlets), "components": list(self.components)}


@dataclass(frozen=True)
class ReactionHead:
    """Extents of the reactions ``stoichiometry`` (reaction -> {component: nu}) in a reactor.

    ``basis`` maps a reaction to the component whose inlet flow its predicted value is a
    fraction of; reactions without one predict the extent in flow units.
    """

    stoichiometry: Mapping[str, Mapping[str, float]]
    components: tuple[str, ...]
    basis: Mapping[str, str] = field(default_factory=dict)
    kind: str = field(default="reaction", init=False)

    def __post_init__(self) -> None:
        comps = tuple(str(c) for c in self.components)
        object.__setattr__(self, "components", comps)
        stoich = {str(r): {str(c): float(v) for c, v in nu.items()} for r, nu in dict(self.stoichiometry).items()}
        object.__setattr__(self, "stoichiometry", stoich)
        object.__setattr__(self, "basis", {str(r): str(c) for r, c in dict(self.basis).items()})
        if not stoich:
            raise BalanceError("a reaction head needs at least one reaction")
        for r, nu in stoich.items():
            unknown = sorted(set(nu) - set(comps))
            if unknown:
                raise BalanceError(f"reaction {r!r} names components {unknown} not in {list(comps)}")
            if not any(v != 0 for v in nu.values()) or not all(np.isfinite(v) for v in nu.values()):
                raise BalanceError(f"reaction {r!r} has no finite non-zero stoichiometric coefficient: {nu}")
        bad = {r: c for r, c in self.basis.items() if r not in stoich or c not in comps}
        if bad:
            raise BalanceError(f"basis {bad} names unknown reactions or components")
        if np.linalg.matrix_rank(self.nu) < len(stoich):
            raise BalanceError(f"reactions {list(stoich)} are linearly dependent: their extents are not identifiable")

    @property
    def reactions(self) -> list[str]:
        """Reaction names, in order."""
        return list(self.stoichiometry)

    @property
    def nu(self) -> np.ndarray:
        """Stoichiometric matrix ``[components, reactions]``."""
        return np.array([[self.stoichiometry[r].get(c, 0.0) for r in self.reactions] for c in self.components])

    def output_labels(self) -> list[str]:
        """Network output labels ``extent[<reaction>]``."""
        return [_label("extent", r) for r in self.reactions]

    def label(self, reaction: str) -> str:
        """The output label of ``reaction``."""
        return _label("extent", reaction)

    def extents_torch(self, inlet: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Extents ``[B, r]`` (flow units) from predicted values ``y [B, r]``."""
        cols = [y[:, j] * inlet[:, self.components.index(self.basis[r])] if r in self.basis else y[:, j]
                for j, r in enumerate(self.reactions)]
        return torch.stack(cols, dim=1)

    def apply_torch(self, inlet: torch.Tensor, y: torch.Tensor, outlet: str = "outlet") -> dict[str, torch.Tensor]:
        """``inlet [B, c]`` + predictions ``y [B, r]`` -> ``{outlet: inlet + extents nu^T}``."""
        nu = torch.as_tensor(self.nu, dtype=inlet.dtype, device=inlet.device)
        return {outlet: inlet + self.extents_torch(inlet, y) @ nu.T}

    def check_mass(self, mw: Mapping[str, float], rtol: float = 1e-9) -> None:
        """Raise BalanceError naming each reaction whose sum(nu mw) is not zero."""
        missing = [c for c in self.components if c not in mw]
        if missing:
            raise BalanceError(f"no molecular weight for components {missing}")
        bad = {}
        for r, nu in self.stoichiometry.items():
            net = sum(v * mw[c] for c, v in nu.items())
            size = sum(abs(v * mw[c]) for c, v in nu.items())
            if abs(net) > rtol * size:
                bad[r] = net
        if bad:
            detail = ", ".join(f"{r}: sum(nu mw) = {v:.3e}" for r, v in bad.items())
            raise BalanceError(f"stoichiometry does not conserve mass with the molecular weights given ({detail})")

    def to_dict(self) -> dict:
        """JSON form stored in the metadata file."""
        return {"kind": "reaction", "components": list(self.components),
                "stoichiometry": {r: dict(nu) for r, nu in self.stoichiometry.items()}, "basis": dict(self.basis)}


BalanceHead = SplitHead | ReactionHead


def head_from_dict(doc: Mapping) -> BalanceHead:
    """The head stored by :meth:`SplitHead.to_dict` / :meth:`ReactionHead.to_dict`."""
    try:
        kind = doc["kind"]
        if kind == "split":
            return SplitHead(tuple(doc["outlets"]), tuple(doc["components"]))
        if kind == "reaction":
            return ReactionHead(doc["stoichiometry"], tuple(doc["components"]), doc.get("basis", {}))
    except (KeyError, TypeError, AttributeError) as exc:
        raise BalanceError(f"malformed balance head {doc!r}: {type(exc).__name__}: {exc}") from exc
    raise BalanceError(f"unknown balance head kind {kind!r}; kinds are 'split' and 'reaction'")
