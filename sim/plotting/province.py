"""The province map of a study: each county's boundary (its folder's ``layers.gpkg``) shaded by its winning strategy
and by the winner's kg CO2 avoided per CNY of capex (:func:`sim.study.county_winners`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..labels import label
from .compare import strategy_label
from .style import DPI, FONT_PT, GREY, palette

MAX_NAMED = 40
"""Counties are named on the map up to this many (beyond, the names would cover the map; the table names them)."""


def county_boundaries(folders: dict[str, Path]):
    """Each county's boundary (WGS 84) from ``<folder>/layers.gpkg`` where it has one, as one GeoDataFrame with a
    ``county`` column (None when no county has one)."""
    import geopandas as gpd
    import pyogrio

    from ..results import LAYERS_FILE

    parts = []
    for county, folder in folders.items():
        path = Path(folder) / LAYERS_FILE
        if path.is_file() and "boundary" in {str(n) for n in pyogrio.list_layers(path)[:, 0]}:
            g = gpd.read_file(path, layer="boundary").to_crs(4326)
            parts.append(gpd.GeoDataFrame({"county": [county]}, geometry=[g.union_all()], crs=4326))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=4326) if parts else None


def province_map(winners: pd.DataFrame, boundaries, strategies: list[str], lang: str = "en") -> Figure:
    """Two panels: counties coloured by winning strategy, and by kg CO2 per CNY (a colour bar)."""
    fig = Figure(figsize=(11.0, 5.0), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    shapes = boundaries.merge(winners, on="county", how="left")
    colours = palette(strategies)
    shapes.plot(ax=left, color=[colours.get(w, GREY) for w in shapes["winner"]], edgecolor="white", linewidth=0.8)
    left.legend(
        handles=[
            Patch(color=colours[s], label=strategy_label(s, lang)) for s in strategies if s in set(shapes["winner"])
        ],
        fontsize=FONT_PT - 1.5,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=2,
        frameon=False,
    )
    left.set_title(label("report.map_winner", lang), fontsize=FONT_PT + 1)
    values = shapes["co2_kg_per_cny"].to_numpy(float)
    finite = values[np.isfinite(values)]
    norm = Normalize(float(finite.min()), float(finite.max())) if finite.size else Normalize(0.0, 1.0)
    mappable = ScalarMappable(norm=norm, cmap="viridis")
    shapes.plot(
        ax=right,
        color=[mappable.to_rgba(v) if np.isfinite(v) else GREY for v in values],
        edgecolor="white",
        linewidth=0.8,
    )
    fig.colorbar(mappable, ax=right, shrink=0.8, label=label("label.co2_kg_per_cny", lang))
    right.set_title(label("report.map_co2_per_cny", lang), fontsize=FONT_PT + 1)
    for ax in (left, right):
        ax.set_axis_off()
        if len(shapes) > MAX_NAMED:
            continue
        for _, row in shapes.iterrows():
            point = row.geometry.representative_point()
            ax.annotate(str(row["county"]), (point.x, point.y), ha="center", fontsize=FONT_PT - 3, color="#222")
    return fig
