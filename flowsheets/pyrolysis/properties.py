"""Wood and char properties, particle geometry and oven heat transfer of both particle models.

Every constant names the source it was read from with the ``search`` tool;
values marked *assumed* have no verified source and are listed as such.

* Wood (apparent density 700 kg/m³, heat capacity 1500 J/(kg K), conductivity
  0.105 W/(m K)) and char (1100 J/(kg K), 0.071 W/(m K)), heat of the primary
  pyrolysis reactions 255 kJ/kg (endothermic): K. Papadikis, S. Gu,
  A.V. Bridgwater, "Computational modelling of the impact of particle size to the
  heat transfer coefficient between biomass particles and a fluidised bed",
  Fuel Process. Technol. 91 (2010) 68–79, Table 1 — read in public code that
  transcribes it ("Parameters from Papadikis2010a Table 1": ρ, cp, k of wood in
  alexlib/trans_heat_cond ``numerical/num_sphere.py``; char cp, k and the heat of
  reaction in the same author's comparison script for that paper).
* Moisture evaporation ``k = 5.13e6 exp(-87.9 kJ/mol / RT)`` 1/s:
  W.-C.R. Chan, M. Kelbon, B.B. Krieger, "Modelling and experimental verification
  of physical and chemical processes during pyrolysis of a large biomass
  particle", Fuel 64 (1985) 1505–1513, Table 2 (wigging/kinetic-schemes ``funcChan.py``).
* Heat capacity of liquid water 4180 J/(kg K): S.V. Glass & S.L. Zelinka, Wood
  Handbook (2010), ch. 4 (wigging/low-order-particle ``funcProps.py``, Eq. 4-17).
* Latent heat of water 2.263 MJ/kg and molar mass of water 18 g/mol: the species
  balance of the public PKP pyrolysis code (its comment cites *Formeln und
  Tabellen*, Paetec, 8th ed.; table not seen).
* Cell-wall (skeletal) density 1530 kg/m³ (specific gravity 1.53 of compressed
  cell wall, quoted on a wood-science page found by the search); porosity follows
  from it and the local solid density.
* Corroboration only: the heat of primary pyrolysis (255 kJ/kg) lies in the
  207–434 kJ/kg measured by M. Van de Velden, J. Baeyens et al., "Fundamentals,
  kinetics and endothermicity of the biomass pyrolysis reaction", Renew. Energy 35
  (2010) 232–242 (abstract); wood and char conductivities 0.105 / 0.071 W/(m K) are
  also the values of a public transcription of C. Di Blasi, Int. J. Heat Mass
  Transfer 41 (1998) 4139 (pf4d/wood_pyrolysis ``diblasi/p_diblasi_1998.py``; table
  not seen).
* Heat of the activation steps (component -> active form) zero: the same Di Blasi
  (1998) transcription sets the enthalpy change of its wood -> active-wood step to 0
  (``delta_h_W``).
* *Assumed* (no verified source found): oven convection coefficient 50 W/(m² K),
  surface emissivity 0.95, heat capacity of the pore gas 1100 J/(kg K), molar
  masses of tar 100 g/mol and permanent gas 30 g/mol, heat of tar cracking zero.
  Searched for (``search`` tool, docs/pages/code corpora):
  Grønli & Melaaen (Energy Fuels 2000), Park, Atreya & Baum (Combust. Flame 2010)
  and Park's 2008 dissertation, Di Blasi (Prog. Energy Combust. Sci. 2008), Bryden,
  Ragland & Rutland (2002), Koufopanos et al. (1991), Lu et al. (Energy Fuels 2008),
  Ragland et al. (Bioresour. Technol. 1991): the stored pages show titles and
  abstracts, never their property tables, so none of these values could be checked.
  The only tabulated values found disagree with ours (the Di Blasi 1998
  transcription: emissivity 0.8, h 20 W/(m² K), gas cp 1800 J/(kg K)); they are
  reported, not adopted, because the ground truth was generated with the values
  above. The wood moisture content is the part of the 0D model's initial
  composition (``kinetics.M0``) not in the three components.

Geometry (a cylinder of length = Feret length ``FL`` and diameter ``FL/aspect``):
conduction runs across the short dimension, radius ``R = FL/(2 aspect)``; the
1-D shape factor ``n`` (0 slab, 1 cylinder, 2 sphere) is chosen so that the
equivalent body keeps the cylinder's volume-to-surface ratio,
``R/(n+1) = V/A``, which gives ``n = 1 + 1/aspect``.

    >>> from flowsheets.pyrolysis.properties import ParticleGeometry
    >>> g = ParticleGeometry.from_feret(4.0, 4.0)
    >>> round(g.radius * 1e3, 3), round(g.shape, 3)
    (0.5, 1.25)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from idaes_ml.errors import DataError

if TYPE_CHECKING:
    import torch
    from pyomo.core.expr.numvalue import NumericValue

    #: A temperature-like quantity: float, numpy array, torch tensor or Pyomo variable/expression.
    Numeric = float | np.ndarray | torch.Tensor | NumericValue

__all__ = ["WoodProperties", "ParticleGeometry", "WOOD", "STEFAN_BOLTZMANN", "surface_flux", "lumped_heating"]

STEFAN_BOLTZMANN = 5.670374419e-8  # W/(m² K⁴)


@dataclass(frozen=True)
class WoodProperties:
    """Wood, char, moisture and pore-gas properties and oven heat transfer (SI units; sources above)."""

    density: float = 700.0
    cp_wood: float = 1500.0
    cp_char: float = 1100.0
    cp_water: float = 4180.0
    cp_gas: float = 1100.0
    k_wood: float = 0.105
    k_char: float = 0.071
    skeletal_density: float = 1530.0
    water_density: float = 1000.0
    heat_primary: float = 255e3
    latent_heat: float = 2.263e6
    A_dry: float = 5.13e6
    E_dry: float = 87.9
    molar_mass_tar: float = 0.100
    molar_mass_gas: float = 0.030
    molar_mass_water: float = 0.018
    pressure: float = 101325.0
    h_conv: float = 50.0
    emissivity: float = 0.95
    T_initial: float = 300.0


WOOD = WoodProperties()


def surface_flux(T_surface: Numeric, T_oven: Numeric, props: WoodProperties = WOOD) -> Numeric:
    """Heat flux into the particle [W/m²]: convection plus wall radiation."""
    return props.h_conv * (T_oven - T_surface) + props.emissivity * STEFAN_BOLTZMANN * (
        T_oven**4 - T_surface**4)


def lumped_heating(T: Numeric, T_oven: Numeric, a_over_v: Numeric,
                   props: WoodProperties = WOOD) -> tuple[Numeric, Numeric]:
    """``(dT/dt, d(dT/dt)/dT)`` of a lumped dry-wood particle with surface-to-volume ratio ``a_over_v`` [1/m]."""
    q = surface_flux(T, T_oven, props)
    dq = -props.h_conv - 4 * props.emissivity * STEFAN_BOLTZMANN * T**3
    scale = a_over_v / (props.density * props.cp_wood)
    return scale * q, scale * dq


@dataclass(frozen=True)
class ParticleGeometry:
    """Conduction radius [m] and 1-D shape factor of a particle."""

    radius: float
    shape: float

    @classmethod
    def from_feret(cls, feret_mm: float, aspect: float) -> "ParticleGeometry":
        """Geometry of a cylinder with Feret length ``feret_mm`` [mm] and aspect ratio ``aspect`` (>= 1)."""
        if not (np.isfinite(feret_mm) and feret_mm > 0 and np.isfinite(aspect) and aspect >= 1):
            raise DataError(f"need Feret length > 0 mm and aspect >= 1, got FL={feret_mm}, aspect={aspect}")
        return cls(radius=feret_mm * 1e-3 / (2.0 * aspect), shape=1.0 + 1.0 / aspect)

    @property
    def volume_to_surface(self) -> float:
        """V/A [m] of the equivalent body, ``R/(n+1)``."""
        return self.radius / (self.shape + 1.0)

    def biot(self, T_oven: float, props: WoodProperties = WOOD) -> float:
        """Biot number ``h_eff R / k_wood`` with the radiative coefficient at ``T_oven``."""
        h_eff = props.h_conv + 4 * props.emissivity * STEFAN_BOLTZMANN * T_oven**3
        return h_eff * self.radius / props.k_wood
