"""Economics: LCOE, NPV, payback and cost per tonne against worked examples computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.economics import (
    EconomicsConfig,
    cost_per_t_co2,
    escalation,
    lcoe,
    npv,
    simple_payback_years,
)
from sim.errors import InputError


def test_lcoe_without_discounting_is_straight_line():
    """At r = 0 the capital recovery factor is 1/n: (100,000 / 20 + 1,500) / 12,000 = 6,500 / 12,000 CNY/kWh."""
    om = np.r_[0.0, np.full(20, 1500.0)]
    energy = np.r_[0.0, np.full(20, 12000.0)]
    assert lcoe(100_000.0, om, energy, 0.0) == pytest.approx(6500.0 / 12000.0, rel=1e-12)


def test_escalation_index():
    """3 %/yr for 2 years: 1.03^2 = 1.0609; -50 %/yr halves each year; year 0 is 1."""
    np.testing.assert_allclose(escalation(3.0, [0, 1, 2]), [1.0, 1.03, 1.0609], rtol=1e-12)
    np.testing.assert_allclose(escalation(-50.0, [0, 1, 2]), [1.0, 0.5, 0.25], rtol=1e-12)


def test_lcoe_matches_nrel_simple_lcoe():
    """NREL simple LCOE = (capex x CRF + fixed O&M) / annual energy.

    capex 100,000 CNY, O&M 1,500 CNY/y, 12,000 kWh/y, 20 y at 6 %:
    (100,000 x 0.0871846 + 1,500) / 12,000 = (8,718.46 + 1,500) / 12,000 = 0.851538 CNY/kWh.
    End-of-year convention: nothing at t = 0, then 20 equal years.
    """
    om = np.r_[0.0, np.full(20, 1500.0)]
    energy = np.r_[0.0, np.full(20, 12000.0)]
    assert lcoe(100_000.0, om, energy, 0.06) == pytest.approx(0.851538, abs=1e-6)


def test_lcoe_year_zero_undiscounted_and_vectorised():
    """Energy in the commissioning year (t = 0) is not discounted: 1,000 CNY / 100 kWh = 10 CNY/kWh.
    Second site: 2,000 CNY + 110 CNY O&M at t = 1 (PV 100) over 110 kWh at t = 1 (PV 100) -> 2,100 / 100 = 21."""
    assert lcoe(1000.0, [0.0], [100.0], 0.10) == pytest.approx(10.0)
    out = lcoe(np.array([1000.0, 2000.0]), np.array([[0.0, 0.0], [0.0, 110.0]]),
               np.array([[100.0, 0.0], [0.0, 110.0]]), 0.10)
    np.testing.assert_allclose(out, [10.0, 21.0])
    assert np.isnan(lcoe(1000.0, [0.0, 0.0], [0.0, 0.0], 0.1))


def test_npv_worked_example():
    """[-1000, 300, 400, 500] at 10 %: -1000 + 272.727 + 330.579 + 375.657 = -21.037."""
    assert npv([-1000.0, 300.0, 400.0, 500.0], 0.10) == pytest.approx(-21.0368, abs=1e-4)
    np.testing.assert_allclose(npv(np.array([[-100.0, 110.0], [-100.0, 121.0]]), 0.10), [0.0, 10.0], atol=1e-12)


def test_simple_payback():
    """Capex 1000, net cash 300, 400, 500: cumulative 300, 700, 1200 -> 2 + 300/500 = 2.6 years."""
    assert simple_payback_years(1000.0, [300.0, 400.0, 500.0]) == pytest.approx(2.6)
    # partial first year of 0.5 y earning 100, then 200/y: 1000 - 100 = 900 = 4.5 full years -> 0.5 + 4.5 = 5.0
    out = simple_payback_years(np.array([1000.0, 1000.0]), np.array([[100.0] + [200.0] * 9, [10.0] * 10]),
                               np.array([0.5] + [1.0] * 9))
    assert out[0] == pytest.approx(5.0)
    assert np.isnan(out[1])
    assert simple_payback_years(0.0, [0.0, 0.0]) == 0.0


def test_cost_per_tonne():
    """Costs [1000, 100, 100] CNY, tonnes [0, 10, 10]: r = 0 -> 1200 / 20 = 60 CNY/t.
    r = 10 %: (1000 + 90.909 + 82.645) / (9.0909 + 8.2645) = 1173.554 / 17.3554 = 67.619 CNY/t."""
    assert cost_per_t_co2([1000.0, 100.0, 100.0], [0.0, 10.0, 10.0], 0.0) == pytest.approx(60.0)
    assert cost_per_t_co2([1000.0, 100.0, 100.0], [0.0, 10.0, 10.0], 0.10) == pytest.approx(67.619, abs=1e-3)
    assert np.isnan(cost_per_t_co2([1000.0], [0.0], 0.1))


def test_config_defaults_and_checks():
    cfg = EconomicsConfig()
    assert cfg.discount_rate == pytest.approx(0.06)
    assert cfg.coal_benchmark_cny_per_kwh == pytest.approx(0.372) and cfg.export_price_basis == "mechanism"
    with pytest.raises(ValueError, match="per kWh"):
        EconomicsConfig(coal_benchmark_cny_per_kwh=372.0)
    with pytest.raises(ValueError, match="per kWh"):
        EconomicsConfig(market_price_cny_per_kwh={2030: 250.0})
    with pytest.raises(ValueError, match="mechanism_share_percent"):
        EconomicsConfig(mechanism_share_percent=120.0)
    with pytest.raises(ValueError, match="per kWh"):
        EconomicsConfig(retail_tariff_cny_per_kwh={"rural_home": 520.0})
    with pytest.raises(ValueError, match="inverter_replacement_year"):
        EconomicsConfig(inverter_replacement_year=0)
    with pytest.raises(ValueError):
        EconomicsConfig(discount_rate=0.06)  # unknown key (fraction instead of percent)


def test_retail_tariff_per_type():
    cfg = EconomicsConfig(retail_tariff_cny_per_kwh={"rural_home": 0.52, "default": 0.65})
    np.testing.assert_allclose(cfg.retail_tariff_for(["rural_home", "greenhouse"]), [0.52, 0.65])
    cfg = EconomicsConfig(retail_tariff_cny_per_kwh={"rural_home": 0.52})
    with pytest.raises(InputError, match="greenhouse") as e:
        cfg.retail_tariff_for(["rural_home", "greenhouse"])
    assert e.value.field == "economics.retail_tariff_cny_per_kwh"
    np.testing.assert_allclose(EconomicsConfig().retail_tariff_for(["x", "y"]), [0.52, 0.52])


def test_export_price_under_the_2025_rules_by_hand():
    """Mechanism 0.30 on 80 % for 12 years (Hebei's maximums, given), market 0.20 (0.25 from 2030, linear in
    between): a site aged 3 in 2026 earns 0.8 x 0.30 + 0.2 x 0.20 = 0.28; aged 12 in 2030 (term over) the market
    price 0.25; aged 5 in 2028 with a 1.1 price index 0.8 x 0.30 + 0.2 x 0.225 x 1.1 = 0.2895 (the mechanism price
    does not escalate)."""
    cfg = EconomicsConfig(mechanism_price_cny_per_kwh=0.30, market_price_cny_per_kwh={2026: 0.20, 2030: 0.25},
                          mechanism_share_percent=80.0, mechanism_term_years=12)
    assert cfg.export_price(2026, 3) == pytest.approx(0.28)
    assert cfg.export_price(2030, 12) == pytest.approx(0.25)
    assert cfg.export_price(2028, 5, 1.1) == pytest.approx(0.8 * 0.30 + 0.2 * 0.225 * 1.1)
    np.testing.assert_allclose(cfg.export_price(np.array([[2026, 2040]]), np.array([[0.5], [20.0]])),
                               [[0.28, 0.8 * 0.3 + 0.2 * 0.25], [0.20, 0.25]])
    coal = EconomicsConfig(export_price_basis="coal_benchmark")
    assert coal.export_price(2040, 30, 1.0) == pytest.approx(0.372)
    assert EconomicsConfig(export_price_basis="market").export_price(2026, 1) == pytest.approx(0.20)
    assert "mechanism price 0.3 CNY/kWh on 80 % for 12 years" in cfg.price_basis


def test_abatement_cost_net_of_revenue_by_hand():
    """Costs 1,000 then 100; revenue 0 then 760; tonnes 0 then 10 at 10 %: gross (1,000 + 100 / 1.1) / (10 / 1.1)
    = 1,090.9 / 9.0909 = 120 CNY/t; net of revenue (1,000 + (100 - 760) / 1.1) / (10 / 1.1) = 400 / 9.0909 = 44."""
    assert cost_per_t_co2([1000.0, 100.0], [0.0, 10.0], 0.10) == pytest.approx(120.0)
    assert cost_per_t_co2([1000.0, 100.0 - 760.0], [0.0, 10.0], 0.10) == pytest.approx(44.0)


def test_straight_line_residual_value():
    """40,000 CNY, 2 of 25 years used: 40,000 x 23 / 25 = 36,800; older than its life: 0."""
    from sim.economics import straight_line_residual

    np.testing.assert_allclose(straight_line_residual([40_000.0, 1000.0], [2.0, 30.0], 25), [36_800.0, 0.0])


def test_payback_interpolates_inside_a_partial_column():
    """Capex 100, cash 50 in a full first year then 100 in a half year (year_length 0.5): the remaining 50 comes
    half-way through the half year: 1 + 0.5 x 0.5 = 1.25 years."""
    assert simple_payback_years(100.0, [50.0, 100.0], [1.0, 0.5]) == pytest.approx(1.25)
    assert simple_payback_years(100.0, [50.0, 100.0]) == pytest.approx(1.5)


def test_lcoe_is_nan_without_energy():
    """No discounted energy: no LCOE (NaN), whatever the cost, never an infinite or zero price."""
    assert np.isnan(lcoe(1000.0, [0.0, 10.0], [0.0, 0.0], 0.05))
    assert np.isnan(lcoe(0.0, [0.0, 0.0], [0.0, 0.0], 0.05))


@pytest.mark.parametrize("field, good, bad", [
    ("lifetime_years", 1, 0),
    ("mechanism_term_years", 0, -1),
    ("mechanism_term_years", 12, 13),
    ("capex_escalation_percent_per_year", -99.9, -100.0),
    ("om_escalation_percent_per_year", 100.0, 100.1),
    ("tariff_escalation_percent_per_year", -99.9, -100.0),
    ("coal_benchmark_cny_per_kwh", 0.0, -0.01),
    ("market_price_cny_per_kwh", 10.0, 10.01),
    ("mechanism_share_percent", 80.0, 80.1),
    ("mechanism_share_percent", 0.0, -0.1),
    ("discount_rate_percent", 100.0, -50.0),
    ("inverter_replacement_year", 1, 0),
])
def test_config_bounds_are_where_the_docs_put_them(field, good, bad):
    """Each bound of EconomicsConfig at its edge: the documented limit is accepted, one step past it refused."""
    assert getattr(EconomicsConfig(**{field: good}), field) == good
    with pytest.raises(ValueError, match=field.split("_cny")[0].split("_percent")[0]):
        EconomicsConfig(**{field: bad})


def test_mechanism_price_defaults_to_published_results():
    """Hebei has no clearing price: Shandong's 0.225 (same North China grid) is the default; the range of the
    published results (Gansu 0.15 to Shandong 0.225) is cut at Hebei's admitted floor 0.20. Gansu uses its own
    result; a province of no listed grid the mean (0.15 + 0.225) / 2. A scenario value has no range."""
    from sim.economics import mechanism_price_for, mechanism_price_range_for

    assert EconomicsConfig().mechanism_price == pytest.approx(0.225)
    assert "Shandong" in EconomicsConfig().mechanism_price_source
    assert mechanism_price_range_for("Hebei") == pytest.approx((0.20, 0.225))
    assert mechanism_price_for("Gansu")[0] == pytest.approx(0.15)
    assert mechanism_price_for("Yunnan")[0] == pytest.approx(0.1875)
    assert mechanism_price_range_for("Yunnan") == pytest.approx((0.15, 0.225))
    assert EconomicsConfig(mechanism_price_cny_per_kwh=0.3).mechanism_price_range == (0.3, 0.3)


def test_mechanism_share_and_term_default_to_the_published_rules():
    """Hebei's rule gives only maximums (80 %, 12 years) and no award was published: the share defaults to the only
    share a provincial rule fixes (XPCC draft, 70 %), the term to the mean of the terms the rules fix (Gansu 12,
    Yunnan 12, Hunan 10, XPCC 10: 44 / 4 = 11 years), both labelled assumptions; the range runs from the lowest
    fixed value to Hebei's maximum (70-80 %, 10-12 years). A province whose own rule fixes a value uses it, with no
    range (Hunan 10 years); Fujian's share stays under its 90 % maximum."""
    from sim.economics import mechanism_share_term_for

    cfg = EconomicsConfig()
    assert (cfg.mechanism_share, cfg.mechanism_term) == (70.0, 11)
    assert cfg.mechanism_share_term_range == ((70.0, 10), (80.0, 12))
    assert "assumption" in cfg.mechanism_share_term_source and "at most 80 % and 12 years" in cfg.mechanism_share_term_source
    assert "on 70 % for 11 years" in cfg.price_basis
    hunan = mechanism_share_term_for("Hunan")
    assert hunan.term_years == 10 and hunan.term_range == (10, 10) and "Hunan's rule" in hunan.source
    xpcc = mechanism_share_term_for("Xinjiang Production and Construction Corps")
    assert (xpcc.share_percent, xpcc.share_range) == (70.0, (70.0, 70.0))
    assert mechanism_share_term_for("Fujian").share_range == (70.0, 90.0)
    given = EconomicsConfig(mechanism_share_percent=50.0, mechanism_term_years=8)
    assert given.mechanism_share_term_range == ((50.0, 8), (50.0, 8))
    assert EconomicsConfig(mechanism_term_years=8).mechanism_share_term_range == ((70.0, 8), (80.0, 8))


