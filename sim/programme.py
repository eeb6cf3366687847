"""The programme as one description: read once from the scenario, used by the plans (:mod:`sim.planning`), the
SimPy rollout (:mod:`sim.rollout`), the accounting and the reports.

- :class:`Track`: one programme office's site types, strategy, yearly money (and carry-over rule) and capacity
  target. A scenario without ``rollout.tracks`` is one track holding every site type, with the programme's budget
  and target (:func:`tracks`).
- Each site's hosting quantity: the AC kW it asks of its transformer, ``capacity_kwp / system.dc_ac_ratio``
  (:func:`sim.grid.ac_capacity_kw`), computed once into the ``hosting_kw`` column of the prepared sites
  (:func:`with_hosting_kw`) and read by the rollout, the plans and the ``grid_headroom`` strategy.
- The expected wait for an unplanned transformer upgrade (:func:`upgrade_wait_days`).
- What one site asks of the programme, in expectation (:func:`site_expectations`): the chance that it passes each
  stage (consent, procurement, acceptance with one rework), the working days each shared resource spends on it
  (office effort by application class, :func:`sim.rollout.config.stage_work_days`, the rollout's own formula,
  averaged over the stage's duration distribution) and the elapsed days of its stages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._config import SITE_TYPES
from .grid import ac_capacity_kw
from .rollout.config import (
    APPLICATION_CLASSES,
    STAGES,
    RolloutConfig,
    application_classes,
    stage_work_days,
)
from .timebase import years_to_days

#: Name of the one track of a programme without ``rollout.tracks`` (it is never written as a track name).
WHOLE_PROGRAMME = ""

#: Quantile midpoints at which a duration distribution is evaluated for an expectation, E[f(D)] ~ mean f(ppf(u)).
EXPECTATION_QUANTILES = (np.arange(512) + 0.5) / 512

#: Resources that a site's stages hold (the O&M crews serve operation, not the rollout).
ROLLOUT_RESOURCES = ("crews", "surveyors", "reviewers", "inspectors")

#: Stages a released site goes through before it signs (the release pacing counts these sites).
PIPELINE_STAGES = ("consent", "survey_design", "filing", "grid_review")


@dataclass(frozen=True)
class Track:
    """One programme office: the site types it releases, its strategy (None: the run's), its yearly money (None:
    money is no constraint, ``release_mode`` other than ``budget``), whether unspent money is kept, and its
    capacity target [kWp] (None: none)."""

    name: str
    site_types: tuple[str, ...]
    strategy: str | None
    annual_budget_cny: float | None
    carry_over: bool
    target_capacity_kwp: float | None


def tracks(config: RolloutConfig) -> tuple[Track, ...]:
    """The programme's tracks, in the order of ``rollout.tracks`` (the order their offices start in); without
    tracks one track, :data:`WHOLE_PROGRAMME`, with every site type and the programme's budget and target."""
    budget_mode = config.release_mode == "budget"
    if not config.tracks:
        return (
            Track(
                WHOLE_PROGRAMME,
                tuple(SITE_TYPES),
                None,
                config.annual_budget_cny if budget_mode else None,
                config.budget_carry_over,
                config.target_capacity_kwp,
            ),
        )
    return tuple(
        Track(
            t.name,
            tuple(t.site_types),
            t.strategy,
            t.annual_budget_cny if budget_mode else None,
            config.budget_carry_over if t.budget_carry_over is None else t.budget_carry_over,
            t.target_capacity_kwp,
        )
        for t in config.tracks
    )


def target_kwp(config: RolloutConfig) -> float | None:
    """The programme's own capacity target [kWp]: its tracks' targets summed, or ``rollout.target_capacity_kwp``;
    None when it has none (the milestones then count the capacity released, :mod:`sim.rollout.observe`)."""
    targets = [t.target_capacity_kwp for t in tracks(config)]
    return None if any(t is None for t in targets) else float(sum(t for t in targets if t is not None))


