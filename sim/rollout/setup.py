"""World set-up of the rollout model: the input checks (:func:`check_inputs`) and the plain-data state one run's
SimPy processes share (:class:`World`), built from the inputs by :func:`build_world`: resources, work calendars,
each site's drawn stage work (common random numbers), the transformers' hosting state, the programme offices and
their budget pots, the planned upgrades and the disclosure days. The processes live in :mod:`sim.rollout.model`;
the rules they follow are stated once, in :mod:`sim.rollout`.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import simpy

from sim import powerflow
from sim import (
    programme as _programme,  # a module: sim.programme reads sim.rollout.config in turn
)
from sim._config import SITE_TYPES, Duration
from sim.errors import InputError
from sim.rng import site_rng, site_uniforms, stream
from sim.rollout import calendar as cal
from sim.rollout.config import (
    OFFICE_STAGES,
    RESOURCES,
    STAGE_STEPS,
    STAGES,
    OperationConfig,
    RolloutConfig,
    Step,
    application_classes,
    budget_pot_days,
    build_window_end_day,
    stage_work_days,
)
from sim.timebase import DAYS_PER_YEAR, years_to_days

# ---------------------------------------------------------------------------------------------------------------
# Shared state of one run (plain data; the dynamics are the process functions below)


class StagePlan(NamedTuple):
    """How one stage of :data:`STAGES` runs for the sites of one type."""

    step: Step
    resource: NamedResource | None
    calendar: cal.WorkCalendar | None  # whose working days the work counts; None: calendar days


@dataclass
class GridState:
    """Hosting capacity of the transformers (arrays by transformer index) and the upgrade rules."""

    free_kw: np.ndarray  # disclosed open hosting capacity not yet reserved [kW]
    undisclosed_kw: np.ndarray  # capacity freed since the last disclosure (upgrades, reservations given back) [kW]
    rating_kva: np.ndarray
    share_percent: np.ndarray  # hosting share of the rating [%]
    pending_upgrades: np.ndarray  # upgrades on their way (count)
    upgrade_scheduled: np.ndarray  # the grid company has scheduled the transformer's one unplanned upgrade
    lead_time_days: np.ndarray  # lead time of the transformer's unplanned upgrade, from its own uniform [days]
    when_full: str
    upgrade_factor: float
    cost_cny_per_kva: float
    max_upgrades_per_year: int | None
    cost_cny_per_km: float = 0.0  # of a line reinforcement (power flow)
    reserved: dict = field(default_factory=dict)  # site -> kW it holds
    scheduled_in_year: dict = field(default_factory=dict)  # calendar year -> unplanned upgrades scheduled in it
    requests: list = field(default_factory=list)  # (transformer, day requested) beyond the yearly limit, in order
    requested_day: dict = field(default_factory=dict)  # transformer -> day its upgrade was first requested
    changed: simpy.Event | None = None  # fires when open capacity grows (a disclosure, an earmark given back)
    screens: list = field(default_factory=list)  # per transformer: its power-flow screen, None under the rule
    site_bus: np.ndarray | None = None  # per site: its bus on its transformer's network (power flow)
    loaded: dict = field(default_factory=dict)  # transformer -> its network with the new PV reserved (power flow)
    reinforced: dict = field(default_factory=dict)  # transformer -> its screen after the reinforcements in service
    reinforcing: set = field(default_factory=set)  # transformers with a line reinforcement requested, not in service

    #: power flow: per transformer, the ``mv`` entry (transformer index) whose 10 kV feeders it hangs on (-1: none)
    #: and its bus there; per ``mv`` entry its ``lv`` transformers; which transformers are ``mv`` entries
    feeder_of: np.ndarray | None = None
    feeder_bus: np.ndarray | None = None
    on_feeders: dict = field(default_factory=dict)
    is_mv: np.ndarray | None = None
    mv_cost_cny_per_km: float = 0.0  # of a 10 kV line reinforcement (power flow)
    #: power flow: per transformer, a count of the changes of what a held site's request to the grid company reads
    #: (its open capacity, the PV reserved on its network, its rating, upgrades and reinforcements requested or in
    #: service); per held site, the counts of its networks when it last asked (:meth:`ask_key`)
    version: dict = field(default_factory=dict)
    asked: dict = field(default_factory=dict)

    def touch(self, transformer: int) -> None:
        """Something a request to the grid company reads changed on the transformer (:meth:`ask_key`)."""
        self.version[transformer] = self.version.get(transformer, 0) + 1

    def ask_key(self, site: int, transformer: int) -> tuple[int, int] | None:
        """Under the power-flow method, the change counts of the networks a held site's request reads: asking again
        while they are unchanged asks the same and changes nothing (the rollout skips it); None under the rule."""
        if self.screen(transformer) is None and self.feeder(transformer) is None:
            return None
        feeder = self.feeder(transformer)
        return self.version.get(transformer, 0), -1 if feeder is None else self.version.get(feeder[0], 0)

    def screen(self, transformer: int):
        """The transformer's power-flow screen with its reinforcements in service (None under the rule)."""
        if not self.screens or self.site_bus is None:
            return None
        return self.reinforced.get(transformer, self.screens[transformer])

    def bus(self, site: int) -> int:
        """The site's bus on its transformer's network (power flow)."""
        return int(np.asarray(self.site_bus)[site])

    def feeder(self, transformer: int) -> tuple[int, int] | None:
        """The ``mv`` entry whose feeders the transformer hangs on and its bus there (power flow; None: none)."""
        if (
            self.feeder_of is None
            or self.feeder_of[transformer] < 0
            or self.screen(int(self.feeder_of[transformer])) is None
        ):
            return None
        return int(self.feeder_of[transformer]), int(np.asarray(self.feeder_bus)[transformer])

    def _checks(self, site: int, transformer: int) -> list[tuple[int, int]]:
        """The networks that screen the site, as (transformer index of the network, the site's bus on it): its
        transformer's, and the substation's feeders that transformer hangs on."""
        out = [(transformer, self.bus(site))] if self.screen(transformer) is not None else []
        feeder = self.feeder(transformer)
        return out + [feeder] if feeder is not None else out

    def _loaded(self, network: int) -> powerflow.Loaded:
        """The network's screen with the new PV reserved on it (:class:`sim.powerflow.Loaded`)."""
        if network not in self.loaded:
            self.loaded[network] = powerflow.Loaded(self.screen(network))
        return self.loaded[network]

    def fits_at(self, network: int, bus: int, kw: float, rating_kva: float | None = None) -> bool:
        """Whether the PV reserved on the network plus ``kw`` at ``bus`` keeps its limits (:meth:`sim.powerflow.Screen.fits`,
        its transformer at ``rating_kva``, default its current rating; the cables with their reinforcements)."""
        screen = self.screen(network)
        rating = float(self.rating_kva[network]) if rating_kva is None else rating_kva
        return screen is None or self._loaded(network).fits(bus, kw, rating)

    def network_fits(self, site: int, transformer: int, kw: float) -> bool:
        """Under the power-flow method, whether ``kw`` more at the site keeps the limits of every network that
        screens it (its transformer's, and its substation's feeders); True under the rule."""
        return all(self.fits_at(n, b, kw) for n, b in self._checks(site, transformer))

    def own_held(self, site: int, transformer: int, kw: float) -> bool:
        """Whether the site is held by its own transformer: its disclosed open capacity, or (power flow) its
        transformer's network; not by the feeders above it."""
        screen = self.screen(transformer)
        return kw > self.free_kw[transformer] + 1e-9 or (
            screen is not None and not self.fits_at(transformer, self.bus(site), kw)
        )

    def upgrade_helps(self, site: int, transformer: int, kw: float) -> bool:
        """Whether the transformer's upgrade (its rating x ``upgrade_factor``) would let the site pass its network
        (:meth:`upgrade_helps_at`); True under the rule."""
        return self.upgrade_helps_at(transformer, self.bus(site) if self.screen(transformer) is not None else 0, kw)

    def upgrade_helps_at(self, network: int, bus: int, kw: float) -> bool:
        """Whether the network's transformer upgrade would let ``kw`` at ``bus`` pass its screen: under the
        power-flow method a site held by a bus voltage or a cable is not helped by a larger transformer
        (:meth:`reinforcement_at` asks for a line reinforcement instead); True under the rule."""
        return self.fits_at(network, bus, kw, float(self.rating_kva[network]) * self.upgrade_factor)

    def reinforcement_helps(self, site: int, transformer: int, kw: float) -> np.ndarray | None:
        """:meth:`reinforcement_at` on the site's transformer's network at its bus."""
        return None if self.screen(transformer) is None else self.reinforcement_at(transformer, self.bus(site), kw)

    def reinforcement_at(self, network: int, bus: int, kw: float) -> np.ndarray | None:
        """Under the power-flow method, the cable sections (line indices) of the network whose reinforcement (a
        parallel cable, :meth:`sim.powerflow.Screen.reinforced`) would let ``kw`` at ``bus`` pass: those on the
        path from the busbar to the bus not reinforced yet; None where that does not let it pass, under the rule,
        or while a reinforcement of the network is on its way."""
        screen = self.screen(network)
        if screen is None or network in self.reinforcing:
            return None
        path = screen.path(bus)
        lines = path[screen.parallel[path] < 2.0]
        if not len(lines):
            return None
        fits = screen.reinforced(lines).fits(self._loaded(network).placed, bus, kw, float(self.rating_kva[network]))
        return lines if fits else None

    def reinforce(self, transformer: int, lines: np.ndarray) -> tuple[float, float]:
        """A line reinforcement of ``lines`` enters service: the transformer's screen from now on is the reinforced
        one. Returns the hosting capacity it adds [kW AC] (the linearised limit along the transformer's cached PV
        spread, after less before) and the length reinforced [km]."""
        screen = self.screen(transformer)
        after = screen.reinforced(lines)
        self.reinforced[transformer] = after
        self.loaded[transformer] = powerflow.Loaded(after, self._loaded(transformer).placed)
        self.reinforcing.discard(transformer)
        spread = screen.pv0_kw / screen.pv0_kw.sum() if screen.pv0_kw.sum() > 0 else None
        added = max(after.limit_kw(spread) - screen.limit_kw(spread), 0.0) if spread is not None else 0.0
        return float(added), float(screen.net.length_km[lines].sum())

    def reinforcement_cost_cny_per_km(self, transformer: int) -> float:
        """Cost of a line reinforcement of the transformer's network per km: 10 kV for an ``mv`` entry's feeders,
        low voltage otherwise."""
        return self.mv_cost_cny_per_km if self.is_mv is not None and self.is_mv[transformer] else self.cost_cny_per_km

    def reserve(self, site: int, transformer: int, kw: float) -> None:
        """The site holds ``kw`` of its transformer's disclosed open capacity (and, under the power-flow method,
        of every network that screens it, at its bus)."""
        self.free_kw[transformer] -= kw
        self.touch(transformer)
        self.reserved[site] = float(kw)
        self._place(site, transformer, kw)

    def give_back(self, site: int, transformer: int) -> float:
        """The site's reservation ends: its network share is free at once (the feeders above its transformer have
        room again at once: they and their transformers are marked grown); returns the kW to reopen on the
        transformer (the caller decides whether at once or from the next disclosure)."""
        kw = self.reserved.pop(site)
        self._place(site, transformer, -kw)
        feeder = self.feeder(transformer)
        if feeder is not None:
            self.grew(feeder[0])
        return kw

    def _place(self, site: int, transformer: int, kw: float) -> None:
        for network, bus in self._checks(site, transformer):
            self._loaded(network).add(bus, kw)
            self.touch(network)

    def grew(self, transformer: int) -> None:
        """The transformer's open capacity or network room grew: it, and (an ``mv`` entry) the transformers on its
        feeders, whose sites it screens too, are marked for :class:`HeldSites`."""
        self.grown.append(int(transformer))
        self.grown.extend(self.on_feeders.get(int(transformer), ()))
        self.touch(int(transformer))

    grown: list = field(default_factory=list)  # transformers whose open capacity grew, in order (see HeldSites)

    def disclose(self) -> None:
        """The grid company's periodic publication: capacity freed since the last one becomes open."""
        for t in np.flatnonzero(self.undisclosed_kw):
            self.grew(int(t))
        self.free_kw += self.undisclosed_kw
        self.undisclosed_kw[:] = 0.0
        self.signal()

    def signal(self) -> None:
        if self.changed is not None and not self.changed.triggered:
            self.changed.succeed()

    def reopen(self, transformer: int, kw: float) -> None:
        """A reservation given back before any application (:meth:`give_back`): open again at once."""
        self.free_kw[transformer] += kw
        self.grew(transformer)
        self.signal()


