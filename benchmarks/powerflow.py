"""Power-flow hosting benchmark: the demo county through ``pvsim run`` with ``grid.hosting_method`` rule and
power_flow (issue #26; target: power_flow costs at most 3x the rule).

Run: ``PYTHONPATH=. python benchmarks/powerflow.py [--repeat 2]``.
Each method runs as its own ``python -m sim run`` child process (interpreter start and imports included),
``--repeat`` times, alternating, after one warm-up run of the rule that
fills the yield cache (a temporary cache folder shared by both methods, so neither computes yields in the timed
runs); the figure of each method is its fastest run (the machine is shared). The last line is
``rule_s=<s> power_flow_s=<s> ratio=<power_flow / rule>``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo_county.yaml"


def run_once(method: str, out: Path, cache: Path) -> float:
    """Wall time [s] of one ``pvsim run`` of the demo with ``grid.hosting_method=method``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [
        sys.executable,
        "-m",
        "sim",
        "run",
        str(DEMO),
        "-q",
        "--overwrite",
        "-o",
        str(out),
        "--cache-dir",
        str(cache),
    ]
    cmd += ["--set", f"grid.hosting_method={method}"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per method (fastest counts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pvsim-bench-pf-") as tmp:
        work = Path(tmp)
        run_once("rule", work / "warmup", work / "cache")
        times: dict[str, list[float]] = {"rule": [], "power_flow": []}
        for k in range(args.repeat):
            for method, ts in times.items():
                ts.append(run_once(method, work / f"{method}-{k}", work / "cache"))
        for method, ts in times.items():
            print(f"{method}: " + ", ".join(f"{t:.2f} s" for t in ts))
        rule, pf = min(times["rule"]), min(times["power_flow"])
        print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"rule_s={rule:.2f} power_flow_s={pf:.2f} ratio={pf / rule:.2f}")


if __name__ == "__main__":
    main()
