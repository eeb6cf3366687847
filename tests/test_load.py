"""Site loads: annual load per type or from the sites layer, hourly shapes, self-consumption hour by hour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import load


def test_every_site_type_has_a_sourced_load_and_shape():
    from sim.inputs import SITE_TYPES

    table = load.site_load_table()
    assert set(SITE_TYPES) <= set(table.index)
    assert table["source"].str.len().gt(20).all()
    assert set(table["shape"]) <= set(load.shape_names())


@pytest.mark.parametrize("year", [2025, 2028])
def test_shapes_sum_to_one_per_year(year):
    shapes = load.hourly_shapes(year)
    assert shapes.shape == (len(load.shape_names()), 8784 if year == 2028 else 8760)
    np.testing.assert_allclose(shapes.sum(axis=1), 1.0, rtol=1e-9)
    assert (shapes >= 0).all()


def test_rest_days_and_school_holidays():
    """National Day (1 October) and Sundays are rest days; 28 September 2025 (a Sunday) is an adjusted working day.
    Schools use less in August (summer holiday) than in May; an office uses more at 10:00 on a working day than
    on a rest day."""
    rest = load.rest_days(2025)
    day = pd.Timestamp("2025-10-01").day_of_year - 1
    assert rest[day]
    assert rest[pd.Timestamp("2025-10-12").day_of_year - 1]  # a Sunday
    assert not rest[pd.Timestamp("2025-09-28").day_of_year - 1]  # Sunday made a working day
    shapes = load.hourly_shapes(2025)
    names = load.shape_names()
    school = shapes[names.index("school")].reshape(-1, 24)
    may, aug = school[120:151].sum(), school[212:243].sum()
    assert aug < 0.2 * may
    office = shapes[names.index("office")].reshape(-1, 24)
    work = pd.Timestamp("2025-10-09").day_of_year - 1
    assert office[work, 10] > 3 * office[day, 10]


def test_annual_load_from_the_table_or_the_sites_layer():
    """A rural home uses the table's 1,080 kWh; a public building 40 kWh per m2 of its 500 m2; a value in the
    sites layer's load_kwh_per_year wins where given."""
    sites = pd.DataFrame({"site_type": ["rural_home", "public_building", "public_building"],
                          "area_m2": [150.0, 500.0, 500.0], "load_kwh_per_year": [np.nan, np.nan, 9_000.0]},
                         index=["h", "p", "q"])
    got = load.annual_load_kwh(sites)
    assert got.tolist() == [1080.0, 40.0 * 500.0, 9_000.0]


def test_self_consumption_is_the_hourly_minimum():
    """Four hours of a home: PV 0, 2, 3, 1 kWh, load 1, 1, 4, 0.5 kWh: used 0 + 1 + 3 + 0.5 = 4.5 kWh, exported
    6 - 4.5 = 1.5 kWh; never more than the load (6.5) nor the output (6)."""
    pv = np.array([0.0, 2.0, 3.0, 1.0])
    demand = np.array([1.0, 1.0, 4.0, 0.5])
    assert load.self_consumed_kwh(pv, demand) == pytest.approx(4.5)
    assert load.self_consumed_kwh(pv, demand) <= min(pv.sum(), demand.sum())


def test_self_consumed_year_against_hours():
    """Two sites on one archetype (0.5 kWh/kWp in hours 8-15 of each day): a 4 kWp home with 10,950 kWh a year in
    the flat shape (1.25 kW every hour) uses 1.25 kWh in each of the 8 sunny hours: 10 kWh a day; a site with no
    load uses nothing; a site starting at hour 24 * 100 loses the first 100 days."""
    n_hours = 8760
    hourly = np.zeros((n_hours, 1), np.float32)
    hourly[(np.arange(n_hours) % 24 >= 8) & (np.arange(n_hours) % 24 < 16), 0] = 0.5
    shapes = load.hourly_shapes(2025)
    flat = load.shape_names().index("flat")
    used = load.self_consumed_year(hourly, np.array([4.0, 4.0, 4.0]), np.array([0, 0, 0]),
                                   np.array([0, 0, 2400]), np.array([10_950.0, 0.0, 10_950.0]),
                                   np.array([flat, flat, flat]), shapes)
    assert used == pytest.approx([365 * 8 * 1.25, 0.0, 265 * 8 * 1.25], rel=1e-6)


