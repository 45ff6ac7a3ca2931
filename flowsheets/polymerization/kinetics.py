"""Arrhenius rate coefficients for AIBN-initiated solution FRP of n-butyl acrylate (BA).

    >>> from flowsheets.polymerization.kinetics import BA_AIBN
    >>> k = BA_AIBN.at(70.0)
    >>> 3.0e4 < k["kp"] < 5.0e4          # IUPAC benchmark kp(70 degC), L/mol/s
    True

Every coefficient is ``A * exp(-Ea / (R T))`` with ``A`` in s^-1 or L mol^-1 s^-1
and ``Ea`` in J/mol.  Sources (all for BA unless stated):

* ``kp`` -- secondary (chain-end) radical propagation, IUPAC benchmark:
  Asua, Beuermann, Buback, Castignolles, Charleux, Gilbert, Hutchinson, Leiza,
  Nikitin, Vairon, van Herk, *Macromol. Chem. Phys.* 2004, 205, 2151:
  A = 2.21e7 L/mol/s, Ea = 17.9 kJ/mol.
* ``kbb`` -- backbiting (1,5-H shift, chain-end -> mid-chain radical) and
  ``kpt`` -- mid-chain (tertiary) radical propagation: Nikitin, Hutchinson,
  Buback, Hesse, *Macromolecules* 2007, 40, 8631: kbb = 7.41e7 exp(-32.7 kJ/RT) s^-1,
  kpt = 1.52e6 exp(-28.9 kJ/RT) L/mol/s (consistent with the kbb/kpt fitted by
  Barth, Buback, Hesse, Sergeeva, *Macromolecules* 2010, 43, 4023).
* ``kt_ss``, ``kt_st``, ``kt_tt`` -- termination of two chain-end radicals, chain-end
  with mid-chain, two mid-chain radicals.  Barth et al. (*Macromolecules* 2010, 43,
  4023, SP-PLP-EPR of 1.5 M BA in toluene) give kt_ss(1,1) = 1.3e10 exp(-8.4 kJ/RT)
  with chain-length exponents 0.85 (short) / 0.16 (long chains, crossover i_c = 30)
  and kt_st about 1/5 and kt_tt about 1/50 of kt_ss at equal chain length.  This model uses
  chain-length-independent *composite* values for macroradicals of ~300 units:
  kt_ss = 1.3e10 * 30^-0.85 * 10^-0.16 exp(-8.4 kJ/RT), kt_st = kt_ss/5, kt_tt = kt_ss/50
  (an approximation of the composite model; stated here, not taken from the paper).
* Termination mode: chain-end radicals of acrylates terminate mainly by combination
  (Nakamura, Yamago, *Macromolecules* 2015, 48, 6450) -- fraction ``comb_ss = 0.9``;
  terminations involving a mid-chain (tertiary) radical are taken as disproportionation
  (``comb_st = comb_tt = 0``), like the tertiary methacrylate radicals.
* ``ktrM`` -- transfer to monomer: Maeder, Gilbert, *Macromolecules* 1998, 31, 4410:
  ktr,M = 2.88e5 exp(-32.6 kJ/RT) L/mol/s (C_M ~ 6e-5 at 60 degC).
* ``kd`` -- AIBN decomposition: 10-h half-life temperature 65 degC in toluene and
  Ea = 128.9 kJ/mol (FUJIFILM Wako V-60 data sheet; Polymer Handbook 4th ed., II/1),
  i.e. A = 1.58e15 s^-1; initiator efficiency ``f = 0.6`` (Polymer Handbook range 0.5-0.7).

beta-scission of mid-chain radicals (optional in the brief) is not modelled: at 60-80 degC
it is slow (Nikitin et al., *Macromol. React. Eng.* 2010, 4, 691) next to mid-chain
propagation and termination.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

__all__ = ["R_GAS", "M_BA", "Arrhenius", "Kinetics", "BA_AIBN", "KINETICS_VERSION"]

R_GAS = 8.314462618  # J/(mol K)
M_BA = 128.17  # g/mol, n-butyl acrylate repeat unit
KINETICS_VERSION = "ba-aibn-1"


@dataclass(frozen=True)
class Arrhenius:
    """``k(T) = A exp(-Ea/(R T))``; ``A`` in s^-1 or L/mol/s, ``Ea`` in J/mol."""

    A: float
    Ea: float

    def __call__(self, T_C: float) -> float:
        """Rate coefficient at ``T_C`` degrees Celsius."""
        return self.A * math.exp(-self.Ea / (R_GAS * (T_C + 273.15)))

    def scaled(self, factor: float) -> "Arrhenius":
        """The same temperature dependence times ``factor``."""
        return Arrhenius(self.A * factor, self.Ea)


_KT_SS = Arrhenius(1.3e10 * 30**-0.85 * 10**-0.16, 8.4e3)


@dataclass(frozen=True)
class Kinetics:
    """Rate coefficients of the BA/AIBN mechanism (see module docstring for sources)."""

    kd: Arrhenius = Arrhenius(1.58e15, 128.9e3)
    f: float = 0.6
    kp: Arrhenius = Arrhenius(2.21e7, 17.9e3)
    kbb: Arrhenius = Arrhenius(7.41e7, 32.7e3)
    kpt: Arrhenius = Arrhenius(1.52e6, 28.9e3)
    kt_ss: Arrhenius = _KT_SS
    kt_st: Arrhenius = field(default_factory=lambda: _KT_SS.scaled(1 / 5))
    kt_tt: Arrhenius = field(default_factory=lambda: _KT_SS.scaled(1 / 50))
    comb_ss: float = 0.9
    comb_st: float = 0.0
    comb_tt: float = 0.0
    ktrM: Arrhenius = Arrhenius(2.88e5, 32.6e3)

    def at(self, T_C: float) -> dict[str, float]:
        """All coefficients (and ``f``, combination fractions) at ``T_C`` degC."""
        out = {"f": self.f, "comb_ss": self.comb_ss, "comb_st": self.comb_st, "comb_tt": self.comb_tt}
        for name in ("kd", "kp", "kbb", "kpt", "kt_ss", "kt_st", "kt_tt", "ktrM"):
            out[name] = getattr(self, name)(T_C)
        return out

    def without(self, *steps: str) -> "Kinetics":
        """A copy with the named steps switched off (e.g. ``"kbb", "ktrM"``)."""
        return replace(self, **{s: Arrhenius(0.0, 0.0) for s in steps})


BA_AIBN = Kinetics()