def test_mechanism_share_and_term_never_exceed_the_provinces_maximum(monkeypatch):
    """A two-row table: province A's rule fixes 90 % for 15 years; B, on the same regional grid, caps them at
    80 % and 12 years. B takes A's values (same grid) cut at its maximums: 80 % for 12 years, range 80-80 % and
    12-12 years (the lowest fixed value, A's, lies above B's cap)."""
    import sim.economics as econ

    table = pd.DataFrame({
        "province": ["A", "B"], "grid_region": ["X", "X"], "price_cny_per_kwh": [0.3, np.nan],
        "bid_floor_cny_per_kwh": [np.nan] * 2, "bid_cap_cny_per_kwh": [np.nan] * 2,
        "share_percent": [90.0, np.nan], "term_years": [15.0, np.nan], "max_share_percent": [np.nan, 80.0],
        "max_term_years": [np.nan, 12.0], "max_source": [np.nan, "B rule"], "source": ["a", "b"],
    }).set_index("province")
    monkeypatch.setattr(econ, "mechanism_results", lambda: table)
    b = econ.mechanism_share_term_for("B")
    assert (b.share_percent, b.term_years) == (80.0, 12)
    assert (b.share_range, b.term_range) == ((80.0, 80.0), (12, 12))
    assert "same X regional grid" in b.source and "B rule" in b.source


