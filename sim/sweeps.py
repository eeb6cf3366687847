"""What-if sweeps: every combination of values of some scenario keys x strategies x replications, on the Dask engine
of :mod:`sim.experiment`, paired by replication seed across variants.

Each variant is the scenario with its values applied (:meth:`sim.scenario.Scenario.with_changes`, validated before
any work); replication ``r`` uses the seed :func:`sim.experiment.replication_seed` ``(scenario.seed, r)`` in every
variant and strategy, so the differences between variants are paired (common random numbers). The variants run on
one Dask cluster, each as a comparison of its own (:func:`sim.experiment.compare`), so a sweep resumes exactly as a
comparison does.

Output folder (``out_dir``)::

    variants/<label>/        the comparison of one variant (its runs, comparison.csv, ...)
    sweep_runs.csv           tidy: one row per variant x strategy x replication, the swept keys as columns, metrics
    sweep_summary.csv        a row per variant x strategy: n, and mean, ci95_low, ci95_high of every metric
    sweep_paired.csv         each variant minus the first (the base), per strategy and metric, paired by replication
    sweep.json               the swept keys and values, the variants, the seeds, and the tables above; the --set
                             changes (overrides) and the files read with their SHA-256 (inputs)
    scenario.yaml            the base scenario exactly as swept (each variant's folder holds its own)
    layers.gpkg              the county's map layers, for the report
    sweep_<strategy>_*.png   per strategy: metric bars, paired differences, capacity and CO2 over time by variant
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import experiment, pipeline, stats
from ._io import atomic_folder, check_out_folder, claim_folder, is_pvsim_folder, read_finished
from .errors import InputError
from .metrics import METRICS, printed
from .results import csv_text, jsonable


@dataclass
class Sweep:
    """A finished sweep: ``runs`` (tidy, one row per variant x strategy x replication), ``summary`` (mean and 95 %
    CI per variant x strategy), ``paired`` (variant minus the base variant, paired by replication)."""

    params: dict[str, list]
    variants: pd.DataFrame
    runs: pd.DataFrame
    summary: pd.DataFrame
    paired: pd.DataFrame
    strategies: list[str]
    replications: int
    out_dir: Path
    figures: list[Path] = field(default_factory=list)
    computed: int = 0
    currency: str = "CNY"
    """The scenario's ``economics.currency``, which labels the money metrics."""
    preparations: int = 0
    """How many preparations of sites, weather and yields the variants took (one per preparation key)."""


def parse_param(text: str, surprises: dict[str, str] | None = None) -> tuple[str, list]:
    """``"rollout.crews=4,8,12"`` -> ``("rollout.crews", [4, 8, 12])`` (each value read as YAML; ``surprises`` as in
    :func:`sim.scenario.parse_assignment`)."""
    key, sep, values = str(text).partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError("expected KEY=V1,V2,...", field="--param", value=text, allowed="e.g. rollout.crews=4,8,12")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not items:
        raise InputError(
            "empty list of values",
            field=f"--param {key}",
            value=text,
            allowed="one or more comma-separated values, e.g. rollout.crews=4,8,12",
        )
    from .scenario import parse_assignment

    return key, [parse_assignment(f"{key}={v}", "--param", surprises)[1] for v in items]


def _label(changes: dict[str, Any]) -> str:
    """A folder-safe label of a variant, e.g. ``rollout.crews=4+grid.hosting_share_percent=100``."""
    text = "+".join(f"{k}={v}" for k, v in changes.items())
    label = re.sub(r"[^A-Za-z0-9._=+-]", "_", text)
    if len(label) > MAX_LABEL:  # a folder name must fit the file system (255 bytes); the hash keeps labels distinct
        label = f"{label[: MAX_LABEL - 13]}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    return label


MAX_LABEL = 120
"""Longest variant label (it names the variant's folder)."""


def make_variants(scenario, params: dict[str, list]) -> list[tuple[str, dict[str, Any], object]]:
    """(label, changes, validated scenario) of every combination of ``params`` values, in the given order; a bad key
    or value fails here, naming ``--param``, before any work."""
    if not params:
        raise InputError("nothing to sweep", field="--param", allowed="one or more KEY=V1,V2,...")
    for key, values in params.items():
        if not isinstance(values, (list, tuple)) or len(values) == 0:
            raise InputError("empty list of values", field=f"--param {key}", value=values, allowed="one or more values")
    out = []
    for combo in itertools.product(*params.values()):
        changes = dict(zip(params, combo))
        out.append((_label(changes), changes, scenario.with_changes(changes, option="--param")))
    labels = [label for label, _, _ in out]
    if len(set(labels)) != len(labels):
        raise InputError(
            "two variants have the same values", field="--param", value=labels, allowed="distinct values per key"
        )
    return out


