"""Named typical years (monthly means) the synthetic year can be calibrated to, and the great-circle distance that
keeps a county on its own climate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim._config import TABLES


@dataclass(frozen=True)
class WeatherPreset:
    """Monthly means of a named typical year (``sim/tables/weather_presets.csv``) and where they were measured."""

    name: str
    monthly_ghi_kwh_per_m2_day: list[float]
    monthly_temp_air_c: list[float]
    monthly_wind_speed_m_per_s: list[float]
    latitude: float
    longitude: float
    period: str
    station: str
    source: str


def weather_presets() -> dict[str, WeatherPreset]:
    """The shipped synthetic-weather presets by name (``sim/tables/weather_presets.csv``, one row per month)."""
    table = pd.read_csv(TABLES / "weather_presets.csv").sort_values(["preset", "month"])
    out = {}
    for name, rows in table.groupby("preset", sort=False):
        first = rows.iloc[0]
        out[str(name)] = WeatherPreset(
            name=str(name),
            monthly_ghi_kwh_per_m2_day=rows["ghi_kwh_per_m2_day"].astype(float).tolist(),
            monthly_temp_air_c=rows["temp_air_c"].astype(float).tolist(),
            monthly_wind_speed_m_per_s=rows["wind_speed_m_per_s"].astype(float).tolist(),
            latitude=float(first["latitude_deg"]),
            longitude=float(first["longitude_deg"]),
            period=str(first["period"]),
            station=str(first["station"]),
            source=str(first["source"]),
        )
    return out


PRESETS = weather_presets()
#: Beijing's older typical year (IWEC, WMO 545110, 1982-1999): the ``beijing_iwec`` preset.
BEIJING_GHI_KWH_PER_M2_DAY = PRESETS["beijing_iwec"].monthly_ghi_kwh_per_m2_day
BEIJING_TEMP_AIR_C = PRESETS["beijing_iwec"].monthly_temp_air_c
BEIJING_WIND_SPEED_M_PER_S = PRESETS["beijing_iwec"].monthly_wind_speed_m_per_s
#: A preset's station may be at most this far from the county [km].
PRESET_MAX_DISTANCE_KM = 300.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of radius 6371.0088 km (the IUGG mean Earth radius) [km]."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))
