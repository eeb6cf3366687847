"""The SimPy processes of the rollout model and :func:`simulate`. The rules they follow are stated once, in
:mod:`sim.rollout`.

Shape: processes are small generator functions taking ``env`` first (:func:`_office`, :func:`_budget_year`,
:func:`_site`, :func:`_hosting`, :func:`_upgrade`, :func:`_operate`); shared limits are ``simpy.Resource`` (crews,
reviewers, inspectors, surveyors, om_crews), taken in one place (:func:`_use`, ``with resource.request()``), and a
``simpy.Container`` (the yearly budget); the processes share a :class:`_World` of plain data, record to a
:class:`~sim.rollout.observe._Collector` and never print; all randomness comes from named streams (:mod:`sim.rng`).
Sites are indices into the release order.
"""

from __future__ import annotations

import gc
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import pandas as pd
import simpy

from sim._config import SITE_TYPES, Duration, exponential_ppf
from sim.errors import InputError
from sim.rng import site_rng, stream
from sim.timebase import years_to_days
from sim.rollout import calendar as cal
from sim.rollout.config import (
    CONTRACT_AT,
    HOSTING_CHECK_AFTER,
    OFFICE_STAGES,
    RESOURCES,
    STAGE_STEPS,
    STAGES,
    Event,
    OperationConfig,
    RolloutConfig,
    Status,
    Step,
    application_classes,
    budget_pot_days,
    build_window_end_day,
    stage_work_days,
)
from sim.rollout.observe import RolloutResult, _Collector, _results
from sim import programme as _programme  # a module: sim.programme reads sim.rollout.config in turn

# ---------------------------------------------------------------------------------------------------------------
# Shared state of one run (plain data; the dynamics are the process functions below)


class _StagePlan(NamedTuple):
    """How one stage of :data:`STAGES` runs for the sites of one type."""

    step: Step
    resource: simpy.Resource | None
    calendar: cal.WorkCalendar | None  # whose working days the work counts; None: calendar days


@dataclass
class _Grid:
    """Hosting capacity of the transformers (arrays by transformer index) and the upgrade rules."""

    free_kw: np.ndarray  # disclosed open hosting capacity not yet reserved [kW]
    undisclosed_kw: np.ndarray  # capacity freed since the last disclosure (upgrades, reservations given back) [kW]
    upcoming_kw: np.ndarray  # capacity of the upgrades on their way not yet promised to wait-listed sites [kW]
    rating_kva: np.ndarray
    share_percent: np.ndarray  # hosting share of the rating [%]
    pending_upgrades: np.ndarray  # upgrades on their way (count)
    upgrade_scheduled: np.ndarray  # the grid company has scheduled the transformer's one unplanned upgrade
    when_full: str
    upgrade_lead_time_days: float
    upgrade_factor: float
    reserved: dict = field(default_factory=dict)  # site -> kW it holds
    waitlist: dict = field(default_factory=dict)  # transformer -> [(kW promised from upgrades, event)] in order

    def disclose(self) -> None:
        """The grid company's periodic publication: capacity freed since the last one becomes open."""
        self.free_kw += self.undisclosed_kw
        self.undisclosed_kw[:] = 0.0


@dataclass
class _Budget:
    """The budget pot of ``release_mode="budget"``."""

    pot: simpy.Container
    annual_cny: float
    carry_over: bool
    refill_days: list  # when the pot gets the next year's budget [days] (the first budget is in it at the start)
    max_fundable_cny: float  # a dearer site can never be funded
    pot_year: int  # calendar year of the money in the pot
    topped_up: simpy.Event | None = None  # fires when the next refill is in
    earmarked_cny: float = 0.0  # capex of released sites not yet under contract (the office plans with it)
    changed: simpy.Event | None = None  # fires when the money the office can plan with grows

    def headroom_cny(self) -> float:
        return self.pot.level - self.earmarked_cny

    def signal(self) -> None:
        if self.changed is not None and not self.changed.triggered:
            self.changed.succeed()


@dataclass
class _Programme:
    """One programme office (the whole programme, or one track of ``RolloutConfig.tracks``): the sites it releases
    (indices of the release order, in order), its budget pot and its target."""

    sites: np.ndarray
    budget: _Budget | None
    target_kwp: float | None
    committed_kwp: float = 0.0  # capacity released and not dropped out
    freed: simpy.Event | None = None  # fires when a site drops out or leaves the pipeline (room to release)


@dataclass
class _World:
    """What the processes of one run share."""

    horizon_days: float
    window_end_days: float  # no site is released at or after it
    year_starts: list  # 1 January of start.year+1, +2, ... [days]
    first_year: int
    release_mode: str
    resources: dict  # name -> simpy.Resource
    programmes: list  # the _Programme of each office (one, or one per track)
    programme_of: np.ndarray  # per site: index into programmes, -1 for a site of no track (never released)
    grid: _Grid
    site_ids: np.ndarray
    site_type_index: np.ndarray  # index into SITE_TYPES
    capacity_kwp: np.ndarray
    capex_cny: np.ndarray
    transformer: np.ndarray  # index of the site's transformer
    hosting_kw: np.ndarray  # AC capacity the site asks of its transformer's hosting capacity [kW]
    application_class: np.ndarray  # index into APPLICATION_CLASSES
    work_days: np.ndarray  # (site, stage of STAGES): work [days, or working days of the stage's calendar]
    held_days: np.ndarray  # (site, stage of STAGES): part of the work the stage's resource is held, from the start
    fails: np.ndarray  # (site, stage of STAGES): the site fails (consent: declines) at the stage
    rework: np.ndarray  # (site, 2): rework work [working days], and whether the re-inspection fails
    rework_cost_share: float
    stage_plans: list  # per site type index: a _StagePlan per stage of STAGES
    max_in_pipeline: int | None
    release_rng: np.random.Generator
    poisson_mean_gap_days: float
    seed: int
    mtbf_days: float | None
    repair: Duration
    pipeline: set = field(default_factory=set)  # released sites before contract, not wait-listed (release pacing)
    committed_year: dict = field(default_factory=dict)  # site -> calendar year its capex was committed (contract)
    earmarked: set = field(default_factory=set)  # released sites whose capex is earmarked, not yet committed

    def year_of(self, t: float) -> int:
        return self.first_year + bisect_right(self.year_starts, t)

    def budget_of(self, site: int) -> _Budget | None:
        return self.programmes[self.programme_of[site]].budget


