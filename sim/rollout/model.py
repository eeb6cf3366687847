"""The SimPy processes of the rollout model and :func:`simulate` (the rules are in :mod:`sim.rollout`)."""

from __future__ import annotations

import gc
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import simpy

from sim._config import SITE_TYPES, Duration
from sim.errors import InputError
from sim.rng import site_rng, stream
from sim.rollout import calendar as cal
from sim.rollout.config import _OFFICE_STAGES, RESOURCES, STAGES, OperationConfig, RolloutConfig
from sim.rollout.observe import (DECLINE, DECLINED, DROP, DROPPED, END, FAIL, FAILED, IN_PROGRESS, OPERATING, START,
                                 WAIT, _SC, _STAGE_NAMES, RolloutResult, _Collector, _results)


# ---------------------------------------------------------------------------------------------------------------
# Shared state of one run (plain data; the dynamics are the process functions below)


@dataclass
class _World:
    env: simpy.Environment
    horizon_days: float
    window_end_days: float
    mode: str
    resources: dict
    pot: simpy.Container | None
    max_fundable_cny: float
    year_starts: list  # day offsets of 1 January of start.year+1, +2, ...
    first_year: int
    capex: np.ndarray
    cap: np.ndarray
    work: np.ndarray  # (n, 7) work per stage [days or working days]
    fails: np.ndarray  # (n, 7) bool: the stage fails for this site
    site_stage_res: list  # per site type index: list of 7 Resource|None
    site_stage_cal: list  # per site type index: list of 7 WorkCalendar|None
    site_stage_busy: list  # per site type index: list of 7 resource busy fractions
    type_idx: np.ndarray
    tr: np.ndarray
    remaining_kw: np.ndarray
    rating_kva: np.ndarray
    share: np.ndarray
    pending_upgrades: np.ndarray
    scheduled: np.ndarray
    when_full: str
    lead_time_days: float
    upgrade_factor: float
    target_kwp: float | None
    seed: int
    site_ids: np.ndarray
    mtbf_days: float | None
    repair: Duration
    release_rng: np.random.Generator
    poisson_mean_gap_days: float
    committed_kwp: float = 0.0
    pot_year: int = 0  # calendar year of the money in the pot
    topped_up: simpy.Event | None = None
    freed: simpy.Event | None = None
    tr_changed: dict = field(default_factory=dict)
    committed_year: dict = field(default_factory=dict)  # site index -> year of commitment
    reserved: set = field(default_factory=set)

    def year_of(self, t: float) -> int:
        return self.first_year + bisect_right(self.year_starts, t)


def _budget_year(env, w: _World, budget_cny: float, carry_over: bool):
    """Refill the budget pot each 1 January."""
    for t in w.year_starts:
        if t >= w.window_end_days:
            return
        w.topped_up = env.event()
        yield env.timeout(t - env.now)
        # without carry-over the pot (capacity = budget) is topped up to the budget: unspent money lapses
        amount = budget_cny if carry_over else budget_cny - w.pot.level
        if amount > 0:
            yield w.pot.put(amount)
        w.pot_year = w.year_of(env.now)
        w.topped_up.succeed()


def _office(env, w: _World, col: _Collector):
    """The programme office: releases sites in priority order."""
    for i in range(len(w.cap)):
        if w.mode == "poisson":
            gap = w.release_rng.exponential(w.poisson_mean_gap_days)
            if env.now + gap >= w.window_end_days:
                return
            yield env.timeout(gap)
        while w.target_kwp is not None and w.committed_kwp >= w.target_kwp:
            if env.now >= w.window_end_days:
                return
            w.freed = env.event()
            yield w.freed | env.timeout(w.window_end_days - env.now)
        if env.now >= w.window_end_days:
            return
        if w.mode == "budget":
            if w.capex[i] > w.max_fundable_cny:
                continue  # can never be funded: stays not_released, the office moves on
            if w.pot_year != w.year_of(env.now):
                yield w.topped_up  # it is 1 January and the new year's money is not in yet
            get = w.pot.get(w.capex[i]) if w.capex[i] > 0 else None
            if get is not None and not get.triggered:
                yield get | env.timeout(w.window_end_days - env.now)
                if not get.triggered:
                    get.cancel()
                    return
        _release(env, w, col, i)


