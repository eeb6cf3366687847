"""Validation of the yield engine against NREL's PySAM Pvwattsv8 and of the synthetic year against real years.

Real weather: the two TMY3 years shipped in pvlib's wheel (Greensboro NC, 723170; Sand Point AK, 703165) and the
IWEC EPW year of Amsterdam, a PVGIS-made EPW (45 N 8 E) and an NSRDB PSM4 typical year (Colorado) from pvlib's test
data (``tests/data/pvlib/``, gzipped; BSD-3, see the README there).
PySAM gets exactly the same hourly weather through ``solar_resource_data`` with minute=30 (sun at mid-hour),
losses 14 %, DC/AC 1.2, inverter 96 %, albedo 0.2, open rack, GCR 0.01 (self-shading negligible).
The measured differences are part of each test's id.

Before the low-light factor of :mod:`sim.energy` (PVWatts v8's single-diode module loses efficiency below about
400 W/m^2, a linear PVWatts DC model does not) ours was +0.18..+0.41 % (Greensboro), +0.53..+1.11 % (Sand Point),
+0.67..+1.26 % (Amsterdam) and -0.04..+0.03 % (NSRDB) against PySAM; the plane-of-array irradiance agreed to 0.02 %
and the sun position to 0.004 deg, so the label convention was not the cause. After: -0.38..+0.13 % on the hour-
labelled years and -0.26..-0.17 % on NSRDB.

The PVGIS-made EPW was read with the wrong clock: its hours are UTC (its LOCATION line says UTC+1) and each value is
a sample at hh:10 UTC (its "Irradiance Time Offset"), so the sun was placed 40 minutes early: east-facing yield -4.8 %,
west +8.2 %, and -0.87..-0.02 % against PySAM given the same sun. Re-stamped by :func:`sim.weather.read_weather_file`,
it agrees within -0.03..+0.11 %.
"""

from __future__ import annotations

import functools
import gzip
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from sim.energy import specific_yield
from sim.weather import Weather, read_weather_file, synthetic_year, validate_weather

pv8 = pytest.importorskip("PySAM.Pvwattsv8")

DATA = Path(pvlib.__file__).parent / "data"
SHIPPED = Path(__file__).parent / "data" / "pvlib"
FILES = ("723170TYA.CSV", "703165TY.csv", "NLD_Amsterdam062400_IWEC.epw", "tmy_45.000_8.000_2005_2023.epw",
         "test_psm4_tmy-2023_columns.csv")
#: NSRDB PSM4 TMY of pvlib's tests (its file has no header: location from pvlib's tests/iotools/test_psm4.py,
#: elevation from the header of its test_read_psm4.csv for the same point; stamps hh:30 local standard time UTC-7)
NSRDB_LOCATION = (40.5137, -108.5449, 2168.0)
_UNZIPPED = tempfile.TemporaryDirectory(prefix="pvsim-test-weather-")  # removed when the test session ends
ORIENTATIONS = ((0, 180), (20, 180), (40, 180), (30, 90), (30, 270))


