"""Plans: mixed-integer programmes solved with HiGHS (``highspy``), deterministic and cached by input hash.

Two programmes live here:

- :func:`select_sites` (the ``optimal`` strategy): which sites to build, maximising CO2 avoided per year under the
  programme's total budget (:func:`sim.rollout.total_budget_cny`) and every transformer's hosting limit; no timing.
- :func:`multi_year_plan` (the ``multi_year_plan`` strategy): in which budget year each site is released (or
  none), under each year's budget (with or without carry-over, :func:`sim.rollout.budget_pot_days`), the crew-days
  and office capacity of each year, the transformers' hosting limits (with upgrades), the capacity target and
  optional pilot quotas; objective ``discounted_co2`` (default), ``energy`` or ``least_cost`` (to reach the target).

Stopping rules (nothing depends on wall-clock time): HiGHS stops when the relative gap between the best solution and
the bound is at most ``planning.mip_rel_gap_percent`` (default 1 %) or after ``planning.node_limit`` branch-and-bound
nodes (default 1000), whichever comes first; one thread and a fixed random seed, so the same inputs give the same
plan on every machine and under any load. The achieved gap is reported in :class:`Solution` (``pvsim plan``, the
``optimisation`` section of ``comparison.json``).

Approximations of the multi-year plan (the SimPy rollout then follows it and shows what really happens):

- every released site is built (consent refusals and failed stages are not planned for);
- resources per year are counted in calendar days: a crew is busy ``(set-up + capacity / productivity)`` working
  days per site, stretched by the share of workable days of the year for its site type (Spring Festival shutdown,
  weekends when set, and for outdoor types the frozen season and the expected share of rainy days); an office
  resource (surveyors, reviewers, inspectors) is busy ``mean duration x resource_busy_percent`` working days of the
  office calendar; each resource offers ``count x calendar days of the year``;
- a site released in a year is commissioned at the middle of that year plus the mean duration of all its stages;
  its yearly CO2 (or energy) then counts, degraded, until the horizon (CO2 discounted at the economics' rate);
- hosting: PV planned on a transformer up to a year stays within its hosting limit plus the planned upgrades that
  took effect by the start of that year, plus (``hosting_when_full: wait_upgrade``) the grid company's one
  unplanned upgrade from ``upgrade_lead_time_days`` after the start on: optimistic, the rollout schedules it only
  once a site waits.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field
from scipy import sparse

from ._config import PILOT_TARGETS_PERCENT, StrictModel
from .economics import discount_factor
from .energy import degradation_factor
from .errors import InputError
from .rollout import calendar as cal
from .rollout.config import STAGES, RolloutConfig, budget_pot_days, build_window_end_day
from .timebase import days_to_years

OFFICE_RESOURCES = ("surveyors", "reviewers", "inspectors")

Objective = Literal["discounted_co2", "energy", "least_cost"]


class PlanningConfig(StrictModel):
    """Settings of the optimising strategies ``optimal`` and ``multi_year_plan`` (scenario section ``planning``)."""

    objective: Objective = Field(
        "discounted_co2", description="what multi_year_plan optimises: discounted_co2 (CO2 avoided over the horizon, "
        "discounted at economics.discount_rate_percent), energy (MWh over the horizon) or least_cost (capex to "
        "reach rollout.target_capacity_kwp)")
    pilot_quotas: bool = Field(
        False, description="multi_year_plan builds at least the whole-county pilot's share of roofs of each category "
        "(sim/tables/pilot_targets.csv)")
    mip_rel_gap_percent: float = Field(
        1.0, gt=0, le=100, allow_inf_nan=False,
        description="the solver stops when its solution is within this share of the bound (relative MIP gap)")
    node_limit: int = Field(
        1000, ge=1, description="the solver stops after this many branch-and-bound nodes (count; no time limit, so "
        "plans do not depend on the machine's speed)")


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

    def line(self, name: str) -> str:
        return (f"{name}: {self.status}, gap {self.gap_percent:.3f} % after {self.nodes} node(s) "
                f"({self.variables:,} variables, {self.constraints:,} constraints, {self.seconds:.1f} s)")


@dataclass
class Plan:
    """A solved programme: the release order, the period of each chosen site and a table per period."""

    order: list[str]
    period_of_site: pd.Series
    periods: pd.DataFrame
    solution: Solution
    objective: str


class PlanInfeasible(InputError):
    """No plan meets every constraint; the message names the binding one."""


# --------------------------------------------------------------------------------------------- solver


def solve_binary(cost: np.ndarray, matrix: sparse.spmatrix, row_lower: np.ndarray, row_upper: np.ndarray,
                 config: PlanningConfig, *, integer: bool = True) -> tuple[np.ndarray | None, Solution]:
    """Minimise ``cost @ x`` over binary ``x`` (``integer=False``: its relaxation, x in [0, 1]) with ``row_lower <= matrix @ x <= row_upper`` (HiGHS, one thread,
    fixed seed, gap and node limits only). Returns ``x`` (None if infeasible) and the :class:`Solution`."""
    import highspy

    a = sparse.csc_matrix(matrix)
    n, m = a.shape[1], a.shape[0]
    h = _new_highs()
    for key, value in (("output_flag", False), ("threads", 1), ("random_seed", 0),
                       ("mip_rel_gap", config.mip_rel_gap_percent / 100.0), ("mip_max_nodes", config.node_limit)):
        h.setOptionValue(key, value)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_, lp.col_upper_ = np.zeros(n), np.ones(n)
    inf = highspy.kHighsInf
    lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -inf).astype(float)
    lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, inf).astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data.astype(float)
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    x = None
    if info.primal_solution_status == 2:  # feasible solution found
        x = np.asarray(h.getSolution().col_value, dtype=float)
        x = x > 0.5 if integer else x
    gap = (float(info.mip_gap) * 100.0 if integer else 0.0) if x is not None else math.nan
    return x, Solution(status=status, objective=float(info.objective_function_value), bound=float(info.mip_dual_bound),
                       gap_percent=gap, nodes=int(info.mip_node_count), seconds=seconds, variables=n, constraints=m)


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


# --------------------------------------------------------------------------------------------- cache

_SOLVED: dict[str, Plan] = {}
_LAST: dict[str, Solution] = {}


def inputs_key(kind: str, sites: pd.DataFrame, *parts: object) -> str:
    """sha256 of the sites' columns a plan reads and of every setting it depends on."""
    h = hashlib.sha256(kind.encode())
    cols = [c for c in ("site_type", "pilot_category", "capacity_kwp", "capex_cny", "co2_per_year_t",
                        "annual_energy_mwh", "carbon_per_cny_kg", "transformer_id") if c in sites.columns]
    frame = sites[cols].assign(_id=sites.index.astype(str))
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    for part in parts:
        h.update(json.dumps(part, sort_keys=True, default=str).encode())
    return h.hexdigest()


