"""Catalogue of bad inputs: each one exits with status 2 and one clear line naming the file, the field, the value
and what is allowed; no traceback; no output folder left behind. Repairable input is repaired with a warning, and
``--strict`` turns the repair into an error."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pvlib
import pytest
from shapely.geometry import Polygon

from sim.cli import main

from .conftest import UTM50, scenario_dict, write_scenario

TMY3 = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"


@dataclass
class Case:
    id: str
    build: Callable[[Path, Path], tuple[Path, list[str]]]  # (tmp, tiny county) -> (scenario path, extra args)
    expect: list[str] = field(default_factory=list)  # fragments the error line must hold
    command: str = "run"


def _scenario(mutate=None, name="scenario.yaml"):
    def build(tmp: Path, county: Path):
        raw = scenario_dict(county)
        if mutate:
            mutate(raw, tmp, county)
        return write_scenario(tmp, raw, name), []
    return build


def _text(content: str | bytes, name="scenario.yaml"):
    def build(tmp: Path, county: Path):
        p = tmp / name
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
        return p, []
    return build


def _set(path: str, value):
    """Mutation setting a dotted key of the scenario."""
    def mutate(raw, tmp, county):
        node = raw
        keys = path.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return mutate


# ---- site layers ---------------------------------------------------------------------------------------------


def _county_with_sites(edit: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame | None], *, sites_layer="sites",
                       transformers: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame] | None = None, mutate=None):
    """A copy of the tiny county whose sites (and optionally transformers) layer is edited."""
    def build(tmp: Path, county: Path):
        path = tmp / "county.gpkg"
        sites = gpd.read_file(county, layer="sites")
        trans = gpd.read_file(county, layer="transformers")
        new_sites = edit(sites)
        if new_sites is not None and new_sites.crs is None:
            with pytest.warns(UserWarning, match="'crs' was not provided"):  # the point of the case
                new_sites.to_file(path, layer=sites_layer, driver="GPKG")
        elif new_sites is not None:
            new_sites.to_file(path, layer=sites_layer, driver="GPKG")
        (transformers(trans) if transformers else trans).to_file(path, layer="transformers", driver="GPKG")
        for layer in ("exclusion_basic_farmland", "exclusion_ecological", "river", "feeders", "lines"):
            gdf = gpd.read_file(county, layer=layer)
            if layer == "feeders" and transformers is _far_transformers:
                gdf = _far_transformers(gdf)  # the grid moved away as a whole
            gdf.to_file(path, layer=layer, driver="GPKG")
        raw = scenario_dict(path)
        if mutate:
            mutate(raw, tmp, path)
        return write_scenario(tmp, raw), []
    return build


def _county_with_lines(edit: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]):
    """A copy of the tiny county whose low-voltage line layer is edited, run under grid.hosting_method power_flow."""
    def build(tmp: Path, county: Path):
        import pyogrio

        path = tmp / "county.gpkg"
        for layer in pyogrio.list_layers(county)[:, 0]:
            gdf = gpd.read_file(county, layer=layer)
            (edit(gdf) if layer == "lines" else gdf).to_file(path, layer=layer, driver="GPKG")
        raw = scenario_dict(path)
        raw["grid"]["hosting_method"] = "power_flow"
        return write_scenario(tmp, raw), []
    return build


def _cable(s):
    s = s.copy()
    s.loc[3, "cable_type"] = "YJV-4x95"
    return s


def _apart(s):
    s = s.to_crs(32650)
    first = s["transformer_id"].iloc[0]
    last = s.index[s["transformer_id"].eq(first)][-1]
    s.loc[last, "geometry"] = s.loc[last, "geometry"].offset_curve(40.0)  # the last span of a network moved 40 m
    return s.to_crs(4326)


def _drop_col(col):
    return lambda s: s.drop(columns=col)


def _set_geom(i, geom):
    def edit(s):
        s = s.copy()
        s.loc[i, "geometry"] = geom
        return s
    return edit


def _no_crs(s):
    return s.set_crs(None, allow_override=True)


def _metres_as_degrees(s):
    return s.to_crs(32650).set_crs(4326, allow_override=True)


def _dup_ids(s):
    s = s.copy()
    s.loc[5, "site_id"] = s.loc[4, "site_id"]
    return s


def _unknown_type(s):
    s = s.copy()
    s.loc[3, "site_type"] = "solar_farm"
    return s


def _empty(s):
    return s.iloc[0:0]


def _points(s):
    centroids = s.geometry.to_crs(UTM50).centroid.to_crs(s.crs)  # centroids in metres, not degrees
    return gpd.GeoDataFrame(s.drop(columns="geometry"), geometry=centroids.values, crs=s.crs)


def _control_char_id(s):
    s = s.copy()
    s.loc[0, "site_id"] = "S1\nS2"
    return s


def _text_tilt(s):
    s = s.copy()
    tilt = s["roof_tilt_deg"].astype(object)
    tilt[[2, 9]] = ["40°", "25 deg"]
    s["roof_tilt_deg"] = tilt
    return s


def _text_tilt_and_no_type(s):
    return _text_tilt(s).drop(columns="site_type")


def _land_use_codes(s):
    s = s.copy()
    s["site_type"] = s["site_type"].where(s["site_type"] != "agrivoltaic", "0101")
    return s


def _ledger(edit=None, *, mapping=None, name="transformers.csv", crs=None):
    """The tiny county with its transformers moved to a CSV ledger ``id,lon,lat,kVA,...`` (edited by ``edit``)."""
    def build(tmp: Path, county: Path):
        t = gpd.read_file(county, layer="transformers")
        table = t.drop(columns="geometry").rename(columns={"transformer_id": "id", "rating_kva": "kVA"})
        table.insert(1, "lon", t.geometry.x)
        table.insert(2, "lat", t.geometry.y)
        table = edit(table) if edit else table
        path = tmp / name
        if isinstance(table, bytes):
            path.write_bytes(table)
        else:
            table.to_csv(path, index=False)
        raw = scenario_dict(county)
        raw["data"]["transformers_file"] = name
        raw["data"]["columns"] = {"transformers": mapping or {"transformer_id": "id", "rating_kva": "kVA"}}
        if crs is not None:
            raw["data"]["transformers_crs"] = crs
        return write_scenario(tmp, raw), []
    return build


def _text_rating(table):
    table = table.astype({"kVA": object})
    table.loc[4, "kVA"] = "400kVA"
    return table


def _negative_existing_pv(table):
    table = table.copy()
    table.loc[1, "existing_pv_kw"] = -50.0
    return table


def _far_transformers(t):
    t = t.copy()
    t["geometry"] = t.geometry.translate(xoff=2.0)  # 2 degrees east: ~170 km from every site
    return t


def _no_rating(t):
    t = t.copy()
    t["rating_kva"] = t["rating_kva"].astype(float)
    t.loc[2, "rating_kva"] = np.nan
    return t


def _polygon_transformers(t):
    discs = t.geometry.to_crs(UTM50).buffer(50.0).to_crs(t.crs)  # 50 m discs around the points
    return gpd.GeoDataFrame(t.drop(columns="geometry"), geometry=discs.values, crs=t.crs)


def _garbage_sites(tmp, county):
    bad = tmp / "sites.gpkg"
    bad.write_bytes(os.urandom(4096))
    return write_scenario(tmp, scenario_dict(bad)), []


# ---- weather files ---------------------------------------------------------------------------------------------


def _weather_file(make: Callable[[list[str]], list[str] | bytes], name="weather.csv"):
    def build(tmp: Path, county: Path):
        lines = TMY3.read_text().splitlines()
        out = make(lines)
        p = tmp / name
        p.write_bytes(out) if isinstance(out, bytes) else p.write_text("\n".join(out) + "\n")
        raw = scenario_dict(county)
        raw["weather"] = {"source": "file", "files": [p.name], "format": "tmy3" if name.endswith(".csv") else "auto"}
        return write_scenario(tmp, raw), []
    return build


def _tmy3_edit(col_name: str, fn, rows: slice):
    def make(lines):
        header = lines[1].split(",")
        j = header.index(col_name)
        out = lines[:2]
        for k, line in enumerate(lines[2:]):
            cells = line.split(",")
            if rows.start <= k < rows.stop:
                cells[j] = fn(cells[j])
            out.append(",".join(cells))
        return out
    return make


GAP_10H = _tmy3_edit("GHI (W/m^2)", lambda v: "", slice(4000, 4010))
GAP_2H = _tmy3_edit("GHI (W/m^2)", lambda v: "", slice(4000, 4002))
TENTHS = _tmy3_edit("Dry-bulb (C)", lambda v: str(float(v) * 10), slice(0, 8760))
TOO_BRIGHT = _tmy3_edit("GHI (W/m^2)", lambda v: str(float(v) * 3), slice(0, 8760))


def _cli_args(*args: str):
    def build(tmp: Path, county: Path):
        path, _ = _scenario()(tmp, county)
        return path, [a.replace("{tmp}", str(tmp)) for a in args]
    return build


def _out_is_file(tmp, county):
    path, _ = _scenario()(tmp, county)
    (tmp / "taken").write_text("x")
    return path, ["--out", str(tmp / "taken")]


CASES = [
    # scenario file
    Case("yaml_syntax", _text("name: x\ndata: [unclosed\n"), ["YAML syntax error", "line"]),
    Case("empty_file", _text(""), ["empty"]),
    Case("not_a_mapping", _text("- 1\n- 2\n"), ["mapping"]),
    Case("not_utf8", _text(b"name: \xff\xfe\x00x\n"), ["not a text"]),
    Case("missing_scenario", lambda tmp, c: (tmp / "nope.yaml", []), ["scenario file not found"]),
    Case("unknown_key", _scenario(_set("horizon", 25)), ["'horizon' is not a valid key", "horizon_years"]),
    Case("unknown_nested_key", _scenario(_set("rollout.crew", 4)), ["rollout.crew", "crews"]),
    Case("wrong_type", _scenario(_set("horizon_years", "ten")), ["horizon_years", "'ten'"]),
    Case("negative_quantity", _scenario(_set("siting.min_capacity_kwp", -1)), ["siting.min_capacity_kwp", "-1"]),
    Case("absurd_share", _scenario(_set("grid.hosting_share_percent", 500)), ["grid.hosting_share_percent", "500"]),
    Case("absurd_horizon", _scenario(_set("horizon_years", 500)), ["horizon_years", "500"]),
    Case("hosting_above_rating", _scenario(_set("grid.hosting_share_percent", 120)),
         ["hosting_share_percent", "120", "allow_hosting_above_rating"]),
    Case("negative_effort", _scenario(_set("rollout.stages", {"survey_design": {
        "effort_days_by_class": {"household": -1}}})), ["effort", "household", "-1"]),
    Case("bad_date", _scenario(_set("start_date", "2026-13-01")), ["start_date", "2026-13-01"]),
    Case("missing_sites_file", _scenario(_set("data.sites_file", "missing.gpkg")),
         ["missing.gpkg", "data.sites_file", "not found"]),
    Case("missing_weather_file", _scenario(_set("weather", {"source": "file", "files": ["nope.epw"]})),
         ["nope.epw"]),
    Case("monthly_values_count", _scenario(_set("weather.synthetic.monthly_ghi_kwh_per_m2_day", [1, 2, 3])),
         ["monthly_ghi_kwh_per_m2_day", "12"]),
    Case("factor_unit_error", _scenario(_set("carbon.factor_kgco2_per_kwh", 530.6)),
         ["carbon", "factor_kgco2_per_kwh", "530.6"]),
    Case("unknown_region", _scenario(_set("carbon.region", "Atlantis")), ["carbon.region", "Atlantis", "North"]),
    Case("year_not_in_table", _scenario(_set("carbon.year", 2019)), ["carbon.year", "2019", "2022"]),
    Case("triangular_min_gt_max", _scenario(_set("rollout.stages", {"consent": {"duration": {
        "dist": "triangular", "low_days": 10, "mode_days": 5, "high_days": 3}}})), ["rollout.stages.consent", "low_days"]),
    Case("negative_duration", _scenario(_set("rollout.stages", {"filing": {"duration": {
        "dist": "fixed", "value_days": -2}}})), ["rollout.stages.filing", "value_days"]),
    Case("probability_over_100", _scenario(_set("rollout.stages", {"consent": {"success_percent": 120}})),
         ["success_percent", "120"]),
    Case("zero_crews", _scenario(_set("rollout.crews", 0)), ["crews", "0"]),
    Case("budget_below_cheapest_site", _scenario(_set("rollout", {"annual_budget_cny": 1000})),
         ["annual_budget_cny", "1000"]),
    Case("track_budget_below_cheapest_site", _scenario(_set("rollout.tracks", [
        {"name": "farm", "site_types": ["agrivoltaic"], "annual_budget_cny": 1000, "target_capacity_kwp": 10}])),
         ["rollout.tracks.0.annual_budget_cny", "1000"]),
    Case("tracks_overlap", _scenario(_set("rollout.tracks", [
        {"name": "a", "site_types": ["rural_home"], "annual_budget_cny": 1e6, "target_capacity_kwp": 10},
        {"name": "b", "site_types": ["rural_home"], "annual_budget_cny": 1e6, "target_capacity_kwp": 10}])),
         ["rollout.tracks", "rural_home", "'a' and 'b'"]),
    Case("track_unknown_strategy", _scenario(_set("rollout.tracks", [
        {"name": "a", "site_types": ["rural_home"], "strategy": "nope", "annual_budget_cny": 1e6,
         "target_capacity_kwp": 10}])), ["rollout.tracks.0.strategy", "nope", "max_yield"]),
    Case("track_without_budget", _scenario(_set("rollout.tracks", [
        {"name": "a", "site_types": ["rural_home"], "target_capacity_kwp": 10}])),
         ["rollout.tracks.0.annual_budget_cny"]),
    Case("unknown_exclusion_layer", _scenario(_set("data.exclusions", [{"layer": "wetlands"}])),
         ["data.exclusions[0].layer", "wetlands"]),
    # sites layer
    Case("sites_missing_column", _county_with_sites(_drop_col("site_type")), ["county.gpkg", "site_type", "missing"]),
    Case("sites_empty_geometry", _county_with_sites(_set_geom(7, Polygon())), ["county.gpkg", "geometry", "empty"]),
    Case("sites_no_crs", _county_with_sites(_no_crs), ["county.gpkg", "crs", "no CRS"]),
    Case("sites_metres_as_degrees", _county_with_sites(_metres_as_degrees), ["county.gpkg", "crs", "projected metres"]),
    Case("sites_duplicate_ids", _county_with_sites(_dup_ids), ["county.gpkg", "site_id", "duplicate"]),
    Case("sites_unknown_type", _county_with_sites(_unknown_type), ["site_type", "solar_farm", "rural_home"]),
    Case("sites_empty_layer", _county_with_sites(_empty), ["county.gpkg", "empty"]),
    Case("sites_points", _county_with_sites(_points), ["county.gpkg", "geometry", "Point", "Polygon"]),
    Case("sites_unreadable_file", _garbage_sites, ["sites.gpkg", "data.sites_file", "cannot read"]),
    Case("sites_layer_missing", _county_with_sites(lambda s: s, sites_layer="buildings"),
         ["data.sites_layer", "'sites'", "buildings"]),
    Case("sites_id_control_character", _county_with_sites(_control_char_id),
         ["county.gpkg", "site_id", "control characters", "row 1"]),
    Case("sites_text_in_numeric_column", _county_with_sites(_text_tilt),
         ["county.gpkg", "roof_tilt_deg", "text in a numeric column", "rows 3 (S000003), 10 (S000010)", "'40°'", "'25 deg'"]),
    Case("sites_every_bad_column_at_once", _county_with_sites(_text_tilt_and_no_type),
         ["site_type, roof_tilt_deg", "required column missing", "'40°'"]),
    Case("sites_category_not_mapped", _county_with_sites(_land_use_codes),
         ["site_type", "unknown site type", "'0101'", "data.site_type_map"]),
    Case("columns_maps_to_absent_column", _scenario(_set("data.columns", {"sites": {"site_id": "OBJECTID"}})),
         ["data.columns.sites.site_id", "'OBJECTID'"]),
    Case("columns_unknown_pvsim_column", _scenario(_set("data.columns", {"sites": {"roof_tilt": "slope"}})),
         ["data.columns", "roof_tilt", "roof_tilt_deg"]),
    Case("site_type_map_to_unknown_type", _scenario(_set("data.site_type_map", {"0101": "solar_farm"})),
         ["data.site_type_map.0101", "solar_farm"]),
    Case("crs_unknown", _scenario(_set("data.sites_crs", "WGS-85")), ["data.sites_crs", "WGS-85", "GCJ-02"]),
    Case("crs_gcj_on_projected_layer", _county_with_sites(lambda s: s.to_crs(UTM50), mutate=_set("data.sites_crs", "GCJ-02")),
         ["data.sites_crs", "projected", "GCJ-02"]),
    Case("self_intersecting_strict", lambda tmp, c: (_county_with_sites(_set_geom(
        3, Polygon([(115.5, 40.4), (115.5002, 40.4002), (115.5002, 40.4), (115.5, 40.4002)])))(tmp, c)[0],
        ["--strict"]), ["geometry", "strict"]),
    # grid layer
    Case("transformer_without_rating", _county_with_sites(lambda s: s, transformers=_no_rating),
         ["rating_kva", "empty in row 3 (TX00003)", "a value is required"]),
    Case("ledger_file_missing", _scenario(_set("data.transformers_file", "ledger.csv")),
         ["ledger.csv", "data.transformers_file", "not found"]),
    Case("ledger_without_coordinates", _ledger(lambda t: t.drop(columns=["lon", "lat"])),
         ["transformers.csv", "lon, lat", "kVA"]),
    Case("ledger_text_rating", _ledger(_text_rating), ["transformers.csv", "rating_kva", "row 5", "'400kVA'"]),
    Case("ledger_negative_existing_pv", _ledger(_negative_existing_pv),
         ["existing_pv_kw", "out of range", "row 2", "-50.0"]),
    Case("ledger_xy_without_crs", _ledger(lambda t: t.rename(columns={"lon": "x", "lat": "y"})),
         ["data.transformers_crs", "x/y", "EPSG"]),
    Case("ledger_unreadable_xlsx", _ledger(lambda t: os.urandom(3000), name="transformers.xlsx"),
         ["transformers.xlsx", "data.transformers_file", "cannot read"]),
    Case("sites_far_from_transformers", _county_with_sites(lambda s: s, transformers=_far_transformers),
         ["no eligible site", "no_transformer_within_distance", "max_transformer_distance_m"]),
    Case("transformers_as_polygons", _county_with_sites(lambda s: s, transformers=_polygon_transformers),
         ["transformers must be points"]),
    # low-voltage line layer (power flow)
    Case("lines_unknown_cable_type", _county_with_lines(_cable),
         ["county.gpkg (layer lines)", "cable_type", "'YJV-4x95' in 1 row (4)", "JKLYJ-1kV-70"]),
    Case("lines_not_connected", _county_with_lines(_apart),
         ["county.gpkg (layer lines)", "geometry", "are not one connected network", "within 1 m"]),
    # weather files
    Case("weather_garbage", _weather_file(lambda lines: os.urandom(5000), name="weather.bin"),
         ["weather.bin", "format"]),
    Case("weather_wrong_length", _weather_file(lambda lines: lines[:5002]), ["weather.csv"]),
    Case("weather_long_gap", _weather_file(GAP_10H), ["weather.csv", "ghi"]),
    Case("weather_temperature_tenths_strict", lambda tmp, c: (_weather_file(TENTHS)(tmp, c)[0], ["--strict"]),
         ["weather.csv", "temp_air", "tenths"]),
    Case("weather_above_solar_constant", _weather_file(TOO_BRIGHT), ["weather.csv", "ghi"]),
    # command line
    Case("cli_unknown_strategy", _cli_args("--strategy", "best_first"), ["strategy", "best_first", "max_yield"]),
    Case("cli_strategy_not_importable", _cli_args("--strategy", "no_such_module_q:f"),
         ["strategy", "no_such_module_q:f", "cannot import"]),
    Case("cli_output_path_is_a_file", _out_is_file, ["--out", "is a file"]),
    Case("cli_negative_seed", _cli_args("--seed", "-4"), ["--seed", "-4"]),
    Case("cli_compare_zero_replications", _cli_args("--replications", "0", "--strategies", "random"),
         ["--replications", "0"], command="compare"),
    Case("cli_compare_unknown_strategy", _cli_args("--replications", "1", "--strategies", "random,nope"),
         ["strategy", "nope", "max_yield"], command="compare"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tiny_county, tmp_path, cache_dir, capsys):
    scenario_path, extra = case.build(tmp_path, tiny_county)
    out = tmp_path / "out"
    if "--out" not in extra:
        extra = [*extra, "--out", str(out)]
    rc = main([case.command, str(scenario_path), *extra, "--quiet", "--cache-dir", str(cache_dir)])
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("pvsim: error:")]
    assert rc == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in case.expect:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert len(lines[0]) < 1000, "the message should be one line"  # listing every key of the rollout section
    assert not out.exists(), "an output folder was left behind"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")], "a temporary folder was left behind"


def test_self_intersecting_polygon_is_repaired_with_a_warning(tiny_county, tmp_path, cache_dir, capsys):
    bowtie = Polygon([(115.5, 40.4), (115.5002, 40.4002), (115.5002, 40.4), (115.5, 40.4002)])
    scenario_path, _ = _county_with_sites(_set_geom(3, bowtie))(tmp_path, tiny_county)
    rc = main(["validate", str(scenario_path)])
    err = capsys.readouterr().err
    assert rc == 0 and "pvsim: warning:" in err and "repaired" in err


def test_small_weather_gap_is_repaired_with_a_warning(tiny_county, tmp_path, cache_dir, capsys):
    scenario_path, _ = _weather_file(GAP_2H)(tmp_path, tiny_county)
    rc = main(["validate", str(scenario_path)])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "pvsim: warning:" in err and "ghi" in err
    rc = main(["validate", str(scenario_path), "--strict"])
    err = capsys.readouterr().err
    assert rc == 2 and "pvsim: error:" in err


def test_interrupted_run_leaves_no_output(tiny_scenario_path, tmp_path, cache_dir, monkeypatch, capsys):
    """Ctrl-C while the outputs are being written: no folder, no temp folder, exit 130."""
    import sim.results as results

    def interrupted(result, folder):
        (folder / "summary.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(results, "_write_files", interrupted)
    out = tmp_path / "out"
    rc = main(["run", str(tiny_scenario_path), "--out", str(out), "--quiet", "--cache-dir", str(cache_dir)])
    assert rc == 130 and "interrupted" in capsys.readouterr().err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_crash_while_writing_keeps_previous_output(tiny_scenario_path, tmp_path, cache_dir, monkeypatch, capsys):
    import sim.results as results

    out = tmp_path / "out"
    assert main(["run", str(tiny_scenario_path), "--out", str(out), "--quiet", "--cache-dir", str(cache_dir)]) == 0
    before = (out / "summary.json").read_bytes()

    def disk_full(result, folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(results, "_write_files", disk_full)
    rc = main(["run", str(tiny_scenario_path), "--out", str(out), "--quiet", "--cache-dir", str(cache_dir)])
    err = capsys.readouterr().err
    assert rc == 2 and "No space left on device" in err and "--out" in err
    assert (out / "summary.json").read_bytes() == before
    assert not [p for p in [*tmp_path.iterdir(), *out.iterdir()] if p.name.startswith(".")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; permissions cannot be tested as root")
def test_unwritable_output_folder(tiny_scenario_path, tmp_path, cache_dir, capsys):  # pragma: no cover - non-root
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        rc = main(["run", str(tiny_scenario_path), "--out", str(locked / "out"), "--quiet", "--cache-dir",
                   str(cache_dir)])
        assert rc == 2 and "--out" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_yaml_is_loaded_safely(tmp_path):
    """A YAML tag that would construct Python objects is refused, not executed."""
    marker = tmp_path / "pwned"
    path = tmp_path / "s.yaml"
    path.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\ndata: {{sites_file: x.gpkg}}\n")
    assert main(["validate", str(path)]) == 2
    assert not marker.exists()
