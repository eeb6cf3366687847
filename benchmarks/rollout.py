"""Benchmark of the rollout model: a synthetic 50,000-site county, 25-year horizon, budget mode.

Run: ``PYTHONPATH=. python benchmarks/rollout.py [--sites 50000] [--transformers 2000] [--seed 1]``.
The last line is ``sites=<n> seconds=<wall> events_per_second=<e> peak_rss_mb=<MB>`` (wall time of ``simulate``;
events are SimPy events processed). Target: <= 60 s and <= 4 GB on one core.

The county is synthetic (assumptions, not data): mostly rural homes (10-40 kWp), some public, government,
commercial and guesthouse roofs, and about 800 large ground-mounted sites (agrivoltaic, fish ponds, greenhouses,
car-park canopies, 0.2-6 MWp); capex 3.0-3.1 CNY/W on roofs, 3.6-4.2 CNY/W on ground structures; 2,000
transformers of 100-1,000 kVA with 80 % hosting share, some existing PV, hosting limits x4 (feeders reinforced) and
a quarter of them with a planned upgrade. The programme is sized so that all of it can be released in the five-year
window (annual budget = total capex / 4.5; crews, reviewers, inspectors, surveyors and O&M crews scaled up from the
county defaults), the heaviest load for the model.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.rollout import OperationConfig, RolloutConfig, simulate  # noqa: E402

TYPE_MIX = {  # share of sites, capacity range [kWp] (log-uniform), capex [CNY/W]
    "rural_home": (0.82, 10, 40, 3.1),
    "guesthouse": (0.05, 15, 60, 3.1),
    "public_building": (0.05, 30, 200, 3.1),
    "party_government": (0.03, 30, 150, 3.1),
    "commercial_industrial": (0.034, 100, 1000, 3.0),
    "agrivoltaic": (0.004, 500, 6000, 4.2),
    "greenhouse": (0.004, 300, 2000, 3.8),
    "fish_pond": (0.002, 1000, 6000, 4.0),
    "tourism_carpark": (0.006, 200, 1500, 3.6),
}


def synthetic_county(n_sites: int, n_transformers: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    names = list(TYPE_MIX)
    p = np.array([TYPE_MIX[t][0] for t in names])
    types = rng.choice(names, n_sites, p=p / p.sum())
    lo = np.array([TYPE_MIX[t][1] for t in types], dtype=float)
    hi = np.array([TYPE_MIX[t][2] for t in types], dtype=float)
    cny_per_w = np.array([TYPE_MIX[t][3] for t in types])
    cap = np.exp(rng.uniform(np.log(lo), np.log(hi))).round(1)
    tr_ids = np.array([f"TR{k:05d}" for k in range(n_transformers)])
    sites = pd.DataFrame(
        {
            "site_type": types,
            "capacity_kwp": cap,
            "capex_cny": cap * 1000 * cny_per_w,
            "transformer_id": tr_ids[rng.integers(0, n_transformers, n_sites)],
        },
        index=pd.Index([f"S{i:06d}" for i in range(n_sites)], name="site_id"),
    )
    rating = rng.choice([100.0, 200.0, 315.0, 400.0, 630.0, 1000.0], n_transformers)
    share = 80.0
    existing = rating * rng.uniform(0, 0.3, n_transformers)
    planned = rng.random(n_transformers) < 0.25
    transformers = pd.DataFrame(
        {
            "rating_kva": rating,
            "existing_pv_kw": existing,
            "hosting_share_percent": share,
            "hosting_limit_kw": np.maximum(rating * share / 100 - existing, 0.0) * 4,  # feeders reinforced (assumption)
            "planned_upgrade_date": np.where(
                planned, pd.Timestamp("2027-01-01") + pd.to_timedelta(rng.integers(0, 1500, n_transformers), "D"),
                pd.NaT),
            "planned_upgrade_kva": np.where(planned, rating, 0.0),
        },
        index=pd.Index(tr_ids, name="transformer_id"),
    )
    return sites, transformers


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=50_000)
    ap.add_argument("--transformers", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--horizon-years", type=int, default=25)
    args = ap.parse_args(argv)

    sites, transformers = synthetic_county(args.sites, args.transformers, args.seed)
    order = list(sites.sample(frac=1.0, random_state=args.seed).index)
    scale = args.sites / 50_000
    config = RolloutConfig(
        release_mode="budget",
        annual_budget_cny=float(sites["capex_cny"].sum()) / 4.5,  # the whole programme fundable in the window
        crews=int(max(6, 240 * scale)),
        reviewers=int(max(2, 20 * scale)),
        inspectors=int(max(2, 40 * scale)),
        surveyors=int(max(3, 40 * scale)),
        om_crews=int(max(2, 100 * scale)),
    )
    operation = OperationConfig()

    t0 = time.perf_counter()
    result = simulate(sites, order, transformers, config, operation, seed=args.seed, start_date=date(2026, 1, 1),
                      horizon_years=args.horizon_years)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    counts = result.outcomes["status"].value_counts().to_dict()
    built_mw = result.outcomes.loc[result.outcomes["status"] == "operating", "capacity_kwp"].sum() / 1000
    util = {k: round(v["utilisation_percent"], 1) for k, v in result.resources.items()}
    print(f"statuses: {counts}")
    print(f"built: {built_mw:,.0f} MWp; milestones: {result.milestones}; utilisation: {util}")
    print(f"events logged: {len(result.events):,}; downtime rows: {len(result.downtime):,}")
    print(f"sites={args.sites} seconds={wall:.1f} events_per_second={result.n_events / wall:.0f} "
          f"peak_rss_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
