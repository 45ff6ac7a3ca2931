"""Case study: a series-parallel network of jacketed van de Vusse CSTRs (issue 7).

:mod:`.plant` (ground-truth dynamics, scipy BDF), :mod:`.dae` (the same balances as a
Pyomo.DAE collocation model, a drop-in plant), :mod:`.idaes_plant` (the same network as an IDAES
dynamic flowsheet of CSTRs, jackets, Separator and Mixer with the property and reaction packages of
:mod:`.properties` and :mod:`.reactions`, a drop-in plant), :mod:`.steady_state` (Pyomo steady state, setpoint
checks), :mod:`.control` (PI baseline), :mod:`.scenarios` (disturbances, closed-loop scoring),
:mod:`.learned` (data, per-reactor neural models, learned graph), :mod:`.optimize`
(learned steady optimum, RTO and receding-horizon policies), :mod:`.operability` (funnel, dOI),
:mod:`.campaign` (picklable closed-loop jobs for :func:`idaes_ml.parallel.map`).
"""

from __future__ import annotations
