"""pvsim import-osm on a real OpenStreetMap extract (tests/data/osm, ODbL) and on small hand-written ones."""

from __future__ import annotations

import gzip
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, Polygon

from sim.cli import main
from sim.errors import InputError
from sim.osm import osm_sites, roof_azimuth_deg, tag_table

from .conftest import scenario_dict, write_scenario

DATA = Path(__file__).parent / "data"
EXTRACT = DATA / "osm" / "kirchberg_village.osm"


def _building_ways(path: Path) -> dict[str, tuple[str, Polygon | None]]:
    """Every way tagged building in the XML: id -> (building value, footprint in UTM 32N metres or None when a node
    is missing or the ring is not closed). Read with the standard library, independently of pyosmium."""
    root = ET.parse(path).getroot()
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    to_utm = Transformer.from_crs(4326, 32632, always_xy=True)
    out = {}
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if "building" not in tags:
            continue
        refs = [nd.get("ref") for nd in way.iter("nd")]
        ok = len(refs) >= 4 and refs[0] == refs[-1] and all(r in nodes for r in refs)
        ring = [to_utm.transform(*nodes[r]) for r in refs] if ok else None
        out[f"way_{way.get('id')}"] = (tags["building"], Polygon(ring) if ring else None)
    return out


@pytest.fixture(scope="module")
def imported():
    return osm_sites(EXTRACT)


def test_kept_and_dropped_buildings_add_up_to_the_extract(imported):
    sites, report = imported
    ways = _building_ways(EXTRACT)
    kept = sum(n for (_, tag), n in report.kept.items() if tag.startswith("building="))
    dropped = sum(n for (_, tag), n in report.dropped.items() if tag.startswith("building="))
    relations = _building_relations(EXTRACT)
    assert kept + dropped == len(ways) + len(relations) == 34
    complete = {k: v for k, v in ways.items() if v[1] is not None and v[1].is_valid}
    small = sum(1 for _, poly in complete.values() if poly.area < 40.0)
    assert report.dropped[("below minimum area", "building=yes (< 550 m2)")] == small == 7
    assert kept == len(complete) - small == 24
    # cut outlines: the ways whose ring is incomplete in the file, counted by their tag
    cut = Counter([v[0] for v in ways.values() if v[1] is None or not v[1].is_valid] + relations)
    assert report.dropped[("outline cut/invalid", "building=yes")] == cut["yes"] == 2
    # the government building is a multipolygon relation whose member ways reach outside the box
    assert report.dropped[("outline cut/invalid", "building=government")] == cut["government"] == 1
    assert report.dropped[("outline cut/invalid", "landuse=farmland")] == 1  # the farmland is cut at the edge too
    assert report.dropped[("no matching tag", "landuse=forest")] == 1
    assert set(sites["site_type"]) == {"rural_home"}
    # the areas agree with an independent computation in UTM 32N
    areas = {k: v[1].area for k, v in complete.items()}
    np.testing.assert_allclose(sites["area_m2"], [areas[i] for i in sites["site_id"]], rtol=1e-3)


