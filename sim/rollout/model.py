"""The SimPy processes of the rollout model and :func:`simulate`. The rules they follow are stated once, in
:mod:`sim.rollout`; the input checks and the world they share are set up in :mod:`sim.rollout.setup`.

Shape: processes are small generator functions taking ``env`` first (:func:`_office`, :func:`_budget_year`,
:func:`_site`, :func:`_screen`, :func:`_upgrade`, :func:`_operate`); shared limits are ``simpy.Resource`` (crews,
reviewers, inspectors, surveyors, om_crews), taken in one place (:func:`_use`, ``with resource.request()``), and a
``simpy.Container`` (the yearly budget); the processes share a :class:`~sim.rollout.setup.World` of plain data,
record to a :class:`~sim.rollout.observe._Collector` and never print; all randomness comes from named streams
(:mod:`sim.rng`). Sites are indices into the release order.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
import simpy

from sim._config import exponential_ppf
from sim._runtime import paused_gc
from sim.rng import Draws
from sim.rollout import calendar as cal
from sim.rollout.config import (
    CONTRACT_AT,
    STAGE_STEPS,
    Event,
    OperationConfig,
    RolloutConfig,
    Status,
    Step,
)
from sim.rollout.observe import RolloutResult, _Collector, _results
from sim.rollout.setup import (
    Budget,
    HeldSites,
    NamedResource,
    ProgrammeOffice,
    StagePlan,
    World,
    build_world,
    check_inputs,
    disclosure_days,
    planned_upgrades,
    validate_inputs,
)

__all__ = ["check_inputs", "simulate"]

# ---------------------------------------------------------------------------------------------------------------
# The programme office and the budget


def _budget_year(env, world: World, collector: _Collector, budget: Budget):
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


def _office(env, world: World, collector: _Collector, programme: ProgrammeOffice):
    """The programme office (of the programme or of one track): screens its sites in priority order against the
    latest disclosure of open hosting capacity and releases those with room until the build window closes; a site
    without room is held (never canvassed) and released once a disclosure shows room, before later sites."""
    order = deque(int(site) for site in programme.sites)
    held = programme.held
    while order or held or programme.came_forward or programme.deciding:
        window_open = yield from _wait_for_room(env, world, programme)
        if not window_open:
            break
        site = _next_site(world, order, held, programme.came_forward)
        if site is None:  # every site left is held (or deciding): ask for upgrades where none is on its way, wait
            # under the rule one request per transformer (its first held site); under power flow each held site,
            # whose own path decides between an upgrade and a line reinforcement
            for waiting in _held_to_ask(world, held):
                _ask_grid_company(env, world, collector, waiting)
            window_open = yield from _wait_for_capacity(env, world, programme)
            if not window_open:
                break
            continue
        if not _screen(env, world, collector, site, held):
            continue
        if world.release_mode == "poisson":
            gap = world.release_rng.exponential(world.poisson_mean_gap_days)
            if env.now + gap >= world.window_end_days:
                _unreserve(world, site)
                break
            yield env.timeout(gap)
        if programme.budget is not None:
            if world.capex_cny[site] > programme.budget.max_fundable_cny:
                _unreserve(world, site)
                continue  # can never be funded: stays not_released, the office moves on
            funded = yield from _fund(env, world, site, programme.budget)
            if not funded:
                _unreserve(world, site)
                break
        _release(env, world, collector, site)
    _drop_held(world, collector, held, env.now)


def _held_to_ask(world: World, held: HeldSites) -> list[int]:
    """The held sites the office asks the grid company about: under power flow each held site; under the rule the
    first held site of each transformer whose one unplanned upgrade is not on its way yet (asking about one whose
    upgrade is on its way, or under ``hosting_when_full="drop"``, does nothing: :func:`_request_upgrade`; leaving
    them out saves ~500,000 empty calls at 50,000 sites)."""
    grid = world.grid
    if grid.screens:
        return list(held)
    if grid.when_full == "drop":
        return []
    return held.first_per_transformer(((grid.pending_upgrades == 0) & ~grid.upgrade_scheduled).tolist())


def _next_site(world: World, order: deque, held: HeldSites, came_forward: list[int]) -> int | None:
    """The first held site (in priority order) whose transformer now shows room, else the first deferred household
    that has come forward since, else the next site of the order (None: only held sites without room, or
    households still deciding, are left)."""
    site = held.pop_first_with_room(world.grid, lambda s: _has_room(world, s))
    if site is not None:
        return site
    if came_forward:
        return came_forward.pop(0)
    return order.popleft() if order else None


def _has_room(world: World, site: int) -> bool:
    """Screening before canvassing: the latest disclosure, less what is reserved since, has room for the site. A
    transformer whose disclosed open capacity is zero (a red zone) takes no application at all."""
    transformer = world.transformer[site]
    free = world.grid.free_kw[transformer]
    return bool(world.hosting_kw[site] <= free + 1e-9) and world.grid.network_fits(
        site, transformer, float(world.hosting_kw[site])
    )


def _screen(env, world: World, collector: _Collector, site: int, held: HeldSites) -> bool:
    """Screen the site: with room its hosting capacity is reserved (returns True); without, it is held for a later
    disclosure and (``hosting_when_full="wait_upgrade"``) the grid company is asked for an upgrade."""
    first_look = site not in world.hosting_start
    if first_look:
        world.hosting_start[site] = env.now
        collector.log.append((site, Step.HOSTING, Event.START, env.now))
    if not _has_room(world, site):
        held.append(site, int(world.transformer[site]))
        if first_look:
            collector.log.append((site, Step.HOSTING, Event.WAIT, env.now))
        _ask_grid_company(env, world, collector, site)
        return False
    world.grid.reserve(site, world.transformer[site], float(world.hosting_kw[site]))
    return True


def _unreserve(world: World, site: int) -> None:
    """A screened site the office does not release after all gives its reservation back at once (it never
    applied)."""
    grid = world.grid
    grid.reopen(int(world.transformer[site]), grid.give_back(site, int(world.transformer[site])))


def _wait_for_capacity(env, world: World, programme: ProgrammeOffice):
    """Wait until open capacity grows (a disclosure, a reservation given back) or a deferred household comes
    forward. Returns whether the build window is still open."""
    if env.now >= world.window_end_days:
        return False
    world.grid.changed = env.event()
    wake = world.grid.changed | world.window_closes
    if world.adoption is not None:  # only then: an event more would reorder the ties of a fixed-mode run
        programme.forward = env.event()
        wake = wake | programme.forward
    yield wake
    return env.now < world.window_end_days


def _drop_held(world: World, collector: _Collector, held: HeldSites, day: float) -> None:
    """Sites still held for lack of hosting capacity when the office stops are dropped: decided before any owner is
    asked."""
    for site in held:
        collector.log.append((site, Step.HOSTING, Event.DROP, day))
        collector.status[site] = Status.DROPPED_HOSTING
        collector.failed_step[site] = Step.HOSTING
        collector.outcome_day[site] = day
    held.clear()


def _no_room(world: World, programme: ProgrammeOffice) -> bool:
    """The programme's committed capacity is at its target, or (release pacing) the shared pipeline is full."""
    at_target = programme.target_kwp is not None and programme.committed_kwp >= programme.target_kwp
    paced = world.max_in_pipeline is not None and len(world.pipeline) >= world.max_in_pipeline
    return at_target or paced


