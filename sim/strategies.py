"""Siting strategies: name -> function(sites, context) -> priority order of site ids.

A strategy receives the *eligible* sites (a DataFrame indexed by ``site_id`` with ``site_type, township,
pilot_category, capacity_kwp, hosting_kw (the AC kW it asks of its transformer), capex_cny,
specific_yield_kwh_per_kwp, annual_energy_mwh, co2_per_year_t, carbon_per_cny_kg, transformer_id``) and a :class:`StrategyContext`, and returns the order in which the programme
office should release them. It may leave sites out. Users add their own as ``module:function`` in the scenario.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._config import PILOT_TARGETS_PERCENT
from .errors import InputError
from .rng import stream

if TYPE_CHECKING:
    from .planning import PlanInputs

AGRI_TOURISM_TYPES = ("agrivoltaic", "greenhouse", "fish_pond", "tourism_carpark", "guesthouse")


@dataclass(frozen=True)
class StrategyContext:
    """What a strategy may know besides the sites."""

    seed: int
    horizon_years: int
    total_budget_cny: float | None = None
    emission_factor_kgco2_per_kwh: float = 0.5306
    hosting_limit_kw: dict[str, float] = field(default_factory=dict)
    candidate_roofs: dict[str, int] = field(default_factory=dict)
    """Candidate roofs per pilot category, eligible or not (the pilot's denominator)."""
    pilot_coverage: bool = True
    """The county takes part in the whole-county pilot (the scenario's ``pilot_coverage``)."""
    plan_inputs: PlanInputs | None = None
    """:class:`sim.planning.PlanInputs` (the programme, grid, planning settings) for the optimising strategies."""


def site_features(sites: pd.DataFrame, emission_factor_kgco2_per_kwh: float) -> pd.DataFrame:
    """The eligible sites as strategies see them (a plain DataFrame, no geometry), with the ranking features:

    - ``annual_energy_mwh = capacity_kwp x specific_yield_kwh_per_kwp / 1000`` [MWh/year];
    - ``co2_per_year_t = annual_energy_mwh x emission_factor`` [t/year] (first-year grid factor [kgCO2/kWh]);
    - ``carbon_per_cny_kg = co2_per_year_t x 1000 / capex_cny`` [kg CO2 per CNY of capex, per year].
    """
    eligible = pd.DataFrame(sites[sites["eligible"]].drop(columns="geometry", errors="ignore"))
    eligible["annual_energy_mwh"] = eligible["capacity_kwp"] * eligible["specific_yield_kwh_per_kwp"] / 1000
    eligible["co2_per_year_t"] = eligible["annual_energy_mwh"] * emission_factor_kgco2_per_kwh
    eligible["carbon_per_cny_kg"] = eligible["co2_per_year_t"] * 1000.0 / eligible["capex_cny"]
    return eligible


def candidate_roofs(sites: pd.DataFrame) -> dict[str, int]:
    """Candidate roofs per pilot category, eligible or not (the pilot's denominator)."""
    counts = sites.loc[sites["pilot_category"] != "", "pilot_category"].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


StrategyFn = Callable[[pd.DataFrame, StrategyContext], Sequence[str]]
REGISTRY: dict[str, StrategyFn] = {}


def register(name: str) -> Callable[[StrategyFn], StrategyFn]:
    def deco(fn: StrategyFn) -> StrategyFn:
        REGISTRY[name] = fn
        return fn

    return deco


#: Significant digits of a sort key: values equal up to floating-point noise tie (and the site id decides), so an
#: order never hinges on the last bits of a product (e.g. carbon per CNY of two homes with the same yield).
SORT_KEY_DIGITS = 12


def _sort_key(values: pd.Series) -> pd.Series:
    if not pd.api.types.is_float_dtype(values):
        return values
    return values.map(lambda v: float(f"{v:.{SORT_KEY_DIGITS}g}"))


def _by(sites: pd.DataFrame, *cols: str, ascending: Sequence[bool]) -> list[str]:
    """Stable sort with the site id as last tie-breaker (orders never depend on input row order or on
    floating-point noise in the keys)."""
    frame = sites.assign(_id=sites.index.astype(str), **{f"_key{k}": _sort_key(sites[c]) for k, c in enumerate(cols)})
    keys = [f"_key{k}" for k in range(len(cols))]
    return frame.sort_values([*keys, "_id"], ascending=[*ascending, True], kind="mergesort")["_id"].tolist()


@register("random")
def random_order(sites: pd.DataFrame, ctx: StrategyContext) -> list[str]:
    """Random order (seeded): the baseline every other strategy should beat. Optimises nothing."""
    ids = np.array(sorted(sites.index.astype(str)))
    return list(stream(ctx.seed, "strategy", "random").permutation(ids))


@register("max_yield")
def max_yield(sites: pd.DataFrame, ctx: StrategyContext) -> list[str]:
    """Best specific yield (kWh/kWp) first: maximises energy per kWp built; ignores cost, grid headroom and quotas."""
    return _by(sites, "specific_yield_kwh_per_kwp", "capacity_kwp", ascending=[False, False])


@register("max_carbon_per_cny")
def max_carbon_per_cny(sites: pd.DataFrame, ctx: StrategyContext) -> list[str]:
    """Most CO2 avoided per CNY of capex first: the cheapest carbon; ignores grid headroom, quotas and geography."""
    return _by(sites, "carbon_per_cny_kg", ascending=[False])


@register("grid_headroom")
def grid_headroom(sites: pd.DataFrame, ctx: StrategyContext) -> list[str]:
    """Spread load over transformers: the emptiest transformers are filled first.

    Each site is ranked by how full its transformer would be with it and the sites of that transformer before it
    (cumulative AC kW asked, ``hosting_kw``, over the hosting limit; within a transformer sites go by carbon per
    CNY), least full first, so hosting-capacity stalls come as late as possible. Sites that would overflow their
    transformer go last. Ignores quotas and geography.
    """
    order = _by(sites, "transformer_id", "carbon_per_cny_kg", ascending=[True, False])
    s = sites.loc[order]
    limit = s["transformer_id"].map(ctx.hosting_limit_kw).fillna(np.inf).astype(float)
    cum = s.groupby("transformer_id", sort=False)["hosting_kw"].cumsum()
    load = np.where(limit > 0, cum / limit.where(limit > 0, 1.0), np.inf)
    s = s.assign(_load=load, _over=load > 1.0)
    return _by(s, "_over", "_load", "carbon_per_cny_kg", ascending=[True, True, False])


@register("pilot_quota")
def pilot_quota(sites: pd.DataFrame, ctx: StrategyContext) -> list[str]:
    """Whole-county pilot first: enough roofs of each category to reach the 50/40/30/20 % targets, then the rest.

    Quota roofs are the most cost-effective of each category, released round-robin across categories so all four
    progress together; everything else follows by carbon per CNY. Optimises compliance, then carbon per CNY.
    """
    if not ctx.pilot_coverage:
        raise InputError(
            "pilot_quota orders sites by the whole-county pilot, which this scenario is not part of",
            field="strategy",
            value="pilot_quota",
            allowed="another strategy, or pilot_coverage: true",
        )
    chosen: list[list[str]] = []
    for cat, target in PILOT_TARGETS_PERCENT.items():
        pool = sites[sites["pilot_category"] == cat]
        if pool.empty:
            continue
        denominator = ctx.candidate_roofs.get(cat, len(pool))
        need = min(len(pool), math.ceil(target / 100.0 * denominator))
        chosen.append(_by(pool, "carbon_per_cny_kg", ascending=[False])[:need])
    first: list[str] = []
    for i in range(max((len(c) for c in chosen), default=0)):
        first.extend(c[i] for c in chosen if i < len(c))
    taken = set(first)
    rest = [sid for sid in _by(sites, "carbon_per_cny_kg", ascending=[False]) if sid not in taken]
    return first + rest


@register("township_balanced")
def township_balanced(sites: pd.DataFrame, ctx: StrategyContext) -> list[str]:
    """Round-robin across townships, each township's sites by carbon per CNY: spreads the programme fairly.

    Optimises geographic balance; ignores grid headroom and quotas and gives up some carbon per CNY.
    """
    ranked = sites.assign(_id=sites.index.astype(str)).sort_values(
        ["township", "carbon_per_cny_kg", "_id"], ascending=[True, False, True], kind="mergesort"
    )
    ranked["_rank"] = ranked.groupby("township").cumcount()
    ranked = ranked.set_index("_id")
    ranked.index.name = None
    return _by(ranked, "_rank", "township", ascending=[True, True])


@register("agri_tourism_first")
def agri_tourism_first(sites: pd.DataFrame, ctx: StrategyContext) -> list[str]:
    """Farms, greenhouses, fish ponds and tourism sites first (by carbon per CNY), rooftops of homes and buildings after.

    Serves rural-revitalisation goals (income for farms and tourism); ignores quotas and grid headroom.
    """
    s = sites.assign(_rooftop=~sites["site_type"].isin(AGRI_TOURISM_TYPES))
    return _by(s, "_rooftop", "carbon_per_cny_kg", ascending=[True, False])


@register("optimal")
def optimal(sites: pd.DataFrame, ctx: StrategyContext) -> list[str]:
    """Mixed-integer programme of the whole programme (HiGHS, sim.planning.plan) that maximises the run's
    headline, CO2 avoided over the horizon: the budget year each site is released in, under each track's budget
    and target, the shared crews, offices, release pacing and AC hosting (with upgrades), every site counted with
    its expected consent and completion; released year by year, within a year by carbon per CNY, the sites left out
    after. Stops at planning.mip_rel_gap_percent or planning.node_limit (no time limit).
    """
    return _planned(sites, ctx, "optimal")


@register("multi_year_plan")
def multi_year_plan(sites: pd.DataFrame, ctx: StrategyContext) -> list[str]:
    """The same programme (sim.planning.plan) optimising planning.objective: discounted CO2 avoided
    (default), energy, or least capex to reach every track's target; with planning.pilot_quotas the pilot's quotas
    too. Released year by year, within a year by carbon per CNY.
    """
    return _planned(sites, ctx, "multi_year_plan")


def planned(name: str, sites: pd.DataFrame, ctx: StrategyContext):
    """The :class:`sim.planning.Plan` of optimising strategy ``name`` (``optimal`` or ``multi_year_plan``)."""
    from .planning import STRATEGY_OBJECTIVES, plan

    if ctx.plan_inputs is None:
        raise InputError(
            f"{name} needs the scenario's programme and grid (run it through sim.run, sim.compare or "
            "pvsim, or give StrategyContext.plan_inputs)",
            field="strategy",
            value=name,
        )
    return plan(sites, ctx.plan_inputs, STRATEGY_OBJECTIVES.get(name))


def _planned(sites: pd.DataFrame, ctx: StrategyContext, name: str) -> list[str]:
    return [] if sites.empty else planned(name, sites, ctx).order


PLANNED = frozenset({"optimal", "multi_year_plan"})
"""The optimising built-ins: their order is one solve of :func:`sim.planning.plan` (:func:`planned`)."""
SEED_INDEPENDENT = PLANNED | {
    "max_yield",
    "max_carbon_per_cny",
    "grid_headroom",
    "pilot_quota",
    "township_balanced",
    "agri_tourism_first",
}
"""Built-in strategies whose order does not depend on the seed (they never read ``ctx.seed``): a comparison
computes each order once per preparation (solves the :data:`PLANNED` ones once), and every replication releases by
it. ``random`` and user strategies (``module:function``) are ordered again in every run."""


def available() -> list[str]:
    return sorted(REGISTRY)


def resolve(name: str) -> StrategyFn:
    """A built-in name, or ``module:function`` naming an importable callable."""
    if name in REGISTRY:
        return REGISTRY[name]
    if ":" not in name:
        close = difflib.get_close_matches(name, available(), n=1, cutoff=0.6)
        raise InputError(
            "unknown strategy" + (f" (did you mean {close[0]}?)" if close else ""),
            field="strategy",
            value=name,
            allowed=", ".join(available()) + ", or 'module:function'",
        )
    module_name, _, func_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure of user code is reported, not raised through
        raise InputError(
            f"cannot import strategy module ({type(exc).__name__}: {exc})",
            field="strategy",
            value=name,
            allowed="an importable 'module:function'",
        ) from None
    fn = getattr(module, func_name, None)
    if not callable(fn):
        raise InputError(f"module '{module_name}' has no function '{func_name}'", field="strategy", value=name)
    try:
        inspect.signature(fn).bind(None, None)
    except TypeError:
        raise InputError("a strategy function must take (sites, context)", field="strategy", value=name) from None
    return fn


def order_sites(name: str, sites: pd.DataFrame, ctx: StrategyContext) -> list[str]:
    """Run strategy ``name`` and check what it returns: unique ids of the given sites."""
    fn = resolve(name)
    return checked_order(name, fn(sites.copy(), ctx), sites)


def checked_order(name: str, result, sites: pd.DataFrame) -> list[str]:
    """The ids strategy ``name`` returned, checked: unique ids of the given sites."""
    ids = [str(x) for x in (result.tolist() if isinstance(result, (pd.Series, pd.Index)) else list(result))]
    known = set(sites.index.astype(str).tolist())
    unknown = [x for x in ids if x not in known]
    if unknown:
        raise InputError(
            f"strategy returned {len(unknown)} id(s) that are not eligible sites",
            field="strategy",
            value=f"{name} -> {unknown[0]!r}",
            allowed="ids from the sites it was given",
        )
    if len(set(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
        raise InputError("strategy returned a site twice", field="strategy", value=f"{name} -> {dup!r}")
    return ids