class HeldSites:
    """The sites an office screened without room, held for a later disclosure, in the order they were held.

    :meth:`pop_first_with_room` returns (and removes) the first of them whose transformer now shows room, as a scan
    of the whole list would, without looking again at sites on transformers whose open capacity has not grown since
    they were last seen without room: between growths (a disclosure, a reservation given back, both logged in
    ``GridState.grown``) a transformer's open capacity only shrinks (reservations), so such a site still has none.
    Only the transformers grown since are scanned, each over its own held sites in order."""

    def __init__(self) -> None:
        self._sites: dict[int, int] = {}  # site -> its transformer, in the order held (dicts keep insertion order)
        self._order: dict[int, int] = {}  # site -> its number in the order held
        self._count = 0
        self._on: dict[int, list[int]] = {}  # transformer -> its held sites, in order
        self._grown: set[int] = set()  # transformers whose sites may have room (grown since last seen without)
        self._seen = 0  # entries of GridState.grown taken in

    def __bool__(self) -> bool:
        return bool(self._sites)

    def __len__(self) -> int:
        return len(self._sites)

    def __iter__(self):
        return iter(list(self._sites))

    def first_per_transformer(self, keep: Sequence[bool] | None = None) -> list[int]:
        """The first held site of each transformer (only the transformers ``t`` with ``keep[t]`` true, if given), in
        the order held."""
        return [self._on[t][0] for t in self.transformers(keep)]

    def transformers(self, keep: Sequence[bool] | None = None) -> list[int]:
        """The transformers of the held sites (only those ``t`` with ``keep[t]`` true, if given), each once, in the
        order of its first held site (asking for an upgrade is done once per transformer, so asking in this order is
        asking site by site)."""
        chosen = self._on if keep is None else [t for t in self._on if keep[t]]
        return sorted(chosen, key=lambda t: self._order[self._on[t][0]])

    def append(self, site: int, transformer: int) -> None:
        """Hold ``site`` (on ``transformer``), which was just screened without room."""
        self._sites[site] = transformer
        self._order[site] = self._count
        self._count += 1
        self._on.setdefault(transformer, []).append(site)

    def clear(self) -> None:
        self._sites.clear()
        self._order.clear()
        self._on.clear()
        self._grown.clear()

    def pop_first_with_room(self, grid: GridState, has_room) -> int | None:
        """The first held site (in the order held) for which ``has_room(site)`` holds, removed; None if none."""
        for t in grid.grown[self._seen :]:
            if t in self._on:
                self._grown.add(t)
        self._seen = len(grid.grown)
        best: int | None = None
        for t in list(self._grown):
            first = next((site for site in self._on[t] if has_room(site)), None)
            if first is None:
                self._grown.discard(t)  # every site on it was just seen without room
            elif best is None or self._order[first] < self._order[best]:
                best = first
        if best is not None:
            t = self._sites.pop(best)
            del self._order[best]
            self._on[t].remove(best)
            if not self._on[t]:
                del self._on[t]
                self._grown.discard(t)
        return best


