"""sim.grid: transformer checks, hosting and export limits by hand, upgrades, the one loading definition, and the
assignment of sites to transformers and feeders."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from sim import grid
from sim.errors import InputError

from .conftest import UTM50


def _transformers(**extra) -> gpd.GeoDataFrame:
    data = {"transformer_id": ["T1", "T2", "S1"], "rating_kva": [400, 630, 10_000],
            "connection_level": ["lv", "lv", "mv"], "existing_pv_kw": [100.0, 0.0, 2_000.0],
            "substation": ["", "", "SS1"], **extra}
    points = [Point(0, 0), Point(1_000, 0), Point(5_000, 0)]
    return gpd.GeoDataFrame(data, geometry=points, crs=UTM50)


def test_check_transformers_fills_defaults_and_names_bad_ratings():
    t = grid.check_transformers(_transformers().drop(columns=["existing_pv_kw"]), "ledger.gpkg")
    assert (t["existing_pv_kw"] == 0.0).all() and (t["feeder_id"] == "").all()
    assert t["planned_upgrade_date"].isna().all() and (t["planned_upgrade_kva"] == 0.0).all()
    with pytest.raises(InputError, match="T2.*rating_kva|rating_kva.*T2") as err:
        grid.check_transformers(_transformers(rating_kva=[400, 0, 10_000]), "ledger.gpkg")
    assert "ledger.gpkg" in str(err.value)
    with pytest.raises(InputError, match="duplicate"):
        grid.check_transformers(_transformers(transformer_id=["T1", "T1", "S1"]), "ledger.gpkg")
    with pytest.raises(InputError, match="connection_level"):
        grid.check_transformers(_transformers(connection_level=["lv", "hv", "mv"]), "ledger.gpkg")


def test_hosting_and_export_limits_by_hand():
    """T1: 400 kVA x 80 % - 100 kW existing = 220 kW of hosting; export limit 400 x 100 % = 400 kW (the existing PV
    counts at its hourly output in the curtailment engine, not here). S1: 10,000 x 0.8 - 2,000 = 6,000 kW; export
    10,000 kW. Load: 3 customers on T1 x 1.08 MWh = 3.24 MWh/year."""
    customers = pd.Series({"T1": 3.0})
    t = grid.hosting_table(grid.check_transformers(_transformers(), "x"), hosting_share_percent=80.0,
                           export_limit_percent=100.0, customers=customers, load_mwh_per_customer_year=1.08)
    assert t.loc["T1", "hosting_limit_kw"] == pytest.approx(220.0)
    assert t.loc["T2", "hosting_limit_kw"] == pytest.approx(504.0)
    assert t.loc["S1", "hosting_limit_kw"] == pytest.approx(6_000.0)
    assert t.loc["T1", "export_limit_kw"] == pytest.approx(400.0)
    assert t.loc["S1", "export_limit_kw"] == pytest.approx(10_000.0)
    assert t.loc["T1", "load_mwh_per_year"] == pytest.approx(3.24) and t.loc["T2", "load_mwh_per_year"] == 0.0
    unlimited = grid.hosting_table(grid.check_transformers(_transformers(), "x"), hosting_share_percent=80.0,
                                   export_limit_percent=None)
    assert np.isinf(unlimited["export_limit_kw"]).all()
    full = grid.hosting_table(grid.check_transformers(_transformers(existing_pv_kw=[500.0, 0, 0]), "x"),
                              hosting_share_percent=80.0, export_limit_percent=100.0)
    assert full.loc["T1", "hosting_limit_kw"] == 0.0  # never negative


def test_load_profile_is_the_bdew_h0_shape_scaled_to_one_mwh():
    """The hourly load per MWh/year sums to 1,000 kWh over the year; on a winter workday (Monday 12 January 2026) the
    evening peak at 19:00 is the source's 0.1871 kW per MWh/year (mean of its four quarter hours) times the
    normalisation of the year's shape to exactly 1 MWh (the source's own year sums to about 1 MWh)."""
    load = grid.hourly_load_kw_per_mwh(2026)
    assert len(load) == 8760 and len(grid.hourly_load_kw_per_mwh(2028)) == 8784
    assert load.sum() == pytest.approx(1000.0)
    table = pd.read_csv(grid.LOAD_PROFILE_FILE)
    source = table.query("period == 'winter' and day_type == 'workday' and hour == 19")["load_kw_per_mwh_year"]
    assert float(source.iloc[0]) == pytest.approx(0.1871, abs=1e-4)
    hour = (11 * 24) + 19
    assert load[hour] == pytest.approx(0.1871, rel=0.05)
    assert load[hour] > 3 * load[11 * 24 + 3]  # evening peak over the small hours
    assert table["source"].str.contains("BDEW").all()


@pytest.fixture
def table() -> pd.DataFrame:
    return grid.hosting_table(grid.check_transformers(_transformers(), "x"), hosting_share_percent=80.0,
                              export_limit_percent=100.0)


def test_export_limit_follows_an_upgrade_from_its_date(table):
    """An upgrade adding 320 kW of hosting at an 80 % share is 400 kVA more rating, so 400 kW more export at 100 %,
    from the upgrade's date."""
    upgrades = pd.DataFrame({"transformer_id": ["T1"], "added_hosting_kw": [320.0],
                             "date": [pd.Timestamp("2027-07-01")]})
    steps = grid.export_limit_steps(upgrades, hosting_share_percent=80.0, export_limit_percent=100.0)
    assert steps[["transformer_id", "added_export_kw"]].values.tolist() == [["T1", 400.0]]
    assert steps["date"].tolist() == [pd.Timestamp("2027-07-01")]
    after = grid.export_limits_after_upgrades(table, steps)
    assert after.loc["T1", "export_limit_kw"] == pytest.approx(table.loc["T1", "export_limit_kw"] + 400.0)
    assert after.loc["T2", "export_limit_kw"] == table.loc["T2", "export_limit_kw"]
    assert table.loc["T1", "export_limit_kw"] == pytest.approx(400.0)  # the input is not modified
    none = grid.export_limit_steps(None, hosting_share_percent=80.0, export_limit_percent=100.0)
    assert grid.export_limits_after_upgrades(table, none) is table
    assert len(grid.export_limit_steps(upgrades, hosting_share_percent=80.0, export_limit_percent=None)) == 0


