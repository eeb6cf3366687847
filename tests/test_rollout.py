"""Tests of the rollout model (sim.rollout)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sim._config import SITE_TYPES, Duration, fixed, triangular
from sim.errors import InputError
from sim.rollout import (
    STAGES,
    STATUSES,
    OperationConfig,
    RolloutConfig,
    StageConfig,
    budget_pot_days,
    check_inputs,
    simulate,
    total_budget_cny,
)
from sim.rollout import calendar as cal
from sim.rng import stream

NO_FAILURES = OperationConfig(inverter_mtbf_years=None)
# neutralises the default consent rates of public owners and businesses (site-type overrides are layered on top)
# the default consent rates by owner are site-type layers over ``stages``: these cases set them all to 100 %
ALWAYS_CONSENT = {t: {"consent": StageConfig(success_percent=100)} for t in SITE_TYPES}


def _stage(days: float, resource: str | None = None) -> StageConfig:
    """A stage of fixed duration that always succeeds and keeps its resource busy throughout (every key set, so
    nothing is inherited from the default stages)."""
    return StageConfig(duration=fixed(days), success_percent=100, resource=resource, resource_busy_percent=100)


def _instant_stages(**overrides: StageConfig) -> dict[str, StageConfig]:
    stages = {st: StageConfig(duration=fixed(0), success_percent=100, resource=None) for st in STAGES}
    stages.update(overrides)
    return stages


def _county(n: int = 400, n_tr: int = 25, seed: int = 3, tight: bool = True):
    """A small random county: mostly homes, a few large ground-mounted sites; transformers with tight limits."""
    rng = np.random.default_rng(seed)
    types = rng.choice(
        ["rural_home", "public_building", "party_government", "commercial_industrial", "agrivoltaic", "fish_pond",
         "tourism_carpark", "greenhouse", "guesthouse"],
        n, p=[0.6, 0.06, 0.04, 0.05, 0.06, 0.05, 0.04, 0.05, 0.05],
    )
    big = np.isin(types, ["agrivoltaic", "fish_pond"])
    cap = np.where(big, rng.uniform(300, 1500, n), rng.uniform(8, 60, n)).round(1)
    ids = [f"site{i:04d}" for i in range(n)]
    sites = pd.DataFrame(
        {"site_type": types, "capacity_kwp": cap, "capex_cny": cap * 1000 * rng.uniform(2.8, 3.6, n),
         "transformer_id": [f"T{k:03d}" for k in rng.integers(0, n_tr, n)]},
        index=pd.Index(ids, name="site_id"),
    )
    rating = rng.choice([200.0, 400.0, 630.0, 1000.0], n_tr)
    share = 80.0
    limit = rating * share / 100 * (rng.uniform(0.2, 0.9, n_tr) if tight else 10.0)
    planned = np.where(rng.random(n_tr) < 0.3, 1, 0)
    transformers = pd.DataFrame(
        {"rating_kva": rating, "hosting_share_percent": share, "hosting_limit_kw": limit,
         "planned_upgrade_date": [pd.Timestamp("2027-06-01") if p else pd.NaT for p in planned],
         "planned_upgrade_kva": np.where(planned, rating, 0.0)},
        index=pd.Index([f"T{k:03d}" for k in range(n_tr)], name="transformer_id"),
    )
    return sites, transformers


# --------------------------------------------------------------------------------------------- deterministic


def test_deterministic_commissioning_by_hand():
    # 5 identical homes, all released at t=0: consent 2 d; construction on 2 crews: 1 d set-up + 40 kWp / 20 = 3 d;
    # acceptance by 1 inspector, 1 d.
    # crews:      sites 1,2: 2-5; sites 3,4: 5-8; site 5: 8-11
    # inspector:  s1 5-6, s2 6-7, s3 8-9, s4 9-10, s5 11-12   -> commissioning on days 6, 7, 9, 10, 12
    config = RolloutConfig(
        release_mode="all_at_start",
        crews=2,
        inspectors=1,
        calendar_enabled=False,
        crew_productivity_kwp_per_day={"default": 20.0},
        stages=_instant_stages(
            consent=_stage(2),
            construction=_stage(1, "crews"),
            acceptance=_stage(1, "inspectors"),
        ),
    )
    ids = [f"h{i}" for i in range(1, 6)]
    sites = pd.DataFrame({"site_type": "rural_home", "capacity_kwp": 40.0, "capex_cny": 120_000.0,
                          "transformer_id": "T"}, index=ids)
    transformers = pd.DataFrame({"hosting_limit_kw": [1000.0], "hosting_share_percent": [80.0]}, index=["T"])
    r = simulate(sites, ids, transformers, config, NO_FAILURES, seed=1, start_date=date(2026, 3, 2), horizon_years=1)

    assert r.outcomes["commission_day"].tolist() == [6.0, 7.0, 9.0, 10.0, 12.0]
    assert [d.date() for d in r.outcomes["commission_date"]] == [
        date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 11), date(2026, 3, 12), date(2026, 3, 14)]
    assert (r.outcomes["status"] == "operating").all()
    crews, insp = r.resources["crews"], r.resources["inspectors"]
    assert crews["mean_wait_days"] == pytest.approx((0 + 0 + 3 + 3 + 6) / 5)
    assert crews["max_queue_length"] == 3
    assert crews["utilisation_horizon_percent"] == pytest.approx(100 * 15.0 / (2 * 365))
    # over the period in use (to the end of the last construction): same busy time, shorter window
    assert crews["utilisation_percent"] == pytest.approx(100 * 15.0 / (2 * crews["active_until_days"]))
    assert crews["active_until_days"] < 12.0
    # by calendar year of the build window (the horizon's year here): 15 crew-days in the 305 days to 1 January 2027
    to_new_year = (date(2027, 1, 1) - date(2026, 3, 2)).days
    assert crews["utilisation_by_year_percent"] == pytest.approx({2026: 100 * 15.0 / (2 * to_new_year), 2027: 0.0})
    assert insp["mean_wait_days"] == pytest.approx((0 + 1 + 0 + 1 + 0) / 5)
    # milestones of the released 200 kWp: 25 % (50 kWp) with the 2nd site, 50 % with the 3rd, 100 % with the 5th
    assert r.milestones == {"25%": "2026-03-09", "50%": "2026-03-11", "90%": "2026-03-14", "95%": "2026-03-14",
                            "100%": "2026-03-14"}
    assert r.last_commission_date == "2026-03-14"
    sd = r.stage_durations.set_index("stage")
    assert sd.loc["construction", "mean_days"] == pytest.approx((3 + 3 + 6 + 6 + 9) / 5)  # wait + work
    assert sd.loc["consent", "n"] == 5
    # event log: every stage of every site starts and ends once, in time order per site
    ev = r.events
    assert set(ev["event"]) <= {"start", "end", "wait"}
    assert (ev.groupby("site_id", observed=True)["time_days"].apply(lambda t: t.is_monotonic_increasing)).all()
    waits = ev[(ev["stage"] == "construction") & (ev["event"] == "wait")]
    assert waits.set_index("site_id")["time_days"].to_dict() == {"h3": 2.0, "h4": 2.0, "h5": 2.0}
    assert (ev["date"] == pd.Timestamp("2026-03-02") + pd.to_timedelta(ev["time_days"], unit="D")).all()


def test_duration_ppf_matches_distribution_means():
    u = (np.arange(200_000) + 0.5) / 200_000
    for d in [fixed(3), triangular(2, 5, 15), Duration(dist="uniform", low_days=1, high_days=4),
              Duration(dist="exponential", mean_days=7), Duration(dist="lognormal", mean_days=10, sigma=0.5)]:
        x = d.ppf(u)
        assert x.shape == u.shape
        assert x.min() >= 0
        assert np.all(np.diff(x) >= 0), d.dist  # a quantile function never decreases
        assert x.mean() == pytest.approx(d.mean, rel=2e-3), d.dist
        for q in (0.01, 0.3, 0.5, 0.97):  # a scalar gives a float, the same value as in an array
            assert isinstance(d.ppf(q), float)
            assert d.ppf(q) == float(d.ppf(np.array([q]))[0])
        # sample() is ppf of the generator's uniforms
        assert np.array_equal(d.sample(np.random.default_rng(5), 10), d.ppf(np.random.default_rng(5).random(10)))


# --------------------------------------------------------------------------------------------- budget


@pytest.mark.parametrize("carry_over", [False, True])
def test_budget_spend_per_year_never_exceeds_budget(carry_over):
    sites, transformers = _county(n=300, tight=False)
    budget = 6e6
    config = RolloutConfig(release_mode="budget", annual_budget_cny=budget, budget_carry_over=carry_over,
                           build_window_years=4, crews=3, calendar_enabled=True)
    order = list(sites.index)
    r = simulate(sites, order, transformers, config, NO_FAILURES, seed=7, start_date=date(2026, 5, 1),
                 horizon_years=6)
    out = r.outcomes.join(sites["capex_cny"])
    released = out[out["release_day"].notna()]
    year = (pd.Timestamp("2026-05-01") + pd.to_timedelta(released["release_day"], unit="D")).dt.year
    kept = released[released["status"].isin(["operating", "in_progress"])]
    net = kept.groupby(year.loc[kept.index])["capex_cny"].sum()
    assert set(r.spend_by_year) <= set(range(2026, 2031))
    for y, spent in r.spend_by_year.items():
        assert spent == pytest.approx(net.get(y, 0.0), abs=1e-3)
        if not carry_over:
            assert spent <= budget + 1e-6, (y, spent)
    # with carry-over, the spend up to each year never exceeds the budgets granted so far
    cum = np.cumsum([r.spend_by_year.get(y, 0.0) for y in range(2026, 2031)])
    assert np.all(cum <= budget * np.arange(1, 6) + 1e-6)
    # the budget binds: not every site could be released within the window
    assert (out["status"] == "not_released").sum() > 0
    # releases follow the priority order: release days never decrease along the order, and once a site is left
    # unreleased, so is every later one (no site here is dearer than a year's budget, so none is skipped)
    assert (sites["capex_cny"] <= budget).all()
    rel = out["release_day"].to_numpy()
    done = ~np.isnan(rel)
    assert np.all(np.diff(rel[done]) >= 0)
    first_left = int(np.argmin(done))
    assert not done[first_left:].any()


def test_capacity_target_stops_releases():
    sites, transformers = _county(n=200, tight=False)
    config = RolloutConfig(release_mode="all_at_start", target_capacity_kwp=3000.0, calendar_enabled=False,
                           stages=_instant_stages(), site_type_stages=ALWAYS_CONSENT)
    order = list(sites.index)
    r = simulate(sites, order, transformers, config, NO_FAILURES, seed=2, start_date=date(2026, 1, 1),
                 horizon_years=3)
    released = r.outcomes["release_day"].notna().to_numpy()
    cum = np.cumsum(sites.loc[order, "capacity_kwp"].to_numpy())
    k = int(np.searchsorted(cum, 3000.0)) + 1  # the smallest prefix reaching the target
    assert released[:k].all() and not released[k:].any()


def _straight_through_homes(n_sites: int, capex_cny: float):
    """Identical homes that go straight through: every stage instant and passed, no calendar, unlimited hosting."""
    sites = pd.DataFrame({"site_type": "rural_home", "capacity_kwp": 10.0, "capex_cny": capex_cny,
                          "transformer_id": "T"}, index=[f"h{i:03d}" for i in range(n_sites)])
    transformers = pd.DataFrame({"hosting_limit_kw": [np.inf], "hosting_share_percent": [80.0]}, index=["T"])
    config = RolloutConfig(release_mode="budget", calendar_enabled=False, stages=_instant_stages())
    return sites, transformers, config


@pytest.mark.parametrize("carry_over", [False, True])
@pytest.mark.parametrize(("start", "window_years", "horizon_years", "pots"), [
    (date(2026, 1, 1), 3.0, 6, 3),  # 1 January 2026, 2027, 2028
    (date(2026, 1, 1), 2.5, 6, 3),  # the window closes on 2 July 2028
    (date(2026, 7, 15), 3.0, 6, 4),  # the start, then 1 January 2027, 2028, 2029
    (date(2026, 7, 15), 2.5, 6, 4),  # the window closes on 13 January 2029
    (date(2026, 10, 1), 2.2, 6, 3),  # the window closes on 13 December 2028
    (date(2026, 1, 1), 5.0, 2, 2),  # the horizon comes first
])
def test_total_budget_is_what_the_simulation_puts_in_the_pot(start, window_years, horizon_years, pots, carry_over):
    annual, per_pot = 1e6, 10
    sites, transformers, config = _straight_through_homes(per_pot * 7, annual / per_pot)
    config = config.model_copy(update={"annual_budget_cny": annual, "budget_carry_over": carry_over,
                                       "build_window_years": window_years})
    r = simulate(sites, list(sites.index), transformers, config, NO_FAILURES, seed=1, start_date=start,
                 horizon_years=horizon_years)
    pot_days = budget_pot_days(start, window_years, horizon_years)
    assert len(pot_days) == pots
    # sites cost a tenth of a year's budget, so the office spends each pot as soon as it is in: the release days are
    # the pot days, ten sites each, and the money committed is the total budget
    release_days = r.outcomes["release_day"].dropna()
    assert release_days.value_counts().sort_index().to_dict() == {day: per_pot for day in pot_days}
    assert sum(r.spend_by_year.values()) == total_budget_cny(config, start, horizon_years) == annual * pots
    assert total_budget_cny(config.model_copy(update={"release_mode": "all_at_start"}), start, horizon_years) is None


@pytest.mark.parametrize("carry_over", [False, True])
def test_budget_lapse_carry_over_and_the_1_january_refill_by_hand(carry_over):
    """1,000,000 CNY a year from 1 January 2026 for 3 years, homes of 400,000 CNY that go straight through.
    Without carry-over: two homes on each 1 January (day 0, 365, 730); the 200,000 left lapses when the pot is
    refilled to the year's budget (and at the end of the window). With carry-over: 2026 two homes, 200,000 kept; 1
    January 2027 the pot holds 1,200,000: three homes; 2028 two homes and 200,000 left unspent."""
    sites, transformers, config = _straight_through_homes(10, 400_000.0)
    config = config.model_copy(update={"annual_budget_cny": 1e6, "budget_carry_over": carry_over,
                                       "build_window_years": 3.0})
    r = simulate(sites, list(sites.index), transformers, config, NO_FAILURES, seed=1, start_date=date(2026, 1, 1),
                 horizon_years=4)
    released = r.outcomes["release_day"].dropna().value_counts().sort_index().to_dict()
    per_year = [2, 3, 2] if carry_over else [2, 2, 2]
    assert released == dict(zip([0.0, 365.0, 730.0], per_year))
    b = r.budget.set_index("year")
    assert b.loc[[2026, 2027, 2028], "budget_cny"].tolist() == [1e6, 1e6, 1e6]
    assert b.loc[[2026, 2027, 2028], "committed_cny"].tolist() == [400_000.0 * n for n in per_year]
    assert r.spend_by_year == {2026: 800_000.0, 2027: 400_000.0 * per_year[1], 2028: 800_000.0}
    if not carry_over:
        assert b.loc[[2026, 2027], "lapsed_cny"].tolist() == [200_000.0, 200_000.0]
    else:
        assert b.loc[[2026, 2027], "lapsed_cny"].tolist() == [0.0, 0.0]
    assert b["lapsed_cny"].sum() == pytest.approx(600_000.0 if not carry_over else 200_000.0)


def test_budget_check_counts_the_pots_of_the_run():
    # with carry-over, a site dearer than three years' budget is funded from a mid-year start (a 3-year window holds
    # 4 pots) once the fourth budget is in, but it can never be funded from a start on 1 January (3 pots)
    sites, transformers, config = _straight_through_homes(1, 3.5e6)
    config = config.model_copy(update={"annual_budget_cny": 1e6, "budget_carry_over": True,
                                       "build_window_years": 3.0})
    mid_year, new_year = date(2026, 7, 15), date(2026, 1, 1)
    check_inputs(sites, transformers, config, start_date=mid_year, horizon_years=5)
    r = simulate(sites, ["h000"], transformers, config, NO_FAILURES, seed=1, start_date=mid_year, horizon_years=5)
    assert r.outcomes.loc["h000", "release_day"] == budget_pot_days(mid_year, 3.0, 5)[3]
    for start in (new_year, mid_year):
        run_config = config if start == new_year else config.model_copy(update={"budget_carry_over": False})
        with pytest.raises(InputError) as e:
            check_inputs(sites, transformers, run_config, start_date=start, horizon_years=5)
        assert e.value.field == "rollout.annual_budget_cny" and "cheapest" in str(e.value)


# --------------------------------------------------------------------------------------------- conservation


@pytest.mark.parametrize("when_full", ["wait_upgrade", "drop"])
@pytest.mark.parametrize("mode", ["all_at_start", "budget", "poisson"])
def test_conservation_and_hosting_limits(mode, when_full):
    sites, transformers = _county(n=400, tight=True)
    config = RolloutConfig(release_mode=mode, hosting_when_full=when_full, annual_budget_cny=8e6,
                           poisson_rate_per_day=0.5, upgrade_lead_time=fixed(200), crews=4)
    order = list(sites.sample(frac=1.0, random_state=1).index)
    r = simulate(sites, order, transformers, config, OperationConfig(), seed=11, start_date=date(2026, 1, 1),
                 horizon_years=4)
    out = r.outcomes
    # every site of the order ends in exactly one terminal state
    assert list(out.index) == order
    assert out["status"].isin(STATUSES).all()
    released = out["release_day"].notna()
    assert out.loc[~released, "status"].isin(["not_released", "dropped_hosting"]).all()
    assert (out.loc[released, "status"] != "not_released").all()
    # hosting drops are decided before consent: a dropped site was never released nor asked
    dropped = out.index[out["status"] == "dropped_hosting"]
    assert out.loc[dropped, "release_day"].isna().all()
    assert not r.events[r.events["stage"] == "consent"]["site_id"].isin(dropped).any()
    assert (out["commission_day"].notna() == (out["status"] == "operating")).all()
    assert (out["failed_stage"].notna() == out["status"].isin(["declined", "failed", "dropped_hosting"])).all()
    assert (out.loc[out["status"] == "declined", "failed_stage"] == "consent").all()
    assert (out.loc[out["status"] == "dropped_hosting", "failed_stage"] == "hosting").all()
    ev = r.events
    ends = ev[ev["event"].isin(["decline", "fail", "drop"])]
    assert not ends["site_id"].duplicated().any()
    assert set(ends["site_id"]) == set(out.index[out["status"].isin(["declined", "failed", "dropped_hosting"])])
    acc = ev[(ev["stage"] == "acceptance") & (ev["event"] == "end")]
    assert set(acc["site_id"]) == set(out.index[out["status"] == "operating"])
    if when_full == "drop":
        assert len(r.upgrades) == 0 or set(r.upgrades["kind"]) == {"planned"}
        assert (r.events["event"] == "drop").any()

    # capacity reserved on each transformer (approved, under construction or built) never exceeds its hosting limit
    cap = sites["capacity_kwp"]
    reserve = ev[(ev["stage"] == "hosting") & (ev["event"] == "end")]
    quit_after = ends[ends["stage"].isin(["consent", "procurement", "construction", "acceptance"])]
    rows = [(t, 2, sites.at[s, "transformer_id"], cap[s]) for s, t in zip(reserve["site_id"], reserve["time_days"])]
    rows += [(t, 1, sites.at[s, "transformer_id"], -cap[s])
             for s, t in zip(quit_after["site_id"], quit_after["time_days"])]
    rows += [(t, 0, tr, -kw) for tr, t, kw in zip(r.upgrades["transformer_id"], r.upgrades["time_days"],
                                                   r.upgrades["added_hosting_kw"])]
    headroom = transformers["hosting_limit_kw"].to_dict()
    used = dict.fromkeys(headroom, 0.0)
    for t, kind, tr, delta in sorted(rows, key=lambda x: (x[0], x[1])):
        if kind == 0:
            headroom[tr] -= delta  # an upgrade adds hosting capacity
        else:
            used[tr] += delta
        assert used[tr] <= headroom[tr] + 1e-6, (tr, t, used[tr], headroom[tr])
    # built capacity in particular
    built = out[out["status"] == "operating"].groupby("transformer_id")["capacity_kwp"].sum()
    for tr, kw in built.items():
        assert kw <= headroom[tr] + 1e-6


# --------------------------------------------------------------------------------------------- randomness


def _assert_same(a, b):
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    pd.testing.assert_frame_equal(a.downtime, b.downtime)
    pd.testing.assert_frame_equal(a.stage_durations, b.stage_durations)
    assert a.resources == b.resources and a.spend_by_year == b.spend_by_year and a.milestones == b.milestones


@pytest.mark.parametrize("mode", ["budget", "poisson"])
def test_same_seed_same_results(mode):
    sites, transformers = _county(n=250)
    config = RolloutConfig(release_mode=mode, annual_budget_cny=5e6, poisson_rate_per_day=1.0)
    sites_before = sites.copy()
    args = (sites, list(sites.index), transformers, config, OperationConfig())
    a = simulate(*args, seed=5, start_date=date(2026, 1, 1), horizon_years=5)
    b = simulate(*args, seed=5, start_date=date(2026, 1, 1), horizon_years=5)
    _assert_same(a, b)
    c = simulate(*args, seed=6, start_date=date(2026, 1, 1), horizon_years=5)
    assert not a.events.equals(c.events)
    pd.testing.assert_frame_equal(sites, sites_before)  # inputs are not modified


def test_a_memo_of_the_seeds_draws_changes_no_run():
    """The draws kept per seed (stage work, operation, upgrade lead times) and reordered to each run's order give
    every run what it makes alone: two orders and two seeds in turn with one memo; other settings draw anew."""
    sites, transformers = _county(n=250)
    config = RolloutConfig(release_mode="budget", annual_budget_cny=8e6, build_window_years=3, crews=3)
    operation = OperationConfig(inverter_mtbf_years=2.0)
    orders = [list(sites.index), list(sites.sort_values("capacity_kwp").index)]
    memo: dict = {}

    def run(order, seed, memo=None, config=config):
        return simulate(sites, order, transformers, config, operation, seed=seed, start_date=date(2026, 1, 1),
                        horizon_years=4, memo=memo)

    for seed in (5, 6):
        for order in orders:
            _assert_same(run(order, seed, memo), run(order, seed))
    assert {("stages", 5), ("stages", 6), ("transformers", 5)} <= set(memo)
    kept = {key: memo[key] for key in memo}
    run(orders[1], 6, memo)
    run(orders[0], 5, memo)
    assert all(memo[key] is kept[key] for key in kept)  # the same sites in another order: read, not made again
    assert not any(a.flags.writeable for key in kept for a in kept[key][2])  # shared by the runs: read-only
    fewer = RolloutConfig(release_mode="budget", annual_budget_cny=8e6, build_window_years=3, crews=3,
                          stages={"consent": StageConfig(success_percent=40)})  # more owners decline
    _assert_same(run(orders[1], 5, memo, fewer), run(orders[1], 5, None, fewer))
    assert memo[("stages", 5)][0] is fewer
    import sim.rollout.setup as setup

    bound = setup._DRAWS_KEPT_BYTES
    try:  # a bound below one entry: the newest is kept, the older ones go
        setup._DRAWS_KEPT_BYTES = 1.0
        _assert_same(run(orders[0], 7, memo), run(orders[0], 7))
        assert len(memo) == 1 and next(iter(memo))[:2] == ("operation", 7)  # the last made
    finally:
        setup._DRAWS_KEPT_BYTES = bound


def test_each_site_gets_its_operation_streams_first_draws_for_twice_the_mean_failures():
    """Inverters failing every 2 years on average over a 4-year horizon: about 2 failures a site, a draw for the
    first time to failure and two per failure (repair, next time to failure), twice over: 1 + 2 x 4 = 9 draws, the
    first 9 of each site's own stream; none without failures."""
    from sim.rng import site_rng
    from sim.rollout.setup import _operation_draws

    ids = np.array(["a1", "b2", "c3"], dtype=object)
    draws = _operation_draws(ids, OperationConfig(inverter_mtbf_years=2.0), 4 * 365.25, 7)
    assert draws.shape == (3, 9)
    assert draws[1].tolist() == site_rng(7, "b2", "operation").random(9).tolist()
    assert _operation_draws(ids, OperationConfig(inverter_mtbf_years=None), 4 * 365.25, 7) is None


