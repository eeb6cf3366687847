"""PVGIS (JRC) weather: typical years (json, csv; the EPW is read by :mod:`sim.weather.epw`), hourly series
(seriescalc with irradiance components on a horizontal plane), and the typical-year fetch with its disk cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

from sim._io import atomic_write
from sim.errors import InputError
from sim.weather.base import (
    COLUMNS,
    OPTIONAL_COLUMNS,
    RawWeather,
    Weather,
    _check_location,
    _one_year,
    _pressure_to_pa,
    validate_weather,
)


def read_pvgis(path: Path) -> RawWeather:
    """A PVGIS typical year (json / csv) or hourly series (label "center": values stand for the hour centred on the
    sample instant)."""
    if _is_pvgis_hourly(path):
        hourly, lat, lon, alt = _read_pvgis_hourly(path)
        # PVGIS stamps its hourly values at hh:10 UTC, as in its TMY
        return RawWeather(_one_year(hourly), lat, lon, alt, "center")
    data, meta = pvlib.iotools.read_pvgis_tmy(path, map_variables=True)
    lat, lon, alt = _pvgis_location(meta)
    if data.index.tz is None:
        data.index = data.index.tz_localize("UTC")
    # PVGIS values are satellite samples taken near the stamped UTC hour, at the "irradiance time offset" its
    # header states (0.1761 h: hh:11); each stands for the hour centred on that instant
    data.index = data.index + pd.Timedelta(minutes=round(60.0 * _pvgis_time_offset_h(meta)))
    data, _ = _pressure_to_pa(_one_year(data))
    return RawWeather(data, lat, lon, alt, "center")


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


def _is_pvgis_hourly(path: Path) -> bool:
    """A PVGIS hourly series (seriescalc) rather than a typical year: a JSON whose ``outputs`` hold ``hourly`` (a
    typical year's hold ``tmy_hourly``, and its metadata says ``"timestamp": "hourly"``, which is not a series), or
    a CSV with G(i)/Gb(i) columns."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if text.lstrip().startswith("{"):
        try:
            outputs = json.loads(text).get("outputs", {})
        except (ValueError, AttributeError):
            return False  # not PVGIS JSON: the typical-year reader says what is wrong
        return isinstance(outputs, dict) and "hourly" in outputs  # a typical year holds "tmy_hourly"
    return "Gb(i)" in text or "G(i)" in text


#: Below this sun height the beam on a horizontal plane is not turned into DNI (division by a tiny sin) [°].


#: Below this sun height the beam on a horizontal plane is not turned into DNI (division by a tiny sin) [°].
PVGIS_MIN_SUN_HEIGHT_DEG = 1.0


def _read_pvgis_hourly(path: Path) -> tuple[pd.DataFrame, float | None, float | None, float]:
    """A PVGIS hourly series with irradiance components on a horizontal plane -> ghi, dni, dhi, temp_air,
    wind_speed; raises InputError saying what is missing otherwise. DNI = Gb(i) / sin(H_sun) where the sun is above
    :data:`PVGIS_MIN_SUN_HEIGHT_DEG`, else 0 (and that beam stays in ghi)."""
    data, meta = pvlib.iotools.read_pvgis_hourly(path, map_variables=True)[:2]
    inputs = (meta or {}).get("inputs", {}) or {}
    loc = inputs.get("location", inputs) or {}
    if "poa_direct" not in data or "poa_sky_diffuse" not in data:
        raise InputError(
            "PVGIS hourly file has no irradiance components (only total plane irradiance G(i) or PV power P)",
            file=path,
            field="Gb(i), Gd(i)",
            allowed="a PVGIS hourly series downloaded with "
            "'Radiation components' ticked (API: components=1) on a horizontal plane (slope 0)",
        )
    slope = _pvgis_slope(inputs)
    if slope is None or abs(slope) > 0.01:
        raise InputError(
            "PVGIS hourly components are on a tilted plane, not horizontal",
            file=path,
            field="slope",
            value=slope,
            allowed="a PVGIS hourly series for slope 0 (API: angle=0), so that Gb(i) and "
            "Gd(i) are beam and diffuse on the horizontal",
        )
    sun_height = data["solar_elevation"].to_numpy(float)
    beam = data["poa_direct"].to_numpy(float)
    up = sun_height > PVGIS_MIN_SUN_HEIGHT_DEG
    out = pd.DataFrame(
        {
            "ghi": beam + data["poa_sky_diffuse"].to_numpy(float) + data.get("poa_ground_diffuse", 0.0 * beam),
            "dni": np.where(up, beam / np.sin(np.radians(np.where(up, sun_height, 90.0))), 0.0),
            "dhi": data["poa_sky_diffuse"].to_numpy(float),
            "temp_air": data["temp_air"].to_numpy(float),
            "wind_speed": data["wind_speed"].to_numpy(float),
        },
        index=data.index if data.index.tz is not None else data.index.tz_localize("UTC"),
    )
    years = sorted(set(pd.DatetimeIndex(out.index).year))
    if len(years) > 1 and len(out) > 8784:
        raise InputError(
            "PVGIS hourly file covers several years",
            file=path,
            field="startyear, endyear",
            value=f"{years[0]}-{years[-1]}",
            allowed="one year per file (weather.files lists one file per year)",
        )
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


def fetch_pvgis_tmy(
    latitude: float,
    longitude: float,
    cache_dir: str | Path | None = None,
    *,
    timeout_s: float = 30.0,
    url: str = "https://re.jrc.ec.europa.eu/api/",
    startyear: int | None = None,
    endyear: int | None = None,
) -> Weather:
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
        data, meta = pvlib.iotools.get_pvgis_tmy(
            latitude,
            longitude,
            outputformat="json",
            startyear=startyear,
            endyear=endyear,
            url=url,
            timeout=timeout_s,
            map_variables=True,
        )
    except Exception as exc:
        raise InputError(
            f"PVGIS request failed: {exc}",
            field="weather.pvgis",
            value=(latitude, longitude),
            allowed="a location PVGIS covers, network access, or a cached file in cache_dir",
        ) from exc
    if data.index.tz is None:
        data.index = data.index.tz_localize("UTC")
    data.index = data.index + pd.Timedelta(minutes=round(60.0 * _pvgis_time_offset_h(meta)))  # sample instants
    altitude = _pvgis_location(meta)[2]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "latitude": latitude,
            "longitude": longitude,
            "altitude": altitude,
            "index_utc": [t.isoformat() for t in data.index.tz_convert("UTC")],
            "columns": {c: data[c].astype(float).tolist() for c in data.columns if c in COLUMNS + OPTIONAL_COLUMNS},
        }
        atomic_write(path, json.dumps(payload))
        return _pvgis_from_cache(path)
    data = validate_weather(_one_year(data), file="PVGIS")
    return Weather(
        data=data,
        latitude=latitude,
        longitude=longitude,
        altitude=altitude,
        label="center",
        source=f"pvgis({latitude:.4f},{longitude:.4f})",
    )


def _pvgis_from_cache(path: Path) -> Weather:
    try:
        payload = json.loads(path.read_text())
        index = pd.DatetimeIndex(pd.to_datetime(payload["index_utc"], utc=True))
        data = pd.DataFrame(payload["columns"], index=index)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(
            f"unreadable PVGIS cache file: {exc}",
            file=path,
            field="weather.pvgis.cache_dir",
            allowed="delete the file to fetch again",
        ) from exc
    data = validate_weather(_one_year(data), file=path)
    return Weather(
        data=data,
        latitude=float(payload["latitude"]),
        longitude=float(payload["longitude"]),
        altitude=float(payload["altitude"]),
        label="center",
        source=f"pvgis({payload['latitude']:.4f},{payload['longitude']:.4f})",
    )


# --------------------------------------------------------------------------------------------------------------------
# Synthetic year
# --------------------------------------------------------------------------------------------------------------------