@dataclass
class Budget:
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
class VillageMarket:
    """One village's Bass market (``rollout.adoption.model = "bass"``): its would-be adopters, how many of them have
    a built array, and the cumulative hazard of the village's clock, kept exactly as a piecewise-linear function of
    time (the hazard is constant between two arrays coming into operation)."""

    market: int  # households of the village whose draw says they would agree (M_v)
    p_per_day: float
    q_per_day: float
    adopted: int = 0  # of them with a built (operating) array (A_v)
    cum_hazard: float = 0.0  # integral of the hazard from day 0 to ``since`` [-]
    since: float = 0.0  # [days]
    changed: simpy.Event | None = None  # fires when the next household's day may have moved
    waiting: list = field(default_factory=list)  # heap of (level, site) of the deferred households
    clock_running: bool = False  # the village's clock process is waiting for them

    def hazard_per_day(self) -> float:
        """p + q A_v / M_v [1/day]."""
        return self.p_per_day + self.q_per_day * self.adopted / max(self.market, 1)

    def cumulative(self, t: float) -> float:
        """Integral of the hazard from day 0 to ``t`` (``t`` not before the last change) [-]."""
        return self.cum_hazard + self.hazard_per_day() * (t - self.since)

    def time_of(self, level: float) -> float:
        """Day on which the cumulative hazard reaches ``level`` if no array comes into operation before [days]."""
        return self.since + (level - self.cum_hazard) / self.hazard_per_day()

    def note_built(self, t: float) -> None:
        """A would-be adopter's array comes into operation at ``t``: the hazard steps up from ``t`` on."""
        self.cum_hazard = self.cumulative(t)
        self.since = t
        self.adopted += 1
        self._signal()

    def defer(self, level: float, site: int) -> None:
        """A household defers until the clock reaches ``level``."""
        heapq.heappush(self.waiting, (level, site))
        self._signal()

    def _signal(self) -> None:
        if self.changed is not None and not self.changed.triggered:
            self.changed.succeed()

    def change_event(self, env) -> simpy.Event:
        """The event that fires at the next step of the hazard."""
        if self.changed is None or self.changed.triggered:
            self.changed = env.event()
        return self.changed