def track_index(programme_tracks: tuple[Track, ...], site_types) -> np.ndarray:
    """Index into ``programme_tracks`` of each site's track (-1: its type is in no track, never released)."""
    site_types = np.asarray(site_types, dtype=object)
    out = np.full(len(site_types), -1, dtype=np.int64)
    for k, track in enumerate(programme_tracks):
        out[np.isin(site_types, track.site_types)] = k
    return out


def with_hosting_kw(sites: pd.DataFrame, dc_ac_ratio: float) -> pd.DataFrame:
    """A copy of ``sites`` with ``hosting_kw``: the AC capacity [kW] each asks of its transformer's hosting
    capacity, ``capacity_kwp / dc_ac_ratio``. The one place the hosting quantity is computed."""
    out = sites.copy()
    out["hosting_kw"] = ac_capacity_kw(out["capacity_kwp"].to_numpy(float), dc_ac_ratio)
    return out


@dataclass(frozen=True)
class SiteExpectations:
    """Per site (arrays in the order of the sites), what the rollout's rules make of it on average.

    ``p_consent``: the owner agrees; ``p_contract``: it signs (every stage before procurement passed);
    ``p_complete``: it is commissioned (acceptance passed, at the first inspection or after one rework);
    ``effort_days[resource]``: expected working days the resource spends on it, each stage weighted by the chance
    that the site reaches it; ``elapsed_days[stage]``: mean duration of each stage [working days for office
    stages and construction, calendar days for consent and procurement]; ``pipeline_days``: expected days the
    site counts against the release pacing (consent, then survey, filing and review if it consents) [calendar
    days, given the office's share of working days]."""

    p_consent: np.ndarray
    p_contract: np.ndarray
    p_complete: np.ndarray
    effort_days: dict[str, np.ndarray]
    elapsed_days: dict[str, np.ndarray]


def site_expectations(sites: pd.DataFrame, config: RolloutConfig) -> SiteExpectations:
    """:class:`SiteExpectations` of ``sites`` (``site_type``, ``capacity_kwp``, optionally ``connection_level`` and
    ``connection_points`` for the application class) under the rollout settings ``config``."""
    n = len(sites)
    types = sites["site_type"].astype(str).to_numpy()
    cap = sites["capacity_kwp"].to_numpy(float)
    klass = application_classes(sites)
    success = {stage: np.ones(n) for stage in STAGES}
    work = {stage: np.zeros(n) for stage in STAGES}
    held = {stage: np.zeros(n) for stage in STAGES}
    u = EXPECTATION_QUANTILES
    for site_type in sorted(set(types)):
        for c in range(len(APPLICATION_CLASSES)):
            rows = np.flatnonzero((types == site_type) & (klass == c))
            if rows.size == 0:
                continue
            for stage in STAGES:
                settings = config.stage(site_type, stage)
                extra = cap[rows] / config.productivity(site_type) if stage == "construction" else 0.0
                busy = settings.resource_busy_percent / 100.0
                if settings.duration is None:  # RolloutConfig.stage fills it in from the default stage
                    raise ValueError(f"stage {stage} of {site_type} has no duration")
                work[stage][rows] = settings.duration.mean + extra
                held[stage][rows] = (settings.duration.mean + extra) * busy
                if stage != "construction" and config.effort_days(site_type, stage, APPLICATION_CLASSES[c]) is not None:
                    # E[min(effort, D)]: the effort, at most the stage's duration, averaged over its distribution
                    _, h = stage_work_days(config, site_type, stage, np.full(u.size, c), np.zeros(u.size), u)
                    held[stage][rows] = h.mean()
                success[stage][rows] = settings.success_percent / 100.0
    reach = _reach_shares(success)
    effort = {r: np.zeros(n) for r in ROLLOUT_RESOURCES}
    for stage in STAGES:
        resource = _resource_of(config, types, stage)
        for r in ROLLOUT_RESOURCES:
            effort[r] += np.where(resource == r, held[stage] * reach[stage], 0.0)
    acceptance = success["acceptance"]
    p_complete = reach["acceptance"] * (acceptance + (1.0 - acceptance) * acceptance)
    # a failed first inspection costs a crew the rework and the inspector a second visit
    second = reach["acceptance"] * (1.0 - acceptance)
    effort["crews"] += second * config.rework_days.mean
    effort["inspectors"] += np.where(
        _resource_of(config, types, "acceptance") == "inspectors", held["acceptance"] * second, 0.0
    )
    return SiteExpectations(
        p_consent=success["consent"],
        p_contract=reach["procurement"],
        p_complete=p_complete,
        effort_days=effort,
        elapsed_days=work,
    )


