"""Strategy comparison: paired replications with common random numbers, confidence intervals, Dask execution.

Replication ``r`` runs every strategy with the same seed (derived from the scenario's seed and ``r``), so the
differences between strategies are paired and most of the run-to-run noise cancels in them. The strategy- and
seed-independent part of a run (sites, yields) is prepared once in the client and broadcast to the Dask workers,
with the orders of the seed-independent strategies (:data:`sim.strategies.SEED_INDEPENDENT`), computed once; the
optimising ones are solved in the client while the workers run the others. Every (strategy, replication) run is one
task, but the runs of one replication whose strategies release the sites in the same order are one task and one
simulation (:func:`run_tasks`), each with its own result.

Output folder (``out_dir``)::

    runs/<strategy>/rep<r>/        one finished run, written atomically: run.json (what was run, for resuming),
                                   summary.json, annual.csv, built.csv (built sites and their commission year);
                                   other files a user puts there are kept when the run is written again
    comparison.csv                 a row per strategy: n, and mean, ci95_low, ci95_high of every metric
    paired_differences.csv         strategy minus baseline per metric, paired by replication
    annual_bands.csv               cumulative capacity online and CO2 per year: mean and 95 % CI per strategy
    comparison.json                all of the above plus the list of runs, the --set changes (overrides) and the
                                   files read with their SHA-256 (inputs)
    scenario.yaml                  the scenario exactly as compared (:func:`sim.scenario.as_run_yaml`)
    layers.gpkg                    the county's map layers, for the report (:func:`sim.results.write_layers`)
    *.png                          figures (see :mod:`sim.plotting.compare`)

An interrupted comparison resumes: runs already in ``out_dir`` that match the scenario, its input files, the
strategy and the seed are read back instead of computed. ``out_dir`` must be new, empty or a comparison folder
(``overwrite`` adds pvsim's files to any other folder and removes nothing); it may not be the scenario's folder or
hold its data. CSV files hold plain decimals (``csv_decimals`` of the metric table; money to the unit). Every
table is aggregated from the files on disk in sorted (strategy, replication) order, so the numbers do not depend on
the number of workers or on completion order.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import pipeline
from ._io import (
    atomic_folder,
    check_out_folder,
    claim_folder,
    is_pvsim_folder,
    read_finished,
    remove_temporaries,
    verify_folder,
)
from .economics import discount_factor
from .errors import InputError, Interrupted
from .metrics import METRICS, Metric, in_currency, printed
from .provenance import code_sha256
from .results import RunResult, csv_text, jsonable, plain_decimals, summary_json, write_csv
from .stats import annual_bands, mean_ci95, mean_pm, paired_differences, summarise  # noqa: F401 (mean_ci95: public API)
from .strategies import PLANNED, resolve
from .timebase import days_to_years

if TYPE_CHECKING:
    from distributed import Client

RunFn = Callable[[pipeline.Prepared, str, int], RunResult]

CONNECT_TIMEOUT_S = 5.0
"""How long to try to reach a user-given Dask scheduler before giving up."""
WORKERS_TIMEOUT_S = 30.0
"""How long to wait for a user-given scheduler to have at least one worker."""
TASK_RETRIES = 2
MAX_ROUNDS = 3
"""Times the prepared data is scattered again after every worker holding it died."""
LOCAL_SCHEDULER_KWARGS = {"dashboard": False, "dashboard_address": ":0"}
"""No dashboard; the scheduler's HTTP endpoints on a free port (not 8787, which another cluster may hold)."""
WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
"""Dask's settings for the local workers that pvsim changes: Dask starts its workers with glibc's
``MALLOC_TRIM_THRESHOLD_=65536`` (to hand freed memory back to the system at once; Dask's docs, "Memory not released
back to the OS"), which also fixes glibc's mmap threshold at 128 KiB, so that every array above it is mapped afresh
and faulted in page by page. A run's accounting makes thousands of such arrays: measured on the demo, the setting
doubles a run's time (0.6 s of system time in page faults on top of 0.9 s). None: unset, glibc's default (a
variable the user set in the environment still applies)."""
WORKER_PRELOAD = ["sim.pipeline", "sim.experiment"]
"""Modules a local worker imports as it starts (Dask's ``preload``): the model's ~1 s of imports then overlap the
client's preparation instead of delaying the worker's first run."""
RUN_FILES = ("run.json", "summary.json", "annual.csv", "built.csv")
"""Files of one run of a comparison (``runs/<strategy>/rep<r>/``)."""
KIND, RUN_KIND = "comparison", "comparison-run"
"""Kinds of pvsim's manifest of a comparison folder and of one of its runs (:mod:`sim._io`)."""
TABLE_FILES = ("comparison.csv", "paired_differences.csv", "annual_bands.csv", "comparison.json")
BUILT_DECIMALS = {"capacity_kwp": 3}
BAND_DECIMALS = 6
"""Decimals of ``annual_bands.csv`` (MWp and kt: to the kWp and the kg)."""


# --------------------------------------------------------------------------------------------- results


@dataclass
class Comparison:
    """A finished comparison.

    ``table``: a row per strategy (index), ``n`` and ``<metric>_mean / _ci95_low / _ci95_high``;
    ``paired``: strategy minus baseline per metric (``mean, ci95_low, ci95_high, excludes_zero``);
    ``runs``: a row per (strategy, replication) with its seed and metrics; ``bands``: cumulative capacity and CO2
    per year (mean and 95 % CI); ``figures``: the PNG files written.
    """

    table: pd.DataFrame
    paired: pd.DataFrame
    runs: pd.DataFrame
    out_dir: Path
    strategies: list[str]
    baseline: str
    replications: int
    bands: pd.DataFrame = field(default_factory=pd.DataFrame)
    figures: list[Path] = field(default_factory=list)
    computed: int = 0
    """How many runs this call computed (the rest were reused from ``out_dir``)."""
    currency: str = "CNY"
    """The scenario's ``economics.currency``, which labels the money metrics."""
    solutions: dict = field(default_factory=dict)
    """How the optimising strategies were solved (:class:`sim.planning.Solution` by strategy)."""
    replaced: dict | None = None
    """The earlier comparison of other strategies or replications that this one replaced in ``out_dir``
    (``strategies``, ``replications``), else None."""


