"""Plans: one mixed-integer programme of the whole programme, solved with HiGHS (``highspy``), deterministic.

:func:`plan` decides in which budget year (period) each site is released, or none, for the programme the scenario
describes (:mod:`sim.programme`): each track with its own site types, money (per year, with or without
carry-over) and capacity target, all tracks sharing the crews, the offices (surveyors, reviewers, inspectors),
the release pacing and the grid. Two strategies use it:

- ``optimal`` maximises the run's headline: CO2 avoided over the horizon (AMS-I.D on the scenario's grid-factor
  path), so that the plan is the best answer to the question the run reports on;
- ``multi_year_plan`` optimises ``planning.objective``: ``discounted_co2`` (default), ``energy`` or
  ``least_cost`` (to reach every track's target), optionally with the whole-county pilot's quotas.

Stopping rules (nothing depends on wall-clock time): HiGHS stops when the relative gap between the best solution and
the bound is at most ``planning.mip_rel_gap_percent`` (default 1 %) or after ``planning.node_limit`` branch-and-bound
nodes (default 1000), whichever comes first; one thread and a fixed random seed, so the same inputs give the same
plan on every machine and under any load. The achieved gap is returned in the :class:`Plan`'s :class:`Solution`
(``pvsim plan``, the run's ``optimisation`` summary, ``comparison.json``). Nothing is kept between calls.

Why ``highspy`` and not ``scipy.optimize.milp`` (the same HiGHS; considered for issue 20): ``milp`` takes only
``disp``, ``presolve``, ``time_limit``, ``node_limit`` and ``mip_rel_gap`` (SciPy 1.17). It cannot pass the LP
solution on as a MIP start (:func:`solve_binary` starts the full branch and bound from the fix-and-solve answer),
nor set HiGHS's ``threads`` and ``random_seed``, which make the plan the same on every machine. Row scaling and
the LP relaxation it could do. Switching would lose the
start and the pinned seed and threads, so the plan would no longer be guaranteed identical; the direct
``highspy`` model stays. The one cost is :func:`_new_highs`: ``highspy.Highs()`` prints its banner on stdout
before any option can be set (still in highspy 1.16), so the first one of a process is made with stdout sent to
the null device.

How the plan reads the rollout's rules (:mod:`sim.rollout`), and where it approximates them:

- Expectations, not draws: each site counts with its expected consent, signing and completion
  (:func:`sim.programme.site_expectations`). A track's target is met in expectation (planned capacity x chance of
  completion), so the plan over-releases by what declines and failures are expected to take; the office's
  target rule is kept: the planned capacity may cross the target by one last site per track. Money is charged
  as the capex expected to be committed (a site that declines gives its earmark back). The sites left out follow
  the planned ones in the order, so the office reaches them when more sites drop out than expected.
- Shared resources per period, in expected working days: a crew is busy with construction (set-up + capacity /
  productivity, and the rework of a failed acceptance); an office resource with the effort of the site's
  application class (:func:`sim.rollout.config.stage_work_days`, the rollout's own formula), each weighted by the
  chance the site reaches the stage; loads are stretched by the share of workable days of the period (Spring
  Festival shutdown, weekends when set, and for outdoor types the frozen season and the expected rainy days); a
  resource offers ``count x calendar days``. The release pacing (``max_sites_in_pipeline``) offers
  ``max_sites_in_pipeline x days`` site-days; a site uses its expected days between release and contract.
- Hosting in AC kW (``hosting_kw``, :func:`sim.programme.with_hosting_kw`), the quantity the grid company screens:
  PV planned on a transformer up to a period stays within its hosting limit plus the planned upgrades in service
  by the period's start. With ``hosting_when_full: wait_upgrade`` a site may instead be planned to wait for the
  grid company's one unplanned upgrade of its transformer (the rollout schedules it when the office first holds a
  site there): its output then starts :func:`sim.programme.upgrade_wait_days` later.
- Timing: a site released in a period is commissioned at the middle of the period plus its expected lead time
  (the mean of each stage's duration, working-day stages stretched by the share of workable days); its yearly
  CO2 (or energy) then counts, degraded (and for ``discounted_co2`` discounted), until the horizon. Queueing
  within a year is not modelled beyond the resource limits.
- A track that names its own strategy is ordered by it (:func:`sim.pipeline.release_order`); the plan still
  counts it against the shared resources as if it followed the plan.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field
from scipy import sparse

from . import powerflow
from . import programme as _programme
from ._config import PILOT_TARGETS_PERCENT, StrictModel
from .economics import discount_factor
from .energy import degradation_factor
from .errors import InputError
from .programme import PIPELINE_STAGES, SiteExpectations, Track, site_expectations, track_index, tracks
from .rollout import calendar as cal
from .rollout.config import OFFICE_STAGES, STAGES, RolloutConfig, budget_pot_days, build_window_end_day
from .timebase import days_to_years

OFFICE_RESOURCES = ("surveyors", "reviewers", "inspectors")

Objective = Literal["discounted_co2", "energy", "least_cost"]


class PlanningConfig(StrictModel):
    """Settings of the optimising strategies ``optimal`` and ``multi_year_plan`` (scenario section ``planning``)."""

    objective: Objective = Field(
        "discounted_co2",
        description="what multi_year_plan optimises: discounted_co2 (CO2 avoided over the horizon, "
        "discounted at economics.discount_rate_percent), energy (MWh over the horizon) or least_cost (capex to "
        "reach every track's target, rollout.target_capacity_kwp without tracks); optimal always maximises CO2 "
        "avoided over the horizon",
    )
    pilot_quotas: bool = Field(
        False,
        description="multi_year_plan builds at least the whole-county pilot's share of roofs of each category "
        "(sim/tables/pilot_targets.csv)",
    )
    mip_rel_gap_percent: float = Field(
        1.0,
        gt=0,
        le=100,
        allow_inf_nan=False,
        description="the solver stops when its solution is within this share of the bound (relative MIP gap)",
    )
    node_limit: int = Field(
        1000,
        ge=1,
        description="the solver stops after this many branch-and-bound nodes (count; no time limit, so "
        "plans do not depend on the machine's speed)",
    )


@dataclass(frozen=True)
class Solution:
    """How a programme was solved: status, objective and bound, achieved relative gap [%], nodes, seconds."""

    status: str
    objective: float
    bound: float
    gap_percent: float
    nodes: int
    seconds: float
    variables: int
    constraints: int

    def record(self) -> dict:
        """Everything but the seconds (which depend on the machine): for summary.json and comparison.json."""
        return {k: v for k, v in self.__dict__.items() if k != "seconds"}

    def line(self, name: str) -> str:
        seconds = "" if math.isnan(self.seconds) else f", {self.seconds:.1f} s"
        return (
            f"{name}: {self.status}, gap {self.gap_percent:.3f} % after {self.nodes} node(s) "
            f"({self.variables:,} variables, {self.constraints:,} constraints{seconds})"
        )


@dataclass
class Plan:
    """A solved programme: the release order, the period of each planned site (and whether it is planned to wait
    for an upgrade, and its track), a table per track and period, how it was solved and what it optimised."""

    order: list[str]
    period_of_site: pd.Series
    periods: pd.DataFrame
    solution: Solution
    objective: str
    waits_for_upgrade: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    tracks: tuple = ()
    track_of_site: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))


class PlanInfeasible(InputError):
    """No plan meets every constraint; the message names the binding one."""


# --------------------------------------------------------------------------------------------- solver


def solve_binary(
    cost: np.ndarray,
    matrix: sparse.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    config: PlanningConfig,
    *,
    integer: bool = True,
    continuous: np.ndarray | None = None,
    cache_dir: str | Path | None = None,
) -> tuple[np.ndarray | None, Solution]:
    """Minimise ``cost @ x`` over binary ``x`` (``integer=False``: its relaxation, x in [0, 1]; ``continuous``:
    a mask of variables that are real and >= 0 instead) with ``row_lower <= matrix @ x <= row_upper``. Returns
    ``x`` (None if infeasible; binaries as 0/1) and the :class:`Solution`.

    LP first, then fix and solve: the relaxation gives a bound on the objective; the variables it leaves
    fractional form a small MIP with the others fixed at their LP values; if that MIP's solution is within
    ``planning.mip_rel_gap_percent`` of the LP bound it is returned (a proven gap, as a full branch and bound would
    stop there too), otherwise the whole MIP is solved from it. HiGHS runs on one thread with a fixed seed and
    only gap and node limits, so the answer never depends on the machine.

    ``cache_dir``: a found solution is kept there, keyed by every input of the solve (:func:`solve_key`), and
    read back instead of solving again (its ``seconds`` NaN: no solve was timed)."""
    real = np.zeros(len(cost), bool) if continuous is None else np.asarray(continuous, bool)
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"solve_{solve_key(cost, matrix, row_lower, row_upper, config, integer, real)}.npz"
        cached = _read_solve(path)
        if cached is not None:
            return cached
    x, solution = _solve_binary(cost, matrix, row_lower, row_upper, config, integer, real)
    if path is not None and x is not None:
        _write_solve(path, x, solution)
    return x, solution


def solve_key(cost, matrix, row_lower, row_upper, config: PlanningConfig, integer: bool, real: np.ndarray) -> str:
    """sha256 (24 hex digits) of everything a solve's answer depends on: the model's arrays (the matrix in
    canonical CSR form), the planning settings, this module's code and the versions of highspy, numpy and scipy."""
    from .provenance import files_sha256, package_versions

    h = hashlib.sha256(files_sha256([Path(__file__)], package_versions(("highspy", "numpy", "scipy"))).encode())
    rows = sparse.csr_matrix(matrix, dtype=float)
    rows.sum_duplicates()
    rows.sort_indices()
    for part in (cost, rows.data, rows.indices, rows.indptr, row_lower, row_upper, real):
        h.update(np.ascontiguousarray(part).tobytes())
    h.update(f"{rows.shape}|{integer}|{config.model_dump_json()}".encode())
    return h.hexdigest()[:24]


