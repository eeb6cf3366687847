"""Village buildings (public buildings, party and government buildings, guesthouses; stream "village_buildings")
and commercial & industrial sites (factories; stream "ground") of the demo county.

Village buildings are drawn first: the village core (homes on their courtyard plots plus room for these buildings)
must make room for them, and every later ground site keeps out of the cores. Factories are in an industrial park
beside each township seat, with a few beside other villages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .county import CountyRecipe
from .geometry import SitePlacer, polar_offsets, rectangle_rings, rectangle_sides
from .placement import GroundSiteContext, PlacedSites
from .villages import Villages, VillageSiteCounts

VILLAGE_BUILDING_TYPES = ("public_building", "party_government", "guesthouse")


@dataclass(frozen=True)
class IndustrialParks:
    """One park beside each township seat (none when the county has no factories)."""

    x: np.ndarray
    y: np.ndarray
    park_of_factory: np.ndarray  # park of each factory, -1 for factories beside a village

    @classmethod
    def none(cls) -> IndustrialParks:
        return cls(np.empty(0), np.empty(0), np.empty(0, dtype=int))


def place_village_buildings(
    recipe: CountyRecipe, villages: Villages, per_village: VillageSiteCounts, counts: dict[str, int], placer: SitePlacer
) -> tuple[PlacedSites, np.ndarray]:
    """Rectangles (aspect 1.3-2.8) aligned with the village's streets, near the village centre. Returns the placed
    buildings and the radius of each village core [m]: room for its homes (1.3 x their plots) and for 4 x the
    footprint of its buildings, plus 40 m."""
    g = recipe.random_stream("village_buildings")
    n_vil = villages.n
    vb_types = np.repeat(np.array(VILLAGE_BUILDING_TYPES), [counts[t_] for t_ in VILLAGE_BUILDING_TYPES])
    vb_village = np.concatenate(
        [
            np.repeat(np.arange(n_vil), n)
            for n in (per_village.public_buildings, per_village.party_government, per_village.guesthouses)
        ]
    )
    vb_area = np.concatenate(
        [recipe.draw_footprint_areas(g, t_, int((vb_types == t_).sum())) for t_ in VILLAGE_BUILDING_TYPES]
    )
    vb_w, vb_d = rectangle_sides(g, vb_area, 1.3, 2.8)
    vb_rot = villages.street_angle_deg[vb_village] + np.clip(g.normal(0.0, 4.0, len(vb_area)), -10, 10)
    vb_bld_area = np.bincount(vb_village, weights=vb_area, minlength=n_vil)
    plot_x, plot_y = recipe.home_plot_m
    core_r = np.sqrt(per_village.homes * plot_x * plot_y * 1.3 / np.pi) + np.sqrt(vb_bld_area * 4.0 / np.pi) + 40.0

    def propose(idx, attempt):
        v = vb_village[idx]
        dx, dy = polar_offsets(g, len(idx), 0.0, core_r[v] * (0.85 + 0.08 * attempt))
        return villages.x[v] + dx, villages.y[v] + dy

    geo, x, y = placer.place(
        rectangle_rings(vb_w, vb_d, vb_rot),
        propose,
        min_area=np.array([recipe.min_area(t_) for t_ in vb_types]),
        what="village buildings",
    )
    return PlacedSites(vb_types, geo, x, y, vb_rot), core_r


def village_cores(villages: Villages, core_r: np.ndarray) -> np.ndarray:
    """Discs of radius core_r + 40 m around the village centres, kept free of ground and industrial sites."""
    return shapely.buffer(shapely.points(villages.x, villages.y), core_r + 40.0)


def place_factories(ctx: GroundSiteContext, n_ci: int) -> tuple[PlacedSites, IndustrialParks]:
    """Commercial & industrial rectangles (aspect 1.4-3.2, within 25 degrees of east-west): 78 % in the park of a
    random township, the others 150-900 m outside the core of a village drawn by size. Off basic farmland and out of
    the ecological red line."""
    g, villages, core_r = ctx.g, ctx.villages, ctx.core_r
    n_townships = ctx.recipe.n_townships
    park_x, park_y = _industrial_park_centres(ctx)
    in_park = g.uniform(size=n_ci) < ctx.recipe.industrial_park_share
    park = g.integers(0, n_townships, n_ci)
    anchor_v = g.choice(villages.n, size=n_ci, p=villages.weight / villages.weight.sum())
    area = ctx.recipe.draw_footprint_areas(g, "commercial_industrial", n_ci)
    w, d = rectangle_sides(g, area, 1.4, 3.2)
    rot = np.clip(g.normal(0.0, 8.0, n_ci), -25, 25)
    park_n = np.bincount(park[in_park], minlength=n_townships)
    park_r = np.sqrt(park_n * 9_000.0 * 2.5 / np.pi) + 200.0  # room for 2.5 x a 9,000 m2 plot per factory

    def propose(idx, attempt):
        n = len(idx)
        x = np.empty(n)
        y = np.empty(n)
        ip = in_park[idx]
        dx, dy = polar_offsets(g, n, 0.0, park_r[park[idx]] * (1 + 0.15 * attempt))
        x[ip], y[ip] = park_x[park[idx][ip]] + dx[ip], park_y[park[idx][ip]] + dy[ip]
        v = anchor_v[idx][~ip]
        dx, dy = polar_offsets(g, len(v), core_r[v] + 150, core_r[v] + 900 * (1 + 0.15 * attempt))
        x[~ip], y[~ip] = villages.x[v] + dx, villages.y[v] + dy
        return x, y

    geo, x, y = ctx.placer.place(
        rectangle_rings(w, d, rot),
        propose,
        min_area=ctx.recipe.min_area("commercial_industrial"),
        extra=ctx.cores_and_farmland,
        avoid=ctx.land.ecological,
        what="commercial_industrial sites",
    )
    parks = IndustrialParks(park_x, park_y, np.where(in_park, park, -1))
    return PlacedSites.of_type("commercial_industrial", geo, x, y, rot), parks


def _industrial_park_centres(ctx):
    """Beside each township seat: 500-1,600 m outside its core, in the lowland, more than 250 m from every village
    core (the last try when none of 200 fits)."""
    g, villages, core_r = ctx.g, ctx.villages, ctx.core_r
    vx, vy = villages.x, villages.y
    park_x, park_y = [], []
    for ti in range(ctx.recipe.n_townships):
        s = np.flatnonzero(villages.is_seat & (villages.township == ti))[0]
        for _ in range(200):
            dx, dy = polar_offsets(g, 1, core_r[s] + 500.0, core_r[s] + 1_600.0)
            x, y = vx[s] + dx[0], vy[s] + dy[0]
            if shapely.contains_xy(ctx.land.lowland, x, y) and np.min(np.hypot(vx - x, vy - y) - core_r) > 250:
                break
        park_x.append(x)
        park_y.append(y)
    return np.array(park_x), np.array(park_y)