# ---------------------------------------------------------------------------------------------------------------
# The programme office and the budget


def _budget_year(env, world: _World, collector: _Collector, budget: _Budget):
    """Put the next year's budget into the pot on each refill day: the pots of
    :func:`~sim.rollout.config.budget_pot_days` after the first, which is in the pot from the start."""
    for day in budget.refill_days:
        budget.topped_up = env.event()
        yield env.timeout(day - env.now)
        year = world.year_of(env.now)
        # without carry-over the pot (capacity = budget) is topped up to the budget: unspent money lapses
        if not budget.carry_over:
            collector.add_money("lapsed", year - 1, budget.pot.level)
        amount = budget.annual_cny if budget.carry_over else budget.annual_cny - budget.pot.level
        collector.add_money("budget", year, budget.annual_cny)
        if amount > 0:
            yield budget.pot.put(amount)
        budget.pot_year = year
        budget.topped_up.succeed()
        budget.signal()


def _office(env, world: _World, collector: _Collector, programme: _Programme):
    """The programme office (of the programme or of one track): releases its sites in priority order until the
    build window closes."""
    for site in programme.sites:
        if world.release_mode == "poisson":
            gap = world.release_rng.exponential(world.poisson_mean_gap_days)
            if env.now + gap >= world.window_end_days:
                return
            yield env.timeout(gap)
        window_open = yield from _wait_for_room(env, world, programme)
        if not window_open:
            return
        if programme.budget is not None:
            if world.capex_cny[site] > programme.budget.max_fundable_cny:
                continue  # can never be funded: stays not_released, the office moves on
            funded = yield from _fund(env, world, site, programme.budget)
            if not funded:
                return
        _release(env, world, collector, site)


def _no_room(world: _World, programme: _Programme) -> bool:
    """The programme's committed capacity is at its target, or (release pacing) the shared pipeline is full."""
    at_target = programme.target_kwp is not None and programme.committed_kwp >= programme.target_kwp
    paced = world.max_in_pipeline is not None and len(world.pipeline) >= world.max_in_pipeline
    return at_target or paced


def _wait_for_room(env, world: _World, programme: _Programme):
    """Wait while the committed capacity is at the target or the pipeline is full (a site dropping out, signing or
    being wait-listed for a grid upgrade makes room). Returns whether the build window is still open."""
    while _no_room(world, programme):
        if env.now >= world.window_end_days:
            return False
        programme.freed = env.event()
        yield programme.freed | env.timeout(world.window_end_days - env.now)
    return env.now < world.window_end_days


def _room_freed(world: _World) -> None:
    for programme in world.programmes:
        if programme.freed is not None and not programme.freed.triggered:
            programme.freed.succeed()


def _leave_pipeline(world: _World, site: int) -> None:
    if site in world.pipeline:
        world.pipeline.discard(site)
        _room_freed(world)


def _fund(env, world: _World, site: int, budget: _Budget):
    """Earmark the site's capex against the pot (the money not yet earmarked for released sites), waiting for money
    until the window closes. Returns whether funded. The money is committed at contract (:func:`_contract`)."""
    if budget.pot_year != world.year_of(env.now):
        yield budget.topped_up  # it is 1 January and the new year's money is not in yet
    capex = float(world.capex_cny[site])
    while capex > budget.headroom_cny() + 1e-6:
        if env.now >= world.window_end_days:
            return False
        budget.changed = env.event()
        yield budget.changed | env.timeout(world.window_end_days - env.now)
    budget.earmarked_cny += capex
    world.earmarked.add(site)
    return True


def _release(env, world: _World, collector: _Collector, site: int) -> None:
    world.programmes[world.programme_of[site]].committed_kwp += world.capacity_kwp[site]
    world.pipeline.add(site)
    collector.status[site] = Status.IN_PROGRESS
    collector.release_day[site] = env.now
    collector.log.append((site, Step.RELEASE, Event.END, env.now))
    env.process(_site(env, world, collector, site))


def _contract(env, world: _World, collector: _Collector, site: int):
    """The site signs after grid approval: its capex is committed (taken from the pot in budget mode)."""
    _leave_pipeline(world, site)
    capex = float(world.capex_cny[site])
    budget = world.budget_of(site)
    if budget is not None and site in world.earmarked:
        world.earmarked.discard(site)
        budget.earmarked_cny -= capex
        if capex > 0:
            yield budget.pot.get(capex)
    year = world.year_of(env.now)
    world.committed_year[site] = year
    collector.add_money("committed", year, capex)
    collector.spend[year] = collector.spend.get(year, 0.0) + capex
    key = (int(world.programme_of[site]), year)
    collector.track_spend[key] = collector.track_spend.get(key, 0.0) + capex


# how a site that does not go on leaves at a step (any other step: it fails)
_WAYS_OUT = {Step.CONSENT: (Event.DECLINE, Status.DECLINED), Step.HOSTING: (Event.DROP, Status.DROPPED_HOSTING)}
_FAILS = (Event.FAIL, Status.FAILED)


