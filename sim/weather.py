"""Hourly weather for the yield engine: file readers (EPW, TMY3, PVGIS, NSRDB), PVGIS fetch with a disk cache, a
seeded synthetic year calibrated to monthly means, and validation/repair of whatever comes in.

Every loader returns :class:`Weather` objects whose ``data`` is on a tz-aware regular hourly index of one calendar
year, with columns ``ghi, dni, dhi`` [W/m^2], ``temp_air`` [°C], ``wind_speed`` [m/s] and, when the source has them,
``pressure`` [Pa] and ``albedo`` [-]. Hourly means are stamped at the *start* of their hour (``label="left"``: EPW,
TMY3, NSRDB, synthetic); PVGIS samples, taken near the stamped hour, keep ``label="center"``. The yield engine
places the sun at the middle of each interval from the label.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pvlib
from pydantic import Field, field_validator, model_validator

from sim import _upstream  # noqa: F401  (silences pvlib's known pandas-3 deprecation warning)
from sim._config import TABLES, StrictModel, check_range
from sim._io import atomic_write
from sim.errors import InputError, InputWarning

COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
OPTIONAL_COLUMNS = ("pressure", "albedo")
LABELS = ("left", "right", "center")



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
            name=str(name), monthly_ghi_kwh_per_m2_day=rows["ghi_kwh_per_m2_day"].astype(float).tolist(),
            monthly_temp_air_c=rows["temp_air_c"].astype(float).tolist(),
            monthly_wind_speed_m_per_s=rows["wind_speed_m_per_s"].astype(float).tolist(),
            latitude=float(first["latitude_deg"]), longitude=float(first["longitude_deg"]),
            period=str(first["period"]), station=str(first["station"]), source=str(first["source"]))
    return out


PRESETS = weather_presets()
#: Beijing's older typical year (IWEC, WMO 545110, 1982-1999): the ``beijing_iwec`` preset.
BEIJING_GHI_KWH_PER_M2_DAY = PRESETS["beijing_iwec"].monthly_ghi_kwh_per_m2_day
BEIJING_TEMP_AIR_C = PRESETS["beijing_iwec"].monthly_temp_air_c
BEIJING_WIND_SPEED_M_PER_S = PRESETS["beijing_iwec"].monthly_wind_speed_m_per_s
#: A preset's station may be at most this far from the county [km].
PRESET_MAX_DISTANCE_KM = 300.0
#: A weather file measured farther than this from the county gets a warning [km].
FILE_WARN_DISTANCE_KM = 50.0

MAX_GAP_HOURS = 3
MAX_GHI_W_PER_M2 = 1500.0
# Day-to-day spread of the clear-sky index on the logit scale. A wide (U-shaped) distribution gives the clear vs
# overcast split of real climates, which sets the beam share and so the tilted-plane gain; 2.5 reproduces the
# tilted yields of the two TMY3 years shipped with pvlib within 1.5 % (tests/test_yield_validation.py).
_KT_SIGMA = 2.5


# --------------------------------------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------------------------------------


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

    preset: str | None = Field(None, description="named typical year to calibrate to: " + ", ".join(
        f"{p.name} ({p.station}, {p.period})" for p in PRESETS.values()) + "; its station must be within 300 km of "
        "the county; monthly values given here replace the preset's")
    monthly_ghi_kwh_per_m2_day: list[float] | None = Field(None, description="12 monthly mean daily GHI targets (January..December) for the county; required unless a preset is given")
    monthly_temp_air_c: list[float] | None = Field(None, description="12 monthly mean air temperatures; required unless a preset is given")
    monthly_wind_speed_m_per_s: list[float] | None = Field(None, description="12 monthly mean wind speeds; required unless a preset is given")
    year: int = Field(2023, description="calendar year the synthetic weather is laid on")
    n_years: int = Field(1, description="number of stochastic weather years (inter-annual variability; year y of the horizon uses year y mod n)")
    seed: int = Field(0, description="seed of the synthetic weather's random stream")
    interannual_ghi_sd_percent: float = Field(
        4.0, description="year-to-year standard deviation of annual GHI when n_years > 1 [%]; the mean over the "
        "years still equals the monthly targets")

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
    def _in_range(cls, v: float, info) -> float:
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

    cache_dir: str | None = Field(None, description="where fetched PVGIS files are cached (default: the run's cache folder)")
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

    source: Literal["synthetic", "file", "pvgis"] = Field("synthetic", description="weather source: synthetic (calibrated typical year), file (weather.files), or pvgis (fetched, cached)")
    files: list[str] = Field(default_factory=list, description="weather files, one per year (EPW, TMY3, PVGIS TMY json/csv/epw, PVGIS hourly series with components on a horizontal plane, NSRDB PSM CSV); the sun is placed at each file's own location (warning if over 50 km from the county)")
    format: Literal["auto", "epw", "tmy3", "pvgis", "nsrdb"] = Field("auto", description="file format (auto: from the file name and content)")
    latitude_deg: float | None = Field(None, description="latitude override (default: the county's centre)")
    longitude_deg: float | None = Field(None, description="longitude override (default: the county's centre)")
    altitude_m: float | None = Field(None, description="site altitude (default: the file's, or 500 m for the synthetic year)")
    synthetic: SyntheticWeatherConfig = Field(default_factory=SyntheticWeatherConfig, description="settings of the synthetic typical year")
    pvgis: PVGISConfig = Field(default_factory=PVGISConfig, description="settings of the PVGIS fetch")

    @field_validator("latitude_deg", "longitude_deg", "altitude_m")
    @classmethod
    def _in_range(cls, v: float | None, info) -> float | None:
        lo, hi = {"latitude_deg": (-90, 90), "longitude_deg": (-180, 180),
                  "altitude_m": (-500, 9000)}[info.field_name]
        return check_range(info.field_name, v, lo, hi)

    @model_validator(mode="after")
    def _files(self) -> "WeatherConfig":
        if self.source == "file" and not self.files:
            raise ValueError("source 'file' needs at least one entry in 'files' (one weather file per year)")
        return self


# --------------------------------------------------------------------------------------------------------------------
# Weather
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class Weather:
    """One year of hourly weather at a site.

    Attributes
    ----------
    data : DataFrame on a tz-aware hourly index with ``ghi, dni, dhi`` [W/m^2], ``temp_air`` [°C],
        ``wind_speed`` [m/s] and optionally ``pressure`` [Pa], ``albedo`` [-].
    latitude, longitude : [°]; altitude : [m].
    label : which end of each hour the timestamps mark: "left" (start), "right" (end) or "center".
    source : where the data came from (file name, "synthetic(seed=..)", "pvgis(...)").

    Treat instances as immutable: ``key`` is computed once, on first use.
    """

    data: pd.DataFrame
    latitude: float
    longitude: float
    altitude: float = 0.0
    label: str = "left"
    source: str = ""
    _key: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def key(self) -> str:
        """Stable SHA-256 of the data and metadata (for disk caches)."""
        if self._key is None:
            h = hashlib.sha256()
            h.update(json.dumps([round(self.latitude, 6), round(self.longitude, 6), round(self.altitude, 3),
                                 self.label, list(self.data.columns), str(self.data.index.tz)]).encode())
            h.update(self.data.index.asi8.tobytes())
            h.update(np.ascontiguousarray(self.data.to_numpy(np.float64)).tobytes())
            self._key = h.hexdigest()
        return self._key


# --------------------------------------------------------------------------------------------------------------------
# Validation and repair
# --------------------------------------------------------------------------------------------------------------------


def _check_location(latitude: float, longitude: float, altitude: float, file=None) -> None:
    if not np.isfinite(latitude) or not -90 <= latitude <= 90:
        raise InputError("latitude out of range", file=file, field="latitude", value=latitude, allowed="-90 .. 90 deg")
    if not np.isfinite(longitude) or not -180 <= longitude <= 180:
        raise InputError("longitude out of range", file=file, field="longitude", value=longitude,
                         allowed="-180 .. 180 deg")
    if not np.isfinite(altitude) or not -500 <= altitude <= 9000:
        raise InputError("altitude out of range", file=file, field="altitude", value=altitude, allowed="-500 .. 9000 m")


MIN_PEAK_GHI_W_PER_M2 = 300.0
"""Lowest plausible highest hourly GHI of a year [W/m^2]. A clear summer noon gives 600-1100 W/m^2 at any latitude
below the polar circles (and above 400 W/m^2 well beyond them); a year whose peak is below this is kW/m^2 (peak
about 1) or another unit, not weather."""


def validate_weather(data: pd.DataFrame, *, file=None) -> pd.DataFrame:
    """Check and repair an hourly weather table; returns a new DataFrame (the input is not modified).

    - required columns ``ghi, dni, dhi, temp_air, wind_speed`` (InputError naming the missing ones);
    - tz-aware, strictly increasing, hourly index of 8760 or 8784 rows (one year);
    - temperatures in tenths of a degree (mean |temp_air| > 60) are divided by 10, with an InputWarning;
    - NaN gaps of up to 3 hours are interpolated (InputWarning saying how many); longer gaps raise InputError;
    - ``ghi`` above 1500 W/m^2 or negative irradiance beyond -10 W/m^2 raises InputError (small negatives -> 0);
    - a year whose highest hourly ``ghi`` is below :data:`MIN_PEAK_GHI_W_PER_M2` raises InputError (kW/m^2 written
      as W/m^2 would otherwise give a silent 0 kWh/kWp);
    - ``pressure`` in mbar/hPa (median < 2000) is converted to Pa, with an InputWarning.
    """
    missing = [c for c in COLUMNS if c not in data.columns]
    if missing:
        raise InputError("weather data lacks columns", file=file, field=", ".join(missing),
                         allowed="columns " + ", ".join(COLUMNS))
    keep = list(COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in data.columns]
    df = data[keep].astype(float).copy()
    idx = df.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise InputError("weather index is not a DatetimeIndex", file=file, field="index", value=type(idx).__name__,
                         allowed="hourly timestamps")
    if idx.tz is None:
        raise InputError("weather timestamps have no time zone", file=file, field="index",
                         allowed="tz-aware timestamps (e.g. Asia/Shanghai or UTC+08:00)")
    if len(idx) < 2 or not idx.is_monotonic_increasing or idx.has_duplicates:
        raise InputError("weather timestamps are not strictly increasing", file=file, field="index",
                         allowed="one row per hour, in order, no duplicates")
    steps = np.diff(idx.as_unit("s").asi8) / 3600.0
    if not np.allclose(steps, 1.0):
        bad = np.flatnonzero(~np.isclose(steps, 1.0))[0]
        raise InputError("weather data is not hourly and regular", file=file, field="index",
                         value=f"step of {steps[bad]:g} h after {idx[bad]}", allowed="1-hour steps")
    if len(df) not in (8760, 8784):
        raise InputError("weather data does not cover exactly one year", file=file, field="index",
                         value=f"{len(df)} hours", allowed="8760 or 8784 hourly rows")
    temp = df["temp_air"]
    if np.nanmean(np.abs(temp)) > 60:
        warnings.warn(f"{file or 'weather'}: temp_air looks like tenths of a degree (mean |temp_air| = "
                      f"{np.nanmean(np.abs(temp)):.0f}); divided by 10", InputWarning, stacklevel=2)
        df["temp_air"] = temp / 10.0
    df, converted = _pressure_to_pa(df)
    if converted:
        warnings.warn(f"{file or 'weather'}: pressure looks like mbar/hPa; converted to Pa", InputWarning, stacklevel=2)
    for col in df.columns:
        isna = df[col].isna().to_numpy()
        if not isna.any():
            continue
        if col in OPTIONAL_COLUMNS and isna.mean() > 0.5:
            df = df.drop(columns=col)
            warnings.warn(f"{file or 'weather'}: column {col} is mostly missing; dropped", InputWarning, stacklevel=2)
            continue
        runs = _nan_runs(isna)
        longest = max(n for _, n in runs)
        if longest > MAX_GAP_HOURS:
            start = next(s for s, n in runs if n == longest)
            raise InputError("gap in weather data too long to fill", file=file, field=col,
                             value=f"{longest} missing hours from {idx[start]}",
                             allowed=f"gaps of at most {MAX_GAP_HOURS} hours (filled by interpolation)")
        df[col] = df[col].interpolate(method="linear", limit_direction="both")
        warnings.warn(f"{file or 'weather'}: filled {int(isna.sum())} missing {col} values in {len(runs)} gap(s) of "
                      f"<= {longest} h by linear interpolation", InputWarning, stacklevel=2)
    ghi_max = float(df["ghi"].max())
    if ghi_max > MAX_GHI_W_PER_M2:
        raise InputError("ghi above the physical limit", file=file, field="ghi", value=ghi_max,
                         allowed=f"0 .. {MAX_GHI_W_PER_M2:g} W/m2 (hourly means, not Wh per day or kJ)")
    if not ghi_max >= MIN_PEAK_GHI_W_PER_M2:
        raise InputError("ghi far below daylight levels all year (kW/m2 written as W/m2?)", file=file, field="ghi",
                         value=f"highest hour {ghi_max:g}",
                         allowed=f"hourly means in W/m2: the year's highest hour is at least "
                         f"{MIN_PEAK_GHI_W_PER_M2:g} W/m2 anywhere people live (normally 700 .. 1200)")
    for col in ("ghi", "dni", "dhi"):
        low = float(df[col].min())
        if low < -10:
            raise InputError("negative irradiance", file=file, field=col, value=low, allowed=">= 0 W/m2")
        df[col] = df[col].clip(lower=0.0)
    if float(df["wind_speed"].min()) < 0:
        raise InputError("negative wind speed", file=file, field="wind_speed", value=float(df["wind_speed"].min()),
                         allowed=">= 0 m/s")
    return df


def _nan_runs(isna: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate([[0], isna.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), (ends - starts).tolist()))


#: A median air pressure below this is taken as mbar/hPa rather than Pa (sea level is 1013 hPa = 101,325 Pa).
HPA_MEDIAN_BELOW = 2000.0


def _pressure_to_pa(data: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Pressure in mbar/hPa (median below :data:`HPA_MEDIAN_BELOW`) converted to Pa (x 100); other columns
    untouched. Returns the data (a copy if converted) and whether it was converted."""
    if "pressure" not in data or not np.nanmedian(data["pressure"]) < HPA_MEDIAN_BELOW:
        return data, False
    data = data.copy()
    data["pressure"] = data["pressure"] * 100.0
    return data, True