def test_stage_draws_are_keyed_by_site_id():
    """Consent takes uniform(0, 100) days, everything else is instant: a home commissions on day 100 x u, u the
    first uniform of its own 'stages' stream (site_rng(seed, site id, 'stages'): duration of the first stage). The
    same home behind another one, or alone, commissions on the same day; under another id it draws anew."""
    from sim.rng import site_rng
    stages = _instant_stages(consent=StageConfig(duration=Duration(dist="uniform", low_days=0.0, high_days=100.0),
                                                 success_percent=100, resource=None))
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, stages=stages,
                           crew_productivity_kwp_per_day={"default": 1e12})
    expected = {i: 100.0 * site_rng(1, i, "stages").random() for i in ("h7", "h8")}
    alone = _one_type_run(config, {"h7": 10.0}).outcomes["commission_day"]
    behind = _one_type_run(config, {"h8": 10.0, "h7": 10.0}).outcomes["commission_day"]
    assert alone["h7"] == pytest.approx(expected["h7"], abs=1e-9)
    assert behind.to_dict() == pytest.approx(expected, abs=1e-9)
    assert abs(expected["h7"] - expected["h8"]) > 1.0


def test_common_random_numbers_across_orders():
    sites, transformers = _county(n=300, tight=False)
    # budget mode: the order decides when a site is released, so the queues differ between the two runs
    config = RolloutConfig(release_mode="budget", annual_budget_cny=30e6, build_window_years=3, crews=3)
    order_a = list(sites.index)
    order_b = list(sites.sort_values("capacity_kwp", ascending=False).index)
    a = simulate(sites, order_a, transformers, config, OperationConfig(), seed=9, start_date=date(2026, 4, 1),
                 horizon_years=4)
    b = simulate(sites, order_b, transformers, config, OperationConfig(), seed=9, start_date=date(2026, 4, 1),
                 horizon_years=4)

    def consent(r):
        ev = r.events[r.events["stage"] == "consent"]
        t0 = ev[ev["event"] == "start"].set_index("site_id")["time_days"]
        t1 = ev[ev["event"].isin(["end", "decline"])].set_index("site_id")
        return (t1["time_days"] - t0).sort_index(), t1["event"].astype(str).sort_index()

    (da, oa), (db, ob) = consent(a), consent(b)
    both = da.index.intersection(db.index)  # sites released in both runs
    assert len(both) > 30
    pd.testing.assert_series_equal(da[both], db[both])  # same consent durations ...
    pd.testing.assert_series_equal(oa[both], ob[both])  # ... and the same consent outcome for every site
    assert (oa[both] == "decline").sum() > 0
    # the queues differ (so construction ends differ), the draws do not: procurement has no resource and no calendar
    def procurement(r):
        ev = r.events[r.events["stage"] == "procurement"]
        t0 = ev[ev["event"] == "start"].set_index("site_id")["time_days"]
        t1 = ev[ev["event"].isin(["end", "fail"])].set_index("site_id")["time_days"]
        return (t1 - t0).dropna().sort_index()

    pa, pb = procurement(a), procurement(b)
    common = pa.index.intersection(pb.index)
    assert len(common) > 50
    np.testing.assert_allclose(pa[common], pb[common], rtol=0, atol=1e-9)
    assert not a.outcomes["commission_day"].equals(b.outcomes["commission_day"].loc[a.outcomes.index])


