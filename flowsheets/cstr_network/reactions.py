"""IDAES reaction package of the van de Vusse kinetics A -> B -> C, 2A -> D.

Rate laws, activation temperatures and heats of reaction of Chen, Kremling & Allgöwer (1995),
"Nonlinear predictive control of a benchmark CSTR", Proc. 3rd ECC, pp. 3247-3252 (as tabulated by
Klatt & Engell 1998, Comput. Chem. Eng. 22(4-5), 491-502; values in :mod:`.parameters`), written
after IDAES's saponification example (``idaes.models.properties.examples.saponification_reactions``)::

    r1 = k10 exp(-E1/T) cA,   r2 = k20 exp(-E2/T) cB,   r3 = k30 exp(-E3/T) cA^2 / 2

``R3`` is written per mole of D formed (stoichiometry A: -2), so A is consumed at ``k3 cA^2`` and
its heat of reaction is ``2 dH3`` (``dH3`` is per mole of A), exactly the balances of :mod:`.plant`.
"""

from __future__ import annotations

import pyomo.environ as pyo
from idaes.core import (MaterialFlowBasis, ReactionBlockBase, ReactionBlockDataBase, ReactionParameterBlock,
                        declare_process_block_class)

from .parameters import VdVParameters
from .properties import SI, to_si

__all__ = ["VanDeVusseReactionParameterBlock"]

u = pyo.units
STOICHIOMETRY = {"R1": {"A": -1, "B": 1}, "R2": {"B": -1, "C": 1}, "R3": {"A": -2, "D": 1}}


@declare_process_block_class("VanDeVusseReactionParameterBlock")
class VanDeVusseReactionParameterData(ReactionParameterBlock):
    """Stoichiometry, Arrhenius constants and heats of reaction of R1-R3 (SI)."""

    def build(self) -> None:
        """Reaction set, stoichiometry and the converted constants of :class:`.parameters.VdVParameters`."""
        super().build()
        self._reaction_block_class = VanDeVusseReactionBlock
        self.rate_reaction_idx = pyo.Set(initialize=list(STOICHIOMETRY))
        comps = ("A", "B", "C", "D", "H2O")
        self.rate_reaction_stoichiometry = {(r, "Liq", j): STOICHIOMETRY[r].get(j, 0) for r in STOICHIOMETRY for j in comps}
        p = VdVParameters()
        first, second = u.h**-1, u.L / u.mol / u.h
        self.k0 = pyo.Param(["R1", "R2"], units=u.s**-1, doc="pre-exponential factors of the first-order reactions",
                            initialize={"R1": to_si(p.k10, first, u.s**-1), "R2": to_si(p.k20, first, u.s**-1)})
        self.k30 = pyo.Param(initialize=to_si(p.k30, second, u.m**3 / u.mol / u.s), units=u.m**3 / u.mol / u.s,
                             doc="pre-exponential factor of 2A -> D (per mole of A)")
        self.E_R = pyo.Param(self.rate_reaction_idx, initialize={"R1": p.E1, "R2": p.E2, "R3": p.E3}, units=u.K,
                             doc="activation temperatures E/R")
        dH = u.kJ / u.mol
        self.dh_rxn = pyo.Param(self.rate_reaction_idx, units=u.J / u.mol, doc="heats of reaction per mole of extent",
                                initialize={"R1": to_si(p.dH1, dH, u.J / u.mol), "R2": to_si(p.dH2, dH, u.J / u.mol),
                                            "R3": 2 * to_si(p.dH3, dH, u.J / u.mol)})

    @classmethod
    def define_metadata(cls, obj) -> None:
        obj.add_properties({"reaction_rate": {"method": "_reaction_rate"}})
        obj.add_default_units(SI)


class _ReactionBlockMethods(ReactionBlockBase):
    """Initialization of an indexed reaction block (rates follow from the state: nothing to do)."""

    def initialize(blk, **kwargs) -> None:
        """Set every rate from its state."""
        for b in blk.values():
            if b.is_property_constructed("reaction_rate"):
                for r in b.params.rate_reaction_idx:
                    b.reaction_rate[r].set_value(pyo.value(b.rate_expression(r)))


@declare_process_block_class("VanDeVusseReactionBlock", block_class=_ReactionBlockMethods)
class VanDeVusseReactionBlockData(ReactionBlockDataBase):
    """Rates of R1-R3 (mol/(m3 s)) at the state of ``state_ref``."""

    def build(self) -> None:
        """Heats of reaction by reference; rates on demand."""
        super().build()
        self.dh_rxn = pyo.Reference(self.params.dh_rxn)

    def rate_expression(self, r: str):
        """Arrhenius rate of reaction ``r`` at the referenced state (SI)."""
        s, prm = self.state_ref, self.params
        arrhenius = pyo.exp(-prm.E_R[r] / s.temperature)
        if r == "R3":
            return 0.5 * prm.k30 * arrhenius * s.conc_mol_comp["A"] ** 2
        return prm.k0[r] * arrhenius * s.conc_mol_comp["A" if r == "R1" else "B"]

    def _reaction_rate(self) -> None:
        self.reaction_rate = pyo.Var(self.params.rate_reaction_idx, initialize=0.0, units=u.mol / u.m**3 / u.s,
                                     doc="rate of reaction per volume")
        self.rate_eqn = pyo.Constraint(self.params.rate_reaction_idx,
                                       rule=lambda b, r: b.reaction_rate[r] == b.rate_expression(r))

    def get_reaction_rate_basis(self):
        return MaterialFlowBasis.molar
