"""Programme tracks (``rollout.tracks``): each track releases its own sites with its own money, target and order,
sharing the crews, offices and grid of the county."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sim._config import fixed
from sim.errors import InputError
from sim.rollout import STAGES, OperationConfig, RolloutConfig, StageConfig, simulate

NO_FAILURES = OperationConfig(inverter_mtbf_years=None)
START = date(2026, 1, 1)

#: the types whose default consent is a site-type layer (over ``stages``): set to 100 % where a case needs it
OWNER_CONSENT_TYPES = ("party_government", "public_building", "commercial_industrial", "agrivoltaic", "greenhouse",
                       "fish_pond", "tourism_carpark")


def _stages(construction_days: float = 0.0) -> dict[str, StageConfig]:
    """Every stage instant and certain, except construction (fixed set-up, one crew held throughout)."""
    stages = {st: StageConfig(duration=fixed(0), success_percent=100, resource=None) for st in STAGES}
    stages["construction"] = StageConfig(duration=fixed(construction_days), success_percent=100, resource="crews",
                                         resource_busy_percent=100)
    return stages


def _sites() -> pd.DataFrame:
    """Ten homes (100 kCNY each), six agrivoltaic sites (1 M CNY each), two guesthouses; one roomy transformer."""
    types = ["rural_home"] * 10 + ["agrivoltaic"] * 6 + ["guesthouse"] * 2
    cap = [20.0] * 10 + [300.0] * 6 + [30.0] * 2
    capex = [100e3] * 10 + [1e6] * 6 + [90e3] * 2
    ids = [f"s{i:02d}" for i in range(len(types))]
    return pd.DataFrame({"site_type": types, "capacity_kwp": cap, "capex_cny": capex, "transformer_id": "T0"},
                        index=pd.Index(ids, name="site_id"))


TRANSFORMERS = pd.DataFrame({"hosting_limit_kw": [np.inf], "hosting_share_percent": [100.0]},
                            index=pd.Index(["T0"], name="transformer_id"))


def _config(**changes) -> RolloutConfig:
    raw = {
        "release_mode": "budget", "calendar_enabled": False, "build_window_years": 3, "crews": 20,
        "stages": _stages(), "site_type_stages": {t: {"consent": {"success_percent": 100.0}} for t in OWNER_CONSENT_TYPES},
        "tracks": [{"name": "rooftop", "site_types": ["rural_home"], "annual_budget_cny": 300e3,
                    "target_capacity_kwp": 1000},
                   {"name": "farm", "site_types": ["agrivoltaic"], "annual_budget_cny": 2e6,
                    "target_capacity_kwp": 1800}],
    }
    raw.update(changes)
    return RolloutConfig.model_validate(raw)


def _run(config: RolloutConfig, order=None):
    sites = _sites()
    order = list(sites.index) if order is None else order
    return simulate(sites, order, TRANSFORMERS, config, NO_FAILURES, seed=1, start_date=START, horizon_years=4)


def test_each_track_spends_its_own_budget_per_year():
    result = _run(_config())
    # rooftop: 300 kCNY a year buys 3 homes a year for the 3 years of the window (9 of the 10)
    # farm: 2 M CNY a year buys 2 agrivoltaic sites a year (all 6 in 3 years)
    rooftop, farm = result.tracks["rooftop"]["spend_by_year"], result.tracks["farm"]["spend_by_year"]
    assert rooftop == {2026: 300e3, 2027: 300e3, 2028: 300e3}
    assert farm == {2026: 2e6, 2027: 2e6, 2028: 2e6}
    # one programme's figures are the sum of the tracks'
    assert result.spend_by_year == {y: rooftop[y] + farm[y] for y in rooftop}
    assert result.budget["budget_cny"].iloc[0] == pytest.approx(2.3e6)


def test_sites_of_types_in_no_track_stay_not_released():
    outcomes = _run(_config()).outcomes
    assert (outcomes.loc[outcomes["site_type"] == "guesthouse", "status"] == "not_released").all()
    assert (outcomes.loc[outcomes["site_type"] == "agrivoltaic", "status"] == "operating").all()


def test_each_track_releases_in_its_own_order_and_stops_at_its_target():
    sites = _sites()
    homes = list(sites.index[sites["site_type"] == "rural_home"][::-1])  # the last home first
    farms = list(sites.index[sites["site_type"] == "agrivoltaic"])
    outcomes = _run(_config(tracks=[
        {"name": "rooftop", "site_types": ["rural_home"], "annual_budget_cny": 1e9, "target_capacity_kwp": 60},
        {"name": "farm", "site_types": ["agrivoltaic"], "annual_budget_cny": 1e9, "target_capacity_kwp": 1e6},
    ]), order=farms + homes).outcomes
    released = outcomes[outcomes["status"] != "not_released"]
    assert released.index[released["site_type"] == "rural_home"].tolist() == homes[:3]  # 3 x 20 kWp = its target
    assert released.index[released["site_type"] == "agrivoltaic"].tolist() == farms  # its target is far away


def test_tracks_share_one_crew_pool():
    """One crew: the farm track's sites wait while the crew builds the rooftop track's (released first)."""
    tracks = [{"name": "rooftop", "site_types": ["rural_home"], "annual_budget_cny": 1e9, "target_capacity_kwp": 20},
              {"name": "farm", "site_types": ["agrivoltaic"], "annual_budget_cny": 1e9, "target_capacity_kwp": 300}]
    outcomes = _run(_config(crews=1, tracks=tracks, stages=_stages(construction_days=10),
                            crew_productivity_kwp_per_day={"default": 1e9})).outcomes
    built = outcomes[outcomes["status"] == "operating"]
    # the home is released first (rooftop office starts first) and takes the crew for 10 days; the farm site waits
    assert sorted(built["commission_day"].tolist()) == pytest.approx([10.0, 20.0], abs=1e-6)
    alone = _run(_config(crews=2, tracks=tracks, stages=_stages(construction_days=10),
                         crew_productivity_kwp_per_day={"default": 1e9})).outcomes
    assert alone.loc[alone["status"] == "operating", "commission_day"].tolist() == pytest.approx([10.0, 10.0])


def test_without_tracks_one_programme_as_before():
    config = _config(tracks=[], annual_budget_cny=3e6, target_capacity_kwp=None)
    result = _run(config)
    assert result.tracks == {}
    assert (result.outcomes["status"] == "operating").all()  # every type is released


@pytest.mark.parametrize("tracks, match", [
    ([{"name": "a", "site_types": ["rural_home"], "annual_budget_cny": 1, "target_capacity_kwp": 1},
      {"name": "b", "site_types": ["rural_home", "greenhouse"], "annual_budget_cny": 1, "target_capacity_kwp": 1}],
     "site type 'rural_home' is in tracks 'a' and 'b'"),
    ([{"name": "a", "site_types": ["rural_home"], "target_capacity_kwp": 1}], "annual_budget_cny"),
])
def test_bad_tracks_rejected(tracks, match):
    with pytest.raises(ValueError, match=match):
        _config(tracks=tracks)


def test_a_track_that_cannot_fund_its_cheapest_site_names_the_track():
    tracks = [{"name": "farm", "site_types": ["agrivoltaic"], "annual_budget_cny": 5e5, "target_capacity_kwp": 1}]
    with pytest.raises(InputError, match=r"rollout\.tracks\.0\.annual_budget_cny"):
        _run(_config(tracks=tracks))


@pytest.mark.slow
def test_demo_builds_rooftops_farm_pv_and_tourism_pv(cache_dir):
    from sim import pipeline
    from sim.scenario import load_scenario

    from .conftest import DEMO_SCENARIO

    scenario = load_scenario(DEMO_SCENARIO)
    tracks = {track.name: track for track in scenario.rollout.tracks}
    assert scenario.rollout.annual_budget_cny == sum(t.annual_budget_cny for t in tracks.values())
    result = pipeline.run_prepared(pipeline.prepare(scenario, cache_dir=cache_dir))
    by_track, sites = result.summary["by_track"], result.sites
    built = sites[sites["status"] == "operating"]
    assert set(by_track) == set(tracks) == set(built["track"])
    for name, track in tracks.items():
        assert by_track[name]["capacity_built_kwp"] > 0
        assert set(built.loc[built["track"] == name, "site_type"]) <= set(track.site_types)
        assert by_track[name]["capacity_built_kwp"] == pytest.approx(
            built.loc[built["track"] == name, "capacity_kwp"].sum())
        spend = np.cumsum(list(by_track[name]["spend_by_year_cny"].values()))
        if track.budget_carry_over:  # the money committed never runs ahead of the money given
            years = np.array(list(by_track[name]["spend_by_year_cny"])) - scenario.start_date.year + 1
            assert np.all(spend <= track.annual_budget_cny * years + 1e-3)
        else:
            assert max(by_track[name]["spend_by_year_cny"].values()) <= track.annual_budget_cny + 1e-3
    assert sum(t["capacity_built_kwp"] for t in by_track.values()) == pytest.approx(
        result.summary["capacity_built_kwp"])
    # the report's programme section lists each track with what it built (both languages have their labels)
    from sim.labels import label, quantity
    from sim.report.run import _track_table

    for lang in ("en", "zh"):
        table = _track_table(result.summary, lang)
        assert label("label.track", lang) in table and label("label.target_reached", lang) in table
        for name, track in by_track.items():
            assert name in table and quantity(track["capacity_built_kwp"], "kWp", lang) in table