def _wait_for_room(env, world: World, programme: ProgrammeOffice):
    """Wait while the committed capacity is at the target or the pipeline is full (a site dropping out, signing or
    contract makes room). Returns whether the build window is still open."""
    while _no_room(world, programme):
        if env.now >= world.window_end_days:
            return False
        programme.freed = env.event()
        yield programme.freed | world.window_closes
    return env.now < world.window_end_days


def _room_freed(world: World) -> None:
    for programme in world.programmes:
        if programme.freed is not None and not programme.freed.triggered:
            programme.freed.succeed()


def _leave_pipeline(world: World, site: int) -> None:
    if site in world.pipeline:
        world.pipeline.discard(site)
        _room_freed(world)


def _fund(env, world: World, site: int, budget: Budget):
    """Earmark the site's capex against the pot (the money not yet earmarked for released sites), waiting for money
    until the window closes. Returns whether funded. The money is committed at contract (:func:`_contract`)."""
    if budget.pot_year != world.year_of(env.now):
        yield budget.topped_up  # it is 1 January and the new year's money is not in yet
    capex = float(world.capex_cny[site])
    while capex > budget.headroom_cny() + 1e-6:
        if env.now >= world.window_end_days:
            return False
        budget.changed = env.event()
        yield budget.changed | world.window_closes
    budget.earmarked_cny += capex
    world.earmarked.add(site)
    return True


