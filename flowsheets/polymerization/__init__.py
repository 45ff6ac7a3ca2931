"""Case study: recipe inversion for AIBN-initiated solution polymerization of n-butyl acrylate (seed 002).

* :mod:`~flowsheets.polymerization.kinetics` -- literature Arrhenius constants (cited), composite kt(i,j);
* :mod:`~flowsheets.polymerization.qssa` -- quasi-steady radical chain-length distributions (numba);
* :mod:`~flowsheets.polymerization.simulator` -- deterministic batch FRP simulator, full chain-length resolution;
* :mod:`~flowsheets.polymerization.kmc` -- Gillespie kinetic Monte Carlo of the same mechanism (numba);
* :mod:`~flowsheets.polymerization.validation` -- deterministic vs kMC MMD and the kMC noise floor;
* :mod:`~flowsheets.polymerization.identifiability` -- Fisher information and profile likelihood of the MMD misfit;
* :mod:`~flowsheets.polymerization.mmd` -- the 100-value MMD representation and its checks;
* :mod:`~flowsheets.polymerization.data` -- Latin-hypercube data sets through ``idaes_ml.parallel.map``;
* :mod:`~flowsheets.polymerization.direct_inverse` -- the seed's RF / NN inverse regression and tables;
* :mod:`~flowsheets.polymerization.forward` -- forward network recipe -> (cBA, conversion, Mn, Mw, MMD PCA);
* :mod:`~flowsheets.polymerization.eo_inverse` -- EO inversion, identifiability, re-simulation, design query;
* :mod:`~flowsheets.polymerization.cli` -- ``python -m flowsheets.polymerization --target FILE.csv``.
"""

from __future__ import annotations