def _pvgis_location(meta) -> tuple[float | None, float | None, float]:
    """Latitude, longitude and elevation from PVGIS metadata (json: inputs.location; csv: inputs)."""
    meta = meta if isinstance(meta, dict) else {}
    inputs = meta.get("inputs", {}) or {}
    loc = inputs.get("location", inputs) or {}
    return loc.get("latitude"), loc.get("longitude"), float(loc.get("elevation", 0.0) or 0.0)


def _pvgis_time_offset_h(meta) -> float:
    """The irradiance time offset [h] of a PVGIS TMY (json: inputs.location.irradiance_time_offset; csv: inputs
    'irradiance time offset'); 0 when the file does not state one (older PVGIS versions)."""
    inputs = (meta if isinstance(meta, dict) else {}).get("inputs", {}) or {}
    loc = inputs.get("location", inputs) or {}
    value = loc.get("irradiance_time_offset", loc.get("irradiance time offset", 0.0))
    try:
        return float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0


def _to_left(data: pd.DataFrame, label: str) -> pd.DataFrame:
    shift = {"left": "0h", "right": "-1h", "center": "-30min"}[label]
    out = data.copy()
    out.index = out.index + pd.Timedelta(shift)
    return out


def _one_year(data: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Put a typical-year table (months drawn from different years) on one calendar year, in its own tz.

    A full year of rows (8760, or 8784 with Feb 29) gets a fresh regular hourly index from Jan 1 00:00 of a
    non-leap (or leap) year, position by position, after checking the rows really run January to December.
    Anything else keeps its timestamps (and :func:`validate_weather` reports what is wrong with them).
    """
    idx = data.index
    local = idx.tz_localize(None)
    n = len(data)
    if n not in (8760, 8784):
        return data.sort_index()
    year = year or int(pd.Series(local.year).mode().iloc[0])
    leap = n == 8784
    while pd.Timestamp(year=year, month=1, day=1).is_leap_year != leap:
        year -= 1
    start = pd.Timestamp(year=year, month=1, day=1, minute=int(local[0].minute))
    new = pd.date_range(start, periods=n, freq="1h")
    if np.mean(new.month == local.month) < 0.99 or np.mean(new.day == local.day) < 0.99:
        return data.sort_index()  # not an ordered Jan..Dec year: leave it for validation to report
    out = data.copy()
    out.index = new.tz_localize(idx.tz)
    return out


# --------------------------------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    """Guess the weather-file format from its name and first line."""
    suffix = path.suffix.lower()
    if suffix == ".epw":
        return "epw"
    if suffix == ".json":
        return "pvgis"
    with open(path, encoding="utf-8", errors="replace") as f:
        head = f.readline() + f.readline() + f.readline()
    first = head.splitlines()[0] if head else ""
    if first.startswith("LOCATION,"):
        return "epw"
    if first.startswith("Source,") or "NSRDB" in first:
        return "nsrdb"
    if first.lower().startswith("latitude") or "PVGIS" in head or "time(UTC)" in head:
        return "pvgis"
    parts = first.split(",")
    if len(parts) >= 7 and parts[0].strip().isdigit():
        return "tmy3"
    raise InputError("cannot tell the weather-file format", file=path, field="format",
                     allowed="set format to one of epw, tmy3, pvgis, nsrdb")


def read_weather_file(path: str | Path, fmt: str = "auto", *, latitude: float | None = None,
                      longitude: float | None = None, altitude: float | None = None) -> Weather:
    """Read one weather file into a validated, left-labelled :class:`Weather`.

    Parameters
    ----------
    path : EPW, TMY3 CSV, PVGIS TMY (json / csv / epw), PVGIS hourly series (seriescalc, csv / json, with
        irradiance components on a horizontal plane) or NSRDB PSM CSV file.
    fmt : "auto" (from name and header), "epw", "tmy3", "pvgis" or "nsrdb".
    latitude, longitude [°], altitude [m] : override the file's own metadata.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("weather file not found", file=path, field="files", allowed="an existing file path")
    fmt = detect_format(path) if fmt == "auto" else fmt
    try:
        if fmt == "epw":
            data, meta = pvlib.iotools.read_epw(path)
            lat, lon, alt = meta["latitude"], meta["longitude"], meta["altitude"]
            data = data.rename(columns={"atmospheric_pressure": "pressure"})  # [Pa]
            label = "left"  # pvlib sets the index to hour - 1: the start of each EPW hour
            offset_h = _pvgis_epw_offset_h(path)
            if offset_h is not None:
                data, label = _pvgis_epw_times(data, offset_h), "center"
            data = _one_year(data)
        elif fmt == "tmy3":
            data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
            lat, lon, alt = meta["latitude"], meta["longitude"], meta["altitude"]
            data = _to_left(data, "right")  # TMY3 values are for the hour ending at the timestamp
            label = "left"
            data = _one_year(data)  # mixed-year typical months -> one year
            data, _ = _pressure_to_pa(data)  # TMY3 pressure is in mbar
        elif fmt == "pvgis" and _is_pvgis_hourly(path):
            data, lat, lon, alt = _read_pvgis_hourly(path)
            label = "center"  # PVGIS stamps its hourly values at hh:10 UTC, as in its TMY
            data = _one_year(data)
        elif fmt == "pvgis":
            data, meta = pvlib.iotools.read_pvgis_tmy(path, map_variables=True)
            lat, lon, alt = _pvgis_location(meta)
            if data.index.tz is None:
                data.index = data.index.tz_localize("UTC")
            # PVGIS values are satellite samples taken near the stamped UTC hour, at the "irradiance time offset" its
            # header states (0.1761 h: hh:11); each stands for the hour centred on that instant
            data.index = data.index + pd.Timedelta(minutes=round(60.0 * _pvgis_time_offset_h(meta)))
            label = "center"
            data = _one_year(data)
            data, _ = _pressure_to_pa(data)
        elif fmt == "nsrdb":
            data, meta = pvlib.iotools.read_nsrdb_psm4(path, map_variables=True)
            lat, lon, alt = meta["latitude"], meta["longitude"], meta.get("altitude", 0.0)
            minute = int(np.median(data.index.minute))
            # NSRDB: start-of-hour stamps for hourly means, or hh:30 stamps for mid-hour values
            data = _to_left(data, "center" if minute == 30 else "left")
            label = "left"
            data = _one_year(data)
            data, _ = _pressure_to_pa(data)  # NSRDB pressure is in mbar
        else:
            raise InputError("unknown weather-file format", file=path, field="format", value=fmt,
                             allowed="auto, epw, tmy3, pvgis, nsrdb")
    except InputError:
        raise
    except Exception as exc:  # a parser failure: say which file and format
        raise InputError(f"could not read weather file as {fmt}: {exc}", file=path, field="format", value=fmt,
                         allowed="a valid epw, tmy3, pvgis or nsrdb file") from exc
    lat = float(latitude if latitude is not None else lat)
    lon = float(longitude if longitude is not None else lon)
    alt = float(altitude if altitude is not None else (alt if alt is not None else 0.0))
    _check_location(lat, lon, alt, file=path)
    if data.index.tz is None:
        raise InputError("weather timestamps have no time zone", file=path, field="index",
                         allowed="a file with a time-zone field")
    data = validate_weather(data, file=path)
    return Weather(data=data, latitude=lat, longitude=lon, altitude=alt, label=label, source=path.name)


def _pvgis_epw_offset_h(path: Path) -> float | None:
    """The ``Irradiance Time Offset (h)`` a PVGIS-made EPW states in its header comments, or None for other EPWs."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = [fh.readline() for _ in range(8)]
    for line in head:
        if line.startswith("COMMENTS") and "Irradiance Time Offset (h):" in line:
            try:
                return float(line.split("Irradiance Time Offset (h):")[1].split(",")[0])
            except ValueError:
                return None
    return None


def _pvgis_epw_times(data: pd.DataFrame, offset_h: float) -> pd.DataFrame:
    """Re-stamp a PVGIS-made EPW: its hours are UTC hours whatever the LOCATION time zone says (EPW hour N holds the
    PVGIS value stamped N-1 h UTC, itself a sample taken at that stamp + 1 h + the stated offset, e.g. 08:10 UTC for
    hour 9 with offset -0.8239 h); the values are stamped at that instant (label "center"), to the minute."""
    out = data.copy()
    start_utc = data.index.tz_localize(None).tz_localize("UTC")  # pvlib's hour - 1, read as UTC
    out.index = start_utc + pd.Timedelta(minutes=round((1.0 + offset_h) * 60.0))
    return out


def _is_pvgis_hourly(path: Path) -> bool:
    """A PVGIS hourly series (seriescalc) rather than a typical year: it has G(i)/Gb(i) columns or "hourly" outputs."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return "Gb(i)" in text or "G(i)" in text or '"hourly"' in text


#: Below this sun height the beam on a horizontal plane is not turned into DNI (division by a tiny sin) [°].
PVGIS_MIN_SUN_HEIGHT_DEG = 1.0


def _read_pvgis_hourly(path: Path) -> tuple[pd.DataFrame, float, float, float]:
    """A PVGIS hourly series with irradiance components on a horizontal plane -> ghi, dni, dhi, temp_air,
    wind_speed; raises InputError saying what is missing otherwise. DNI = Gb(i) / sin(H_sun) where the sun is above
    :data:`PVGIS_MIN_SUN_HEIGHT_DEG`, else 0 (and that beam stays in ghi)."""
    data, meta = pvlib.iotools.read_pvgis_hourly(path, map_variables=True)[:2]
    inputs = (meta or {}).get("inputs", {}) or {}
    loc = inputs.get("location", inputs) or {}
    if "poa_direct" not in data or "poa_sky_diffuse" not in data:
        raise InputError("PVGIS hourly file has no irradiance components (only total plane irradiance G(i) or PV "
                         "power P)", file=path, field="Gb(i), Gd(i)", allowed="a PVGIS hourly series downloaded with "
                         "'Radiation components' ticked (API: components=1) on a horizontal plane (slope 0)")
    slope = _pvgis_slope(inputs)
    if slope is None or abs(slope) > 0.01:
        raise InputError("PVGIS hourly components are on a tilted plane, not horizontal", file=path, field="slope",
                         value=slope, allowed="a PVGIS hourly series for slope 0 (API: angle=0), so that Gb(i) and "
                         "Gd(i) are beam and diffuse on the horizontal")
    sun_height = data["solar_elevation"].to_numpy(float)
    beam = data["poa_direct"].to_numpy(float)
    up = sun_height > PVGIS_MIN_SUN_HEIGHT_DEG
    out = pd.DataFrame({
        "ghi": beam + data["poa_sky_diffuse"].to_numpy(float) + data.get("poa_ground_diffuse", 0.0 * beam),
        "dni": np.where(up, beam / np.sin(np.radians(np.where(up, sun_height, 90.0))), 0.0),
        "dhi": data["poa_sky_diffuse"].to_numpy(float),
        "temp_air": data["temp_air"].to_numpy(float),
        "wind_speed": data["wind_speed"].to_numpy(float),
    }, index=data.index if data.index.tz is not None else data.index.tz_localize("UTC"))
    years = sorted(set(out.index.year))
    if len(years) > 1 and len(out) > 8784:
        raise InputError("PVGIS hourly file covers several years", file=path, field="startyear, endyear",
                         value=f"{years[0]}-{years[-1]}", allowed="one year per file (weather.files lists one file "
                         "per year)")
    return out, loc.get("latitude"), loc.get("longitude"), float(loc.get("elevation", 0.0) or 0.0)


def _pvgis_slope(inputs: dict) -> float | None:
    """Plane slope [°] of a PVGIS hourly request: csv ``Slope: 30 deg.``, json mounting_system.fixed.slope.value."""
    raw = inputs.get("Slope")
    if raw is None:
        fixed = (inputs.get("mounting_system", {}) or {}).get("fixed")
        raw = ((fixed or {}).get("slope") or {}).get("value") if isinstance(fixed, dict) else None
    try:
        return float(str(raw).split()[0]) if raw is not None else None
    except ValueError:
        return None


def fetch_pvgis_tmy(latitude: float, longitude: float, cache_dir: str | Path | None = None, *,
                    timeout_s: float = 30.0, url: str = "https://re.jrc.ec.europa.eu/api/",
                    startyear: int | None = None, endyear: int | None = None) -> Weather:
    """Typical meteorological year from PVGIS, cached on disk as JSON (one file per rounded location and period).

    Parameters
    ----------
    latitude, longitude : [°]; cache_dir : folder of the cache (no cache when None).
    """
    _check_location(latitude, longitude, 0.0)
    path = None
    if cache_dir is not None:
        name = f"pvgis_tmy_v2_{latitude:.4f}_{longitude:.4f}_{startyear}_{endyear}.json"  # v2: at sample instants
        path = Path(cache_dir) / name
        if path.exists():
            return _pvgis_from_cache(path)
    try:
        data, meta = pvlib.iotools.get_pvgis_tmy(latitude, longitude, outputformat="json", startyear=startyear,
                                                 endyear=endyear, url=url, timeout=timeout_s, map_variables=True)
    except Exception as exc:
        raise InputError(f"PVGIS request failed: {exc}", field="weather.pvgis",
                         value=(latitude, longitude), allowed="a location PVGIS covers, network access, or "
                         "a cached file in cache_dir") from exc
    if data.index.tz is None:
        data.index = data.index.tz_localize("UTC")
    data.index = data.index + pd.Timedelta(minutes=round(60.0 * _pvgis_time_offset_h(meta)))  # sample instants
    altitude = _pvgis_location(meta)[2]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "latitude": latitude, "longitude": longitude, "altitude": altitude,
            "index_utc": [t.isoformat() for t in data.index.tz_convert("UTC")],
            "columns": {c: data[c].astype(float).tolist() for c in data.columns if c in COLUMNS + OPTIONAL_COLUMNS},
        }
        atomic_write(path, json.dumps(payload))
        return _pvgis_from_cache(path)
    data = validate_weather(_one_year(data), file="PVGIS")
    return Weather(data=data, latitude=latitude, longitude=longitude, altitude=altitude, label="center",
                   source=f"pvgis({latitude:.4f},{longitude:.4f})")


