"""Benchmark of ``pvsim compare``: every built-in strategy (the optimising ones included) x 20 replications of the
demo county on 1 and 2 local workers.

Prints the wall time of each whole comparison (cluster start, preparation, the optimisers' one solve, all runs,
tables) and its CPU time (this process and its workers, user + system), the speed-up, and checks that both
comparisons give byte-identical tables. Its last line is::

    runs=<n> seconds_1=<s> seconds_2=<s> speedup=<x> identical=<true|false> cpu_1=<s> cpu_2=<s> load=<1-min load>

Target on 2 cores (issue 27): <= 30 s with 2 workers. On a machine shared with others the wall time follows their
load (printed: the 1-minute load average at the end); the CPU seconds are the steadier figure.

    python benchmarks/compare.py [--replications 20] [--scenario scenarios/demo_county.yaml] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TABLES = ("comparison.csv", "paired_differences.csv", "annual_bands.csv")


def timed_compare(scenario, strategies: list[str], replications: int, workers: int, out_dir: Path):
    from sim.experiment import compare

    t0, c0 = time.perf_counter(), cpu_seconds()
    comparison = compare(scenario, strategies, replications, out_dir=out_dir, workers=workers, progress=False,
                         figures=False)
    return time.perf_counter() - t0, cpu_seconds() - c0, comparison


def cpu_seconds() -> float:
    """User + system seconds of this process and of its finished children (the workers of a closed cluster)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    import sim
    from sim.experiment import print_comparison
    from sim.strategies import available

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(REPO / "scenarios" / "demo_county.yaml"))
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--out", help="keep the comparisons' output folders here (default: a temporary folder)")
    args = parser.parse_args()

    scenario = sim.load_scenario(args.scenario)
    strategies = available()
    n_runs = len(strategies) * args.replications
    print(f"{scenario.name}: {len(strategies)} strategies x {args.replications} replications = {n_runs} runs")
    walls: dict[int, float] = {}
    cpus: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="pvsim-bench-") as tmp:
        root = Path(args.out or tmp)
        comparison = None
        for workers in (1, 2):
            out = root / f"w{workers}"
            if out.exists() and any(out.iterdir()):
                parser.error(f"{out} is not empty: a benchmark must not resume finished runs")
            walls[workers], cpus[workers], comparison = timed_compare(
                scenario, strategies, args.replications, workers, out
            )
            print(f"{workers} worker(s): {walls[workers]:.1f} s wall ({walls[workers] / n_runs:.2f} s per run), "
                  f"{cpus[workers]:.1f} s CPU, load {os.getloadavg()[0]:.2f}")
        identical = all((root / "w1" / t).read_bytes() == (root / "w2" / t).read_bytes() for t in TABLES)
        print_comparison(comparison)
    print(f"runs={n_runs} seconds_1={walls[1]:.1f} seconds_2={walls[2]:.1f} speedup={walls[1] / walls[2]:.2f} "
          f"identical={str(identical).lower()} cpu_1={cpus[1]:.1f} cpu_2={cpus[2]:.1f} load={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
