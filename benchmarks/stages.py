"""Where a run's time goes: the seconds of each pipeline step of one ``pvsim run`` (in this process, imports not
counted), with the CPU seconds of the process and its peak memory.

    python benchmarks/stages.py SCENARIO.yaml [--cache-dir DIR] [--out DIR]
    python benchmarks/stages.py --sites 50000          # the end-to-end benchmark's scaled county (benchmarks/end_to_end.py)

Steps: ``sites``, ``weather``, ``eligibility``, ``yields`` (the preparation), ``strategy``, ``rollout``,
``accounting``, ``assemble`` (the run) and ``write`` (the output folder). The last line is::

    stages: sites=<s> weather=<s> ... write=<s> total=<s> cpu_seconds=<s> peak_rss_mb=<MB>

For a profile by function, run the same under ``python -m cProfile -s cumulative``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _scaled_county(work: Path, n_sites: int, seed: int) -> Path:
    """``pvsim demo-data`` at ``n_sites`` and the end-to-end benchmark's scaled scenario for it."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from end_to_end import scaled_scenario

    county = work / "county.gpkg"
    subprocess.run([sys.executable, "-m", "sim", "demo-data", "--sites", str(n_sites), "--seed", str(seed),
                    str(county)], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    scenario = work / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(scaled_scenario(county, n_sites), sort_keys=False), encoding="utf-8")
    return scenario


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", type=Path)
    ap.add_argument("--sites", type=int, help="the scaled demo county of this size instead of a scenario")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cache-dir", type=Path, help="yield cache (default: a fresh one, a cold start)")
    ap.add_argument("--out", type=Path, help="output folder (default: a temporary one)")
    args = ap.parse_args(argv)
    if (args.scenario is None) == (args.sites is None):
        ap.error("give a SCENARIO or --sites N")
    with tempfile.TemporaryDirectory(prefix="pvsim-stages-") as tmp:
        work = Path(tmp)
        scenario_file = args.scenario or _scaled_county(work, args.sites, args.seed)
        import sim

        cpu0 = time.process_time()
        t0 = time.perf_counter()
        result = sim.run(sim.load_scenario(scenario_file), cache_dir=args.cache_dir or work / "cache")
        t1 = time.perf_counter()
        result.write(args.out or work / "run")
        timings = {k: v for k, v in result.timings.items() if k != "total"}
        timings["write"] = time.perf_counter() - t1
        timings["total"] = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    for name, seconds in sorted(timings.items(), key=lambda kv: -kv[1]):
        print(f"{name:12s} {seconds:7.2f} s")
    print("stages: " + " ".join(f"{k}={v:.2f}" for k, v in timings.items())
          + f" cpu_seconds={cpu:.1f} peak_rss_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