# --------------------------------------------------------------------------------------------- operation


def test_operation_downtime():
    sites, transformers = _county(n=150, tight=False)
    operation = OperationConfig(inverter_mtbf_years=2.0, repair=fixed(5))
    config = RolloutConfig(release_mode="all_at_start", om_crews=50, crews=10)
    r = simulate(sites, list(sites.index), transformers, config, operation, seed=4, start_date=date(2026, 1, 1),
                 horizon_years=6)
    d = r.downtime
    assert len(d) > 50
    assert set(d.columns) == {"site_id", "year", "downtime_days"}
    assert d.index.equals(pd.RangeIndex(len(d)))  # sorted by site and year, numbered afresh
    assert d["year"].between(2026, 2031).all()
    assert (d["downtime_days"] > 0).all() and (d["downtime_days"] <= 366).all()
    assert set(d["site_id"]) <= set(r.outcomes.index[r.outcomes["status"] == "operating"])
    # plenty of crews: every repair takes exactly 5 days, so yearly downtime comes in 5-day pieces except where a
    # repair straddles a new year or the horizon
    per_site = d.groupby("site_id")["downtime_days"].sum()
    frac = (per_site / 5.0) % 1.0
    assert (np.minimum(frac, 1 - frac) < 1e-6).mean() > 0.8
    assert r.resources["om_crews"]["mean_wait_days"] == 0.0
    # expected failures: operating years / MTBF
    op = r.outcomes[r.outcomes["status"] == "operating"]
    years_on = ((6 * 365.25 - op["commission_day"]) / 365.25).sum()
    n_fail = r.resources["om_crews"]["n_requests"]
    assert 0.8 * years_on / 2 < n_fail < 1.2 * years_on / 2