def sweep(
    scenario,
    params: dict[str, list],
    strategies: list[str] | None = None,
    replications: int = 10,
    *,
    out_dir: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    cache_dir: Path | str | None = None,
    figures: bool = True,
    overwrite: bool = False,
) -> Sweep:
    """Run every variant of ``params`` (key -> values, every combination) x strategy x replication and compare the
    variants paired by replication seed. See the module docstring for the outputs. ``out_dir`` follows the rules of
    :func:`sim._io.check_out_folder` (never among the scenario's inputs; a non-empty folder that is not a sweep
    only with ``overwrite``, and nothing in it is removed)."""
    names = experiment.check_strategies(strategies or [scenario.strategy])
    replications = experiment.check_replications(replications)
    experiment.check_workers(workers, scheduler)
    variants = make_variants(scenario, params)
    out_dir = check_out_folder(
        out_dir,
        kind=KIND,
        overwrite=overwrite,
        protected=pipeline.input_paths(scenario),
        what="pvsim sweep folder",
        names=TABLE_FILES,
    )
    try:
        return _sweep(
            scenario,
            params,
            variants,
            names,
            replications,
            out_dir=out_dir,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            cache_dir=cache_dir,
            figures=figures,
        )
    except KeyboardInterrupt:
        raise experiment.interrupted(out_dir) from None


def _sweep(
    scenario, params, variants, names, replications, *, out_dir, workers, scheduler, progress, cache_dir, figures
) -> Sweep:
    """:func:`sweep` in its locked output folder: every variant's comparison in one batch, on one Dask client, with
    one preparation for the variants that share it (:func:`sim.experiment.run_comparisons`)."""
    with claim_folder(out_dir, KIND):  # locked and marked before any work
        jobs = sweep_jobs(variants, names, replications, out_dir)
        batch = experiment.run_comparisons(
            jobs, workers=workers, scheduler=scheduler, progress=progress, cache_dir=cache_dir
        )
        result = finish_sweep(scenario, params, variants, batch.comparisons, out_dir, figures=figures)
        result.preparations = batch.preparations
    return result


def sweep_jobs(variants, names: list[str], replications: int, out_dir: Path) -> list[experiment.Job]:
    """The comparison of each variant (:func:`make_variants`), in ``out_dir/variants/<label>``, without figures."""
    return [
        experiment.Job(variant, names, replications, names[0], out_dir / "variants" / label, figures=False)
        for label, _, variant in variants
    ]


def finish_sweep(scenario, params, variants, comparisons: list, out_dir: Path, *, figures: bool = True) -> Sweep:
    """The tables (and figures) of a sweep from the finished comparison of each variant (in the order of
    ``variants``), written atomically into its locked folder ``out_dir``."""
    by_label = {label: c for (label, _, _), c in zip(variants, comparisons)}
    first = comparisons[0]
    result = _assemble(params, variants, by_label, first.strategies, first.replications, out_dir)

    def fill(tmp: Path) -> None:  # tables and figures are committed together, with the manifest last
        _write(result, scenario, tmp)
        if figures:
            result.figures = [out_dir / p.name for p in _figures(result, by_label, tmp)]

    atomic_folder(out_dir, fill, kind=KIND)
    return result


KIND = "sweep"
"""Kind of pvsim's manifest of a sweep folder (:mod:`sim._io`)."""
TABLE_FILES = ("sweep_runs.csv", "sweep_summary.csv", "sweep_paired.csv", "sweep.json")


def is_sweep_folder(folder: Path) -> bool:
    """Whether ``folder`` carries pvsim's manifest of a sweep (finished, or interrupted with variants to reuse)."""
    return is_pvsim_folder(Path(folder), KIND)


