"""The one programme model (sim.programme): tracks, hosting kW, expectations by hand, and what held a track back."""

from __future__ import annotations

import pandas as pd
import pytest

from sim._config import SITE_TYPES
from sim.programme import Track, held_back_by, site_expectations, track_index, tracks, with_hosting_kw
from sim.rollout import RolloutConfig


def test_a_programme_without_tracks_is_one_track_of_every_type():
    (one,) = tracks(RolloutConfig(annual_budget_cny=5e6, target_capacity_kwp=900.0, budget_carry_over=True))
    assert one == Track("", tuple(SITE_TYPES), None, 5e6, True, 900.0)
    (free,) = tracks(RolloutConfig(release_mode="poisson"))
    assert free.annual_budget_cny is None  # money is no constraint outside budget mode


def test_tracks_keep_their_own_money_carry_over_and_target():
    config = RolloutConfig(budget_carry_over=False, tracks=[
        {"name": "roofs", "site_types": ["rural_home"], "annual_budget_cny": 2e6, "target_capacity_kwp": 100.0},
        {"name": "farms", "site_types": ["agrivoltaic", "fish_pond"], "strategy": "max_yield",
         "annual_budget_cny": 3e6, "target_capacity_kwp": 200.0, "budget_carry_over": True}])
    roofs, farms = tracks(config)
    assert (roofs.annual_budget_cny, roofs.carry_over, roofs.target_capacity_kwp) == (2e6, False, 100.0)
    assert (farms.strategy, farms.carry_over, farms.site_types) == ("max_yield", True, ("agrivoltaic", "fish_pond"))
    assert track_index((roofs, farms), ["fish_pond", "rural_home", "guesthouse"]).tolist() == [1, 0, -1]


def test_hosting_kw_is_the_ac_capacity():
    sites = pd.DataFrame({"capacity_kwp": [60.0, 12.0]})
    assert with_hosting_kw(sites, 1.2)["hosting_kw"].tolist() == pytest.approx([50.0, 10.0])
    assert "hosting_kw" not in sites  # the caller's frame is not changed


def test_expectations_of_a_home_by_hand():
    """Default stages: a home consents with 43 % (the Shandong survey), signs if it consents (survey, filing and review always pass),
    passes procurement with 98 %, and acceptance with 99 % at the first inspection or after one rework."""
    sites = pd.DataFrame({"site_type": ["rural_home", "public_building"], "capacity_kwp": [20.0, 100.0]})
    e = site_expectations(sites, RolloutConfig())
    assert e.p_consent.tolist() == pytest.approx([0.43, 0.95])
    assert e.p_contract.tolist() == pytest.approx([0.43, 0.95])
    assert e.p_complete[0] == pytest.approx(0.43 * 0.98 * (0.99 + 0.01 * 0.99))
    # reviewers: 1 h (0.125 working days) on a household application, half a day on another, if it consents
    assert e.effort_days["reviewers"].tolist() == pytest.approx([0.43 * 0.125, 0.95 * 0.5])
    # inspectors: a visit (0.25 d for a home) if it reaches acceptance, a second one after a failed first
    reach = 0.43 * 0.98
    assert e.effort_days["inspectors"][0] == pytest.approx(reach * 0.25 * (1 + 0.01))
    # crews: set-up (mean of triangular 0.5, 1, 3) + 20 kWp / 30 kWp a day, and a rework (mean of 3, 7, 15)
    assert e.effort_days["crews"][0] == pytest.approx(reach * (1.5 + 20 / 30) + reach * 0.01 * 25 / 3)


TRACK = Track("roofs", ("rural_home",), None, 1e6, False, 1000.0)


def _sites(statuses: list[str], cap: float = 100.0, capex: float = 3e5) -> pd.DataFrame:
    return pd.DataFrame({"status": statuses, "capacity_kwp": cap, "capex_cny": capex})


@pytest.mark.parametrize("statuses, committed, budget, cause", [
    (["operating"] * 10, 0.0, None, None),  # reached
    (["operating"] * 10 + ["not_released"] * 3, 0.0, None, None),
    (["operating"] * 8 + ["in_progress"] * 2, 0.0, None, "time"),
    (["operating"] * 5 + ["not_released"] * 5, 2.8e6, 3e6, "budget"),
    (["operating"] * 5 + ["declined"] * 2 + ["not_prioritised"] * 4, 0.0, None, "strategy"),
    (["operating"] * 5 + ["dropped_hosting"] * 2 + ["ineligible"], 0.0, None, "sites"),
    (["operating"] * 5 + ["not_released"] * 5, 1.5e6, 3e6, "build window"),
])
def test_what_held_a_track_back(statuses, committed, budget, cause):
    got = held_back_by(TRACK, _sites(statuses), committed, budget)
    assert (got if got is None else got.split(":")[0]) == cause


def test_95_percent_of_the_target_counts_as_reached():
    assert held_back_by(TRACK, _sites(["operating"] * 10 + ["not_released"], cap=95.0), 0.0, None) is None
    assert held_back_by(TRACK, _sites(["operating"] * 10 + ["not_released"], cap=94.9), 0.0, None) is not None


def test_no_target_nothing_held_back():
    assert held_back_by(Track("x", ("rural_home",), None, None, False, None), _sites(["declined"]), 0.0, None) is None
