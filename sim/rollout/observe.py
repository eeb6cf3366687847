"""What the rollout model records while it runs (:class:`_Collector`) and the tables it returns (:class:`RolloutResult`,
built by :func:`_results`)."""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.rollout.config import RESOURCES, STATUSES

if TYPE_CHECKING:
    from sim.rollout.model import _World


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
    - ``resources``: per resource ``capacity, utilization`` (busy time over capacity x the period in use, from the
      start to the end of its last service), ``utilization_horizon`` (over the whole horizon), ``active_until_days``,
      ``mean_wait_days, p95_wait_days, max_queue_length, n_requests``.
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
# Observation

_STAGE_NAMES = ("release", "consent", "survey_design", "filing", "grid_review", "hosting", "procurement",
                "construction", "acceptance")
_SC = {name: k for k, name in enumerate(_STAGE_NAMES)}
_EVENTS = ("start", "end", "wait", "decline", "fail", "drop")
START, END, WAIT, DECLINE, FAIL, DROP = range(6)
NOT_RELEASED, IN_PROGRESS, OPERATING, DECLINED, FAILED, DROPPED = range(6)


@dataclass
class _Collector:
    """What the processes record; :func:`simulate` turns it into tables."""

    n: int
    log: list = field(default_factory=list)  # (site index, stage code, event code, time_days)
    waits: dict = field(default_factory=lambda: {r: [] for r in RESOURCES})
    busy_days: dict = field(default_factory=lambda: {r: 0.0 for r in RESOURCES})
    busy_until: dict = field(default_factory=lambda: {r: 0.0 for r in RESOURCES})  # end of the last service [days]
    max_queue: dict = field(default_factory=lambda: {r: 0 for r in RESOURCES})
    stage_days: dict = field(default_factory=lambda: {s: [] for s in _STAGE_NAMES})
    spend: dict = field(default_factory=dict)  # year -> net committed capex
    downtime: list = field(default_factory=list)  # (site index, t_fail, t_back)
    open_failures: dict = field(default_factory=dict)  # site index -> t_fail
    upgrades: list = field(default_factory=list)  # (transformer index, kind, time, added_kw)

    def __post_init__(self) -> None:
        self.status = np.zeros(self.n, dtype=np.int8)
        self.release_day = np.full(self.n, np.nan)
        self.commission_day = np.full(self.n, np.nan)
        self.failed_stage = np.full(self.n, -1, dtype=np.int8)



