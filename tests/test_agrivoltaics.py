"""Agrivoltaics: crop light under rows (against pvlib's infinite-sheds geometry), the densest layout a crop-light
minimum allows, and the per-site design that uses the scenario's tracker settings."""

from __future__ import annotations

from types import SimpleNamespace

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


@pytest.mark.parametrize("gcr", [1.2, 1.0, 0.0])
def test_crop_light_rejects_bad_gcr(weather, gcr):
    """0 < GCR < 1: rows covering all the ground (or none) are no layout."""
    with pytest.raises(InputError, match="gcr"):
        crop_light_fraction(weather, 25, 180, gcr, 3.0)


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

    sky = energy.SkyGeometry(weather.data, weather.latitude, weather.longitude, weather.altitude, weather.label)
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


def _beam_only(weather) -> SimpleNamespace:
    """``weather`` with its diffuse light removed: dhi = 0 and ghi = dni cos(zenith) (a consistent clear beam)."""
    sky = energy.SkyGeometry(weather.data, weather.latitude, weather.longitude, weather.altitude, weather.label)
    data = weather.data.copy()
    ghi = np.zeros(len(data))
    ghi[sky.day] = sky.dni * np.cos(np.radians(sky.zenith))
    data["ghi"], data["dhi"] = ghi, 0.0
    return SimpleNamespace(data=data, latitude=weather.latitude, longitude=weather.longitude,
                           altitude=weather.altitude, label=weather.label)


def _hand_ground_light(weather, gcr: float, shadow_of) -> float:
    """Beam light on the ground under infinite opaque rows / open-field light, for a weather without diffuse light:
    the shadow of a row covers ``gcr x shadow_of(zenith, azimuth)`` of the ground (capped at all of it)."""
    sky = energy.SkyGeometry(weather.data, weather.latitude, weather.longitude, weather.altitude, weather.label)
    beam = sky.dni * np.cos(np.radians(sky.zenith))
    unshaded = 1.0 - np.minimum(1.0, gcr * shadow_of(np.radians(sky.zenith), np.radians(sky.azimuth)))
    return float((beam * unshaded).sum() / sky.ghi.sum())


def _tracker_shadow(axis_azimuth: float, max_angle: float):
    """A horizontal single-axis tracker that follows the sun (no backtracking): it turns to the sun's zenith
    projected across the axis, tan(theta_p) = tan(z) |sin(azimuth - axis_azimuth)|, but no further than
    ``max_angle``; a row turned by R throws a shadow cos R + sin R tan(theta_p) row widths long (1 / cos(theta_p)
    while it follows the sun)."""
    def shadow(z, az):
        theta_p = np.arctan(np.tan(z) * np.abs(np.sin(az - np.radians(axis_azimuth))))
        r = np.minimum(theta_p, np.radians(max_angle))
        return np.cos(r) + np.sin(r) * np.tan(theta_p)
    return shadow


