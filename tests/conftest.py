"""Shared fixtures: small counties (generated or hand-made), scenarios pointing at them, a profile cache."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import yaml
from shapely.geometry import Point, box

REPO = Path(__file__).resolve().parents[1]
DEMO_SCENARIO = REPO / "scenarios" / "demo_county.yaml"
UTM50 = "EPSG:32650"
# a point in the demo county (Huailai) in UTM zone 50N
X0, Y0 = 412_000.0, 4_472_000.0


def published_factor(region: str = "North", year: int = 2023, scope: str = "regional", kind: str = "average") -> float:
    """A published grid factor [kgCO2/kWh] read from the shipped table (sim/tables), not retyped."""
    from sim.carbon import load_table

    t = load_table()
    row = t[(t["kind"] == kind) & (t["scope"] == scope) & (t["region"] == region) & (t["year"] == year)]
    assert len(row) == 1, (scope, region, year)
    return float(row["kgco2_per_kwh"].iloc[0])


#: Grid-factor level relative to 2020 at the anchors of each path, retyped from the cited figures (coal's share of
#: power generation): IEA (2021) China roadmap APS 63 % -> 47 % (2030) -> net zero 2060; ATS 63 % -> 38 % (2030)
#: -> 2060; CEC (Wang et al. 2014) 66 % -> 56 % (2030), extrapolated linearly to 2060.
PATH_ANCHORS = {"central": {2020: 1.0, 2030: 47 / 63, 2060: 0.0}, "low": {2020: 1.0, 2030: 38 / 63, 2060: 0.0},
                "high": {2020: 1.0, 2030: 56 / 66, 2060: 1 - 3 * (1 - 56 / 66)}}


def path_factor(year: float, path: str = "central", ef_last: float | None = None, last_year: int = 2023) -> float:
    """The grid factor on ``path`` in ``year`` by hand: the latest published factor (North 2023 by default) times
    the path's level in ``year`` over its level in ``last_year``, levels linear between the cited anchors."""
    ef_last = published_factor("North", 2023) if ef_last is None else ef_last
    anchors = PATH_ANCHORS[path]

    def level(y: float) -> float:
        ys = sorted(anchors)
        if y >= ys[-1]:
            return anchors[ys[-1]]
        k = max(i for i in range(len(ys) - 1) if ys[i] <= y)
        y0, y1 = ys[k], ys[k + 1]
        return anchors[y0] + (anchors[y1] - anchors[y0]) * (y - y0) / (y1 - y0)

    return ef_last * level(year) / level(last_year) if year > last_year else ef_last


def lifecycle_factor(basis: str = "china_2023") -> float:
    """Life-cycle factor of PV electricity [kgCO2e/kWh] from the package's sourced bases."""
    from sim.carbon import LIFECYCLE_BASES

    return LIFECYCLE_BASES[basis][0]


#: Beijing (latitude [°], longitude [°], altitude [m]), where the shipped synthetic-weather targets come from.
LAT, LON, ALT = 39.9, 116.4, 50.0


@pytest.fixture(scope="session")
def weather():
    """A synthetic Beijing year from the package's shipped monthly targets (seed 3, 2023)."""
    from sim.weather import (BEIJING_GHI_KWH_PER_M2_DAY, BEIJING_TEMP_AIR_C, BEIJING_WIND_SPEED_M_PER_S,
                             synthetic_year)

    return synthetic_year(LAT, LON, ALT, BEIJING_GHI_KWH_PER_M2_DAY, BEIJING_TEMP_AIR_C, BEIJING_WIND_SPEED_M_PER_S,
                          year=2023, seed=3)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pvsim_cache")


@pytest.fixture(scope="session")
def tiny_county(tmp_path_factory) -> Path:
    """A 300-site county from the demo generator (same layers as the bundled one)."""
    from sim.demo import make_demo_county

    path = tmp_path_factory.mktemp("county") / "tiny.gpkg"
    make_demo_county(path, n_sites=300, seed=7)
    return path


def scenario_dict(sites_file: Path, **changes) -> dict:
    """The demo scenario's settings pointed at another county file."""
    raw = yaml.safe_load(DEMO_SCENARIO.read_text())
    raw["data"]["sites_file"] = str(sites_file)
    raw.update(changes)
    return raw


def one_programme(raw: dict) -> dict:
    """``raw`` with the demo's tracks merged into one programme (their total budget and target): for tests of the
    programme as a whole on the tiny county, whose farm and tourism tracks are too small to reach their targets."""
    rollout = dict(raw["rollout"])
    tracks = rollout.pop("tracks", [])
    rollout["annual_budget_cny"] = sum(t["annual_budget_cny"] for t in tracks)
    rollout["target_capacity_kwp"] = sum(t["target_capacity_kwp"] for t in tracks)
    return {**raw, "rollout": rollout}


def write_scenario(folder: Path, raw: dict, name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def tiny_run(tiny_county, tmp_path_factory, cache_dir):
    """``(scenario, result)`` of the demo scenario on the tiny county (shared by every test that only reads it)."""
    import sim

    folder = tmp_path_factory.mktemp("scen")
    scenario = sim.load_scenario(write_scenario(folder, scenario_dict(tiny_county)))
    return scenario, sim.run(scenario, cache_dir=cache_dir)


@pytest.fixture(scope="session")
def tight_grid_run(tiny_county, tmp_path_factory, cache_dir):
    """The tiny county on a tight grid: hosting and export limited to 25 % of each transformer's rating (one
    consistent pair: more sites held for hosting, more upgrades) and the national solar utilisation of H1 2025,
    93.4 %, which curtails (shared by the golden run and the rollout-service checks)."""
    import sim

    raw = scenario_dict(tiny_county)
    raw.setdefault("grid", {}).update(hosting_share_percent=25.0, export_limit_percent=25.0,
                                      system_utilisation_percent=93.4)
    folder = tmp_path_factory.mktemp("scen_tight")
    return sim.run(sim.load_scenario(write_scenario(folder, raw)), cache_dir=cache_dir)


@pytest.fixture
def tiny_scenario_path(tiny_county, tmp_path) -> Path:
    return write_scenario(tmp_path, scenario_dict(tiny_county))


def make_county(path: Path, sites: list[dict], transformers: list[dict], *, crs: str = UTM50,
                extra_layers: dict[str, gpd.GeoDataFrame] | None = None, to_4326: bool = True) -> Path:
    """Write a hand-made county: ``sites`` rows with ``geometry`` in UTM metres, transformers likewise."""
    s = gpd.GeoDataFrame(sites, geometry="geometry", crs=crs)
    t = gpd.GeoDataFrame(transformers, geometry="geometry", crs=crs)
    if to_4326:
        s, t = s.to_crs(4326), t.to_crs(4326)
    s.to_file(path, layer="sites", driver="GPKG")
    t.to_file(path, layer="transformers", driver="GPKG")
    for name, layer in (extra_layers or {}).items():
        (layer.to_crs(4326) if to_4326 else layer).to_file(path, layer=name, driver="GPKG")
    return path


def square(x: float, y: float, side_m: float):
    """A square polygon of ``side_m`` metres at offset (x, y) metres from the county's reference point."""
    return box(X0 + x, Y0 + y, X0 + x + side_m, Y0 + y + side_m)


def point(x: float, y: float):
    return Point(X0 + x, Y0 + y)
