"""What the rollout model records while it runs (:class:`_Collector`) and the tables it returns (:class:`RolloutResult`,
built from the record by :func:`_results`)."""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from sim.rollout.config import EVENTS, RESOURCES, STATUSES, STEP_NAMES, RolloutConfig, Status, Step


@dataclass
class RolloutResult:
    """Outcome of :func:`simulate` (see docs/architecture.md).

    - ``events``: one row per (site, stage, event); stages ``release, consent, survey_design, filing, grid_review,
      hosting, procurement, construction, acceptance``; events ``start, end, wait`` (queued for a resource or for
      hosting capacity), ``decline`` (consent), ``fail``, ``drop`` (hosting); ``time_days`` since the start date and
      ``date`` (to the millisecond). Inverter repairs are not logged here (see ``downtime``).
    - ``outcomes``: per site of the order: ``status, release_day, commission_day, commission_date, failed_stage``
      (``consent``, a stage name, ``hosting`` or None) and, for convenience, ``site_type, capacity_kwp,
      transformer_id``.
    - ``downtime``: ``site_id, year, downtime_days`` (inverter outages, cut at the horizon, split by calendar year).
    - ``resources``: per resource ``capacity, utilisation_percent`` (busy time over capacity x the period in use, from
      the start to the end of its last service), ``utilisation_horizon_percent`` (over the whole horizon),
      ``active_until_days, mean_wait_days, p95_wait_days, max_queue_length, n_requests``.
    - ``milestones``: ISO date at which 25 / 50 / 100 % of ``target_capacity_kwp`` is operating, or, without a
      target, of the total capacity released (declined, failed and dropped sites included, so "100%" is reached
      only if every released site gets built); None if not reached within the horizon.
    - ``spend_by_year``: calendar year -> capex committed that year and not returned [CNY].
    - ``stage_durations``: per stage ``n, mean_days, p50_days, p95_days`` of the elapsed time from the start of the
      stage to its end (queueing for the resource included; ``hosting`` is the wait for hosting capacity).
    - ``upgrades``: transformer upgrades that took effect (planned, or scheduled by the grid company).
    """

    events: pd.DataFrame
    outcomes: pd.DataFrame
    downtime: pd.DataFrame
    resources: dict[str, dict[str, float]]
    milestones: dict[str, str | None]
    spend_by_year: dict[int, float]
    stage_durations: pd.DataFrame
    upgrades: pd.DataFrame  # transformer_id, kind (planned|scheduled), time_days, date, added_hosting_kw
    n_events: int = 0  # SimPy events processed


# ---------------------------------------------------------------------------------------------------------------
# What the processes record


@dataclass
class _Collector:
    """What the processes record; :func:`_results` turns it into tables. Sites are indices into the release order."""

    n_sites: int
    horizon_days: float  # busy time is counted up to the horizon
    log: list = field(default_factory=list)  # (site, Step, Event, time_days)
    waits: dict = field(default_factory=lambda: {r: [] for r in RESOURCES})  # resource -> waits of granted requests
    busy_days: dict = field(default_factory=lambda: {r: 0.0 for r in RESOURCES})
    busy_until: dict = field(default_factory=lambda: {r: 0.0 for r in RESOURCES})  # end of the last service [days]
    max_queue: dict = field(default_factory=lambda: {r: 0 for r in RESOURCES})
    stage_days: dict = field(default_factory=lambda: {step: [] for step in Step if step != Step.RELEASE})
    spend: dict = field(default_factory=dict)  # year -> net committed capex [CNY]
    downtime: list = field(default_factory=list)  # (site, time of failure, time back in operation)
    open_failures: dict = field(default_factory=dict)  # site -> time of its failure not yet repaired
    upgrades: list = field(default_factory=list)  # (transformer index, kind, time_days, added_kw)

    def __post_init__(self) -> None:
        self.status = np.full(self.n_sites, Status.NOT_RELEASED, dtype=np.int8)
        self.release_day = np.full(self.n_sites, np.nan)
        self.commission_day = np.full(self.n_sites, np.nan)
        self.failed_step = np.full(self.n_sites, -1, dtype=np.int8)  # Step at which the site left, -1 if it did not

    def note_queue(self, resource: str, length: int) -> None:
        """A request had to queue behind ``length`` requests (itself included)."""
        if length > self.max_queue[resource]:
            self.max_queue[resource] = length

    def note_service(self, resource: str, waited_days: float, start: float, duration_days: float) -> None:
        """A request granted at ``start`` after ``waited_days`` holds ``resource`` for ``duration_days`` (busy time is
        counted up to the horizon)."""
        self.waits[resource].append(waited_days)
        end = min(start + duration_days, self.horizon_days)
        self.busy_days[resource] += max(0.0, end - start)
        self.busy_until[resource] = max(self.busy_until[resource], end)


