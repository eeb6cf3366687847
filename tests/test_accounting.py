"""Accounting: a hand-computed two-site case, a brute-force hourly reference, leap years, pilot coverage."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from sim.accounting import (
    GridRules,
    _energy_from_hour,
    _hour_map,
    _peaks,
    _year_table,
    _year_totals,
    account,
    pilot_coverage,
)
from sim.carbon import CarbonConfig
from sim.economics import EconomicsConfig
from sim.errors import InputError
from sim.load import daylight_yield, hourly_shapes

from .conftest import lifecycle_factor, path_factor

LC = lifecycle_factor("china_2023")


def _sites(rows):
    cols = ["site_id", "site_type", "capacity_kwp", "archetype", "transformer_id", "capex_cny", "om_cny_per_kw_year",
            "load_kwh_per_year", "pilot_category", "eligible"]
    return pd.DataFrame(rows, columns=cols).set_index("site_id")


@pytest.fixture
def hand_case():
    """Two sites on transformer T1 (export limit 12 kW), a flat profile of 0.5 kWh/kWp every hour.

    A: 10 kWp, commissioned 2025-01-01 00:00, 36.5 days of downtime in 2025.
    B: 20 kWp, commissioned 2025-07-02 00:00 (hour 182 x 24 = 4368; 8760 - 4368 = 4392 hours left), 73 days of
       downtime in 2026.
    C: 5 kWp on unlimited T2, declined (never built).
    No site has a load (all energy is exported; self-consumption has tests of its own in tests/test_load.py).
    Degradation 2 % first year, then 0.5 %/year of age; horizon 2025-2026. Exports at the coal benchmark 0.372
    and no residual value (the 2025 price reform and the residual value have tests of their own below).
    """
    sites = _sites([
        ("A", "rural_home", 10.0, 0, "T1", 40_000.0, 50.0, 0.0, "rural_home", True),
        ("B", "commercial_industrial", 20.0, 0, "T1", 80_000.0, 50.0, 0.0, "commercial_industrial", True),
        ("C", "rural_home", 5.0, 1, "T2", 20_000.0, 50.0, 0.0, "rural_home", True),
    ])
    outcomes = pd.DataFrame({
        "status": ["operating", "operating", "declined"],
        "commission_date": pd.to_datetime(["2025-01-01", "2025-07-02", None]),
    }, index=pd.Index(["A", "B", "C"], name="site_id"))
    downtime = pd.DataFrame({"site_id": ["A", "B"], "year": [2025, 2026], "downtime_days": [36.5, 73.0]})
    profile = np.full((8760, 2), 0.5, dtype=np.float32)
    transformers = pd.DataFrame({"export_limit_kw": [12.0, np.inf]}, index=pd.Index(["T1", "T2"],
                                                                                      name="transformer_id"))
    economics = EconomicsConfig(discount_rate_percent=10.0, retail_tariff_cny_per_kwh=0.52,
                                export_price_basis="coal_benchmark", coal_benchmark_cny_per_kwh=0.372,
                                residual_value="none", inverter_replacement_year=1, inverter_replacement_cny_per_w=0.1)
    acc = account(sites, outcomes, downtime, [profile], transformers, start_date=pd.Timestamp("2025-01-01"),
                  horizon_years=2, degradation_first_year_percent=2.0, degradation_percent_per_year=0.5,
                  carbon=CarbonConfig(), economics=economics)
    acc.inputs = (sites, outcomes, downtime, [profile], transformers)
    return acc


HOURS_PER_YEAR = 365.25 * 24  # ages are counted to the hour, in years of 365.25 days


def _degradation(age_years: float) -> float:
    """2 % from commissioning, then 0.5 % per year of age."""
    return 0.98 * 0.995 ** age_years


def _hand_numbers():
    """All figures of the hand case, in kWh, computed step by step.

    Ages at the middle of each site's operating period in the year: A (from hour 0 of 2025) 4380 h in 2025 and
    8760 + 4380 h in 2026; B (from hour 4368 of 2025) (8760 - 4368) / 2 = 2196 h in 2025 and 4392 + 4380 h in 2026.
    """
    age = {("a", 25): 4380 / HOURS_PER_YEAR, ("a", 26): (8760 + 4380) / HOURS_PER_YEAR,
           ("b", 25): 2196 / HOURS_PER_YEAR, ("b", 26): (4392 + 4380) / HOURS_PER_YEAR}
    # 2025: A has 36.5 days of downtime over a full year (x 0.9); B none
    a25_kw, b25_kw = 10 * _degradation(age["a", 25]) * 0.9 * 0.5, 20 * _degradation(age["b", 25]) * 0.5
    assert a25_kw == pytest.approx(4.41 * 0.995 ** 0.49966, rel=1e-4)
    h_first, h_second = 4368, 4392
    f25 = (a25_kw + b25_kw - 12.0) / (a25_kw + b25_kw)  # the share of each site's output curtailed
    a25 = a25_kw * h_first + a25_kw * (1 - f25) * h_second
    b25 = b25_kw * (1 - f25) * h_second
    a25_c = a25_kw * f25 * h_second
    b25_c = b25_kw * f25 * h_second
    # 2026: B has 73 days of downtime (x 0.8)
    a26_kw, b26_kw = 10 * _degradation(age["a", 26]) * 0.5, 20 * _degradation(age["b", 26]) * 0.8 * 0.5
    f26 = (a26_kw + b26_kw - 12.0) / (a26_kw + b26_kw)
    a26, b26 = a26_kw * (1 - f26) * 8760, b26_kw * (1 - f26) * 8760
    a26_c, b26_c = a26_kw * f26 * 8760, b26_kw * f26 * 8760
    return dict(a25=a25, b25=b25, a25_c=a25_c, b25_c=b25_c, a26=a26, b26=b26, a26_c=a26_c, b26_c=b26_c,
                curtailed25=(a25_kw + b25_kw - 12.0) * h_second, curtailed26=(a26_kw + b26_kw - 12.0) * 8760)


#: The hand case's 2025 energy [MWh]: site A alone for 4368 h, then the 12 kW limit of T1 for 4392 h.
E2025 = (10 * _degradation(4380 / HOURS_PER_YEAR) * 0.9 * 0.5 * 4368 + 12.0 * 4392) / 1000


def test_hand_case_energy_and_curtailment(hand_case):
    n = _hand_numbers()
    sy = hand_case.site_years.set_index(["site_id", "year"])
    for site in "ab":
        for y in (25, 26):
            assert sy.loc[(site.upper(), 2000 + y), "energy_mwh"] == pytest.approx(n[f"{site}{y}"] / 1000, rel=1e-6)
            assert sy.loc[(site.upper(), 2000 + y), "curtailed_mwh"] == pytest.approx(n[f"{site}{y}_c"] / 1000,
                                                                                       rel=1e-5)
    assert ("C", 2025) not in sy.index
    annual = hand_case.annual.set_index("year")
    # T1 delivers exactly its limit while both run: 2025 = A alone for 4368 h + 12 kW x 4392 h; 2026 = 12 x 8760
    assert annual.loc[2025, "energy_mwh"] == pytest.approx(E2025, rel=1e-6)
    assert annual.loc[2026, "energy_mwh"] == pytest.approx(105.120, rel=1e-6)
    # curtailed: what the two sites make above 12 kW while both run
    assert annual.loc[2025, "curtailed_mwh"] == pytest.approx(n["curtailed25"] / 1000, rel=1e-5)
    assert annual.loc[2026, "curtailed_mwh"] == pytest.approx(n["curtailed26"] / 1000, rel=1e-5)
    assert annual["capacity_online_kwp"].tolist() == [30.0, 30.0]
    assert hand_case.totals["energy_mwh"] == pytest.approx(E2025 + 105.120, rel=1e-6)


def test_hand_case_carbon(hand_case):
    """AMS-I.D with a two-year trajectory: the North grid's 2023 factor (the last published), then the central path
    (IEA APS, tests/conftest.path_factor). The life-cycle figure compares the same factor times the national
    footprint/average ratio of 2023 (0.6205 / 0.5306) with PV's life-cycle factor."""
    ef = {y: path_factor(y) for y in (2025, 2026)}
    footprint = {y: ef[y] * 0.6205 / 0.5306 for y in (2025, 2026)}
    annual = hand_case.annual.set_index("year")
    for y in (2025, 2026):
        e = annual.loc[y, "energy_mwh"]
        assert annual.loc[y, "grid_factor_kgco2_per_kwh"] == pytest.approx(ef[y], rel=1e-9)
        assert annual.loc[y, "co2_avoided_t"] == pytest.approx(e * ef[y], rel=1e-9)
        assert annual.loc[y, "co2_avoided_lifecycle_t"] == pytest.approx(e * (footprint[y] - LC), rel=1e-9)
    t = hand_case.totals
    assert t["co2_avoided_t"] == pytest.approx(E2025 * ef[2025] + 105.120 * ef[2026], rel=1e-6)
    assert t["t_co2_per_mwh"] == pytest.approx(t["co2_avoided_t"] / t["energy_mwh"])
    assert t["emission_factor_method"] == "average" and "North" in t["emission_factor_source"]
    for p in ("low", "high"):
        assert t["co2_avoided_range_t"][p] == pytest.approx(
            E2025 * path_factor(2025, p) + 105.120 * path_factor(2026, p), rel=1e-6)
    assert t["co2_avoided_range_t"]["central"] == t["co2_avoided_t"]
    sites = hand_case.sites
    a = hand_case.site_years.set_index(["site_id", "year"])
    assert sites.loc["A", "co2_avoided_t"] == pytest.approx(
        a.loc[("A", 2025), "energy_mwh"] * ef[2025] + a.loc[("A", 2026), "energy_mwh"] * ef[2026])
    assert sites.loc["C", "energy_mwh"] == 0.0 and not sites.loc["C", "built"]
    # one certificate per whole MWh of the programme: floor(E2025), then floor(E2025 + 105.12) - floor(E2025)
    first = int(np.floor(E2025))
    assert hand_case.annual["green_certificates"].tolist() == [first, int(np.floor(E2025 + 105.120)) - first]
    assert t["green_certificates"] == int(np.floor(E2025 + 105.120))