def _drop_out(env, world: _World, collector: _Collector, site: int, step: Step, *, sunk: bool = False) -> None:
    """The site leaves the programme at ``step``: its money (see the rules; ``sunk``: built and abandoned, its capex
    stays spent), its committed kWp and its hosting reservation (open again from the next disclosure) are given
    back."""
    event, status = _WAYS_OUT.get(step, _FAILS)
    collector.log.append((site, step, event, env.now))
    collector.status[site] = status
    collector.failed_step[site] = step
    collector.outcome_day[site] = env.now
    if not sunk:
        _return_money(env, world, collector, site)
    world.programmes[world.programme_of[site]].committed_kwp -= world.capacity_kwp[site]
    world.pipeline.discard(site)
    _room_freed(world)
    grid = world.grid
    if site in grid.reserved:
        grid.undisclosed_kw[world.transformer[site]] += grid.reserved.pop(site)


def _return_money(env, world: _World, collector: _Collector, site: int) -> None:
    """Earmarked money goes back to the office's plan; committed money is returned: into the pot in the calendar
    year it was committed (or, with carry-over, any year), else it lapses."""
    capex = float(world.capex_cny[site])
    budget = world.budget_of(site)
    if site in world.earmarked:
        world.earmarked.discard(site)
        budget.earmarked_cny -= capex
        budget.signal()
        return
    year = world.committed_year.pop(site, None)
    if year is None:
        return
    now_year = world.year_of(env.now)
    collector.spend[year] -= capex
    collector.track_spend[(int(world.programme_of[site]), year)] -= capex
    collector.add_money("returned", now_year, capex)
    if budget is None or capex <= 0:
        return
    if year == now_year or budget.carry_over:
        amount = min(capex, budget.pot.capacity - budget.pot.level)  # guards against rounding: a put must never block
        if amount > 0:
            budget.pot.put(amount)
        budget.signal()
    else:
        collector.add_money("lapsed", now_year, capex)


# ---------------------------------------------------------------------------------------------------------------
# A site's way


def _site(env, world: _World, collector: _Collector, site: int):
    """One site's way from release to operation: the stages in order, the hosting screening of its connection
    application after consent, the contract when procurement starts, rework after a failed acceptance."""
    for k, plan in enumerate(world.stage_plans[world.site_type_index[site]]):
        if plan.step == CONTRACT_AT:
            yield from _contract(env, world, collector, site)
        yield from _work_stage(env, world, collector, site, k, plan)
        if plan.step == Step.CONSTRUCTION:
            collector.add_money("spent", world.year_of(env.now), float(world.capex_cny[site]))
        if world.fails[site, k]:
            if plan.step != Step.ACCEPTANCE:
                _drop_out(env, world, collector, site, plan.step, sunk=plan.step >= Step.CONSTRUCTION)
                return
            passed = yield from _rework(env, world, collector, site, k, plan)
            if not passed:
                _drop_out(env, world, collector, site, plan.step, sunk=True)
                return
        collector.log.append((site, plan.step, Event.END, env.now))
        if plan.step == HOSTING_CHECK_AFTER:
            reserved = yield from _hosting(env, world, collector, site)
            if not reserved:
                _drop_out(env, world, collector, site, Step.HOSTING)
                return
    _commission(env, world, collector, site)


def _rework(env, world: _World, collector: _Collector, site: int, k: int, plan: _StagePlan):
    """A failed acceptance: a crew repairs the site (cost and delay), then it is inspected again. Returns whether
    the re-inspection passed (if not, the site is abandoned with its capex spent)."""
    t_start = env.now
    collector.log.append((site, Step.REWORK, Event.START, t_start))
    construction = world.stage_plans[world.site_type_index[site]][STAGE_STEPS.index(Step.CONSTRUCTION)]
    if construction.resource is not None:
        yield from _use(env, collector, construction.resource, world.rework[site, 0], construction.calendar,
                        wait_log=(site, Step.REWORK))
    else:
        yield env.timeout(_elapsed_days(construction.calendar, env.now, world.rework[site, 0]))
    cost = float(world.capex_cny[site]) * world.rework_cost_share
    collector.rework_cny[site] += cost
    collector.add_money("spent", world.year_of(env.now), cost)
    collector.log.append((site, Step.REWORK, Event.END, env.now))
    collector.stage_days[Step.REWORK].append(env.now - t_start)
    yield from _work_stage(env, world, collector, site, k, plan)
    return not world.rework[site, 1]


def _work_stage(env, world: _World, collector: _Collector, site: int, k: int, plan: _StagePlan):
    """Stage ``k`` of the site: its work, with the stage's resource (if any) held for its effort from the start."""
    t_start = env.now
    collector.log.append((site, plan.step, Event.START, t_start))
    work = world.work_days[site, k]
    if plan.resource is not None:
        held = world.held_days[site, k]
        yield from _use(env, collector, plan.resource, held, plan.calendar, wait_log=(site, plan.step))
        work -= held  # the rest of the stage goes on without the resource
    elapsed = _elapsed_days(plan.calendar, env.now, work)
    if elapsed > 0:
        yield env.timeout(elapsed)
    collector.stage_days[plan.step].append(env.now - t_start)
    if plan.step in collector.office_steps:
        working = env.now - t_start if plan.calendar is None else \
            plan.calendar.working_days_between(t_start, env.now)
        collector.office_days[plan.step][world.application_class[site]].append(working)


def _elapsed_days(calendar: cal.WorkCalendar | None, t: float, work_days: float) -> float:
    """Time [days] that ``work_days`` of work started at ``t`` take (working days of ``calendar`` if given)."""
    return work_days if calendar is None else calendar.finish(t, work_days) - t