def cached(key: str, kind: str) -> Plan | None:
    plan = _SOLVED.get(key)
    if plan is not None:
        _LAST[kind] = plan.solution
    return plan


def remember(key: str, kind: str, plan: Plan) -> Plan:
    _SOLVED[key] = plan
    _LAST[kind] = plan.solution
    return plan


def last_solution(kind: str) -> Solution | None:
    """How the most recent programme of ``kind`` (``optimal``, ``multi_year_plan``) in this process was solved."""
    return _LAST.get(kind)


# --------------------------------------------------------------------------------------------- optimal


def _hosting_rows(sites: pd.DataFrame, limits: dict[str, float]) -> tuple[list[np.ndarray], list[float]]:
    cap = sites["capacity_kwp"].to_numpy(float)
    tids = sites["transformer_id"].astype(str).to_numpy()
    rows, ubs = [], []
    for tid in sorted(set(tids)):
        limit = float(limits.get(tid, np.inf))
        mask = tids == tid
        if np.isfinite(limit) and cap[mask].sum() > limit:  # only the limits that can bind
            rows.append(np.where(mask, cap, 0.0))
            ubs.append(limit)
    return rows, ubs


def select_sites(sites: pd.DataFrame, *, total_budget_cny: float | None, hosting_limit_kw: dict[str, float],
                 config: PlanningConfig | None = None) -> Plan:
    """The set of sites that maximises CO2 avoided per year under the total budget and the hosting limits, released
    by carbon per CNY (the ``optimal`` strategy). Cached by the hash of its inputs."""
    config = config or PlanningConfig()
    key = inputs_key("optimal", sites, total_budget_cny, sorted(hosting_limit_kw.items()), config.model_dump())
    if (plan := cached(key, "optimal")) is not None:
        return plan
    rows, ubs = _hosting_rows(sites, hosting_limit_kw)
    if total_budget_cny is not None and np.isfinite(total_budget_cny):
        rows.insert(0, sites["capex_cny"].to_numpy(float))
        ubs.insert(0, float(total_budget_cny))
    matrix = sparse.csr_matrix(np.vstack(rows)) if rows else sparse.csr_matrix((0, len(sites)))
    x, solution = solve_binary(-sites["co2_per_year_t"].to_numpy(float), matrix, np.full(len(ubs), -np.inf),
                               np.array(ubs, dtype=float), config)
    solution = _maximised(solution)
    chosen = sites.loc[x] if x is not None else sites.iloc[:0]
    order = _by_carbon_per_cny(chosen)
    periods = pd.DataFrame({"period": [0], "sites": [len(order)],
                            "capacity_kwp": [float(chosen["capacity_kwp"].sum())],
                            "capex_cny": [float(chosen["capex_cny"].sum())]})
    plan = Plan(order=order, period_of_site=pd.Series(0, index=pd.Index(order, name="site_id")), periods=periods,
                solution=solution, objective="optimal")
    return remember(key, "optimal", plan)


