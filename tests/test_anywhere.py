"""Anywhere on Earth: real OpenStreetMap extracts from four countries (one in the southern hemisphere) through
``pvsim import-osm``, ``run`` and ``report``; each county gets its own country's defaults, equator-facing arrays, and
yields that agree with an independent pvlib chain facing the equator.

Weather: a synthetic year calibrated to rough monthly means of each place (test inputs, assumptions: they only
need to be plausible, since the pvlib reference is computed on the very same year)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pvlib
import pytest
from shapely.geometry import Point

from sim.cli import main
from sim.weather import synthetic_year

from .conftest import scenario_dict, write_scenario

OSM = Path(__file__).parent / "data" / "osm"
ALTITUDE_M = 100.0

#: extract, (monthly GHI kWh/m2/day, air temperature °C), own grid factor (None: from the country table), country
PLACES = {
    "kirchberg_de": ("kirchberg_village.osm",
                     ([1.0, 1.8, 3.0, 4.5, 5.3, 5.8, 5.7, 4.9, 3.5, 2.1, 1.1, 0.8],
                      [0, 1, 5, 9, 14, 17, 19, 18, 14, 9, 4, 1]), None, "DE"),
    "kouvola_fi": ("fi_kouvola.osm.pbf",
                   ([0.2, 0.8, 2.0, 3.6, 5.0, 5.6, 5.3, 3.9, 2.3, 0.9, 0.3, 0.1],
                    [-8, -8, -4, 3, 10, 15, 17, 15, 10, 4, -1, -5]), 0.1, "FI"),
    "aguascalientes_mx": ("mx_aguascalientes.osm.bz2",
                          ([4.6, 5.5, 6.6, 7.2, 7.4, 6.6, 6.0, 5.9, 5.4, 5.2, 4.8, 4.3],
                           [14, 15, 18, 20, 23, 23, 21, 21, 20, 18, 16, 14]), 0.4, "MX"),
    "sao_paulo_br": ("br_sao_paulo.osm.pbf",
                     ([5.5, 5.6, 4.9, 4.3, 3.6, 3.3, 3.5, 4.3, 4.4, 5.0, 5.4, 5.6],
                      [23, 23, 22, 20, 18, 17, 16, 17, 18, 20, 21, 22]), 0.1, "BR"),
}


def _transformers(sites: gpd.GeoDataFrame, path: Path) -> None:
    """A 3 x 3 grid of 630 kVA transformers over the sites (the extracts come without a grid)."""
    minx, miny, maxx, maxy = sites.total_bounds
    points = [Point(x, y) for x in np.linspace(minx, maxx, 3) for y in np.linspace(miny, maxy, 3)]
    gpd.GeoDataFrame({"transformer_id": [f"T{k}" for k in range(9)], "rating_kva": 630.0}, geometry=points,
                     crs=4326).to_file(path, layer="transformers", driver="GPKG")


def _scenario(folder: Path, place: str, lat: float, lon: float) -> Path:
    _, (ghi, temp), factor, _ = PLACES[place]
    raw = scenario_dict(folder / "sites.gpkg")
    raw["data"] = {"sites_file": str(folder / "sites.gpkg"), "sites_layer": "sites",
                   "grid_file": str(folder / "grid.gpkg"), "transformers_layer": "transformers"}
    raw["weather"] = {"source": "synthetic", "latitude_deg": lat, "longitude_deg": lon, "altitude_m": ALTITUDE_M,
                      "synthetic": {"monthly_ghi_kwh_per_m2_day": ghi, "monthly_temp_air_c": temp,
                                    "monthly_wind_speed_m_per_s": [3.0] * 12}}
    raw["carbon"] = {} if factor is None else {"factor_kgco2_per_kwh": factor}
    raw["rollout"] = {**raw["rollout"], "tracks": [], "target_capacity_kwp": 2000, "annual_budget_cny": 5e6}
    raw["horizon_years"] = 3
    return write_scenario(folder, raw)


def _pvlib_reference_kwh_per_kwp(weather, tilt: float, azimuth: float, mount: str = "fixed_rack") -> float:
    """Independent PVWatts chain in plain pvlib: Perez transposition at mid-hour sun, Fuentes cell temperature
    (PVWatts: installed NOCT 45 °C open rack, 49 °C roof mount), physical IAM on the beam, PVWatts DC (-0.37 %/K) and inverter
    (DC/AC 1.2, 96 %), 14 % losses [kWh/kWp a year]."""
    data = weather.data
    mid = data.index + pd.Timedelta("30min")
    sun = pvlib.solarposition.get_solarposition(mid, weather.latitude, weather.longitude, weather.altitude)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, sun["apparent_zenith"].to_numpy(), sun["azimuth"].to_numpy(), data["dni"].to_numpy(),
        data["ghi"].to_numpy(), data["dhi"].to_numpy(), dni_extra=pvlib.irradiance.get_extra_radiation(mid).to_numpy(),
        airmass=pvlib.atmosphere.get_relative_airmass(sun["apparent_zenith"].to_numpy()), model="perez",
        albedo=0.2)
    poa_global = np.nan_to_num(np.asarray(poa["poa_global"], float))
    # PVWatts' own cell temperature: Fuentes with an installed NOCT of 45 °C (open rack) or 49 °C (roof mount)
    cell = pvlib.temperature.fuentes(pd.Series(poa_global, index=mid), data["temp_air"].set_axis(mid),
                                     data["wind_speed"].set_axis(mid), 49.0 if mount == "roof_parallel" else 45.0,
                                     surface_tilt=tilt).to_numpy()
    aoi = pvlib.irradiance.aoi(tilt, azimuth, sun["apparent_zenith"].to_numpy(), sun["azimuth"].to_numpy())
    beam = np.nan_to_num(np.asarray(poa["poa_direct"], float)) * pvlib.iam.physical(aoi)
    effective = beam + np.nan_to_num(np.asarray(poa["poa_diffuse"], float))
    dc = pvlib.pvsystem.pvwatts_dc(effective, cell, 1.0, -0.0037) * (1 - 0.14)
    ac = pvlib.inverter.pvwatts(dc, 1.0 / 1.2, eta_inv_nom=0.96)
    return float(np.clip(ac, 0, None).sum())


@pytest.mark.slow
@pytest.mark.parametrize("place", PLACES)
def test_real_extract_through_import_run_and_report(place, tmp_path, cache_dir, capsys):
    extract, _, factor, country = PLACES[place]
    folder = tmp_path / place
    assert main(["import-osm", str(OSM / extract), "--out", str(folder)]) == 0
    sites = gpd.read_file(folder / "sites.gpkg", layer="sites")
    _transformers(sites, folder / "grid.gpkg")
    minx, miny, maxx, maxy = (float(v) for v in sites.total_bounds)
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    scenario = _scenario(folder, place, lat, lon)
    run_dir = tmp_path / f"{place}_run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the location's defaults and the CNY prices are said on stderr
        assert main(["run", str(scenario), "-o", str(run_dir), "-q", "--cache-dir", str(cache_dir)]) == 0
        assert main(["report", str(run_dir)]) == 0
    assert (run_dir / "report.html").stat().st_size > 10_000
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["country"] == country
    defaults = summary["location_defaults"]
    assert defaults["pilot_coverage"] is False and defaults["rollout.spring_festival_shutdown"] is False
    assert defaults["rollout.holidays_country"] == country
    if factor is None:
        assert defaults["carbon.factor_kgco2_per_kwh"] == 0.380  # the shipped table (Germany)
    out = pd.read_parquet(run_dir / "sites.parquet")
    fixed = out[out["mount"].isin(["fixed_rack", "roof_parallel"]) & out["surface_tilt_deg"].gt(10)]
    equator = 0.0 if lat < 0 else 180.0
    racks = out[out["mount"].eq("fixed_rack")]
    assert (racks["surface_azimuth_deg"] == equator).all()
    # the yield of one site (a fixed rack where there is one, else a roof) against pvlib on the same year
    weather = synthetic_year(lat, lon, ALTITUDE_M, *_targets(place), year=2023, seed=0, tz=summary["time_zone"])
    candidates = racks if len(racks) else fixed
    off = np.abs((candidates["surface_azimuth_deg"] - equator + 180.0) % 360.0 - 180.0)
    row = candidates.loc[off.idxmin()]  # the site facing the equator most squarely
    tilt, azimuth = float(row["surface_tilt_deg"]), float(row["surface_azimuth_deg"])
    ref = _pvlib_reference_kwh_per_kwp(weather, tilt, azimuth, row["mount"])
    pole = _pvlib_reference_kwh_per_kwp(weather, tilt, (azimuth + 180.0) % 360.0, row["mount"])
    print(f"{place}: {row['site_id']} ({row['site_type']}, {row['mount']}) tilt {tilt:g} azimuth {azimuth:g}: "
          f"{row['specific_yield_kwh_per_kwp']:.0f} kWh/kWp; pvlib same orientation {ref:.0f}, turned to the pole "
          f"{pole:.0f}; sites by type {out['site_type'].value_counts().to_dict()}")
    assert row["specific_yield_kwh_per_kwp"] == pytest.approx(ref, rel=0.03), (place, ref)
    assert abs(((azimuth - equator) + 180.0) % 360.0 - 180.0) <= 90.0  # faces the equator's side


def _targets(place: str) -> tuple[list[float], list[float], list[float]]:
    ghi, temp = PLACES[place][1]
    return ghi, temp, [3.0] * 12