@functools.lru_cache(maxsize=None)
def _weather(name: str) -> Weather:
    if (DATA / name).exists():
        return read_weather_file(DATA / name)
    if name.startswith("test_psm4_tmy"):
        return _nsrdb_tmy(SHIPPED / f"{name}.gz")
    path = Path(_UNZIPPED.name) / name
    with gzip.open(SHIPPED / f"{name}.gz", "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return read_weather_file(path)


def _nsrdb_tmy(path: Path) -> Weather:
    d = pd.read_csv(path)
    stamps = pd.to_datetime(dict(year=2023, month=d["Month"], day=d["Day"], hour=d["Hour"]))
    data = pd.DataFrame({"ghi": d["GHI"].to_numpy(float), "dni": d["DNI"].to_numpy(float),
                         "dhi": d["DHI"].to_numpy(float), "temp_air": d["Temperature"].to_numpy(float),
                         "wind_speed": d["Wind Speed"].to_numpy(float), "pressure": d["Pressure"].to_numpy(float) * 100},
                        index=pd.DatetimeIndex(stamps).tz_localize("Etc/GMT+7"))  # hh:30 values -> hour from hh:00
    lat, lon, alt = NSRDB_LOCATION
    return Weather(data=validate_weather(data, file=path.name), latitude=lat, longitude=lon, altitude=alt,
                   label="left", source=path.name)


def _pysam_ac(w: Weather, tilt: float, azimuth: float) -> pd.Series:
    # the instant each value stands for: mid-hour for hourly means stamped at their start ("left"), the stamp itself
    # for samples ("center", e.g. PVGIS at hh:10 UTC); with a minute column SSC places the sun exactly there
    idx = w.data.index + pd.Timedelta({"left": "30min", "center": "0min", "right": "-30min"}[w.label])
    tz_hours = idx[0].utcoffset().total_seconds() / 3600.0
    m = pv8.default("PVWattsNone")
    m.SolarResource.solar_resource_data = dict(
        lat=w.latitude, lon=w.longitude, tz=tz_hours, elev=w.altitude,
        year=list(idx.year), month=list(idx.month), day=list(idx.day), hour=list(idx.hour), minute=list(idx.minute),
        dn=list(w.data["dni"]), df=list(w.data["dhi"]), gh=list(w.data["ghi"]),
        tdry=list(w.data["temp_air"]), wspd=list(w.data["wind_speed"]),
    )
    m.SolarResource.albedo = [0.2] * 12
    m.SolarResource.use_wf_albedo = 0
    sd = m.SystemDesign
    sd.system_capacity = 1.0
    sd.dc_ac_ratio = 1.2
    sd.inv_eff = 96.0
    sd.losses = 14.0
    sd.array_type = 0  # fixed open rack
    sd.module_type = 0  # standard
    sd.gcr = 0.01
    sd.tilt = float(tilt)
    sd.azimuth = float(azimuth)
    m.execute()
    return pd.Series(np.asarray(m.Outputs.ac) / 1000.0, index=w.data.index)  # W per kW -> kWh/kWp per hour


@functools.lru_cache(maxsize=None)
def _compare(name: str, tilt: float, azimuth: float) -> tuple[float, float, float, float]:
    w = _weather(name)
    ours = specific_yield(w, w.latitude, w.longitude, w.altitude, tilt, azimuth)
    sam = _pysam_ac(w, tilt, azimuth)
    annual = (ours.sum() / sam.sum() - 1) * 100
    months = w.data.index.month
    ours_m, sam_m = ours.groupby(months).sum(), sam.groupby(months).sum()
    monthly = (ours_m / sam_m - 1) * 100
    # months with under 2 % of the year's energy (Sand Point's December: 1.6 %, the sun within 10 deg of the horizon)
    # are left out: there SSC's spectral modifier stays at 0.64 while the De Soto polynomial both use falls to 0
    # when the sun is below about 3 deg; it moves the annual figure by less than 0.1 %
    significant = sam_m >= 0.02 * sam_m.sum()
    return float(annual), float(monthly[significant].abs().max()), float(ours.sum()), float(sam.sum())


def _case_id(name: str, tilt: float, azimuth: float) -> str:
    annual, monthly, ours, sam = _compare(name, tilt, azimuth)
    return f"{name.split('.')[0]}-tilt{tilt}-az{azimuth}-annual{annual:+.2f}%-worstmonth{monthly:.2f}%"


#: the figures README's Validation section quotes (the tests hold the code to them, to their last digit's rounding):
#: annual AC against PySAM within -0.38 to +0.13 %, months holding >= 2 % of the year's energy within 4.3 %, the
#: calibrated synthetic year's annual yield within 1.2 % of the real year's
ANNUAL_RANGE_PERCENT = (-0.38, 0.13)
WORST_MONTH_PERCENT = 4.3
SYNTHETIC_ANNUAL_PERCENT = 1.2

CASES = [(f, t, a) for f in FILES for t, a in ORIENTATIONS]


@pytest.mark.parametrize("name,tilt,azimuth", CASES, ids=[_case_id(*c) for c in CASES])
def test_specific_yield_matches_pysam_pvwattsv8(name, tilt, azimuth):
    annual, monthly, ours, sam = _compare(name, tilt, azimuth)
    msg = (f"{name} tilt {tilt} az {azimuth}: ours {ours:.1f} kWh/kWp, PySAM {sam:.1f} kWh/kWp, "
           f"annual diff {annual:+.2f} %, worst month {monthly:.2f} %")
    assert ANNUAL_RANGE_PERCENT[0] - 0.005 <= annual <= ANNUAL_RANGE_PERCENT[1] + 0.005, msg  # to the README's rounding
    assert monthly <= WORST_MONTH_PERCENT + 0.05, msg


def _calibrated_synthetic(w: Weather) -> Weather:
    d = w.data
    by = d.groupby(d.index.month)
    days = by.size() / 24.0
    ghi_month = (by["ghi"].sum() / 1000.0 / days).tolist()
    tz = d.index.tz
    return synthetic_year(w.latitude, w.longitude, w.altitude, ghi_month, by["temp_air"].mean().tolist(),
                          by["wind_speed"].mean().tolist(), year=2019, seed=7, tz=tz)


@functools.lru_cache(maxsize=None)
def _synthetic_vs_real(name: str, tilt: float, azimuth: float) -> tuple[float, float, float]:
    w = _weather(name)
    s = _calibrated_synthetic(w)
    real = specific_yield(w, w.latitude, w.longitude, w.altitude, tilt, azimuth).sum()
    synth = specific_yield(s, s.latitude, s.longitude, s.altitude, tilt, azimuth).sum()
    return float((synth / real - 1) * 100), float(real), float(synth)


SYN_CASES = [(f, t, 180) for f in FILES[:2] for t in (0, 20, 40)]  # the TMY3 years, as before


@pytest.mark.parametrize("name,tilt,azimuth", SYN_CASES,
                         ids=[f"{c[0].split('.')[0]}-tilt{c[1]}-diff{_synthetic_vs_real(*c)[0]:+.2f}%"
                              for c in SYN_CASES])
def test_synthetic_year_calibrated_to_real_year_gives_same_annual_yield(name, tilt, azimuth):
    diff, real, synth = _synthetic_vs_real(name, tilt, azimuth)
    assert abs(diff) <= SYNTHETIC_ANNUAL_PERCENT + 0.05, (
        f"{name} tilt {tilt}: synthetic {synth:.1f} vs real {real:.1f} kWh/kWp ({diff:+.2f} %)")