def test_a_province_without_its_own_rule_takes_the_mean_of_its_regional_grid(monkeypatch):
    """Three provinces on grid X: A fixes 90 % for 15 years, C 70 % for 10, B nothing and no maximum. B takes the
    mean of its grid, 80 % for 12.5 -> 13 years (whole years, half up), naming A and C; its price is the mean of
    theirs, 0.25; D on grid Y, with no neighbour, takes the mean of every province's (share 70 %)."""
    import sim.economics as econ

    table = pd.DataFrame({
        "province": ["A", "B", "C", "D", "E"], "grid_region": ["X", "X", "X", "Y", "Z"],
        "price_cny_per_kwh": [0.3, np.nan, 0.2, np.nan, 0.1],
        "bid_floor_cny_per_kwh": [np.nan] * 5, "bid_cap_cny_per_kwh": [np.nan] * 5,
        "share_percent": [90.0, np.nan, 70.0, np.nan, 50.0], "term_years": [15.0, np.nan, 10.0, np.nan, 8.0],
        "max_share_percent": [np.nan] * 5, "max_term_years": [np.nan] * 5, "max_source": [np.nan] * 5,
        "source": list("abcde"),
    }).set_index("province")
    monkeypatch.setattr(econ, "mechanism_results", lambda: table)
    b = econ.mechanism_share_term_for("B")
    assert b.share_percent == 80.0 and b.term_years == 13
    assert "A 90, C 70 (same X regional grid)" in b.source
    assert econ.mechanism_price_for("B")[0] == pytest.approx(0.25)
    d = econ.mechanism_share_term_for("D")
    assert d.share_percent == pytest.approx(70.0) and "mean of the values fixed by published rules" in d.source