@dataclass
class Adoption:
    """The Bass adoption state of a run (rules in :mod:`sim.rollout`); per-site arrays by index of the order."""

    village: np.ndarray  # index into ``villages``; -1 for a site whose type keeps the one-shot consent
    exposure: np.ndarray  # unit-exponential draw of each site (its stream "adoption") [-]
    villages: list  # VillageMarket per village
    level: dict = field(default_factory=dict)  # site -> cumulative hazard of its village at which it agrees
    agreed: set = field(default_factory=set)  # deferred households that came forward (consent given)


@dataclass
class ProgrammeOffice:
    """One programme office (the whole programme, or one track of ``RolloutConfig.tracks``): the sites it releases
    (indices of the release order, in order), its budget pot and its target."""

    sites: np.ndarray
    budget: Budget | None
    target_kwp: float | None
    committed_kwp: float = 0.0  # capacity released and not dropped out
    freed: simpy.Event | None = None  # fires when a site drops out or leaves the pipeline (room to release)
    held: HeldSites = field(default_factory=HeldSites)  # sites screened without room, held for a later disclosure
    came_forward: list = field(default_factory=list)  # deferred households that agreed since, to release first
    deciding: int = 0  # released households of the office that have not decided yet (Bass adoption)
    forward: simpy.Event | None = None  # fires when a deferred household comes forward


@dataclass
class World:
    """What the processes of one run share."""

    horizon_days: float
    window_end_days: float  # no site is released at or after it
    year_starts: list  # 1 January of start.year+1, +2, ... [days]
    first_year: int
    release_mode: str
    resources: dict  # name -> NamedResource
    programmes: list  # the ProgrammeOffice of each office (one, or one per track)
    programme_of: np.ndarray  # per site: index into programmes, -1 for a site of no track (never released)
    grid: GridState
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
    stage_plans: list  # per site type index: a StagePlan per stage of STAGES
    max_in_pipeline: int | None
    release_rng: np.random.Generator
    poisson_mean_gap_days: float
    seed: int
    mtbf_days: float | None
    operation_draws: np.ndarray | None  # (site, k): the first draws of each site's "operation" stream (with failures)
    repair: Duration
    adoption: Adoption | None  # Bass adoption (rollout.adoption.model = "bass"), else None
    pipeline: set = field(default_factory=set)  # released sites before contract (release pacing)
    committed_year: dict = field(default_factory=dict)  # site -> calendar year its capex was committed (contract)
    earmarked: set = field(default_factory=set)  # released sites whose capex is earmarked, not yet committed
    hosting_start: dict = field(default_factory=dict)  # site -> day the office first screened it (until release)
    window_closes: Any = None  # the one timeout at window_end_days that every wait of the offices also ends on

    def year_of(self, t: float) -> int:
        return self.first_year + bisect_right(self.year_starts, t)

    def budget_of(self, site: int) -> Budget | None:
        return self.programmes[self.programme_of[site]].budget


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
    validate_inputs(
        sites,
        order,
        transformers,
        config,
        operation or OperationConfig.model_validate({}),
        cal.as_date(start_date),
        horizon_years,
    )


def validate_inputs(
    sites,
    order,
    transformers,
    config: RolloutConfig,
    operation: OperationConfig,
    start: date,
    horizon_years: int | None,
):
    _need_columns(sites, ("site_type", "capacity_kwp", "capex_cny", "transformer_id"), "sites")
    _need_columns(transformers, ("hosting_limit_kw", "hosting_share_percent"), "transformers")
    if horizon_years is not None and (not isinstance(horizon_years, (int, np.integer)) or horizon_years < 1):
        raise InputError(
            "horizon must be a whole number of years >= 1",
            field="horizon_years",
            value=horizon_years,
            allowed="1, 2, ...",
        )
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
        raise InputError(
            f"{name} table lacks column(s) {', '.join(missing)}",
            field=name,
            value=list(df.columns),
            allowed=", ".join(cols),
        )


def _check_order(sites: pd.DataFrame, order) -> pd.DataFrame:
    """The sites of the release order, once the order is checked."""
    order_ids = pd.Index([str(s) for s in order])
    if order_ids.has_duplicates:
        raise InputError(
            "site ids repeat in the release order", field="order", value=order_ids[order_ids.duplicated()][:5].tolist()
        )
    ids = sites.index.astype(str)
    if ids.has_duplicates:
        raise InputError(
            "site ids repeat in the site table", field="sites.site_id", value=ids[ids.duplicated()][:5].tolist()
        )
    position = ids.get_indexer(order_ids)  # (an Arrow string isin is a Python loop)
    if np.any(position < 0):
        unknown = order_ids[position < 0].sort_values()
        raise InputError(
            "release order names sites that are not in the site table", field="order", value=unknown[:5].tolist()
        )
    return sites.iloc[np.sort(position)]