def test_hand_case_money(hand_case):
    """Tariffs: A and B export everything at 0.372 CNY/kWh (coal benchmark). O&M 50 CNY/kW/y pro rata:
    2025 = 500 + 1000 x 4392/8760; 2026 = 1500. Inverters replaced at age 1 (2026): 30 kWp x 1000 x 0.1 = 3000 CNY."""
    n = _hand_numbers()
    annual = hand_case.annual.set_index("year")
    assert annual.loc[2025, "capex_cny"] == 120_000.0 and annual.loc[2026, "capex_cny"] == 0.0
    assert annual.loc[2025, "om_cny"] == pytest.approx(500 + 1000 * 4392 / 8760)
    assert annual.loc[2026, "om_cny"] == pytest.approx(1500.0)
    assert annual.loc[2026, "replacement_cny"] == pytest.approx(3000.0)
    assert annual.loc[2025, "revenue_cny"] == pytest.approx(n["a25"] * 0.372 + n["b25"] * 0.372, rel=1e-6)
    # site A: t = 0 in 2025. LCOE = (40,000 + 500 + (500 + 1000) / 1.1) / (E25 + E26 / 1.1)
    lcoe_a = (40_000 + 500 + 1500 / 1.1) / (n["a25"] + n["a26"] / 1.1)
    assert hand_case.sites.loc["A", "lcoe_cny_per_kwh"] == pytest.approx(lcoe_a, rel=1e-6)
    npv_a = -40_000 + (n["a25"] * 0.372 - 500) + (n["a26"] * 0.372 - 1500) / 1.1
    assert hand_case.sites.loc["A", "npv_cny"] == pytest.approx(npv_a, rel=1e-6)
    assert np.isnan(hand_case.sites.loc["A", "payback_years"])  # two years cannot repay 40,000 CNY
    assert np.isnan(hand_case.sites.loc["C", "lcoe_cny_per_kwh"])
    # county: t = 0 in 2025
    cost = np.array([120_000 + 500 + 1000 * 4392 / 8760, 1500 + 3000])
    rev = annual["revenue_cny"].to_numpy()
    t = hand_case.totals
    assert t["npv_cny"] == pytest.approx(rev[0] - cost[0] + (rev[1] - cost[1]) / 1.1, rel=1e-9)
    e_kwh = annual["energy_mwh"].to_numpy() * 1000
    assert t["lcoe_cny_per_kwh"] == pytest.approx((cost[0] + cost[1] / 1.1) / (e_kwh[0] + e_kwh[1] / 1.1), rel=1e-9)
    tn = annual["co2_avoided_t"].to_numpy()
    assert t["cost_per_t_co2_cny"] == pytest.approx((cost[0] + cost[1] / 1.1) / (tn[0] + tn[1] / 1.1), rel=1e-9)
    # net of revenue: (discounted costs - discounted revenue) / discounted tonnes
    assert t["net_cost_per_t_co2_cny"] == pytest.approx(
        (cost[0] - rev[0] + (cost[1] - rev[1]) / 1.1) / (tn[0] + tn[1] / 1.1), rel=1e-9)
    assert t["capex_cny"] == 120_000.0
    assert annual["residual_value_cny"].tolist() == [0.0, 0.0]


