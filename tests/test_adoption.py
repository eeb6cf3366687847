"""Tests of household adoption over time (rollout.adoption): the Bass diffusion within a village, checked by hand
against the households' own keyed draws."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from sim._config import fixed
from sim.rng import site_rng
from sim.rollout import STAGES, OperationConfig, RolloutConfig, StageConfig, simulate
from sim.rollout.config import AdoptionConfig, build_window_end_day
from sim.rollout.setup import VillageMarket, village_key
from sim.timebase import DAYS_PER_YEAR

NO_FAILURES = OperationConfig(inverter_mtbf_years=None)
START = date(2026, 1, 1)
SEED = 7


def _stages(consent_days: float, consent_percent: float, construction_days: float = 0.0) -> dict:
    """Every stage instant and passed, no resources, except the consent visit and (optionally) construction."""
    stages = {st: StageConfig(duration=fixed(0), success_percent=100, resource=None) for st in STAGES}
    stages["consent"] = StageConfig(duration=fixed(consent_days), success_percent=consent_percent, resource=None)
    stages["construction"] = StageConfig(duration=fixed(construction_days), success_percent=100, resource=None)
    return stages


def _homes(villages: list[str], site_type: str = "rural_home") -> pd.DataFrame:
    return pd.DataFrame(
        {"site_type": site_type, "capacity_kwp": 10.0, "capex_cny": 1e4, "transformer_id": "T", "village": villages},
        index=[f"h{i:03d}" for i in range(len(villages))],
    )


def _run(sites: pd.DataFrame, stages: dict, adoption: dict, horizon_years: int = 6):
    transformers = pd.DataFrame({"hosting_limit_kw": [np.inf], "hosting_share_percent": [80.0]}, index=["T"])
    config = RolloutConfig(
        release_mode="all_at_start",
        calendar_enabled=False,
        crew_productivity_kwp_per_day={"default": 1e9},  # construction lasts its stage duration only
        stages=stages,
        site_type_stages={},
        adoption=adoption,
    )
    return simulate(
        sites,
        list(sites.index),
        transformers,
        config,
        NO_FAILURES,
        seed=SEED,
        start_date=START,
        horizon_years=horizon_years,
    )


def _exposure(site_id: str) -> float:
    """The household's unit-exponential draw, by hand from its keyed stream."""
    return -math.log(1.0 - site_rng(SEED, site_id, "adoption").random())


def _consent_end(result) -> dict[str, float]:
    ev = result.events
    ends = ev[(ev["stage"] == "consent") & (ev["event"] == "end")]
    return dict(zip(ends["site_id"], ends["time_days"]))


def test_without_imitation_each_household_agrees_its_own_exponential_time_after_release():
    """q = 0: the hazard is p, so a would-be adopter asked on day 0 agrees on day E / p (E its unit-exponential draw),
    or at the end of the 5-day visit if that is later; all other stages are instant, so it is built the same day.
    Households whose day falls after the 5-year build window decline when it closes."""
    p_per_year = 0.4
    sites = _homes(["A"] * 40)
    result = _run(sites, _stages(5.0, 100.0), {"model": "bass", "p_per_year": p_per_year, "q_per_year": 0.0})
    window_end = build_window_end_day(START, 5.0, 6)
    due = {s: max(5.0, _exposure(s) / (p_per_year / DAYS_PER_YEAR)) for s in sites.index}
    out = result.outcomes.set_index("site_id") if "site_id" in result.outcomes.columns else result.outcomes
    agreed = {s: t for s, t in due.items() if t < window_end}
    assert 5 < len(agreed) < 40  # both branches are exercised
    assert _consent_end(result) == pytest.approx(agreed, rel=1e-9)
    assert out.loc[list(agreed), "commission_day"].to_numpy() == pytest.approx(list(agreed.values()), rel=1e-9)
    late = sorted(set(due) - set(agreed))
    assert (out.loc[late, "status"] == "declined").all()
    ev = result.events
    declines = ev[(ev["stage"] == "consent") & (ev["event"] == "decline")]
    assert declines.set_index("site_id")["time_days"].to_dict() == pytest.approx(dict.fromkeys(late, window_end))
    # and the drawn times are exponential with rate p: the share agreeing within a year is near 1 - exp(-p)
    share = np.mean([t <= DAYS_PER_YEAR for t in due.values()])
    assert abs(share - (1 - math.exp(-p_per_year))) < 0.2


