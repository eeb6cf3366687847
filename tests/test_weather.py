"""Tests of sim.weather: readers, PVGIS cache, synthetic year, validation and repair, config."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest
from pydantic import ValidationError

from sim import weather as wmod
from sim.errors import InputError, InputWarning
from sim.weather import (
    BEIJING_GHI_KWH_PER_M2_DAY,
    BEIJING_TEMP_AIR_C,
    BEIJING_WIND_SPEED_M_PER_S,
    Weather,
    WeatherConfig,
    fetch_pvgis_tmy,
    load_weather,
    read_weather_file,
    synthetic_year,
    validate_weather,
)

DATA = Path(pvlib.__file__).parent / "data"
TMY3 = DATA / "723170TYA.CSV"


@pytest.fixture(scope="module")
def tmy3_raw():
    """The raw TMY3 table as pvlib reads it (hour-ending, mixed years) and its metadata."""
    return pvlib.iotools.read_tmy3(TMY3, map_variables=True)


@pytest.fixture(scope="module")
def tmy3() -> Weather:
    return read_weather_file(TMY3)


def _good_frame(n=8760, tz="Asia/Shanghai") -> pd.DataFrame:
    idx = pd.date_range("2023-01-01", periods=n, freq="1h", tz=tz)
    hour = idx.hour.to_numpy()
    ghi = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * 600
    return pd.DataFrame({"ghi": ghi, "dni": ghi * 0.8, "dhi": ghi * 0.3, "temp_air": 10.0, "wind_speed": 2.0},
                        index=idx)


# --------------------------------------------------------------------------------------------------------- TMY3 reader


@pytest.mark.parametrize("name", ["723170TYA.CSV", "703165TY.csv"])
def test_read_tmy3_pvlib_samples(name):
    w = read_weather_file(DATA / name)
    d = w.data
    assert len(d) == 8760 and w.label == "left"
    assert d.index[0].month == 1 and d.index[0].day == 1 and d.index[0].hour == 0
    assert d.index[-1].month == 12 and d.index[-1].day == 31 and d.index[-1].hour == 23
    assert d.index.is_monotonic_increasing and d.index.tz is not None
    assert set(wmod.COLUMNS) <= set(d.columns)
    assert 80_000 < d["pressure"].median() < 105_000  # mbar converted to Pa
    assert -90 <= w.latitude <= 90 and w.source == name


def test_tmy3_hour_ending_values_move_to_hour_start(tmy3, tmy3_raw):
    raw, meta = tmy3_raw
    # first TMY3 record is hour ending 01:00 on Jan 1; it must sit at 00:00 (start of its hour)
    assert tmy3.data["ghi"].iloc[0] == raw["ghi"].iloc[0]
    assert tmy3.data["temp_air"].iloc[12] == raw["temp_air"].iloc[12]
    assert tmy3.data["ghi"].sum() == pytest.approx(raw["ghi"].sum())
    assert (tmy3.latitude, tmy3.longitude, tmy3.altitude) == (meta["latitude"], meta["longitude"], meta["altitude"])
    # noon sun: the largest mean GHI is in the hour starting 11:00 or 12:00 local standard time
    assert tmy3.data["ghi"].groupby(tmy3.data.index.hour).mean().idxmax() in (11, 12)


# ------------------------------------------------------------------------------------------ EPW, PVGIS and NSRDB files


def _write_epw(path: Path, w: Weather) -> None:
    d = w.data
    tz = d.index[0].utcoffset().total_seconds() / 3600
    head = [
        f"LOCATION,Greensboro,NC,USA,TMY3,723170,{w.latitude},{w.longitude},{tz},{w.altitude}",
        "DESIGN CONDITIONS,0", "TYPICAL/EXTREME PERIODS,0", "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0", "COMMENTS 1,test", "COMMENTS 2,test",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
    rows = []
    for t, r in zip(d.index, d.itertuples()):
        rows.append(",".join(str(v) for v in [
            t.year, t.month, t.day, t.hour + 1, 60, "?9?9?9", round(r.temp_air, 1), 0.0, 50, int(r.pressure),
            0, 1367, 300, round(r.ghi), round(r.dni), round(r.dhi), 0, 0, 0, 0, 180, r.wind_speed, 5, 5, 20,
            77777, 9, 999999999, 10, 0.1, 0, 88, 0.2, 0, 0]))
    path.write_text("\n".join(head + rows) + "\n")


def test_pvgis_made_epw_is_stamped_at_its_utc_sample_times(tmp_path):
    import gzip
    import shutil

    path = tmp_path / "tmy_45.000_8.000_2005_2023.epw"
    with gzip.open(Path(__file__).parent / "data" / "pvlib" / f"{path.name}.gz", "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    w = read_weather_file(path)
    # header: time zone 1, "Irradiance Time Offset (h):-0.8239"; EPW hour 9 of Jan 1 (GHI 32) is PVGIS's 08:00 UTC
    # record, a sample at 08:00 + 0.1761 h = 08:11 UTC
    assert w.label == "center" and str(w.data.index.tz) == "UTC"
    assert w.data.index[8].hour == 8 and w.data.index[8].minute == 11 and w.data["ghi"].iloc[8] == 32.0
    assert (w.data.index.minute == 11).all() and len(w.data) == 8760


def test_pvgis_tmy_csv_and_epw_of_one_request_give_the_same_hours(tmp_path):
    """pvlib's PVGIS samples of the same request (45 N 8 E, 2005-2023) as csv and as EPW: after re-stamping both at
    their sample instants (hh:11 UTC) they are the same table on the same clock."""
    import gzip
    import shutil

    years = {}
    for name in ("tmy_45.000_8.000_2005_2023.csv", "tmy_45.000_8.000_2005_2023.epw"):
        with gzip.open(Path(__file__).parent / "data" / "pvlib" / f"{name}.gz", "rb") as src, \
                open(tmp_path / name, "wb") as dst:
            shutil.copyfileobj(src, dst)
        years[name.rsplit(".", 1)[1]] = read_weather_file(tmp_path / name)
    csv, epw = years["csv"], years["epw"]
    assert csv.label == epw.label == "center" and csv.data.index.equals(epw.data.index)
    assert csv.data.index[0].minute == 11  # 0.1761 h after the hour
    for col in ("ghi", "dni", "dhi"):
        np.testing.assert_allclose(csv.data[col], epw.data[col], atol=0.01)


def test_read_epw(tmp_path, tmy3):
    path = tmp_path / "site.epw"
    _write_epw(path, tmy3)
    w = read_weather_file(path)
    assert w.label == "left" and len(w.data) == 8760
    np.testing.assert_allclose(w.data["ghi"].to_numpy(), tmy3.data["ghi"].round().to_numpy())
    assert w.data.index[0].hour == 0  # EPW hour 1 = 00:00-01:00
    assert w.data["pressure"].median() == pytest.approx(tmy3.data["pressure"].median(), rel=1e-3)
    assert w.latitude == pytest.approx(tmy3.latitude)


def _write_pvgis_json(path: Path, w: Weather) -> None:
    utc = w.data.index.tz_convert("UTC")
    d = w.data
    hourly = [{"time(UTC)": t.strftime("%Y%m%d:%H%M"), "T2m": r.temp_air, "RH": 50.0, "G(h)": r.ghi, "Gb(n)": r.dni,
               "Gd(h)": r.dhi, "IR(h)": 300.0, "WS10m": r.wind_speed, "WD10m": 180.0, "SP": r.pressure}
              for t, r in zip(utc, d.itertuples())]
    payload = {"inputs": {"location": {"latitude": w.latitude, "longitude": w.longitude, "elevation": w.altitude},
                          "meteo_data": {}},
               "outputs": {"months_selected": [{"month": m, "year": 2010} for m in range(1, 13)],
                           "tmy_hourly": hourly},
               "meta": {"inputs": {}, "outputs": {}}}
    path.write_text(json.dumps(payload))


def test_read_pvgis_json(tmp_path, tmy3):
    path = tmp_path / "tmy.json"
    _write_pvgis_json(path, tmy3)
    w = read_weather_file(path)
    assert str(w.data.index.tz) == "UTC" and w.label == "center"
    assert w.data["ghi"].sum() == pytest.approx(tmy3.data["ghi"].sum())
    assert w.latitude == tmy3.latitude and w.altitude == tmy3.altitude
    assert w.data["pressure"].median() > 80_000


def _write_nsrdb(path: Path, w: Weather, minute: int) -> None:
    d = w.data
    tz = int(d.index[0].utcoffset().total_seconds() / 3600)
    lines = [
        "Source,Location ID,City,State,Country,Latitude,Longitude,Time Zone,Elevation,Local Time Zone,Version",
        f"NSRDB,1,x,x,x,{w.latitude},{w.longitude},{tz},{int(w.altitude)},{tz},4.0.0",
        "Year,Month,Day,Hour,Minute,GHI,DNI,DHI,Temperature,Wind Speed,Pressure",
    ]
    for t, r in zip(d.index, d.itertuples()):
        lines.append(f"{t.year},{t.month},{t.day},{t.hour},{minute},{r.ghi},{r.dni},{r.dhi},{r.temp_air},"
                     f"{r.wind_speed},{r.pressure / 100:.1f}")
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("minute", [0, 30])
def test_read_nsrdb(tmp_path, tmy3, minute):
    path = tmp_path / f"nsrdb_{minute}.csv"
    _write_nsrdb(path, tmy3, minute)
    w = read_weather_file(path)
    assert w.label == "left" and w.data.index[0].minute == 0 and w.data.index[0].hour == 0
    np.testing.assert_allclose(w.data["ghi"].to_numpy(), tmy3.data["ghi"].to_numpy())
    assert w.data["pressure"].median() == pytest.approx(tmy3.data["pressure"].median(), rel=1e-3)  # mbar -> Pa


def test_unknown_format_and_missing_file(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("hello world\n1 2 3\n")
    with pytest.raises(InputError, match="format"):
        read_weather_file(bad)
    with pytest.raises(InputError, match="not found"):
        read_weather_file(tmp_path / "none.epw")
    with pytest.raises(InputError) as err:
        read_weather_file(bad, "epw")
    assert "x.csv" in str(err.value)


def test_load_weather_files_relative_to_base_dir(tmp_path, tmy3):
    (tmp_path / "wx").mkdir()
    _write_epw(tmp_path / "wx" / "a.epw", tmy3)
    _write_nsrdb(tmp_path / "wx" / "b.csv", tmy3, 0)
    cfg = WeatherConfig(source="file", files=["wx/a.epw", "wx/b.csv"], latitude_deg=36.0)
    with pytest.warns(InputWarning, match=r"\.(epw|csv): weather measured at 36\.000, -79\.\d+ is \d+ km from the county"):
        years = load_weather(cfg, tmp_path, latitude=10.0, longitude=20.0, altitude=0.0)
    assert [w.source for w in years] == ["a.epw", "b.csv"]
    assert all(w.latitude == 36.0 for w in years)  # config override beats the file
    assert years[0].longitude == pytest.approx(tmy3.longitude)  # file metadata beats the centroid


# -------------------------------------------------------------------------------------------------------------- PVGIS


def test_fetch_pvgis_uses_disk_cache(tmp_path, monkeypatch, tmy3):
    calls = []
    d = tmy3.data.copy()
    d.index = d.index.tz_convert("UTC")

    def fake_get(latitude, longitude, **kwargs):
        calls.append((latitude, longitude, kwargs.get("timeout")))
        meta = {"inputs": {"location": {"latitude": latitude, "longitude": longitude, "elevation": 44.0}}}
        return d, meta

    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", fake_get)
    w1 = fetch_pvgis_tmy(39.9, 116.4, tmp_path, timeout_s=5)
    assert len(calls) == 1 and calls[0][2] == 5
    assert len(list(tmp_path.glob("pvgis_tmy_*.json"))) == 1

    def no_network(*args, **kwargs):
        raise AssertionError("network called although the cache exists")

    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", no_network)
    w2 = fetch_pvgis_tmy(39.9, 116.4, tmp_path)
    assert w2.key == w1.key and w2.altitude == 44.0 and w2.label == "center"
    assert w2.data["ghi"].sum() == pytest.approx(tmy3.data["ghi"].sum())
    # load_weather goes through the same cache
    cfg = WeatherConfig(source="pvgis", pvgis={"cache_dir": str(tmp_path)})
    (w3,) = load_weather(cfg, tmp_path, latitude=39.9, longitude=116.4)
    assert w3.key == w1.key


def test_fetch_pvgis_failure_is_input_error(tmp_path, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", down)
    with pytest.raises(InputError, match="PVGIS request failed"):
        fetch_pvgis_tmy(39.9, 116.4, tmp_path)


# ---------------------------------------------------------------------------------------------------------- synthetic


@pytest.fixture(scope="module")
def synth() -> Weather:
    return synthetic_year(39.9, 116.4, 50, BEIJING_GHI_KWH_PER_M2_DAY, BEIJING_TEMP_AIR_C,
                          BEIJING_WIND_SPEED_M_PER_S, year=2023, seed=1)


def test_synthetic_matches_monthly_targets(synth):
    d = synth.data
    months = d.index.month
    days = d.groupby(months).size() / 24
    ghi = d["ghi"].groupby(months).sum() / 1000 / days
    np.testing.assert_allclose(ghi.to_numpy(), BEIJING_GHI_KWH_PER_M2_DAY, rtol=0.005)
    np.testing.assert_allclose(d["temp_air"].groupby(months).mean().to_numpy(), BEIJING_TEMP_AIR_C, atol=0.05)
    np.testing.assert_allclose(d["wind_speed"].groupby(months).mean().to_numpy(), BEIJING_WIND_SPEED_M_PER_S,
                               rtol=0.01)


def test_synthetic_is_physical(synth):
    d = synth.data
    assert len(d) == 8760 and str(d.index.tz) == "Asia/Shanghai" and synth.label == "left"
    assert (d[["ghi", "dni", "dhi"]] >= 0).all().all()
    assert (d["dhi"] <= d["ghi"] + 1e-6).all()
    assert d["ghi"].max() < 1200
    night = d.index.hour.isin([0, 1, 2, 22, 23])
    assert (d.loc[night, "ghi"] == 0).all()
    assert (d["wind_speed"] >= 0).all()
    # a diurnal temperature cycle: afternoon warmer than dawn
    by_hour = d["temp_air"].groupby(d.index.hour).mean()
    assert by_hour[15] - by_hour[5] > 4
    # variable days: daily GHI spread within July
    july = d.loc[d.index.month == 7, "ghi"].resample("1D").sum()
    assert july.std() / july.mean() > 0.2
    validate_weather(d)  # passes its own checks


def test_synthetic_deterministic_and_seeded(synth):
    again = synthetic_year(39.9, 116.4, 50, BEIJING_GHI_KWH_PER_M2_DAY, BEIJING_TEMP_AIR_C,
                           BEIJING_WIND_SPEED_M_PER_S, year=2023, seed=1)
    other = synthetic_year(39.9, 116.4, 50, BEIJING_GHI_KWH_PER_M2_DAY, BEIJING_TEMP_AIR_C,
                           BEIJING_WIND_SPEED_M_PER_S, year=2023, seed=2)
    pd.testing.assert_frame_equal(again.data, synth.data)
    assert again.key == synth.key and other.key != synth.key
    assert not np.allclose(other.data["ghi"], synth.data["ghi"])


def test_synthetic_rejects_unreachable_ghi():
    ghi = list(BEIJING_GHI_KWH_PER_M2_DAY)
    ghi[11] = 6.0  # a Beijing December cannot get 6 kWh/m2/day
    with pytest.raises(InputError) as err:
        synthetic_year(39.9, 116.4, 50, ghi, BEIJING_TEMP_AIR_C, BEIJING_WIND_SPEED_M_PER_S)
    assert "month 12" in str(err.value) and "at most" in str(err.value)


def test_synthetic_is_fast():
    t0 = time.perf_counter()
    synthetic_year(30.0, 110.0, 0, BEIJING_GHI_KWH_PER_M2_DAY, BEIJING_TEMP_AIR_C, BEIJING_WIND_SPEED_M_PER_S, seed=4)
    assert time.perf_counter() - t0 < 1.0


def test_load_weather_synthetic_years_and_centroid():
    cfg = WeatherConfig(synthetic={"preset": "beijing_iwec", "n_years": 3, "seed": 5, "year": 2020})
    years = load_weather(cfg, ".", latitude=40.0, longitude=116.0, altitude=40.0)
    assert [w.data.index[0].year for w in years] == [2020, 2021, 2022]
    assert len(years[0].data) == 8784  # leap year
    assert all(w.latitude == 40.0 for w in years)
    annual = np.array([w.data["ghi"].sum() / 1000 for w in years])
    target = sum(v * d for v, d in zip(BEIJING_GHI_KWH_PER_M2_DAY, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]))
    assert annual.std() / annual.mean() > 0.005  # inter-annual variability
    assert annual.mean() == pytest.approx(target, rel=0.01)  # the ensemble keeps the climatology
    assert len({w.key for w in years}) == 3
    flat = load_weather(WeatherConfig(synthetic={"preset": "beijing_iwec", "n_years": 2,
                                                 "interannual_ghi_sd_percent": 0}), ".",
                        latitude=40.0, longitude=116.0)
    assert flat[0].data["ghi"].sum() == pytest.approx(flat[1].data["ghi"].sum() * 365 / 366, rel=0.01)


def test_weather_key_is_stable_and_sensitive(synth):
    k = synth.key
    copy = Weather(data=synth.data.copy(), latitude=synth.latitude, longitude=synth.longitude,
                   altitude=synth.altitude, label=synth.label, source="other name")
    assert copy.key == k  # the source name is not part of the physics
    changed = synth.data.copy()
    changed.iloc[100, 0] += 1.0
    assert Weather(data=changed, latitude=synth.latitude, longitude=synth.longitude).key != k
    assert Weather(data=synth.data, latitude=synth.latitude + 0.1, longitude=synth.longitude).key != k


# --------------------------------------------------------------------------------------------------- validate / repair


def test_missing_columns():
    with pytest.raises(InputError) as err:
        validate_weather(_good_frame().drop(columns=["dhi", "wind_speed"]), file="w.csv")
    assert "dhi" in str(err.value) and "wind_speed" in str(err.value) and "w.csv" in str(err.value)


def test_short_gap_filled_with_warning():
    df = _good_frame()
    df.iloc[100:103, df.columns.get_loc("temp_air")] = np.nan
    df.iloc[1000, df.columns.get_loc("ghi")] = np.nan
    with pytest.warns(InputWarning, match="filled 1 missing ghi"), \
            pytest.warns(InputWarning, match="filled 3 missing temp_air"):
        out = validate_weather(df)
    assert not out.isna().any().any()
    assert out["temp_air"].iloc[101] == pytest.approx(10.0)
    assert np.isnan(df["temp_air"].iloc[101])  # input not modified


def test_long_gap_is_error():
    df = _good_frame()
    df.iloc[200:205, df.columns.get_loc("ghi")] = np.nan
    with pytest.raises(InputError, match="5 missing hours"):
        validate_weather(df)


def test_irregular_index_and_wrong_length():
    df = _good_frame()
    with pytest.raises(InputError, match="hourly"):
        validate_weather(df.drop(df.index[50]))
    with pytest.raises(InputError, match="one year"):
        validate_weather(df.iloc[:5000])
    half = _good_frame(n=8760 * 2)
    half.index = pd.date_range("2023-01-01", periods=len(half), freq="30min", tz="Asia/Shanghai")
    with pytest.raises(InputError, match="hourly"):
        validate_weather(half)
    naive = df.copy()
    naive.index = naive.index.tz_localize(None)
    with pytest.raises(InputError, match="time zone"):
        validate_weather(naive)


def test_tenths_of_degree_repaired():
    df = _good_frame()
    df["temp_air"] = 123.0  # 12.3 degC stored in tenths
    with pytest.warns(InputWarning, match="tenths"):
        out = validate_weather(df)
    assert out["temp_air"].iloc[0] == pytest.approx(12.3)


def test_ghi_above_limit_and_negative_values():
    df = _good_frame()
    df.iloc[12, 0] = 3600.0  # Wh/m2 or kJ by mistake
    with pytest.raises(InputError, match="ghi"):
        validate_weather(df)
    df = _good_frame()
    df.iloc[3, 2] = -50.0
    with pytest.raises(InputError, match="dhi"):
        validate_weather(df)
    df = _good_frame()
    df.iloc[3, 0] = -2.0  # sensor offset at night: clipped silently
    assert validate_weather(df)["ghi"].iloc[3] == 0.0


def test_location_out_of_range():
    with pytest.raises(InputError, match="latitude"):
        synthetic_year(95.0, 116.4, 0, BEIJING_GHI_KWH_PER_M2_DAY, BEIJING_TEMP_AIR_C, BEIJING_WIND_SPEED_M_PER_S)
    with pytest.raises(InputError, match="longitude"):
        load_weather(WeatherConfig(synthetic={"preset": "beijing_iwec"}), ".", latitude=40.0, longitude=200.0)


# ------------------------------------------------------------------------------------------------------------- config


def test_config_defaults():
    cfg = WeatherConfig()
    # no climate by default: a synthetic year needs the county's own monthly means or a preset near it
    assert cfg.source == "synthetic" and cfg.synthetic.preset is None
    assert cfg.synthetic.monthly_ghi_kwh_per_m2_day is None


@pytest.mark.parametrize("section,field,value,expect", [
    ("synthetic", "monthly_ghi_kwh_per_m2_day", [3.0] * 11, "12 monthly values"),
    ("synthetic", "monthly_ghi_kwh_per_m2_day", [3.0] * 11 + [14.0], "month 12 value 14.0"),
    ("synthetic", "monthly_temp_air_c", [10.0] * 11 + [75.0], "-60.0 .. 60.0"),
    ("synthetic", "n_years", 0, "n_years"),
    (None, "latitude_deg", 91.0, "-90 .. 90"),
    (None, "longitude_deg", -181.0, "-180 .. 180"),
])
def test_config_errors_name_field_value_and_range(section, field, value, expect):
    payload = {section: {field: value}} if section else {field: value}
    with pytest.raises(ValidationError) as err:
        WeatherConfig(**payload)
    assert field in str(err.value) and expect in str(err.value)


def test_config_rejects_unknown_keys_and_file_without_files():
    with pytest.raises(ValidationError, match="extra"):
        WeatherConfig(sourc="file")
    with pytest.raises(ValidationError, match="files"):
        WeatherConfig(source="file")
    with pytest.raises(ValidationError):
        WeatherConfig(format="csv")


def test_pressure_in_mbar_is_converted():
    df = _good_frame()
    df["pressure"] = 1010.0
    with pytest.warns(InputWarning, match="mbar"):
        out = validate_weather(df)
    assert out["pressure"].iloc[0] == pytest.approx(101_000.0)
    df["pressure"] = 101_000.0
    assert validate_weather(df)["pressure"].iloc[0] == 101_000.0  # already Pa: untouched


def test_the_time_zone_follows_the_location():
    from sim.weather import time_zone_at

    assert time_zone_at(40.4, 115.5) == "Asia/Shanghai"  # the demo county, Hebei
    assert time_zone_at(40.42, -3.70) == "Europe/Madrid"
    assert time_zone_at(-33.87, 151.21) == "Australia/Sydney"
    assert time_zone_at(0.0, -150.0) == "Etc/GMT+10"  # open Pacific: by longitude (the Etc sign is inverted)
    # Beijing's monthly values at Madrid's latitude: only the clock matters here
    madrid = synthetic_year(40.42, -3.70, 650.0, BEIJING_GHI_KWH_PER_M2_DAY, BEIJING_TEMP_AIR_C, [3.0] * 12, seed=1)
    assert str(madrid.data.index.tz) == "Europe/Madrid"
    # the sun is highest near local solar noon: about 14:15 in Madrid's summer time, 12:20 in Beijing
    noon = madrid.data["ghi"].groupby(madrid.data.index.hour).mean().idxmax()
    assert noon in (13, 14)
# ------------------------------------------------------------------------------------------ weather that fits the place


def test_presets_are_the_handbook_figures_with_their_stations():
    recent, iwec = wmod.PRESETS["beijing_recent"], wmod.PRESETS["beijing_iwec"]
    days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    # DESIGN.md section 5: recent annual about 1584 kWh/m2, older about 1396 (13.5 % less)
    assert sum(g * d for g, d in zip(recent.monthly_ghi_kwh_per_m2_day, days)) == pytest.approx(1584, abs=2)
    assert sum(g * d for g, d in zip(iwec.monthly_ghi_kwh_per_m2_day, days)) == pytest.approx(1396, abs=2)
    assert (recent.latitude, recent.longitude, recent.period) == (40.08, 116.585, "2009-2023")
    assert iwec.period == "1982-1999" and "545110" in iwec.station
    assert wmod.BEIJING_GHI_KWH_PER_M2_DAY == iwec.monthly_ghi_kwh_per_m2_day  # one home for the figures


def test_synthetic_year_needs_own_values_or_a_near_preset():
    with pytest.raises(InputError, match="monthly means or a preset near it.*beijing_recent"):
        load_weather(WeatherConfig(), ".", latitude=40.4, longitude=115.5)
    # Madrid with Beijing's preset: refused, naming the distance and what to give instead
    madrid = WeatherConfig(synthetic={"preset": "beijing_recent"})
    with pytest.raises(InputError, match=r"is 9\d{3} km from the county.*within 300 km"):
        load_weather(madrid, ".", latitude=40.42, longitude=-3.70)
    # near Huailai (about 95 km from Beijing's airport): the preset is used, the sun is at the county
    (w,) = load_weather(madrid, ".", latitude=40.4, longitude=115.5)
    assert (w.latitude, w.longitude) == (40.4, 115.5)
    target = sum(g * d for g, d in zip(wmod.PRESETS["beijing_recent"].monthly_ghi_kwh_per_m2_day,
                                       [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]))
    assert w.data["ghi"].sum() / 1000 == pytest.approx(target, rel=1e-6)
    # the county's own values need no preset, anywhere
    own = WeatherConfig(synthetic={"monthly_ghi_kwh_per_m2_day": [2.0] * 12, "monthly_temp_air_c": [15.0] * 12,
                                   "monthly_wind_speed_m_per_s": [2.0] * 12})
    (w,) = load_weather(own, ".", latitude=40.42, longitude=-3.70)
    assert w.data["ghi"].sum() / 1000 == pytest.approx(2.0 * 365, rel=1e-6)
    with pytest.raises(ValueError, match="unknown weather preset 'paris'"):
        WeatherConfig(synthetic={"preset": "paris"})


def test_weather_file_near_the_county_does_not_warn(tmp_path, tmy3, recwarn):
    _write_epw(tmp_path / "a.epw", tmy3)
    cfg = WeatherConfig(source="file", files=["a.epw"])
    load_weather(cfg, tmp_path, latitude=tmy3.latitude + 0.3, longitude=tmy3.longitude)  # about 33 km north
    assert not [w for w in recwarn if issubclass(w.category, InputWarning)]


PVLIB_SAMPLES = Path(__file__).parent / "data" / "pvlib"


def test_pvgis_hourly_without_components_or_on_a_tilted_plane_says_so():
    with pytest.raises(InputError, match="no irradiance components.*components=1"):
        read_weather_file(PVLIB_SAMPLES / "pvgis_hourly_Timeseries_45.000_8.000_SA2_10kWp_CIS_5_2a_2013_2014.json")
    with pytest.raises(InputError, match="tilted plane.*got 30.0.*slope 0"):
        read_weather_file(PVLIB_SAMPLES / "pvgis_hourly_Timeseries_45.000_8.000_SA_30deg_0deg_2016_2016.csv")


def _write_pvgis_hourly_csv(path: Path, w: Weather) -> pd.DataFrame:
    """A PVGIS seriescalc csv (components, slope 0; the layout of pvlib's sample) from a weather year, stamped at
    hh:10 UTC; returns what was written (Gb(i) is the beam on the horizontal)."""
    times = w.data.index.tz_convert("UTC") + pd.Timedelta("10min")
    sp = pvlib.solarposition.get_solarposition(times, w.latitude, w.longitude)
    h_sun = np.clip(90 - sp["zenith"].to_numpy(), 0, None)
    gb = np.where(h_sun > 0, w.data["dni"].to_numpy() * np.sin(np.radians(h_sun)), 0.0)
    gd = np.where(h_sun > 0, w.data["dhi"].to_numpy(), 0.0)
    frame = pd.DataFrame({"Gb(i)": gb.round(2), "Gd(i)": gd.round(2), "Gr(i)": 0.0, "H_sun": h_sun.round(2),
                          "T2m": w.data["temp_air"].to_numpy(), "WS10m": w.data["wind_speed"].to_numpy(), "Int": 0.0},
                         index=times.strftime("%Y%m%d:%H%M"))
    head = (f"Latitude (decimal degrees):\t{w.latitude:.3f}\nLongitude (decimal degrees):\t{w.longitude:.3f}\n"
            f"Elevation (m):\t{w.altitude:.0f}\nRadiation database:\tPVGIS-SARAH\n\n\nSlope: 0 deg. \n"
            "Azimuth: 0 deg. \n")
    body = frame.to_csv(index_label="time", lineterminator="\n")
    path.write_text(head + body + "\nGb(i): Beam (direct) irradiance on the inclined plane (plane of the array) "
                    "(W/m2)\n\nPVGIS (c) European Union, 2001-2021")
    return frame


def test_read_pvgis_hourly_with_components_on_the_horizontal(tmp_path, tmy3):
    written = _write_pvgis_hourly_csv(tmp_path / "Timeseries_36.100_-79.900_SA_0deg_0deg_2019_2019.csv", tmy3)
    w = read_weather_file(tmp_path / "Timeseries_36.100_-79.900_SA_0deg_0deg_2019_2019.csv")
    assert w.label == "center" and len(w.data) == 8760
    assert w.data.index[0].minute == 10
    np.testing.assert_allclose(w.data["ghi"], written["Gb(i)"] + written["Gd(i)"], atol=1e-9)
    np.testing.assert_allclose(w.data["dhi"], written["Gd(i)"], atol=1e-9)
    up = written["H_sun"].to_numpy() > 5  # DNI back from the horizontal beam and the sun height, to rounding
    np.testing.assert_allclose(w.data["dni"].to_numpy()[up], tmy3.data["dni"].to_numpy()[up], atol=1.0)
    assert (w.latitude, w.longitude) == pytest.approx((tmy3.latitude, tmy3.longitude), abs=1e-3)