def _release(env, world: World, collector: _Collector, site: int) -> None:
    programme = world.programmes[world.programme_of[site]]
    programme.committed_kwp += world.capacity_kwp[site]
    adoption = world.adoption
    if adoption is not None and adoption.village[site] >= 0 and site not in adoption.agreed:
        programme.deciding += 1  # the office waits for the household (it may come forward) until it has decided
    world.pipeline.add(site)
    collector.status[site] = Status.IN_PROGRESS
    if math.isnan(collector.release_day[site]):  # a household that comes forward keeps the day it was first asked
        collector.release_day[site] = env.now
    t_screened = world.hosting_start.pop(site)
    collector.log.append((site, Step.HOSTING, Event.END, env.now))
    collector.stage_days[Step.HOSTING].append(env.now - t_screened)
    collector.log.append((site, Step.RELEASE, Event.END, env.now))
    env.process(_site(env, world, collector, site))


def _contract(env, world: World, collector: _Collector, site: int):
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


def _drop_out(
    env, world: World, collector: _Collector, site: int, step: Step, *, sunk: bool = False, deferred: bool = False
) -> None:
    """The site leaves the programme at ``step``: its money (see the rules; ``sunk``: built and abandoned, its capex
    stays spent), its committed kWp and its hosting reservation (open again from the next disclosure) are given
    back. ``deferred``: a household that has not decided yet (Bass adoption) leaves the same way, logged as a
    consent ``wait``, counted as declined unless it comes forward."""
    event, status = _WAYS_OUT.get(step, _FAILS)
    collector.log.append((site, step, Event.WAIT if deferred else event, env.now))
    collector.status[site] = status
    collector.failed_step[site] = step
    collector.outcome_day[site] = env.now
    if not sunk:
        _return_money(env, world, collector, site)
    world.programmes[world.programme_of[site]].committed_kwp -= world.capacity_kwp[site]
    world.pipeline.discard(site)
    _room_freed(world)
    grid = world.grid
    if site not in grid.reserved:
        return
    if step == Step.CONSENT:  # the owner said no before any application: the office's reservation is free again
        _unreserve(world, site)
    else:  # an approved application given back: open again from the next disclosure
        grid.undisclosed_kw[world.transformer[site]] += grid.give_back(site, world.transformer[site])
        grid.grew(int(world.transformer[site]))  # under power flow its network has room at once (HeldSites)


def _return_money(env, world: World, collector: _Collector, site: int) -> None:
    """Earmarked money goes back to the office's plan; committed money is returned: into the pot in the calendar
    year it was committed (or, with carry-over, any year), else it lapses."""
    capex = float(world.capex_cny[site])
    budget = world.budget_of(site)
    if site in world.earmarked and budget is not None:
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


