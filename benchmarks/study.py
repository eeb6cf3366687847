"""Province benchmark: a synthetic province through ``pvsim study`` on local Dask workers, and what a real province
would cost.

Run: ``PYTHONPATH=. python benchmarks/study.py [--counties 20] [--sites 3500] [--strategies 3] [--replications 5]
[--workers 2] [--figures] [--keep DIR]``.

The province is ``pvsim demo-data DIR --counties N --sites S`` (counties of about S candidate sites, 0.5 to 1.5 times,
each the demo programme scaled to its sites; see ``sim/demo/province.py``), its study cut to the first
``--strategies`` of max_yield, max_carbon_per_cny, grid_headroom and ``--replications``. The study runs in this
process against a LocalCluster of ``--workers`` single-threaded worker processes (as ``pvsim study -w N`` starts),
without the county figures unless ``--figures``, with a fresh cache (cold yields).

Measured: wall time; each run's compute time on its worker (the scheduler's task stream); the client's CPU time (this
process: preparations, orders, tables, Dask bookkeeping); each worker's peak resident memory (``ru_maxrss``). Printed:
runs per second per worker, peak memory per worker, and as the last line the projected hours of 100 counties x 5
strategies x 20 replications on 2 and on 64 cores, from

    cpu_s = runs * run_s + counties * client_s        hours(W) = max(cpu_s / W, counties * client_s) / 3600

with ``run_s`` the mean compute seconds of a run and ``client_s`` the client's CPU seconds per county, both measured
here at this county size (a projection for counties of about S sites: a run's cost grows with its sites). The client
prepares counties one after the other while the workers run (so it bounds the time on many cores), and on 2 cores it
shares them with the workers (hence the sum).
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PROVINCE = {"counties": 100, "strategies": 5, "replications": 20}
"""The province projected: 100 counties (Hebei has 100+ county-level units) x 5 strategies x 20 replications."""


def make_province(folder: Path, counties: int, sites: int, strategies: int, replications: int, seed: int) -> Path:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "sim", "demo-data", str(folder), "--counties", str(counties), "--sites", str(sites)]
    subprocess.run([*cmd, "--seed", str(seed)], env=env, cwd=REPO, check=True)
    study = folder / "study.yaml"
    doc = yaml.safe_load(study.read_text(encoding="utf-8"))
    doc["strategies"] = doc["strategies"][:strategies]
    doc["replications"] = replications
    study.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return study


def peak_rss_mb() -> float:
    """Peak resident memory of the calling process [MB] (Linux: ``ru_maxrss`` in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_study(study: Path, out: Path, workers: int, figures: bool) -> dict:
    from distributed import Client

    from sim.experiment import local_cluster
    from sim.study import study as run

    with local_cluster(workers, logging.ERROR) as cluster, Client(cluster) as client:
        client.get_task_stream()  # registers the scheduler's task-stream plugin before the runs
        cpu0, t0 = time.process_time(), time.perf_counter()
        result = run(study, out_dir=out, scheduler=cluster.scheduler_address, progress=False,
                     cache_dir=out / "cache", figures=figures)
        wall, client_cpu = time.perf_counter() - t0, time.process_time() - cpu0
        stream = client.get_task_stream()
        memory = sorted(client.run(peak_rss_mb).values())
    computes = [
        sum(s["stop"] - s["start"] for s in task["startstops"] if s["action"] == "compute")
        for task in stream
        if str(task["key"]).startswith("pvsim-run-")
    ]
    return {
        "runs": len(result.runs),
        "counties": len(result.counties),
        "preparations": result.preparations,
        "wall": wall,
        "client_cpu": client_cpu,
        "run_s": sum(computes) / max(1, len(computes)),
        "memory": memory,
    }


def projected_hours(run_s: float, client_s: float, cores: int) -> float:
    runs = PROVINCE["counties"] * PROVINCE["strategies"] * PROVINCE["replications"]
    cpu = runs * run_s + PROVINCE["counties"] * client_s
    return max(cpu / cores, PROVINCE["counties"] * client_s) / 3600


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--counties", type=int, default=20)
    p.add_argument("--sites", type=int, default=3500, help="about this many candidate sites per county (the demo's)")
    p.add_argument("--strategies", type=int, default=3)
    p.add_argument("--replications", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=20260101)
    p.add_argument("--figures", action="store_true", help="draw each county's comparison figures too")
    p.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        study = make_province(work / "province", args.counties, args.sites, args.strategies, args.replications,
                              args.seed)
        m = run_study(study, work / "out", args.workers, args.figures)
    per_worker = m["runs"] / m["wall"] / args.workers
    client_s = m["client_cpu"] / m["counties"]
    print(f"built: {m['counties']} counties of about {args.sites} candidate sites x {args.strategies} strategies x "
          f"{args.replications} replications = {m['runs']} runs, {m['preparations']} preparations, "
          f"{args.workers} local workers, figures {'on' if args.figures else 'off'}")
    print(f"wall {m['wall']:.1f} s; a run computes in {m['run_s']:.2f} s on its worker (mean); the client "
          f"{client_s:.2f} s CPU per county; load average {os.getloadavg()[0]:.2f}")
    print(f"runs_per_s_per_worker={per_worker:.3f} peak_rss_mb_per_worker="
          + ",".join(f"{x:.0f}" for x in m["memory"]))
    print(f"projected hours for {PROVINCE['counties']} counties x {PROVINCE['strategies']} strategies x "
          f"{PROVINCE['replications']} replications (counties of about {args.sites} sites): "
          f"2 cores {projected_hours(m['run_s'], client_s, 2):.2f} h, "
          f"64 cores {projected_hours(m['run_s'], client_s, 64):.2f} h")


if __name__ == "__main__":
    main()
