"""Biomass particle pyrolysis: reduced 0D Miller–Bellan model, 1-D conduction ground truth, closure study (seed 003)."""

from __future__ import annotations
