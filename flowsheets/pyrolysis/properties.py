"""Wood properties, particle geometry and oven heat transfer shared by both particle models.

Property values (dry wood, constant except the heat capacity):

* density 450 kg/m³ and heat capacity ``cp = 1500 + 1.0 T`` J/(kg K):
  M.G. Grønli & M.C. Melaaen, "Mathematical model of wood pyrolysis including
  internal forced convection", Energy & Fuels 14 (2000) 791–800 (spruce);
  the same magnitudes are collected by C. Di Blasi,
  "Modeling chemical and physical processes of wood and biomass pyrolysis",
  Prog. Energy Combust. Sci. 34 (2008) 47–90.
* thermal conductivity across the grain 0.105 W/(m K), along the grain
  0.255 W/(m K) (Grønli & Melaaen 2000).
* oven: convection coefficient 50 W/(m² K) (order of the single-particle
  values collected by Di Blasi 2008) plus radiation from the oven walls with
  emissivity 0.95.

Geometry (a cylinder of length = Feret length ``FL`` and diameter ``FL/aspect``):
conduction runs across the short dimension, radius ``R = FL/(2 aspect)``; the
1-D shape factor ``n`` (0 slab, 1 cylinder, 2 sphere) is chosen so that the
equivalent body keeps the cylinder's volume-to-surface ratio,
``R/(n+1) = V/A``, which gives ``n = 1 + 1/aspect``. Anisotropy enters as an
area-weighted conductivity: the end caps (area fraction ``1/(2 aspect + 1)``)
conduct along the grain, the mantle across it.

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
    """Dry-wood thermophysical properties and oven heat-transfer parameters (SI units)."""

    density: float = 450.0
    cp_a: float = 1500.0
    cp_b: float = 1.0
    k_perp: float = 0.105
    k_par: float = 0.255
    h_conv: float = 50.0
    emissivity: float = 0.95
    T_initial: float = 300.0

    def cp(self, T: Numeric) -> Numeric:
        """Heat capacity [J/(kg K)] at ``T`` [K] (works on numpy, torch and Pyomo expressions)."""
        return self.cp_a + self.cp_b * T


WOOD = WoodProperties()


def surface_flux(T_surface: Numeric, T_oven: Numeric, props: WoodProperties = WOOD) -> Numeric:
    """Heat flux into the particle [W/m²]: convection plus wall radiation."""
    return props.h_conv * (T_oven - T_surface) + props.emissivity * STEFAN_BOLTZMANN * (
        T_oven**4 - T_surface**4)


def lumped_heating(T: Numeric, T_oven: Numeric, a_over_v: Numeric,
                   props: WoodProperties = WOOD) -> tuple[Numeric, Numeric]:
    """``(dT/dt, d(dT/dt)/dT)`` of a lumped particle with surface-to-volume ratio ``a_over_v`` [1/m]."""
    cp, q = props.cp(T), surface_flux(T, T_oven, props)
    dq = -props.h_conv - 4 * props.emissivity * STEFAN_BOLTZMANN * T**3
    scale = a_over_v / props.density
    return scale * q / cp, scale * (dq * cp - q * props.cp_b) / (cp * cp)


@dataclass(frozen=True)
class ParticleGeometry:
    """Conduction radius [m], 1-D shape factor and effective conductivity of a particle."""

    radius: float
    shape: float
    conductivity: float

    @classmethod
    def from_feret(cls, feret_mm: float, aspect: float, props: WoodProperties = WOOD) -> "ParticleGeometry":
        """Geometry of a cylinder with Feret length ``feret_mm`` [mm] and aspect ratio ``aspect`` (>= 1)."""
        if not (np.isfinite(feret_mm) and feret_mm > 0 and np.isfinite(aspect) and aspect >= 1):
            raise DataError(f"need Feret length > 0 mm and aspect >= 1, got FL={feret_mm}, aspect={aspect}")
        cap_fraction = 1.0 / (2.0 * aspect + 1.0)
        k_eff = props.k_perp * (1 - cap_fraction) + props.k_par * cap_fraction
        return cls(radius=feret_mm * 1e-3 / (2.0 * aspect), shape=1.0 + 1.0 / aspect, conductivity=k_eff)

    @property
    def volume_to_surface(self) -> float:
        """V/A [m] of the equivalent body, ``R/(n+1)``."""
        return self.radius / (self.shape + 1.0)

    def biot(self, T_oven: float, props: WoodProperties = WOOD) -> float:
        """Biot number ``h_eff R / k`` with the radiative coefficient at ``T_oven``."""
        h_eff = props.h_conv + 4 * props.emissivity * STEFAN_BOLTZMANN * T_oven**3
        return h_eff * self.radius / self.conductivity