def test_loading_is_built_over_the_limit_after_upgrades(table):
    """T1: 200 kWp built (166.67 kW AC at DC/AC 1.2) + 50 dropped; limit 220 + 320 upgraded = 540 kW -> 30.86 %.
    T2: nothing built -> 0 %."""
    upgrades = pd.DataFrame({"transformer_id": ["T1"], "added_hosting_kw": [320.0]})
    sites = pd.DataFrame({"transformer_id": ["T1", "T1", "T1", "S1"], "capacity_kwp": [120.0, 80.0, 50.0, 900.0],
                          "status": ["operating", "operating", "dropped_hosting", "declined"]})
    load = grid.transformer_loading(table, upgrades, sites, dc_ac_ratio=1.2).set_index("transformer_id")
    assert load.loc["T1", "hosting_limit_final_kw"] == pytest.approx(540.0)
    assert load.loc["T1", "built_kwp"] == 200.0 and load.loc["T1", "sites_built"] == 2
    assert load.loc["T1", "dropped_hosting_kwp"] == 50.0
    assert load.loc["T1", "built_kw_ac"] == pytest.approx(200.0 / 1.2)
    assert load.loc["T1", "loading_percent"] == pytest.approx(100.0 * 200.0 / 1.2 / 540.0)
    assert load.loc["T2", "loading_percent"] == 0.0 and load.loc["S1", "built_kwp"] == 0.0
    assert list(load.reset_index().columns) == ["transformer_id"] + [c for c in grid.LOADING_COLUMNS
                                                                    if c in load.columns]


def test_sites_go_to_the_nearest_transformer_of_their_level():
    t = grid.check_transformers(_transformers(), "x")
    sites = gpd.GeoDataFrame({"site_id": ["a", "b", "c"]},
                             geometry=[Point(100, 0), Point(900, 0), Point(4_000, 0)], crs=UTM50)
    level = pd.Series(["lv", "lv", "mv"], index=sites.index)
    out = grid.assign_transformers(sites, t, level)
    assert list(out["transformer_id"]) == ["T1", "T2", "S1"]
    assert list(out["distance_to_transformer_m"]) == pytest.approx([100.0, 100.0, 1_000.0])


def test_medium_voltage_sites_connect_to_the_nearest_feeder_line():
    """With a feeder layer an mv site connects to the nearest 10 kV line, whose substation's mv entry carries the
    hosting limit; the distance is to the line (300 m), not to the substation point (4 km away)."""
    t = grid.check_transformers(_transformers(), "x")
    feeders = gpd.GeoDataFrame({"feeder_id": ["F1"], "substation": ["SS1"]},
                               geometry=[LineString([(5_000, 0), (5_000, 10_000)])], crs=UTM50)
    feeders = grid.check_feeders(feeders, "x")
    sites = gpd.GeoDataFrame({"site_id": ["m"]}, geometry=[Point(4_700, 4_000)], crs=UTM50)
    out = grid.assign_transformers(sites, t, pd.Series(["mv"], index=sites.index), feeders)
    assert out.loc[0, "transformer_id"] == "S1" and out.loc[0, "feeder_id"] == "F1"
    assert out.loc[0, "distance_to_transformer_m"] == pytest.approx(300.0)


