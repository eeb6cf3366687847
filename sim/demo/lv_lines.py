"""The demo county's low-voltage lines (layer ``lines``): one radial network per ``lv`` transformer, added after every
other layer so that the sites and the grid stay as the rest of the generator makes them (no random draw here).

Each transformer's network is a minimum spanning tree over the transformer and the building sites nearest to it (the
types of the village buildings: rural homes, guesthouses, public and party-government buildings), straight spans
between them (the demo county has no roads to follow). Cable types (``sim/tables/lv_cables.csv``): rural low-voltage
networks in North China are mostly overhead aerial-insulated conductors (assumption for the demo): a span that feeds
:data:`TRUNK_SITES` or more sites is the trunk, JKLYJ-1kV-120; the others JKLYJ-1kV-70.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree
from scipy.spatial import cKDTree

from .layers import LocalMetres
from .power_grid import Grid
from .site_table import SiteTable

#: The site types the lines reach (the village buildings; ground sites connect at 10 kV or by their own cable).
LINE_SITE_TYPES = ("rural_home", "guesthouse", "public_building", "party_government")
#: A span feeding this many sites or more is the trunk (assumption).
TRUNK_SITES = 8
TRUNK_CABLE, BRANCH_CABLE = "JKLYJ-1kV-120", "JKLYJ-1kV-70"


def make_lv_lines(grid: Grid, sites: SiteTable, local: LocalMetres):
    """The ``lines`` layer: ``transformer_id``, ``cable_type``, ``length_km`` and a LineString per span, in
    EPSG:4326."""
    ids = np.asarray(grid.transformers["transformer_id"], dtype=object)
    lv = np.flatnonzero(np.asarray(grid.transformers["connection_level"]) == "lv")
    points = np.asarray(grid.transformer_points)
    txy = np.column_stack([shapely.get_x(points[lv]), shapely.get_y(points[lv])])
    on = np.flatnonzero(np.isin(sites.site_type, LINE_SITE_TYPES))
    sxy = np.column_stack([sites.x[on], sites.y[on]])
    nearest = cKDTree(txy).query(sxy)[1] if len(txy) and len(sxy) else np.zeros(0, np.int64)
    columns: dict[str, list] = {"transformer_id": [], "cable_type": [], "length_km": []}
    spans = []
    for k in range(len(lv)):
        xy = np.vstack([txy[k], sxy[nearest == k]])
        for a, b, fed in _tree_spans(xy):
            columns["transformer_id"].append(str(ids[lv[k]]))
            columns["cable_type"].append(TRUNK_CABLE if fed >= TRUNK_SITES else BRANCH_CABLE)
            columns["length_km"].append(round(float(np.hypot(*(xy[a] - xy[b]))) / 1000.0, 4))
            spans.append(shapely.linestrings([xy[a], xy[b]]))
    return local.frame(columns, spans)


def _tree_spans(xy: np.ndarray) -> list[tuple[int, int, int]]:
    """``(parent, child, sites fed)`` of the minimum spanning tree over ``xy`` (row 0 the transformer) rooted at
    row 0, in breadth-first order; points closer than 1 m are joined by a 1 m span (csgraph reads 0 as no edge)."""
    n = len(xy)
    if n < 2:
        return []
    dist = np.maximum(np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]), 1.0)
    np.fill_diagonal(dist, 0.0)
    tree = minimum_spanning_tree(dist)
    order, pred = breadth_first_order(tree + tree.T, 0, directed=False, return_predecessors=True)
    fed = np.ones(n, dtype=np.int64)
    for v in order[:0:-1]:  # leaves first: each point feeds itself and what hangs on it
        fed[pred[v]] += fed[v]
    return [(int(pred[v]), int(v), int(fed[v])) for v in order[1:]]