def _assemble(params, variants, comparisons, names, replications, out_dir) -> Sweep:
    labels = [label for label, _, _ in variants]
    table = pd.DataFrame(
        [
            {"variant": label, **{k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in changes.items()}}
            for label, changes, _ in variants
        ]
    )
    runs = pd.concat([comparisons[label].runs.assign(variant=label) for label in labels], ignore_index=True)
    runs = runs.merge(table, on="variant", how="left")
    runs["path"] = "variants/" + runs["variant"] + "/" + runs["path"]
    first = ["variant", *params, "strategy", "replication", "seed"]
    runs = runs[first + [c for c in runs.columns if c not in first]]
    summaries: list[pd.DataFrame] = []
    diffs: list[pd.DataFrame] = []
    for strategy in names:
        sub = runs[runs["strategy"] == strategy].assign(strategy=runs["variant"])
        summaries.append(
            stats.summarise(sub, labels).reset_index().rename(columns={"strategy": "variant"}).assign(strategy=strategy)
        )
        if len(labels) > 1:
            diff = stats.paired_differences(sub, labels, labels[0])
            diffs.append(
                diff.rename(columns={"strategy": "variant", "baseline": "base_variant"}).assign(strategy=strategy)
            )
    summary = pd.concat(summaries, ignore_index=True).merge(table, on="variant", how="left")
    summary = summary[
        ["variant", *params, "strategy"] + [c for c in summary.columns if c not in ("variant", "strategy", *params)]
    ]
    paired = (
        pd.concat(diffs, ignore_index=True)
        if diffs
        else pd.DataFrame(
            columns=[
                "variant",
                "base_variant",
                "metric",
                "n",
                "mean",
                "ci95_low",
                "ci95_high",
                "excludes_zero",
                "strategy",
            ]
        )
    )
    paired = paired[["strategy", *[c for c in paired.columns if c != "strategy"]]]
    return Sweep(
        params=params,
        variants=table,
        runs=runs,
        summary=summary,
        paired=paired,
        strategies=names,
        replications=replications,
        out_dir=out_dir,
        computed=sum(c.computed for c in comparisons.values()),
        currency=next(iter(comparisons.values())).currency,
    )


def _write(result: Sweep, scenario, out: Path) -> None:
    """The tables of ``result`` (:data:`TABLE_FILES`) into the folder ``out``."""
    # plain decimals, each metric with the decimals of the metric table (as the comparison's CSV files)
    experiment.write_text(
        out / "sweep_runs.csv", csv_text(result.runs, {n: m.csv_decimals for n, m in METRICS.items()})
    )
    experiment.write_text(
        out / "sweep_summary.csv",
        csv_text(
            result.summary,
            {f"{n}_{stat}": m.csv_decimals for n, m in METRICS.items() for stat in ("mean", "ci95_low", "ci95_high")},
        ),
    )
    experiment.write_text(out / "sweep_paired.csv", experiment.paired_csv(result.paired))
    doc = {
        "scenario": scenario.name,
        "scenario_seed": scenario.seed,
        "params": result.params,
        "overrides": scenario.overrides,
        "inputs": pipeline.input_files(scenario),
        "variants": result.variants.to_dict(orient="records"),
        "strategies": result.strategies,
        "replications": result.replications,
        "currency": result.currency,
        "seeds": [experiment.replication_seed(scenario.seed, r) for r in range(result.replications)],
        "confidence": "95 % two-sided, Student's t over replications; paired differences by replication seed",
        "summary": result.summary.to_dict(orient="records"),
        "paired": result.paired.to_dict(orient="records"),
    }
    experiment.write_text(out / "sweep.json", json.dumps(jsonable(doc), indent=2, ensure_ascii=False) + "\n")
    experiment.write_as_run(out, scenario, experiment.county_layers(scenario))


PAIRED_TITLE = "label.sweep_paired_title"
"""Label of the title of a sweep's paired-difference figure (variant minus the first variant)."""