@pytest.mark.parametrize("update, field, allowed", [
    ({"mechanism_share_percent": 85.0}, "mechanism_share_percent 85", "0..80 %"),
    ({"mechanism_term_years": 15}, "mechanism_term_years 15", "0..12 years"),
    ({"mechanism_share_percent": 95.0, "mechanism_province": "Fujian"}, "mechanism_share_percent 95", "0..90 %"),
])
def test_mechanism_share_and_term_above_the_maximum_are_refused(update, field, allowed):
    """Above the province's maximum: the error names the field, the allowed range and the rule setting it."""
    with pytest.raises(ValueError, match="maximum of") as e:
        EconomicsConfig(**update)
    assert field in str(e.value) and allowed in str(e.value)
    assert ("Hebei DRC notice" if "Fujian" not in str(update) else "Fujian implementation plan") in str(e.value)
    # a province with no maximum in the table: 100 % and any term are allowed
    assert EconomicsConfig(mechanism_province="Shandong", mechanism_share_percent=100.0,
                           mechanism_term_years=20).mechanism_term == 20


def test_site_revenue_inside_and_after_the_mechanism_term_by_hand():
    """Defaults (Hebei: mechanism 0.225 on 70 % for 11 years, market 0.20). A site exporting 10,000 kWh a year
    earns in its year of age 10 (inside the term) 10,000 x (0.7 x 0.225 + 0.3 x 0.20) = 10,000 x 0.2175 = 2,175
    CNY, and at age 11 (term over) 10,000 x 0.20 = 2,000 CNY. At Hebei's maximums (80 %, 12 years) age 11 would
    still earn 10,000 x (0.8 x 0.225 + 0.2 x 0.20) = 2,200 CNY."""
    cfg = EconomicsConfig()
    assert 10_000 * cfg.export_price(2036, 10) == pytest.approx(2175.0)
    assert 10_000 * cfg.export_price(2037, 11) == pytest.approx(2000.0)
    cap = EconomicsConfig(mechanism_share_percent=80.0, mechanism_term_years=12)
    assert 10_000 * cap.export_price(2037, 11) == pytest.approx(2200.0)


