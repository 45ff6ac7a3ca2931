"""Cumene process case study (benzene + propylene -> cumene, with DIPB transalkylation).

:mod:`.properties` / :mod:`.reactions` (thermo and kinetics with sources) ->
:mod:`.flowsheet` (IDAES ground truth, nested recycles) -> :mod:`.solve` (documented
initialization, EO and SequentialDecomposition) -> :mod:`.data` (Latin hypercube, tidy
table) -> :mod:`.ml` (unit networks, torch cycle graph) -> :mod:`.study` (cycle solvers,
fine-tuning through the solver) -> :mod:`.ml_flowsheet` / :mod:`.eo_study` (SurrogateUnit
flowsheet solved with Ipopt) -> :mod:`.economics` (profit optimization).
"""

from __future__ import annotations