def _results(col: _Collector, w: _World, s, order_ids, transformers, start, horizon_days, horizon_years, config,
             n_events) -> RolloutResult:
    start_ts = pd.Timestamp(start)

    def to_dates(days: np.ndarray) -> pd.DatetimeIndex:
        # to the nearest millisecond (float days carry sub-microsecond noise)
        return start_ts + pd.to_timedelta(np.round(np.asarray(days, dtype=float) * 86_400_000.0), unit="ms")

    # events
    flat = np.fromiter(itertools.chain.from_iterable(col.log), dtype=float, count=4 * len(col.log)).reshape(-1, 4)
    li, ls, le = (flat[:, k].astype(np.int64) for k in range(3))
    lt = flat[:, 3]
    events = pd.DataFrame({
        "site_id": order_ids[li],
        "stage": pd.Categorical.from_codes(ls, categories=list(_STAGE_NAMES)),
        "event": pd.Categorical.from_codes(le, categories=list(_EVENTS)),
        "time_days": lt,
        "date": to_dates(lt),
    })

    # outcomes
    failed_stage = np.array([None] + list(_STAGE_NAMES), dtype=object)[col.failed_stage.astype(np.int64) + 1]
    outcomes = pd.DataFrame(
        {
            "status": np.array(STATUSES, dtype=object)[col.status],
            "release_day": col.release_day,
            "commission_day": col.commission_day,
            "commission_date": to_dates(col.commission_day),
            "failed_stage": failed_stage,
            "site_type": s["site_type"].to_numpy(),
            "capacity_kwp": w.cap,
            "transformer_id": s["transformer_id"].to_numpy(),
        },
        index=pd.Index(order_ids, name="site_id"),
    )

    # downtime by site and calendar year
    intervals = list(col.downtime) + [(i, t, horizon_days) for i, t in col.open_failures.items()]
    bounds = [0.0] + w.year_starts
    rows = {}
    for i, t0, t1 in intervals:
        t1 = min(t1, horizon_days)
        k = bisect_right(bounds, t0) - 1
        while t0 < t1:
            edge = bounds[k + 1] if k + 1 < len(bounds) else math.inf
            seg_end = min(t1, edge)
            key = (i, w.first_year + k)
            rows[key] = rows.get(key, 0.0) + (seg_end - t0)
            t0 = seg_end
            k += 1
    if rows:
        keys = np.array(list(rows.keys()), dtype=np.int64)
        downtime = pd.DataFrame({"site_id": order_ids[keys[:, 0]], "year": keys[:, 1],
                                 "downtime_days": np.fromiter(rows.values(), float, len(rows))})
        downtime = downtime.sort_values(["site_id", "year"], ignore_index=True)
    else:
        downtime = pd.DataFrame({"site_id": pd.Series([], dtype=object), "year": pd.Series([], dtype=np.int64),
                                 "downtime_days": pd.Series([], dtype=float)})

    # resources
    resources = {}
    for r in RESOURCES:
        waits = np.asarray(col.waits[r], dtype=float)
        capacity = getattr(config, r)
        resources[r] = {
            "capacity": int(capacity),
            # over the period the resource was in use (start to the end of its last service): a build crew idle
            # for the 20 operating years after the rollout is not "7 % utilised"
            "utilization": float(col.busy_days[r] / (capacity * col.busy_until[r]))
            if capacity and col.busy_until[r] > 0 else 0.0,
            "utilization_horizon": float(col.busy_days[r] / (capacity * horizon_days)) if capacity else 0.0,
            "active_until_days": float(col.busy_until[r]),
            "mean_wait_days": float(waits.mean()) if len(waits) else 0.0,
            "p95_wait_days": float(np.percentile(waits, 95)) if len(waits) else 0.0,
            "max_queue_length": int(col.max_queue[r]),
            "n_requests": int(len(waits)),
        }

    # milestones
    released = ~np.isnan(col.release_day)
    basis = config.target_capacity_kwp if config.target_capacity_kwp is not None else float(w.cap[released].sum())
    on = np.flatnonzero(col.status == OPERATING)
    idx = on[np.argsort(col.commission_day[on], kind="stable")]
    cum = np.cumsum(w.cap[idx])
    milestones: dict[str, str | None] = {}
    for frac, label in ((0.25, "25%"), (0.5, "50%"), (1.0, "100%")):
        if basis <= 0 or not len(cum):
            milestones[label] = None
            continue
        k = int(np.searchsorted(cum, frac * basis * (1 - 1e-12), side="left"))
        milestones[label] = None if k >= len(cum) else to_dates([col.commission_day[idx[k]]])[0].date().isoformat()

    # stage durations
    srows = []
    for name in _STAGE_NAMES[1:]:
        d = np.asarray(col.stage_days[name], dtype=float)
        srows.append({"stage": name, "n": int(len(d)), "mean_days": float(d.mean()) if len(d) else np.nan,
                      "p50_days": float(np.median(d)) if len(d) else np.nan,
                      "p95_days": float(np.percentile(d, 95)) if len(d) else np.nan})
    stage_durations = pd.DataFrame(srows)

    # upgrades
    if col.upgrades:
        ut, uk, utime, ukw = zip(*col.upgrades)
        upgrades = pd.DataFrame({"transformer_id": transformers.index.to_numpy()[list(ut)], "kind": list(uk),
                                 "time_days": np.asarray(utime, float), "date": to_dates(utime),
                                 "added_hosting_kw": np.asarray(ukw, float)})
    else:
        upgrades = pd.DataFrame({"transformer_id": [], "kind": [], "time_days": [], "date": pd.to_datetime([]),
                                 "added_hosting_kw": []})

    spend = {int(y): float(v) for y, v in sorted(col.spend.items())}
    return RolloutResult(events=events, outcomes=outcomes, downtime=downtime, resources=resources,
                         milestones=milestones, spend_by_year=spend, stage_durations=stage_durations,
                         upgrades=upgrades, n_events=n_events)