def _site(env, world: World, collector: _Collector, site: int):
    """One site's way from release to operation: the stages in order (its hosting capacity was reserved at
    screening, before release), the contract when procurement starts, rework after a failed acceptance."""
    bass = world.adoption is not None and world.adoption.village[site] >= 0
    for k, plan in enumerate(world.stage_plans[world.site_type_index[site]]):
        if bass and plan.step == Step.CONSENT:
            agreed = yield from _bass_consent(env, world, collector, site, k, plan)
            if not agreed:
                return
            continue
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
    _commission(env, world, collector, site)


def _bass_consent(env, world: World, collector: _Collector, site: int, k: int, plan: StagePlan):
    """The consent stage of a household under Bass adoption. Returns whether it agreed (its way goes on).

    At its first canvass the household's agreement level is fixed on its village's clock: the village's cumulative
    hazard now plus its own unit-exponential draw. After the visit, a household outside the market declines (the
    fixed-mode draw); one whose village clock has passed its level agrees; any other defers (:func:`_village_clock`).
    A household that came forward after deferring has agreed already and skips the stage."""
    adoption = world.adoption
    assert adoption is not None
    if site in adoption.agreed:
        return True
    village = adoption.villages[adoption.village[site]]
    programme = world.programmes[world.programme_of[site]]
    if site not in adoption.level:
        adoption.level[site] = village.cumulative(env.now) + adoption.exposure[site]
    yield from _work_stage(env, world, collector, site, k, plan)
    if world.fails[site, k] or village.cumulative(env.now) >= adoption.level[site]:
        programme.deciding -= 1
        if world.fails[site, k]:
            _drop_out(env, world, collector, site, plan.step)
            return False
        collector.log.append((site, plan.step, Event.END, env.now))
        return True
    _drop_out(env, world, collector, site, plan.step, deferred=True)
    village.defer(adoption.level[site], site)
    if not village.clock_running:
        village.clock_running = True
        env.process(_village_clock(env, world, collector, int(adoption.village[site])))
    return False


def _village_clock(env, world: World, collector: _Collector, village_index: int):
    """The deferred households of one village, in the order they agree: all share the village's clock, so they
    agree in the order of their levels and only the lowest needs a timer. It waits until the clock reaches that
    level, re-computing the day whenever a neighbour's array comes into operation or a household defers (no
    polling), and the household comes forward to its office (:func:`_come_forward`). Those that have not come
    forward when the build window closes decline then. Runs while the village has deferred households."""
    adoption = world.adoption
    assert adoption is not None
    village = adoption.villages[village_index]
    end = min(world.window_end_days, world.horizon_days)
    while village.waiting:
        level, site = village.waiting[0]
        due = village.time_of(level)
        changed = village.change_event(env)
        yield env.timeout(max(min(due, end) - env.now, 0.0)) | changed
        if changed.triggered:
            continue
        if due >= end:
            break
        heapq.heappop(village.waiting)
        _come_forward(env, world, collector, site)
    while village.waiting:
        _, site = heapq.heappop(village.waiting)
        world.programmes[world.programme_of[site]].deciding -= 1
        collector.log.append((site, Step.CONSENT, Event.DECLINE, env.now))
        collector.outcome_day[site] = env.now
    village.clock_running = False


def _come_forward(env, world: World, collector: _Collector, site: int) -> None:
    """A deferred household agrees: its office will screen and release it again before the later sites."""
    assert world.adoption is not None
    programme = world.programmes[world.programme_of[site]]
    programme.deciding -= 1
    world.adoption.agreed.add(site)
    collector.log.append((site, Step.CONSENT, Event.END, env.now))
    collector.status[site] = Status.NOT_RELEASED
    collector.failed_step[site] = -1
    collector.outcome_day[site] = math.nan
    programme.came_forward.append(site)
    if programme.forward is not None and not programme.forward.triggered:
        programme.forward.succeed()