def test_market_price_reform_and_residual_value(hand_case):
    """The same county under the 2025 rules: exported energy earns the mechanism price 0.30 on 80 % and the market
    price 0.25 on the rest (term 12 years: both sites are young), so both sites earn 0.8 x 0.30 + 0.2 x 0.25 = 0.29
    CNY/kWh. Straight-line residual value over 25 years at 1 January 2027:
    A is 730 days old, B 548 days: 40,000 x (1 - 730 / 365.25 / 25) + 80,000 x (1 - 548 / 365.25 / 25)."""
    n = _hand_numbers()
    sites, outcomes, downtime, profiles, transformers = hand_case.inputs
    economics = EconomicsConfig(discount_rate_percent=10.0, retail_tariff_cny_per_kwh=0.52,
                                export_price_basis="mechanism", mechanism_price_cny_per_kwh=0.30,
                                mechanism_share_percent=80.0, mechanism_term_years=12, market_price_cny_per_kwh=0.25,
                                lifetime_years=25, residual_value="straight_line", inverter_replacement_year=1,
                                inverter_replacement_cny_per_w=0.1)
    acc = account(sites, outcomes, downtime, profiles, transformers, start_date=pd.Timestamp("2025-01-01"),
                  horizon_years=2, degradation_first_year_percent=2.0, degradation_percent_per_year=0.5,
                  carbon=CarbonConfig(), economics=economics)
    annual = acc.annual.set_index("year")
    assert annual.loc[2025, "revenue_cny"] == pytest.approx(n["a25"] * 0.29 + n["b25"] * 0.29, rel=1e-6)
    residual = 40_000 * (1 - 730 / 365.25 / 25) + 80_000 * (1 - 548 / 365.25 / 25)
    assert annual.loc[2026, "residual_value_cny"] == pytest.approx(residual, rel=1e-9)
    assert annual.loc[2025, "residual_value_cny"] == 0.0
    cost = np.array([120_000 + 500 + 1000 * 4392 / 8760, 1500 + 3000 - residual])
    rev = annual["revenue_cny"].to_numpy()
    assert acc.totals["npv_cny"] == pytest.approx(rev[0] - cost[0] + (rev[1] - cost[1]) / 1.1, rel=1e-9)
    # site A: NPV to its commissioning year with its residual value in 2026
    npv_a = -40_000 + (n["a25"] * 0.29 - 500) + (n["a26"] * 0.29 - 1500 + 40_000 * (1 - 730 / 365.25 / 25)) / 1.1
    assert acc.sites.loc["A", "npv_cny"] == pytest.approx(npv_a, rel=1e-6)
    assert "mechanism price 0.3 CNY/kWh on 80 % for 12 years" in acc.totals["price_basis"]
    assert "25-year" in acc.totals["economics_horizon_rule"]


def test_mechanism_share_term_range_npv_by_hand(hand_case):
    """The hand county under the Hebei defaults (share 70 %, term 11 years, range 70-80 % and 10-12 years) with
    mechanism 0.30 and market 0.25: both sites are young, so the term does not bind within the 2-year horizon. The
    low end (70 %, 10 years) is the run's own NPV; the high end (80 %, 12 years) adds 0.1 x (0.30 - 0.25) = 0.005
    CNY on every exported kWh: 0.005 x ((A25 + B25) + (A26 + B26) / 1.1)."""
    n = _hand_numbers()
    sites, outcomes, downtime, profiles, transformers = hand_case.inputs
    economics = EconomicsConfig(discount_rate_percent=10.0, export_price_basis="mechanism",
                                mechanism_price_cny_per_kwh=0.30, market_price_cny_per_kwh=0.25,
                                inverter_replacement_year=None)
    acc = account(sites, outcomes, downtime, profiles, transformers, start_date=pd.Timestamp("2025-01-01"),
                  horizon_years=2, degradation_first_year_percent=2.0, degradation_percent_per_year=0.5,
                  carbon=CarbonConfig(), economics=economics)
    annual = acc.annual.set_index("year")
    assert annual.loc[2025, "revenue_cny"] == pytest.approx((n["a25"] + n["b25"]) * (0.7 * 0.30 + 0.3 * 0.25))
    npv = acc.totals["npv_cny"]
    extra = 0.005 * ((n["a25"] + n["b25"]) + (n["a26"] + n["b26"]) / 1.1)
    assert acc.totals["npv_mechanism_share_term_range_cny"] == pytest.approx(
        {"70 % for 10 years": npv, "80 % for 12 years": npv + extra}, rel=1e-6)
    assert "assumption" in acc.totals["mechanism_share_term_source"]


def test_pilot_coverage():
    sites = _sites([
        (f"r{i}", "rural_home", 5.0, 0, "T", 1.0, 1.0, 0.0, "rural_home", i < 3) for i in range(4)
    ] + [
        (f"g{i}", "party_government", 5.0, 0, "T", 1.0, 1.0, 0.0, "party_government", True) for i in range(2)
    ] + [("f0", "fish_pond", 100.0, 0, "T", 1.0, 1.0, 0.0, "", True)])
    outcomes = pd.DataFrame({"status": ["operating", "declined", "operating", "failed"],
                             "commission_date": pd.to_datetime(["2025-05-01", None, "2025-06-01", None])},
                            index=["r0", "r1", "f0", "g0"])
    cov = pilot_coverage(sites, outcomes)
    # without an area_m2 column every roof counts as one unit of area
    assert cov["rural_home"] == {"candidates": 4, "eligible": 3, "built": 1, "roof_area_m2": 4.0,
                                 "roof_area_built_m2": 1.0, "share_percent": 25.0, "share_roofs_percent": 25.0,
                                 "target_percent": 20.0, "met": True}
    assert cov["party_government"]["built"] == 0 and cov["party_government"]["met"] is False
    assert cov["party_government"]["target_percent"] == 50.0
    assert cov["public"]["candidates"] == 0 and np.isnan(cov["public"]["share_percent"])
    assert cov["public"]["met"] is False
    assert cov["commercial_industrial"]["target_percent"] == 30.0


def test_pilot_coverage_without_eligibility_counts_every_candidate():
    """Without an ``eligible`` column every candidate roof is eligible."""
    sites = _sites([(f"r{i}", "rural_home", 5.0, 0, "T", 1.0, 1.0, 0.0, "rural_home", False) for i in range(2)])
    outcomes = pd.DataFrame({"status": ["operating"], "commission_date": pd.to_datetime(["2025-05-01"])},
                            index=["r0"])
    cov = pilot_coverage(sites.drop(columns="eligible"), outcomes)["rural_home"]
    assert (cov["candidates"], cov["eligible"], cov["built"], cov["share_percent"]) == (2, 2, 1, 50.0)


def test_pilot_coverage_is_on_roof_area():
    """Two government roofs of 100 and 300 m2, the small one built: half the roofs but a quarter of the roof area,
    below the NEA's 50 % (which is defined on area)."""
    sites = _sites([(f"g{i}", "party_government", 5.0, 0, "T", 1.0, 1.0, 0.0, "party_government", True)
                    for i in range(2)])
    sites["area_m2"] = [100.0, 300.0]
    outcomes = pd.DataFrame({"status": ["operating", "declined"],
                             "commission_date": pd.to_datetime(["2026-05-01", None])}, index=["g0", "g1"])
    cov = pilot_coverage(sites, outcomes)["party_government"]
    assert cov["share_roofs_percent"] == 50.0
    assert cov["roof_area_m2"] == 400.0 and cov["roof_area_built_m2"] == 100.0
    assert cov["share_percent"] == 25.0 and cov["met"] is False


def test_hour_map_leap_years():
    m = _hour_map(2028, 8760)  # leap year, common-year profile: 29 Feb repeats 28 Feb
    assert len(m) == 8784
    np.testing.assert_array_equal(m[1416:1440], np.arange(1392, 1416))
    assert m[1440] == 1416 and m[-1] == 8759
    m = _hour_map(2027, 8784)  # common year, leap profile: skip its 29 Feb
    assert len(m) == 8760 and m[1415] == 1415 and m[1416] == 1440 and m[-1] == 8783
    with pytest.raises(InputError):
        _hour_map(2027, 8000)