def _pvgis_from_cache(path: Path) -> Weather:
    try:
        payload = json.loads(path.read_text())
        index = pd.DatetimeIndex(pd.to_datetime(payload["index_utc"], utc=True))
        data = pd.DataFrame(payload["columns"], index=index)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"unreadable PVGIS cache file: {exc}", file=path, field="weather.pvgis.cache_dir",
                         allowed="delete the file to fetch again") from exc
    data = validate_weather(_one_year(data), file=path)
    return Weather(data=data, latitude=float(payload["latitude"]), longitude=float(payload["longitude"]),
                   altitude=float(payload["altitude"]), label="center",
                   source=f"pvgis({payload['latitude']:.4f},{payload['longitude']:.4f})")


# --------------------------------------------------------------------------------------------------------------------
# Synthetic year
# --------------------------------------------------------------------------------------------------------------------


def synthetic_year(
    latitude: float,
    longitude: float,
    altitude: float,
    monthly_ghi_kwh_per_m2_day,
    monthly_temp_air_c,
    monthly_wind_speed_m_per_s,
    *,
    year: int = 2023,
    seed: int = 0,
    tz: str | None = None,
) -> Weather:
    """A seeded stochastic hourly year whose monthly means match the targets.

    Clear-sky GHI from pvlib's Ineichen model (Linke turbidity from pvlib's climatology) times a daily clear-sky
    index drawn from an AR(1) process on the logit scale (consecutive days correlated, a wide U-shaped spread of
    clear and overcast days), plus small hourly noise. Each month is then scaled so its mean daily GHI equals the
    target exactly (bisection on the scale factor, hours capped at 1.1 x clear sky; an unreachable target raises
    InputError). DNI/DHI come from the Erbs decomposition. Temperature follows a diurnal cycle (minimum before dawn,
    maximum at 15:00) whose amplitude grows with the day's clear-sky index, around the monthly mean plus an AR(1)
    day-to-day anomaly; wind is gamma-distributed by day with a daytime bump, scaled to the monthly mean.

    Parameters
    ----------
    latitude, longitude : [°]; altitude : [m].
    monthly_ghi_kwh_per_m2_day : 12 mean daily GHI values [kWh/m^2/day].
    monthly_temp_air_c : 12 mean air temperatures [°C]; monthly_wind_speed_m_per_s : 12 mean wind speeds [m/s].
    year : calendar year; seed : seed of the random stream; tz : time zone of the index (default: the zone at the
    location, :func:`time_zone_at`).

    Returns
    -------
    :class:`Weather`, left-labelled (values are means over the hour starting at each timestamp).
    """
    _check_location(latitude, longitude, altitude)
    ghi_t = np.asarray(_twelve("monthly_ghi_kwh_per_m2_day", list(monthly_ghi_kwh_per_m2_day), 0, 12, "kWh/m2/day"))
    temp_t = np.asarray(_twelve("monthly_temp_air_c", list(monthly_temp_air_c), -60, 60, "degC"))
    wind_t = np.asarray(_twelve("monthly_wind_speed_m_per_s", list(monthly_wind_speed_m_per_s), 0, 40, "m/s"))
    # the draws below happen in a fixed order: daily clear-sky index, hourly GHI noise, temperature anomaly, wind
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(year)]))
    tz = tz or time_zone_at(latitude, longitude)
    index = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="1h", tz=tz, inclusive="left")
    mid = index + pd.Timedelta("30min")
    zenith, ghi_cs = _clear_sky(mid, latitude, longitude, altitude)
    cal = _YearCalendar(index, year)
    kt_day = _daily_clear_sky_index(rng, ghi_cs, ghi_t, cal)
    ghi = ghi_cs * kt_day[cal.day_of_hour] * np.exp(0.08 * rng.standard_normal(len(index)))
    ghi = np.where(zenith < 90, _scale_ghi_to_months(ghi, ghi_cs, ghi_t, cal), 0.0)
    erbs = pvlib.irradiance.erbs(ghi, zenith, mid)
    hour = index.hour.to_numpy() + 0.5
    data = pd.DataFrame({
        "ghi": ghi,
        "dni": np.nan_to_num(np.asarray(erbs["dni"], float)),
        "dhi": np.nan_to_num(np.asarray(erbs["dhi"], float)),
        "temp_air": _temperature(rng, hour, kt_day, temp_t, cal),
        "wind_speed": _wind(rng, hour, wind_t, cal),
        "pressure": np.full(len(index), pvlib.atmosphere.alt2pres(altitude)),
    }, index=index)
    return Weather(data=data, latitude=float(latitude), longitude=float(longitude), altitude=float(altitude),
                   label="left", source=f"synthetic(seed={seed}, year={year})")