def _rework(env, world: World, collector: _Collector, site: int, k: int, plan: StagePlan):
    """A failed acceptance: a crew repairs the site (cost and delay), then it is inspected again. Returns whether
    the re-inspection passed (if not, the site is abandoned with its capex spent)."""
    t_start = env.now
    collector.log.append((site, Step.REWORK, Event.START, t_start))
    construction = world.stage_plans[world.site_type_index[site]][STAGE_STEPS.index(Step.CONSTRUCTION)]
    if construction.resource is not None:
        yield from _use(
            env,
            collector,
            construction.resource,
            float(world.rework[site, 0]),
            construction.calendar,
            wait_log=(site, Step.REWORK),
        )
    else:
        yield env.timeout(_elapsed_days(construction.calendar, env.now, float(world.rework[site, 0])))
    cost = float(world.capex_cny[site]) * world.rework_cost_share
    collector.rework_cny[site] += cost
    collector.add_money("spent", world.year_of(env.now), cost)
    collector.log.append((site, Step.REWORK, Event.END, env.now))
    collector.stage_days[Step.REWORK].append(env.now - t_start)
    yield from _work_stage(env, world, collector, site, k, plan)
    return not world.rework[site, 1]


def _work_stage(env, world: World, collector: _Collector, site: int, k: int, plan: StagePlan):
    """Stage ``k`` of the site: its work, with the stage's resource (if any) held for its effort from the start."""
    t_start = env.now
    collector.log.append((site, plan.step, Event.START, t_start))
    work = float(world.work_days[site, k])  # Python floats: the event heap compares times faster than NumPy's
    if plan.resource is not None:
        held = float(world.held_days[site, k])
        yield from _use(env, collector, plan.resource, held, plan.calendar, wait_log=(site, plan.step))
        work -= held  # the rest of the stage goes on without the resource
    elapsed = _elapsed_days(plan.calendar, env.now, work)
    if elapsed > 0:
        yield env.timeout(elapsed)
    collector.stage_days[plan.step].append(env.now - t_start)
    if plan.step in collector.office_steps:
        working = env.now - t_start if plan.calendar is None else plan.calendar.working_days_between(t_start, env.now)
        collector.office_days[plan.step][world.application_class[site]].append(working)


def _elapsed_days(calendar: cal.WorkCalendar | None, t: float, work_days: float) -> float:
    """Time [days] that ``work_days`` of work started at ``t`` take (working days of ``calendar`` if given)."""
    return work_days if calendar is None else calendar.finish(t, work_days) - t


def _use(
    env,
    collector: _Collector,
    resource: NamedResource,
    work_days: float,
    calendar: cal.WorkCalendar | None = None,
    wait_log: tuple[int, Step] | None = None,
):
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


def _ask_grid_company(env, world: World, collector: _Collector, site: int) -> None:
    """A site is held: for each network that holds it, the grid company is asked for that network's transformer
    upgrade where it would let the site pass (always under the rule), else (power flow) for a line reinforcement
    where that would: its own transformer's, and the substation's feeders above it (their main transformers, their
    10 kV lines)."""
    transformer = int(world.transformer[site])
    grid = world.grid
    key = grid.ask_key(site, transformer)
    if key is not None and grid.asked.get(site) == key:
        return  # nothing it reads has changed since it last asked: it would ask the same, to no effect
    _ask(env, world, collector, site, transformer)
    if key is not None:
        grid.asked[site] = grid.ask_key(site, transformer)


def _ask(env, world: World, collector: _Collector, site: int, transformer: int) -> None:
    kw = float(world.hosting_kw[site])
    grid = world.grid
    if grid.own_held(site, transformer, kw):
        if grid.upgrade_helps(site, transformer, kw):
            _request_upgrade(env, world, collector, transformer)
        else:
            lines = grid.reinforcement_helps(site, transformer, kw)
            if lines is not None:
                _request_reinforcement(env, world, collector, transformer, lines, site)
    feeder = grid.feeder(transformer)
    if feeder is None or grid.fits_at(*feeder, kw):
        return
    if grid.upgrade_helps_at(*feeder, kw):
        _request_upgrade(env, world, collector, feeder[0])
        return
    lines = grid.reinforcement_at(*feeder, kw)
    if lines is not None:
        _request_reinforcement(env, world, collector, feeder[0], lines, site)