def _building_relations(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    out = []
    for rel in root.iter("relation"):
        tags = {t.get("k"): t.get("v") for t in rel.iter("tag")}
        if "building" in tags:
            out.append(tags["building"])
    return out


def test_ids_are_unique_and_safe_and_storeys_kept(imported):
    sites, _ = imported
    assert sites["site_id"].is_unique
    assert sites["site_id"].str.fullmatch(r"(way|relation)_\d+").all()
    levels = {k: v for k, v in _levels(EXTRACT).items() if k in set(sites["site_id"])}
    got = sites.set_index("site_id")["building_storeys"]
    assert levels and all(got[k] == v for k, v in levels.items())
    assert got.drop(index=list(levels)).isna().all()


def _levels(path: Path) -> dict[str, float]:
    root = ET.parse(path).getroot()
    out = {}
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if "building:levels" in tags:
            out[f"way_{way.get('id')}"] = float(tags["building:levels"])
    return out


def test_roof_azimuths_face_the_nearest_side_to_south(imported):
    sites, _ = imported
    az = sites["roof_azimuth_deg"]
    assert az.notna().all()  # every kept house is taken as pitched
    assert ((az >= 90) & (az <= 270)).all()  # the face nearest south never looks north
    # the village's streets run east-west: most ridges do too, so most roofs face within 10 deg of south
    assert (abs(az - 180) <= 10).mean() >= 0.8


@pytest.mark.parametrize("ridge_bearing,expected", [(90, 180.0), (70, 160.0), (110, 200.0), (0, 90.0)])
def test_roof_azimuth_from_main_axis_by_hand(ridge_bearing, expected):
    # a 20 m x 8 m house whose long axis points along ridge_bearing (clockwise from north)
    rect = shapely.affinity.rotate(shapely.box(-10, -4, 10, 4), 90 - ridge_bearing, origin=(0, 0))
    got = roof_azimuth_deg([rect], np.array([True]))[0]
    assert got == pytest.approx(expected, abs=0.05) or (expected == 90.0 and got == pytest.approx(270.0, abs=0.05))


def test_square_footprint_uses_the_side_nearest_south():
    square = shapely.affinity.rotate(shapely.box(-5, -5, 5, 5), 30, origin=(0, 0))  # sides face 150/240/330/60 deg
    assert roof_azimuth_deg([square], np.array([True]))[0] == pytest.approx(150.0, abs=0.05)
    assert np.isnan(roof_azimuth_deg([square], np.array([False]))[0])


def _write_osm(path: Path, ways: list[tuple[int, list[tuple[float, float]], dict]], bounds) -> Path:
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">',
             f'<bounds minlat="{bounds[1]}" minlon="{bounds[0]}" maxlat="{bounds[3]}" maxlon="{bounds[2]}"/>']
    nid = 1
    way_xml = []
    for wid, ring, tags in ways:
        refs = []
        for lon, lat in ring:
            lines.append(f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}" version="1"/>')
            refs.append(nid)
            nid += 1
        body = "".join(f'<nd ref="{r}"/>' for r in refs + refs[:1])
        body += "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        way_xml.append(f'<way id="{wid}" version="1">{body}</way>')
    path.write_text("\n".join(lines + way_xml + ["</osm>"]))
    return path


def _rect(lon0, lat0, w_deg, h_deg):
    return [(lon0, lat0), (lon0 + w_deg, lat0), (lon0 + w_deg, lat0 + h_deg), (lon0, lat0 + h_deg)]


def test_slivers_at_the_extract_edge_are_dropped_and_tags_mapped(tmp_path):
    bounds = (116.0, 40.0, 116.01, 40.01)
    ways = [
        (1, _rect(116.002, 40.002, 0.0002, 0.0001), {"building": "yes"}),  # ~17 x 11 m house inside
        (2, _rect(116.0, 40.005, 0.0002, 0.0001), {"building": "yes"}),  # clipped at the west edge
        (3, _rect(116.004, 40.004, 0.0002, 0.0002), {"building": "yes", "amenity": "school"}),
        (4, _rect(116.006, 40.006, 0.00005, 0.00003), {"building": "shed"}),
        (5, _rect(116.003, 40.007, 0.002, 0.001), {"landuse": "aquaculture"}),
        (6, _rect(116.0095, 40.0095, 0.001, 0.0002), {"building": "yes"}),  # crosses the edge: complete, kept
    ]
    sites, report = osm_sites(_write_osm(tmp_path / "t.osm", ways, bounds))
    got = dict(zip(sites["site_id"], sites["site_type"]))
    # way_6 is about 85 m x 22 m = 1,870 m2: too big for a home (the size rule), a commercial/industrial roof
    assert got == {"way_1": "rural_home", "way_3": "public_building", "way_5": "fish_pond",
                   "way_6": "commercial_industrial"}
    assert report.dropped[("cut at extract edge", "building=yes (< 550 m2)")] == 1
    assert report.dropped[("mapped to nothing", "building=shed")] == 1
    flat = sites.set_index("site_id")["roof_azimuth_deg"]
    assert np.isnan(flat["way_3"]) and np.isnan(flat["way_5"])  # flat roofs and land keep the type's default