def _release(env, w: _World, col: _Collector, i: int) -> None:
    year = w.year_of(env.now)
    w.committed_year[i] = year
    col.spend[year] = col.spend.get(year, 0.0) + float(w.capex[i])
    w.committed_kwp += w.cap[i]
    col.status[i] = IN_PROGRESS
    col.release_day[i] = env.now
    col.log.append((i, 0, END, env.now))
    env.process(_site(env, w, col, i))


def _give_back(env, w: _World, col: _Collector, i: int) -> None:
    """A site dropped out: return its money (see module rules), its hosting reservation and its committed kWp."""
    capex = float(w.capex[i])
    year0 = w.committed_year.pop(i)
    col.spend[year0] -= capex
    if w.pot is not None and capex > 0 and (year0 == w.year_of(env.now) or w.pot.capacity == math.inf):
        amount = min(capex, w.pot.capacity - w.pot.level)  # guards against rounding: a put must never block
        if amount > 0:
            w.pot.put(amount)
    w.committed_kwp -= w.cap[i]
    if w.freed is not None and not w.freed.triggered:
        w.freed.succeed()
    if i in w.reserved:
        w.reserved.discard(i)
        t = w.tr[i]
        w.remaining_kw[t] += w.cap[i]
        ev = w.tr_changed.pop(t, None)
        if ev is not None:
            ev.succeed()


def _site(env, w: _World, col: _Collector, i: int):
    """One site's way from release to operation."""
    ty = w.type_idx[i]
    res_row, cal_row, busy_row = w.site_stage_res[ty], w.site_stage_cal[ty], w.site_stage_busy[ty]
    log = col.log
    for k in range(7):
        if k == 4:  # after grid review: the hosting check
            ok = yield from _hosting(env, w, col, i)
            if not ok:
                col.status[i] = DROPPED
                col.failed_stage[i] = _SC["hosting"]
                _give_back(env, w, col, i)
                return
        sc = k + 1 if k < 4 else k + 2
        t0 = env.now
        log.append((i, sc, START, t0))
        res, wc = res_row[k], cal_row[k]
        work = w.work[i, k]
        if res is None:
            d = work if wc is None else wc.finish(t0, work) - t0
            if d > 0:
                yield env.timeout(d)
        else:
            name = res.name
            req = res.request()
            if not req.triggered:
                log.append((i, sc, WAIT, t0))
                q = len(res.queue)
                if q > col.max_queue[name]:
                    col.max_queue[name] = q
            yield req
            now = env.now
            col.waits[name].append(now - t0)
            busy = busy_row[k]
            hold = work * busy
            d = hold if wc is None else wc.finish(now, hold) - now
            col.busy_days[name] += max(0.0, min(now + d, w.horizon_days) - now)
            col.busy_until[name] = max(col.busy_until[name], min(now + d, w.horizon_days))
            if d > 0:
                yield env.timeout(d)
            res.release(req)
            if busy < 1.0:
                now = env.now
                rest = work - hold
                d = rest if wc is None else wc.finish(now, rest) - now
                if d > 0:
                    yield env.timeout(d)
        col.stage_days[_STAGE_NAMES[sc]].append(env.now - t0)
        if w.fails[i, k]:
            log.append((i, sc, DECLINE if k == 0 else FAIL, env.now))
            col.status[i] = DECLINED if k == 0 else FAILED
            col.failed_stage[i] = sc
            _give_back(env, w, col, i)
            return
        log.append((i, sc, END, env.now))
    col.status[i] = OPERATING
    col.commission_day[i] = env.now
    w.committed_year.pop(i, None)
    if w.mtbf_days is not None:
        rng = site_rng(w.seed, w.site_ids[i], "operation")
        up = -w.mtbf_days * math.log1p(-rng.random())
        if env.now + up < w.horizon_days:
            env.process(_operate(env, w, col, i, rng, up))


