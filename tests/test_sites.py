"""Site layers: schema checks, CRS handling, capacity from area, exclusions, transformer assignment."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import CRS
from shapely.geometry import LineString, Polygon

from sim.errors import InputError, InputWarning
from sim.scenario import scenario_from_dict
from sim.sites import check_sites, local_crs, prepare_sites, site_type_table, utm_epsg

from .conftest import X0, Y0, UTM50, make_county, point, scenario_dict, square

TRANSFORMERS = [
    {"transformer_id": "T1", "rating_kva": 400, "connection_level": "lv", "existing_pv_kw": 20, "geometry": point(0, 0)},
    {"transformer_id": "T2", "rating_kva": 630, "connection_level": "lv", "geometry": point(1000, 0)},
    {"transformer_id": "SUB", "rating_kva": 40000, "connection_level": "mv", "geometry": point(500, 1500)},
]


def _sites():
    return [
        {"site_id": "home1", "site_type": "rural_home", "township": "A", "roof_tilt_deg": 30.0,
         "roof_azimuth_deg": 170.0, "geometry": square(10, 10, 10)},            # 100 m2, near T1
        {"site_id": "school", "site_type": "public_building", "township": "A", "geometry": square(950, 20, 30)},
        {"site_id": "farm", "site_type": "agrivoltaic", "township": "B", "geometry": square(300, 1200, 300)},  # 9 ha
        {"site_id": "farm_protected", "site_type": "agrivoltaic", "township": "B",
         "geometry": square(-600, -600, 200)},
        {"site_id": "tiny", "site_type": "rural_home", "township": "B", "geometry": square(60, 60, 3)},
        {"site_id": "far_home", "site_type": "rural_home", "township": "B", "geometry": square(9000, 9000, 12)},
    ]


def _scenario(path, **siting):
    raw = scenario_dict(path)
    raw["data"]["feeders_layer"] = None  # hand-made counties have no feeder lines
    raw["data"]["exclusions"] = [
        {"layer": "exclusion_basic_farmland", "applies_to": ["agrivoltaic"], "reason": "basic_farmland"},
        {"layer": "river", "buffer_m": 50, "applies_to": "all"},
    ]
    raw["siting"].update(siting)
    return scenario_from_dict(raw, path=path.parent / "s.yaml")


@pytest.fixture
def county(tmp_path):
    farmland = gpd.GeoDataFrame(geometry=[square(-700, -700, 400)], crs=UTM50)
    river = gpd.GeoDataFrame(geometry=[LineString([(X0 - 5000, Y0 + 5000), (X0 + 5000, Y0 + 5000)])], crs=UTM50)
    return make_county(tmp_path / "c.gpkg", _sites(), TRANSFORMERS,
                       extra_layers={"exclusion_basic_farmland": farmland, "river": river})


def test_capacity_from_area_by_type(county):
    sites, _ = prepare_sites(_scenario(county))
    table = site_type_table()
    home = sites.loc["home1"]
    assert home["area_m2"] == pytest.approx(100.0, rel=1e-3)  # areas in UTM, not degrees
    expected = 100.0 * table.loc["rural_home", "usable_area_percent"] / 100 * table.loc["rural_home",
                                                                                        "power_density_w_per_m2"] / 1000
    assert home["capacity_kwp"] == pytest.approx(expected, abs=0.01)
    assert home["capacity_kwp"] == pytest.approx(100.0 * 0.55 * 0.210, abs=0.01)  # 2024 module density, by hand
    # roof-parallel takes the roof's own orientation
    assert (home["surface_tilt"], home["surface_azimuth"]) == (30.0, 170.0)
    farm = sites.loc["farm"]
    assert farm["area_m2"] == pytest.approx(90_000, rel=1e-3)
    assert farm["capacity_kwp"] == pytest.approx(90_000 * 0.85 * 67 / 1000, rel=1e-3)
    assert farm["mount"] == "agrivoltaic_fixed" and farm["height_m"] >= 2.5


def test_eligibility_reasons(county):
    sites, _ = prepare_sites(_scenario(county))
    reasons = sites["exclusion_reason"].to_dict()
    assert reasons["farm_protected"] == "basic_farmland"
    assert reasons["tiny"] == "below_min_capacity"
    assert reasons["far_home"] == "no_transformer_within_distance"
    assert reasons["home1"] == "" and reasons["farm"] == ""
    assert sites["eligible"].sum() == 3


def test_transformer_assignment_by_level(county):
    sites, transformers = prepare_sites(_scenario(county))
    assert sites.loc["home1", "transformer_id"] == "T1"
    assert sites.loc["school", "transformer_id"] == "T2"
    assert sites.loc["farm", "connection_level"] == "mv" and sites.loc["farm", "transformer_id"] == "SUB"
    # hosting limit: 80 % of rating minus PV already there
    assert transformers.loc["T1", "hosting_limit_kw"] == pytest.approx(400 * 0.8 - 20)


def test_projected_input_gives_same_result(tmp_path, county):
    utm = make_county(tmp_path / "utm.gpkg", _sites(), TRANSFORMERS, to_4326=False,
                      extra_layers={"exclusion_basic_farmland": gpd.GeoDataFrame(
                          geometry=[square(-700, -700, 400)], crs=UTM50),
                          "river": gpd.GeoDataFrame(geometry=[LineString([(X0, Y0 + 5000), (X0 + 1, Y0 + 5000)])],
                                                    crs=UTM50)})
    a, _ = prepare_sites(_scenario(county))
    b, _ = prepare_sites(_scenario(utm))
    np.testing.assert_allclose(a["area_m2"], b["area_m2"], rtol=1e-6)
    assert list(a["exclusion_reason"]) == list(b["exclusion_reason"])


def test_local_crs_is_utm_50n(county):
    gdf = gpd.read_file(county, layer="sites")
    assert local_crs(gdf).to_epsg() == 32650


def test_input_frame_not_mutated(county):
    gdf = gpd.read_file(county, layer="sites")
    before = gdf.copy()
    check_sites(gdf, county)
    assert gdf.equals(before)


def _gdf(rows, crs="EPSG:4326"):
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def _deg_square(lon=115.5, lat=40.4, d=0.0002):
    return Polygon([(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)])


@pytest.mark.parametrize("rows, crs, match", [
    ([{"site_type": "rural_home", "geometry": _deg_square()}], "EPSG:4326", r"site_id: required column"),
    ([{"site_id": "a", "geometry": _deg_square()}], "EPSG:4326", r"site_type: required column"),
    ([{"site_id": "a", "site_type": "rural_home", "geometry": _deg_square()}], None, r"no CRS"),
    ([{"site_id": "a", "site_type": "rural_home", "geometry": square(0, 0, 10)}], "EPSG:4326",
     r"look like projected metres"),
    ([{"site_id": "a", "site_type": "rural_home", "geometry": _deg_square()},
      {"site_id": "a", "site_type": "rural_home", "geometry": _deg_square(115.6)}], "EPSG:4326", r"duplicate site id"),
    ([{"site_id": "a", "site_type": "solar_farm", "geometry": _deg_square()}], "EPSG:4326",
     r"unknown site type.*'solar_farm'.*rural_home"),
    ([{"site_id": "a", "site_type": "rural_home", "geometry": point(0, 0)}], UTM50, r"must be polygons"),
    ([{"site_id": "a\nb", "site_type": "rural_home", "geometry": _deg_square()}], "EPSG:4326",
     r"site_id: ids with control characters.*row 1"),
])
def test_bad_site_layers(tmp_path, rows, crs, match):
    with pytest.raises(InputError, match=match):
        check_sites(_gdf(rows, crs), tmp_path / "sites.gpkg")


def test_empty_layer(tmp_path):
    with pytest.raises(InputError, match="empty"):
        check_sites(gpd.GeoDataFrame({"site_id": [], "site_type": []}, geometry=[], crs=4326), tmp_path / "s.gpkg")


def test_self_intersecting_polygon_repaired_with_warning(tmp_path):
    bowtie = Polygon([(115.5, 40.4), (115.5002, 40.4002), (115.5002, 40.4), (115.5, 40.4002)])
    gdf = _gdf([{"site_id": "a", "site_type": "rural_home", "geometry": bowtie}])
    with pytest.warns(InputWarning, match="repaired"):
        out = check_sites(gdf, tmp_path / "s.gpkg")
    assert out.geometry.is_valid.all() and out.to_crs(32650).area.iloc[0] > 0
    with pytest.raises(InputError, match="strict"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_sites(gdf, tmp_path / "s.gpkg", strict=True)


def test_transformer_without_rating(tmp_path):
    bad = [dict(TRANSFORMERS[0]), {"transformer_id": "T9", "rating_kva": None, "geometry": point(5, 5)}]
    path = make_county(tmp_path / "c.gpkg", _sites()[:1], bad)
    raw = scenario_dict(path)
    raw["data"]["feeders_layer"] = None  # hand-made counties have no feeder lines
    raw["data"]["exclusions"] = []
    with pytest.raises(InputError, match=r"rating_kva: empty in row 2 \(T9\).*a value is required"):
        prepare_sites(scenario_from_dict(raw, path=tmp_path / "s.yaml"))


def test_missing_layer_lists_available(tmp_path, county):
    raw = scenario_dict(county)
    raw["data"]["feeders_layer"] = None
    raw["data"]["sites_layer"] = "buildings"
    raw["data"]["exclusions"] = []
    with pytest.raises(InputError, match=r"layer not found.*'buildings'.*sites"):
        prepare_sites(scenario_from_dict(raw, path=tmp_path / "s.yaml"))


def test_medium_voltage_sites_connect_to_the_nearest_feeder(tmp_path):
    """A 5 MW farm 4 km from the substation but 250 m (from its centre) from a feeder line is connected."""
    from shapely.geometry import LineString as Line

    transformers = [
        {"transformer_id": "T1", "rating_kva": 400, "connection_level": "lv", "substation": "S1", "feeder_id": "F1",
         "geometry": point(0, 0)},
        {"transformer_id": "MV-S1", "rating_kva": 40000, "connection_level": "mv", "substation": "S1",
         "geometry": point(-4000, 0)},
    ]
    sites = [{"site_id": "farm", "site_type": "agrivoltaic", "township": "A", "geometry": square(300, 100, 300)}]
    feeders = gpd.GeoDataFrame({"feeder_id": ["F1"], "substation": ["S1"]},
                               geometry=[Line([(X0 - 4000, Y0), (X0 + 2000, Y0)])], crs=UTM50)
    path = make_county(tmp_path / "c.gpkg", sites, transformers, extra_layers={"feeders": feeders})
    raw = scenario_dict(path)
    raw["data"]["exclusions"] = []
    raw["data"]["feeders_layer"] = "feeders"
    with_feeders, _ = prepare_sites(scenario_from_dict(raw, path=tmp_path / "s.yaml"))
    farm = with_feeders.loc["farm"]
    assert (farm["transformer_id"], farm["feeder_id"]) == ("MV-S1", "F1")
    # from the parcel's representative point (its centre here) to the line, not to the substation
    assert farm["distance_to_transformer_m"] == pytest.approx(250.0, abs=1.0)
    raw["data"]["feeders_layer"] = None
    with pytest.raises(InputError, match="no eligible site"):  # 4.3 km to the substation point > 3 km
        prepare_sites(scenario_from_dict(raw, path=tmp_path / "s.yaml"))


# ---------------------------------------------------------------------------------------------- UTM zone
# `sim.sites.utm_epsg`: the WGS 84 UTM zone of a point, checked against the UTM definition.
# 
# UTM zone n (1..60) covers the longitudes [-180 + 6 (n - 1), -180 + 6 n) and has its central meridian at -183 + 6 n;
# EPSG:326nn is its northern-hemisphere CRS (false northing 0), EPSG:327nn the southern one (false northing 10,000 km).


@pytest.mark.parametrize(("lon", "lat", "expected"), [
    (115.5, 40.4, 32650),          # Huailai: zone 50 spans 114..120 E
    (-180.0, 10.0, 32601),         # the western edge of zone 1
    (180.0, 10.0, 32601),          # 180 E is the meridian 180 W: zone 1 again
    (179.999, 10.0, 32660),        # zone 60 spans 174..180 E
    (-174.0, 10.0, 32602),         # a zone boundary belongs to the zone east of it
    (-174.0001, 10.0, 32601),
    (0.0, 51.48, 32631),           # Greenwich: zone 31 spans 0..6 E
    (-0.0001, 51.48, 32630),
    (6.0, 45.0, 32632),
    (18.4, -33.9, 32734),          # Cape Town: zone 34, southern hemisphere
    (151.2, -33.87, 32756),        # Sydney: zone 56 south
    (-157.8, 21.3, 32604),         # Honolulu: zone 4 spans 162..156 W
    (-70.6, -33.4, 32719),         # Santiago: zone 19 south
    (3.0, 0.0, 32631),             # the equator counts as north
    (3.0, -1e-9, 32731),
])
def test_utm_epsg_known_points(lon, lat, expected):
    assert utm_epsg(lon, lat) == expected


@pytest.mark.parametrize("zone", [1, 2, 30, 31, 50, 59, 60])
@pytest.mark.parametrize("offset", [-2.999, 0.0, 2.999])
def test_utm_epsg_matches_the_epsg_definition(zone, offset):
    """The returned CRS has its central meridian within 3 degrees of the point, and the right false northing."""
    lon = -183.0 + 6.0 * zone + offset
    for lat, false_northing in ((45.0, 0.0), (-45.0, 10_000_000.0)):
        crs = CRS.from_epsg(utm_epsg(lon, lat))
        params = {p.name: p.value for p in crs.coordinate_operation.params}
        assert params["Longitude of natural origin"] == pytest.approx(-183.0 + 6.0 * zone)
        assert params["False northing"] == pytest.approx(false_northing)


def test_eligibility_and_connection_boundaries_are_inclusive(county):
    """A site exactly at siting.min_capacity_kwp, or exactly siting.max_transformer_distance_m from its transformer,
    is eligible; a hair beyond either it is not. A site of exactly siting.lv_max_kwp connects at low voltage."""
    base, _ = prepare_sites(_scenario(county))
    school = base.loc["school"]
    cap, dist = float(school["capacity_kwp"]), float(school["distance_to_transformer_m"])
    assert school["eligible"] and cap > 20 and dist > 10
    at, _ = prepare_sites(_scenario(county, min_capacity_kwp=cap, max_transformer_distance_m=dist, lv_max_kwp=cap))
    assert at.loc["school", "exclusion_reason"] == "" and at.loc["school", "connection_level"] == "lv"
    over, _ = prepare_sites(_scenario(county, min_capacity_kwp=cap + 0.01, lv_max_kwp=cap - 0.01))
    assert over.loc["school", "exclusion_reason"] == "below_min_capacity"
    assert over.loc["school", "connection_level"] == "mv"
    far, _ = prepare_sites(_scenario(county, max_transformer_distance_m=dist - 0.1))
    assert far.loc["school", "exclusion_reason"] == "no_transformer_within_distance"


def test_polygons_and_multipolygons_mix_and_distances_are_to_the_decimetre(tmp_path, county):
    """A layer may mix Polygons and MultiPolygons (checked in memory: a GeoPackage layer stores one type);
    distances to the transformer are kept to 0.1 m; capex is capacity x 1000 x the type's CNY/W, to the fen."""
    from shapely.geometry import MultiPolygon

    mixed = _gdf([{"site_id": "a", "site_type": "rural_home", "geometry": _deg_square()},
                  {"site_id": "b", "site_type": "rural_home",
                   "geometry": MultiPolygon([_deg_square(115.6), _deg_square(115.601)])}])
    assert set(mixed.geom_type) == {"Polygon", "MultiPolygon"}
    assert list(check_sites(mixed, tmp_path / "s.gpkg").index) == ["a", "b"]
    sites, _ = prepare_sites(_scenario(county))
    d = sites["distance_to_transformer_m"].to_numpy(float)
    assert np.array_equal(d, np.round(d, 1)) and not np.array_equal(d, np.round(d, 0))
    per_w = site_type_table().loc[sites["site_type"], "capex_cny_per_w"].to_numpy(float)
    np.testing.assert_array_equal(sites["capex_cny"], np.round(sites["capacity_kwp"].to_numpy() * 1000 * per_w, 2))


