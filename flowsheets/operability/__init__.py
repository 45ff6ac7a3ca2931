"""Operability case studies: shower problem, DMA-MR membrane reactor, IDAES CSTR, dynamic examples."""

from __future__ import annotations