def _use(env, collector: _Collector, resource: simpy.Resource, work_days: float,
         calendar: cal.WorkCalendar | None = None, wait_log: tuple[int, Step] | None = None):
    """Request ``resource``, queue for it, hold it while ``work_days`` of work are done, release it.

    Records the queue length when the request has to wait, the wait and the busy time; with ``wait_log = (site,
    step)`` a wait is also logged as a ``wait`` event of the site's step. A request still queued at the horizon is
    kept by the collector as a censored wait."""
    t_request = env.now
    with resource.request() as request:
        if not request.triggered:
            if wait_log is not None:
                collector.log.append((*wait_log, Event.WAIT, t_request))
            collector.note_queue(resource.name, len(resource.queue))
            collector.queued[resource.name][id(request)] = t_request
            yield request
            del collector.queued[resource.name][id(request)]
        granted = env.now
        held = _elapsed_days(calendar, granted, work_days)
        collector.note_service(resource.name, t_request, granted, held)
        if held > 0:
            yield env.timeout(held)


def _hosting(env, world: _World, collector: _Collector, site: int):
    """Screen the site's connection application against the disclosed open hosting capacity of its transformer.

    It fits: reserved at once. It does not: with ``hosting_when_full="wait_upgrade"`` it is wait-listed if an
    upgrade on its way (planned, or scheduled now by the grid company) has room for it, promised that room, and goes
    on when the upgrade is in service; otherwise it is dropped at once. Returns whether it is reserved."""
    grid, transformer, need_kw = world.grid, world.transformer[site], world.hosting_kw[site]
    t_start = env.now
    collector.log.append((site, Step.HOSTING, Event.START, t_start))
    if need_kw > grid.free_kw[transformer] + 1e-9:
        if not _upgrade_coming(env, world, collector, transformer):
            return False
        from_free = max(0.0, min(grid.free_kw[transformer], need_kw))
        promised = need_kw - from_free
        if promised > grid.upcoming_kw[transformer] + 1e-9:
            return False
        grid.free_kw[transformer] -= from_free
        grid.upcoming_kw[transformer] -= promised
        collector.log.append((site, Step.HOSTING, Event.WAIT, env.now))
        ready = env.event()
        grid.waitlist.setdefault(transformer, []).append((promised, ready))
        _leave_pipeline(world, site)  # the grid company holds it: room for the office to release another
        yield ready
        world.pipeline.add(site)
    else:
        grid.free_kw[transformer] -= need_kw
    grid.reserved[site] = need_kw
    collector.log.append((site, Step.HOSTING, Event.END, env.now))
    collector.stage_days[Step.HOSTING].append(env.now - t_start)
    return True


def _upgrade_coming(env, world: _World, collector: _Collector, transformer: int) -> bool:
    """Whether a full transformer gets more capacity worth waiting for: never with ``hosting_when_full="drop"``;
    else an upgrade on its way, or one the grid company schedules now (once per transformer)."""
    grid = world.grid
    if grid.when_full == "drop":
        return False
    if grid.pending_upgrades[transformer] == 0:
        if grid.upgrade_scheduled[transformer]:
            return False
        grid.upgrade_scheduled[transformer] = True
        added_kva = grid.rating_kva[transformer] * (grid.upgrade_factor - 1.0)
        _announce_upgrade(world, transformer, added_kva)
        env.process(_upgrade(env, world, collector, transformer, grid.upgrade_lead_time_days, added_kva,
                             "scheduled"))
    return True


def _announce_upgrade(world: _World, transformer: int, added_kva: float) -> None:
    grid = world.grid
    grid.pending_upgrades[transformer] += 1
    grid.upcoming_kw[transformer] += added_kva * grid.share_percent[transformer] / 100.0


def _upgrade(env, world: _World, collector: _Collector, transformer: int, delay_days: float, added_kva: float,
             kind: str):
    """A transformer upgrade (planned, or scheduled by the grid company): in service after ``delay_days``, it serves
    the wait-listed sites it was promised to, in order; the rest of its capacity is open from the next
    disclosure."""
    grid = world.grid
    if delay_days > 0:
        yield env.timeout(delay_days)
    added_kw = added_kva * grid.share_percent[transformer] / 100.0
    grid.rating_kva[transformer] += added_kva
    grid.pending_upgrades[transformer] -= 1
    collector.upgrades.append((transformer, kind, env.now, added_kw))
    available = added_kw
    waiting = grid.waitlist.get(transformer, [])
    while waiting and waiting[0][0] <= available + 1e-9:
        promised, ready = waiting.pop(0)
        available -= promised
        ready.succeed()
    available = max(0.0, available)
    grid.upcoming_kw[transformer] -= available
    grid.undisclosed_kw[transformer] += available


def _disclosures(env, world: _World, days: list[float]):
    """The grid company publishes the open hosting capacity on ``days`` [days since the start]."""
    for day in days:
        yield env.timeout(day - env.now)
        world.grid.disclose()


# ---------------------------------------------------------------------------------------------------------------
# Operation


def _commission(env, world: _World, collector: _Collector, site: int) -> None:
    collector.status[site] = Status.OPERATING
    collector.commission_day[site] = env.now
    collector.outcome_day[site] = env.now
    world.committed_year.pop(site, None)
    if world.mtbf_days is None:
        return
    rng = site_rng(world.seed, world.site_ids[site], "operation")
    up_days = _time_to_failure(world, rng)
    if env.now + up_days < world.horizon_days:
        env.process(_operate(env, world, collector, site, rng, up_days))


def _time_to_failure(world: _World, rng: np.random.Generator) -> float:
    """Operating time to the next inverter failure [days]: exponential with mean ``inverter_mtbf_years``."""
    return float(exponential_ppf(world.mtbf_days, rng.random()))


def _operate(env, world: _World, collector: _Collector, site: int, rng: np.random.Generator, up_days: float):
    """Inverter failures of one operating site, each repaired by an O&M crew, until the horizon. The site's
    ``operation`` stream gives the first time to failure, then per failure its repair time and the next one."""
    om_crews = world.resources["om_crews"]
    while True:
        yield env.timeout(up_days)
        t_fail = env.now
        collector.open_failures[site] = t_fail
        repair_days = world.repair.ppf(rng.random())
        yield from _use(env, collector, om_crews, repair_days)
        del collector.open_failures[site]
        collector.downtime.append((site, t_fail, env.now))
        up_days = _time_to_failure(world, rng)
        if env.now + up_days >= world.horizon_days:
            return


