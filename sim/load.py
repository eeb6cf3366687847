"""Electricity use of the sites: annual load and hourly shape per site type, self-consumption hour by hour, and the
load the curtailment engine nets the export with.

- Annual load of a site [kWh/year] (:func:`annual_load_kwh`): the sites layer's own ``load_kwh_per_year`` where
  given, otherwise its type's row of ``sim/tables/site_loads.csv`` (``per_site``: that many kWh; ``per_m2``: kWh per
  m2 of the site polygon's area), each row with its source.
- Hourly shape (:func:`hourly_shapes`): kW in each hour of a calendar year per kWh of yearly use (a year sums to 1).
  ``household`` is the BDEW/VDEW H0 profile (:func:`sim.grid.hourly_load_kw_per_mwh`); the other shapes combine a
  workday and a rest-day curve of 24 hourly weights with 12 month factors (``sim/tables/load_shapes.csv``); rest
  days are weekends and public holidays, working days China's adjusted working days (the ``holidays`` package).
- Self-consumption (:func:`self_consumed_kwh`): in each hour the site uses ``min(PV output, load)`` of its own
  output; only the rest is exported. A site never self-consumes more than its load, nor more than its output.
- Transformer load (:func:`transformer_load_by_shape`): the loads of the sites layer's buildings on each
  transformer (built or not: they are its customers either way) plus the ledger's other customers at the household
  load, by shape, so that the curtailment engine nets the export with the same load the sites self-consume from.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.grid import hourly_load_kw_per_mwh
from sim.timebase import days_in_year

#: The sites layer's optional column with a site's own yearly electricity use [kWh/year].
USER_LOAD_COLUMN = "load_kwh_per_year"
#: Shape of the H0 household profile (the other shapes are rows of ``sim/tables/load_shapes.csv``).
HOUSEHOLD = "household"
#: Sites processed at once when self-consumption is summed hour by hour: 16 sites of one shape x ~4,100 daylight
#: hours keep the two reused working arrays (about 0.5 MB each) near the CPU caches; measured on the demo's own calls
#: (25 years, ~700 sites) 8 and 16 sites take 0.10 s a run, 32 0.12 s, 128 0.16 s (benchmarks/SPEED.md, round 3);
#: the same sums (each site's row is summed on its own).
_CHUNK_SITES = 16


@lru_cache(maxsize=1)
def site_load_table() -> pd.DataFrame:
    """``sim/tables/site_loads.csv`` indexed by site type: ``load_basis`` (per_site, per_m2), ``annual_load_kwh``,
    ``shape``, ``source``."""
    with resources.files("sim").joinpath("tables/site_loads.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh).set_index("site_type")
    bad = ~table["load_basis"].isin(["per_site", "per_m2"]) | ~(table["annual_load_kwh"] >= 0)
    if bad.any():
        raise InputError(
            "site-load table rows with a bad basis or load",
            file="sim/tables/site_loads.csv",
            value=list(table.index[bad]),
            allowed="load_basis per_site|per_m2, annual_load_kwh >= 0",
        )
    return table


@lru_cache(maxsize=1)
def _shape_table() -> dict[str, dict[str, np.ndarray]]:
    with resources.files("sim").joinpath("tables/load_shapes.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh)
    out: dict[str, dict[str, np.ndarray]] = {}
    for (shape, kind), rows in table.groupby(["shape", "kind"], sort=False):
        out.setdefault(str(shape), {})[str(kind)] = rows.sort_values("index")["weight"].to_numpy(float)
    for shape, parts in out.items():
        if [len(parts.get(k, ())) for k in ("workday", "restday", "month")] != [24, 24, 12]:
            raise InputError(
                f"load shape '{shape}' needs 24 workday, 24 restday and 12 month weights",
                file="sim/tables/load_shapes.csv",
            )
    return out


def shape_names() -> tuple[str, ...]:
    """Every shape, in the row order of :func:`hourly_shapes`."""
    return (HOUSEHOLD, *_shape_table())


def rest_days(year: int, country: str | None = "CN") -> np.ndarray:
    """True on each day of ``year`` that is a weekend day or public holiday of ``country``, False on working days
    (China's weekend days made working days in exchange for bridge days count as working days); without a country
    (None) Saturdays and Sundays."""
    from sim.rollout.calendar import PublicHolidays, public_holidays

    days = pd.date_range(date(year, 1, 1), periods=days_in_year(year), freq="D")
    table = (
        public_holidays(country, None, year, year)
        if country
        else PublicHolidays(days=frozenset(), weekend=frozenset({5, 6}), workdays=frozenset())
    )
    weekend = np.isin(days.day_of_week, sorted(table.weekend))
    holiday = np.isin(days.date, sorted(table.days))
    workday = np.isin(days.date, sorted(table.workdays))
    return (weekend | holiday) & ~workday


@lru_cache(maxsize=64)
def hourly_shapes(year: int, country: str | None = "CN") -> np.ndarray:
    """Load in each hour of calendar ``year`` per kWh of yearly use [kW per kWh/year], (shapes, hours), rows in the
    order of :func:`shape_names`; each row sums to 1 over the year."""
    rest = rest_days(year, country)
    month = pd.date_range(date(year, 1, 1), periods=len(rest), freq="D").month.to_numpy() - 1
    rows = [hourly_load_kw_per_mwh(year) / 1000.0]
    for parts in _shape_table().values():
        daily = (
            np.where(rest[:, None], parts["restday"][None, :], parts["workday"][None, :])
            * parts["month"][month][:, None]
        )
        flat = daily.reshape(-1)
        rows.append(flat / flat.sum())
    out = np.vstack(rows)
    out.setflags(write=False)
    return out


def annual_load_kwh(sites: pd.DataFrame) -> pd.Series:
    """Yearly electricity use of each site [kWh/year]: the sites layer's ``load_kwh_per_year`` where given (finite
    and >= 0), otherwise its type's row of ``sim/tables/site_loads.csv`` (per site, or per m2 of ``area_m2``)."""
    table = site_load_table()
    types = sites["site_type"].astype(str)
    unknown = sorted(set(types.unique()) - set(table.index))  # the distinct types (not 50,000 Arrow strings)
    if unknown:
        raise InputError(
            "no load for site type(s) " + ", ".join(unknown), field="site_type", allowed=", ".join(table.index)
        )
    row = table.reindex(types.to_numpy())
    area = (
        pd.to_numeric(sites["area_m2"], errors="coerce").fillna(0.0).to_numpy(float)
        if "area_m2" in sites
        else np.zeros(len(sites))
    )
    default = np.where(row["load_basis"].eq("per_m2").to_numpy(), area, 1.0) * row["annual_load_kwh"].to_numpy(float)
    out = pd.Series(default, index=sites.index, dtype=float)
    if USER_LOAD_COLUMN in sites:
        given = pd.to_numeric(sites[USER_LOAD_COLUMN], errors="coerce")
        out = given.where(given.notna() & np.isfinite(given) & (given >= 0), out).astype(float)
    return out