class _YearCalendar:
    """Day and month of every hour of a year, and the month of every day."""

    def __init__(self, index: pd.DatetimeIndex, year: int) -> None:
        self.day_of_hour = index.day_of_year.to_numpy() - 1
        self.n_days = int(self.day_of_hour.max()) + 1
        self.month_of_hour = index.month.to_numpy()
        self.month_of_day = pd.date_range(f"{year}-01-01", periods=self.n_days, freq="D").month.to_numpy()
        self.days_in_month = np.bincount(self.month_of_day, minlength=13)[1:]


def _clear_sky(mid: pd.DatetimeIndex, latitude: float, longitude: float,
               altitude: float) -> tuple[np.ndarray, np.ndarray]:
    """Apparent solar zenith [°] and Ineichen clear-sky GHI [W/m^2] at the middle of each hour (Linke turbidity
    from pvlib's climatology)."""
    sp = pvlib.solarposition.get_solarposition(mid, latitude, longitude, altitude)
    linke = pvlib.clearsky.lookup_linke_turbidity(mid, latitude, longitude)
    am_abs = pvlib.atmosphere.get_absolute_airmass(
        pvlib.atmosphere.get_relative_airmass(sp["apparent_zenith"]), pvlib.atmosphere.alt2pres(altitude))
    cs = pvlib.clearsky.ineichen(sp["apparent_zenith"], am_abs, linke, altitude=altitude,
                                 dni_extra=pvlib.irradiance.get_extra_radiation(mid))
    return sp["apparent_zenith"].to_numpy(float), np.nan_to_num(np.asarray(cs["ghi"], float))


