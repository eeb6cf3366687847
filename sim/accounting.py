"""Post-simulation accounting: energy per site and year, hourly curtailment, carbon and money.

Energy of a built site ``i`` in calendar year ``y`` (its commissioning year ``c_i``) [kWh]::

    E_iy = capacity_kwp_i x sum_{h in operating hours of y} profile_y[h, archetype_i]
           x (1 - d1 / 100) x (1 - d / 100) ** age_iy
           x (1 - downtime_days_iy / operating_days_iy)

- ``profile_y`` is the typical-year profile [kWh/kWp per hour] of weather year ``(y - first_year) % n_profiles``,
  mapped onto the calendar year's hours (an 8760-hour profile repeats 28 February on 29 February of a leap year; an
  8784-hour profile drops its 29 February in a common year).
- Operating hours: from the first whole hour at or after the commissioning time (local time) in the commissioning
  year, every hour of later years.
- Degradation: ``d1 = degradation_first_year_percent`` applies from commissioning, then ``d =
  degradation_percent_per_year`` per year of age; ``age_iy`` is the site's age at the middle of its operating
  period in year ``y``, counted to the hour from its own commissioning time in years of 365.25 days (a site
  commissioned on 1 July is 0.25 years old in its first calendar year and 1.0 in the next), not in calendar years.
- Downtime: the year's inverter-outage days scale the year's output evenly, relative to the days the site operated
  that year (``operating_hours / 24``; 365 or 366 for a full year), clipped to 0..1.

Curtailment: for each transformer with a finite ``export_limit_kw`` and each hour, the export, the sum of the output
of its PV (hourly kWh = average kW) minus the local load, above the limit is curtailed. The PV connected before the
programme (``existing_pv_kw``) counts at its hourly output (its kWp times the mix of the new PV's archetypes on the
transformer), and shares the curtailment pro rata with the new sites (``GridRules.new_first``: the new sites are
curtailed first, a what-if). The limit rises with each upgrade from the upgrade's date (``GridRules.export_steps``),
never before. The local load is the same load the sites self-consume from
(:func:`sim.load.transformer_load_by_shape`): each site's own load on the transformer (built or not) with its
type's hourly shape, plus the ledger's other customers (``customers`` beyond the sites layer's buildings) at the
household load. An optional system-level utilisation rate (``GridRules.system_utilisation_percent``) curtails that
share of the exported energy the transformers pass (:func:`system_utilisation`; energy used on site is not
exported and not curtailed by the system). Hourly sums are matrix
products of the profiles with the effective kWp per archetype on each transformer
(piecewise constant over day blocks in commissioning years), never Python loops over hours.

Curtailed energy earns nothing: ``energy_mwh`` is the delivered energy, after curtailment and downtime; carbon and
revenue are computed from it. Self-consumption (:mod:`sim.load`): each site uses ``min(output, load)`` of its
output in each hour (output before curtailment, capped at the delivered energy); the rest is exported. Carbon
(:mod:`sim.carbon`): ``co2_avoided_t = E x EF_grid,y`` (CDM AMS-I.D, each year at that year's factor),
``co2_avoided_lifecycle_t = E x (EF_grid,y x footprint/average - EF_PV)`` in the same scope, and the AMS-I.D total
on each grid-factor path (``co2_avoided_range_t``).

Money (see :mod:`sim.economics` for the discounting convention): capex ``capex_cny x (1 + e_capex) **
(c_i - first_year)`` in the commissioning year; O&M ``om_cny_per_kw_year x capacity_kwp x operating fraction of
the year x (1 + e_om) ** (y - first_year)``; an inverter replacement ``capacity_kwp x 1000 x cny_per_w`` in the year
of age ``inverter_replacement_year``; revenue ``E_self x retail x index_y + (E - E_self) x export_price(y,
age_iy)`` with ``E_self`` the self-consumed energy and the export price of the 2025 rules (mechanism price on a
share for a term, then the market price; :meth:`sim.economics.EconomicsConfig.export_price`); a straight-line
residual value of
each site at the end of the horizon, credited in the last year (``residual_value_cny``), so sites commissioned late
are not penalised for the years cut off by the horizon. Per-site figures discount to the commissioning year
(t = 0), county figures to the first horizon year. Green certificates: one per whole MWh of the programme
(``floor`` of the cumulative energy), not per site and year.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from sim import load as loadmod
from sim._config import PILOT_TARGETS_PERCENT
from sim.carbon import (
    PATHS,
    CarbonConfig,
    ams_id_t,
    green_certificates,
    lifecycle_avoided_t,
    lifecycle_grid_factor,
    resolve_factors,
)
from sim.economics import (
    EconomicsConfig,
    cost_per_t_co2,
    escalation,
    irr,
    lcoe,
    npv,
    payback_years,
    simple_payback_years,
    stakeholder_flows,
    straight_line_residual,
)
from sim.energy import degradation_factor
from sim.errors import InputError, InputWarning
from sim.timebase import HOURS_PER_YEAR, hours_in_year, hours_in_years

SITE_COLUMNS = ("site_type", "capacity_kwp", "archetype", "transformer_id", "capex_cny", "om_cny_per_kw_year")

# memory bound of the (transformer, archetype) pair x hour arrays of one chunk, in elements
_BLOCK_ELEMENTS = 8_000_000


@dataclass
class Accounts:
    """Result of :func:`account`.

    - ``site_years``: one row per built site and calendar year from its commissioning year: ``site_id, year,
      energy_mwh, curtailed_mwh, co2_avoided_t`` (AMS-I.D), ``co2_avoided_lifecycle_t``.
    - ``sites``: indexed by ``site_id`` (every candidate site): ``built, commission_date, energy_mwh,
      curtailed_mwh, co2_avoided_t, co2_avoided_lifecycle_t, capex_cny, lcoe_cny_per_kwh, npv_cny, payback_years``
      (NaN money figures for sites not built).
    - ``annual``: one row per calendar year: the columns of ``annual.csv`` (``docs/outputs.md``).
    - ``totals``: county figures: ``energy_mwh, curtailed_mwh, co2_avoided_t`` (AMS-I.D), ``co2_avoided_range_t``
      ({low, central, high}), ``co2_avoided_lifecycle_t, green_certificates, capex_cny, lcoe_cny_per_kwh, npv_cny,
      cost_per_t_co2_cny`` (discounted capex + O&M + replacements - residual value / discounted tonnes),
      ``net_cost_per_t_co2_cny`` (the same net of discounted revenue), ``t_co2_per_mwh, emission_factor_method,
      emission_factor_source, lifecycle_kgco2e_per_kwh, lifecycle_source, price_basis, economics_horizon_rule,
      discount_rate_percent, pilot_coverage``; ``self_consumed_mwh, self_consumption_percent``;
      ``social_cost_per_t_co2_cny`` (energy at the avoided generation cost, grid upgrades included) and
      ``cost_per_t_co2_basis``; the stakeholder figures of ``_stakeholders`` under ``economics.business_model``
      (the grid company's upgrade costs by calendar year: ``GridRules.upgrade_cny_by_year``);
      ``npv_mechanism_price_range_cny``, ``npv_mechanism_share_term_range_cny`` and
      ``mechanism_share_term_source``.
    """

    site_years: pd.DataFrame
    sites: pd.DataFrame
    annual: pd.DataFrame
    totals: dict = field(default_factory=dict)


def pilot_coverage(sites: pd.DataFrame, outcomes: pd.DataFrame) -> dict:
    """Rooftop coverage of the whole-county pilot categories, on roof area (the NEA definition) and by count.

    For each category in :data:`PILOT_TARGETS_PERCENT`: ``candidates`` (rows of ``sites`` with that
    ``pilot_category``, eligible or not: the pilot counts all roofs of the category), ``eligible``, ``built`` (status
    ``operating`` in ``outcomes``), ``roof_area_m2`` (total roof area of the category), ``roof_area_built_m2``,
    ``share_percent = 100 x roof_area_built_m2 / roof_area_m2`` (the share of the roof area on which PV is
    installed; NaN without roof area), ``share_roofs_percent = 100 x built / candidates``, ``target_percent`` and
    ``met`` (area share >= target; False without candidates). A roof with PV counts with its whole area (``area_m2``
    of the site): the NEA notice counts the roofs on which PV is installed, and modules cover only the usable part
    of any roof (setbacks, skylights, shade), so counting module area instead would never let a category reach
    100 %. Without an ``area_m2`` column every roof counts as one unit of area (the shares are by count).
    """
    cat = sites["pilot_category"].fillna("").astype(str) if "pilot_category" in sites else pd.Series("", sites.index)
    eligible = sites["eligible"].astype(bool) if "eligible" in sites else pd.Series(True, sites.index)
    area = (
        pd.to_numeric(sites["area_m2"], errors="coerce").fillna(0.0).to_numpy(float)
        if "area_m2" in sites
        else np.ones(len(sites))
    )
    status = outcomes["status"].reindex(sites.index) if len(outcomes) else pd.Series(np.nan, sites.index)
    built = (status == "operating").to_numpy()
    out = {}
    for name, target in PILOT_TARGETS_PERCENT.items():
        m = (cat == name).to_numpy()
        n = int(m.sum())
        nb = int((m & built).sum())
        total, covered = float(area[m].sum()), float(area[m & built].sum())
        share = 100.0 * covered / total if total > 0 else float("nan")
        out[name] = {
            "candidates": n,
            "eligible": int((m & eligible.to_numpy()).sum()),
            "built": nb,
            "roof_area_m2": total,
            "roof_area_built_m2": covered,
            "share_percent": share,
            "share_roofs_percent": 100.0 * nb / n if n else float("nan"),
            "target_percent": target,
            "met": bool(n > 0 and share >= target),
        }
    return out


def _hour_map(year: int, n_profile_hours: int) -> np.ndarray:
    """Profile row for each hour of calendar ``year``."""
    year = int(year)
    n_year = hours_in_year(year)
    leap = n_year == 8784
    h = np.arange(n_year)
    feb29 = 59 * 24  # first hour of 29 February (day index 59)
    if n_profile_hours == n_year:
        return h
    if n_profile_hours == 8760 and leap:
        return np.where(h >= feb29, h - 24, h)  # 29 Feb repeats 28 Feb
    if n_profile_hours == 8784 and not leap:
        return np.where(h >= feb29, h + 24, h)  # skip the profile's 29 Feb
    raise InputError("a yield profile must have 8760 or 8784 hourly rows", field="profiles", value=n_profile_hours)


def _to_naive_local(ts: pd.Series, time_zone: str | None) -> pd.Series:
    """Dates as naive local time: tz-aware ones converted to ``time_zone`` (kept in their own zone if None)."""
    ts = pd.to_datetime(ts)
    if getattr(ts.dt, "tz", None) is not None:
        ts = (ts.dt.tz_convert(time_zone) if time_zone else ts).dt.tz_localize(None)
    return ts


def _check_inputs(sites, outcomes, transformers, profiles, horizon_years, d1, d):
    missing = [c for c in SITE_COLUMNS if c not in sites.columns]
    if missing:
        raise InputError("sites table lacks columns", field=", ".join(missing), allowed=", ".join(SITE_COLUMNS))
    for c in ("status", "commission_date"):
        if c not in outcomes.columns:
            raise InputError("outcomes table lacks a column", field=c)
    unknown = outcomes.index.difference(sites.index)
    if len(unknown):
        raise InputError(
            "outcomes name sites that are not in the sites table", field="outcomes.site_id", value=list(unknown[:5])
        )
    if "export_limit_kw" not in transformers.columns:
        raise InputError("transformer table lacks a column", field="export_limit_kw")
    if int(horizon_years) != horizon_years or horizon_years < 1:
        raise InputError("horizon must be a whole number of years >= 1", field="horizon_years", value=horizon_years)
    for name, v in (("degradation_first_year_percent", d1), ("degradation_percent_per_year", d)):
        if not np.isfinite(v) or v < 0 or v >= 100:
            raise InputError("degradation must lie in 0..100 %", field=name, value=v)
    if len(profiles) == 0:
        raise InputError("no yield profiles given", field="profiles")
    for p in profiles:
        if np.ndim(p) != 2:
            raise InputError(
                "each yield profile must be a 2-D array (hours, archetypes)", field="profiles", value=np.shape(p)
            )
        _hour_map(2001, p.shape[0])


@dataclass
class _Built:
    """The sites built within the horizon, as arrays aligned with ``ids`` (one entry per built site)."""

    ids: pd.Index
    commission_date: pd.Series
    capacity_kwp: np.ndarray
    archetype: np.ndarray  # column in the used-archetype profile tables
    used_archetypes: np.ndarray  # profile columns the built sites use
    commission_year_index: np.ndarray  # commissioning year - first horizon year
    first_hour: np.ndarray  # first operating hour of the commissioning year (hours since 1 January)
    transformer: np.ndarray  # row of each site's transformer in the transformer table
    sites: pd.DataFrame  # the built sites' rows of the sites table

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class _Horizon:
    start: pd.Timestamp  # first instant of the horizon (naive local time)
    years: np.ndarray  # calendar years
    time_zone: str | None = None  # the county's zone: tz-aware dates are read as its local dates

    @property
    def n_years(self) -> int:
        return len(self.years)

    @property
    def first_year(self) -> int:
        return int(self.years[0])

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(year=self.first_year + self.n_years, month=1, day=1)


@dataclass(frozen=True)
class GridRules:
    """What the accounting needs of the grid beyond the transformer table (:func:`account`): the rises of the export
    limits the rollout's upgrades bring, each from its date (``export_steps``: ``transformer_id, date,
    added_export_kw``, :func:`sim.grid.export_limit_steps`); how curtailment is shared (``new_first``: the new PV
    first, else pro rata with the existing PV); the DC/AC ratio that turns the existing PV's AC rating into kWp; the
    system-level utilisation rate [%] (None: none); the grid company's upgrade costs by calendar year [CNY] for the
    stakeholder table (``upgrade_cny_by_year``) and where they come from (``upgrade_source``)."""

    export_steps: pd.DataFrame | None = None
    new_first: bool = False
    dc_ac_ratio: float = 1.0
    system_utilisation_percent: float | None = None
    upgrade_cny_by_year: dict[int, float] | None = None
    upgrade_source: str = "not given: 0"


def account(
    sites: pd.DataFrame,
    outcomes: pd.DataFrame,
    downtime: pd.DataFrame,
    profiles: list[np.ndarray],
    transformers: pd.DataFrame,
    *,
    start_date: date | datetime | pd.Timestamp,
    horizon_years: int,
    degradation_first_year_percent: float,
    degradation_percent_per_year: float,
    carbon: CarbonConfig,
    economics: EconomicsConfig,
    time_zone: str | None = None,
    holidays_country: str | None = "CN",
    grid: GridRules | None = None,
    memo: dict | None = None,
) -> Accounts:
    """Energy, curtailment, carbon and money of a rollout (formulas in the module docstring).

    Steps: check the inputs -> the built sites -> their downtime -> energy and curtailment (year by year, hourly at
    the transformers) -> carbon (:func:`sim.carbon.ams_id_t`) -> money (:mod:`sim.economics`) -> tables.

    Parameters
    ----------
    sites : every candidate site, indexed by ``site_id``: ``site_type, capacity_kwp [kWp DC], archetype (int),
        transformer_id, capex_cny [CNY], om_cny_per_kw_year [CNY/kW/year], load_kwh_per_year [kWh/year]
        (optional: the site type's load of :mod:`sim.load`), area_m2 (for loads per m2),
        pilot_category, eligible``.
    outcomes : indexed by ``site_id``: ``status`` (``operating`` = built), ``commission_date``.
    downtime : ``site_id, year, downtime_days`` [days] of inverter outage.
    profiles : one array (hours, n_archetypes) [AC kWh per kWp per hour] per weather year.
    transformers : indexed by ``transformer_id``: ``export_limit_kw`` [kW] at the start (inf or NaN = unlimited),
        optionally ``existing_pv_kw`` [kW AC] (PV connected before the programme, at its hourly output) and
        ``customers`` (the ledger's customers beyond the sites layer's buildings, at the household load).
    start_date : first day of the horizon; the horizon covers the calendar years ``start_date.year`` ..
        ``start_date.year + horizon_years - 1``.
    degradation_first_year_percent, degradation_percent_per_year : [%].
    carbon, economics : scenario sections.
    time_zone : the county's IANA time zone: tz-aware dates are taken as its local dates (None: their own zone).
    holidays_country : the rest days of the load shapes.
    grid : :class:`GridRules` (None: no upgrades, pro rata, DC/AC 1, no system-level utilisation rate).
    memo : a dict kept between calls on the same ``sites``, ``transformers`` and ``profiles`` (a preparation's,
        :func:`sim.pipeline.derived_memo`) for what depends on them alone, not on the run: each weather year's totals
        per archetype, the sites' loads, the load on each transformer, the grid factors of a carbon section; None:
        nothing kept.
    """
    d1, d = degradation_first_year_percent, degradation_percent_per_year
    _check_inputs(sites, outcomes, transformers, profiles, horizon_years, d1, d)
    horizon = _horizon(start_date, int(horizon_years), time_zone)
    if carbon.crediting_start_year is None:  # crediting periods count from the first horizon year
        carbon = carbon.model_copy(update={"crediting_start_year": horizon.first_year})
    # bad region / year fails before the heavy work
    factors = _kept(memo, ("factors", carbon.model_dump_json()), lambda: resolve_factors(carbon))
    built = _built_sites(sites, outcomes, transformers, profiles, horizon)
    down_days = _downtime_days(downtime, sites, built, horizon)
    age = _age_years(built, horizon)
    degradation = degradation_factor(age, d1, d)
    rules = grid or GridRules()
    export = _export_limits_kw(transformers, sites, rules, horizon, memo)
    flows = _energy_and_curtailment(
        built, sites, profiles, down_days, export, horizon, degradation, holidays_country, memo
    )
    system_utilisation(flows, rules.system_utilisation_percent)
    energy_kwh, operating_fraction = flows.delivered, flows.operating_fraction
    co2 = _carbon(energy_kwh / 1000.0, factors, carbon, horizon)
    money = _money(built, energy_kwh, flows.self_consumed, operating_fraction, age, economics, horizon)
    site_years, per_site, annual = _tables(sites, built, flows, co2, money, horizon)
    totals = _totals(annual, economics)
    upgrades = np.array([float((rules.upgrade_cny_by_year or {}).get(int(y), 0.0)) for y in horizon.years])
    totals.update(_stakeholders(built, money, flows, economics, horizon, upgrades, rules.upgrade_source))
    totals.update(_social_cost(annual, economics, upgrades))
    totals.update(_mechanism_price_range(built, flows, age, economics, horizon, money))
    totals.update(_labels_and_range(totals, annual, factors, co2, carbon, economics, horizon))
    totals["pilot_coverage"] = pilot_coverage(sites, outcomes)
    return Accounts(site_years=site_years, sites=per_site, annual=annual, totals=totals)


def _labels_and_range(
    totals: dict,
    annual: pd.DataFrame,
    factors: dict,
    co2: _Carbon,
    carbon: CarbonConfig,
    economics: EconomicsConfig,
    horizon: _Horizon,
) -> dict:
    """The CO2 on every grid-factor path (the chosen path's entry is the headline itself) and the labels of the
    factors and prices behind the totals."""
    central = factors[carbon.path]
    # the chosen path's entry is the headline itself (one figure, not a second sum in another order)
    co2_range = {
        p: (
            float(totals["co2_avoided_t"])
            if p == carbon.path
            else float(ams_id_t(annual["energy_mwh"].to_numpy(), factors[p].by_year(horizon.years)).sum())
        )
        for p in PATHS
    }
    return {
        "co2_avoided_range_t": co2_range,
        "emission_factor_method": central.method,
        "emission_factor_source": central.source,
        "lifecycle_kgco2e_per_kwh": carbon.lifecycle_factor_kgco2e_per_kwh,
        "lifecycle_source": f"PV: {carbon.lifecycle_source}; grid: {co2.footprint_source}",
        "price_basis": economics.price_basis,
        "economics_horizon_rule": economics.horizon_rule,
    }


def _horizon(start_date, horizon_years: int, time_zone: str | None) -> _Horizon:
    start = pd.Timestamp(start_date)
    if start.tzinfo is not None:
        start = (start.tz_convert(time_zone) if time_zone else start).tz_localize(None)
    return _Horizon(start=start, years=np.arange(start.year, start.year + horizon_years), time_zone=time_zone)


def _commission_dates(outcomes: pd.DataFrame, horizon: _Horizon) -> pd.Series:
    """Commissioning dates (naive local time) of the operating sites that start within the horizon; a site
    commissioned before ``start_date`` counts from it (with a warning)."""
    status = outcomes["status"].astype(str)
    cdate = _to_naive_local(outcomes.loc[status == "operating", "commission_date"], horizon.time_zone)
    if cdate.isna().any():
        raise InputError(
            "operating sites need a commission_date",
            field="outcomes.commission_date",
            value=list(cdate.index[cdate.isna()][:5]),
        )
    early = cdate < horizon.start
    if early.any():
        warnings.warn(
            f"{int(early.sum())} site(s) commissioned before start_date {horizon.start.date()}: counted "
            "from start_date",
            InputWarning,
            stacklevel=4,
        )
        cdate = cdate.where(~early, horizon.start)
    return cdate[cdate < horizon.end]


def _first_operating_hour(cdate: pd.Series, horizon: _Horizon) -> np.ndarray:
    """First whole hour at or after commissioning, in hours since 1 January of the commissioning year (not before
    the horizon's own first hour)."""
    if len(cdate) == 0:
        return np.zeros(0, np.int64)
    year = cdate.dt.year.to_numpy().astype(np.int64)
    jan1 = pd.to_datetime(pd.DataFrame({"year": year, "month": 1, "day": 1}))
    hour = np.ceil((cdate.to_numpy() - jan1.to_numpy()) / np.timedelta64(1, "h")).astype(np.int64)
    start_hour = int(
        np.ceil((horizon.start - pd.Timestamp(year=horizon.first_year, month=1, day=1)) / pd.Timedelta(hours=1))
    )
    return np.where(year == horizon.first_year, np.maximum(hour, start_hour), hour)


def _age_years(built: _Built, horizon: _Horizon) -> np.ndarray:
    """Age of each built site at the middle of its operating period in each horizon year [years, to the hour],
    (sites, years); negative before commissioning (those cells carry no energy). Degradation and the mechanism
    price's term count from each site's own commissioning time, not in calendar years."""
    years_hours = hours_in_years(horizon.years)
    year_start = np.r_[0.0, np.cumsum(years_hours)[:-1]]  # hours from 1 January of the first year
    kc = built.commission_year_index
    commissioned = year_start[kc] + built.first_hour  # hours from 1 January of the first year
    first = np.where(np.arange(horizon.n_years)[None, :] == kc[:, None], built.first_hour[:, None], 0.0)
    middle = year_start[None, :] + (first + years_hours[None, :]) / 2.0
    return (middle - commissioned[:, None]) / HOURS_PER_YEAR


def _built_sites(sites, outcomes, transformers, profiles, horizon: _Horizon) -> _Built:
    cdate = _commission_dates(outcomes, horizon)
    ids = cdate.index
    s = sites.loc[ids]
    capacity = s["capacity_kwp"].to_numpy(float)
    if np.any(~np.isfinite(capacity)) or np.any(capacity < 0):
        raise InputError("capacity_kwp must be finite and >= 0", field="sites.capacity_kwp")
    archetype = s["archetype"].to_numpy()
    n_archetypes = min(p.shape[1] for p in profiles)
    if len(ids) and (np.any(archetype < 0) or np.any(archetype >= n_archetypes)):
        raise InputError(
            "archetype index outside the profiles' columns", field="sites.archetype", allowed=f"0..{n_archetypes - 1}"
        )
    used, column = np.unique(archetype.astype(np.int64), return_inverse=True)
    unknown = pd.Index(s["transformer_id"].unique()).difference(transformers.index)
    if len(unknown):
        raise InputError(
            "sites refer to transformers not in the transformer table",
            field="sites.transformer_id",
            value=list(unknown[:5]),
        )
    return _Built(
        ids=ids,
        commission_date=cdate,
        capacity_kwp=capacity,
        archetype=column,
        used_archetypes=used,
        commission_year_index=cdate.dt.year.to_numpy().astype(np.int64) - horizon.first_year,
        first_hour=_first_operating_hour(cdate, horizon),
        transformer=transformers.index.get_indexer(s["transformer_id"]),
        sites=s,
    )


@dataclass(frozen=True)
class _Export:
    """What limits each transformer's export: its limit at the start [kW] (inf: none), its local load by shape
    [kWh/year] (transformers, shapes of :func:`sim.load.shape_names`), its existing PV [kWp], how curtailment is
    shared, and the rises of the limit (transformer row, hour since the horizon's first 1 January, kW)."""

    limit_kw: np.ndarray
    load_by_shape_kwh: np.ndarray
    existing_kwp: np.ndarray | None = None
    new_first: bool = False
    step_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    step_hour: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    step_kw: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def in_year(self, year_start_hour: int, n_hours: int) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
        """The limits at the start of the year that begins ``year_start_hour`` hours after the horizon's first
        1 January, and the rises within it as (transformer row, hour of the year, kW)."""
        before = self.step_hour < year_start_hour
        limit = self.limit_kw + np.bincount(
            self.step_row[before], weights=self.step_kw[before], minlength=len(self.limit_kw)
        )
        within = ~before & (self.step_hour < year_start_hour + n_hours)
        steps = [
            (int(r), int(h) - year_start_hour, float(kw))
            for r, h, kw in zip(self.step_row[within], self.step_hour[within], self.step_kw[within], strict=True)
        ]
        return limit, steps


def _export_limits_kw(
    transformers: pd.DataFrame,
    sites: pd.DataFrame,
    rules: GridRules | None = None,
    horizon: _Horizon | None = None,
    memo: dict | None = None,
) -> _Export:
    """Export limit per transformer row [kW] (empty (NaN) means unlimited, inf), its local load by shape: the loads
    of the sites on it and of the ledger's other customers (:func:`sim.load.transformer_load_by_shape`, the load the
    sites self-consume from), existing PV [kWp] (``existing_pv_kw x dc_ac_ratio``; none without the column) and
    the rises of the limits (``rules.export_steps``, each from the first whole hour at or after its date)."""
    rules = rules or GridRules()
    limit = pd.to_numeric(transformers["export_limit_kw"], errors="coerce").to_numpy(float)
    if np.any(limit < 0):
        raise InputError("export_limit_kw must be >= 0 (inf or empty for unlimited)", field="export_limit_kw")
    load = _kept(memo, "load_by_shape", lambda: loadmod.transformer_load_by_shape(sites, transformers))
    existing = None
    if "existing_pv_kw" in transformers.columns:
        existing = pd.to_numeric(transformers["existing_pv_kw"], errors="coerce").fillna(0.0).to_numpy(float)
        if np.any(~np.isfinite(existing) | (existing < 0)):
            raise InputError("existing_pv_kw must be finite and >= 0", field="transformers.existing_pv_kw")
        existing = existing * rules.dc_ac_ratio
    out = _Export(
        limit_kw=np.where(np.isnan(limit), np.inf, limit),
        load_by_shape_kwh=load,
        existing_kwp=existing,
        new_first=rules.new_first,
    )
    steps = rules.export_steps
    if steps is None or len(steps) == 0 or horizon is None:
        return out
    row = transformers.index.get_indexer(pd.Index(steps["transformer_id"].astype(str)))
    if np.any(row < 0):
        raise InputError("export-limit rises name transformers not in the table", field="export_steps.transformer_id")
    first_jan = pd.Timestamp(year=horizon.first_year, month=1, day=1)
    hour = np.ceil((pd.to_datetime(steps["date"]).to_numpy() - first_jan.to_datetime64()) / np.timedelta64(1, "h"))
    return _Export(
        limit_kw=out.limit_kw,
        load_by_shape_kwh=load,
        existing_kwp=existing,
        new_first=rules.new_first,
        step_row=row.astype(np.int64),
        step_hour=np.maximum(hour, 0).astype(np.int64),
        step_kw=steps["added_export_kw"].to_numpy(float),
    )


def system_utilisation(flows: _Flows, utilisation_percent: float | None) -> None:
    """The system-level utilisation rate on top of the local limit, in place: of the exported energy the
    transformers pass (delivered less self-consumed), ``u`` is used and ``1 - u`` is curtailed by the system (that
    share moves from delivered to curtailed). None: unchanged."""
    if utilisation_percent is None:
        return
    lost = (flows.delivered - flows.self_consumed) * (1.0 - utilisation_percent / 100.0)
    flows.delivered -= lost
    flows.curtailed += lost


def _downtime_days(downtime, sites, built: _Built, horizon: _Horizon) -> np.ndarray:
    """Inverter-outage days per built site and horizon year, (sites, years)."""
    days = np.zeros((len(built), horizon.n_years))
    if downtime is None or not len(downtime):
        return days
    for c in ("site_id", "year", "downtime_days"):
        if c not in downtime.columns:
            raise InputError("downtime table lacks a column", field=c)
    unknown = pd.Index(downtime["site_id"].unique()).difference(sites.index)
    if len(unknown):
        raise InputError(
            "downtime names sites that are not in the sites table", field="downtime.site_id", value=list(unknown[:5])
        )
    value = downtime["downtime_days"].to_numpy(float)
    if np.any(~np.isfinite(value)) or np.any(value < 0):
        raise InputError("downtime_days must be finite and >= 0", field="downtime.downtime_days")
    row = built.ids.get_indexer(downtime["site_id"])
    year = downtime["year"].to_numpy(np.int64) - horizon.first_year
    ok = (row >= 0) & (year >= 0) & (year < horizon.n_years)
    np.add.at(days, (row[ok], year[ok]), value[ok])
    return days


def _kept(memo: dict | None, key, make):
    """``memo[key]``, made by ``make()`` the first time (without a memo: made each time)."""
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    return memo[key]


def _year_table(profile: np.ndarray, year: int, used_archetypes: np.ndarray) -> np.ndarray:
    """The profile mapped onto calendar ``year``'s hours for the used archetypes, (hours, archetypes) float32
    [kWh/kWp]."""
    table = np.take(np.asarray(profile, dtype=np.float32), used_archetypes, axis=1)  # 10x a fancy index's speed
    if hours_in_year(year) == profile.shape[0]:  # the profile's hours are the year's
        return table
    return np.take(table, _hour_map(year, profile.shape[0]), axis=0)


def _year_totals(profile: np.ndarray, year: int, memo: dict | None = None, key: object = None) -> np.ndarray:
    """Energy of each of the profile's archetypes over calendar ``year`` [kWh/kWp], float64: its hours added from the
    year's last hour back (as :func:`_energy_from_hour` adds them from a site's first hour). Depends only on the
    profile and the year's length: kept in ``memo`` under ``key`` (e.g. a preparation's, for all its runs)."""
    rows = _hour_map(year, profile.shape[0])

    def make() -> np.ndarray:
        hourly = np.asarray(profile, dtype=np.float32)[rows]
        total = np.zeros(hourly.shape[1])
        for h in range(len(rows) - 1, -1, -1):  # row by row: an axis-0 cumsum walks the columns, 4x slower
            np.add(total, hourly[h], out=total)
        total.setflags(write=False)
        return total

    return _kept(memo, ("year_totals", key, len(rows)), make)


def _peaks(profile: np.ndarray, memo: dict | None = None, key: object = None) -> np.ndarray:
    """The largest hourly yield of each of the profile's archetypes [kWh/kWp per hour], float64: the same in every
    calendar year it is mapped onto (:func:`_hour_map` repeats or skips a day, never a new value); kept in ``memo``
    under ``key``."""
    return _kept(memo, ("peaks", key), lambda: np.asarray(profile, dtype=np.float32).max(axis=0).astype(np.float64))


def _nonnegative(profile: np.ndarray, memo: dict | None = None, key: object = None) -> bool:
    """Whether the profile has no negative hour (then the hours without output add nothing to a sum); kept in
    ``memo`` under ``key``."""
    return _kept(memo, ("nonnegative", key), lambda: bool(np.min(profile, initial=0.0) >= 0))


def _energy_from_hour(
    hourly: np.ndarray | None, totals: np.ndarray, first: np.ndarray, column: np.ndarray, daylight=None, day_row=None
) -> np.ndarray:
    """Energy of each site from its ``first`` hour to the end of the year [kWh/kWp]: its archetype's ``column`` of
    the ``totals`` where it runs all year (``first`` 0), else its column of ``hourly`` summed from the year's last
    hour back to ``first`` (the same additions in the same order as the totals; 0 from the year's end on).
    ``daylight`` (:func:`sim.load.daylight_yield` of a table without negative values): the sums run over its
    hours with output alone, the same sums bit for bit (adding the other hours' 0.0 changes no sum), ~half the
    work; ``day_row``: the row of its table of each column (None: the column itself); ``hourly`` is then unread."""
    out = totals[column]
    late = np.flatnonzero(first > 0)
    if not len(late):
        return out
    columns, row = np.unique(column[late], return_inverse=True)
    if daylight is None:
        assert hourly is not None
        hours, backwards = np.arange(hourly.shape[0]), np.ascontiguousarray(np.take(hourly, columns, axis=1).T)
    else:
        hours = daylight[0]
        backwards = np.take(daylight[1], columns if day_row is None else day_row[columns], axis=0)
    to_end = np.cumsum(backwards[:, ::-1], axis=1, dtype=np.float64)  # [j, n - 1 - k]: hours k .. n - 1 of hours
    k = np.searchsorted(hours, first[late], side="left")  # the first of the hours at or after the first hour
    out[late] = np.where(k < len(hours), to_end[row, np.clip(len(hours) - 1 - k, 0, None)], 0.0)
    return out


@dataclass
class _Flows:
    """Energy per built site and horizon year [kWh], (sites, years), and the operating fraction of each year."""

    delivered: np.ndarray  # after downtime and curtailment
    curtailed: np.ndarray
    self_consumed: np.ndarray  # used on site: hour by hour min(output, load) (sim.load), at most the delivered energy
    operating_fraction: np.ndarray


def _energy_and_curtailment(
    built: _Built,
    sites: pd.DataFrame,
    profiles,
    down_days,
    export: _Export,
    horizon: _Horizon,
    degradation: np.ndarray,
    holidays_country: str | None = "CN",
    memo: dict | None = None,
) -> _Flows:
    """Delivered, curtailed and self-consumed energy [kWh] and the operating fraction of each year, each (sites,
    years); ``degradation`` is the remaining output share of each site in each year [-]; ``memo``: as
    :func:`account`'s, ``sites`` the whole sites table (whose loads it keeps)."""
    shape = (len(built), horizon.n_years)
    flows = _Flows(np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape))
    tables: dict[tuple[int, int], _YearTable] = {}  # the same profile and year length give the same tables
    kc = built.commission_year_index
    all_loads = _kept(memo, "site_load", lambda: loadmod.annual_load_kwh(sites).to_numpy(float))
    site_load = all_loads[sites.index.get_indexer(built.ids)]
    site_shape = loadmod.shape_index(built.sites["site_type"].to_numpy())
    year_start_hour = np.r_[0, np.cumsum(hours_in_years(horizon.years))[:-1]].astype(np.int64)
    for k, year in enumerate(horizon.years):
        active = np.flatnonzero(kc <= k)
        if len(active) == 0:
            continue
        profile = profiles[k % len(profiles)]
        n_hours = len(_hour_map(int(year), profile.shape[0]))
        key = (k % len(profiles), n_hours)
        if key not in tables:
            tables[key] = _YearTable.of(profile, int(year), built.used_archetypes, memo, key[0])
        table = tables[key]
        first = np.where(kc[active] == k, np.minimum(built.first_hour[active], n_hours), 0)
        operating_hours = n_hours - first
        flows.operating_fraction[active, k] = operating_hours / n_hours
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.where(operating_hours > 0, 1.0 - down_days[active, k] * 24.0 / np.maximum(operating_hours, 1), 0.0)
        effective_kwp = built.capacity_kwp[active] * degradation[active, k] * np.clip(up, 0.0, 1.0)
        column = built.archetype[active]
        gross = effective_kwp * table.energy_from_hour(first, column)
        shapes = loadmod.hourly_shapes(int(year), holidays_country)
        limit_kw, steps = export.in_year(int(year_start_hour[k]), n_hours)
        cut = np.minimum(
            _curtail_year(
                table,
                effective_kwp,
                column,
                built.transformer[active],
                first,
                export,
                len(table.used),
                shapes,
                limit_kw,
                steps,
                table.peaks,
            ),
            gross,
        )
        flows.delivered[active, k] = gross - cut
        flows.curtailed[active, k] = cut
        used = loadmod.self_consumed_year(
            None,
            effective_kwp,
            table.day_row[column],
            first,
            site_load[active],
            site_shape[active],
            shapes,
            (table.rows, table.day_yield),
        )
        flows.self_consumed[active, k] = np.minimum(used, gross - cut)
    return flows


#: Largest all-archetype daylight table (float64) :class:`_YearTable` keeps per profile and year length; a larger
#: one is gathered for each run's archetypes instead (the demo's: 691 archetypes x ~4,100 hours, 23 MB).
_DAYLIGHT_KEPT_BYTES = 64e6


@dataclass
class _YearTable:
    """What the years of one profile and year length share in a run, for the built sites' archetypes (``used``:
    profile columns): each one's energy over the year and largest hourly yield, the daylight hours (any of them
    producing, :func:`sim.load.daylight_yield`) and their yield, (rows of ``day_yield``, ``rows``) float64 with
    ``day_row`` the row of each used column, and (made when first read) the year's hourly table of them."""

    profile: np.ndarray
    year: int
    used: np.ndarray
    totals: np.ndarray
    peaks: np.ndarray
    nonnegative: bool
    rows: np.ndarray
    day_yield: np.ndarray
    day_row: np.ndarray
    made: np.ndarray | None = None

    @property
    def hourly(self) -> np.ndarray:
        """:func:`_year_table` of the used columns (made once, when first read)."""
        if self.made is None:
            self.made = _year_table(self.profile, self.year, self.used)
        return self.made

    @classmethod
    def of(cls, profile: np.ndarray, year: int, used: np.ndarray, memo: dict | None, key: object) -> _YearTable:
        """The table of ``profile`` mapped on ``year`` (``key``: the profile's in ``memo``). Its daylight yield is
        the all-archetype one kept in ``memo`` (:func:`_all_daylight`): as it is when the used archetypes produce in
        each of its hours, else its used rows in their hours (one gather); without it, gathered from the used
        columns' hourly table. The same values and hours either way."""
        parts = {
            "profile": profile,
            "year": year,
            "used": used,
            "totals": _year_totals(profile, year, memo, key)[used],
            "peaks": _peaks(profile, memo, key)[used],
            "nonnegative": _nonnegative(profile, memo, key),
        }
        kept = _all_daylight(profile, year, memo, key)
        if kept is not None:
            rows, day_yield, partial, positive = kept
            covered = positive[:, used].any(axis=1)  # the hours in which only some archetypes produce: ours?
            if covered.all():  # the daylight hours of the used archetypes are those of all: the kept table as it is
                return cls(**parts, rows=rows, day_yield=day_yield, day_row=used)
            ours = np.ones(len(rows), dtype=bool)
            ours[partial] = covered
            ours_at = np.flatnonzero(ours)
            return cls(
                **parts, rows=rows[ours_at], day_yield=day_yield[np.ix_(used, ours_at)], day_row=np.arange(len(used))
            )
        table = cls(**parts, rows=np.empty(0, np.int64), day_yield=np.empty((0, 0)), day_row=np.arange(len(used)))
        table.rows, table.day_yield = loadmod.daylight_yield(table.hourly)
        return table

    def energy_from_hour(self, first: np.ndarray, column: np.ndarray) -> np.ndarray:
        """:func:`_energy_from_hour` of the sites of used ``column`` from their ``first`` hours (over the daylight
        hours alone when the profile has no negative hour)."""
        if not self.nonnegative:
            return _energy_from_hour(self.hourly, self.totals, first, column)
        return _energy_from_hour(None, self.totals, first, column, (self.rows, self.day_yield), self.day_row)


def _all_daylight(profile: np.ndarray, year: int, memo: dict | None, key: object):
    """The daylight hours of ``profile`` mapped on ``year`` (any archetype producing), the yield of every archetype
    in them, (archetypes, hours) float64, the positions of the hours in which not every archetype produces and which
    do there, (those hours, archetypes) bool; None when the table would exceed :data:`_DAYLIGHT_KEPT_BYTES`. Kept in
    ``memo`` under ``key`` and the year's length."""
    rows = _hour_map(year, profile.shape[0])

    def make():
        mapped = np.asarray(profile, dtype=np.float32)[rows]
        positive = mapped > 0
        count = positive.sum(axis=1)
        daylight = np.flatnonzero(count > 0)
        if len(daylight) * mapped.shape[1] * 8 > _DAYLIGHT_KEPT_BYTES:
            return None
        partial = np.flatnonzero(count[daylight] < mapped.shape[1])
        day_yield = np.ascontiguousarray(mapped[daylight].T, dtype=float)
        for a in (daylight, day_yield):
            a.setflags(write=False)
        return daylight, day_yield, partial, positive[daylight[partial]]

    return _kept(memo, ("daylight", key, len(rows)), make)


@dataclass
class _Carbon:
    """CO2 per built site and year [t], (sites, years), and the factors behind it."""

    avoided_t: np.ndarray  # AMS-I.D: energy x the grid factor of the year
    lifecycle_t: np.ndarray  # energy x (grid carbon-footprint factor - PV life-cycle factor)
    grid_factor: np.ndarray  # grid factor of each horizon year [kgCO2/kWh]
    footprint_source: str


def _carbon(energy_mwh: np.ndarray, factors: dict, carbon: CarbonConfig, horizon: _Horizon) -> _Carbon:
    """AMS-I.D reduction (:func:`sim.carbon.ams_id_t`) at the scenario's path and the life-cycle comparison
    (:func:`sim.carbon.lifecycle_avoided_t`) against the grid's life-cycle factor of the same scope, source and
    path (:func:`sim.carbon.lifecycle_grid_factor`: a user's own factor flows into both figures)."""
    grid_factor = factors[carbon.path].by_year(horizon.years)
    footprint = lifecycle_grid_factor(factors[carbon.path])
    return _Carbon(
        avoided_t=ams_id_t(energy_mwh, grid_factor[None, :]),
        lifecycle_t=lifecycle_avoided_t(
            energy_mwh, footprint.by_year(horizon.years)[None, :], carbon.lifecycle_factor_kgco2e_per_kwh
        ),
        grid_factor=grid_factor,
        footprint_source=footprint.source,
    )


@dataclass
class _Money:
    """Cash flows per built site and calendar year [CNY], (sites, years), and per-site figures."""

    capex: np.ndarray
    om: np.ndarray
    replacement: np.ndarray
    revenue: np.ndarray  # bill savings + sales
    bill_savings: np.ndarray  # self-consumed energy at the retail tariff
    residual: np.ndarray  # residual value credited in the last horizon year
    capex_site: np.ndarray
    lcoe: np.ndarray
    npv: np.ndarray
    payback: np.ndarray


def _revenue(
    built: _Built, energy_kwh, self_consumed_kwh, age, economics: EconomicsConfig, horizon: _Horizon
) -> tuple[np.ndarray, np.ndarray]:
    """Value of the self-consumed energy at the retail tariff of the site's type (the bill it saves) and of the
    exported energy at the export price of the year and the site's age
    (:meth:`sim.economics.EconomicsConfig.export_price`) [CNY], each (sites, years)."""
    index = escalation(economics.tariff_escalation_percent_per_year, np.arange(horizon.n_years, dtype=float))
    retail = economics.retail_tariff_for(built.sites["site_type"].to_numpy())[:, None] * index[None, :]
    export = economics.export_price(horizon.years[None, :], age, index[None, :])
    return self_consumed_kwh * retail, (energy_kwh - self_consumed_kwh) * export


def _residual(built: _Built, capex_site, economics: EconomicsConfig, horizon: _Horizon) -> np.ndarray:
    """Straight-line residual value at the end of the horizon, in the last year's column [CNY], (sites, years)."""
    residual = np.zeros((len(built), horizon.n_years))
    if economics.residual_value == "straight_line" and len(built):
        age_at_end = (horizon.end - built.commission_date).dt.total_seconds().to_numpy() / 3600.0 / HOURS_PER_YEAR
        residual[:, -1] = straight_line_residual(capex_site, age_at_end, economics.lifetime_years)
    return residual


def _money(
    built: _Built, energy_kwh, self_consumed_kwh, operating_fraction, age, economics: EconomicsConfig, horizon: _Horizon
) -> _Money:
    """Capex, O&M, replacements, revenue and residual value per site and year; per-site LCOE, NPV and payback
    discounted to the commissioning year (:func:`sim.economics.lcoe`, :func:`sim.economics.npv`)."""
    n, n_years = len(built), horizon.n_years
    kc = built.commission_year_index
    t = np.arange(n_years, dtype=float)
    capex_site = built.sites["capex_cny"].to_numpy(float) * escalation(
        economics.capex_escalation_percent_per_year, kc.astype(float)
    )
    capex = np.zeros((n, n_years))
    capex[np.arange(n), kc] = capex_site
    om = (
        (built.sites["om_cny_per_kw_year"].to_numpy(float) * built.capacity_kwp)[:, None]
        * operating_fraction
        * escalation(economics.om_escalation_percent_per_year, t)[None, :]
    )
    replacement = np.zeros((n, n_years))
    if economics.inverter_replacement_year is not None:
        kr = kc + economics.inverter_replacement_year
        ok = kr < n_years
        replacement[np.flatnonzero(ok), kr[ok]] = (
            built.capacity_kwp[ok] * 1000.0 * economics.inverter_replacement_cny_per_w
        )
    bill_savings, sales = _revenue(built, energy_kwh, self_consumed_kwh, age, economics, horizon)
    revenue = bill_savings + sales
    residual = _residual(built, capex_site, economics, horizon)

    def from_commissioning(a):  # shift each row so that column 0 is the commissioning year
        cols = kc[:, None] + np.arange(n_years)[None, :]
        return np.where(cols < n_years, a[np.arange(n)[:, None], np.minimum(cols, n_years - 1)], 0.0)

    running = from_commissioning(om + replacement)
    income = from_commissioning(revenue)
    credit = from_commissioning(residual)
    r = economics.discount_rate
    cash = income - running + credit
    cash[:, 0] -= capex_site
    year_length = np.where(kc[:, None] + np.arange(n_years)[None, :] < n_years, 1.0, 0.0)
    if n:
        year_length[:, 0] = operating_fraction[np.arange(n), kc]
    return _Money(
        capex=capex,
        om=om,
        replacement=replacement,
        revenue=revenue,
        bill_savings=bill_savings,
        residual=residual,
        capex_site=capex_site,
        lcoe=np.atleast_1d(lcoe(capex_site, running - credit, from_commissioning(energy_kwh), r)) if n else np.zeros(0),
        npv=np.atleast_1d(npv(cash, r)) if n else np.zeros(0),
        payback=np.atleast_1d(simple_payback_years(capex_site, income - running, year_length)) if n else np.zeros(0),
    )


def _first_full_year(values: np.ndarray, built: _Built) -> np.ndarray:
    """Each site's value in its first full calendar year of operation (the year after commissioning, or the
    commissioning year itself for a site running from 1 January); NaN where that year is past the horizon."""
    kc = built.commission_year_index
    k1 = np.where(built.first_hour == 0, kc, kc + 1)
    ok = k1 < values.shape[1]
    out = np.full(len(kc), np.nan)
    out[ok] = values[np.flatnonzero(ok), k1[ok]]
    return out


def _tables(
    sites, built: _Built, flows: _Flows, co2: _Carbon, money: _Money, horizon: _Horizon
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``site_years``, ``sites`` and ``annual`` of :class:`Accounts`."""
    energy_mwh, curtailed_mwh = flows.delivered / 1000.0, flows.curtailed / 1000.0
    self_mwh = flows.self_consumed / 1000.0
    row, col = np.nonzero(np.arange(horizon.n_years)[None, :] >= built.commission_year_index[:, None])
    site_years = pd.DataFrame(
        {
            "site_id": built.ids.to_numpy()[row],
            "year": horizon.years[col],
            "energy_mwh": energy_mwh[row, col],
            "curtailed_mwh": curtailed_mwh[row, col],
            "self_consumed_mwh": self_mwh[row, col],
            "co2_avoided_t": co2.avoided_t[row, col],
            "co2_avoided_lifecycle_t": co2.lifecycle_t[row, col],
        }
    )
    per_site = pd.DataFrame(index=sites.index.copy())
    per_site.index.name = sites.index.name or "site_id"
    at = per_site.index.get_indexer(built.ids)  # each built site's row (one lookup, not one reindex per column)

    def spread(values: np.ndarray, empty) -> np.ndarray:
        out = np.full(len(per_site), empty, dtype=values.dtype)
        out[at] = values
        return out

    per_site["built"] = spread(np.ones(len(built), dtype=bool), False)
    dates = built.commission_date.to_numpy()
    per_site["commission_date"] = spread(dates, np.datetime64("NaT")) if len(dates) else pd.NaT
    for name, arr in (
        ("energy_mwh", energy_mwh),
        ("curtailed_mwh", curtailed_mwh),
        ("self_consumed_mwh", self_mwh),
        ("co2_avoided_t", co2.avoided_t),
        ("co2_avoided_lifecycle_t", co2.lifecycle_t),
    ):
        per_site[name] = spread(arr.sum(axis=1), 0.0)
    for name, arr in (
        ("capex_cny", money.capex_site),
        ("lcoe_cny_per_kwh", money.lcoe),
        ("npv_cny", money.npv),
        ("payback_years", money.payback),
        ("self_consumed_kwh_year1", _first_full_year(flows.self_consumed, built)),
    ):
        per_site[name] = spread(np.asarray(arr, float), np.nan)
    commission = built.commission_date.to_numpy()
    capacity_online = (
        np.array(
            [
                built.capacity_kwp[commission < pd.Timestamp(year=int(y) + 1, month=1, day=1)].sum()
                for y in horizon.years
            ]
        )
        if len(built)
        else np.zeros(horizon.n_years)
    )
    annual_energy = energy_mwh.sum(axis=0)
    annual = pd.DataFrame(
        {
            "year": horizon.years,
            "capacity_online_kwp": capacity_online,
            "energy_mwh": annual_energy,
            "curtailed_mwh": curtailed_mwh.sum(axis=0),
            "self_consumed_mwh": self_mwh.sum(axis=0),
            "grid_factor_kgco2_per_kwh": co2.grid_factor,
            "co2_avoided_t": co2.avoided_t.sum(axis=0),
            "co2_avoided_lifecycle_t": co2.lifecycle_t.sum(axis=0),
            "capex_cny": money.capex.sum(axis=0),
            "om_cny": money.om.sum(axis=0),
            "replacement_cny": money.replacement.sum(axis=0),
            "revenue_cny": money.revenue.sum(axis=0),
            "bill_savings_cny": money.bill_savings.sum(axis=0),
            "residual_value_cny": money.residual.sum(axis=0),
            # one certificate per whole MWh of the programme: the yearly counts add up to floor(total MWh)
            "green_certificates": np.diff(np.r_[0, green_certificates(np.cumsum(annual_energy))]).astype(np.int64),
        }
    )
    return site_years, per_site, annual


def _totals(annual: pd.DataFrame, economics: EconomicsConfig) -> dict:
    """County figures from the annual table, discounted to the first horizon year. Costs are capex, O&M and
    replacements less the residual value at the horizon; tonnes are discounted like money (levelised convention,
    :func:`sim.economics.cost_per_t_co2`)."""
    r = economics.discount_rate
    cost = (
        annual["capex_cny"] + annual["om_cny"] + annual["replacement_cny"] - annual["residual_value_cny"]
    ).to_numpy()
    revenue = annual["revenue_cny"].to_numpy()
    avoided_t = annual["co2_avoided_t"].to_numpy()
    energy_mwh = float(annual["energy_mwh"].sum())
    return {
        "energy_mwh": energy_mwh,
        "curtailed_mwh": float(annual["curtailed_mwh"].sum()),
        "co2_avoided_t": float(avoided_t.sum()),
        "co2_avoided_lifecycle_t": float(annual["co2_avoided_lifecycle_t"].sum()),
        "green_certificates": int(annual["green_certificates"].sum()),
        "capex_cny": float(annual["capex_cny"].sum()),
        "lcoe_cny_per_kwh": float(lcoe(0.0, cost, annual["energy_mwh"].to_numpy() * 1000.0, r)),
        "npv_cny": float(npv(revenue - cost, r)),
        "cost_per_t_co2_cny": float(cost_per_t_co2(cost, avoided_t, r)),
        "net_cost_per_t_co2_cny": float(cost_per_t_co2(cost - revenue, avoided_t, r)),
        "t_co2_per_mwh": float(avoided_t.sum() / energy_mwh) if energy_mwh > 0 else float("nan"),
        "self_consumed_mwh": float(annual["self_consumed_mwh"].sum()),
        "self_consumption_percent": (
            100.0 * float(annual["self_consumed_mwh"].sum()) / energy_mwh if energy_mwh > 0 else float("nan")
        ),
        "discount_rate_percent": economics.discount_rate_percent,
    }


def _stakeholders(
    built: _Built,
    money: _Money,
    flows: _Flows,
    economics: EconomicsConfig,
    horizon: _Horizon,
    upgrades: np.ndarray,
    upgrade_source: str,
) -> dict:
    """Who pays and who gains under ``economics.business_model`` (:func:`sim.economics.stakeholder_flows`):
    ``npv_by_stakeholder_cny``, ``stakeholder_flows_cny`` (present value of each item, for the report's table),
    the investor's IRR and payback on its county-level cash flows (t = 0 the first horizon year)."""
    r = economics.discount_rate
    rent = (economics.roof_rent_cny_per_kwp_year * built.capacity_kwp[:, None] * flows.operating_fraction).sum(axis=0)
    table = stakeholder_flows(
        economics.investor,
        capex=money.capex.sum(axis=0),
        om=money.om.sum(axis=0),
        replacement=money.replacement.sum(axis=0),
        residual=money.residual.sum(axis=0),
        export_sales=(money.revenue - money.bill_savings).sum(axis=0),
        bill_value=money.bill_savings.sum(axis=0),
        roof_rent=rent,
        onsite_discount_percent=economics.onsite_discount_percent,
        grid_upgrade=upgrades,
    )
    investor_cash = np.sum(list(table[economics.investor].values()), axis=0)
    investor_irr = irr(investor_cash)
    investor_payback = payback_years(investor_cash)
    return {
        "business_model": economics.business_model,
        "investor": economics.investor,
        "npv_by_stakeholder_cny": {
            name: float(npv(np.sum(list(items.values()), axis=0), r)) if items else 0.0 for name, items in table.items()
        },
        "stakeholder_flows_cny": {
            name: {item: float(npv(v, r)) for item, v in items.items()} for name, items in table.items()
        },
        "investor_irr_percent": 100.0 * investor_irr if np.isfinite(investor_irr) else None,
        "investor_payback_years": investor_payback if np.isfinite(investor_payback) else None,
        "grid_upgrade_cost_cny": float(upgrades.sum()),
        "grid_upgrade_cost_source": upgrade_source,
    }


def _social_cost(annual: pd.DataFrame, economics: EconomicsConfig, upgrades: np.ndarray) -> dict:
    """``social_cost_per_t_co2_cny``: (discounted capex, O&M, replacements and grid upgrades, less the residual value
    and less every delivered kWh at the avoided generation cost) / discounted tonnes, and the meaning of each cost
    per tonne."""
    r = economics.discount_rate
    index = escalation(economics.tariff_escalation_percent_per_year, np.arange(len(annual), dtype=float))
    cost = (
        annual["capex_cny"] + annual["om_cny"] + annual["replacement_cny"] - annual["residual_value_cny"]
    ).to_numpy() + upgrades
    avoided = annual["energy_mwh"].to_numpy() * 1000.0 * economics.avoided_generation_cost * index
    basis = f"avoided generation cost {economics.avoided_generation_cost:g} CNY/kWh" + (
        " (coal benchmark)" if economics.avoided_generation_cost_cny_per_kwh is None else ""
    )
    return {
        "social_cost_per_t_co2_cny": float(cost_per_t_co2(cost - avoided, annual["co2_avoided_t"].to_numpy(), r)),
        "cost_per_t_co2_basis": {
            "cost_per_t_co2_cny": "gross: capex, O&M and replacements less the residual value, per discounted tonne "
            "(what the programme costs before any revenue)",
            "net_cost_per_t_co2_cny": "net private: the same less the revenue at the prices the sites earn (retail "
            "tariff on self-consumed, export price on exported energy)",
            "social_cost_per_t_co2_cny": "social: the gross cost plus grid upgrades, less every delivered kWh at the "
            f"{basis} (what society pays per tonne)",
        },
    }


def _mechanism_price_range(
    built: _Built, flows: _Flows, age, economics: EconomicsConfig, horizon: _Horizon, money: _Money
) -> dict:
    """County NPV at the low and high end of the mechanism price's range (published auction results) and of the
    share and term's range (published provincial rules, up to the province's maximums): the run's costs (``money``:
    capex, O&M, replacements and residual value do not depend on the mechanism) against the revenue at each end."""
    if economics.export_price_basis != "mechanism":
        return {}
    cost = (money.capex + money.om + money.replacement - money.residual).sum(axis=0)

    def county_npv(update: dict) -> float:
        variant = economics.model_copy(update=update)
        bill_savings, sales = _revenue(built, flows.delivered, flows.self_consumed, age, variant, horizon)
        return float(npv((bill_savings + sales).sum(axis=0) - cost, economics.discount_rate))

    prices = {f"{p:g}": county_npv({"mechanism_price_cny_per_kwh": p}) for p in economics.mechanism_price_range}
    terms = {
        f"{share:g} % for {years} years": county_npv({"mechanism_share_percent": share, "mechanism_term_years": years})
        for share, years in economics.mechanism_share_term_range
    }
    return {
        "npv_mechanism_price_range_cny": prices,
        "npv_mechanism_share_term_range_cny": terms,
        "mechanism_share_term_source": economics.mechanism_share_term_source,
    }


def _curtail_year(
    table: _YearTable,
    kwp,
    archetype,
    transformer,
    first_hour,
    export: _Export,
    n_archetypes,
    shapes: np.ndarray,
    limit_kw: np.ndarray | None = None,
    steps=(),
    peak: np.ndarray | None = None,
) -> np.ndarray:
    """Curtailed energy [kWh] of each active site in calendar ``year``.

    ``table`` : the year's :class:`_YearTable` (its ``hourly`` (hours, archetypes) float32 [kWh/kWp] read only
    when a transformer may curtail); ``kwp`` : effective kWp per site; ``archetype``,
    ``transformer`` : archetype column / transformer row per site; ``first_hour`` : first operating hour per site (0
    for a full year); ``export`` : local load by shape [kWh/year], existing PV and sharing rule per transformer;
    ``shapes`` : the year's load shapes (:func:`sim.load.hourly_shapes`);
    ``limit_kw`` : export limit per transformer at the start of the year [kW] (None: ``export.limit_kw``);
    ``steps`` : rises of the limit within the year, (transformer row, hour, kW), each from its hour on;
    ``peak`` : the largest hourly yield of each column of ``table.hourly`` (None: taken from it).
    Transformers whose output cannot exceed the limit in any hour (sum of kWp x the archetype's largest hourly
    yield, the existing PV's kWp x the largest yield of any archetype included, <= limit; the load only lowers the
    export) are skipped.
    """
    limit_kw = export.limit_kw if limit_kw is None else limit_kw
    curtailed = np.zeros(len(kwp))
    finite = np.isfinite(limit_kw[transformer])
    if not finite.any():
        return curtailed
    peak = table.hourly.max(axis=0).astype(np.float64) if peak is None else peak
    n_transformers = len(limit_kw)
    bound: np.ndarray = np.bincount(
        transformer[finite], weights=kwp[finite] * peak[archetype[finite]], minlength=n_transformers
    )
    if export.existing_kwp is not None:
        bound = bound + export.existing_kwp * float(peak.max(initial=0.0))
    candidates = np.flatnonzero(np.isfinite(limit_kw) & (bound > limit_kw * (1 + 1e-9)))
    if len(candidates) == 0:
        return curtailed
    position = np.full(n_transformers, -1)
    position[candidates] = np.arange(len(candidates))
    sel = np.flatnonzero(position[transformer] >= 0)
    hourly = table.hourly
    load_kw = export.load_by_shape_kwh[candidates] @ shapes[:, : len(hourly)]
    for row, hour, kw in steps:  # a rise of the limit counts from its hour on, like load that absorbs export
        if position[row] >= 0:
            load_kw[position[row], hour:] += kw
    existing = None if export.existing_kwp is None else export.existing_kwp[candidates]
    curtailed[sel] = _curtail_transformers(
        hourly,
        kwp[sel],
        archetype[sel],
        position[transformer[sel]],
        first_hour[sel],
        limit_kw[candidates],
        n_archetypes,
        load_kw,
        existing_kwp=existing,
        new_first=export.new_first,
    )
    return curtailed


def _existing_output_kw(
    existing_kwp, kwp, transformer, archetype, yield_by_row, n_transformers: int, n_archetypes: int
) -> np.ndarray | None:
    """Hourly output [kW] of the PV connected before the programme, (transformers, daylight rows): its kWp times
    the kWp-weighted mix of the new PV's archetypes on the same transformer (an assumption: the existing systems
    are oriented like the new ones around them). None without existing PV."""
    if existing_kwp is None or not np.any(existing_kwp > 0):
        return None
    mix = np.zeros((n_transformers, n_archetypes))
    np.add.at(mix, (transformer, archetype), kwp)
    total = mix.sum(axis=1, keepdims=True)
    mix = np.divide(mix, total, out=np.zeros_like(mix), where=total > 0)
    return (existing_kwp[:, None] * mix).astype(np.float32) @ yield_by_row


def _curtailed_share(new_kw: np.ndarray, threshold, existing_kw: np.ndarray | None, new_first: bool) -> np.ndarray:
    """Share of each hour's new output that is curtailed, (transformers, rows): pro rata, the excess of all output
    (new + existing) over the threshold over all output; new first, the excess over the new output (at most all of
    it); without existing PV both are the excess of the new output over the threshold over the new output."""
    if existing_kw is None:
        return _share_curtailed(new_kw, threshold)
    threshold = np.broadcast_to(np.asarray(threshold, dtype=np.float32).reshape(len(new_kw), -1), new_kw.shape)
    if new_first:
        return np.fmin(_share_curtailed(new_kw, threshold - existing_kw), np.float32(1.0))
    return _share_curtailed(new_kw + existing_kw, threshold)


def _share_curtailed(output_kw: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Share of each hour's output above the limit, ``max(output - limit, 0) / output`` (0 where the output is 0),
    float32. ``output_kw`` is (transformers, hours) [kW], ``limit`` (transformers,) or (transformers, hours) [kW]
    (the export limit plus the hour's local load)."""
    limit = np.asarray(limit, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        # L / T: inf where T = 0, NaN where L = T = 0
        share = np.divide(limit if limit.ndim == 2 else limit[:, None], output_kw)
    np.subtract(np.float32(1.0), share, out=share)  # (T - L) / T
    np.fmax(share, np.float32(0.0), out=share)  # fmax drops the NaN of 0/0
    return share


@dataclass
class _Switching:
    """Sites commissioned during the year, grouped by (transformer, archetype) pair and processed in chunks that
    bound memory (:data:`_BLOCK_ELEMENTS`)."""

    sites: np.ndarray  # positions of the sites, sorted by pair
    first_row: np.ndarray  # first daylight row at or after each site's first operating hour
    pair: np.ndarray  # pair index of each site
    pair_transformer: np.ndarray  # transformer position of each pair (sorted)
    pair_archetype: np.ndarray  # archetype column of each pair
    chunks: list[tuple[int, int]]  # ranges of pairs
    chunk_sites: np.ndarray  # site ranges of the chunks (len(chunks) + 1 bounds)


def _switching(steps: np.ndarray, transformer, archetype, first_hour, daylight_rows, n_archetypes) -> _Switching:
    first_row = np.searchsorted(daylight_rows, first_hour[steps])
    pairs, pair = np.unique(transformer[steps].astype(np.int64) * n_archetypes + archetype[steps], return_inverse=True)
    order = np.argsort(pair, kind="stable")
    per_chunk = max(1, _BLOCK_ELEMENTS // (len(daylight_rows) + 1))
    chunks = [(p0, min(p0 + per_chunk, len(pairs))) for p0 in range(0, len(pairs), per_chunk)]
    pair = pair[order]
    return _Switching(
        sites=steps[order],
        first_row=first_row[order],
        pair=pair,
        pair_transformer=pairs // n_archetypes,
        pair_archetype=pairs % n_archetypes,
        chunks=chunks,
        chunk_sites=np.searchsorted(pair, [p0 for p0, _ in chunks] + [len(pairs)]),
    )


def _add_switching_output(output_kw, yield_by_row, kwp, switching: _Switching, n_rows: int) -> None:
    """Adds to ``output_kw`` (transformers, daylight rows) the output of sites switched on during the year: per
    (transformer, archetype) pair the cumulative kWp switched on by each row times the archetype's yield."""
    for k, (p0, p1) in enumerate(switching.chunks):
        ss = slice(switching.chunk_sites[k], switching.chunk_sites[k + 1])
        switched_on = np.zeros((p1 - p0, n_rows + 1), dtype=np.float32)
        np.add.at(
            switched_on, (switching.pair[ss] - p0, switching.first_row[ss]), kwp[switching.sites[ss]].astype(np.float32)
        )
        pair_output = np.cumsum(switched_on[:, :n_rows], axis=1, dtype=np.float32)
        pair_output *= yield_by_row[switching.pair_archetype[p0:p1]]
        rows, starts = np.unique(switching.pair_transformer[p0:p1], return_index=True)
        output_kw[rows] += np.add.reduceat(pair_output, starts, axis=0)


def _curtailed_per_kwp_switching(share, yield_by_row, daylight_rows, switching: _Switching, out: np.ndarray) -> None:
    """Curtailed kWh per kWp of each switched-on site, summed from its first operating row to the end of the year:
    (sums of the whole days after that row's day) + (rest of that row's day)."""
    n_rows = len(daylight_rows)
    row_day = daylight_rows // 24
    day_start = np.r_[0, np.flatnonzero(np.diff(row_day)) + 1]
    n_days = len(day_start)
    day_end = np.r_[day_start[1:], n_rows]
    for k, (p0, p1) in enumerate(switching.chunks):
        ss = slice(switching.chunk_sites[k], switching.chunk_sites[k + 1])
        lost = share[switching.pair_transformer[p0:p1]] * yield_by_row[switching.pair_archetype[p0:p1]]
        day_sum = np.add.reduceat(lost, day_start, axis=1).astype(np.float64)  # (pairs, days)
        after = np.zeros((p1 - p0, n_days + 1))
        after[:, :n_days] = np.cumsum(day_sum[:, ::-1], axis=1)[:, ::-1]  # sum over days >= d
        j = switching.pair[ss] - p0
        r = switching.first_row[ss]
        live = r < n_rows
        kd = np.searchsorted(day_start, np.minimum(r, n_rows - 1), side="right") - 1
        value = np.where(live, after[j, kd + 1], 0.0)
        count = np.where(live, day_end[kd] - r, 0)
        rep = np.repeat(np.arange(len(r)), count)
        rr = np.repeat(r, count) + (np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count))
        np.add.at(value, rep, lost[j[rep], rr].astype(np.float64))
        out[switching.sites[ss]] = value


def _curtail_transformers(
    hourly,
    kwp,
    archetype,
    transformer,
    first_hour,
    limit,
    n_archetypes,
    load_kw=None,
    *,
    existing_kwp=None,
    new_first: bool = False,
) -> np.ndarray:
    """Curtailment [kWh] of sites on ``len(limit)`` transformers (site -> transformer position ``transformer``);
    ``load_kw`` (transformers, hours of the year) is the local load that the export is net of (None: no load).

    Hourly output per transformer ``output[c, h] = sum_a kwp_by_pair[c, a] yield[h, a]`` for the sites running all
    year (one matrix product), plus the output of sites commissioned during the year
    (:func:`_add_switching_output`); ``existing_kwp`` (per transformer) adds the existing PV at its hourly output
    (:func:`_existing_output_kw`), sharing the curtailment pro rata, or, ``new_first``, leaving it whole
    (:func:`_curtailed_share`). Each site's curtailed energy is ``kwp x sum_{h >= start} share[c, h]
    yield[h, a]`` with ``share`` the curtailed share of the hour. Hours in which no archetype produces (night) are
    left out: nothing can be curtailed then. Arrays are laid out (transformers or pairs, hours) so that cumulative
    sums run along contiguous memory.
    """
    daylight_rows = np.flatnonzero(hourly.max(axis=1) > 0)
    yield_by_row = np.ascontiguousarray(hourly[daylight_rows].T)  # (archetypes, daylight rows)
    n_rows = len(daylight_rows)
    per_kwp = np.zeros(len(kwp))
    if n_rows == 0:
        return per_kwp
    full = first_hour == 0
    kwp_by_pair = np.zeros((len(limit), n_archetypes))
    np.add.at(kwp_by_pair, (transformer[full], archetype[full]), kwp[full])
    output_kw = kwp_by_pair.astype(np.float32) @ yield_by_row  # (transformers, rows) kWh per hour = kW
    steps = np.flatnonzero(~full)
    switching = (
        _switching(steps, transformer, archetype, first_hour, daylight_rows, n_archetypes) if len(steps) else None
    )
    if switching is not None:
        _add_switching_output(output_kw, yield_by_row, kwp, switching, n_rows)
    threshold = limit if load_kw is None else limit[:, None] + load_kw[:, daylight_rows]
    share = _curtailed_share(
        output_kw,
        threshold,
        _existing_output_kw(existing_kwp, kwp, transformer, archetype, yield_by_row, len(limit), n_archetypes),
        new_first,
    )
    del output_kw
    if full.any():
        per_pair = share @ yield_by_row.T  # (transformers, archetypes): sum_h share[c, h] yield[h, a]
        per_kwp[full] = per_pair[transformer[full], archetype[full]]
    if switching is not None:
        _curtailed_per_kwp_switching(share, yield_by_row, daylight_rows, switching, per_kwp)
    return kwp * np.maximum(per_kwp, 0.0)