def _brute_force(sites, outcomes, downtime, profiles, transformers, start, years, d1, d):
    """Hour-by-hour reference: one full hourly series per site, explicit per-transformer curtailment net of the load
    of every site on the transformer (built or not), self-consumption min(output, load) hour by hour."""
    out = {}
    for k, y in enumerate(years):
        prof = profiles[k % len(profiles)]
        hmap = _hour_map(y, prof.shape[0])
        n_h = len(hmap)
        jan1 = pd.Timestamp(year=y, month=1, day=1)
        series = {}
        household = hourly_shapes(y)[0]  # rural homes: the H0 household shape
        load = {sid: row.load_kwh_per_year * household for sid, row in sites.iterrows()}
        for sid, row in sites.iterrows():
            if sid not in outcomes.index or outcomes.loc[sid, "status"] != "operating":
                continue
            cd = max(outcomes.loc[sid, "commission_date"], start)
            if cd.year > y:
                continue
            h_start = int(np.ceil((cd - jan1) / pd.Timedelta(hours=1))) if cd.year == y else 0
            on = np.zeros(n_h)
            on[h_start:] = 1.0
            op_days = on.sum() / 24.0
            dd = downtime[(downtime.site_id == sid) & (downtime.year == y)]["downtime_days"].sum()
            dfac = min(max(1 - dd / op_days, 0.0), 1.0) if op_days > 0 else 0.0
            # age at the middle of the site's operating period in the year, in years of 365.25 days
            year_end = pd.Timestamp(year=y + 1, month=1, day=1)
            first_on = jan1 + pd.Timedelta(hours=h_start)
            age = ((first_on + (year_end - first_on) / 2) - (jan1 + pd.Timedelta(hours=h_start) if cd.year == y
                                                              else cd.ceil("h"))) / pd.Timedelta(days=365.25)
            deg = (1 - d1 / 100) * (1 - d / 100) ** age
            series[sid] = row.capacity_kwp * deg * dfac * on * prof[hmap, int(row.archetype)].astype(float)
        for sid, s in series.items():
            t = sites.loc[sid, "transformer_id"]
            lim = transformers.loc[t, "export_limit_kw"]
            total = sum(series[o] for o in series if sites.loc[o, "transformer_id"] == t)
            local = sum(load[o] for o in sites.index if sites.loc[o, "transformer_id"] == t)
            f = np.where(total > lim + local, (total - lim - local) / np.where(total > 0, total, 1), 0.0)
            delivered = (s * (1 - f)).sum()
            out[(sid, y)] = (delivered / 1000, (s * f).sum() / 1000, min(np.minimum(s, load[sid]).sum(), delivered) / 1000)
    return out


def _random_county():
    """14 sites with loads on 4 transformers (limits 15, 30 kW, none, 0), 3 archetypes, two weather years, mid-day
    commissioning from 15 March 2027, downtime."""
    rng = np.random.default_rng(7)
    n_sites, n_arch = 14, 3
    hours = np.arange(8760) % 24
    day_shape = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None)
    profiles = [(day_shape[:, None] * rng.uniform(0.3, 1.0, (8760, n_arch))).astype(np.float32),
                (day_shape[:, None] * rng.uniform(0.3, 1.0, (8760, n_arch))).astype(np.float32)]
    tids = ["T0", "T1", "T2", "T3"]
    sites = _sites([(f"s{i}", "rural_home", float(rng.uniform(5, 40)), int(rng.integers(n_arch)), tids[i % 4],
                     1000.0, 40.0, 4000.0 * (i % 3), "rural_home", True) for i in range(n_sites)])
    start = pd.Timestamp("2027-03-15")
    cds = [start + pd.Timedelta(hours=float(h)) for h in rng.uniform(0, 2 * 8760, n_sites)]
    cds[0] = pd.Timestamp("2027-01-01")  # before start: counted from start, with a warning
    status = ["operating"] * (n_sites - 2) + ["failed", "operating"]
    outcomes = pd.DataFrame({"status": status, "commission_date": cds}, index=sites.index)
    downtime = pd.DataFrame({"site_id": ["s1", "s2", "s5", "s5"], "year": [2028, 2029, 2029, 2031],
                             "downtime_days": [10.0, 400.0, 3.0, 5.0]})
    transformers = pd.DataFrame({"export_limit_kw": [15.0, 30.0, np.nan, 0.0]}, index=tids)
    return sites, outcomes, downtime, profiles, transformers, start


def test_matches_hourly_brute_force():
    """Random small county: mid-day commissioning, a partial first year, a leap year, two weather years, downtime."""
    sites, outcomes, downtime, profiles, transformers, start = _random_county()
    years = [2027, 2028, 2029]
    with pytest.warns(Warning, match="before start_date"):
        acc = account(sites, outcomes, downtime, profiles, transformers, start_date=start, horizon_years=3,
                      degradation_first_year_percent=1.0, degradation_percent_per_year=0.7,
                      carbon=CarbonConfig(), economics=EconomicsConfig())
    ref = _brute_force(sites, outcomes, downtime, profiles, transformers, start, years, 1.0, 0.7)
    sy = acc.site_years.set_index(["site_id", "year"])
    assert len(sy) == len(ref)
    total_curt = 0.0
    for key, (e, c, used) in ref.items():
        assert sy.loc[key, "energy_mwh"] == pytest.approx(e, rel=2e-5, abs=1e-4), key
        assert sy.loc[key, "curtailed_mwh"] == pytest.approx(c, rel=2e-5, abs=1e-4), key
        assert sy.loc[key, "self_consumed_mwh"] == pytest.approx(used, rel=2e-5, abs=1e-4), key
        total_curt += c
    assert total_curt > 1.0  # the limits bind
    assert sy["self_consumed_mwh"].sum() > 1.0  # the loads take part
    on_t3 = acc.site_years[acc.site_years["site_id"].isin(["s3", "s7", "s11"])]
    # T3's export limit is 0: it delivers only what the loads on it take
    t3_load_mwh = sites.loc[["s3", "s7", "s11"], "load_kwh_per_year"].sum() * len(years) / 1000
    assert len(on_t3) >= 2 and 0 < on_t3["energy_mwh"].sum() <= t3_load_mwh
    assert on_t3["curtailed_mwh"].sum() > 1.0