# --------------------------------------------------------------------------------------------- bad input


def test_bad_distributions_and_probabilities():
    with pytest.raises(ValueError, match="low_days"):
        Duration(dist="triangular", low_days=5, mode_days=3, high_days=2)
    with pytest.raises(ValueError, match="finite number >= 0"):
        Duration(dist="fixed", value_days=-1)
    with pytest.raises(ValueError, match="success_percent"):
        StageConfig(duration=fixed(1), success_percent=120)
    with pytest.raises(ValueError, match="rain_day_percent_by_month"):
        RolloutConfig(rain_day_percent_by_month=[10] * 11)
    with pytest.raises(ValueError, match="unknown_type"):
        RolloutConfig(crew_productivity_kwp_per_day={"unknown_type": 3.0})
    with pytest.raises(ValueError, match="MM-DD"):
        RolloutConfig(frozen_season_start_month_day="13-40")
    with pytest.raises(ValueError, match="extra|not permitted"):
        RolloutConfig(crew=3)


def test_bad_inputs_raise_input_errors():
    sites, transformers = _county(n=30, tight=False)
    order = list(sites.index)
    start = date(2026, 1, 1)

    def run(config=RolloutConfig(), operation=OperationConfig(), s=sites, o=order, t=transformers):
        return simulate(s, o, t, config, operation, seed=1, start_date=start, horizon_years=2)

    with pytest.raises(InputError) as e:
        run(RolloutConfig(crews=0))
    assert e.value.field == "rollout.crews"
    with pytest.raises(InputError) as e:
        run(RolloutConfig(reviewers=0))
    assert e.value.field == "rollout.reviewers"
    with pytest.raises(InputError) as e:
        run(RolloutConfig(om_crews=0))
    assert e.value.field == "rollout.om_crews"
    run(RolloutConfig(om_crews=0), OperationConfig(inverter_mtbf_years=None))  # fine without failures
    with pytest.raises(InputError) as e:
        run(RolloutConfig(annual_budget_cny=float(sites["capex_cny"].min()) * 0.5))
    assert e.value.field == "rollout.annual_budget_cny" and "cheapest" in str(e.value)
    with pytest.raises(InputError) as e:
        run(o=order + ["nope"])
    assert e.value.field == "order"
    with pytest.raises(InputError) as e:
        run(o=order + order[:1])
    assert e.value.field == "order"
    bad = sites.copy()
    bad.iloc[0, bad.columns.get_loc("site_type")] = "castle"
    with pytest.raises(InputError) as e:
        run(s=bad)
    assert e.value.field == "sites.site_type"
    bad = sites.copy()
    bad.iloc[0, bad.columns.get_loc("transformer_id")] = "T999"
    with pytest.raises(InputError) as e:
        run(s=bad)
    assert e.value.field == "sites.transformer_id"
    bad = sites.copy()
    bad.iloc[0, bad.columns.get_loc("capacity_kwp")] = -5.0
    with pytest.raises(InputError) as e:
        run(s=bad)
    assert e.value.field == "sites.capacity_kwp"
    with pytest.raises(InputError) as e:
        simulate(sites, order, transformers, RolloutConfig(), OperationConfig(), seed=1,
                 start_date=date(cal.LAST_YEAR - 5, 1, 1), horizon_years=25)  # past the calendar's last year
    assert e.value.field == "start_date"


# --------------------------------------------------------------------------------------------- calendar in the model


def _one_site_run(site_type, start, rain=0.0, seed=1):
    config = RolloutConfig(
        release_mode="all_at_start",
        crew_productivity_kwp_per_day={"default": 200.0},  # 100 kWp: 0.5 d, plus 4.5 d set-up = 5 working days
        rain_day_percent_by_month=[rain] * 12,
        stages=_instant_stages(construction=_stage(4.5, "crews")), site_type_stages=ALWAYS_CONSENT,
    )
    sites = pd.DataFrame({"site_type": [site_type], "capacity_kwp": [100.0], "capex_cny": [3e5],
                          "transformer_id": ["T"]}, index=["x"])
    transformers = pd.DataFrame({"hosting_limit_kw": [1e9], "hosting_share_percent": [80.0]}, index=["T"])
    r = simulate(sites, ["x"], transformers, config, NO_FAILURES, seed=seed, start_date=start, horizon_years=2)
    return r.outcomes.loc["x", "commission_date"]


