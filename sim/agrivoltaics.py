"""Agrivoltaics: crop light under elevated PV rows, the densest layout a crop-light minimum allows, and the design
of each agrivoltaic site that follows from it.

Shading model: infinite rows of opaque modules in 2-D (as :mod:`pvlib.bifacial.infinite_sheds`); light reflected by
the rows is neglected. Fixed rows take the site's tilt and azimuth; single-axis trackers follow the scenario's
tracker settings (``system.tracker_max_angle_deg``, ``tracker_axis_azimuth_deg``, ``tracker_backtrack``), the same
ones the yield engine uses for their energy.

Design rule: with ``siting.agrivoltaic_min_crop_light_percent`` set, a layout that leaves less light to the crop in
the growing season is thinned to the largest GCR that passes, rounded down to 0.01 (capacity and capex scale with
the GCR); a layout that cannot pass even at GCR :data:`MIN_AGRIVOLTAIC_GCR` fails the rule (``crop_light_ok``
False), which :func:`sim.sites.decide_eligibility` turns into the exclusion reason ``crop_light_below_minimum``.
GCR < 0.25 keeps most crops at >= 80 % relative yield (C. Dupraz, "Assessment of the ground coverage ratio of
agrivoltaic systems as a proxy for potential crop productivity", Agroforestry Systems, 2023,
doi:10.1007/s10457-023-00906-3).
"""

from __future__ import annotations

from typing import Literal, TypeVar

import numpy as np
import pandas as pd
import pvlib

from sim import _upstream  # noqa: F401  (silences pvlib's known pandas-3 deprecation warning)
from sim.energy import ROW_SLANT_HEIGHT_M, SkyGeometry, SystemConfig, row_centre_height_m
from sim.errors import InputError

Frame = TypeVar("Frame", bound=pd.DataFrame)  # the sites table: a GeoDataFrame stays one

#: Sparsest layout considered when thinning an agrivoltaic array for crop light [-].
MIN_AGRIVOLTAIC_GCR = 0.05

#: Months of the growing season in northern China (April to October), for ``growing_season`` shares.
GROWING_SEASON_MONTHS = (4, 5, 6, 7, 8, 9, 10)

#: Columns of a site's layout that decide its crop light.
DESIGN_COLUMNS = ["surface_tilt", "surface_azimuth", "gcr", "height_m", "tracking"]


def crop_light_fraction(
    weather,
    surface_tilt: float,
    surface_azimuth: float,
    gcr: float,
    height_m: float,
    *,
    tracking: bool = False,
    axis_azimuth: float = 180.0,
    max_angle: float = 55.0,
    slant_height_m: float = ROW_SLANT_HEIGHT_M,
    backtrack: bool = True,
    growing_season_months: tuple[int, ...] = GROWING_SEASON_MONTHS,
) -> dict[str, float]:
    """Fraction of open-field light (GHI) that reaches the ground under infinite rows of opaque modules.

    2-D view-factor model (as in :mod:`pvlib.bifacial.infinite_sheds`): the ground gets beam light where no row
    shadow falls (ground-averaged unshaded fraction ``1 - min(1, gcr |cos β + sin β tan θp|)`` with θp the sun's
    zenith projected across the rows) plus sky diffuse light times the ground's integrated sky view factor
    (:func:`pvlib.bifacial.utils.vf_ground_sky_2d_integ`). Light reflected by the rows is neglected.

    Parameters
    ----------
    weather : :class:`sim.weather.Weather`.
    surface_tilt, surface_azimuth : row orientation [°] (ignored when ``tracking``).
    gcr : ground coverage ratio [-]; height_m : clearance under the lowest module edge [m];
    slant_height_m : row width [m].
    tracking : single-axis trackers on an axis at ``axis_azimuth`` [°], limited to ``max_angle`` [°], backtracking
        if ``backtrack``.
    growing_season_months : months counted in ``growing_season``.

    Returns
    -------
    dict with ``annual`` and ``growing_season`` fractions [-] (energy-weighted over the period).
    """
    if not (0.0 < gcr < 1.0):
        raise InputError("gcr out of range", field="gcr", value=gcr, allowed="0 < gcr < 1")
    if not (0.0 < height_m <= 50.0):
        raise InputError("height out of range", field="height_m", value=height_m, allowed="0 < height_m <= 50")
    sky = SkyGeometry(weather.data, weather.latitude, weather.longitude, weather.altitude, weather.label)
    if tracking:
        trk = pvlib.tracking.singleaxis(
            sky.zenith,
            sky.azimuth,
            axis_tilt=0.0,
            axis_azimuth=axis_azimuth,
            max_angle=max_angle,
            backtrack=backtrack,
            gcr=gcr,
        )
        rotation = np.nan_to_num(np.asarray(trk["tracker_theta"], float))
        row_azimuth = axis_azimuth + 90.0
    else:
        rotation = np.full(len(sky.day), float(surface_tilt))
        row_azimuth = float(surface_azimuth)
    # projected zenith in the plane across the rows (normal to the row axis), signed toward row_azimuth
    theta_p = np.asarray(
        pvlib.shading.projected_solar_zenith_angle(sky.zenith, sky.azimuth, 0.0, (row_azimuth - 90.0) % 360.0), float
    )
    # pvlib's projection uses the axis convention: positive theta_p toward axis_azimuth + 90 = row_azimuth
    tilt_r = np.radians(rotation)
    shadow = gcr * np.abs(np.cos(tilt_r) + np.sin(tilt_r) * np.tan(np.radians(np.clip(theta_p, -89.9, 89.9))))
    unshaded = 1.0 - np.minimum(1.0, shadow)
    pitch = slant_height_m / gcr
    height = row_centre_height_m(height_m, float(surface_tilt), tracking, max_angle, slant_height_m)
    vf: float | np.ndarray
    if tracking:
        vf = np.asarray(pvlib.bifacial.utils.vf_ground_sky_2d_integ(rotation, gcr, height, pitch), float)
    else:
        vf = float(np.asarray(pvlib.bifacial.utils.vf_ground_sky_2d_integ(float(surface_tilt), gcr, height, pitch)))
    ground = sky.dni * np.cos(np.radians(sky.zenith)) * unshaded + sky.dhi * vf
    ground = np.clip(ground, 0.0, None)
    season = np.isin(sky.month, growing_season_months)
    total = sky.ghi.sum()
    return {
        "annual": float(ground.sum() / total) if total > 0 else float("nan"),
        "growing_season": float(ground[season].sum() / sky.ghi[season].sum()) if season.any() else float("nan"),
    }