def test_a_memo_kept_between_runs_changes_no_result():
    """The memo of a preparation keeps only what does not depend on the run: a second run (other outcomes, other
    downtime, another carbon path) accounted with the memo the first one filled gives the tables it gives alone."""
    sites, outcomes, downtime, profiles, transformers, start = _random_county()
    other = outcomes.assign(status=["failed", *outcomes["status"].iloc[1:-1], "operating"],
                            commission_date=outcomes["commission_date"] + pd.Timedelta(days=40))
    kwargs = dict(start_date=start, horizon_years=3, degradation_first_year_percent=1.0,
                  degradation_percent_per_year=0.7, economics=EconomicsConfig())
    memo: dict = {}
    with pytest.warns(Warning, match="before start_date"):
        account(sites, outcomes, downtime, profiles, transformers, carbon=CarbonConfig(), memo=memo, **kwargs)
    assert {"site_load", "load_by_shape"} <= set(memo) and any(k[0] == "factors" for k in memo if isinstance(k, tuple))
    second = dict(carbon=CarbonConfig(factor_kgco2_per_kwh=0.5), **kwargs)
    kept = account(sites, other, downtime.iloc[:2], profiles, transformers, memo=memo, **second)
    alone = account(sites, other, downtime.iloc[:2], profiles, transformers, **second)
    pd.testing.assert_frame_equal(kept.site_years, alone.site_years, check_exact=True)
    assert json.dumps(kept.totals, sort_keys=True, default=str) == json.dumps(alone.totals, sort_keys=True, default=str)


def test_input_errors(hand_case):
    sites = _sites([("A", "rural_home", 10.0, 0, "TX", 1.0, 1.0, 0.0, "", True)])
    outcomes = pd.DataFrame({"status": ["operating"], "commission_date": pd.to_datetime(["2025-03-01"])},
                            index=["A"])
    profile = np.full((8760, 1), 0.1, dtype=np.float32)
    kw = dict(start_date=pd.Timestamp("2025-01-01"), horizon_years=1, degradation_first_year_percent=0.0,
              degradation_percent_per_year=0.0, carbon=CarbonConfig(), economics=EconomicsConfig())
    empty_dt = pd.DataFrame(columns=["site_id", "year", "downtime_days"])
    tr = pd.DataFrame({"export_limit_kw": [np.inf]}, index=["T1"])
    with pytest.raises(InputError, match="transformer"):
        account(sites, outcomes, empty_dt, [profile], tr, **kw)
    sites2 = sites.assign(transformer_id="T1")
    with pytest.raises(InputError, match="archetype"):
        account(sites2.assign(archetype=3), outcomes, empty_dt, [profile], tr, **kw)
    with pytest.raises(InputError, match="archetype"):  # one profile column: index 1 is just outside
        account(sites2.assign(archetype=1), outcomes, empty_dt, [profile], tr, **kw)
    with pytest.raises(InputError, match="archetype"):
        account(sites2.assign(archetype=-1), outcomes, empty_dt, [profile], tr, **kw)
    with pytest.raises(InputError, match="8760"):
        account(sites2, outcomes, empty_dt, [profile[:100]], tr, **kw)
    with pytest.raises(InputError, match="commission_date"):
        account(sites2, outcomes.assign(commission_date=pd.NaT), empty_dt, [profile], tr, **kw)
    with pytest.raises(InputError, match="downtime"):
        account(sites2, outcomes, pd.DataFrame({"site_id": ["Z"], "year": [2025], "downtime_days": [1.0]}),
                [profile], tr, **kw)
    with pytest.raises(InputError, match="capex_cny"):
        account(sites2.drop(columns="capex_cny"), outcomes, empty_dt, [profile], tr, **kw)
    for bad in (0, 1.5):  # a whole number of years, at least one
        with pytest.raises(InputError, match="horizon"):
            account(sites2, outcomes, empty_dt, [profile], tr, **{**kw, "horizon_years": bad})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        acc = account(sites2, outcomes, empty_dt, [profile], tr, **kw)
    # 2025-03-01 is day 59 -> hour 1416; 8760 - 1416 = 7344 h x 0.1 x 10 kWp = 7,344 kWh
    assert acc.totals["energy_mwh"] == pytest.approx(7.344, rel=1e-6)
    assert acc.totals["curtailed_mwh"] == 0.0


def test_nothing_built_gives_zero_totals():
    sites = _sites([("A", "rural_home", 10.0, 0, "T1", 1.0, 1.0, 0.0, "rural_home", True)])
    outcomes = pd.DataFrame({"status": ["declined"], "commission_date": [pd.NaT]}, index=["A"])
    acc = account(sites, outcomes, pd.DataFrame(columns=["site_id", "year", "downtime_days"]),
                  [np.full((8760, 1), 0.1, dtype=np.float32)], pd.DataFrame({"export_limit_kw": [5.0]}, index=["T1"]),
                  start_date=pd.Timestamp("2025-06-01"), horizon_years=3, degradation_first_year_percent=1.0,
                  degradation_percent_per_year=0.5, carbon=CarbonConfig(), economics=EconomicsConfig())
    assert acc.totals["energy_mwh"] == 0.0 and acc.totals["capex_cny"] == 0.0
    assert np.isnan(acc.totals["lcoe_cny_per_kwh"])
    assert acc.annual["year"].tolist() == [2025, 2026, 2027]
    assert len(acc.site_years) == 0 and not acc.sites.loc["A", "built"]
    assert acc.totals["pilot_coverage"]["rural_home"]["built"] == 0


def test_bad_region_fails_before_work(hand_case):
    sites = _sites([("A", "rural_home", 10.0, 0, "T1", 1.0, 1.0, 0.0, "", True)])
    outcomes = pd.DataFrame({"status": ["operating"], "commission_date": pd.to_datetime(["2025-03-01"])},
                            index=["A"])
    with pytest.raises(InputError) as e:
        account(sites, outcomes, None, [np.full((8760, 1), 0.1, dtype=np.float32)],
                pd.DataFrame({"export_limit_kw": [np.inf]}, index=["T1"]), start_date=pd.Timestamp("2025-01-01"),
                horizon_years=1, degradation_first_year_percent=0.0, degradation_percent_per_year=0.0,
                carbon=CarbonConfig(region="Mars"), economics=EconomicsConfig())
    assert e.value.field == "carbon.region"


def _escalated(hand_case, **changes):
    """The hand case with B commissioned on 2026-01-01 (A in 2025, C never) and ``changes`` to the economics."""
    sites, outcomes, downtime, profiles, transformers = hand_case.inputs
    outcomes = outcomes.copy()
    outcomes.loc["B", "commission_date"] = pd.Timestamp("2026-01-01")
    economics = EconomicsConfig(discount_rate_percent=10.0, retail_tariff_cny_per_kwh=0.52,
                                export_price_basis="coal_benchmark", coal_benchmark_cny_per_kwh=0.372,
                                residual_value="none", inverter_replacement_year=None, **changes)
    return account(sites, outcomes, downtime.iloc[:1], profiles, transformers, start_date=pd.Timestamp("2025-01-01"),
                   horizon_years=2, degradation_first_year_percent=0.0, degradation_percent_per_year=0.0,
                   carbon=CarbonConfig(), economics=economics)