def test_self_consumed_year_sums_each_site_as_self_consumed_kwh_does():
    """40 sites over 3 archetypes and 2 shapes, interleaved (so the sites taken by archetype and shape and a few at
    a time come from all over the table), some starting within the year: each site's sum is, bit for bit, that of
    :func:`sim.load.self_consumed_kwh` on its own hourly output (zero before its first hour) and load."""
    rng = np.random.default_rng(7)
    n_hours, n_sites = 8760, 40
    day = (np.arange(n_hours) % 24 >= 7) & (np.arange(n_hours) % 24 < 18)
    hourly = (rng.uniform(0.1, 0.9, (n_hours, 3)) * day[:, None]).astype(np.float32)
    shapes = load.hourly_shapes(2025)
    kwp, kwh = rng.uniform(1.0, 50.0, n_sites), rng.uniform(500.0, 50_000.0, n_sites)
    kwp[7], kwh[8] = 0.4, 0.9  # a site below 1 kWp, a load below 1 kWh: counted like the others
    archetype, shape = np.arange(n_sites) % 3, (np.arange(n_sites) // 3) % 2
    first = np.where(np.arange(n_sites) % 5 == 0, rng.integers(0, n_hours, n_sites), 0)
    used = load.self_consumed_year(hourly, kwp, archetype, first, kwh, shape, shapes)
    lit = np.flatnonzero(hourly.max(axis=1) > 0)
    daylight = load.daylight_yield(hourly)
    assert np.array_equal(daylight[0], lit)
    assert np.array_equal(load.self_consumed_year(hourly, kwp, archetype, first, kwh, shape, shapes, daylight), used)
    for i in range(n_sites):
        pv = hourly[lit, archetype[i]] * kwp[i]
        pv[lit < first[i]] = 0.0
        assert used[i] == load.self_consumed_kwh(pv, shapes[shape[i], lit] * kwh[i])


def test_transformer_load_adds_the_ledgers_other_customers():
    """T1 holds a rural home (1,080 kWh) and a public building of 100 m2 (4,000 kWh); its ledger counts 5 customers,
    2 of them buildings of the sites layer, so 3 others add 3 x 1,080 kWh in the household shape."""
    sites = pd.DataFrame({"site_type": ["rural_home", "public_building"], "area_m2": [120.0, 100.0],
                          "transformer_id": ["T1", "T1"]}, index=["h", "p"])
    transformers = pd.DataFrame({"customers": [5.0]}, index=pd.Index(["T1"], name="transformer_id"))
    by_shape = load.transformer_load_by_shape(sites, transformers)
    names = load.shape_names()
    assert by_shape[0, names.index("household")] == pytest.approx(1080.0 + 3 * 1080.0)
    assert by_shape[0, names.index("school")] == pytest.approx(4000.0)
    assert by_shape.sum() == pytest.approx(4 * 1080.0 + 4000.0)


def test_climatology_range_scales_the_headline_by_the_fleets_yield():
    """Two built sites (10 and 30 kWp) on archetypes 0 and 1; yields 1,400 / 1,500 kWh/kWp on the run's climatology
    and 1,200 / 1,290 on an older one: fleet 1,475 and 1,267.5; the headline 1,000 MWh and 400 t scale by
    1,267.5 / 1,475 on the older one. A site not built does not count."""
    from sim.pipeline import climatology_range

    sites = pd.DataFrame({"status": ["operating", "operating", "declined"], "capacity_kwp": [10.0, 30.0, 99.0],
                          "archetype": [0, 1, 0]})
    clim = {"recent": {"period": "2009-2023", "annual_kwh_per_kwp": np.array([1400.0, 1500.0])},
            "old": {"period": "1982-1999", "annual_kwh_per_kwp": np.array([1200.0, 1290.0])}}
    out = climatology_range(clim, sites, 1000.0, 400.0, "recent")
    assert out["recent"]["specific_yield_kwh_per_kwp"] == pytest.approx(1475.0)
    assert out["old"]["specific_yield_kwh_per_kwp"] == pytest.approx(1267.5)
    assert out["old"]["energy_mwh"] == pytest.approx(1000.0 * 1267.5 / 1475.0)
    assert out["old"]["co2_avoided_t"] == pytest.approx(400.0 * 1267.5 / 1475.0)
    assert out["recent"]["energy_mwh"] == pytest.approx(1000.0)
    assert climatology_range({}, sites, 1000.0, 400.0, "recent") == {}