def test_the_clock_of_a_household_starts_when_it_is_first_asked():
    """Releases at random (Poisson) times, q = 0: each would-be adopter agrees E / p after its own release (or at the
    end of its 5-day visit), whatever the village's clock read when it was asked."""
    p_per_year = 1.0
    sites = _homes(["A"] * 30)
    transformers = pd.DataFrame({"hosting_limit_kw": [np.inf], "hosting_share_percent": [80.0]}, index=["T"])
    config = RolloutConfig(release_mode="poisson", poisson_rate_per_day=0.05, calendar_enabled=False,
                           crew_productivity_kwp_per_day={"default": 1e9}, stages=_stages(5.0, 100.0),
                           site_type_stages={}, adoption={"model": "bass", "p_per_year": p_per_year, "q_per_year": 0})
    result = simulate(sites, list(sites.index), transformers, config, NO_FAILURES, seed=SEED, start_date=START,
                      horizon_years=6)
    out = result.outcomes
    released = dict(zip(out.index if "site_id" not in out else out["site_id"], out["release_day"]))
    ends = _consent_end(result)
    assert len(ends) > 15 and np.ptp([released[s] for s in ends]) > 100  # asked on many different days
    expected = {s: released[s] + max(5.0, _exposure(s) / (p_per_year / DAYS_PER_YEAR)) for s in ends}
    assert ends == pytest.approx(expected, rel=1e-9)


def test_a_neighbours_built_array_raises_the_hazard_to_p_plus_q_over_m():
    """Two would-be adopters in one village (M = 2), asked on day 0, no visit; construction takes 30 days. The first
    agrees at E1 / p; its array is built 30 days later (day c); from then the other's hazard is p + q / 2, so it
    agrees on day c + (E2 - p c) / (p + q / 2) if its own E2 / p comes after c."""
    p, q = 1.0 / DAYS_PER_YEAR, 4.0 / DAYS_PER_YEAR
    sites = _homes(["A", "A"])
    result = _run(
        sites, _stages(0.0, 100.0, construction_days=30.0), {"model": "bass", "p_per_year": 1.0, "q_per_year": 4.0}
    )
    first, second = sorted(sites.index, key=_exposure)
    t_first = _exposure(first) / p
    built = t_first + 30.0
    own = _exposure(second) / p
    expected = own if own <= built else built + (_exposure(second) - p * built) / (p + q / 2)
    ends = _consent_end(result)
    assert ends[first] == pytest.approx(t_first, rel=1e-9)
    assert ends[second] == pytest.approx(expected, rel=1e-9)
    assert own > built  # this seed exercises the neighbour effect: the second agrees earlier than on its own
    assert expected < own


def test_village_hazard_steps_by_q_over_m_per_built_array():
    village = VillageMarket(market=4, p_per_day=0.001, q_per_day=0.02)
    assert village.hazard_per_day() == pytest.approx(0.001)
    village.note_built(10.0)
    village.note_built(30.0)
    assert village.hazard_per_day() == pytest.approx(0.001 + 0.02 * 2 / 4)
    # cumulative hazard: 0.001 x 10 + (0.001 + 0.005) x 20 + (0.001 + 0.01) x 5 at day 35
    assert village.cumulative(35.0) == pytest.approx(0.01 + 0.12 + 0.055)
    assert village.time_of(village.cumulative(35.0)) == pytest.approx(35.0)


def test_eventual_share_never_exceeds_the_market_and_other_types_keep_one_shot_consent():
    """The households that agree under Bass are among those whose consent draw says yes (43 % here), so the built
    share never exceeds the market share; with a large p every one of them comes forward in time. Guesthouses are
    not a Bass type: their outcomes do not change."""
    villages = ["A"] * 30 + ["B"] * 30 + ["C"] * 20
    sites = _homes(villages)
    sites.loc[sites.index[-20:], "site_type"] = "guesthouse"
    stages = _stages(10.0, 43.0, construction_days=20.0)
    fixed_run = _run(sites, stages, {"model": "fixed"})
    slow = _run(sites, stages, {"model": "bass", "p_per_year": 0.2, "q_per_year": 0.5})
    fast = _run(sites, stages, {"model": "bass", "p_per_year": 50.0, "q_per_year": 0.5})

    def built(result) -> set:
        o = result.outcomes
        return (
            set(o.index[o["status"] == "operating"])
            if "site_id" not in o
            else set(o.loc[o["status"] == "operating", "site_id"])
        )

    homes = set(sites.index[sites["site_type"] == "rural_home"])
    market = built(fixed_run) & homes
    assert 0 < len(built(slow) & homes) < len(market)
    assert built(slow) & homes <= market
    assert built(fast) & homes == market
    guests = set(sites.index) - homes
    assert built(slow) & guests == built(fixed_run) & guests
    for result in (fixed_run, slow, fast):
        ev = result.events
        assert not (ev["site_id"].isin(list(set(sites.index) - built(result))) & (ev["stage"] == "construction")).any()


def test_fixed_mode_ignores_the_bass_parameters_and_runs_are_reproducible():
    sites = _homes(["A"] * 20 + ["B"] * 20)
    stages = _stages(10.0, 43.0, construction_days=20.0)
    default = _run(sites, stages, {})
    fixed_other = _run(sites, stages, {"model": "fixed", "p_per_year": 9.0, "q_per_year": 9.0})
    pd.testing.assert_frame_equal(default.events, fixed_other.events)
    assert set(default.events["event"]) <= {"start", "end", "decline"}  # one-shot: no deferral
    bass_a = _run(sites, stages, {"model": "bass"})
    bass_b = _run(sites, stages, {"model": "bass"})
    pd.testing.assert_frame_equal(bass_a.events, bass_b.events)