def test_calendar_in_the_simulation():
    # rooftop work just before the Spring Festival of 17 Feb 2026: works 7-9 Feb, shutdown 10 Feb - 4 Mar
    assert _one_site_run("rural_home", date(2026, 2, 7)) == pd.Timestamp("2026-03-07")
    # rooftops are not stopped by the frozen season: 20-24 Dec
    assert _one_site_run("rural_home", date(2025, 12, 20)) == pd.Timestamp("2025-12-25")
    # a ground-mounted site waits for the end of the frozen season and of the shutdown (4 Mar): 5-9 Mar
    assert _one_site_run("agrivoltaic", date(2025, 12, 20)) == pd.Timestamp("2026-03-10")
    # on rainy days nothing happens outdoors: always raining in the model's eyes -> never finished
    assert pd.isna(_one_site_run("fish_pond", date(2026, 6, 1), rain=100.0))
    # rain on some days only delays; the rainy days are the run-level weather stream's (same for every site)
    for seed in (1, 2, 3):
        rainy = cal.rain_mask(date(2026, 6, 1), 30, [50.0] * 12, stream(seed, "rollout", "weather"))
        fifth_dry_day = np.flatnonzero(~rainy)[4]
        expected = pd.Timestamp("2026-06-01") + pd.Timedelta(days=int(fifth_dry_day) + 1)
        assert _one_site_run("fish_pond", date(2026, 6, 1), rain=50.0, seed=seed) == expected
    assert _one_site_run("rural_home", date(2026, 6, 1), rain=100.0) == pd.Timestamp("2026-06-06")


def test_office_stages_count_working_days():
    config = RolloutConfig(
        release_mode="all_at_start", crew_productivity_kwp_per_day={"default": 1e12},
        stages=_instant_stages(grid_review=StageConfig(duration=fixed(20), success_percent=100, resource="reviewers",
                                                       resource_busy_percent=5)),
    )
    sites = pd.DataFrame({"site_type": ["rural_home"], "capacity_kwp": [10.0], "capex_cny": [3e4],
                          "transformer_id": ["T"]}, index=["x"])
    transformers = pd.DataFrame({"hosting_limit_kw": [1e9], "hosting_share_percent": [80.0]}, index=["T"])
    # no public holidays: Monday 6 April 2026 + 20 working days (Mon-Fri) = 4 weeks -> end of Friday 1 May
    # (2 May 00:00)
    plain = config.model_copy(update={"holidays_country": None})
    r = simulate(sites, ["x"], transformers, plain, NO_FAILURES, seed=1, start_date=date(2026, 4, 6), horizon_years=1)
    assert r.outcomes.loc["x", "commission_date"] == pd.Timestamp("2026-05-02")
    # the reviewer is busy 5 % of it: 1 working day (Monday)
    assert r.resources["reviewers"]["utilisation_horizon_percent"] == pytest.approx(100 * 1.0 / 2 / 365)
    # one reviewer of two, day 0-1
    assert r.resources["reviewers"]["utilisation_percent"] == pytest.approx(100 * 1.0 / 2 / 1.0)
    # China's 2026 holidays (State Council notice): Monday 6 April is Qingming's day off; 7-30 April are 18 working
    # days; 1-5 May is the Labour Day holiday; 6 and 7 May are days 19 and 20 -> 8 May 00:00
    r = simulate(sites, ["x"], transformers, config, NO_FAILURES, seed=1, start_date=date(2026, 4, 6), horizon_years=1)
    assert r.outcomes.loc["x", "commission_date"] == pd.Timestamp("2026-05-08")
    # from Monday 2 March: offices keep public holidays, not the construction crews' Spring Festival shutdown (to
    # 4 March): 4 weeks without a holiday -> end of Friday 27 March
    r = simulate(sites, ["x"], transformers, config, NO_FAILURES, seed=1, start_date=date(2026, 3, 2), horizon_years=1)
    assert r.outcomes.loc["x", "commission_date"] == pd.Timestamp("2026-03-28")
    assert r.resources["reviewers"]["utilisation_horizon_percent"] == pytest.approx(100 * 1.0 / 2 / 365)


# --------------------------------------------------------------------------------------------- hosting rules


def _hosting_run(when_full, planned_day=None, extra_site=False, horizon_years=2, **settings):
    settings = {"upgrade_lead_time": fixed(100)} | settings
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, site_type_stages=ALWAYS_CONSENT,
                           stages=_instant_stages(), hosting_when_full=when_full, upgrade_factor=2.0,
                           crew_productivity_kwp_per_day={"default": 1e12}, **settings)
    caps = {"a": 60.0, "b": 60.0} | ({"c": 300.0} if extra_site else {})
    sites = pd.DataFrame({"site_type": "rural_home", "capacity_kwp": list(caps.values()), "capex_cny": 1e5,
                          "transformer_id": "T"}, index=list(caps))
    transformers = pd.DataFrame({
        "rating_kva": [125.0], "hosting_share_percent": [80.0], "hosting_limit_kw": [100.0],
        "planned_upgrade_date": [pd.NaT if planned_day is None else pd.Timestamp("2026-01-01")
                                 + pd.Timedelta(days=planned_day)],
        "planned_upgrade_kva": [0.0 if planned_day is None else 125.0]}, index=["T"])
    return simulate(sites, list(caps), transformers, config, NO_FAILURES, seed=1, start_date=date(2026, 1, 1),
                    horizon_years=horizon_years)


def test_hosting_full_transformer_rules():
    # 100 kW of hosting, two 60 kWp homes: the office holds the second (never canvassed) and the grid company
    # schedules an upgrade, in service 100 d later (rating x2: +125 kVA x 80 % = +100 kW, 125 kVA x 500 CNY/kVA);
    # its capacity opens at the next quarterly disclosure, 1 July (day 181), when b is released
    r = _hosting_run("wait_upgrade")
    assert r.outcomes["release_day"].tolist() == pytest.approx([0.0, 181.0])
    assert r.outcomes["commission_day"].tolist() == pytest.approx([0.0, 181.0], abs=1e-6)
    up = r.upgrades
    assert up[["kind", "time_days", "added_hosting_kw", "added_kva", "cost_cny"]].values.tolist() == [
        ["scheduled", 100.0, 100.0, 125.0, 62500.0]]
    assert up["requested_date"].tolist() == [pd.Timestamp("2026-01-01")]
    ev = r.events[r.events["site_id"] == "b"]
    assert ev[["stage", "event", "time_days"]].values.tolist()[:4] == [
        ["hosting", "start", 0.0], ["hosting", "wait", 0.0], ["hosting", "end", 181.0], ["release", "end", 181.0]]
    assert (ev.loc[ev["stage"] == "consent", "time_days"] >= 181.0).all()  # asked only once there is room
    # ... or, without upgrades, held until the build window closes (here the horizon) and dropped, never asked
    r = _hosting_run("drop")
    assert r.outcomes["status"].tolist() == ["operating", "dropped_hosting"]
    assert np.isnan(r.outcomes.loc["b", "release_day"]) and r.outcomes.loc["b", "outcome_day"] == 730.0
    assert not ((r.events["site_id"] == "b") & (r.events["stage"] == "consent")).any()
    assert len(r.upgrades) == 0
    # a planned upgrade on day 50 (+100 kW, 140 kW open from the 1 April disclosure, day 90): b is released then;
    # c (300 kWp) still finds no room, so the grid company schedules its one unplanned upgrade on day 90 (in service
    # day 190, +200 kW, open 1 October: 280 kW) which is still not enough: c is dropped without being asked
    r = _hosting_run("wait_upgrade", planned_day=50, extra_site=True)
    assert r.outcomes["status"].tolist() == ["operating", "operating", "dropped_hosting"]
    assert r.outcomes["release_day"].tolist()[:2] == pytest.approx([0.0, 90.0])
    assert r.upgrades[["kind", "time_days", "added_hosting_kw"]].values.tolist() == [
        ["planned", 50.0, 100.0], ["scheduled", 190.0, 200.0]]
    assert not ((r.events["site_id"] == "c") & (r.events["stage"] == "consent")).any()