def _check_site_values(sites: pd.DataFrame, transformers: pd.DataFrame) -> np.ndarray:
    """Checks site types, capacities, capex and transformer ids; returns the capex [CNY]."""
    bad_type = ~sites["site_type"].isin(SITE_TYPES)
    if bad_type.any():
        raise InputError(
            "unknown site type",
            field="sites.site_type",
            value=sites.loc[bad_type, "site_type"].iloc[0],
            allowed=", ".join(SITE_TYPES),
        )
    capacity = pd.to_numeric(sites["capacity_kwp"], errors="coerce").to_numpy(float)
    good = np.isfinite(capacity) & (capacity > 0)
    if not np.all(good):
        raise InputError(
            "capacity must be a finite number > 0", field="sites.capacity_kwp", value=sites.index[~good][0]
        )
    capex = pd.to_numeric(sites["capex_cny"], errors="coerce").to_numpy(float)
    good = np.isfinite(capex) & (capex >= 0)
    if not np.all(good):
        raise InputError("capex must be a finite number >= 0", field="sites.capex_cny", value=sites.index[~good][0])
    missing = ~sites["transformer_id"].isin(transformers.index)
    if missing.any():
        raise InputError(
            "site refers to a transformer that is not in the transformer table",
            field="sites.transformer_id",
            value=sites.loc[missing, "transformer_id"].iloc[0],
        )
    return capex


def _check_transformer_values(transformers: pd.DataFrame) -> None:
    limit = pd.to_numeric(transformers["hosting_limit_kw"], errors="coerce").to_numpy(float)
    if np.any(np.isnan(limit) | (limit < 0)):
        raise InputError("hosting limit must be >= 0 (inf for unlimited)", field="transformers.hosting_limit_kw")
    share = pd.to_numeric(transformers["hosting_share_percent"], errors="coerce").to_numpy(float)
    if np.any(~np.isfinite(share) | (share <= 0) | (share > 100)):
        raise InputError(
            "hosting share must be in (0, 100]", field="transformers.hosting_share_percent", allowed="0 < share <= 100"
        )


def _check_resources(sites: pd.DataFrame, config: RolloutConfig, operation: OperationConfig) -> None:
    """Every resource a stage of these sites needs (and the O&M crews, if inverters fail) must exist."""
    for site_type in sorted(set(sites["site_type"].unique())):
        for stage in STAGES:
            resource = config.stage(site_type, stage).resource
            if resource is not None and getattr(config, resource) == 0:
                raise InputError(
                    f"stage {stage!r} of {site_type} sites needs {resource}, but there are none",
                    field=f"rollout.{resource}",
                    value=0,
                    allowed=">= 1",
                )
    if operation.inverter_mtbf_years is not None and config.om_crews == 0:
        raise InputError(
            "inverter repairs need O&M crews, but there are none",
            field="rollout.om_crews",
            value=0,
            allowed=">= 1 (or operation.inverter_mtbf_years: null to ignore failures)",
        )


def _check_budget(
    capex: np.ndarray, site_types: np.ndarray, config: RolloutConfig, start: date, horizon_years: int | None
) -> None:
    """The dearest site the budget can ever fund: one year's budget, or with carry-over all of them (the pot keeps
    what is not spent while the office waits for money for the next site)."""
    if config.release_mode != "budget" or not len(capex):
        return
    programme_tracks = _programme.tracks(config)
    which = _programme.track_index(programme_tracks, site_types)
    for k, track in enumerate(programme_tracks):
        mine = which == k
        if mine.any() and track.annual_budget_cny is not None:
            key = f"rollout.tracks.{k}.annual_budget_cny" if config.tracks else "rollout.annual_budget_cny"
            _check_fundable(
                float(capex[mine].min()), track.annual_budget_cny, track.carry_over, config, start, horizon_years, key
            )


def _check_fundable(
    cheapest: float,
    annual_cny: float,
    carry_over: bool,
    config: RolloutConfig,
    start: date,
    horizon_years: int | None,
    field_name: str,
) -> None:
    n_pots = len(budget_pot_days(start, config.build_window_years, horizon_years))
    fundable = annual_cny * n_pots if carry_over else annual_cny
    if cheapest > fundable:
        raise InputError(
            f"the budget cannot fund even the cheapest site ({cheapest:,.0f} CNY)",
            field=field_name,
            value=annual_cny,
            allowed=f">= {cheapest:,.0f}",
        )


def build_world(
    env,
    site_table: pd.DataFrame,
    site_ids: np.ndarray,
    transformers: pd.DataFrame,
    config: RolloutConfig,
    operation: OperationConfig,
    *,
    seed: int,
    start: date,
    horizon_years: int,
    screens=None,
    memo: dict | None = None,
) -> tuple[World, dict | None]:
    horizon_days = cal.days_since(start, cal.add_years(start, horizon_years))
    window_end_days = build_window_end_day(start, config.build_window_years, horizon_years)
    year_starts = cal.year_start_days(start, horizon_years + 1)
    resources = _make_resources(env, config)
    calendars = (
        build_calendars(config, start, _calendar_days(start, horizon_years), seed) if config.calendar_enabled else None
    )
    site_type_index = site_table["site_type"].map({t: k for k, t in enumerate(SITE_TYPES)}).to_numpy(np.int64)
    capacity_kwp = site_table["capacity_kwp"].to_numpy(float)
    application_class = application_classes(site_table)
    work_days, held_days, fails, rework = _stage_draws(
        memo, site_ids, site_type_index, application_class, capacity_kwp, config, seed
    )
    grid, transformer = _grid_state(site_table, transformers, config, seed, screens, memo)
    programmes, programme_of = _programmes(
        env,
        config,
        site_table["site_type"].to_numpy(),
        start,
        budget_pot_days(start, config.build_window_years, horizon_years),
    )
    hosting_kw = (
        site_table["hosting_kw"] if "hosting_kw" in site_table.columns else site_table["capacity_kwp"]
    ).to_numpy(float)
    world = World(
        horizon_days=horizon_days,
        window_end_days=window_end_days,
        year_starts=year_starts,
        first_year=start.year,
        release_mode=config.release_mode,
        resources=resources,
        programmes=programmes,
        programme_of=programme_of,
        grid=grid,
        site_ids=site_ids,
        site_type_index=site_type_index,
        capacity_kwp=capacity_kwp,
        capex_cny=site_table["capex_cny"].to_numpy(float),
        transformer=transformer,
        hosting_kw=hosting_kw,
        application_class=application_class,
        work_days=work_days,
        held_days=held_days,
        fails=fails,
        rework=rework,
        rework_cost_share=config.rework_cost_percent / 100.0,
        stage_plans=_stage_plans(config, resources, calendars),
        max_in_pipeline=config.max_sites_in_pipeline,
        release_rng=stream(seed, "rollout", "release"),
        poisson_mean_gap_days=1.0 / config.poisson_rate_per_day,
        seed=seed,
        mtbf_days=None if operation.inverter_mtbf_years is None else years_to_days(operation.inverter_mtbf_years),
        operation_draws=_per_seed(
            memo,
            ("operation", seed, horizon_days),
            operation,
            site_ids,
            lambda rows: (_operation_draws(site_ids[rows], operation, horizon_days, seed),),
        )[0],
        repair=operation.repair,
        adoption=village_markets(site_table, site_ids, fails[:, STAGES.index("consent")], config, seed),
    )
    return world, calendars


