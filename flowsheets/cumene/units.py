"""Unit-by-unit description of the cumene flowsheet: ports, parameters, stream columns.

``UNITS`` is the single source of the flowsheet's graph for data tables, single-unit
networks and the torch cycle solver. A stream is the vector ``STREAM_VARS`` of one
port; table columns are ``"<unit>.<port>.<var>"`` (e.g. ``"R101.outlet.temperature"``),
unit-level results ``"<unit>.heat_duty"`` and operating conditions ``"cond.<name>"``.

    >>> column("R101", "outlet", "flow_mol_comp[cumene]")
    'R101.outlet.flow_mol_comp[cumene]'
"""

from __future__ import annotations

import pyomo.environ as pyo

from idaes_ml.balances import ReactionHead, SplitHead

from flowsheets.cumene.flowsheet import reactor_names
from flowsheets.cumene.properties import ATOMS, COMPONENTS

__all__ = ["STREAM_VARS", "UNITS", "HEADS", "SPLITTERS", "EDGES", "FEEDS", "PRODUCTS", "TEARS", "column",
           "unit_specs", "edges", "stream_values", "atom_balance", "kpis"]

STREAM_VARS = [f"flow_mol_comp[{c}]" for c in COMPONENTS] + ["temperature", "pressure"]

#: unit -> inlet ports, outlet ports, operating conditions it sees, unit results recorded.
UNITS: dict[str, dict[str, list[str]]] = {
    "M101": {"inlets": ["benzene_feed", "propylene_feed", "recycle"], "outlets": ["outlet"], "params": [], "results": []},
    "H101": {"inlets": ["inlet"], "outlets": ["outlet"], "params": ["reactor_T"], "results": ["heat_duty"]},
    "R101": {"inlets": ["inlet"], "outlets": ["outlet"], "params": ["reactor_T", "reactor_volume"], "results": ["heat_duty"]},
    "M102": {"inlets": ["reactor", "trans"], "outlets": ["outlet"], "params": ["flash_P"], "results": []},
    "H102": {"inlets": ["inlet"], "outlets": ["outlet"], "params": ["flash_T"], "results": ["heat_duty"]},
    "F101": {"inlets": ["inlet"], "outlets": ["vap_outlet", "liq_outlet"], "params": [], "results": []},
    "C1": {"inlets": ["inlet"], "outlets": ["distillate", "bottoms"], "params": [], "results": []},
    "S1": {"inlets": ["inlet"], "outlets": ["recycle", "trans", "purge"], "params": ["purge_fraction", "trans_fraction"], "results": []},
    "C2": {"inlets": ["inlet"], "outlets": ["product", "heavies"], "params": [], "results": []},
    "M103": {"inlets": ["heavies", "benzene"], "outlets": ["outlet"], "params": [], "results": []},
    "R102": {"inlets": ["inlet"], "outlets": ["outlet"], "params": ["trans_conversion"], "results": ["heat_duty"]},
}

#: Balance heads of the structured unit networks (:mod:`idaes_ml.balances`): separators
#: predict per-component split logits, reactors the extents of the reactions of
#: :mod:`.reactions` (R1, R2 as fractions of the inlet propylene; TRANS as a fraction of
#: the inlet DIPB, i.e. its conversion). Outlet flows then close every balance exactly.
HEADS = {
    "F101": SplitHead(("vap_outlet", "liq_outlet"), COMPONENTS),
    "C1": SplitHead(("distillate", "bottoms"), COMPONENTS),
    "C2": SplitHead(("product", "heavies"), COMPONENTS),
    "R101": ReactionHead({"R1": {"benzene": -1, "propylene": -1, "cumene": 1},
                          "R2": {"cumene": -1, "propylene": -1, "dipb": 1}}, COMPONENTS,
                         basis={"R1": "propylene", "R2": "propylene"}),
    "R102": ReactionHead({"TRANS": {"dipb": -1, "benzene": -1, "cumene": 2}}, COMPONENTS, basis={"TRANS": "dipb"}),
}
#: Splitters whose fractions are operating conditions: outlet -> condition (the rest: remainder).
SPLITTERS = {"S1": {"purge": "purge_fraction", "trans": "trans_fraction"}}

