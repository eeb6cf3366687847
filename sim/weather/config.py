"""The scenario's ``weather:`` section: where the hourly weather comes from."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim._config import StrictModel, check_range
from sim.weather.presets import PRESETS


def _twelve(name: str, values: list[float], lo: float, hi: float, unit: str) -> list[float]:
    if len(values) != 12:
        raise ValueError(f"{name} needs 12 monthly values (January..December), got {len(values)}")
    for month, v in enumerate(values, start=1):
        if not np.isfinite(v) or v < lo or v > hi:
            raise ValueError(f"{name}: month {month} value {v!r} is not plausible; allowed: {lo} .. {hi} {unit}")
    return [float(v) for v in values]


# accepted ranges of the 12 monthly calibration targets: (low, high, unit)
_MONTHLY_RANGES = {
    "monthly_ghi_kwh_per_m2_day": (0.0, 12.0, "kWh/m2/day"),
    "monthly_temp_air_c": (-60.0, 60.0, "degC"),
    "monthly_wind_speed_m_per_s": (0.0, 40.0, "m/s"),
}


class SyntheticWeatherConfig(StrictModel):
    """What a synthetic year is calibrated to: the scenario's own 12 monthly means, or a named preset whose station
    is within 300 km of the county (the shipped presets: ``sim/tables/weather_presets.csv``)."""

    preset: str | None = Field(
        None,
        description="named typical year to calibrate to: "
        + ", ".join(f"{p.name} ({p.station}, {p.period})" for p in PRESETS.values())
        + "; its station must be within 300 km of "
        "the county; monthly values given here replace the preset's",
    )
    monthly_ghi_kwh_per_m2_day: list[float] | None = Field(
        None,
        description="12 monthly mean daily GHI targets (January..December) for the county; required unless a preset is given",
    )
    monthly_temp_air_c: list[float] | None = Field(
        None, description="12 monthly mean air temperatures; required unless a preset is given"
    )
    monthly_wind_speed_m_per_s: list[float] | None = Field(
        None, description="12 monthly mean wind speeds; required unless a preset is given"
    )
    year: int = Field(2023, description="calendar year the synthetic weather is laid on")
    n_years: int = Field(
        1,
        description="number of stochastic weather years (inter-annual variability; year y of the horizon uses year y mod n)",
    )
    seed: int = Field(0, description="seed of the synthetic weather's random stream")
    interannual_ghi_sd_percent: float = Field(
        4.0,
        description="year-to-year standard deviation of annual GHI when n_years > 1 [%]; the mean over the "
        "years still equals the monthly targets",
    )

    @field_validator(*_MONTHLY_RANGES)
    @classmethod
    def _monthly(cls, v: list[float] | None, info) -> list[float] | None:
        if v is None:
            return None
        lo, hi, unit = _MONTHLY_RANGES[info.field_name]
        return _twelve(info.field_name, v, lo, hi, unit)

    @field_validator("preset")
    @classmethod
    def _preset(cls, v: str | None) -> str | None:
        if v is not None and v not in PRESETS:
            raise ValueError(f"unknown weather preset {v!r}; allowed: {', '.join(PRESETS)}")
        return v

    @field_validator("year", "interannual_ghi_sd_percent")
    @classmethod
    def _in_range(cls, v: float, info) -> float | None:
        lo, hi = {"year": (1900, 2200), "interannual_ghi_sd_percent": (0, 20)}[info.field_name]
        return check_range(info.field_name, v, lo, hi)

    @field_validator("n_years")
    @classmethod
    def _n_years(cls, v: int) -> int:
        if not 1 <= v <= 100:
            raise ValueError(f"n_years {v} is out of range; allowed: 1 .. 100")
        return v


class PVGISConfig(StrictModel):
    """Fetching a typical year from PVGIS (JRC); results are cached on disk."""

    cache_dir: str | None = Field(
        None, description="where fetched PVGIS files are cached (default: the run's cache folder)"
    )
    timeout_s: float = Field(30.0, description="network timeout of the PVGIS request")
    url: str = Field("https://re.jrc.ec.europa.eu/api/", description="PVGIS API base address")
    startyear: int | None = Field(None, description="first year of the PVGIS TMY selection (None: PVGIS default)")
    endyear: int | None = Field(None, description="last year of the PVGIS TMY selection (None: PVGIS default)")

    @field_validator("timeout_s")
    @classmethod
    def _timeout(cls, v: float) -> float:
        if not 0 < v <= 600:
            raise ValueError(f"timeout_s {v} is out of range; allowed: 0 < timeout_s <= 600")
        return v


class WeatherConfig(StrictModel):
    """Where the hourly weather comes from."""

    source: Literal["synthetic", "file", "pvgis"] = Field(
        "synthetic",
        description="weather source: synthetic (calibrated typical year), file (weather.files), or pvgis (fetched, cached)",
    )
    files: list[str] = Field(
        default_factory=list,
        description="weather files, one per year (EPW, TMY3, PVGIS TMY json/csv/epw, PVGIS hourly series with components on a horizontal plane, NSRDB PSM CSV hourly or 30/15/5-minute, SolarAnywhere SA-format CSV; TMY3 in UTF-8 or Latin-1); the sun is placed at each file's own location (warning if over 50 km from the county)",
    )
    format: Literal["auto", "epw", "tmy3", "pvgis", "nsrdb", "solaranywhere"] = Field(
        "auto", description="file format (auto: from the file name and content)"
    )
    latitude_deg: float | None = Field(None, description="latitude override (default: the county's centre)")
    longitude_deg: float | None = Field(None, description="longitude override (default: the county's centre)")
    altitude_m: float | None = Field(
        None, description="site altitude (default: the file's, or 500 m for the synthetic year)"
    )
    synthetic: SyntheticWeatherConfig = Field(
        default_factory=SyntheticWeatherConfig, description="settings of the synthetic typical year"
    )
    pvgis: PVGISConfig = Field(default_factory=PVGISConfig, description="settings of the PVGIS fetch")

    @field_validator("latitude_deg", "longitude_deg", "altitude_m")
    @classmethod
    def _in_range(cls, v: float | None, info) -> float | None:
        lo, hi = {"latitude_deg": (-90, 90), "longitude_deg": (-180, 180), "altitude_m": (-500, 9000)}[info.field_name]
        return check_range(info.field_name, v, lo, hi)

    @model_validator(mode="after")
    def _files(self) -> WeatherConfig:
        if self.source == "file" and not self.files:
            raise ValueError("source 'file' needs at least one entry in 'files' (one weather file per year)")
        return self
