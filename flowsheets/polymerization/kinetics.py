"""Arrhenius rate coefficients for AIBN-initiated solution FRP of n-butyl acrylate (BA).

    >>> from flowsheets.polymerization.kinetics import BA_AIBN
    >>> k = BA_AIBN.at(70.0)
    >>> 3.0e4 < k["kp"] < 5.0e4          # IUPAC benchmark kp(70 degC), L/mol/s
    True
    >>> bool(BA_AIBN.kt_ss(70.0, [1, 30, 1000]).argmax() == 0)   # kt(i,i) falls with i
    True

Every coefficient is ``A * exp(-Ea / (R T))`` with ``A`` in s^-1 or L mol^-1 s^-1
and ``Ea`` in J/mol.  Sources (all for BA unless stated):

* ``kp`` -- secondary (chain-end) radical propagation, IUPAC benchmark:
  Asua, Beuermann, Buback, Castignolles, Charleux, Gilbert, Hutchinson, Leiza,
  Nikitin, Vairon, van Herk, *Macromol. Chem. Phys.* 2004, 205, 2151 (abstract:
  A = 2.21e7 L/mol/s, Ea = 17.9 kJ/mol).
* ``kbb`` -- backbiting (1,5-H shift, chain-end -> mid-chain radical, possible from
  3 units on) and ``kpt`` -- mid-chain (tertiary) radical propagation: Nikitin,
  Hutchinson, Buback, Hesse, *Macromolecules* 2007, 40, 8631: kbb = 7.41e7
  exp(-32.7 kJ/RT) s^-1, kpt = 1.52e6 exp(-28.9 kJ/RT) L/mol/s (consistent with the
  kbb/kpt fitted by Barth, Buback, Hesse, Sergeeva, *Macromolecules* 2010, 43, 4023).
* Termination, chain-length dependent (composite model): Barth et al. 2010 (SP-PLP-EPR
  of 1.5 M BA in toluene; abstract: composite model with alpha_s = 0.85 for short
  chains) give kt_ss(1,1) = 1.3e10 exp(-8.4 kJ/RT) L/mol/s, ``alpha_s`` = 0.85,
  ``alpha_l`` = 0.16, crossover ``i_c`` = 30, i.e. ``kt_ss(i,i) = kt_ss(1,1) i^-alpha_s``
  (i <= i_c) and ``kt_ss(1,1) i_c^(alpha_l - alpha_s) i^-alpha_l`` (i > i_c); unequal
  lengths by the geometric mean ``kt(i,j) = sqrt(kt(i,i) kt(j,j))``.  Terminations with
  a mid-chain radical use the same chain-length dependence scaled by ``st_ratio`` = 1/5
  (chain-end + mid-chain) and ``tt_ratio`` = 1/50 (two mid-chain radicals), the ratios of
  Barth et al. 2010.
* Termination mode: chain-end radicals of acrylates terminate mainly by combination
  (Nakamura, Yamago, *Macromolecules* 2015, 48, 6450) -- fraction ``comb_ss = 0.9``;
  terminations involving a mid-chain (tertiary) radical are disproportionation.
* ``ktrM`` -- transfer to monomer: Maeder, Gilbert, *Macromolecules* 1998, 31, 4410:
  ktr,M = 2.88e5 exp(-32.6 kJ/RT) L/mol/s (C_M ~ 6e-5 at 60 degC).
* ``kbeta`` -- beta-scission of mid-chain radicals: Nikitin, Hutchinson, Wang, Kalfas,
  Richards, Bruni, *Macromol. React. Eng.* 2010, 4, 691, kbeta = 1.49e9 exp(-63.9 kJ/RT)
  s^-1 (value quoted from the paper's rate-coefficient table as used in later BA models;
  the search tool reached only abstracts, among them Reyes, Hamzehlou, Ballard, Aguirre,
  Asua, Leiza 2016, who find kbeta *higher* than this value -- not verified further).
* ``ktrP`` -- intermolecular transfer to polymer (long-chain branching), per polymer
  repeat unit.  The mechanism is implemented in both simulators, but **no BA value could
  be verified** with the search tool (Ahmad, Heatley, Lovell, *Macromolecules* 1998, 31,
  2822 give total branch levels of 0.8-2.2 mol% at 70 degC, which backbiting alone
  explains), so the default is 0; pass ``replace(BA_AIBN, ktrP=Arrhenius(A, Ea))``.
* ``kd`` -- AIBN decomposition: 10-h half-life temperature 65 degC in toluene and
  Ea = 128.9 kJ/mol (FUJIFILM Wako V-60 data sheet; Polymer Handbook 4th ed., II/1),
  i.e. A = 1.58e15 s^-1; initiator efficiency ``f = 0.6`` (Polymer Handbook range 0.5-0.7).

Transfer to solvent is not modelled: the seed's recipes name no solvent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

__all__ = ["R_GAS", "M_BA", "Arrhenius", "Kinetics", "BA_AIBN", "KINETICS_VERSION", "MECHANISMS"]

R_GAS = 8.314462618  # J/(mol K)
M_BA = 128.17  # g/mol, n-butyl acrylate repeat unit
KINETICS_VERSION = "ba-aibn-2"
MECHANISMS = {  # mechanism name -> the Kinetics field that switches it
    "backbiting": "kbb", "beta_scission": "kbeta", "transfer_to_polymer": "ktrP",
    "transfer_to_monomer": "ktrM", "chain_length_dependent_termination": "alpha_s",
}


@dataclass(frozen=True)
class Arrhenius:
    """``k(T) = A exp(-Ea/(R T))``; ``A`` in s^-1 or L/mol/s, ``Ea`` in J/mol."""

    A: float
    Ea: float

    def __call__(self, T_C: float) -> float:
        """Rate coefficient at ``T_C`` degrees Celsius."""
        return self.A * math.exp(-self.Ea / (R_GAS * (T_C + 273.15)))


OFF = Arrhenius(0.0, 0.0)


@dataclass(frozen=True)
class Kinetics:
    """Rate coefficients of the BA/AIBN mechanism (see module docstring for sources)."""

    kd: Arrhenius = Arrhenius(1.58e15, 128.9e3)
    f: float = 0.6
    kp: Arrhenius = Arrhenius(2.21e7, 17.9e3)
    kbb: Arrhenius = Arrhenius(7.41e7, 32.7e3)
    kpt: Arrhenius = Arrhenius(1.52e6, 28.9e3)
    kt11: Arrhenius = Arrhenius(1.3e10, 8.4e3)
    alpha_s: float = 0.85
    alpha_l: float = 0.16
    i_c: float = 30.0
    st_ratio: float = 1 / 5
    tt_ratio: float = 1 / 50
    comb_ss: float = 0.9
    ktrM: Arrhenius = Arrhenius(2.88e5, 32.6e3)
    kbeta: Arrhenius = Arrhenius(1.49e9, 63.9e3)
    ktrP: Arrhenius = OFF

    def at(self, T_C: float) -> dict[str, float]:
        """All Arrhenius coefficients at ``T_C`` degC plus the dimensionless parameters."""
        out = {k: getattr(self, k) for k in ("f", "st_ratio", "tt_ratio", "comb_ss")}
        for name in ("kd", "kp", "kbb", "kpt", "kt11", "ktrM", "kbeta", "ktrP"):
            out[name] = getattr(self, name)(T_C)
        return out

    def kt_ss(self, T_C: float, n: np.ndarray) -> np.ndarray:
        """Composite-model ``kt_ss(i,i)`` (L/mol/s, IUPAC convention) for chain lengths ``n``."""
        n = np.asarray(n, dtype=float)
        short = n**-self.alpha_s
        long = self.i_c ** (self.alpha_l - self.alpha_s) * n**-self.alpha_l
        return self.kt11(T_C) * np.where(n <= self.i_c, short, long)

    def without(self, *steps: str) -> "Kinetics":
        """A copy with the named steps switched off: rate fields (``"kbb"``, ``"kbeta"``, ...)
        or ``"cld"`` (chain-length-independent termination at ``kt_ss(1,1)``)."""
        changes = {s: OFF for s in steps if s != "cld"}
        if "cld" in steps:
            changes.update(alpha_s=0.0, alpha_l=0.0)
        return replace(self, **changes)

    def active_mechanisms(self) -> list[str]:
        """Names of the mechanisms with non-zero rates (keys of ``MECHANISMS``)."""
        on = []
        for name, fld in MECHANISMS.items():
            v = getattr(self, fld)
            if (v.A > 0) if isinstance(v, Arrhenius) else (v > 0):
                on.append(name)
        return on


BA_AIBN = Kinetics()
