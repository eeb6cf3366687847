"""The ``pvsim`` command.

Bad input ends with one line ``pvsim: error: <file>: <field>: <what> (got <value>); allowed: <...>`` on stderr and
exit status 2, never a traceback, and no output folder is left behind.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

from . import __version__
from ._io import check_new_file, new_files, os_error_text, safe_component
from .errors import InputError, InputNote, InputWarning, Interrupted

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def print_summary(summary: dict, out_dir: Path | None, seconds: float | None, file=None) -> None:
    """The short table printed after a run (:func:`sim.results.summary_rows`, then where and how long)."""
    from .results import summary_rows

    file = file or sys.stdout
    rows = summary_rows(summary)
    if out_dir is not None:
        rows.append(("outputs", str(out_dir)))
    if seconds is not None:
        rows.append(("run time", f"{seconds:.1f} s"))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}", file=file)


# --------------------------------------------------------------------------------------------- commands


def _status(message: str) -> None:
    """One status line on stderr before a step that takes more than a second (works in logs and terminals)."""
    print(f"pvsim: {message}", file=sys.stderr, flush=True)


def _check_seed(seed: int | None) -> None:
    if seed is not None and seed < 0:
        raise InputError("the seed must be >= 0", field="--seed", value=seed, allowed="an integer >= 0")


def _make_parent(path: Path, field: str) -> None:
    """Create the folder of an output file (one clear line if that fails)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create its folder ({os_error_text(exc)})",
            file=path,
            field=field,
            allowed="a path in a folder you can write to",
        ) from None


def _is_pvsim_report(path: Path) -> bool:
    """Whether ``path`` is a report pvsim wrote (its ``<html ... data-report=`` opening), which a new report may
    replace."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return False
    return head.startswith(b"<!DOCTYPE html>") and b" data-report=" in head


def _is_pvsim_pdf(path: Path) -> bool:
    """Whether ``path`` is a PDF pvsim printed: the one its folder's manifest lists as a report."""
    from ._io import REPORTS, read_manifest, sha256_of

    try:
        doc = read_manifest(path.parent) or {}
    except InputError:
        return False
    return (doc.get(REPORTS) or {}).get(path.name) == sha256_of(path)


def _check_cache_dir(cache_dir: str | None) -> None:
    import os

    if cache_dir is not None and Path(cache_dir).exists() and not Path(cache_dir).is_dir():
        raise InputError(
            "cache path exists and is a file",
            file=cache_dir,
            field="--cache-dir",
            allowed="a folder path (created if missing)",
        )
    if cache_dir is not None and Path(cache_dir).is_dir() and not os.access(cache_dir, os.W_OK | os.X_OK):
        raise InputError(
            "the cache folder is not writable (read-only?)",
            file=cache_dir,
            field="--cache-dir",
            allowed="a folder you can write to",
        )


def _kept_files(out: Path, written: set[str]) -> list[str]:
    """Files in a run folder that this run did not write (kept as they were)."""
    return sorted(p.name for p in out.iterdir() if p.name not in written and not p.name.startswith("."))


def cmd_run(args: argparse.Namespace) -> int:
    from ._io import MANIFEST, check_out_folder, folder_lock
    from ._runtime import paused_gc
    from .pipeline import input_paths, run
    from .results import OPTIONAL_FILES, OUTPUT_FILES
    from .scenario import load_scenario
    from .strategies import resolve

    t0 = time.perf_counter()
    # every argument is checked before any work (sites, weather and yields take seconds)
    _check_seed(args.seed)
    _check_cache_dir(args.cache_dir)
    scenario = _with_sets(load_scenario(args.scenario), args)
    strategy = args.strategy or scenario.strategy
    resolve(strategy)
    seed = scenario.seed if args.seed is None else args.seed
    out = (
        Path(args.out)
        if args.out
        else Path("runs") / safe_component(f"{scenario.name}-{strategy.replace(':', '.')}-seed{seed}")
    )  # one folder inside runs/, whatever the name
    # a refused --out costs nothing and writes nothing; never among the scenario's inputs
    out = check_out_folder(
        out, kind="run", overwrite=args.overwrite, protected=input_paths(scenario), names=OUTPUT_FILES + OPTIONAL_FILES
    )
    # made (or found writable) and locked before the work: a second writer stops now; the cyclic garbage collector
    # paused for the one run (its garbage is freed by reference counting; 0.5 s of collections at 50,000 sites)
    with folder_lock(out), paused_gc():
        result = run(
            scenario,
            strategy=args.strategy,
            seed=args.seed,
            strict=args.strict,
            progress=not args.quiet,
            cache_dir=args.cache_dir,
        )
        result.write(out, overwrite=args.overwrite)
    print_summary(result.summary, out, time.perf_counter() - t0)
    kept = _kept_files(out, {*OUTPUT_FILES, *OPTIONAL_FILES, MANIFEST})
    if kept:
        print(f"  kept in {out} (not written by this run): {', '.join(kept)}")
    for warning in result.summary.get("warnings") or []:
        print(f"pvsim: warning: {warning}", file=sys.stderr)
    _print_solution(result.summary)
    return 0


