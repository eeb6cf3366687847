"""The county's country from its location, and the defaults that follow it (sim/country.py)."""

from __future__ import annotations

import pytest

from sim import country
from sim.errors import InputError
from sim.scenario import scenario_from_dict

from .conftest import scenario_dict

PLACES = {  # a village in each country [°]: latitude, longitude, expected country, time zone
    "Huailai": (40.4, 115.5, "CN", "Asia/Shanghai"),
    "Kirchberg an der Iller": (48.136, 10.07, "DE", "Europe/Berlin"),
    "Sydney": (-33.87, 151.2, "AU", "Australia/Sydney"),
    "Helsinki": (60.17, 24.94, "FI", "Europe/Helsinki"),
    "Oslo": (59.91, 10.75, "NO", "Europe/Oslo"),
}


@pytest.mark.parametrize("place", PLACES)
def test_country_at(place):
    lat, lon, code, _ = PLACES[place]
    assert country.country_at(lat, lon) == code


def test_no_country_at_sea():
    assert country.country_at(0.0, -30.0) is None


def scenario(tmp_path, **changes):
    raw = scenario_dict(tmp_path / "sites.gpkg")
    carbon = changes.pop("carbon", None)
    if carbon is not None:
        raw["carbon"] = carbon
    raw.update(changes)
    return scenario_from_dict(raw, path=tmp_path / "scenario.yaml")


def localised(tmp_path, place, **changes):
    lat, lon, _, zone = PLACES[place]
    return country.apply_location(scenario(tmp_path, **changes), lat, lon, zone)


def test_a_chinese_county_keeps_every_default(tmp_path):
    base = scenario(tmp_path)
    got, profile = country.apply_location(base, 40.4, 115.5, "Asia/Shanghai")
    assert got is base  # nothing changed: the golden run is untouched
    assert profile.country == "CN" and profile.defaults["rollout.holidays_country"] == "CN"
    assert profile.defaults["economics.currency"] == "CNY" and profile.defaults["pilot_coverage"] is True
    assert "carbon.factor_kgco2_per_kwh" not in profile.defaults  # China's own tables


def test_each_default_switches_with_the_location(tmp_path):
    """Germany and Australia (tabled grid factors): holidays, currency, China's rules and the grid factor switch."""
    for place, holidays, currency, factor in (("Kirchberg an der Iller", "DE", "EUR", 0.380),
                                              ("Sydney", "AU", "AUD", 0.63)):
        with pytest.warns(Warning):  # the shipped prices are CNY: said by the currency check
            got, profile = localised(tmp_path, place, carbon={})
        assert profile.country == holidays
        assert got.rollout.holidays_country == holidays
        assert got.economics.currency == currency
        assert got.pilot_coverage is False
        assert got.rollout.spring_festival_shutdown is False
        assert got.rollout.state_grid_service_limits is False
        assert got.carbon.factor_kgco2_per_kwh == factor
        assert set(profile.defaults) >= set(country.LOCATION_KEYS)
        assert got.overrides == {}  # location defaults are not the user's overrides


def test_outside_china_without_a_tabled_factor_the_factor_is_required(tmp_path):
    with pytest.raises(InputError) as err:
        localised(tmp_path, "Oslo", carbon={})
    assert err.value.field == "carbon.factor_kgco2_per_kwh" and "NO" in str(err.value)
    with pytest.warns(Warning):
        got, profile = localised(tmp_path, "Oslo", carbon={"factor_kgco2_per_kwh": 0.1})
    assert got.carbon.factor_kgco2_per_kwh == 0.1 and "carbon.factor_kgco2_per_kwh" not in profile.defaults
    assert got.rollout.holidays_country == "NO" and got.economics.currency == "NOK"


def test_a_finnish_county_without_its_own_factor_gets_the_tabled_one_and_is_told_so(tmp_path):
    """Finland's row of country_grid_factors.csv (Ember 2024, 72.25 gCO2e/kWh, rounded to 0.072): used when the
    scenario gives no factor, and the run's line on the location names the table and the publication."""
    with pytest.warns(Warning):
        got, profile = localised(tmp_path, "Helsinki", carbon={})
    assert profile.country == "FI" and got.carbon.factor_kgco2_per_kwh == 0.072
    assert profile.defaults["carbon.factor_kgco2_per_kwh"] == 0.072
    said = profile.describe()
    assert "carbon.factor_kgco2_per_kwh=0.072 (from country_grid_factors.csv, FI 2024: Ember" in said
    from sim import carbon

    credited = carbon.resolve_factor(got.carbon)  # what summary.json's emission_factor_source says
    assert credited.by_year([2025])[0] == pytest.approx(0.072)
    assert credited.source.startswith("0.072 kgCO2/kWh (from country_grid_factors.csv, FI 2024: Ember")
    assert "user value" not in credited.source
    assert got.overrides == {}


def test_an_own_factor_can_say_where_it_comes_from(tmp_path):
    from sim import carbon

    own = carbon.CarbonConfig(factor_kgco2_per_kwh=0.1, factor_source="our utility's 2024 disclosure")
    assert carbon.resolve_factor(own).source == "0.1 kgCO2/kWh (our utility's 2024 disclosure)"
    assert carbon.resolve_factor(carbon.CarbonConfig(factor_kgco2_per_kwh=0.1)).source.startswith("user value 0.1")
    with pytest.raises(ValueError, match="factor_source"):
        carbon.CarbonConfig(factor_source="somewhere")


def test_a_value_set_by_hand_wins_over_the_location(tmp_path):
    raw_rollout = scenario_dict(tmp_path / "sites.gpkg")["rollout"]
    with pytest.warns(Warning):
        got, profile = localised(tmp_path, "Sydney", carbon={}, pilot_coverage=True,
                                 rollout={**raw_rollout, "spring_festival_shutdown": True})
    assert got.pilot_coverage is True and got.rollout.spring_festival_shutdown is True
    assert "pilot_coverage" not in profile.defaults and "rollout.spring_festival_shutdown" not in profile.defaults
    assert got.rollout.holidays_country == "AU"  # the keys left unset still follow the location


def test_the_scenario_country_wins_over_the_location(tmp_path):
    got, profile = country.apply_location(scenario(tmp_path, country="cn"), -33.87, 151.2, "Australia/Sydney")
    assert profile.country == "CN" and profile.how == "scenario" and got.pilot_coverage is True


def test_unknown_country_code_is_refused(tmp_path):
    with pytest.raises(InputError, match="country"):
        scenario(tmp_path, country="XX")


def test_state_grid_service_limits_are_only_said_where_they_apply():
    """A stage above its State Grid limit is warned about in China and not elsewhere (the flag a location sets)."""
    from sim.rollout.config import RolloutConfig
    from sim.rollout.observe import _warnings

    row = {"stage": "grid_review", "application_class": "household", "p50_working_days": 30.0,
           "limit_working_days": 20.0, "n": 5, "p90_working_days": 40.0}
    china = RolloutConfig()
    elsewhere = RolloutConfig(state_grid_service_limits=False)
    assert any("State Grid service limit" in w for w in _warnings({}, [row], china))
    assert not any("State Grid" in w for w in _warnings({}, [row], elsewhere))