def _request_upgrade(env, world: World, collector: _Collector, transformer: int) -> None:
    """A site is held on a full transformer: with ``hosting_when_full="wait_upgrade"`` the grid company schedules the
    transformer's one unplanned upgrade if none is on its way, within its yearly limit (beyond it the request waits
    for the next year's plan, :func:`_upgrade_plans`)."""
    grid = world.grid
    if grid.when_full == "drop" or grid.pending_upgrades[transformer] or grid.upgrade_scheduled[transformer]:
        return
    grid.upgrade_scheduled[transformer] = True
    grid.touch(transformer)
    grid.requested_day[transformer] = env.now
    _plan_work(env, world, collector, (transformer, None, env.now, -1))


def _request_reinforcement(
    env, world: World, collector: _Collector, transformer: int, lines: np.ndarray, site: int
) -> None:
    """``site`` is held by a bus voltage or a cable (power flow): with ``hosting_when_full="wait_upgrade"`` the grid
    company schedules the reinforcement of ``lines`` (the path to the site) if none of the network is on its way,
    under the same yearly limit as the transformer upgrades."""
    grid = world.grid
    if grid.when_full == "drop" or transformer in grid.reinforcing:
        return
    grid.reinforcing.add(transformer)
    grid.touch(transformer)
    _plan_work(env, world, collector, (transformer, lines, env.now, site))


def _plan_work(env, world: World, collector: _Collector, work: tuple) -> None:
    """Schedule a grid work ``(transformer, lines or None for the transformer upgrade, day requested, site held)``
    this year, or (beyond the yearly limit) queue it for the next year's plan."""
    grid = world.grid
    year = world.year_of(env.now)
    limit = grid.max_upgrades_per_year
    if limit is not None and grid.scheduled_in_year.get(year, 0) >= limit:
        grid.requests.append(work)
        return
    _schedule_upgrade(env, world, collector, work, year)


def _schedule_upgrade(env, world: World, collector: _Collector, work: tuple, year: int) -> None:
    grid = world.grid
    grid.scheduled_in_year[year] = grid.scheduled_in_year.get(year, 0) + 1
    transformer, lines, requested, site = work
    delay = float(grid.lead_time_days[transformer])
    if lines is not None:
        env.process(_reinforcement(env, world, collector, transformer, (lines, site), delay, requested))
        return
    grid.pending_upgrades[transformer] += 1
    grid.touch(transformer)
    added_kva = grid.rating_kva[transformer] * (grid.upgrade_factor - 1.0)
    env.process(_upgrade(env, world, collector, transformer, delay, added_kva, "scheduled"))


def _upgrade_plans(env, world: World, collector: _Collector):
    """Each 1 January of the build window the grid company schedules the requests its yearly limit held back,
    oldest first (after the window no site is waiting for them)."""
    for day in world.year_starts:
        if day >= min(world.window_end_days, world.horizon_days):
            return
        yield env.timeout(day - env.now)
        year = world.year_of(env.now)
        limit = world.grid.max_upgrades_per_year
        while world.grid.requests and (limit is None or world.grid.scheduled_in_year.get(year, 0) < limit):
            _schedule_upgrade(env, world, collector, world.grid.requests.pop(0), year)