def test_stakeholder_flows_balance_by_hand():
    """One year, developer model: capex 100, O&M 10, exported energy sold 60, bill value (self-consumed energy at
    the retail tariff) 50, rent 5, discount 10 %, grid upgrades 7. Owners: +50 - 45 + 5 = 10; developer:
    -100 - 10 + 60 + 45 - 5 = -10; grid company -7. Transfers cancel: the sum -7 is revenue 110 - costs 110 - 7.
    Owners investing: owners -100 - 10 + 60 + 50 = 0, developer nothing."""
    from sim.economics import stakeholder_flows

    kw = {"capex": [100.0], "om": [10.0], "replacement": [0.0], "residual": [0.0], "export_sales": [60.0],
          "bill_value": [50.0], "roof_rent": [5.0], "onsite_discount_percent": 10.0, "grid_upgrade": [7.0]}
    dev = stakeholder_flows("developer", **kw)
    total = {name: float(sum(v[0] for v in items.values())) for name, items in dev.items()}
    assert total == pytest.approx({"site_owners": 10.0, "developer": -10.0, "county_budget": 0.0,
                                   "grid_company": -7.0})
    assert sum(total.values()) == pytest.approx(60 + 50 - 100 - 10 - 7)
    own = stakeholder_flows("site_owners", **kw)
    assert float(sum(v[0] for v in own["site_owners"].values())) == pytest.approx(0.0)
    assert not own["developer"]


