"""Agrivoltaics: crop light under rows (against pvlib's infinite-sheds geometry), the densest layout a crop-light
minimum allows, and the per-site design that uses the scenario's tracker settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest

from sim import energy
from sim.agrivoltaics import (
    MIN_AGRIVOLTAIC_GCR,
    crop_light_fraction,
    design_for_crop_light,
    max_gcr_for_crop_light,
)
from sim.energy import SystemConfig
from sim.errors import InputError


def test_crop_light_fraction_behaviour(weather):
    sparse = crop_light_fraction(weather, 25, 180, 0.05, 3.0)
    mid = crop_light_fraction(weather, 25, 180, 0.3, 3.0)
    dense = crop_light_fraction(weather, 25, 180, 0.6, 3.0)
    assert set(mid) == {"annual", "growing_season"}
    assert 0.9 < sparse["annual"] < 1.0
    assert sparse["annual"] > mid["annual"] > dense["annual"] > 0.2
    # about 1 - gcr of the light for opaque rows, a little more thanks to diffuse light under the rows
    assert 0.6 < mid["annual"] < 0.85
    trk = crop_light_fraction(weather, 0, 180, 0.3, 3.0, tracking=True)
    assert 0.5 < trk["growing_season"] < 0.9


def test_crop_light_rejects_bad_gcr(weather):
    with pytest.raises(InputError, match="gcr"):
        crop_light_fraction(weather, 25, 180, 1.2, 3.0)


def test_max_gcr_for_crop_light(weather):
    g = max_gcr_for_crop_light(0.8, weather, 25, 180, 3.0)
    assert 0.05 < g < 0.5
    assert crop_light_fraction(weather, 25, 180, g, 3.0)["growing_season"] >= 0.8
    assert crop_light_fraction(weather, 25, 180, g + 0.01, 3.0)["growing_season"] < 0.8
    with pytest.raises(InputError, match="min_crop_light_fraction"):
        max_gcr_for_crop_light(1.5, weather, 25, 180, 3.0)


@pytest.mark.parametrize("tilt,azimuth,gcr", [(25, 180, 0.3), (10, 150, 0.5), (35, 200, 0.2)])
def test_crop_light_beam_shadow_matches_pvlib_infinite_sheds_geometry(weather, tilt, azimuth, gcr):
    """Cross-check of the ground-shadow fraction against the helper pvlib's infinite_sheds model uses."""
    from pvlib.bifacial import utils as bu

    sky = energy._Sky(weather.data, weather.latitude, weather.longitude, weather.altitude, weather.label)
    phi = np.degrees(np.arctan(bu._solar_projection_tangent(sky.zenith, sky.azimuth, azimuth)))
    unshaded = np.asarray(bu._unshaded_ground_fraction(tilt, phi, gcr, max_zenith=89.9), float)
    ref_beam = float((sky.dni * np.cos(np.radians(sky.zenith)) * unshaded).sum())
    centre = 3.0 + 1.0 * np.sin(np.radians(tilt))  # 3 m clearance under a 2 m wide row
    vf = float(np.asarray(pvlib.bifacial.utils.vf_ground_sky_2d_integ(tilt, gcr, centre, 2.0 / gcr)))
    ref = (ref_beam + float((sky.dhi * vf).sum())) / float(sky.ghi.sum())
    ours = crop_light_fraction(weather, tilt, azimuth, gcr, 3.0)["annual"]
    assert ours == pytest.approx(ref, rel=0.01), (ours, ref)


def _agri_sites(tracking: bool, gcr: float = 0.3) -> pd.DataFrame:
    return pd.DataFrame({
        "mount": ["agrivoltaic_tracker" if tracking else "agrivoltaic_fixed", "roof_parallel"],
        "surface_tilt": [0.0 if tracking else 25.0, 25.0], "surface_azimuth": [180.0, 180.0], "gcr": [gcr, np.nan],
        "height_m": [3.0, 4.0], "tracking": [tracking, False], "capacity_kwp": [1000.0, 10.0],
        "capex_cny": [3.6e6, 3.1e4],
    }, index=["A", "R"])


def test_design_uses_the_scenarios_tracker_settings(weather):
    """A tracker limited to 30 degrees, on an east-west axis, without backtracking shades the crop differently from
    the default tracker (55 degrees, north-south axis, backtracking): the design must follow the scenario, as the
    yield engine does, and equal crop_light_fraction called with those settings."""
    sites = _agri_sites(tracking=True)
    default = design_for_crop_light(sites, weather, SystemConfig(), None)
    custom_system = SystemConfig(tracker_max_angle_deg=30.0, tracker_axis_azimuth_deg=90.0, tracker_backtrack=False)
    custom = design_for_crop_light(sites, weather, custom_system, None)
    expected = crop_light_fraction(weather, 0.0, 180.0, 0.3, 3.0, tracking=True, axis_azimuth=90.0, max_angle=30.0,
                                   backtrack=False)
    assert custom.loc["A", "crop_light_percent"] == round(100 * expected["annual"], 2)
    assert abs(custom.loc["A", "crop_light_percent"] - default.loc["A", "crop_light_percent"]) > 0.5
    assert np.isnan(custom.loc["R", "crop_light_percent"])  # not an agrivoltaic site


def test_design_thins_layouts_and_flags_impossible_ones(weather):
    sites = _agri_sites(tracking=False)
    free = design_for_crop_light(sites, weather, SystemConfig(), None)
    light = free.loc["A", "crop_light_growing_season_percent"]
    bounded = design_for_crop_light(sites, weather, SystemConfig(), light + 5.0)
    a = bounded.loc["A"]
    assert a["gcr"] < 0.3 and a["crop_light_growing_season_percent"] >= light + 5.0 and a["crop_light_ok"]
    assert a["capacity_kwp"] == pytest.approx(1000.0 * a["gcr"] / 0.3, abs=0.01)
    assert a["capex_cny"] == pytest.approx(3.6e6 * a["gcr"] / 0.3, abs=0.01)
    impossible = design_for_crop_light(sites, weather, SystemConfig(), 99.9)
    assert not impossible.loc["A", "crop_light_ok"] and impossible.loc["A", "gcr"] == 0.3
    assert impossible.loc["R", "crop_light_ok"]  # the rule only concerns agrivoltaic layouts
    assert max_gcr_for_crop_light(0.999, weather, 25, 180, 3.0) < MIN_AGRIVOLTAIC_GCR
