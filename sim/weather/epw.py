"""EnergyPlus weather (EPW) files, including the EPWs PVGIS makes (UTC hours, samples at a stated time offset)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pvlib

from sim.weather.base import RawWeather, _one_year


def read_epw(path: Path) -> RawWeather:
    """An EPW file: hour N holds the mean of the hour ending at N, so pvlib's index (hour - 1) marks the start of
    each hour (label "left"); a PVGIS-made EPW is re-stamped at its sample instants (label "center")."""
    data, meta = pvlib.iotools.read_epw(path)
    data = data.rename(columns={"atmospheric_pressure": "pressure"})  # [Pa]
    label = "left"  # pvlib sets the index to hour - 1: the start of each EPW hour
    offset_h = _pvgis_epw_offset_h(path)
    if offset_h is not None:
        data, label = _pvgis_epw_times(data, offset_h), "center"
    return RawWeather(_one_year(data), meta["latitude"], meta["longitude"], meta["altitude"], label)


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
    start_utc = pd.DatetimeIndex(data.index).tz_localize(None).tz_localize("UTC")  # pvlib's hour - 1, read as UTC
    out.index = start_utc + pd.Timedelta(minutes=round((1.0 + offset_h) * 60.0))
    return out