def strategy_view(result: Sweep, strategy: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The variants of one strategy shaped as a comparison's tables (variants in place of strategies): the summary
    indexed by variant, and the paired differences with ``strategy`` / ``baseline`` columns naming variants."""
    table = result.summary[result.summary["strategy"] == strategy].set_index("variant")
    paired = (
        result.paired[result.paired["strategy"] == strategy]
        .drop(columns="strategy")
        .rename(columns={"variant": "strategy", "base_variant": "baseline"})
    )
    return table, paired


def strategy_bands(comparisons: dict, labels: list[str], strategy: str) -> pd.DataFrame:
    """``annual_bands`` of one strategy with the variants in place of strategies."""
    return pd.concat(
        [comparisons[v].bands[comparisons[v].bands["strategy"] == strategy].assign(strategy=v) for v in labels],
        ignore_index=True,
    )


def read_sweep(out_dir: str | Path) -> tuple[Sweep, dict, dict]:
    """Load a finished sweep folder: the :class:`Sweep` (without its runs' figures), the comparison of every variant
    (:func:`sim.experiment.read_comparison`) and ``sweep.json``; raises :class:`InputError` naming what is missing."""
    out_dir = Path(out_dir).expanduser()
    doc = read_finished(out_dir, KIND, "pvsim sweep folder", TABLE_FILES, "sweep.json", "pvsim sweep")
    variants = pd.DataFrame(doc["variants"])
    labels = list(variants["variant"])
    text = {"variant": str, "strategy": str, "base_variant": str}
    result = Sweep(
        params=doc["params"],
        variants=variants,
        runs=pd.read_csv(out_dir / "sweep_runs.csv", dtype=text),
        summary=pd.read_csv(out_dir / "sweep_summary.csv", dtype=text),
        paired=pd.read_csv(out_dir / "sweep_paired.csv", dtype=text),
        strategies=list(doc["strategies"]),
        replications=int(doc["replications"]),
        out_dir=out_dir,
        figures=sorted(out_dir.glob("sweep_*.png")),
    )
    comparisons = {v: experiment.read_comparison(out_dir / "variants" / v) for v in labels}
    result.currency = doc.get("currency") or comparisons[labels[0]].currency
    return result, comparisons, doc


def _figures(result: Sweep, comparisons: dict, folder: Path) -> list[Path]:
    """Per strategy, the comparison figures with the variants in place of strategies, drawn into ``folder``."""
    from .plotting.compare import plot_bands, plot_metric_bars, plot_paired_differences

    labels = list(result.variants["variant"])
    paths = []
    for strategy in result.strategies:
        stem = folder / f"sweep_{experiment.strategy_dirname(strategy)}"
        table, paired = strategy_view(result, strategy)
        paths.append(plot_metric_bars(table, labels, result.replications, Path(f"{stem}_metrics.png"), result.currency))
        paths.append(
            plot_bands(
                strategy_bands(comparisons, labels, strategy),
                labels,
                result.replications,
                Path(f"{stem}_over_time.png"),
            )
        )
        if len(labels) > 1:
            paths.append(
                plot_paired_differences(
                    paired,
                    labels,
                    labels[0],
                    result.replications,
                    Path(f"{stem}_paired.png"),
                    result.currency,
                    title_key=PAIRED_TITLE,
                )
            )
    return paths


def print_sweep(result: Sweep, file=None) -> None:
    """Per strategy: each variant's means ± 95 % CI half-widths, then its paired difference to the base variant."""
    file = file or sys.stdout
    shown = printed(result.currency)
    header = ["variant", "n", *[m.printed_header for m in shown]]
    print(
        "  1 replication per variant and strategy: no confidence interval"
        if result.replications == 1
        else f"  {result.replications} replications per variant and strategy, paired by seed; mean ±95 % CI half-width",
        file=file,
    )
    for strategy in result.strategies:
        table = result.summary[result.summary["strategy"] == strategy].set_index("variant")
        rows = [
            [
                str(label),
                str(int(row["n"])),
                *[
                    stats.mean_pm(row[f"{m.name}_mean"], row[f"{m.name}_ci95_low"], m.divisor, m.decimals)
                    for m in shown
                ],
            ]
            for label, row in table.iterrows()
        ]
        print(f"\n  {strategy}", file=file)
        for text in experiment.format_table(header, rows):
            print("  " + text, file=file)
        paired = result.paired[result.paired["strategy"] == strategy]
        if paired.empty:
            continue
        base = paired["base_variant"].iloc[0]
        rows = []
        for label in table.index[1:]:
            cells = [str(label), ""]
            for m in shown:
                d = paired[(paired["variant"] == label) & (paired["metric"] == m.name)].iloc[0]
                mark = "*" if d["excludes_zero"] else " "
                cells.append(stats.mean_pm(d["mean"], d["ci95_low"], m.divisor, m.decimals) + mark)
            rows.append(cells)
        print(
            f"  difference to {base} (paired by replication seed; "
            f"{'one replication' if result.replications == 1 else '* = CI excludes 0'})",
            file=file,
        )
        for text in experiment.format_table(header, rows):
            print("  " + text, file=file)
