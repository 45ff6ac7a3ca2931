"""Conservation-exact network heads (split fractions, reaction extents) and their targets.

    from idaes_ml.balances import SplitHead, ReactionHead, split_targets, reaction_targets

A network with a head predicts only what a unit's physics leaves unknown; the head's
equations (torch: :meth:`SplitHead.apply_torch`; Pyomo: ``SurrogateUnit``) close the
material balance exactly. See :mod:`idaes_ml.balances.heads`.
"""

from idaes_ml.balances.heads import (METADATA_KEY, BalanceError, BalanceHead, ReactionHead, SplitHead,
                                     head_from_dict)
from idaes_ml.balances.targets import BALANCE_RTOL, reaction_targets, split_targets

__all__ = ["BALANCE_RTOL", "METADATA_KEY", "BalanceError", "BalanceHead", "ReactionHead", "SplitHead",
           "head_from_dict", "reaction_targets", "split_targets"]