def test_fixed_rows_shade_the_ground_by_hand(weather):
    """Rows tilted 25 degrees to the south at GCR 0.4, beam light only: a row's shadow is cos(25) + sin(25)
    tan(theta_p) row widths long, theta_p the zenith projected on the north-south plane (tan(theta_p) = tan(z)
    cos(azimuth - 180))."""
    beam = _beam_only(weather)
    expected = _hand_ground_light(
        beam, 0.4, lambda z, az: np.abs(np.cos(np.radians(25)) + np.sin(np.radians(25)) * np.tan(z) * np.cos(
            az - np.pi)))
    assert 0.3 < expected < 0.8
    assert crop_light_fraction(beam, 25, 180, 0.4, 3.0)["annual"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("axis_azimuth, max_angle", [(180.0, 60.0), (90.0, 30.0)])
def test_tracker_rows_shade_the_ground_by_hand(weather, axis_azimuth, max_angle):
    """Trackers at GCR 0.3 without backtracking, beam light only, against the hand geometry of
    :func:`_tracker_shadow`; with backtracking the ground gets the same beam light (rows turn back exactly until
    their shadows touch, when the ground is in full shade anyway) as long as the angle limit does not bind."""
    beam = _beam_only(weather)
    kwargs = dict(tracking=True, axis_azimuth=axis_azimuth, max_angle=max_angle, backtrack=False)
    expected = _hand_ground_light(beam, 0.3, _tracker_shadow(axis_azimuth, max_angle))
    assert crop_light_fraction(beam, 0.0, 180.0, 0.3, 3.0, **kwargs)["annual"] == pytest.approx(expected, rel=1e-6)
    if max_angle == 60.0:
        free = _hand_ground_light(beam, 0.3, _tracker_shadow(axis_azimuth, 89.9))
        backtracked = crop_light_fraction(beam, 0.0, 180.0, 0.3, 3.0, **{**kwargs, "backtrack": True,
                                                                          "max_angle": 89.9})["annual"]
        assert backtracked == pytest.approx(free, rel=1e-6)


def _spy(monkeypatch, module, name: str) -> list:
    calls = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, spy)
    return calls


def test_row_centre_height_and_pitch_of_the_sky_view(weather, monkeypatch):
    """The ground's sky view factor is taken for rows 2 m wide at pitch 2 m / GCR whose centre stands half a row
    width x sin(tilt) above the 3 m clearance: sin(25 degrees) for fixed rows, sin(max_angle) for trackers (their
    lowest edge at full turn)."""
    calls = _spy(monkeypatch, pvlib.bifacial.utils, "vf_ground_sky_2d_integ")
    crop_light_fraction(weather, 25, 180, 0.4, 3.0)
    crop_light_fraction(weather, 0, 180, 0.4, 3.0, tracking=True, max_angle=50.0)
    (fixed_args, _), (tracker_args, _) = calls
    assert fixed_args[1:] == pytest.approx((0.4, 3.0 + np.sin(np.radians(25)), 5.0))
    assert fixed_args[0] == 25.0
    assert tracker_args[1:] == pytest.approx((0.4, 3.0 + np.sin(np.radians(50)), 5.0))


def test_bifacial_rows_use_the_row_geometry(weather, monkeypatch):
    """The rear-side model gets the tracker's rotation, the clearance turned into the centre height (3 m + 1 m x
    sin 55 degrees for the default tracker), pitch = 2 m / GCR, and the module's bifaciality; a row without a
    GCR or height takes 0.3 and 2.5 m."""
    calls = _spy(monkeypatch, pvlib.bifacial.infinite_sheds, "get_irradiance")
    sky = energy.SkyGeometry(weather.data, weather.latitude, weather.longitude, weather.altitude, weather.label)
    system = SystemConfig()
    tracker = {"gcr": 0.4, "height_m": 3.0, "bifaciality": 0.7, "surface_tilt": 0.0, "surface_azimuth": 180.0,
               "mount": "agrivoltaic_tracker"}
    energy._bifacial_or_tracking(sky, tracker, True, 0.2, system)
    fixed = {"gcr": np.nan, "height_m": np.nan, "bifaciality": 0.0, "surface_tilt": 30.0, "surface_azimuth": 170.0,
             "mount": "fixed_rack"}
    energy._bifacial_or_tracking(sky, fixed, False, 0.2, system)
    (t_args, t_kw), (f_args, f_kw) = calls
    expected_tilt = np.nan_to_num(np.asarray(pvlib.tracking.singleaxis(
        sky.zenith, sky.azimuth, axis_tilt=0.0, axis_azimuth=180.0, max_angle=system.tracker_max_angle_deg,
        backtrack=True, gcr=0.4)["surface_tilt"], float))
    np.testing.assert_allclose(t_args[0], expected_tilt)
    assert t_args[4:7] == pytest.approx((0.4, 3.0 + np.sin(np.radians(system.tracker_max_angle_deg)), 5.0))
    assert t_kw["bifaciality"] == 0.7
    assert f_args[:2] == (30.0, 170.0)
    assert f_args[4:7] == pytest.approx((0.3, 2.5 + np.sin(np.radians(30.0)), 2.0 / 0.3))


