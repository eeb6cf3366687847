"""What the rollout model records while it runs (:class:`_Collector`) and the tables it returns (:class:`RolloutResult`,
built from the record by :func:`_results`)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from sim.rollout.config import (
    APPLICATION_CLASSES,
    EVENTS,
    RESOURCES,
    SERVICE_LIMIT_WORKING_DAYS,
    STATUSES,
    STEP_NAMES,
    RolloutConfig,
    Status,
    Step,
)

MILESTONE_SHARES = (0.25, 0.5, 0.9, 0.95, 1.0)  # of the capacity target (or of the capacity released)
BUSY_WARNING = 0.9  # a resource busier than this over the build window (or the horizon) is saturated
MONEY_COLUMNS = ("budget_cny", "committed_cny", "spent_cny", "returned_cny", "lapsed_cny")


@dataclass
class RolloutResult:
    """Outcome of :func:`simulate` (see docs/architecture.md).

    - ``events``: one row per (site, stage, event); stages ``release, consent, survey_design, filing, grid_review,
      hosting, procurement, construction, acceptance``; events ``start, end, wait`` (queued for a resource or for
      hosting capacity), ``decline`` (consent), ``fail``, ``drop`` (hosting); ``time_days`` since the start date and
      ``date`` (to the millisecond). Inverter repairs are not logged here (see ``downtime``).
    - ``outcomes``: per site of the order: ``status, release_day, commission_day, commission_date, failed_stage``
      (``consent``, a stage name, ``hosting`` or None), ``outcome_day`` (when its final status was decided:
      commissioning, decline, failure or drop; NaN while in progress or not released), ``rework_cny`` (repairs after
      failed acceptances), ``application_class`` and, for convenience, ``site_type, capacity_kwp, transformer_id``.
    - ``downtime``: ``site_id, year, downtime_days`` (inverter outages, cut at the horizon, split by calendar year).
    - ``resources``: per resource ``capacity, utilisation_percent`` (busy time over capacity x the period in use,
      from the start to the end of its last service), ``utilisation_horizon_percent`` (over the whole horizon),
      ``utilisation_build_window_percent`` (over the build window), ``utilisation_by_year_percent`` (per calendar
      year of the build window), ``active_until_days``, ``mean_wait_days,
      p95_wait_days`` (every request of the horizon; a request still queued at the horizon counts with its wait so
      far, a censored lower bound), ``mean_wait_build_window_days`` (requests made in the build window),
      ``n_censored`` (requests still queued at the horizon: their waits are censored), ``max_queue_length,
      n_requests``.
    - ``milestones``: ISO date at which 25 / 50 / 90 / 95 / 100 % of ``target_capacity_kwp`` is operating, or,
      without a target, of the total capacity released (declined, failed and dropped sites included, so "100%" is
      reached only if every released site gets built); None if not reached within the horizon.
    - ``last_commission_date``: ISO date of the last commissioning (None if none).
    - ``lead_times``: per site type ``n, median_days, p90_days`` from release to commissioning.
    - ``service_limits``: per office stage and application class ``n, p50_working_days, p90_working_days,
      limit_working_days`` (elapsed working days, waiting included, against the State Grid limit).
    - ``budget``: per calendar year ``budget_cny`` (put into the pot), ``committed_cny`` (at contract),
      ``spent_cny`` (capex when construction ends, rework when done), ``returned_cny`` (committed money given back),
      ``lapsed_cny`` (budget never committed, and returned money that could not go back into a pot).
    - ``warnings``: one line per saturated resource or stage, naming what would relieve it.
    - ``spend_by_year``: calendar year -> capex committed (at contract) that year and not returned [CNY].
    - ``stage_durations``: per stage ``n, mean_days, p50_days, p95_days`` of the elapsed time from the start of the
      stage to its end (queueing for the resource included; ``hosting`` is the wait for hosting capacity).
    - ``upgrades``: transformer upgrades that took effect (planned, or scheduled by the grid company) and line
      reinforcements (power flow).
    - ``tracks``: with ``RolloutConfig.tracks``, per track name ``milestones`` (of the track's own target) and
      ``spend_by_year`` (as above, for its sites); empty without tracks. With tracks, ``milestones`` refer to the
      sum of the tracks' targets.
    """

    outcomes: pd.DataFrame
    downtime: pd.DataFrame
    resources: dict[str, dict[str, float]]
    milestones: dict[str, str | None]
    spend_by_year: dict[int, float]
    stage_durations: pd.DataFrame
    upgrades: pd.DataFrame  # UPGRADE_COLUMNS
    last_commission_date: str | None = None
    lead_times: dict = field(default_factory=dict)
    service_limits: list = field(default_factory=list)
    budget: pd.DataFrame | None = None
    warnings: list = field(default_factory=list)
    n_events: int = 0  # SimPy events processed
    tracks: dict = field(default_factory=dict)
    event_log: Callable[[], pd.DataFrame] | None = field(default=None, repr=False)
    """Makes :attr:`events` the first time it is read (a comparison's run never reads it)."""
    _events: pd.DataFrame | None = field(default=None, init=False, repr=False)

    @property
    def events(self) -> pd.DataFrame:
        """The event log (module docstring), made the first time it is read."""
        if self._events is None:
            assert self.event_log is not None
            self._events, self.event_log = self.event_log(), None
        return self._events


# ---------------------------------------------------------------------------------------------------------------
# What the processes record


@dataclass
class _Collector:
    """What the processes record; :func:`_results` turns it into tables. Sites are indices into the release order."""

    n_sites: int
    horizon_days: float  # busy time is counted up to the horizon
    window_end_days: float = math.inf  # end of the build window
    log: list = field(default_factory=list)  # (site, Step, Event, time_days)
    # resource -> (request time, grant time, end of service) of granted requests [days]
    services: dict = field(default_factory=lambda: {r: [] for r in RESOURCES})
    queued: dict = field(default_factory=lambda: {r: {} for r in RESOURCES})  # resource -> request -> request time
    max_queue: dict = field(default_factory=lambda: {r: 0 for r in RESOURCES})
    # in the order of a site's way: the hosting screening comes before release, so before consent
    stage_days: dict = field(
        default_factory=lambda: {
            step: [] for step in (Step.HOSTING, *(s for s in Step if s not in (Step.RELEASE, Step.HOSTING)))
        }
    )
    # office stage -> application class -> elapsed working days
    office_days: dict = field(
        default_factory=lambda: {
            Step[s.upper()]: {c: [] for c in range(len(APPLICATION_CLASSES))} for s in SERVICE_LIMIT_WORKING_DAYS
        }
    )
    spend: dict = field(default_factory=dict)  # year -> net committed capex [CNY]
    track_spend: dict = field(default_factory=dict)  # (track index, year) -> net committed capex [CNY]
    money: dict = field(default_factory=dict)  # (kind, year) -> CNY; kinds: MONEY_COLUMNS without "_cny"
    downtime: list = field(default_factory=list)  # (site, time of failure, time back in operation)
    open_failures: dict = field(default_factory=dict)  # site -> time of its failure not yet repaired
    # (transformer index, kind, time_days, added_kw, added_kva, cost_cny, requested day, scheduled day)
    upgrades: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.status = np.full(self.n_sites, Status.NOT_RELEASED, dtype=np.int8)
        self.release_day = np.full(self.n_sites, np.nan)
        self.commission_day = np.full(self.n_sites, np.nan)
        self.failed_step = np.full(self.n_sites, -1, dtype=np.int8)  # Step at which the site left, -1 if it did not
        self.outcome_day = np.full(self.n_sites, np.nan)
        self.rework_cny = np.zeros(self.n_sites)
        self.office_steps = frozenset(self.office_days)

    def add_money(self, kind: str, year: int, cny: float) -> None:
        self.money[(kind, year)] = self.money.get((kind, year), 0.0) + float(cny)

    def note_queue(self, resource: str, length: int) -> None:
        """A request had to queue behind ``length`` requests (itself included)."""
        self.max_queue[resource] = max(self.max_queue[resource], length)

    def note_service(self, resource: str, requested: float, start: float, duration_days: float) -> None:
        """A request made at ``requested`` and granted at ``start`` holds ``resource`` for ``duration_days`` (busy
        time is counted up to the horizon)."""
        self.services[resource].append((requested, start, min(start + duration_days, self.horizon_days)))


# ---------------------------------------------------------------------------------------------------------------
# Tables


def _results(
    collector: _Collector,
    *,
    site_ids: np.ndarray,
    site_table: pd.DataFrame,
    transformer_ids: pd.Index,
    start: date,
    horizon_days: float,
    year_starts: Sequence[float],
    config: RolloutConfig,
    n_events: int,
    application_class: np.ndarray,
) -> RolloutResult:
    """The tables of :class:`RolloutResult` from what the processes recorded. ``site_ids``: the release order (object
    array of str); ``site_table``: the sites in that order; ``year_starts``: days of 1 January of each year after
    the start year."""
    capacity_kwp = site_table["capacity_kwp"].to_numpy(float)
    to_dates = _date_converter(start)
    outcomes = _outcome_table(collector, site_ids, site_table, capacity_kwp, to_dates, application_class)
    resources = _resource_table(collector, config, horizon_days, start.year, year_starts)
    service_limits = _service_limit_table(collector)
    operating = collector.commission_day[collector.status == Status.OPERATING]
    log = collector.log
    return RolloutResult(
        event_log=lambda: _event_table(log, site_ids, to_dates),
        outcomes=outcomes,
        downtime=_downtime_table(collector, site_ids, start.year, year_starts, horizon_days),
        resources=resources,
        milestones=_milestones(collector, capacity_kwp, _programme_target_kwp(config), to_dates),
        spend_by_year={int(y): float(v) for y, v in sorted(collector.spend.items())},
        stage_durations=_stage_duration_table(collector.stage_days),
        upgrades=_upgrade_table(collector.upgrades, transformer_ids, to_dates),
        last_commission_date=to_dates([operating.max()])[0].date().isoformat() if len(operating) else None,
        lead_times=_lead_times(outcomes),
        service_limits=service_limits,
        budget=_budget_table(collector.money),
        warnings=_warnings(resources, service_limits, config),
        n_events=n_events,
        tracks=_track_results(collector, capacity_kwp, site_table["site_type"].to_numpy(), config, to_dates),
    )


def _programme_target_kwp(config: RolloutConfig) -> float | None:
    if config.tracks:
        return float(sum(track.target_capacity_kwp for track in config.tracks))
    return config.target_capacity_kwp


def _track_results(
    collector: _Collector, capacity_kwp: np.ndarray, site_types: np.ndarray, config: RolloutConfig, to_dates
) -> dict[str, dict]:
    """Per track: the milestones of its own target (its sites only) and its net committed capex by year."""
    out = {}
    for k, track in enumerate(config.tracks):
        mine = np.isin(site_types, track.site_types)
        spend = {int(y): float(v) for (j, y), v in sorted(collector.track_spend.items()) if j == k}
        out[track.name] = {
            "milestones": _milestones(collector, capacity_kwp, track.target_capacity_kwp, to_dates, mask=mine),
            "spend_by_year": spend,
        }
    return out


def _date_converter(start: date):
    start_ts = pd.Timestamp(start)

    def to_dates(days) -> pd.DatetimeIndex:
        # to the nearest millisecond (float days carry sub-microsecond noise)
        return start_ts + pd.to_timedelta(np.round(np.asarray(days, dtype=float) * 86_400_000.0), unit="ms")

    return to_dates


def _event_table(log: list, site_ids: np.ndarray, to_dates) -> pd.DataFrame:
    flat = np.fromiter(itertools.chain.from_iterable(log), dtype=float, count=4 * len(log)).reshape(-1, 4)
    site, step, event = (flat[:, column].astype(np.int64) for column in range(3))
    time_days = flat[:, 3]
    return pd.DataFrame(
        {
            "site_id": site_ids[site],
            "stage": pd.Categorical.from_codes(step, categories=pd.Index(list(STEP_NAMES))),
            "event": pd.Categorical.from_codes(event, categories=pd.Index(list(EVENTS))),
            "time_days": time_days,
            "date": to_dates(time_days),
        }
    )


def _outcome_table(
    collector: _Collector,
    site_ids: np.ndarray,
    site_table: pd.DataFrame,
    capacity_kwp: np.ndarray,
    to_dates,
    application_class: np.ndarray,
) -> pd.DataFrame:
    failed_stage = np.array([None, *STEP_NAMES], dtype=object)[collector.failed_step.astype(np.int64) + 1]
    return pd.DataFrame(
        {
            "status": np.array(STATUSES, dtype=object)[collector.status],
            "release_day": collector.release_day,
            "commission_day": collector.commission_day,
            "commission_date": to_dates(collector.commission_day),
            "failed_stage": failed_stage,
            "outcome_day": collector.outcome_day,
            "rework_cny": collector.rework_cny,
            "application_class": np.array(APPLICATION_CLASSES, dtype=object)[application_class],
            "site_type": site_table["site_type"].to_numpy(),
            "capacity_kwp": capacity_kwp,
            "transformer_id": site_table["transformer_id"].to_numpy(),
        },
        index=pd.Index(site_ids, name="site_id"),
    )


def _downtime_table(
    collector: _Collector, site_ids: np.ndarray, first_year: int, year_starts: Sequence[float], horizon_days: float
) -> pd.DataFrame:
    """Inverter downtime by site and calendar year; repairs still open at the horizon are cut there. Each outage is
    cut at the year starts into pieces (in the order of the outages, then of the years), and each site-year sums its
    pieces in that order."""
    outages = list(collector.downtime) + [(i, t, horizon_days) for i, t in collector.open_failures.items()]
    table = np.array(outages, dtype=float).reshape(-1, 3)
    site, t_from, t_to = table[:, 0].astype(np.int64), table[:, 1], np.minimum(table[:, 2], horizon_days)
    bounds = np.array([0.0, *year_starts, math.inf])
    k0 = np.searchsorted(bounds, t_from, side="right") - 1  # the year of t_from, counted from the start year
    n_pieces = np.where(t_from < t_to, np.searchsorted(bounds, t_to, side="left") - k0, 0)
    if not n_pieces.sum():
        return pd.DataFrame(
            {
                "site_id": pd.Series([], dtype=object),
                "year": pd.Series([], dtype=np.int64),
                "downtime_days": pd.Series([], dtype=float),
            }
        )
    outage = np.repeat(np.arange(len(n_pieces)), n_pieces)
    k = k0[outage] + (np.arange(len(outage)) - np.repeat(np.cumsum(n_pieces) - n_pieces, n_pieces))
    piece_start = np.where(k == k0[outage], t_from[outage], bounds[k])
    days = np.minimum(t_to[outage], bounds[k + 1]) - piece_start
    keys, which = np.unique(site[outage] * len(bounds) + k, return_inverse=True)
    downtime = pd.DataFrame(
        {
            "site_id": site_ids[keys // len(bounds)],
            "year": first_year + keys % len(bounds),
            "downtime_days": np.bincount(which, weights=days),  # adds the pieces in order, as a running sum does
        }
    )
    return downtime.sort_values(["site_id", "year"], ignore_index=True)


def _resource_table(
    collector: _Collector, config: RolloutConfig, horizon_days: float, first_year: int, year_starts: Sequence[float]
) -> dict[str, dict]:
    window = min(collector.window_end_days, horizon_days)
    bounds = [0.0, *[d for d in year_starts if d < window], window]  # the calendar years of the build window
    resources = {}
    for name in RESOURCES:
        served = np.asarray(collector.services[name], dtype=float).reshape(-1, 3)
        requested, granted, ended = served[:, 0], served[:, 1], served[:, 2]
        censored = np.asarray(list(collector.queued[name].values()), dtype=float)
        waits = np.concatenate([granted - requested, horizon_days - censored])
        asked = np.concatenate([requested, censored])
        capacity = getattr(config, name)
        busy_days = float((ended - granted).sum())
        busy_until = float(ended.max()) if len(ended) else 0.0
        busy_window = float(np.clip(np.minimum(ended, window) - granted, 0.0, None).sum())
        in_window = waits[asked < window]
        resources[name] = {
            "capacity": int(capacity),
            # over the period the resource was in use (start to the end of its last service): a build crew idle
            # for the 20 operating years after the rollout is not "7 % utilised"
            "utilisation_percent": float(100.0 * busy_days / (capacity * busy_until))
            if capacity and busy_until > 0
            else 0.0,
            "utilisation_horizon_percent": float(100.0 * busy_days / (capacity * horizon_days)) if capacity else 0.0,
            "utilisation_build_window_percent": float(100.0 * busy_window / (capacity * window))
            if capacity and window > 0
            else 0.0,
            "active_until_days": float(busy_until),
            "utilisation_by_year_percent": {
                first_year + k: float(
                    100.0
                    * np.clip(np.minimum(ended, b) - np.maximum(granted, a), 0.0, None).sum()
                    / (capacity * (b - a))
                )
                if capacity and b > a
                else 0.0
                for k, (a, b) in enumerate(itertools.pairwise(bounds))
            },
            "mean_wait_days": float(waits.mean()) if len(waits) else 0.0,
            "p95_wait_days": float(np.percentile(waits, 95)) if len(waits) else 0.0,
            "mean_wait_build_window_days": float(in_window.mean()) if len(in_window) else 0.0,
            "n_censored": len(censored),
            "max_queue_length": int(collector.max_queue[name]),
            "n_requests": len(waits),
        }
    return resources


def _milestones(
    collector: _Collector, capacity_kwp: np.ndarray, target_kwp: float | None, to_dates, mask: np.ndarray | None = None
) -> dict[str, str | None]:
    """Dates at which each share of :data:`MILESTONE_SHARES` of the target (or of the capacity released) is
    operating (``mask``: of these sites only)."""
    mask = np.ones(len(capacity_kwp), dtype=bool) if mask is None else mask
    released = ~np.isnan(collector.release_day) & mask
    basis = target_kwp if target_kwp is not None else float(capacity_kwp[released].sum())
    operating = np.flatnonzero((collector.status == Status.OPERATING) & mask)
    by_commissioning = operating[np.argsort(collector.commission_day[operating], kind="stable")]
    online_kwp = np.cumsum(capacity_kwp[by_commissioning])
    reached: dict[str, int | None] = {}
    for share in MILESTONE_SHARES:
        label = f"{share * 100:g}%"
        k = int(np.searchsorted(online_kwp, share * basis * (1 - 1e-12), side="left")) if len(online_kwp) else 0
        reached[label] = k if basis > 0 and k < len(online_kwp) else None
    ks = [k for k in reached.values() if k is not None]
    dates = iter(to_dates(collector.commission_day[by_commissioning[ks]]) if ks else [])  # all at once
    return {label: None if k is None else next(dates).date().isoformat() for label, k in reached.items()}


def _lead_times(outcomes: pd.DataFrame) -> dict[str, dict]:
    """Release to commissioning [days] of the operating sites, per site type: ``n, median_days, p90_days``."""
    built = outcomes["status"].eq("operating").to_numpy(bool)
    days = (outcomes["commission_day"].to_numpy(float) - outcomes["release_day"].to_numpy(float))[built]
    types = outcomes["site_type"].to_numpy(object)[built]
    out = {}
    for site_type in sorted(set(types)):  # (a groupby of an Arrow-string column costs 10x more)
        d = pd.Series(days[types == site_type])
        out[str(site_type)] = {"n": len(d), "median_days": float(d.median()), "p90_days": float(d.quantile(0.9))}
    return out


def _service_limit_table(collector: _Collector) -> list[dict]:
    """Elapsed working days of the office stages per application class, against the State Grid limits."""
    rows = []
    for step, by_class in collector.office_days.items():
        stage = STEP_NAMES[step]
        for c, days in by_class.items():
            if not days:
                continue
            d = np.asarray(days, dtype=float)
            name = APPLICATION_CLASSES[c]
            rows.append(
                {
                    "stage": stage,
                    "application_class": name,
                    "n": len(d),
                    "p50_working_days": float(np.median(d)),
                    "p90_working_days": float(np.percentile(d, 90)),
                    "limit_working_days": SERVICE_LIMIT_WORKING_DAYS[stage][name],
                }
            )
    return rows


def _budget_table(money: dict) -> pd.DataFrame:
    """Money per calendar year [CNY]: columns ``year`` and :data:`MONEY_COLUMNS`."""
    years = sorted({year for _, year in money})
    table = pd.DataFrame({"year": np.asarray(years, dtype=np.int64)})
    for column in MONEY_COLUMNS:
        kind = column.removesuffix("_cny")
        table[column] = [money.get((kind, y), 0.0) for y in years]
    return table


def _warnings(resources: dict, service_limits: list[dict], config: RolloutConfig) -> list[str]:
    """Saturation: a resource busier than :data:`BUSY_WARNING` over the build window (or, for O&M crews, the
    horizon), requests still queued at the horizon, or an office stage whose median exceeds its service limit."""
    out = []
    pacing = "" if config.max_sites_in_pipeline is None else " or a lower rollout.max_sites_in_pipeline"
    for name, r in resources.items():
        busy = (r["utilisation_horizon_percent"] if name == "om_crews" else r["utilisation_build_window_percent"]) / 100
        period = "the horizon" if name == "om_crews" else "the build window"
        if r["capacity"] and busy > BUSY_WARNING:
            out.append(
                f"{name} are {100 * busy:.0f} % busy over {period} (mean wait {r['mean_wait_days']:.0f} "
                f"days): raise rollout.{name} above {r['capacity']}{pacing if name != 'om_crews' else ''}"
            )
        elif r["n_censored"]:
            out.append(
                f"{r['n_censored']} requests for {name} are still queued at the horizon (mean wait "
                f"{r['mean_wait_days']:.0f} days, censored): raise rollout.{name} above {r['capacity']}"
            )
    for row in service_limits if config.state_grid_service_limits else []:
        if row["p50_working_days"] > row["limit_working_days"] + 1e-6:
            resource = config.stage("rural_home", row["stage"]).resource  # the stage's effective resource
            relief = f"raise rollout.{resource}" if resource else "shorten the stage"
            out.append(
                f"{row['stage']} of {row['application_class']} applications takes a median "
                f"{row['p50_working_days']:.1f} working days, above the State Grid service limit of "
                f"{row['limit_working_days']:g}: {relief}"
                f"{' or set rollout.max_sites_in_pipeline' if config.max_sites_in_pipeline is None else ''}"
            )
    return out


def _stage_duration_table(stage_days: dict) -> pd.DataFrame:
    rows = []
    for step, days in stage_days.items():
        d = np.asarray(days, dtype=float)
        rows.append(
            {
                "stage": STEP_NAMES[step],
                "n": len(d),
                "mean_days": float(d.mean()) if len(d) else np.nan,
                "p50_days": float(np.median(d)) if len(d) else np.nan,
                "p95_days": float(np.percentile(d, 95)) if len(d) else np.nan,
            }
        )
    return pd.DataFrame(rows)


#: columns of :attr:`RolloutResult.upgrades`
UPGRADE_COLUMNS = (
    "transformer_id",
    "kind",
    "time_days",
    "date",
    "added_hosting_kw",
    "added_kva",
    "cost_cny",
    "requested_date",
    "scheduled_date",
    "reinforced_km",
    "reinforced_to_site",
)


def _upgrade_table(upgrades: list, transformer_ids: pd.Index, to_dates) -> pd.DataFrame:
    """One row per upgrade in service: when (``date``), what it added and cost, and why (``kind`` planned in the
    ledger, ``reinforcement`` of ``reinforced_km`` of low-voltage cable on the path from the transformer to the
    held site ``reinforced_to_site`` (power flow), or ``scheduled`` by the grid
    company after a site was held on the full transformer on
    ``requested_date``; ``scheduled_date`` is later when the yearly limit pushed it into the next year's plan)."""
    if not upgrades:
        return pd.DataFrame(
            {
                "transformer_id": pd.Series([], dtype=object),
                "kind": pd.Series([], dtype=object),
                "time_days": [],
                "date": pd.to_datetime([]),
                "added_hosting_kw": [],
                "added_kva": [],
                "cost_cny": [],
                "requested_date": pd.to_datetime([]),
                "scheduled_date": pd.to_datetime([]),
                "reinforced_km": [],
                "reinforced_to_site": pd.Series([], dtype=object),
            }
        )
    transformer, kind, time_days, added_kw, added_kva, cost, requested, scheduled, km, to_site = zip(*upgrades)
    requested_days, scheduled_days = np.asarray(requested, float), np.asarray(scheduled, float)
    return pd.DataFrame(
        {
            "transformer_id": transformer_ids.to_numpy()[list(transformer)],
            "kind": list(kind),
            "time_days": np.asarray(time_days, float),
            "date": to_dates(time_days),
            "added_hosting_kw": np.asarray(added_kw, float),
            "added_kva": np.asarray(added_kva, float),
            "cost_cny": np.asarray(cost, float),
            "requested_date": _dates_or_nat(requested_days, to_dates),
            "scheduled_date": _dates_or_nat(scheduled_days, to_dates),
            "reinforced_km": np.asarray(km, float),
            "reinforced_to_site": [str(s) for s in to_site],
        }
    )


def _dates_or_nat(days: np.ndarray, to_dates) -> pd.Series:
    out = pd.Series(pd.NaT, index=range(len(days)), dtype="datetime64[ns]")
    known = np.isfinite(days)
    if known.any():
        out[known] = pd.to_datetime(np.asarray(to_dates(days[known])))
    return out
