"""Yield engine: hourly AC energy per kWp for PV archetypes, vectorised across orientations.

The chain follows PVWatts v8 (the model behind NREL's PVWatts and SAM's ``Pvwattsv8``):

- sun position once per weather year, at the middle of each hourly interval;
- Perez (1990) transposition; the Perez sky-brightness coefficients F1, F2 depend on the sky only, so they are
  read once from :func:`pvlib.irradiance.perez` and then applied to every orientation by broadcasting;
- cover losses of AR-coated glass as PVWatts v8 applies them (De Soto et al. 2006: Fresnel + Bouguer transmittance
  for the beam, Brandemuehl-Beckman equivalent angles for sky and ground diffuse), by table look-up;
- the De Soto air-mass (spectral) modifier, as PVWatts v8;
- cell temperature in the SAPM form ``temp_air + poa * (exp(a + b * wind_speed) + deltaT/1000)``; the open-rack
  and roof-mount coefficients are fitted to PySAM Pvwattsv8's cell temperature (RMSE 0.3 degC on two TMY3 years);
- PVWatts DC (:func:`pvlib.pvsystem.pvwatts_dc` equation) times the relative efficiency at low and high irradiance
  of PVWatts v8's single-diode module (:func:`low_light_factor`: pvlib's ADR model, :func:`pvlib.pvarray.
  pvefficiency_adr`, fitted to PySAM Pvwattsv8's DC output), total system losses, and the PVWatts v8 inverter: Sandia
  model (:func:`pvlib.inverter.sandia`) with C0..C3 = 0 and Pso = 0.4931 % of the AC rating, nominal efficiency
  ``inverter_efficiency_percent`` at the rating, clipping at ``pdc0 / dc_ac_ratio`` (or, with
  ``inverter_model="pvwatts_v5"``, the part-load curve of :func:`pvlib.inverter.pvwatts`); all in float32.

Racks in rows (``fixed_rack``, ``fishery``) get linear row-to-row beam shading and a sky-diffuse masking loss
(:func:`pvlib.shading.masking_angle_passias`). Bifacial or tracking archetypes (agrivoltaic, bifacial fishery)
use :func:`pvlib.bifacial.infinite_sheds.get_irradiance` (with :func:`pvlib.tracking.singleaxis` for trackers).

Against PySAM 7.1 Pvwattsv8 on pvlib's two TMY3 years and two EPW years, annual AC agrees within 0.75 % across
orientations (tests/test_yield_validation.py; without the low-light factor ours was +0.2..+1.3 % high, most at high
latitudes, where more energy comes at low irradiance). PVWatts v8 itself uses a single-diode module model and a
Fuentes-type thermal model; the linear PVWatts DC model with a tabulated irradiance factor and the SAPM-form
temperature fit used here are what keeps the loop vectorised.

Physics is computed once per archetype (mount, tilt, azimuth, GCR, height, tracking, bifaciality), never per site.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pvlib
from pydantic import Field, field_validator

from sim import _config, _upstream  # _upstream silences pvlib's known pandas-3 deprecation warning
from sim._config import MOUNTS, StrictModel, check_range
from sim._io import atomic_write
from sim.errors import InputError
from sim.provenance import files_sha256, package_versions

#: SAPM-form cell-temperature coefficients ``(a, b [s/m], deltaT [degC])`` per thermal class.
#: ``open_rack`` / ``roof_mount`` are fitted to PySAM Pvwattsv8 ``tcell`` (its array types 0 and 1, a Fuentes-type
#: model with NOCT 45 / 49 degC) on the two TMY3 years shipped with pvlib: RMSE 0.26 / 0.30 degC.
#: ``over_water`` is an assumption: open rack with about 5 K less heating at 1000 W/m^2 in still air, for arrays
#: cooled by the pond below.
TEMPERATURE_CLASSES: dict[str, tuple[float, float, float]] = {
    "open_rack": (-3.4816, -0.3402, 9.0314),
    "roof_mount": (-3.3332, -0.3402, 10.4763),
    "over_water": (-3.75, -0.3402, 9.0314),
}

#: Thermal class of each mount: roofs and greenhouse roofs have little air behind the modules.
MOUNT_TEMPERATURE_CLASS = {
    "roof_parallel": "roof_mount",
    "greenhouse": "roof_mount",
    "fixed_rack": "open_rack",
    "carport": "open_rack",
    "agrivoltaic_fixed": "open_rack",
    "agrivoltaic_tracker": "open_rack",
    "fishery": "over_water",
}
#: Mounts built as parallel rows, which shade each other.
ROW_MOUNTS = frozenset({"fixed_rack", "fishery", "agrivoltaic_fixed", "agrivoltaic_tracker"})

ARCHETYPE_COLUMNS = ("mount", "surface_tilt", "surface_azimuth", "gcr", "height_m", "tracking", "bifaciality")

#: Bin widths of :func:`assign_archetypes`.
BIN_TILT_DEG = 0.4
BIN_AZIMUTH_DEG = 0.6  # arc on the sphere of normals: the azimuth bin is BIN_AZIMUTH_DEG / sin(tilt) wide
BIN_GCR = 0.01
BIN_HEIGHT_M = 0.5
BIN_BIFACIALITY = 0.05

#: the code that computes the profiles: the cache key hashes these files with the pvlib and numpy versions (no
#: hand-kept version string to forget: any change of the physics is a new key)
PROFILE_CODE_FILES = (Path(__file__), Path(_config.__file__), Path(_upstream.__file__))
_IAM_TABLE_N = 2048


# accepted ranges of the system settings [unit of each key]
_SYSTEM_RANGES = {
    "losses_percent": (-5.0, 99.0),
    "dc_ac_ratio": (0.5, 3.0),
    "inverter_efficiency_percent": (80.0, 99.9),
    "albedo": (0.0, 1.0),
    "water_albedo": (0.0, 1.0),
    "gamma_pdc_percent_per_c": (-1.0, 0.0),
    "bifacial_rear_loss_percent": (0.0, 50.0),
    "inverter_self_consumption_percent": (0.0, 10.0),
    "tracker_max_angle_deg": (0.0, 90.0),
    "tracker_axis_azimuth_deg": (0.0, 360.0),
    "chunk_size": (1, 100_000),
}


class SystemConfig(StrictModel):
    """System assumptions shared by all archetypes (PVWatts v8 defaults where PVWatts has one)."""

    losses_percent: float = Field(14.0, description="PVWatts total system losses (soiling, wiring, mismatch...) [%]")
    dc_ac_ratio: float = Field(1.2, description="DC nameplate over AC inverter rating [-]")
    inverter_efficiency_percent: float = Field(96.0, description="nominal inverter efficiency [%]")
    albedo: float = Field(0.2, description="ground albedo [-]")
    water_albedo: float = Field(0.08, description="albedo under fishery arrays (open water) [-]")
    gamma_pdc_percent_per_c: float = Field(-0.37, description="power temperature coefficient [%/degC]")
    bifacial_rear_loss_percent: float = Field(
        5.0, description="rear-side structure shading and mismatch, applied to rear irradiance [%]"
    )
    inverter_model: Literal["pvwatts_v8", "pvwatts_v5"] = Field(
        "pvwatts_v8",
        description="pvwatts_v8: Sandia inverter with C0..C3 = 0 and a self-consumption threshold, as "
        "PVWatts v8 (pvlib.inverter.sandia); pvwatts_v5: the PVWatts v5 part-load curve (pvlib.inverter.pvwatts)",
    )
    inverter_self_consumption_percent: float = Field(
        0.4931,
        description="Sandia Pso, DC power needed to start inverting, as % of the AC rating (PVWatts v8 "
        "value for systems of 1 kW and more) [%]",
    )
    tracker_max_angle_deg: float = Field(55.0, description="single-axis tracker rotation limit [deg]")
    tracker_axis_azimuth_deg: float = Field(
        180.0,
        description="azimuth of the horizontal tracker axis (180 or 0 = north-south axis; 90 = east-west) [deg]; "
        "unset in a scenario: from the location, north-south pointing to the equator (sim/sites.py)",
    )
    tracker_backtrack: bool = Field(True, description="single-axis trackers backtrack to avoid row-to-row shading")
    chunk_size: int = Field(2048, description="archetypes evaluated per vectorised chunk (bounds memory) [-]")

    @field_validator(*_SYSTEM_RANGES)
    @classmethod
    def _in_range(cls, v: float, info) -> float:
        lo, hi = _SYSTEM_RANGES[info.field_name]
        return check_range(info.field_name, v, lo, hi)


# --------------------------------------------------------------------------------------------------------------------
# Shared per-weather geometry (computed once per weather year)
# --------------------------------------------------------------------------------------------------------------------


class SkyGeometry:
    """The sky of one weather year, on its daylight hours: the one sun-position and sky-diffuse model that the yield
    engine (:func:`archetype_profiles`, :func:`specific_yield`) and the crop-light model
    (:func:`sim.agrivoltaics.crop_light_fraction`) share.

    Built from hourly weather (``data`` with ``ghi``, ``dni``, ``dhi`` [W/m^2], ``temp_air`` [°C], ``wind_speed``
    [m/s], optionally ``pressure`` [Pa], on a DatetimeIndex), the site's ``latitude``, ``longitude`` [°] and
    ``altitude`` [m], and the timestamp ``label`` of the weather (``left``, ``right`` or ``center`` of the hour:
    the sun is placed at the middle of each hour). Hours with the sun below the horizon or no GHI are left out;
    ``day`` holds the positions of the hours kept.

    Attributes (one value per daylight hour): ``zenith``, ``azimuth`` (apparent sun position [°], pvlib),
    ``ghi``, ``dni``, ``dhi`` [W/m^2], ``temp_air``, ``wind_speed``, ``month``, ``dni_extra`` [W/m^2],
    ``airmass`` (relative), ``f_am`` (PVWatts v8 spectral modifier [-]), ``f1``, ``f2`` (Perez circumsolar and
    horizon coefficients, read back from :func:`pvlib.irradiance.perez`), ``sun`` / ``sun_t`` (the sun's unit
    vector east, north, up). ``n_hours`` is the length of the weather year.
    """

    def __init__(self, data: pd.DataFrame, latitude: float, longitude: float, altitude: float, label: str):
        shift = {"left": pd.Timedelta("30min"), "right": pd.Timedelta("-30min"), "center": pd.Timedelta(0)}
        if label not in shift:
            raise InputError("unknown timestamp label", field="label", value=label, allowed="left, right, center")
        index = data.index
        if not isinstance(index, pd.DatetimeIndex):
            raise TypeError(f"weather data needs a DatetimeIndex, got {type(index).__name__}")
        times = index + shift[label]
        pressure = data["pressure"].to_numpy(float) if "pressure" in data else None
        if pressure is not None and not np.all(np.isfinite(pressure)):
            pressure = None
        sp = pvlib.solarposition.get_solarposition(
            times, latitude, longitude, altitude, pressure=pressure if pressure is not None else 101325.0
        )
        self.n_hours = len(index)
        zen = sp["apparent_zenith"].to_numpy(float)
        ghi = data["ghi"].to_numpy(float)
        self.day = np.flatnonzero((zen < 90.0) & (ghi > 0.0))
        d = self.day
        self.zenith = zen[d]
        self.azimuth = sp["azimuth"].to_numpy(float)[d]
        self.ghi = ghi[d]
        self.dni = np.clip(data["dni"].to_numpy(float)[d], 0.0, None)
        self.dhi = np.clip(data["dhi"].to_numpy(float)[d], 0.0, None)
        self.temp_air = data["temp_air"].to_numpy(float)[d]
        self.wind_speed = np.clip(data["wind_speed"].to_numpy(float)[d], 0.0, None)
        self.month = index.month.to_numpy()[d]
        self.dni_extra = pvlib.irradiance.get_extra_radiation(times).to_numpy(float)[d] if len(d) else np.zeros(0)
        self.airmass = pvlib.atmosphere.get_relative_airmass(self.zenith)
        # spectral (air-mass) modifier of PVWatts v8: De Soto polynomial in the elevation-corrected air mass
        am_abs = pvlib.atmosphere.get_relative_airmass(self.zenith, "kastenyoung1989") * np.exp(-0.0001184 * altitude)
        self.f_am = np.clip(np.polyval(AM_DESOTO[::-1], am_abs), 0.0, None)
        # Perez F1, F2 from pvlib's own model, read back from its components on a vertical plane:
        # isotropic = dhi (1 - F1) (1 + cos 90)/2, horizon = dhi F2 sin 90.
        comp = pvlib.irradiance.perez(
            90.0,
            180.0,
            self.dhi,
            self.dni,
            self.dni_extra,
            self.zenith,
            self.azimuth,
            self.airmass,
            return_components=True,
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = 1.0 - 2.0 * np.asarray(comp["poa_isotropic"], float) / self.dhi
            f2 = np.asarray(comp["poa_horizon"], float) / self.dhi
        # components are zeroed where pvlib clips the vertical plane's sky diffuse at 0: fall back to isotropic
        ok = (self.dhi > 0) & (np.asarray(comp["poa_sky_diffuse"], float) > 0)
        self.f1 = np.where(ok, np.nan_to_num(f1), 0.0)
        self.f2 = np.where(ok, np.nan_to_num(f2), 0.0)
        cz = np.cos(np.radians(self.zenith))
        self.b = np.maximum(cz, np.cos(np.radians(85.0)))
        # sun unit vector (east, north, up)
        sz = np.sin(np.radians(self.zenith))
        az = np.radians(self.azimuth)
        self.sun = np.stack([sz * np.sin(az), sz * np.cos(az), cz])
        f32 = np.float32
        self.sun_t = np.ascontiguousarray(self.sun.T, dtype=f32)  # (H, 3)
        self.dhi_f1_over_b = (self.dhi * self.f1 / self.b).astype(f32)
        self.perez_iso_horizon = np.ascontiguousarray(
            np.stack([self.dhi * (1.0 - self.f1), self.dhi * self.f2], axis=1), dtype=f32
        )  # (H, 2)
        self.ghi = self.ghi.astype(f32)
        self.dni = self.dni.astype(f32)
        self.f_am = self.f_am.astype(f32)
        self._wind_factor: dict[str, np.ndarray] = {}

    def heating(self, tclass: str) -> np.ndarray:
        """exp(a + b * wind_speed) per daylight hour for a thermal class [degC m^2/W]."""
        if tclass not in self._wind_factor:
            a, b, _ = TEMPERATURE_CLASSES[tclass]
            self._wind_factor[tclass] = np.exp(a + b * self.wind_speed)
        return self._wind_factor[tclass]


def _transmittance(theta_deg, n_cover: float, n_incoming: float, k: float, l_thick: float):
    """Transmittance of a cover layer (Fresnel reflection and Bouguer absorption, Duffie & Beckman 5.3).

    Returns ``(tau, refraction angle [°])``.
    """
    t1 = np.radians(theta_deg)
    t2 = np.arcsin(n_incoming / n_cover * np.sin(t1))
    refl = 0.5 * (np.sin(t2 - t1) ** 2 / np.sin(t2 + t1) ** 2 + np.tan(t2 - t1) ** 2 / np.tan(t2 + t1) ** 2)
    return (1.0 - refl) * np.exp(-k * l_thick / np.cos(t2)), np.degrees(t2)


# cover of PVWatts v8 "standard" modules: glass n=1.526, K=4 /m, L=2 mm, with an anti-reflective coating n=1.3
_N_GLASS, _K_GLASS, _L_GLASS = 1.526, 4.0, 0.002
_N_ARC, _K_ARC, _L_ARC = 1.3, 4.0, 0.002 * 0.01


def _tau_norm() -> float:
    tau_c, theta_c = _transmittance(1.0, _N_ARC, 1.0, _K_ARC, _L_ARC)
    return float(tau_c * _transmittance(theta_c, _N_GLASS, 1.0, _K_GLASS, _L_GLASS)[0])


_TAU_NORM = _tau_norm()


def cover_iam_beam(aoi):
    """Beam incidence-angle modifier of AR-coated glass, as PVWatts v8 applies it (De Soto et al. 2006) [-].

    Parameters
    ----------
    aoi : angle of incidence [°]; clipped to 1..89 as PVWatts does.
    """
    theta = np.clip(np.asarray(aoi, float), 1.0, 89.0)
    tau_c, theta_c = _transmittance(theta, _N_ARC, 1.0, _K_ARC, _L_ARC)
    tau = tau_c * _transmittance(theta_c, _N_GLASS, _N_ARC, _K_GLASS, _L_GLASS)[0]
    return np.minimum(tau / _TAU_NORM, 1.0)


def cover_iam_diffuse(surface_tilt):
    """Sky- and ground-diffuse incidence-angle modifiers ``(sky, ground)`` [-] at the Brandemuehl & Beckman
    equivalent angles (Duffie & Beckman eq. 5.4.1-2), as PVWatts v8 applies them.

    Parameters
    ----------
    surface_tilt : [°]
    """
    tilt = np.asarray(surface_tilt, float)
    theta_sky = np.clip(59.7 - 0.1388 * tilt + 0.001497 * tilt**2, 1.0, 89.0)
    theta_gnd = np.clip(90.0 - 0.5788 * tilt + 0.002693 * tilt**2, 1.0, 89.0)
    k_sky = np.minimum(_transmittance(theta_sky, _N_GLASS, 1.0, _K_GLASS, _L_GLASS)[0] / _TAU_NORM, 1.0)
    k_gnd = np.minimum(_transmittance(theta_gnd, _N_GLASS, 1.0, _K_GLASS, _L_GLASS)[0] / _TAU_NORM, 1.0)
    return k_sky, k_gnd


def _iam_table() -> tuple[np.ndarray, float]:
    cos_aoi = np.linspace(0.0, 1.0, _IAM_TABLE_N)
    table = cover_iam_beam(np.degrees(np.arccos(cos_aoi)))
    table[0] = 0.0
    return table.astype(np.float32), float(_IAM_TABLE_N - 1)


_IAM, _IAM_SCALE = _iam_table()
_COS_AOI_MAX = float(np.cos(np.radians(89.5)))
_BEHIND = (np.linspace(0.0, 1.0, _IAM_TABLE_N) <= _COS_AOI_MAX).astype(np.float32)

#: ADR efficiency-model parameters ``(k_d, tc_d, k_rs, k_rsh)`` of :func:`pvlib.pvarray.pvefficiency_adr` (Driesse et
#: al. 2020) for the irradiance dependence of PVWatts v8's module: fitted with :func:`pvlib.pvarray.
#: fit_pvefficiency_adr` to PySAM 7.1 Pvwattsv8's DC output divided by the linear PVWatts temperature factor
#: (standard module, open rack, diffuse-only hours at 5..1100 W/m^2, air temperatures -10..40 degC; RMS error 1.1 %,
#: the rest is the single-diode model's own temperature behaviour, left to gamma_pdc). Relative efficiency 0.87 at
#: 10 W/m^2, 0.93 at 50, 0.98 at 200, 1.004 at 600, 1 at 1000 (PySAM, mean over the temperatures: 0.865, 0.931,
#: 0.980, 1.003).
ADR_PVWATTS_V8 = (-10.9399067, 0.0586834191, 0.0631365342, 5.41710489e-07)
_LOW_LIGHT_STEP_W_PER_M2 = 1.0
_LOW_LIGHT_MAX_W_PER_M2 = 2000.0


def low_light_factor(poa_effective):
    """Relative DC efficiency of a PVWatts v8 module at irradiance ``poa_effective`` [W/m^2] and 25 degC, 1 at
    1000 W/m^2 [-]: the ADR model with :data:`ADR_PVWATTS_V8`. Vectorised; 0 W/m^2 gives 0 power anyway."""
    g = np.clip(np.asarray(poa_effective, float), 0.1, None)
    k_d, tc_d, k_rs, k_rsh = ADR_PVWATTS_V8
    eff = np.asarray(pvlib.pvarray.pvefficiency_adr(g, 25.0, 1.0, k_d, tc_d, k_rs, k_rsh), float)
    ref = float(pvlib.pvarray.pvefficiency_adr(1000.0, 25.0, 1.0, k_d, tc_d, k_rs, k_rsh))
    return eff / ref


def _low_light_table() -> np.ndarray:
    g = np.arange(0.0, _LOW_LIGHT_MAX_W_PER_M2 + _LOW_LIGHT_STEP_W_PER_M2, _LOW_LIGHT_STEP_W_PER_M2)
    return low_light_factor(g).astype(np.float32)


_LOW_LIGHT = _low_light_table()


def _apply_low_light(poa_eff: np.ndarray) -> np.ndarray:
    """:func:`low_light_factor` of a float32 array by table look-up (1 W/m^2 steps) [-]."""
    i = np.clip(poa_eff, 0.0, _LOW_LIGHT_MAX_W_PER_M2)
    i = (i * np.float32(1.0 / _LOW_LIGHT_STEP_W_PER_M2) + np.float32(0.5)).astype(np.int32)
    return _LOW_LIGHT[i]


#: Air-mass modifier coefficients of De Soto et al. (2006), used by PVWatts v8 for spectral effects.
AM_DESOTO = (0.918093, 0.086257, -0.024459, 0.002816, -0.000126)


def _poa_monofacial(
    sky: SkyGeometry, tilt: np.ndarray, azimuth: np.ndarray, albedo: np.ndarray, gcr: np.ndarray | None
):
    """Front POA on daylight hours for N orientations: (poa_global, poa_effective), each (hours, N) float32.

    ``poa_global`` [W/m^2] is the Perez plane-of-array irradiance after row shading (what the cell-temperature model
    sees, as in PVWatts v8); ``poa_effective`` [W/m^2] has, in addition, the cover (incidence-angle) losses and the
    spectral modifier. Rows (``gcr`` finite; NaN = no rows) get linear row-to-row beam shading and the sky-diffuse
    masking loss of :func:`pvlib.shading.sky_diffuse_passias`.
    """
    f32 = np.float32
    t = np.radians(np.asarray(tilt, float))
    a = np.radians(np.asarray(azimuth, float))
    cos_t, sin_t = np.cos(t), np.sin(t)
    normal = np.stack([sin_t * np.sin(a), sin_t * np.cos(a), cos_t]).astype(f32)  # (3, N)
    cos_aoi = sky.sun_t @ normal  # (H, N)
    np.maximum(cos_aoi, 0.0, out=cos_aoi)
    # Perez sky diffuse: dhi [(1-F1)(1+cos t)/2 + F2 sin t] + dhi F1/b cos(aoi), clipped at 0
    sky_diff = sky.perez_iso_horizon @ np.stack([(1.0 + cos_t) / 2.0, sin_t]).astype(f32)
    sky_diff += cos_aoi * sky.dhi_f1_over_b[:, None]
    np.maximum(sky_diff, 0.0, out=sky_diff)
    ground = sky.ghi[:, None] * (albedo * (1.0 - cos_t) / 2.0).astype(f32)
    beam = cos_aoi * sky.dni[:, None]
    lookup = (cos_aoi * _IAM_SCALE).astype(np.int32)
    del cos_aoi
    gcr_rows = np.full(len(t), np.nan) if gcr is None else np.asarray(gcr, float)
    rows = np.isfinite(gcr_rows)
    if rows.any():
        # linear row-to-row beam shading; unshaded part of the row = sin(alpha) / (gcr sin(alpha + tilt)), alpha the
        # sun's elevation projected across the rows
        horiz = sky.sun_t[:, :2] @ np.stack([np.sin(a), np.cos(a)]).astype(f32)  # sin z cos(sun_az - az)
        horiz *= sin_t.astype(f32)
        up = sky.sun_t[:, 2:3]
        horiz += up * cos_t.astype(f32)  # sin(alpha + tilt), up to a positive factor
        horiz *= np.where(rows, gcr_rows, 1.0).astype(f32)
        with np.errstate(divide="ignore", invalid="ignore"):
            unshaded = np.divide(up, horiz, out=np.ones_like(horiz), where=horiz > 0)
        np.clip(unshaded, 0.0, 1.0, out=unshaded)
        unshaded[:, ~rows] = 1.0
        beam *= unshaded
        del horiz, unshaded
        mask = np.asarray(
            pvlib.shading.masking_angle_passias(np.degrees(t), np.where(rows, gcr_rows, 0.01)), dtype=float
        )
        keep = np.where(rows, 1.0 - np.asarray(pvlib.shading.sky_diffuse_passias(mask), float), 1.0)
        sky_diff *= keep.astype(f32)
    diffuse = sky_diff + ground
    poa_global = beam + diffuse
    # cover losses (De Soto / PVWatts v8); PVWatts applies them only while 0.5 < aoi < 89.5 degrees
    k_sky, k_gnd = cover_iam_diffuse(np.degrees(t))
    sky_diff *= k_sky.astype(f32)
    ground *= k_gnd.astype(f32)
    sky_diff += ground  # effective diffuse
    diffuse -= sky_diff  # cover loss of the diffuse light...
    diffuse *= _BEHIND[lookup]  # ...given back where the sun is behind the plane
    beam *= _IAM[lookup]
    beam += sky_diff
    beam += diffuse
    beam *= sky.f_am[:, None]
    return poa_global, beam


def _pvwatts_ac(poa_global, poa_eff, temp_air, heating, delta_t, system: SystemConfig) -> np.ndarray:
    """AC power per kW DC [kW/kWp] from POA arrays (hours, N): PVWatts DC, losses and inverter, in float32.

    The inverter is :func:`pvlib.inverter.sandia` (PVWatts v8 parameters) or :func:`pvlib.inverter.pvwatts`
    written out in place (same equations, tested equal), so that no float64 temporaries of (hours, N) are made.
    """
    f32 = np.float32
    gamma = f32(system.gamma_pdc_percent_per_c / 100.0)
    derate = f32(1.0 - system.losses_percent / 100.0)
    # temp_cell = temp_air + poa_global * (exp(a + b ws) + deltaT/1000)
    temp_cell = poa_global * (heating + (np.asarray(delta_t, f32) / f32(1000.0)))
    temp_cell += temp_air[:, None]
    # pdc = poa_eff/1000 * (1 + gamma (temp_cell - 25)) * low_light(poa_eff) * (1 - losses)   [kW per kWp]
    temp_cell -= f32(25.0)
    temp_cell *= gamma
    temp_cell += f32(1.0)
    pdc = temp_cell
    pdc *= poa_eff
    pdc *= _apply_low_light(poa_eff)
    pdc *= derate / f32(1000.0)
    eta_nom = f32(system.inverter_efficiency_percent / 100.0)
    pac0 = f32(1.0 / system.dc_ac_ratio)  # AC rating [kW per kWp DC]
    pdc0_inv = pac0 / eta_nom  # DC input at the AC rating
    if system.inverter_model == "pvwatts_v8":
        # pvlib.inverter.sandia with C0..C3 = 0: Pac = Paco (Pdc - Pso) / (Pdco - Pso), zero below Pso
        pso = f32(system.inverter_self_consumption_percent / 100.0) * pac0
        pac = pdc - pso
        pac *= pac0 / (pdc0_inv - pso)
    else:
        # pvlib.inverter.pvwatts: eta = eta_nom / eta_ref * (-0.0162 zeta - 0.0059 / zeta + 0.9858)
        zeta = pdc / pdc0_inv
        np.maximum(zeta, f32(1e-12), out=zeta)
        eta = f32(-0.0059) / zeta
        zeta *= f32(-0.0162)
        eta += zeta
        eta += f32(0.9858)
        eta *= eta_nom / f32(0.9637)
        pac = eta
        pac *= pdc
    np.minimum(pac, pac0, out=pac)
    np.maximum(pac, f32(0.0), out=pac)
    pac[pdc <= 0] = 0.0
    return pac


def _as_frame(weather) -> tuple[pd.DataFrame, str | None]:
    if isinstance(weather, pd.DataFrame):
        return weather, None
    return weather.data, getattr(weather, "label", None)


def specific_yield(
    weather,
    latitude: float,
    longitude: float,
    altitude: float,
    surface_tilt: float,
    surface_azimuth: float,
    *,
    losses_percent: float = 14.0,
    dc_ac_ratio: float = 1.2,
    inverter_efficiency_percent: float = 96.0,
    albedo: float = 0.2,
    gamma_pdc_percent_per_c: float = -0.37,
    label: str | None = None,
) -> pd.Series:
    """Hourly AC energy per kWp DC of one open-rack, monofacial array without row shading (the PVWatts case).

    Parameters
    ----------
    weather : :class:`sim.weather.Weather` or DataFrame with ``ghi, dni, dhi`` [W/m^2], ``temp_air`` [°C],
        ``wind_speed`` [m/s] on an hourly tz-aware index.
    latitude, longitude : site position [°]; altitude [m].
    surface_tilt : tilt from horizontal [°]; surface_azimuth : azimuth clockwise from north (180 = south) [°].
    losses_percent, dc_ac_ratio, inverter_efficiency_percent, albedo, gamma_pdc_percent_per_c : as
        :class:`SystemConfig`.
    label : which end of each hour the timestamps mark ("left", "right", "center"); None takes the weather's own
        label ("left" for a plain DataFrame). The sun is placed at mid-interval.

    Returns
    -------
    Series of AC energy [kWh/kWp] per hour on the weather's index.
    """
    data, own_label = _as_frame(weather)
    label = label or own_label or "left"
    system = SystemConfig(
        losses_percent=losses_percent,
        dc_ac_ratio=dc_ac_ratio,
        inverter_efficiency_percent=inverter_efficiency_percent,
        albedo=albedo,
        gamma_pdc_percent_per_c=gamma_pdc_percent_per_c,
    )
    _check_angles(np.array([surface_tilt]), np.array([surface_azimuth]))
    sky = SkyGeometry(data, latitude, longitude, altitude, label)
    poa_g, poa_e = _poa_monofacial(
        sky, np.array([float(surface_tilt)]), np.array([float(surface_azimuth)]), np.array([albedo], float), None
    )
    dt = TEMPERATURE_CLASSES["open_rack"][2]
    heating = sky.heating("open_rack").astype(np.float32)[:, None]
    pac = _pvwatts_ac(poa_g, poa_e, sky.temp_air.astype(np.float32), heating, dt, system)
    out = np.zeros(len(data), float)
    out[sky.day] = pac[:, 0]
    return pd.Series(out, index=data.index, name="ac_kwh_per_kwp")


def _check_angles(tilt: np.ndarray, azimuth: np.ndarray) -> None:
    bad = ~np.isfinite(tilt) | (tilt < 0) | (tilt > 90)
    if bad.any():
        raise InputError(
            "surface tilt out of range",
            field="surface_tilt",
            value=tilt[bad][:5].tolist(),
            allowed="0 .. 90 degrees from horizontal",
        )
    bad = ~np.isfinite(azimuth) | (azimuth < 0) | (azimuth > 360)
    if bad.any():
        raise InputError(
            "surface azimuth out of range",
            field="surface_azimuth",
            value=azimuth[bad][:5].tolist(),
            allowed="0 .. 360 degrees clockwise from north (180 = south)",
        )


# --------------------------------------------------------------------------------------------------------------------
# Archetypes
# --------------------------------------------------------------------------------------------------------------------


def _validate_archetype_table(df: pd.DataFrame, what: str) -> pd.DataFrame:
    missing = [c for c in ARCHETYPE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{what} lacks columns", field=", ".join(missing), allowed=", ".join(ARCHETYPE_COLUMNS))
    out = pd.DataFrame(index=df.index)
    out["mount"] = df["mount"].astype(str)
    bad = ~out["mount"].isin(MOUNTS)
    if bad.any():
        raise InputError(
            f"unknown mount in {what}",
            field="mount",
            value=sorted(set(out["mount"][bad]))[:5],
            allowed=", ".join(MOUNTS),
        )
    for col in ("surface_tilt", "surface_azimuth", "gcr", "height_m", "bifaciality"):
        out[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    out["tracking"] = df["tracking"].fillna(False).astype(bool) | (out["mount"] == "agrivoltaic_tracker")
    # trackers have no fixed orientation: missing tilt/azimuth are fine there
    trk = out["tracking"].to_numpy()
    out.loc[trk & out["surface_tilt"].isna().to_numpy(), "surface_tilt"] = 0.0
    out.loc[trk & out["surface_azimuth"].isna().to_numpy(), "surface_azimuth"] = 180.0
    _check_angles(out["surface_tilt"].to_numpy(), out["surface_azimuth"].to_numpy())
    for col, lo, hi, allowed in (
        ("gcr", 0.01, 0.99, "0.01 .. 0.99"),
        ("height_m", 0.0, 50.0, "0 .. 50 m"),
        ("bifaciality", 0.0, 1.0, "0 .. 1"),
    ):
        v = out[col].to_numpy()
        bad = np.isfinite(v) & ((v < lo) | (v > hi))
        if col == "gcr":  # rows need a GCR; other mounts ignore it (NaN allowed)
            bad |= ~np.isfinite(v) & out["mount"].isin(ROW_MOUNTS).to_numpy()
        if bad.any():
            raise InputError(f"{col} out of range in {what}", field=col, value=v[bad][:5].tolist(), allowed=allowed)
    return out


def assign_archetypes(sites_df: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Bin sites into archetypes of equal physics.

    Tilt is binned to 0.4°, azimuth to bins of 0.6° of arc on the sphere of surface normals (0.6°/sin(tilt) of
    azimuth; irrelevant, set to 180, for flat arrays and trackers), GCR to 0.01 and
    height to 0.5 m (rows only), bifaciality to 0.05; mount and tracking are kept exactly. Binning changes annual
    energy by <= 0.5 % (tested).

    Parameters
    ----------
    sites_df : DataFrame with ``mount, surface_tilt [°], surface_azimuth [°], gcr [-], height_m [m] (clearance
        under the lowest module edge), tracking, bifaciality [-]``.

    Returns
    -------
    archetype_index : int array aligned with ``sites_df`` rows, index into ``archetypes``.
    archetypes : DataFrame (RangeIndex ``archetype``) with the binned columns and ``n_sites``.
    """
    df = _validate_archetype_table(sites_df, "site table")
    b = pd.DataFrame(index=np.arange(len(df)))
    b["mount"] = df["mount"].to_numpy()
    tracking = df["tracking"].to_numpy() | (b["mount"].to_numpy() == "agrivoltaic_tracker")
    b["tracking"] = tracking
    tilt = np.round(df["surface_tilt"].to_numpy() / BIN_TILT_DEG) * BIN_TILT_DEG
    # azimuth bins of equal arc on the sphere of surface normals: width BIN_AZIMUTH_DEG / sin(tilt), so steep
    # planes (whose yield is sensitive to azimuth) get fine bins and nearly flat ones coarse bins
    sin_t = np.sin(np.radians(np.maximum(tilt, BIN_TILT_DEG)))
    width = np.minimum(BIN_AZIMUTH_DEG / sin_t, 90.0)
    n_bins = np.maximum(np.round(360.0 / width), 1.0)
    width = 360.0 / n_bins
    az = np.round((180.0 + np.round((df["surface_azimuth"].to_numpy() - 180.0) / width) * width) % 360.0, 6)
    tilt = np.round(tilt, 6)
    az = np.where((tilt == 0) | tracking, 180.0, az)
    tilt = np.where(tracking, 0.0, tilt)
    b["surface_tilt"] = tilt
    b["surface_azimuth"] = az
    rows = b["mount"].isin(ROW_MOUNTS).to_numpy()
    gcr = np.round(np.round(df["gcr"].to_numpy() / BIN_GCR) * BIN_GCR, 6)
    b["gcr"] = np.where(rows, np.clip(gcr, BIN_GCR, 0.99), np.nan)
    height = np.round(df["height_m"].to_numpy() / BIN_HEIGHT_M) * BIN_HEIGHT_M
    bif = np.round(df["bifaciality"].fillna(0.0).to_numpy() / BIN_BIFACIALITY) * BIN_BIFACIALITY
    b["bifaciality"] = bif
    needs_height = rows & ((bif > 0) | tracking)
    b["height_m"] = np.where(needs_height, np.maximum(height, BIN_HEIGHT_M), np.nan)
    key_cols = list(ARCHETYPE_COLUMNS)
    codes, uniques = pd.MultiIndex.from_frame(b[key_cols].fillna(-1.0)).factorize(sort=True)
    archetypes = pd.DataFrame(list(uniques), columns=key_cols)
    for col in ("gcr", "height_m"):
        archetypes[col] = archetypes[col].where(archetypes[col] >= 0)
    archetypes["tracking"] = archetypes["tracking"].astype(bool)
    archetypes["n_sites"] = np.bincount(codes, minlength=len(archetypes))
    archetypes.index.name = "archetype"
    return codes.astype(np.int64), archetypes