# ---------------------------------------------------------------------------------------------------------------
# Tables


def _results(collector: _Collector, *, site_ids: np.ndarray, site_table: pd.DataFrame, transformer_ids: pd.Index,
             start: date, horizon_days: float, year_starts: Sequence[float], config: RolloutConfig,
             n_events: int) -> RolloutResult:
    """The tables of :class:`RolloutResult` from what the processes recorded. ``site_ids``: the release order (object
    array of str); ``site_table``: the sites in that order; ``year_starts``: days of 1 January of each year after
    the start year."""
    capacity_kwp = site_table["capacity_kwp"].to_numpy(float)
    to_dates = _date_converter(start)
    return RolloutResult(
        events=_event_table(collector.log, site_ids, to_dates),
        outcomes=_outcome_table(collector, site_ids, site_table, capacity_kwp, to_dates),
        downtime=_downtime_table(collector, site_ids, start.year, year_starts, horizon_days),
        resources=_resource_table(collector, config, horizon_days),
        milestones=_milestones(collector, capacity_kwp, config.target_capacity_kwp, to_dates),
        spend_by_year={int(y): float(v) for y, v in sorted(collector.spend.items())},
        stage_durations=_stage_duration_table(collector.stage_days),
        upgrades=_upgrade_table(collector.upgrades, transformer_ids, to_dates),
        n_events=n_events,
    )


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
    return pd.DataFrame({
        "site_id": site_ids[site],
        "stage": pd.Categorical.from_codes(step, categories=list(STEP_NAMES)),
        "event": pd.Categorical.from_codes(event, categories=list(EVENTS)),
        "time_days": time_days,
        "date": to_dates(time_days),
    })


def _outcome_table(collector: _Collector, site_ids: np.ndarray, site_table: pd.DataFrame, capacity_kwp: np.ndarray,
                   to_dates) -> pd.DataFrame:
    failed_stage = np.array([None, *STEP_NAMES], dtype=object)[collector.failed_step.astype(np.int64) + 1]
    return pd.DataFrame(
        {
            "status": np.array(STATUSES, dtype=object)[collector.status],
            "release_day": collector.release_day,
            "commission_day": collector.commission_day,
            "commission_date": to_dates(collector.commission_day),
            "failed_stage": failed_stage,
            "site_type": site_table["site_type"].to_numpy(),
            "capacity_kwp": capacity_kwp,
            "transformer_id": site_table["transformer_id"].to_numpy(),
        },
        index=pd.Index(site_ids, name="site_id"),
    )


def _downtime_table(collector: _Collector, site_ids: np.ndarray, first_year: int, year_starts: Sequence[float],
                    horizon_days: float) -> pd.DataFrame:
    """Inverter downtime by site and calendar year; repairs still open at the horizon are cut there."""
    outages = list(collector.downtime) + [(i, t, horizon_days) for i, t in collector.open_failures.items()]
    bounds = [0.0, *year_starts]
    days_by_site_year: dict[tuple[int, int], float] = {}
    for site, t_from, t_to in outages:
        t_to = min(t_to, horizon_days)
        k = bisect_right(bounds, t_from) - 1  # the year of t_from, counted from the start year
        while t_from < t_to:
            piece_end = min(t_to, bounds[k + 1] if k + 1 < len(bounds) else math.inf)
            key = (site, first_year + k)
            days_by_site_year[key] = days_by_site_year.get(key, 0.0) + (piece_end - t_from)
            t_from = piece_end
            k += 1
    if not days_by_site_year:
        return pd.DataFrame({"site_id": pd.Series([], dtype=object), "year": pd.Series([], dtype=np.int64),
                             "downtime_days": pd.Series([], dtype=float)})
    keys = np.array(list(days_by_site_year), dtype=np.int64)
    downtime = pd.DataFrame({"site_id": site_ids[keys[:, 0]], "year": keys[:, 1],
                             "downtime_days": np.fromiter(days_by_site_year.values(), float, len(days_by_site_year))})
    return downtime.sort_values(["site_id", "year"], ignore_index=True)