# ---------------------------------------------------------------------------------------------------------------
# Input checks


def check_inputs(
    sites: pd.DataFrame,
    transformers: pd.DataFrame,
    config: RolloutConfig,
    operation: OperationConfig | None = None,
    *,
    order: Sequence[str] | None = None,
    start_date: date,
    horizon_years: int | None = None,
) -> None:
    """Check the rollout's inputs without running it (the checks :func:`simulate` makes first): site and transformer
    columns and values, resources the stages need, a budget that can fund the cheapest site (the budget of the run
    from ``start_date``, over ``horizon_years`` if given). ``order`` defaults to every site. Raises
    :class:`sim.errors.InputError`."""
    order = [str(s) for s in sites.index] if order is None else order
    _check_inputs(sites, order, transformers, config, operation or OperationConfig(), cal.as_date(start_date),
                  horizon_years)


def _check_inputs(sites, order, transformers, config: RolloutConfig, operation: OperationConfig, start: date,
                  horizon_years: int | None):
    _need_columns(sites, ("site_type", "capacity_kwp", "capex_cny", "transformer_id"), "sites")
    _need_columns(transformers, ("hosting_limit_kw", "hosting_share_percent"), "transformers")
    if horizon_years is not None and (not isinstance(horizon_years, (int, np.integer)) or horizon_years < 1):
        raise InputError("horizon must be a whole number of years >= 1", field="horizon_years", value=horizon_years,
                         allowed="1, 2, ...")
    released = _check_order(sites, order)
    capex = _check_site_values(released, transformers)
    _check_transformer_values(transformers)
    _check_resources(released, config, operation)
    _check_budget(capex, released["site_type"].to_numpy(), config, start, horizon_years)
    if config.calendar_enabled and horizon_years is not None:
        _check_calendar_span(config, start, _calendar_days(start, horizon_years))


def _need_columns(df: pd.DataFrame, cols: Sequence[str], name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{name} table lacks column(s) {', '.join(missing)}", field=name, value=list(df.columns),
                         allowed=", ".join(cols))


def _check_order(sites: pd.DataFrame, order) -> pd.DataFrame:
    """The sites of the release order, once the order is checked."""
    order_ids = pd.Index([str(s) for s in order])
    if order_ids.has_duplicates:
        raise InputError("site ids repeat in the release order", field="order",
                         value=order_ids[order_ids.duplicated()][:5].tolist())
    unknown = order_ids.difference(sites.index.astype(str))
    if len(unknown):
        raise InputError("release order names sites that are not in the site table", field="order",
                         value=unknown[:5].tolist())
    return sites.loc[sites.index.astype(str).isin(order_ids)]


def _check_site_values(sites: pd.DataFrame, transformers: pd.DataFrame) -> np.ndarray:
    """Checks site types, capacities, capex and transformer ids; returns the capex [CNY]."""
    bad_type = ~sites["site_type"].isin(SITE_TYPES)
    if bad_type.any():
        raise InputError("unknown site type", field="sites.site_type",
                         value=sites.loc[bad_type, "site_type"].iloc[0], allowed=", ".join(SITE_TYPES))
    capacity = pd.to_numeric(sites["capacity_kwp"], errors="coerce").to_numpy(float)
    good = np.isfinite(capacity) & (capacity > 0)
    if not np.all(good):
        raise InputError("capacity must be a finite number > 0", field="sites.capacity_kwp",
                         value=sites.index[~good][0])
    capex = pd.to_numeric(sites["capex_cny"], errors="coerce").to_numpy(float)
    good = np.isfinite(capex) & (capex >= 0)
    if not np.all(good):
        raise InputError("capex must be a finite number >= 0", field="sites.capex_cny", value=sites.index[~good][0])
    missing = ~sites["transformer_id"].isin(transformers.index)
    if missing.any():
        raise InputError("site refers to a transformer that is not in the transformer table",
                         field="sites.transformer_id", value=sites.loc[missing, "transformer_id"].iloc[0])
    return capex


def _check_transformer_values(transformers: pd.DataFrame) -> None:
    limit = pd.to_numeric(transformers["hosting_limit_kw"], errors="coerce").to_numpy(float)
    if np.any(np.isnan(limit) | (limit < 0)):
        raise InputError("hosting limit must be >= 0 (inf for unlimited)", field="transformers.hosting_limit_kw")
    share = pd.to_numeric(transformers["hosting_share_percent"], errors="coerce").to_numpy(float)
    if np.any(~np.isfinite(share) | (share <= 0) | (share > 100)):
        raise InputError("hosting share must be in (0, 100]", field="transformers.hosting_share_percent",
                         allowed="0 < share <= 100")


def _check_resources(sites: pd.DataFrame, config: RolloutConfig, operation: OperationConfig) -> None:
    """Every resource a stage of these sites needs (and the O&M crews, if inverters fail) must exist."""
    for site_type in sorted(set(sites["site_type"])):
        for stage in STAGES:
            resource = config.stage(site_type, stage).resource
            if resource is not None and getattr(config, resource) == 0:
                raise InputError(f"stage {stage!r} of {site_type} sites needs {resource}, but there are none",
                                 field=f"rollout.{resource}", value=0, allowed=">= 1")
    if operation.inverter_mtbf_years is not None and config.om_crews == 0:
        raise InputError("inverter repairs need O&M crews, but there are none", field="rollout.om_crews", value=0,
                         allowed=">= 1 (or operation.inverter_mtbf_years: null to ignore failures)")