def _maximised(solution: Solution) -> Solution:
    """A maximisation solved as minimisation of the negated objective, reported with its own signs."""
    return Solution(**{**solution.__dict__, "objective": -solution.objective, "bound": -solution.bound})


def _by_carbon_per_cny(sites: pd.DataFrame) -> list[str]:
    frame = sites.assign(_id=sites.index.astype(str))
    return list(frame.sort_values(["carbon_per_cny_kg", "_id"], ascending=[False, True], kind="mergesort")["_id"])


# --------------------------------------------------------------------------------------------- multi-year plan


@dataclass(frozen=True)
class PlanInputs:
    """What the multi-year plan needs besides the sites (all from the scenario and the prepared grid)."""

    rollout: RolloutConfig
    start_date: date
    horizon_years: int
    discount_rate: float
    degradation_first_year_percent: float
    degradation_percent_per_year: float
    transformers: pd.DataFrame
    candidate_roofs: dict[str, int] = field(default_factory=dict)
    config: PlanningConfig = field(default_factory=PlanningConfig)

    @classmethod
    def from_scenario(cls, scenario, transformers: pd.DataFrame, candidate_roofs: dict[str, int]) -> "PlanInputs":
        return cls(rollout=scenario.rollout, start_date=scenario.start_date, horizon_years=scenario.horizon_years,
                   discount_rate=scenario.economics.discount_rate,
                   degradation_first_year_percent=scenario.operation.degradation_first_year_percent,
                   degradation_percent_per_year=scenario.operation.degradation_percent_per_year,
                   transformers=transformers, candidate_roofs=dict(candidate_roofs), config=scenario.planning)

    def key_parts(self) -> list:
        grid = self.transformers.reindex(columns=["hosting_limit_kw", "rating_kva", "hosting_share_percent",
                                                  "planned_upgrade_date", "planned_upgrade_kva"])
        return [self.rollout.model_dump(mode="json"), self.start_date.isoformat(), self.horizon_years,
                self.discount_rate, self.degradation_first_year_percent, self.degradation_percent_per_year,
                grid.astype(str).reset_index().values.tolist(), sorted(self.candidate_roofs.items()),
                self.config.model_dump()]