def _upgrade(
    env, world: World, collector: _Collector, transformer: int, delay_days: float, added_kva: float, kind: str
):
    """A transformer upgrade (planned, or scheduled by the grid company): in service after ``delay_days``, its
    capacity is open from the next disclosure. Its cost (``upgrade_cost_cny_per_kva``) is the grid company's."""
    grid = world.grid
    scheduled_day = env.now
    if delay_days > 0:
        yield env.timeout(delay_days)
    added_kw = added_kva * grid.share_percent[transformer] / 100.0
    grid.rating_kva[transformer] += added_kva
    grid.pending_upgrades[transformer] -= 1
    grid.touch(transformer)
    requested = grid.requested_day.get(transformer, scheduled_day) if kind == "scheduled" else math.nan
    collector.upgrades.append(
        (
            transformer,
            kind,
            env.now,
            added_kw,
            added_kva,
            added_kva * grid.cost_cny_per_kva,
            requested,
            scheduled_day if kind == "scheduled" else math.nan,
            0.0,
            "",
        )
    )
    grid.undisclosed_kw[transformer] += added_kw


def _reinforcement(
    env, world: World, collector: _Collector, transformer: int, path: tuple, delay_days: float, requested: float
):
    """A line reinforcement of the ``path`` ``(lines, site)`` scheduled by the grid company: in service after
    ``delay_days``; the hosting capacity it
    adds (:meth:`sim.rollout.setup.GridState.reinforce`) is open from the next disclosure. Its cost
    (``line_reinforcement_cost_cny_per_km`` x the km reinforced) is the grid company's."""
    grid = world.grid
    scheduled_day = env.now
    if delay_days > 0:
        yield env.timeout(delay_days)
    lines, site = path
    added_kw, km = grid.reinforce(transformer, lines)
    cost = km * grid.reinforcement_cost_cny_per_km(transformer)
    collector.upgrades.append(
        (transformer, "reinforcement", env.now, added_kw, 0.0, cost, requested, scheduled_day, km, world.site_ids[site])
    )
    grid.undisclosed_kw[transformer] += added_kw
    grid.grew(transformer)  # its network has more room now, whatever the hosting figure adds (HeldSites)


def _disclosures(env, world: World, days: list[float]):
    """The grid company publishes the open hosting capacity on ``days`` [days since the start]."""
    for day in days:
        yield env.timeout(day - env.now)
        world.grid.disclose()


# ---------------------------------------------------------------------------------------------------------------
# Operation


def _commission(env, world: World, collector: _Collector, site: int) -> None:
    collector.status[site] = Status.OPERATING
    collector.commission_day[site] = env.now
    collector.outcome_day[site] = env.now
    world.committed_year.pop(site, None)
    if world.adoption is not None and world.adoption.village[site] >= 0:  # neighbours see the built array
        world.adoption.villages[world.adoption.village[site]].note_built(env.now)
    if world.mtbf_days is None:
        return
    assert world.operation_draws is not None
    rng = Draws(world.operation_draws[site], world.seed, world.site_ids[site], "operation")
    up_days = _time_to_failure(world.mtbf_days, rng)
    if env.now + up_days < world.horizon_days:
        env.process(_operate(env, world, collector, site, rng, up_days, world.mtbf_days))


def _time_to_failure(mtbf_days: float, rng: Draws) -> float:
    """Operating time to the next inverter failure [days]: exponential with mean ``mtbf_days``
    (``inverter_mtbf_years``)."""
    return float(exponential_ppf(mtbf_days, rng.random()))