def shape_index(site_types) -> np.ndarray:
    """Row of :func:`hourly_shapes` for each site type."""
    names = shape_names()
    shape = site_load_table()["shape"]
    codes, types = pd.factorize(pd.Series(np.asarray(site_types, dtype=object), dtype=object).astype(str))
    rows = np.array([names.index(str(shape.loc[t])) for t in types], dtype=int)  # once per distinct type
    return rows[codes]


def self_consumed_kwh(pv_kwh, load_kwh) -> np.ndarray:
    """Energy used on site [kWh]: ``sum_h min(pv_h, load_h)`` over the last axis (hours), never more than the load
    nor the output."""
    return np.minimum(np.asarray(pv_kwh, dtype=float), np.asarray(load_kwh, dtype=float)).sum(axis=-1)


def daylight_yield(hourly_kwh_per_kwp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hours of a year's yield profile (hours, archetypes) with output from any archetype (none at night:
    nothing to self-consume) and the profile in those hours, (archetypes, daylight hours) float64, for
    :func:`self_consumed_year`."""
    rows = np.flatnonzero(hourly_kwh_per_kwp.max(axis=1) > 0)
    return rows, np.ascontiguousarray(hourly_kwh_per_kwp[rows].T, dtype=float)


def self_consumed_year(
    hourly_kwh_per_kwp: np.ndarray | None,
    effective_kwp: np.ndarray,
    archetype: np.ndarray,
    first_hour: np.ndarray,
    load_kwh_per_year: np.ndarray,
    shape: np.ndarray,
    shapes: np.ndarray,
    daylight: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Self-consumed energy [kWh] of each site in one calendar year (:func:`self_consumed_kwh` hour by hour).

    ``hourly_kwh_per_kwp`` (hours, archetypes) is the year's yield profile; per site: ``effective_kwp`` (after
    degradation and downtime), ``archetype`` (column), ``first_hour`` (first operating hour), yearly load and
    ``shape`` (row of ``shapes``, the year's :func:`hourly_shapes`). Sites without load are skipped. ``daylight``:
    :func:`daylight_yield` of the profile, if already at hand (then ``hourly_kwh_per_kwp`` may be None and
    ``archetype`` the row of its table). Sites are taken by shape, a few at a time, into two
    reused buffers (their archetypes' yield rows gathered, the shape broadcast): each site's row holds the same
    products and is summed on its own, so the sums are those of :func:`self_consumed_kwh` bit for bit. (By
    (archetype, shape) the demo's ~700 sites fall into ~700 groups of one: a dozen NumPy calls per site.)
    """
    out = np.zeros(len(effective_kwp))
    if daylight is None:
        assert hourly_kwh_per_kwp is not None
        daylight = daylight_yield(hourly_kwh_per_kwp)
    rows, day_yield = daylight
    day_shapes = np.ascontiguousarray(shapes[:, rows], dtype=float)  # (the daylight hours are the year's)
    todo = np.flatnonzero((load_kwh_per_year > 0) & (effective_kwp > 0))
    before = np.searchsorted(rows, first_hour, side="left")  # daylight hours before the site's first hour
    order = np.argsort(shape[todo], kind="stable")
    todo = todo[order]
    pv = np.empty((min(_CHUNK_SITES, len(todo)), len(rows)))
    load = np.empty_like(pv)
    for group in np.split(todo, np.flatnonzero(np.diff(shape[todo])) + 1):
        if not len(group):
            continue
        site_shape = day_shapes[shape[group[0]]][None, :]
        for start in range(0, len(group), _CHUNK_SITES):
            s = group[start : start + _CHUNK_SITES]
            pv_s, load_s = pv[: len(s)], load[: len(s)]
            np.take(day_yield, archetype[s], axis=0, out=pv_s, mode="clip")  # valid rows; "clip" needs no buffer
            np.multiply(pv_s, effective_kwp[s, None], out=pv_s)
            np.multiply(site_shape, load_kwh_per_year[s, None], out=load_s)
            for i in np.flatnonzero(before[s]):  # sites that start within the year (few): no output before
                pv_s[i, : before[s[i]]] = 0.0
            out[s] = np.minimum(pv_s, load_s, out=pv_s).sum(axis=-1)
    return out


