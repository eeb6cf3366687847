"""One entry point for weather files: the format from the name and header, then that format's reader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.errors import InputError
from sim.weather.base import RawWeather, Weather, _check_location, validate_weather
from sim.weather.epw import read_epw
from sim.weather.nsrdb import read_nsrdb
from sim.weather.pvgis import read_pvgis
from sim.weather.solaranywhere import read_solaranywhere
from sim.weather.tmy3 import read_tmy3

#: The reader of each ``weather.format`` (each returns the table on its own clock, the file's location and label).
READERS: dict[str, Callable[[Path], RawWeather]] = {
    "epw": read_epw,
    "tmy3": read_tmy3,
    "pvgis": read_pvgis,
    "nsrdb": read_nsrdb,
    "solaranywhere": read_solaranywhere,
}


def detect_format(path: Path) -> str:
    """Guess the weather-file format from its name and first line."""
    suffix = path.suffix.lower()
    if suffix == ".epw":
        return "epw"
    if suffix == ".json":
        return "pvgis"
    with open(path, encoding="latin-1") as f:
        head = f.readline() + f.readline() + f.readline()
    first = head.splitlines()[0] if head else ""
    if first.startswith("LOCATION,"):
        return "epw"
    if first.startswith("Source,") or "NSRDB" in first:
        return "nsrdb"
    if first.lower().startswith("latitude") or "PVGIS" in head or "time(UTC)" in head:
        return "pvgis"
    lines = head.splitlines()
    if len(lines) > 1 and lines[1].startswith("ObservationTime"):
        return "solaranywhere"  # SolarAnywhere SA format: a TMY3-like first line, then its own column names
    parts = first.split(",")
    if len(parts) >= 7 and parts[0].strip().isdigit():
        return "tmy3"
    raise InputError(
        "cannot tell the weather-file format",
        file=path,
        field="format",
        allowed="set format to one of " + ", ".join(READERS),
    )


def read_weather_file(
    path: str | Path,
    fmt: str = "auto",
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    altitude: float | None = None,
) -> Weather:
    """Read one weather file into a validated, left-labelled :class:`Weather`.

    Parameters
    ----------
    path : EPW, TMY3 CSV, PVGIS TMY (json / csv / epw), PVGIS hourly series (seriescalc, csv / json, with
        irradiance components on a horizontal plane), NSRDB PSM CSV (hourly, or 30/15/5-minute resampled to hourly)
        or SolarAnywhere SA-format CSV file.
    fmt : "auto" (from name and header), "epw", "tmy3", "pvgis", "nsrdb" or "solaranywhere".
    latitude, longitude [°], altitude [m] : override the file's own metadata.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("weather file not found", file=path, field="files", allowed="an existing file path")
    fmt = detect_format(path) if fmt == "auto" else fmt
    reader = READERS.get(fmt)
    if reader is None:
        raise InputError(
            "unknown weather-file format", file=path, field="format", value=fmt, allowed="auto, " + ", ".join(READERS)
        )
    try:
        data, lat, lon, alt, label = reader(path)
    except InputError:
        raise
    except Exception as exc:  # a parser failure: say which file and format
        raise InputError(
            f"could not read weather file as {fmt}: {exc}",
            file=path,
            field="format",
            value=fmt,
            allowed="a valid " + ", ".join(READERS) + " file",
        ) from exc
    lat_deg = float(latitude if latitude is not None else lat)  # type: ignore[arg-type]  # None: TypeError, as before
    lon_deg = float(longitude if longitude is not None else lon)  # type: ignore[arg-type]
    alt_m = float(altitude if altitude is not None else (alt if alt is not None else 0.0))
    _check_location(lat_deg, lon_deg, alt_m, file=path)
    if not isinstance(data.index, pd.DatetimeIndex) or data.index.tz is None:
        raise InputError(
            "weather timestamps have no time zone", file=path, field="index", allowed="a file with a time-zone field"
        )
    data = validate_weather(data, file=path)
    return Weather(data=data, latitude=lat_deg, longitude=lon_deg, altitude=alt_m, label=label, source=path.name)
