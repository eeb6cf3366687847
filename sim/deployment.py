"""The rollout model: a discrete-event simulation (SimPy) of the county's PV programme. Time unit: days.

The programme office releases sites in the strategy's priority order (``release_mode``): limited by a yearly budget
(``budget``), all at once (``all_at_start``) or at random (``poisson``). Each released site then goes through the
stages ``consent -> survey_design -> filing -> grid_review -> [hosting check] -> procurement -> construction ->
acceptance`` and starts operating; during operation its inverter fails now and then and waits for an O&M crew.

Shape (DESIGN.md section 4): processes are small generator functions taking ``env`` first (``_office``,
``_budget_year``, ``_site``, ``_hosting``, ``_upgrade``, ``_operate``); shared limits are ``simpy.Resource``
(crews, reviewers, inspectors, surveyors, om_crews) and a ``simpy.Container`` (the yearly budget); processes record
to a :class:`_Collector` and never print; all randomness comes from named streams (:mod:`sim.rng`).

Random numbers (common random numbers across strategies):

- ``site_rng(seed, site_id, "stages")``: 14 uniforms per site, drawn at once in a fixed order (for each stage of
  :data:`STAGES`: its duration, then its success); durations are the inverse CDF of the stage's distribution at the
  duration uniform, so a site gets the same durations and outcomes whatever the order of release or the strategy.
- ``site_rng(seed, site_id, "operation")``: first time to failure, then per failure: repair time, next time to failure.
- run-level ``stream(seed, "rollout", "weather")``: the rainy days (same for every site and strategy);
  ``stream(seed, "rollout", "release")``: Poisson inter-release times.

Rules (assumptions, stated once):

- Budget (``release_mode="budget"``): a site is released only when its whole capex can be committed from the current
  year's pot (a ``Container`` refilled to ``annual_budget_cny`` every 1 January; with ``budget_carry_over`` the
  unspent money is kept instead). The office keeps to the priority order: it waits for money for the next site and
  does not skip to cheaper ones; a single site dearer than the annual budget (without carry-over) can never be funded
  and stays ``not_released``. The money of a site that later declines, fails or is dropped for hosting is returned:
  into the pot if it is returned in the calendar year it was committed, or (with carry-over) in any later year;
  without carry-over, money returned in a later year lapses with that year's budget. ``spend_by_year[y]`` is the
  capex committed in year ``y`` minus what of it was returned, so it never exceeds the annual budget without
  carry-over. In ``all_at_start`` and ``poisson`` modes money is no constraint (``spend_by_year`` is still kept).
- Capacity target: the office stops releasing when the committed capacity (released, not declined/failed/dropped)
  reaches ``target_capacity_kwp``, and resumes if a site drops out; it stops for good at the end of the build window.
- Hosting: right after its grid review a site reserves its ``capacity_kwp`` against the remaining hosting capacity
  [kW] of its transformer (kWp compared with kW: conservative, no DC/AC ratio); the reservation holds from approval
  on (under construction counts, as in Henan's 2023 rule) and is given back if the site fails later. When the
  transformer is full: ``drop`` drops the site; ``wait_upgrade`` waits for the transformer's planned upgrade, or, if
  none is pending, the grid company schedules one ``upgrade_lead_time_days`` after the first site had to wait, raising
  the rating by ``upgrade_factor`` (at most one such unplanned upgrade per transformer; a site that still does not
  fit when no upgrade is pending any more is dropped).
- Calendar (``calendar_enabled``): office stages (survey_design, filing, grid_review, acceptance) count working days
  (Monday-Friday if ``office_weekends_off``, no work during the Spring Festival shutdown); construction counts working
  days of the site calendar (no work during the shutdown, and for ``outdoor_site_types`` none in the frozen season or
  on rainy days; none on weekends if ``construction_weekends_off``); consent and procurement count calendar days.
  A crew stays with its site over non-working days. The stage durations of the State Grid service limits are in
  working days, so they are counted that way.
- Resources: a stage holds its resource for ``resource_busy_percent`` of its duration, from its start (a reviewer
  works half a day on an application whose service limit is 20 working days; a crew stays for the whole build).
- Operation: times to inverter failure are exponential (``inverter_mtbf_years``) counted in operating time; a failed
  site waits for an O&M crew (``RolloutConfig.om_crews``, one pool for the county) then for the repair time
  (``OperationConfig.repair``, calendar days). Downtime is cut at the horizon and split by calendar year.
- Resource statistics: utilisation = busy time / (capacity x horizon); waits are those of requests granted before
  the horizon (including zero waits).
"""