# --------------------------------------------------------------------------------------------- statistics


def replication_seed(base_seed: int, replication: int) -> int:
    """Seed of replication ``replication``: the same for every strategy (common random numbers)."""
    return int(np.random.SeedSequence([int(base_seed), int(replication)]).generate_state(1)[0])


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def _years_since(start_date: str, iso_date: str | None) -> float:
    if not iso_date:
        return math.nan
    days = (pd.Timestamp(iso_date) - pd.Timestamp(start_date)).days
    return days_to_years(days)


def _metric_value(metric: Metric, summary: dict) -> float:
    if metric.kind == "milestone":
        return _years_since(summary["start_date"], (summary.get("milestones") or {}).get(metric.key))
    if metric.kind == "pilot":
        return _number(((summary.get("pilot_coverage") or {}).get(metric.key) or {}).get("share_percent"))
    return _number(summary.get(metric.key))


def discounted_total(annual: pd.DataFrame, column: str, start_year: int, discount_rate: float) -> float:
    """``sum_t annual[column] (1 + r)^-t`` with ``t`` the years since ``start_year`` (as the economics discounts)."""
    t = annual["year"].to_numpy(float) - start_year
    return float((annual[column].to_numpy(float) * discount_factor(t, discount_rate)).sum())


def run_metrics(summary: dict, annual: pd.DataFrame | None = None, discount_rate: float = math.nan) -> dict[str, float]:
    """The compared metrics of one run (:data:`sim.metrics.METRICS`), from its summary and (``discounted``
    metrics) its annual table (NaN where a value is missing or a milestone is never reached)."""
    out = {}
    for name, metric in METRICS.items():
        if metric.kind == "discounted":
            start_year = pd.Timestamp(summary["start_date"]).year
            out[name] = (
                discounted_total(annual, metric.key, start_year, discount_rate)
                if annual is not None and math.isfinite(discount_rate)
                else math.nan
            )
        else:
            out[name] = _metric_value(metric, summary)
    return out


# --------------------------------------------------------------------------------------------- input checks


def check_compare_arguments(
    strategies: Sequence[str], replications: int, baseline: str | None, workers: int | None, scheduler: str | None
) -> tuple[list[str], int, str]:
    """Check the arguments of :func:`compare` before any work; returns ``(names, replications, baseline)``."""
    names = check_strategies(strategies)
    replications = check_replications(replications)
    baseline = _check_baseline(baseline, names)
    check_workers(workers, scheduler)
    return names, replications, baseline


def check_strategies(strategies: Sequence[str]) -> list[str]:
    if isinstance(strategies, str):
        strategies = [strategies]
    names = [str(s).strip() for s in strategies]
    if not names or any(not n for n in names):
        raise InputError(
            "no strategy to compare",
            field="--strategies",
            value=list(strategies),
            allowed="one or more strategy names (see 'pvsim strategies')",
        )
    for name in names:
        resolve(name)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(
            "strategy listed more than once", field="--strategies", value=duplicated, allowed="each strategy once"
        )
    return names


def check_replications(replications: int) -> int:
    if isinstance(replications, bool) or not isinstance(replications, (int, np.integer)) or replications < 1:
        raise InputError(
            "need at least one replication", field="--replications", value=replications, allowed="an integer >= 1"
        )
    return int(replications)


def _check_baseline(baseline: str | None, names: list[str]) -> str:
    if baseline is None:
        return names[0]
    if baseline not in names:
        raise InputError(
            "baseline is not one of the compared strategies",
            field="--baseline",
            value=baseline,
            allowed=", ".join(names),
        )
    return baseline


def check_workers(workers: int | None, scheduler: str | None) -> None:
    if workers is not None and scheduler is not None:
        raise InputError(
            "give either a number of local workers or a scheduler address, not both",
            field="--workers / --scheduler",
            value=(workers, scheduler),
        )
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1):
        raise InputError("need at least one worker", field="--workers", value=workers, allowed="an integer >= 1")


# --------------------------------------------------------------------------------------------- run folders


def strategy_dirname(strategy: str) -> str:
    return strategy.replace(":", ".").replace("/", "_")


def run_dir(out_dir: Path, strategy: str, replication: int) -> Path:
    """Folder of one run inside a comparison's output folder."""
    return out_dir / "runs" / strategy_dirname(strategy) / f"rep{replication}"