def test_user_tag_table_overrides_csv_and_yaml(tmp_path):
    csv = tmp_path / "tags.csv"
    csv.write_text("key,value,site_type,min_area_m2\nbuilding,yes,public_building,100\n")
    sites, report = osm_sites(EXTRACT, csv)
    big = sites["area_m2"] >= 100
    assert big.all() and set(sites["site_type"]) == {"public_building", "rural_home"}
    assert (sites["site_type"] == "rural_home").sum() == 1  # building=house keeps the shipped row
    yml = tmp_path / "tags.yaml"
    yml.write_text("- {key: building, value: yes, site_type: ''}\n")
    sites, report = osm_sites(EXTRACT, yml)
    assert list(sites["osm_tag"]) == ["building=house"]
    assert report.dropped[("mapped to nothing", "building=yes")] == 30
    bad = tmp_path / "bad.csv"
    bad.write_text("key,value,site_type\nbuilding,yes,palace\n")
    with pytest.raises(InputError, match="palace"):
        tag_table(bad)


def test_cli_import_then_validate_with_a_transformer_layer(tmp_path, capsys):
    out = tmp_path / "osm"
    assert main(["import-osm", str(EXTRACT), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "kept 24 sites" in printed and "below minimum area" in printed and "transformers" in printed
    sites = gpd.read_file(out / "sites.gpkg", layer="sites")
    # two 400 kVA village transformers at the ends of the village
    minx, miny, maxx, maxy = sites.total_bounds
    tr = gpd.GeoDataFrame({"transformer_id": ["T1", "T2"], "rating_kva": [400.0, 400.0]},
                          geometry=[Point(minx, miny), Point(maxx, maxy)], crs=4326)
    tr.to_file(tmp_path / "grid.gpkg", layer="transformers", driver="GPKG")
    epw = tmp_path / "NLD_Amsterdam062400_IWEC.epw"
    with gzip.open(DATA / "pvlib" / "NLD_Amsterdam062400_IWEC.epw.gz", "rb") as src, open(epw, "wb") as dst:
        shutil.copyfileobj(src, dst)
    raw = scenario_dict(out / "sites.gpkg")
    raw["data"] = {"sites_file": str(out / "sites.gpkg"), "sites_layer": "sites",
                   "grid_file": str(tmp_path / "grid.gpkg"), "transformers_layer": "transformers"}
    raw["weather"] = {"source": "file", "files": [str(epw)]}
    raw["carbon"] = {"method": "average", "scope": "national", "region": "national", "year": 2023}
    raw["rollout"] = {**raw["rollout"], "tracks": [], "target_capacity_kwp": 100}
    assert main(["validate", str(write_scenario(tmp_path, raw))]) == 0
    captured = capsys.readouterr()
    assert "24 /" in captured.out and "OK" in captured.out
    # a second import into the same folder refuses to replace the GeoPackage (exit 2, one line)
    before = (out / "sites.gpkg").stat().st_mtime_ns
    assert main(["import-osm", str(EXTRACT), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0] and (out / "sites.gpkg").stat().st_mtime_ns == before


def test_cli_bad_extract_is_one_line_exit_2_nothing_written(tmp_path, capsys):
    bad = tmp_path / "broken.osm"
    bad.write_text("<osm><way id='1'><nd ref='9'/></way")
    assert main(["import-osm", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "broken.osm" in err[0]
    assert not (tmp_path / "out" / "sites.gpkg").exists()


def test_pbf_extract_gives_the_same_sites(tmp_path, imported):
    import osmium

    pbf = tmp_path / "kirchberg_village.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(EXTRACT)):
            writer.add(obj)
    sites, report = osm_sites(pbf)
    assert list(sites["site_id"]) == list(imported[0]["site_id"])
    assert report.kept == imported[1].kept


def test_without_pyosmium_import_osm_names_the_install_command(tmp_path, capsys, monkeypatch):
    """pyosmium is the optional ``osm`` extra: without it import-osm stops with one line naming the command that
    installs it (exit 2) and writes nothing; the rest of pvsim does not need it."""
    import sys

    monkeypatch.setitem(sys.modules, "osmium", None)  # import osmium now raises ImportError
    assert main(["import-osm", str(EXTRACT), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'pvsim[osm]'" in err[0]
    assert not (tmp_path / "out" / "sites.gpkg").exists()


def _square_m(lon0: float, lat0: float, side_m: float):
    """A square of ``side_m`` metres at 40° N (1° of latitude 111,000 m; of longitude 111,000 x cos 40° m)."""
    return _rect(lon0, lat0, side_m / (111_000.0 * np.cos(np.radians(40.0))), side_m / 111_000.0)


def test_buildings_are_typed_by_what_they_are(tmp_path):
    """By hand: each rule of the tag table on one small area (squares of known size at 40° N)."""
    bounds = (116.0, 40.0, 116.1, 40.1)
    ways = [
        (1, _square_m(116.01, 40.01, 110.0), {"building": "yes"}),  # 12,100 m2: the size rule
        (2, _square_m(116.02, 40.01, 10.0), {"building": "yes"}),  # 100 m2: a home
        (3, _square_m(116.03, 40.01, 5.0), {"building": "yes"}),  # 25 m2: below the minimum
        (4, _square_m(116.04, 40.01, 60.0), {"building": "yes", "amenity": "university"}),
        (5, _square_m(116.05, 40.01, 30.0), {"building": "train_station"}),
        (6, _square_m(116.06, 40.01, 30.0), {"building": "yes", "railway": "station"}),
        (7, _square_m(116.07, 40.01, 40.0), {"building": "factory"}),
        (8, _square_m(116.08, 40.01, 40.0), {"building": "warehouse"}),
        (9, _square_m(116.01, 40.03, 40.0), {"amenity": "parking"}),  # no parking=*: surface
        (10, _square_m(116.02, 40.03, 40.0), {"amenity": "parking", "parking": "underground"}),
        (11, _square_m(116.03, 40.03, 12.0), {"building": "yes", "shop": "supermarket"}),
        (12, _square_m(116.05, 40.05, 300.0), {"landuse": "industrial"}),
        (13, _square_m(116.051, 40.051, 10.0), {"building": "yes"}),  # 100 m2 inside the industrial estate
        (14, _square_m(116.08, 40.05, 10.0), {"building": "house"}),
        (15, _square_m(116.08, 40.08, 15.0), {"building": "yes", "building:levels": "5"}),  # a block of flats
    ]
    sites, report = osm_sites(_write_osm(tmp_path / "t.osm", ways, bounds))
    got = dict(zip(sites["site_id"], sites["site_type"]))
    assert got == {
        "way_1": "commercial_industrial", "way_2": "rural_home", "way_4": "public_building",
        "way_5": "public_building", "way_6": "public_building", "way_7": "commercial_industrial",
        "way_8": "commercial_industrial", "way_9": "tourism_carpark", "way_11": "commercial_industrial",
        "way_13": "commercial_industrial", "way_14": "rural_home", "way_15": "rural_home"}
    rule = dict(zip(sites["site_id"], sites["osm_tag"]))
    assert rule["way_1"] == "building=yes (>= 550 m2)" and rule["way_2"] == "building=yes (< 550 m2)"
    assert rule["way_13"] == "within landuse=industrial" and rule["way_9"] == "amenity=parking"
    assert rule["way_15"] == "multi_storey=yes (< 550 m2)"
    by_id = sites.set_index("site_id")
    assert np.isnan(by_id.loc["way_15", "roof_azimuth_deg"]) and by_id.loc["way_15", "building_storeys"] == 5
    assert not np.isnan(by_id.loc["way_2", "roof_azimuth_deg"])  # a one-storey home keeps its pitched roof
    assert report.dropped[("below minimum area", "building=yes (< 550 m2)")] == 1
    assert report.dropped[("mapped to nothing", "parking=underground")] == 1
    assert report.dropped[("land use: context only", "landuse=industrial")] == 1
    assert sites.set_index("site_id").loc["way_1", "area_m2"] == pytest.approx(12_100, rel=0.01)
    assert "building_storeys" in sites and "storeys" not in sites  # the input schema's column name


def test_max_area_must_exceed_min_area(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("key,value,site_type,min_area_m2,max_area_m2\nbuilding,yes,rural_home,100,50\n")
    with pytest.raises(InputError, match="max_area_m2"):
        tag_table(bad)
