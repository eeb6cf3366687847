"""SolarAnywhere (Clean Power Research) files in their own "SA format": typical years and time series, hourly or
sub-hourly. (Their "TMY3 format" download is read by :mod:`sim.weather.tmy3`.)"""

from __future__ import annotations

import warnings
from pathlib import Path

import pvlib

from sim.errors import InputWarning
from sim.weather.base import RawWeather, _one_year

#: Wind speed assumed where a file has none at all [m/s]: the value pvlib's ``PVSystem.get_cell_temperature`` uses
#: when no wind speed is given (pvlib 0.16 documentation); SolarAnywhere typical-year files leave wind empty.
DEFAULT_WIND_SPEED_M_PER_S = 1.0


def read_solaranywhere(path: Path) -> RawWeather:
    """A SolarAnywhere SA-format CSV. Its values are averages over the period ending at each stamp ("Averaging
    Method: End of Period"), in local standard time: sub-hourly periods are averaged into the hour they fall in,
    ``(hh:00, hh+1:00]``, and every hourly mean is stamped at its hour's start (label "left"). A file without wind
    gets :data:`DEFAULT_WIND_SPEED_M_PER_S` with an InputWarning."""
    data, meta = pvlib.iotools.read_solaranywhere(path, map_variables=True)
    data = data.select_dtypes("number")
    if str(meta.get("Averaging Method", "End of Period")).strip().lower() != "end of period":
        raise ValueError(f"averaging method {meta.get('Averaging Method')!r}: only 'End of Period' files are known")
    data = data.resample("1h", label="left", closed="right").mean()
    if "wind_speed" not in data or data["wind_speed"].isna().all():
        warnings.warn(
            f"{path}: no wind speed in the file; {DEFAULT_WIND_SPEED_M_PER_S:g} m/s assumed for the cell "
            "temperature (pvlib's default)",
            InputWarning,
            stacklevel=3,
        )
        data["wind_speed"] = DEFAULT_WIND_SPEED_M_PER_S
    return RawWeather(_one_year(data), meta["latitude"], meta["longitude"], meta.get("altitude", 0.0), "left")
