"""The optimising strategies (sim.planning): brute-force references on small problems, the multi-year plan's
budget, crews, hosting (AC), tracks, expected consent and office effort checked by hand on its own output,
infeasibility naming the binding constraint, and identical comparisons with 1 and 2 workers."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date

import numpy as np
import pandas as pd
import pytest

import sim
from sim._config import fixed
from sim.planning import PlanInfeasible, PlanInputs, PlanningConfig, plan, plan_periods
from sim.programme import with_hosting_kw
from sim.rollout import RolloutConfig, budget_pot_days

from .conftest import scenario_dict, write_scenario

#: the types whose default consent is a site-type layer (over ``stages``): set to 100 % where a case needs it
OWNER_CONSENT_TYPES = ("party_government", "public_building", "commercial_industrial", "agrivoltaic", "greenhouse",
                       "fish_pond", "tourism_carpark")


def _sites(n: int, seed: int = 3, transformers: int = 2, dc_ac_ratio: float = 1.0) -> pd.DataFrame:
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
    return with_hosting_kw(frame, dc_ac_ratio)


def _transformers(limits: dict[str, float]) -> pd.DataFrame:
    t = pd.DataFrame({"hosting_limit_kw": limits}, dtype=float)
    t["rating_kva"] = t["hosting_limit_kw"] / 0.8
    t["hosting_share_percent"] = 80.0
    t["planned_upgrade_date"] = pd.NaT
    t["planned_upgrade_kva"] = 0.0
    return t


#: Every site consents, signs and passes acceptance: expectations are 1 and the plan's sums can be checked by hand.
CERTAIN = {"stages": {"consent": {"success_percent": 100.0}, "procurement": {"success_percent": 100.0},
                      "acceptance": {"success_percent": 100.0}},
           "site_type_stages": {t: {"consent": {"success_percent": 100.0}} for t in OWNER_CONSENT_TYPES}}


def _rollout(**kwargs) -> RolloutConfig:
    return RolloutConfig(**{**CERTAIN, **kwargs})


def _inputs(rollout: RolloutConfig, limits: dict[str, float], **config) -> PlanInputs:
    return PlanInputs(rollout=rollout, start_date=date(2026, 1, 1), horizon_years=25, discount_rate=0.06,
                      degradation_first_year_percent=1.0, degradation_percent_per_year=0.5,
                      transformers=_transformers(limits), config=PlanningConfig(**config))


def multi_year_plan(sites: pd.DataFrame, inputs: PlanInputs):
    return plan(sites, inputs)


def test_optimal_matches_brute_force_within_its_gap():
    """One budget year, CO2 over the horizon: the best set under the budget and the AC hosting limits (checked
    here in AC by hand: kWp / 1.2), against all 2^12 sets."""
    sites = _sites(12, dc_ac_ratio=1.2)
    rollout = _rollout(annual_budget_cny=4e6, build_window_years=1, target_capacity_kwp=None, crews=50,
                       surveyors=50, reviewers=50, inspectors=50, hosting_when_full="drop", calendar_enabled=False)
    inputs = _inputs(rollout, {"T0": 600.0, "T1": 450.0}, mip_rel_gap_percent=0.01)
    result = plan(sites, inputs, "co2")
    from sim.planning import _model, lead_days, value_weights

    model = _model(sites, inputs)
    value = sites["co2_per_year_t"].to_numpy() * value_weights(lead_days(model), model.periods, inputs,
                                                               discount=False, factor=True)[:, 0]
    cap_ac, capex = sites["capacity_kwp"].to_numpy() / 1.2, sites["capex_cny"].to_numpy()
    t0 = sites["transformer_id"].eq("T0").to_numpy()
    best, best_dc = 0.0, 0.0
    for bits in itertools.product([0, 1], repeat=len(sites)):
        x = np.array(bits, bool)
        if capex[x].sum() <= 4e6 and cap_ac[x & t0].sum() <= 600 and cap_ac[x & ~t0].sum() <= 450:
            best = max(best, value[x].sum())
        if capex[x].sum() <= 4e6 and 1.2 * cap_ac[x & t0].sum() <= 600 and 1.2 * cap_ac[x & ~t0].sum() <= 450:
            best_dc = max(best_dc, value[x].sum())
    got = value[sites.index.get_indexer(result.period_of_site.index)].sum()
    assert got == pytest.approx(result.solution.objective, rel=1e-9)
    assert best * (1 - 1e-4) <= got <= best + 1e-9
    assert best > best_dc  # AC hosting leaves room that a DC reading would waste
    assert result.solution.gap_percent <= 0.01 and result.solution.bound >= got - 1e-6
    # planned sites first; the one period is the last planned one: smallest first, so that where the office stops
    # at a target the crossing site is a large one
    planned = result.order[: len(result.period_of_site)]
    assert list(sites.loc[planned, "capacity_kwp"]) == sorted(sites.loc[planned, "capacity_kwp"])


def test_a_plan_keeps_the_network_screens_of_the_power_flow():
    """Power flow: T0's sites sit on one 0.4 kV cable, 10 sites at 20-200 m; the rollout screens each on the
    network (its voltage at 1.07 pu, the cable's ampacity); the plan holds the released sites to the screen's
    linear limits at the worst buses: what it plans fits the screen, and the best such set under the budget is
    found (all 2^10 sets by hand, the screen as the rollout asks it)."""
    from sim import powerflow as pf

    sites = _sites(10, seed=5, transformers=1)
    sites["capacity_kwp"] = np.linspace(10.0, 40.0, 10).round(1)
    sites = with_hosting_kw(sites, 1.0)
    xy = np.column_stack([np.linspace(20.0, 200.0, 10), np.zeros(10)])
    net = pf.synthetic_network((0.0, 0.0), xy, rating_kva=630.0, load_kw=np.zeros(10))
    screen = pf.hosting_limits([net], [np.r_[0.0, np.full(10, 0.1)]], pf.Limits())[0].screen
    screens = pf.Screens({"T0": screen}, {str(s): k + 1 for k, s in enumerate(sites.index)})
    rollout = _rollout(annual_budget_cny=6e6, build_window_years=1, target_capacity_kwp=None, crews=50,
                       surveyors=50, reviewers=50, inspectors=50, hosting_when_full="drop", calendar_enabled=False)
    plain = _inputs(rollout, {"T0": 5000.0}, mip_rel_gap_percent=0.01)
    inputs = dataclasses.replace(plain, screens=screens)
    kw = sites["hosting_kw"].to_numpy()
    assert not pf.Loaded(screen, np.r_[0.0, kw]).fits(0, 0.0, 630.0)  # all ten break the voltage limit

    def fits(chosen: np.ndarray) -> bool:
        return pf.Loaded(screen, np.r_[0.0, np.where(chosen, kw, 0.0)]).fits(0, 0.0, 630.0)

    result = plan(sites, inputs, "co2")
    chosen = sites.index.isin(result.period_of_site.index)
    assert fits(chosen)
    from sim.planning import _model, lead_days, value_weights

    model = _model(sites, inputs)
    value = sites["co2_per_year_t"].to_numpy() * value_weights(lead_days(model), model.periods, inputs,
                                                               discount=False, factor=True)[:, 0]
    capex = sites["capex_cny"].to_numpy()
    best = max(value[np.array(b, bool)].sum() for b in itertools.product([0, 1], repeat=len(sites))
               if capex[np.array(b, bool)].sum() <= 6e6 and fits(np.array(b, bool)))
    assert best * (1 - 1e-4) <= value[chosen].sum() <= best + 1e-9
    # without the screens the plan takes more than the network hosts
    assert not fits(sites.index.isin(plan(sites, plain, "co2").period_of_site.index))


def test_two_60_kwp_sites_fit_a_100_kw_ac_transformer_at_dc_ac_1_2():
    sites = _sites(3, seed=1, transformers=1, dc_ac_ratio=1.2)
    sites["capacity_kwp"] = 60.0
    sites = with_hosting_kw(sites, 1.2)
    rollout = _rollout(release_mode="all_at_start", build_window_years=1, target_capacity_kwp=None,
                       hosting_when_full="drop", calendar_enabled=False)
    result = plan(sites, _inputs(rollout, {"T0": 100.0}), "co2")
    assert len(result.period_of_site) == 2  # 2 x 50 kW AC = 100 kW fits, a third would not
    assert result.order[2] not in result.period_of_site.index


def test_multi_year_plan_keeps_each_years_budget_and_hosting():
    sites = _sites(40, seed=11)
    rollout = _rollout(annual_budget_cny=3e6, build_window_years=3, target_capacity_kwp=None, crews=50,
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
    # with upgrades (wait_upgrade) and money to spare: sites planned not to wait fit the limit; those planned to
    # wait for the one unplanned upgrade (rating x 2, so the hosting limit x 2) fit the upgraded limit
    rich = rollout.model_copy(update={"annual_budget_cny": 3e7})
    limits = pd.Series({"T0": 2000.0, "T1": 1500.0})
    upgraded = multi_year_plan(sites, _inputs(rich.model_copy(update={"hosting_when_full": "wait_upgrade"}),
                                              limits.to_dict()))
    done = sites.loc[upgraded.period_of_site.index].assign(wait=upgraded.waits_for_upgrade.to_numpy())
    direct = done[~done["wait"]].groupby("transformer_id")["capacity_kwp"].sum()
    assert (direct <= limits.reindex(direct.index) + 1e-6).all()
    assert (done.groupby("transformer_id")["capacity_kwp"].sum() <= 2 * limits + 1e-6).all()
    without = multi_year_plan(sites, _inputs(rich, limits.to_dict()))
    assert done["wait"].any() and upgraded.solution.objective > without.solution.objective
    # discounting: the most valuable years come first, so no budget is left in year 0 while later years spend
    assert plan.periods["capex_cny"].iloc[0] > 3e6 - sites["capex_cny"].max()


def test_carry_over_lets_later_years_spend_what_earlier_ones_saved():
    sites = _sites(40, seed=11)
    kwargs = dict(annual_budget_cny=1e6, build_window_years=3, target_capacity_kwp=None, crews=50)
    carry = multi_year_plan(sites, _inputs(_rollout(budget_carry_over=True, **kwargs), {}))
    cumulative = carry.periods["capex_cny"].cumsum().to_numpy()
    assert (cumulative <= 1e6 * np.arange(1, 4) + 1e-6).all()
    plain = multi_year_plan(sites, _inputs(_rollout(budget_carry_over=False, **kwargs), {}))
    assert (plain.periods["capex_cny"] <= 1e6 + 1e-6).all()
    assert carry.solution.objective >= plain.solution.objective * (1 - 0.02)


def test_few_crews_spread_the_plan_over_the_years():
    sites = _sites(40, seed=11)
    rollout = _rollout(release_mode="all_at_start", build_window_years=4, target_capacity_kwp=None, crews=1,
                       calendar_enabled=False, crew_productivity_kwp_per_day={"default": 10.0})
    plan = multi_year_plan(sites, _inputs(rollout, {}))
    used = plan.periods["crews_used_percent"]
    assert (used <= 100 + 1e-6).all()
    assert (plan.periods["sites"] > 0).sum() >= 2
    # crew-days by hand: set-up (mean of triangular 0.5, 1, 3) + capacity / productivity, for one crew over a year;
    # construction starts on average 73.17 days after release (means of consent 29.33, survey 1.17, filing 6,
    # grid review 11.67, procurement 25), so of releases spread over a year of L days 73.17 / L is built in the next
    year_days = plan_periods(rollout, date(2026, 1, 1), 25)["days"].to_numpy()
    setup, later = (0.5 + 1 + 3) / 3, (88 / 3 + 3.5 / 3 + 6 + 35 / 3 + 25) / year_days
    site_days = setup + sites["capacity_kwp"] / sites["site_type"].map(rollout.productivity)
    period = plan.period_of_site
    for p in (0, 1):
        now = site_days[period[period == p].index].sum() * (1 - later[p])
        spilled = site_days[period[period == p - 1].index].sum() * later[p - 1] if p else 0.0
        assert used.iloc[p] == pytest.approx(100 * (now + spilled) / year_days[p])


def test_a_target_no_budget_can_reach_is_infeasible_naming_the_budget():
    sites = _sites(40, seed=11)
    rollout = _rollout(annual_budget_cny=1e6, build_window_years=2, target_capacity_kwp=5000, crews=50)
    with pytest.raises(PlanInfeasible, match="binding constraint: budget") as info:
        multi_year_plan(sites, _inputs(rollout, {}, objective="least_cost"))
    assert "\n" not in str(info.value)


def test_least_cost_reaches_the_target_with_the_cheapest_sites():
    sites = _sites(12, seed=2)
    rollout = _rollout(release_mode="all_at_start", build_window_years=1, target_capacity_kwp=1000, crews=50)
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
    # the two optimising strategies only (the heuristics' identity across workers is test_experiment's), a short
    # horizon: the plans are what may differ between processes
    scenario = sim.load_scenario(write_scenario(tmp_path, scenario_dict(tiny_county, horizon_years=6)))
    names = ["optimal", "multi_year_plan"]
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
    assert "objective discounted_co2" in text and "gap" in text and "crews %" in text and "reviewers %" in text
    assert not any(line != line.rstrip() for line in text.splitlines())
    scenario = sim.load_scenario(tiny_scenario_path)
    for track in scenario.rollout.tracks:  # a total row per track against its target
        assert f"{track.name} total" in text and f"target {track.target_capacity_kwp / 1000:,.1f} MWp" in text
    plan = pd.read_csv(out, dtype={"site_id": str})
    assert list(plan.columns) == ["site_id", "track", "capacity_kwp", "release_date", "waits_for_upgrade"]
    starts = set(plan_periods(scenario.rollout, scenario.start_date, scenario.horizon_years)["start_date"])
    assert set(plan["release_date"]) <= starts and plan["site_id"].is_unique
    assert set(plan["track"]) <= {t.name for t in scenario.rollout.tracks} | {""}
    # an unreachable target is reported as infeasible, naming the binding constraint, exit 2
    assert main(["plan", str(tiny_scenario_path), "--set", "planning.objective=least_cost", "--set", "rollout.tracks=[]", "--set",
                 "rollout.annual_budget_cny=100000", "--set", "rollout.target_capacity_kwp=1000", "--cache-dir", str(cache_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("pvsim: ") and line.endswith("...") for line in err[:-1])  # status lines
    assert "infeasible" in err[-1] and "binding constraint: budget" in err[-1]


def test_the_plan_may_cross_the_target_with_its_last_site_as_the_office_does():
    sites = _sites(30, seed=4)
    rollout = _rollout(release_mode="all_at_start", build_window_years=2, target_capacity_kwp=2000, crews=50)
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
    rollout = _rollout(annual_budget_cny=4e6, build_window_years=2, target_capacity_kwp=None, crews=50)
    inputs = _inputs(rollout, {}, pilot_quotas=True)
    plan = multi_year_plan(sites, PlanInputs(**{**inputs.__dict__, "candidate_roofs": roofs}))
    built = sites.loc[plan.period_of_site.index, "pilot_category"].value_counts()
    for cat, percent in PILOT_TARGETS_PERCENT.items():
        assert built.get(cat, 0) >= np.ceil(percent / 100 * roofs[cat])
    # a quota beyond the eligible roofs is infeasible, and says so
    with pytest.raises(PlanInfeasible, match="pilot quota"):
        multi_year_plan(sites, PlanInputs(**{**inputs.__dict__, "candidate_roofs": {c: 10 * n for c, n in
                                                                                      roofs.items()}}))


def _tracks(**extra) -> list[dict]:
    return [{"name": "homes", "site_types": ["rural_home"], "annual_budget_cny": 2e6, "target_capacity_kwp": 4000.0,
             **extra},
            {"name": "farms", "site_types": ["agrivoltaic"], "annual_budget_cny": 8e6, "target_capacity_kwp": 4000.0}]


def test_each_track_plans_within_its_own_budget_and_target_and_never_borrows():
    """Homes are the most valuable sites and their track's money is short; the farms' track has money to spare:
    a plan that moved money across tracks would build more homes in the first year."""
    sites = _sites(60, seed=8)
    sites.loc[sites["site_type"] == "rural_home", "co2_per_year_t"] *= 3
    rollout = _rollout(annual_budget_cny=1e7, build_window_years=3, tracks=_tracks(), crews=50,
                       hosting_when_full="drop")
    result = plan(sites, _inputs(rollout, {}), "co2")
    table = result.periods.set_index(["track", "period"])
    assert (table.loc["homes", "capex_cny"] <= 2e6 + 1e-6).all()
    assert (table.loc["farms", "capex_cny"] <= 8e6 + 1e-6).all()
    assert table.loc["homes", "budget_cny"].eq(2e6).all() and table.loc["farms", "budget_cny"].eq(8e6).all()
    assert table.loc[("farms", 0), "capex_cny"] > 2e6  # the farms' own money, not the homes' limit
    # the homes' money binds in the first year: it is (nearly) all planned there
    assert table.loc[("homes", 0), "capex_cny"] > 2e6 - sites["capex_cny"].max()
    # each track's planned capacity passes its target only by its last site
    planned = sites.loc[result.period_of_site.index].assign(track=result.track_of_site)
    for name, group in planned.groupby("track"):
        last = group.loc[[s for s in result.order if s in group.index][-1], "capacity_kwp"]
        assert group["capacity_kwp"].sum() - last <= 4000.0 + 1e-6
    # and the order keeps each track's own sites only for types of that track
    assert set(result.track_of_site) <= {"homes", "farms"}


def test_the_plan_over_releases_by_the_expected_consent():
    """At 80 % consent (everything else certain) a track plans about target / 0.8 of capacity, so that the
    office, replacing the sites that decline, reaches its target with the planned sites."""
    sites = _sites(80, seed=6)
    sites["site_type"] = "rural_home"
    rollout = _rollout(release_mode="all_at_start", build_window_years=1, target_capacity_kwp=3000.0, crews=50,
                       surveyors=50, reviewers=50, inspectors=50, hosting_when_full="drop",
                       stages={**CERTAIN["stages"], "consent": {"success_percent": 80.0}})
    result = plan(sites, _inputs(rollout, {}), "co2")
    planned = sites.loc[result.period_of_site.index, "capacity_kwp"]
    assert 0.8 * (planned.sum() - planned.max()) <= 3000.0 < 0.8 * planned.sum() + 1e-6
    assert planned.sum() > 3000.0 / 0.8 - planned.max()


def test_office_use_is_the_effort_of_each_application_class():
    """Reviewers spend 0.125 working days on a household application and 0.5 on another (the rollout's default
    effort by class, at most the stage's duration, which is at least 5 days): 8 homes and 4 farms released in one
    year of 365 calendar days with 2 reviewers and no calendar need 8 x 0.125 + 4 x 0.5 = 3 reviewer-days of 730."""
    sites = _sites(12, seed=1)
    sites["site_type"] = ["rural_home"] * 8 + ["agrivoltaic"] * 4
    rollout = _rollout(release_mode="all_at_start", build_window_years=1, target_capacity_kwp=None, crews=50,
                       reviewers=2, hosting_when_full="drop", calendar_enabled=False)
    result = plan(sites, _inputs(rollout, {}), "co2")
    assert len(result.period_of_site) == 12
    # the review starts on average 36.5 days after release (consent 29.33, survey 1.17, filing 6): of releases
    # spread over the year, 36.5 / 365 of that work falls after it, outside this one-year plan
    assert result.periods["reviewers_used_percent"].iloc[0] == pytest.approx(100 * 3.0 * (1 - 36.5 / 365) / 730.0)
    # surveyors: 0.25 a home, 1 a farm but at most the survey's duration D ~ triangular(0.5, 1, 2): by hand
    # E[min(1, D)] = P(D < 1) E[D | D < 1] + P(D >= 1) = 5/18 + 2/3 = 17/18; 3 surveyors; the survey starts after
    # the consent, 29.33 days
    assert result.periods["surveyors_used_percent"].iloc[0] == pytest.approx(
        100 * (8 * 0.25 + 4 * 17 / 18) * (1 - 88 / 3 / 365) / 1095.0, rel=1e-4)


def test_a_site_on_a_full_transformer_waits_for_the_upgrade_or_is_not_planned():
    sites = _sites(2, seed=2, transformers=1)
    sites["capacity_kwp"] = [80.0, 80.0]
    sites = with_hosting_kw(sites, 1.0)
    base = dict(release_mode="all_at_start", build_window_years=2, target_capacity_kwp=None, crews=50)
    waited = plan(sites, _inputs(_rollout(**base, hosting_when_full="wait_upgrade", upgrade_lead_time=fixed(200)),
                                 {"T0": 100.0}), "co2")
    assert len(waited.period_of_site) == 2 and waited.waits_for_upgrade.sum() == 1
    # the one that waits comes after the one that fits in the order of its period
    assert waited.order.index(waited.waits_for_upgrade.idxmax()) == 1
    dropped = plan(sites, _inputs(_rollout(**base, hosting_when_full="drop"), {"T0": 100.0}), "co2")
    assert len(dropped.period_of_site) == 1 and not dropped.waits_for_upgrade.any()
    # waiting costs the upgrade's lead time and, on average, half a quarterly disclosure interval (365.25 / 8 days)
    # of output: the plan's objective is the value of the one that fits and of the other commissioned that much later
    from sim.planning import _model, lead_days, value_weights

    inputs = _inputs(_rollout(**base, hosting_when_full="wait_upgrade", upgrade_lead_time=fixed(200)), {"T0": 100.0})
    model = _model(sites, inputs)
    co2 = sites["co2_per_year_t"].to_numpy()
    now = co2 * value_weights(lead_days(model), model.periods, inputs, discount=False, factor=True)[:, 0]
    later = co2 * value_weights(lead_days(model) + 200 + 365.25 / 8, model.periods, inputs, discount=False, factor=True)[:, 0]
    k = sites.index.get_loc(waited.waits_for_upgrade.idxmax())
    assert waited.solution.objective == pytest.approx(now[1 - k] + later[k], rel=1e-9)
    assert later[k] < now[k]


def test_money_is_charged_as_the_capex_expected_to_be_committed():
    """At 80 % consent a site that declines gives its earmark back: a year's plan may release up to budget / 0.8
    of capex, and no more."""
    sites = _sites(60, seed=12)
    sites["site_type"] = "rural_home"
    sites["capex_cny"] /= 10  # small sites: the year's money binds to within one of them
    rollout = _rollout(annual_budget_cny=2e6, build_window_years=1, target_capacity_kwp=None, crews=50,
                       surveyors=50, reviewers=50, inspectors=50, hosting_when_full="drop",
                       stages={**CERTAIN["stages"], "consent": {"success_percent": 80.0}})
    capex = plan(sites, _inputs(rollout, {}), "co2").periods["capex_cny"].iloc[0]
    assert 2e6 / 0.8 - sites["capex_cny"].max() < capex <= 2e6 / 0.8 + 1e-6


def test_curtailment_by_hand():
    from sim.planning import curtailed_kwh

    q = np.array([0.0, 0.5, 1.0])
    assert curtailed_kwh(100.0, 60.0, q) == (40.0, 1.0)
    assert curtailed_kwh(200.0, 60.0, q) == (180.0, 1.5)
    assert curtailed_kwh(50.0, 60.0, q) == (0.0, 0.0)


def test_the_plan_keeps_clear_of_export_limits_where_it_can():
    """Two transformers, same sites and hosting; T0 may export only 40 kW. Under a target the plan needs half of
    the sites: at most the two that T0 exports uncut at the peak, the rest on T1."""
    sites = _sites(20, seed=4)
    sites[["site_type", "capacity_kwp", "capex_cny", "annual_energy_mwh"]] = ["rural_home", 20.0, 6e4, 26.0]
    sites["co2_per_year_t"] = 26.0 * 0.6
    sites["carbon_per_cny_kg"] = 26.0 * 0.6 * 1000 / 6e4
    sites = with_hosting_kw(sites, 1.0)
    transformers = _transformers({"T0": 1000.0, "T1": 1000.0})
    transformers["export_limit_kw"] = [40.0, np.inf]
    rollout = _rollout(release_mode="all_at_start", build_window_years=1, target_capacity_kwp=190.0, crews=50,
                       hosting_when_full="drop", calendar_enabled=False)
    q = np.tile(np.r_[np.zeros(12), np.full(12, 1.0)], 365)
    inputs = PlanInputs(**{**_inputs(rollout, {}).__dict__, "transformers": transformers, "output_per_kw_ac": q})
    result = plan(sites, inputs, "co2")
    chosen = sites.loc[result.period_of_site.index, "transformer_id"].value_counts()
    assert chosen.sum() == 10 and chosen.get("T0", 0) <= 2  # 40 kW exports two 20 kW sites at full output


def test_value_weights_by_hand():
    """Released at day 0 with a lead of half a year: commissioned at 0.5 years, so the site runs half of year 0 and
    all of years 1 and 2 of a 3-year horizon: 0.5 + 1 + 1 = 2.5 years of output (no degradation, no discount);
    weighted by a grid factor falling 1.0, 0.5, 0.25 (ratios to the first year): 0.5 + 0.5 + 0.25 = 1.25; at 10 %
    a year discounted: 0.5 + 1 / 1.1 + 1 / 1.21."""
    from dataclasses import replace

    from sim.planning import value_weights
    from sim.timebase import years_to_days

    inputs = replace(_inputs(_rollout(), {}), horizon_years=3, discount_rate=0.10, degradation_first_year_percent=0.0,
                     degradation_percent_per_year=0.0, factor_by_year=(0.6, 0.3, 0.15))
    periods = pd.DataFrame({"start_day": [0.0], "end_day": [0.0]})
    lead = np.array([years_to_days(0.5)])
    assert value_weights(lead, periods, inputs, discount=False)[0, 0] == pytest.approx(2.5)
    assert value_weights(lead, periods, inputs, discount=False, factor=True)[0, 0] == pytest.approx(1.25)
    assert value_weights(lead, periods, inputs, discount=True)[0, 0] == pytest.approx(0.5 + 1 / 1.1 + 1 / 1.21)
    # degraded by the age at the start of each year (0, 0.5 and 1.5 years since commissioning): 2 % in the first
    # year, then 10 % a year
    aged = replace(inputs, degradation_first_year_percent=2.0, degradation_percent_per_year=10.0)
    assert value_weights(lead, periods, aged, discount=False)[0, 0] == pytest.approx(
        0.98 * (0.5 + 0.9 ** 0.5 + 0.9 ** 1.5))


def test_office_use_is_stretched_by_the_share_of_working_days():
    """The 8 homes and 4 farms of the test above with the work calendar on and consent, survey and filing
    instant (the review starts at release, none of it spills into the next year): reviewers work on weekdays only,
    261 of 2026's 365 days, less the Spring Festival (Tuesday 17 February; no shutdown days around it): 260. The 3
    reviewer-days of work stretch to 3 x 365 / 260 calendar days of the 2 x 365 the reviewers offer."""
    from sim._config import fixed

    sites = _sites(12, seed=1)
    sites["site_type"] = ["rural_home"] * 8 + ["agrivoltaic"] * 4
    instant = {"duration": fixed(0).model_dump()}
    stages = {**CERTAIN["stages"], "consent": {**CERTAIN["stages"]["consent"], **instant},
              "survey_design": instant, "filing": instant}
    rollout = _rollout(release_mode="all_at_start", build_window_years=1, target_capacity_kwp=None, crews=50,
                       reviewers=2, surveyors=50, inspectors=50, hosting_when_full="drop", calendar_enabled=True,
                       office_weekends_off=True, spring_festival_shutdown_days_before=0,
                       spring_festival_shutdown_days_after=0, stages=stages)
    result = plan(sites, _inputs(rollout, {}), "co2")
    assert len(result.period_of_site) == 12
    assert result.periods["reviewers_used_percent"].iloc[0] == pytest.approx(100 * 3.0 * 365 / 260 / 730.0)


def test_release_pacing_counts_site_days_of_the_pipeline():
    """At most 5 sites between release and contract: 5 x 365 site-days in the year. 12 homes stay about 50 days
    each (consent, then survey, filing and review): all are planned, and the pacing row holds their days in the
    pipeline, of which the share stay / (2 x 365) spills past this one-year plan."""
    from sim.planning import _model, pipeline_days

    sites = _sites(12, seed=1)
    sites["site_type"] = "rural_home"
    rollout = _rollout(release_mode="all_at_start", build_window_years=1, target_capacity_kwp=None, crews=50,
                       surveyors=50, reviewers=50, inspectors=50, hosting_when_full="drop", calendar_enabled=False,
                       max_sites_in_pipeline=5)
    inputs = _inputs(rollout, {})
    result = plan(sites, inputs, "co2")
    assert len(result.period_of_site) == 12
    stay = pipeline_days(_model(sites, inputs))
    assert 30 < stay.mean() < 80
    used = (stay * (1 - stay / (2 * 365))).sum() / (5 * 365)
    assert result.periods["release pacing_used_percent"].iloc[0] == pytest.approx(100 * used)


def test_infeasible_only_under_limits_together_says_so():
    """A 10 kWp target and two homes of 10 kWp: the cheap one sits on a transformer with no hosting left, the dear
    one costs more than the year's budget. The budget alone allows the cheap one, the hosting alone the dear one;
    together neither: the plan says it is the limits together, each alone would allow it."""
    sites = _sites(2, seed=1, transformers=2)
    sites["site_type"] = "rural_home"
    sites["capacity_kwp"] = 10.0
    sites["capex_cny"] = [30_000.0, 90_000.0]
    sites = with_hosting_kw(sites, 1.0)
    rollout = _rollout(release_mode="budget", annual_budget_cny=50_000.0, build_window_years=1,
                       target_capacity_kwp=10.0, crews=50, hosting_when_full="drop", calendar_enabled=False)
    with pytest.raises(PlanInfeasible, match="under all limits together") as info:
        plan(sites, _inputs(rollout, {"T0": 0.0, "T1": 100.0}), "least_cost")
    assert "budget" in str(info.value) and "hosting" in str(info.value) and "each alone" in str(info.value)


def test_layout_rows_by_hand():
    """The model's rows over the variables x[s, p] (column s P + p), then w[s, p] of the sites that may wait (here
    site 1: columns 6 + p), then one crossing z per site (9-11) and a curtailment y (12): 3 sites, 3 periods."""
    from sim.planning import _Layout

    layout = _Layout(3, 3, np.array([False, True, False]), crossing=True, n_y=1)
    coef = np.array([2.0, 0.0, 5.0])
    assert (layout.n_x, layout.n_w, layout.z0, layout.y0, layout.n) == (9, 3, 12, 15, 16)
    for p in range(3):
        each_p = np.zeros(16)
        each_p[[p, 6 + p]] = 2.0, 5.0
        np.testing.assert_array_equal(layout.released(coef).toarray()[p], each_p)
    cumulative = layout.released(coef, cumulative=True).toarray()
    np.testing.assert_array_equal(cumulative[0], [2, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(cumulative[2], [2, 2, 2, 0, 0, 0, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0])
    waits = np.array([1.0, 3.0, 0.0])  # site 1 may wait: its w columns 9-11 count too
    np.testing.assert_array_equal(
        layout.released(waits, cumulative=True).toarray()[1], [1, 1, 0, 3, 3, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0]
    )
    np.testing.assert_array_equal(
        layout.released(waits, cumulative=True, waiting=False).toarray()[1],
        [1, 1, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    )
    np.testing.assert_array_equal(layout.per_site(waits).toarray()[0], [1, 1, 1, 3, 3, 3, 0, 0, 0, 3, 3, 3, 0, 0, 0, 0])
    for matrix in (layout.released(waits, cumulative=True), layout.per_site(coef)):
        assert matrix.has_canonical_format and not (matrix.data == 0).any()  # no explicit zeros: as HiGHS gets them
