"""One run, end to end, as named steps (in the shape of pvlib's ``ModelChain.run_model``); no domain rule lives here.

:func:`prepare` (strategy- and seed-independent, computed once and shared by replications):
``sites`` (:func:`sim.sites.read_sites`) -> ``weather`` (:func:`load_weather` at the county's location) ->
``sites`` again (:func:`sim.sites.prepare_sites`: sizing, agrivoltaic design, grid connection, eligibility) ->
``yields`` (:func:`compute_yields`) -> strategy features (:func:`sim.strategies.site_features`).

:func:`run_prepared` (per strategy and seed): ``strategy`` (order) -> ``rollout`` (:func:`sim.rollout.simulate`)
-> ``accounting`` (:func:`sim.accounting.account`) -> ``assemble`` (:class:`sim.results.RunResult`).

Physics never runs inside the event loop: yield profiles are computed once per archetype and weather year, and
the rollout only sees each site's capacity, cost and grid connection.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import (
    __version__,
    accounting,
    carbon,
    country,
    energy,
    grid,
    inputs,
    planning,
    powerflow,
    programme,
    strategies,
    weather,
)
from . import load as loadmod
from . import sites as sitesmod
from ._io import is_regular_file
from ._runtime import paused_gc
from .errors import InputError
from .labels import in_currency, quantity
from .planning import PlanInputs
from .results import RunResult, ordered_summary, output_columns
from .rollout import check_inputs as check_rollout_inputs
from .rollout import simulate as simulate_rollout
from .rollout import total_budget_cny, village_key
from .scenario import Scenario, as_run_yaml

PREPARE_STEPS = 4  # sites, weather, eligibility, yields
RUN_STEPS = 4  # strategy, rollout, accounting, assemble


def default_cache_dir() -> Path:
    """Where yield profiles, fetched weather and a comparison's solves are cached (``PVSIM_CACHE_DIR`` or
    ``~/.cache/pvsim``)."""
    env = os.environ.get("PVSIM_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "pvsim"


STATUS_AFTER_S = 1.0
"""Off a terminal, a step that took longer than this gets one status line on stderr."""


class _Steps:
    """Progress over the pipeline's steps, timings always. When enabled: a tqdm bar on stderr if stderr is a
    terminal; otherwise (a log, a pipe) one plain line per step that took over :data:`STATUS_AFTER_S`, never
    a bar's redraws."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.timings: dict[str, float] = {}
        self.bar = None
        # a terminal that reports no width (some CI pseudo-terminals) gets the plain lines, not a bar of width 0
        self.lines = enabled and (not _stderr_is_terminal() or _stderr_columns() < MIN_BAR_COLUMNS)
        if enabled and not self.lines:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                desc="pvsim",
                unit="step",
                leave=False,
                mininterval=0.2,
                file=sys.stderr,
                bar_format="{desc}: {n_fmt}/{total_fmt} {bar} {elapsed}",
            )

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.bar is not None:
            self.bar.set_description_str(f"pvsim: {name}")
        t0 = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - t0
        if self.bar is not None:
            self.bar.update(1)
        elif self.lines and self.timings[name] > STATUS_AFTER_S:
            print(f"pvsim: {name} done in {self.timings[name]:.1f} s", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


#: Narrowest terminal that gets a progress bar.
MIN_BAR_COLUMNS = 20


def _stderr_columns() -> int:
    """Width of the terminal on stderr in columns (``COLUMNS`` when set), 0 when it reports none."""
    try:
        return int(os.environ.get("COLUMNS") or 0) or os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def input_paths(scenario: Scenario) -> list[Path]:
    """The scenario file and every data file it names (a Shapefile with its sidecar files), sorted: what a run
    reads and never writes."""
    paths: list[Path] = []
    if scenario.path is not None:
        paths.append(scenario.path)
    data = [
        scenario.data.sites_file,
        scenario.data.grid_file,
        scenario.data.transformers_file,
        scenario.data.lines_file,
        *(e.file for e in scenario.data.exclusions),
    ]
    paths += [part for f in data if f is not None for part in inputs.data_files(scenario.resolve(f))]
    paths += [scenario.resolve(f) for f in scenario.weather.files]
    return sorted(set(paths))


def inputs_sha256(scenario: Scenario) -> str:
    """A hash of the scenario file and every data file it names (recorded in summary.json)."""
    h = hashlib.sha256()
    for p in input_paths(scenario):
        h.update(p.name.encode())
        if p.exists():
            if not is_regular_file(p):  # /dev/zero or a FIFO would be read forever
                raise InputError(
                    "not a plain file (a device, a FIFO or a socket is never read)", file=p, allowed="a data file"
                )
            _hash_file(h, p)
    return h.hexdigest()


def _hash_file(h, path: Path) -> None:
    """Feed the bytes of the file ``path`` into the hash ``h``, a megabyte at a time."""
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a file's bytes (None if it does not exist)."""
    if not Path(path).is_file():
        return None
    h = hashlib.sha256()
    _hash_file(h, path)
    return h.hexdigest()


def input_files(scenario: Scenario) -> list[dict]:
    """``[{"path", "sha256"}]`` of the scenario file and every data file it names (:func:`input_paths`), in that
    order: what ``summary.json`` records as ``inputs``."""
    return [{"path": str(p), "sha256": file_sha256(p)} for p in input_paths(scenario)]


def county_time_zone(scenario: Scenario, sites) -> str:
    """The scenario's ``time_zone``, or the zone at the centre of the county's sites."""
    return scenario.time_zone or weather.time_zone_at(*sitesmod.county_location(sites))


def localise(scenario: Scenario, sites, time_zone: str) -> tuple[Scenario, country.CountryProfile]:
    """The scenario with the defaults of the county's country (from the centre of its sites) for every key it
    leaves unset, and what came from the location (:func:`sim.country.apply_location`)."""
    lat, lon = sitesmod.county_location(sites)
    return country.apply_location(scenario, lat, lon, time_zone)


def load_weather(scenario: Scenario, sites, *, cache_dir: Path | None, time_zone: str | None = None) -> list:
    """The scenario's weather years, at the centre of the county's sites unless the scenario gives a location, on
    the county's clock (``time_zone``, found from the sites when not given)."""
    lat, lon = sitesmod.county_location(sites)
    return weather.load_weather(
        scenario.weather,
        scenario.base_dir,
        latitude=lat,
        longitude=lon,
        altitude=scenario.weather.altitude_m or 500.0,
        cache_dir=cache_dir,
        tz=time_zone or county_time_zone(scenario, sites),
    )


def compute_yields(
    scenario: Scenario, sites, weathers: list, *, cache_dir: Path | None
) -> tuple[gpd.GeoDataFrame, list[np.ndarray], pd.DataFrame]:
    """Archetypes and their hourly profiles per weather year; returns a copy of ``sites`` with ``archetype`` and
    ``specific_yield_kwh_per_kwp`` (mean over the weather years), the profiles and the archetype table."""
    archetype_index, archetypes = energy.assign_archetypes(sites)
    profiles = [energy.archetype_profiles(w, archetypes, scenario.system, cache_dir=cache_dir) for w in weathers]
    annual = np.mean([p.sum(axis=0, dtype=np.float64) for p in profiles], axis=0)
    out = sites.copy()
    out["archetype"] = archetype_index.astype(int)
    out["specific_yield_kwh_per_kwp"] = annual[archetype_index].round(2)
    return out, profiles, archetypes


def climatology_yields(
    scenario: Scenario, sites, archetypes: pd.DataFrame, *, cache_dir: Path | None, time_zone: str | None = None
) -> dict[str, dict]:
    """The climatology range of a synthetic year calibrated to a shipped preset (``weather.synthetic.preset``,
    without monthly values of its own): ``{preset: {"period", "annual_kwh_per_kwp"}}`` with each archetype's yearly
    yield [kWh/kWp] on every shipped preset near the county (the same station's older and recent typical years,
    e.g. Beijing IWEC 1982-1999 and TMYx 2009-2023). Empty otherwise (a file or PVGIS year is the user's own)."""
    cfg = scenario.weather
    syn = cfg.synthetic
    own = (syn.monthly_ghi_kwh_per_m2_day, syn.monthly_temp_air_c, syn.monthly_wind_speed_m_per_s)
    if cfg.source != "synthetic" or syn.preset is None or any(v is not None for v in own):
        return {}
    lat, lon = sitesmod.county_location(sites)
    out = {}
    for name, preset in weather.PRESETS.items():
        variant = cfg.model_copy(update={"synthetic": syn.model_copy(update={"preset": name})})
        try:
            years = weather.load_weather(
                variant,
                scenario.base_dir,
                latitude=lat,
                longitude=lon,
                altitude=cfg.altitude_m or 500.0,
                cache_dir=cache_dir,
                tz=time_zone or county_time_zone(scenario, sites),
            )
        except (InputError, ValueError):  # the preset's station is too far from the county
            continue
        profiles = [energy.archetype_profiles(w, archetypes, scenario.system, cache_dir=cache_dir) for w in years]
        out[name] = {
            "period": preset.period,
            "annual_kwh_per_kwp": np.mean([p.sum(axis=0, dtype=np.float64) for p in profiles], axis=0),
        }
    return out if len(out) > 1 else {}


def climatology_range(
    climatologies: dict[str, dict], sites, energy_mwh: float, co2_avoided_t: float, preset: str | None
) -> dict:
    """``summary.json`` ``climatology_range``: the built fleet's first-year yield on each climatology, and the
    headline energy and CO2 scaled by its ratio to the run's own climatology (``preset``)."""
    if not climatologies or preset not in climatologies:
        return {}
    built = sites[sites["status"].eq("operating")]
    kwp = built["capacity_kwp"].to_numpy(float)
    if kwp.sum() <= 0:
        return {}
    arch = built["archetype"].to_numpy(int)
    fleet = {name: float((c["annual_kwh_per_kwp"][arch] * kwp).sum() / kwp.sum()) for name, c in climatologies.items()}
    return {
        name: {
            "period": c["period"],
            "specific_yield_kwh_per_kwp": fleet[name],
            "energy_mwh": energy_mwh * fleet[name] / fleet[preset],
            "co2_avoided_t": co2_avoided_t * fleet[name] / fleet[preset],
        }
        for name, c in climatologies.items()
    }


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
    time_zone: str
    country: country.CountryProfile | None = None
    """The county's country and the defaults its location gave (:func:`localise`)."""
    timings: dict[str, float] = field(default_factory=dict)
    orders: dict[str, list[str]] = field(default_factory=dict)
    """Release orders of the seed-independent strategies, computed once (:func:`precompute_orders`)."""
    plans: dict[str, planning.Plan] = field(default_factory=dict)
    """The plan of each optimising strategy, with how it was solved (:func:`precompute_orders`)."""
    input_files: list[dict] = field(default_factory=list)
    """The files the run read, with their SHA-256 (:func:`input_files`; ``summary.json`` ``inputs``)."""
    inputs_sha256: str = ""
    """One hash of those files (:func:`inputs_sha256`; ``summary.json`` ``inputs_sha256``), read once here."""
    climatologies: dict[str, dict] = field(default_factory=dict)
    """Yearly yield per archetype on each shipped climatology near the county (:func:`climatology_yields`)."""
    screens: powerflow.Screens | None = None
    """The power-flow screens of the transformers' networks (``grid.hosting_method: power_flow``;
    :func:`power_flow_hosting`), None under the rule."""
    key: str = ""
    """:func:`preparation_key` of the scenario as given (before :func:`localise`): what the preparation depends on."""
    location: tuple[float, float] | None = None
    """Centre of the candidate sites ``(latitude, longitude)`` [°], where :func:`localise` takes its defaults."""
    derived: dict[str, object] = field(default_factory=dict)
    """What is computed from the fields above once, on first use, for every run of this preparation (by name of the
    function that computes it: :func:`county_output_per_kw_ac`)."""


PREPARATION_FIELDS = ("start_date", "time_zone", "country", "data", "weather", "system", "siting", "grid", "carbon")
"""The scenario's top-level keys that :func:`prepare` reads (sites, weather, eligibility, yields, the first year's
grid factor and the country's defaults); the others (:data:`RUN_FIELDS`) only the strategy, rollout, accounting and
summary read, so scenarios that differ only in them share one preparation (:func:`for_variant`)."""
RUN_FIELDS = (
    "name",
    "description",
    "pilot_coverage",
    "horizon_years",
    "seed",
    "strategy",
    "rollout",
    "operation",
    "economics",
    "planning",
)
"""The scenario's top-level keys that :func:`prepare` does not read (every key is in one of the two lists)."""


def preparation_key(scenario: Scenario, inputs: str | None = None) -> str:
    """A hash of what :func:`prepare` depends on: the input files (:func:`inputs_sha256`, or ``inputs`` when the
    caller has it), the folder their paths are relative to, and the :data:`PREPARATION_FIELDS` of the scenario."""
    h = hashlib.sha256()
    h.update((inputs if inputs is not None else inputs_sha256(scenario)).encode())
    h.update(str(scenario.base_dir).encode())
    h.update(scenario.model_dump_json(include=set(PREPARATION_FIELDS)).encode())
    return h.hexdigest()


def for_variant(prepared: Prepared, scenario: Scenario) -> Prepared:
    """The preparation of ``scenario``, a variant of the prepared one that differs only in :data:`RUN_FIELDS`
    (same :func:`preparation_key`): the same sites, weather and yields with the variant localised (:func:`localise`
    at the same place) and no precomputed orders. Anything else is an error of the caller."""
    if prepared.location is None or preparation_key(scenario) != prepared.key:
        raise ValueError("for_variant needs a scenario with the preparation key of the prepared one")
    lat, lon = prepared.location
    localised, profile = country.apply_location(scenario, lat, lon, prepared.time_zone)
    return with_variant(prepared, {"scenario": localised, "country": profile, "orders": {}, "plans": {}})


VARIANT_FIELDS = ("scenario", "country", "orders", "plans")
"""The fields of a :class:`Prepared` in which the variants of one preparation differ (:func:`for_variant`): shipped
to the workers per variant, beside the shared preparation, which is shipped once."""


def variant_part(prepared: Prepared) -> dict:
    """The :data:`VARIANT_FIELDS` of ``prepared``."""
    return {name: getattr(prepared, name) for name in VARIANT_FIELDS}


def with_variant(prepared: Prepared, part: dict) -> Prepared:
    """``prepared`` with the :data:`VARIANT_FIELDS` of ``part`` (:func:`variant_part` of a variant of it)."""
    return replace(prepared, **{name: part[name] for name in VARIANT_FIELDS}, timings={})


def prepare(
    scenario: Scenario,
    *,
    strict: bool = False,
    progress: bool = False,
    cache_dir: Path | str | None = None,
    _steps: _Steps | None = None,
) -> Prepared:
    """Sites, weather, eligibility, grid assignment and yield profiles: the strategy- and seed-independent part."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    steps = _steps or _Steps(progress, total=PREPARE_STEPS)
    digest = inputs_sha256(scenario)
    key = preparation_key(scenario, digest)
    with steps.step("sites"):
        candidates = sitesmod.read_sites(scenario, strict=strict)
        time_zone = county_time_zone(scenario, candidates)
        scenario, profile = localise(scenario, candidates, time_zone)
        country.warn_outside_china(profile)
    with steps.step("weather"):
        weathers = load_weather(scenario, candidates, cache_dir=cache, time_zone=time_zone)
    with steps.step("eligibility"):
        sites, transformers = sitesmod.prepare_sites(scenario, candidates, weather_year=weathers[0])
    with steps.step("yields"):
        sites, profiles, archetypes = compute_yields(scenario, sites, weathers, cache_dir=cache)
        climatologies = climatology_yields(scenario, candidates, archetypes, cache_dir=cache, time_zone=time_zone)
        ef0 = carbon.factor_in_year(scenario.carbon, scenario.start_date.year)
        transformers, screens = power_flow_hosting(scenario, sites, transformers, profiles[0])
    if _steps is None:
        steps.close()
    return Prepared(
        scenario=scenario,
        sites=sites,
        transformers=transformers,
        profiles=profiles,
        archetypes=archetypes,
        weather_sources=[w.source for w in weathers],
        eligible=programme.with_hosting_kw(strategies.site_features(sites, ef0), scenario.system.dc_ac_ratio),
        emission_factor_kgco2_per_kwh=ef0,
        candidate_roofs=strategies.candidate_roofs(sites),
        time_zone=time_zone,
        country=profile,
        timings=dict(steps.timings),
        input_files=input_files(scenario),
        inputs_sha256=digest,
        climatologies=climatologies,
        screens=screens,
        key=key,
        location=sitesmod.county_location(candidates),
    )


def read_lines(scenario: Scenario, transformer_ids: pd.Index, crs) -> gpd.GeoDataFrame | None:
    """The low-voltage line layer (``data.lines_layer`` / ``data.lines_file``) checked (:func:`sim.grid.check_lines`)
    and in ``crs``; None where the scenario names none."""
    if scenario.data.lines_layer is None and scenario.data.lines_file is None:
        return None
    source = inputs.source_for(scenario, "lines")
    return grid.check_lines(inputs.read_input(source), source, transformer_ids, crs)


def power_flow_hosting(
    scenario: Scenario, sites: gpd.GeoDataFrame, transformers: pd.DataFrame, profile: np.ndarray
) -> tuple[pd.DataFrame, powerflow.Screens | None]:
    """Under ``grid.hosting_method: power_flow``, the transformers' hosting limits by power flow at their networks'
    worst hour in the first weather year (``profile``) and the start year's load shapes
    (:func:`sim.powerflow.county_hosting`): the ``lv`` transformers' on the networks of the line layer
    (``data.lines_layer`` / ``data.lines_file``, :func:`sim.grid.check_lines`) where given, the substations' on
    the feeder layer (``data.feeders_layer``) where given; under the rule the table unchanged and no screens."""
    if scenario.grid.hosting_method != "power_flow":
        return transformers, None
    crs = sitesmod.local_crs(sites)
    points = sitesmod.transformer_points(scenario).set_index("transformer_id").to_crs(crs)
    site_points = sites.to_crs(crs).geometry.representative_point()
    at = gpd.GeoSeries(points.geometry.reindex(transformers.index.astype(str)), crs=crs)
    local = read_lines(scenario, transformers.index, crs)
    lines = grid.lines_by_transformer(local) if local is not None else None
    feeders = None
    if scenario.data.feeders_layer is not None:
        source = inputs.source_for(scenario, "feeders")
        feeders = grid.feeders_by_substation(grid.check_feeders(inputs.read_input(source), source.file).to_crs(crs))
    return powerflow.county_hosting(
        sites,
        transformers,
        np.column_stack([site_points.x.to_numpy(), site_points.y.to_numpy()]),
        np.column_stack([at.x.to_numpy(), at.y.to_numpy()]),
        profile,
        loadmod.hourly_shapes(scenario.start_date.year, scenario.rollout.holidays_country),
        dc_ac_ratio=scenario.system.dc_ac_ratio,
        limits=powerflow.Limits(voltage_max_pu=scenario.grid.voltage_max_pu),
        mv_limits=powerflow.Limits(voltage_max_pu=scenario.grid.mv_voltage_max_pu),
        lines=lines,
        feeders=feeders,
    )


def run(
    scenario: Scenario,
    strategy: str | None = None,
    seed: int | None = None,
    *,
    strict: bool = False,
    progress: bool = False,
    cache_dir: Path | str | None = None,
) -> RunResult:
    """Simulate one scenario with one strategy and seed (defaults: the scenario's) and return the result."""
    t_start = time.perf_counter()
    strategies.resolve(strategy or scenario.strategy)  # an unknown strategy fails before sites and yields
    check_track_strategies(scenario)
    steps = _Steps(progress, total=PREPARE_STEPS + RUN_STEPS)
    try:
        prepared = prepare(scenario, strict=strict, cache_dir=cache_dir, _steps=steps)
        result = run_prepared(prepared, strategy, seed, _steps=steps)
    finally:
        steps.close()
    # timings stay out of summary.json, which must be byte-identical for the same scenario and seed
    result.timings = {**steps.timings, "total": time.perf_counter() - t_start}
    result.layers = context_layers(scenario)
    return result


def context_layers(scenario: Scenario) -> dict | None:
    """The county's map layers (:func:`sim.sites.map_layers`) that a run folder keeps for its report
    (``layers.gpkg``); None when they cannot be read."""
    try:
        return sitesmod.map_layers(scenario)
    except InputError:
        return None


def run_prepared(
    prepared: Prepared,
    strategy: str | None = None,
    seed: int | None = None,
    *,
    tables_only: bool = False,
    _steps: _Steps | None = None,
) -> RunResult:
    """The strategy- and seed-dependent part of a run: order, SimPy rollout, accounting, result. ``tables_only``:
    the result without the event log, the transformers' loading and the scenario as run (``events``,
    ``transformers``, ``scenario_as_run`` None), which a comparison does not keep; the rest is the same."""
    strategy = strategy or prepared.scenario.strategy
    seed = prepared.scenario.seed if seed is None else int(seed)
    return run_same_order(prepared, [strategy], seed, tables_only=tables_only, _steps=_steps)[0]


def run_same_order(
    prepared: Prepared, names: list[str], seed: int, *, tables_only: bool = False, _steps: _Steps | None = None
) -> list[RunResult]:
    """The runs with ``seed`` of the strategies ``names``, which all release the sites in the same order
    (:func:`release_order`; a ValueError if not): one rollout and one accounting, since a run depends on its
    strategy only through that order, and a result of each (:func:`run_prepared`), which names its strategy."""
    scenario = prepared.scenario
    steps = _steps or _Steps(False, total=RUN_STEPS)
    with steps.step("strategy"):
        orders = []
        for name in names:
            precompute_orders(prepared, run_strategies(scenario, name))
            orders.append(release_order(prepared, name, seed))
        if any(o != orders[0] for o in orders[1:]):
            raise ValueError(f"run_same_order: {', '.join(names)} do not release the sites in the same order")
    # the rollout's set-up, the loop, the accounting and the tables make ~10^5 objects that live to the end: the
    # cyclic collector would traverse them again and again (:func:`sim._runtime.paused_gc`)
    with paused_gc():
        with steps.step("rollout"):
            rollout = simulate_rollout(
                prepared.eligible,
                orders[0],
                prepared.transformers,
                scenario.rollout,
                scenario.operation,
                seed=seed,
                start_date=scenario.start_date,
                horizon_years=scenario.horizon_years,
                screens=prepared.screens,
                memo=derived_memo(prepared, "rollout"),
            )
        with steps.step("accounting"):
            acc = accounting.account(
                prepared.sites,
                rollout.outcomes,
                rollout.downtime,
                prepared.profiles,
                prepared.transformers,
                start_date=scenario.start_date,
                horizon_years=scenario.horizon_years,
                degradation_first_year_percent=scenario.operation.degradation_first_year_percent,
                degradation_percent_per_year=scenario.operation.degradation_percent_per_year,
                carbon=scenario.carbon,
                economics=scenario.economics,
                time_zone=prepared.time_zone,
                holidays_country=scenario.rollout.holidays_country,
                grid=_grid_rules(prepared, rollout),
                memo=derived_memo(prepared, "accounting"),
            )
        with steps.step("assemble"):
            return [
                _assemble(scenario, name, seed, prepared, orders[0], rollout, acc, tables_only=tables_only)
                for name in names
            ]


def check_track_strategies(scenario: Scenario) -> None:
    """Every strategy a track names exists (the error names the track's key)."""
    for k, track in enumerate(scenario.rollout.tracks):
        if track.strategy:
            try:
                strategies.resolve(track.strategy)
            except InputError as err:
                raise InputError(
                    err.detail,
                    file=scenario.path,
                    field=f"rollout.tracks.{k}.strategy",
                    value=track.strategy,
                    allowed=err.allowed,
                ) from None


def run_strategies(scenario: Scenario, strategy: str) -> list[str]:
    """The strategies a run with ``strategy`` uses: its own, or with tracks each track's (``strategy`` where the
    track names none), each once, in order."""
    names = [track.strategy or strategy for track in scenario.rollout.tracks] or [strategy]
    return list(dict.fromkeys(names))


def release_order(prepared: Prepared, strategy: str, seed: int) -> list:
    """The release order: the strategy's order, or with ``rollout.tracks`` each track's eligible sites in its own
    strategy's order (``strategy`` where the track names none), track after track, then the eligible sites of types
    in no track (the rollout never releases them: each track's office releases only its own sites)."""
    orders: dict[str, list[str]] = {}
    for name in run_strategies(prepared.scenario, strategy):
        given = prepared.orders.get(name)
        orders[name] = (
            given
            if given is not None
            else strategies.order_sites(name, prepared.eligible, strategy_context(prepared, seed))
        )
    tracks = prepared.scenario.rollout.tracks
    if not tracks:
        return list(orders[strategy])
    type_of = _site_types(prepared)
    order = []
    for track in tracks:
        mine = set(track.site_types)
        order += [s for s in orders[track.strategy or strategy] if type_of[s] in mine]
    tracked = {t for track in tracks for t in track.site_types}
    return order + [s for s in prepared.eligible.index if type_of[s] not in tracked]


def _site_types(prepared: Prepared) -> dict:
    """The site type of each eligible site, by id (made once per preparation: an Arrow-string ``loc`` or ``isin``
    is a Python loop each time)."""
    memo = derived_memo(prepared, "site_types")
    if not memo:
        memo.update(zip(prepared.eligible.index, prepared.eligible["site_type"].astype(str)))
    return memo


def track_of_sites(scenario: Scenario, site_types: pd.Series) -> pd.Series:
    """The track of each site (``rollout.tracks``; empty string without tracks or for a type in no track)."""
    names = {t: track.name for track in scenario.rollout.tracks for t in track.site_types}
    codes, types = pd.factorize(site_types)  # the distinct types, not every site, looked up
    track = np.array([names.get(t, "") for t in types] + [""], dtype=object)  # code -1 (a missing type): none
    return pd.Series(track[codes], index=site_types.index, dtype=object)


def strategy_context(prepared: Prepared, seed: int, cache_dir: str | Path | None = None) -> strategies.StrategyContext:
    """What a strategy may know besides the sites, for one seed (``cache_dir``: where the optimising strategies'
    solves are kept, :func:`sim.planning.solve_binary`)."""
    scenario = prepared.scenario
    return strategies.StrategyContext(
        seed=seed,
        horizon_years=scenario.horizon_years,
        total_budget_cny=total_budget_cny(scenario.rollout, scenario.start_date, scenario.horizon_years),
        emission_factor_kgco2_per_kwh=prepared.emission_factor_kgco2_per_kwh,
        hosting_limit_kw={str(k): float(v) for k, v in prepared.transformers["hosting_limit_kw"].items()},
        candidate_roofs=prepared.candidate_roofs,
        pilot_coverage=scenario.pilot_coverage,
        plan_inputs=PlanInputs.from_scenario(
            scenario,
            prepared.transformers,
            prepared.candidate_roofs,
            output_per_kw_ac=county_output_per_kw_ac(prepared),
            screens=prepared.screens,
            cache_dir=cache_dir,
        ),
    )


def derived_memo(prepared: Prepared, name: str) -> dict:
    """The dict ``name`` of ``prepared.derived`` (made empty the first time): what a stage keeps between the runs of
    one preparation (each worker fills its own copy)."""
    memo = prepared.derived.setdefault(name, {})
    assert isinstance(memo, dict)
    return memo


def county_output_per_kw_ac(prepared: Prepared) -> np.ndarray:
    """Hourly AC output [kWh per kW AC] of the county's eligible PV in the first weather year, capacity-weighted
    over the sites' archetypes (what the plans estimate curtailment from). Computed once per preparation (read
    only)."""
    done = prepared.derived.get("county_output_per_kw_ac")
    if isinstance(done, np.ndarray):
        return done
    sites = prepared.eligible
    if sites.empty:
        out = np.zeros(prepared.profiles[0].shape[0])
    else:
        weights = sites.groupby("archetype")["capacity_kwp"].sum()
        profile = prepared.profiles[0][:, weights.index.to_numpy(int)] @ (weights.to_numpy(float) / weights.sum())
        out = profile * prepared.scenario.system.dc_ac_ratio
    out.setflags(write=False)
    prepared.derived["county_output_per_kw_ac"] = out
    return out


def precompute_orders(
    prepared: Prepared, names: list[str], cache_dir: str | Path | None = None
) -> dict[str, planning.Solution]:
    """Compute once, into ``prepared.orders``, the orders of the strategies among ``names`` that do not depend on
    the seed (:data:`sim.strategies.SEED_INDEPENDENT`), so that replications share them (the optimising ones, one
    solve), and keep each plan (with how it was solved) in ``prepared.plans``. Returns the
    :class:`sim.planning.Solution` of each optimising strategy (``cache_dir``: their solves are kept there and read
    back, :func:`sim.planning.solve_binary`)."""
    for name in names:
        if name not in strategies.SEED_INDEPENDENT or name in prepared.orders:
            continue
        ctx = strategy_context(prepared, prepared.scenario.seed, cache_dir)
        if name in strategies.PLANNED:
            plan = strategies.planned(name, prepared.eligible, ctx)
            prepared.orders[name] = strategies.checked_order(name, plan.order, prepared.eligible)
            prepared.plans[name] = plan
        else:
            prepared.orders[name] = strategies.order_sites(name, prepared.eligible, ctx)
    return {name: prepared.plans[name].solution for name in names if name in prepared.plans}


def _export_steps(prepared: Prepared, rollout) -> pd.DataFrame:
    return grid.export_limit_steps(
        rollout.upgrades,
        hosting_share_percent=prepared.scenario.grid.hosting_share_percent,
        export_limit_percent=prepared.scenario.grid.export_limit_percent,
    )


def _grid_upgrade_costs(prepared: Prepared, rollout) -> dict:
    """The grid company's upgrade costs by calendar year [CNY] for the stakeholder table: each upgrade of the
    rollout at its ``cost_cny`` (``rollout.upgrade_cost_cny_per_kva`` x the added kVA; a line reinforcement
    ``rollout.line_reinforcement_cost_cny_per_km`` x its km, on a substation's 10 kV feeders
    ``rollout.mv_line_reinforcement_cost_cny_per_km``), booked in its year."""
    upgrades = rollout.upgrades
    if upgrades is None or not len(upgrades):
        return {"grid_upgrade_cny_by_year": {}, "grid_upgrade_source": "no transformer upgrades in this run"}
    years = pd.to_datetime(upgrades["date"]).dt.year.to_numpy()
    cost = pd.to_numeric(upgrades["cost_cny"], errors="coerce").fillna(0.0).to_numpy(float)
    config = prepared.scenario.rollout
    kinds = upgrades["kind"] if "kind" in upgrades.columns else pd.Series("", index=upgrades.index)
    lines = kinds.astype(str).eq("reinforcement").to_numpy()
    source = f"{int((~lines).sum())} transformer upgrade(s) at {config.upgrade_cost_cny_per_kva:g} CNY per added kVA "
    source += "(rollout.upgrade_cost_cny_per_kva)"
    transformers = getattr(prepared, "transformers", None)
    mv_ids = set()
    if transformers is not None and "connection_level" in transformers.columns:
        mv_ids = set(transformers.index[transformers["connection_level"].astype(str).eq("mv")].astype(str))
    on_mv = upgrades["transformer_id"].astype(str).isin(mv_ids).to_numpy()
    for which, what, key in (
        (lines & ~on_mv, "line", "line_reinforcement_cost_cny_per_km"),
        (lines & on_mv, "10 kV line", "mv_line_reinforcement_cost_cny_per_km"),
    ):
        if which.any():
            km = float(upgrades.loc[which, "reinforced_km"].sum())
            per_km = getattr(config, key)
            source += (
                f" and {int(which.sum())} {what} reinforcement(s), {km:.2f} km at {per_km:g} CNY per km (rollout.{key})"
            )
    return {"grid_upgrade_cny_by_year": _sum_by_year(cost, years), "grid_upgrade_source": source}


def _sum_by_year(values: np.ndarray, years: np.ndarray) -> dict[int, float]:
    years = np.asarray(years, dtype=np.int64)
    return {int(y): float(values[years == y].sum()) for y in np.unique(years)}


def _export_limits(prepared: Prepared, rollout) -> pd.DataFrame:
    return grid.export_limits_after_upgrades(prepared.transformers, _export_steps(prepared, rollout))


def _grid_rules(prepared: Prepared, rollout) -> accounting.GridRules:
    """What the accounting needs of the grid: the upgrades' export-limit rises (from their dates), how curtailment
    is shared, the DC/AC ratio of the existing PV, the system-level utilisation rate and the upgrades' costs."""
    g = prepared.scenario.grid
    costs = _grid_upgrade_costs(prepared, rollout)
    return accounting.GridRules(
        export_steps=_export_steps(prepared, rollout),
        new_first=g.curtailment_sharing == "new_first",
        dc_ac_ratio=prepared.scenario.system.dc_ac_ratio,
        system_utilisation_percent=g.system_utilisation_percent,
        upgrade_cny_by_year=costs["grid_upgrade_cny_by_year"],
        upgrade_source=costs["grid_upgrade_source"],
    )


def _assemble(scenario, strategy, seed, prepared: Prepared, order, rollout, acc, *, tables_only=False) -> RunResult:
    sites = _site_table(prepared, order, rollout, acc)
    result = RunResult(
        summary=_summary(scenario, strategy, seed, prepared, sites, rollout, acc),
        sites=sites,
        annual=acc.annual.copy(),
        events=None if tables_only else rollout.events,
        site_years=acc.site_years,
        stage_durations=rollout.stage_durations,
        budget=rollout.budget,
    )
    if not tables_only:
        result.scenario_as_run = as_run_yaml(scenario, strategy=strategy, seed=seed)
        result.transformers = grid.transformer_loading(
            prepared.transformers,
            rollout.upgrades,
            sites,
            export_limits=_export_limits(prepared, rollout),
            dc_ac_ratio=scenario.system.dc_ac_ratio,
        )
    return result


#: Internal columns (pvlib's names) that the outputs name with their unit.
OUTPUT_NAMES = {"surface_tilt": "surface_tilt_deg", "surface_azimuth": "surface_azimuth_deg"}

#: Per-site totals of the accounting that are 0 (not NaN) for sites that were not built.
_ZERO_IF_NOT_BUILT = ("energy_mwh", "curtailed_mwh", "self_consumed_mwh", "co2_avoided_t", "co2_avoided_lifecycle_t")


def _site_table(prepared: Prepared, order, rollout, acc) -> gpd.GeoDataFrame:
    """Every candidate site with its priority, outcome and totals (columns of ``sites.parquet``).

    ``status`` is the rollout's outcome; ``ineligible`` for sites not eligible, ``not_prioritised`` for eligible
    sites the strategy left out.
    """
    out = prepared.sites.copy()
    rank = pd.Series(np.arange(1, len(order) + 1), index=pd.Index(order))
    out["priority_rank"] = rank.reindex(out.index).astype("Int64")
    out["track"] = track_of_sites(prepared.scenario, out["site_type"])
    outcome = rollout.outcomes.reindex(out.index)
    out["status"] = outcome["status"].where(out["eligible"], "ineligible").fillna("not_prioritised").astype(str)
    out["commission_date"] = pd.to_datetime(outcome["commission_date"])
    start = pd.Timestamp(prepared.scenario.start_date)
    for column, days in (("release_date", "release_day"), ("outcome_date", "outcome_day")):
        out[column] = start + pd.to_timedelta(np.round(outcome[days].to_numpy(float) * 86_400_000.0), unit="ms")
    out["rework_cny"] = outcome["rework_cny"].astype(float).fillna(0.0)
    site_totals = acc.sites.reindex(out.index)
    for col in (*_ZERO_IF_NOT_BUILT, "lcoe_cny_per_kwh", "npv_cny", "self_consumed_kwh_year1"):
        out[col] = site_totals[col].astype(float).fillna(0.0) if col in _ZERO_IF_NOT_BUILT else site_totals[col]
    out["site_id"] = out.index.astype(str)
    out = out.rename(columns=OUTPUT_NAMES)
    return out[output_columns("sites.parquet")]


def _summary(scenario, strategy, seed, prepared: Prepared, sites, rollout, acc) -> dict:
    """``summary.json``: what was run, counts, totals of the accounting, the rollout's resources and milestones."""
    totals = acc.totals
    built = sites["status"].eq("operating")
    capacity_built = float(sites.loc[built, "capacity_kwp"].sum())
    yield_built = sites.loc[built, "specific_yield_kwh_per_kwp"]
    summary = {
        "scenario": scenario.name,
        "strategy": strategy,
        "seed": seed,
        "version": __version__,
        "start_date": scenario.start_date.isoformat(),
        "time_zone": prepared.time_zone,
        "horizon_years": scenario.horizon_years,
        "currency": scenario.economics.currency,
        "country": prepared.country.country if prepared.country else scenario.country,
        "location_defaults": dict(prepared.country.defaults) if prepared.country else {},
        "sites_candidate": len(sites),
        "sites_eligible": int(sites["eligible"].sum()),
        "sites_released": int((rollout.outcomes["status"] != "not_released").sum()),
        "sites_built": int(built.sum()),
        "sites_by_status": {k: int(v) for k, v in sites["status"].value_counts().sort_index().items()},
        "capacity_eligible_kwp": float(sites.loc[sites["eligible"], "capacity_kwp"].sum()),
        "capacity_built_kwp": capacity_built,
        "capacity_built_by_type_kwp": {
            k: float(v) for k, v in sites.loc[built].groupby("site_type")["capacity_kwp"].sum().items()
        },
        "specific_yield_kwh_per_kwp": float((yield_built * sites.loc[built, "capacity_kwp"]).sum() / capacity_built)
        if capacity_built
        else None,
        "energy_by_year_mwh": {int(y): float(e) for y, e in zip(acc.annual["year"], acc.annual["energy_mwh"])},
        "capex_cny": _programme_capex(sites, rollout.outcomes),
        "resources": rollout.resources,
        "milestones": rollout.milestones,
        "target_capacity_kwp": programme.target_kwp(scenario.rollout),
        "by_track": (by_track := _by_track(scenario, sites, rollout)),
        "last_commission_date": rollout.last_commission_date,
        "lead_time_days": rollout.lead_times,
        "service_limits": rollout.service_limits,
        "hosting_drops": _hosting_drops(rollout.outcomes),
        "adoption": _adoption(scenario.rollout.adoption, sites, rollout.events),
        "hosting_limit_by_cause": grid.hosting_limit_by_cause(prepared.transformers),
        **_grid_upgrades(rollout.upgrades),
        "held_back_by": (held_back := _held_back(scenario, sites, by_track, rollout.spend_by_year)),
        "warnings": list(rollout.warnings) + _shortfall_warnings(scenario, sites, held_back),
        "spend_by_year_cny": {int(k): float(v) for k, v in rollout.spend_by_year.items()},
        "weather": list(prepared.weather_sources),
        "archetypes": len(prepared.archetypes),
        "inputs_sha256": prepared.inputs_sha256 or inputs_sha256(scenario),
        "optimisation": {
            name: prepared.plans[name].solution.record()
            for name in run_strategies(scenario, strategy)
            if name in prepared.plans
        },
        "overrides": scenario.overrides,
        "inputs": prepared.input_files or input_files(scenario),
    }
    summary.update({k: totals.get(k) for k in SUMMARY_FROM_TOTALS})
    summary["climatology_range"] = climatology_range(
        prepared.climatologies,
        sites,
        float(totals["energy_mwh"]),
        float(totals["co2_avoided_t"]),
        scenario.weather.synthetic.preset,
    )
    for key in TEXT_WITH_MONEY:  # the text fields name prices in the scenario's currency, as the numbers are
        if isinstance(summary.get(key), str):
            summary[key] = in_currency(summary[key], scenario.economics.currency)
    if not scenario.pilot_coverage:
        summary["pilot_coverage"] = {}
    return ordered_summary(summary)


#: What :func:`_programme_capex` and :func:`sim.programme.held_back_by` read of the site table.
_MONEY_COLUMNS = ("status", "capacity_kwp", "capex_cny", "rework_cny")


def _by_track(scenario: Scenario, sites, rollout) -> dict:
    """``summary.json`` ``by_track``: what each track built, spent and reached, and what held it back."""
    out = {}
    money = sites[list(_MONEY_COLUMNS)]  # the rows of a track with only what its capex and causes read
    # NumPy columns: a sum over a mask is pandas' sum (NaN as 0, the same pairwise order), without its overhead
    track_of, operating = sites["track"].to_numpy(), sites["status"].eq("operating").to_numpy(bool)
    column = {c: sites[c].to_numpy(float) for c in ("capacity_kwp", "energy_mwh", "co2_avoided_t")}
    for track in programme.tracks(scenario.rollout):
        if not track.name:
            continue
        mine = track_of == track.name
        built = mine & operating
        out[track.name] = {
            "site_types": list(track.site_types),
            "sites_built": int(built.sum()),
            "capacity_built_kwp": float(np.nansum(column["capacity_kwp"][built])),
            "target_capacity_kwp": None if track.target_capacity_kwp is None else float(track.target_capacity_kwp),
            "capex_cny": _programme_capex(money[mine], rollout.outcomes),
            "energy_mwh": float(np.nansum(column["energy_mwh"][mine])),
            "co2_avoided_t": float(np.nansum(column["co2_avoided_t"][mine])),
            "spend_by_year_cny": rollout.tracks[track.name]["spend_by_year"],
            "milestones": rollout.tracks[track.name]["milestones"],
            "held_back_by": _held_back_by(
                scenario, track, money[mine], sum(rollout.tracks[track.name]["spend_by_year"].values())
            ),
        }
    return out


def _held_back_by(scenario: Scenario, track: programme.Track, sites, committed_cny: float) -> str | None:
    total = total_budget_cny(scenario.rollout, scenario.start_date, scenario.horizon_years, track.annual_budget_cny)
    return programme.held_back_by(track, sites, committed_cny, total)


def _held_back(scenario: Scenario, sites, by_track: dict, spend_by_year: dict) -> dict[str, str]:
    """Each track (``programme`` without tracks) that built less than 95 % of its target, and what held it back."""
    out = {}
    for track in programme.tracks(scenario.rollout):
        if track.name:
            cause = by_track[track.name]["held_back_by"]
        else:
            cause = _held_back_by(
                scenario, track, sites.loc[sites["eligible"], list(_MONEY_COLUMNS)], sum(spend_by_year.values())
            )
        if cause is not None:
            out[track.name or "programme"] = cause
    return out


def _shortfall_warnings(scenario: Scenario, sites, held_back: dict[str, str]) -> list[str]:
    """One warning per track (or the whole programme) that missed its target, naming the cause."""
    out = []
    for track in programme.tracks(scenario.rollout):
        cause = held_back.get(track.name or "programme")
        target = track.target_capacity_kwp
        if cause is None or target is None:
            continue
        mine = sites["track"].eq(track.name) if track.name else sites["eligible"]
        built = float(sites.loc[mine & sites["status"].eq("operating"), "capacity_kwp"].sum())
        name = f"track {track.name}" if track.name else "the programme"
        out.append(
            f"{name} built {built / 1000:,.1f} of its {target / 1000:,.1f} MWp target "
            f"({100 * built / target:.0f} %): held back by {cause}"
        )
    return out


def _programme_capex(sites, outcomes: pd.DataFrame) -> float:
    """Capex of the built sites, plus what was sunk in sites abandoned after construction and the rework of failed
    acceptances [CNY]."""
    stage = outcomes["failed_stage"]
    failed = outcomes["status"].eq("failed").to_numpy()
    sunk = outcomes.index[failed & (stage.eq("construction") | stage.eq("acceptance")).to_numpy(bool, na_value=False)]
    chosen = sites["status"].eq("operating").to_numpy(copy=True)
    at = sites.index.get_indexer(sunk)  # (an Arrow-string union or isin is a Python loop)
    chosen[at[at >= 0]] = True
    capex = sites["capex_cny"][chosen]
    if not capex.index.is_monotonic_increasing:  # summed in the order of the site ids
        capex = capex.sort_index()
    return float(capex.sum() + sites["rework_cny"].sum())


def _hosting_drops(outcomes: pd.DataFrame) -> dict:
    """Sites dropped for lack of hosting capacity (held at the office's screening, never canvassed): count,
    capacity and how many of them were ever released (0 by the rule, a check the reader can see; under Bass
    adoption a household that deferred and came forward is screened again and may be dropped then)."""
    dropped = outcomes[outcomes["status"] == "dropped_hosting"]
    return {
        "sites": len(dropped),
        "capacity_kwp": float(dropped["capacity_kwp"].sum()),
        "canvassed": int(dropped["release_day"].notna().sum()),
    }


def _adoption(settings, sites: pd.DataFrame, events: pd.DataFrame) -> dict:
    """``adoption`` of ``summary.json``: the households' decision model and its parameters; with ``bass`` also the
    villages of the Bass types and, per calendar year, how many of their households agreed (consent ``end``) and
    how many deferred (consent ``wait``) -- uptake over time; per village it is in ``events.parquet`` with the
    ``village`` of ``sites.parquet``."""
    out: dict = {"model": settings.model}
    if settings.model != "bass":
        return out
    households = sites[sites["site_type"].isin(settings.site_types)]
    consent = events[(events["stage"] == "consent") & events["site_id"].isin(households["site_id"])]
    years = pd.to_datetime(consent["date"]).dt.year.to_numpy(np.int64)
    by_year = {}
    for name, event in (("agreed_by_year", "end"), ("deferred_by_year", "wait")):
        found, counts = np.unique(years[(consent["event"] == event).to_numpy()], return_counts=True)
        by_year[name] = {int(y): int(n) for y, n in zip(found, counts, strict=True)}
    return {
        **out,
        "p_per_year": float(settings.p_per_year),
        "q_per_year": float(settings.q_per_year),
        "site_types": list(settings.site_types),
        "villages": int(village_key(households).nunique()),
        **by_year,
    }


def _grid_upgrades(upgrades: pd.DataFrame) -> dict:
    """``grid_upgrades_by_year`` of ``summary.json`` (their cost, ``grid_upgrade_cost_cny``, is the accounting's:
    :func:`_grid_upgrade_costs`)."""
    years = pd.to_datetime(upgrades["date"]).dt.year.to_numpy(np.int64) if len(upgrades) else np.zeros(0, np.int64)
    found, counts = np.unique(years, return_counts=True)
    return {"grid_upgrades_by_year": {int(y): int(n) for y, n in zip(found, counts, strict=True)}}


#: Text fields of ``summary.json`` that may name a price (labelled in the scenario's currency).
TEXT_WITH_MONEY = ("price_basis", "economics_horizon_rule", "emission_factor_source", "grid_upgrade_cost_source")
#: ``summary.json`` keys taken as they are from the accounting's totals.
SUMMARY_FROM_TOTALS = (
    "energy_mwh",
    "co2_avoided_t",
    "co2_avoided_range_t",
    "co2_avoided_lifecycle_t",
    "t_co2_per_mwh",
    "green_certificates",
    "lcoe_cny_per_kwh",
    "npv_cny",
    "net_cost_per_t_co2_cny",
    "cost_per_t_co2_cny",
    "curtailed_mwh",
    "emission_factor_method",
    "emission_factor_source",
    "price_basis",
    "economics_horizon_rule",
    "pilot_coverage",
    "self_consumed_mwh",
    "self_consumption_percent",
    "social_cost_per_t_co2_cny",
    "cost_per_t_co2_basis",
    "business_model",
    "investor",
    "npv_by_stakeholder_cny",
    "stakeholder_flows_cny",
    "investor_irr_percent",
    "investor_payback_years",
    "grid_upgrade_cost_cny",
    "grid_upgrade_cost_source",
    "npv_mechanism_price_range_cny",
    "npv_mechanism_share_term_range_cny",
    "mechanism_share_term_source",
    "discount_rate_percent",
)


def validate(scenario: Scenario, *, strict: bool = False) -> dict:
    """Check a scenario and all its data without running the rollout: returns a few counts."""
    candidates = sitesmod.read_sites(scenario, strict=strict)
    scenario, profile = localise(scenario, candidates, county_time_zone(scenario, candidates))
    weathers = load_weather(scenario, candidates, cache_dir=default_cache_dir())
    sites, transformers = sitesmod.prepare_sites(scenario, candidates, weather_year=weathers[0])
    factor = carbon.resolve_factor(scenario.carbon)
    strategies.resolve(scenario.strategy)
    check_track_strategies(scenario)
    eligible = sites[sites["eligible"]]
    check_rollout_inputs(
        eligible, transformers, scenario.rollout, start_date=scenario.start_date, horizon_years=scenario.horizon_years
    )
    lines = read_lines(scenario, transformers.index, sitesmod.local_crs(sites))
    return {
        "sites (candidate / eligible)": f"{len(sites):,} / {len(eligible):,}",
        "eligible capacity": quantity(float(eligible["capacity_kwp"].sum()), "kWp"),
        "transformers": f"{len(transformers):,}",
        **(
            {"low-voltage lines": f"{len(lines):,} on {lines['transformer_id'].nunique():,} transformers"}
            if lines is not None
            else {}
        ),
        "weather": ", ".join(w.source for w in weathers),
        "emission factor": factor.source,
        "strategy": scenario.strategy,
        "time zone / currency / holidays": f"{county_time_zone(scenario, candidates)} / "
        f"{scenario.economics.currency} / {scenario.rollout.holidays_country}",
        "country": profile.describe(),
    }