#: What :func:`_per_seed` keeps of a preparation's draws at most [bytes]: the 20 seeds of a default comparison of the
#: demo county take ~25 MB (three entries a seed); a larger county keeps its latest seeds within this bound.
_DRAWS_KEPT_BYTES = 256e6


def _per_seed(memo: dict | None, key: tuple, settings, site_ids: np.ndarray, make) -> tuple:
    """``make(rows)`` for the sites ``site_ids[rows]``: arrays with a row per site that depend only on the site, the
    seed and ``settings`` (not on the order). With ``memo`` (a preparation's, shared by its runs), made once for
    ``key`` (with the seed) and ``settings`` (the same object) and reordered to each later run's order (the same
    sites in another order); without it, or for other sites or settings, made for this run."""
    everyone = np.arange(len(site_ids))
    if memo is None:
        return make(everyone)
    kept = memo.get(key)
    if kept is not None and kept[0] is settings and len(kept[1]) == len(site_ids):
        position = kept[1]
        rows = np.fromiter((position.get(s, -1) for s in site_ids), dtype=np.int64, count=len(site_ids))
        if not np.any(rows < 0):
            return tuple(None if a is None else a[rows] for a in kept[2])
    made = make(everyone)
    for a in made:  # shared by the runs that read it: a write would be a bug
        if a is not None:
            a.setflags(write=False)
    memo[key] = (settings, {s: i for i, s in enumerate(site_ids)}, made)
    while len(memo) > 1 and sum(_kept_bytes(entry) for entry in memo.values()) > _DRAWS_KEPT_BYTES:
        memo.pop(next(iter(memo)))  # the oldest first
    return made


def _kept_bytes(entry: tuple) -> float:
    """About what an entry of :func:`_per_seed` holds [bytes]: its arrays and its dict of positions (~100 bytes a
    site)."""
    return sum(a.nbytes for a in entry[2] if a is not None) + 100.0 * len(entry[1])


def _stage_draws(memo, site_ids, site_type_index, application_class, capacity_kwp, config: RolloutConfig, seed: int):
    """:func:`_draw_stage_work` of the sites, kept per seed in ``memo`` (:func:`_per_seed`)."""

    def make(rows: np.ndarray):
        return _draw_stage_work(
            site_ids[rows], site_type_index[rows], application_class[rows], capacity_kwp[rows], config, seed
        )

    return _per_seed(memo, ("stages", seed), config, site_ids, make)


def _operation_draws(site_ids: np.ndarray, operation: OperationConfig, horizon_days: float, seed: int):
    """The first draws of every site's ``operation`` stream, (sites, k), computed at once (None without failures):
    a site uses one for its first time to failure and two per failure (repair, next time to failure), so ``k``
    covers the mean number of failures over the horizon twice over; a site that needs more draws on from its
    stream (:class:`sim.rng.Draws`)."""
    if operation.inverter_mtbf_years is None or not len(site_ids):
        return None
    failures = horizon_days / years_to_days(operation.inverter_mtbf_years)
    return site_uniforms(seed, site_ids, "operation", 1 + 2 * math.ceil(2 * failures))


def village_key(sites: pd.DataFrame) -> pd.Series:
    """The village of each site for the Bass market: ``township`` and ``village`` of the sites layer together (a
    village name may repeat in two townships); where the layer has neither, every site is in one market."""
    parts = [
        sites[column].astype("string").fillna("") if column in sites.columns else pd.Series("", index=sites.index)
        for column in ("township", "village")
    ]
    return parts[0] + "\x1f" + parts[1]


def village_markets(
    site_table: pd.DataFrame, site_ids: np.ndarray, declines: np.ndarray, config: RolloutConfig, seed: int
) -> Adoption | None:
    """The Bass adoption state (None unless ``rollout.adoption.model = "bass"``): the village of each site of the
    Bass types, its unit-exponential draw ``-ln(1 - u)`` with ``u`` from the site's stream ``"adoption"``, and per
    village its market, the households of those types whose consent draw says they agree (``declines`` false)."""
    settings = config.adoption
    if settings.model != "bass":
        return None
    applies = site_table["site_type"].isin(settings.site_types).to_numpy()
    codes, _ = pd.factorize(village_key(site_table).where(applies, None), use_na_sentinel=True)
    village = np.where(applies, codes, -1).astype(np.int64)
    exposure = np.zeros(len(site_ids))
    for row in np.flatnonzero(applies):
        exposure[row] = -math.log1p(-site_rng(seed, site_ids[row], "adoption").random())
    market = np.bincount(village[applies & ~declines], minlength=int(village.max()) + 1)
    p_per_day, q_per_day = settings.p_per_year / DAYS_PER_YEAR, settings.q_per_year / DAYS_PER_YEAR
    return Adoption(
        village=village,
        exposure=exposure,
        villages=[VillageMarket(int(m), p_per_day, q_per_day) for m in market],
    )


