"""End-to-end benchmark: a 50,000-site county through ``pvsim run`` (sites, weather, eligibility, yields, strategy,
rollout, accounting, outputs).

Run: ``PYTHONPATH=. python benchmarks/end_to_end.py [--sites 50000] [--seed 1] [--keep DIR]``.
The last line is ``sites=<n> built=<n> mwp=<MWp> seconds=<wall> cpu_seconds=<s> peak_rss_mb=<MB>``: what the
run built, and the wall time, CPU time (user + system: the one-core figure on a loaded machine) and peak resident
memory of the ``pvsim run`` process (a child process, so the county generation is not counted). The lines before it
give what each track built against its scaled target, and the load average. Targets (issue #27): 50,000 sites <= 10 s
and <= 1 GB; 200,000 sites <= 40 s.

The county is ``pvsim demo-data --sites N`` (the demo county's recipe at N candidate sites). The scenario is
``scenarios/demo_county.yaml`` with its programme and every resource scaled by N / 3,500 (the demo's candidate
sites), an assumption that keeps the demo's ratios of money, capacity target, staff, crews and release pacing per
candidate site: ``annual_budget_cny``, ``target_capacity_kwp``, ``max_sites_in_pipeline``, ``crews``,
``surveyors``, ``reviewers``, ``inspectors``, ``om_crews`` (counts rounded up). Yield profiles go to a fresh cache in
the work folder, so the run computes them (a cold start).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo_county.yaml"
DEMO_SITES = 3_500
SCALED_COUNTS = ("crews", "surveyors", "reviewers", "inspectors", "om_crews", "max_sites_in_pipeline")
SCALED_AMOUNTS = ("annual_budget_cny", "target_capacity_kwp")


def scaled_scenario(sites_file: Path, n_sites: int) -> dict:
    """The demo scenario pointing at ``sites_file`` with its programme and resources scaled to ``n_sites``."""
    raw = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    scale = n_sites / DEMO_SITES
    raw["name"] = f"end_to_end_{n_sites}"
    raw["data"]["sites_file"] = str(sites_file)
    for key in SCALED_COUNTS:
        if raw["rollout"].get(key) is not None:
            raw["rollout"][key] = int(math.ceil(raw["rollout"][key] * scale))
    for key in SCALED_AMOUNTS:
        if raw["rollout"].get(key) is not None:
            raw["rollout"][key] = float(raw["rollout"][key] * scale)
    for track in raw["rollout"].get("tracks") or []:
        for key in SCALED_AMOUNTS:
            if track.get(key) is not None:
                track[key] = float(track[key] * scale)
    return raw


def _pvsim(*args: str) -> tuple[float, float]:
    """Run ``pvsim *args`` in a child process; returns its peak resident memory [MB] and CPU time (user + system)
    [s] (``os.wait4`` of that child)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-m", "sim", *args], env=env, cwd=REPO)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"pvsim {' '.join(args)} failed with exit status {child.returncode}")
    return usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temporary one)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        county = work / "county.gpkg"
        _pvsim("demo-data", "--sites", str(args.sites), "--seed", str(args.seed), str(county))
        scenario = work / "scenario.yaml"
        scenario.write_text(yaml.safe_dump(scaled_scenario(county, args.sites), sort_keys=False), encoding="utf-8")
        t0 = time.perf_counter()
        peak_mb, cpu_seconds = _pvsim("run", str(scenario), "--out", str(work / "run"), "--quiet", "--cache-dir",
                                      str(work / "cache"))
        wall = time.perf_counter() - t0
        summary = json.loads((work / "run" / "summary.json").read_text(encoding="utf-8"))
    for name, track in (summary.get("by_track") or {}).items():
        print(f"track {name}: {track['sites_built']:,} sites, {track['capacity_built_kwp'] / 1000:,.1f} MWp built "
              f"of {track['target_capacity_kwp'] / 1000:,.1f} MWp targeted")
    # on a shared machine the wall time depends on the load; the CPU time of the run is the one-core figure
    print(f"load_average={os.getloadavg()[0]:.1f}")
    print(f"sites={args.sites} built={summary['sites_built']} mwp={summary['capacity_built_kwp'] / 1000:.1f} "
          f"seconds={wall:.1f} cpu_seconds={cpu_seconds:.1f} peak_rss_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