def _read_solve(path: Path) -> tuple[np.ndarray, Solution] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            x, record = data["x"], json.loads(str(data["solution"]))
        return x, Solution(**{**record, "seconds": math.nan})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_solve(path: Path, x: np.ndarray, solution: Solution) -> None:
    from ._io import atomic_write

    buffer = io.BytesIO()
    np.savez(buffer, x=x, solution=np.array(json.dumps(solution.record())))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, buffer.getvalue())


def _solve_binary(
    cost, matrix, row_lower, row_upper, config: PlanningConfig, integer: bool, real: np.ndarray
) -> tuple[np.ndarray | None, Solution]:
    """:func:`solve_binary` without the cache."""
    relaxed, lp = _solve(cost, matrix, row_lower, row_upper, config, integer=False, continuous=real)
    if not integer or relaxed is None:
        return relaxed, lp
    lower = np.where(real, 0.0, np.where(relaxed >= 1 - 1e-7, 1.0, 0.0))
    upper = np.where(real, np.inf, np.where(relaxed <= 1e-7, 0.0, 1.0))
    x, sub = _solve(cost, matrix, row_lower, row_upper, config, col_lower=lower, col_upper=upper, continuous=real)
    if x is not None:
        gap = _gap_percent(float(np.dot(cost, x)), lp.objective)
        if gap <= config.mip_rel_gap_percent:
            return x, Solution(
                status=f"{sub.status} (LP bound, {int(((upper > lower) & ~real).sum())} variables left "
                "fractional solved as a MIP)",
                objective=float(np.dot(cost, x)),
                bound=lp.objective,
                gap_percent=gap,
                nodes=sub.nodes,
                seconds=lp.seconds + sub.seconds,
                variables=sub.variables,
                constraints=sub.constraints,
            )
    full, solution = _solve(cost, matrix, row_lower, row_upper, config, start=x, continuous=real)
    return full, Solution(**{**solution.__dict__, "seconds": solution.seconds + lp.seconds + sub.seconds})


def _gap_percent(objective: float, bound: float) -> float:
    """Relative gap of a minimisation [%], as HiGHS states it: (objective - bound) / |objective|."""
    return 100.0 * max(objective - bound, 0.0) / max(abs(objective), 1e-9)


def _solve(
    cost,
    matrix,
    row_lower,
    row_upper,
    config: PlanningConfig,
    *,
    integer: bool = True,
    col_lower: np.ndarray | None = None,
    col_upper: np.ndarray | None = None,
    start: np.ndarray | None = None,
    continuous: np.ndarray | None = None,
) -> tuple[np.ndarray | None, Solution]:
    """One HiGHS solve of the programme (rows scaled by their largest coefficient: money in CNY beside
    site counts makes the matrix badly scaled otherwise)."""
    import highspy

    rows = sparse.csr_matrix(matrix)
    scale = np.maximum(abs(rows).max(axis=1).toarray().ravel(), 1e-12) if rows.shape[0] else np.ones(0)
    a = sparse.csc_matrix(sparse.diags(1.0 / scale) @ rows)
    n, m = a.shape[1], a.shape[0]
    h = _new_highs()
    for key, value in (
        ("output_flag", False),
        ("threads", 1),
        ("random_seed", 0),
        ("mip_rel_gap", config.mip_rel_gap_percent / 100.0),
        ("mip_max_nodes", config.node_limit),
    ):
        h.setOptionValue(key, value)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.asarray(cost, dtype=float)
    real = np.zeros(n, bool) if continuous is None else continuous
    inf = highspy.kHighsInf
    lp.col_lower_ = np.zeros(n) if col_lower is None else col_lower
    lp.col_upper_ = np.where(real, inf, 1.0) if col_upper is None else np.where(np.isfinite(col_upper), col_upper, inf)
    lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower / scale, -inf).astype(float)
    lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper / scale, inf).astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data.astype(float)
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kContinuous if r else highspy.HighsVarType.kInteger for r in real]
    h.passModel(lp)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = np.asarray(start, dtype=float)
        solution.value_valid = True
        h.setSolution(solution)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    x = None
    if info.primal_solution_status == 2:  # feasible solution found
        x = np.asarray(h.getSolution().col_value, dtype=float)
        x = np.where(real, x, x > 0.5) if integer else x
    gap = (float(info.mip_gap) * 100.0 if integer else 0.0) if x is not None else math.nan
    bound = float(info.mip_dual_bound) if integer else float(info.objective_function_value)
    return x, Solution(
        status=status,
        objective=float(info.objective_function_value),
        bound=bound,
        gap_percent=gap,
        nodes=int(info.mip_node_count) if integer else 0,
        seconds=seconds,
        variables=n,
        constraints=m,
    )