def transformer_load_by_shape(
    sites: pd.DataFrame, transformers: pd.DataFrame, other_customer_kwh: float | None = None
) -> np.ndarray:
    """Yearly load on each transformer by shape [kWh/year], (transformers, shapes): the loads of the sites layer's
    sites (:func:`annual_load_kwh`) on their ``transformer_id`` (built or not: they are its customers either way),
    plus the ledger's customers beyond the sites layer's buildings (``customers`` of ``transformers`` minus
    :func:`sim.grid.customers_per_transformer`; none without that column) at ``other_customer_kwh`` each (default:
    the ``rural_home`` load of ``sim/tables/site_loads.csv``) with the household shape. ``transformers`` is indexed
    by ``transformer_id``."""
    from sim.grid import customers_per_transformer

    ids = pd.Index(transformers.index.astype(str))
    out = np.zeros((len(ids), len(shape_names())))
    if len(sites):
        row = ids.get_indexer(sites["transformer_id"].astype(str))
        ok = row >= 0
        np.add.at(
            out, (row[ok], shape_index(sites["site_type"].to_numpy()[ok])), annual_load_kwh(sites).to_numpy(float)[ok]
        )
    if "customers" in transformers.columns:
        counted = (
            customers_per_transformer(sites).reindex(ids).fillna(0.0).to_numpy(float)
            if len(sites)
            else np.zeros(len(ids))
        )
        given = pd.to_numeric(transformers["customers"], errors="coerce").fillna(0.0).to_numpy(float)
        home_kwh = site_load_table()["annual_load_kwh"].astype(float)["rural_home"]
        per_customer = float(home_kwh) if other_customer_kwh is None else float(other_customer_kwh)
        out[:, shape_names().index(HOUSEHOLD)] += np.maximum(given - counted, 0.0) * per_customer
    return out
