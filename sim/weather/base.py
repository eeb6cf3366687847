"""The weather table every reader returns: :class:`Weather`, its columns, and validation/repair of whatever comes
in (one calendar year on a tz-aware regular hourly index)."""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.errors import InputError, InputWarning

COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
OPTIONAL_COLUMNS = ("pressure", "albedo")
LABELS = ("left", "right", "center")

MAX_GAP_HOURS = 3
MAX_GHI_W_PER_M2 = 1500.0


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
            h.update(
                json.dumps(
                    [
                        round(self.latitude, 6),
                        round(self.longitude, 6),
                        round(self.altitude, 3),
                        self.label,
                        list(self.data.columns),
                        str(pd.DatetimeIndex(self.data.index).tz),
                    ]
                ).encode()
            )
            h.update(pd.DatetimeIndex(self.data.index).asi8.tobytes())
            h.update(np.ascontiguousarray(self.data.to_numpy(np.float64)).tobytes())
            self._key = h.hexdigest()
        return self._key


def _check_location(latitude: float, longitude: float, altitude: float, file=None) -> None:
    if not np.isfinite(latitude) or not -90 <= latitude <= 90:
        raise InputError("latitude out of range", file=file, field="latitude", value=latitude, allowed="-90 .. 90 deg")
    if not np.isfinite(longitude) or not -180 <= longitude <= 180:
        raise InputError(
            "longitude out of range", file=file, field="longitude", value=longitude, allowed="-180 .. 180 deg"
        )
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
        raise InputError(
            "weather data lacks columns", file=file, field=", ".join(missing), allowed="columns " + ", ".join(COLUMNS)
        )
    keep = list(COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in data.columns]
    df = data[keep].astype(float).copy()
    idx = _check_index(df, file)
    temp = df["temp_air"]
    if np.nanmean(np.abs(temp)) > 60:
        warnings.warn(
            f"{file or 'weather'}: temp_air looks like tenths of a degree (mean |temp_air| = "
            f"{np.nanmean(np.abs(temp)):.0f}); divided by 10",
            InputWarning,
            stacklevel=2,
        )
        df["temp_air"] = temp / 10.0
    df, converted = _pressure_to_pa(df)
    if converted:
        warnings.warn(f"{file or 'weather'}: pressure looks like mbar/hPa; converted to Pa", InputWarning, stacklevel=2)
    df = _fill_gaps(df, idx, file)
    _check_ranges(df, file)
    return df


def _check_index(df: pd.DataFrame, file) -> pd.DatetimeIndex:
    """The weather table's index, checked: tz-aware, strictly increasing, hourly, one year (8760 or 8784 rows)."""
    idx = df.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise InputError(
            "weather index is not a DatetimeIndex",
            file=file,
            field="index",
            value=type(idx).__name__,
            allowed="hourly timestamps",
        )
    if idx.tz is None:
        raise InputError(
            "weather timestamps have no time zone",
            file=file,
            field="index",
            allowed="tz-aware timestamps (e.g. Asia/Shanghai or UTC+08:00)",
        )
    if len(idx) < 2 or not idx.is_monotonic_increasing or idx.has_duplicates:
        raise InputError(
            "weather timestamps are not strictly increasing",
            file=file,
            field="index",
            allowed="one row per hour, in order, no duplicates",
        )
    steps = np.diff(idx.as_unit("s").asi8) / 3600.0
    if not np.allclose(steps, 1.0):
        bad = np.flatnonzero(~np.isclose(steps, 1.0))[0]
        raise InputError(
            "weather data is not hourly and regular",
            file=file,
            field="index",
            value=f"step of {steps[bad]:g} h after {idx[bad]}",
            allowed="1-hour steps",
        )
    if len(df) not in (8760, 8784):
        raise InputError(
            "weather data does not cover exactly one year",
            file=file,
            field="index",
            value=f"{len(df)} hours",
            allowed="8760 or 8784 hourly rows",
        )
    return idx


def _fill_gaps(df: pd.DataFrame, idx: pd.DatetimeIndex, file) -> pd.DataFrame:
    """Gaps of up to :data:`MAX_GAP_HOURS` filled by linear interpolation (with a warning), longer ones refused;
    an optional column that is mostly missing is dropped."""
    for col in df.columns:
        isna = df[col].isna().to_numpy()
        if not isna.any():
            continue
        if col in OPTIONAL_COLUMNS and isna.mean() > 0.5:
            df = df.drop(columns=col)
            warnings.warn(f"{file or 'weather'}: column {col} is mostly missing; dropped", InputWarning, stacklevel=3)
            continue
        runs = _nan_runs(isna)
        longest = max(n for _, n in runs)
        if longest > MAX_GAP_HOURS:
            start = next(s for s, n in runs if n == longest)
            raise InputError(
                "gap in weather data too long to fill",
                file=file,
                field=col,
                value=f"{longest} missing hours from {idx[start]}",
                allowed=f"gaps of at most {MAX_GAP_HOURS} hours (filled by interpolation)",
            )
        df[col] = df[col].interpolate(method="linear", limit_direction="both")
        warnings.warn(
            f"{file or 'weather'}: filled {int(isna.sum())} missing {col} values in {len(runs)} gap(s) of "
            f"<= {longest} h by linear interpolation",
            InputWarning,
            stacklevel=3,
        )
    return df


def _check_ranges(df: pd.DataFrame, file) -> None:
    """Irradiance within physical limits both ways and wind speed >= 0; small negative irradiance set to 0 in
    place."""
    ghi_max = float(df["ghi"].max())
    if ghi_max > MAX_GHI_W_PER_M2:
        raise InputError(
            "ghi above the physical limit",
            file=file,
            field="ghi",
            value=ghi_max,
            allowed=f"0 .. {MAX_GHI_W_PER_M2:g} W/m2 (hourly means, not Wh per day or kJ)",
        )
    if not ghi_max >= MIN_PEAK_GHI_W_PER_M2:
        raise InputError(
            "ghi far below daylight levels all year (kW/m2 written as W/m2?)",
            file=file,
            field="ghi",
            value=f"highest hour {ghi_max:g}",
            allowed=f"hourly means in W/m2: the year's highest hour is at least "
            f"{MIN_PEAK_GHI_W_PER_M2:g} W/m2 anywhere people live (normally 700 .. 1200)",
        )
    for col in ("ghi", "dni", "dhi"):
        low = float(df[col].min())
        if low < -10:
            raise InputError("negative irradiance", file=file, field=col, value=low, allowed=">= 0 W/m2")
        df[col] = df[col].clip(lower=0.0)
    if float(df["wind_speed"].min()) < 0:
        raise InputError(
            "negative wind speed",
            file=file,
            field="wind_speed",
            value=float(df["wind_speed"].min()),
            allowed=">= 0 m/s",
        )


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
    if (
        "pressure" not in data
        or not data["pressure"].notna().any()
        or not np.nanmedian(data["pressure"]) < HPA_MEDIAN_BELOW
    ):
        return data, False
    data = data.copy()
    data["pressure"] = data["pressure"] * 100.0
    return data, True


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
    idx = pd.DatetimeIndex(data.index)
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


class RawWeather(NamedTuple):
    """What one format reader returns, before validation: the table on the reader's own clock (to be labelled
    ``label``), the location the file states (None where it states none) [°, m]."""

    data: pd.DataFrame
    latitude: float | None
    longitude: float | None
    altitude: float | None
    label: str