def plan_periods(rollout: RolloutConfig, start_date: date, horizon_years: int) -> pd.DataFrame:
    """The plan's periods: the budget years of :func:`sim.rollout.budget_pot_days` (the start, then every 1 January
    before the build window closes), with ``start_day, end_day, days`` and ``budget_cny`` (inf unless the office
    releases by budget)."""
    starts = budget_pot_days(start_date, rollout.build_window_years, horizon_years)
    end = build_window_end_day(start_date, rollout.build_window_years, horizon_years)
    ends = [*starts[1:], end]
    budget = rollout.annual_budget_cny if rollout.release_mode == "budget" else np.inf
    frame = pd.DataFrame({"period": range(len(starts)), "start_day": starts, "end_day": ends})
    frame["days"] = frame["end_day"] - frame["start_day"]
    frame["start_date"] = [(pd.Timestamp(start_date) + pd.Timedelta(days=d)).date().isoformat() for d in starts]
    frame["budget_cny"] = float(budget)
    return frame


def workable_shares(rollout: RolloutConfig, start_date: date, periods: pd.DataFrame) -> dict[str, np.ndarray]:
    """Share of the days of each period on which ``office`` stages, ``rooftop`` construction and ``outdoor``
    construction progress (expected share for rain), from the rollout's work calendar."""
    n = int(math.ceil(periods["end_day"].iloc[-1]))
    ones = np.ones(n, dtype=float)
    if not rollout.calendar_enabled:
        office = rooftop = outdoor = ones
    else:
        start = cal.as_date(start_date)
        shut = cal.shutdown_mask(start, n, rollout.spring_festival_shutdown_days_before,
                                 rollout.spring_festival_shutdown_days_after)
        weekend = cal.weekend_mask(start, n)
        office = (~shut & ~(weekend & rollout.office_weekends_off)).astype(float)
        rooftop = (~shut & ~(weekend & rollout.construction_weekends_off)).astype(float)
        frozen = cal.frozen_mask(start, n, cal.parse_month_day(rollout.frozen_season_start_month_day),
                                 cal.parse_month_day(rollout.frozen_season_end_month_day))
        months = cal.day_dates(start, n).astype("datetime64[M]").astype(int) % 12
        dry = 1.0 - np.asarray(rollout.rain_day_percent_by_month, dtype=float)[months] / 100.0
        outdoor = rooftop * ~frozen * dry
    out = {}
    for name, mask in (("office", office), ("rooftop", rooftop), ("outdoor", outdoor)):
        out[name] = np.array([max(mask[int(a):int(math.ceil(b))].mean(), 1e-6)
                              for a, b in zip(periods["start_day"], periods["end_day"])])
    return out