def degradation_factor(age_years, first_year_percent: float, percent_per_year: float):
    """Remaining output share [-] of a system ``age_years`` old [years]: ``(1 - d1 / 100) x (1 - d / 100) ** age``,
    ``d1`` the first-year loss from commissioning (light-induced degradation) [%], ``d`` the loss per year of age
    [%/year] (defaults and sources: :class:`sim.rollout.config.OperationConfig`). The one degradation rule of the
    model: the accounting's energy and the plan's value weights both call it."""
    return (1.0 - first_year_percent / 100.0) * (1.0 - percent_per_year / 100.0) ** age_years


def profile_code_sha256() -> str:
    """sha256 of :data:`PROFILE_CODE_FILES` and the versions of pvlib and numpy: the code part of the cache key."""
    return files_sha256(PROFILE_CODE_FILES, package_versions(("pvlib", "numpy")))


def _table_hash(archetypes: pd.DataFrame, system: SystemConfig) -> str:
    h = hashlib.sha256(profile_code_sha256().encode())
    h.update(pd.util.hash_pandas_object(archetypes[list(ARCHETYPE_COLUMNS)], index=False).to_numpy().tobytes())
    h.update(system.model_dump_json(exclude={"chunk_size"}).encode())
    return h.hexdigest()[:24]