def test_yearly_upgrade_limit_defers_requests_to_next_year():
    """Two full transformers, a limit of one unplanned upgrade a year: the second request waits for 1 January 2027,
    its upgrade enters service 100 days later (day 465) and its home is released at the 1 July 2027 disclosure."""
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, site_type_stages=ALWAYS_CONSENT,
                           stages=_instant_stages(), upgrade_lead_time=fixed(100), max_upgrades_per_year=1,
                           crew_productivity_kwp_per_day={"default": 1e12})
    sites = pd.DataFrame({"site_type": "rural_home", "capacity_kwp": [60.0, 60.0], "capex_cny": 1e5,
                          "transformer_id": ["T1", "T2"]}, index=["a", "b"])
    transformers = pd.DataFrame({"rating_kva": [125.0, 125.0], "hosting_share_percent": 80.0,
                                 "hosting_limit_kw": [0.0, 0.0]}, index=["T1", "T2"])
    r = simulate(sites, ["a", "b"], transformers, config, NO_FAILURES, seed=1, start_date=date(2026, 1, 1),
                 horizon_years=3)
    assert r.upgrades["time_days"].tolist() == [100.0, 465.0]
    assert r.upgrades["scheduled_date"].tolist() == [pd.Timestamp("2026-01-01"), pd.Timestamp("2027-01-01")]
    assert r.upgrades["requested_date"].tolist() == [pd.Timestamp("2026-01-01")] * 2
    assert r.outcomes["release_day"].tolist() == pytest.approx([181.0, 546.0])


def test_upgrade_lead_time_is_the_transformers_own_draw():
    """The lead time is the inverse CDF of the transformer's own uniform (stream "transformer", id, "upgrade")."""
    lead = triangular(30, 200, 400)
    r = _hosting_run("wait_upgrade", upgrade_lead_time=lead)
    u = stream(1, "transformer", "T", "upgrade").random()
    assert r.upgrades["time_days"].tolist() == pytest.approx([float(lead.ppf(u))])


def _boundary_run(caps: dict[str, float], when_full: str = "drop"):
    """Homes screened on day 0 in the given order against one transformer with exactly 100 kW of open hosting
    capacity."""
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, stages=_instant_stages(),
                           site_type_stages=ALWAYS_CONSENT, hosting_when_full=when_full,
                           upgrade_lead_time=fixed(100), crew_productivity_kwp_per_day={"default": 1e12})
    sites = pd.DataFrame({"site_type": "rural_home", "capacity_kwp": list(caps.values()), "capex_cny": 1e5,
                          "transformer_id": "T"}, index=list(caps))
    sites["hosting_kw"] = sites["capacity_kwp"]
    transformers = pd.DataFrame({"rating_kva": [125.0], "hosting_share_percent": [80.0], "hosting_limit_kw": [100.0]},
                                index=["T"])
    return simulate(sites, list(caps), transformers, config, NO_FAILURES, seed=1, start_date=date(2026, 1, 1),
                    horizon_years=2)


def test_exact_capacity_fits_and_a_full_transformer_is_never_canvassed():
    """100 kW open: a 100 kW home fits exactly; after it the transformer shows 0 kW (a red zone): a 0.5 kW home
    is not released (held, then dropped) and never asked for consent; a later home on the same transformer neither.
    Just over the open capacity a home does not fit."""
    r = _boundary_run({"a": 100.0, "d": 0.5, "e": 0.01})
    assert r.outcomes["status"].tolist() == ["operating", "dropped_hosting", "dropped_hosting"]
    consent = r.events[r.events["stage"] == "consent"]
    assert consent["site_id"].unique().tolist() == ["a"]
    r = _boundary_run({"a": 100.001})
    assert r.outcomes["status"].tolist() == ["dropped_hosting"]
    r = _boundary_run({"a": 100.0})
    assert r.outcomes["status"].tolist() == ["operating"]


def test_a_declined_owner_frees_the_office_reservation_at_once():
    """Two 60 kW homes on 100 kW: a is released (60 kW reserved) and declines on day 10 (never applied), so b,
    held, is released the same day: the reservation goes back at once, not at the next disclosure."""
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, hosting_when_full="drop",
                           stages=_instant_stages(consent=StageConfig(duration=fixed(10), success_percent=100)),
                           crew_productivity_kwp_per_day={"default": 1e12},
                           site_type_stages={"rural_home": {"consent": StageConfig(success_percent=50)}})
    sites = pd.DataFrame({"site_type": "rural_home", "capacity_kwp": [60.0, 60.0], "capex_cny": 1e5,
                          "transformer_id": "T"}, index=["a", "b"])
    transformers = pd.DataFrame({"hosting_share_percent": [80.0], "hosting_limit_kw": [100.0]}, index=["T"])
    for seed in range(1, 40):  # a seed where a declines and b agrees
        r = simulate(sites, ["a", "b"], transformers, config, NO_FAILURES, seed=seed, start_date=date(2026, 1, 1),
                     horizon_years=1)
        if r.outcomes["status"].tolist() == ["declined", "operating"]:
            break
    else:
        pytest.fail("no seed with a declining and b agreeing")
    assert r.outcomes["release_day"].tolist() == pytest.approx([0.0, 10.0])


def test_after_a_planned_upgrade_the_grid_company_still_schedules_its_own():
    """A planned upgrade (+125 kVA x 80 % = +100 kW, in service on day 50) opens room for the 60 and 40 kW homes
    the office held (the 100 kW taken): the next quarterly disclosure, 1 April (day 90), shows it and both are
    released and built that day. That fills it again; once it is in service nothing is on its way, so the 10 kW
    guesthouse, still held, makes the grid company schedule an upgrade of its own on day 90 (rating 250 kVA doubled:
    +200 kW, 100 days' lead, in service on day 190); the disclosure after it, 1 October (day 273), releases the
    guesthouse, whose consent takes 150 days: commissioned on day 423."""
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, stages=_instant_stages(),
                           site_type_stages=ALWAYS_CONSENT | {"guesthouse": {"consent": _stage(150)}},
                           hosting_when_full="wait_upgrade", upgrade_lead_time=fixed(100), upgrade_factor=2.0,
                           crew_productivity_kwp_per_day={"default": 1e12})
    caps = {"a": 100.0, "b": 60.0, "c": 40.0, "e": 10.0}
    sites = pd.DataFrame({"site_type": ["rural_home"] * 3 + ["guesthouse"], "capacity_kwp": list(caps.values()),
                          "capex_cny": 1e5, "transformer_id": "T"}, index=list(caps))
    sites["hosting_kw"] = sites["capacity_kwp"]
    transformers = pd.DataFrame({"rating_kva": [125.0], "hosting_share_percent": [80.0], "hosting_limit_kw": [100.0],
                                 "planned_upgrade_date": [pd.Timestamp("2026-02-20")], "planned_upgrade_kva": [125.0]},
                                index=["T"])
    r = simulate(sites, list(caps), transformers, config, NO_FAILURES, seed=1, start_date=date(2026, 1, 1),
                 horizon_years=2)
    assert r.outcomes["status"].tolist() == ["operating"] * 4
    assert r.outcomes["release_day"].tolist() == pytest.approx([0.0, 90.0, 90.0, 273.0], abs=1e-9)
    assert r.outcomes["commission_day"].tolist() == pytest.approx([0.0, 90.0, 90.0, 423.0], abs=1e-9)
    assert r.upgrades[["kind", "time_days", "added_hosting_kw"]].values.tolist() == [
        ["planned", 50.0, 100.0], ["scheduled", 190.0, 200.0]]


def test_a_planned_upgrade_on_the_horizon_day_is_outside_the_run():
    """A planned upgrade dated on the first day after the horizon (1 January 2027 for a year from 1 January 2026)
    is not on its way within the run: the 60 kW home the office holds (the 100 kW taken) makes the grid company
    schedule an upgrade of its own (100 days) instead of waiting for the planned one; the disclosure after it,
    1 July (day 181), releases the home."""
    r = _hosting_run("wait_upgrade", planned_day=365, horizon_years=1)
    assert r.outcomes["status"].tolist() == ["operating", "operating"]
    assert r.outcomes["commission_day"].tolist() == pytest.approx([0.0, 181.0], abs=1e-9)
    assert r.upgrades["time_days"].tolist() == pytest.approx([100.0])
    assert r.upgrades["kind"].tolist() == ["scheduled"]


