"""One home per formula: year length, calendar years, degradation, discounting and the exponential inverse CDF,
each checked by hand and against every caller that must use it."""

from __future__ import annotations

import numpy as np
import pytest

from sim import timebase
from sim._config import Duration, exponential_ppf
from sim.economics import discount_factor, discount_factors
from sim.energy import degradation_factor
from sim.rollout import calendar as cal


def test_year_is_julian():
    """365.25 days a year: 2 years are 730.5 days, 8766 hours; 1461 days are 4 years."""
    assert timebase.years_to_days(2.0) == 730.5
    assert timebase.HOURS_PER_YEAR == 8766.0
    assert timebase.days_to_years(1461.0) == 4.0


@pytest.mark.parametrize("year, days", [(2024, 366), (2025, 365), (1900, 365), (2000, 366), (2100, 365)])
def test_calendar_years(year, days):
    """Gregorian rule: every 4th year, not centuries, but every 400th."""
    assert timebase.days_in_year(year) == days
    assert timebase.hours_in_year(year) == 24 * days
    assert timebase.hours_in_years([year, 2025]).tolist() == [24.0 * days, 8760.0]


def test_add_years_uses_the_julian_fraction():
    """Half a year after 1 January 2025: round(0.5 x 365.25) = round(182.625) = 183 days -> 3 July."""
    from datetime import date
    assert cal.add_years(date(2025, 1, 1), 0.5) == date(2025, 7, 3)
    assert cal.add_years(date(2024, 2, 29), 1.0) == date(2025, 2, 28)


def test_degradation_factor_by_hand():
    """2 % in the first year then 0.5 %/year: after 0 years 0.98; after 2 years 0.98 x 0.995^2 = 0.97024450."""
    np.testing.assert_allclose(degradation_factor(np.array([0.0, 2.0]), 2.0, 0.5), [0.98, 0.9702245], rtol=1e-12)


def test_discount_factor_by_hand():
    """6 %: t = 0 -> 1, t = 1 -> 1/1.06, t = 0.5 -> 1.06^-0.5 = 0.971285862."""
    np.testing.assert_allclose(discount_factor([0.0, 1.0, 0.5], 0.06), [1.0, 1 / 1.06, 0.971285862357], rtol=1e-11)
    np.testing.assert_array_equal(discount_factors(3, 0.06), discount_factor([0, 1, 2], 0.06))


def test_exponential_ppf_by_hand():
    """Mean 10: the median is 10 ln 2 = 6.931472; q = 0 gives 0; Duration.ppf is the same function."""
    assert exponential_ppf(10.0, 0.5) == pytest.approx(10 * np.log(2), rel=1e-14)
    assert exponential_ppf(10.0, 0.0) == 0.0
    q = np.array([0.1, 0.5, 0.9])
    np.testing.assert_array_equal(Duration(dist="exponential", mean_days=10.0).ppf(q), exponential_ppf(10.0, q))
