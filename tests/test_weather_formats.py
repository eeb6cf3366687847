"""Weather formats on real files from pvlib-python's test data (tests/data/pvlib/README.md): PVGIS typical-year JSON,
TMY3-format files in Latin-1, NSRDB 30-minute files (and a real 5-minute day) resampled to hourly, SolarAnywhere SA
format; and the resampling conventions by hand. (PVGIS hourly series: pvlib's two real files are refused with their
reasons in tests/test_weather.py; pvlib ships no seriescalc file with components on a horizontal plane. NSRDB
15-minute: pvlib ships no such file; the rule is checked by hand below.)"""

from __future__ import annotations

import gzip
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import InputWarning
from sim.weather import read_weather_file
from sim.weather.files import detect_format
from sim.weather.nsrdb import hourly_from_instants
from sim.weather.solaranywhere import DEFAULT_WIND_SPEED_M_PER_S, read_solaranywhere

DATA = Path(__file__).parent / "data" / "pvlib"


def unzip(name: str, tmp_path: Path) -> Path:
    """A shipped ``name.gz`` decompressed into ``tmp_path`` under ``name``."""
    path = tmp_path / name
    with gzip.open(DATA / f"{name}.gz", "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def test_pvgis_typical_year_json_is_a_typical_year_not_an_hourly_series(tmp_path):
    """The JSON's metadata says ``"timestamp": "hourly"``; it used to be taken for an hourly series and fail with
    'hourly'. The JSON and the CSV of the same PVGIS request give the same hours on the same clock."""
    js = read_weather_file(unzip("tmy_45.000_8.000_2005_2023.json", tmp_path))
    csv = read_weather_file(unzip("tmy_45.000_8.000_2005_2023.csv", tmp_path))
    assert detect_format(tmp_path / "tmy_45.000_8.000_2005_2023.json") == "pvgis"
    assert js.label == "center" and len(js.data) == 8760 and js.latitude == 45.0 and js.altitude == 250.0
    assert js.data.index.equals(csv.data.index) and js.data.index[0].minute == 11  # offset 0.1761 h
    for col in ("ghi", "dni", "dhi", "temp_air", "wind_speed"):
        np.testing.assert_allclose(js.data[col], csv.data[col], atol=0.01)


def test_tmy3_format_file_in_latin1_is_read(tmp_path):
    """SolarAnywhere's TMY3-format file: a Latin-1 '®' in its header (not UTF-8) and a 'DNI (W/m^2))' column."""
    path = unzip("solaranywhere_burlington_2021_tmy3_format.csv", tmp_path)
    with pytest.raises(UnicodeDecodeError):
        path.read_text(encoding="utf-8")
    with pytest.warns(InputWarning, match="column pressure is mostly missing; dropped"):  # said, not silent
        w = read_weather_file(path)
    assert detect_format(path) == "tmy3"
    assert (w.latitude, w.longitude, w.altitude) == (44.465, -73.205, 41.0)
    # hour-ending values re-stamped at the hour's start: the first row (01:00 local standard time) becomes 00:00
    assert w.label == "left" and w.data.index[0] == pd.Timestamp("2021-01-01 00:00", tz="Etc/GMT+5")
    assert len(w.data) == 8760 and w.data["dni"].max() > 800  # the misspelt DNI column is read
    assert 1250 < w.data["ghi"].sum() / 1000 < 1400  # Burlington, VT: about 1.3 MWh/m2 a year


def test_nsrdb_30_minute_file_is_resampled_to_hourly(tmp_path):
    """pvlib's 30-minute PSM3 file (40.53 N, 108.54 W, 2017, UTC-7), reduced to the columns the reader uses.
    Hour hh = mean of the samples at hh:00 and hh:30, stamped at their mean instant hh:15 (label center)."""
    path = unzip("nsrdb_psm3_30min_2017.csv", tmp_path)
    raw = pd.read_csv(path, skiprows=2)
    w = read_weather_file(path)
    assert detect_format(path) == "nsrdb" and w.label == "center" and len(w.data) == 8760
    assert (w.data.index.minute == 15).all() and str(w.data.index[0]) == "2017-01-01 00:15:00-07:00"
    noon = raw[(raw.Month == 6) & (raw.Day == 21) & (raw.Hour == 12)]
    assert len(noon) == 2  # 12:00 and 12:30
    stamp = pd.Timestamp("2017-06-21 12:15", tz="Etc/GMT+7")
    assert w.data.at[stamp, "ghi"] == pytest.approx(noon["GHI"].mean())
    assert w.data.at[stamp, "temp_air"] == pytest.approx(noon["Temperature"].mean())
    assert w.data.at[stamp, "pressure"] == pytest.approx(100 * noon["Pressure"].mean())  # mbar -> Pa
    # energy is kept: the mean of the hourly values equals the mean of all the half-hourly samples
    assert w.data["ghi"].mean() == pytest.approx(raw["GHI"].mean())


def test_nsrdb_5_minute_samples_of_a_real_day_become_hourly_means_at_hh27():
    """pvlib's 5-minute PSM3 day (2019-01-01, UTC-7; values as NSRDB served them, saved by pvlib without the NSRDB
    header, so through :func:`hourly_from_instants` rather than the file reader). Hour hh = mean of the 12 samples
    stamped hh:00 .. hh:55, stamped at their mean instant hh:27 (27.5 min, to the minute), on the file's own clock."""
    raw = pd.read_csv(DATA / "nsrdb_psm3_5min_2019-01-01.csv.gz", index_col=0)
    raw.index = pd.to_datetime(raw.index)
    assert str(raw.index.tz) == "UTC-07:00" and len(raw) == 288
    data = raw[["GHI", "DNI", "DHI", "Temperature"]].rename(columns=str.lower)
    hourly = hourly_from_instants(data)
    assert len(hourly) == 24 and (hourly.index.minute == 27).all()
    assert str(hourly.index[12]) == "2019-01-01 12:27:00-07:00"
    noon = raw[raw.Hour == 12]  # 510, 511, 512, 513, 513, 512, 512, 510, 508, 506, 503, 501 W/m2
    assert len(noon) == 12 and noon["GHI"].sum() == 6111
    assert hourly["ghi"].iloc[12] == pytest.approx(6111 / 12)
    assert hourly["dni"].iloc[12] == pytest.approx(noon["DNI"].mean())
    assert hourly["temperature"].iloc[12] == pytest.approx(noon["Temperature"].mean())
    assert hourly["ghi"].mean() == pytest.approx(raw["GHI"].mean())  # the day's energy is kept


@pytest.mark.parametrize("step_min, stamp_minute", [(30, 15), (15, 22), (5, 27)])
def test_sub_hourly_instants_become_hourly_means_at_their_mean_instant(step_min, stamp_minute):
    """By hand: samples 0, 1, 2, ... every ``step_min`` minutes; hour 0 holds samples 0..n-1 (n = 60 / step), whose
    mean is (n - 1) / 2, stamped at the samples' mean instant (60 - step) / 2 minutes, to the minute."""
    n = 60 // step_min
    index = pd.date_range("2023-01-01", periods=3 * n, freq=f"{step_min}min", tz="UTC")
    out = hourly_from_instants(pd.DataFrame({"ghi": np.arange(3 * n, dtype=float)}, index=index))
    assert len(out) == 3
    assert out["ghi"].tolist() == [(n - 1) / 2, n + (n - 1) / 2, 2 * n + (n - 1) / 2]
    assert (out.index.minute == stamp_minute).all() and out.index[1].hour == 1


def test_solaranywhere_sub_hourly_end_of_period_means_become_hourly_means(tmp_path):
    """SolarAnywhere SA format, 5-minute end-of-period averages (Burlington, 2021): the hour starting at 12:00 is the
    mean of the 12 periods ending 12:05 .. 13:00, stamped 12:00 (label left)."""
    import pvlib

    path = unzip("solaranywhere_burlington_2021_5min_sa_format.csv", tmp_path)
    assert detect_format(path) == "solaranywhere"
    raw, _ = pvlib.iotools.read_solaranywhere(path)
    got = read_solaranywhere(path)
    assert got.label == "left" and (got.latitude, got.longitude) == (44.4675, -73.2075)
    want = raw["ghi"]["2021-01-01 12:05":"2021-01-01 13:00"]
    assert len(want) == 12
    assert got.data.at[pd.Timestamp("2021-01-01 12:00", tz="Etc/GMT+5"), "ghi"] == pytest.approx(want.mean())


def test_solaranywhere_typical_year_without_wind_gets_the_default_with_a_warning(tmp_path):
    """pvlib's SolarAnywhere typical GHI year (its first 72 hours): hourly end-of-period values, no wind."""
    path = unzip("solaranywhere_burlington_tgy_sa_format.csv", tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = read_solaranywhere(path)
    assert any(issubclass(c.category, InputWarning) and "wind" in str(c.message) for c in caught)
    assert (got.data["wind_speed"] == DEFAULT_WIND_SPEED_M_PER_S).all()
    # the value ending 01:00 is the hour starting 00:00
    assert got.data.index[0].hour == 0 and got.data["temp_air"].iloc[0] == -6.0