def _ar1(innovations: np.ndarray, phi: float, first_sd: float, innovation_sd: float) -> np.ndarray:
    """AR(1) series ``x[0] = first_sd e[0]``, ``x[d] = phi x[d-1] + innovation_sd e[d]`` from standard normal ``e``."""
    x = np.empty(len(innovations))
    x[0] = innovations[0] * first_sd
    for d in range(1, len(innovations)):
        x[d] = phi * x[d - 1] + innovation_sd * innovations[d]
    return x


def _daily_clear_sky_index(rng, ghi_cs, ghi_t, cal: _YearCalendar) -> np.ndarray:
    """Daily clear-sky index: AR(1) (phi 0.5) on the logit scale, centred so the month's mean ratio is about right."""
    cs_daily = np.bincount(cal.day_of_hour, weights=ghi_cs, minlength=cal.n_days) / 1000.0  # [kWh/m2/day]
    target_ratio = np.clip(ghi_t[cal.month_of_day - 1] / np.maximum(cs_daily, 1e-6), 0.05, 0.95)
    phi, sigma = 0.5, _KT_SIGMA
    z = _ar1(rng.standard_normal(cal.n_days), phi, sigma, np.sqrt(1 - phi**2) * sigma)
    mu = np.log(target_ratio / (1 - target_ratio))
    return 1.0 / (1.0 + np.exp(-(mu + z)))


