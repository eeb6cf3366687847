"""Tourism in the demo county: scenic spots (stream "scenic") and their car parks (stream "ground").

Spots (those that fit): two Great Wall sites in the mountains (ecological red line), two on the reservoir shore and
a desert park in the lowland. The two villages nearest each spot get the county's guesthouses (see `sim.demo.villages`). Car parks
sit at the spots; those of the Great Wall lie in the mountains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from .county import CountyRecipe
from .geometry import irregular_octagon_rings, polar_offsets, random_points_in, rectangle_sides
from .landscape import Landscape
from .placement import GroundSiteContext, PlacedSites
from .villages import Villages


@dataclass(frozen=True)
class ScenicSpots:
    names: list[str]
    xy: np.ndarray  # (n, 2) [m]
    great_wall: np.ndarray  # bool: in the mountains
    nearby_villages: np.ndarray  # sorted indices of the two villages nearest each spot


def make_scenic_spots(recipe: CountyRecipe, land: Landscape, villages: Villages) -> ScenicSpots:
    """Great Wall spots, lakeside spots, the desert park (in this order), and the villages next to them."""
    g = recipe.random_stream("scenic")
    spots = _great_wall_spots(g, recipe, land)  # (name, x, y, great_wall)
    spots += _lakeside_spots(recipe, land)
    px, py = random_points_in(g, shapely.buffer(land.lowland, -1_500.0), 50)
    for x, y in zip(px, py):
        if all(math.hypot(x - s[1], y - s[2]) > 5_000 for s in spots):
            spots.append((recipe.desert_park, float(x), float(y), False))
            break
    spot_xy = np.array([[s[1], s[2]] for s in spots])
    scenic_v = set()
    for sx, sy in spot_xy:
        scenic_v.update(np.argsort(np.hypot(villages.x - sx, villages.y - sy))[:2].tolist())
    return ScenicSpots(
        names=[s[0] for s in spots],
        xy=spot_xy,
        great_wall=np.array([s[3] for s in spots]),
        nearby_villages=np.array(sorted(scenic_v)),
    )


def _great_wall_spots(g, recipe, land):
    """Spots 900 m north of the mountain edge, at least 600 m inside the mountains and more than 6 km apart."""
    a_m = recipe.half_axes_m[0]
    spots: list[tuple[str, float, float, bool]] = []
    xs_try = g.uniform(-0.6 * a_m, 0.6 * a_m, 200)
    mountain_core = land.mountain.buffer(-600.0)
    for x in xs_try:
        y = float(land.mountain_edge_at(x)) + 900.0
        if shapely.contains_xy(mountain_core, x, y) and all(abs(x - s[1]) > 6_000 for s in spots):
            spots.append((recipe.great_wall_spots[len(spots)], float(x), y, True))
            if len(spots) == len(recipe.great_wall_spots):
                break
    return spots


def _lakeside_spots(recipe, land):
    """Spots 450 m outside the reservoir shore, from their place along the shore onwards, in the lowland."""
    spots = []
    ring = land.reservoir.exterior
    res_cx, res_cy = land.reservoir_centre
    for name, fr in recipe.lakeside_spots:
        for k in range(40):
            p = shapely.line_interpolate_point(ring, (fr + 0.02 * k) % 1.0, normalized=True)
            dx, dy = p.x - res_cx, p.y - res_cy
            L = math.hypot(dx, dy)
            x, y = p.x + 450 * dx / L, p.y + 450 * dy / L
            if shapely.contains_xy(land.lowland, x, y) and not shapely.contains_xy(land.ecological, x, y):
                spots.append((name, x, y, False))
                break
    return spots


def place_car_parks(ctx: GroundSiteContext, n_cp: int, spots: ScenicSpots) -> PlacedSites:
    """One car park per spot first (Great Wall spots first, right at the spot, in the ecological red line), the rest
    mostly at the lakeside and the desert park, within about 700 m."""
    g = ctx.g
    spot_gw, spot_xy = spots.great_wall, spots.xy
    order_sp = np.concatenate([np.flatnonzero(spot_gw), np.flatnonzero(~spot_gw)])
    sp_w = np.where(spot_gw, 0.25, 1.0)
    cp_spot = np.concatenate(
        [
            order_sp[: min(n_cp, len(order_sp))],
            g.choice(len(spots.names), size=max(0, n_cp - len(order_sp)), p=sp_w / sp_w.sum()),
        ]
    )
    first = np.zeros(n_cp, dtype=bool)
    first[: min(n_cp, len(order_sp))] = True
    area = ctx.recipe.draw_footprint_areas(g, "tourism_carpark", n_cp)
    w, d = rectangle_sides(g, area, 1.0, 2.5)
    rot = g.uniform(-40, 40, n_cp)

    def propose(idx, attempt):
        s = cp_spot[idx]
        dx, dy = polar_offsets(g, len(idx), 0.0, 700.0 * (1 + 0.25 * attempt))
        at_spot = first[idx] & spot_gw[s] & (attempt < 3)
        dx[at_spot] *= 0.05 * attempt
        dy[at_spot] *= 0.05 * attempt
        return spot_xy[s, 0] + dx, spot_xy[s, 1] + dy

    geo, x, y = ctx.placer.place(
        irregular_octagon_rings(g, w, d, rot, np.full(n_cp, 0.05), area),
        propose,
        min_area=ctx.recipe.min_area("tourism_carpark"),
        extra=ctx.cores_and_farmland,
        avoid=ctx.land.ecological,
        may_enter=spot_gw[cp_spot],
        what="tourism_carpark sites",
    )
    return PlacedSites.of_type("tourism_carpark", geo, x, y, rot, spot=cp_spot)
