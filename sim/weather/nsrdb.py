"""NREL NSRDB PSM files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pvlib

from sim.weather.base import RawWeather, _one_year, _pressure_to_pa, _to_left


def read_nsrdb(path: Path) -> RawWeather:
    """An NSRDB PSM CSV: start-of-hour stamps for hourly means, or hh:30 stamps for mid-hour values; re-stamped at the
    hour's start (label "left"); pressure from mbar to Pa."""
    data, meta = pvlib.iotools.read_nsrdb_psm4(path, map_variables=True)
    minute = int(np.median(data.index.minute))
    data = _to_left(data, "center" if minute == 30 else "left")
    data, _ = _pressure_to_pa(_one_year(data))  # NSRDB pressure is in mbar
    return RawWeather(data, meta["latitude"], meta["longitude"], meta.get("altitude", 0.0), "left")