_BANNER_HIDDEN = False


def _new_highs():
    """A ``highspy.Highs``; the first one of a process is made with stdout (the file descriptor) sent to the null
    device, because HiGHS prints its banner there before any option can be set."""
    import highspy

    global _BANNER_HIDDEN
    if _BANNER_HIDDEN:
        return highspy.Highs()
    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    _BANNER_HIDDEN = True
    return h


# --------------------------------------------------------------------------------------------- the programme


@dataclass(frozen=True)
class PlanInputs:
    """What a plan needs besides the sites (all from the scenario and the prepared grid)."""

    rollout: RolloutConfig
    start_date: date
    horizon_years: int
    discount_rate: float
    degradation_first_year_percent: float
    degradation_percent_per_year: float
    transformers: pd.DataFrame
    candidate_roofs: dict[str, int] = field(default_factory=dict)
    config: PlanningConfig = field(default_factory=PlanningConfig)
    factor_by_year: tuple[float, ...] = ()
    """The grid factor credited in each horizon year [kgCO2/kWh] (the scenario's path); empty: constant."""
    output_per_kw_ac: np.ndarray | None = None
    """Hourly AC output [kWh per kW AC] of one year of the county's PV (capacity-weighted over the candidate
    sites): what curtailment under the transformers' export limits is estimated from (None: not estimated)."""
    screens: powerflow.Screens | None = None
    """The networks' power-flow screens (``grid.hosting_method: power_flow``), held as linear limits
    (:func:`_network_rows`); None under the rule."""
    cache_dir: Path | None = None
    """Where solves are kept and read back (:func:`solve_binary`; None: solved every time). Not a setting: the plan
    is the same either way."""

    @classmethod
    def from_scenario(
        cls,
        scenario,
        transformers: pd.DataFrame,
        candidate_roofs: dict[str, int],
        output_per_kw_ac: np.ndarray | None = None,
        screens: powerflow.Screens | None = None,
        cache_dir: str | Path | None = None,
    ) -> PlanInputs:
        from .carbon import resolve_factor

        years = np.arange(scenario.start_date.year, scenario.start_date.year + scenario.horizon_years)
        return cls(
            rollout=scenario.rollout,
            start_date=scenario.start_date,
            horizon_years=scenario.horizon_years,
            discount_rate=scenario.economics.discount_rate,
            degradation_first_year_percent=scenario.operation.degradation_first_year_percent,
            degradation_percent_per_year=scenario.operation.degradation_percent_per_year,
            transformers=transformers,
            candidate_roofs=dict(candidate_roofs),
            config=scenario.planning,
            factor_by_year=tuple(float(f) for f in resolve_factor(scenario.carbon).by_year(years)),
            output_per_kw_ac=output_per_kw_ac,
            screens=screens,
            cache_dir=None if cache_dir is None else Path(cache_dir),
        )


def plan_periods(rollout: RolloutConfig, start_date: date, horizon_years: int) -> pd.DataFrame:
    """The plan's periods: the budget years of :func:`sim.rollout.budget_pot_days` (the start, then every 1 January
    before the build window closes), with ``start_day, end_day, days`` and ``start_date``."""
    starts = budget_pot_days(start_date, rollout.build_window_years, horizon_years)
    end = build_window_end_day(start_date, rollout.build_window_years, horizon_years)
    ends = [*starts[1:], end]
    frame = pd.DataFrame({"period": range(len(starts)), "start_day": starts, "end_day": ends})
    frame["days"] = frame["end_day"] - frame["start_day"]
    frame["start_date"] = [(pd.Timestamp(start_date) + pd.Timedelta(days=d)).date().isoformat() for d in starts]
    return frame


def workable_shares(rollout: RolloutConfig, start_date: date, periods: pd.DataFrame) -> dict[str, np.ndarray]:
    """Share of the days of each period on which ``office`` stages, ``rooftop`` construction and ``outdoor``
    construction progress (expected share for rain), from the rollout's work calendar."""
    n = math.ceil(periods["end_day"].iloc[-1])
    ones = np.ones(n, dtype=float)
    if not rollout.calendar_enabled:
        office = rooftop = outdoor = ones
    else:
        start = cal.as_date(start_date)
        shut = cal.shutdown_mask(
            start, n, rollout.spring_festival_shutdown_days_before, rollout.spring_festival_shutdown_days_after
        )
        weekend = cal.weekend_mask(start, n)
        office = (~shut & ~(weekend & rollout.office_weekends_off)).astype(float)
        rooftop = (~shut & ~(weekend & rollout.construction_weekends_off)).astype(float)
        frozen = cal.frozen_mask(
            start,
            n,
            cal.parse_month_day(rollout.frozen_season_start_month_day),
            cal.parse_month_day(rollout.frozen_season_end_month_day),
        )
        months = cal.day_dates(start, n).astype("datetime64[M]").astype(int) % 12
        dry = 1.0 - np.asarray(rollout.rain_day_percent_by_month, dtype=float)[months] / 100.0
        outdoor = rooftop * ~frozen * dry
    out = {}
    for name, mask in (("office", office), ("rooftop", rooftop), ("outdoor", outdoor)):
        out[name] = np.array(
            [max(mask[int(a) : math.ceil(b)].mean(), 1e-6) for a, b in zip(periods["start_day"], periods["end_day"])]
        )
    return out


@dataclass(frozen=True)
class _Model:
    """The programme as the MILP sees it: the sites' tracks and expectations, the periods and the calendar."""

    sites: pd.DataFrame
    inputs: PlanInputs
    tracks: tuple[Track, ...]
    track_of: np.ndarray  # index into tracks per site (-1: never released)
    expect: SiteExpectations
    periods: pd.DataFrame
    shares: dict[str, np.ndarray]  # workable share per period: office, rooftop, outdoor
    outdoor: np.ndarray  # per site: construction stops in the frozen season and on rainy days
    waiting: np.ndarray  # per site: may be planned to wait for an unplanned upgrade of its transformer

    @property
    def n_sites(self) -> int:
        return len(self.sites)

    @property
    def n_periods(self) -> int:
        return len(self.periods)


def _model(sites: pd.DataFrame, inputs: PlanInputs) -> _Model:
    if "hosting_kw" not in sites.columns:
        raise InputError(
            "a plan needs each site's AC hosting capacity (sim.programme.with_hosting_kw)",
            field="sites.hosting_kw",
            allowed="the sites of sim.prepare (Prepared.eligible)",
        )
    periods = plan_periods(inputs.rollout, inputs.start_date, inputs.horizon_years)
    programme_tracks = tracks(inputs.rollout)
    base = _model_parts(sites, inputs, programme_tracks, periods)
    return _Model(sites=sites, inputs=inputs, tracks=programme_tracks, periods=periods, **base)