def max_gcr_for_crop_light(
    min_fraction: float,
    weather,
    surface_tilt: float,
    surface_azimuth: float,
    height_m: float,
    *,
    tracking: bool = False,
    season: Literal["annual", "growing_season"] = "growing_season",
    **kwargs,
) -> float:
    """Largest GCR whose crop-light fraction (``season``) is still >= ``min_fraction`` [-].

    Bisection on :func:`crop_light_fraction` (which decreases with GCR) to a GCR tolerance of 0.001.
    Returns 0.0 if even a sparse array (GCR 0.02) gives too little light.
    """
    if not (0.0 < min_fraction < 1.0):
        raise InputError(
            "minimum crop-light fraction out of range",
            field="min_crop_light_fraction",
            value=min_fraction,
            allowed="0 < fraction < 1",
        )
    if season not in ("annual", "growing_season"):
        raise InputError("unknown season", field="season", value=season, allowed="annual, growing_season")

    def frac(g: float) -> float:
        return crop_light_fraction(weather, surface_tilt, surface_azimuth, g, height_m, tracking=tracking, **kwargs)[
            season
        ]

    lo, hi = 0.02, 0.95
    if frac(lo) < min_fraction:
        return 0.0
    if frac(hi) >= min_fraction:
        return hi
    while hi - lo > 1e-3:
        mid = 0.5 * (lo + hi)
        if frac(mid) >= min_fraction:
            lo = mid
        else:
            hi = mid
    return lo


def tracker_kwargs(system: SystemConfig) -> dict:
    """The scenario's tracker settings as keyword arguments of :func:`crop_light_fraction`."""
    return {
        "axis_azimuth": system.tracker_axis_azimuth_deg,
        "max_angle": system.tracker_max_angle_deg,
        "backtrack": system.tracker_backtrack,
    }


def design_for_crop_light(sites: Frame, weather, system: SystemConfig, min_crop_light_percent: float | None) -> Frame:
    """Crop light of every agrivoltaic site, and the layout the crop-light minimum allows (module docstring).

    ``sites`` needs ``mount, surface_tilt, surface_azimuth, gcr, height_m, tracking, capacity_kwp, capex_cny``.
    Returns a copy with ``gcr``, ``capacity_kwp`` and ``capex_cny`` of thinned layouts changed and the columns
    ``crop_light_percent``, ``crop_light_growing_season_percent`` [%] (NaN for other mounts) and ``crop_light_ok``
    (False where no layout passes the minimum). Layouts are evaluated once per distinct design, not per site.
    """
    out = sites.copy()
    out["crop_light_percent"] = np.nan
    out["crop_light_growing_season_percent"] = np.nan
    out["crop_light_ok"] = True
    agri = out["mount"].str.startswith("agrivoltaic")
    for design, idx in out[agri].groupby(DESIGN_COLUMNS, sort=True).groups.items():
        values = design if isinstance(design, tuple) else (design,)
        _design_one_layout(
            out, idx, dict(zip(DESIGN_COLUMNS, values, strict=True)), weather, system, min_crop_light_percent
        )
    return out


def _design_one_layout(
    out: pd.DataFrame, idx, layout: dict, weather, system: SystemConfig, min_crop_light_percent: float | None
) -> None:
    """Crop light (and thinning) of the sites ``idx`` sharing one layout; writes into ``out``."""
    tilt, azimuth, gcr, height = (float(layout[k]) for k in ("surface_tilt", "surface_azimuth", "gcr", "height_m"))
    tracking = bool(layout["tracking"])
    kwargs = tracker_kwargs(system)
    light = crop_light_fraction(weather, tilt, azimuth, gcr, height, tracking=tracking, **kwargs)
    if min_crop_light_percent is not None and light["growing_season"] * 100.0 < min_crop_light_percent:
        new_gcr = max_gcr_for_crop_light(
            min_crop_light_percent / 100.0, weather, tilt, azimuth, height, tracking=tracking, **kwargs
        )
        new_gcr = float(np.floor(new_gcr * 100.0) / 100.0)
        if new_gcr < MIN_AGRIVOLTAIC_GCR:
            out.loc[idx, "crop_light_ok"] = False
        else:
            scale = new_gcr / gcr
            out.loc[idx, "gcr"] = new_gcr
            out.loc[idx, "capacity_kwp"] = (out.loc[idx, "capacity_kwp"] * scale).round(2)
            out.loc[idx, "capex_cny"] = (out.loc[idx, "capex_cny"] * scale).round(2)
            light = crop_light_fraction(weather, tilt, azimuth, new_gcr, height, tracking=tracking, **kwargs)
    out.loc[idx, "crop_light_percent"] = round(100.0 * light["annual"], 2)
    out.loc[idx, "crop_light_growing_season_percent"] = round(100.0 * light["growing_season"], 2)
