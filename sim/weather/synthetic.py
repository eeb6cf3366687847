"""A seeded synthetic typical year calibrated to monthly means of GHI, air temperature and wind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from sim import _upstream  # noqa: F401  (silences pvlib's known pandas-3 deprecation warning)
from sim.errors import InputError
from sim.weather.base import Weather, _check_location
from sim.weather.config import _twelve
from sim.weather.timezone import time_zone_at

# Day-to-day spread of the clear-sky index on the logit scale. A wide (U-shaped) distribution gives the clear vs
# overcast split of real climates, which sets the beam share and so the tilted-plane gain; 2.5 reproduces the
# tilted yields of the two TMY3 years shipped with pvlib within 1.5 % (tests/test_yield_validation.py).
_KT_SIGMA = 2.5


def synthetic_year(
    latitude: float,
    longitude: float,
    altitude: float,
    monthly_ghi_kwh_per_m2_day,
    monthly_temp_air_c,
    monthly_wind_speed_m_per_s,
    *,
    year: int = 2023,
    seed: int = 0,
    tz: str | None = None,
) -> Weather:
    """A seeded stochastic hourly year whose monthly means match the targets.

    Clear-sky GHI from pvlib's Ineichen model (Linke turbidity from pvlib's climatology) times a daily clear-sky
    index drawn from an AR(1) process on the logit scale (consecutive days correlated, a wide U-shaped spread of
    clear and overcast days), plus small hourly noise. Each month is then scaled so its mean daily GHI equals the
    target exactly (bisection on the scale factor, hours capped at 1.1 x clear sky; an unreachable target raises
    InputError). DNI/DHI come from the Erbs decomposition. Temperature follows a diurnal cycle (minimum before dawn,
    maximum at 15:00) whose amplitude grows with the day's clear-sky index, around the monthly mean plus an AR(1)
    day-to-day anomaly; wind is gamma-distributed by day with a daytime bump, scaled to the monthly mean.

    Parameters
    ----------
    latitude, longitude : [°]; altitude : [m].
    monthly_ghi_kwh_per_m2_day : 12 mean daily GHI values [kWh/m^2/day].
    monthly_temp_air_c : 12 mean air temperatures [°C]; monthly_wind_speed_m_per_s : 12 mean wind speeds [m/s].
    year : calendar year; seed : seed of the random stream; tz : time zone of the index (default: the zone at the
    location, :func:`time_zone_at`).

    Returns
    -------
    :class:`Weather`, left-labelled (values are means over the hour starting at each timestamp).
    """
    _check_location(latitude, longitude, altitude)
    ghi_t = np.asarray(_twelve("monthly_ghi_kwh_per_m2_day", list(monthly_ghi_kwh_per_m2_day), 0, 12, "kWh/m2/day"))
    temp_t = np.asarray(_twelve("monthly_temp_air_c", list(monthly_temp_air_c), -60, 60, "degC"))
    wind_t = np.asarray(_twelve("monthly_wind_speed_m_per_s", list(monthly_wind_speed_m_per_s), 0, 40, "m/s"))
    # the draws below happen in a fixed order: daily clear-sky index, hourly GHI noise, temperature anomaly, wind
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(year)]))
    tz = tz or time_zone_at(latitude, longitude)
    index = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="1h", tz=tz, inclusive="left")
    mid = index + pd.Timedelta("30min")
    zenith, ghi_cs = _clear_sky(mid, latitude, longitude, altitude)
    cal = _YearCalendar(index, year)
    kt_day = _daily_clear_sky_index(rng, ghi_cs, ghi_t, cal)
    ghi = ghi_cs * kt_day[cal.day_of_hour] * np.exp(0.08 * rng.standard_normal(len(index)))
    ghi = np.where(zenith < 90, _scale_ghi_to_months(ghi, ghi_cs, ghi_t, cal), 0.0)
    erbs = pvlib.irradiance.erbs(ghi, zenith, mid)
    hour = index.hour.to_numpy() + 0.5
    data = pd.DataFrame(
        {
            "ghi": ghi,
            "dni": np.nan_to_num(np.asarray(erbs["dni"], float)),
            "dhi": np.nan_to_num(np.asarray(erbs["dhi"], float)),
            "temp_air": _temperature(rng, hour, kt_day, temp_t, cal),
            "wind_speed": _wind(rng, hour, wind_t, cal),
            "pressure": np.full(len(index), pvlib.atmosphere.alt2pres(altitude)),
        },
        index=index,
    )
    return Weather(
        data=data,
        latitude=float(latitude),
        longitude=float(longitude),
        altitude=float(altitude),
        label="left",
        source=f"synthetic(seed={seed}, year={year})",
    )


class _YearCalendar:
    """Day and month of every hour of a year, and the month of every day."""

    def __init__(self, index: pd.DatetimeIndex, year: int) -> None:
        self.day_of_hour = index.day_of_year.to_numpy() - 1
        self.n_days = int(self.day_of_hour.max()) + 1
        self.month_of_hour = index.month.to_numpy()
        self.month_of_day = pd.date_range(f"{year}-01-01", periods=self.n_days, freq="D").month.to_numpy()
        self.days_in_month = np.bincount(self.month_of_day, minlength=13)[1:]


def _clear_sky(
    mid: pd.DatetimeIndex, latitude: float, longitude: float, altitude: float
) -> tuple[np.ndarray, np.ndarray]:
    """Apparent solar zenith [°] and Ineichen clear-sky GHI [W/m^2] at the middle of each hour (Linke turbidity
    from pvlib's climatology)."""
    sp = pvlib.solarposition.get_solarposition(mid, latitude, longitude, altitude)
    linke = pvlib.clearsky.lookup_linke_turbidity(mid, latitude, longitude)
    am_abs = pvlib.atmosphere.get_absolute_airmass(
        pvlib.atmosphere.get_relative_airmass(sp["apparent_zenith"]), pvlib.atmosphere.alt2pres(altitude)
    )
    cs = pvlib.clearsky.ineichen(
        sp["apparent_zenith"], am_abs, linke, altitude=altitude, dni_extra=pvlib.irradiance.get_extra_radiation(mid)
    )
    return sp["apparent_zenith"].to_numpy(float), np.nan_to_num(np.asarray(cs["ghi"], float))


def _ar1(innovations: np.ndarray, phi: float, first_sd: float, innovation_sd: float) -> np.ndarray:
    """AR(1) series ``x[0] = first_sd e[0]``, ``x[d] = phi x[d-1] + innovation_sd e[d]`` from standard normal ``e``."""
    x = np.empty(len(innovations))
    x[0] = innovations[0] * first_sd
    for d in range(1, len(innovations)):
        x[d] = phi * x[d - 1] + innovation_sd * innovations[d]
    return x


def _daily_clear_sky_index(rng, ghi_cs, ghi_t, cal: _YearCalendar) -> np.ndarray:
    """Daily clear-sky index: AR(1) (phi 0.5) on the logit scale, centred so the month's mean ratio is about right."""
    cs_daily = np.bincount(cal.day_of_hour, weights=ghi_cs, minlength=cal.n_days) / 1000.0  # [kWh/m2/day]
    target_ratio = np.clip(ghi_t[cal.month_of_day - 1] / np.maximum(cs_daily, 1e-6), 0.05, 0.95)
    phi, sigma = 0.5, _KT_SIGMA
    z = _ar1(rng.standard_normal(cal.n_days), phi, sigma, np.sqrt(1 - phi**2) * sigma)
    mu = np.log(target_ratio / (1 - target_ratio))
    return 1.0 / (1.0 + np.exp(-(mu + z)))


def _scale_ghi_to_months(ghi, ghi_cs, ghi_t, cal: _YearCalendar) -> np.ndarray:
    """Each month scaled so its mean daily GHI equals the target exactly, hours capped at 1.1 x clear sky: the
    factor ``f`` with ``sum(min(f x ghi, cap)) = target`` by bisection (the sum increases with ``f``)."""
    ghi = ghi.copy()
    cap_all = 1.1 * ghi_cs
    for m in range(1, 13):
        sel = cal.month_of_hour == m
        target = ghi_t[m - 1] * 1000.0 * cal.days_in_month[m - 1]  # [Wh/m2] for the month
        g, cap = ghi[sel], cap_all[sel]
        if target > cap.sum() * (1 - 1e-9):
            possible = cap.sum() / 1000.0 / cal.days_in_month[m - 1]
            raise InputError(
                "monthly GHI above what a clear sky gives at this site",
                field="monthly_ghi_kwh_per_m2_day",
                value=f"month {m}: {ghi_t[m - 1]}",
                allowed=f"at most {possible:.2f} kWh/m2/day (1.1 x Ineichen clear sky)",
            )
        if target <= 0 or cap[g > 0].sum() < target:  # nothing to do, or too few bright hours drawn: use the cap
            ghi[sel] = cap * (target / cap.sum())
            continue
        lo, hi = 0.0, target / g.sum()
        while np.minimum(hi * g, cap).sum() < target:  # terminates: cap[g > 0].sum() >= target
            hi *= 2.0
        for _ in range(60):
            f = 0.5 * (lo + hi)
            if np.minimum(f * g, cap).sum() < target:
                lo = f
            else:
                hi = f
        ghi[sel] = np.minimum(hi * g, cap)
    return ghi


def _temperature(rng, hour, kt_day, temp_t, cal: _YearCalendar) -> np.ndarray:
    """Diurnal cycle (minimum before dawn, maximum at 15:00) with an amplitude of 3..8 K growing with sunshine,
    around the monthly mean plus an AR(1) (phi 0.7, sd 2.5 K) day-to-day anomaly [°C]."""
    cycle = np.cos(2 * np.pi * (hour - 15.0) / 24.0) + 0.25 * np.cos(4 * np.pi * (hour - 15.0) / 24.0)
    amplitude = 3.0 + 5.0 * kt_day[cal.day_of_hour]
    anomaly = _ar1(rng.standard_normal(cal.n_days), 0.7, 2.5, np.sqrt(1 - 0.49) * 2.5)
    temp = amplitude * cycle + anomaly[cal.day_of_hour]
    for m in range(1, 13):
        sel = cal.month_of_hour == m
        temp[sel] += temp_t[m - 1] - temp[sel].mean()
    return temp


def _wind(rng, hour, wind_t, cal: _YearCalendar) -> np.ndarray:
    """Gamma-distributed daily level x a daytime bump x hourly noise, scaled to the monthly mean [m/s]."""
    w_day = rng.gamma(4.0, 0.25, cal.n_days)
    bump = 1.0 + 0.3 * np.cos(2 * np.pi * (hour - 14.0) / 24.0)
    wind = w_day[cal.day_of_hour] * bump * np.exp(0.15 * rng.standard_normal(len(hour)))
    for m in range(1, 13):
        sel = cal.month_of_hour == m
        mean = wind[sel].mean()
        wind[sel] *= wind_t[m - 1] / mean if mean > 0 else 0.0
    return wind


def interannual_factors(n_years: int, sd_percent: float, seed: int) -> np.ndarray:
    """Multipliers of the monthly GHI targets for ``n_years`` synthetic years [-].

    Normal draws with standard deviation ``sd_percent`` [%], re-centred so their mean is exactly 1 (the ensemble
    keeps the climatology); a single year gets 1.
    """
    if n_years <= 1 or sd_percent == 0:
        return np.ones(max(n_years, 1))
    z = np.random.default_rng(np.random.SeedSequence([int(seed), 7919])).standard_normal(n_years)
    z -= z.mean()
    return np.clip(1.0 + sd_percent / 100.0 * z, 0.5, 1.5)


# --------------------------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------------------------