from __future__ import annotations

import gc
import itertools
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

import numpy as np
import pandas as pd
import simpy
from pydantic import Field, field_validator, model_serializer

from sim import calendar as cal
from sim._config import SITE_TYPES, Duration, SiteType, StrictModel, fixed, triangular  # noqa: F401
from sim.errors import InputError
from sim.rng import site_rng, stream

StageName = Literal["consent", "survey_design", "filing", "grid_review", "procurement", "construction", "acceptance"]
STAGES: tuple[str, ...] = StageName.__args__  # type: ignore[attr-defined]
ResourceName = Literal["crews", "reviewers", "inspectors", "surveyors", "om_crews"]
RESOURCES: tuple[str, ...] = ResourceName.__args__  # type: ignore[attr-defined]
STATUSES = ("not_released", "in_progress", "operating", "declined", "failed", "dropped_hosting")

# Ground-mounted / open-air types: foundations or piles in the ground (or pond bed), so no work in the frozen season
# and none on rainy days. Rooftop types (homes, public and government buildings, C&I, guesthouses) are not stopped.
OUTDOOR_SITE_TYPES = ("agrivoltaic", "greenhouse", "fish_pond", "tourism_carpark")

_OFFICE_STAGES = ("survey_design", "filing", "grid_review", "acceptance")


class StageConfig(StrictModel):
    """One stage of a site's path. In ``RolloutConfig.site_type_stages`` a key left out inherits the default stage."""

    duration: Duration | None = Field(
        None, description="duration of the stage [days; working days for office stages and construction when the "
        "calendar is on]; for construction the crew's set-up, capacity / productivity is added; unset: inherited")
    success_percent: float = Field(
        100.0, ge=0, le=100, allow_inf_nan=False,
        description="chance that the site passes the stage (consent: the owner agrees); otherwise it declines/fails")
    resource: ResourceName | None = Field(
        None, description="shared resource the stage needs (crews, reviewers, inspectors, surveyors, om_crews) or "
        "null for none")
    resource_busy_percent: float = Field(
        100.0, gt=0, le=100, allow_inf_nan=False,
        description="share of the stage's duration during which the resource is busy with the site, taken at the "
        "start (an engineer spends half a day on an application with a 20-working-day service limit)")

    @model_serializer(mode="wrap")
    def _only_set_keys(self, handler):
        # a dump keeps only the keys that were given, so that dumping and re-loading a config does not turn
        # inherited values into overrides
        data = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}


def _default_stages() -> dict[str, StageConfig]:
    return {
        # assumption: weeks of village meetings and household visits; 85 % of homes agree
        "consent": StageConfig(duration=triangular(7, 21, 60), success_percent=85.0),
        # State Grid service limit: site survey within 2 working days (design done alongside)
        "survey_design": StageConfig(duration=fixed(2), resource="surveyors", resource_busy_percent=50.0),
        # assumption: project filing (bei'an) with the county development and reform bureau
        "filing": StageConfig(duration=triangular(3, 5, 10)),
        # State Grid service limit: connection plan within 20 working days
        # assumption: half a working day of a reviewer's time per application
        "grid_review": StageConfig(duration=fixed(20), resource="reviewers", resource_busy_percent=2.5),
        # assumption: ordering and delivery of modules and inverters; metering and contracts (State Grid limit 10
        # working days) run in parallel; 2 % of orders fall through
        "procurement": StageConfig(duration=triangular(10, 20, 45), success_percent=98.0),
        # set-up/mobilisation of the crew [working days]; capacity_kwp / crew_productivity_kwp_per_day is added
        "construction": StageConfig(duration=triangular(0.5, 1, 3), resource="crews"),
        # State Grid service limit: acceptance and connection within 10 working days
        # assumption: one working day of an inspector on site
        "acceptance": StageConfig(duration=fixed(10), success_percent=99.0, resource="inspectors",
                                  resource_busy_percent=10.0),
    }