#: (source unit, outlet) -> (destination unit, inlet), for one alkylation reactor.
EDGES = {
    ("M101", "outlet"): ("H101", "inlet"),
    ("H101", "outlet"): ("R101", "inlet"),
    ("R101", "outlet"): ("M102", "reactor"),
    ("M102", "outlet"): ("H102", "inlet"),
    ("H102", "outlet"): ("F101", "inlet"),
    ("F101", "liq_outlet"): ("C1", "inlet"),
    ("C1", "distillate"): ("S1", "inlet"),
    ("C1", "bottoms"): ("C2", "inlet"),
    ("S1", "recycle"): ("M101", "recycle"),
    ("S1", "trans"): ("M103", "benzene"),
    ("C2", "heavies"): ("M103", "heavies"),
    ("M103", "outlet"): ("R102", "inlet"),
    ("R102", "outlet"): ("M102", "trans"),
}
FEEDS = [("M101", "benzene_feed"), ("M101", "propylene_feed")]
PRODUCTS = [("F101", "vap_outlet"), ("S1", "purge"), ("C2", "product")]
TEARS = [("S1", "recycle"), ("R102", "outlet")]


def column(unit: str, port: str, var: str) -> str:
    """Table column of one stream variable."""
    return f"{unit}.{port}.{var}"


def unit_specs(n_reactors: int = 1) -> dict[str, dict[str, list[str]]]:
    """``UNITS`` with the alkylation reactor repeated ``n_reactors`` times in series."""
    specs = {}
    for name, spec in UNITS.items():
        if name == "R101":
            for r in reactor_names(n_reactors):
                specs[r] = spec
        else:
            specs[name] = spec
    return specs


def edges(n_reactors: int = 1) -> dict[tuple[str, str], tuple[str, str]]:
    """``EDGES`` with the alkylation reactor repeated ``n_reactors`` times in series."""
    names = reactor_names(n_reactors)
    out = {src: dst for src, dst in EDGES.items() if src != ("R101", "outlet")}
    for a, b in zip(names[:-1], names[1:]):
        out[(a, "outlet")] = (b, "inlet")
    out[(names[-1], "outlet")] = EDGES[("R101", "outlet")]
    return out


def stream_values(m: pyo.ConcreteModel) -> dict[str, float]:
    """Every unit's inlet/outlet stream values and results as one flat row."""
    row: dict[str, float] = {}
    for name, spec in unit_specs(m.fs.n_reactors).items():
        unit = getattr(m.fs, name)
        for port in spec["inlets"] + spec["outlets"]:
            p = getattr(unit, port)
            for c in COMPONENTS:
                row[column(name, port, f"flow_mol_comp[{c}]")] = pyo.value(p.flow_mol_comp[0, c])
            row[column(name, port, "temperature")] = pyo.value(p.temperature[0])
            row[column(name, port, "pressure")] = pyo.value(p.pressure[0])
        for res in spec["results"]:
            if hasattr(unit, res):  # a network stand-in may not model e.g. a heat duty
                row[f"{name}.{res}"] = pyo.value(getattr(unit, res)[0])
    return row


def atom_balance(m: pyo.ConcreteModel) -> dict[str, float]:
    """Relative C and H imbalance (in - out) / in over the plant boundary."""
    out = {}
    fs = m.fs
    for atom in ("C", "H"):
        def flux(ports):
            return sum(ATOMS[c][atom] * pyo.value(p.flow_mol_comp[0, c]) for p in ports for c in COMPONENTS)

        fin = flux([getattr(getattr(fs, u), p) for u, p in FEEDS])
        fout = flux([getattr(getattr(fs, u), p) for u, p in PRODUCTS])
        out[atom] = (fin - fout) / fin
    return out


def kpis(row: dict[str, float]) -> dict[str, float]:
    """Key outputs: cumene product flow and purity, recycle flows."""
    prod = [row[column("C2", "product", f"flow_mol_comp[{c}]")] for c in COMPONENTS]
    return {
        "cumene_flow": row[column("C2", "product", "flow_mol_comp[cumene]")],
        "cumene_purity": row[column("C2", "product", "flow_mol_comp[cumene]")] / sum(prod),
        "benzene_recycle": sum(row[column("S1", "recycle", f"flow_mol_comp[{c}]")] for c in COMPONENTS),
        "trans_return": sum(row[column("R102", "outlet", f"flow_mol_comp[{c}]")] for c in COMPONENTS),
    }