def test_no_transformer_of_a_level_leaves_the_site_unconnected():
    t = grid.check_transformers(_transformers(connection_level=["lv", "lv", "lv"]), "x")
    sites = gpd.GeoDataFrame({"site_id": ["m"]}, geometry=[Point(0, 10)], crs=UTM50)
    out = grid.assign_transformers(sites, t, pd.Series(["mv"], index=sites.index))
    assert out.loc[0, "transformer_id"] == "" and np.isinf(out.loc[0, "distance_to_transformer_m"])


def test_an_empty_ledger_is_refused_and_one_transformer_is_enough():
    with pytest.raises(InputError, match="empty"):
        grid.check_transformers(_transformers().iloc[:0], "ledger.gpkg")
    assert len(grid.check_transformers(_transformers().iloc[:1], "ledger.gpkg")) == 1


@pytest.mark.filterwarnings("ignore:.*columns pvsim does not use.*customers")  # the schema does not list it (yet)
def test_customers_of_the_ledger_take_precedence_even_when_zero():
    """A ledger's ``customers`` of 0 is a count (no load), not a gap; a blank or negative one falls back to the
    counted customers (here 10 per transformer at 2 MWh each)."""
    t = grid.hosting_table(grid.check_transformers(_transformers(customers=[0.0, np.nan, -1.0]), "x"),
                           hosting_share_percent=80.0, export_limit_percent=100.0,
                           customers=pd.Series(10.0, index=["T1", "T2", "S1"]), load_mwh_per_customer_year=2.0)
    assert t["customers"].tolist() == [0.0, 10.0, 10.0]
    assert t["load_mwh_per_year"].tolist() == [0.0, 20.0, 20.0]


@pytest.mark.parametrize("day, inward", [
    ("2026-09-14", -7), ("2026-09-15", 7),  # summer (15 May - 14 September), then transition
    ("2026-05-14", -7), ("2026-05-15", 7),  # transition, then summer
    ("2026-03-20", -7), ("2026-03-21", 7),  # winter (1 November - 20 March), then transition
    ("2026-10-31", -7), ("2026-11-01", 7),  # transition, then winter
])
def test_load_profile_periods_change_on_the_source_dates(day, inward):
    """The H0 periods (winter 1 November - 20 March, summer 15 May - 14 September, transition otherwise): a day on
    the edge of its period has the shape of the same weekday a week further inside it, not that of the same
    weekday a week away on the other side of the edge."""
    load = grid.hourly_load_kw_per_mwh(2026)

    def shape(offset_days: int) -> np.ndarray:
        k = (pd.Timestamp(day) + pd.Timedelta(days=offset_days)).day_of_year - 1
        return load[24 * k: 24 * k + 24]

    np.testing.assert_array_equal(shape(0), shape(inward))
    assert not np.array_equal(shape(0), shape(-inward))


def test_transformers_say_when_and_why_each_upgrade_happened(table):
    """Per transformer the upgrades' cost (the grid company's), dates in service and reasons, in date order."""
    upgrades = pd.DataFrame({
        "transformer_id": ["T1", "T1"], "kind": ["scheduled", "planned"], "added_hosting_kw": [320.0, 100.0],
        "date": [pd.Timestamp("2028-03-01"), pd.Timestamp("2027-06-01")], "cost_cny": [200_000.0, 62_500.0],
        "requested_date": [pd.Timestamp("2026-05-01"), pd.NaT],
        "scheduled_date": [pd.Timestamp("2027-01-01"), pd.NaT]})
    sites = pd.DataFrame({"transformer_id": ["T1"], "capacity_kwp": [10.0], "status": ["operating"]})
    load = grid.transformer_loading(table, upgrades, sites).set_index("transformer_id")
    assert load.loc["T1", "upgrade_cost_cny"] == 262_500.0 and load.loc["T2", "upgrade_cost_cny"] == 0.0
    assert load.loc["T1", "upgrade_dates"] == "2027-06-01; 2028-03-01"
    assert load.loc["T1", "upgrade_reasons"] == (
        "planned in the transformer ledger; scheduled: a site held for lack of hosting capacity since 2026-05-01, "
        "deferred by the yearly upgrade limit to 2027-01-01")
    assert load.loc["T2", "upgrade_dates"] == ""
