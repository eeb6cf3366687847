"""Bad inputs named all at once, with their causes (issue 25 point 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import InputError
from sim.inputs import Source, read_input


def test_decimal_comma_ledger_names_every_bad_column_with_a_hint(tmp_path):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("transformer_id;lon;lat;rating_kva\nT1;116,5;40,1;400,5\nT2;116,6;40,2;630\n")
    source = Source(input="transformers", file=ledger, layer=None, file_field="data.transformers_file",
                    layer_field="data.transformers_layer")
    with pytest.raises(InputError) as err:
        read_input(source)
    assert err.value.field == "lon, lat, rating_kva"
    assert str(err.value).count("decimal commas?") == 3


def test_an_osm_extract_as_sites_file_points_to_import_osm(tmp_path):
    extract = Path(__file__).parent / "data" / "osm" / "br_sao_paulo.osm.pbf"
    source = Source(input="sites", file=extract, layer=None, file_field="data.sites_file",
                    layer_field="data.sites_layer")
    with pytest.raises(InputError, match="pvsim import-osm"):
        read_input(source)


def test_exclusion_names_the_missing_voltage_level(tiny_county, tmp_path):
    """A ledger with only LV transformers: the sites above siting.lv_max_kwp (10 kV) are excluded because there is
    no 10 kV connection point at all, not because of the distance."""
    import geopandas as gpd

    from sim.scenario import scenario_from_dict
    from sim.sites import prepare_sites

    from .conftest import scenario_dict

    grid = gpd.read_file(tiny_county, layer="transformers")
    lv_only = grid[grid["connection_level"] == "lv"] if "connection_level" in grid else grid
    ledger = tmp_path / "grid.gpkg"
    lv_only.to_file(ledger, layer="transformers", driver="GPKG")
    raw = scenario_dict(tiny_county)
    raw["data"] = {"sites_file": str(tiny_county), "sites_layer": "sites", "grid_file": str(ledger),
                   "transformers_layer": "transformers"}
    sites, _ = prepare_sites(scenario_from_dict(raw, path=tmp_path / "s.yaml"))
    mv = sites[sites["connection_level"] == "mv"]
    mv = mv[~mv["exclusion_reason"].astype(str).str.startswith("land_class_")]  # land rules are checked first
    assert len(mv) and (mv["exclusion_reason"] == "no_10kV_connection_point_in_grid_data").all()
    assert "no_10kV_connection_point_in_grid_data" not in set(sites.loc[sites["connection_level"] == "lv",
                                                                        "exclusion_reason"])


def test_a_scenario_without_a_ledger_says_the_ledger_is_missing(tmp_path):
    """An import-osm GeoPackage holds only the sites: without a ledger the message names the missing ledger, not the
    sites' columns as missing transformer columns."""
    from sim.cli import main

    out = tmp_path / "osm"
    assert main(["import-osm", str(Path(__file__).parent / "data" / "osm" / "br_sao_paulo.osm.pbf"),
                 "--out", str(out)]) == 0
    source = Source(input="transformers", file=out / "sites.gpkg", layer="transformers",
                    file_field="data.sites_file", layer_field="data.transformers_layer")
    with pytest.raises(InputError, match="no transformer ledger") as err:
        read_input(source)
    assert err.value.field == "data.transformers_file"
