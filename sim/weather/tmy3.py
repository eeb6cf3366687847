"""NREL TMY3 files (hour-ending values of typical months drawn from different years)."""

from __future__ import annotations

from pathlib import Path

import pvlib

from sim.weather.base import RawWeather, _one_year, _pressure_to_pa, _to_left


def read_tmy3(path: Path) -> RawWeather:
    """A TMY3 CSV: values are for the hour ending at the timestamp, re-stamped at the hour's start (label "left"),
    laid on one calendar year; pressure from mbar to Pa."""
    data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
    data = _to_left(data, "right")  # TMY3 values are for the hour ending at the timestamp
    data = _one_year(data)  # mixed-year typical months -> one year
    data, _ = _pressure_to_pa(data)  # TMY3 pressure is in mbar
    return RawWeather(data, meta["latitude"], meta["longitude"], meta["altitude"], "left")