def archetype_profiles(
    weather, archetypes: pd.DataFrame, system: SystemConfig | None = None, cache_dir: str | Path | None = None
) -> np.ndarray:
    """Hourly AC energy per kWp of each archetype for one weather year.

    Parameters
    ----------
    weather : :class:`sim.weather.Weather` (its latitude, longitude, altitude and label are used).
    archetypes : DataFrame from :func:`assign_archetypes` (columns ``mount, surface_tilt [°], surface_azimuth [°],
        gcr, height_m [m], tracking, bifaciality``).
    system : :class:`SystemConfig`; defaults when None.
    cache_dir : folder for an ``.npy`` cache keyed by the weather, the archetype table and the system config.

    Returns
    -------
    float32 array (hours, n_archetypes) of AC energy [kWh/kWp] per hour.
    """
    system = system or SystemConfig()
    table = _validate_archetype_table(archetypes, "archetype table")
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"profiles_{weather.key[:24]}_{_table_hash(table, system)}.npy"
        if path.exists():
            try:
                cached = np.load(path)
                if cached.shape == (len(weather.data), len(table)):
                    return cached
            except (OSError, ValueError):
                pass
    out = _profiles(weather, table, system)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.save(buffer, out, allow_pickle=False)
        atomic_write(path, buffer.getvalue())
    return out


