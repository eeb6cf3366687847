"""Permanent basic farmland of the demo county (stream "farmland"): about 25 % of the farmland, the lowland outside
the village cores. The other exclusion layers come from the landscape (`sim.demo.landscape`): the ecological red
line (northern mountains and the reservoir inlet wetland), the river and the reservoir."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from .county import CountyRecipe
from .geometry import blob_polygon, greedy_spread, random_points_in
from .landscape import Landscape


@dataclass(frozen=True)
class BasicFarmland:
    parts: list  # blocks larger than 5 ha, largest first
    union: shapely.Geometry


def make_basic_farmland(recipe: CountyRecipe, land: Landscape, village_cores: np.ndarray) -> BasicFarmland:
    """A few blobs (6 by default) at least 5 km apart, 800 m inside the farmland, rescaled six times so that their
    part in the farmland covers ``basic_farmland_share`` of it; slivers under 5 ha are dropped."""
    g = recipe.random_stream("farmland")
    farm_base = shapely.difference(land.lowland, shapely.union_all(village_cores))
    target = recipe.basic_farmland_share * farm_base.area
    bx, by = random_points_in(g, farm_base.buffer(-800.0), 400)
    keep = greedy_spread(bx, by, 5_000.0, limit=recipe.basic_farmland_blocks)
    bx, by = bx[keep], by[keep]
    shapes = [(g.uniform(0.8, 1.25), g.uniform(0.6, 1.0), g.uniform(0, 180)) for _ in range(len(bx))]
    seeds_ = [int(s) for s in g.integers(0, 2**31, len(bx))]
    scale = math.sqrt(target / (len(bx) * np.pi)) * 1.1
    for _ in range(6):
        blobs = [
            blob_polygon(np.random.default_rng(s_), x, y, scale * sx, scale * sy, amp=0.18, rot_deg=rt)
            for s_, x, y, (sx, sy, rt) in zip(seeds_, bx, by, shapes)
        ]
        farmland = shapely.intersection(shapely.union_all(blobs), farm_base)
        scale *= math.sqrt(target / max(farmland.area, 1.0)) ** 0.9
    parts = [p for p in shapely.get_parts(farmland) if p.area > 50_000.0]
    parts.sort(key=lambda p: -p.area)
    return BasicFarmland(parts=parts, union=shapely.union_all(parts))
