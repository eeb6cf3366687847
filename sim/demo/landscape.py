"""Physical geography of the demo county, in local metres (origin at the centre), from the stream "geography".

An irregular county (~35 km x 33 km, ~950 km2) with mountains (ecological red line) in the north, a reservoir with a
wetland at its inlet in the south-east and a river crossing from the west through the reservoir. What is left
(outside the ecological zones and 150 m around the reservoir) is the lowland where townships, villages and most
sites go.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from .county import CountyRecipe
from .geometry import blob_polygon, largest_polygon, longest_line, rotate


@dataclass(frozen=True)
class Landscape:
    boundary: shapely.Polygon  # the county
    inner: shapely.Polygon  # the county 5 m inside its border: every site lies in it
    mountain: shapely.Geometry  # ecological red line in the north
    mountain_edge_x: np.ndarray  # its southern edge, y(x), sampled at x
    mountain_edge_y: np.ndarray
    reservoir: shapely.Polygon
    reservoir_centre: tuple[float, float]
    river: shapely.LineString
    river_bed: shapely.Geometry  # the river buffered by 12 m: no site on it
    wetland: shapely.Geometry  # at the reservoir inlet, ecological red line too
    ecological: shapely.Geometry  # mountain and wetland
    lowland: shapely.Geometry  # county outside the ecological zones and 150 m around the reservoir

    def mountain_edge_at(self, x):
        """y [m] of the southern edge of the mountains at ``x`` [m]."""
        return np.interp(x, self.mountain_edge_x, self.mountain_edge_y)

    @property
    def water(self) -> list:
        """The obstacles no site may touch: the river bed and the reservoir."""
        return [self.river_bed, self.reservoir]


def make_landscape(recipe: CountyRecipe) -> Landscape:
    """Outline, mountains, reservoir, river, inlet wetland and lowland, drawn in this order from "geography"."""
    g = recipe.random_stream("geography")
    a_m, b_m = recipe.extent_m
    boundary = _county_outline(g, a_m, b_m)
    edge_x, edge_y, mountain = _northern_mountains(g, boundary, a_m, b_m)
    reservoir, centre, inlet, outlet = _reservoir(g, boundary, a_m, b_m)
    river = _river(g, boundary, inlet, outlet, a_m, b_m)
    wetland = shapely.intersection(
        shapely.difference(reservoir.buffer(1_300.0), reservoir), shapely.Point(inlet).buffer(3_800.0)
    )
    wetland = shapely.intersection(wetland, boundary)
    eco = shapely.union(mountain, wetland)
    lowland = shapely.difference(shapely.difference(boundary, eco), reservoir.buffer(150.0))
    shapely.prepare(eco)
    shapely.prepare(lowland)
    return Landscape(
        boundary=boundary,
        inner=boundary.buffer(-5.0),
        mountain=mountain,
        mountain_edge_x=edge_x,
        mountain_edge_y=edge_y,
        reservoir=reservoir,
        reservoir_centre=centre,
        river=river,
        river_bed=river.buffer(12.0),
        wetland=wetland,
        ecological=eco,
        lowland=lowland,
    )


def _county_outline(g, a_m, b_m):
    """An ellipse with semi-axes a_m x b_m, wobbled by low harmonics and made ragged by high ones, like an
    administrative border following ridges and fields; densified to a vertex every 250 m."""
    t = np.linspace(0.0, 2 * np.pi, 180, endpoint=False)
    r = a_m * b_m / np.sqrt((b_m * np.cos(t)) ** 2 + (a_m * np.sin(t)) ** 2)
    f = np.ones_like(t)
    for k in range(2, 8):
        f += g.uniform(0.02, 0.07) / (k / 2) * np.sin(k * t + g.uniform(0, 2 * np.pi))
    for k in range(9, 30, 3):
        f += g.uniform(0.004, 0.012) * np.sin(k * t + g.uniform(0, 2 * np.pi))
    boundary = shapely.Polygon(np.column_stack([r * f * np.cos(t), r * f * np.sin(t)]))
    return largest_polygon(shapely.segmentize(shapely.make_valid(boundary), 250.0))


def _northern_mountains(g, boundary, a_m, b_m):
    """The part of the county north of a wavy edge at about 0.4 b_m: (edge x, edge y, mountain polygon)."""
    xs = np.linspace(-2 * a_m, 2 * a_m, 161)
    ph1, ph2 = g.uniform(0, 2 * np.pi, 2)
    y_edge = 0.40 * b_m + 1_600 * np.sin(xs / 5_000 + ph1) + 700 * np.sin(xs / 1_700 + ph2)
    mountain = shapely.Polygon(np.vstack([np.column_stack([xs, y_edge]), [[2 * a_m, 3 * b_m], [-2 * a_m, 3 * b_m]]]))
    return xs, y_edge, shapely.intersection(mountain, boundary)


def _reservoir(g, boundary, a_m, b_m):
    """A 10 km x 4 km blob in the south-east, at least 900 m inside the border, turned 12-24 degrees:
    (polygon, centre, inlet at its western end, outlet at its eastern end)."""
    res_cx, res_cy, res_rot = 0.36 * a_m, -0.30 * b_m, 18.0 + g.uniform(-6, 6)
    reservoir = blob_polygon(g, res_cx, res_cy, 5_200, 1_900, n=40, amp=0.10, rot_deg=res_rot)
    reservoir = largest_polygon(shapely.intersection(reservoir, boundary.buffer(-900.0)))
    ex, ey = rotate(np.array([-5_000.0, 5_000.0]), np.zeros(2), math.radians(res_rot))
    inlet = (res_cx + ex[0], res_cy + ey[0])
    outlet = (res_cx + ex[1], res_cy + ey[1])
    return reservoir, (res_cx, res_cy), inlet, outlet


def _river(g, boundary, inlet, outlet, a_m, b_m):
    """From the west edge, meandering into the reservoir inlet, then from the outlet towards the south-east;
    clipped to the county (its longest piece)."""
    rx = np.linspace(-1.35 * a_m, inlet[0], 40)
    frac = (rx - rx[0]) / (rx[-1] - rx[0])
    meander = 900 * np.sin(rx / 2_300 + g.uniform(0, 6)) * np.sin(np.pi * frac)
    ry = (-0.02 * b_m) * (1 - frac) + inlet[1] * frac + meander
    ox2 = np.linspace(outlet[0], outlet[0] + 0.9 * a_m, 15)
    frac2 = (ox2 - ox2[0]) / (ox2[-1] - ox2[0])
    oy2 = outlet[1] - 0.45 * b_m * frac2 + 500 * np.sin(ox2 / 1_800) * np.sin(np.pi * frac2)
    river_line = shapely.LineString(np.vstack([np.column_stack([rx, ry]), np.column_stack([ox2, oy2])]))
    return longest_line(shapely.line_merge(shapely.intersection(river_line, boundary)))