def _operate(env, world: World, collector: _Collector, site: int, rng: Draws, up_days: float, mtbf_days: float):
    """Inverter failures of one operating site, each repaired by an O&M crew, until the horizon. The site's
    ``operation`` stream gives the first time to failure, then per failure its repair time and the next one."""
    om_crews = world.resources["om_crews"]
    while True:
        yield env.timeout(up_days)
        t_fail = env.now
        collector.open_failures[site] = t_fail
        repair_days = float(world.repair.ppf(rng.random()))
        yield from _use(env, collector, om_crews, repair_days)
        del collector.open_failures[site]
        collector.downtime.append((site, t_fail, env.now))
        up_days = _time_to_failure(mtbf_days, rng)
        if env.now + up_days >= world.horizon_days:
            return


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
    screens=None,
    memo: dict | None = None,
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
    screens : :class:`sim.powerflow.Screens` under ``grid.hosting_method: power_flow`` (each application is also
        screened against its transformer's network), None under the rule.
    memo : a dict kept between runs on the same ``sites`` and ``transformers`` (a preparation's): the draws that
        depend only on the seed and the settings (each site's stage work and operation draws, the transformers'
        upgrade lead times) are made once per seed and reordered to each run's order; None: made each run.

    Returns
    -------
    RolloutResult. Raises :class:`sim.errors.InputError` on bad input. The inputs are not modified.
    """
    start = cal.as_date(start_date)
    validate_inputs(sites, order, transformers, config, operation, start, horizon_years)
    site_ids = np.array([str(s) for s in order], dtype=object)
    site_table = sites.copy()
    site_table.index = site_table.index.astype(str)
    site_table = site_table.loc[site_ids]

    env = simpy.Environment()
    world, _ = build_world(
        env,
        site_table,
        site_ids,
        transformers,
        config,
        operation,
        seed=seed,
        start=start,
        horizon_years=horizon_years,
        screens=screens,
        memo=memo,
    )
    collector = _Collector(len(site_ids), world.horizon_days, window_end_days=world.window_end_days)
    _start_processes(
        env,
        world,
        collector,
        planned_upgrades(transformers, start, world.horizon_days),
        disclosure_days(start, world.horizon_days, config.disclosure_interval_months),
    )
    n_events = _run_to_horizon(env, world.horizon_days)
    _close_offices(world, collector)
    return _results(
        collector,
        site_ids=site_ids,
        site_table=site_table,
        transformer_ids=transformers.index,
        start=start,
        horizon_days=world.horizon_days,
        year_starts=world.year_starts,
        config=config,
        n_events=n_events,
        application_class=world.application_class,
    )


def _close_offices(world: World, collector: _Collector) -> None:
    """At the end of the run: the sites still held were never canvassed (dropped), and the money never committed
    lapses with the last year's budget."""
    end = min(world.window_end_days, world.horizon_days)
    for programme in world.programmes:
        _drop_held(world, collector, programme.held, end)
    for programme in world.programmes:
        if programme.budget is not None:
            collector.add_money("lapsed", world.year_of(end - 1e-9), programme.budget.pot.level)


def _start_processes(env, world: World, collector: _Collector, upgrades, days) -> None:
    """The disclosures and the planned upgrades first, then the budget's refills, then the office (SimPy starts
    them in this order)."""
    world.window_closes = env.timeout(world.window_end_days)  # at the day itself (not now + (end - now))
    env.process(_disclosures(env, world, days))
    env.process(_upgrade_plans(env, world, collector))
    for transformer, day, added_kva in upgrades:
        world.grid.pending_upgrades[transformer] += 1
        world.grid.touch(transformer)
        env.process(_upgrade(env, world, collector, transformer, day, added_kva, "planned"))
    for programme in world.programmes:
        if programme.budget is not None:
            collector.add_money("budget", world.first_year, programme.budget.annual_cny)
            env.process(_budget_year(env, world, collector, programme.budget))
    for programme in world.programmes:
        env.process(_office(env, world, collector, programme))


def _run_to_horizon(env: simpy.Environment, horizon_days: float) -> int:
    """Process the events before the horizon; returns how many were processed.

    The cyclic garbage collector is paused during the event loop (:func:`sim._runtime.paused_gc`): the model's
    garbage is freed by reference counting, while each collection would traverse the ~10^5 live generators and
    events of a large county; pausing it halves the run time of a 50,000-site run."""
    n_events = 0
    step, peek = env.step, env.peek
    with paused_gc():
        while peek() < horizon_days:
            step()
            n_events += 1
    return n_events
