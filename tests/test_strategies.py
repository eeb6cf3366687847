"""Siting strategies on a small hand-made county; the optimising ones need the programme; user strategies."""

from __future__ import annotations

import sys
import textwrap

import pandas as pd
import pytest

from sim import strategies
from sim.errors import InputError
from sim.programme import with_hosting_kw
from sim.strategies import StrategyContext, order_sites

from .conftest import published_factor


def county() -> pd.DataFrame:
    rows = [
        # id, type, township, pilot, kWp, capex CNY, yield kWh/kWp, transformer
        ("a", "rural_home", "T1", "rural_home", 10, 31_000, 1300, "X"),
        ("b", "rural_home", "T1", "rural_home", 12, 37_200, 1250, "X"),
        ("c", "public_building", "T2", "public", 80, 248_000, 1400, "Y"),
        ("d", "agrivoltaic", "T2", "", 3000, 12_000_000, 1500, "Z"),
        ("e", "party_government", "T1", "party_government", 60, 186_000, 1350, "Y"),
        ("f", "guesthouse", "T2", "", 15, 46_500, 1280, "X"),
    ]
    df = pd.DataFrame(rows, columns=["site_id", "site_type", "township", "pilot_category", "capacity_kwp",
                                     "capex_cny", "specific_yield_kwh_per_kwp", "transformer_id"]).set_index("site_id")
    df["eligible"] = True
    df = with_hosting_kw(strategies.site_features(df, published_factor("national", 2023, scope="national")), 1.2)
    df.index.name = None
    return df


CTX = StrategyContext(seed=1, horizon_years=25, total_budget_cny=1e9,
                      hosting_limit_kw={"X": 30.0, "Y": 500.0, "Z": 5000.0},
                      candidate_roofs={"rural_home": 10, "public": 2, "party_government": 1})


def test_max_yield_order():
    assert order_sites("max_yield", county(), CTX) == ["d", "c", "e", "a", "f", "b"]


def test_max_carbon_per_cny_order():
    df = county()
    expected = list(df.sort_values("carbon_per_cny_kg", ascending=False, kind="mergesort").index)
    assert order_sites("max_carbon_per_cny", df, CTX) == expected
    assert expected[0] == "c"  # 1400 kWh/kWp at the average capex


def test_grid_headroom_puts_overflowing_sites_last():
    order = order_sites("grid_headroom", county(), CTX)
    # X holds 30 kW AC; at DC/AC 1.2: a (10 kWp, 8.33 kW) and f (15 kWp, 12.5 kW) fit (20.8 kW), b (12 kWp,
    # 10 kW) makes 30.8 kW and overflows -> last
    assert order[-1] == "b"
    assert set(order) == set("abcdef")


def test_grid_headroom_fills_the_emptiest_transformers_first():
    """Load after each site, in AC kW over the limit: Z's array takes 2500/5000 = 0.50, X's first home (a, by
    carbon per CNY) 8.33/30 = 0.28, Y's first roof (c) 66.7/500 = 0.13: c, a, d in that order, emptiest first."""
    order = order_sites("grid_headroom", county(), CTX)
    assert order.index("c") < order.index("a") < order.index("d")
    assert order[0] == "c"


def test_pilot_quota_first():
    order = order_sites("pilot_quota", county(), CTX)
    # quotas: rural_home ceil(20 % of 10) = 2, public ceil(40 % of 2) = 1, party_government ceil(50 % of 1) = 1
    assert set(order[:4]) == {"a", "b", "c", "e"}
    assert set(order[4:]) == {"d", "f"}


def test_township_balanced_alternates():
    order = order_sites("township_balanced", county(), CTX)
    towns = county().loc[order, "township"].tolist()
    assert towns[:4] in (["T1", "T2", "T1", "T2"], ["T2", "T1", "T2", "T1"])


def test_agri_tourism_first():
    order = order_sites("agri_tourism_first", county(), CTX)
    assert set(order[:2]) == {"d", "f"}


def test_random_is_seeded_and_independent_of_row_order():
    df = county()
    a = order_sites("random", df, CTX)
    b = order_sites("random", df.iloc[::-1], CTX)
    c = order_sites("random", df, StrategyContext(seed=2, horizon_years=25))
    assert a == b and sorted(a) == sorted(df.index) and a != c


@pytest.mark.parametrize("name", ["optimal", "multi_year_plan"])
def test_optimising_strategies_need_the_programme(name):
    with pytest.raises(InputError, match="needs the scenario's programme"):
        order_sites(name, county(), CTX)


def test_unknown_strategy_lists_builtins():
    with pytest.raises(InputError, match=r"unknown strategy.*'best'.*max_yield.*module:function"):
        order_sites("best", county(), CTX)


def test_user_strategy_module_function(tmp_path, monkeypatch):
    (tmp_path / "my_strategies.py").write_text(textwrap.dedent("""
        def smallest_first(sites, context):
            return list(sites.sort_values("capacity_kwp").index)

        def bogus(sites, context):
            return ["nope"]
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("my_strategies", None)
    assert order_sites("my_strategies:smallest_first", county(), CTX)[0] == "a"
    with pytest.raises(InputError, match=r"not eligible sites.*'nope'"):
        order_sites("my_strategies:bogus", county(), CTX)
    with pytest.raises(InputError, match=r"has no function 'missing'"):
        order_sites("my_strategies:missing", county(), CTX)
    with pytest.raises(InputError, match=r"cannot import strategy module"):
        order_sites("no_such_module_xyz:f", county(), CTX)


def test_every_strategy_is_documented():
    for name, fn in strategies.REGISTRY.items():
        assert fn.__doc__ and len(fn.__doc__.split()) >= 12, name


def test_site_features_by_hand():
    """Site c: 80 kWp x 1,400 kWh/kWp = 112 MWh/yr; x 0.5 kgCO2/kWh = 56 t/yr; 56,000 kg / 248,000 CNY = 0.2258 kg/CNY.
    Ineligible sites are left out and the geometry column dropped."""
    df = county()[["capacity_kwp", "specific_yield_kwh_per_kwp", "capex_cny"]].assign(eligible=True)
    df.loc["d", "eligible"] = False
    out = strategies.site_features(df, 0.5)
    assert "d" not in out.index and "eligible" in out
    assert out.loc["c", "annual_energy_mwh"] == pytest.approx(112.0)
    assert out.loc["c", "co2_per_year_t"] == pytest.approx(56.0)
    assert out.loc["c", "carbon_per_cny_kg"] == pytest.approx(56_000 / 248_000)


def test_pilot_quota_is_refused_outside_the_pilot():
    from dataclasses import replace

    with pytest.raises(InputError, match="pilot_coverage"):
        order_sites("pilot_quota", county(), replace(CTX, pilot_coverage=False))
    assert order_sites("max_yield", county(), replace(CTX, pilot_coverage=False))  # other strategies run
