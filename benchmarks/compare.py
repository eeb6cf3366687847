"""Benchmark of ``pvsim compare``: 6 strategies x 20 replications of the demo county on 1 and 2 local workers.

Prints the wall time of each whole comparison (cluster start, preparation, all runs, tables and figures), the
speed-up, the mean time of one run in-process, and checks that both comparisons give byte-identical tables.
Targets: <= 120 s with 2 workers, speed-up >= 1.7.

    python benchmarks/compare.py [--replications 20] [--workers 1,2] [--scenario scenarios/demo_county.yaml]
                                 [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STRATEGIES = ["max_carbon_per_cny", "max_yield", "random", "grid_headroom", "pilot_quota", "township_balanced"]
TABLES = ("comparison.csv", "paired_differences.csv", "annual_bands.csv")


def one_run_seconds(scenario, n: int = 2) -> tuple[float, float]:
    """Seconds of ``prepare`` (yields cached) and mean seconds of one ``run_prepared`` in this process."""
    from sim.pipeline import prepare, run_prepared

    t0 = time.perf_counter()
    prepared = prepare(scenario)
    t_prepare = time.perf_counter() - t0
    t0 = time.perf_counter()
    for r in range(n):
        run_prepared(prepared, STRATEGIES[r % len(STRATEGIES)], r)
    return t_prepare, (time.perf_counter() - t0) / n


def timed_compare(scenario, replications: int, workers: int, out_dir: Path):
    from sim.experiment import compare

    t0 = time.perf_counter()
    comparison = compare(scenario, STRATEGIES, replications, out_dir=out_dir, workers=workers, progress=True)
    return time.perf_counter() - t0, comparison


def main() -> None:
    import sim
    from sim.experiment import print_comparison

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(REPO / "scenarios" / "demo_county.yaml"))
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    parser.add_argument("--out", help="keep the comparisons' output folders here (default: a temporary folder)")
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]

    scenario = sim.load_scenario(args.scenario)
    t_prepare, t_run = one_run_seconds(scenario)
    n_runs = len(STRATEGIES) * args.replications
    print(f"{scenario.name}: {len(STRATEGIES)} strategies x {args.replications} replications = {n_runs} runs")
    print(f"in-process: prepare {t_prepare:.1f} s (yields cached), one run {t_run:.2f} s "
          f"-> {n_runs * t_run:.0f} s of runs in series")

    walls: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="pvsim-bench-") as tmp:
        tmp = args.out or tmp
        last = None
        for w in worker_counts:
            out = Path(tmp) / f"w{w}"
            if out.exists() and any(out.iterdir()):
                parser.error(f"{out} is not empty: a benchmark must not resume finished runs")
            walls[w], comparison = timed_compare(scenario, args.replications, w, out)
            print(f"{w} worker(s): {walls[w]:.1f} s wall ({walls[w] / n_runs:.2f} s per run)")
            if last is not None:
                same = all((out / t).read_bytes() == (last / t).read_bytes() for t in TABLES)
                print(f"tables identical to the {worker_counts[0]}-worker comparison: {same}")
            last = out
        if 1 in walls:
            for w in worker_counts:
                if w != 1:
                    print(f"speed-up {w} vs 1 worker: {walls[1] / walls[w]:.2f}")
        print_comparison(comparison)


if __name__ == "__main__":
    main()
