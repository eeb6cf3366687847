"""Hourly weather for the yield engine: one reader per file format (EPW, TMY3, PVGIS, NSRDB; in the shape of
``pvlib.iotools``), PVGIS fetch with a disk cache, a seeded synthetic year calibrated to monthly means, the time
zone at a location, and validation/repair of whatever comes in.

Every loader returns :class:`Weather` objects whose ``data`` is on a tz-aware regular hourly index of one calendar
year, with columns ``ghi, dni, dhi`` [W/m^2], ``temp_air`` [°C], ``wind_speed`` [m/s] and, when the source has them,
``pressure`` [Pa] and ``albedo`` [-]. Hourly means are stamped at the *start* of their hour (``label="left"``: EPW,
TMY3, NSRDB, synthetic); PVGIS samples, taken near the stamped hour, keep ``label="center"``. The yield engine
places the sun at the middle of each interval from the label.

Modules: :mod:`~sim.weather.base` (the table and its validation), :mod:`~sim.weather.config` (the scenario
section), :mod:`~sim.weather.presets`, one reader module per format (:mod:`~sim.weather.epw`,
:mod:`~sim.weather.tmy3`, :mod:`~sim.weather.pvgis`, :mod:`~sim.weather.nsrdb`), :mod:`~sim.weather.files` (format
detection and the reader table), :mod:`~sim.weather.synthetic`, :mod:`~sim.weather.timezone` and
:mod:`~sim.weather.load` (the years of a run).
"""

from sim.weather.base import (
    COLUMNS,
    LABELS,
    MAX_GAP_HOURS,
    MAX_GHI_W_PER_M2,
    MIN_PEAK_GHI_W_PER_M2,
    OPTIONAL_COLUMNS,
    RawWeather,
    Weather,
    validate_weather,
)
from sim.weather.config import PVGISConfig, SyntheticWeatherConfig, WeatherConfig
from sim.weather.files import READERS, detect_format, read_weather_file
from sim.weather.load import FILE_WARN_DISTANCE_KM, load_weather, synthetic_targets
from sim.weather.presets import (
    BEIJING_GHI_KWH_PER_M2_DAY,
    BEIJING_TEMP_AIR_C,
    BEIJING_WIND_SPEED_M_PER_S,
    PRESET_MAX_DISTANCE_KM,
    PRESETS,
    WeatherPreset,
    distance_km,
    weather_presets,
)
from sim.weather.pvgis import fetch_pvgis_tmy
from sim.weather.synthetic import interannual_factors, synthetic_year
from sim.weather.timezone import time_zone_at

__all__ = [
    "BEIJING_GHI_KWH_PER_M2_DAY",
    "BEIJING_TEMP_AIR_C",
    "BEIJING_WIND_SPEED_M_PER_S",
    "COLUMNS",
    "FILE_WARN_DISTANCE_KM",
    "LABELS",
    "MAX_GAP_HOURS",
    "MAX_GHI_W_PER_M2",
    "MIN_PEAK_GHI_W_PER_M2",
    "OPTIONAL_COLUMNS",
    "PRESETS",
    "PRESET_MAX_DISTANCE_KM",
    "READERS",
    "PVGISConfig",
    "RawWeather",
    "SyntheticWeatherConfig",
    "Weather",
    "WeatherConfig",
    "WeatherPreset",
    "detect_format",
    "distance_km",
    "fetch_pvgis_tmy",
    "interannual_factors",
    "load_weather",
    "read_weather_file",
    "synthetic_targets",
    "synthetic_year",
    "time_zone_at",
    "validate_weather",
    "weather_presets",
]
