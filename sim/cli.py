"""The ``pvsim`` command.

Bad input ends with one line ``pvsim: error: <file>: <field>: <what> (got <value>); allowed: <...>`` on stderr and
exit status 2, never a traceback, and no output folder is left behind.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from . import __version__
from .errors import InputError, InputWarning

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _fmt(value: float | None, scale: float = 1.0, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value / scale:,.{digits}f}"


def print_summary(summary: dict, out_dir: Path | None, seconds: float | None, file=None) -> None:
    """The short table printed after a run."""
    file = file or sys.stdout
    ms = summary.get("milestones") or {}
    rows = [
        ("scenario / strategy / seed", f"{summary['scenario']} / {summary['strategy']} / {summary['seed']}"),
        ("candidate / eligible / built sites",
         f"{summary['sites_candidate']:,} / {summary['sites_eligible']:,} / {summary['sites_built']:,}"),
        ("capacity built", f"{_fmt(summary['capacity_built_kwp'], 1000, 1)} MWp"),
        ("specific yield (year 1)", f"{_fmt(summary.get('specific_yield_kwh_per_kwp'), 1, 0)} kWh/kWp"),
        (f"energy over {summary['horizon_years']} years", f"{_fmt(summary['energy_mwh'], 1000, 1)} GWh"),
        ("CO2 avoided net / gross", f"{_fmt(summary['co2_avoided_t'], 1000, 1)} / "
                                    f"{_fmt(summary['co2_avoided_gross_t'], 1000, 1)} kt"),
        ("capex", f"{_fmt(summary['capex_cny'], 1e6, 1)} M CNY"),
        ("LCOE", f"{_fmt(summary.get('lcoe_cny_per_kwh'), 1, 3)} CNY/kWh"),
        ("cost per t CO2", f"{_fmt(summary.get('cost_per_t_co2_cny'), 1, 0)} CNY/t"),
        ("curtailed", f"{_fmt(summary.get('curtailed_mwh'), 1, 1)} MWh"),
        ("50 % / 100 % of target online", f"{ms.get('50%') or '-'} / {ms.get('100%') or '-'}"),
    ]
    res = summary.get("resources") or {}
    if res:
        # the bottleneck is where sites wait longest, not necessarily the busiest resource
        slowest = max(res.items(), key=lambda kv: kv[1].get("mean_wait_days") or 0.0)
        rows.append(("longest queue", f"{slowest[0]} (mean wait {_fmt(slowest[1].get('mean_wait_days'), 1, 1)} days, "
                                      f"{100 * (slowest[1].get('utilization') or 0):.0f} % busy)"))
    if out_dir is not None:
        rows.append(("outputs", str(out_dir)))
    if seconds is not None:
        rows.append(("run time", f"{seconds:.1f} s"))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}", file=file)


# --------------------------------------------------------------------------------------------- commands


def cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import run
    from .scenario import load_scenario

    t0 = time.perf_counter()
    if args.seed is not None and args.seed < 0:
        raise InputError("the seed must be >= 0", field="--seed", value=args.seed, allowed="an integer >= 0")
    scenario = _with_sets(load_scenario(args.scenario), args)
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise InputError("output path exists and is a file", file=out, field="--out",
                         allowed="a folder path (created if missing)")
    result = run(scenario, strategy=args.strategy, seed=args.seed, strict=args.strict, progress=not args.quiet,
                 cache_dir=args.cache_dir)
    if out is None:
        out = Path("runs") / f"{scenario.name}-{result.summary['strategy'].replace(':', '.')}-seed{result.summary['seed']}"
    result.write(out)
    print_summary(result.summary, out, time.perf_counter() - t0)
    _print_solution(result.summary["strategy"])
    return 0


def _print_solution(strategy: str) -> None:
    """The solver's line (status, achieved gap, nodes) after a run of an optimising strategy."""
    from .planning import last_solution

    solution = last_solution(strategy)
    if solution is not None:
        print("  " + solution.line(strategy))


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

    out = Path(args.out)
    if out.suffix.lower() != ".gpkg":
        out = out / "demo_county.gpkg"
    out.parent.mkdir(parents=True, exist_ok=True)
    counts = make_demo_county(out, n_sites=args.sites, seed=args.seed)
    print(f"wrote {out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .experiment import compare, print_comparison
    from .scenario import load_scenario

    scenario = _with_sets(load_scenario(args.scenario), args)
    names = [n.strip() for n in (args.strategies or scenario.strategy).split(",") if n.strip()]
    if args.replications < 1:
        raise InputError("need at least one replication", field="--replications", value=args.replications,
                         allowed="an integer >= 1")
    if args.workers is not None and args.workers < 1:
        raise InputError("need at least one worker", field="--workers", value=args.workers, allowed="an integer >= 1")
    out = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-compare"
    comparison = compare(scenario, names, args.replications, out_dir=out, workers=args.workers,
                         scheduler=args.scheduler, baseline=args.baseline, progress=not args.quiet,
                         cache_dir=args.cache_dir)
    print_comparison(comparison)
    print(f"  outputs: {out}")
    return 0


def add_set_option(p: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE`` (repeatable): what-if changes to the scenario, validated like the file."""
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="change a scenario key for this command, e.g. --set rollout.crews=12 (repeatable; dotted "
                        "keys as in 'pvsim schema', values as in YAML)")


def _with_sets(scenario, args: argparse.Namespace):
    """The scenario with the ``--set`` changes applied and validated (one line and exit 2 on a bad one)."""
    from .scenario import parse_assignment

    sets = getattr(args, "sets", None) or []
    if not sets:
        return scenario
    return scenario.with_changes(dict(parse_assignment(text) for text in sets), option="--set")


def cmd_sweep(args: argparse.Namespace) -> int:
    from .scenario import load_scenario
    from .sweeps import parse_param, print_sweep, sweep

    scenario = _with_sets(load_scenario(args.scenario), args)
    if not args.param:
        raise InputError("nothing to sweep", field="--param", allowed="one or more --param KEY=V1,V2,...")
    params = dict(parse_param(text) for text in args.param)
    names = [n.strip() for n in args.strategies.split(",")] if args.strategies else [scenario.strategy]
    out = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-sweep"
    result = sweep(scenario, params, names, args.replications, out_dir=out, workers=args.workers,
                   scheduler=args.scheduler, progress=not args.quiet, cache_dir=args.cache_dir)
    print_sweep(result)
    print(f"  outputs: {out}")
    return 0


def add_sweep_parser(sub) -> None:
    p = sub.add_parser("sweep", help="what-if sweep: vary scenario keys, compare variants paired by seed (Dask)",
                       description="Run every combination of the --param values x strategy x replication on Dask, "
                                   "paired by replication seed across variants (replication r uses the same seed in "
                                   "every variant); write sweep_runs.csv (one row per variant x strategy x "
                                   "replication), sweep_summary.csv (mean and 95 % CI), sweep_paired.csv (each "
                                   "variant minus the first, paired) and figures. Resumes: finished runs in --out "
                                   "are reused.")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--param", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="a scenario key and its values, e.g. --param rollout.crews=4,8,12 (repeatable: every "
                        "combination is run)")
    p.add_argument("--strategies", help="comma-separated strategy names (default: the scenario's)")
    p.add_argument("--replications", type=int, default=10, help="replications per variant and strategy (default 10)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, help="local Dask worker processes (default: number of cores)")
    group.add_argument("--scheduler", help="address of a running dask scheduler, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--out", help="output folder (default: runs/<scenario>-sweep)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--cache-dir", help="cache of yield profiles and weather (default: ~/.cache/pvsim)")
    add_set_option(p)
    p.set_defaults(func=cmd_sweep)


def cmd_plan(args: argparse.Namespace) -> int:
    from .pipeline import prepare, strategy_context
    from .planning import multi_year_plan
    from .scenario import load_scenario

    scenario = _with_sets(load_scenario(args.scenario), args)
    prepared = prepare(scenario, cache_dir=args.cache_dir)
    plan = multi_year_plan(prepared.eligible, strategy_context(prepared, scenario.seed).plan_inputs)
    table = plan.periods.rename(columns={"capacity_kwp": "capacity_mwp", "capex_cny": "capex_mcny",
                                         "budget_cny": "budget_mcny"})
    table["capacity_mwp"] /= 1000.0
    table[["capex_mcny", "budget_mcny"]] /= 1e6
    print(f"  multi-year plan of {scenario.name}, objective {plan.objective}")
    print("  " + plan.solution.line("solver"))
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    if args.out:
        from ._io import atomic_write

        frame = plan.period_of_site.rename("period").reset_index()
        atomic_write(Path(args.out), frame.to_csv(index=False, lineterminator="\n"))
        print(f"  wrote {args.out} (site_id, period of release)")
    return 0


def add_plan_parser(sub) -> None:
    p = sub.add_parser("plan", help="solve the multi-year plan and print it year by year",
                       description="Solve the multi_year_plan strategy's programme (sim/planning.py) for a scenario "
                                   "and print, per budget year, the sites, capacity and capex planned and the use "
                                   "of crews and offices, with the solver's status and achieved gap. An infeasible "
                                   "plan names its binding constraint (exit 2).")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--out", help="write the planned release period of each site to this CSV file")
    p.add_argument("--cache-dir", help="cache of yield profiles and weather (default: ~/.cache/pvsim)")
    add_set_option(p)
    p.set_defaults(func=cmd_plan)


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    path = write_report(Path(args.run_dir))
    print(f"wrote {path}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    if args.outputs:
        from .results import outputs_markdown

        sys.stdout.write(outputs_markdown())
    else:
        from .scenario import reference_markdown

        sys.stdout.write(reference_markdown())
    return 0


def cmd_strategies(args: argparse.Namespace) -> int:
    import inspect

    from .strategies import REGISTRY

    for name in sorted(REGISTRY):
        doc = " ".join(inspect.getdoc(REGISTRY[name]).split())
        print(f"{name}\n    {doc}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pvsim",
        description="Simulate a county's distributed-PV rollout: siting, SimPy rollout with crews, budget and "
                    "grid hosting capacity, pvlib yield, energy, CO2 and money.",
        epilog="Example: pvsim run scenarios/demo_county.yaml --strategy grid_headroom --seed 3",
    )
    parser.add_argument("--version", action="version", version=f"pvsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("run", help="run one scenario and write its output folder",
                       description="Run one scenario: sites, yields, strategy, rollout, accounting; write "
                                   "summary.json, sites.parquet, annual.csv and events.parquet atomically.")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--out", help="output folder (default: runs/<scenario>-<strategy>-seed<seed>)")
    p.add_argument("--seed", type=int, help="seed (default: the scenario's)")
    p.add_argument("--strategy", help="siting strategy (default: the scenario's); see 'pvsim strategies'")
    p.add_argument("--strict", action="store_true", help="treat repairs of input data as errors")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--cache-dir", help="cache of yield profiles and weather (default: ~/.cache/pvsim)")
    add_set_option(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="compare siting strategies over paired replications (Dask)",
                       description="Run every strategy x replication with common random numbers (replication r "
                                   "uses the same seed for every strategy) on Dask; write comparison.csv, "
                                   "paired_differences.csv, each run's summary and figures. An interrupted "
                                   "comparison resumes: finished runs in --out are reused.")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--strategies", help="comma-separated strategy names (default: the scenario's)")
    p.add_argument("--replications", type=int, default=10, help="replications per strategy (default 10)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, help="local Dask worker processes (default: number of cores)")
    group.add_argument("--scheduler", help="address of a running dask scheduler, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--baseline", help="strategy the paired differences are taken against (default: the first)")
    p.add_argument("--out", help="output folder (default: runs/<scenario>-compare)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--cache-dir", help="cache of yield profiles and weather (default: ~/.cache/pvsim)")
    add_set_option(p)
    p.set_defaults(func=cmd_compare)
    add_sweep_parser(sub)
    add_plan_parser(sub)

    p = sub.add_parser("report", help="write a self-contained report.html into a run folder")
    p.add_argument("run_dir", help="output folder of 'pvsim run'")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("validate", help="check a scenario and all its data without running it")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--strict", action="store_true", help="treat repairs of input data as errors")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("demo-data", help="generate a synthetic county GeoPackage (any size)")
    p.add_argument("out", help="output .gpkg file or folder")
    p.add_argument("--sites", type=int, default=3500, help="number of candidate sites (default 3500)")
    p.add_argument("--seed", type=int, default=20260101, help="generator seed")
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("schema", help="print the scenario key reference (Markdown)",
                       description="Print the scenario key reference (docs/scenarios.md) or, with --outputs, the "
                                   "output file reference (docs/outputs.md), as Markdown.")
    p.add_argument("--outputs", action="store_true",
                   help="print the reference of the files a run writes instead of the scenario keys")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("strategies", help="list the built-in siting strategies")
    p.set_defaults(func=cmd_strategies)
    return parser


def _install_warning_printer() -> None:
    """Print input repairs as one ``pvsim: warning:`` line each (other warnings as Python formats them). Called
    inside ``warnings.catch_warnings()``, which restores the previous printer afterwards."""

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
        if issubclass(category, InputWarning):
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
            return int(args.func(args) or 0)
    except (InputError, InputWarning) as exc:
        print(f"pvsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("pvsim: interrupted; no output written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
