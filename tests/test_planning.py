"""The optimising strategies (sim.planning): brute-force references on small problems, the multi-year plan's
budget, crews and hosting rules checked on its own output, infeasibility naming the binding constraint, caching,
and identical comparisons with 1 and 2 workers."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pandas as pd
import pytest

import sim
from sim.planning import PlanInfeasible, PlanInputs, PlanningConfig, multi_year_plan, plan_periods, select_sites
from sim.rollout import RolloutConfig, budget_pot_days

from .conftest import scenario_dict, write_scenario


def _sites(n: int, seed: int = 3, transformers: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cap = rng.uniform(50, 400, n).round(1)
    capex = (cap * 1000 * rng.uniform(2.8, 4.5, n)).round(0)
    energy = cap * rng.uniform(1100, 1400, n) / 1000
    frame = pd.DataFrame({
        "site_type": rng.choice(["rural_home", "agrivoltaic"], n), "pilot_category": "",
        "capacity_kwp": cap, "capex_cny": capex, "annual_energy_mwh": energy, "co2_per_year_t": energy * 0.6361,
        "transformer_id": [f"T{i % transformers}" for i in range(n)],
    }, index=pd.Index([f"S{i:02d}" for i in range(n)], name="site_id"))
    frame["carbon_per_cny_kg"] = frame["co2_per_year_t"] * 1000 / frame["capex_cny"]
    return frame


def _transformers(limits: dict[str, float]) -> pd.DataFrame:
    t = pd.DataFrame({"hosting_limit_kw": limits}, dtype=float)
    t["rating_kva"] = t["hosting_limit_kw"] / 0.8
    t["hosting_share_percent"] = 80.0
    t["planned_upgrade_date"] = pd.NaT
    t["planned_upgrade_kva"] = 0.0
    return t


def test_optimal_matches_brute_force_within_its_gap():
    sites = _sites(12)
    budget, limits = 2.5e6, {"T0": 900.0, "T1": 700.0}
    best = 0.0
    cap, capex, value = (sites[c].to_numpy() for c in ("capacity_kwp", "capex_cny", "co2_per_year_t"))
    t0 = sites["transformer_id"].eq("T0").to_numpy()
    for bits in itertools.product([0, 1], repeat=len(sites)):
        x = np.array(bits, bool)
        if capex[x].sum() <= budget and cap[x & t0].sum() <= 900 and cap[x & ~t0].sum() <= 700:
            best = max(best, value[x].sum())
    config = PlanningConfig(mip_rel_gap_percent=0.01)
    plan = select_sites(sites, total_budget_cny=budget, hosting_limit_kw=limits, config=config)
    got = sites.loc[plan.order, "co2_per_year_t"].sum()
    assert got == pytest.approx(plan.solution.objective)
    assert got >= best * (1 - 1e-4) and got <= best + 1e-9
    assert plan.solution.gap_percent <= 0.01
    assert plan.solution.bound >= got - 1e-6
    # released by carbon per CNY
    assert list(sites.loc[plan.order, "carbon_per_cny_kg"]) == sorted(sites.loc[plan.order, "carbon_per_cny_kg"],
                                                                      reverse=True)


def test_optimal_is_cached_by_input_hash_and_a_change_solves_again():
    sites = _sites(30, seed=5)
    a = select_sites(sites, total_budget_cny=5e6, hosting_limit_kw={})
    assert select_sites(sites.copy(), total_budget_cny=5e6, hosting_limit_kw={}) is a
    assert select_sites(sites, total_budget_cny=4e6, hosting_limit_kw={}) is not a


def _inputs(rollout: RolloutConfig, limits: dict[str, float], **config) -> PlanInputs:
    return PlanInputs(rollout=rollout, start_date=date(2026, 1, 1), horizon_years=25, discount_rate=0.06,
                      degradation_first_year_percent=1.0, degradation_percent_per_year=0.5,
                      transformers=_transformers(limits), config=PlanningConfig(**config))


def test_multi_year_plan_keeps_each_years_budget_and_hosting():
    sites = _sites(40, seed=11)
    rollout = RolloutConfig(annual_budget_cny=3e6, build_window_years=3, target_capacity_kwp=None, crews=50,
                            hosting_when_full="drop")
    plan = multi_year_plan(sites, _inputs(rollout, {"T0": 2000.0, "T1": 1500.0}))
    assert len(plan.periods) == len(budget_pot_days(date(2026, 1, 1), 3, 25)) == 3
    capex = sites["capex_cny"].groupby(plan.period_of_site).sum()
    assert (capex <= 3e6 + 1e-6).all()
    assert plan.periods["capex_cny"].sum() == pytest.approx(sites.loc[plan.period_of_site.index, "capex_cny"].sum())
    built = sites.loc[plan.period_of_site.index]
    assert (built.groupby("transformer_id")["capacity_kwp"].sum() <= pd.Series({"T0": 2000.0, "T1": 1500.0})
            + 1e-6).all()
    # the order releases the planned sites period by period, then the others as stand-ins, those that still fit
    # their transformer next to the planned sites first
    n_planned = len(plan.period_of_site)
    assert (np.diff(plan.period_of_site.reindex(plan.order[:n_planned]).to_numpy()) >= 0).all()
    assert sorted(plan.order) == sorted(sites.index)
    stand_ins = sites.loc[plan.order[n_planned:]]
    room = pd.Series({"T0": 2000.0, "T1": 1500.0}) - built.groupby("transformer_id")["capacity_kwp"].sum()
    fits = [stand_ins.loc[:sid].query("transformer_id == @t")["capacity_kwp"].sum() <= room[t]
            for sid, t in zip(stand_ins.index, stand_ins["transformer_id"])]
    first_over = fits.index(False) if False in fits else len(fits)
    assert all(fits[:first_over])
    # with upgrades (wait_upgrade): the year-0 sites fit the limit, later ones the upgraded rating (x2 after 365 days)
    upgraded = multi_year_plan(sites, _inputs(rollout.model_copy(update={"hosting_when_full": "wait_upgrade"}),
                                              {"T0": 2000.0, "T1": 1500.0}))
    done = sites.loc[upgraded.period_of_site.index].assign(period=upgraded.period_of_site.to_numpy())
    first = done[done["period"] == 0].groupby("transformer_id")["capacity_kwp"].sum()
    assert (first <= pd.Series({"T0": 2000.0, "T1": 1500.0}).reindex(first.index) + 1e-6).all()
    assert (done.groupby("transformer_id")["capacity_kwp"].sum() <= pd.Series({"T0": 4000.0, "T1": 3000.0})
            + 1e-6).all()
    assert upgraded.solution.objective >= plan.solution.objective * (1 - 0.02)
    # discounting: the most valuable years come first, so no budget is left in year 0 while later years spend
    assert plan.periods["capex_cny"].iloc[0] >= plan.periods["capex_cny"].iloc[-1]


def test_carry_over_lets_later_years_spend_what_earlier_ones_saved():
    sites = _sites(40, seed=11)
    kwargs = dict(annual_budget_cny=1e6, build_window_years=3, target_capacity_kwp=None, crews=50)
    carry = multi_year_plan(sites, _inputs(RolloutConfig(budget_carry_over=True, **kwargs), {}))
    cumulative = carry.periods["capex_cny"].cumsum().to_numpy()
    assert (cumulative <= 1e6 * np.arange(1, 4) + 1e-6).all()
    plain = multi_year_plan(sites, _inputs(RolloutConfig(budget_carry_over=False, **kwargs), {}))
    assert (plain.periods["capex_cny"] <= 1e6 + 1e-6).all()
    assert carry.solution.objective >= plain.solution.objective * (1 - 0.02)


def test_few_crews_spread_the_plan_over_the_years():
    sites = _sites(40, seed=11)
    rollout = RolloutConfig(release_mode="all_at_start", build_window_years=4, target_capacity_kwp=None, crews=1,
                            calendar_enabled=False, crew_productivity_kwp_per_day={"default": 10.0})
    plan = multi_year_plan(sites, _inputs(rollout, {}))
    used = plan.periods["crews_used_percent"]
    assert (used <= 100 + 1e-6).all()
    assert (plan.periods["sites"] > 0).sum() >= 2
    # crew-days by hand: set-up (mean of triangular 0.5, 1, 3) + capacity / productivity, for one crew over a year
    setup = (0.5 + 1 + 3) / 3
    first = sites.loc[plan.period_of_site[plan.period_of_site == 0].index]
    days = (setup + first["capacity_kwp"] / first["site_type"].map(rollout.productivity)).sum()
    assert used.iloc[0] == pytest.approx(100 * days / plan_periods(rollout, date(2026, 1, 1), 25)["days"].iloc[0])


def test_a_target_no_budget_can_reach_is_infeasible_naming_the_budget():
    sites = _sites(40, seed=11)
    rollout = RolloutConfig(annual_budget_cny=1e6, build_window_years=2, target_capacity_kwp=5000, crews=50)
    with pytest.raises(PlanInfeasible, match="binding constraint: budget") as info:
        multi_year_plan(sites, _inputs(rollout, {}, objective="least_cost"))
    assert "\n" not in str(info.value)


def test_least_cost_reaches_the_target_with_the_cheapest_sites():
    sites = _sites(12, seed=2)
    rollout = RolloutConfig(release_mode="all_at_start", build_window_years=1, target_capacity_kwp=1000, crews=50)
    plan = multi_year_plan(sites, _inputs(rollout, {}, objective="least_cost", mip_rel_gap_percent=0.01))
    chosen = sites.loc[plan.period_of_site.index]
    assert chosen["capacity_kwp"].sum() >= 1000
    cap, capex = sites["capacity_kwp"].to_numpy(), sites["capex_cny"].to_numpy()
    best = min(capex[np.array(b, bool)].sum() for b in itertools.product([0, 1], repeat=len(sites))
               if cap[np.array(b, bool)].sum() >= 1000)
    assert chosen["capex_cny"].sum() == pytest.approx(best, rel=1e-4)


@pytest.mark.slow
def test_compare_with_the_optimising_strategies_is_identical_on_one_and_two_workers(tiny_county, tmp_path,
                                                                                      cache_dir):
    scenario = sim.load_scenario(write_scenario(tmp_path, scenario_dict(tiny_county, horizon_years=8)))
    names = ["optimal", "multi_year_plan", "max_carbon_per_cny"]
    tables = {}
    for workers in (1, 2):
        c = sim.compare(scenario, names, 2, out_dir=tmp_path / f"w{workers}", workers=workers, progress=False,
                        cache_dir=cache_dir, figures=False)
        assert set(c.solutions) == {"optimal", "multi_year_plan"}
        assert all(s.gap_percent <= scenario.planning.mip_rel_gap_percent for s in c.solutions.values())
        tables[workers] = [(tmp_path / f"w{workers}" / f).read_bytes()
                           for f in ("comparison.csv", "paired_differences.csv", "annual_bands.csv")]
    assert tables[1] == tables[2]


@pytest.mark.slow
def test_pvsim_plan_prints_the_years_and_writes_the_release_periods(tiny_scenario_path, tmp_path, capsys, cache_dir):
    from sim.cli import main

    out = tmp_path / "plan.csv"
    assert main(["plan", str(tiny_scenario_path), "--out", str(out), "--cache-dir", str(cache_dir)]) == 0
    text = capsys.readouterr().out
    assert "objective discounted_co2" in text and "gap" in text and "crews_used_percent" in text
    plan = pd.read_csv(out, dtype={"site_id": str})
    scenario = sim.load_scenario(tiny_scenario_path)
    n_periods = len(plan_periods(scenario.rollout, scenario.start_date, scenario.horizon_years))
    assert plan["period"].between(0, n_periods - 1).all() and plan["site_id"].is_unique
    # an unreachable target is reported as infeasible, naming the binding constraint, exit 2
    assert main(["plan", str(tiny_scenario_path), "--set", "planning.objective=least_cost", "--set", "rollout.tracks=[]", "--set",
                 "rollout.annual_budget_cny=100000", "--set", "rollout.target_capacity_kwp=1000", "--cache-dir", str(cache_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert "infeasible" in err and "binding constraint: budget" in err and "\n" not in err


def test_the_plan_may_cross_the_target_with_its_last_site_as_the_office_does():
    sites = _sites(30, seed=4)
    rollout = RolloutConfig(release_mode="all_at_start", build_window_years=2, target_capacity_kwp=2000, crews=50)
    plan = multi_year_plan(sites, _inputs(rollout, {}))
    planned = plan.order[: len(plan.period_of_site)]
    cap = sites.loc[planned, "capacity_kwp"]
    assert cap.sum() > 2000  # more value than stopping below the target
    assert cap.iloc[:-1].sum() <= 2000 + 1e-6  # the office is still below the target when it releases the last one


def test_pilot_quotas_build_the_pilots_share_of_each_category():
    from sim._config import PILOT_TARGETS_PERCENT

    sites = _sites(40, seed=9)
    categories = list(PILOT_TARGETS_PERCENT)
    sites["pilot_category"] = [categories[i % len(categories)] for i in range(len(sites))]
    roofs = {c: int((sites["pilot_category"] == c).sum()) for c in categories}
    rollout = RolloutConfig(annual_budget_cny=4e6, build_window_years=2, target_capacity_kwp=None, crews=50)
    inputs = _inputs(rollout, {}, pilot_quotas=True)
    plan = multi_year_plan(sites, PlanInputs(**{**inputs.__dict__, "candidate_roofs": roofs}))
    built = sites.loc[plan.period_of_site.index, "pilot_category"].value_counts()
    for cat, percent in PILOT_TARGETS_PERCENT.items():
        assert built.get(cat, 0) >= np.ceil(percent / 100 * roofs[cat])
    # a quota beyond the eligible roofs is infeasible, and says so
    with pytest.raises(PlanInfeasible, match="pilot quota"):
        multi_year_plan(sites, PlanInputs(**{**inputs.__dict__, "candidate_roofs": {c: 10 * n for c, n in
                                                                                      roofs.items()}}))
