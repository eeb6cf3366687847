"""The time base of the model: year length and calendar-year lengths, one home for each.

- ``DAYS_PER_YEAR = 365.25``: the Julian year (IAU: 1 a = 365.25 d exactly), the mean calendar year to within
  0.0075 d; converts an age or a lead time between days and years wherever the model does (rollout, planning,
  accounting, experiment metrics).
- Calendar years (``days_in_year``, ``hours_in_year``) follow the Gregorian rule through :func:`calendar.isleap`.
"""

from __future__ import annotations

import calendar

import numpy as np

DAYS_PER_YEAR = 365.25  # Julian year [days] (IAU), the model's year for ages and lead times
HOURS_PER_YEAR = DAYS_PER_YEAR * 24.0  # [h]


def years_to_days(years):
    """``years`` [years of 365.25 days] in days [days]; scalars or arrays."""
    return years * DAYS_PER_YEAR


def days_to_years(days):
    """``days`` [days] in years of 365.25 days [years]; scalars or arrays."""
    return days / DAYS_PER_YEAR


def days_in_year(year: int) -> int:
    """Days of calendar ``year`` (365 or 366, Gregorian rule)."""
    return 366 if calendar.isleap(int(year)) else 365


def hours_in_year(year: int) -> int:
    """Hours of calendar ``year`` (8760 or 8784)."""
    return 24 * days_in_year(year)


def hours_in_years(years) -> np.ndarray:
    """:func:`hours_in_year` of each year in ``years`` [h], float array."""
    return np.array([hours_in_year(y) for y in np.asarray(years).ravel()], dtype=float)