class NamedResource(simpy.Resource):
    """A ``simpy.Resource`` that knows its name (the collector records by name)."""

    def __init__(self, env: simpy.Environment, capacity: int, name: str) -> None:
        super().__init__(env, capacity=capacity)
        self.name = name


def _make_resources(env, config: RolloutConfig) -> dict[str, NamedResource]:
    # a zero-capacity resource is never used (checked): capacity 1 keeps SimPy happy
    return {name: NamedResource(env, max(getattr(config, name), 1), name) for name in RESOURCES}


def _public_holidays(config: RolloutConfig, start: date, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Public holidays and weekend days (make-up working days excepted) of the run's days, as boolean masks."""
    last_year = (start + timedelta(days=n_days)).year
    if config.holidays_country is None:
        return np.zeros(n_days, dtype=bool), cal.weekend_mask(start, n_days)
    try:
        table = cal.public_holidays(config.holidays_country, config.holidays_subdivision, start.year, last_year)
    except ValueError:
        raise InputError(
            "the holidays package has no such subdivision of the country",
            field="rollout.holidays_subdivision",
            value=config.holidays_subdivision,
            allowed=f"a subdivision code of {config.holidays_country} or null",
        ) from None
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
            field="start_date",
            value=str(start),
            allowed="a shorter horizon, or rollout.calendar_enabled: false",
        )


def build_calendars(config: RolloutConfig, start: date, n_days: int, seed: int) -> dict[str, cal.WorkCalendar]:
    """The office, rooftop and outdoor work calendars of the run (the rain from the run-level weather stream).

    Offices keep the country's public holidays and weekends; construction keeps the Spring Festival shutdown (and
    weekends and holidays where the settings say so); outdoor work also stops in the frozen season and on rain."""
    _check_calendar_span(config, start, n_days)
    shutdown = np.zeros(n_days, dtype=bool)
    if config.spring_festival_shutdown:
        shutdown = cal.shutdown_mask(
            start, n_days, config.spring_festival_shutdown_days_before, config.spring_festival_shutdown_days_after
        )
    holiday, weekend = _public_holidays(config, start, n_days)
    frozen = cal.frozen_mask(
        start,
        n_days,
        cal.parse_month_day(config.frozen_season_start_month_day),
        cal.parse_month_day(config.frozen_season_end_month_day),
    )
    rain = cal.rain_mask(start, n_days, config.rain_day_percent_by_month, stream(seed, "rollout", "weather"))
    site_workable = (
        ~shutdown & ~(weekend & config.construction_weekends_off) & ~(holiday & config.construction_holidays_off)
    )
    return {
        "office": cal.WorkCalendar(~holiday & ~(weekend & config.office_weekends_off)),
        "rooftop": cal.WorkCalendar(site_workable),
        "outdoor": cal.WorkCalendar(site_workable & ~frozen & ~rain),
    }


def _stage_plans(config: RolloutConfig, resources: dict, calendars: dict | None) -> list[tuple[StagePlan, ...]]:
    """Per site type (index into SITE_TYPES): how each stage of STAGES runs."""
    plans = []
    for site_type in SITE_TYPES:
        row = []
        for stage, step in zip(STAGES, STAGE_STEPS):
            settings = config.stage(site_type, stage)
            row.append(
                StagePlan(
                    step=step,
                    resource=resources[settings.resource] if settings.resource else None,
                    calendar=_stage_calendar(calendars, config, site_type, stage),
                )
            )
        plans.append(tuple(row))
    return plans


def _stage_calendar(
    calendars: dict | None, config: RolloutConfig, site_type: str, stage: str
) -> cal.WorkCalendar | None:
    """Construction counts working days of the site (outdoor or rooftop), office stages those of the office, consent
    and procurement calendar days (None)."""
    if calendars is None:
        return None
    if stage == "construction":
        return calendars["outdoor" if site_type in config.outdoor_site_types else "rooftop"]
    if stage in OFFICE_STAGES:
        return calendars["office"]
    return None