def scenario_sha256(scenario) -> str:
    """Hash of the scenario's settings (the file may be absent when the scenario was built in code)."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()


def _run_identity(strategy: str, replication: int, seed: int, inputs: str, settings: str) -> dict:
    """What a stored run depends on (a resumed comparison recomputes a run whose record differs): its strategy,
    replication and seed, the inputs and settings, and the code (:func:`sim.provenance.code_sha256`: every module
    and table of the package and the versions of the packages that shape results), not a version string."""
    return {
        "strategy": strategy,
        "replication": int(replication),
        "seed": int(seed),
        "inputs_sha256": inputs,
        "scenario_sha256": settings,
        "code_sha256": code_sha256(),
    }


def _is_done(folder: Path, identity: dict) -> bool:
    """Whether ``folder`` holds a finished, undamaged run (its files match its manifest) of exactly this strategy,
    seed, scenario and inputs; anything else is computed again."""
    try:
        files = verify_folder(folder, RUN_KIND)["files"]
        recorded = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except (InputError, OSError, ValueError):
        return False
    return all(f in files for f in RUN_FILES) and recorded == identity


def _built_sites(result: RunResult) -> pd.DataFrame:
    """Built sites of a run: id, capacity and commission date/year (enough for maps and build-out curves)."""
    sites = result.sites
    built = sites[sites["status"].astype(str) == "operating"]
    dates = pd.to_datetime(built["commission_date"])
    frame = pd.DataFrame(
        {
            "site_id": built.index.astype(str),
            "capacity_kwp": built["capacity_kwp"].astype(float).to_numpy(),
            "commission_date": dates.dt.strftime("%Y-%m-%d").to_numpy(),
            "commission_year": dates.dt.year.astype("Int64").to_numpy(),
        }
    )
    return frame.sort_values("site_id", kind="mergesort").reset_index(drop=True)


def run_task(
    prepared: pipeline.Prepared, strategy: str, seed: int, run_fn: RunFn | None = None, part: dict | None = None
) -> dict:
    """One (strategy, seed) run on a worker, of ``prepared`` or of its variant ``part``
    (:func:`sim.pipeline.variant_part`); returns only what the comparison keeps (small to ship back)."""
    return run_tasks(prepared, [strategy], seed, run_fn, part)[0]


def run_tasks(
    prepared: pipeline.Prepared, names: list[str], seed: int, run_fn: RunFn | None = None, part: dict | None = None
) -> list[dict]:
    """The runs with ``seed`` of strategies ``names`` that release the sites in the same order, as
    :func:`run_task` makes each: one simulation for all of them (:func:`sim.pipeline.run_same_order`), or with
    ``run_fn`` one call of it per strategy."""
    prepared = pipeline.with_variant(prepared, part) if part is not None else prepared
    if run_fn is None:
        results = pipeline.run_same_order(prepared, names, seed, tables_only=True)
    else:
        results = [run_fn(prepared, name, seed) for name in names]
    return [
        {"summary": jsonable(r.summary), "annual": r.annual.reset_index(drop=True), "built": _built_sites(r)}
        for r in results
    ]


def write_run(folder: Path, payload: dict, identity: dict) -> Path:
    """Write one run's files into ``folder`` atomically (temporary folder beside it, renamed when complete)."""

    def fill(tmp: Path) -> None:
        (tmp / "summary.json").write_text(summary_json(payload["summary"]), encoding="utf-8")
        write_csv(payload["annual"], tmp / "annual.csv")
        (tmp / "built.csv").write_text(csv_text(payload["built"], BUILT_DECIMALS), encoding="utf-8")
        (tmp / "run.json").write_text(json.dumps(identity, indent=2) + "\n", encoding="utf-8")

    return atomic_folder(folder, fill, kind=RUN_KIND)


def is_comparison_folder(folder: Path) -> bool:
    """Whether ``folder`` carries pvsim's manifest of a comparison (finished, or interrupted with runs to reuse)."""
    return is_pvsim_folder(Path(folder), KIND)


def _remove_stale_temporaries(out_dir: Path) -> None:
    """Leftovers of writes killed by a crash (never complete runs, never a user's file)."""
    for folder in (out_dir, *(out_dir / "runs").glob("*"), *(out_dir / "runs").glob("*/rep*")):
        if folder.is_dir():
            remove_temporaries(folder)


