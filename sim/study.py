"""Province studies: many counties x strategies x replications (x variants), on one Dask client.

A study file (YAML, :class:`StudyConfig`) names the county scenario files (a list, or a folder of them), the
strategies, the replications and, optionally, variants as ``pvsim sweep`` takes them (``params``: key -> values,
every combination). Every (county, variant) is a comparison of its own (:func:`sim.experiment.compare`'s folder,
runs and tables), and all of them run as one batch (:func:`sim.experiment.run_comparisons`): one Dask client, one
preparation per county and preparation key, shared by the variants that change only rollout or economics keys,
resumable run by run, and the same tables at any number of workers.

Output folder (``out_dir``)::

    study.csv              tidy: one row per county x strategy x variant x replication, its seed, the swept keys
                           and the metrics (:data:`sim.metrics.METRICS`)
    study.json             the study as run: its file, the counties (scenario file, seed, inputs hash), the
                           strategies, replications and variants, how many preparations it took
    counties/<county>/     the county's comparison folder (without ``params``) or sweep folder (with them); each
                           is what ``pvsim compare`` / ``pvsim sweep`` writes, so ``pvsim report`` works on it

``pvsim report STUDY_DIR`` (:mod:`sim.report.study`) gives the province view from these files: the province totals
(:func:`province_totals`), each county's winning strategy and its kg CO2 per CNY (:func:`county_winners`).
"""

from __future__ import annotations

import contextlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, field_validator

from . import experiment, pipeline, stats, sweeps
from ._config import StrictModel
from ._io import atomic_folder, check_out_folder, claim_folder, is_regular_file, read_finished, safe_component
from .errors import InputError, Interrupted
from .metrics import METRICS
from .results import csv_text, jsonable

KIND = "study"
"""Kind of pvsim's manifest of a study folder (:mod:`sim._io`)."""
TABLE_FILES = ("study.csv", "study.json")
COUNTIES = "counties"
"""Sub-folder of a study that holds one folder per county."""
BASE_VARIANT = "base"
"""The ``variant`` of every row of a study without ``params`` (each county's scenario as it is)."""
SCENARIO_SUFFIXES = (".yaml", ".yml")
"""Files of a ``counties:`` folder that are read as county scenarios."""
ID_COLUMNS = ["county", "strategy", "variant", "replication", "seed"]


