"""Tests of the synthetic demo-county generator (`sim.demo`)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from sim.demo import LAYERS, SITE_AREA_RANGES_M2, SITE_TYPE_SHARES, make_demo_county
from sim.sites import utm_epsg

UTM = 32650
N_SMALL = 400
BUNDLED = Path(__file__).resolve().parents[1] / "data" / "demo_county" / "demo_county.gpkg"


def read_all(path: Path) -> dict[str, gpd.GeoDataFrame]:
    return {name: gpd.read_file(path, layer=name, engine="pyogrio") for name in LAYERS}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "small.gpkg"
    counts = make_demo_county(path, n_sites=N_SMALL)
    return path, counts, read_all(path)


@pytest.fixture(scope="module")
def default_size(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo_default") / "default.gpkg"
    counts = make_demo_county(path)
    return path, counts, read_all(path)


def test_utm_zone_from_longitude():
    assert utm_epsg(115.5, 40.4) == 32650
    assert utm_epsg(117.0, 30.0) == 32650
    assert utm_epsg(113.9, 30.0) == 32649
    assert utm_epsg(18.4, -33.9) == 32734


def test_layers_counts_and_crs(small):
    path, counts, layers = small
    assert set(pyogrio.list_layers(path)[:, 0]) == set(LAYERS)
    assert counts["utm_epsg"] == UTM
    for name, gdf in layers.items():
        assert gdf.crs.to_epsg() == 4326, name
        assert counts[name] == len(gdf) > 0, name
    assert len(layers["county_boundary"]) == 1
    assert len(layers["sites"]) == N_SMALL
    assert len(layers["townships"]) >= 8
    assert len(layers["villages"]) >= 40


def test_deterministic_for_same_arguments(small, tmp_path):
    path, _, layers = small
    make_demo_county(tmp_path / "again.gpkg", n_sites=N_SMALL)
    again = read_all(tmp_path / "again.gpkg")
    for name in LAYERS:
        a, b = layers[name], again[name]
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                      pd.DataFrame(b.drop(columns="geometry")))
        assert (a.geometry.to_wkb() == b.geometry.to_wkb()).all(), name


def test_other_seed_gives_other_county(small, tmp_path):
    _, _, layers = small
    make_demo_county(tmp_path / "other.gpkg", n_sites=N_SMALL, seed=7)
    other = gpd.read_file(tmp_path / "other.gpkg", layer="sites")
    assert not layers["sites"].geometry.geom_equals(other.geometry).all()


def test_all_geometries_valid_and_typed(small):
    _, _, layers = small
    expected = {"county_boundary": {"Polygon"}, "townships": {"Polygon", "MultiPolygon"}, "villages": {"Point"},
                "sites": {"Polygon"}, "substations": {"Point"}, "feeders": {"LineString"},
                "transformers": {"Point"}, "lines": {"LineString"}, "exclusion_basic_farmland": {"Polygon", "MultiPolygon"},
                "exclusion_ecological": {"Polygon", "MultiPolygon"}, "river": {"LineString"},
                "reservoir": {"Polygon"}}
    for name, gdf in layers.items():
        assert gdf.is_valid.all(), name
        assert not gdf.geometry.is_empty.any(), name
        assert set(gdf.geom_type) <= expected[name], (name, set(gdf.geom_type))


def test_lv_lines_are_one_tree_per_transformer_over_its_building_sites(small):
    # each lv transformer's lines: a tree (spans = sites reached), one connected network as the line-layer check
    # wants, trunk spans (feeding >= 8 sites) JKLYJ-1kV-120, the others JKLYJ-1kV-70, lengths from the geometry
    import pandas as pd

    from sim import grid, inputs
    from sim.demo.lv_lines import LINE_SITE_TYPES, TRUNK_SITES

    path, counts, layers = small
    lines, sites, tx = layers["lines"], layers["sites"], layers["transformers"]
    assert counts["lines"] == len(lines) == int(sites["site_type"].isin(LINE_SITE_TYPES).sum())
    assert set(lines["transformer_id"]) <= set(tx.loc[tx["connection_level"].eq("lv"), "transformer_id"])
    source = inputs.Source("lines", path, "lines", "data.sites_file", "data.lines_layer")
    local = grid.check_lines(lines, source, pd.Index(tx["transformer_id"]), 32650)
    assert np.allclose(local.length / 1000.0, lines["length_km"], atol=2e-4)
    for tid, rows in local.groupby("transformer_id"):
        nodes = {tuple(np.round(c, 0)) for g in rows.geometry for c in g.coords}
        assert len(nodes) == len(rows) + 1, tid  # a tree: one more vertex than spans
    assert set(lines["cable_type"]) == {"JKLYJ-1kV-120", "JKLYJ-1kV-70"}
    from sim.demo.lv_lines import _tree_spans

    # by hand: a chain of 9 points east of the transformer: the first span feeds 9 sites, the last 1
    spans = _tree_spans(np.column_stack([np.arange(10) * 20.0, np.zeros(10)]))
    assert [fed for _, _, fed in spans] == list(range(9, 0, -1))
    assert [fed >= TRUNK_SITES for _, _, fed in spans] == [True, True] + [False] * 7


def test_site_types_and_mix(small):
    _, _, layers = small
    sites = layers["sites"]
    assert set(sites["site_type"]) == set(SITE_TYPE_SHARES)
    share = sites["site_type"].value_counts(normalize=True)
    for site_type, expected in SITE_TYPE_SHARES.items():
        assert share[site_type] == pytest.approx(expected, abs=0.01), site_type


def test_site_columns_and_ids(small):
    _, _, layers = small
    sites = layers["sites"]
    for col in ("site_id", "site_type", "township", "village", "name", "roof_tilt_deg", "roof_azimuth_deg",
                "building_storeys"):
        assert col in sites.columns
    assert sites["site_id"].is_unique
    assert sites["site_id"].str.fullmatch(r"S\d{6}").all()
    assert sites["name"].is_unique
    assert sites["township"].isin(layers["townships"]["name"]).all()
    assert sites["village"].isin(layers["villages"]["name"]).all()
    # the village of a site belongs to the site's township
    v_town = layers["villages"].set_index("name")["township"]
    assert (sites["village"].map(v_town) == sites["township"]).all()
    for layer, col in (("townships", "township_id"), ("villages", "village_id"), ("feeders", "feeder_id"),
                       ("transformers", "transformer_id"), ("substations", "substation")):
        assert layers[layer][col].is_unique, layer
    assert layers["villages"]["name"].is_unique


def test_roof_attributes(small):
    _, _, layers = small
    s = layers["sites"]
    ground = s["site_type"].isin(["agrivoltaic", "fish_pond", "tourism_carpark"])
    assert s.loc[ground, ["roof_tilt_deg", "roof_azimuth_deg", "building_storeys"]].isna().all().all()
    flat = s["site_type"].isin(["public_building", "party_government"])
    assert s.loc[flat, "roof_tilt_deg"].isna().all()
    homes = s[s["site_type"] == "rural_home"]
    pitched = homes["roof_tilt_deg"].dropna()
    assert len(pitched) > 0.8 * len(homes)
    assert pitched.between(20, 30).all()
    assert homes["roof_azimuth_deg"].between(160, 200).all()
    roofs = s[~ground]
    assert roofs["roof_azimuth_deg"].between(0, 360, inclusive="left").all()
    assert roofs["building_storeys"].notna().all() and (roofs["building_storeys"] >= 1).all()
    assert s["roof_tilt_deg"].dropna().between(0, 90).all()


def test_areas_in_ranges(small):
    _, _, layers = small
    s = layers["sites"].to_crs(UTM)
    area = s.geometry.area
    for site_type, (lo, hi) in SITE_AREA_RANGES_M2.items():
        a = area[s["site_type"] == site_type]
        assert a.min() >= lo * 0.995 and a.max() <= hi * 1.005, (site_type, a.min(), a.max())
    assert np.allclose(s["area_m2"], area, rtol=0.002)
    county_km2 = layers["county_boundary"].to_crs(UTM).area.iloc[0] / 1e6
    assert 700 < county_km2 < 1_900


def test_sites_inside_county_and_disjoint(small):
    _, _, layers = small
    s = layers["sites"].to_crs(UTM)
    county = layers["county_boundary"].to_crs(UTM).geometry.iloc[0]
    assert s.within(county).all()
    tree = shapely.STRtree(s.geometry.values)
    a, b = tree.query(s.geometry.values, predicate="intersects")
    assert (a == b).all(), "sites overlap"
    assert not s.intersects(layers["reservoir"].to_crs(UTM).geometry.iloc[0]).any()


def test_townships_tile_the_county(small):
    _, _, layers = small
    t = layers["townships"].to_crs(UTM)
    county = layers["county_boundary"].to_crs(UTM).geometry.iloc[0]
    assert t.area.sum() == pytest.approx(county.area, rel=1e-4)
    assert shapely.union_all(t.geometry.values).symmetric_difference(county).area < 1e-4 * county.area
    per_town = layers["villages"].groupby("township").size()
    assert per_town.min() >= 5 and per_town.max() <= 8
    assert len(per_town) == len(t)


@pytest.mark.parametrize("layer", ["exclusion_basic_farmland", "exclusion_ecological", "river"])
def test_some_sites_hit_each_exclusion(small, layer):
    _, _, layers = small
    s = layers["sites"].to_crs(UTM)
    zone = layers[layer].to_crs(UTM)
    if layer == "river":
        zone = zone.buffer(100.0)
    hit = s.intersects(shapely.union_all(zone.geometry.values))
    assert 0 < hit.sum() < 0.5 * len(s)
    if layer == "exclusion_basic_farmland":
        assert (hit & (s["site_type"] == "agrivoltaic")).any()


def test_basic_farmland_is_about_a_quarter_of_farmland(small):
    _, _, layers = small
    area = {k: layers[k].to_crs(UTM).area.sum() for k in ("county_boundary", "exclusion_basic_farmland",
                                                          "exclusion_ecological", "reservoir")}
    lowland = area["county_boundary"] - area["exclusion_ecological"] - area["reservoir"]
    assert 0.15 < area["exclusion_basic_farmland"] / lowland < 0.35


def test_grid_layers(small):
    _, _, layers = small
    subs, feeders, tx = layers["substations"], layers["feeders"], layers["transformers"]
    assert 3 <= len(subs) <= 5
    assert set(subs["voltage_kv"]) <= {35, 110}
    assert (subs["main_transformer_mva"] > 0).all()
    assert (feeders["voltage_kv"] == 10).all() and (feeders["rating_mva"] > 0).all()
    assert feeders["substation"].isin(subs["substation"]).all()
    # feeders start at their substation
    sub_pt = subs.set_index("substation").to_crs(UTM).geometry
    start = shapely.get_point(feeders.to_crs(UTM).geometry.values, 0)
    assert np.allclose(shapely.distance(start, sub_pt.loc[feeders["substation"]].values), 0.0, atol=0.1)
    lv = tx[tx["connection_level"] == "lv"]
    mv = tx[tx["connection_level"] == "mv"]
    assert set(tx["connection_level"]) == {"lv", "mv"}
    assert len(mv) == len(subs) and set(mv["substation"]) == set(subs["substation"])
    assert lv["rating_kva"].isin([200, 315, 400, 500, 630, 800, 1000, 1250]).all()
    assert (mv["rating_kva"] >= 40_000).all()
    assert (lv["existing_pv_kw"] >= 0).all() and (lv["existing_pv_kw"] <= 0.4 * lv["rating_kva"] + 1).all()
    assert lv["feeder_id"].isin(feeders["feeder_id"]).all()
    assert tx["substation"].isin(subs["substation"]).all()
    planned = tx["planned_upgrade_date"].notna()
    dates = pd.to_datetime(tx.loc[planned, "planned_upgrade_date"])
    assert dates.dt.year.between(2027, 2029).all()
    assert (tx.loc[planned, "planned_upgrade_kva"] > 0).all()
    assert (tx.loc[~planned, "planned_upgrade_kva"] == 0).all()
    assert planned.sum() < 0.3 * len(tx)
    # lv transformers sit on their feeder
    f_geom = feeders.set_index("feeder_id").to_crs(UTM).geometry
    d = shapely.distance(lv.to_crs(UTM).geometry.values, f_geom.loc[lv["feeder_id"]].values)
    assert np.allclose(d, 0.0, atol=0.1)


def test_default_size_grid(default_size):
    _, counts, layers = default_size
    assert counts["sites"] == 3500
    assert counts["transformers"] >= 40 and counts["feeders"] >= 8
    lv = layers["transformers"]["connection_level"].eq("lv").sum()
    assert 3500 / 45 <= lv <= 3500 / 25
    assert 40 <= len(layers["villages"]) <= 72


@pytest.mark.parametrize("kwargs", [
    dict(n_sites=9, n_townships=3, villages_per_township=2),
    dict(n_sites=60, seed=1, n_townships=12, villages_per_township=8),
    dict(n_sites=120, seed=3, center_lat=-33.9, center_lon=18.4),
])
def test_other_layouts(tmp_path, kwargs):
    counts = make_demo_county(tmp_path / "x.gpkg", **kwargs)
    sites = gpd.read_file(tmp_path / "x.gpkg", layer="sites")
    assert len(sites) == counts["sites"] == kwargs["n_sites"]
    assert sites.is_valid.all() and (sites.geom_type == "Polygon").all()
    if kwargs["n_sites"] >= 9:
        assert set(sites["site_type"]) == set(SITE_TYPE_SHARES)
    assert counts["townships"] == kwargs.get("n_townships", 9)
    assert counts["utm_epsg"] == utm_epsg(kwargs.get("center_lon", 115.5), kwargs.get("center_lat", 40.4))


@pytest.mark.parametrize("kwargs", [dict(n_sites=0), dict(n_townships=0), dict(villages_per_township=0),
                                    dict(center_lat=89.0)])
def test_bad_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError):
        make_demo_county(tmp_path / "x.gpkg", **kwargs)


@pytest.mark.skipif(not BUNDLED.exists(), reason="bundled demo county not generated")
def test_bundled_file():
    assert BUNDLED.stat().st_size < 5 * 1024 * 1024
    layers = {name: gpd.read_file(BUNDLED, layer=name) for name in ("sites", "transformers", "feeders", "townships")}
    assert len(layers["sites"]) == 3500
    assert set(layers["sites"]["site_type"]) == set(SITE_TYPE_SHARES)
    assert len(layers["transformers"]) >= 40 and len(layers["feeders"]) >= 8 and len(layers["townships"]) >= 8
    assert all(g.crs.to_epsg() == 4326 for g in layers.values())
    assert layers["sites"]["site_id"].is_unique


def test_county_stretches_beyond_fifty_thousand_sites():
    """Up to 50,000 sites the county keeps the Huailai-sized ellipse (19 x 16 km semi-axes); beyond, its semi-axes
    grow by (n / 50,000) ** 0.6, so its area grows faster than the sites and the ground sites always find room."""
    from sim.demo.county import CountyRecipe

    assert CountyRecipe(n_sites=3_500).extent_m == (19_000.0, 16_000.0)
    assert CountyRecipe(n_sites=50_000).extent_m == (19_000.0, 16_000.0)
    a, b = CountyRecipe(n_sites=100_000).extent_m
    assert a == pytest.approx(19_000.0 * 1.515717, rel=1e-6) and b == pytest.approx(16_000.0 * 1.515717, rel=1e-6)
    sites_per_km2 = [n / (np.pi * np.prod(CountyRecipe(n_sites=n).extent_m) / 1e6) for n in (50_000, 200_000, 10**6)]
    assert sites_per_km2 == sorted(sites_per_km2, reverse=True)


@pytest.mark.slow
def test_hundred_thousand_sites_fit(tmp_path):
    """100,000 sites used to stop with "could not place 1 agrivoltaic sites without overlaps"."""
    counts = make_demo_county(tmp_path / "big.gpkg", n_sites=100_000, seed=1)
    assert counts["sites"] == 100_000