def _read_runs(
    out_dir: Path, tasks: list[tuple[str, int, int]], discount_rate: float
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Metrics and annual series of every run, read from disk in sorted (strategy, replication) order, and the built
    sites of replication 0 of each strategy (the build maps' runs), by (strategy, 0)."""
    ordered = sorted(tasks, key=lambda t: (t[0], t[1]))
    summaries, texts, built = [], [], {}
    for strategy, rep, _ in ordered:
        folder = run_dir(out_dir, strategy, rep)
        summaries.append(json.loads((folder / "summary.json").read_text(encoding="utf-8")))
        texts.append((folder / "annual.csv").read_bytes().decode("utf-8"))  # its line ends as they are
        if rep == 0:
            built[(strategy, rep)] = pd.read_csv(folder / "built.csv", dtype={"site_id": str})
    annual, lengths = _read_csv_texts(texts)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    rows = [
        {
            "strategy": strategy,
            "replication": rep,
            "seed": seed,
            "path": str(run_dir(out_dir, strategy, rep).relative_to(out_dir)),
            **run_metrics(summary, annual.iloc[starts[i] : starts[i + 1]], discount_rate),
            "held_back_by": "; ".join(f"{k}: {v}" for k, v in (summary.get("held_back_by") or {}).items()),
        }
        for i, ((strategy, rep, seed), summary) in enumerate(zip(ordered, summaries))
    ]
    annual = annual.assign(
        strategy=np.repeat([t[0] for t in ordered], lengths).tolist(),
        replication=np.repeat([t[1] for t in ordered], lengths),
        capacity_eligible_kwp=np.repeat([float(s.get("capacity_eligible_kwp") or "nan") for s in summaries], lengths),
    )
    return pd.DataFrame(rows), annual, built


def _read_csv_texts(texts: list[str]) -> tuple[pd.DataFrame, list[int]]:
    """The CSV ``texts`` read as ``pd.read_csv`` reads each, concatenated (``ignore_index``), and the number of
    rows of each. Texts of plain numeric rows under one header (one line a row, no quotes, at least one row) are
    read in one parse, which gives those values and dtypes (a column is integer if it is in every text, otherwise
    float); others are read one by one."""
    header = texts[0].partition("\n")[0] + "\n" if texts else ""
    plain = all(
        t.startswith(header) and t.endswith("\n") and not any(c in t for c in ('"', "\r", "\n\n")) for t in texts
    )
    lengths = [t.count("\n") - 1 for t in texts]
    if plain and texts and min(lengths) > 0:  # a file of no rows reads as text columns
        frame = pd.read_csv(io.StringIO(header + "".join(t[len(header) :] for t in texts)))
        if len(frame) == sum(lengths) and all(dtype.kind in "iuf" for dtype in frame.dtypes):
            return frame, lengths
    frames = [pd.read_csv(io.StringIO(t)) for t in texts]
    return pd.concat(frames, ignore_index=True), [len(f) for f in frames]


# --------------------------------------------------------------------------------------------- Dask


def require_main_guard(function: str = "sim.compare (and sim.sweep)") -> None:
    """Local Dask workers are started with 'spawn', which imports the user's script again in every worker: a script
    that calls ``function`` at its top level, without ``if __name__ == "__main__":``, would start clusters from its
    workers. Say so in one line, before any work (notebooks, ``python -c`` and guarded scripts pass)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and str(spec.name).endswith("__main__"):
        return  # `python -m package`: spawn does not run a package's __main__ again
    path = getattr(main, "__file__", None)
    if not path or not str(path).endswith(".py") or not Path(path).is_file():
        return
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    if "__main__" not in source:
        raise InputError(
            f"{function} start(s) worker processes that import your script again; put the call under "
            "'if __name__ == \"__main__\":'",
            file=path,
        )


def local_cluster(n_workers: int, silence_logs: int):
    """pvsim's local Dask cluster: ``n_workers`` worker processes of one thread each on 127.0.0.1, no dashboards,
    the workers' environment :data:`WORKER_ENVIRON`, their :data:`WORKER_PRELOAD` and the scheduler's
    :data:`LOCAL_SCHEDULER_KWARGS`."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(WORKER_ENVIRON):
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            worker_dashboard_address=None,
            silence_logs=silence_logs,
            scheduler_kwargs=LOCAL_SCHEDULER_KWARGS,
            preload=WORKER_PRELOAD,
        )


@contextlib.contextmanager
def dask_client(workers: int | None, scheduler: str | None, n_tasks: int) -> Iterator[Client]:
    """A ``distributed.Client``: on a fresh LocalCluster of worker processes, or on the scheduler at ``scheduler``."""
    import logging

    from distributed import Client

    if scheduler is None:
        require_main_guard()
    if scheduler is not None:
        client = _connect(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    n_workers = max(1, min(workers or os.cpu_count() or 1, n_tasks))
    before = {p.pid for p in multiprocessing.active_children() if p.pid is not None}
    # CRITICAL: a worker's "failed to communicate with scheduler during heartbeat" as the cluster closes is no
    # error of the user's (a task's error reaches pvsim through its future)
    cluster = local_cluster(n_workers, logging.CRITICAL)
    try:
        client = Client(cluster)
        try:
            # Ctrl-C reaches the whole process group: pvsim alone handles it, in every worker, a restarted one too
            from ._workers import IgnoreSigint

            client.register_plugin(IgnoreSigint(), name="pvsim-ignore-sigint")
            yield client
        finally:
            client.close()
    finally:
        try:
            cluster.close()
        finally:
            stop_children(before)


def stop_children(before: set[int], grace_s: float = 5.0) -> list[int]:
    """Kill the child processes started since ``before`` (pids) that are still alive once the cluster is closed
    (a worker that ignored SIGINT and missed its nanny's close): no Dask process outlives the command. Returns the
    pids it had to kill."""
    left = [p for p in multiprocessing.active_children() if p.pid not in before]
    for p in left:
        p.join(timeout=grace_s / max(1, len(left)))
    killed = []
    for p in left:
        if p.is_alive():
            p.kill()
            p.join(timeout=grace_s)
            if p.pid is not None:
                killed.append(p.pid)
    return killed


def _connect(address: str) -> Client:
    from distributed import Client

    allowed = "the address of a running dask scheduler, e.g. tcp://127.0.0.1:8786"
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            f"cannot reach the dask scheduler within {CONNECT_TIMEOUT_S:g} s ({type(exc).__name__})",
            field="--scheduler",
            value=address,
            allowed=allowed,
        ) from None
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise InputError(
            f"the dask scheduler has no workers after {WORKERS_TIMEOUT_S:g} s ({type(exc).__name__})",
            field="--scheduler",
            value=address,
            allowed="start workers with 'dask worker ADDRESS'",
        ) from None
    return client


def _progress_bar(enabled: bool, total: int, done: int):
    from tqdm import tqdm

    # disable=None: a bar only on a terminal, never redraws written into a log
    return tqdm(
        total=total,
        initial=done,
        desc="pvsim compare",
        unit="run",
        file=sys.stderr,
        disable=None if enabled else True,
        mininterval=0.2,
        leave=False,
    )


def _status(enabled: bool, message: str) -> None:
    """A status line on stderr before a step that takes seconds (cluster start, preparation, figures)."""
    if enabled:
        print(f"pvsim compare: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- batches


@dataclass
class Job:
    """One comparison of a batch (:func:`run_comparisons`): a scenario, its strategies and replications, its folder.
    :func:`plan_job` fills in the runs (``tasks``: (strategy, replication, seed)), what each depends on
    (``identities``) and those not yet finished in ``out_dir`` (``todo``)."""

    scenario: Any
    names: list[str]
    replications: int
    baseline: str
    out_dir: Path
    figures: bool = True
    overwrite: bool = False
    tasks: list[tuple[str, int, int]] = field(default_factory=list)
    identities: dict = field(default_factory=dict)
    todo: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass
class Batch:
    """The comparisons of a batch, in the order of its jobs, and how many preparations (:func:`sim.pipeline.prepare`)
    they took: one per :func:`sim.pipeline.preparation_key`."""

    comparisons: list[Comparison]
    preparations: int


def plan_job(job: Job) -> Job:
    """Fill in the job's runs and which of them its (locked) folder does not hold finished."""
    scenario = job.scenario
    inputs, settings = pipeline.inputs_sha256(scenario), scenario_sha256(scenario)
    job.tasks = [(s, r, replication_seed(scenario.seed, r)) for s in sorted(job.names) for r in range(job.replications)]
    job.identities = {(s, r): _run_identity(s, r, seed, inputs, settings) for s, r, seed in job.tasks}
    _remove_stale_temporaries(job.out_dir)
    job.todo = [t for t in job.tasks if not _is_done(run_dir(job.out_dir, t[0], t[1]), job.identities[(t[0], t[1])])]
    return job


def check_job_folder(job: Job) -> Path:
    """:func:`sim._io.check_out_folder` for the folder of a comparison (before any work)."""
    return check_out_folder(
        job.out_dir,
        kind=KIND,
        overwrite=job.overwrite,
        protected=pipeline.input_paths(job.scenario),
        what="pvsim comparison folder",
        names=TABLE_FILES,
    )


@dataclass
class _Group:
    """The jobs of a batch that share one preparation (the same :func:`sim.pipeline.preparation_key`), the first
    job's scenario being the one prepared; while its runs are on the cluster, what was scattered and what is
    pending."""

    jobs: list[Job]
    prepared: list[pipeline.Prepared] = field(default_factory=list)
    solutions: list[dict] = field(default_factory=list)
    scattered: list = field(default_factory=list)
    parts: dict = field(default_factory=dict)
    """The scattered :func:`sim.pipeline.variant_part` of each job (by index) that its runs take beside the scattered
    preparation, which is ``scattered[0]``."""
    stale: bool = False
    """Whether ``scattered[0]`` lacks orders solved since it was scattered (then every job's runs take a part)."""
    pending: dict = field(default_factory=dict)
    lost: list = field(default_factory=list)
    rounds: int = 0


def _groups(jobs: list[Job]) -> list[_Group]:
    """The jobs grouped by preparation key, in the order of their first job."""
    groups: dict[str, _Group] = {}
    for job in jobs:
        groups.setdefault(pipeline.preparation_key(job.scenario), _Group([])).jobs.append(job)
    return list(groups.values())


def _prepare_group(group: _Group, cache_dir, progress: bool) -> None:
    """One preparation for the group; each other job gets it for its own scenario (:func:`sim.pipeline.for_variant`),
    and each job's seed-independent orders are computed once, here, but for the optimising ones
    (:func:`_solve_group`)."""
    base = group.jobs[0].scenario
    _status(progress, f"preparing sites, weather and yields of {base.name} (shared by every run) ...")
    prepared = pipeline.prepare(base, cache_dir=cache_dir)
    group.prepared = [
        prepared if i == 0 else pipeline.for_variant(prepared, j.scenario) for i, j in enumerate(group.jobs)
    ]
    for p, job in zip(group.prepared, group.jobs):
        pipeline.precompute_orders(p, [t for t in _used_strategies(p, job) if t not in PLANNED])


def _solve_group(group: _Group, progress: bool, cache_dir) -> None:
    """Solve the optimising strategies of each job of the group once, into its preparation (the runs that need no
    solve are on the cluster meanwhile; a solve of the same model done before is read from the cache); keeps how
    each compared one was solved."""
    solving = any(t in PLANNED for p, job in zip(group.prepared, group.jobs) for t in _used_strategies(p, job))
    if solving:
        _status(progress, "solving the optimising strategies (once, or from the cache; the other runs go on) ...")
    cache = Path(cache_dir) if cache_dir is not None else pipeline.default_cache_dir()
    group.solutions = []
    for p, job in zip(group.prepared, group.jobs):
        solutions = pipeline.precompute_orders(p, _used_strategies(p, job), cache_dir=cache)
        group.solutions.append({name: sol for name, sol in solutions.items() if name in job.names})
    group.stale = solving and bool(group.scattered)


def _used_strategies(prepared: pipeline.Prepared, job: Job) -> list[str]:
    """The strategies the runs of ``job`` order by: each compared one and its tracks' own
    (:func:`sim.pipeline.run_strategies`), each once."""
    return list(dict.fromkeys(t for name in job.names for t in pipeline.run_strategies(prepared.scenario, name)))


def _needs_solve(group: _Group, i: int, strategy: str) -> bool:
    """Whether a run of ``strategy`` in job ``i`` orders by an optimising strategy not solved yet."""
    prepared = group.prepared[i]
    return any(t in PLANNED and t not in prepared.orders for t in pipeline.run_strategies(prepared.scenario, strategy))


def _part(client, group: _Group, i: int):
    """What a run of job ``i`` takes beside the scattered preparation: None, or its scattered
    :func:`sim.pipeline.variant_part` (scattered once)."""
    if i == 0 and not group.stale:
        return None
    if i not in group.parts:
        group.parts[i] = client.scatter([pipeline.variant_part(group.prepared[i])], broadcast=True, hash=False)[0]
        group.scattered.append(group.parts[i])
    return group.parts[i]


def _submit(client, group: _Group, todo: list[tuple[int, tuple[str, int, int]]], run_fn) -> list:
    """Scatter the group's preparation once (and each variant's part of it) and submit the runs ``todo`` (job index,
    run), those of one job and seed with the same release order as one task (:func:`_shared_runs`); returns the
    new futures."""
    if not group.scattered:
        group.scattered = [client.scatter(group.prepared[0], broadcast=True, hash=False)]
        group.parts, group.stale = {}, False
    elif group.stale:
        group.parts = {}  # parts scattered before the solve lack its orders
    futures = []
    for i, runs in _shared_runs(group, todo, run_fn):
        names, (_, rep, seed) = [r[0] for r in runs], runs[0]
        fut = client.submit(
            run_tasks,
            group.scattered[0],
            names,
            seed,
            run_fn,
            _part(client, group, i),
            retries=TASK_RETRIES,
            pure=False,
            key=f"pvsim-run-{strategy_dirname(names[0])}-rep{rep}-{os.urandom(4).hex()}",
        )
        group.pending[fut] = (i, runs)
        futures.append(fut)
    return futures


def _shared_runs(group: _Group, todo: list[tuple[int, tuple[str, int, int]]], run_fn) -> list[tuple[int, list]]:
    """The runs ``todo`` as tasks ``(job index, runs)``: the runs of one job and seed whose strategies all release
    the sites in one seed-independent order (every strategy they order by in ``prepared.orders``) share a task (and
    one simulation, :func:`run_tasks`); every other run is a task of its own. Without ``run_fn`` only."""
    keys: dict[tuple[int, str], object] = {}

    def order_key(i: int, strategy: str) -> object:
        prepared = group.prepared[i]
        if run_fn is not None or any(
            t not in prepared.orders for t in pipeline.run_strategies(prepared.scenario, strategy)
        ):
            return strategy  # its own task
        if (i, strategy) not in keys:
            keys[(i, strategy)] = tuple(pipeline.release_order(prepared, strategy, prepared.scenario.seed))
        return keys[(i, strategy)]

    tasks: dict[tuple, tuple[int, list]] = {}
    for i, run in todo:
        tasks.setdefault((i, run[2], order_key(i, run[0])), (i, []))[1].append(run)
    return list(tasks.values())


def _collect(client, group: _Group, fut, bar) -> bool:
    """Store the results of ``fut`` (or note its runs as lost with their data); whether the group has no run left on
    the cluster (then its scattered data is released; its lost runs, if any, are for :func:`_resubmit`)."""
    from concurrent.futures import CancelledError

    i, runs = group.pending.pop(fut)
    job = group.jobs[i]
    try:
        payloads = fut.result()
    except CancelledError:
        group.lost += [(i, run) for run in runs]
    else:
        for (strategy, rep, _), payload in zip(runs, payloads, strict=True):
            write_run(run_dir(job.out_dir, strategy, rep), payload, job.identities[(strategy, rep)])
            bar.update(1)
    fut.release()
    if group.pending:
        return False
    client.cancel(group.scattered)
    group.scattered = []
    return True


def _resubmit(client, group: _Group, run_fn) -> list:
    group.rounds += 1
    if group.rounds >= MAX_ROUNDS:
        raise RuntimeError(f"{len(group.lost)} run(s) lost their input data {MAX_ROUNDS} times (workers keep dying?)")
    lost, group.lost = sorted(group.lost), []
    return _submit(client, group, lost, run_fn)


class _InBackground(threading.Thread):
    """``fn()`` on a daemon thread (a Ctrl-C of the command does not wait for it to end); :meth:`result` waits for
    it and raises what it raised."""

    def __init__(self, fn: Callable[[], object]):
        super().__init__(daemon=True, name="pvsim-prepare")
        self._fn = fn
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._fn()
        except BaseException as exc:  # noqa: BLE001 (handed to the caller by result())
            self._error = exc

    def result(self) -> None:
        self.join()
        if self._error is not None:
            raise self._error


def _run_groups(client, groups: list[_Group], *, run_fn, cache_dir, progress: bool, bar, finish) -> None:
    """Prepare each group, run its unfinished runs on the cluster, and ``finish`` it when they are stored. Groups
    are prepared one after the other while the cluster runs the earlier ones' runs: a new group starts when fewer
    than two runs per worker are pending, so that the workers never wait for a preparation if they can help it."""
    from distributed import as_completed

    queue, active = list(groups), list[_Group]()
    done: Any = None  # made with the first runs submitted (a cluster without workers fails before)
    owner: dict = {}
    want = 2 * max(1, len(client.scheduler_info().get("workers", {}))) if client is not None else 0
    while queue or active:
        while queue and (not active or sum(len(g.pending) for g in active) < want):
            group = queue.pop(0)
            if not group.prepared:  # (the first may be prepared already, while the cluster started)
                _prepare_group(group, cache_dir, progress)
            todo = [(i, t) for i, job in enumerate(group.jobs) for t in job.todo]
            if not todo:
                _solve_group(group, progress, cache_dir)
                finish(group)
                continue
            # the runs that need no solve first: the workers run them while this process solves the others' orders
            later = [(i, t) for i, t in todo if _needs_solve(group, i, t[0])]
            first = [r for r in todo if r not in later]
            futures = _submit(client, group, first, run_fn) if first else []
            _solve_group(group, progress, cache_dir)
            futures += _submit(client, group, later, run_fn)
            done = done if done is not None else as_completed(loop=client.loop)
            for fut in futures:
                owner[fut] = group
                done.add(fut)
            active.append(group)
        if not active:
            continue
        fut = next(done)
        group = owner.pop(fut)
        if not _collect(client, group, fut, bar):
            continue
        if group.lost:
            for new in _resubmit(client, group, run_fn):
                owner[new] = group
                done.add(new)
            continue
        active.remove(group)
        finish(group)


def run_comparisons(
    jobs: list[Job],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    cache_dir: Path | str | None = None,
    run_fn: RunFn | None = None,
    _client=None,
) -> Batch:
    """Run the comparisons ``jobs`` on ONE Dask client (a local cluster of ``workers``, or ``scheduler``) and write
    each into its folder (locked, checked and resumed as :func:`compare` does). The jobs that share a preparation
    (:func:`sim.pipeline.preparation_key`: they differ only in :data:`sim.pipeline.RUN_FIELDS`) are prepared once,
    and that preparation is scattered to the workers once."""
    comparisons: dict[int, Comparison] = {}
    groups = _groups(jobs)
    with contextlib.ExitStack() as stack:
        for job in jobs:
            check_job_folder(job)
            stack.enter_context(claim_folder(job.out_dir, KIND))  # locked and marked before any work
            plan_job(job)
        n_todo, n_tasks = sum(len(j.todo) for j in jobs), sum(len(j.tasks) for j in jobs)
        client = None
        if n_todo:  # connect first: a bad scheduler address fails before any work is done
            how = f"connecting to {scheduler}" if scheduler else "starting a local Dask cluster"
            _status(progress, f"{n_todo} of {n_tasks} runs to compute; {how} ...")
            # a local cluster's workers start (and import the model) while the first county is prepared here
            early = (
                _InBackground(lambda: _prepare_group(groups[0], cache_dir, progress))
                if scheduler is None and _client is None
                else None
            )
            client = _client if _client is not None else stack.enter_context(dask_client(workers, scheduler, n_todo))
            if early is not None:
                early.result()
        bar = stack.enter_context(_progress_bar(progress, n_tasks, n_tasks - n_todo))

        def finish(group: _Group) -> None:
            for job, prepared, solutions in zip(group.jobs, group.prepared, group.solutions):
                comparisons[id(job)] = _finish_job(job, prepared, solutions, progress)
            group.prepared, group.solutions = [], []  # the client keeps no county it has finished

        try:
            _run_groups(client, groups, run_fn=run_fn, cache_dir=cache_dir, progress=progress, bar=bar, finish=finish)
        except TimeoutError as exc:  # the scheduler has no worker left ("No valid workers found")
            raise InputError(
                f"no Dask worker left to run on ({str(exc)[:80] or 'timeout'}); the finished runs are kept",
                field="--workers/--scheduler",
                allowed="workers that stay up (memory?), then the same command again",
            ) from None
    return Batch([comparisons[id(job)] for job in jobs], preparations=len(groups))


# --------------------------------------------------------------------------------------------- compare


def compare(
    scenario,
    strategies: list[str],
    replications: int,
    *,
    out_dir: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    baseline: str | None = None,
    progress: bool = True,
    cache_dir: Path | str | None = None,
    run_fn: RunFn | None = None,
    figures: bool = True,
    overwrite: bool = False,
    _client=None,
) -> Comparison:
    """Run every strategy ``replications`` times with common random numbers on Dask and compare them.

    Parameters
    ----------
    scenario : a loaded :class:`sim.scenario.Scenario`.
    strategies : strategy names (built-in or ``module:function``); the first is the default baseline.
    replications : runs per strategy; replication ``r`` uses :func:`replication_seed` ``(scenario.seed, r)`` for
        every strategy.
    out_dir : output folder; finished runs already in it are reused (an interrupted comparison resumes).
    workers : local worker processes (default: the number of cores).
    scheduler : address of a running dask scheduler instead of a local cluster.
    baseline : strategy the paired differences are taken against (default: the first).
    progress : tqdm bar on stderr over the runs.
    cache_dir : cache of yield profiles, weather and the optimisers' solves (default
        :func:`sim.pipeline.default_cache_dir`).
    run_fn : the function that runs one ``(prepared, strategy, seed)`` (default :func:`sim.pipeline.run_prepared`).
    figures : write the PNG figures.
    overwrite : write into ``out_dir`` even if it is a non-empty folder that is not a comparison (nothing in it is
        removed; see :func:`sim._io.check_out_folder`).

    The strategies that do not depend on the seed (:data:`sim.strategies.SEED_INDEPENDENT`) are ordered once and
    their orders shipped to the workers with the prepared data; the optimising ones (``optimal``,
    ``multi_year_plan``) are solved once, in this process, while the workers run the others (a solve of the same
    model is read back from ``cache_dir``, :func:`sim.planning.solve_binary`).
    """
    names, replications, baseline = check_compare_arguments(strategies, replications, baseline, workers, scheduler)
    job = Job(scenario, names, replications, baseline, Path(out_dir).expanduser(), figures, overwrite)
    out_dir = check_job_folder(job)
    try:
        batch = run_comparisons(
            [job],
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            cache_dir=cache_dir,
            run_fn=run_fn,
            _client=_client,
        )
    except Interrupted:
        raise
    except KeyboardInterrupt:
        raise interrupted(out_dir) from None
    return batch.comparisons[0]


def finished_runs(folder: Path) -> int:
    """How many finished, undamaged runs lie below ``folder`` (a comparison, a sweep or a study)."""
    return sum(1 for manifest in Path(folder).rglob("rep*/pvsim-manifest.json") if _is_complete_run(manifest.parent))


def _is_complete_run(folder: Path) -> bool:
    try:
        verify_folder(folder, RUN_KIND)
    except InputError:
        return False
    return True


def interrupted(folder: Path) -> Interrupted:
    """The one line of a Ctrl-C on a comparison, a sweep or a study: what was kept, and how to go on."""
    n = finished_runs(folder)
    kept = f"{n} finished run(s) kept in {folder}; the same command resumes from them" if n else "no run had finished"
    return Interrupted(f"interrupted; {kept}; no table or figure written")


def _finish_job(job: Job, prepared: pipeline.Prepared, solutions: dict, progress: bool) -> Comparison:
    """The tables (and figures) of a comparison whose runs are all in its folder, read from disk in sorted
    (strategy, replication) order, written atomically with the scenario as run."""
    scenario, names, out_dir = job.scenario, job.names, job.out_dir
    runs, annual, built = _read_runs(out_dir, job.tasks, scenario.economics.discount_rate)
    comparison = Comparison(
        replaced=_replaced(out_dir, names, job.replications),
        table=summarise(runs, names),
        paired=paired_differences(runs, names, job.baseline),
        runs=runs,
        out_dir=out_dir,
        strategies=names,
        baseline=job.baseline,
        replications=job.replications,
        bands=annual_bands(annual, names),
        computed=len(job.todo),
        currency=scenario.economics.currency,
        solutions=solutions,
    )
    maps = {s: built[(s, 0)] for s in names}
    layers = county_layers(scenario)
    if job.figures:
        _status(progress, "drawing the figures ...")

    def fill(tmp: Path) -> None:  # tables, figures and the scenario as run are committed together, manifest last
        _write_tables(comparison, scenario, tmp, prepared.input_files)
        write_as_run(tmp, scenario, layers)
        if job.figures:
            from .plotting.compare import write_figures

            drawn = write_figures(comparison, prepared.sites, maps, tmp, layers=layers)
            comparison.figures = [out_dir / p.name for p in drawn]

    atomic_folder(out_dir, fill, kind=KIND)
    return comparison


def _replaced(out_dir: Path, names: list[str], replications: int) -> dict | None:
    """What the folder's comparison compared before, when it was other strategies or replications (their runs stay
    under ``runs/``; the tables are this comparison's)."""
    try:
        old = json.loads((out_dir / "comparison.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    before = {"strategies": list(old.get("strategies") or []), "replications": old.get("replications")}
    return None if before == {"strategies": list(names), "replications": replications} else before


def write_as_run(folder: Path, scenario, layers: dict | None) -> None:
    """``scenario.yaml`` (the scenario as run) and ``layers.gpkg`` (its map layers) into the files of a comparison
    or sweep being written (the temporary folder of :func:`sim._io.atomic_folder`, so that they are listed in its
    manifest), so that its report renders from the folder alone."""
    from .results import AS_RUN_FILE, LAYERS_FILE, write_layers
    from .scenario import as_run_yaml

    write_text(folder / AS_RUN_FILE, as_run_yaml(scenario))
    if layers:
        write_layers(layers, folder / LAYERS_FILE)


def county_layers(scenario) -> dict | None:
    """The county's boundary and other map layers for the build maps (None when they cannot be read)."""
    from .sites import map_layers

    try:
        return map_layers(scenario)
    except InputError:
        return None


def _write_tables(comparison: Comparison, scenario, out: Path, inputs: list[dict] | None = None) -> None:
    """The tables of ``comparison`` (:data:`TABLE_FILES`) into the folder ``out``."""
    table_decimals = {
        f"{name}_{stat}": m.csv_decimals for name, m in METRICS.items() for stat in ("mean", "ci95_low", "ci95_high")
    }
    write_text(out / "comparison.csv", csv_text(comparison.table.reset_index(), table_decimals))
    write_text(out / "paired_differences.csv", paired_csv(comparison.paired))
    write_text(
        out / "annual_bands.csv",
        csv_text(comparison.bands, dict.fromkeys(("mean", "ci95_low", "ci95_high"), BAND_DECIMALS)),
    )
    doc = {
        "scenario": scenario.name,
        "scenario_file": str(scenario.path.resolve()) if scenario.path is not None else None,
        "inputs_sha256": pipeline.inputs_sha256(scenario),
        "overrides": scenario.overrides,
        "inputs": inputs if inputs is not None else pipeline.input_files(scenario),
        "scenario_seed": scenario.seed,
        "start_date": scenario.start_date.isoformat(),
        "strategies": comparison.strategies,
        "baseline": comparison.baseline,
        "replications": comparison.replications,
        "seeds": [replication_seed(scenario.seed, r) for r in range(comparison.replications)],
        "currency": comparison.currency,
        "metrics": {
            k: {"label": m.label, "unit": m.unit}
            for k, m in ((k, in_currency(m, comparison.currency)) for k, m in METRICS.items())
        },
        "confidence": "95 % two-sided, Student's t over replications; paired differences by replication",
        "table": comparison.table.reset_index().to_dict(orient="records"),
        "paired_differences": comparison.paired.to_dict(orient="records"),
        "runs": comparison.runs.to_dict(orient="records"),
        "optimisation": {name: sol.record() for name, sol in sorted(comparison.solutions.items())},
        "replaced": comparison.replaced,
    }
    write_text(out / "comparison.json", json.dumps(jsonable(doc), indent=2, ensure_ascii=False) + "\n")


def write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def paired_csv(paired: pd.DataFrame) -> str:
    """``paired_differences.csv``: each row's values with the decimals of its metric."""
    text = paired.copy()
    places = text["metric"].map({name: m.csv_decimals for name, m in METRICS.items()})
    for col in ("mean", "ci95_low", "ci95_high"):
        text[col] = (
            pd.concat([plain_decimals(text.loc[places == p, col], int(p)) for p in places.unique()]).reindex(text.index)
            if len(text)
            else text[col]
        )
    return csv_text(text, {})


def read_comparison(out_dir: str | Path) -> Comparison:
    """Load a comparison folder written by :func:`compare` (``comparison.json``, ``comparison.csv``,
    ``paired_differences.csv``, ``annual_bands.csv``); raises :class:`InputError` naming what is missing."""
    out_dir = Path(out_dir).expanduser()
    doc = read_finished(out_dir, KIND, "pvsim comparison folder", TABLE_FILES, "comparison.json", "pvsim compare")
    table = pd.read_csv(out_dir / "comparison.csv", dtype={"strategy": str}).set_index("strategy")
    figures = sorted(out_dir.glob("*.png"))
    return Comparison(
        table=table,
        paired=pd.read_csv(out_dir / "paired_differences.csv"),
        runs=pd.DataFrame(doc.get("runs") or []),
        out_dir=out_dir,
        strategies=list(doc["strategies"]),
        baseline=doc["baseline"],
        replications=int(doc["replications"]),
        bands=pd.read_csv(out_dir / "annual_bands.csv"),
        figures=figures,
        currency=doc.get("currency") or "CNY",
    )


def read_built(out_dir: str | Path, strategies: Sequence[str], replication: int = 0) -> dict[str, pd.DataFrame]:
    """The built sites (``built.csv``) of one replication of each strategy, where the comparison folder has them."""
    out = {}
    for name in strategies:
        path = run_dir(Path(out_dir), name, replication) / "built.csv"
        if path.is_file():
            out[name] = pd.read_csv(path, dtype={"site_id": str})
    return out


# --------------------------------------------------------------------------------------------- printing


def format_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Fixed-width lines: first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return [line(header).rstrip(), line(["-" * w for w in widths]), *[line(r).rstrip() for r in rows]]


def print_comparison(comparison: Comparison, file=None) -> None:
    """Print means ± 95 % CI half-widths per strategy, then the paired differences against the baseline."""
    file = file or sys.stdout
    table = comparison.table
    shown = printed(comparison.currency)  # the metric table's printed columns: header, divisor, decimals
    header = ["strategy", "n", *[m.printed_header for m in shown]]
    rows = []
    by_strategy = table.to_dict("index")
    for name in comparison.strategies:
        row = by_strategy[name]
        rows.append(
            [
                name,
                str(int(row["n"])),
                *[mean_pm(row[f"{m.name}_mean"], row[f"{m.name}_ci95_low"], m.divisor, m.decimals) for m in shown],
            ]
        )
    if comparison.replaced:
        old = comparison.replaced
        print(
            f"  replaced the comparison of {', '.join(old['strategies'])} ({old['replications']} replications) "
            f"this folder held; its runs are kept under {comparison.out_dir / 'runs'}",
            file=file,
        )
    print(
        "  1 replication per strategy: no confidence interval"
        if comparison.replications == 1
        else f"  {comparison.replications} paired replications per strategy; mean ±95 % CI half-width",
        file=file,
    )
    for name, solution in sorted(comparison.solutions.items()):
        print("  " + solution.line(name), file=file)
    for text in format_table(header, rows):
        print("  " + text, file=file)
    if len(comparison.strategies) < 2:
        return
    paired = comparison.paired.set_index(["strategy", "metric"]).to_dict("index")
    rows = []
    for name in comparison.strategies:
        if name == comparison.baseline:
            continue
        cells = [name, ""]
        for m in shown:
            d = paired[(name, m.name)]
            mark = "*" if d["excludes_zero"] else " "
            cells.append(mean_pm(d["mean"], d["ci95_low"], m.divisor, m.decimals) + mark)
        rows.append(cells)
    print(
        f"\n  difference to {comparison.baseline} (paired by replication; "
        f"{'one replication' if comparison.replications == 1 else '* = CI excludes 0'})",
        file=file,
    )
    for text in format_table(header, rows):
        print("  " + text, file=file)
