"""Economic optimization of the cumene plant: profit with a cumene purity constraint.

    profit [$/h] = 3.6 (p_C F_cumene,product - p_B F_benzene,feed - p_P F_C3,feed)
                   - 3.6e-6 (c_heat Q_H101 - c_cool Q_H102)

(flows in mol/s, duties in W). Prices are illustrative assumptions of the order used by
Luyben (Ind. Eng. Chem. Res. 2010, 49, 719) and Turton et al. (2003): benzene 68.7 $/kmol,
propylene 34.3 $/kmol, cumene 120 $/kmol, fired heat 9.83 $/GJ, cooling water 0.354 $/GJ.
The same decisions and objective are built on the ground truth (:mod:`.flowsheet`) and on
the network flowsheet (:mod:`.ml_flowsheet`) so an ML optimum can be re-simulated on the
ground truth and the profit gap reported.

The optimizer must keep benzene in excess (fresh benzene >= ``MIN_BENZENE_RATIO`` x fresh
propylene), as cumene plants are run (Luyben 2010 uses a large benzene excess): with
propylene in excess the ground truth often has no steady state. In the 360 sampled points
every point with a ratio >= 1 solved, against 62 % between 0.9 and 0.95 and 23 % below 0.9.
The ratio alone is not sufficient: at ratio 1.0 with a 3 % purge the ground truth runs
out of benzene (no steady state), an optimum that networks trained without such points
can propose; so every network optimum is re-simulated on the ground truth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from flowsheets.cumene.flowsheet import CONDITION_BOUNDS
from flowsheets.cumene.properties import COMPONENTS, relax_derived_bounds

if TYPE_CHECKING:
    from pyomo.core.base.var import VarData
    from pyomo.core.expr.numeric_expr import NumericExpression

__all__ = ["PRICES", "DECISIONS", "decision_vars", "profit_expression", "add_economics", "decisions_of",
           "MIN_PURITY", "MIN_BENZENE_RATIO"]

PRICES = {"cumene": 120.0, "benzene": 68.7, "propylene": 34.3, "heat": 9.83, "cooling": 0.354}
MIN_PURITY = 0.99
MIN_BENZENE_RATIO = 1.0
#: operating conditions the optimizer moves (propylene feed = plant capacity stays fixed)
DECISIONS = ["benzene_feed", "reactor_T", "reactor_volume", "flash_T", "flash_P",
             "purge_fraction", "trans_fraction", "trans_conversion"]


def decision_vars(m: pyo.ConcreteModel) -> dict[str, list[VarData]]:
    """Every variable holding each decision in ``m`` (ground truth or network flowsheet)."""
    fs = m.fs
    out = {
        "benzene_feed": [fs.M101.benzene_feed.flow_mol_comp[0, "benzene"]],
        "reactor_T": [fs.H101.outlet.temperature[0]],
        "flash_T": [fs.H102.outlet.temperature[0]],
        "flash_P": [fs.M102.outlet.pressure[0]],
    }
    out["purge_fraction"] = [fs.S1.split_fraction[0, "purge"]]
    out["trans_fraction"] = [fs.S1.split_fraction[0, "trans"]]
    if hasattr(fs.R101, "reactor_volume"):  # network flowsheet: unit variables
        for name, unit in (("reactor_T", fs.R101), ("reactor_volume", fs.R101), ("trans_conversion", fs.R102)):
            if hasattr(unit, name):
                out.setdefault(name, []).append(getattr(unit, name)[0])
    else:
        out["reactor_T"].append(fs.R101.outlet.temperature[0])
        out["reactor_volume"] = [fs.R101.volume[0]]
        out["trans_conversion"] = [fs.trans_conversion]
    return out


def profit_expression(m: pyo.ConcreteModel) -> NumericExpression:
    """The profit in $/h of ``m`` (ground truth or network flowsheet) as a Pyomo expression."""
    fs = m.fs
    prod = fs.C2.product
    f_c3 = sum(fs.M101.propylene_feed.flow_mol_comp[0, c] for c in COMPONENTS)
    return (3.6 * (PRICES["cumene"] * prod.flow_mol_comp[0, "cumene"]
                   - PRICES["benzene"] * fs.M101.benzene_feed.flow_mol_comp[0, "benzene"]
                   - PRICES["propylene"] * f_c3)
            - 3.6e-6 * (PRICES["heat"] * fs.H101.heat_duty[0] - PRICES["cooling"] * fs.H102.heat_duty[0]))


def add_economics(m: pyo.ConcreteModel, free: bool = True,
                  bounds: dict[str, tuple[float, float]] | None = None) -> None:
    """Add ``m.profit`` (objective, maximized) and the purity constraint; free the decisions.

    With ``free`` the first variable of each decision is unfixed within the sampled bounds
    (or within ``bounds``, e.g. a trust region, intersected with them),
    every copy is tied to it by an equality, the benzene-excess constraint is added and
    the bounds of the derived property variables are dropped
    (:func:`.properties.relax_derived_bounds`: without this Ipopt stalls at max_iter).
    """
    fs = m.fs
    prod = fs.C2.product
    m.profit_expr = pyo.Expression(expr=profit_expression(m))
    m.profit = pyo.Objective(expr=-m.profit_expr / 100.0)
    m.purity = pyo.Constraint(expr=prod.flow_mol_comp[0, "cumene"]
                              >= MIN_PURITY * sum(prod.flow_mol_comp[0, c] for c in COMPONENTS))
    if not free:
        return
    relax_derived_bounds(m)
    m.benzene_excess = pyo.Constraint(expr=fs.M101.benzene_feed.flow_mol_comp[0, "benzene"]
                                      >= MIN_BENZENE_RATIO * fs.M101.propylene_feed.flow_mol_comp[0, "propylene"])
    m.ties = pyo.ConstraintList()
    for name, vs in decision_vars(m).items():
        if name not in DECISIONS:
            continue
        lo, hi = CONDITION_BOUNDS[name]
        if bounds is not None and name in bounds:
            lo, hi = max(lo, bounds[name][0]), min(hi, bounds[name][1])
        vs[0].unfix()
        vs[0].setlb(lo)
        vs[0].setub(hi)
        for v in vs[1:]:
            v.unfix()
            m.ties.add(v == vs[0])


def decisions_of(m: pyo.ConcreteModel) -> dict[str, float]:
    """Current values of the decisions (first copy of each)."""
    return {k: pyo.value(vs[0]) for k, vs in decision_vars(m).items() if k in DECISIONS}
