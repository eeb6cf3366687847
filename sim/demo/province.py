"""A synthetic province: N demo counties of their own seeds, sizes, layouts and grids, with a scenario each and a
ready study file (``pvsim demo-data DIR --counties N``), to test and benchmark ``pvsim study`` with.

Folder written::

    study.yaml                 counties: counties/ ; three strategies ; 5 replications
    counties/county_NN.gpkg    the county's layers (:func:`sim.demo.make_demo_county`)
    counties/county_NN.yaml    its scenario

Each county's scenario is the demo county's (``scenarios/demo_county.yaml``: its layers, exclusions, weather preset,
siting, grid and carbon settings, which carry their sources there) with its three tracks merged into one programme
and that programme scaled to the county's candidate sites: budget, target, crews, teams and pipeline in proportion
to ``sites / 3,500`` (the demo's). The scaling is an ASSUMPTION for testing and benchmarking (a county's money and
crews are its own), not a sourced figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from .build import make_demo_county

CENTRE_LAT, CENTRE_LON = 40.08, 116.585
"""Centre of the province's grid of counties [°]: the station of the Beijing weather presets (Beijing Capital
International Airport, ``sim/tables/weather_presets.csv``), so that every county of up to :data:`MAX_COUNTIES` lies
within the presets' 300 km (:data:`sim.weather.PRESET_MAX_DISTANCE_KM`); a synthetic province around Beijing, not
Hebei's real map."""
SPACING_LAT_DEG, SPACING_LON_DEG = 0.35, 0.52
"""Distance between neighbouring county centres [°] (about 39 km north-south and 44 km east-west): a demo county is
about 0.30° x 0.49°, so neighbours do not overlap on the province map."""
SIDE = 10
"""Counties per row of the grid (filled row by row from the north-west, so a county keeps its place when the
province grows); :data:`MAX_COUNTIES` fill a 10 x 10 grid whose corners lie about 265 km from the station."""
MAX_COUNTIES = SIDE * SIDE
DEMO_SITES = 3500
"""Candidate sites of the demo county, which its programme is sized for."""
SIZE_RANGE = (0.5, 1.5)
"""Each county's candidate sites: ``sites`` times a uniform draw from this range (an assumption: counties differ)."""
TOWNSHIPS_RANGE = (3, 10)
"""Townships per county, drawn uniformly (the demo county has 9)."""
STRATEGIES = ["max_yield", "max_carbon_per_cny", "grid_headroom"]
REPLICATIONS = 5
#: The demo programme (scenarios/demo_county.yaml, its three tracks together), scaled per county.
DEMO_PROGRAMME = {
    "annual_budget_cny": 150_000_000,
    "target_capacity_kwp": 100_000,
    "max_sites_in_pipeline": 120,
    "crews": 8,
    "surveyors": 6,
    "reviewers": 2,
    "inspectors": 3,
    "om_crews": 6,
}


def county_plans(n_counties: int, sites: int, seed: int) -> list[dict]:
    """Name, seed, sites, townships and centre of each county: drawn from ``SeedSequence([seed, k])`` for county
    ``k``, so a county does not change when the province grows."""
    plans = []
    for k in range(n_counties):
        g = np.random.default_rng(np.random.SeedSequence([int(seed), k]))
        row, col = divmod(k, SIDE)
        plans.append(
            {
                "name": f"county_{k + 1:0{max(2, len(str(n_counties)))}d}",
                "seed": int(g.integers(0, 2**31 - 1)),
                "run_seed": int(g.integers(0, 1_000_000)),
                "sites": max(1, round(sites * g.uniform(*SIZE_RANGE))),
                "townships": int(g.integers(TOWNSHIPS_RANGE[0], TOWNSHIPS_RANGE[1] + 1)),
                "lat": round(CENTRE_LAT + ((SIDE - 1) / 2 - row) * SPACING_LAT_DEG, 4),
                "lon": round(CENTRE_LON + (col - (SIDE - 1) / 2) * SPACING_LON_DEG, 4),
            }
        )
    return plans


def county_scenario(plan: dict, gpkg_name: str) -> dict:
    """The scenario of one county of the province (module docstring)."""
    share = plan["sites"] / DEMO_SITES
    rollout = {k: max(1, round(v * share)) for k, v in DEMO_PROGRAMME.items()}
    return {
        "name": plan["name"],
        "description": f"synthetic county of a demo province ({plan['sites']} candidate sites)",
        "start_date": "2026-01-01",
        "horizon_years": 25,
        "seed": plan["run_seed"],
        "strategy": STRATEGIES[0],
        "data": {
            "sites_file": gpkg_name,
            "sites_layer": "sites",
            "transformers_layer": "transformers",
            "feeders_layer": "feeders",
            "exclusions": [
                {
                    "layer": "exclusion_basic_farmland",
                    "applies_to": ["agrivoltaic", "fish_pond"],
                    "reason": "permanent_basic_farmland",
                },
                {
                    "layer": "exclusion_ecological",
                    "applies_to": ["agrivoltaic", "fish_pond", "greenhouse", "tourism_carpark"],
                    "reason": "ecological_redline",
                },
                {"layer": "river", "buffer_m": 100, "applies_to": "all", "reason": "river_buffer"},
            ],
        },
        "weather": {"source": "synthetic", "synthetic": {"preset": "beijing_recent"}},
        "siting": {"min_capacity_kwp": 3, "max_transformer_distance_m": 3000},
        "grid": {"hosting_share_percent": 80, "system_utilisation_percent": 96.1},
        "rollout": {"release_mode": "budget", "build_window_years": 5, **rollout},
        "carbon": {"method": "average", "scope": "regional", "region": "North", "year": 2023},
    }


def make_province(folder: str | Path, *, n_counties: int, sites: int, seed: int) -> dict:
    """Write the province (module docstring) into ``folder``; returns what it built: ``counties``, ``sites`` (total
    candidate sites) and ``study`` (the study file)."""
    folder = Path(folder)
    counties = folder / "counties"
    counties.mkdir(parents=True, exist_ok=True)
    total = 0
    for plan in county_plans(n_counties, sites, seed):
        gpkg = counties / f"{plan['name']}.gpkg"
        make_demo_county(
            gpkg,
            n_sites=plan["sites"],
            seed=plan["seed"],
            center_lat=plan["lat"],
            center_lon=plan["lon"],
            n_townships=plan["townships"],
        )
        text = yaml.safe_dump(county_scenario(plan, gpkg.name), sort_keys=False, allow_unicode=True)
        (counties / f"{plan['name']}.yaml").write_text(text, encoding="utf-8")
        total += plan["sites"]
    study = folder / "study.yaml"
    study.write_text(
        "# A synthetic province (pvsim demo-data --counties): every county scenario in counties/, compared.\n"
        + yaml.safe_dump(
            {
                "name": folder.resolve().name,
                "counties": "counties",
                "strategies": STRATEGIES,
                "replications": REPLICATIONS,
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    return {"counties": n_counties, "sites": total, "study": study}