def _profiles(weather, table: pd.DataFrame, system: SystemConfig) -> np.ndarray:
    data = weather.data
    sky = SkyGeometry(data, weather.latitude, weather.longitude, weather.altitude, weather.label)
    n = len(table)
    out = np.zeros((len(data), n), np.float32)
    if len(sky.day) == 0 or n == 0:
        return out
    mount = table["mount"].to_numpy()
    tracking = table["tracking"].to_numpy() | (mount == "agrivoltaic_tracker")
    bif = np.nan_to_num(table["bifaciality"].to_numpy())
    special = tracking | (bif > 0)
    tclass = np.array([MOUNT_TEMPERATURE_CLASS[m] for m in mount])
    albedo = np.where(mount == "fishery", system.water_albedo, system.albedo)
    gcr = np.where(np.isin(mount, list(ROW_MOUNTS)), table["gcr"].to_numpy(), np.nan)
    temp_air = sky.temp_air.astype(np.float32)
    class_names, class_idx = np.unique(tclass, return_inverse=True)
    heat = np.stack([sky.heating(c) for c in class_names], axis=1).astype(np.float32)  # (H, n_classes)
    delta_t_all = np.array([TEMPERATURE_CLASSES[c][2] for c in tclass], np.float32)
    tilt_all = table["surface_tilt"].to_numpy(float)
    az_all = table["surface_azimuth"].to_numpy(float)
    day = sky.day
    # contiguous runs of non-special columns, cut into chunks, written straight into the output rows of daylight
    for start, stop in _runs(~special, system.chunk_size):
        cols = slice(start, stop)
        poa_g, poa_e = _poa_monofacial(sky, tilt_all[cols], az_all[cols], albedo[cols], gcr[cols])
        ci = class_idx[cols]
        heating = heat[:, ci[:1]] if np.all(ci == ci[0]) else heat[:, ci]
        out[day, cols] = _pvwatts_ac(poa_g, poa_e, temp_air, heating, delta_t_all[cols], system)
    for j in np.flatnonzero(special):
        row = table.iloc[j]
        out[day, j] = _bifacial_or_tracking(sky, row, bool(tracking[j]), float(albedo[j]), system)
    return out


