"""A comparison on a real, separately started Dask cluster: `dask scheduler` and two `dask worker` processes on
loopback, reached through ``compare(..., scheduler=address)``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.experiment import compare, replication_seed, run_dir
from sim.pipeline import prepare, run_prepared

from .conftest import REPO, scenario_dict, write_scenario

pytestmark = pytest.mark.slow  # real processes: seconds each

STRATEGIES = ["max_carbon_per_cny", "grid_headroom"]
REPS = 2


def _start(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with open(log, "wb") as out:  # the child keeps its own descriptor; ours is closed at once
        return subprocess.Popen([sys.executable, "-m", *args], stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=log.parent, start_new_session=True)


def _wait_for_file(path: Path, procs: list[subprocess.Popen], timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists():
            try:
                return json.loads(path.read_text())
            except ValueError:
                pass  # being written
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.1)
    raise RuntimeError(f"dask scheduler did not start (see {path.parent})")


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)  # its own session: the worker's nanny and its child process
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=5)


@pytest.fixture
def dask_cluster(tmp_path):
    """`dask scheduler` + 2 `dask worker` processes on 127.0.0.1; yields the scheduler address."""
    folder = tmp_path / "dask"
    folder.mkdir()
    scheduler_file = folder / "scheduler.json"
    procs: list[subprocess.Popen] = []
    try:
        procs.append(_start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--scheduler-file", str(scheduler_file)], folder / "scheduler.log"))
        address = _wait_for_file(scheduler_file, procs, timeout_s=60)["address"]
        for i in range(2):
            procs.append(_start(["distributed.cli.dask_worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                 "--nworkers", "1", "--no-dashboard", "--name", f"w{i}", "--death-timeout", "60",
                                 "--local-directory", str(folder)], folder / f"worker{i}.log"))
        yield address, procs
    finally:
        _stop(procs)


def test_comparison_on_a_separately_started_cluster(dask_cluster, tiny_county, tmp_path, cache_dir):
    from distributed import Client

    address, procs = dask_cluster
    raw = scenario_dict(tiny_county, horizon_years=5)
    raw["rollout"] = {"release_mode": "poisson", "poisson_rate_per_day": 1.0}
    scenario = sim.load_scenario(write_scenario(tmp_path, raw))
    with Client(address, timeout=30) as client:
        client.wait_for_workers(2, timeout=60)
        worker_pids = set(client.run(os.getpid).values())
    assert len(worker_pids) == 2 and os.getpid() not in worker_pids

    out = tmp_path / "out"
    c = compare(scenario, STRATEGIES, REPS, out_dir=out, scheduler=address, progress=False, cache_dir=cache_dir,
                figures=False)
    assert c.computed == len(STRATEGIES) * REPS
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["strategy"]) == STRATEGIES and (table["n"] == REPS).all()
    assert (table["energy_mwh_mean"] > 0).all()
    assert all(p.poll() is None for p in procs)  # the cluster outlives the comparison (not ours to close)

    # a run done on the cluster equals the same run done here
    seed = replication_seed(scenario.seed, 1)
    here = run_prepared(prepare(scenario, cache_dir=cache_dir), STRATEGIES[1], seed).summary
    there = json.loads((run_dir(out, STRATEGIES[1], 1) / "summary.json").read_text())
    assert there["seed"] == seed
    for key in ("sites_built", "capacity_built_kwp", "energy_mwh", "co2_avoided_t"):
        assert there[key] == pytest.approx(here[key], rel=1e-9), key
