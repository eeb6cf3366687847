"""The county's country, from the sites' position, and the defaults that follow from it.

The country comes from the time zone at the centre of the sites (``tzfpy``, offline: the polygons of
timezone-boundary-builder, drawn along OpenStreetMap's national borders) and the IANA time-zone database's
``zone.tab``, which names the country of each zone (shipped by the ``tzdata`` package). A county at sea or in a zone
that no single country owns has no country: the scenario's ``country`` then says it.

What follows from the country, for every key the scenario leaves unset (:data:`LOCATION_KEYS`):

- ``rollout.holidays_country``: the country's public holidays and weekend (``holidays`` package), or none;
- ``economics.currency``: the country's legal tender at ``start_date`` (Unicode CLDR, via ``babel``);
- China's rules only in China: ``pilot_coverage`` (NEA 2021 whole-county rooftop pilot),
  ``rollout.spring_festival_shutdown`` and ``rollout.state_grid_service_limits``;
- outside China, ``carbon.factor_kgco2_per_kwh`` from the sourced table ``sim/tables/country_grid_factors.csv``;
  a country the table lacks must give its own factor (China's grid tables never stand in for another grid).

What follows from the latitude, whatever the country:

- ``system.tracker_axis_azimuth_deg``: a north-south axis pointing to the equator, 180 in the northern hemisphere
  and 0 in the southern (:func:`sim.sites.tracker_axis_azimuth_deg`, with its sources).

The time zone itself (``time_zone``) was already taken from the location; it is reported with the rest.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from sim._config import TABLES
from sim.errors import InputError, InputWarning

CHINA = "CN"
GRID_FACTOR_TABLE = TABLES / "country_grid_factors.csv"
#: Scenario keys a location decides when the scenario leaves them unset (dotted, as ``--set`` names them).
LOCATION_KEYS = (
    "rollout.holidays_country",
    "economics.currency",
    "pilot_coverage",
    "rollout.spring_festival_shutdown",
    "rollout.state_grid_service_limits",
    "carbon.factor_kgco2_per_kwh",
    "system.tracker_axis_azimuth_deg",
)
#: Carbon keys that say the user chose the grid factor (any one of them set: no location default for it).
_OWN_CARBON_KEYS = ("factor_kgco2_per_kwh", "trajectory", "method", "scope", "region", "bm_kgco2_per_kwh")


@cache
def _zone_countries() -> dict[str, str]:
    """IANA zone -> ISO 3166-1 alpha-2 country, from tzdata's ``zone.tab`` (one country per zone)."""
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            out[parts[2]] = parts[0]
    return out


@cache
def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes tzdata's ``iso3166.tab`` lists."""
    text = resources.files("tzdata").joinpath("zoneinfo", "iso3166.tab").read_text(encoding="utf-8")
    return frozenset(line.split("\t")[0] for line in text.splitlines() if line and not line.startswith("#"))


def country_of_zone(zone: str) -> str | None:
    """The country of an IANA time zone (None for ``Etc/...`` zones at sea and zones no country owns)."""
    return _zone_countries().get(zone)


def country_at(latitude: float, longitude: float) -> str | None:
    """ISO 3166-1 alpha-2 code of the country at a location [°], offline (module docstring); None at sea."""
    from sim.weather import time_zone_at

    return country_of_zone(time_zone_at(latitude, longitude))


@dataclass(frozen=True)
class GridFactor:
    """A sourced national grid emission factor [kgCO2/kWh] (``sim/tables/country_grid_factors.csv``)."""

    country: str
    factor_kgco2_per_kwh: float
    year: int
    basis: str
    source: str


def grid_factors() -> dict[str, GridFactor]:
    """The shipped national grid factors by country."""
    table = pd.read_csv(GRID_FACTOR_TABLE, dtype={"country": str})
    return {
        str(r["country"]): GridFactor(
            str(r["country"]), float(r["factor_kgco2_per_kwh"]), int(r["year"]), str(r["basis"]), str(r["source"])
        )
        for r in table.to_dict("records")
    }


def currency_of(country: str, on: date) -> str | None:
    """The country's first legal tender on a date (Unicode CLDR via ``babel``); None if CLDR names none."""
    from babel.numbers import get_territory_currencies

    found = get_territory_currencies(country, start_date=on, tender=True)
    return str(found[0]) if found else None


def holidays_country(country: str) -> str | None:
    """The country's code if the ``holidays`` package knows its public holidays, else None (weekend only)."""
    from sim.rollout.calendar import supported_countries

    return country if country in supported_countries() else None


@dataclass
class CountryProfile:
    """The county's country and the defaults it gave (``summary.json``: ``country``, ``location_defaults``)."""

    country: str | None
    how: str
    """How the country was found: "scenario" (its ``country`` key) or "time zone <zone>" (from the location)."""
    defaults: dict[str, Any] = field(default_factory=dict)
    """The scenario keys the location decided (dotted key -> value), those the scenario left unset."""
    sources: dict[str, str] = field(default_factory=dict)
    """Where a default in ``defaults`` came from, for the keys a sourced table or rule gave (dotted key -> text)."""

    def describe(self) -> str:
        """One line: the country, how it was found, and the defaults that came from it (with their sources)."""
        if not self.defaults:
            return f"country {self.country or 'unknown'} ({self.how}): no default came from the location"
        shown = ", ".join(
            f"{k}={v}" + (f" ({self.sources[k]})" if k in self.sources else "") for k, v in self.defaults.items()
        )
        return f"country {self.country or 'unknown'} ({self.how}); defaults from the location: {shown}"