def test_village_key_joins_township_and_village_and_defaults_to_one_market():
    sites = pd.DataFrame({"township": ["T1", "T2", "T1"], "village": ["East", "East", "East"]})
    key = village_key(sites)
    assert key.iloc[0] == key.iloc[2] != key.iloc[1]
    assert village_key(pd.DataFrame({"site_type": ["a", "b"]})).nunique() == 1


def test_adoption_settings_are_checked():
    with pytest.raises(ValueError, match="p_per_year"):
        AdoptionConfig(model="bass", p_per_year=0.0)
    with pytest.raises(ValueError, match="q_per_year"):
        AdoptionConfig(model="bass", q_per_year=-1.0)
    with pytest.raises(ValueError, match="model"):
        AdoptionConfig(model="logistic")


def test_summary_counts_agreements_and_deferrals_by_year_and_the_report_names_the_model():
    from sim.pipeline import _adoption
    from sim.report._context import adoption_text

    sites = pd.DataFrame({"site_id": ["h1", "h2", "h3", "g1"], "site_type": ["rural_home"] * 3 + ["guesthouse"],
                          "township": "T", "village": ["A", "A", "B", "A"]})
    events = pd.DataFrame({
        "site_id": ["h1", "h2", "h2", "h3", "g1", "h1"],
        "stage": ["consent", "consent", "consent", "consent", "consent", "construction"],
        "event": ["end", "wait", "end", "wait", "end", "end"],
        "date": pd.to_datetime(["2026-03-01", "2026-03-01", "2027-05-01", "2027-01-01", "2026-02-01", "2026-04-01"]),
    })
    bass = AdoptionConfig(model="bass", p_per_year=0.05, q_per_year=0.4)
    out = _adoption(bass, sites, events)
    assert out == {"model": "bass", "p_per_year": 0.05, "q_per_year": 0.4, "site_types": ["rural_home"],
                   "villages": 2, "agreed_by_year": {2026: 1, 2027: 1}, "deferred_by_year": {2026: 1, 2027: 1}}
    assert _adoption(AdoptionConfig(), sites, events) == {"model": "fixed"}
    assert adoption_text(out, "en") == "Bass diffusion within each village: p = 0.05 and q = 0.4 a year, rural homes"
    assert adoption_text({"model": "fixed"}, "en").startswith("one decision at the canvassing visit")


def test_the_events_log_says_decline_for_a_refusal_and_wait_only_for_a_bass_deferral():
    """events.parquet stays faithful: in fixed mode a refusal at the 5-day visit is a consent ``decline`` on day 5 and
    no household ever ``wait``s; under Bass a would-be adopter whose day is later logs a consent ``wait`` at the end
    of its visit."""
    sites = _homes(["A"] * 6)
    fixed_run = _run(sites, _stages(5.0, 0.0), {"model": "fixed"})
    ev = fixed_run.events[fixed_run.events["stage"] == "consent"]
    assert set(ev["event"]) == {"start", "decline"}
    declines = ev[ev["event"] == "decline"]
    assert sorted(declines["site_id"]) == list(sites.index) and (declines["time_days"] == 5.0).all()
    bass_run = _run(sites, _stages(5.0, 100.0), {"model": "bass", "p_per_year": 0.5, "q_per_year": 0.0})
    ev = bass_run.events[bass_run.events["stage"] == "consent"]
    later = {s for s in sites.index if _exposure(s) / (0.5 / DAYS_PER_YEAR) > 5.0}
    waits = ev[ev["event"] == "wait"]
    assert later and set(waits["site_id"]) == later and (waits["time_days"] == 5.0).all()


def test_a_household_that_defers_gives_its_earmarked_money_back_at_once():
    """A budget of one home (10,000 CNY a year): the office asks one household at a time. Under Bass with a tiny p
    every household defers at the end of its 5-day visit and its earmark goes back to the plan at once, so the next
    one is asked that same day (days 0, 5, 10), not after the 1 January refill."""
    sites = _homes(["A"] * 3)
    transformers = pd.DataFrame({"hosting_limit_kw": [np.inf], "hosting_share_percent": [80.0]}, index=["T"])
    config = RolloutConfig(release_mode="budget", annual_budget_cny=1e4, calendar_enabled=False,
                           crew_productivity_kwp_per_day={"default": 1e9}, stages=_stages(5.0, 100.0),
                           site_type_stages={}, adoption={"model": "bass", "p_per_year": 1e-4, "q_per_year": 0.0})
    result = simulate(sites, list(sites.index), transformers, config, NO_FAILURES, seed=SEED, start_date=START,
                      horizon_years=3)
    out = result.outcomes
    assert sorted(out["release_day"].dropna()) == [0.0, 5.0, 10.0]
    assert (result.events["event"] == "wait").sum() == 3
