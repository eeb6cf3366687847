"""sim.inputs: the input schema as data (docs, checks, template), real file formats (Shapefile with truncated names,
GeoParquet, GeoJSON, CSV and XLSX transformer ledgers), column and category mapping, ids as any text, and Chinese
coordinates (CGCS2000 zones, GCJ-02 and BD-09 against published coordinate pairs)."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from pyproj import Geod

from sim import coordinates, inputs
from sim.cli import main
from sim.errors import InputNote, InputWarning
from sim.scenario import SITE_TYPES, scenario_from_dict
from sim.sites import prepare_sites

from .conftest import REPO, scenario_dict, write_scenario

WGS84 = Geod(ellps="WGS84")


def _metres(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    return np.atleast_1d(WGS84.inv(lon_a, lat_a, lon_b, lat_b)[2])


# ---------------------------------------------------------------------------------------------- schema as data


def test_docs_inputs_md_is_generated_from_the_schema():
    doc = (REPO / "docs" / "inputs.md").read_text(encoding="utf-8")
    assert doc == inputs.inputs_markdown(), "docs/inputs.md is stale: regenerate with `pvsim schema --inputs > docs/inputs.md`"


def test_schema_table_is_well_formed():
    table = inputs.schema_table()
    assert set(table["input"]) == set(inputs.INPUTS)
    assert set(table["type"]) <= {"id", "str", "float", "date", "geometry"}
    assert set(table["required"]) <= {"required", "optional", "ignored"}
    for name in inputs.INPUTS:
        cols = inputs.schema(name)
        assert sum(c.type == "geometry" for c in cols) == 1, name
        assert len({c.column for c in cols}) == len(cols), f"{name}: a column is listed twice"
        for c in cols:
            assert c.meaning, f"{name}.{c.column} has no meaning"
            if c.numeric and c.allowed:
                assert c.interval() is not None, f"{name}.{c.column}: unreadable interval {c.allowed!r}"
    site_type = next(c for c in inputs.schema("sites") if c.column == "site_type")
    assert site_type.allowed_values() == SITE_TYPES


def test_the_demo_county_has_no_column_the_schema_does_not_know():
    demo = REPO / "data" / "demo_county" / "demo_county.gpkg"
    for layer in ("sites", "transformers", "feeders"):
        columns = set(pyogrio.read_info(demo, layer=layer)["fields"])
        assert columns <= set(inputs.column_names(layer)), (layer, columns - set(inputs.column_names(layer)))


def test_template_is_accepted_by_validate_and_never_overwrites(tmp_path, cache_dir, capsys):
    folder = tmp_path / "county"
    assert main(["template", str(folder)]) == 0
    assert main(["validate", str(folder / "scenario.yaml")]) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert "warning" not in err and "note" not in err, err
    for layer in ("sites", "transformers", "feeders"):
        written = set(pyogrio.read_info(folder / "county.gpkg", layer=layer)["fields"])
        expected = {c.column for c in inputs.schema(layer) if c.type != "geometry" and c.required != "ignored"}
        assert written == expected, layer
    assert "exclusions" in [str(n) for n in pyogrio.list_layers(folder / "county.gpkg")[:, 0]]
    ledger = pd.read_csv(folder / "transformers.csv")
    assert {"lon", "lat", "transformer_id", "rating_kva"} <= set(ledger.columns)
    before = (folder / "scenario.yaml").read_bytes()
    assert main(["template", str(folder)]) == 2
    assert "never overwrites" in capsys.readouterr().err
    assert (folder / "scenario.yaml").read_bytes() == before


def test_schema_command_prints_the_input_reference(capsys):
    assert main(["schema", "--inputs"]) == 0
    assert capsys.readouterr().out == inputs.inputs_markdown()


# ---------------------------------------------------------------------------------------------- formats


@pytest.fixture(scope="module")
def county_layers(tiny_county):
    return {name: gpd.read_file(tiny_county, layer=name) for name in ("sites", "transformers")}


def _prepare(raw: dict, folder: Path):
    return prepare_sites(scenario_from_dict(raw, path=folder / "scenario.yaml"))[0]


@pytest.fixture(scope="module")
def reference(tiny_county, tmp_path_factory):
    """The tiny county prepared from its GeoPackage (every other format must give the same sites)."""
    return _prepare(scenario_dict(tiny_county), tmp_path_factory.mktemp("ref"))


def _sites_elsewhere(tiny_county, sites_file: Path, **data) -> dict:
    """A scenario reading the sites from ``sites_file`` and everything else from the tiny county's GeoPackage."""
    raw = scenario_dict(tiny_county)
    raw["data"].update({"sites_file": str(sites_file), "sites_layer": None, "grid_file": str(tiny_county), **data})
    for exc in raw["data"]["exclusions"]:
        exc["file"] = str(tiny_county)
    return raw