def _hosting(env, w: _World, col: _Collector, i: int):
    """Reserve the site's capacity on its transformer; wait for an upgrade or give up. Returns True if reserved."""
    t, need = w.tr[i], w.cap[i]
    sc = _SC["hosting"]
    t0 = env.now
    col.log.append((i, sc, START, t0))
    waited = False
    while True:
        if need <= w.remaining_kw[t] + 1e-9:
            w.remaining_kw[t] -= need
            w.reserved.add(i)
            col.log.append((i, sc, END, env.now))
            col.stage_days["hosting"].append(env.now - t0)
            return True
        if w.when_full == "drop":
            break
        if w.pending_upgrades[t] == 0:
            if w.scheduled[t]:
                break
            w.scheduled[t] = True
            w.pending_upgrades[t] += 1
            env.process(_upgrade(env, w, col, t, w.lead_time_days, None))
        if not waited:
            col.log.append((i, sc, WAIT, env.now))
            waited = True
        ev = w.tr_changed.get(t)
        if ev is None:
            ev = w.tr_changed[t] = env.event()
        yield ev
    col.log.append((i, sc, DROP, env.now))
    return False


def _upgrade(env, w: _World, col: _Collector, t: int, delay_days: float, added_kva: float | None):
    """A transformer upgrade: planned (``added_kva`` given) or scheduled by the grid company (``upgrade_factor``)."""
    if delay_days > 0:
        yield env.timeout(delay_days)
    if added_kva is None:
        added_kva = w.rating_kva[t] * (w.upgrade_factor - 1.0)
        kind = "scheduled"
    else:
        kind = "planned"
    added_kw = added_kva * w.share[t] / 100.0
    w.rating_kva[t] += added_kva
    w.remaining_kw[t] += added_kw
    w.pending_upgrades[t] -= 1
    col.upgrades.append((t, kind, env.now, added_kw))
    ev = w.tr_changed.pop(t, None)
    if ev is not None:
        ev.succeed()


def _operate(env, w: _World, col: _Collector, i: int, rng: np.random.Generator, up_days: float):
    """Inverter failures of one operating site, each repaired by an O&M crew."""
    om = w.resources["om_crews"]
    horizon = w.horizon_days
    while True:
        yield env.timeout(up_days)
        t_fail = env.now
        col.open_failures[i] = t_fail
        req = om.request()
        if not req.triggered:
            q = len(om.queue)
            if q > col.max_queue["om_crews"]:
                col.max_queue["om_crews"] = q
        yield req
        now = env.now
        col.waits["om_crews"].append(now - t_fail)
        mttr = w.repair.ppf(rng.random())
        col.busy_days["om_crews"] += max(0.0, min(now + mttr, horizon) - now)
        col.busy_until["om_crews"] = max(col.busy_until["om_crews"], min(now + mttr, horizon))
        yield env.timeout(mttr)
        om.release(req)
        del col.open_failures[i]
        col.downtime.append((i, t_fail, env.now))
        up_days = -w.mtbf_days * math.log1p(-rng.random())
        if env.now + up_days >= horizon:
            return


# ---------------------------------------------------------------------------------------------------------------
# Input checks


def _need_columns(df: pd.DataFrame, cols: Sequence[str], name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{name} table lacks column(s) {', '.join(missing)}", field=name, value=list(df.columns),
                         allowed=", ".join(cols))


