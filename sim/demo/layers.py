"""Assembling the layers of the demo county: everything is laid out in metres in the UTM zone of the centre (origin
at the centre) and written in EPSG:4326, coordinates rounded to 1e-7 degree (about 1 cm)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from sim.sites import utm_epsg

from .county import CountyRecipe
from .exclusions import BasicFarmland
from .landscape import Landscape
from .power_grid import Grid
from .site_table import SiteTable
from .villages import Villages


class LocalMetres:
    """The layout's coordinates: metres in the UTM zone of the county centre, origin at the centre."""

    def __init__(self, center_lon: float, center_lat: float):
        self.epsg = utm_epsg(center_lon, center_lat)
        to_utm = Transformer.from_crs(4326, self.epsg, always_xy=True)
        self._to_wgs84 = Transformer.from_crs(self.epsg, 4326, always_xy=True)
        self.origin = to_utm.transform(center_lon, center_lat)

    def to_wgs84(self, geoms) -> np.ndarray:
        """``geoms`` in EPSG:4326, coordinates rounded to 1e-7 degree."""
        ox, oy = self.origin

        def lonlat(xy):
            lon, lat = self._to_wgs84.transform(xy[:, 0] + ox, xy[:, 1] + oy)
            return np.round(np.column_stack([lon, lat]), 7)

        return shapely.transform(np.asarray(geoms, dtype=object), lonlat)

    def frame(self, columns, geoms) -> gpd.GeoDataFrame:
        """A layer in EPSG:4326 from attribute ``columns`` and geometries in local metres."""
        return gpd.GeoDataFrame(columns, geometry=list(self.to_wgs84(geoms)), crs="EPSG:4326")


def assemble_layers(
    recipe: CountyRecipe,
    local: LocalMetres,
    land: Landscape,
    villages: Villages,
    sites: SiteTable,
    grid: Grid,
    farmland: BasicFarmland,
) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of `sim.demo.LAYERS`, by name."""
    frame = local.frame
    tnames, n_vil = villages.township_names, villages.n
    layers = {
        "county_boundary": frame(
            {"name": [recipe.county_name], "area_km2": [round(land.boundary.area / 1e6, 1)], "utm_epsg": [local.epsg]},
            [land.boundary],
        ),
        "townships": frame(
            {
                "township_id": [f"T{i + 1:02d}" for i in range(len(tnames))],
                "name": tnames,
                "area_km2": [round(p.area / 1e6, 2) for p in villages.township_polygons],
            },
            villages.township_polygons,
        ),
        "villages": frame(
            {
                "village_id": [f"V{i + 1:03d}" for i in range(n_vil)],
                "name": list(villages.names),
                "township": [tnames[i] for i in villages.township],
                "is_township_seat": villages.is_seat,
                "n_sites": np.bincount(sites.village, minlength=n_vil),
            },
            shapely.points(villages.x, villages.y),
        ),
        "sites": frame(sites.columns, sites.geoms),
        "substations": frame(grid.substations, grid.substation_points),
        "feeders": frame(grid.feeders, grid.feeder_lines),
        "transformers": frame(grid.transformers, grid.transformer_points),
    }
    return layers | _exclusion_layers(recipe, frame, land, farmland)


def _exclusion_layers(recipe, frame, land, farmland):
    """Permanent basic farmland, the ecological red line (mountains, wetland), the river and the reservoir."""
    parts = farmland.parts
    eco_parts = [land.mountain, land.wetland]
    return {
        "exclusion_basic_farmland": frame(
            {
                "parcel_id": [f"BF{i + 1:02d}" for i in range(len(parts))],
                "name": [f"Permanent basic farmland block {i + 1}" for i in range(len(parts))],
                "area_ha": [round(p.area / 1e4, 1) for p in parts],
            },
            parts,
        ),
        "exclusion_ecological": frame(
            {
                "zone_id": ["ECO1", "ECO2"],
                "name": list(recipe.ecological_zone_names),
                "kind": ["mountain", "wetland"],
                "area_km2": [round(p.area / 1e6, 2) for p in eco_parts],
            },
            eco_parts,
        ),
        "river": frame({"name": [recipe.river_name], "length_km": [round(land.river.length / 1e3, 2)]}, [land.river]),
        "reservoir": frame(
            {"name": [recipe.reservoir_name], "area_km2": [round(land.reservoir.area / 1e6, 2)]}, [land.reservoir]
        ),
    }