def _draw_stage_work(
    site_ids: np.ndarray,
    site_type_index: np.ndarray,
    application_class: np.ndarray,
    capacity_kwp: np.ndarray,
    config: RolloutConfig,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Work [days or working days] of every stage of every site, the part of it its resource is held, whether the
    site fails the stage, and its rework (work, re-inspection fails), from the site's own uniforms (common random
    numbers): two per stage of STAGES, in order (its duration, then its success), then two for the rework."""
    n_sites, n_stages = len(site_ids), len(STAGES)
    uniforms = site_uniforms(seed, site_ids, "stages", 2 * n_stages + 2)  # site_rng(...).random(...) of each site
    work_days = np.empty((n_sites, n_stages))
    held_days = np.empty((n_sites, n_stages))
    fails = np.zeros((n_sites, n_stages), dtype=bool)
    rework = np.empty((n_sites, 2))
    for type_index in np.unique(site_type_index):
        rows = site_type_index == type_index
        site_type = SITE_TYPES[type_index]
        for k, stage in enumerate(STAGES):
            work_days[rows, k], held_days[rows, k] = stage_work_days(
                config, site_type, stage, application_class[rows], capacity_kwp[rows], uniforms[rows, 2 * k]
            )
            fails[rows, k] = uniforms[rows, 2 * k + 1] * 100.0 >= config.stage(site_type, stage).success_percent
        rework[rows, 0] = config.rework_days.ppf(uniforms[rows, 2 * n_stages])
        rework[rows, 1] = (
            uniforms[rows, 2 * n_stages + 1] * 100.0 >= config.stage(site_type, "acceptance").success_percent
        )
    return work_days, held_days, fails, rework


def _grid_state(
    site_table: pd.DataFrame,
    transformers: pd.DataFrame,
    config: RolloutConfig,
    seed: int,
    screens=None,
    memo: dict | None = None,
) -> tuple[GridState, np.ndarray]:
    """The transformers' hosting state, and the transformer index of each site. The lead time of each transformer's
    unplanned upgrade comes from its own uniform (``stream(seed, "transformer", transformer_id, "upgrade")``), so it does not
    depend on the strategy or on when the upgrade is requested. ``screens`` (:class:`sim.powerflow.Screens`, power
    flow only) gives each ``lv`` transformer its network screen and each site its bus."""
    position = pd.Series(np.arange(len(transformers.index)), index=transformers.index)
    transformer = position.loc[site_table["transformer_id"].to_numpy()].to_numpy(np.int64)
    limit_kw = transformers["hosting_limit_kw"].to_numpy(float).copy()
    share_percent = transformers["hosting_share_percent"].to_numpy(float)
    rating_kva = limit_kw / (share_percent / 100.0)  # without a rating column
    if "rating_kva" in transformers.columns:
        given = pd.to_numeric(transformers["rating_kva"], errors="coerce").to_numpy(float)
        rating_kva = np.where(np.isfinite(given), given, rating_kva)
    names = transformers.index.to_numpy()
    uniforms = _per_seed(
        memo,
        ("transformers", seed),
        transformers,
        names,
        lambda rows: (np.array([stream(seed, "transformer", str(t), "upgrade").random() for t in names[rows]]),),
    )[0]
    n = len(transformers.index)
    grid = GridState(
        free_kw=limit_kw,
        undisclosed_kw=np.zeros_like(limit_kw),
        rating_kva=rating_kva,
        share_percent=share_percent,
        pending_upgrades=np.zeros(n, dtype=np.int64),
        upgrade_scheduled=np.zeros(n, dtype=bool),
        lead_time_days=np.asarray(config.upgrade_lead_time.ppf(uniforms), dtype=float).reshape(n),
        when_full=config.hosting_when_full,
        upgrade_factor=config.upgrade_factor,
        cost_cny_per_kva=config.upgrade_cost_cny_per_kva,
        max_upgrades_per_year=config.max_upgrades_per_year,
        cost_cny_per_km=config.line_reinforcement_cost_cny_per_km,
    )
    if screens is not None:
        grid.screens = [screens.by_transformer.get(str(t)) for t in transformers.index]
        grid.site_bus = np.array([screens.bus_of_site.get(str(s), -1) for s in site_table.index], dtype=np.int64)
        ids = [str(t) for t in transformers.index]
        index_of = {t: k for k, t in enumerate(ids)}
        above = [screens.feeder_bus.get(t, ("", -1)) for t in ids]
        grid.feeder_of = np.array([index_of.get(mv, -1) for mv, _ in above], dtype=np.int64)
        grid.feeder_bus = np.array([bus for _, bus in above], dtype=np.int64)
        for t, mv in enumerate(grid.feeder_of):
            if mv >= 0:
                grid.on_feeders.setdefault(int(mv), []).append(t)
        level = transformers.get("connection_level", pd.Series("lv", index=transformers.index))
        grid.is_mv = level.astype(str).eq("mv").to_numpy()
        grid.mv_cost_cny_per_km = config.mv_line_reinforcement_cost_cny_per_km
    return grid, transformer


def _programmes(
    env, config: RolloutConfig, site_types: np.ndarray, start: date, pot_days: list[float]
) -> tuple[list[ProgrammeOffice], np.ndarray]:
    """The programme offices, one per track of :func:`sim.programme.tracks` (the whole programme without
    ``rollout.tracks``), in their order, and the office of each site (-1: its type is in no track)."""
    programme_tracks = _programme.tracks(config)
    programme_of = _programme.track_index(programme_tracks, site_types)
    programmes = [
        ProgrammeOffice(
            np.flatnonzero(programme_of == k),
            _make_budget(env, config, track.annual_budget_cny, track.carry_over, start.year, pot_days),
            track.target_capacity_kwp,
        )
        for k, track in enumerate(programme_tracks)
    ]
    return programmes, programme_of


def _make_budget(
    env, config: RolloutConfig, annual: float | None, carry_over: bool, first_year: int, pot_days: list[float]
) -> Budget | None:
    """The pot, holding the first year's budget; the others come on the later ``pot_days`` (None: money is no
    constraint)."""
    if annual is None:
        return None
    pot = simpy.Container(env, capacity=math.inf if carry_over else annual, init=annual)
    return Budget(
        pot=pot,
        annual_cny=annual,
        carry_over=carry_over,
        refill_days=pot_days[1:],
        max_fundable_cny=math.inf if carry_over else annual,
        pot_year=first_year,
    )


def planned_upgrades(transformers: pd.DataFrame, start: date, horizon_days: float) -> list[tuple[int, float, float]]:
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


def disclosure_days(start: date, horizon_days: float, interval_months: int) -> list[float]:
    """Days [since ``start``] on which the grid company publishes open hosting capacity: the first day of every
    ``interval_months``-th month of the calendar year (1 January, 1 April, ... for quarterly), before the horizon."""
    days: list[float] = []
    year, month = start.year, 1
    while True:
        d = cal.days_since(start, date(year, month, 1))
        if d >= horizon_days:
            return days
        if d > 0:
            days.append(d)
        month += interval_months
        if month > 12:
            year, month = year + 1, month - 12