def site_loads(sites: pd.DataFrame, rollout: RolloutConfig) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per site: the working days each resource is busy with it (``resource_busy_percent`` of each stage's mean
    duration; construction adds ``capacity / productivity``) and its lead time from release to commissioning
    [calendar days; working-day stages stretched by 7/5 when office weekends are off]."""
    loads = {r: np.zeros(len(sites)) for r in ("crews", *OFFICE_RESOURCES)}
    lead = np.zeros(len(sites))
    stretch = 7.0 / 5.0 if rollout.calendar_enabled and rollout.office_weekends_off else 1.0
    types = sites["site_type"].astype(str).to_numpy()
    cap = sites["capacity_kwp"].to_numpy(float)
    for site_type in sorted(set(types)):
        mask = types == site_type
        for stage in STAGES:
            sc = rollout.stage(site_type, stage)
            days = np.full(mask.sum(), sc.duration.mean)
            if stage == "construction":
                days = days + cap[mask] / rollout.productivity(site_type)
            working = stage not in ("consent", "procurement")
            lead[mask] += days * (stretch if working else 1.0)
            if sc.resource in loads:
                loads[sc.resource][mask] += days * sc.resource_busy_percent / 100.0
    return loads, lead


def value_weights(lead_days: np.ndarray, periods: pd.DataFrame, inputs: PlanInputs, discount: bool) -> np.ndarray:
    """(sites x periods): the years of output a site released in a period yields within the horizon, degraded and
    (``discount``) discounted: sum over horizon years k of the operating share of year k x degradation x
    (1 + r)^-k, with commissioning at the period's middle plus the site's lead time."""
    mid = 0.5 * (periods["start_day"].to_numpy() + periods["end_day"].to_numpy())
    commission = days_to_years(mid[None, :] + lead_days[:, None])  # years since start
    years = np.arange(inputs.horizon_years, dtype=float)
    share = np.clip(years[None, None, :] + 1.0 - commission[:, :, None], 0.0, 1.0)
    age = np.maximum(years[None, None, :] - commission[:, :, None], 0.0)
    degradation = degradation_factor(age, inputs.degradation_first_year_percent, inputs.degradation_percent_per_year)
    rate = inputs.discount_rate if discount else 0.0
    return (share * degradation * discount_factor(years, rate)).sum(axis=2)


@dataclass
class _Rows:
    """Constraint rows of one family (``budget``, ``crews``, ``hosting``...): ``matrix @ x`` in [lower, upper]."""

    family: str
    matrix: sparse.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    requirement: bool = False  # a target to reach (capacity target, quotas), not a limit


def _period_rows(coef: np.ndarray, n_periods: int, cumulative: bool) -> sparse.csr_matrix:
    """Rows over variables ``x[s, p]`` (index ``s * P + p``): row ``p`` sums ``coef[s] x[s, p]`` (or over
    ``p' <= p`` when ``cumulative``)."""
    nonzero = np.flatnonzero(coef)
    s = np.repeat(nonzero, n_periods)
    p = np.tile(np.arange(n_periods), len(nonzero))
    cols, vals = s * n_periods + p, coef[s]
    if cumulative:
        parts = [(np.full(int((p <= r).sum()), r), cols[p <= r], vals[p <= r]) for r in range(n_periods)]
        rows, cols, vals = (np.concatenate(z) for z in zip(*parts))
    else:
        rows = p
    return sparse.csr_matrix((vals, (rows, cols)), shape=(n_periods, len(coef) * n_periods))


def _hosting_available(inputs: PlanInputs, periods: pd.DataFrame) -> pd.DataFrame:
    """Hosting capacity [kW] per transformer (rows) available to sites released in each period (columns)."""
    t = inputs.transformers
    base = t["hosting_limit_kw"].astype(float).to_numpy()
    share = t["hosting_share_percent"].astype(float).to_numpy() / 100.0 if "hosting_share_percent" in t else 0.8
    start = pd.Timestamp(inputs.start_date)
    planned_day = ((pd.to_datetime(t.get("planned_upgrade_date")) - start).dt.days.to_numpy(float)
                   if "planned_upgrade_date" in t else np.full(len(t), np.nan))
    planned_kw = t.get("planned_upgrade_kva", pd.Series(0.0, index=t.index)).astype(float).to_numpy() * share
    unplanned_kw = t["rating_kva"].astype(float).to_numpy() * (inputs.rollout.upgrade_factor - 1.0) * share
    out = {}
    for p, day in zip(periods["period"], periods["start_day"]):
        avail = base + np.where(np.nan_to_num(planned_day, nan=np.inf) <= day, planned_kw, 0.0)
        if inputs.rollout.hosting_when_full == "wait_upgrade" and day >= inputs.rollout.upgrade_lead_time_days:
            avail = avail + unplanned_kw
        out[p] = avail
    return pd.DataFrame(out, index=t.index.astype(str))


def _hosting_block(sites: pd.DataFrame, inputs: PlanInputs, periods: pd.DataFrame) -> _Rows:
    n_periods = len(periods)
    avail = _hosting_available(inputs, periods)
    cap = sites["capacity_kwp"].to_numpy(float)
    tids = sites["transformer_id"].astype(str).to_numpy()
    blocks, upper = [], []
    for tid in sorted(set(tids)):
        mask = tids == tid
        limits = avail.loc[tid].to_numpy(float) if tid in avail.index else np.full(n_periods, np.inf)
        if cap[mask].sum() <= limits.min():
            continue  # cannot bind
        blocks.append(_period_rows(np.where(mask, cap, 0.0), n_periods, cumulative=True))
        upper.append(limits)
    if not blocks:
        return _Rows("hosting", sparse.csr_matrix((0, len(sites) * n_periods)), np.zeros(0), np.zeros(0))
    upper_all = np.concatenate(upper)
    return _Rows("hosting", sparse.vstack(blocks).tocsr(), np.full(len(upper_all), -np.inf), upper_all)


def _constraint_rows(sites: pd.DataFrame, inputs: PlanInputs, periods: pd.DataFrame) -> list[_Rows]:
    """Every constraint family of the multi-year plan (see the module docstring)."""
    rollout, n_periods = inputs.rollout, len(periods)
    n = len(sites) * n_periods
    days = periods["days"].to_numpy(float)
    out = [_Rows("one period per site", sparse.kron(sparse.eye(len(sites)), np.ones((1, n_periods))).tocsr(),
                 np.full(len(sites), -np.inf), np.ones(len(sites)))]
    if rollout.release_mode == "budget":
        carry = rollout.budget_carry_over
        budget = rollout.annual_budget_cny * (np.arange(1, n_periods + 1) if carry else np.ones(n_periods))
        out.append(_Rows("budget", _period_rows(sites["capex_cny"].to_numpy(float), n_periods, carry),
                         np.full(n_periods, -np.inf), budget))
    shares = workable_shares(rollout, inputs.start_date, periods)
    loads, _ = site_loads(sites, rollout)
    outdoor = sites["site_type"].isin(rollout.outdoor_site_types).to_numpy()
    for resource, load in loads.items():
        if not load.any():
            continue
        if resource == "crews":
            stretch = np.where(outdoor[:, None], 1 / shares["outdoor"][None, :], 1 / shares["rooftop"][None, :])
        else:
            stretch = np.broadcast_to(1 / shares["office"][None, :], (len(sites), n_periods))
        coef = (load[:, None] * stretch).ravel()
        matrix = sparse.csr_matrix((coef, (np.tile(np.arange(n_periods), len(sites)), np.arange(n))),
                                   shape=(n_periods, n))
        out.append(_Rows(resource, matrix, np.full(n_periods, -np.inf), getattr(rollout, resource) * days))
    out.append(_hosting_block(sites, inputs, periods))
    out.extend(_requirement_rows(sites, inputs, n_periods))
    return out


def _requirement_rows(sites: pd.DataFrame, inputs: PlanInputs, n_periods: int) -> list[_Rows]:
    """The capacity target (at most it, or at least it for least_cost) and the pilot quotas."""
    target = inputs.rollout.target_capacity_kwp
    out = []
    if target is not None:
        row = sparse.csr_matrix(np.repeat(sites["capacity_kwp"].to_numpy(float), n_periods)[None, :])
        if inputs.config.objective == "least_cost":
            out.append(_Rows("capacity target", row, np.array([target]), np.array([np.inf]), requirement=True))
        else:
            out.append(_Rows("capacity target", row, np.array([-np.inf]), np.array([target])))
    if inputs.config.pilot_quotas:
        cats = sites["pilot_category"].astype(str).to_numpy()
        for cat, percent in PILOT_TARGETS_PERCENT.items():
            denominator = inputs.candidate_roofs.get(cat, int((cats == cat).sum()))
            need = math.ceil(percent / 100.0 * denominator)
            if need > 0:
                row = sparse.csr_matrix(np.repeat((cats == cat).astype(float), n_periods)[None, :])
                out.append(_Rows(f"pilot quota {cat}", row, np.array([need]), np.array([np.inf]), requirement=True))
    return out


def _stack(blocks: list[_Rows]) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    return (sparse.vstack([b.matrix for b in blocks]).tocsr(), np.concatenate([b.lower for b in blocks]),
            np.concatenate([b.upper for b in blocks]))


def multi_year_plan(sites: pd.DataFrame, inputs: PlanInputs) -> Plan:
    """The release period of each site that optimises ``inputs.config.objective`` under the budget, resources,
    hosting, target and quotas; the order releases period by period, within a period by carbon per CNY (the site
    that crosses the capacity target last, as the office stops releasing once the target is committed), then the
    sites the plan left out (by carbon per CNY), which the office reaches only when planned sites decline or fail
    and the target is not yet committed. Cached by
    the hash of its inputs. Raises :class:`PlanInfeasible` naming the binding constraint."""
    config = inputs.config
    key = inputs_key("multi_year_plan", sites, *inputs.key_parts())
    if (plan := cached(key, "multi_year_plan")) is not None:
        return plan
    periods = plan_periods(inputs.rollout, inputs.start_date, inputs.horizon_years)
    n_periods = len(periods)
    if config.objective == "least_cost" and inputs.rollout.target_capacity_kwp is None:
        raise InputError("the least_cost objective needs a capacity target", field="rollout.target_capacity_kwp",
                         value=None, allowed="a capacity [kWp] > 0, or planning.objective discounted_co2 / energy")
    blocks = _constraint_rows(sites, inputs, periods)
    crossing = config.objective != "least_cost" and inputs.rollout.target_capacity_kwp is not None
    matrix, lower, upper = _stack([b for b in blocks if not (crossing and b.family == "capacity target")])
    _, lead = site_loads(sites, inputs.rollout)
    if config.objective == "least_cost":  # cheapest set; earlier periods break ties
        cost = (sites["capex_cny"].to_numpy(float)[:, None] * (1 + 1e-6 * np.arange(n_periods))[None, :]).ravel()
    else:
        per_year = sites["co2_per_year_t" if config.objective == "discounted_co2" else "annual_energy_mwh"]
        weights = value_weights(lead, periods, inputs, discount=config.objective == "discounted_co2")
        cost = -(per_year.to_numpy(float)[:, None] * weights).ravel()
    if crossing:
        matrix, lower, upper, cost = _with_crossing_site(matrix, lower, upper, cost, sites, n_periods,
                                                         inputs.rollout.target_capacity_kwp)
    x, solution = solve_binary(cost, matrix, lower, upper, config)
    last = x[len(sites) * n_periods:] if x is not None and crossing else np.zeros(len(sites), bool)
    x = x[: len(sites) * n_periods] if x is not None else None
    if x is None:
        raise PlanInfeasible(_binding_constraint(blocks, config, inputs),
                             field=f"strategy multi_year_plan (planning.objective {config.objective})")
    if config.objective != "least_cost":
        solution = _maximised(solution)
    chosen = x.reshape(len(sites), n_periods)
    picked = chosen.any(axis=1)
    period = pd.Series(chosen.argmax(axis=1)[picked], index=pd.Index(sites.index.astype(str)[picked], name="site_id"))
    frame = sites.loc[picked].assign(_period=period.to_numpy(), _id=period.index, _last=last[picked])
    planned = list(frame.sort_values(["_last", "_period", "carbon_per_cny_kg", "_id"],
                                     ascending=[True, True, False, True], kind="mergesort")["_id"])
    order = planned + _stand_ins(sites, picked, inputs.transformers)
    plan = Plan(order=order, period_of_site=period, periods=_period_table(periods, frame, blocks, x),
                solution=solution, objective=config.objective)
    return remember(key, "multi_year_plan", plan)


def _with_crossing_site(matrix, lower, upper, cost, sites: pd.DataFrame, n_periods: int, target_kwp: float):
    """The office's target rule: it releases while the committed capacity is below the target, so the planned
    capacity may exceed the target by its last site. One more binary per site, ``z[s]`` (it is that last site):
    ``z[s] <= sum_p x[s, p]``, ``sum z <= 1`` and ``sum cap x - sum cap z <= target``."""
    n_sites = len(sites)
    cap = sites["capacity_kwp"].to_numpy(float)
    picked = sparse.kron(sparse.eye(n_sites), np.ones((1, n_periods)))
    link = sparse.hstack([-picked, sparse.eye(n_sites)])
    one = sparse.hstack([sparse.csr_matrix((1, n_sites * n_periods)), sparse.csr_matrix(np.ones((1, n_sites)))])
    target = sparse.csr_matrix(np.concatenate([np.repeat(cap, n_periods), -cap])[None, :])
    widened = sparse.hstack([matrix, sparse.csr_matrix((matrix.shape[0], n_sites))])
    rows = sparse.vstack([widened, link, one, target]).tocsr()
    lower = np.concatenate([lower, np.full(n_sites + 2, -np.inf)])
    upper = np.concatenate([upper, np.zeros(n_sites), [1.0, target_kwp]])
    return rows, lower, upper, np.concatenate([cost, np.zeros(n_sites)])


def _stand_ins(sites: pd.DataFrame, picked: np.ndarray, transformers: pd.DataFrame) -> list[str]:
    """The sites the plan left out, in the order the office reaches them when planned sites drop out: those that
    still fit their transformer's hosting limit next to the planned sites first, each group by carbon per CNY."""
    rest = sites.loc[~picked]
    if rest.empty:
        return []
    planned_kwp = sites.loc[picked].groupby("transformer_id")["capacity_kwp"].sum()
    ranked = rest.loc[_by_carbon_per_cny(rest)]
    tids = ranked["transformer_id"].astype(str)
    total = ranked.groupby(tids, sort=False)["capacity_kwp"].cumsum() + tids.map(planned_kwp).fillna(0.0)
    limit = tids.map(transformers["hosting_limit_kw"].rename(index=str)).fillna(np.inf)
    frame = ranked.assign(_over=(total > limit).to_numpy(), _id=ranked.index.astype(str))
    return list(frame.sort_values(["_over", "carbon_per_cny_kg", "_id"], ascending=[True, False, True],
                                  kind="mergesort")["_id"])


def _period_table(periods: pd.DataFrame, chosen: pd.DataFrame, blocks: list[_Rows], x: np.ndarray) -> pd.DataFrame:
    """Per period: sites, capacity and capex planned, and the use of each limited resource [% of what it offers]."""
    out = periods[["period", "start_date", "budget_cny"]].copy()
    grouped = chosen.groupby("_period")
    out["sites"] = grouped.size().reindex(out["period"]).fillna(0).astype(int).to_numpy()
    for col in ("capacity_kwp", "capex_cny"):
        out[f"{col}"] = grouped[col].sum().reindex(out["period"]).fillna(0.0).to_numpy()
    for block in blocks:
        if block.family in ("crews", *OFFICE_RESOURCES):
            out[f"{block.family}_used_percent"] = 100.0 * (block.matrix @ x.astype(float)) / block.upper
    return out


def _binding_constraint(blocks: list[_Rows], config: PlanningConfig, inputs: PlanInputs) -> str:
    """Which limit makes the plan infeasible: the first family that, alone with the requirements (capacity target,
    quotas), already admits no fractional plan; otherwise the limits together."""
    requirements = [b for b in blocks if b.requirement]
    limits = [b for b in blocks if not b.requirement and b.family != "one period per site"]
    base = [blocks[0]]
    wanted = ", ".join(_requirement_text(b) for b in requirements) or "its requirements"
    for req in requirements:
        if _relaxation_infeasible(base + [req], config):
            return f"infeasible: no plan can meet {_requirement_text(req)}: not enough eligible sites"
    for block in limits:
        if _relaxation_infeasible(base + [block] + requirements, config):
            return (f"infeasible: no plan can meet {wanted}; binding constraint: {block.family} "
                    f"({_limit_text(block, inputs)})")
    return (f"infeasible: no plan can meet {wanted} under all limits together ("
            + ", ".join(b.family for b in limits) + "); each alone would allow it")


def _requirement_text(block: _Rows) -> str:
    unit = "kWp" if block.family == "capacity target" else "roofs"
    return f"{block.family} >= {block.lower[0]:,.0f} {unit}"


def _limit_text(block: _Rows, inputs: PlanInputs) -> str:
    if block.family == "budget":
        carry = "with" if inputs.rollout.budget_carry_over else "without"
        return f"{inputs.rollout.annual_budget_cny:,.0f} CNY a year for {len(block.upper)} year(s), {carry} carry-over"
    if block.family == "hosting":
        return "transformer hosting limits, with upgrades"
    if block.family == "capacity target":
        return f"at most {block.upper[0]:,.0f} kWp"
    return f"{getattr(inputs.rollout, block.family, '?')} {block.family} over {len(block.upper)} year(s)"


def _relaxation_infeasible(blocks: list[_Rows], config: PlanningConfig) -> bool:
    matrix, lower, upper = _stack(blocks)
    x, _ = solve_binary(np.zeros(matrix.shape[1]), matrix, lower, upper, config, integer=False)
    return x is None
