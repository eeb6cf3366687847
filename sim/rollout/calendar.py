"""Work calendar of the rollout: public holidays, weekends, Spring Festival shutdown, frozen season, rain days.

Time is counted in days (float) since the scenario's ``start_date`` at 00:00. A :class:`WorkCalendar` knows, for every
day of the simulated period, whether work progresses on that day, and converts an amount of work [working days]
started at a time ``t`` [days] into the time at which it is finished. Work progresses continuously during a workable
day (half a working day started at 00:00 of a workable day ends at 12:00) and not at all on a non-workable day.

The Spring Festival (Chinese New Year, first day of the first lunar month) moves every year; its dates come from the
``holidays`` package's Chinese lunisolar calendar (:func:`spring_festival_date`; GB/T 33661-2017; checked in the
tests against the 2020-2080 table this module used to carry, itself cross-checked against public almanacs).

Public holidays and weekends are the country's, from the ``holidays`` package (:func:`public_holidays`): for China
the statutory holidays of the State Council's yearly notice (New Year, Spring Festival, Qingming, Labour Day, Dragon
Boat, Mid-Autumn, National Day) with their extra days off and the weekend days that are made working days in
exchange; for years not yet announced, the statutory days the package derives from its rules.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from sim.timebase import years_to_days

#: the ``holidays`` package's English name of the first day of the lunar year in China
SPRING_FESTIVAL_NAME = "Chinese New Year (Spring Festival)"


def __getattr__(name: str):
    """``FIRST_YEAR`` / ``LAST_YEAR``: the years the ``holidays`` package covers for China (looked up lazily: the
    package takes a tenth of a second to import)."""
    if name in ("FIRST_YEAR", "LAST_YEAR"):
        import holidays

        return int(holidays.China.start_year if name == "FIRST_YEAR" else holidays.China.end_year)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def as_date(d) -> date:
    """A ``date`` from a date, a datetime or anything ``pandas.Timestamp`` reads."""
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    return pd.Timestamp(d).date()


def add_years(d: date, years: float) -> date:
    """``d`` plus ``years``: whole years on the calendar (29 February -> 28 February), the fraction as
    ``round(fraction x 365.25)`` days (:data:`sim.timebase.DAYS_PER_YEAR`)."""
    whole = int(years)
    try:
        out = d.replace(year=d.year + whole)
    except ValueError:  # 29 February
        out = d.replace(year=d.year + whole, day=28)
    return out + timedelta(days=round(years_to_days(years - whole)))


def days_since(start: date, d: date) -> float:
    """Time of 00:00 of ``d`` [days since ``start``]."""
    return float((d - start).days)


def year_start_days(start: date, n_years: int) -> list[float]:
    """Times of 1 January [days since ``start``] of the ``n_years`` years after the start year."""
    return [days_since(start, date(year, 1, 1)) for year in range(start.year + 1, start.year + n_years + 1)]


@lru_cache(maxsize=256)
def spring_festival_date(year: int) -> date:
    """Gregorian date of the Spring Festival (Chinese New Year, first day of the first lunar month) of ``year``,
    from the ``holidays`` package's Chinese lunisolar calendar (the years it covers for China: :data:`FIRST_YEAR` -
    :data:`LAST_YEAR`)."""
    import holidays

    first, last = holidays.China.start_year, holidays.China.end_year
    if not first <= int(year) <= last:
        raise ValueError(f"no Spring Festival date for {year}; the holidays package covers China {first}-{last}")
    days = holidays.country_holidays("CN", years=int(year), language="en_US").get_named(
        SPRING_FESTIVAL_NAME, lookup="exact"
    )
    if not days:
        raise ValueError(f"the holidays package names no '{SPRING_FESTIVAL_NAME}' in {year}")
    return min(days)


def parse_month_day(text: str) -> tuple[int, int]:
    """``"MM-DD"`` -> (month, day); raises ``ValueError`` if it is not a valid day of a (leap) year."""
    try:
        month_s, day_s = text.split("-")
        month, day = int(month_s), int(day_s)
        date(2024, month, day)  # a leap year accepts 02-29
    except (ValueError, AttributeError):
        raise ValueError(f"expected a month and day as 'MM-DD' (e.g. '12-15'), got {text!r}") from None
    return month, day


class WorkCalendar:
    """Which days are workable, and working-day arithmetic on top of it.

    Parameters
    ----------
    workable : bool array, one value per day since the start date.
    """

    def __init__(self, workable: np.ndarray) -> None:
        self.workable = np.asarray(workable, dtype=bool)
        self.n_days = len(self.workable)
        cum = np.zeros(self.n_days + 1, dtype=np.int64)
        np.cumsum(self.workable, out=cum[1:])
        self._cum = cum.tolist()  # python list: bisect on it is faster than numpy for scalars
        self._work = self.workable.tolist()

    def finish(self, t_days: float, work_days: float) -> float:
        """Time [days] at which ``work_days`` working days started at ``t_days`` are done.

        Returns a time past the end of the calendar (``n_days + 1``) when the work cannot be finished within it.
        """
        if work_days <= 0:
            return t_days
        d = int(t_days)
        if d >= self.n_days:
            return float(self.n_days + 1)
        cum = self._cum
        target = cum[d] + (t_days - d if self._work[d] else 0.0) + work_days
        if target > cum[-1]:
            return float(self.n_days + 1)
        j = bisect_left(cum, target) - 1
        return j + (target - cum[j])

    def working_days_between(self, t0_days: float, t1_days: float) -> float:
        """Working days elapsed between two times [days] (both within the calendar)."""
        return self._position(t1_days) - self._position(t0_days)

    def _position(self, t: float) -> float:
        d = min(int(t), self.n_days)
        if d == self.n_days:
            return float(self._cum[-1])
        return self._cum[d] + (t - d if self._work[d] else 0.0)


def day_dates(start: date, n_days: int) -> np.ndarray:
    """``datetime64[D]`` of each day since ``start``."""
    return np.datetime64(start, "D") + np.arange(n_days)


def shutdown_mask(start: date, n_days: int, days_before: int, days_after: int) -> np.ndarray:
    """True on the days of the Spring Festival shutdown: from ``days_before`` days before the festival to
    ``days_after`` days after it, both ends included. Raises ``ValueError`` outside the table's years."""
    end = start + timedelta(days=n_days)
    mask = np.zeros(n_days, dtype=bool)
    for year in range(start.year, end.year + 1):
        festival = spring_festival_date(year)
        lo = (festival - start).days - days_before
        hi = (festival - start).days + days_after
        if hi < 0 or lo >= n_days:
            continue
        mask[max(lo, 0) : min(hi, n_days - 1) + 1] = True
    return mask


