"""Block diagram of the cumene flowsheet (units, streams, tear streams) as a PNG.

    >>> draw_flowsheet("cumene_flowsheet.png")            # doctest: +SKIP

Drawn from :data:`.units.EDGES`, :data:`.units.FEEDS`, :data:`.units.PRODUCTS` and
:data:`.units.TEARS`, so the picture cannot drift from the model's topology.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from idaes_ml.plotting import save_figure

from flowsheets.cumene.units import EDGES, FEEDS, PRODUCTS, TEARS, UNITS

__all__ = ["POSITIONS", "draw_flowsheet"]

#: Unit -> (x, y) on the drawing; the main train runs left to right, the loops below it.
POSITIONS = {"M101": (0, 2), "H101": (1, 2), "R101": (2, 2), "M102": (3, 2), "H102": (4, 2),
             "F101": (5, 2), "C1": (6, 2), "C2": (7.2, 2), "S1": (6, 0.2), "M103": (5, 0.9), "R102": (4, 0.9)}
#: Product port -> direction of its outgoing arrow.
_PRODUCT_DIRECTION = {"vap_outlet": (0.0, 0.7), "purge": (0.0, -0.7), "product": (0.7, 0.0)}


def draw_flowsheet(path: str | Path) -> Path:
    """Save the block diagram: grey streams, red tear streams, feeds and products."""
    missing = set(UNITS) - set(POSITIONS)
    if missing:
        raise ValueError(f"no drawing position for units {sorted(missing)}")
    fig, ax = plt.subplots(figsize=(11, 4.2))
    for (src, out), (dst, _) in EDGES.items():
        tear = (src, out) in TEARS
        (x0, y0), (x1, y1) = POSITIONS[src], POSITIONS[dst]
        long_way = abs(x1 - x0) > 2  # the benzene recycle runs under the lower row
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "-|>", "color": "tab:red" if tear else "0.4", "lw": 2 if tear else 1.2,
                                "shrinkA": 16, "shrinkB": 16,
                                "connectionstyle": f"arc3,rad={-0.3 if long_way else (-0.25 if y0 != y1 else 0.0)}"})
        if tear:
            ax.text((x0 + x1) / 2 + (0 if long_way else 0.35), (y0 + y1) / 2 - (1.0 if long_way else 0.0),
                    f"tear {src}.{out}", color="tab:red", ha="center", fontsize=8)
    for unit, port in FEEDS:
        x, y = POSITIONS[unit]
        ax.annotate(port.replace("_", " "), xy=(x, y), xytext=(x - 0.9, y + 0.6 if "benz" in port else y - 0.6),
                    arrowprops={"arrowstyle": "-|>", "color": "tab:blue", "shrinkB": 16}, fontsize=8, color="tab:blue")
    for unit, port in PRODUCTS:
        x, y = POSITIONS[unit]
        dx, dy = _PRODUCT_DIRECTION[port]
        ax.annotate("", xy=(x + dx, y + dy), xytext=(x, y),
                    arrowprops={"arrowstyle": "-|>", "color": "tab:green", "shrinkA": 14})
        ax.text(x + 1.6 * dx, y + 1.2 * dy, port.replace("_", " "), fontsize=8, color="tab:green",
                ha="center", va="center")
    for unit, (x, y) in POSITIONS.items():
        ax.text(x, y, unit, ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "black"})
    ax.set_xlim(-1.2, 8.4)
    ax.set_ylim(-1.3, 2.9)
    ax.axis("off")
    ax.set_title("Cumene process: benzene loop (M101…S1) and DIPB loop (C2→M103→R102→M102); tears in red",
                 fontsize=9)
    return save_figure(fig, path)
