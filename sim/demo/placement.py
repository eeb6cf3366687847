"""What the site sections of the demo county share: the sites one section placed, and the context in which the
ground and industrial sites are placed (stream "ground", outside the village cores)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .county import CountyRecipe
from .geometry import SitePlacer, random_points_in
from .landscape import Landscape
from .villages import Villages


@dataclass(frozen=True)
class PlacedSites:
    """Sites placed by one section, in placement order."""

    site_type: np.ndarray  # str per site
    geoms: np.ndarray  # polygons [m]
    x: np.ndarray  # centre the footprint was placed at [m]
    y: np.ndarray
    rot_deg: np.ndarray  # rotation of the footprint (ccw); roofs face 180 - rot_deg
    spot: np.ndarray | None = None  # scenic spot of each car park

    @classmethod
    def of_type(cls, site_type: str, geoms, x, y, rot_deg, spot=None) -> PlacedSites:
        return cls(np.full(len(geoms), site_type), geoms, x, y, rot_deg, spot)

    def __len__(self) -> int:
        return len(self.geoms)


@dataclass(frozen=True)
class GroundSiteContext:
    """Where ground and industrial sites go: outside the village cores (discs of radius ``core_r`` + 40 m),
    factories, ponds and car parks also off permanent basic farmland; never in the water."""

    recipe: CountyRecipe
    g: np.random.Generator  # the stream "ground", shared by the site families in order
    placer: SitePlacer
    land: Landscape
    villages: Villages
    core_r: np.ndarray  # radius of each village core [m]
    core_discs: list
    farmland: shapely.Geometry  # permanent basic farmland (union)
    farmland_parts: list

    @property
    def cores_and_farmland(self) -> list:
        """Obstacles of the sites that stay off basic farmland."""
        return self.core_discs + list(self.farmland_parts)

    def lowland_points(self, n):
        """``n`` random points anywhere in the lowland (the fallback of a family that does not fit near its
        anchors)."""
        return random_points_in(self.g, self.land.lowland, n)
