"""NREL TMY3 files (hour-ending values of typical months drawn from different years), and files in TMY3 format from
other providers (SolarAnywhere's "TMY3 format" download), in UTF-8 or Latin-1."""

from __future__ import annotations

from pathlib import Path

import pvlib

from sim.weather.base import RawWeather, _one_year, _pressure_to_pa, _to_left

#: Encodings tried in turn: TMY3 files are ASCII, but other providers' TMY3-format files carry a Latin-1 "®" or "°"
#: in the header (SolarAnywhere: "Clean Power Research®"); Latin-1 decodes any byte, so it comes last.
ENCODINGS = ("utf-8", "latin-1")


def read_tmy3(path: Path) -> RawWeather:
    """A TMY3 CSV: values are for the hour ending at the timestamp, re-stamped at the hour's start (label "left"),
    laid on one calendar year; pressure from mbar to Pa. UTF-8, or Latin-1 where the file is not UTF-8."""
    for encoding in ENCODINGS:
        try:
            data, meta = pvlib.iotools.read_tmy3(path, map_variables=True, encoding=encoding)
            break
        except UnicodeDecodeError:
            if encoding == ENCODINGS[-1]:
                raise
    # SolarAnywhere's TMY3-format files spell the DNI column "DNI (W/m^2))": map it as pvlib maps "DNI (W/m^2)"
    data = data.rename(columns={"DNI (W/m^2))": "dni"})
    data = _to_left(data, "right")  # TMY3 values are for the hour ending at the timestamp
    data = _one_year(data)  # mixed-year typical months -> one year
    data, _ = _pressure_to_pa(data)  # TMY3 pressure is in mbar
    return RawWeather(data, meta["latitude"], meta["longitude"], meta["altitude"], "left")
