"""Tests of the rollout's work calendar (sim.rollout.calendar): the Spring Festival table, month-day parsing, the
day masks, working-day arithmetic and the run's date helpers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from sim.rng import stream
from sim.rollout import RolloutConfig
from sim.rollout import calendar as cal

DEFAULTS = RolloutConfig()


# --------------------------------------------------------------------------------------------- Spring Festival


#: The Spring Festival table (Gregorian (month, day) of the first day of the lunar year, 2020-2080) the calendar
#: carried before it took the dates from the ``holidays`` package (GB/T 33661-2017 calendar, as tabulated by public
#: almanacs; 2024-2035 cross-checked against a second independent table).
SPRING_FESTIVAL_2020_2080: dict[int, tuple[int, int]] = {
    2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17),
    2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31),
    2034: (2, 19), 2035: (2, 8), 2036: (1, 28), 2037: (2, 15), 2038: (2, 4), 2039: (1, 24), 2040: (2, 12),
    2041: (2, 1), 2042: (1, 22), 2043: (2, 10), 2044: (1, 30), 2045: (2, 17), 2046: (2, 6), 2047: (1, 26),
    2048: (2, 14), 2049: (2, 2), 2050: (1, 23), 2051: (2, 11), 2052: (2, 1), 2053: (2, 19), 2054: (2, 8),
    2055: (1, 28), 2056: (2, 15), 2057: (2, 4), 2058: (1, 24), 2059: (2, 12), 2060: (2, 2), 2061: (1, 21),
    2062: (2, 9), 2063: (1, 29), 2064: (2, 17), 2065: (2, 5), 2066: (1, 26), 2067: (2, 14), 2068: (2, 3),
    2069: (1, 23), 2070: (2, 11), 2071: (1, 31), 2072: (2, 19), 2073: (2, 7), 2074: (1, 27), 2075: (2, 15),
    2076: (2, 5), 2077: (1, 24), 2078: (2, 12), 2079: (2, 2), 2080: (1, 22),
}


def test_spring_festival_dates_from_holidays_agree_with_the_old_table():
    """Every date of the 2020-2080 table the calendar used to carry is the one derived from ``holidays``."""
    derived = {y: cal.spring_festival_date(y) for y in SPRING_FESTIVAL_2020_2080}
    assert derived == {y: date(y, m, d) for y, (m, d) in SPRING_FESTIVAL_2020_2080.items()}


def test_spring_festival_years_are_those_the_holidays_package_covers():
    import holidays

    assert (cal.FIRST_YEAR, cal.LAST_YEAR) == (holidays.China.start_year, holidays.China.end_year)
    assert cal.FIRST_YEAR <= 2020 and cal.LAST_YEAR >= 2080
    cal.spring_festival_date(cal.FIRST_YEAR), cal.spring_festival_date(cal.LAST_YEAR)
    for year in (cal.FIRST_YEAR - 1, cal.LAST_YEAR + 1):
        with pytest.raises(ValueError, match=str(year)):
            cal.spring_festival_date(year)


def test_spring_festival_dates_are_lunar_new_years():
    # spot checks against the almanac
    assert cal.spring_festival_date(2020) == date(2020, 1, 25)
    assert cal.spring_festival_date(2024) == date(2024, 2, 10)
    assert cal.spring_festival_date(2025) == date(2025, 1, 29)
    assert cal.spring_festival_date(2026) == date(2026, 2, 17)
    assert cal.spring_festival_date(2050) == date(2050, 1, 23)
    dates = [cal.spring_festival_date(y) for y in range(cal.FIRST_YEAR, cal.LAST_YEAR + 1)]
    for d in dates:  # always between 21 January and 20 February
        assert date(d.year, 1, 21) <= d <= date(d.year, 2, 20)
    # a lunar year has 12 months (353-355 days) or, with a leap month, 13 (383-385 days)
    gaps = {(b - a).days for a, b in zip(dates, dates[1:])}
    assert gaps <= {353, 354, 355, 383, 384, 385}, gaps


# --------------------------------------------------------------------------------------------- month-day


@pytest.mark.parametrize(("text", "expected"), [("12-15", (12, 15)), ("02-28", (2, 28)), ("02-29", (2, 29)),
                                                ("1-5", (1, 5)), ("12-31", (12, 31))])
def test_parse_month_day_good(text, expected):
    assert cal.parse_month_day(text) == expected


@pytest.mark.parametrize("text", ["13-01", "00-10", "02-30", "04-31", "1215", "12-15-01", "", "aa-bb", None, 1215])
def test_parse_month_day_bad(text):
    with pytest.raises(ValueError, match="MM-DD"):
        cal.parse_month_day(text)


def test_default_frozen_season_is_valid():
    first = cal.parse_month_day(DEFAULTS.frozen_season_start_month_day)
    last = cal.parse_month_day(DEFAULTS.frozen_season_end_month_day)
    assert first > last  # the default season wraps the new year


# --------------------------------------------------------------------------------------------- masks


def test_weekend_mask_matches_the_weekday():
    start = date(2026, 1, 1)
    days = [start + timedelta(days=k) for k in range(30)]
    assert cal.weekend_mask(start, 30).tolist() == [d.weekday() >= 5 for d in days]


def test_shutdown_mask_around_the_festival():
    before, after = DEFAULTS.spring_festival_shutdown_days_before, DEFAULTS.spring_festival_shutdown_days_after
    start = date(2026, 1, 1)
    closed = cal.day_dates(start, 365)[cal.shutdown_mask(start, 365, before, after)]
    festival = cal.spring_festival_date(2026)
    assert closed[0] == np.datetime64(festival - timedelta(days=before))
    assert closed[-1] == np.datetime64(festival + timedelta(days=after))
    assert len(closed) == before + 1 + after  # one block, both ends included
    # a run that starts inside the shutdown is closed from its first day, and a run after it not at all
    inside = festival + timedelta(days=1)
    assert cal.shutdown_mask(inside, after + 5, before, after).tolist() == [True] * after + [False] * 5
    assert not cal.shutdown_mask(festival + timedelta(days=after + 1), 200, before, after).any()


def test_frozen_mask_wraps_the_new_year():
    first = cal.parse_month_day(DEFAULTS.frozen_season_start_month_day)
    last = cal.parse_month_day(DEFAULTS.frozen_season_end_month_day)
    start = date(2026, 1, 1)
    frozen = cal.frozen_mask(start, 365, first, last)

    def day(d: date) -> int:
        return (d - start).days

    assert frozen[0] and frozen[day(date(2026, *last))] and not frozen[day(date(2026, *last) + timedelta(days=1))]
    assert frozen[day(date(2026, *first))] and not frozen[day(date(2026, *first) - timedelta(days=1))]
    assert frozen.sum() == day(date(2026, *last)) + 1 + (date(2026, 12, 31) - date(2026, *first)).days + 1
    # a season within one year does not wrap
    march = cal.frozen_mask(start, 365, (3, 1), (3, 31))
    assert march.sum() == 31 and march[day(date(2026, 3, 1))] and not march[day(date(2026, 4, 1))]


def test_rain_mask_is_reproducible_from_its_stream():
    percent = DEFAULTS.rain_day_percent_by_month
    start, n_days = date(2026, 1, 1), 3 * 365
    a = cal.rain_mask(start, n_days, percent, stream(7, "rollout", "weather"))
    b = cal.rain_mask(start, n_days, percent, stream(7, "rollout", "weather"))
    c = cal.rain_mask(start, n_days, percent, stream(8, "rollout", "weather"))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # the share of rainy days follows the month's percentage (summer rainy, winter dry)
    months = cal.day_dates(start, n_days).astype("datetime64[M]").astype(int) % 12
    wettest, driest = int(np.argmax(percent)), int(np.argmin(percent))
    assert a[months == wettest].mean() > a[months == driest].mean()
    assert a[months == wettest].mean() == pytest.approx(percent[wettest] / 100, abs=0.12)
    assert not cal.rain_mask(start, 100, [0.0] * 12, stream(7, "x")).any()
    assert cal.rain_mask(start, 100, [100.0] * 12, stream(7, "x")).all()


# --------------------------------------------------------------------------------------------- working days


def test_work_calendar_arithmetic():
    wc = cal.WorkCalendar(np.array([1, 1, 0, 0, 1, 1, 1, 1], dtype=bool))
    assert wc.finish(0.0, 2.0) == 2.0
    assert wc.finish(0.5, 2.0) == 4.5  # the second half of day 0, day 1, (days 2-3 closed), half of day 4
    assert wc.finish(1.0, 1.5) == 4.5
    assert wc.finish(2.5, 1.0) == 5.0  # started on a closed day: work begins on day 4
    assert wc.finish(3.0, 0.0) == 3.0
    assert wc.finish(0.0, 50.0) == wc.n_days + 1  # cannot be finished within the calendar
    assert wc.working_days_between(0.5, 4.5) == pytest.approx(2.0)


def test_positions_on_non_working_days_count_no_work():
    """Days 2 and 3 closed: a time inside a closed day sits at the end of the last working day, so no working time
    elapses within or across the closed days, and work started there begins at 00:00 of day 4; past the calendar's
    end the position is all its working days."""
    wc = cal.WorkCalendar(np.array([1, 1, 0, 0, 1, 1], dtype=bool))
    assert wc.working_days_between(2.5, 3.9) == 0.0
    assert wc.working_days_between(1.5, 2.7) == pytest.approx(0.5)
    assert wc.working_days_between(2.2, 4.25) == pytest.approx(0.25)
    assert wc.working_days_between(3.0, 4.0) == 0.0
    assert wc.working_days_between(0.0, 9.0) == 4.0
    assert wc.finish(3.7, 0.5) == 4.5
    assert wc.finish(1.5, 0.5) == 2.0  # ends exactly at the start of the closed days
    assert wc.finish(5.5, 0.5) == 6.0 and wc.finish(5.5, 0.75) == wc.n_days + 1
    # work that starts on or after the calendar's last day ends past it (n_days + 1 = 7), however little it is
    assert wc.finish(6.0, 0.25) == 7.0 and wc.finish(9.5, 0.25) == 7.0


def test_working_days_across_a_weekend():
    monday = date(2026, 4, 6)
    assert monday.weekday() == 0
    wc = cal.WorkCalendar(~cal.weekend_mask(monday, 28))
    assert wc.finish(0.0, 5.0) == 5.0  # Monday to Friday: done on Saturday 00:00
    thursday = 3.0
    assert wc.finish(thursday, 3.0) == 8.0  # Thursday, Friday, (weekend), Monday: done on Tuesday 00:00
    assert wc.working_days_between(thursday, 8.0) == 3.0
    assert wc.working_days_between(0.0, 28.0) == 20.0  # four weeks of five working days


def test_working_days_across_the_spring_festival_shutdown():
    before, after = DEFAULTS.spring_festival_shutdown_days_before, DEFAULTS.spring_festival_shutdown_days_after
    festival = cal.spring_festival_date(2026)
    lead = 3  # working days left before the shutdown
    start = festival - timedelta(days=before + lead)
    n_days = 60
    wc = cal.WorkCalendar(~cal.shutdown_mask(start, n_days, before, after))
    closed = before + 1 + after
    assert wc.finish(0.0, lead) == lead  # done on the first day of the shutdown
    assert wc.finish(0.0, lead + 2) == lead + closed + 2  # the rest waits for the end of the shutdown
    assert wc.working_days_between(0.0, lead + closed) == lead
    assert wc.finish(lead + 1.0, 1.0) == lead + closed + 1  # started during the shutdown


# --------------------------------------------------------------------------------------------- dates of the run


def test_as_date_and_add_years():
    assert cal.as_date(date(2026, 3, 1)) == date(2026, 3, 1)
    assert cal.as_date(datetime(2026, 3, 1, 15, 30)) == date(2026, 3, 1)
    assert cal.as_date("2026-03-01") == date(2026, 3, 1)
    assert cal.add_years(date(2026, 7, 15), 5) == date(2031, 7, 15)
    assert cal.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert cal.add_years(date(2026, 1, 1), 2.5) == date(2028, 1, 1) + timedelta(days=round(0.5 * 365.25))
    start = date(2026, 7, 15)
    assert cal.year_start_days(start, 3) == [cal.days_since(start, date(y, 1, 1)) for y in (2027, 2028, 2029)]
    assert cal.days_since(start, date(2027, 1, 1)) == 170.0


# --------------------------------------------------------------------------------------------- public holidays


def _office(config: RolloutConfig, start: date, n_days: int) -> np.ndarray:
    from sim.rollout.setup import build_calendars as _build_calendars

    return _build_calendars(config, start, n_days, seed=1)["office"].workable


def test_china_office_calendar_follows_the_state_council_notice_for_2025():
    """Holiday arrangements of 2025 (State Council General Office notice of 12 November 2024): offices are closed on
    these weekdays and work on these weekend days."""
    start = date(2025, 1, 1)
    days = cal.day_dates(start, 365)
    weekend = cal.weekend_mask(start, 365)
    workable = _office(DEFAULTS, start, 365)
    closed_weekdays = {str(d) for d in days[~workable & ~weekend]}
    assert closed_weekdays == {
        "2025-01-01",  # New Year
        "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03", "2025-02-04",  # Spring Festival
        "2025-04-04",  # Qingming
        "2025-05-01", "2025-05-02", "2025-05-05",  # Labour Day
        "2025-06-02",  # Dragon Boat
        "2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08",  # National Day, Mid-Autumn
    }
    assert {str(d) for d in days[workable & weekend]} == {"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28",
                                                          "2025-10-11"}  # make-up working days
    assert workable.sum() == 365 - weekend.sum() - 18 + 5


def test_the_shutdown_and_the_office_holidays_name_the_same_first_day():
    """The shutdown's Spring Festival is the first day of the office holidays' festival (not a day of its eve)."""
    import holidays

    names = holidays.country_holidays("CN", years=range(2020, 2081))
    first_day = "Chinese New Year (Spring Festival)"
    for year in range(2020, 2081):
        festival = cal.spring_festival_date(year)
        assert names.get(festival) == first_day and names.get(festival - timedelta(days=1)) != first_day, year


def test_other_countries_and_no_holidays():
    start = date(2026, 6, 29)  # Monday
    us = _office(DEFAULTS.model_copy(update={"holidays_country": "US"}), start, 14)
    assert not us[4] and us[3]  # Friday 3 July 2026: Independence Day observed; Thursday worked
    none = _office(DEFAULTS.model_copy(update={"holidays_country": None}), date(2026, 10, 1), 7)
    assert none.tolist() == [True, True, False, False, True, True, True]  # Thursday 1 October is a working day
    china = _office(DEFAULTS, date(2026, 10, 1), 7)
    assert not china.any()  # National Day week


def test_an_unknown_country_is_refused_naming_the_key(tiny_county, tmp_path):
    import sim
    from sim.errors import InputError

    from .conftest import scenario_dict, write_scenario

    raw = scenario_dict(tiny_county)
    raw["rollout"]["holidays_country"] = "XX"
    with pytest.raises(InputError, match=r"rollout.holidays_country.*XX"):
        sim.load_scenario(write_scenario(tmp_path, raw))


def test_shutdown_mask_at_the_edges_of_the_period():
    """Festival 17 February 2026, shutdown 7 days before to 15 after (10 February - 4 March): a period starting on
    its last day has day 0 closed; a period ending inside it has its last day closed."""
    festival = cal.spring_festival_date(2026)
    last = festival + timedelta(days=15)
    mask = cal.shutdown_mask(last, 10, 7, 15)
    assert mask.tolist() == [True] + [False] * 9
    assert not cal.shutdown_mask(last + timedelta(days=1), 10, 7, 15).any()
    first = festival - timedelta(days=7)
    mask = cal.shutdown_mask(first - timedelta(days=5), 6, 7, 15)
    assert mask.tolist() == [False] * 5 + [True]


def test_make_up_working_days_of_the_last_year_count():
    """The weekend days made working days are kept up to the last year asked for (Sunday 28 September 2025 is one
    in China)."""
    table = cal.public_holidays("CN", None, 2024, 2025)
    assert date(2025, 9, 28) in table.workdays and date(2024, 9, 29) in table.workdays
    assert not [d for d in table.workdays if d.year > 2025]