def _check_budget(capex: np.ndarray, site_types: np.ndarray, config: RolloutConfig, start: date,
                  horizon_years: int | None) -> None:
    """The dearest site the budget can ever fund: one year's budget, or with carry-over all of them (the pot keeps
    what is not spent while the office waits for money for the next site)."""
    if config.release_mode != "budget" or not len(capex):
        return
    programme_tracks = _programme.tracks(config)
    which = _programme.track_index(programme_tracks, site_types)
    for k, track in enumerate(programme_tracks):
        mine = which == k
        if mine.any():
            key = f"rollout.tracks.{k}.annual_budget_cny" if config.tracks else "rollout.annual_budget_cny"
            _check_fundable(float(capex[mine].min()), track.annual_budget_cny, track.carry_over, config, start,
                            horizon_years, key)


def _check_fundable(cheapest: float, annual_cny: float, carry_over: bool, config: RolloutConfig, start: date,
                    horizon_years: int | None, field_name: str) -> None:
    n_pots = len(budget_pot_days(start, config.build_window_years, horizon_years))
    fundable = annual_cny * n_pots if carry_over else annual_cny
    if cheapest > fundable:
        raise InputError(f"the budget cannot fund even the cheapest site ({cheapest:,.0f} CNY)",
                         field=field_name, value=annual_cny, allowed=f">= {cheapest:,.0f}")


# ---------------------------------------------------------------------------------------------------------------
# Simulation


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
    config, operation : settings; see :mod:`sim.rollout` for the rules.
    seed : run seed (all streams derive from it).

    Returns
    -------
    RolloutResult. Raises :class:`sim.errors.InputError` on bad input. The inputs are not modified.
    """
    start = cal.as_date(start_date)
    _check_inputs(sites, order, transformers, config, operation, start, horizon_years)
    site_ids = np.array([str(s) for s in order], dtype=object)
    site_table = sites.copy()
    site_table.index = site_table.index.astype(str)
    site_table = site_table.loc[site_ids]

    env = simpy.Environment()
    world, _ = _build_world(env, site_table, site_ids, transformers, config, operation, seed=seed,
                            start=start, horizon_years=horizon_years)
    collector = _Collector(len(site_ids), world.horizon_days, window_end_days=world.window_end_days)
    _start_processes(env, world, collector, _planned_upgrades(transformers, start, world.horizon_days),
                     _disclosure_days(start, world.horizon_days, config.disclosure_interval_months))
    n_events = _run_to_horizon(env, world.horizon_days)
    for programme in world.programmes:  # money never committed by the horizon lapses with the last year's budget
        if programme.budget is not None:
            collector.add_money("lapsed", world.year_of(min(world.window_end_days, world.horizon_days) - 1e-9),
                                programme.budget.pot.level)
    return _results(collector, site_ids=site_ids, site_table=site_table, transformer_ids=transformers.index,
                    start=start, horizon_days=world.horizon_days, year_starts=world.year_starts, config=config,
                    n_events=n_events, application_class=world.application_class)


def _build_world(env, site_table: pd.DataFrame, site_ids: np.ndarray, transformers: pd.DataFrame,
                 config: RolloutConfig, operation: OperationConfig, *, seed: int, start: date,
                 horizon_years: int) -> tuple[_World, dict | None]:
    horizon_days = cal.days_since(start, cal.add_years(start, horizon_years))
    window_end_days = build_window_end_day(start, config.build_window_years, horizon_years)
    year_starts = cal.year_start_days(start, horizon_years + 1)
    resources = _make_resources(env, config)
    calendars = (_build_calendars(config, start, _calendar_days(start, horizon_years), seed)
                 if config.calendar_enabled else None)
    site_type_index = site_table["site_type"].map({t: k for k, t in enumerate(SITE_TYPES)}).to_numpy(np.int64)
    capacity_kwp = site_table["capacity_kwp"].to_numpy(float)
    application_class = application_classes(site_table)
    work_days, held_days, fails, rework = _draw_stage_work(site_ids, site_type_index, application_class,
                                                           capacity_kwp, config, seed)
    grid, transformer = _grid_state(site_table, transformers, config)
    programmes, programme_of = _programmes(env, config, site_table["site_type"].to_numpy(), start,
                                           budget_pot_days(start, config.build_window_years, horizon_years))
    hosting_kw = (site_table["hosting_kw"] if "hosting_kw" in site_table.columns
                  else site_table["capacity_kwp"]).to_numpy(float)
    world = _World(
        horizon_days=horizon_days, window_end_days=window_end_days, year_starts=year_starts, first_year=start.year,
        release_mode=config.release_mode, resources=resources,
        programmes=programmes, programme_of=programme_of,
        grid=grid, site_ids=site_ids, site_type_index=site_type_index, capacity_kwp=capacity_kwp,
        capex_cny=site_table["capex_cny"].to_numpy(float), transformer=transformer, hosting_kw=hosting_kw,
        application_class=application_class, work_days=work_days, held_days=held_days, fails=fails, rework=rework,
        rework_cost_share=config.rework_cost_percent / 100.0,
        stage_plans=_stage_plans(config, resources, calendars),
        max_in_pipeline=config.max_sites_in_pipeline, release_rng=stream(seed, "rollout", "release"),
        poisson_mean_gap_days=1.0 / config.poisson_rate_per_day,
        seed=seed,
        mtbf_days=None if operation.inverter_mtbf_years is None else years_to_days(operation.inverter_mtbf_years),
        repair=operation.repair,
    )
    return world, calendars


def _make_resources(env, config: RolloutConfig) -> dict[str, simpy.Resource]:
    resources = {}
    for name in RESOURCES:
        # a zero-capacity resource is never used (checked): capacity 1 keeps SimPy happy
        resource = simpy.Resource(env, capacity=max(getattr(config, name), 1))
        resource.name = name
        resources[name] = resource
    return resources


def _public_holidays(config: RolloutConfig, start: date, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Public holidays and weekend days (make-up working days excepted) of the run's days, as boolean masks."""
    last_year = (start + timedelta(days=n_days)).year
    if config.holidays_country is None:
        return np.zeros(n_days, dtype=bool), cal.weekend_mask(start, n_days)
    try:
        table = cal.public_holidays(config.holidays_country, config.holidays_subdivision, start.year, last_year)
    except ValueError:
        raise InputError("the holidays package has no such subdivision of the country",
                         field="rollout.holidays_subdivision", value=config.holidays_subdivision,
                         allowed=f"a subdivision code of {config.holidays_country} or null") from None
    weekend = cal.weekend_mask(start, n_days, table.weekend) & ~cal.holiday_mask(start, n_days, table.workdays)
    return cal.holiday_mask(start, n_days, table.days), weekend