def _resource_table(collector: _Collector, config: RolloutConfig, horizon_days: float) -> dict[str, dict]:
    resources = {}
    for name in RESOURCES:
        waits = np.asarray(collector.waits[name], dtype=float)
        capacity = getattr(config, name)
        busy_days, busy_until = collector.busy_days[name], collector.busy_until[name]
        resources[name] = {
            "capacity": int(capacity),
            # over the period the resource was in use (start to the end of its last service): a build crew idle
            # for the 20 operating years after the rollout is not "7 % utilised"
            "utilisation_percent":
                float(100.0 * busy_days / (capacity * busy_until)) if capacity and busy_until > 0 else 0.0,
            "utilisation_horizon_percent": float(100.0 * busy_days / (capacity * horizon_days)) if capacity else 0.0,
            "active_until_days": float(busy_until),
            "mean_wait_days": float(waits.mean()) if len(waits) else 0.0,
            "p95_wait_days": float(np.percentile(waits, 95)) if len(waits) else 0.0,
            "max_queue_length": int(collector.max_queue[name]),
            "n_requests": int(len(waits)),
        }
    return resources


def _milestones(collector: _Collector, capacity_kwp: np.ndarray, target_kwp: float | None,
                to_dates) -> dict[str, str | None]:
    """Dates at which 25 / 50 / 100 % of the target (or of the capacity released) is operating."""
    released = ~np.isnan(collector.release_day)
    basis = target_kwp if target_kwp is not None else float(capacity_kwp[released].sum())
    operating = np.flatnonzero(collector.status == Status.OPERATING)
    by_commissioning = operating[np.argsort(collector.commission_day[operating], kind="stable")]
    online_kwp = np.cumsum(capacity_kwp[by_commissioning])
    milestones: dict[str, str | None] = {}
    for share, label in ((0.25, "25%"), (0.5, "50%"), (1.0, "100%")):
        if basis <= 0 or not len(online_kwp):
            milestones[label] = None
            continue
        k = int(np.searchsorted(online_kwp, share * basis * (1 - 1e-12), side="left"))
        milestones[label] = None if k >= len(online_kwp) else \
            to_dates([collector.commission_day[by_commissioning[k]]])[0].date().isoformat()
    return milestones


def _stage_duration_table(stage_days: dict) -> pd.DataFrame:
    rows = []
    for step, days in stage_days.items():
        d = np.asarray(days, dtype=float)
        rows.append({"stage": STEP_NAMES[step], "n": int(len(d)), "mean_days": float(d.mean()) if len(d) else np.nan,
                     "p50_days": float(np.median(d)) if len(d) else np.nan,
                     "p95_days": float(np.percentile(d, 95)) if len(d) else np.nan})
    return pd.DataFrame(rows)


def _upgrade_table(upgrades: list, transformer_ids: pd.Index, to_dates) -> pd.DataFrame:
    if not upgrades:
        return pd.DataFrame({"transformer_id": [], "kind": [], "time_days": [], "date": pd.to_datetime([]),
                             "added_hosting_kw": []})
    transformer, kind, time_days, added_kw = zip(*upgrades)
    return pd.DataFrame({"transformer_id": transformer_ids.to_numpy()[list(transformer)], "kind": list(kind),
                         "time_days": np.asarray(time_days, float), "date": to_dates(time_days),
                         "added_hosting_kw": np.asarray(added_kw, float)})