def test_release_order_naming_unknown_sites_shows_the_first_five():
    sites = pd.DataFrame({"site_type": "rural_home", "capacity_kwp": 10.0, "capex_cny": 1e5, "transformer_id": "T"},
                         index=["h0"])
    transformers = pd.DataFrame({"hosting_limit_kw": [100.0], "hosting_share_percent": [80.0]}, index=["T"])
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, stages=_instant_stages())
    with pytest.raises(InputError, match="not in the site table") as info:
        simulate(sites, ["h0", *[f"x{i}" for i in range(7)]], transformers, config, NO_FAILURES, seed=1,
                 start_date=date(2026, 1, 1), horizon_years=1)
    assert info.value.value == [f"x{i}" for i in range(5)]


def test_a_site_table_with_a_repeated_site_id_is_refused():
    """Two rows of the site table named h0: which one the order means is unknown, so the run is refused, naming
    the id."""
    sites = pd.DataFrame({"site_type": "rural_home", "capacity_kwp": 10.0, "capex_cny": 1e5, "transformer_id": "T"},
                         index=["h0", "h1", "h0"])
    transformers = pd.DataFrame({"hosting_limit_kw": [100.0], "hosting_share_percent": [80.0]}, index=["T"])
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, stages=_instant_stages())
    with pytest.raises(InputError, match="site ids repeat in the site table") as info:
        simulate(sites, ["h1"], transformers, config, NO_FAILURES, seed=1, start_date=date(2026, 1, 1),
                 horizon_years=1)
    assert info.value.value == ["h0"] and info.value.field == "sites.site_id"


def test_config_round_trip_and_layered_stage_settings():
    config = RolloutConfig(
        stages={"construction": StageConfig(success_percent=97)},
        site_type_stages={"fish_pond": {"construction": StageConfig(duration=fixed(9))}},
    )
    again = RolloutConfig.model_validate(config.model_dump())
    for cfg in (config, again):
        pond, home = cfg.stage("fish_pond", "construction"), cfg.stage("rural_home", "construction")
        assert pond.duration == fixed(9) and pond.success_percent == 97 and pond.resource == "crews"
        assert home.duration == triangular(0.5, 1, 3) and home.success_percent == 97
        assert cfg.stage("party_government", "consent").success_percent == 100
        assert cfg.stage("rural_home", "consent").success_percent == 43
        assert cfg.effort_days("rural_home", "grid_review", "household") == 0.125
        assert cfg.effort_days("rural_home", "grid_review", "multi_point") == 1.0
        assert cfg.productivity("fish_pond") == 80 and cfg.productivity("rural_home") == 30
    assert RolloutConfig(crew_productivity_kwp_per_day={"rural_home": 25}).productivity("fish_pond") == 30


def test_check_inputs_without_running():
    sites, transformers = _county(n=20, tight=False)
    start = date(2026, 1, 1)
    check_inputs(sites, transformers, RolloutConfig(), start_date=start)
    with pytest.raises(InputError) as e:
        check_inputs(sites, transformers, RolloutConfig(surveyors=0), start_date=start)
    assert e.value.field == "rollout.surveyors"
    # a stage that does not use the resource makes a zero count fine
    check_inputs(sites, transformers, RolloutConfig(surveyors=0, stages={"survey_design": StageConfig(resource=None)}),
                 start_date=start)


# --------------------------------------------------------------------------------------------- issue 11 rules


def _one_type_run(config, caps, *, site_type="rural_home", limit_kw=1e9, horizon_years=1, capex=1e5, types=None):
    ids = list(caps)
    sites = pd.DataFrame({"site_type": types or site_type, "capacity_kwp": list(caps.values()), "capex_cny": capex,
                          "transformer_id": "T"}, index=ids)
    transformers = pd.DataFrame({"hosting_limit_kw": [limit_kw], "hosting_share_percent": [80.0]}, index=["T"])
    return simulate(sites, ids, transformers, config, NO_FAILURES, seed=1, start_date=date(2026, 1, 1),
                    horizon_years=horizon_years)


def test_failed_acceptance_costs_money_and_abandonment_keeps_the_capex():
    """Acceptance that always fails: the site is repaired (5 % of its 100,000 CNY) and inspected again, fails again
    and is abandoned; its capex stays committed and spent, nothing is returned."""
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False,
                           stages=_instant_stages(acceptance=StageConfig(duration=fixed(1), success_percent=0,
                                                                        resource="inspectors")),
                           rework_days=fixed(4), crew_productivity_kwp_per_day={"default": 1e12})
    r = _one_type_run(config, {"a": 10.0})
    out = r.outcomes.loc["a"]
    assert out["status"] == "failed" and out["failed_stage"] == "acceptance"
    assert out["rework_cny"] == pytest.approx(5_000.0)
    assert out["outcome_day"] == pytest.approx(1 + 4 + 1)  # inspection, rework, re-inspection
    ev = r.events[r.events["stage"] == "rework"]
    assert ev["event"].tolist() == ["start", "end"] and ev["time_days"].tolist() == pytest.approx([1.0, 5.0])
    rework = r.stage_durations.set_index("stage").loc["rework"]
    assert rework["n"] == 1 and rework["mean_days"] == pytest.approx(4.0)
    assert r.spend_by_year == {2026: 100_000.0}
    b = r.budget.set_index("year")
    assert b.loc[2026, "spent_cny"] == pytest.approx(105_000.0) and b.loc[2026, "returned_cny"] == 0.0


def test_a_site_passing_re_inspection_is_built_with_its_rework_cost():
    """Acceptance passes half the time: a site whose first inspection fails and whose re-inspection passes (found
    from the documented draw order of its 'stages' stream: uniforms 13 and 15) operates after the rework."""
    from sim.rng import site_rng
    ids = [f"s{i}" for i in range(50)]
    draws = {i: site_rng(1, i, "stages").random(16) for i in ids}
    chosen = next(i for i in ids if draws[i][13] >= 0.5 and draws[i][15] < 0.5)
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False,
                           stages=_instant_stages(acceptance=StageConfig(duration=fixed(1), success_percent=50)),
                           rework_days=fixed(4), rework_cost_percent=10,
                           crew_productivity_kwp_per_day={"default": 1e12})
    out = _one_type_run(config, {chosen: 10.0}).outcomes.loc[chosen]
    assert out["status"] == "operating" and out["commission_day"] == pytest.approx(6.0)
    assert out["rework_cny"] == pytest.approx(10_000.0)


def test_waits_still_queued_at_the_horizon_are_counted_and_flagged():
    """One crew, two sites whose builds take 400 days: the second waits the whole year (censored at 365 days)."""
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, crews=1,
                           stages=_instant_stages(construction=_stage(400, "crews")),
                           crew_productivity_kwp_per_day={"default": 1e12})
    r = _one_type_run(config, {"a": 10.0, "b": 10.0})
    crews = r.resources["crews"]
    assert crews["n_censored"] == 1 and crews["n_requests"] == 2
    assert crews["mean_wait_days"] == pytest.approx((0 + 365) / 2)
    assert crews["utilisation_build_window_percent"] == pytest.approx(100.0)
    # busy all the build window: the saturation warning is the one given (it takes precedence over "still queued")
    assert any(w.startswith("crews are 100 % busy over the build window") for w in r.warnings), r.warnings
    assert not any("still queued" in w for w in r.warnings)


def _resource_row(busy_percent: float, n_censored: int) -> dict:
    return {"capacity": 2, "utilisation_build_window_percent": busy_percent, "utilisation_horizon_percent": 0.0,
            "n_censored": n_censored, "mean_wait_days": 40.0}


def test_requests_still_queued_at_the_horizon_are_flagged_when_the_resource_is_not_saturated():
    """Crews 50 % busy (below the 90 % saturation line) with 3 requests still queued at the horizon: the warning
    counts them and asks for more crews; 90 % busy exactly is not yet saturated; none queued: no warning."""
    from sim.rollout.observe import _warnings
    config = RolloutConfig()
    out = _warnings({"crews": _resource_row(50.0, 3)}, [], config)
    assert out == ["3 requests for crews are still queued at the horizon (mean wait 40 days, censored): "
                   "raise rollout.crews above 2"]
    assert "still queued" in _warnings({"crews": _resource_row(90.0, 1)}, [], config)[0]
    assert _warnings({"crews": _resource_row(50.0, 0)}, [], config) == []
    assert _warnings({"crews": _resource_row(91.0, 0)}, [], config)[0].startswith("crews are 91 % busy")