def frozen_mask(start: date, n_days: int, first: tuple[int, int], last: tuple[int, int]) -> np.ndarray:
    """True on the days of the frozen season from month-day ``first`` to ``last`` (both included; may wrap the
    new year, e.g. (12, 15) .. (2, 28))."""
    days = day_dates(start, n_days)
    months = days.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    md = months * 100 + dom
    lo, hi = first[0] * 100 + first[1], last[0] * 100 + last[1]
    if lo <= hi:
        return (md >= lo) & (md <= hi)
    return (md >= lo) | (md <= hi)


def weekend_mask(start: date, n_days: int, weekend: frozenset[int] = frozenset({5, 6})) -> np.ndarray:
    """True on the weekend days (weekday numbers, Monday = 0; default Saturday and Sunday)."""
    weekday = (day_dates(start, n_days).astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return np.isin(weekday, sorted(weekend))


@dataclass(frozen=True)
class PublicHolidays:
    """A country's public holidays (``days``), weekend days (weekday numbers, Monday = 0) and the weekend days made
    working days in exchange for bridge days off (``workdays``, China's adjusted working days)."""

    days: frozenset[date]
    weekend: frozenset[int]
    workdays: frozenset[date]


def supported_countries() -> list[str]:
    """ISO 3166-1 alpha-2 codes the ``holidays`` package knows."""
    import holidays

    return sorted(holidays.list_supported_countries())


@lru_cache(maxsize=16)
def public_holidays(country: str, subdivision: str | None, first_year: int, last_year: int) -> PublicHolidays:
    """Public holidays of ``country`` (and ``subdivision``, a province or state code) from ``first_year`` to
    ``last_year``, from the ``holidays`` package. Raises ``ValueError`` for a country or subdivision it lacks."""
    import holidays

    try:
        table = holidays.country_holidays(country, subdiv=subdivision, years=range(first_year, last_year + 1))
    except NotImplementedError:
        raise ValueError(f"unknown country or subdivision {country}/{subdivision}") from None
    workdays = frozenset(d for d in getattr(table, "weekend_workdays", ()) if first_year <= d.year <= last_year)
    return PublicHolidays(days=frozenset(table), weekend=frozenset(table.weekend), workdays=workdays)


def holiday_mask(start: date, n_days: int, days) -> np.ndarray:
    """True on the days of ``days`` (dates)."""
    stamps = np.array(sorted(days), dtype="datetime64[D]")
    return np.isin(day_dates(start, n_days), stamps)


def rain_mask(start: date, n_days: int, rain_day_percent_by_month, rng: np.random.Generator) -> np.ndarray:
    """True on rainy days: each day independently with its month's probability, drawn from ``rng`` (a run-level
    stream, so every site and every strategy sees the same weather)."""
    months = day_dates(start, n_days).astype("datetime64[M]").astype(int) % 12
    p = np.asarray(rain_day_percent_by_month, dtype=float)[months] / 100.0
    return rng.random(n_days) < p
