"""Training targets of balance heads from stream data (the inverse of the heads).

    >>> import pandas as pd
    >>> from idaes_ml.balances import SplitHead
    >>> feed = pd.DataFrame({"a": [2.0], "b": [4.0]})
    >>> split_targets(SplitHead(("top", "bot"), ("a", "b")), feed,
    ...               {"top": pd.DataFrame({"a": [1.0], "b": [1.0]}), "bot": pd.DataFrame({"a": [1.0], "b": [3.0]})})
       split_logit[top,a]  split_logit[top,b]
    0                 0.0           -1.098612

Data that do not close the balance the head enforces raise :class:`BalanceError` with
the largest residual, its row and component: a network trained on such targets could
never reproduce the data.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from idaes_ml.balances.heads import BalanceError, ReactionHead, SplitHead
from idaes_ml.metrics import check_finite

__all__ = ["split_targets", "reaction_targets", "BALANCE_RTOL"]

#: Relative residual above which stream data are said not to close a balance.
BALANCE_RTOL = 1e-6


def _flows(df: pd.DataFrame, components: tuple[str, ...], what: str) -> np.ndarray:
    missing = [c for c in components if c not in df.columns]
    if missing:
        raise BalanceError(f"{what} lacks component columns {missing}")
    check_finite(df[list(components)], what)
    values = df[list(components)].to_numpy(float)
    if (values < 0).any():
        raise BalanceError(f"{what} has negative component flows")
    return values


def _raise_residual(residual: np.ndarray, components: tuple[str, ...], what: str, rtol: float) -> None:
    worst = np.unravel_index(int(np.argmax(residual)), residual.shape)
    if residual[worst] > rtol:
        raise BalanceError(f"{what}: relative residual {residual[worst]:.3e} > {rtol:.0e} "
                           f"(row {worst[0]}, component {components[worst[1]]!r})")


def split_targets(head: SplitHead, inlet: pd.DataFrame, outlets: Mapping[str, pd.DataFrame],
                  rtol: float = BALANCE_RTOL, floor: float = 1e-12) -> pd.DataFrame:
    """Split logits ``log(F_outlet / F_reference)`` per component (fractions floored at ``floor``)."""
    head.check_outlets(list(outlets), head.components, "split data")
    fin = _flows(inlet, head.components, "inlet data")
    fout = {o: _flows(outlets[o], head.components, f"outlet {o!r} data") for o in head.outlets}
    if any(v.shape != fin.shape for v in fout.values()):
        raise BalanceError(f"inlet and outlet tables differ in shape: {fin.shape} vs "
                           f"{ {o: v.shape for o, v in fout.items()} }")
    total = sum(fout.values())
    _raise_residual(np.abs(total - fin) / np.maximum(fin, 1e-300), head.components,
                    "outlet flows do not add up to the inlet flows", rtol)
    share = {o: np.clip(v / np.maximum(total, 1e-300), floor, 1.0) for o, v in fout.items()}
    ref = share[head.outlets[-1]]
    cols = {head.label(o, c): np.log(share[o][:, j] / ref[:, j])
            for o in head.outlets[:-1] for j, c in enumerate(head.components)}
    return pd.DataFrame(cols, index=inlet.index)


def reaction_targets(head: ReactionHead, inlet: pd.DataFrame, outlet: pd.DataFrame,
                     rtol: float = BALANCE_RTOL) -> pd.DataFrame:
    """Least-squares extents (as the head's labels: fractions of the basis flow or mol/s).

    Raises BalanceError when the declared reactions cannot produce the outlets (residual
    of ``outlet - inlet - nu xi`` relative to the largest flow of that row).
    """
    fin = _flows(inlet, head.components, "reactor inlet data")
    fout = _flows(outlet, head.components, "reactor outlet data")
    if fin.shape != fout.shape:
        raise BalanceError(f"reactor inlet and outlet tables differ in shape: {fin.shape} vs {fout.shape}")
    delta = fout - fin
    xi, *_ = np.linalg.lstsq(head.nu, delta.T, rcond=None)
    xi = xi.T
    size = np.maximum(np.maximum(fin, fout).max(axis=1, keepdims=True), 1e-300)
    _raise_residual(np.abs(delta - xi @ head.nu.T) / size, head.components,
                    f"reactions {head.reactions} cannot produce the outlet flows", rtol)
    cols = {}
    for j, r in enumerate(head.reactions):
        if r in head.basis:
            base = fin[:, head.components.index(head.basis[r])]
            if (base <= 0).any():
                raise BalanceError(f"basis component {head.basis[r]!r} of reaction {r!r} has zero inlet flow "
                                   f"in {int((base <= 0).sum())} row(s)")
            cols[head.label(r)] = xi[:, j] / base
        else:
            cols[head.label(r)] = xi[:, j]
    return pd.DataFrame(cols, index=inlet.index)