def test_capex_om_and_tariffs_escalate_by_calendar_year(hand_case):
    """Capex +10 %/y by the year of commissioning: A (2025) pays 40,000, B (2026) 80,000 x 1.1 = 88,000. O&M +5 %/y
    by calendar year: 2025 A 500 (full year), 2026 (500 + 1000) x 1.05 = 1575. Tariffs +3 %/y: in 2026 every kWh
    earns 1.03 times its 2025 price (0.372 CNY/kWh)."""
    flat = _escalated(hand_case).annual.set_index("year")
    acc = _escalated(hand_case, capex_escalation_percent_per_year=10.0, om_escalation_percent_per_year=5.0,
                     tariff_escalation_percent_per_year=3.0)
    annual = acc.annual.set_index("year")
    assert annual["capex_cny"].tolist() == pytest.approx([40_000.0, 88_000.0], rel=1e-12)
    assert acc.sites.loc["B", "capex_cny"] == pytest.approx(88_000.0, rel=1e-12)
    assert annual["om_cny"].tolist() == pytest.approx([500.0, 1575.0], rel=1e-12)
    assert annual.loc[2025, "revenue_cny"] == pytest.approx(flat.loc[2025, "revenue_cny"], rel=1e-12)
    assert annual.loc[2026, "revenue_cny"] == pytest.approx(1.03 * flat.loc[2026, "revenue_cny"], rel=1e-12)
    assert flat.loc[2026, "capex_cny"] == 80_000.0 and flat["om_cny"].tolist() == pytest.approx([500.0, 1500.0])


def _account_2025(hand_case, outcomes, downtime, *, horizon_years: int):
    """The hand case's sites with other outcomes and downtime, from 1 January 2025, without degradation."""
    sites, _, _, profiles, transformers = hand_case.inputs
    return account(sites, outcomes, downtime, profiles, transformers, start_date=pd.Timestamp("2025-01-01"),
                   horizon_years=horizon_years, degradation_first_year_percent=0.0, degradation_percent_per_year=0.0,
                   carbon=CarbonConfig(), economics=EconomicsConfig())


def test_capacity_online_counts_sites_commissioned_by_the_year_end(hand_case):
    """B commissioned at 00:00 on 1 January 2026 is online at the end of 2026, not of 2025; one commissioned at
    23:00 on 31 December 2025 counts in 2025."""
    annual = _escalated(hand_case).annual.set_index("year")
    assert annual["capacity_online_kwp"].tolist() == [10.0, 30.0]
    sites, outcomes, downtime, profiles, transformers = hand_case.inputs
    outcomes = outcomes.copy()
    outcomes.loc["B", "commission_date"] = pd.Timestamp("2025-12-31 23:00")
    late = _account_2025(hand_case, outcomes, downtime.iloc[:1], horizon_years=2)
    assert late.annual["capacity_online_kwp"].tolist() == [30.0, 30.0]


def test_curtailment_and_self_consumption_with_local_load_by_hand():
    """One 30 kWp rural home, 0.5 kWh/kWp every hour of 2025 (15 kW), behind a transformer exporting at most 10 kW.

    With the home's own load of 30 MWh a year in the H0 shape (sim.grid.hourly_load_kw_per_mwh): each hour the home
    uses min(15, load) kWh itself, and max(0, 15 - load - 10) kWh is curtailed. With the ledger's 11 customers (the
    home plus 10 others at the rural-home load, 1,080 kWh each) and no load of its own, the others' load nets the
    export the same way. Without any load 5 kWh every hour is curtailed and nothing is self-consumed."""
    from sim.grid import hourly_load_kw_per_mwh

    outcomes = pd.DataFrame({"status": ["operating"], "commission_date": pd.to_datetime(["2025-01-01"])},
                            index=pd.Index(["A"], name="site_id"))
    profile = np.full((8760, 1), 0.5, dtype=np.float32)

    def run(own_kwh: float, customers: float | None):
        sites = _sites([("A", "rural_home", 30.0, 0, "T1", 90_000.0, 50.0, own_kwh, "rural_home", True)])
        transformers = pd.DataFrame({"export_limit_kw": [10.0]}, index=pd.Index(["T1"], name="transformer_id"))
        if customers is not None:
            transformers["customers"] = customers
        acc = account(sites, outcomes, None, [profile], transformers, start_date=pd.Timestamp("2025-01-01"),
                      horizon_years=1, degradation_first_year_percent=0.0, degradation_percent_per_year=0.0,
                      carbon=CarbonConfig(), economics=EconomicsConfig())
        assert acc.annual["energy_mwh"].iloc[0] + acc.annual["curtailed_mwh"].iloc[0] == pytest.approx(131.4)
        return acc

    load_kw = 30.0 * hourly_load_kw_per_mwh(2025)
    assert 0.5 < load_kw.min() < 5.0 < load_kw.max()  # the load sometimes absorbs the excess, sometimes not
    own = run(30_000.0, None)
    assert own.annual["curtailed_mwh"].iloc[0] == pytest.approx(np.maximum(0.0, 15.0 - load_kw - 10.0).sum() / 1000,
                                                                rel=1e-5)
    used = np.minimum(15.0, load_kw).sum()  # kWh: the whole load in every hour it is below 15 kW
    assert own.annual["self_consumed_mwh"].iloc[0] == pytest.approx(used / 1000, rel=1e-5)
    assert own.sites.loc["A", "self_consumed_kwh_year1"] == pytest.approx(used, rel=1e-5)
    assert load_kw.max() < 15.0 and used == pytest.approx(30_000.0)  # all of its load, never more
    others_kw = 10 * 1.080 * hourly_load_kw_per_mwh(2025)
    others = run(0.0, 11.0)
    assert others.annual["curtailed_mwh"].iloc[0] == pytest.approx(
        np.maximum(0.0, 15.0 - others_kw - 10.0).sum() / 1000, rel=1e-5)
    assert others.annual["self_consumed_mwh"].iloc[0] == 0.0
    none = run(0.0, None)
    assert none.annual["curtailed_mwh"].iloc[0] == pytest.approx(5.0 * 8760 / 1000.0, rel=1e-5)  # float32 hours


def test_a_site_commissioned_at_the_start_is_not_early(hand_case):
    """A site commissioned at 00:00 of the start date counts from it without the 'commissioned before start_date'
    warning; one commissioned an hour before gets it."""
    sites, outcomes, downtime, profiles, transformers = hand_case.inputs
    kw = dict(start_date=pd.Timestamp("2025-01-01"), horizon_years=1, degradation_first_year_percent=0.0,
              degradation_percent_per_year=0.0, carbon=CarbonConfig(), economics=EconomicsConfig())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        account(sites, outcomes, downtime, profiles, transformers, **kw)
    early = outcomes.copy()
    early.loc["A", "commission_date"] = pd.Timestamp("2024-12-31 23:00")
    with pytest.warns(UserWarning, match="before start_date"):
        account(sites, early, downtime, profiles, transformers, **kw)


def test_a_site_switched_on_in_the_last_hours_of_the_year(hand_case):
    """B commissioned at 12:00 on 31 December 2025 behind the 12 kW export limit (no downtime, no degradation): A
    (5 kW) alone is under the limit until then; for the last 12 hours A and B (10 kW) share the 12 kW the limit lets
    through pro rata, and 3 kW are curtailed."""
    sites, outcomes, downtime, profiles, transformers = hand_case.inputs
    late = outcomes.copy()
    late.loc["B", "commission_date"] = pd.Timestamp("2025-12-31 12:00")
    acc = _account_2025(hand_case, late, downtime.iloc[:0], horizon_years=1)
    a_kw, b_kw = 10 * 0.5, 20 * 0.5  # 15 kW together: 3 kW over the limit, shared pro rata
    a = a_kw * (8760 - 12) + a_kw * 12 * 12 / 15
    b = b_kw * 12 * 12 / 15
    assert acc.sites.loc["A", "energy_mwh"] == pytest.approx(a / 1000, rel=1e-6)
    assert acc.sites.loc["B", "energy_mwh"] == pytest.approx(b / 1000, rel=1e-6)
    assert acc.annual["curtailed_mwh"].iloc[0] == pytest.approx(3.0 * 12 / 1000, rel=1e-6)


