"""Biomass particle pyrolysis: reduced 0D Miller–Bellan model, high-fidelity 1-D particle, closure study (seed 3)."""

from __future__ import annotations