def _check_inputs(sites, order, transformers, config: RolloutConfig, operation: OperationConfig, horizon_years):
    _need_columns(sites, ("site_type", "capacity_kwp", "capex_cny", "transformer_id"), "sites")
    _need_columns(transformers, ("hosting_limit_kw", "hosting_share_percent"), "transformers")
    if not isinstance(horizon_years, (int, np.integer)) or horizon_years < 1:
        raise InputError("horizon must be a whole number of years >= 1", field="horizon_years", value=horizon_years,
                         allowed="1, 2, ...")
    order_s = pd.Index([str(s) for s in order])
    if order_s.has_duplicates:
        raise InputError("site ids repeat in the release order", field="order",
                         value=order_s[order_s.duplicated()][:5].tolist())
    unknown = order_s.difference(sites.index.astype(str))
    if len(unknown):
        raise InputError("release order names sites that are not in the site table", field="order",
                         value=unknown[:5].tolist())
    s = sites.loc[sites.index.astype(str).isin(order_s)]
    bad_type = ~s["site_type"].isin(SITE_TYPES)
    if bad_type.any():
        raise InputError("unknown site type", field="sites.site_type", value=s.loc[bad_type, "site_type"].iloc[0],
                         allowed=", ".join(SITE_TYPES))
    cap = pd.to_numeric(s["capacity_kwp"], errors="coerce").to_numpy(float)
    if not np.all(np.isfinite(cap) & (cap > 0)):
        raise InputError("capacity must be a finite number > 0", field="sites.capacity_kwp",
                         value=s.index[~(np.isfinite(cap) & (cap > 0))][0])
    capex = pd.to_numeric(s["capex_cny"], errors="coerce").to_numpy(float)
    if not np.all(np.isfinite(capex) & (capex >= 0)):
        raise InputError("capex must be a finite number >= 0", field="sites.capex_cny",
                         value=s.index[~(np.isfinite(capex) & (capex >= 0))][0])
    missing_tr = ~s["transformer_id"].isin(transformers.index)
    if missing_tr.any():
        raise InputError("site refers to a transformer that is not in the transformer table",
                         field="sites.transformer_id", value=s.loc[missing_tr, "transformer_id"].iloc[0])
    lim = pd.to_numeric(transformers["hosting_limit_kw"], errors="coerce").to_numpy(float)
    if np.any(np.isnan(lim) | (lim < 0)):
        raise InputError("hosting limit must be >= 0 (inf for unlimited)", field="transformers.hosting_limit_kw")
    share = pd.to_numeric(transformers["hosting_share_percent"], errors="coerce").to_numpy(float)
    if np.any(~np.isfinite(share) | (share <= 0) | (share > 100)):
        raise InputError("hosting share must be in (0, 100]", field="transformers.hosting_share_percent",
                         allowed="0 < share <= 100")
    # resources needed by stages
    for ty in sorted(set(s["site_type"])):
        for stage in STAGES:
            r = config.stage(ty, stage).resource
            if r is not None and getattr(config, r) == 0:
                raise InputError(f"stage {stage!r} of {ty} sites needs {r}, but there are none", field=f"rollout.{r}",
                                 value=0, allowed=">= 1")
    if operation.inverter_mtbf_years is not None and config.om_crews == 0:
        raise InputError("inverter repairs need O&M crews, but there are none", field="rollout.om_crews", value=0,
                         allowed=">= 1 (or operation.inverter_mtbf_years: null to ignore failures)")
    if config.release_mode == "budget" and len(capex):
        cheapest = float(capex.min())
        fundable = config.annual_budget_cny * (
            math.ceil(config.build_window_years) + 1 if config.budget_carry_over else 1
        )
        if cheapest > fundable:
            raise InputError(f"the budget cannot fund even the cheapest site ({cheapest:,.0f} CNY)",
                             field="rollout.annual_budget_cny", value=config.annual_budget_cny,
                             allowed=f">= {cheapest:,.0f}")


# ---------------------------------------------------------------------------------------------------------------


def check_inputs(
    sites: pd.DataFrame,
    transformers: pd.DataFrame,
    config: RolloutConfig,
    operation: OperationConfig | None = None,
    *,
    order: Sequence[str] | None = None,
    horizon_years: int = 1,
) -> None:
    """Check the rollout's inputs without running it (the checks :func:`simulate` makes first): site and transformer
    columns and values, resources the stages need, a budget that can fund the cheapest site. ``order`` defaults to
    every site. Raises :class:`sim.errors.InputError`."""
    order = [str(s) for s in sites.index] if order is None else order
    _check_inputs(sites, order, transformers, config, operation or OperationConfig(), horizon_years)


def _as_date(d) -> date:
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    return pd.Timestamp(d).date()


def _add_years(d: date, years: float) -> date:
    whole = int(years)
    try:
        out = d.replace(year=d.year + whole)
    except ValueError:  # 29 February
        out = d.replace(year=d.year + whole, day=28)
    return out + timedelta(days=round((years - whole) * 365.25))


def _build_calendars(config: RolloutConfig, start: date, n_days: int, seed: int) -> dict[str, cal.WorkCalendar]:
    if start.year < cal.FIRST_YEAR or (start + timedelta(days=n_days)).year > cal.LAST_YEAR:
        raise InputError(
            f"the work calendar covers {cal.FIRST_YEAR}-{cal.LAST_YEAR} (Spring Festival table); the run spans "
            f"{start.year}-{(start + timedelta(days=n_days)).year}",
            field="start_date", value=str(start), allowed="a shorter horizon, or rollout.calendar_enabled: false")
    shutdown = cal.shutdown_mask(start, n_days, config.spring_festival_shutdown_days_before,
                                 config.spring_festival_shutdown_days_after)
    weekend = cal.weekend_mask(start, n_days)
    frozen = cal.frozen_mask(start, n_days, cal.parse_month_day(config.frozen_season_start_month_day),
                             cal.parse_month_day(config.frozen_season_end_month_day))
    rain = cal.rain_mask(start, n_days, config.rain_day_percent_by_month, stream(seed, "rollout", "weather"))
    site_ok = ~shutdown & ~(weekend & config.construction_weekends_off)
    return {
        "office": cal.WorkCalendar(~shutdown & ~(weekend & config.office_weekends_off)),
        "rooftop": cal.WorkCalendar(site_ok),
        "outdoor": cal.WorkCalendar(site_ok & ~frozen & ~rain),
    }