def _is_set(scenario: Any, dotted_key: str) -> bool:
    """Whether the scenario file (or an override) gave ``dotted_key`` itself."""
    *sections, leaf = dotted_key.split(".")
    model = scenario
    for name in sections:
        if name not in model.model_fields_set:
            return False
        model = getattr(model, name)
    return leaf in model.model_fields_set


def location_values(country: str | None, scenario: Any, latitude: float) -> dict[str, Any]:
    """What each key of :data:`LOCATION_KEYS` becomes in ``country`` at ``latitude`` [°] (the carbon key only
    outside China, where a table row gives it; None when the table lacks the country)."""
    from sim.sites import tracker_axis_azimuth_deg

    china = country == CHINA
    values: dict[str, Any] = {
        "rollout.holidays_country": holidays_country(country) if country else None,
        "pilot_coverage": china,
        "rollout.spring_festival_shutdown": china,
        "rollout.state_grid_service_limits": china,
        "system.tracker_axis_azimuth_deg": tracker_axis_azimuth_deg(latitude),
    }
    currency = currency_of(country, scenario.start_date) if country else None
    if currency is not None:
        values["economics.currency"] = currency
    if not china:
        row = grid_factors().get(country or "")
        values["carbon.factor_kgco2_per_kwh"] = row.factor_kgco2_per_kwh if row else None
    return values


def apply_location(scenario: Any, latitude: float, longitude: float, zone: str) -> tuple[Any, CountryProfile]:
    """The scenario with the defaults of its country (module docstring) for every key it leaves unset, and the
    profile saying what came from the location. A scenario whose values all agree with its country comes back as
    it is. Outside China without a grid factor (own or tabled): InputError naming ``carbon.factor_kgco2_per_kwh``."""
    if scenario.country is not None:
        country, how = scenario.country, "scenario"
    else:
        country, how = country_of_zone(zone), f"time zone {zone} at {latitude:.3f}, {longitude:.3f}"
    values = location_values(country, scenario, latitude)
    if "carbon" in scenario.model_fields_set and any(k in scenario.carbon.model_fields_set for k in _OWN_CARBON_KEYS):
        values.pop("carbon.factor_kgco2_per_kwh", None)  # the user chose the grid factor
    if values.get("carbon.factor_kgco2_per_kwh", 0.0) is None:
        tabled = ", ".join(sorted(grid_factors()))
        raise InputError(
            f"no grid emission factor for {country or 'a county outside any country'} ({how}): "
            "China's grid tables do not apply there",
            file=scenario.path,
            field="carbon.factor_kgco2_per_kwh",
            allowed=f"your grid's average emission factor in kgCO2/kWh (or carbon.trajectory); the "
            f"shipped table ({GRID_FACTOR_TABLE.name}) covers {tabled} and China",
        )
    defaults = {k: v for k, v in values.items() if not _is_set(scenario, k)}
    changes = {k: v for k, v in defaults.items() if _current(scenario, k) != v}
    profile = CountryProfile(
        country=country,
        how=how,
        defaults={"time_zone": zone, **defaults} if not scenario.time_zone else defaults,
        sources=_sources(country, latitude, defaults),
    )
    if "carbon.factor_kgco2_per_kwh" in changes:  # the factor's source goes with it into the outputs
        changes["carbon.factor_source"] = profile.sources["carbon.factor_kgco2_per_kwh"]
    if not changes:
        return scenario, profile
    return scenario.with_location_defaults(changes), profile


def _sources(country: str | None, latitude: float, defaults: dict[str, Any]) -> dict[str, str]:
    """Where the grid factor and the tracker axis among ``defaults`` came from (for :meth:`CountryProfile.describe`)."""
    out = {}
    if "carbon.factor_kgco2_per_kwh" in defaults:
        row = grid_factors()[country or ""]
        cited = row.source.split(";")[0]  # the publication and figure, without the notes after it
        out["carbon.factor_kgco2_per_kwh"] = f"from {GRID_FACTOR_TABLE.name}, {row.country} {row.year}: {cited}"
    if "system.tracker_axis_azimuth_deg" in defaults:
        out["system.tracker_axis_azimuth_deg"] = (
            f"north-south axis pointing to the equator from latitude {latitude:.2f}"
        )
    return out


def _current(scenario: Any, dotted_key: str) -> Any:
    value = scenario
    for name in dotted_key.split("."):
        value = getattr(value, name)
    return value


def warn_outside_china(profile: CountryProfile) -> None:
    """One InputWarning listing the defaults a county outside China got from its location (a Chinese county's
    defaults are the package's own and need no word)."""
    if profile.country != CHINA and profile.defaults:
        warnings.warn(profile.describe(), InputWarning, stacklevel=2)
