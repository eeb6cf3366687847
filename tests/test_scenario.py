"""Scenario loading, validation messages, units in key names, and the generated reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import InputError
from sim.scenario import Scenario, load_scenario, reference_markdown, reference_rows, unit_of

from .conftest import DEMO_SCENARIO, REPO, scenario_dict, write_scenario

# keys that are dimensionless (ratios, counts, names, flags) or whose unit is stated otherwise
DIMENSIONLESS = {
    "name", "description", "seed", "strategy", "start_date", "layer", "file", "applies_to", "reason", "source",
    "files", "format", "method", "scope", "region", "year", "crediting_start_year", "mechanism_province", "gcr", "bifaciality", "tracking", "mount", "dist",
    "sigma", "include_types", "site_types", "release_mode", "resource", "stages", "site_type_stages",
    # resource counts (crews, reviewers... are numbers of teams) and rating multipliers
    "crews", "reviewers", "inspectors", "surveyors", "om_crews", "upgrade_factor", "n_years", "max_sites_in_pipeline",
    "max_upgrades_per_year",
    "node_limit",
    "om_weight", "bm_weight", "chunk_size", "dc_ac_ratio", "albedo", "water_albedo",
    # coordinate reference systems: EPSG codes or names, not quantities
    "sites_crs", "transformers_crs", "feeders_crs", "lines_crs", "exclusions_crs",
    # calendar years and year indices
    "startyear", "endyear", "inverter_replacement_year",
}


def test_demo_scenario_loads_and_resolves_paths():
    s = load_scenario(DEMO_SCENARIO)
    assert s.name == "demo_county"
    sites = s.resolve(s.data.sites_file)
    assert sites == (REPO / "data" / "demo_county" / "demo_county.gpkg").resolve()
    assert s.base_dir == DEMO_SCENARIO.parent.resolve()


def test_overrides_replace_top_level_keys():
    s = load_scenario(DEMO_SCENARIO, seed=9, strategy="random")
    assert (s.seed, s.strategy) == (9, "random")


def test_unknown_key_lists_valid_keys(tmp_path):
    raw = scenario_dict("x.gpkg")
    raw["siting"]["min_capacity_kw"] = 3
    path = write_scenario(tmp_path, raw)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert str(path) in msg and "siting.min_capacity_kw" in msg and "not a valid key" in msg
    assert "min_capacity_kwp" in msg  # the valid keys are listed


def test_unknown_top_level_key(tmp_path):
    raw = scenario_dict("x.gpkg", horizon=25)
    with pytest.raises(InputError, match=r"'horizon' is not a valid key.*horizon_years"):
        load_scenario(write_scenario(tmp_path, raw))


def test_wrong_type_names_field_and_value(tmp_path):
    raw = scenario_dict("x.gpkg", horizon_years="twenty")
    with pytest.raises(InputError, match=r"horizon_years.*'twenty'"):
        load_scenario(write_scenario(tmp_path, raw))


def test_negative_quantity_rejected(tmp_path):
    raw = scenario_dict("x.gpkg")
    raw["grid"]["hosting_share_percent"] = -5
    with pytest.raises(InputError, match=r"grid\.hosting_share_percent.*-5"):
        load_scenario(write_scenario(tmp_path, raw))


def test_yaml_syntax_error_names_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ndata: [unclosed\n")
    with pytest.raises(InputError, match=r"bad\.yaml: YAML syntax error at line \d+"):
        load_scenario(path)


@pytest.mark.parametrize("content, match", [("", "empty"), ("- a\n- b\n", "mapping")])
def test_empty_or_non_mapping_file(tmp_path, content, match):
    path = tmp_path / "s.yaml"
    path.write_text(content)
    with pytest.raises(InputError, match=match):
        load_scenario(path)


def test_missing_file():
    with pytest.raises(InputError, match="scenario file not found"):
        load_scenario(Path("/nonexistent/scenario.yaml"))


def test_missing_required_key(tmp_path):
    raw = scenario_dict("x.gpkg")
    del raw["data"]
    with pytest.raises(InputError, match=r"data: required key is missing"):
        load_scenario(write_scenario(tmp_path, raw))


def test_reference_file_agrees_with_models():
    doc = (REPO / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert doc == reference_markdown(), "docs/scenarios.md is stale: regenerate with `pvsim schema > docs/scenarios.md`"


def test_every_key_is_documented_and_carries_its_unit():
    rows = reference_rows()
    assert len(rows) > 60
    for key, typ, unit, default, meaning in rows:
        leaf = key.split(".")[-1].removesuffix("[]")
        assert meaning, f"{key} has no description"
        numeric = any(t in typ for t in ("float", "int")) and "dict" not in typ and "list" not in typ
        if numeric and leaf not in DIMENSIONLESS:
            assert unit != "-", f"numeric key {key} ({typ}) has no unit suffix"


def test_unit_suffixes():
    assert unit_of("capex_cny_per_w") == "CNY/W"
    assert unit_of("factor_kgco2_per_kwh") == "kgCO2/kWh"
    assert unit_of("buffer_m") == "m"
    assert unit_of("gcr") == "-"


def test_defaults_live_in_one_place():
    s = Scenario.model_validate({"name": "x", "data": {"sites_file": "a.gpkg"}})
    assert s.horizon_years == 25 and s.grid.hosting_share_percent == 80
    assert s.system.losses_percent == 14.0


def test_time_zone_is_checked_and_defaults_to_none(tiny_county, tmp_path):
    raw = scenario_dict(tiny_county)
    assert load_scenario(write_scenario(tmp_path, raw)).time_zone is None  # the zone at the sites, found later
    raw["time_zone"] = "Europe/Madrid"
    assert load_scenario(write_scenario(tmp_path, raw)).time_zone == "Europe/Madrid"
    raw["time_zone"] = "Beijing"
    with pytest.raises(InputError, match=r"time_zone.*Beijing.*IANA"):
        load_scenario(write_scenario(tmp_path, raw))


def test_another_currency_warns_about_the_cny_defaults_it_keeps(tiny_county, tmp_path):
    import warnings

    from sim.errors import InputWarning

    raw = scenario_dict(tiny_county)
    raw["economics"] = {"currency": "EUR", "retail_tariff_cny_per_kwh": 0.25}
    with pytest.warns(InputWarning, match=r"EUR.*economics.mechanism_price_cny_per_kwh") as record:
        scenario = load_scenario(write_scenario(tmp_path, raw))
    assert scenario.economics.currency == "EUR" and "retail_tariff" not in str(record[0].message)
    raw["economics"]["currency"] = "eur"
    with pytest.raises(InputError, match="economics.currency"):
        load_scenario(write_scenario(tmp_path, raw))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_scenario(write_scenario(tmp_path, scenario_dict(tiny_county))).economics.currency == "CNY"


def test_the_scenario_as_run_gives_the_same_scenario_and_lists_its_changes(tmp_path):
    """``scenario.yaml`` of an output folder: every key, the changes applied, paths absolute; read back, it is the
    scenario that ran, and its bytes do not depend on when it is written."""
    import yaml

    from sim.scenario import as_run_yaml

    path = Path(__file__).resolve().parents[1] / "scenarios" / "demo_county.yaml"
    sc = load_scenario(path).with_changes({"rollout.crews": 4}).with_changes({"grid": {"hosting_share_percent": 60}})
    assert sc.overrides == {"rollout.crews": 4, "grid.hosting_share_percent": 60}
    assert load_scenario(path).overrides == {} and load_scenario(path, seed=3).overrides == {"seed": 3}
    text = as_run_yaml(sc, strategy="random", seed=9)
    assert text == as_run_yaml(sc, strategy="random", seed=9)
    (tmp_path / "scenario.yaml").write_text(text, encoding="utf-8")
    back = load_scenario(tmp_path / "scenario.yaml")
    assert back.rollout.crews == 4 and back.grid.hosting_share_percent == 60
    assert (back.strategy, back.seed) == ("random", 9)
    assert Path(back.data.sites_file).is_absolute() and back.resolve(back.data.sites_file) == sc.resolve(
        sc.data.sites_file)
    expected = sc.model_dump(mode="json") | {"strategy": "random", "seed": 9}
    expected["data"]["sites_file"] = str(sc.resolve(sc.data.sites_file))
    assert back.model_dump(mode="json") == expected
    raw = yaml.safe_load(text)
    assert "discount_rate_percent" in raw["economics"]  # defaults included, not only the keys the file sets


def test_hosting_and_export_rules_are_one_consistent_pair():
    """The grid company approves PV only up to what the transformer may export: an export limit below the hosting
    share is refused, naming both keys and the fix; equal shares are fine."""
    base = {"name": "x", "data": {"sites_file": "a.gpkg"}}
    with pytest.raises(ValueError, match=r"export_limit_percent \(50\) is below hosting_share_percent \(80\)"):
        Scenario.model_validate({**base, "grid": {"export_limit_percent": 50}})
    s = Scenario.model_validate({**base, "grid": {"export_limit_percent": 50, "hosting_share_percent": 50}})
    assert s.grid.export_limit_percent == s.grid.hosting_share_percent == 50