def _runs(mask: np.ndarray, chunk: int):
    """(start, stop) of runs of True in ``mask``, each at most ``chunk`` long."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    for start, stop in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
        for s0 in range(int(start), int(stop), chunk):
            yield s0, min(s0 + chunk, int(stop))


ROW_SLANT_HEIGHT_M = 2.0  # width of a row of elevated / agrivoltaic modules (two modules in portrait) [m]


def row_centre_height_m(
    clearance_m: float, surface_tilt: float, tracking: bool, max_angle: float, slant: float
) -> float:
    """Height of the row centre (tracker axis) [m] from the clearance under the lowest module edge [m] (as
    regulations state it): ``clearance + slant / 2 x sin(tilt)``, the tilt of a tracker being its rotation limit
    ``max_angle`` [°]; ``slant`` is the row width [m]. The view-factor models take the centre height."""
    tilt = max_angle if tracking else surface_tilt
    return clearance_m + 0.5 * slant * np.sin(np.radians(tilt))


def _bifacial_or_tracking(sky: SkyGeometry, row, tracking: bool, albedo: float, system: SystemConfig) -> np.ndarray:
    """AC [kW/kWp] on daylight hours of an elevated row array (fixed or single-axis tracker), front + rear."""
    gcr = float(row["gcr"]) if np.isfinite(row["gcr"]) else 0.3
    height = float(row["height_m"]) if np.isfinite(row["height_m"]) else 2.5
    bifaciality = float(np.nan_to_num(row["bifaciality"]))
    tilt: float | np.ndarray
    azimuth: float | np.ndarray
    if tracking:
        trk = pvlib.tracking.singleaxis(
            sky.zenith,
            sky.azimuth,
            axis_tilt=0.0,
            axis_azimuth=system.tracker_axis_azimuth_deg,
            max_angle=system.tracker_max_angle_deg,
            backtrack=system.tracker_backtrack,
            gcr=gcr,
        )
        tilt = np.nan_to_num(np.asarray(trk["surface_tilt"], float))
        azimuth = np.asarray(trk["surface_azimuth"], float)
        azimuth = np.where(np.isfinite(azimuth), azimuth, system.tracker_axis_azimuth_deg + 90.0)
    else:  # scalars: pvlib then computes the view factors once instead of per hour
        tilt = float(row["surface_tilt"])
        azimuth = float(row["surface_azimuth"])
    # row width (slant height) 2 m; height_m is the clearance under the lowest module edge (as regulations state
    # it), turned into the height of the row centre that the view-factor model uses
    slant = ROW_SLANT_HEIGHT_M
    pitch = slant / gcr
    height = row_centre_height_m(height, float(row["surface_tilt"]), tracking, system.tracker_max_angle_deg, slant)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        irr = pvlib.bifacial.infinite_sheds.get_irradiance(
            tilt,
            azimuth,
            sky.zenith,
            sky.azimuth,
            gcr,
            height,
            pitch,
            sky.ghi,
            sky.dhi,
            sky.dni,
            albedo,
            model="haydavies",
            dni_extra=sky.dni_extra,
            bifaciality=max(bifaciality, 1e-6),
            shade_factor=0.0,
        )
    aoi = np.asarray(pvlib.irradiance.aoi(tilt, azimuth, sky.zenith, sky.azimuth), float)
    k_sky, k_gnd = cover_iam_diffuse(tilt)
    front_g = np.nan_to_num(np.asarray(irr["poa_front"], float))
    front_e = (
        np.nan_to_num(np.asarray(irr["poa_front_direct"], float)) * cover_iam_beam(aoi)
        + np.nan_to_num(np.asarray(irr["poa_front_sky_diffuse"], float)) * k_sky
        + np.nan_to_num(np.asarray(irr["poa_front_ground_diffuse"], float)) * k_gnd
    ) * sky.f_am
    back = np.nan_to_num(np.asarray(irr["poa_back"], float)) * bifaciality
    back *= 1.0 - system.bifacial_rear_loss_percent / 100.0
    tclass = MOUNT_TEMPERATURE_CLASS[row["mount"]]
    dt = TEMPERATURE_CLASSES[tclass][2]
    heating = sky.heating(tclass).astype(np.float32)[:, None]
    pac = _pvwatts_ac(
        (front_g + back).astype(np.float32)[:, None],
        (front_e + back * sky.f_am).astype(np.float32)[:, None],
        sky.temp_air.astype(np.float32),
        heating,
        dt,
        system,
    )
    return pac[:, 0]