def test_social_cost_and_stakeholders_by_hand(hand_case):
    """The hand case with a grid upgrade of 1,000 CNY in 2026 and an avoided generation cost of 0.30 CNY/kWh:
    social cost = (cost_2025 - 0.30 E_2025 + (cost_2026 + 1,000 - 0.30 E_2026) / 1.1) / (t_2025 + t_2026 / 1.1).
    Developer model: the stakeholders' NPVs add up to the programme's NPV less the upgrade's (1,000 / 1.1), the
    owners getting the roof rent 40 CNY/kWp/yr of A (10 kWp, all of 2025-2026) and B (20 kWp from 2 July 2025)."""
    sites, outcomes, downtime, profiles, transformers = hand_case.inputs
    economics = EconomicsConfig(discount_rate_percent=10.0, retail_tariff_cny_per_kwh=0.52,
                                export_price_basis="coal_benchmark", coal_benchmark_cny_per_kwh=0.372,
                                residual_value="none", inverter_replacement_year=1, inverter_replacement_cny_per_w=0.1,
                                avoided_generation_cost_cny_per_kwh=0.30, roof_rent_cny_per_kwp_year=40.0)
    acc = account(sites, outcomes, downtime, profiles, transformers, start_date=pd.Timestamp("2025-01-01"),
                  horizon_years=2, degradation_first_year_percent=2.0, degradation_percent_per_year=0.5,
                  carbon=CarbonConfig(), economics=economics, grid=GridRules(upgrade_cny_by_year={2026: 1000.0}))
    annual = acc.annual.set_index("year")
    cost = np.array([120_000 + 500 + 1000 * 4392 / 8760, 1500 + 3000 + 1000])
    e_kwh = annual["energy_mwh"].to_numpy() * 1000
    tn = annual["co2_avoided_t"].to_numpy()
    social = (cost[0] - 0.30 * e_kwh[0] + (cost[1] - 0.30 * e_kwh[1]) / 1.1) / (tn[0] + tn[1] / 1.1)
    t = acc.totals
    assert t["social_cost_per_t_co2_cny"] == pytest.approx(social, rel=1e-9)
    assert set(t["cost_per_t_co2_basis"]) == {"cost_per_t_co2_cny", "net_cost_per_t_co2_cny",
                                              "social_cost_per_t_co2_cny"}
    stake = t["npv_by_stakeholder_cny"]
    assert sum(stake.values()) == pytest.approx(t["npv_cny"] - 1000 / 1.1, rel=1e-9)
    assert stake["grid_company"] == pytest.approx(-1000 / 1.1)
    rent = 40 * 10 + 40 * 20 * 4392 / 8760 + (40 * 30) / 1.1  # no self-consumption: owners get only the rent
    assert stake["site_owners"] == pytest.approx(rent, rel=1e-9)
    assert t["investor"] == "developer" and stake["county_budget"] == 0.0


def _one_site_2025(transformers: pd.DataFrame, grid=None, kwp: float = 30.0):
    """One site of ``kwp`` making 0.5 kWh/kWp every hour of 2025 behind transformer T1 (no load)."""
    sites = _sites([("A", "rural_home", kwp, 0, "T1", 90_000.0, 50.0, 0.0, "rural_home", True)])
    outcomes = pd.DataFrame({"status": ["operating"], "commission_date": pd.to_datetime(["2025-01-01"])},
                            index=pd.Index(["A"], name="site_id"))
    profile = np.full((8760, 1), 0.5, dtype=np.float32)
    return account(sites, outcomes, None, [profile], transformers, start_date=pd.Timestamp("2025-01-01"),
                   horizon_years=1, degradation_first_year_percent=0.0, degradation_percent_per_year=0.0,
                   carbon=CarbonConfig(), economics=EconomicsConfig(), grid=grid or GridRules())


def test_existing_pv_at_its_hourly_output_shares_curtailment_pro_rata_or_new_first():
    """A 30 kWp site (15 kW every hour) and 10 kW AC of existing PV at DC/AC 1.2 (12 kWp, so 6 kW every hour, not
    its 10 kW nameplate) behind a 15 kW export limit: 6 kW over it each hour. Pro rata the new site loses
    6 x 15 / 21 kW; new first it loses all 6 kW."""
    transformers = pd.DataFrame({"export_limit_kw": [15.0], "existing_pv_kw": [10.0]},
                                index=pd.Index(["T1"], name="transformer_id"))
    pro_rata = _one_site_2025(transformers, GridRules(dc_ac_ratio=1.2))
    assert pro_rata.totals["curtailed_mwh"] == pytest.approx(6.0 * 15.0 / 21.0 * 8760 / 1000, rel=1e-5)
    first = _one_site_2025(transformers, GridRules(dc_ac_ratio=1.2, new_first=True))
    assert first.totals["curtailed_mwh"] == pytest.approx(6.0 * 8760 / 1000, rel=1e-5)
    # existing PV alone above the limit: new first, the new site loses everything; pro rata its share
    crowded = transformers.assign(existing_pv_kw=[40.0])  # 48 kWp: 24 kW, alone over the 15 kW limit
    assert _one_site_2025(crowded, GridRules(dc_ac_ratio=1.2, new_first=True)).totals["curtailed_mwh"] == \
        pytest.approx(15.0 * 8760 / 1000, rel=1e-5)
    assert _one_site_2025(crowded, GridRules(dc_ac_ratio=1.2)).totals["curtailed_mwh"] == \
        pytest.approx(24.0 * 15.0 / 39.0 * 8760 / 1000, rel=1e-5)


def test_an_upgrade_raises_the_export_limit_from_its_date_only():
    """15 kW every hour behind a 10 kW limit that an upgrade raises by 10 kW on 1 July 2025 (hour 4344): 5 kW are
    curtailed in each hour before it, none after."""
    transformers = pd.DataFrame({"export_limit_kw": [10.0]}, index=pd.Index(["T1"], name="transformer_id"))
    steps = pd.DataFrame({"transformer_id": ["T1"], "date": [pd.Timestamp("2025-07-01")], "added_export_kw": [10.0]})
    acc = _one_site_2025(transformers, GridRules(export_steps=steps))
    assert acc.totals["curtailed_mwh"] == pytest.approx(5.0 * 4344 / 1000, rel=1e-5)


def test_system_utilisation_curtails_its_share_of_what_the_transformers_pass():
    """No local limit: 131.4 MWh; at 93.4 % utilisation (H1 2025) 6.6 % of it is curtailed by the system."""
    transformers = pd.DataFrame({"export_limit_kw": [np.inf]}, index=pd.Index(["T1"], name="transformer_id"))
    acc = _one_site_2025(transformers, GridRules(system_utilisation_percent=93.4))
    assert acc.totals["energy_mwh"] == pytest.approx(131.4 * 0.934, rel=1e-5)
    assert acc.totals["curtailed_mwh"] == pytest.approx(131.4 * 0.066, rel=1e-5)