def _default_site_type_stages() -> dict[str, dict[str, StageConfig]]:
    # assumptions: public owners follow the pilot's mandate more readily than households
    return {
        "party_government": {"consent": StageConfig(success_percent=100.0)},
        "public_building": {"consent": StageConfig(success_percent=95.0)},
        "commercial_industrial": {"consent": StageConfig(success_percent=75.0)},
    }


def _default_productivity() -> dict[str, float]:
    # assumptions [kWp per crew-day]: a rooftop crew builds a 20-30 kWp home in about a day; ground-mounted and pond
    # arrays with prefabricated racks go faster per kWp; steel canopies and greenhouses are slower.
    return {
        "default": 30.0,
        "rural_home": 30.0,
        "guesthouse": 30.0,
        "public_building": 40.0,
        "party_government": 40.0,
        "commercial_industrial": 60.0,
        "agrivoltaic": 80.0,
        "fish_pond": 80.0,
        "greenhouse": 50.0,
        "tourism_carpark": 40.0,
    }


class RolloutConfig(StrictModel):
    """Settings of the rollout model (scenario section ``rollout``). Defaults are assumptions unless a source is named
    in :func:`_default_stages`."""

    release_mode: Literal["budget", "all_at_start", "poisson"] = Field(
        "budget", description="how the programme office releases sites in priority order: as the yearly budget "
        "allows, all at once, or at random (Poisson) times")
    annual_budget_cny: float = Field(
        150e6, gt=0, allow_inf_nan=False,
        description="capex that can be committed per calendar year (budget mode); assumption")
    budget_carry_over: bool = Field(False, description="unspent budget is kept for the next year (else it lapses)")
    poisson_rate_per_day: float = Field(
        5.0, gt=0, allow_inf_nan=False, description="mean releases per day (poisson mode)")
    build_window_years: float = Field(
        5.0, gt=0, allow_inf_nan=False, description="no site is released after this time from the start date")
    target_capacity_kwp: float | None = Field(
        None, gt=0, allow_inf_nan=False,
        description="stop releasing when the committed capacity reaches it (null: no target); basis of milestones")

    crews: int = Field(6, ge=0, description="number of construction crews (count)")
    reviewers: int = Field(2, ge=0, description="number of grid-company engineers reviewing applications (count)")
    inspectors: int = Field(2, ge=0, description="number of acceptance inspectors (count)")
    surveyors: int = Field(3, ge=0, description="number of site surveyors/designers (count)")
    om_crews: int = Field(2, ge=0, description="number of O&M crews repairing inverters during operation (count)")
    crew_productivity_kwp_per_day: dict[str, float] = Field(
        default_factory=_default_productivity,
        description="kWp one crew installs per working day, by site type, with a 'default'; assumptions")

    stages: dict[StageName, StageConfig] = Field(
        default_factory=_default_stages,
        description="settings of the stages consent, survey_design, filing, grid_review, procurement, construction, "
        "acceptance (State Grid service limits: survey 2, connection plan 20, acceptance 10 working days); keys "
        "left out keep their defaults")
    site_type_stages: dict[SiteType, dict[StageName, StageConfig]] = Field(
        default_factory=_default_site_type_stages,
        description="per site type overrides of stage settings, layered over `stages` key by key")

    hosting_when_full: Literal["wait_upgrade", "drop"] = Field(
        "wait_upgrade", description="a site whose transformer is full waits for an upgrade, or is dropped")
    upgrade_lead_time_days: float = Field(
        365.0, ge=0, allow_inf_nan=False,
        description="a full transformer with no planned upgrade gets one this long after the first site had to "
        "wait; assumption")
    upgrade_factor: float = Field(
        2.0, gt=1, allow_inf_nan=False,
        description="rating multiplier of such an unplanned upgrade (ratio; e.g. 200 kVA -> 400 kVA); assumption")

    calendar_enabled: bool = Field(
        True, description="use the work calendar (Spring Festival, frozen season, rain, weekends); off: every day "
        "is a working day")
    office_weekends_off: bool = Field(True, description="office stages do not progress on Saturdays and Sundays")
    construction_weekends_off: bool = Field(False, description="crews do not work on Saturdays and Sundays")
    outdoor_site_types: list[SiteType] = Field(
        default_factory=lambda: list(OUTDOOR_SITE_TYPES),
        description="ground-mounted types whose construction stops in the frozen season and on rainy days")
    frozen_season_start_month_day: str = Field(
        "12-15", description="first day (MM-DD) of the frozen-ground season; assumption for northern Hebei")
    frozen_season_end_month_day: str = Field("02-28", description="last day (MM-DD) of the frozen-ground season")
    rain_day_percent_by_month: list[float] = Field(
        default_factory=lambda: [3.0, 4.0, 7.0, 10.0, 17.0, 27.0, 40.0, 33.0, 20.0, 10.0, 5.0, 3.0],
        description="share of days, January to December, with rain that stops outdoor work (Huailai-like, summer "
        "rainy); assumption")
    spring_festival_shutdown_days_before: int = Field(
        7, ge=0, description="days before the Spring Festival from which nobody works (days); assumption")
    spring_festival_shutdown_days_after: int = Field(
        15, ge=0, description="days after the Spring Festival until which nobody works (days; the Lantern "
        "Festival is day 14); assumption")

    @field_validator("crew_productivity_kwp_per_day")
    @classmethod
    def _check_productivity(cls, v: dict[str, float]) -> dict[str, float]:
        allowed = set(SITE_TYPES) | {"default"}
        for key, value in v.items():
            if key not in allowed:
                raise ValueError(f"unknown site type {key!r}; must be one of: default, {', '.join(SITE_TYPES)}")
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"productivity of {key!r} must be a finite number > 0 [kWp/crew-day], got {value}")
        if "default" not in v:
            v = {**v, "default": _default_productivity()["default"]}
        return v

    @field_validator("rain_day_percent_by_month")
    @classmethod
    def _check_rain(cls, v: list[float]) -> list[float]:
        if len(v) != 12:
            raise ValueError(f"needs 12 values (January to December), got {len(v)}")
        for x in v:
            if not (np.isfinite(x) and 0 <= x <= 100):
                raise ValueError(f"each value must be a percentage in 0..100, got {x}")
        return v

    @field_validator("frozen_season_start_month_day", "frozen_season_end_month_day")
    @classmethod
    def _check_md(cls, v: str) -> str:
        cal.parse_month_day(v)
        return v

    def stage(self, site_type: str, stage: str) -> StageConfig:
        """The effective settings of ``stage`` for ``site_type``, in layers, each overriding only the keys it sets:
        default stage <- ``stages`` <- default site-type overrides <- ``site_type_stages``. (So giving
        ``site_type_stages`` for one type keeps the default overrides of the others.)"""
        out = _default_stages()[stage]
        layers = (
            self.stages.get(stage),
            _default_site_type_stages().get(site_type, {}).get(stage),
            self.site_type_stages.get(site_type, {}).get(stage),
        )
        for layer in layers:
            if layer is not None:
                out = out.model_copy(update={k: getattr(layer, k) for k in layer.model_fields_set})
        if out.duration is None:
            out = out.model_copy(update={"duration": _default_stages()[stage].duration})
        return out

    def productivity(self, site_type: str) -> float:
        """Installation rate of one crew [kWp/crew-day] for ``site_type``."""
        p = self.crew_productivity_kwp_per_day
        return float(p.get(site_type, p["default"]))


class OperationConfig(StrictModel):
    """Operation settings (scenario section ``operation``). The O&M crew count is ``RolloutConfig.om_crews`` (it is a
    resource of the same programme, sized with the others)."""

    degradation_first_year_percent: float = Field(
        1.0, ge=0, le=100, description="loss of output in the first year (light-induced); assumption")
    degradation_percent_per_year: float = Field(
        0.5, ge=0, le=100, description="loss of output per year after the first (median, Jordan & Kurtz 2013)")
    inverter_mtbf_years: float | None = Field(
        10.0, gt=0, allow_inf_nan=False,
        description="mean operating time between inverter failures (null: no failures); assumption")
    repair: Duration = Field(
        default_factory=lambda: triangular(2, 5, 15),
        description="time to repair once an O&M crew is free (MTTR) [days]; assumption")


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
