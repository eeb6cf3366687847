"""Post-simulation accounting: energy per site and year, hourly curtailment, carbon and money.

Energy of a built site ``i`` in calendar year ``y`` (its commissioning year ``c_i``) [kWh]::

    E_iy = capacity_kwp_i x sum_{h in operating hours of y} profile_y[h, archetype_i]
           x (1 - d1 / 100) x (1 - d / 100) ** (y - c_i)
           x (1 - downtime_days_iy / operating_days_iy)

- ``profile_y`` is the typical-year profile [kWh/kWp per hour] of weather year ``(y - first_year) % n_profiles``,
  mapped onto the calendar year's hours (an 8760-hour profile repeats 28 February on 29 February of a leap year; an
  8784-hour profile drops its 29 February in a common year).
- Operating hours: from the first whole hour at or after the commissioning time (local time) in the commissioning
  year, every hour of later years.
- Degradation: ``d1 = degradation_first_year_percent`` applies from commissioning (the first year loses ``d1``),
  then ``d = degradation_percent_per_year`` per further year of age; age is in whole years, counted as calendar
  year minus commissioning year (so age 0 in the commissioning year).
- Downtime: the year's inverter-outage days scale the year's output evenly, relative to the days the site operated
  that year (``operating_hours / 24``; 365 or 366 for a full year), clipped to 0..1.

Curtailment: for each transformer with a finite ``export_limit_kw`` and each hour, the sum of its sites' output
(hourly kWh = average kW) above the limit is curtailed and shared pro rata among the sites on it. The whole output
is compared with the limit (self-consumption is not netted off, which overstates curtailment where loads are
large). Hourly sums are matrix products of the profiles with the effective kWp per archetype on each transformer
(piecewise constant over day blocks in commissioning years), never Python loops over hours.

Curtailed energy earns nothing: ``energy_mwh`` is the delivered energy, after curtailment and downtime; carbon and
revenue are computed from it.

Money (see :mod:`sim.economics` for the discounting convention): capex ``capex_cny x (1 + e_capex) **
(c_i - first_year)`` in the commissioning year; O&M ``om_cny_per_kw_year x capacity_kwp x operating fraction of
the year x (1 + e_om) ** (y - first_year)``; an inverter replacement ``capacity_kwp x 1000 x cny_per_w`` in the year
of age ``inverter_replacement_year``; revenue ``E x (s x retail + (1 - s) x export) x (1 + e_tariff) ** (y -
first_year)`` with ``s = self_consumption_percent / 100``. Per-site figures discount to the commissioning year
(t = 0), county figures to the first horizon year. Economics are truncated at the horizon (no residual value), so
sites commissioned late look worse than over a full lifetime.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from sim.carbon import CarbonConfig, green_certificates, resolve_factor
from sim.economics import EconomicsConfig, cost_per_t_co2, present_value, simple_payback_years
from sim.errors import InputError, InputWarning

#: NEA whole-county rooftop distributed PV pilot (June 2021): minimum share of roofs with PV [%].
PILOT_TARGETS_PERCENT: dict[str, float] = {
    "party_government": 50.0,
    "public": 40.0,
    "commercial_industrial": 30.0,
    "rural_home": 20.0,
}
PILOT_SOURCE = (
    "NEA General Department, notice on submitting whole-county (city, district) rooftop distributed PV development "
    "pilot schemes, June 2021 (676 pilot counties listed Sept 2021)"
)

SITE_COLUMNS = ("site_type", "capacity_kwp", "archetype", "transformer_id", "capex_cny", "om_cny_per_kw_year",
                "self_consumption_percent")

# memory bound of the (transformer, archetype) pair x hour arrays of one chunk, in elements
_BLOCK_ELEMENTS = 8_000_000


@dataclass
class Accounts:
    """Result of :func:`account`.

    - ``site_years``: one row per built site and calendar year from its commissioning year: ``site_id, year,
      energy_mwh, curtailed_mwh, co2_avoided_gross_t, co2_avoided_t`` (net of life-cycle emissions).
    - ``sites``: indexed by ``site_id`` (every candidate site): ``built, commission_date, energy_mwh,
      curtailed_mwh, co2_avoided_gross_t, co2_avoided_t, capex_cny, lcoe_cny_per_kwh, npv_cny, payback_years``
      (NaN money figures for sites not built).
    - ``annual``: one row per calendar year: ``year, capacity_online_kwp`` (end of year), ``energy_mwh,
      curtailed_mwh, co2_avoided_gross_t, co2_avoided_t, capex_cny`` (by commissioning year), ``om_cny,
      replacement_cny, revenue_cny, green_certificates``.
    - ``totals``: county figures (see :func:`account`).
    """

    site_years: pd.DataFrame
    sites: pd.DataFrame
    annual: pd.DataFrame
    totals: dict = field(default_factory=dict)


def pilot_coverage(sites: pd.DataFrame, outcomes: pd.DataFrame) -> dict:
    """Rooftop coverage of the whole-county pilot categories.

    For each category in :data:`PILOT_TARGETS_PERCENT`: ``candidates`` (rows of ``sites`` with that
    ``pilot_category``, eligible or not: the pilot counts all roofs of the category), ``eligible``, ``built`` (status
    ``operating`` in ``outcomes``), ``share_percent = 100 x built / candidates`` (NaN without candidates),
    ``target_percent`` and ``met`` (False without candidates). Shares are by count of roofs.
    """
    cat = sites["pilot_category"].fillna("").astype(str) if "pilot_category" in sites else pd.Series("", sites.index)
    eligible = sites["eligible"].astype(bool) if "eligible" in sites else pd.Series(True, sites.index)
    status = outcomes["status"].reindex(sites.index) if len(outcomes) else pd.Series(np.nan, sites.index)
    built = (status == "operating").to_numpy()
    out = {}
    for name, target in PILOT_TARGETS_PERCENT.items():
        m = (cat == name).to_numpy()
        n = int(m.sum())
        nb = int((m & built).sum())
        share = 100.0 * nb / n if n else float("nan")
        out[name] = {
            "candidates": n,
            "eligible": int((m & eligible.to_numpy()).sum()),
            "built": nb,
            "share_percent": share,
            "target_percent": target,
            "met": bool(n > 0 and share >= target),
        }
    return out


def _hour_map(year: int, n_profile_hours: int) -> np.ndarray:
    """Profile row for each hour of calendar ``year``."""
    year = int(year)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    n_year = 8784 if leap else 8760
    h = np.arange(n_year)
    feb29 = 59 * 24  # first hour of 29 February (day index 59)
    if n_profile_hours == n_year:
        return h
    if n_profile_hours == 8760 and leap:
        return np.where(h >= feb29, h - 24, h)  # 29 Feb repeats 28 Feb
    if n_profile_hours == 8784 and not leap:
        return np.where(h >= feb29, h + 24, h)  # skip the profile's 29 Feb
    raise InputError("a yield profile must have 8760 or 8784 hourly rows", field="profiles", value=n_profile_hours)


def _to_naive_local(ts: pd.Series) -> pd.Series:
    ts = pd.to_datetime(ts)
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
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
        raise InputError("outcomes name sites that are not in the sites table", field="outcomes.site_id",
                         value=list(unknown[:5]))
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
            raise InputError("each yield profile must be a 2-D array (hours, archetypes)", field="profiles",
                             value=np.shape(p))
        _hour_map(2001, p.shape[0])


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
) -> Accounts:
    """Energy, curtailment, carbon and money of a rollout (formulas in the module docstring).

    Parameters
    ----------
    sites : every candidate site, indexed by ``site_id``: ``site_type, capacity_kwp [kWp DC], archetype (int),
        transformer_id, capex_cny [CNY], om_cny_per_kw_year [CNY/kW/year], self_consumption_percent [%],
        pilot_category, eligible``.
    outcomes : indexed by ``site_id``: ``status`` (``operating`` = built), ``commission_date``.
    downtime : ``site_id, year, downtime_days`` [days] of inverter outage.
    profiles : one array (hours, n_archetypes) [AC kWh per kWp per hour] per weather year.
    transformers : indexed by ``transformer_id``: ``export_limit_kw`` [kW] (inf or NaN = unlimited).
    start_date : first day of the horizon; the horizon covers the calendar years ``start_date.year`` ..
        ``start_date.year + horizon_years - 1``.
    degradation_first_year_percent, degradation_percent_per_year : [%].
    carbon, economics : scenario sections.

    ``totals`` holds ``energy_mwh, curtailed_mwh, co2_avoided_t`` (net), ``co2_avoided_gross_t,
    co2_lifecycle_t, green_certificates, capex_cny, lcoe_cny_per_kwh, npv_cny, cost_per_t_co2_cny`` (discounted
    capex + O&M + replacements / discounted net tonnes), ``net_cost_per_t_co2_cny`` (-NPV / discounted net tonnes),
    ``t_co2_per_mwh`` (net), ``emission_factor_method, emission_factor_source, lifecycle_kgco2e_per_kwh,
    lifecycle_source, discount_rate_percent, pilot_coverage``.
    """
    _check_inputs(sites, outcomes, transformers, profiles, horizon_years, degradation_first_year_percent,
                  degradation_percent_per_year)
    horizon_years = int(horizon_years)
    factor = resolve_factor(carbon)  # bad region / year fails before the heavy work
    start = pd.Timestamp(start_date)
    if start.tzinfo is not None:
        start = start.tz_convert("Asia/Shanghai").tz_localize(None)
    y0 = start.year
    years = np.arange(y0, y0 + horizon_years)
    n_years = horizon_years
    horizon_end = pd.Timestamp(year=y0 + n_years, month=1, day=1)

    # ---- built sites -------------------------------------------------------------------------------------------
    status = outcomes["status"].astype(str)
    op = outcomes[status == "operating"]
    cdate = _to_naive_local(op["commission_date"])
    if cdate.isna().any():
        raise InputError("operating sites need a commission_date", field="outcomes.commission_date",
                         value=list(cdate.index[cdate.isna()][:5]))
    early = cdate < start
    if early.any():
        warnings.warn(f"{int(early.sum())} site(s) commissioned before start_date {start.date()}: counted from "
                      "start_date", InputWarning, stacklevel=2)
        cdate = cdate.where(~early, start)
    start_hour = int(np.ceil((start - pd.Timestamp(year=y0, month=1, day=1)) / pd.Timedelta(hours=1)))
    in_horizon = cdate < horizon_end
    built_ids = cdate.index[in_horizon.to_numpy()]
    cdate = cdate[in_horizon]
    s = sites.loc[built_ids]
    nb = len(built_ids)
    cap = s["capacity_kwp"].to_numpy(float)
    if np.any(~np.isfinite(cap)) or np.any(cap < 0):
        raise InputError("capacity_kwp must be finite and >= 0", field="sites.capacity_kwp")
    arch_raw = s["archetype"].to_numpy()
    n_arch_total = min(p.shape[1] for p in profiles)
    if nb and (np.any(arch_raw < 0) or np.any(arch_raw >= n_arch_total)):
        raise InputError("archetype index outside the profiles' columns", field="sites.archetype",
                         allowed=f"0..{n_arch_total - 1}")
    used_arch, arch = np.unique(arch_raw.astype(np.int64), return_inverse=True)
    n_arch = len(used_arch)
    cy = cdate.dt.year.to_numpy().astype(np.int64)
    jan1 = pd.to_datetime(pd.DataFrame({"year": cy, "month": 1, "day": 1})) if nb else pd.Series([], dtype="M8[ns]")
    h0 = np.ceil((cdate.to_numpy() - jan1.to_numpy()) / np.timedelta64(1, "h")).astype(np.int64) if nb else \
        np.zeros(0, np.int64)
    h0 = np.where(cy == y0, np.maximum(h0, start_hour), h0)
    kc = cy - y0  # commissioning year index

    sc = s["self_consumption_percent"].to_numpy(float) / 100.0
    if np.any(~np.isfinite(sc)) or np.any(sc < 0) or np.any(sc > 1):
        raise InputError("self_consumption_percent must lie in 0..100", field="sites.self_consumption_percent")
    retail = economics.retail_tariff_for(s["site_type"].to_numpy())
    tariff = sc * retail + (1.0 - sc) * economics.export_tariff_cny_per_kwh  # CNY/kWh in the first horizon year

    tid = s["transformer_id"]
    unknown_t = pd.Index(tid.unique()).difference(transformers.index)
    if len(unknown_t):
        raise InputError("sites refer to transformers not in the transformer table", field="sites.transformer_id",
                         value=list(unknown_t[:5]))
    limit_all = pd.to_numeric(transformers["export_limit_kw"], errors="coerce").to_numpy(float)
    if np.any(limit_all < 0):
        raise InputError("export_limit_kw must be >= 0 (inf or empty for unlimited)", field="export_limit_kw")
    limit_all = np.where(np.isnan(limit_all), np.inf, limit_all)
    tr = transformers.index.get_indexer(tid)

    # ---- downtime [days] per built site and year ---------------------------------------------------------------
    down = np.zeros((nb, n_years))
    if downtime is not None and len(downtime):
        for c in ("site_id", "year", "downtime_days"):
            if c not in downtime.columns:
                raise InputError("downtime table lacks a column", field=c)
        unknown = pd.Index(downtime["site_id"].unique()).difference(sites.index)
        if len(unknown):
            raise InputError("downtime names sites that are not in the sites table", field="downtime.site_id",
                             value=list(unknown[:5]))
        dd = downtime["downtime_days"].to_numpy(float)
        if np.any(~np.isfinite(dd)) or np.any(dd < 0):
            raise InputError("downtime_days must be finite and >= 0", field="downtime.downtime_days")
        ri = built_ids.get_indexer(downtime["site_id"])
        yi = downtime["year"].to_numpy(np.int64) - y0
        ok = (ri >= 0) & (yi >= 0) & (yi < n_years)
        np.add.at(down, (ri[ok], yi[ok]), dd[ok])

    # ---- energy and curtailment, year by year ------------------------------------------------------------------
    energy_kwh = np.zeros((nb, n_years))  # delivered
    curt_kwh = np.zeros((nb, n_years))
    op_frac = np.zeros((nb, n_years))
    d1 = degradation_first_year_percent / 100.0
    dr = degradation_percent_per_year / 100.0
    year_tables: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for k, y in enumerate(years):
        prof = profiles[k % len(profiles)]
        hmap = _hour_map(int(y), prof.shape[0])
        n_h = len(hmap)
        act = np.flatnonzero(kc <= k)
        if len(act) == 0:
            continue
        key = (k % len(profiles), n_h)  # the same profile and year length give the same hourly table
        if key not in year_tables:
            P = np.ascontiguousarray(np.asarray(prof, dtype=np.float32)[hmap][:, used_arch])  # (hours, n_arch)
            suffix = np.zeros((n_h + 1, n_arch))
            suffix[:-1] = np.cumsum(P[::-1].astype(np.float64), axis=0)[::-1]
            year_tables[key] = (P, suffix)
        P, suffix = year_tables[key]
        hs = np.where(kc[act] == k, np.minimum(h0[act], n_h), 0)
        op_hours = n_h - hs
        op_frac[act, k] = op_hours / n_h
        with np.errstate(divide="ignore", invalid="ignore"):
            dfac = np.where(op_hours > 0, 1.0 - down[act, k] * 24.0 / np.maximum(op_hours, 1), 0.0)
        dfac = np.clip(dfac, 0.0, 1.0)
        w = cap[act] * (1.0 - d1) * (1.0 - dr) ** (k - kc[act]) * dfac  # effective kWp
        gross = w * suffix[hs, arch[act]]
        curt = np.minimum(_curtail_year(P, w, arch[act], tr[act], hs, limit_all, n_arch), gross)
        energy_kwh[act, k] = gross - curt
        curt_kwh[act, k] = curt

    # ---- carbon ----------------------------------------------------------------------------------------------
    ef = factor.by_year(years)  # kgCO2/kWh = tCO2/MWh
    lc = carbon.lifecycle_factor_kgco2e_per_kwh
    e_mwh = energy_kwh / 1000.0
    c_mwh = curt_kwh / 1000.0
    gross_t = e_mwh * ef[None, :]
    net_t = gross_t - e_mwh * lc

    # ---- money -----------------------------------------------------------------------------------------------
    r = economics.discount_rate
    t_county = np.arange(n_years, dtype=float)
    esc = lambda pct: (1.0 + pct / 100.0) ** t_county  # noqa: E731
    capex_site = s["capex_cny"].to_numpy(float) * (1.0 + economics.capex_escalation_percent_per_year / 100.0) ** kc
    capex_sy = np.zeros((nb, n_years))
    capex_sy[np.arange(nb), kc] = capex_site
    om_sy = (s["om_cny_per_kw_year"].to_numpy(float) * cap)[:, None] * op_frac * esc(
        economics.om_escalation_percent_per_year)[None, :]
    repl_sy = np.zeros((nb, n_years))
    if economics.inverter_replacement_year is not None:
        kr = kc + economics.inverter_replacement_year
        ok = kr < n_years
        repl_sy[np.flatnonzero(ok), kr[ok]] = cap[ok] * 1000.0 * economics.inverter_replacement_cny_per_w
    rev_sy = energy_kwh * tariff[:, None] * esc(economics.tariff_escalation_percent_per_year)[None, :]
    running_sy = om_sy + repl_sy

    # per site: shift each row so that column 0 is the commissioning year
    cols = kc[:, None] + np.arange(n_years)[None, :]
    valid = cols < n_years
    cols_c = np.minimum(cols, n_years - 1)
    rows = np.arange(nb)[:, None]

    def shift(a):
        return np.where(valid, a[rows, cols_c], 0.0)

    e_shift, run_shift, rev_shift = shift(energy_kwh), shift(running_sy), shift(rev_sy)
    pv_e = present_value(e_shift, r) if nb else np.zeros(0)
    pv_run = present_value(run_shift, r) if nb else np.zeros(0)
    pv_rev = present_value(rev_shift, r) if nb else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lcoe_site = np.where(pv_e > 0, (capex_site + pv_run) / np.where(pv_e > 0, pv_e, 1.0), np.nan)
    npv_site = pv_rev - pv_run - capex_site
    length = np.where(valid, 1.0, 0.0)
    length[:, 0] = op_frac[np.arange(nb), kc] if nb else length[:, 0]
    payback = simple_payback_years(capex_site, rev_shift - run_shift, length) if nb else np.zeros(0)
    payback = np.atleast_1d(payback)

    # ---- tables ----------------------------------------------------------------------------------------------
    mask = (np.arange(n_years)[None, :] >= kc[:, None])
    ri, yi = np.nonzero(mask)
    site_years = pd.DataFrame({
        "site_id": built_ids.to_numpy()[ri],
        "year": years[yi],
        "energy_mwh": e_mwh[ri, yi],
        "curtailed_mwh": c_mwh[ri, yi],
        "co2_avoided_gross_t": gross_t[ri, yi],
        "co2_avoided_t": net_t[ri, yi],
    })

    per_site = pd.DataFrame(index=sites.index.copy())
    per_site.index.name = sites.index.name or "site_id"
    per_site["built"] = per_site.index.isin(built_ids)
    per_site["commission_date"] = pd.Series(cdate.to_numpy(), index=built_ids).reindex(per_site.index)
    for name, arr in (("energy_mwh", e_mwh.sum(axis=1)), ("curtailed_mwh", c_mwh.sum(axis=1)),
                      ("co2_avoided_gross_t", gross_t.sum(axis=1)), ("co2_avoided_t", net_t.sum(axis=1))):
        per_site[name] = pd.Series(arr, index=built_ids).reindex(per_site.index).fillna(0.0)
    for name, arr in (("capex_cny", capex_site), ("lcoe_cny_per_kwh", lcoe_site), ("npv_cny", npv_site),
                      ("payback_years", payback)):
        per_site[name] = pd.Series(np.asarray(arr, float), index=built_ids).reindex(per_site.index)

    cap_online = np.array([cap[cdate.to_numpy() < pd.Timestamp(year=int(y) + 1, month=1, day=1)].sum()
                           for y in years]) if nb else np.zeros(n_years)
    certs_sy = green_certificates(e_mwh) if nb else np.zeros((0, n_years), np.int64)
    annual = pd.DataFrame({
        "year": years,
        "capacity_online_kwp": cap_online,
        "energy_mwh": e_mwh.sum(axis=0),
        "curtailed_mwh": c_mwh.sum(axis=0),
        "co2_avoided_gross_t": gross_t.sum(axis=0),
        "co2_avoided_t": net_t.sum(axis=0),
        "capex_cny": capex_sy.sum(axis=0),
        "om_cny": om_sy.sum(axis=0),
        "replacement_cny": repl_sy.sum(axis=0),
        "revenue_cny": rev_sy.sum(axis=0),
        "green_certificates": np.asarray(certs_sy).reshape(nb, n_years).sum(axis=0).astype(np.int64),
    })

    cost_y = (annual["capex_cny"] + annual["om_cny"] + annual["replacement_cny"]).to_numpy()
    pv_energy_kwh = present_value(annual["energy_mwh"].to_numpy() * 1000.0, r)
    pv_net_t = present_value(annual["co2_avoided_t"].to_numpy(), r)
    npv_total = present_value(annual["revenue_cny"].to_numpy() - cost_y, r)
    totals = {
        "energy_mwh": float(annual["energy_mwh"].sum()),
        "curtailed_mwh": float(annual["curtailed_mwh"].sum()),
        "co2_avoided_t": float(annual["co2_avoided_t"].sum()),
        "co2_avoided_gross_t": float(annual["co2_avoided_gross_t"].sum()),
        "co2_lifecycle_t": float((annual["co2_avoided_gross_t"] - annual["co2_avoided_t"]).sum()),
        "green_certificates": int(annual["green_certificates"].sum()),
        "capex_cny": float(annual["capex_cny"].sum()),
        "lcoe_cny_per_kwh": float(present_value(cost_y, r) / pv_energy_kwh) if pv_energy_kwh > 0 else float("nan"),
        "npv_cny": float(npv_total),
        "cost_per_t_co2_cny": float(cost_per_t_co2(cost_y, annual["co2_avoided_t"].to_numpy(), r)),
        "net_cost_per_t_co2_cny": float(-npv_total / pv_net_t) if pv_net_t > 0 else float("nan"),
        "t_co2_per_mwh": float(annual["co2_avoided_t"].sum() / annual["energy_mwh"].sum())
        if annual["energy_mwh"].sum() > 0 else float("nan"),
        "emission_factor_method": factor.method,
        "emission_factor_source": factor.source,
        "lifecycle_kgco2e_per_kwh": lc,
        "lifecycle_source": carbon.lifecycle_source,
        "discount_rate_percent": economics.discount_rate_percent,
        "pilot_coverage": pilot_coverage(sites, outcomes),
    }
    return Accounts(site_years=site_years, sites=per_site, annual=annual, totals=totals)


def _curtail_year(P, w, arch, tr, hs, limit_all, n_arch) -> np.ndarray:
    """Curtailed energy [kWh] of each active site in one year.

    P : (hours, n_arch) float32 kWh/kWp; w : effective kWp per site; arch, tr : archetype / transformer index per
    site; hs : first operating hour per site (0 for a full year); limit_all : export limit [kW] per transformer.
    Transformers whose output cannot exceed the limit in any hour (sum of w x the archetype's largest hourly yield
    <= limit) are skipped.
    """
    curt = np.zeros(len(w))
    lim_site = limit_all[tr]
    finite = np.isfinite(lim_site)
    if not finite.any():
        return curt
    pmax = P.max(axis=0).astype(np.float64)
    n_t = len(limit_all)
    bound = np.bincount(tr[finite], weights=w[finite] * pmax[arch[finite]], minlength=n_t)
    cand_t = np.flatnonzero(np.isfinite(limit_all) & (bound > limit_all * (1 + 1e-9)))
    if len(cand_t) == 0:
        return curt
    t_pos = np.full(n_t, -1)
    t_pos[cand_t] = np.arange(len(cand_t))
    sel = np.flatnonzero(t_pos[tr] >= 0)
    curt[sel] = _curtail_transformers(P, w[sel], arch[sel], t_pos[tr[sel]], hs[sel], limit_all[cand_t], n_arch)
    return curt


def _share_curtailed(T: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Share of each hour's output above the limit, ``max(T - limit, 0) / T`` (0 where T = 0), float32.

    ``T`` is (transformers, hours) [kW], ``limit`` (transformers,) [kW].
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.divide(limit[:, None].astype(np.float32), T)  # L / T: inf where T = 0, NaN where L = T = 0
    np.subtract(np.float32(1.0), f, out=f)  # (T - L) / T
    np.fmax(f, np.float32(0.0), out=f)  # fmax drops the NaN of 0/0
    return f


def _curtail_transformers(P, w, arch, c, hs, limit, n_arch) -> np.ndarray:
    """Curtailment [kWh] of sites on ``len(limit)`` transformers (site -> transformer index ``c``).

    Hourly output per transformer ``T[c, h] = sum_a W[c, a] P[h, a]`` for the sites running all year (one matrix
    product), plus, for sites commissioned during the year, ``C[(c, a), h] x P[h, a]`` with ``C`` the cumulative
    effective kWp switched on by hour ``h`` for each (transformer, archetype) pair that has such sites. Each site's
    curtailed energy is ``w x sum_{h >= start} f[c, h] P[h, a]`` with ``f`` the curtailed share of the hour.
    Hours in which no archetype produces (night) are left out: nothing can be curtailed then. Arrays are laid out
    (transformers or pairs, hours) so that cumulative sums run along contiguous memory.
    """
    n_c = len(limit)
    rows = np.flatnonzero(P.max(axis=1) > 0)  # daylight hours
    PdT = np.ascontiguousarray(P[rows].T)  # (n_arch, n_r)
    n_r = len(rows)
    per_kwp = np.zeros(len(w))
    if n_r == 0:
        return per_kwp
    step = hs > 0
    full = ~step
    W = np.zeros((n_c, n_arch))
    np.add.at(W, (c[full], arch[full]), w[full])
    T = W.astype(np.float32) @ PdT  # (n_c, hours) kWh per hour = kW

    si = np.flatnonzero(step)
    if len(si):
        r0 = np.searchsorted(rows, hs[si])  # first daylight row at or after the first operating hour
        upairs, pinv = np.unique(c[si].astype(np.int64) * n_arch + arch[si], return_inverse=True)
        pc, pa = upairs // n_arch, upairs % n_arch  # sorted by transformer
        order = np.argsort(pinv, kind="stable")
        si, r0, pinv = si[order], r0[order], pinv[order]
        m = max(1, _BLOCK_ELEMENTS // (n_r + 1))
        chunks = [(p0, min(p0 + m, len(upairs))) for p0 in range(0, len(upairs), m)]
        site_bounds = np.searchsorted(pinv, [p0 for p0, _ in chunks] + [len(upairs)])
        for k, (p0, p1) in enumerate(chunks):
            ss = slice(site_bounds[k], site_bounds[k + 1])
            inc = np.zeros((p1 - p0, n_r + 1), dtype=np.float32)
            np.add.at(inc, (pinv[ss] - p0, r0[ss]), w[si[ss]].astype(np.float32))
            C = np.cumsum(inc[:, :n_r], axis=1, dtype=np.float32)
            C *= PdT[pa[p0:p1]]
            cols, starts = np.unique(pc[p0:p1], return_index=True)
            T[cols] += np.add.reduceat(C, starts, axis=0)
            del inc, C
    f = _share_curtailed(T, limit)
    del T
    if full.any():
        G = f @ PdT.T  # (n_c, n_arch): sum_h f[c, h] P[h, a]
        per_kwp[full] = G[c[full], arch[full]]
    if len(si):
        # sum_{r >= r0} X[r] = (sums of the whole days after r0's day) + (rest of r0's day), X = f x P per pair
        row_day = rows // 24
        dstart = np.r_[0, np.flatnonzero(np.diff(row_day)) + 1]
        n_dd = len(dstart)
        dend = np.r_[dstart[1:], n_r]
        for k, (p0, p1) in enumerate(chunks):
            ss = slice(site_bounds[k], site_bounds[k + 1])
            X = f[pc[p0:p1]] * PdT[pa[p0:p1]]  # (pairs, n_r) float32
            dsum = np.add.reduceat(X, dstart, axis=1).astype(np.float64)  # (pairs, days)
            after = np.zeros((p1 - p0, n_dd + 1))
            after[:, :n_dd] = np.cumsum(dsum[:, ::-1], axis=1)[:, ::-1]  # sum over days >= d
            j = pinv[ss] - p0
            r = r0[ss]
            live = r < n_r
            kd = np.searchsorted(dstart, np.minimum(r, n_r - 1), side="right") - 1
            val = np.where(live, after[j, kd + 1], 0.0)
            cnt = np.where(live, dend[kd] - r, 0)
            rep = np.repeat(np.arange(len(r)), cnt)
            rr = np.repeat(r, cnt) + (np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt))
            np.add.at(val, rep, X[j[rep], rr].astype(np.float64))
            per_kwp[si[ss]] = val
    return w * np.maximum(per_kwp, 0.0)