def _model_parts(sites, inputs: PlanInputs, programme_tracks, periods) -> dict:
    avail = _hosting_available(inputs, periods)
    tids = sites["transformer_id"].astype(str)
    demand = sites["hosting_kw"].groupby(tids).sum()
    full = demand > avail["base"].reindex(demand.index).min(axis=1).fillna(np.inf)
    waiting = tids.map(full).fillna(False).to_numpy(bool) & (inputs.rollout.hosting_when_full == "wait_upgrade")
    return {
        "track_of": track_index(programme_tracks, sites["site_type"].astype(str).to_numpy()),
        "expect": site_expectations(sites, inputs.rollout),
        "shares": workable_shares(inputs.rollout, inputs.start_date, periods),
        "outdoor": sites["site_type"].isin(inputs.rollout.outdoor_site_types).to_numpy(),
        "waiting": waiting,
    }


def stage_calendar_days(model: _Model) -> dict[str, np.ndarray]:
    """Expected elapsed calendar days of each stage of each site: the mean duration, working-day stages stretched
    by the share of workable days over the build window (office stages by the office calendar, construction by the
    site's)."""
    days = model.expect.elapsed_days
    if not model.inputs.rollout.calendar_enabled:
        return dict(days)
    weights = model.periods["days"]
    office = 1.0 / float(np.average(model.shares["office"], weights=weights))
    build = np.where(
        model.outdoor,
        1.0 / float(np.average(model.shares["outdoor"], weights=weights)),
        1.0 / float(np.average(model.shares["rooftop"], weights=weights)),
    )
    return {
        stage: days[stage] * (office if stage in OFFICE_STAGES else build if stage == "construction" else 1.0)
        for stage in days
    }


def lead_days(model: _Model) -> np.ndarray:
    """Expected days from release to commissioning of each site [calendar days]: the sum of
    :func:`stage_calendar_days`."""
    return sum(stage_calendar_days(model).values(), np.zeros(len(model.sites)))


def pipeline_days(model: _Model) -> np.ndarray:
    """Expected calendar days each released site counts against the release pacing: its consent, then (if it
    consents) survey, filing and grid review."""
    days = stage_calendar_days(model)
    later = sum(days[stage] for stage in PIPELINE_STAGES if stage != "consent")
    return days["consent"] + model.expect.p_consent * later


def _days_to_stage(model: _Model) -> dict[str, np.ndarray]:
    """Expected calendar days from release to the start of each stage."""
    out, elapsed = {}, np.zeros(model.n_sites)
    for stage, days in stage_calendar_days(model).items():
        out[stage] = elapsed
        elapsed = elapsed + days
    return out


def value_weights(
    lead_days: np.ndarray, periods: pd.DataFrame, inputs: PlanInputs, discount: bool, factor: bool = False
) -> np.ndarray:
    """(sites x periods): the years of output a site released in a period yields within the horizon, degraded and
    (``discount``) discounted and (``factor``) weighted by the grid factor of each year relative to the first:
    sum over horizon years k of the operating share of year k x degradation x (1 + r)^-k x EF_k / EF_0, with
    commissioning at the period's middle plus the site's lead time."""
    mid = 0.5 * (periods["start_day"].to_numpy() + periods["end_day"].to_numpy())
    commission = days_to_years(mid[None, :] + lead_days[:, None])  # years since start
    years = np.arange(inputs.horizon_years, dtype=float)
    share = np.clip(years[None, None, :] + 1.0 - commission[:, :, None], 0.0, 1.0)
    age = np.maximum(years[None, None, :] - commission[:, :, None], 0.0)
    degradation = degradation_factor(age, inputs.degradation_first_year_percent, inputs.degradation_percent_per_year)
    rate = inputs.discount_rate if discount else 0.0
    ratio = np.ones(len(years))
    if factor and inputs.factor_by_year:
        ef = np.asarray(inputs.factor_by_year, dtype=float)[: len(years)]
        ratio = ef / ef[0]
    return (share * degradation * discount_factor(years, rate) * ratio).sum(axis=2)


# --------------------------------------------------------------------------------------------- constraints
#
# Variables, in this order: x[s, p] (site s released in period p, s * P + p), w[s, p] (released in p after
# waiting for an unplanned upgrade of its transformer; only for the sites on transformers whose hosting can
# bind) and, with a capacity target and an objective other than least_cost, z[s] (s is its track's
# last site, the one that may cross the target).


@dataclass
class _Rows:
    """Constraint rows of one family (``budget``, ``crews``, ``hosting``...): ``matrix @ v`` in [lower, upper]."""

    family: str
    matrix: sparse.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    requirement: bool = False  # a target to reach (capacity target, quotas), not a limit
    track: str | None = None