def _scale_ghi_to_months(ghi, ghi_cs, ghi_t, cal: _YearCalendar) -> np.ndarray:
    """Each month scaled so its mean daily GHI equals the target exactly, hours capped at 1.1 x clear sky: the
    factor ``f`` with ``sum(min(f x ghi, cap)) = target`` by bisection (the sum increases with ``f``)."""
    ghi = ghi.copy()
    cap_all = 1.1 * ghi_cs
    for m in range(1, 13):
        sel = cal.month_of_hour == m
        target = ghi_t[m - 1] * 1000.0 * cal.days_in_month[m - 1]  # [Wh/m2] for the month
        g, cap = ghi[sel], cap_all[sel]
        if target > cap.sum() * (1 - 1e-9):
            possible = cap.sum() / 1000.0 / cal.days_in_month[m - 1]
            raise InputError("monthly GHI above what a clear sky gives at this site",
                             field="monthly_ghi_kwh_per_m2_day", value=f"month {m}: {ghi_t[m - 1]}",
                             allowed=f"at most {possible:.2f} kWh/m2/day (1.1 x Ineichen clear sky)")
        if target <= 0 or cap[g > 0].sum() < target:  # nothing to do, or too few bright hours drawn: use the cap
            ghi[sel] = cap * (target / cap.sum())
            continue
        lo, hi = 0.0, target / g.sum()
        while np.minimum(hi * g, cap).sum() < target:  # terminates: cap[g > 0].sum() >= target
            hi *= 2.0
        for _ in range(60):
            f = 0.5 * (lo + hi)
            if np.minimum(f * g, cap).sum() < target:
                lo = f
            else:
                hi = f
        ghi[sel] = np.minimum(hi * g, cap)
    return ghi


