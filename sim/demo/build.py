"""The recipe of the demo county, section by section, and the GeoPackage it is written to.

Each section draws from its own named stream of `sim.rng.stream(seed, "demo", <part>)` ("geography", "admin",
"scenic", "allocation", "village_buildings", "farmland", "ground", "homes", "attributes", "grid"), so the county
depends only on the arguments. The order of the sections matters all the same: sites are placed without overlaps,
each clear of those placed before (village buildings, then ground and industrial sites, then rural homes).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from .county import LAYERS, CountyRecipe
from .exclusions import make_basic_farmland
from .farms import place_agrivoltaic, place_fish_ponds, place_greenhouses
from .geometry import SitePlacer
from .landscape import make_landscape
from .layers import LocalMetres, assemble_layers
from .lv_lines import make_lv_lines
from .placement import GroundSiteContext, PlacedSites
from .power_grid import make_grid
from .public_commercial import IndustrialParks, place_factories, place_village_buildings, village_cores
from .rooftops import place_rural_homes
from .site_table import make_site_table
from .tourism import ScenicSpots, make_scenic_spots, place_car_parks
from .villages import allocate_village_sites, make_villages


def make_demo_county(
    path,
    *,
    n_sites: int = 3500,
    seed: int = 20260101,
    center_lat: float = 40.40,
    center_lon: float = 115.50,
    n_townships: int = 9,
    villages_per_township: int = 6,
) -> dict:
    """Write the synthetic demo county to the GeoPackage ``path`` (replaced if it exists).

    Parameters
    ----------
    path : str or Path
        Output ``.gpkg`` file.
    n_sites : int
        Number of candidate sites (all nine site types when >= 9), default 3,500.
    seed : int
        Seed of every random draw; the same arguments give identical layers.
    center_lat, center_lon : float
        County centre [°]; the layout is built in the UTM zone of this point.
    n_townships, villages_per_township : int
        Administrative layout (township seats count as villages).

    Returns
    -------
    dict
        Number of features per layer, plus ``"utm_epsg"`` (the projected CRS used for the layout).
    """
    if int(n_sites) < 1:
        raise ValueError(f"n_sites must be >= 1, got {n_sites}")
    if int(n_townships) < 1 or int(villages_per_township) < 1:
        raise ValueError(
            f"n_townships and villages_per_township must be >= 1, got {n_townships} and {villages_per_township}"
        )
    if not (-80.0 <= center_lat <= 84.0 and -180.0 <= center_lon <= 180.0):
        raise ValueError(f"center_lat/center_lon out of the UTM range: {center_lat}, {center_lon}")
    recipe = CountyRecipe(
        n_sites=int(n_sites),
        seed=int(seed),
        center_lat=float(center_lat),
        center_lon=float(center_lon),
        n_townships=int(n_townships),
        villages_per_township=int(villages_per_township),
    )
    counts = _write_layers(path, build_layers(recipe))
    counts["utm_epsg"] = LocalMetres(recipe.center_lon, recipe.center_lat).epsg
    return counts


def _write_layers(path, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, int]:
    """Write the layers to a GeoPackage in the order of `LAYERS`; returns the number of features of each.

    The file is written under a temporary name and renamed into place when complete (:func:`sim._io.atomic_write`):
    a killed generator leaves no half-written file, and an existing file at ``path`` stays whole until then (the
    CLI refuses an existing file before any work: it may hold layers the user added)."""
    from .._io import atomic_write, gdal_write, remove_temporaries

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_temporaries(path.parent, path.name)  # leftovers of a killed generator of the same file
    counts = {}

    def write(tmp: Path) -> None:
        for name in LAYERS:
            with gdal_write(path):
                layers[name].to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
            counts[name] = len(layers[name])

    atomic_write(path, write)
    return counts


def build_layers(recipe: CountyRecipe) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of the county described by ``recipe``, by name (see `LAYERS`)."""
    local = LocalMetres(recipe.center_lon, recipe.center_lat)
    land = make_landscape(recipe)
    villages = make_villages(recipe, land)
    spots = make_scenic_spots(recipe, land, villages)
    counts = recipe.site_counts()
    per_village = allocate_village_sites(recipe, villages, spots.nearby_villages, counts)
    placer = SitePlacer(land.inner, land.water, recipe.site_gap_m)
    buildings, core_r = place_village_buildings(recipe, villages, per_village, counts, placer)
    cores = village_cores(villages, core_r)
    farmland = make_basic_farmland(recipe, land, cores)
    ground = GroundSiteContext(
        recipe=recipe,
        g=recipe.random_stream("ground"),
        placer=placer,
        land=land,
        villages=villages,
        core_r=core_r,
        core_discs=list(shapely.get_parts(cores)),
        farmland=farmland.union,
        farmland_parts=farmland.parts,
    )
    ground_sites, parks = _place_ground_sites(ground, counts, spots)
    homes = place_rural_homes(recipe, villages, per_village.homes, land, placer)
    sites = make_site_table(recipe, [homes, buildings, *ground_sites], villages, spots)
    grid = make_grid(recipe, land, villages, core_r, sites, parks)
    return assemble_layers(recipe, local, land, villages, sites, grid, farmland) | {
        "lines": make_lv_lines(grid, sites, local)
    }


def _place_ground_sites(
    ctx: GroundSiteContext, counts: dict[str, int], spots: ScenicSpots
) -> tuple[list[PlacedSites], IndustrialParks]:
    """Factories, agrivoltaic parcels, fish ponds, greenhouses and car parks, in this order (the types with sites)."""
    placed, parks = [], IndustrialParks.none()
    if counts["commercial_industrial"]:
        factories, parks = place_factories(ctx, counts["commercial_industrial"])
        placed.append(factories)
    for site_type, place in (
        ("agrivoltaic", place_agrivoltaic),
        ("fish_pond", place_fish_ponds),
        ("greenhouse", place_greenhouses),
    ):
        if counts[site_type]:
            placed.append(place(ctx, counts[site_type]))
    if counts["tourism_carpark"]:
        placed.append(place_car_parks(ctx, counts["tourism_carpark"], spots))
    return placed, parks