class _Layout:
    """Column positions of the variables: x (site x period), then w for the sites that may wait for an upgrade
    (``waiting``; site x period), then z (one per site) when there is a target to cross, then y (real, one per
    transformer whose export limit can bind: its estimated curtailment)."""

    def __init__(self, n_sites: int, n_periods: int, waiting: np.ndarray, crossing: bool, n_y: int = 0) -> None:
        self.n_sites, self.n_periods = n_sites, n_periods
        self.wait_idx = np.flatnonzero(waiting)
        self.n_x = n_sites * n_periods
        self.n_w = len(self.wait_idx) * n_periods
        self.z0 = self.n_x + self.n_w
        self.y0 = self.z0 + (n_sites if crossing else 0)
        self.n = self.y0 + n_y

    def released(self, coef: np.ndarray, cumulative: bool = False, waiting: bool = True) -> sparse.csr_matrix:
        """Rows per period over x (and w): row p sums ``coef[s] (x[s, p] + w[s, p])`` (or over p' <= p)."""
        coef = np.asarray(coef)
        parts = [(coef, 0)] + ([(coef[self.wait_idx], self.n_x)] if waiting else [])
        starts = [(offset + np.flatnonzero(c) * self.n_periods, c[c != 0]) for c, offset in parts]
        rows = [_period_row(first, c, p, cumulative) for p in range(self.n_periods) for first, c in starts]
        return _csr_rows(rows, len(parts), self.n_periods, self.n)

    def per_site(self, coef: np.ndarray) -> sparse.csr_matrix:
        """One row: sum over s, p of ``coef[s] (x[s, p] + w[s, p])``."""
        coef = np.asarray(coef, float)
        return _csr_rows([self.per_site_entries(coef)], 1, 1, self.n)

    def per_site_entries(self, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The columns and values of :meth:`per_site`'s row (its non-zero entries, in column order)."""
        dense = np.concatenate([np.repeat(coef, self.n_periods), np.repeat(coef[self.wait_idx], self.n_periods)])
        columns = np.flatnonzero(dense)
        return columns, dense[columns]

    def each_site(self) -> sparse.csr_matrix:
        """One row per site: ``sum_p x[s, p] + w[s, p]`` (1 if the site is released)."""
        ones = np.ones((1, self.n_periods))
        x = sparse.kron(sparse.eye(self.n_sites), ones)
        w = sparse.kron(sparse.eye(self.n_sites, format="csr")[:, self.wait_idx], ones)
        return self.pad(sparse.hstack([x, w]))

    def site_period(self, coef: np.ndarray) -> sparse.csr_matrix:
        """Rows per period: ``sum_s coef[s, p] (x[s, p] + w[s, p])`` for a (site x period) coefficient."""
        n, P = self.n_sites, self.n_periods
        x = sparse.csr_matrix((coef.ravel(), (np.tile(np.arange(P), n), np.arange(self.n_x))), shape=(P, self.n_x))
        cw = coef[self.wait_idx]
        w = sparse.csr_matrix(
            (cw.ravel(), (np.tile(np.arange(P), len(self.wait_idx)), np.arange(self.n_w))), shape=(P, self.n_w)
        )
        return self.pad(sparse.hstack([x, w]))

    def pad(self, matrix) -> sparse.csr_matrix:
        return sparse.hstack([matrix, sparse.csr_matrix((matrix.shape[0], self.n - matrix.shape[1]))]).tocsr()


def _period_row(first: np.ndarray, coef: np.ndarray, period: int, cumulative: bool) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of row ``period`` over variables ``v[s, p]`` (column ``first[s] + p``): ``coef[s]
    v[s, period]`` (or over ``p <= period`` when ``cumulative``), in column order."""
    periods = np.arange(period + 1) if cumulative else np.array([period])
    return (first[:, None] + periods[None, :]).ravel(), np.repeat(coef, len(periods))


def _csr_rows(parts: list[tuple[np.ndarray, np.ndarray]], per_row: int, n_rows: int, n_cols: int) -> sparse.csr_matrix:
    """A CSR matrix from the (columns, values) of its rows, ``per_row`` consecutive parts each (their columns
    ascending across the parts of a row): the canonical form, as scipy builds it from the same entries."""
    counts = np.array([len(c) for c, _ in parts], dtype=np.int64).reshape(n_rows, per_row).sum(axis=1)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    columns = np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, np.int64)
    values = np.concatenate([v for _, v in parts]).astype(float, copy=False) if parts else np.zeros(0)
    return sparse.csr_matrix((values, columns, indptr), shape=(n_rows, n_cols))


def _hosting_available(inputs: PlanInputs, periods: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """AC hosting capacity [kW] per transformer (rows) for sites released in each period (columns): ``base`` (the
    limit plus the planned upgrades in service by the period's start) and ``upgrade`` (what the grid company's one
    unplanned upgrade adds, ``rating x (upgrade_factor - 1) x share``; 0 with ``hosting_when_full: drop``)."""
    t = inputs.transformers
    base = t["hosting_limit_kw"].astype(float).to_numpy()
    share = t["hosting_share_percent"].astype(float).to_numpy() / 100.0
    start = pd.Timestamp(inputs.start_date)
    planned_day = (
        (pd.to_datetime(t["planned_upgrade_date"]) - start).dt.days.to_numpy(float)
        if "planned_upgrade_date" in t
        else np.full(len(t), np.nan)
    )
    planned_kw = (
        t.get("planned_upgrade_kva", pd.Series(0.0, index=t.index)).astype(float).fillna(0.0).to_numpy() * share
    )
    rating = t["rating_kva"].astype(float).to_numpy() if "rating_kva" in t else base / share
    unplanned = rating * (inputs.rollout.upgrade_factor - 1.0) * share
    if inputs.rollout.hosting_when_full != "wait_upgrade":
        unplanned = np.zeros(len(t))
    index = t.index.astype(str)
    frame = {
        p: base + np.where(np.nan_to_num(planned_day, nan=np.inf) <= day, planned_kw, 0.0)
        for p, day in zip(periods["period"], periods["start_day"])
    }
    return {
        "base": pd.DataFrame(frame, index=index),
        "upgrade": pd.DataFrame({p: unplanned for p in periods["period"]}, index=index),
    }


def _hosting_rows(model: _Model, layout: _Layout) -> list[_Rows]:
    """Per transformer whose hosting can bind and period: the AC kW planned on it up to the period within its
    base capacity (sites planned to wait count against the base plus the unplanned upgrade)."""
    avail = _hosting_available(model.inputs, model.periods)
    kw = model.sites["hosting_kw"].to_numpy(float)
    tids = model.sites["transformer_id"].astype(str).to_numpy()
    out = []
    for tid in sorted(set(tids)):
        mask = tids == tid
        base = (
            avail["base"].loc[tid].to_numpy(float) if tid in avail["base"].index else np.full(layout.n_periods, np.inf)
        )
        if kw[mask].sum() <= base.min():
            continue  # cannot bind
        coef = np.where(mask, kw, 0.0)
        out.append(
            _Rows(
                "hosting",
                layout.released(coef, cumulative=True, waiting=False),
                np.full(layout.n_periods, -np.inf),
                base,
            )
        )
        upgrade = avail["upgrade"].loc[tid].to_numpy(float)
        out.append(
            _Rows("hosting", layout.released(coef, cumulative=True), np.full(layout.n_periods, -np.inf), base + upgrade)
        )
    return out


def _network_rows(model: _Model, layout: _Layout) -> list[_Rows]:
    """Under the power-flow method, the rollout's network screens as linear limits (:func:`sim.powerflow.plan_rows`):
    for each network, at its buses and cables nearest their limit, the voltage rise or export the released sites
    add there within the margin (each site released once, so one row over all periods: the limit of the last). The
    upgrades and reinforcements the grid company may make are not counted."""
    screens = model.inputs.screens
    if screens is None:
        return []
    rows = powerflow.plan_rows(
        screens,
        model.sites.index,
        model.sites["transformer_id"].astype(str).to_numpy(),
        model.sites["hosting_kw"].to_numpy(float),
    )
    out = []
    for row in rows:
        coef = np.zeros(model.n_sites)
        coef[row.sites] = row.coef
        out.append(_Rows("networks", layout.per_site(coef), np.array([-np.inf]), np.array([row.upper])))
    return out


def _budget_rows(model: _Model, layout: _Layout) -> list[_Rows]:
    """Per track with money and period: the capex its planned sites are expected to commit (a site that declines
    gives its earmark back) within the year's budget, or with carry-over within the budgets so far."""
    out = []
    capex = model.sites["capex_cny"].to_numpy(float) * model.expect.p_contract
    for k, track in enumerate(model.tracks):
        if track.annual_budget_cny is None:
            continue
        coef = np.where(model.track_of == k, capex, 0.0)
        budget = track.annual_budget_cny * (
            np.arange(1, layout.n_periods + 1) if track.carry_over else np.ones(layout.n_periods)
        )
        out.append(
            _Rows(
                "budget",
                layout.released(coef, cumulative=track.carry_over),
                np.full(layout.n_periods, -np.inf),
                budget,
                track=track.name,
            )
        )
    return out


def _resource_rows(model: _Model, layout: _Layout) -> list[_Rows]:
    """Per shared resource and period: the expected working days planned sites need of it, stretched by the share
    of workable days of the period, within ``count x days``; and the release pacing, ``max_sites_in_pipeline x
    days`` site-days of the pipeline. Work that comes a while after release falls partly into the next period:
    releases spread evenly over a period of ``L`` days put the work of a stage starting ``d`` days after release
    into the next period with share ``min(d / L, 1)``, and of a pipeline stay of ``D`` days the share
    ``min(D / 2L, 1)``."""
    rollout, days = model.inputs.rollout, model.periods["days"].to_numpy(float)
    to_stage = _days_to_stage(model)
    out = []
    for resource in ("crews", *OFFICE_RESOURCES):
        load = model.expect.effort_days[resource]
        if not load.any():
            continue
        if resource == "crews":
            stretch = np.where(
                model.outdoor[:, None], 1 / model.shares["outdoor"][None, :], 1 / model.shares["rooftop"][None, :]
            )
            delay = to_stage["construction"]
        else:
            stretch = np.broadcast_to(1 / model.shares["office"][None, :], (layout.n_sites, layout.n_periods))
            delay = to_stage[_stage_of(rollout, resource)]
        later = np.minimum(delay[:, None] / days[None, :], 1.0)
        out.append(
            _Rows(
                resource,
                _spilled(layout, load[:, None] * stretch, later),
                np.full(layout.n_periods, -np.inf),
                getattr(rollout, resource) * days,
            )
        )
    if rollout.max_sites_in_pipeline is not None:
        stay = pipeline_days(model)
        later = np.minimum(stay[:, None] / (2 * days[None, :]), 1.0)
        out.append(
            _Rows(
                "release pacing",
                _spilled(layout, np.repeat(stay[:, None], layout.n_periods, 1), later),
                np.full(layout.n_periods, -np.inf),
                rollout.max_sites_in_pipeline * days,
            )
        )
    return out


def _stage_of(rollout: RolloutConfig, resource: str) -> str:
    """The (first) stage that holds ``resource`` by default."""
    return next(stage for stage in STAGES if rollout.stage("rural_home", stage).resource == resource)


def _spilled(layout: _Layout, coef: np.ndarray, later: np.ndarray) -> sparse.csr_matrix:
    """Rows per period of a (site x period) load, the share ``later`` of a site released in period p counted in
    period p + 1 (past the last period: outside the plan)."""
    now = layout.site_period(coef * (1.0 - later))
    shifted = layout.site_period(coef * later)
    down = sparse.eye(layout.n_periods, k=-1, format="csr")  # row p+1 takes what period p sends on
    return (now + down @ shifted).tocsr()


def _requirement_rows(model: _Model, layout: _Layout, objective: str) -> list[_Rows]:
    """Each track's capacity target in expectation (``p_complete x capacity``; at most it, past it by one last
    site, or for least_cost at least it) and the pilot quotas (expected roofs)."""
    cap = model.sites["capacity_kwp"].to_numpy(float) * model.expect.p_complete
    out = []
    for k, track in enumerate(model.tracks):
        if track.target_capacity_kwp is None:
            continue
        row = layout.per_site(np.where(model.track_of == k, cap, 0.0))
        if objective == "least_cost":
            out.append(
                _Rows(
                    "capacity target",
                    row,
                    np.array([track.target_capacity_kwp]),
                    np.array([np.inf]),
                    requirement=True,
                    track=track.name,
                )
            )
        else:
            mine = np.where(model.track_of == k, cap, 0.0)
            crossing = layout.pad(sparse.hstack([sparse.csr_matrix((1, layout.z0)), sparse.csr_matrix(-mine[None, :])]))
            out.append(
                _Rows(
                    "capacity target",
                    (row + crossing).tocsr(),
                    np.array([-np.inf]),
                    np.array([track.target_capacity_kwp]),
                    track=track.name,
                )
            )
    if model.inputs.config.pilot_quotas:
        cats = model.sites["pilot_category"].astype(str).to_numpy()
        for cat, percent in PILOT_TARGETS_PERCENT.items():
            need = math.ceil(percent / 100.0 * model.inputs.candidate_roofs.get(cat, int((cats == cat).sum())))
            if need > 0:
                row = layout.per_site(np.where(cats == cat, model.expect.p_complete, 0.0))
                out.append(_Rows(f"pilot quota {cat}", row, np.array([need]), np.array([np.inf]), requirement=True))
    return out


def _structure_rows(model: _Model, layout: _Layout, crossing: bool) -> list[_Rows]:
    """Each site released at most once, sites of types in no track never; with a target, at most one crossing
    site per track, and only a released one."""
    n = layout.n_sites
    each = layout.each_site()
    upper = np.where(model.track_of < 0, 0.0, 1.0)  # types in no track are never released
    out = [_Rows("one period per site", each, np.full(n, -np.inf), upper)]
    if crossing:
        link = (layout.pad(sparse.hstack([sparse.csr_matrix((n, layout.z0)), sparse.eye(n)])) - each).tocsr()
        out.append(_Rows("one period per site", link, np.full(n, -np.inf), np.zeros(n)))
        per_track = np.zeros((len(model.tracks), n))
        for k in range(len(model.tracks)):
            per_track[k, model.track_of == k] = 1.0
        one = layout.pad(
            sparse.hstack([sparse.csr_matrix((len(model.tracks), layout.z0)), sparse.csr_matrix(per_track)])
        )
        out.append(_Rows("one period per site", one, np.full(len(model.tracks), -np.inf), np.ones(len(model.tracks))))
    return out


#: Ratios of a transformer's planned AC capacity to its export limit at which the curtailment curve is tangent.
CURTAILMENT_KNOTS = (1.0, 1.15, 1.3, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 6.0)


def _export_limited(model: _Model) -> dict[str, float]:
    """Transformers whose export limit [AC kW] the eligible sites on them can pass (those where curtailment can
    happen), with the limit; none without an output profile."""
    t = model.inputs.transformers
    if model.inputs.output_per_kw_ac is None or "export_limit_kw" not in t:
        return {}
    limit = t["export_limit_kw"].astype(float)
    if "existing_pv_kw" in t:  # the existing PV at its AC rating: the plan's estimate stays an upper one
        limit = (limit - t["existing_pv_kw"].astype(float).fillna(0.0)).clip(lower=0.0)
    limit = limit.rename(index=str)
    demand = model.sites.groupby(model.sites["transformer_id"].astype(str))["hosting_kw"].sum()
    can = demand[demand > limit.reindex(demand.index).fillna(np.inf)]
    return {tid: float(limit[tid]) for tid in sorted(can.index)}


def curtailed_kwh(capacity_kw_ac: float, export_limit_kw: float, output_per_kw_ac: np.ndarray) -> tuple[float, float]:
    """Yearly energy curtailed [kWh] when ``capacity_kw_ac`` of PV exports through a limit of ``export_limit_kw``
    (local load ignored: an upper estimate), ``sum_h max(0, C q_h - E)``, and its slope in C [kWh per kW]."""
    over = capacity_kw_ac * output_per_kw_ac > export_limit_kw
    return (
        float((capacity_kw_ac * output_per_kw_ac - export_limit_kw)[over].sum()),
        float(output_per_kw_ac[over].sum()),
    )


def _curtailment_rows(model: _Model, layout: _Layout, limited: dict[str, float]) -> list[_Rows]:
    """Per export-limited transformer t, ``y_t`` bounds the yearly curtailment of the PV planned on it from below:
    the convex curve :func:`curtailed_kwh` of its expected AC capacity ``C_t`` by its tangents at
    :data:`CURTAILMENT_KNOTS` x the limit (``y_t - slope_k C_t >= K_k - slope_k C_k``)."""
    if not limited:
        return []
    q = np.asarray(model.inputs.output_per_kw_ac, dtype=float)
    kw = model.sites["hosting_kw"].to_numpy(float) * model.expect.p_complete
    tids = model.sites["transformer_id"].astype(str).to_numpy()
    rows, lower = [], []
    for j, (tid, limit) in enumerate(limited.items()):
        columns, c = layout.per_site_entries(np.where(tids == tid, kw, 0.0))
        for ratio in CURTAILMENT_KNOTS:
            knot = max(limit, 1e-9) * ratio
            k_value, slope = curtailed_kwh(knot, limit, q)
            # the row y_t - slope C_t: its entries that are not zero (0 - slope c), then y_t's 1
            term = c * slope
            keep = term != 0
            rows.append((np.append(columns[keep], layout.y0 + j), np.append(0.0 - term[keep], 1.0)))
            lower.append(k_value - slope * knot)
    matrix = _csr_rows(rows, 1, len(rows), layout.n)
    return [_Rows("curtailment", matrix, np.array(lower), np.full(len(lower), np.inf))]


def _curtailment_value(model: _Model, objective: str) -> float:
    """What a kWh a year of curtailment costs the objective: the value of a kWh a year of output of a typical
    planned site (the capacity-weighted mean value weight of the first year's releases), in t CO2 or MWh."""
    if objective == "least_cost":
        return 0.0
    sites = model.sites
    discount, factor = objective == "discounted_co2", objective in ("co2", "discounted_co2")
    weights = value_weights(lead_days(model), model.periods, model.inputs, discount=discount, factor=factor)[:, 0]
    energy = sites["annual_energy_mwh"].to_numpy(float)
    per_mwh = 1.0 if objective == "energy" else float(sites["co2_per_year_t"].sum() / max(energy.sum(), 1e-12))
    return per_mwh / 1000.0 * float(np.average(weights, weights=sites["capacity_kwp"].to_numpy(float)))


def _stack(blocks: list[_Rows]) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    return (
        sparse.vstack([b.matrix for b in blocks]).tocsr(),
        np.concatenate([b.lower for b in blocks]),
        np.concatenate([b.upper for b in blocks]),
    )


# --------------------------------------------------------------------------------------------- the plans

#: The objective of each optimising strategy: ``optimal`` maximises the run's headline, CO2 avoided over the
#: horizon (AMS-I.D on the scenario's factor path); ``multi_year_plan`` the scenario's ``planning.objective``.
STRATEGY_OBJECTIVES = {"optimal": "co2"}


def plan(sites: pd.DataFrame, inputs: PlanInputs, objective: str | None = None) -> Plan:
    """The release period of each site that optimises ``objective`` (``co2``: CO2 avoided over the horizon on the
    scenario's factor path; ``discounted_co2``, ``energy`` or ``least_cost``; None: ``planning.objective``) under
    each track's budget and target, the shared crews, offices and release pacing, and the transformers' AC hosting
    with upgrades, every site counted with its expected consent and completion (module docstring).

    The order releases, track by track as the offices do (:func:`sim.pipeline.release_order`), period by period,
    within a period by carbon per CNY (sites planned to wait for an upgrade after those that fit; in the track's
    last planned period the smallest first, so that the site that crosses the target, where the office stops, is a
    large one; the plan's own crossing site last), then the sites the plan left out, which the office reaches only when planned
    sites drop out before the target is committed (:func:`_stand_ins`). Raises :class:`PlanInfeasible` naming the
    binding constraint."""
    objective = objective or inputs.config.objective
    if objective == "least_cost" and all(t.target_capacity_kwp is None for t in tracks(inputs.rollout)):
        raise InputError(
            "the least_cost objective needs a capacity target",
            field="rollout.target_capacity_kwp",
            value=None,
            allowed="a capacity [kWp] > 0, or planning.objective discounted_co2 / energy",
        )
    model = _model(sites, inputs)
    crossing = objective != "least_cost" and any(t.target_capacity_kwp is not None for t in model.tracks)
    limited = _export_limited(model) if objective != "least_cost" else {}
    layout = _Layout(model.n_sites, model.n_periods, model.waiting, crossing, n_y=len(limited))
    blocks = (
        _structure_rows(model, layout, crossing)
        + _budget_rows(model, layout)
        + _resource_rows(model, layout)
        + _hosting_rows(model, layout)
        + _network_rows(model, layout)
        + _requirement_rows(model, layout, objective)
        + _curtailment_rows(model, layout, limited)
    )
    matrix, lower, upper = _stack(blocks)
    real = np.arange(layout.n) >= layout.y0
    x, solution = solve_binary(
        _cost(model, layout, objective),
        matrix,
        lower,
        upper,
        inputs.config,
        continuous=real,
        cache_dir=inputs.cache_dir,
    )
    if x is None:
        raise PlanInfeasible(
            _binding_constraint(blocks, inputs.config, inputs), field=f"the programme's plan ({objective})"
        )
    if objective != "least_cost":
        solution = _maximised(solution)
    return _assemble(model, layout, blocks, x, solution, objective)


def _cost(model: _Model, layout: _Layout, objective: str) -> np.ndarray:
    """The minimised cost per variable: least_cost the expected capex (earlier periods break ties), otherwise the
    negated expected CO2 or energy over the horizon of a site released in each period (waiting sites later by the
    upgrade's lead time); nothing for the crossing sites; the value of a kWh a year for each transformer's estimated
    curtailment."""
    p_done = model.expect.p_complete
    if objective == "least_cost":
        c = (model.sites["capex_cny"].to_numpy(float) * model.expect.p_contract)[:, None] * (
            1 + 1e-6 * np.arange(layout.n_periods)
        )[None, :]
        parts = [c.ravel(), c[layout.wait_idx].ravel()]
    else:
        per_year = model.sites["annual_energy_mwh" if objective == "energy" else "co2_per_year_t"].to_numpy(float)
        lead = lead_days(model)
        discount, factor = objective == "discounted_co2", objective in ("co2", "discounted_co2")
        now = value_weights(lead, model.periods, model.inputs, discount=discount, factor=factor)
        later = value_weights(
            lead + _programme.upgrade_wait_days(model.inputs.rollout),
            model.periods,
            model.inputs,
            discount=discount,
            factor=factor,
        )
        value = (p_done * per_year)[:, None]
        parts = [-(value * now).ravel(), -(value * later)[layout.wait_idx].ravel()]
    crossing = np.zeros(layout.y0 - layout.z0)
    curtailment = np.full(layout.n - layout.y0, _curtailment_value(model, objective) if layout.n > layout.y0 else 0.0)
    return np.concatenate([*parts, crossing, curtailment])


def _assemble(
    model: _Model, layout: _Layout, blocks: list[_Rows], v: np.ndarray, solution: Solution, objective: str
) -> Plan:
    n, P = layout.n_sites, layout.n_periods
    x = v[: layout.n_x].reshape(n, P).astype(bool)
    w = np.zeros((n, P), bool)
    w[layout.wait_idx] = v[layout.n_x : layout.z0].reshape(-1, P).astype(bool)
    last = v[layout.z0 : layout.y0].astype(bool) if layout.y0 > layout.z0 else np.zeros(n, bool)
    chosen = x | w
    picked = np.asarray(chosen.any(axis=1))
    ids = model.sites.index.astype(str)
    period = pd.Series(chosen.argmax(axis=1)[picked], index=pd.Index(ids[picked], name="site_id"))
    frame = model.sites.loc[picked].assign(
        _period=period.to_numpy(),
        _id=period.index,
        _last=last[picked],
        _wait=np.asarray(w.any(axis=1))[picked],
        _track=[model.tracks[k].name for k in model.track_of[picked]],
    )
    final = frame["_period"].eq(frame.groupby("_track")["_period"].transform("max"))
    frame = frame.assign(_size=np.where(final, frame["capacity_kwp"], 0.0))
    planned = list(
        frame.sort_values(
            ["_last", "_period", "_wait", "_size", "carbon_per_cny_kg", "_id"],
            ascending=[True, True, True, True, False, True],
            kind="mergesort",
        )["_id"]
    )
    order = planned + _stand_ins(model.sites, picked, model.inputs.transformers)
    return Plan(
        order=order,
        period_of_site=period,
        waits_for_upgrade=pd.Series(frame["_wait"].to_numpy(bool), index=period.index),
        periods=_period_table(model, frame, blocks, v),
        solution=solution,
        objective=objective,
        tracks=model.tracks,
        track_of_site=pd.Series(frame["_track"].to_numpy(), index=period.index),
    )


def _maximised(solution: Solution) -> Solution:
    """A maximisation solved as minimisation of the negated objective, reported with its own signs."""
    return Solution(**{**solution.__dict__, "objective": -solution.objective, "bound": -solution.bound})


def _by_carbon_per_cny(sites: pd.DataFrame) -> list[str]:
    frame = sites.assign(_id=sites.index.astype(str))
    return list(frame.sort_values(["carbon_per_cny_kg", "_id"], ascending=[False, True], kind="mergesort")["_id"])


def _stand_ins(sites: pd.DataFrame, picked: np.ndarray, transformers: pd.DataFrame) -> list[str]:
    """The sites the plan left out, in the order the office reaches them when planned sites drop out: those whose
    AC capacity still fits their transformer's hosting limit next to the planned sites first, each group by
    carbon per CNY."""
    rest = sites.loc[~picked]
    if rest.empty:
        return []
    planned_kw = sites.loc[picked].groupby("transformer_id")["hosting_kw"].sum()
    ranked = rest.loc[_by_carbon_per_cny(rest)]
    tids = ranked["transformer_id"].astype(str)
    total = ranked.groupby(tids, sort=False)["hosting_kw"].cumsum() + tids.map(planned_kw).fillna(0.0)
    limit = tids.map(transformers["hosting_limit_kw"].rename(index=str)).fillna(np.inf)
    frame = ranked.assign(_over=(total > limit).to_numpy(), _id=ranked.index.astype(str))
    return list(
        frame.sort_values(["_over", "carbon_per_cny_kg", "_id"], ascending=[True, False, True], kind="mergesort")["_id"]
    )


def _period_table(model: _Model, chosen: pd.DataFrame, blocks: list[_Rows], v: np.ndarray) -> pd.DataFrame:
    """Per track and period: sites, capacity and capex planned, the track's budget; per period the use of each
    shared resource [% of what it offers] (the same on every track's row of the period)."""
    rows = []
    used = {
        b.family: 100.0 * (b.matrix @ v.astype(float)) / b.upper
        for b in blocks
        if b.family in ("crews", *OFFICE_RESOURCES, "release pacing")
    }
    for track in model.tracks:
        mine = chosen[chosen["_track"] == track.name]
        grouped = mine.groupby("_period")
        for p, start in zip(model.periods["period"], model.periods["start_date"]):
            row = {
                "track": track.name,
                "period": int(p),
                "start_date": start,
                "sites": int(grouped.size().get(p, 0)),
                "capacity_kwp": float(grouped["capacity_kwp"].sum().get(p, 0.0)),
                "capex_cny": float(grouped["capex_cny"].sum().get(p, 0.0)),
                "budget_cny": float(track.annual_budget_cny) if track.annual_budget_cny is not None else np.nan,
            }
            row.update({f"{name}_used_percent": float(values[p]) for name, values in used.items()})
            rows.append(row)
    return pd.DataFrame(rows)


def _binding_constraint(blocks: list[_Rows], config: PlanningConfig, inputs: PlanInputs) -> str:
    """Which limit makes the plan infeasible: the first family that, alone with the requirements (capacity target,
    quotas), already admits no fractional plan; otherwise the limits together."""
    blocks = [b for b in blocks if b.family != "curtailment"]  # never binding: its variables are free
    requirements = [b for b in blocks if b.requirement]
    structure = [b for b in blocks if b.family == "one period per site"]
    limits = [b for b in blocks if not b.requirement and b.family != "one period per site"]
    wanted = ", ".join(_requirement_text(b) for b in requirements) or "its requirements"
    for req in requirements:
        if _relaxation_infeasible(structure + [req], config):
            return f"infeasible: no plan can meet {_requirement_text(req)}: not enough eligible sites"
    for block in limits:
        if _relaxation_infeasible(structure + [block] + requirements, config):
            return (
                f"infeasible: no plan can meet {wanted}; binding constraint: {block.family} "
                f"({_limit_text(block, inputs)})"
            )
    return (
        f"infeasible: no plan can meet {wanted} under all limits together ("
        + ", ".join(sorted({b.family for b in limits}))
        + "); each alone would allow it"
    )


def _requirement_text(block: _Rows) -> str:
    unit = "kWp expected to be built" if block.family == "capacity target" else "roofs expected to be built"
    where = f" of track {block.track}" if block.track else ""
    return f"{block.family}{where} >= {block.lower[0]:,.0f} {unit}"


def _limit_text(block: _Rows, inputs: PlanInputs) -> str:
    if block.family == "budget":
        track = next(t for t in tracks(inputs.rollout) if t.name == block.track)
        carry = "with" if track.carry_over else "without"
        where = f"track {track.name}: " if track.name else ""
        return f"{where}{track.annual_budget_cny:,.0f} a year for {len(block.upper)} year(s), {carry} carry-over"
    if block.family == "hosting":
        return "transformer hosting limits [AC kW], with upgrades"
    if block.family == "networks":
        return "network voltage and cable limits (power flow)"
    if block.family == "release pacing":
        return f"at most {inputs.rollout.max_sites_in_pipeline} sites between release and contract"
    return f"{getattr(inputs.rollout, block.family, '?')} {block.family} over {len(block.upper)} year(s)"


def _relaxation_infeasible(blocks: list[_Rows], config: PlanningConfig) -> bool:
    matrix, lower, upper = _stack(blocks)
    x, _ = solve_binary(np.zeros(matrix.shape[1]), matrix, lower, upper, config, integer=False)
    return x is None