def test_year_table_maps_the_used_columns_and_sums_each_hour_to_the_years_end():
    """A leap year (2028, 8,784 hours) from a 8,760-hour profile of 3 archetypes, columns 2 and 0 used: the table
    repeats 28 February on the 29th; the energy from a site's first hour to the end of the year is added from the
    last hour back as an axis-0 cumulative sum of the reversed table adds it (bit for bit), 0 from the year's end
    on, the year's total where it runs all year. Column 2 is 1 kWh/kWp in every hour: 8,784 from hour 0, 1 from the
    last hour."""
    rng = np.random.default_rng(3)
    profile = rng.uniform(0.0, 1.0, (8760, 3)).astype(np.float32)
    profile[:, 2] = 1.0
    hourly = _year_table(profile, 2028, np.array([2, 0]))
    assert hourly.shape == (8784, 2) and hourly.dtype == np.float32
    assert np.array_equal(hourly[:, 1], profile[_hour_map(2028, 8760), 0])
    assert np.array_equal(hourly[59 * 24 : 60 * 24, 1], profile[58 * 24 : 59 * 24, 0])  # 29 Feb repeats 28 Feb
    suffix = np.cumsum(hourly[::-1].astype(np.float64), axis=0)[::-1]  # from each hour to the year's end
    totals = _year_totals(profile, 2028)
    assert totals[2] == 8784.0 and np.array_equal(totals[[2, 0]], suffix[0])
    first = np.array([0, 8783, 8784, 9000, 1, 4000, 0, 4000])
    column = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    energy = _energy_from_hour(hourly, totals[[2, 0]], first, column)
    assert energy[:3].tolist() == [8784.0, 1.0, 0.0] and energy[3] == 0.0
    expected = np.where(first < 8784, suffix[np.minimum(first, 8783), column], 0.0)
    assert np.array_equal(energy, expected)
    # with nights (hours without output): summed over the daylight hours alone, the same sums bit for bit
    night = (np.arange(8760) % 24 < 6) | (np.arange(8760) % 24 > 19)
    profile[night] = 0.0
    hourly = _year_table(profile, 2028, np.array([2, 0]))
    daylight = daylight_yield(hourly)
    assert len(daylight[0]) == 8784 * 14 // 24
    totals = _year_totals(profile, 2028)[[2, 0]]
    first = np.array([0, 3, 7, 8783, 5000, 8784, 30, 29])
    assert np.array_equal(_energy_from_hour(hourly, totals, first, column, daylight),
                          _energy_from_hour(hourly, totals, first, column))
    suffix = np.cumsum(hourly[::-1].astype(np.float64), axis=0)[::-1]
    assert np.array_equal(_energy_from_hour(hourly, totals, first, column, daylight),
                          np.where(first < 8784, suffix[np.minimum(first, 8783), column], 0.0))


def test_year_totals_are_kept_per_profile_and_year_length():
    """The totals depend only on the profile and the year's length: kept in the memo per (key, hours), 2027 and
    2029 (8,760 hours) share one entry, 2028 (8,784) has its own; without a memo nothing is kept."""
    profile = np.random.default_rng(4).uniform(0.0, 1.0, (8760, 2)).astype(np.float32)
    memo: dict = {}
    a = _year_totals(profile, 2027, memo, 0)
    assert _year_totals(profile, 2029, memo, 0) is a and sorted(memo) == [("year_totals", 0, 8760)]
    leap = _year_totals(profile, 2028, memo, 0)
    assert sorted(memo) == [("year_totals", 0, 8760), ("year_totals", 0, 8784)] and np.allclose(leap - a, profile[58 * 24 : 59 * 24].sum(axis=0))
    assert np.array_equal(_year_totals(profile, 2027), a)
    peaks = _peaks(profile, memo, 0)  # the same in a leap year (a day repeated) as in the profile
    assert ("peaks", 0) in memo and peaks.dtype == np.float64
    assert np.array_equal(peaks, _year_table(profile, 2028, np.arange(2)).max(axis=0))


@pytest.mark.parametrize("used", [[0, 1, 2], [0, 1], [2, 0]])
@pytest.mark.parametrize("kept_bytes", [64e6, 0.0])
def test_year_table_daylight_is_that_of_the_used_columns_kept_or_not(used, kept_bytes, monkeypatch):
    """A 2028 (leap) year of three archetypes, the third also producing in each day's 5th hour: the daylight hours
    and yield a run reads, whether from the all-archetype table kept per profile (as it is, when the used columns
    produce in all its hours, else its used rows in their hours) or, too big to keep, from the used columns' own
    table, are those of :func:`sim.load.daylight_yield` of the used columns' hourly table, bit for bit."""
    import sim.accounting as accounting

    monkeypatch.setattr(accounting, "_DAYLIGHT_KEPT_BYTES", kept_bytes)
    hour = np.arange(8760) % 24
    rng = np.random.default_rng(5)
    profile = (rng.uniform(0.1, 1.0, (8760, 3)) * ((hour >= 6) & (hour <= 18))[:, None]).astype(np.float32)
    profile[hour == 5, 2] = 0.05
    used = np.array(used)
    memo: dict = {}
    table = accounting._YearTable.of(profile, 2028, used, memo, 0)
    rows, day_yield = daylight_yield(_year_table(profile, 2028, used))
    assert np.array_equal(table.rows, rows)
    assert np.array_equal(table.day_yield[table.day_row], day_yield)
    assert len(rows) == 366 * (14 if 2 in used else 13)
    kept = memo[("daylight", 0, 8784)]
    assert (kept is None) == (kept_bytes == 0)
    assert kept is None or not (kept[0].flags.writeable or kept[1].flags.writeable)  # shared by a worker's runs
    assert (kept is not None and table.day_yield is kept[1]) == (kept_bytes > 0 and 2 in used)  # no copy


def test_a_profile_with_a_negative_hour_sums_every_hour():
    """A night hour of -0.01 kWh/kWp (an inverter's standby draw): the hours without output no longer add nothing,
    so a site commissioned within the year sums every hour from its first (not the daylight hours alone)."""
    import sim.accounting as accounting

    hour = np.arange(8760) % 24
    profile = (np.random.default_rng(6).uniform(0.1, 1.0, (8760, 2)) * ((hour >= 6) & (hour <= 18))[:, None])
    profile = profile.astype(np.float32)
    assert accounting._nonnegative(profile) and not accounting._nonnegative(np.where(hour[:, None] == 2, -0.01, profile))
    profile[hour == 2] = -0.01
    table = accounting._YearTable.of(profile, 2027, np.array([1, 0]), {}, 0)
    assert not table.nonnegative
    first, column = np.array([0, 100, 4000, 8759]), np.array([0, 1, 0, 1])
    suffix = np.cumsum(table.hourly[::-1].astype(np.float64), axis=0)[::-1]
    assert np.array_equal(table.energy_from_hour(first, column), suffix[first, column])
