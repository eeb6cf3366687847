"""Equator-facing defaults in both hemispheres: site-type azimuths, roof faces from OSM footprints, and a warning
when a scenario turns fixed arrays towards the pole."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pvlib
import pytest
import shapely

from sim import sites
from sim.errors import InputWarning
from sim.osm import roof_azimuth_deg
from sim.scenario import scenario_from_dict

from .conftest import scenario_dict


@pytest.mark.parametrize("azimuth, latitude, want", [
    (180.0, 40.0, 180.0), (180.0, -33.9, 0.0), (135.0, -33.9, 45.0), (225.0, -33.9, 315.0), (90.0, -33.9, 90.0),
    (180.0, 0.0, 180.0)])
def test_table_azimuths_turn_to_the_equator(azimuth, latitude, want):
    assert sites.to_hemisphere(azimuth, latitude) == pytest.approx(want)


@pytest.mark.parametrize("azimuth, latitude, pole", [
    (0.0, 40.0, True), (180.0, 40.0, False), (180.0, -33.9, True), (0.0, -33.9, False), (90.0, -33.9, False),
    (91.0, -33.9, True), (269.0, 40.0, False), (271.0, 40.0, True)])
def test_faces_pole(azimuth, latitude, pole):
    assert bool(sites.faces_pole(azimuth, latitude)) is pole


def test_roof_face_nearest_the_equator():
    """A 20 m x 8 m gable roof with an east-west ridge: faces 180 and 0; the equator-facing one is kept."""
    house = shapely.box(0, 0, 20, 8)
    assert roof_azimuth_deg([house], np.array([True]), latitude=48.1)[0] == 180.0
    assert roof_azimuth_deg([house], np.array([True]), latitude=-33.9)[0] == 0.0


def _scenario(tmp_path, **site_types):
    raw = scenario_dict(tmp_path / "sites.gpkg")
    raw.setdefault("siting", {})["site_types"] = site_types
    return scenario_from_dict(raw, path=tmp_path / "s.yaml")


def test_default_azimuths_face_the_equator_unless_the_user_set_them(tmp_path):
    scenario = _scenario(tmp_path, public_building={"surface_azimuth_deg": 170.0})
    types = pd.Series(["public_building", "agrivoltaic", "rural_home"])
    table = np.array([170.0, 180.0, 180.0])
    assert sites.default_azimuths(scenario, types, table, -33.9).tolist() == [170.0, 0.0, 0.0]
    assert sites.default_azimuths(scenario, types, table, 40.4).tolist() == [170.0, 180.0, 180.0]


def test_a_pole_facing_fixed_azimuth_is_warned(tmp_path):
    scenario = _scenario(tmp_path, public_building={"surface_azimuth_deg": 180.0})
    with pytest.warns(InputWarning, match="faces the pole"):
        sites.warn_pole_facing(scenario, -33.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sites.warn_pole_facing(scenario, 40.4)  # south-facing in the north: no word


# ------------------------------------------------------------------------------------------- tracker axis by latitude

#: place: latitude, longitude [°], time zone, monthly GHI [kWh/m2/day], monthly air temperature [°C] (rough monthly
#: means, test inputs only: the pvlib reference is computed on the very same synthetic year)
TRACKER_PLACES = {
    "Sydney": (-33.87, 151.2, "Australia/Sydney", [7.0, 6.0, 5.1, 4.0, 3.0, 2.6, 2.9, 3.8, 5.0, 6.0, 6.7, 7.1],
               [23, 23, 21, 18, 15, 13, 12, 13, 16, 18, 20, 22]),
    "Oulu": (65.01, 25.47, "Europe/Helsinki", [0.1, 0.6, 1.8, 3.5, 5.2, 5.8, 5.3, 3.8, 2.0, 0.7, 0.12, 0.02],
             [-10, -10, -6, 0, 7, 13, 16, 14, 8, 2, -4, -8]),
}


@pytest.mark.parametrize("latitude, want", [(40.4, 180.0), (0.0, 180.0), (-33.87, 0.0), (65.01, 180.0),
                                            (-54.8, 0.0)])
def test_tracker_axis_runs_north_south_pointing_to_the_equator(latitude, want):
    assert sites.tracker_axis_azimuth_deg(latitude) == want


def _localised(tmp_path, place, **changes):
    from sim import country

    lat, lon, zone, _, _ = TRACKER_PLACES[place]
    raw = scenario_dict(tmp_path / "sites.gpkg", carbon={"factor_kgco2_per_kwh": 0.5}, **changes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the location's defaults and the CNY prices are said as warnings
        return country.apply_location(scenario_from_dict(raw, path=tmp_path / "s.yaml"), lat, lon, zone)


@pytest.mark.parametrize("place, axis", [("Sydney", 0.0), ("Oulu", 180.0)])
def test_tracker_axis_is_a_default_from_the_location_said_by_the_run(tmp_path, place, axis):
    got, profile = _localised(tmp_path, place)
    assert got.system.tracker_axis_azimuth_deg == axis
    assert profile.defaults["system.tracker_axis_azimuth_deg"] == axis
    assert f"system.tracker_axis_azimuth_deg={axis} (north-south axis pointing to the equator" in profile.describe()
    own, profile = _localised(tmp_path, place, system={"tracker_axis_azimuth_deg": 90.0})
    assert own.system.tracker_axis_azimuth_deg == 90.0  # set by hand: kept
    assert "system.tracker_axis_azimuth_deg" not in profile.defaults


def _pvlib_tracker_kwh_per_kwp(weather, axis_azimuth: float, gcr: float, centre_height_m: float) -> float:
    """Independent chain in plain pvlib for a monofacial horizontal single-axis tracker (+-55°, backtracking):
    tracker angles (``tracking.singleaxis``), front irradiance of infinite rows 2 m wide (``bifacial.infinite_sheds``,
    Hay-Davies), physical IAM on the beam, PVsyst cell temperature (free-standing: U_c 29 W/m2K, no wind term),
    PVWatts DC (-0.37 %/K), 14 % losses and inverter (DC/AC 1.2, 96 %) [kWh/kWp a year]. Sun at mid-hour."""
    data = weather.data
    mid = data.index + pd.Timedelta("30min")
    sun = pvlib.solarposition.get_solarposition(mid, weather.latitude, weather.longitude, weather.altitude)
    zen, azi = sun["apparent_zenith"].to_numpy(), sun["azimuth"].to_numpy()
    trk = pvlib.tracking.singleaxis(zen, azi, axis_tilt=0.0, axis_azimuth=axis_azimuth, max_angle=55.0,
                                    backtrack=True, gcr=gcr)
    tilt = np.nan_to_num(np.asarray(trk["surface_tilt"], float))
    azimuth = np.nan_to_num(np.asarray(trk["surface_azimuth"], float), nan=axis_azimuth + 90.0)
    up = zen < 90.0
    irr = pvlib.bifacial.infinite_sheds.get_irradiance(
        tilt[up], azimuth[up], zen[up], azi[up], gcr, centre_height_m, 2.0 / gcr, data["ghi"].to_numpy()[up],
        data["dhi"].to_numpy()[up], data["dni"].to_numpy()[up], 0.2, model="haydavies",
        dni_extra=pvlib.irradiance.get_extra_radiation(mid[up]).to_numpy(), bifaciality=0.0)
    front = np.nan_to_num(np.asarray(irr["poa_front"], float))
    beam = np.nan_to_num(np.asarray(irr["poa_front_direct"], float))
    aoi = pvlib.irradiance.aoi(tilt[up], azimuth[up], zen[up], azi[up])
    effective = front - beam + beam * pvlib.iam.physical(aoi)
    cell = pvlib.temperature.pvsyst_cell(front, data["temp_air"].to_numpy()[up], data["wind_speed"].to_numpy()[up])
    dc = pvlib.pvsystem.pvwatts_dc(effective, cell, 1.0, -0.0037) * (1 - 0.14)
    ac = pvlib.inverter.pvwatts(dc, 1.0 / 1.2, eta_inv_nom=0.96)
    return float(np.clip(ac, 0, None).sum())


@pytest.mark.parametrize("place", TRACKER_PLACES)
def test_tracker_yield_with_the_location_axis_agrees_with_pvlib(tmp_path, place):
    """A monofacial tracker row (gcr 0.3, 2 m clearance) at the location's default axis: the engine's annual
    yield within 3 % of the independent pvlib chain with a north-south axis pointing to the equator."""
    from sim.energy import archetype_profiles
    from sim.weather import synthetic_year

    lat, lon, zone, ghi, temp = TRACKER_PLACES[place]
    got, _ = _localised(tmp_path, place)
    weather = synthetic_year(lat, lon, 100.0, ghi, temp, [3.0] * 12, year=2023, seed=0, tz=zone)
    assert weather.label == "left"  # the reference puts the sun at mid-hour
    table = pd.DataFrame({"mount": ["agrivoltaic_tracker"], "surface_tilt": [0.0], "surface_azimuth": [180.0],
                          "gcr": [0.3], "height_m": [2.0], "tracking": [True], "bifaciality": [0.0]})
    engine = float(archetype_profiles(weather, table, got.system)[:, 0].sum())
    centre = 2.0 + 0.5 * 2.0 * np.sin(np.radians(55.0))  # clearance under the lowest edge -> row centre height
    ref = _pvlib_tracker_kwh_per_kwp(weather, 0.0 if lat < 0 else 180.0, 0.3, centre)
    print(f"{place}: engine {engine:.0f} kWh/kWp, pvlib {ref:.0f} kWh/kWp (axis {got.system.tracker_axis_azimuth_deg:g})")
    assert engine == pytest.approx(ref, rel=0.03)