def test_release_pacing_keeps_the_pipeline_short():
    """At most one site between release and contract; grid review takes 10 days: releases 10 days apart."""
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, max_sites_in_pipeline=1,
                           stages=_instant_stages(grid_review=_stage(10)),
                           crew_productivity_kwp_per_day={"default": 1e12})
    r = _one_type_run(config, {"a": 10.0, "b": 10.0, "c": 10.0})
    assert r.outcomes["release_day"].tolist() == pytest.approx([0.0, 10.0, 20.0])
    paced_off = config.model_copy(update={"max_sites_in_pipeline": None})
    assert _one_type_run(paced_off, {"a": 10.0, "b": 10.0, "c": 10.0}).outcomes["release_day"].tolist() == [0, 0, 0]


def test_freed_hosting_capacity_opens_at_the_next_disclosure():
    """100 kW of hosting. Home a (100 kW) is released on day 0 and its order falls through on day 5 (an approved
    application given back). The public building b, screened on day 0, is held; the freed capacity opens at the
    1 April disclosure (day 90), when b is released."""
    stages = _instant_stages(procurement=StageConfig(duration=fixed(5), success_percent=100))
    config = RolloutConfig(
        release_mode="all_at_start", calendar_enabled=False, stages=stages, hosting_when_full="drop",
        crew_productivity_kwp_per_day={"default": 1e12},
        site_type_stages={"rural_home": {"procurement": StageConfig(success_percent=0)},
                          "public_building": {"consent": StageConfig(success_percent=100)}})
    r = _one_type_run(config, {"a": 100.0, "b": 100.0}, limit_kw=100.0, types=["rural_home", "public_building"])
    assert r.outcomes["status"].tolist() == ["failed", "operating"]
    assert r.outcomes["release_day"].tolist() == pytest.approx([0.0, 90.0])


def test_office_effort_depends_on_the_application_class():
    """Survey effort by class: a household application holds a surveyor 0.25 working days, a C&I roof 1 day (the
    defaults): two applications at once on one surveyor, the second waits the first's effort."""
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, surveyors=1,
                           stages=_instant_stages(survey_design=StageConfig(duration=fixed(2), resource="surveyors")),
                           crew_productivity_kwp_per_day={"default": 1e12},
                           site_type_stages=ALWAYS_CONSENT)
    for site_type, effort in (("rural_home", 0.25), ("commercial_industrial", 1.0)):
        r = _one_type_run(config, {"a": 10.0, "b": 10.0}, site_type=site_type)
        assert r.resources["surveyors"]["mean_wait_days"] == pytest.approx(effort / 2)
        assert r.outcomes["application_class"].tolist() == (
            ["household"] * 2 if site_type == "rural_home" else ["non_household"] * 2)


@pytest.mark.parametrize("model, field, good, bad", [
    (RolloutConfig, "disclosure_interval_months", 1, 0),
    (RolloutConfig, "disclosure_interval_months", 12, 13),
    (RolloutConfig, "upgrade_cost_cny_per_kva", 0.0, -1.0),
    (RolloutConfig, "max_upgrades_per_year", 0, -1),
    (RolloutConfig, "upgrade_factor", 1.01, 1.0),
    (RolloutConfig, "upgrade_factor", 1e6, float("inf")),
    (RolloutConfig, "rework_cost_percent", 100.0, 100.5),
    (OperationConfig, "degradation_first_year_percent", 100.0, 100.5),
    (OperationConfig, "degradation_percent_per_year", 0.0, -0.1),
])
def test_config_bounds_at_their_edges(model, field, good, bad):
    """Each bound at its edge: the documented limit is accepted, a step past it refused."""
    assert getattr(model(**{field: good}), field) == good
    with pytest.raises(ValueError, match=field):
        model(**{field: bad})


def test_holidays_country_is_an_iso_code_the_package_knows_or_none():
    assert RolloutConfig(holidays_country="de").holidays_country == "DE"
    assert RolloutConfig(holidays_country=None).holidays_country is None
    with pytest.raises(ValueError, match="unknown country code 'XX'"):
        RolloutConfig(holidays_country="XX")


def test_office_effort_may_be_zero_but_not_negative():
    assert StageConfig(effort_days_by_class={"household": 0.0}).effort_days_by_class == {"household": 0.0}
    with pytest.raises(ValueError, match="effort of 'household'"):
        StageConfig(effort_days_by_class={"household": -0.5})


def test_a_site_of_zero_capex_is_accepted():
    """A donated system (capex 0) goes through; only a negative or missing capex is refused."""
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False, stages=_instant_stages(),
                           crew_productivity_kwp_per_day={"default": 1e12})
    assert _one_type_run(config, {"a": 10.0}, capex=0.0).outcomes.loc["a", "status"] == "operating"
    with pytest.raises(InputError, match="capex"):
        _one_type_run(config, {"a": 10.0}, capex=-1.0)


def test_the_rework_time_is_the_sites_own_rework_draw():
    """Acceptance passes half the time, rework takes uniform(0, 10) working days: a site that fails its first
    inspection and passes the second commissions at 1 (inspection) + 10 x u + 1 (re-inspection), u the first of
    the two rework uniforms of its 'stages' stream (after the two per stage)."""
    from sim.rng import site_rng
    n = 2 * len(STAGES)
    ids = [f"s{i}" for i in range(50)]
    draws = {i: site_rng(1, i, "stages").random(n + 2) for i in ids}
    chosen = next(i for i in ids if draws[i][13] >= 0.5 and draws[i][n + 1] < 0.5)
    config = RolloutConfig(release_mode="all_at_start", calendar_enabled=False,
                           stages=_instant_stages(acceptance=StageConfig(duration=fixed(1), success_percent=50)),
                           rework_days=Duration(dist="uniform", low_days=0.0, high_days=10.0),
                           crew_productivity_kwp_per_day={"default": 1e12})
    out = _one_type_run(config, {chosen: 10.0}).outcomes.loc[chosen]
    assert out["commission_day"] == pytest.approx(2.0 + 10.0 * draws[chosen][n], abs=1e-9)


def test_rollout_settings_at_their_edges_by_hand():
    """Classes a stage's effort leaves out keep the default stage's effort (a reviewer's 0.5 day on a non-household
    application, 1 day multi-point); a site whose connection_points is missing is a single-point application; rain
    may take every day of a month (100 %) but no more; a track's target must be a finite capacity."""
    from pydantic import ValidationError

    from sim.rollout.config import APPLICATION_CLASSES, TrackConfig, application_classes

    config = RolloutConfig(stages={"grid_review": StageConfig(effort_days_by_class={"household": 0.25})})
    assert config.effort_days("rural_home", "grid_review", "household") == 0.25
    assert config.effort_days("rural_home", "grid_review", "non_household") == 0.5
    assert config.effort_days("rural_home", "grid_review", "multi_point") == 1.0
    sites = pd.DataFrame({"site_type": ["rural_home", "rural_home", "guesthouse"],
                          "connection_points": [np.nan, 1, 2]})
    assert [APPLICATION_CLASSES[c] for c in application_classes(sites)] == ["household", "household", "multi_point"]
    assert RolloutConfig(rain_day_percent_by_month=[100.0] * 12).rain_day_percent_by_month[0] == 100.0
    with pytest.raises(ValidationError, match="0..100"):
        RolloutConfig(rain_day_percent_by_month=[100.5] + [0.0] * 11)
    track = {"name": "a", "site_types": ["rural_home"], "annual_budget_cny": 1e6}
    assert TrackConfig(**track, target_capacity_kwp=1e6).target_capacity_kwp == 1e6
    for bad in (float("inf"), float("nan"), 0.0):
        with pytest.raises(ValidationError, match="target_capacity_kwp"):
            TrackConfig(**track, target_capacity_kwp=bad)


def test_downtime_is_split_at_each_1_january():
    """An outage from day 360 to day 370 of a run from 1 January 2026 (1 January 2027 is day 365) counts 5 days in
    each year; one open at the horizon (day 700, horizon 730) is cut there: 30 days in 2027."""
    from types import SimpleNamespace

    from sim.rollout.observe import _downtime_table

    collector = SimpleNamespace(downtime=[(0, 360.0, 370.0)], open_failures={1: 700.0})
    table = _downtime_table(collector, np.array(["a", "b"]), 2026, [365.0], 730.0)
    assert table.values.tolist() == [["a", 2026, 5.0], ["a", 2027, 5.0], ["b", 2027, 30.0]]
