"""Do the optimising strategies win where they should? For each shipped scenario: every built-in strategy over
paired replications (same seeds), ``optimal`` minus the best heuristic in CO2 avoided (paired mean and 95 % CI),
every strategy's built capacity against each track's target, the solve times, and the plan's first-year office
use against what the simulation of that plan used.

    python benchmarks/plans.py [--reps 3] [scenarios/demo_county.yaml scenarios/grid_constrained.yaml]

The last line holds the figures: per scenario, optimal - best heuristic [%] (CI), the worst track share of target
of optimal and multi_year_plan [%], and the solve seconds.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

import sim
from sim import pipeline, strategies
from sim.planning import OFFICE_RESOURCES

ROOT = Path(__file__).resolve().parents[1]
OPTIMISING = ("optimal", "multi_year_plan")


def _ci(values: np.ndarray) -> tuple[float, float]:
    if len(values) < 2:
        return float(values.mean()), float("nan")
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)


def _track_shares(summary: dict, scenario) -> dict[str, float]:
    """Built capacity over target [%] per track (the programme's own target without tracks)."""
    if summary["by_track"]:
        return {k: 100 * v["capacity_built_kwp"] / v["target_capacity_kwp"] for k, v in summary["by_track"].items()}
    target = scenario.rollout.target_capacity_kwp
    return {"programme": 100 * summary["capacity_built_kwp"] / target} if target else {}


def bench(path: Path, reps: int) -> dict:
    scenario = sim.load_scenario(path)
    prepared = pipeline.prepare(scenario)
    t0 = time.perf_counter()
    solutions = pipeline.precompute_orders(prepared, list(OPTIMISING))
    solve_s = time.perf_counter() - t0
    co2, shares, first_year_use = {}, {}, {}
    for name in strategies.available():
        runs = [pipeline.run_prepared(prepared, name, seed) for seed in range(1, reps + 1)]
        co2[name] = np.array([r.summary["co2_avoided_t"] for r in runs])
        shares[name] = {k: float(np.mean([_track_shares(r.summary, scenario)[k] for r in runs]))
                        for k in _track_shares(runs[0].summary, scenario)}
        if name in OPTIMISING:
            year = scenario.start_date.year
            first_year_use[name] = {res: float(np.mean([r.summary["resources"][res]["utilisation_by_year_percent"][year]
                                                        for r in runs])) for res in ("crews", *OFFICE_RESOURCES)}
    heuristics = [n for n in co2 if n not in OPTIMISING]
    best = max(heuristics, key=lambda n: co2[n].mean())
    diff = 100 * (co2["optimal"] - co2[best]) / co2[best]
    print(f"\n{scenario.name}: {reps} paired replications, seeds 1-{reps}")
    print(f"  {'strategy':20s} {'CO2 avoided [kt]':>18s}   built / target per track [%]")
    for name in sorted(co2, key=lambda n: -co2[n].mean()):
        mean, half = _ci(co2[name] / 1000)
        tracks = ", ".join(f"{k or 'programme'} {v:.0f}" for k, v in shares[name].items())
        print(f"  {name:20s} {mean:10,.1f} ± {half:5.1f}   {tracks}")
    mean, half = _ci(diff)
    print(f"  optimal - best heuristic ({best}): {mean:+.2f} % ± {half:.2f} (paired, 95 % CI)")
    for name, sol in solutions.items():
        print(f"  {sol.line(name)}")
    plan_use = _plan_first_year_use(prepared)
    for name in first_year_use:
        use = ", ".join(f"{r} plan {plan_use[name][r]:.0f} % / simulated {first_year_use[name][r]:.0f} %"
                        for r in first_year_use[name])
        print(f"  first-year use, {name}: {use}")
    worst = {n: min(shares[n].values()) if shares[n] else float("nan") for n in OPTIMISING}
    return {"name": scenario.name, "diff": (mean, half), "best": best, "worst": worst, "solve_s": solve_s}


def _plan_first_year_use(prepared) -> dict[str, dict[str, float]]:
    out = {}
    for name in OPTIMISING:
        plan = prepared.plans[name]
        first = plan.periods[plan.periods["period"] == 0].iloc[0]
        out[name] = {r: float(first.get(f"{r}_used_percent", 0.0)) for r in ("crews", *OFFICE_RESOURCES)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", type=Path,
                        default=[ROOT / "scenarios/demo_county.yaml", ROOT / "scenarios/grid_constrained.yaml"])
    parser.add_argument("--reps", type=int, default=3, help="paired replications per strategy (default 3)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    results = [bench(path, args.reps) for path in args.scenarios]
    print("plans: " + "; ".join(
        f"{r['name']} optimal-best({r['best']}) {r['diff'][0]:+.2f}% ±{r['diff'][1]:.2f}, worst track "
        f"optimal {r['worst']['optimal']:.0f}% multi_year_plan {r['worst']['multi_year_plan']:.0f}%, "
        f"solve {r['solve_s']:.0f} s" for r in results))


if __name__ == "__main__":
    main()