def _calendar_days(start: date, horizon_years: int) -> int:
    """Days the work calendars of a run cover: the horizon plus a year of margin for work still under way."""
    return int(cal.days_since(start, cal.add_years(start, horizon_years))) + 400


def _check_calendar_span(config: RolloutConfig, start: date, n_days: int) -> None:
    """The Spring Festival shutdown needs the festival's date in every year the calendars cover."""
    end_year = (start + timedelta(days=n_days)).year
    if config.spring_festival_shutdown and (start.year < cal.FIRST_YEAR or end_year > cal.LAST_YEAR):
        raise InputError(
            f"the work calendar covers {cal.FIRST_YEAR}-{cal.LAST_YEAR} (Spring Festival table); the run spans "
            f"{start.year}-{end_year}",
            field="start_date", value=str(start), allowed="a shorter horizon, or rollout.calendar_enabled: false")


def _build_calendars(config: RolloutConfig, start: date, n_days: int, seed: int) -> dict[str, cal.WorkCalendar]:
    """The office, rooftop and outdoor work calendars of the run (the rain from the run-level weather stream).

    Offices keep the country's public holidays and weekends; construction keeps the Spring Festival shutdown (and
    weekends and holidays where the settings say so); outdoor work also stops in the frozen season and on rain."""
    _check_calendar_span(config, start, n_days)
    shutdown = np.zeros(n_days, dtype=bool)
    if config.spring_festival_shutdown:
        shutdown = cal.shutdown_mask(start, n_days, config.spring_festival_shutdown_days_before,
                                     config.spring_festival_shutdown_days_after)
    holiday, weekend = _public_holidays(config, start, n_days)
    frozen = cal.frozen_mask(start, n_days, cal.parse_month_day(config.frozen_season_start_month_day),
                             cal.parse_month_day(config.frozen_season_end_month_day))
    rain = cal.rain_mask(start, n_days, config.rain_day_percent_by_month, stream(seed, "rollout", "weather"))
    site_workable = ~shutdown & ~(weekend & config.construction_weekends_off) & ~(
        holiday & config.construction_holidays_off)
    return {
        "office": cal.WorkCalendar(~holiday & ~(weekend & config.office_weekends_off)),
        "rooftop": cal.WorkCalendar(site_workable),
        "outdoor": cal.WorkCalendar(site_workable & ~frozen & ~rain),
    }


def _stage_plans(config: RolloutConfig, resources: dict, calendars: dict | None) -> list[tuple[_StagePlan, ...]]:
    """Per site type (index into SITE_TYPES): how each stage of STAGES runs."""
    plans = []
    for site_type in SITE_TYPES:
        row = []
        for stage, step in zip(STAGES, STAGE_STEPS):
            settings = config.stage(site_type, stage)
            row.append(_StagePlan(
                step=step, resource=resources[settings.resource] if settings.resource else None,
                calendar=_stage_calendar(calendars, config, site_type, stage)))
        plans.append(tuple(row))
    return plans


def _stage_calendar(calendars: dict | None, config: RolloutConfig, site_type: str,
                    stage: str) -> cal.WorkCalendar | None:
    """Construction counts working days of the site (outdoor or rooftop), office stages those of the office, consent
    and procurement calendar days (None)."""
    if calendars is None:
        return None
    if stage == "construction":
        return calendars["outdoor" if site_type in config.outdoor_site_types else "rooftop"]
    if stage in OFFICE_STAGES:
        return calendars["office"]
    return None