def simulate(
    sites: pd.DataFrame,
    order: Sequence[str],
    transformers: pd.DataFrame,
    config: RolloutConfig,
    operation: OperationConfig,
    *,
    seed: int,
    start_date: date,
    horizon_years: int,
) -> RolloutResult:
    """Simulate the rollout and operation of the sites in ``order`` over ``horizon_years`` from ``start_date``.

    Parameters
    ----------
    sites : indexed by ``site_id``; columns ``site_type, capacity_kwp [kWp], capex_cny [CNY], transformer_id``.
    order : site ids in release priority (the strategy's output); sites not in it are ignored.
    transformers : indexed by ``transformer_id``; ``hosting_limit_kw [kW]``, ``hosting_share_percent [%]`` and
        optionally ``planned_upgrade_date`` (NaT if none), ``planned_upgrade_kva [kVA]``, ``rating_kva [kVA]``
        (without it the rating is taken as ``hosting_limit_kw / share``).
    config, operation : settings; see the module docstring for the rules.
    seed : run seed (all streams derive from it).

    Returns
    -------
    RolloutResult. Raises :class:`sim.errors.InputError` on bad input. The inputs are not modified.
    """
    start = _as_date(start_date)
    _check_inputs(sites, order, transformers, config, operation, horizon_years)
    order_ids = np.array([str(s) for s in order], dtype=object)
    n = len(order_ids)
    s = sites.copy()
    s.index = s.index.astype(str)
    s = s.loc[order_ids]
    horizon_days = float((_add_years(start, horizon_years) - start).days)
    window_end = min(horizon_days, float((_add_years(start, config.build_window_years) - start).days))
    first_year = start.year
    year_starts = [float((date(y, 1, 1) - start).days) for y in range(start.year + 1, start.year + horizon_years + 2)]

    env = simpy.Environment()
    resources = {}
    for r in RESOURCES:
        c = getattr(config, r)
        res = simpy.Resource(env, capacity=max(c, 1))  # a zero-capacity resource is never used (checked above)
        res.name = r
        resources[r] = res

    # per site-type stage settings
    type_codes = {t: k for k, t in enumerate(SITE_TYPES)}
    type_idx = s["site_type"].map(type_codes).to_numpy(np.int64)
    cals = _build_calendars(config, start, int(horizon_days) + 400, seed) if config.calendar_enabled else None
    outdoor = set(config.outdoor_site_types)
    site_stage_res, site_stage_cal, site_stage_busy, stage_cfg = [], [], [], []
    for ty in SITE_TYPES:
        cfgs = [config.stage(ty, st) for st in STAGES]
        stage_cfg.append(cfgs)
        site_stage_res.append([resources[c.resource] if c.resource else None for c in cfgs])
        site_stage_busy.append([c.resource_busy_percent / 100.0 for c in cfgs])
        row = []
        for st in STAGES:
            if cals is None:
                row.append(None)
            elif st == "construction":
                row.append(cals["outdoor" if ty in outdoor else "rooftop"])
            elif st in _OFFICE_STAGES:
                row.append(cals["office"])
            else:
                row.append(None)
        site_stage_cal.append(row)

    # per-site draws (common random numbers): 2 uniforms per stage, in the fixed order of STAGES
    u = np.empty((n, 2 * len(STAGES)))
    for j, sid in enumerate(order_ids):
        u[j] = site_rng(seed, sid, "stages").random(2 * len(STAGES))
    cap = s["capacity_kwp"].to_numpy(float)
    capex = s["capex_cny"].to_numpy(float)
    work = np.empty((n, len(STAGES)))
    fails = np.zeros((n, len(STAGES)), dtype=bool)
    for ty in np.unique(type_idx):
        rows = type_idx == ty
        for k in range(len(STAGES)):
            c = stage_cfg[ty][k]
            work[rows, k] = c.duration.ppf(u[rows, 2 * k])
            fails[rows, k] = u[rows, 2 * k + 1] * 100.0 >= c.success_percent
        kc = STAGES.index("construction")
        work[rows, kc] += cap[rows] / config.productivity(SITE_TYPES[ty])

    # transformers
    tr_ids = transformers.index
    tr_pos = pd.Series(np.arange(len(tr_ids)), index=tr_ids)
    tr = tr_pos.loc[s["transformer_id"].to_numpy()].to_numpy(np.int64)
    limit = transformers["hosting_limit_kw"].to_numpy(float).copy()
    share = transformers["hosting_share_percent"].to_numpy(float)
    if "rating_kva" in transformers.columns:
        rating = pd.to_numeric(transformers["rating_kva"], errors="coerce").to_numpy(float).copy()
        rating = np.where(np.isfinite(rating), rating, limit / (share / 100.0))
    else:
        rating = limit / (share / 100.0)
    pending = np.zeros(len(tr_ids), dtype=np.int64)

    pot = None
    max_fundable = math.inf
    if config.release_mode == "budget":
        cap_pot = math.inf if config.budget_carry_over else config.annual_budget_cny
        pot = simpy.Container(env, capacity=cap_pot, init=config.annual_budget_cny)
        if not config.budget_carry_over:
            max_fundable = config.annual_budget_cny

    col = _Collector(n)
    w = _World(
        env=env, horizon_days=horizon_days, window_end_days=window_end, mode=config.release_mode,
        resources=resources, pot=pot, max_fundable_cny=max_fundable, year_starts=year_starts, first_year=first_year,
        capex=capex, cap=cap, work=work, fails=fails, site_stage_res=site_stage_res, site_stage_cal=site_stage_cal,
        site_stage_busy=site_stage_busy,
        type_idx=type_idx, tr=tr, remaining_kw=limit, rating_kva=rating, share=share, pending_upgrades=pending,
        scheduled=np.zeros(len(tr_ids), dtype=bool), when_full=config.hosting_when_full,
        lead_time_days=config.upgrade_lead_time_days, upgrade_factor=config.upgrade_factor,
        target_kwp=config.target_capacity_kwp, pot_year=first_year, seed=seed, site_ids=order_ids,
        mtbf_days=None if operation.inverter_mtbf_years is None else operation.inverter_mtbf_years * 365.25,
        repair=operation.repair,
        release_rng=stream(seed, "rollout", "release"),
        poisson_mean_gap_days=1.0 / config.poisson_rate_per_day,
    )

    # planned upgrades
    if "planned_upgrade_date" in transformers.columns and "planned_upgrade_kva" in transformers.columns:
        dates = pd.to_datetime(transformers["planned_upgrade_date"], errors="coerce")
        kva = pd.to_numeric(transformers["planned_upgrade_kva"], errors="coerce").fillna(0.0).to_numpy(float)
        if np.any(kva < 0):
            raise InputError("planned upgrade must be >= 0 kVA", field="transformers.planned_upgrade_kva")
        start_ts = pd.Timestamp(start)
        for t in np.flatnonzero(dates.notna().to_numpy() & (kva > 0)):
            ts = dates.iloc[t]
            ts = ts.tz_localize(None) if ts.tzinfo is not None else ts
            day = max(0.0, (ts - start_ts) / pd.Timedelta(days=1))
            if day < horizon_days:
                pending[t] += 1
                env.process(_upgrade(env, w, col, int(t), day, float(kva[t])))

    if pot is not None:
        env.process(_budget_year(env, w, config.annual_budget_cny, config.budget_carry_over))
    env.process(_office(env, w, col))

    # The cyclic garbage collector is paused during the event loop and restored afterwards (also on error): the
    # model's garbage is freed by reference counting, while each collection would traverse the ~10^5 live
    # generators and events of a large county; pausing it halves the run time of a 50,000-site run.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    n_events = 0
    step, peek = env.step, env.peek
    try:
        while peek() < horizon_days:
            step()
            n_events += 1
    finally:
        if gc_was_enabled:
            gc.enable()

    return _results(col, w, s, order_ids, transformers, start, horizon_days, horizon_years, config, n_events)