def _reach_shares(success: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Chance that a released site starts each stage (it passed every earlier one)."""
    out, alive = {}, np.ones_like(next(iter(success.values())))
    for stage in STAGES:
        out[stage] = alive.copy()
        alive = alive * success[stage]
    return out


def _resource_of(config: RolloutConfig, types: np.ndarray, stage: str) -> np.ndarray:
    """The resource each site's ``stage`` holds ('' for none)."""
    by_type = {t: config.stage(t, stage).resource or "" for t in set(types)}
    return np.array([by_type[t] for t in types], dtype=object)


def upgrade_wait_days(config: RolloutConfig) -> float:
    """Expected days a site waits for the grid company's unplanned upgrade of its transformer, as the rollout's
    rules make it: the mean upgrade lead time (``upgrade_lead_time``), then half a disclosure interval on average
    until the added capacity is published (the office releases a site only where a disclosure shows room). The
    yearly limit on upgrades is not in it (it depends on how many transformers fill up)."""
    return float(config.upgrade_lead_time.mean) + 0.5 * years_to_days(config.disclosure_interval_months / 12.0)


#: Share of a target [%] below which a run says what held the track back.
TARGET_REACHED_PERCENT = 95.0


def held_back_by(track: Track, sites: pd.DataFrame, committed_cny: float, total_budget_cny: float | None) -> str | None:
    """Why a track built less than :data:`TARGET_REACHED_PERCENT` of its target (None when it did, or has none).

    ``sites``: the run's site table rows of the track's types (``status``, ``capacity_kwp``, ``capex_cny``);
    ``committed_cny``: what the track committed over the run, net of money returned; ``total_budget_cny``: what its
    pots held (None: money was no constraint). The first cause that holds, in this order: sites still in progress
    at the horizon; the money (what is left cannot fund the next site in the order); the order ran out (every
    site the strategy ordered was screened, and released or dropped for lack of hosting capacity: the strategy
    left the rest out, or there were no more eligible sites);
    otherwise the build window closed with sites not yet released."""
    target = track.target_capacity_kwp
    status = sites["status"].astype(str)
    cap = sites["capacity_kwp"].astype(float)
    built = float(cap[status.eq("operating")].sum())
    if target is None or built >= TARGET_REACHED_PERCENT / 100.0 * target:
        return None
    in_progress = float(cap[status.eq("in_progress")].sum())
    waiting = status.eq("not_released")
    if in_progress > 0 and built + in_progress >= TARGET_REACHED_PERCENT / 100.0 * target:
        return f"time: {in_progress:,.0f} kWp still in progress at the horizon"
    if total_budget_cny is not None and waiting.any():
        next_capex = float(sites.loc[waiting, "capex_cny"].min())
        if committed_cny + next_capex > total_budget_cny:
            return (
                f"budget: {committed_cny:,.0f} of {total_budget_cny:,.0f} committed, too little left for the "
                f"cheapest site not released ({next_capex:,.0f})"
            )
    if not waiting.any():
        left_out = status.eq("not_prioritised")
        dropped = float(cap[status.eq("dropped_hosting")].sum())
        hosting = f"; {dropped:,.0f} kWp dropped for lack of hosting capacity" if dropped else ""
        if left_out.any():
            return (
                f"strategy: it screened every site of its order; {int(left_out.sum()):,} eligible sites "
                f"({float(cap[left_out].sum()):,.0f} kWp) were left out of the order{hosting}"
            )
        return (
            f"sites: every eligible site was screened ({float(cap[status.ne('ineligible')].sum()):,.0f} kWp) and "
            f"released or held for lack of hosting capacity{hosting}"
        )
    return (
        f"build window: it closed with {int(waiting.sum()):,} sites ({float(cap[waiting].sum()):,.0f} kWp) not "
        "released (release pacing, budget pace or office queues)"
    )