class StudyConfig(StrictModel):
    """A study of many counties (``pvsim study STUDY.yaml``). Paths are relative to the study file."""

    name: str | None = Field(None, description="short name of the study (default: the study file's name)")
    counties: list[Path] | Path = Field(
        description="county scenario files, or one folder whose *.yaml / *.yml files are the county scenarios"
    )
    strategies: list[str] = Field(
        min_length=1, description="strategies compared in every county (see 'pvsim strategies')"
    )
    replications: int = Field(ge=1, description="paired replications per county, strategy and variant")
    baseline: str | None = Field(None, description="strategy of the paired differences (default: the first)")
    params: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="variants as 'pvsim sweep --param' takes them: a scenario key and its values (every combination)",
    )

    @field_validator("params")
    @classmethod
    def _values_given(cls, params: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in params.items():
            if not values:
                raise ValueError(f"params.{key} has no values; give one or more")
        return params


STUDY_EXAMPLE = """name: hebei_north
counties: counties/            # or a list: [huailai.yaml, zhuolu.yaml, ...]
strategies: [max_yield, max_carbon_per_cny, grid_headroom]
replications: 20
params:                        # optional: every combination is a variant, in every county
  rollout.crews: [4, 8]
  economics.discount_rate_percent: [5, 8]"""


def study_markdown() -> str:
    """The study file reference (``docs/study.md`` is this text; a test keeps them equal)."""
    from .scenario import markdown_table, reference_rows

    lines = [
        "# Study file reference",
        "",
        "Generated from `sim/study.py` by `pvsim schema --study > docs/study.md`; a test keeps this file in step.",
        "A study runs many county scenarios x strategies x replications (x variants) with `pvsim study STUDY.yaml`",
        "on one Dask client (`-w N` local workers or `--scheduler ADDRESS`). Paths are relative to the study file.",
        "",
        *markdown_table(reference_rows(StudyConfig)),
        "",
        "Example (`pvsim demo-data DIR --counties N` writes a ready one):",
        "",
        "```yaml",
        STUDY_EXAMPLE,
        "```",
        "",
        "Each county scenario file is validated as `pvsim run` reads it and every variant as `pvsim sweep --param`",
        "does, before any work (a county's data files are read when it is prepared). Replication `r` of a county uses the seed derived from that county's `seed` and `r` in",
        "every strategy and variant (common random numbers). The preparation of sites, weather and yields is made",
        "once per county and preparation key: variants that change only keys outside "
        + ", ".join(f"`{k}`" for k in pipeline.PREPARATION_FIELDS),
        "share it, and it is sent to the workers once.",
        "",
        "Output folder (`--out`, default `runs/<name>-study`):",
        "",
        "| file | what |",
        "|---|---|",
        (
            "| `study.csv` | one row per county x strategy x variant x replication: `county`, `strategy`, `variant` "
            "(`base` without params), `replication`, `seed`, the swept keys, every metric of `sim/tables/metrics.csv`, "
            "`path` (the run's folder) |"
        ),
        (
            "| `study.json` | the study as run: counties (scenario file, seed, inputs SHA-256, folder), strategies, "
            "replications, variants, number of preparations |"
        ),
        (
            "| `counties/<county>/` | the county's `pvsim compare` folder (without params) or `pvsim sweep` folder "
            "(with them): `pvsim report` works on it |"
        ),
        "",
        "`pvsim report STUDY_DIR [--lang zh]` writes the province view into the folder: the province's totals per",
        "strategy (capacity, CO2 avoided, capex and kg CO2 per CNY: mean and 95 % CI over replications of the sums over",
        "counties), the counties ranked by their winning strategy's kg CO2 avoided per CNY of capex (the winner has",
        "the highest mean CO2 avoided), and a map of the counties shaded by winning strategy and by kg CO2 per CNY.",
        "",
        (
            "A rerun reuses every finished run whose strategy, seed, scenario settings, input files and code are "
            "unchanged, and computes the rest; the tables are read from disk in a fixed order, so they are the same "
            "at any number of workers."
        ),
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Study:
    """A finished study: ``runs`` (tidy, :data:`ID_COLUMNS`, the swept keys and the metrics), the counties (name ->
    folder), the comparison (or sweep) of each county."""

    name: str
    runs: pd.DataFrame
    counties: dict[str, Path]
    strategies: list[str]
    replications: int
    params: dict[str, list]
    out_dir: Path
    computed: int = 0
    preparations: int = 0
    comparisons: dict[tuple[str, str], experiment.Comparison] = field(default_factory=dict)
    """The comparison of each (county, variant)."""


# --------------------------------------------------------------------------------------------- the study file


def load_study(path: str | Path) -> tuple[StudyConfig, Path]:
    """Read and validate a study file; returns it and its path. Bad input: :class:`InputError` naming the file, the
    key, the bad value and what is allowed."""
    from ._yaml import load_yaml
    from .scenario import format_validation_error

    path = Path(path).expanduser()
    if not path.exists():
        raise InputError("study file not found", file=path)
    if path.is_dir() or not is_regular_file(path):
        raise InputError("expected a study YAML file", file=path, allowed="a YAML file (see docs/study.md)")
    try:
        raw, _ = load_yaml(path.read_text(encoding="utf-8"), file=path)
    except UnicodeDecodeError:
        raise InputError("not a text (UTF-8) file", file=path) from None
    if not isinstance(raw, dict):
        raise InputError(
            "a study must be a mapping of keys to values",
            file=path,
            value=type(raw).__name__,
            allowed="counties, strategies, replications, and optionally name, baseline, params",
        )
    try:
        return StudyConfig.model_validate(raw), path
    except ValidationError as err:
        raise format_validation_error(err, StudyConfig, path) from None


def county_files(config: StudyConfig, path: Path) -> list[Path]:
    """The county scenario files of the study (a folder's in name order), relative to the study file's folder."""
    base = path.parent
    if isinstance(config.counties, Path):
        folder = base / config.counties
        if not folder.is_dir():
            raise InputError(
                "not a folder of county scenarios",
                file=path,
                field="counties",
                value=str(config.counties),
                allowed="a folder holding *.yaml scenario files, or a list of scenario files",
            )
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SCENARIO_SUFFIXES and p.is_file())
        if not files:
            raise InputError(
                "the folder holds no county scenario",
                file=path,
                field="counties",
                value=str(config.counties),
                allowed="a folder holding *.yaml scenario files",
            )
        return files
    if not config.counties:
        raise InputError("no county", file=path, field="counties", allowed="one or more county scenario files")
    return [base / p for p in config.counties]


@dataclass
class _County:
    name: str
    scenario: Any
    folder: Path
    variants: list  # (label, changes, scenario) of sweeps.make_variants, or one base variant


def _in_study(path: Path, field_name: str, exc: InputError, *, whole: bool = False) -> InputError:
    """An error of a study's strategies or params, named as the study file's key (``whole``: that key alone, else
    the option in the error's field replaced by it)."""
    if whole:
        return InputError(exc.detail, file=path, field=field_name, value=exc.value, allowed=exc.allowed)
    name = (exc.field or "").replace("--param ", f"{field_name}.")
    for option in ("--strategies", "--baseline", "--replications", "--param"):
        name = name.replace(option, field_name)
    return InputError(exc.detail, file=path, field=name or field_name, value=exc.value, allowed=exc.allowed)


def plan_counties(config: StudyConfig, path: Path, out_dir: Path) -> tuple[list[str], str, list[_County]]:
    """Every county scenario loaded and validated, with its variants validated too, before any work; returns the
    strategies, the baseline and the counties."""
    from .scenario import load_scenario

    try:
        names = experiment.check_strategies(config.strategies)
    except InputError as exc:
        raise _in_study(path, "strategies", exc, whole=True) from None
    try:
        baseline = experiment.check_compare_arguments(names, config.replications, config.baseline, None, None)[2]
    except InputError as exc:
        raise _in_study(path, "baseline", exc, whole=True) from None
    counties: list[_County] = []
    seen: dict[str, Path] = {}
    for file in county_files(config, path):
        scenario = load_scenario(file)
        label = safe_component(scenario.name)
        if label in seen:
            raise InputError(
                f"two counties have the same name ({seen[label]} and {file})",
                file=path,
                field="counties",
                value=scenario.name,
                allowed="a distinct 'name' in each county scenario",
            )
        seen[label] = file
        try:
            variants = (
                sweeps.make_variants(scenario, config.params) if config.params else [(BASE_VARIANT, {}, scenario)]
            )
        except InputError as exc:
            raise _in_study(path, "params", exc) from None
        counties.append(_County(label, scenario, out_dir / COUNTIES / label, variants))
    return names, baseline, counties


# --------------------------------------------------------------------------------------------- running


def study(
    path: str | Path,
    *,
    out_dir: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    cache_dir: Path | str | None = None,
    figures: bool = True,
    overwrite: bool = False,
) -> Study:
    """Run the study file ``path`` (see the module docstring) and write its folder (default
    ``runs/<name>-study``). Every county, variant and strategy is checked before any work; finished runs in the
    folder are reused; ``out_dir`` follows :func:`sim._io.check_out_folder` (never among the inputs, a foreign
    folder only with ``overwrite``, and nothing in it is removed)."""
    config, path = load_study(path)
    experiment.check_workers(workers, scheduler)
    name = config.name or path.stem
    out = Path(out_dir).expanduser() if out_dir is not None else Path("runs") / safe_component(f"{name}-study")
    names, baseline, counties = plan_counties(config, path, out)
    protected = [path, *(p for c in counties for p in pipeline.input_paths(c.scenario))]
    out = check_out_folder(
        out, kind=KIND, overwrite=overwrite, protected=protected, what="pvsim study folder", names=TABLE_FILES
    )
    for county in counties:
        _check_county_folder(county, config, protected)
    try:
        with claim_folder(out, KIND):  # locked and marked before any work
            return _study(
                config,
                path,
                name,
                names,
                baseline,
                counties,
                out,
                workers=workers,
                scheduler=scheduler,
                progress=progress,
                cache_dir=cache_dir,
                figures=figures,
            )
    except Interrupted:
        raise
    except KeyboardInterrupt:
        raise experiment.interrupted(out) from None


def _check_county_folder(county: _County, config: StudyConfig, protected: list) -> None:
    """A county's folder is a comparison folder (no params) or a sweep folder; never a user's folder."""
    if config.params:
        check_out_folder(
            county.folder, kind=sweeps.KIND, protected=protected, what="pvsim sweep folder", names=sweeps.TABLE_FILES
        )
    for job in _jobs(county, config, [], ""):
        experiment.check_job_folder(job)


def _jobs(county: _County, config: StudyConfig, names: list[str], baseline: str) -> list[experiment.Job]:
    """The comparison of each of the county's variants: the county's folder itself without params, else its
    sweep's variant folders (:func:`sim.sweeps.sweep_jobs`)."""
    if not config.params:
        return [experiment.Job(county.scenario, names, config.replications, baseline, county.folder)]
    return [
        experiment.Job(v, names, config.replications, baseline, county.folder / "variants" / label, figures=False)
        for label, _, v in county.variants
    ]


def _study(config, path, name, names, baseline, counties, out, *, workers, scheduler, progress, cache_dir, figures):
    """:func:`study` in its locked folder: one batch of every county's comparisons, then each county's sweep (with
    params), then the study's tables."""
    jobs = {c.name: _jobs(c, config, names, baseline) for c in counties}
    for c in counties:
        for job in jobs[c.name]:
            job.figures = figures and not config.params
    with contextlib.ExitStack() as stack:
        if config.params:  # each county's sweep folder is locked and marked as the sweep command does
            for c in counties:
                stack.enter_context(claim_folder(c.folder, sweeps.KIND))
        batch = experiment.run_comparisons(
            [j for c in counties for j in jobs[c.name]],
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            cache_dir=cache_dir,
        )
        done = iter(batch.comparisons)
        comparisons = {(c.name, label): next(done) for c in counties for label, _, _ in c.variants}
        if config.params:
            for c in counties:
                mine = [comparisons[(c.name, label)] for label, _, _ in c.variants]
                sweeps.finish_sweep(c.scenario, config.params, c.variants, mine, c.folder, figures=figures)
    result = Study(
        name=name,
        runs=study_runs(counties, comparisons, config.params),
        counties={c.name: c.folder for c in counties},
        strategies=names,
        replications=config.replications,
        params=config.params,
        out_dir=out,
        computed=sum(c.computed for c in comparisons.values()),
        preparations=batch.preparations,
        comparisons=comparisons,
    )
    atomic_folder(out, lambda tmp: _write(result, config, path, counties, tmp), kind=KIND)
    return result


def study_runs(counties: list[_County], comparisons: dict, params: dict) -> pd.DataFrame:
    """The tidy table of every run: :data:`ID_COLUMNS`, the swept keys, the metrics, and the run's folder relative
    to the study folder; counties in the study's order, variants in theirs, then strategy and replication."""
    frames = []
    for c in counties:
        for label, changes, _ in c.variants:
            runs = comparisons[(c.name, label)].runs.copy()
            runs["county"], runs["variant"] = c.name, label
            for key in params:
                value = changes[key]
                runs[key] = json.dumps(value) if isinstance(value, (list, dict)) else value
            folder = Path(COUNTIES) / c.name / ("variants/" + label if params else "")
            runs["path"] = [str(folder / p) for p in runs["path"]]
            frames.append(runs)
    runs = pd.concat(frames, ignore_index=True)
    metrics = [m for m in METRICS if m in runs.columns]
    return runs[[*ID_COLUMNS, *params, *metrics, "path"]]


def _write(result: Study, config: StudyConfig, path: Path, counties: list[_County], out: Path) -> None:
    """``study.csv`` and ``study.json`` into the folder being written."""
    decimals = {n: m.csv_decimals for n, m in METRICS.items()}
    experiment.write_text(out / "study.csv", csv_text(result.runs, decimals))
    doc = {
        "study": result.name,
        "study_file": str(path.resolve()),
        "counties": [
            {
                "county": c.name,
                "scenario_file": str(c.scenario.path) if c.scenario.path is not None else None,
                "scenario_seed": c.scenario.seed,
                "inputs_sha256": pipeline.inputs_sha256(c.scenario),
                "folder": str(Path(COUNTIES) / c.name),
                "kind": sweeps.KIND if config.params else experiment.KIND,
            }
            for c in counties
        ],
        "strategies": result.strategies,
        "baseline": config.baseline or result.strategies[0],
        "replications": result.replications,
        "params": result.params,
        "variants": [label for label, _, _ in counties[0].variants],
        "preparations": result.preparations,
        "currency": next(iter(result.comparisons.values())).currency,
        "confidence": "95 % two-sided, Student's t over replications (each county's comparison)",
    }
    experiment.write_text(out / "study.json", json.dumps(jsonable(doc), indent=2, ensure_ascii=False) + "\n")


def is_study_folder(folder: Path) -> bool:
    """Whether ``folder`` carries pvsim's manifest of a study (finished, or interrupted with runs to reuse)."""
    from ._io import is_pvsim_folder

    return is_pvsim_folder(Path(folder), KIND)


def read_study(out_dir: str | Path) -> tuple[pd.DataFrame, dict]:
    """``study.csv`` and ``study.json`` of a finished study folder (:class:`InputError` naming what is missing)."""
    out_dir = Path(out_dir).expanduser()
    doc = read_finished(out_dir, KIND, "pvsim study folder", TABLE_FILES, "study.json", "pvsim study")
    runs = pd.read_csv(out_dir / "study.csv", dtype={"county": str, "strategy": str, "variant": str})
    return runs, doc


def print_study(result: Study, file=None) -> None:
    """Per county and variant, each strategy's mean CO2 avoided and net cost per tonne (the folders hold the
    rest)."""
    file = file or sys.stdout
    co2, cost = METRICS["co2_avoided_t"], METRICS["net_cost_per_t_co2_cny"]
    keys = ["county", "variant", "strategy"]
    table = result.runs.groupby(keys, sort=False)[[co2.name, cost.name]].mean().reset_index()
    header = [*keys, co2.printed_header, cost.printed_header]
    rows = [
        [str(r["county"]), str(r["variant"]), str(r["strategy"])]
        + [f"{float(r[m.name]) / m.divisor:.{m.decimals}f}" for m in (co2, cost)]
        for _, r in table.iterrows()
    ]
    n_variants = result.runs["variant"].nunique()
    print(
        f"  {len(result.counties)} counties x {n_variants} variant(s) x {len(result.strategies)} strategies x "
        f"{result.replications} replications: {len(result.runs)} runs ({result.computed} computed now), "
        f"{result.preparations} preparation(s) of sites, weather and yields; means over replications",
        file=file,
    )
    for text in experiment.format_table(header, rows):
        print("  " + text, file=file)


# --------------------------------------------------------------------------------------------- province view

PROVINCE_METRICS = ("capacity_built_kwp", "co2_avoided_t", "capex_cny")
"""The metrics summed over a province's counties (totals that add up; ratios and milestones do not)."""
CO2_PER_CNY = "co2_kg_per_cny"
"""kg of CO2 avoided over the horizon per CNY of capex (:func:`co2_kg_per_cny`): what the province map shades."""
WINNER_METRIC = "co2_avoided_t"
"""A county's winning strategy has the highest mean of this metric over replications (the comparison report ranks
by it too: :func:`sim.report.compare.ranking_metric`)."""


def co2_kg_per_cny(co2_t, capex_cny):
    """``1000 * co2_t / capex_cny`` [kg CO2 per CNY], NaN where nothing was spent."""
    co2, capex = np.asarray(co2_t, dtype=float), np.asarray(capex_cny, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(capex > 0, 1000.0 * co2 / np.where(capex > 0, capex, 1.0), np.nan)


def province_totals(runs: pd.DataFrame, variant: str) -> pd.DataFrame:
    """Per strategy (index): the province's total of each :data:`PROVINCE_METRICS` and its kg CO2 per CNY, as the
    mean and 95 % CI over replications of the sums over counties of replication ``r`` (the counties' runs are
    independent: each county draws from its own seeds). Only replications every county has are summed."""
    sub = runs[runs["variant"] == variant]
    n_counties = sub["county"].nunique()
    rows = {}
    for strategy, group in sub.groupby("strategy", sort=False):
        by_rep = group.groupby("replication")
        complete = by_rep["county"].nunique() == n_counties
        totals = by_rep[list(PROVINCE_METRICS)].sum(min_count=1)[complete]
        totals[CO2_PER_CNY] = co2_kg_per_cny(totals["co2_avoided_t"], totals["capex_cny"])
        row: dict[str, float] = {}
        for name in (*PROVINCE_METRICS, CO2_PER_CNY):
            n, mean, low, high = stats.mean_ci95(totals[name].to_numpy())
            row.update({"n": n, f"{name}_mean": mean, f"{name}_ci95_low": low, f"{name}_ci95_high": high})
        rows[strategy] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def county_winners(runs: pd.DataFrame, variant: str) -> pd.DataFrame:
    """Per county (in the study's order): its winning strategy (:data:`WINNER_METRIC`; ties to the first in name
    order), the winner's mean CO2 avoided and capex, and its kg CO2 per CNY (of those means)."""
    sub = runs[runs["variant"] == variant]
    means = sub.groupby(["county", "strategy"], sort=False)[["co2_avoided_t", "capex_cny"]].mean().reset_index()
    rows = []
    for county in dict.fromkeys(sub["county"]):
        mine = means[means["county"] == county].sort_values("strategy", kind="mergesort")
        best = mine.loc[mine[WINNER_METRIC].idxmax()] if mine[WINNER_METRIC].notna().any() else mine.iloc[0]
        rows.append(
            {
                "county": county,
                "winner": best["strategy"],
                "co2_avoided_t": float(best["co2_avoided_t"]),
                "capex_cny": float(best["capex_cny"]),
                CO2_PER_CNY: float(co2_kg_per_cny(best["co2_avoided_t"], best["capex_cny"])),
            }
        )
    return pd.DataFrame(rows)
