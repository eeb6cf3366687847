"""Synthetic demo county: a Huailai-like county of Hebei with candidate PV sites, a grid and exclusion layers.

`make_demo_county` writes one GeoPackage whose layers feed `sim.sites` and `sim.grid`:

``county_boundary, townships, villages, sites, substations, feeders, transformers, exclusion_basic_farmland,
exclusion_ecological, river, reservoir``

Everything is laid out in metres in the UTM zone of the centre (EPSG:32650 for Huailai, about 40.4 N 115.5 E) and
written in EPSG:4326 (coordinates rounded to 1e-7 degree, about 1 cm). The output depends only on the arguments:
every random draw comes from a named stream of `sim.rng.stream(seed, "demo", <part>)`.

Layout, in order: an irregular county (~35 km x 33 km, ~950 km2) with mountains (ecological red line) in the north, a
reservoir with a wetland at its inlet in the south-east and a river crossing from the west through the reservoir;
township seats and villages in the lowland; townships are the union of the Voronoi cells of their villages (so a
site's nearest village always lies in the township that contains the site). Sites are placed as polygons without
overlaps (>= 2 m apart): village buildings near village centres, then ground and industrial sites outside the
village cores (batched proposals checked against an STRtree, only rejected ones are re-proposed), then rural homes
on each village's jittered street lattice (courtyard rows facing south). Transformers are placed where the sites
are (about one per 37 sites), 10-kV feeders run from the nearest substation through their transformers.

Modules, in the order of the recipe (`build.build_layers`): `county` (what the county is made of: `CountyRecipe`),
`landscape` (boundary, mountains, reservoir, river), `villages` (townships, villages, village sites per village),
`tourism` (scenic spots, car parks), `public_commercial` (village buildings, factories), `exclusions` (permanent
basic farmland), `farms` (agrivoltaic parcels, fish ponds, greenhouses), `rooftops` (rural homes), `site_table`
(ordering, names, roofs), `power_grid` (substations, transformers, feeders), `layers` (EPSG:4326 layers);
`geometry` and `placement` hold the shape helpers and the overlap-free placer.
"""

from .build import make_demo_county
from .county import LAYERS, SITE_AREA_RANGES_M2, SITE_TYPE_SHARES, CountyRecipe

__all__ = ["LAYERS", "SITE_AREA_RANGES_M2", "SITE_TYPE_SHARES", "CountyRecipe", "make_demo_county"]