def test_map_layers_buffer_the_exclusions(county):
    """The map's exclusion layers as the scenario names them, the river buffered by its 50 m."""
    from sim.sites import map_layers

    layers = map_layers(_scenario(county))
    reasons = [r for r, _ in layers["exclusions"]]
    assert reasons == ["basic_farmland", "river"]
    river = dict(layers["exclusions"])["river"]
    assert river.geometry.iloc[0].geom_type == "Polygon"
    assert river.geometry.area.iloc[0] == pytest.approx(10_000 * 100, rel=0.01)  # 10 km x 2 x 50 m


def test_prepare_sites_repairs_by_default_and_refuses_when_strict(tmp_path, county):
    """A self-intersecting roof is repaired with a warning unless ``strict`` is asked for."""
    rows = _sites() + [{"site_id": "bowtie", "site_type": "rural_home", "township": "A",
                        "geometry": Polygon([(X0 + 20, Y0 + 60), (X0 + 40, Y0 + 80), (X0 + 40, Y0 + 60),
                                             (X0 + 20, Y0 + 80)])}]
    farmland = gpd.GeoDataFrame(geometry=[square(-700, -700, 400)], crs=UTM50)
    river = gpd.GeoDataFrame(geometry=[LineString([(X0 - 5000, Y0 + 5000), (X0 + 5000, Y0 + 5000)])], crs=UTM50)
    path = make_county(tmp_path / "bowtie.gpkg", rows, TRANSFORMERS,
                       extra_layers={"exclusion_basic_farmland": farmland, "river": river})
    with pytest.warns(InputWarning, match="repaired"):
        sites, _ = prepare_sites(_scenario(path))
    assert sites.loc["bowtie", "area_m2"] > 0
    with pytest.raises(InputError, match="strict"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepare_sites(_scenario(path), strict=True)


def test_a_line_exclusion_without_buffer_excludes_the_sites_it_crosses(tmp_path):
    """A river drawn as a line with buffer_m 0 still excludes the roof it crosses (no buffer is applied, rather than
    a zero buffer that would turn the line into nothing)."""
    river = gpd.GeoDataFrame(geometry=[LineString([(X0 - 100, Y0 + 15), (X0 + 100, Y0 + 15)])], crs=UTM50)
    path = make_county(tmp_path / "river.gpkg", _sites(), TRANSFORMERS, extra_layers={"river": river})
    raw = scenario_dict(path)
    raw["data"]["feeders_layer"] = None
    raw["data"]["exclusions"] = [{"layer": "river", "buffer_m": 0, "applies_to": "all"}]
    sites, _ = prepare_sites(scenario_from_dict(raw, path=tmp_path / "s.yaml"))
    assert sites.loc["home1", "exclusion_reason"] == "river"
    assert sites.loc["school", "exclusion_reason"] == ""


def test_home_size_is_checked_against_the_national_average():
    """The demo county's homes at 2024 module density (210 W/m2 of usable roof) come within 25 % of the national
    average household system, about 21 kW (NEA, Sept 2023: about 105 GW on more than 5 million households); at
    NREL 2018's 138 W/m2 they were about half of it."""
    from pathlib import Path

    demo = Path(__file__).resolve().parents[1] / "data" / "demo_county" / "demo_county.gpkg"
    roofs = gpd.read_file(demo, layer="sites")
    homes = roofs[roofs["site_type"] == "rural_home"]
    area_m2 = homes.to_crs(homes.estimate_utm_crs()).geometry.area
    table = site_type_table()
    kwp = area_m2 * table.loc["rural_home", "usable_area_percent"] / 100 * table.loc[
        "rural_home", "power_density_w_per_m2"] / 1000
    national_kw = 105e6 / 5e6
    assert abs(kwp.mean() / national_kw - 1.0) <= 0.25, kwp.mean()


def test_land_classes_follow_the_2023_notice():
    """自然资办发〔2023〕12号: no arrays on cultivated land or permanent basic farmland (not even elevated ones);
    orchards, grassland and forest take elevated (agrivoltaic) arrays, ponds fishery-PV, facility land greenhouses,
    unused land the ground types, construction land everything; no land class, no rule."""
    from sim.sites import land_class_allows

    cases = [("agrivoltaic", "cultivated_land", False), ("agrivoltaic", "permanent_basic_farmland", False),
             ("greenhouse", "cultivated_land", False), ("agrivoltaic", "orchard", True),
             ("greenhouse", "orchard", False), ("agrivoltaic", "forest", True), ("fish_pond", "forest", False),
             ("agrivoltaic", "grassland", True), ("fish_pond", "water_surface", True),
             ("agrivoltaic", "water_surface", False), ("greenhouse", "facility_agricultural_land", True),
             ("agrivoltaic", "facility_agricultural_land", False), ("agrivoltaic", "unused_land", True),
             ("rural_home", "unused_land", False), ("rural_home", "construction_land", True),
             ("agrivoltaic", "construction_land", True), ("agrivoltaic", "", True)]
    sites = pd.DataFrame(cases, columns=["site_type", "land_class", "expected"])
    assert land_class_allows(sites).tolist() == sites["expected"].tolist()
    assert land_class_allows(sites.drop(columns="land_class")).all()


def test_sites_on_cultivated_land_are_ineligible_with_their_reason(tmp_path):
    sites = _sites()
    for s in sites:
        s["land_class"] = "cultivated_land" if s["site_id"] == "farm" else "construction_land"
    farmland = gpd.GeoDataFrame(geometry=[square(-700, -700, 400)], crs=UTM50)
    river = gpd.GeoDataFrame(geometry=[LineString([(X0 - 5000, Y0 + 5000), (X0 + 5000, Y0 + 5000)])], crs=UTM50)
    layers = {"exclusion_basic_farmland": farmland, "river": river}
    path = make_county(tmp_path / "c.gpkg", sites, TRANSFORMERS, extra_layers=layers)
    out, _ = prepare_sites(_scenario(path))
    assert out.loc["farm", "exclusion_reason"] == "land_class_cultivated_land"
    assert not out.loc["farm", "eligible"] and out.loc["home1", "eligible"]
    for s in sites:
        s["land_class"] = "paddy" if s["site_id"] == "farm" else ""
    path = make_county(tmp_path / "d.gpkg", sites, TRANSFORMERS, extra_layers=layers)
    with pytest.raises(InputError, match="unknown land class 'paddy'"):
        prepare_sites(_scenario(path))


def test_local_crs_of_a_projected_layer_is_its_utm_zone():
    """A layer in a projected CRS is taken to longitude and latitude first: the demo county's point in UTM 50N
    (EPSG:32650) lies in zone 50, and the same point in Web Mercator too; a layer in the southern hemisphere gets
    the 327xx zone."""
    from shapely.geometry import Point as _Point

    utm = gpd.GeoDataFrame(geometry=[_Point(412_000.0, 4_472_000.0)], crs="EPSG:32650")
    assert local_crs(utm).to_epsg() == 32650
    assert local_crs(utm.to_crs(3857)).to_epsg() == 32650
    sydney = gpd.GeoDataFrame(geometry=[_Point(151.2, -33.9)], crs="EPSG:4326").to_crs(3857)
    assert local_crs(sydney).to_epsg() == 32756