def _print_solution(summary: dict) -> None:
    """The solver's line (status, achieved gap, nodes) of each optimising strategy the run used."""
    from .planning import Solution

    for name, solved in (summary.get("optimisation") or {}).items():
        print("  " + Solution(**solved, seconds=math.nan).line(name))


def cmd_validate(args: argparse.Namespace) -> int:
    from .pipeline import validate
    from .scenario import load_scenario

    scenario = load_scenario(args.scenario)
    report = validate(scenario, strict=args.strict)
    for k, v in report.items():
        print(f"  {k}: {v}")
    print(f"{args.scenario}: OK")
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from .demo import make_demo_county

    if args.sites < 1:
        raise InputError("need at least one site", field="--sites", value=args.sites, allowed="an integer >= 1")
    _check_seed(args.seed)
    if args.counties is not None:
        return _demo_province(args)
    out = Path(args.out).expanduser()
    if out.suffix.lower() != ".gpkg":
        out = out / "demo_county.gpkg"
    _make_parent(out, "OUT.gpkg")
    # never replaced: a GeoPackage may hold layers the user added (and pvsim cannot tell its own from theirs)
    check_new_file(out, field="OUT.gpkg", allowed="a new GeoPackage name")
    with new_files(out.parent, [out.name], field="OUT.gpkg", allowed="a new GeoPackage name"):
        _status(f"generating a synthetic county with {args.sites:,} candidate sites ...")
        counts = make_demo_county(out, n_sites=args.sites, seed=args.seed)
    print(f"wrote {out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _demo_province(args: argparse.Namespace) -> int:
    """``demo-data DIR --counties N``: a synthetic province (:mod:`sim.demo.province`) into a new or empty folder."""
    from .demo.province import MAX_COUNTIES, make_province

    if not 1 <= args.counties <= MAX_COUNTIES:
        raise InputError(
            "the demo province has 1 to 100 counties (all within reach of its weather preset)",
            field="--counties",
            value=args.counties,
            allowed=f"an integer from 1 to {MAX_COUNTIES}",
        )
    out = Path(args.out).expanduser()
    if out.suffix.lower() == ".gpkg":
        raise InputError(
            "a province is a folder", field="OUT", value=str(out), allowed="a new or empty folder with --counties"
        )
    names = ["study.yaml", "counties"]
    with new_files(out, names, field="OUT", allowed="a folder without study.yaml and counties/"):
        _status(f"generating a synthetic province of {args.counties} counties of about {args.sites:,} sites ...")
        built = make_province(out, n_counties=args.counties, sites=args.sites, seed=args.seed)
    print(f"wrote {out}: {built['counties']} counties, {built['sites']:,} candidate sites in all")
    print(f"next: pvsim study {built['study']} -w 2")
    return 0


GRID_NOTE = """next: pvsim validate needs the grid as well: a transformer ledger (CSV or XLSX with lon, lat and a rating in
kVA, or a point layer), then a scenario with
data: {{sites_file: {out}, sites_layer: sites, transformers_file: ledger.csv,
       columns: {{transformers: {{transformer_id: <your id column>, rating_kva: <your kVA column>}}}}}}
(docs/inputs.md lists every column; 'pvsim template DIR' writes examples)"""


def cmd_import_osm(args: argparse.Namespace) -> int:
    from .osm import import_osm

    report = import_osm(args.extract, args.out, tags_file=args.tags)
    for line in report.lines():
        print(line)
    print(f"wrote {report.out} (layer sites)")
    print(GRID_NOTE.format(out=report.out))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from ._io import check_out_folder
    from .experiment import KIND, TABLE_FILES, check_compare_arguments, compare, print_comparison
    from .pipeline import input_paths
    from .scenario import load_scenario

    _check_cache_dir(args.cache_dir)
    scenario = _with_sets(load_scenario(args.scenario), args)
    names = [n.strip() for n in (args.strategies or scenario.strategy).split(",") if n.strip()]
    check_compare_arguments(names, args.replications, args.baseline, args.workers, args.scheduler)
    # before any work: never among the scenario's inputs, never into someone else's folder without --overwrite
    out = check_out_folder(
        Path(args.out) if args.out else Path("runs") / safe_component(f"{scenario.name}-compare"),
        kind=KIND,
        overwrite=args.overwrite,
        protected=input_paths(scenario),
        what="pvsim comparison folder",
        names=TABLE_FILES,
    )
    comparison = compare(
        scenario,
        names,
        args.replications,
        out_dir=out,
        workers=args.workers,
        scheduler=args.scheduler,
        baseline=args.baseline,
        progress=not args.quiet,
        cache_dir=args.cache_dir,
        overwrite=args.overwrite,
    )
    print_comparison(comparison)
    print(f"  outputs: {out}")
    return 0


def add_set_option(p: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE`` (repeatable): what-if changes to the scenario, validated like the file."""
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a scenario key for this command, e.g. --set rollout.crews=12 (repeatable; dotted "
        "keys as in 'pvsim schema', values as in YAML)",
    )


def _with_sets(scenario, args: argparse.Namespace):
    """The scenario with the ``--set`` changes applied and validated (one line and exit 2 on a bad one)."""
    from ._yaml import quote_hint
    from .scenario import parse_assignment

    sets = getattr(args, "sets", None) or []
    if not sets:
        return scenario
    surprises: dict[str, str] = {}
    changes = dict(parse_assignment(text, surprises=surprises) for text in sets)
    try:
        return scenario.with_changes(changes, option="--set")
    except InputError as exc:
        raise quote_hint(exc, surprises, "--set") from None


def cmd_sweep(args: argparse.Namespace) -> int:
    from ._yaml import quote_hint
    from .scenario import load_scenario
    from .sweeps import parse_param, print_sweep, sweep

    scenario = _with_sets(load_scenario(args.scenario), args)
    if not args.param:
        raise InputError("nothing to sweep", field="--param", allowed="one or more --param KEY=V1,V2,...")
    surprises: dict[str, str] = {}
    params = dict(parse_param(text, surprises) for text in args.param)
    names = [n.strip() for n in args.strategies.split(",")] if args.strategies else [scenario.strategy]
    out = Path(args.out) if args.out else Path("runs") / safe_component(f"{scenario.name}-sweep")
    try:
        result = sweep(
            scenario,
            params,
            names,
            args.replications,
            out_dir=out,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=not args.quiet,
            cache_dir=args.cache_dir,
            overwrite=args.overwrite,
        )
    except InputError as exc:  # a --param value YAML 1.1 read as a boolean gets the "quote it" hint
        raise quote_hint(exc, surprises, "--param") from None
    print_sweep(result)
    print(f"  outputs: {out}")
    return 0


def add_sweep_parser(sub) -> None:
    p = _subparser(
        sub,
        "sweep",
        "what-if sweep: vary scenario keys, compare variants paired by seed (Dask)",
        "Run every combination of the --param values x strategy x replication on Dask, paired by\n"
        "replication seed across variants (replication r uses the same seed in every variant); write\n"
        "sweep_runs.csv (one row per variant x strategy x replication), sweep_summary.csv (mean and\n"
        "95 % CI), sweep_paired.csv (each variant minus the first, paired) and figures. Resumes:\n"
        "finished runs in --out are reused.",
        "pvsim sweep scenarios/demo_county.yaml --param rollout.crews=4,8,12 -r 5 -o runs/crews",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a scenario key and its values, e.g. --param rollout.crews=4,8,12 (repeatable: every combination is run)",
    )
    p.add_argument(
        "-s", "--strategies", metavar="A,B,...", help="comma-separated strategy names (default: the scenario's)"
    )
    p.add_argument(
        "-r",
        "--replications",
        type=int,
        default=10,
        metavar="N",
        help="replications per variant and strategy (default: 10)",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "-w", "--workers", type=int, metavar="N", help="local Dask worker processes (default: number of cores)"
    )
    group.add_argument(
        "--scheduler", metavar="ADDRESS", help="address of a running dask scheduler, e.g. tcp://127.0.0.1:8786"
    )
    p.add_argument("-o", "--out", metavar="DIR", help="output folder (default: runs/<scenario>-sweep)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder that is not a sweep folder (nothing is removed, and a file of "
        "yours with an output's name stops the sweep)",
    )
    _add_cache_and_quiet(p)
    add_set_option(p)
    p.set_defaults(func=cmd_sweep)


def cmd_study(args: argparse.Namespace) -> int:
    from ._yaml import check_file
    from .study import print_study, study

    check_file(args.study)
    _check_cache_dir(args.cache_dir)
    result = study(
        args.study,
        out_dir=args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.quiet,
        cache_dir=args.cache_dir,
        figures=not args.no_figures,
        overwrite=args.overwrite,
    )
    print_study(result)
    print(f"  outputs: {result.out_dir} (study.csv; a folder per county under counties/)")
    return 0


def add_study_parser(sub) -> None:
    p = _subparser(
        sub,
        "study",
        "a province: many counties x strategies x replications (x variants) on one Dask client",
        "Run every county of a study file (counties, strategies, replications, optional params as\n"
        "'pvsim sweep' takes them) on one Dask client, preparing each county once; write study.csv\n"
        "(one row per county x strategy x variant x replication) and a comparison (or sweep) folder per\n"
        "county for 'pvsim report'. Resumes: finished runs in --out are reused. File format: docs/study.md.",
        "pvsim study province/study.yaml -w 2 -o runs/province",
    )
    p.add_argument("study", metavar="STUDY.yaml", help="study file")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "-w", "--workers", type=int, metavar="N", help="local Dask worker processes (default: number of cores)"
    )
    group.add_argument(
        "--scheduler", metavar="ADDRESS", help="address of a running dask scheduler, e.g. tcp://127.0.0.1:8786"
    )
    p.add_argument("-o", "--out", metavar="DIR", help="output folder (default: runs/<study>-study)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder that is not a study folder (nothing is removed, and a file of yours "
        "with an output's name stops the study)",
    )
    p.add_argument("--no-figures", action="store_true", help="no figures in the county folders (faster)")
    _add_cache_and_quiet(p)
    p.set_defaults(func=cmd_study)


def cmd_plan(args: argparse.Namespace) -> int:
    from .pipeline import prepare, strategy_context
    from .scenario import load_scenario
    from .strategies import planned

    if args.out:  # checked before the solve: exists, a folder, a missing parent, not writable
        check_new_file(args.out, field="--out", allowed="a new file name")
    scenario = _with_sets(load_scenario(args.scenario), args)
    _status(f"preparing {scenario.name} (sites, weather, yields) ...")
    prepared = prepare(scenario, cache_dir=args.cache_dir)
    _status(f"solving the {args.strategy} plan of {len(prepared.eligible):,} eligible sites (HiGHS, no time limit) ...")
    plan = planned(args.strategy, prepared.eligible, strategy_context(prepared, scenario.seed))
    currency = scenario.economics.currency
    print(f"  {args.strategy} plan of {scenario.name}: objective {plan.objective}, money in {currency}")
    print("  " + plan.solution.line("solver"))
    print(plan_table(plan, currency))
    if args.out:
        from ._io import atomic_write

        atomic_write(Path(args.out), plan_sites_csv(plan, prepared.eligible, scenario.start_date))
        print(
            f"  wrote {args.out} ({len(plan.period_of_site):,} planned sites: site_id, track, capacity_kwp, "
            "release_date, waits_for_upgrade)"
        )
    return 0


#: Columns of the plan table: (column of Plan.periods, header, scale, decimals).
PLAN_COLUMNS = (
    ("sites", "sites", 1.0, 0),
    ("capacity_kwp", "MWp", 1e-3, 1),
    ("capex_cny", "capex [M {c}]", 1e-6, 1),
    ("budget_cny", "budget [M {c}]", 1e-6, 1),
    ("crews_used_percent", "crews %", 1.0, 0),
    ("surveyors_used_percent", "surveyors %", 1.0, 0),
    ("reviewers_used_percent", "reviewers %", 1.0, 0),
    ("inspectors_used_percent", "inspectors %", 1.0, 0),
    ("release pacing_used_percent", "pipeline %", 1.0, 0),
)


def plan_table(plan, currency: str) -> str:
    """The plan per track and year, with a total row per track against its target; resource use is shared by the
    tracks (the same on each track's row of a year). Plain text, no trailing spaces."""
    periods = plan.periods
    cols = [c for c in PLAN_COLUMNS if c[0] in periods.columns]
    header = ["track", "year from", *[c[1].format(c=currency) for c in cols]]
    rows = []
    for track in plan.tracks:
        mine = periods[periods["track"] == track.name]
        for _, r in mine.iterrows():
            rows.append(
                [track.name or "programme", r["start_date"], *[_number(r[c] * scale, d) for c, _, scale, d in cols]]
            )
        target = "-" if track.target_capacity_kwp is None else f"{track.target_capacity_kwp / 1000:,.1f}"
        totals = {
            "sites": mine["sites"].sum(),
            "capacity_kwp": mine["capacity_kwp"].sum(),
            "capex_cny": mine["capex_cny"].sum(),
        }
        rows.append(
            [
                f"{track.name or 'programme'} total",
                f"target {target} MWp",
                *[_number(totals[c] * scale, d) if c in totals else "" for c, _, scale, d in cols],
            ]
        )
    widths = [max(len(str(row[k])) for row in [header, *rows]) for k in range(len(header))]
    lines = [
        "  ".join(str(v).ljust(w) if k < 2 else str(v).rjust(w) for k, (v, w) in enumerate(zip(row, widths)))
        for row in [header, *rows]
    ]
    return "\n".join("  " + line.rstrip() for line in lines)


def _number(value: float, decimals: int) -> str:
    return "-" if math.isnan(value) else f"{value:,.{decimals}f}"


def plan_sites_csv(plan, sites, start_date) -> str:
    """One row per planned site: ``site_id, track, capacity_kwp, release_date`` (the first day of its planned
    budget year) and ``waits_for_upgrade``, in release order."""
    import pandas as pd

    planned = [s for s in plan.order if s in plan.period_of_site.index]
    starts = plan.periods.drop_duplicates("period").set_index("period")["start_date"]
    frame = pd.DataFrame(
        {
            "site_id": planned,
            "track": plan.track_of_site.reindex(planned).to_numpy(),
            "capacity_kwp": sites["capacity_kwp"].reindex(planned).round(3).to_numpy(),
            "release_date": starts.reindex(plan.period_of_site.reindex(planned).to_numpy()).to_numpy(),
            "waits_for_upgrade": plan.waits_for_upgrade.reindex(planned).to_numpy(bool),
        }
    )
    return frame.to_csv(index=False, lineterminator="\n")


def add_plan_parser(sub) -> None:
    p = _subparser(
        sub,
        "plan",
        "solve the programme's plan and print it per track and year",
        "Solve the plan of an optimising strategy (sim/planning.py: multi_year_plan, planning.objective; or\n"
        "optimal, CO2 over the horizon) for a scenario and print, per track and budget year, the sites,\n"
        "capacity, capex and budget planned and the use of crews, offices and the release pacing, with a\n"
        "total per track against its target and the solver's status and achieved gap. An infeasible\n"
        "plan names its binding constraint (exit 2).",
        "pvsim plan scenarios/demo_county.yaml --set rollout.crews=12 -o plan.csv",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    p.add_argument(
        "-s",
        "--strategy",
        choices=("multi_year_plan", "optimal"),
        default="multi_year_plan",
        help="whose plan: multi_year_plan (planning.objective, default) or optimal",
    )
    p.add_argument(
        "-o",
        "--out",
        metavar="FILE.csv",
        help="write one row per planned site (site_id, track, capacity_kwp, release_date,\n"
        "waits_for_upgrade) to this new CSV file (never replaces a file)",
    )
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache of yield profiles and weather (default: $PVSIM_CACHE_DIR or ~/.cache/pvsim)",
    )
    add_set_option(p)
    p.set_defaults(func=cmd_plan)


def cmd_report(args: argparse.Namespace) -> int:
    from .report import report_name, write_any_report

    t0 = time.perf_counter()
    if args.lang == "zh":
        from .plotting import CJK_MISSING_NOTE, cjk_font

        if cjk_font() is None:
            _status(f"note: {CJK_MISSING_NOTE}")
    if args.out:  # a new file, or a report pvsim wrote; never the scenario or any other file
        check_new_file(
            args.out,
            field="--out",
            is_ours=_is_pvsim_report,
            allowed="a new .html file or a pvsim report",
            protected=[args.scenario] if args.scenario else (),
        )
    elif Path(args.folder).expanduser().is_dir():  # its report.html (report.zh.html): new, or one pvsim wrote
        check_new_file(
            Path(args.folder).expanduser() / report_name(args.lang),
            field="FOLDER",
            is_ours=_is_pvsim_report,
            allowed=f"a folder without a {report_name(args.lang)} of someone else's, or -o another file",
        )
    if args.pdf and Path(args.folder).expanduser().is_dir():  # never a PDF of someone else's either
        html = Path(args.out or Path(args.folder).expanduser() / report_name(args.lang))
        check_new_file(
            html.with_suffix(".pdf"),
            field="--pdf",
            is_ours=_is_pvsim_pdf,
            allowed="a folder without a PDF of that name of someone else's",
        )
    _status(f"drawing the figures of the report of {args.folder} ...")
    path = write_any_report(Path(args.folder), lang=args.lang, scenario=args.scenario, out=args.out, pdf=args.pdf)
    print(f"wrote {path} ({path.stat().st_size / 1024:,.0f} kB in {time.perf_counter() - t0:.1f} s)")
    if args.pdf:
        pdf = path.with_suffix(".pdf")
        print(f"wrote {pdf} ({pdf.stat().st_size / 1024:,.0f} kB)")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from .inputs import write_template

    for path in write_template(Path(args.folder), lon=args.lon, lat=args.lat):
        print(f"wrote {path}")
    print(
        f"next: replace the example rows with your county's, then pvsim validate {Path(args.folder) / 'scenario.yaml'}"
    )
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    if args.outputs + args.inputs + args.study > 1:
        raise InputError("choose one of --outputs, --inputs and --study", field="--inputs")
    if args.study:
        from .study import study_markdown

        sys.stdout.write(study_markdown())
    elif args.inputs:
        from .inputs import inputs_markdown

        sys.stdout.write(inputs_markdown())
    elif args.outputs:
        from .results import outputs_markdown

        sys.stdout.write(outputs_markdown())
    else:
        from .scenario import reference_markdown

        sys.stdout.write(reference_markdown())
    return 0


def cmd_strategies(args: argparse.Namespace) -> int:
    import inspect
    import textwrap

    from .strategies import REGISTRY

    width = min(100, max(40, _terminal_width()))
    for name in sorted(REGISTRY):
        doc = plain_text(" ".join((inspect.getdoc(REGISTRY[name]) or "").split()))
        print(name)
        print(textwrap.fill(doc, width=width, initial_indent="    ", subsequent_indent="    ") + "\n")
    return 0


def plain_text(doc: str) -> str:
    """A docstring's text without Sphinx markup: ``:func:`sim.planning.plan``` -> ``sim.planning.plan``,
    double back-quotes dropped."""
    import re

    doc = re.sub(r":[\w:]+:`~?([^`]+)`", r"\1", doc)
    return re.sub(r"``([^`]+)``", r"\1", doc)


# --------------------------------------------------------------------------------------------- parser
# One small function per subcommand: each builds its own parser (easy to read, easy to merge).


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of descriptions and examples; wider help column."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34, width=min(110, max(60, _terminal_width())))


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns


def _subparser(sub, name: str, help_text: str, description: str, example: str):
    return sub.add_parser(
        name, help=help_text, description=description, epilog=f"example:\n  {example}", formatter_class=_HelpFormatter
    )


def _add_cache_and_quiet(p) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no status lines")
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache of yield profiles, weather and (compare, sweep, study) the optimisers' solves "
        "(default: $PVSIM_CACHE_DIR or ~/.cache/pvsim)",
    )


def _add_run_parser(sub) -> None:
    p = _subparser(
        sub,
        "run",
        "run one scenario and write its output folder",
        "Run one scenario: sites, yields, strategy, rollout, accounting; write summary.json,\n"
        "sites.parquet, sites.gpkg, annual.csv, events.parquet and the other tables of docs/outputs.md\n"
        "atomically. A progress bar is drawn only on a terminal.",
        "pvsim run scenarios/demo_county.yaml -s grid_headroom --seed 3 -o runs/demo",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    p.add_argument("-o", "--out", metavar="DIR", help="output folder (default: runs/<scenario>-<strategy>-seed<seed>)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder that is not a run folder (pvsim's files are added, nothing "
        "is removed, and a file of yours with an output's name stops the run)",
    )
    p.add_argument(
        "-s",
        "--strategy",
        metavar="NAME",
        help="siting strategy, a built-in name or module:function (default: the scenario's); see 'pvsim strategies'",
    )
    p.add_argument("--seed", type=int, metavar="INT", help="random seed >= 0 (default: the scenario's)")
    p.add_argument("--strict", action="store_true", help="treat repairs of input data as errors")
    _add_cache_and_quiet(p)
    add_set_option(p)
    p.set_defaults(func=cmd_run)


def _add_compare_parser(sub) -> None:
    p = _subparser(
        sub,
        "compare",
        "compare siting strategies over paired replications (Dask)",
        "Run every strategy x replication with common random numbers (replication r uses the same "
        "seed\nfor every strategy) on Dask; write comparison.csv, paired_differences.csv, each run's "
        "summary\nand figures. An interrupted comparison resumes: finished runs in --out are reused.\n"
        "Then 'pvsim report DIR' writes its report.html.",
        "pvsim compare scenarios/demo_county.yaml -s max_yield,grid_headroom -r 5 -o runs/cmp",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    p.add_argument(
        "-s", "--strategies", metavar="A,B,...", help="comma-separated strategy names (default: the scenario's)"
    )
    p.add_argument(
        "-r", "--replications", type=int, default=10, metavar="N", help="replications per strategy (default: 10)"
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "-w", "--workers", type=int, metavar="N", help="local Dask worker processes (default: number of cores)"
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a running dask scheduler, e.g. tcp://127.0.0.1:8786 (default: a local cluster)",
    )
    p.add_argument(
        "--baseline", metavar="NAME", help="strategy the paired differences are taken against (default: the first)"
    )
    p.add_argument("-o", "--out", metavar="DIR", help="output folder (default: runs/<scenario>-compare)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder that is not a comparison folder (nothing is removed, and a "
        "file of yours with an output's name stops the comparison)",
    )
    _add_cache_and_quiet(p)
    add_set_option(p)
    p.set_defaults(func=cmd_compare)


def _add_report_parser(sub) -> None:
    p = _subparser(
        sub,
        "report",
        "write a self-contained report.html of a run, comparison, sweep or study folder",
        "Write report.html into a run folder (pvsim run), a comparison folder (pvsim compare), a\n"
        "sweep folder (pvsim sweep: per strategy, the variants with 95 % CIs and their paired\n"
        "differences against the first variant) or a study folder (pvsim study: province totals with\n"
        "95 % CIs, counties ranked by kg CO2 per CNY, a map by winning strategy): one file with inline\n"
        "figures and styles, no network needed to open it.",
        "pvsim report runs/demo --lang zh --scenario scenarios/demo_county.yaml",
    )
    p.add_argument(
        "folder", metavar="FOLDER", help="output folder of 'pvsim run', 'pvsim compare', 'pvsim sweep' or 'pvsim study'"
    )
    p.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="language of labels, headings and units (default: en); numbers are the same",
    )
    p.add_argument(
        "--scenario",
        metavar="SCENARIO.yaml",
        help="scenario file of the run, for the programme, the assumptions and the map layers "
        "(default: the one the folder records, if it still exists)",
    )
    p.add_argument(
        "-o",
        "--out",
        metavar="FILE.html",
        help="report file (default: FOLDER/report.html; with --lang zh FOLDER/report.zh.html)",
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also print it to an A4 PDF beside it (report.pdf), offline, with a headless Chromium",
    )
    p.set_defaults(func=cmd_report)


def _add_validate_parser(sub) -> None:
    p = _subparser(
        sub,
        "validate",
        "check a scenario and all its data without running it",
        "Read the scenario and every file it names and make every check 'pvsim run' makes (sites,\n"
        "exclusions, grid, weather, strategy, budget, work calendar), without simulating.",
        "pvsim validate scenarios/demo_county.yaml --strict",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    p.add_argument("--strict", action="store_true", help="treat repairs of input data as errors")
    p.set_defaults(func=cmd_validate)


def _add_demo_data_parser(sub) -> None:
    p = _subparser(
        sub,
        "demo-data",
        "generate a synthetic county GeoPackage (any size)",
        "Generate a synthetic county (boundary, townships, villages, candidate sites, grid, exclusion\n"
        "layers) as one GeoPackage.",
        "pvsim demo-data data/big_county.gpkg --sites 20000 --seed 7",
    )
    p.add_argument(
        "out", metavar="OUT.gpkg", help="output GeoPackage file, or a folder (then the file is FOLDER/demo_county.gpkg)"
    )
    p.add_argument("--sites", type=int, default=3500, metavar="N", help="number of candidate sites (default: 3500)")
    p.add_argument("--seed", type=int, default=20260101, metavar="INT", help="generator seed (default: 20260101)")
    p.add_argument(
        "--counties",
        type=int,
        metavar="N",
        help="a synthetic province instead: N counties (their own seeds, sizes about --sites, layouts and grids), "
        "a scenario each and a ready study.yaml, in the folder given",
    )
    p.set_defaults(func=cmd_demo_data)


def _add_import_osm_parser(sub) -> None:
    p = _subparser(
        sub,
        "import-osm",
        "OpenStreetMap extract (.osm or .osm.pbf) -> candidate sites GeoPackage",
        "Map buildings and land use of an OpenStreetMap extract to site types (tag table\n"
        "sim/tables/osm_site_types.csv, overridable with --tags) and write OUT/sites.gpkg; prints what\n"
        "was kept and dropped, by tag. An existing sites.gpkg is never replaced.",
        "pvsim import-osm village.osm.pbf -o mycounty",
    )
    p.add_argument("extract", metavar="EXTRACT", help="OpenStreetMap extract: .osm (XML) or .osm.pbf")
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder (sites.gpkg is written there)")
    p.add_argument(
        "--tags",
        metavar="FILE",
        help="your tag table (CSV or YAML rows key, value, site_type[, pitched_roof, min_area_m2]); its "
        "rows take precedence over the shipped table",
    )
    p.set_defaults(func=cmd_import_osm)


def _add_schema_parser(sub) -> None:
    p = _subparser(
        sub,
        "schema",
        "print the scenario, output or input reference (Markdown)",
        "Print the scenario key reference (docs/scenarios.md) or, with --outputs, the output file\n"
        "reference (docs/outputs.md), or with --inputs the input layer reference (docs/inputs.md).",
        "pvsim schema --outputs > docs/outputs.md",
    )
    p.add_argument(
        "--outputs",
        action="store_true",
        help="print the reference of the files a run writes instead of the scenario keys",
    )
    p.add_argument(
        "--inputs",
        action="store_true",
        help="print the columns of every input layer (sites, transformers, feeders, exclusions)",
    )
    p.add_argument("--study", action="store_true", help="print the reference of the study file ('pvsim study')")
    p.set_defaults(func=cmd_schema)


def _add_template_parser(sub) -> None:
    p = _subparser(
        sub,
        "template",
        "write input files (one example row each) and a scenario to start a county from",
        "Write county.gpkg (layers sites, transformers, feeders, exclusions), transformers.csv and\n"
        "scenario.yaml into FOLDER, with every column pvsim reads and one example row per layer;\n"
        "'pvsim validate FOLDER/scenario.yaml' accepts them as written. Existing files are never\n"
        "overwritten.",
        "pvsim template my_county --lon 115.5 --lat 40.4",
    )
    p.add_argument("folder", metavar="FOLDER", help="folder to write into (created if missing)")
    p.add_argument(
        "--lon", type=float, default=116.40, metavar="DEG", help="longitude of the example rows [°] (default: 116.40)"
    )
    p.add_argument(
        "--lat", type=float, default=39.90, metavar="DEG", help="latitude of the example rows [°] (default: 39.90)"
    )
    p.set_defaults(func=cmd_template)


def _add_strategies_parser(sub) -> None:
    p = _subparser(
        sub,
        "strategies",
        "list the built-in siting strategies",
        "List the built-in siting strategies with a line on what each puts first.",
        "pvsim strategies",
    )
    p.set_defaults(func=cmd_strategies)


SUBCOMMANDS = (
    _add_run_parser,
    _add_compare_parser,
    add_sweep_parser,
    add_study_parser,
    add_plan_parser,
    _add_report_parser,
    _add_validate_parser,
    _add_demo_data_parser,
    _add_template_parser,
    _add_import_osm_parser,
    _add_schema_parser,
    _add_strategies_parser,
)
"""The functions that add each subcommand's parser, in the order ``pvsim --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pvsim",
        formatter_class=_HelpFormatter,
        description="Simulate a county's distributed-PV rollout: siting, SimPy rollout with crews, budget and "
        "grid\nhosting capacity, pvlib yield, energy, CO2 and money. 'pvsim COMMAND --help' for "
        "details.",
        epilog="examples:\n  pvsim run scenarios/demo_county.yaml -s grid_headroom --seed 3\n"
        "  pvsim report runs/demo_county-grid_headroom-seed3 --lang zh",
    )
    parser.add_argument("--version", action="version", version=f"pvsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def _install_warning_printer() -> None:
    """Print input repairs as one ``pvsim: warning:`` line each (other warnings as Python formats them). Called
    inside ``warnings.catch_warnings()``, which restores the previous printer afterwards."""

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, InputNote):
            print(f"pvsim: note: {message}", file=sys.stderr)
        elif issubclass(category, InputWarning):
            print(f"pvsim: warning: {message}", file=sys.stderr)
        else:
            sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = show


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            _install_warning_printer()
            if getattr(args, "strict", False):
                warnings.simplefilter("error", InputWarning)
                warnings.simplefilter("default", InputNote)  # a note repairs nothing
            if getattr(args, "scenario", None):  # hostile YAML is refused before the heavy imports (milliseconds)
                from ._yaml import check_file

                check_file(args.scenario)
            return int(args.func(args) or 0)
    except (InputError, InputWarning) as exc:
        print(f"pvsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # the outside world failed (disk full, read-only, not a folder, name too long ...)
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"pvsim: error: {where}{os_error_text(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Interrupted as exc:
        print(f"pvsim: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("pvsim: interrupted; no output written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
