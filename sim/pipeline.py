"""One run, end to end: sites -> yields -> strategy -> SimPy rollout -> accounting -> RunResult.

Physics never runs inside the event loop: yield profiles are computed once per archetype and weather year, and
the rollout only sees each site's capacity, cost and grid connection.
"""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__
from . import accounting, carbon, energy, grid, strategies, weather
from .results import RunResult
from .rollout import check_inputs as check_rollout_inputs, simulate as simulate_rollout, total_budget_cny
from .scenario import Scenario
from .sites import prepare_sites


def default_cache_dir() -> Path:
    """Where yield profiles and fetched weather are cached (``PVSIM_CACHE_DIR`` or ``~/.cache/pvsim``)."""
    env = os.environ.get("PVSIM_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "pvsim"


class _Steps:
    """Progress over the pipeline's steps: a tqdm bar on stderr when enabled, timings always."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.timings: dict[str, float] = {}
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="pvsim", unit="step", leave=False, mininterval=0.2,
                            bar_format="{desc}: {n_fmt}/{total_fmt} {bar} {elapsed}")

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.bar is not None:
            self.bar.set_description_str(f"pvsim: {name}")
        t0 = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - t0
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def inputs_sha256(scenario: Scenario) -> str:
    """A hash of the scenario file and every data file it names (recorded in summary.json)."""
    h = hashlib.sha256()
    paths: list[Path] = []
    if scenario.path is not None:
        paths.append(scenario.path)
    paths.append(scenario.resolve(scenario.data.sites_file))
    if scenario.data.grid_file is not None:
        paths.append(scenario.resolve(scenario.data.grid_file))
    paths += [scenario.resolve(e.file) for e in scenario.data.exclusions if e.file is not None]
    paths += [scenario.resolve(f) for f in scenario.weather.files]
    for p in sorted(set(paths)):
        h.update(p.name.encode())
        if p.exists():
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def _county_location(sites) -> tuple[float, float]:
    minx, miny, maxx, maxy = sites.total_bounds
    return float((miny + maxy) / 2.0), float((minx + maxx) / 2.0)


def compute_yields(scenario: Scenario, sites, *, cache_dir: Path | None) -> tuple[list[np.ndarray], pd.DataFrame, list]:
    """Weather years, archetypes and hourly profiles; adds ``archetype`` and ``specific_yield_kwh_per_kwp``."""
    lat, lon = _county_location(sites)
    weathers = weather.load_weather(scenario.weather, scenario.base_dir, latitude=lat, longitude=lon,
                                    altitude=scenario.weather.altitude_m or 500.0, cache_dir=cache_dir)
    apply_crop_light(scenario, sites, weathers[0])
    archetype_index, archetypes = energy.assign_archetypes(sites)
    profiles = [energy.archetype_profiles(w, archetypes, scenario.system, cache_dir=cache_dir) for w in weathers]
    annual = np.mean([p.sum(axis=0, dtype=np.float64) for p in profiles], axis=0)
    sites["archetype"] = archetype_index.astype(int)
    sites["specific_yield_kwh_per_kwp"] = annual[archetype_index].round(2)
    return profiles, archetypes, weathers


MIN_AGRIVOLTAIC_GCR = 0.05


def apply_crop_light(scenario: Scenario, sites, weather_year) -> None:
    """Crop light under agrivoltaic arrays, per site; with ``siting.agrivoltaic_min_crop_light_percent`` set, the GCR
    of designs that shade too much is lowered to the largest one that passes (capacity and capex scale with it), and
    a design that cannot pass even at GCR 0.05 makes the site ineligible (``crop_light_below_minimum``).

    Adds ``crop_light_percent`` and ``crop_light_growing_season_percent`` (NaN for other mounts). Modifies ``sites``.
    """
    sites["crop_light_percent"] = np.nan
    sites["crop_light_growing_season_percent"] = np.nan
    agri = sites["mount"].str.startswith("agrivoltaic")
    if not agri.any():
        return
    minimum = scenario.siting.agrivoltaic_min_crop_light_percent
    design_cols = ["surface_tilt", "surface_azimuth", "gcr", "height_m", "tracking"]
    for design, idx in sites[agri].groupby(design_cols, sort=True).groups.items():
        tilt, azimuth, gcr, height, tracking = design
        light = energy.crop_light_fraction(weather_year, tilt, azimuth, gcr, height, tracking=bool(tracking))
        if minimum is not None and light["growing_season"] * 100.0 < minimum:
            new_gcr = energy.max_gcr_for_crop_light(minimum / 100.0, weather_year, tilt, azimuth, height,
                                                    tracking=bool(tracking))
            new_gcr = float(np.floor(new_gcr * 100.0) / 100.0)
            if new_gcr < MIN_AGRIVOLTAIC_GCR:
                still = idx[sites.loc[idx, "eligible"].to_numpy()]
                sites.loc[still, "eligible"] = False
                sites.loc[still, "exclusion_reason"] = "crop_light_below_minimum"
            else:
                scale = new_gcr / gcr
                sites.loc[idx, "gcr"] = new_gcr
                sites.loc[idx, "capacity_kwp"] = (sites.loc[idx, "capacity_kwp"] * scale).round(2)
                sites.loc[idx, "capex_cny"] = (sites.loc[idx, "capex_cny"] * scale).round(2)
                light = energy.crop_light_fraction(weather_year, tilt, azimuth, new_gcr, height,
                                                   tracking=bool(tracking))
        sites.loc[idx, "crop_light_percent"] = round(100.0 * light["annual"], 2)
        sites.loc[idx, "crop_light_growing_season_percent"] = round(100.0 * light["growing_season"], 2)


@dataclass
class Prepared:
    """Everything a run needs that does not depend on the strategy or the seed (computed once, shared by workers)."""

    scenario: Scenario
    sites: gpd.GeoDataFrame
    transformers: pd.DataFrame
    profiles: list[np.ndarray]
    archetypes: pd.DataFrame
    weather_sources: list[str]
    eligible: pd.DataFrame
    emission_factor_kgco2_per_kwh: float
    candidate_roofs: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)


def prepare(scenario: Scenario, *, strict: bool = False, progress: bool = False,
            cache_dir: Path | str | None = None, _steps: "_Steps | None" = None) -> Prepared:
    """Sites, eligibility, grid assignment and yield profiles: the strategy- and seed-independent part of a run."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    steps = _steps or _Steps(progress, total=2)
    with steps.step("sites"):
        sites, transformers = prepare_sites(scenario, strict=strict)
    with steps.step("yields"):
        profiles, archetypes, weathers = compute_yields(scenario, sites, cache_dir=cache)
        factor = carbon.resolve_factor(scenario.carbon)
        ef0 = float(factor.by_year(np.array([scenario.start_date.year]))[0])
        eligible = sites[sites["eligible"]].drop(columns="geometry")
        eligible = pd.DataFrame(eligible)
        eligible["annual_energy_mwh"] = eligible["capacity_kwp"] * eligible["specific_yield_kwh_per_kwp"] / 1000
        eligible["co2_per_year_t"] = eligible["annual_energy_mwh"] * ef0
        eligible["carbon_per_cny_kg"] = eligible["co2_per_year_t"] * 1000.0 / eligible["capex_cny"]
    if _steps is None:
        steps.close()
    return Prepared(
        scenario=scenario, sites=sites, transformers=transformers, profiles=profiles, archetypes=archetypes,
        weather_sources=[w.source for w in weathers], eligible=eligible, emission_factor_kgco2_per_kwh=ef0,
        candidate_roofs={str(k): int(v) for k, v in
                         sites.loc[sites["pilot_category"] != "", "pilot_category"].value_counts().items()},
        timings=dict(steps.timings),
    )


def run(scenario: Scenario, strategy: str | None = None, seed: int | None = None, *, strict: bool = False,
        progress: bool = False, cache_dir: Path | str | None = None) -> RunResult:
    """Simulate one scenario with one strategy and seed (defaults: the scenario's) and return the result."""
    t_start = time.perf_counter()
    steps = _Steps(progress, total=6)
    try:
        prepared = prepare(scenario, strict=strict, cache_dir=cache_dir, _steps=steps)
        result = run_prepared(prepared, strategy, seed, _steps=steps)
    finally:
        steps.close()
    # timings stay out of summary.json, which must be byte-identical for the same scenario and seed
    result.timings = {**steps.timings, "total": time.perf_counter() - t_start}
    return result


def run_prepared(prepared: Prepared, strategy: str | None = None, seed: int | None = None, *,
                 _steps: "_Steps | None" = None) -> RunResult:
    """The strategy- and seed-dependent part of a run: order, SimPy rollout, accounting, result."""
    scenario = prepared.scenario
    strategy = strategy or scenario.strategy
    seed = scenario.seed if seed is None else int(seed)
    steps = _steps or _Steps(False, total=4)
    with steps.step("strategy"):
        ctx = strategies.StrategyContext(
            seed=seed, horizon_years=scenario.horizon_years, total_budget_cny=_total_budget(scenario),
            emission_factor_kgco2_per_kwh=prepared.emission_factor_kgco2_per_kwh,
            hosting_limit_kw=prepared.transformers["hosting_limit_kw"].to_dict(),
            candidate_roofs=prepared.candidate_roofs,
        )
        order = strategies.order_sites(strategy, prepared.eligible, ctx)
    with steps.step("rollout"):
        rollout = simulate_rollout(
            prepared.eligible, order, prepared.transformers, scenario.rollout, scenario.operation, seed=seed,
            start_date=scenario.start_date, horizon_years=scenario.horizon_years,
        )
    with steps.step("accounting"):
        acc = accounting.account(
            prepared.sites, rollout.outcomes, rollout.downtime, prepared.profiles,
            _export_limits(prepared, rollout),
            start_date=scenario.start_date, horizon_years=scenario.horizon_years,
            degradation_first_year_percent=scenario.operation.degradation_first_year_percent,
            degradation_percent_per_year=scenario.operation.degradation_percent_per_year,
            carbon=scenario.carbon, economics=scenario.economics,
        )
    with steps.step("assemble"):
        return _assemble(scenario, strategy, seed, prepared, order, rollout, acc)


def _export_limits(prepared: Prepared, rollout) -> pd.DataFrame:
    return grid.export_limits_after_upgrades(
        prepared.transformers, rollout.upgrades, hosting_share_percent=prepared.scenario.grid.hosting_share_percent,
        export_limit_percent=prepared.scenario.grid.export_limit_percent)


def _total_budget(scenario: Scenario) -> float | None:
    return total_budget_cny(scenario.rollout, scenario.start_date, scenario.horizon_years)


def _assemble(scenario, strategy, seed, prepared: Prepared, order, rollout, acc) -> RunResult:
    out = prepared.sites.copy()
    rank = pd.Series(np.arange(1, len(order) + 1), index=pd.Index(order))
    out["priority_rank"] = rank.reindex(out.index).astype("Int64")
    oc = rollout.outcomes.reindex(out.index)
    out["status"] = oc["status"].where(out["eligible"], "ineligible").fillna("not_prioritised").astype(str)
    out["commission_date"] = pd.to_datetime(oc["commission_date"])
    site_tot = acc.sites.reindex(out.index)
    for col in ("energy_mwh", "curtailed_mwh", "co2_avoided_gross_t", "co2_avoided_t", "lcoe_cny_per_kwh",
                "npv_cny"):
        if col in site_tot.columns:
            out[col] = site_tot[col].astype(float).fillna(0.0) if col in ("energy_mwh", "curtailed_mwh",
                                                                             "co2_avoided_gross_t",
                                                                             "co2_avoided_t") else site_tot[col]
    built = out["status"].eq("operating")
    keep = ["site_id", "site_type", "township", "village", "name", "pilot_category", "area_m2", "eligible",
            "exclusion_reason", "capacity_kwp", "mount", "surface_tilt", "surface_azimuth", "gcr", "height_m",
            "archetype", "specific_yield_kwh_per_kwp", "crop_light_percent", "crop_light_growing_season_percent",
            "transformer_id", "feeder_id", "connection_level",
            "distance_to_transformer_m", "capex_cny", "priority_rank", "status", "commission_date", "energy_mwh",
            "curtailed_mwh", "co2_avoided_gross_t", "co2_avoided_t", "lcoe_cny_per_kwh", "npv_cny", "geometry"]
    out = out[[c for c in keep if c in out.columns]]

    totals = dict(acc.totals)
    annual = acc.annual.copy()
    energy_by_year = {int(y): float(e) for y, e in zip(annual["year"], annual["energy_mwh"])}
    cap_built = float(out.loc[built, "capacity_kwp"].sum())
    sy = out.loc[built, "specific_yield_kwh_per_kwp"]
    summary = {
        "scenario": scenario.name,
        "strategy": strategy,
        "seed": seed,
        "version": __version__,
        "start_date": scenario.start_date.isoformat(),
        "horizon_years": scenario.horizon_years,
        "sites_candidate": int(len(out)),
        "sites_eligible": int(out["eligible"].sum()),
        "sites_released": int((rollout.outcomes["status"] != "not_released").sum()),
        "sites_built": int(built.sum()),
        "sites_by_status": {k: int(v) for k, v in out["status"].value_counts().sort_index().items()},
        "capacity_eligible_kwp": float(out.loc[out["eligible"], "capacity_kwp"].sum()),
        "capacity_built_kwp": cap_built,
        "capacity_built_by_type_kwp": {k: float(v) for k, v in
                                       out.loc[built].groupby("site_type")["capacity_kwp"].sum().items()},
        "specific_yield_kwh_per_kwp": float((sy * out.loc[built, "capacity_kwp"]).sum() / cap_built) if cap_built
        else None,
        "energy_mwh": totals.get("energy_mwh"),
        "energy_by_year_mwh": energy_by_year,
        "co2_avoided_t": totals.get("co2_avoided_t"),
        "co2_avoided_gross_t": totals.get("co2_avoided_gross_t"),
        "t_co2_per_mwh": totals.get("t_co2_per_mwh"),
        "green_certificates": totals.get("green_certificates"),
        "capex_cny": float(out.loc[built, "capex_cny"].sum()),
        "lcoe_cny_per_kwh": totals.get("lcoe_cny_per_kwh"),
        "npv_cny": totals.get("npv_cny"),
        "cost_per_t_co2_cny": totals.get("cost_per_t_co2_cny"),
        "curtailed_mwh": totals.get("curtailed_mwh"),
        "emission_factor_method": totals.get("emission_factor_method"),
        "emission_factor_source": totals.get("emission_factor_source"),
        "pilot_coverage": totals.get("pilot_coverage"),
        "resources": rollout.resources,
        "milestones": rollout.milestones,
        "spend_by_year_cny": {int(k): float(v) for k, v in rollout.spend_by_year.items()},
        "weather": list(prepared.weather_sources),
        "archetypes": int(len(prepared.archetypes)),
        "inputs_sha256": inputs_sha256(scenario),
    }
    return RunResult(summary=summary, sites=out, annual=annual, events=rollout.events,
                     site_years=acc.site_years, stage_durations=rollout.stage_durations,
                     transformers=grid.transformer_loading(prepared.transformers, rollout.upgrades, out,
                                                           export_limits=_export_limits(prepared, rollout)))


def validate(scenario: Scenario, *, strict: bool = False) -> dict:
    """Check a scenario and all its data without running the rollout: returns a few counts."""
    sites, transformers = prepare_sites(scenario, strict=strict)
    lat, lon = _county_location(sites)
    weathers = weather.load_weather(scenario.weather, scenario.base_dir, latitude=lat, longitude=lon,
                                    altitude=scenario.weather.altitude_m or 500.0, cache_dir=default_cache_dir())
    factor = carbon.resolve_factor(scenario.carbon)
    strategies.resolve(scenario.strategy)
    eligible = sites[sites["eligible"]]
    check_rollout_inputs(eligible, transformers, scenario.rollout, start_date=scenario.start_date,
                         horizon_years=scenario.horizon_years)
    return {
        "sites (candidate / eligible)": f"{len(sites)} / {len(eligible)}",
        "eligible capacity": f"{eligible['capacity_kwp'].sum() / 1000:,.1f} MWp",
        "transformers": len(transformers),
        "weather": ", ".join(w.source for w in weathers),
        "emission factor": factor.source,
        "strategy": scenario.strategy,
    }
