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


def _frame(rows: list[tuple]) -> pd.DataFrame:
    """Sites as strategies see them from (id, type, township, pilot, kWp, capex CNY, yield kWh/kWp, transformer)
    rows, through the same features and AC hosting (DC/AC 1.2) as ``county``."""
    df = pd.DataFrame(rows, columns=["site_id", "site_type", "township", "pilot_category", "capacity_kwp",
                                     "capex_cny", "specific_yield_kwh_per_kwp", "transformer_id"]).set_index("site_id")
    df["eligible"] = True
    df = with_hosting_kw(strategies.site_features(df, 0.5), 1.2)
    df.index.name = None
    return df


def test_grid_headroom_by_hand_with_an_empty_and_a_tiny_transformer():
    """Load = cumulative AC kW over the limit. u1 and u2 sit on a transformer of no known limit (load 0: first),
    tied, so carbon per CNY decides (u2 is cheaper, so before u1 whatever the ids say). q asks 50 kW of 100 (0.5),
    p 0.3 kW of a 0.5 kW transformer (0.6): q before p. z asks 0.6 kW of a transformer with no hosting left
    (limit 0: infinitely full, over) and goes last, although 0.6 kW is under 1 kW."""
    df = _frame([
        ("u1", "rural_home", "T1", "", 10, 40_000, 1300, "U"),
        ("u2", "rural_home", "T1", "", 10, 30_000, 1300, "U"),
        ("q", "rural_home", "T1", "", 60, 180_000, 1300, "Q"),
        ("p", "rural_home", "T1", "", 0.36, 1_080, 1300, "P"),
        ("z", "rural_home", "T1", "", 0.72, 2_160, 1300, "Z"),
    ])
    ctx = StrategyContext(seed=1, horizon_years=25, hosting_limit_kw={"Q": 100.0, "P": 0.5, "Z": 0.0})
    assert order_sites("grid_headroom", df, ctx) == ["u2", "u1", "q", "p", "z"]


def test_ties_are_broken_by_the_site_id_and_never_by_row_order():
    """Equal keys: the site id decides, ascending, whatever order the rows come in (max_yield: yield, then
    capacity, then id; max_carbon_per_cny: carbon per CNY, then id; township_balanced: rank, township, then within
    a township carbon per CNY and id)."""
    df = _frame([
        ("s3", "rural_home", "B", "", 10, 30_000, 1300, "X"),
        ("s1", "rural_home", "B", "", 10, 30_000, 1300, "X"),
        ("s2", "rural_home", "A", "", 12, 36_000, 1300, "X"),
        ("s0", "rural_home", "A", "", 10, 30_000, 1300, "X"),
    ])
    for rows in (df, df.iloc[::-1]):
        assert order_sites("max_yield", rows, CTX) == ["s2", "s0", "s1", "s3"]  # 12 kWp before the 10 kWp
        assert order_sites("max_carbon_per_cny", rows, CTX) == ["s0", "s1", "s2", "s3"]  # all 0.2167 kg/CNY
        assert order_sites("township_balanced", rows, CTX) == ["s0", "s1", "s2", "s3"]  # A1, B1, A2, B2


def test_township_balanced_takes_each_townships_best_first():
    """Round 1: the best of each township (by carbon per CNY) in township order, round 2 the second best."""
    df = _frame([
        ("a_low", "rural_home", "A", "", 10, 40_000, 1300, "X"),
        ("a_high", "rural_home", "A", "", 10, 30_000, 1300, "X"),
        ("b_high", "rural_home", "B", "", 10, 30_000, 1400, "X"),
        ("b_low", "rural_home", "B", "", 10, 30_000, 1200, "X"),
        ("b_mid", "rural_home", "B", "", 10, 30_000, 1300, "X"),
    ])
    assert order_sites("township_balanced", df, CTX) == ["a_high", "b_high", "a_low", "b_mid", "b_low"]


def test_pilot_quota_takes_the_quota_of_a_large_pool_and_no_more():
    """12 eligible homes of 20 candidate roofs: the rural-home quota is ceil(20 % x 20) = 4 roofs, the 4 best by
    carbon per CNY (capex 30,000 .. 41,000 CNY for 10 kWp at 1,300 kWh/kWp); then the rest by carbon per CNY, with
    the public building c (best of all) after the quota because public buildings have no candidates left to count
    (quota ceil(40 % x 0) = 0)."""
    rows = [(f"h{i:02d}", "rural_home", "T1", "rural_home", 10, 30_000 + 1_000 * i, 1300, "X") for i in range(12)]
    rows.append(("c", "public_building", "T1", "public", 10, 20_000, 1300, "X"))
    df = _frame(rows)
    ctx = StrategyContext(seed=1, horizon_years=25, candidate_roofs={"rural_home": 20, "public": 0})
    order = order_sites("pilot_quota", df, ctx)
    assert order[:4] == ["h00", "h01", "h02", "h03"]
    assert order[4:] == ["c"] + [f"h{i:02d}" for i in range(4, 12)]


def test_registered_strategies_stay_callable_under_their_own_names():
    """The registry decorator hands the function back: sim.strategies.max_yield is the registered function."""
    assert strategies.max_yield is strategies.REGISTRY["max_yield"]
    assert strategies.grid_headroom(county(), CTX) == order_sites("grid_headroom", county(), CTX)