def _temperature(rng, hour, kt_day, temp_t, cal: _YearCalendar) -> np.ndarray:
    """Diurnal cycle (minimum before dawn, maximum at 15:00) with an amplitude of 3..8 K growing with sunshine,
    around the monthly mean plus an AR(1) (phi 0.7, sd 2.5 K) day-to-day anomaly [°C]."""
    cycle = np.cos(2 * np.pi * (hour - 15.0) / 24.0) + 0.25 * np.cos(4 * np.pi * (hour - 15.0) / 24.0)
    amplitude = 3.0 + 5.0 * kt_day[cal.day_of_hour]
    anomaly = _ar1(rng.standard_normal(cal.n_days), 0.7, 2.5, np.sqrt(1 - 0.49) * 2.5)
    temp = amplitude * cycle + anomaly[cal.day_of_hour]
    for m in range(1, 13):
        sel = cal.month_of_hour == m
        temp[sel] += temp_t[m - 1] - temp[sel].mean()
    return temp


def _wind(rng, hour, wind_t, cal: _YearCalendar) -> np.ndarray:
    """Gamma-distributed daily level x a daytime bump x hourly noise, scaled to the monthly mean [m/s]."""
    w_day = rng.gamma(4.0, 0.25, cal.n_days)
    bump = 1.0 + 0.3 * np.cos(2 * np.pi * (hour - 14.0) / 24.0)
    wind = w_day[cal.day_of_hour] * bump * np.exp(0.15 * rng.standard_normal(len(hour)))
    for m in range(1, 13):
        sel = cal.month_of_hour == m
        mean = wind[sel].mean()
        wind[sel] *= wind_t[m - 1] / mean if mean > 0 else 0.0
    return wind


