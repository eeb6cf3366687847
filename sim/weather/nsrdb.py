"""NREL NSRDB PSM files: hourly, and 30-, 15- or 5-minute files resampled to hourly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

from sim.weather.base import RawWeather, _one_year, _pressure_to_pa, _to_left


def read_nsrdb(path: Path) -> RawWeather:
    """An NSRDB PSM CSV (PSM3 or PSM4 layout). Hourly files: start-of-hour stamps for hourly means, or hh:30 stamps
    for mid-hour values; re-stamped at the hour's start (label "left"). Sub-hourly files (30, 15 or 5 minutes):
    :func:`hourly_from_instants`. Pressure from mbar to Pa."""
    data, meta = pvlib.iotools.read_nsrdb_psm4(path, map_variables=True)
    step_min = _step_minutes(data.index)
    if step_min < 60:
        data, label = hourly_from_instants(data), "center"
    else:
        minute = int(np.median(data.index.minute))
        data, label = _to_left(data, "center" if minute == 30 else "left"), "left"
    data, _ = _pressure_to_pa(_one_year(data))  # NSRDB pressure is in mbar
    return RawWeather(data, meta["latitude"], meta["longitude"], meta.get("altitude", 0.0), label)


def _step_minutes(index: pd.DatetimeIndex) -> float:
    """The most common step of a time index [min] (60 for a single row)."""
    if len(index) < 2:
        return 60.0
    return float(pd.Series(np.diff(index.as_unit("s").asi8) / 60.0).mode().iloc[0])


def hourly_from_instants(data: pd.DataFrame) -> pd.DataFrame:
    """Hourly values from sub-hourly samples taken at their time stamps (NSRDB PSM: each value is the satellite
    retrieval for the stamped instant; the 30-minute files stamp hh:00 and hh:30).

    Convention: the value of hour ``hh`` is the mean of the samples stamped in ``[hh:00, hh+1:00)``; that mean
    stands for the hour centred on the samples' mean instant, so it is stamped there (label "center"): hh:15 for
    30-minute data, hh:22 for 15-minute data (22.5 min, to the minute), hh:27 for 5-minute data. An hour with a
    missing sample keeps the mean of the samples it has. Numeric columns only.
    """
    numeric = data.select_dtypes("number")
    hours = pd.DatetimeIndex(numeric.index).floor("1h")
    mean = numeric.groupby(hours).mean()
    mean_offset = pd.Series((numeric.index - hours).total_seconds(), index=numeric.index).groupby(hours).mean()
    minutes = int(np.floor(float(mean_offset.median()) / 60.0))
    mean.index = pd.DatetimeIndex(mean.index) + pd.Timedelta(minutes=minutes)
    return mean
