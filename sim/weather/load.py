"""The weather years of a run, from the scenario's ``weather:`` section: a synthetic year at the county, the county's
weather files, or a PVGIS typical year."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from sim.errors import InputError, InputWarning
from sim.weather.base import Weather, _check_location
from sim.weather.config import SyntheticWeatherConfig, WeatherConfig
from sim.weather.files import read_weather_file
from sim.weather.presets import PRESET_MAX_DISTANCE_KM, PRESETS, distance_km
from sim.weather.pvgis import fetch_pvgis_tmy
from sim.weather.synthetic import interannual_factors, synthetic_year

#: A weather file measured farther than this from the county gets a warning [km].
FILE_WARN_DISTANCE_KM = 50.0


def synthetic_targets(
    config: SyntheticWeatherConfig, latitude: float, longitude: float
) -> tuple[list[float], list[float], list[float]]:
    """The 12 monthly GHI [kWh/m2/day], air temperature [°C] and wind [m/s] targets of the synthetic year at the
    county (``latitude``, ``longitude`` [°]): the scenario's own values where given, else the preset's. A preset
    must be within :data:`PRESET_MAX_DISTANCE_KM` of the county, so that no county runs on another place's climate."""
    own = (config.monthly_ghi_kwh_per_m2_day, config.monthly_temp_air_c, config.monthly_wind_speed_m_per_s)
    names = ("monthly_ghi_kwh_per_m2_day", "monthly_temp_air_c", "monthly_wind_speed_m_per_s")
    if config.preset is None:
        missing = [n for n, v in zip(names, own) if v is None]
        if missing:
            raise InputError(
                "the synthetic year needs the county's own monthly means or a preset near it",
                field="weather.synthetic." + ", ".join(missing),
                allowed="12 values each (January..December) for this county, or weather.synthetic.preset "
                "within 300 km: "
                + "; ".join(f"{p.name} ({p.latitude:.2f} N, {p.longitude:.2f} E)" for p in PRESETS.values())
                + "; or weather.source file / pvgis",
            )
        return own  # type: ignore[return-value]
    preset = PRESETS[config.preset]
    d = distance_km(latitude, longitude, preset.latitude, preset.longitude)
    if d > PRESET_MAX_DISTANCE_KM and any(v is None for v in own):
        raise InputError(
            f"weather preset {preset.name} ({preset.station}, {preset.latitude:.2f} N "
            f"{preset.longitude:.2f} E) is {d:.0f} km from the county ({latitude:.2f}, {longitude:.2f})",
            field="weather.synthetic.preset",
            value=preset.name,
            allowed=f"a preset within {PRESET_MAX_DISTANCE_KM:.0f} km, the county's own "
            "weather.synthetic.monthly_* values, or weather.source file / pvgis",
        )
    p_vals = (preset.monthly_ghi_kwh_per_m2_day, preset.monthly_temp_air_c, preset.monthly_wind_speed_m_per_s)
    return tuple(list(v) if v is not None else list(pv) for v, pv in zip(own, p_vals))  # type: ignore[return-value]


def _warn_if_far(w: Weather, path: Path, latitude: float, longitude: float) -> None:
    """One InputWarning when the file was measured more than :data:`FILE_WARN_DISTANCE_KM` from the county."""
    d = distance_km(latitude, longitude, w.latitude, w.longitude)
    if d > FILE_WARN_DISTANCE_KM:
        warnings.warn(
            f"{path}: weather measured at {w.latitude:.3f}, {w.longitude:.3f} is {d:.0f} km from the county "
            f"centre ({latitude:.3f}, {longitude:.3f}); the sun is placed at the file's location "
            f"(weather.latitude_deg / longitude_deg override it)",
            InputWarning,
            stacklevel=3,
        )


def load_weather(
    config: WeatherConfig,
    base_dir: str | Path,
    *,
    latitude: float,
    longitude: float,
    altitude: float = 0.0,
    cache_dir: str | Path | None = None,
    tz: str | None = None,
) -> list[Weather]:
    """Weather years for a run, one :class:`Weather` per year.

    Parameters
    ----------
    config : :class:`WeatherConfig`.
    base_dir : folder that relative ``files`` are resolved against (the scenario's folder).
    latitude, longitude [°], altitude [m] : the county centroid, used unless the config gives its own. A synthetic
        year and a PVGIS fetch are placed there; a weather file keeps its own location for the sun (its irradiance
        was measured there), with an InputWarning when that is over 50 km from the county.
    cache_dir : cache folder for PVGIS downloads (``config.pvgis.cache_dir`` wins when set).
    tz : time zone of a synthetic year's clock (default: the zone at its location); files keep their own.
    """
    lat = config.latitude_deg if config.latitude_deg is not None else latitude
    lon = config.longitude_deg if config.longitude_deg is not None else longitude
    alt = config.altitude_m if config.altitude_m is not None else altitude
    if config.source == "synthetic":
        _check_location(lat, lon, alt)
        s = config.synthetic
        ghi, temp, wind = synthetic_targets(s, lat, lon)
        factors = interannual_factors(s.n_years, s.interannual_ghi_sd_percent, s.seed)
        years = [
            synthetic_year(
                lat, lon, alt, np.minimum(np.asarray(ghi) * f, 12.0), temp, wind, year=s.year + k, seed=s.seed, tz=tz
            )
            for k, f in enumerate(factors)
        ]
        own = all(
            v is not None for v in (s.monthly_ghi_kwh_per_m2_day, s.monthly_temp_air_c, s.monthly_wind_speed_m_per_s)
        )
        climate = "own monthly means" if own or s.preset is None else f"preset {s.preset}"
        for w in years:  # say which climate the year was calibrated to (summary.json "weather")
            w.source = f"synthetic({climate}, seed={s.seed}, year={w.data.index[0].year})"
        return years
    if config.source == "file":
        base = Path(base_dir)
        out = []
        for name in config.files:
            path = Path(name)
            path = path if path.is_absolute() else base / path
            w = read_weather_file(
                path,
                config.format,
                latitude=config.latitude_deg,
                longitude=config.longitude_deg,
                altitude=config.altitude_m,
            )
            _warn_if_far(w, path, latitude, longitude)
            out.append(w)
        return out
    own_dir = config.pvgis.cache_dir
    cache = (
        (Path(base_dir) / own_dir)
        if own_dir is not None and not Path(own_dir).is_absolute()
        else (own_dir or cache_dir)
    )
    w = fetch_pvgis_tmy(
        lat,
        lon,
        cache,
        timeout_s=config.pvgis.timeout_s,
        url=config.pvgis.url,
        startyear=config.pvgis.startyear,
        endyear=config.pvgis.endyear,
    )
    if config.altitude_m is not None:
        w.altitude = float(config.altitude_m)
    return [w]