def interannual_factors(n_years: int, sd_percent: float, seed: int) -> np.ndarray:
    """Multipliers of the monthly GHI targets for ``n_years`` synthetic years [-].

    Normal draws with standard deviation ``sd_percent`` [%], re-centred so their mean is exactly 1 (the ensemble
    keeps the climatology); a single year gets 1.
    """
    if n_years <= 1 or sd_percent == 0:
        return np.ones(max(n_years, 1))
    z = np.random.default_rng(np.random.SeedSequence([int(seed), 7919])).standard_normal(n_years)
    z -= z.mean()
    return np.clip(1.0 + sd_percent / 100.0 * z, 0.5, 1.5)


# --------------------------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------------------------


def time_zone_at(latitude: float, longitude: float) -> str:
    """IANA time zone at a location [°] (``tzfpy``, offline); ``Etc/GMT±h`` by longitude at sea."""
    from tzfpy import get_tz

    zone = get_tz(float(longitude), float(latitude))
    if zone:
        return zone
    hours = int(round(float(longitude) / 15.0))
    return "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"  # the Etc zones' sign is inverted
def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of radius 6371.0088 km (the IUGG mean Earth radius) [km]."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def synthetic_targets(config: SyntheticWeatherConfig, latitude: float,
                      longitude: float) -> tuple[list[float], list[float], list[float]]:
    """The 12 monthly GHI [kWh/m2/day], air temperature [°C] and wind [m/s] targets of the synthetic year at the
    county (``latitude``, ``longitude`` [°]): the scenario's own values where given, else the preset's. A preset
    must be within :data:`PRESET_MAX_DISTANCE_KM` of the county, so that no county runs on another place's climate."""
    own = (config.monthly_ghi_kwh_per_m2_day, config.monthly_temp_air_c, config.monthly_wind_speed_m_per_s)
    names = ("monthly_ghi_kwh_per_m2_day", "monthly_temp_air_c", "monthly_wind_speed_m_per_s")
    if config.preset is None:
        missing = [n for n, v in zip(names, own) if v is None]
        if missing:
            raise InputError("the synthetic year needs the county's own monthly means or a preset near it",
                             field="weather.synthetic." + ", ".join(missing),
                             allowed="12 values each (January..December) for this county, or weather.synthetic.preset "
                                     "within 300 km: " + "; ".join(f"{p.name} ({p.latitude:.2f} N, {p.longitude:.2f} E)"
                                                                   for p in PRESETS.values())
                                     + "; or weather.source file / pvgis")
        return own  # type: ignore[return-value]
    preset = PRESETS[config.preset]
    d = distance_km(latitude, longitude, preset.latitude, preset.longitude)
    if d > PRESET_MAX_DISTANCE_KM and any(v is None for v in own):
        raise InputError(f"weather preset {preset.name} ({preset.station}, {preset.latitude:.2f} N "
                         f"{preset.longitude:.2f} E) is {d:.0f} km from the county ({latitude:.2f}, {longitude:.2f})",
                         field="weather.synthetic.preset", value=preset.name,
                         allowed=f"a preset within {PRESET_MAX_DISTANCE_KM:.0f} km, the county's own "
                                 "weather.synthetic.monthly_* values, or weather.source file / pvgis")
    p_vals = (preset.monthly_ghi_kwh_per_m2_day, preset.monthly_temp_air_c, preset.monthly_wind_speed_m_per_s)
    return tuple(list(v) if v is not None else list(pv) for v, pv in zip(own, p_vals))  # type: ignore[return-value]


def _warn_if_far(w: Weather, path: Path, latitude: float, longitude: float) -> None:
    """One InputWarning when the file was measured more than :data:`FILE_WARN_DISTANCE_KM` from the county."""
    d = distance_km(latitude, longitude, w.latitude, w.longitude)
    if d > FILE_WARN_DISTANCE_KM:
        warnings.warn(f"{path}: weather measured at {w.latitude:.3f}, {w.longitude:.3f} is {d:.0f} km from the county "
                      f"centre ({latitude:.3f}, {longitude:.3f}); the sun is placed at the file's location "
                      f"(weather.latitude_deg / longitude_deg override it)", InputWarning, stacklevel=3)


def load_weather(config: WeatherConfig, base_dir: str | Path, *, latitude: float, longitude: float,
                 altitude: float = 0.0, cache_dir: str | Path | None = None, tz: str | None = None) -> list[Weather]:
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
        years = [synthetic_year(lat, lon, alt, np.minimum(np.asarray(ghi) * f, 12.0), temp, wind, year=s.year + k,
                                seed=s.seed, tz=tz) for k, f in enumerate(factors)]
        own = all(v is not None for v in (s.monthly_ghi_kwh_per_m2_day, s.monthly_temp_air_c,
                                          s.monthly_wind_speed_m_per_s))
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
            w = read_weather_file(path, config.format, latitude=config.latitude_deg,
                                  longitude=config.longitude_deg, altitude=config.altitude_m)
            _warn_if_far(w, path, latitude, longitude)
            out.append(w)
        return out
    cache = config.pvgis.cache_dir
    cache = (Path(base_dir) / cache) if cache is not None and not Path(cache).is_absolute() else (cache or cache_dir)
    w = fetch_pvgis_tmy(lat, lon, cache, timeout_s=config.pvgis.timeout_s, url=config.pvgis.url,
                        startyear=config.pvgis.startyear, endyear=config.pvgis.endyear)
    if config.altitude_m is not None:
        w.altitude = float(config.altitude_m)
    return [w]