def _assert_same_sites(got, reference, columns=("transformer_id", "capacity_kwp", "surface_tilt", "surface_azimuth",
                                                 "eligible", "exclusion_reason")):
    assert list(got.index) == list(reference.index)
    for col in columns:
        pd.testing.assert_series_equal(got[col], reference[col], check_names=False, obj=col)


def test_shapefile_with_truncated_names_is_read_like_the_geopackage(county_layers, tiny_county, reference, tmp_path):
    """A Shapefile cuts roof_tilt_deg to roof_tilt_ and roof_azimuth_deg to roof_azimu: recognised, with a warning
    that says how to map them; mapped explicitly, no warning."""
    shp = tmp_path / "sites.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL and geopandas announce the truncation, which is the point
        county_layers["sites"].to_file(shp)
    assert {"roof_tilt_", "roof_azimu"} <= set(pyogrio.read_info(shp)["fields"])
    with pytest.warns(InputWarning, match=r"roof_tilt_ as roof_tilt_deg.*data.columns: \{sites: \{roof_tilt_deg: "
                                          r"roof_tilt_, roof_azimuth_deg: roof_azimu"):
        got = _prepare(_sites_elsewhere(tiny_county, shp), tmp_path)
    _assert_same_sites(got, reference)
    mapping = {"sites": {"roof_tilt_deg": "roof_tilt_", "roof_azimuth_deg": "roof_azimu",
                         "building_storeys": "building_s"}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _assert_same_sites(_prepare(_sites_elsewhere(tiny_county, shp, columns=mapping), tmp_path), reference)


@pytest.mark.parametrize("fmt", ["geoparquet", "geojson"])
def test_geoparquet_and_geojson_sites(fmt, county_layers, tiny_county, reference, tmp_path):
    sites = county_layers["sites"]
    if fmt == "geoparquet":
        path = tmp_path / "sites.parquet"
        sites.to_parquet(path)
    else:
        path = tmp_path / "sites.geojson"
        sites.to_file(path, driver="GeoJSON")
    _assert_same_sites(_prepare(_sites_elsewhere(tiny_county, path), tmp_path), reference)


def _ledger(transformers: gpd.GeoDataFrame, convert=None) -> pd.DataFrame:
    """The transformers as a grid company's ledger: ``id, lon, lat, kVA`` and the other columns."""
    lon, lat = transformers.geometry.x.to_numpy(), transformers.geometry.y.to_numpy()
    if convert is not None:
        lon, lat = convert(lon, lat)
    table = pd.DataFrame(transformers.drop(columns="geometry")).rename(columns={"transformer_id": "id",
                                                                             "rating_kva": "kVA"})
    table.insert(1, "lon", lon)
    table.insert(2, "lat", lat)
    return table


LEDGER_COLUMNS = {"transformers": {"transformer_id": "id", "rating_kva": "kVA"}}


def _with_ledger(tiny_county, name: str, **data) -> dict:
    raw = scenario_dict(tiny_county)
    raw["data"].update({"transformers_file": name, "columns": LEDGER_COLUMNS, **data})
    return raw


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_transformer_ledger_in_csv_and_xlsx(suffix, county_layers, tiny_county, reference, tmp_path):
    """The ledger that crashed with ``'DataFrame' object has no attribute 'crs'``: with a column mapping it gives the
    same connections as the GeoPackage layer."""
    table = _ledger(county_layers["transformers"])
    path = tmp_path / f"ledger.{suffix}"
    table.to_csv(path, index=False) if suffix == "csv" else table.to_excel(path, index=False)
    got = _prepare(_with_ledger(tiny_county, path.name), tmp_path)
    _assert_same_sites(got, reference)
    pd.testing.assert_series_equal(got["distance_to_transformer_m"], reference["distance_to_transformer_m"])


def test_chinese_ledger_in_gb18030_with_chinese_column_names(county_layers, tiny_county, reference, tmp_path):
    """A ledger saved by Excel on Chinese Windows (GB 18030 text) with the grid company's own column names."""
    table = _ledger(county_layers["transformers"]).rename(columns={"id": "编号", "lon": "经度", "lat": "纬度",
                                                                   "kVA": "容量"})
    table.to_csv(tmp_path / "台账.csv", index=False, encoding="gb18030")
    mapping = {"transformers": {"transformer_id": "编号", "rating_kva": "容量", "lon": "经度", "lat": "纬度"}}
    got = _prepare(_with_ledger(tiny_county, "台账.csv", columns=mapping), tmp_path)
    _assert_same_sites(got, reference)


@pytest.mark.parametrize("fmt", ["parquet", "shp"])
def test_exclusions_from_geoparquet_and_shapefile_in_gcj02(fmt, tiny_county, reference, tmp_path):
    """Exclusion layers in their own files, with web-map coordinates declared by data.exclusions_crs."""
    raw = scenario_dict(tiny_county)
    for exc in raw["data"]["exclusions"]:
        layer = gpd.read_file(tiny_county, layer=exc["layer"])
        layer["geometry"] = coordinates.transform_geometries(layer.geometry, coordinates.wgs84_to_gcj02)
        path = tmp_path / f"{exc['layer']}.{fmt}"
        layer.to_parquet(path) if fmt == "parquet" else layer.to_file(path)
        exc["file"] = path.name
    undeclared = _prepare(raw, tmp_path)
    assert (undeclared["exclusion_reason"] != reference["exclusion_reason"]).any()  # the 500 m shift matters
    raw["data"]["exclusions_crs"] = "GCJ-02"
    _assert_same_sites(_prepare(raw, tmp_path), reference)


@pytest.mark.parametrize("crs, convert", [("GCJ-02", coordinates.wgs84_to_gcj02), ("BD-09", coordinates.wgs84_to_bd09)])
def test_web_map_ledgers_land_on_the_same_transformers(crs, convert, county_layers, tiny_county, reference,
                                                       tmp_path):
    """A ledger exported from AMap (GCJ-02) or Baidu (BD-09): declared, it connects every site to the same
    transformer as the WGS 84 layer, at the same distance (to 0.1 m after rounding; BD-09 to 0.3 m, the accuracy of
    its published closed-form inverse); undeclared, a warning names the fix."""
    pd_ledger = _ledger(county_layers["transformers"], convert)
    pd_ledger.to_csv(tmp_path / "ledger.csv", index=False)
    shifted = _metres(county_layers["transformers"].geometry.x, county_layers["transformers"].geometry.y,
                      pd_ledger["lon"], pd_ledger["lat"])
    assert 300 < shifted.min() and shifted.max() < (700 if crs == "GCJ-02" else 1500)  # the shift is real
    got = _prepare(_with_ledger(tiny_county, "ledger.csv", transformers_crs=crs), tmp_path)
    _assert_same_sites(got, reference)
    np.testing.assert_allclose(got["distance_to_transformer_m"], reference["distance_to_transformer_m"],
                               atol=0.11 if crs == "GCJ-02" else 0.31)
    with pytest.warns(InputWarning, match=rf"ledger.csv: the transformers look like {crs}.*declare "
                                          rf"data.transformers_crs: {crs}"):
        _prepare(_with_ledger(tiny_county, "ledger.csv"), tmp_path)


def test_sites_from_a_web_map_are_detected_and_converted(county_layers, tiny_county, reference, tmp_path):
    sites = county_layers["sites"].copy()
    sites["geometry"] = coordinates.transform_geometries(sites.geometry, coordinates.wgs84_to_gcj02)
    path = tmp_path / "sites.gpkg"
    sites.to_file(path, layer="sites")
    with pytest.warns(InputWarning, match=r"the sites look like GCJ-02.*declare data.sites_crs: GCJ-02"):
        _prepare(_sites_elsewhere(tiny_county, path), tmp_path)
    got = _prepare(_sites_elsewhere(tiny_county, path, sites_crs="GCJ-02"), tmp_path)
    _assert_same_sites(got, reference, columns=("transformer_id", "eligible", "exclusion_reason"))
    np.testing.assert_allclose(got["capacity_kwp"], reference["capacity_kwp"], atol=0.011)


def test_ledger_in_a_cgcs2000_gauss_krueger_zone(county_layers, tiny_county, reference, tmp_path):
    """x/y in CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547), declared with data.transformers_crs."""
    t = county_layers["transformers"].to_crs(4547)
    table = _ledger(t).rename(columns={"lon": "x", "lat": "y"})
    assert table["x"].between(2e5, 8e5).all() and table["y"].between(4e6, 5e6).all()  # metres, not degrees
    table.to_csv(tmp_path / "ledger.csv", index=False)
    got = _prepare(_with_ledger(tiny_county, "ledger.csv", transformers_crs=4547), tmp_path)
    _assert_same_sites(got, reference)
    np.testing.assert_allclose(got["distance_to_transformer_m"], reference["distance_to_transformer_m"], atol=0.11)


# ---------------------------------------------------------------------------------------------- mapping and ids


def test_columns_categories_and_any_text_as_ids(county_layers, tiny_county, reference, tmp_path, capsys, cache_dir):
    """A layer with the user's names (OBJECTID, DLBM land-use codes, slope), OSM-style ids and an extra column: mapped
    by data.columns and data.site_type_map, it gives the same sites; the extra column is noted once, and a note is
    not an error under --strict."""
    sites = county_layers["sites"].copy()
    codes = {t: f"{i + 1:04d}" for i, t in enumerate(SITE_TYPES)}  # e.g. '0001', text codes with leading zeros
    ids = {sid: f"way/{275436099 + i}" if i % 2 else f"../{sid}" for i, sid in enumerate(sites["site_id"])}
    sites = sites.assign(OBJECTID=sites["site_id"].map(ids), DLBM=sites["site_type"].map(codes),
                         slope=sites["roof_tilt_deg"], survey_note="x")
    sites = sites.drop(columns=["site_id", "site_type", "roof_tilt_deg"])
    path = tmp_path / "sites.gpkg"
    sites.to_file(path, layer="parcels")
    mapping = {"sites": {"site_id": "OBJECTID", "site_type": "DLBM", "roof_tilt_deg": "slope"}}
    raw = _sites_elsewhere(tiny_county, path, columns=mapping, site_type_map={v: k for k, v in codes.items()})
    with pytest.warns(InputNote, match=r"sites: columns pvsim does not use: survey_note") as notes:
        got = _prepare(raw, tmp_path)
    assert len([n for n in notes if issubclass(n.category, InputNote)]) == 1
    assert list(got.index) == [ids[s] for s in reference.index]
    got.index = reference.index
    _assert_same_sites(got, reference)
    scenario_path = write_scenario(tmp_path, raw)
    assert main(["validate", str(scenario_path), "--strict"]) == 0
    assert "pvsim: note:" in capsys.readouterr().err


def test_every_missing_and_invalid_column_in_one_error(tmp_path):
    frame = pd.DataFrame({"transformer_id": ["T1", "T1", "T3"], "rating_kva": ["400", "630 kVA", "-5"],
                          "connection_level": ["lv", "hv", "mv"], "planned_upgrade_date": ["2027-01-01", "", "soon"]})
    with pytest.raises(inputs.InputError) as err:
        inputs.check_columns(frame, "transformers", tmp_path / "t.csv")
    text = str(err.value)
    assert "\n" not in text
    for fragment in ("transformer_id, rating_kva, connection_level, planned_upgrade_date", "duplicate transformer id",
                     "'630 kVA'", "out of range (0, inf)", "-5", "'hv'", "'soon'"):
        assert fragment in text, (fragment, text)


def test_shapefile_sidecars_are_part_of_the_inputs_hash(tmp_path):
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        (tmp_path / f"sites{suffix}").write_bytes(b"x")
    assert [p.suffix for p in inputs.data_files(tmp_path / "sites.shp")] == [".shp", ".shx", ".dbf", ".prj", ".cpg"]
    assert inputs.data_files(tmp_path / "county.gpkg") == [tmp_path / "county.gpkg"]


# ---------------------------------------------------------------------------------------------- GCJ-02 and BD-09

# wandergis/coordtransform, test/app.js (results printed there for the point 116.404 E, 39.915 N):
COORDTRANSFORM = {
    "wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
    "bd09_to_gcj02": (116.39762729119315, 39.90865673957631),
    "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
}
# googollee/eviltransform, python/test.py TESTS: (wgs lat, wgs lng, gcj lat, gcj lng) in Shanghai, Shenzhen, Beijing;
# it checks wgs2gcj to 6 decimals and its exact (iterative) gcj2wgs to within 0.5 m.
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


@pytest.mark.parametrize("name", list(COORDTRANSFORM))
def test_published_pairs_of_coordtransform(name):
    lon, lat = getattr(inputs, name)(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM[name], abs=1e-9)


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", EVILTRANSFORM)
def test_published_pairs_of_eviltransform(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lon, lat = coordinates.wgs84_to_gcj02(wgs_lng, wgs_lat)
    assert (float(lon), float(lat)) == pytest.approx((gcj_lng, gcj_lat), abs=1e-6)
    back = coordinates.gcj02_to_wgs84(gcj_lng, gcj_lat)
    assert _metres(*back, wgs_lng, wgs_lat)[0] < 0.01  # eviltransform's exact inverse is tested to 0.5 m


def test_inverse_transforms_across_china():
    lon, lat = np.meshgrid(np.linspace(74.0, 134.0, 31), np.linspace(18.0, 53.0, 36))
    lon, lat = lon.ravel(), lat.ravel()
    back = coordinates.gcj02_to_wgs84(*coordinates.wgs84_to_gcj02(lon, lat))
    assert _metres(*back, lon, lat).max() < 1e-3
    back = coordinates.bd09_to_wgs84(*coordinates.wgs84_to_bd09(lon, lat))
    assert _metres(*back, lon, lat).max() < 0.25  # the published closed-form BD-09 -> GCJ-02 is good to ~2e-6 degree
    shift = _metres(lon, lat, *coordinates.wgs84_to_gcj02(lon, lat))
    assert 0 < shift.min() and shift.max() < 1_000


@pytest.mark.parametrize("name", ["wgs84_to_gcj02", "gcj02_to_wgs84", "bd09_to_gcj02", "gcj02_to_bd09",
                                  "bd09_to_wgs84", "wgs84_to_bd09"])
def test_outside_china_the_transforms_are_the_identity(name):
    """Madrid, New York, Sydney, Ulaanbaatar's latitude north of the box: the published transforms leave them."""
    lon = np.array([-3.7038, -74.006, 151.2093, 106.9, 140.0])
    lat = np.array([40.4168, 40.7128, -33.8688, 56.0, 0.5])
    got = getattr(inputs, name)(lon, lat)
    np.testing.assert_array_equal(got[0], lon)
    np.testing.assert_array_equal(got[1], lat)


@pytest.mark.parametrize("value, expected", [("GCJ-02", "GCJ-02"), ("gcj02", "GCJ-02"), ("bd-09", "BD-09"),
                                             (4490, 4490), ("EPSG:4547", 4547), ("4326", 4326)])
def test_crs_settings(value, expected):
    got = inputs.parse_crs(value)
    assert got == expected if isinstance(expected, str) else got.to_epsg() == expected
    with pytest.raises(ValueError, match="GCJ-02"):
        inputs.parse_crs("WGS-85")