def _draw_stage_work(site_ids: np.ndarray, site_type_index: np.ndarray, application_class: np.ndarray,
                     capacity_kwp: np.ndarray, config: RolloutConfig,
                     seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Work [days or working days] of every stage of every site, the part of it its resource is held, whether the
    site fails the stage, and its rework (work, re-inspection fails), from the site's own uniforms (common random
    numbers): two per stage of STAGES, in order (its duration, then its success), then two for the rework."""
    n_sites, n_stages = len(site_ids), len(STAGES)
    uniforms = np.empty((n_sites, 2 * n_stages + 2))
    for row, site_id in enumerate(site_ids):
        uniforms[row] = site_rng(seed, site_id, "stages").random(2 * n_stages + 2)
    work_days = np.empty((n_sites, n_stages))
    held_days = np.empty((n_sites, n_stages))
    fails = np.zeros((n_sites, n_stages), dtype=bool)
    rework = np.empty((n_sites, 2))
    for type_index in np.unique(site_type_index):
        rows = site_type_index == type_index
        site_type = SITE_TYPES[type_index]
        for k, stage in enumerate(STAGES):
            work_days[rows, k], held_days[rows, k] = stage_work_days(
                config, site_type, stage, application_class[rows], capacity_kwp[rows], uniforms[rows, 2 * k])
            fails[rows, k] = uniforms[rows, 2 * k + 1] * 100.0 >= config.stage(site_type, stage).success_percent
        rework[rows, 0] = config.rework_days.ppf(uniforms[rows, 2 * n_stages])
        rework[rows, 1] = uniforms[rows, 2 * n_stages + 1] * 100.0 >= \
            config.stage(site_type, "acceptance").success_percent
    return work_days, held_days, fails, rework


def _grid_state(site_table: pd.DataFrame, transformers: pd.DataFrame,
                config: RolloutConfig) -> tuple[_Grid, np.ndarray]:
    """The transformers' hosting state, and the transformer index of each site."""
    position = pd.Series(np.arange(len(transformers.index)), index=transformers.index)
    transformer = position.loc[site_table["transformer_id"].to_numpy()].to_numpy(np.int64)
    limit_kw = transformers["hosting_limit_kw"].to_numpy(float).copy()
    share_percent = transformers["hosting_share_percent"].to_numpy(float)
    rating_kva = limit_kw / (share_percent / 100.0)  # without a rating column
    if "rating_kva" in transformers.columns:
        given = pd.to_numeric(transformers["rating_kva"], errors="coerce").to_numpy(float)
        rating_kva = np.where(np.isfinite(given), given, rating_kva)
    grid = _Grid(
        free_kw=limit_kw, undisclosed_kw=np.zeros_like(limit_kw), upcoming_kw=np.zeros_like(limit_kw),
        rating_kva=rating_kva, share_percent=share_percent,
        pending_upgrades=np.zeros(len(transformers.index), dtype=np.int64),
        upgrade_scheduled=np.zeros(len(transformers.index), dtype=bool), when_full=config.hosting_when_full,
        upgrade_lead_time_days=config.upgrade_lead_time_days, upgrade_factor=config.upgrade_factor,
    )
    return grid, transformer


def _programmes(env, config: RolloutConfig, site_types: np.ndarray, start: date,
                pot_days: list[float]) -> tuple[list[_Programme], np.ndarray]:
    """The programme offices, one per track of :func:`sim.programme.tracks` (the whole programme without
    ``rollout.tracks``), in their order, and the office of each site (-1: its type is in no track)."""
    programme_tracks = _programme.tracks(config)
    programme_of = _programme.track_index(programme_tracks, site_types)
    programmes = [_Programme(np.flatnonzero(programme_of == k),
                             _make_budget(env, config, track.annual_budget_cny, track.carry_over, start.year,
                                          pot_days), track.target_capacity_kwp)
                  for k, track in enumerate(programme_tracks)]
    return programmes, programme_of


def _make_budget(env, config: RolloutConfig, annual: float | None, carry_over: bool, first_year: int,
                 pot_days: list[float]) -> _Budget | None:
    """The pot, holding the first year's budget; the others come on the later ``pot_days`` (None: money is no
    constraint)."""
    if annual is None:
        return None
    pot = simpy.Container(env, capacity=math.inf if carry_over else annual, init=annual)
    return _Budget(pot=pot, annual_cny=annual, carry_over=carry_over, refill_days=pot_days[1:],
                   max_fundable_cny=math.inf if carry_over else annual, pot_year=first_year)


def _planned_upgrades(transformers: pd.DataFrame, start: date, horizon_days: float) -> list[tuple[int, float, float]]:
    """(transformer index, day, added kVA) of the planned upgrades that take effect before the horizon."""
    if "planned_upgrade_date" not in transformers.columns or "planned_upgrade_kva" not in transformers.columns:
        return []
    dates = pd.to_datetime(transformers["planned_upgrade_date"], errors="coerce")
    kva = pd.to_numeric(transformers["planned_upgrade_kva"], errors="coerce").fillna(0.0).to_numpy(float)
    if np.any(kva < 0):
        raise InputError("planned upgrade must be >= 0 kVA", field="transformers.planned_upgrade_kva")
    start_ts = pd.Timestamp(start)
    upgrades = []
    for transformer in np.flatnonzero(dates.notna().to_numpy() & (kva > 0)):
        ts = dates.iloc[transformer]
        ts = ts.tz_localize(None) if ts.tzinfo is not None else ts
        day = max(0.0, (ts - start_ts) / pd.Timedelta(days=1))
        if day < horizon_days:
            upgrades.append((int(transformer), day, float(kva[transformer])))
    return upgrades


def _disclosure_days(start: date, horizon_days: float, interval_months: int) -> list[float]:
    """Days [since ``start``] on which the grid company publishes open hosting capacity: the first day of every
    ``interval_months``-th month of the calendar year (1 January, 1 April, ... for quarterly), before the horizon."""
    days, year, month = [], start.year, 1
    while True:
        d = cal.days_since(start, date(year, month, 1))
        if d >= horizon_days:
            return days
        if d > 0:
            days.append(d)
        month += interval_months
        if month > 12:
            year, month = year + 1, month - 12


def _start_processes(env, world: _World, collector: _Collector, planned_upgrades, disclosure_days) -> None:
    """The disclosures and the planned upgrades first, then the budget's refills, then the office (SimPy starts
    them in this order)."""
    env.process(_disclosures(env, world, disclosure_days))
    for transformer, day, added_kva in planned_upgrades:
        _announce_upgrade(world, transformer, added_kva)
        env.process(_upgrade(env, world, collector, transformer, day, added_kva, "planned"))
    for programme in world.programmes:
        if programme.budget is not None:
            collector.add_money("budget", world.first_year, programme.budget.annual_cny)
            env.process(_budget_year(env, world, collector, programme.budget))
    for programme in world.programmes:
        env.process(_office(env, world, collector, programme))


def _run_to_horizon(env: simpy.Environment, horizon_days: float) -> int:
    """Process the events before the horizon; returns how many were processed.

    The cyclic garbage collector is paused during the event loop and restored afterwards (also on error): the
    model's garbage is freed by reference counting, while each collection would traverse the ~10^5 live generators
    and events of a large county; pausing it halves the run time of a 50,000-site run."""
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
    return n_events