def test_design_uses_the_scenarios_tracker_settings(weather):
    """A tracker limited to 30 degrees, on an east-west axis, without backtracking shades the crop differently from
    the default tracker (55 degrees, north-south axis, backtracking): the design must follow the scenario, as the
    yield engine does. Beam light only, so that the crop light is the hand geometry of :func:`_tracker_shadow`."""
    beam = _beam_only(weather)
    sites = _agri_sites(tracking=True)
    default = design_for_crop_light(sites, beam, SystemConfig(), None)
    custom_system = SystemConfig(tracker_max_angle_deg=30.0, tracker_axis_azimuth_deg=90.0, tracker_backtrack=False)
    custom = design_for_crop_light(sites, beam, custom_system, None)
    expected = _hand_ground_light(beam, 0.3, _tracker_shadow(90.0, 30.0))
    assert custom.loc["A", "crop_light_percent"] == pytest.approx(100 * expected, abs=0.005)
    assert abs(custom.loc["A", "crop_light_percent"] - default.loc["A", "crop_light_percent"]) > 0.5
    assert np.isnan(custom.loc["R", "crop_light_percent"])  # not an agrivoltaic site


def test_design_thins_layouts_and_flags_impossible_ones(weather):
    sites = _agri_sites(tracking=False)
    free = design_for_crop_light(sites, weather, SystemConfig(), None)
    light = free.loc["A", "crop_light_growing_season_percent"]
    bounded = design_for_crop_light(sites, weather, SystemConfig(), light + 5.0)
    a = bounded.loc["A"]
    assert a["gcr"] < 0.3 and a["crop_light_growing_season_percent"] >= light + 5.0 and a["crop_light_ok"]
    assert a["capacity_kwp"] == round(1000.0 * a["gcr"] / 0.3, 2)  # to the 10 W
    assert a["capex_cny"] == round(3.6e6 * a["gcr"] / 0.3, 2)  # to the fen
    assert a["gcr"] == round(a["gcr"], 2)  # thinned in steps of 0.01
    enough = design_for_crop_light(sites, weather, SystemConfig(), light - 5.0).loc["A"]  # the layout passes as is
    assert (enough["gcr"], enough["capacity_kwp"], enough["crop_light_ok"]) == (0.3, 1000.0, True)
    impossible = design_for_crop_light(sites, weather, SystemConfig(), 99.9)
    assert not impossible.loc["A", "crop_light_ok"] and impossible.loc["A", "gcr"] == 0.3
    assert impossible.loc["R", "crop_light_ok"]  # the rule only concerns agrivoltaic layouts
    assert max_gcr_for_crop_light(0.999, weather, 25, 180, 3.0) < MIN_AGRIVOLTAIC_GCR


def test_crop_light_is_a_ratio_of_irradiances_whatever_their_scale(weather):
    """Ground light over open-field light: the same share under a sky ten million times dimmer (a year summing to
    a fraction of 1 W/m2 still has a share)."""
    dim = weather.data.copy()
    for column in ("ghi", "dni", "dhi"):
        dim[column] = dim[column] * 1e-7
    faint = SimpleNamespace(data=dim, latitude=weather.latitude, longitude=weather.longitude,
                            altitude=weather.altitude, label=weather.label)
    assert 0.0 < dim["ghi"].sum() < 1.0
    got, ref = crop_light_fraction(faint, 25, 180, 0.3, 3.0), crop_light_fraction(weather, 25, 180, 0.3, 3.0)
    assert got == pytest.approx(ref, rel=1e-6)  # (floating-point noise of the sky model at 1e-7 W/m2)