def test_irr_and_payback_by_hand():
    """-100 then +110: IRR 10 %; -100, +60, +60 (cash accruing evenly within each year): cumulative -100, -40, +20,
    repaid 40 / 60 into the third year, 2.67 years from the start; never repaid: NaN."""
    from sim.economics import irr, payback_years

    assert irr([-100.0, 110.0]) == pytest.approx(0.10)
    assert irr([-100.0, 60.0, 60.0]) == pytest.approx(0.1306623, rel=1e-6)
    assert payback_years([-100.0, 60.0, 60.0]) == pytest.approx(2 + 40 / 60)
    assert np.isnan(payback_years([-100.0, 10.0]))
    assert np.isnan(irr([10.0, 10.0]))


def test_grid_upgrade_costs_are_booked_in_the_year_of_the_upgrade():
    """The rollout's upgrades, each at its cost_cny, are summed by calendar year of the upgrade; a run without
    upgrades books nothing and says so."""
    from types import SimpleNamespace

    import pandas as pd

    from sim.pipeline import _grid_upgrade_costs

    upgrades = pd.DataFrame({"transformer_id": ["T1", "T2", "T1"],
                             "date": pd.to_datetime(["2027-03-01", "2027-09-01", "2029-01-05"]),
                             "cost_cny": [100.0, 50.0, 30.0]})
    prepared = SimpleNamespace(scenario=SimpleNamespace(rollout=SimpleNamespace(upgrade_cost_cny_per_kva=500.0)))
    priced = _grid_upgrade_costs(prepared, SimpleNamespace(upgrades=upgrades))
    assert priced["grid_upgrade_cny_by_year"] == {2027: 150.0, 2029: 30.0}
    assert priced["grid_upgrade_source"].startswith("3 transformer upgrade(s) at 500 CNY per added kVA")
    # a line reinforcement (power flow) is booked at its own cost and named in the source
    mixed = upgrades.assign(kind=["scheduled", "reinforcement", "planned"], reinforced_km=[0.0, 0.5, 0.0])
    config = SimpleNamespace(upgrade_cost_cny_per_kva=500.0, line_reinforcement_cost_cny_per_km=100.0)
    priced = _grid_upgrade_costs(SimpleNamespace(scenario=SimpleNamespace(rollout=config)), SimpleNamespace(upgrades=mixed))
    assert priced["grid_upgrade_cny_by_year"] == {2027: 150.0, 2029: 30.0}
    assert priced["grid_upgrade_source"] == (
        "2 transformer upgrade(s) at 500 CNY per added kVA (rollout.upgrade_cost_cny_per_kva) and 1 line "
        "reinforcement(s), 0.50 km at 100 CNY per km (rollout.line_reinforcement_cost_cny_per_km)"
    )
    # a reinforcement of a substation's 10 kV feeders (its mv entry's) at the 10 kV cost, named apart
    config.mv_line_reinforcement_cost_cny_per_km = 300.0
    transformers = pd.DataFrame({"connection_level": ["lv", "mv"]}, index=pd.Index(["T1", "T2"], name="transformer_id"))
    both = mixed.assign(kind=["reinforcement", "reinforcement", "planned"], reinforced_km=[0.25, 0.5, 0.0])
    priced = _grid_upgrade_costs(
        SimpleNamespace(scenario=SimpleNamespace(rollout=config), transformers=transformers), SimpleNamespace(upgrades=both)
    )
    assert priced["grid_upgrade_source"] == (
        "1 transformer upgrade(s) at 500 CNY per added kVA (rollout.upgrade_cost_cny_per_kva) and 1 line "
        "reinforcement(s), 0.25 km at 100 CNY per km (rollout.line_reinforcement_cost_cny_per_km) and 1 10 kV line "
        "reinforcement(s), 0.50 km at 300 CNY per km (rollout.mv_line_reinforcement_cost_cny_per_km)"
    )
    none = _grid_upgrade_costs(prepared, SimpleNamespace(upgrades=upgrades.iloc[:0]))
    assert none["grid_upgrade_cny_by_year"] == {} and none["grid_upgrade_source"] == "no transformer upgrades in this run"
