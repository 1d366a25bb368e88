"""The generic legal-day pieces of `core.timeutil`: "a month from day D" and the next working
day under Regulation 1182/71 Art. 3(4), with Estonia's public holidays."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django import Settings

from core.timeutil import (
    holiday_country_known,
    is_working_day,
    months_after,
    months_after_cutoff,
    next_working_day_on_or_after,
    public_holidays,
)
from tests.test_settings import production_env, run_django

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 15), 1, D(2026, 2, 15)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2026, 2, 28), 1, D(2026, 3, 28)),
        (D(2026, 4, 30), 1, D(2026, 5, 30)),
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 12, 31), 1, D(2027, 1, 31)),
        (D(2026, 1, 31), 3, D(2026, 4, 30)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
    ],
)
def test_a_month_ends_on_the_same_day_number_or_the_months_last_day(
    day: dt.date, months: int, expected: dt.date
) -> None:
    assert months_after(day, months) == expected


@pytest.mark.parametrize("months", [1, 3])
def test_the_cutoff_separates_exactly_the_days_whose_months_have_run_out(months: int) -> None:
    # Every check day over four years (leap year and every month-end clamp included), against
    # every start day around it: the cutoff and the definition never disagree.
    first = D(2027, 1, 1)
    for offset in range(0, 1461, 3):
        as_of = first + dt.timedelta(days=offset)
        cutoff = months_after_cutoff(as_of, months)
        for back in range(months * 31 - 8, months * 31 + 8):
            day = as_of - dt.timedelta(days=back)
            assert (months_after(day, months) < as_of) == (day < cutoff), (as_of, day)


@pytest.mark.parametrize(
    ("as_of", "cutoff"),
    [
        # 29, 30 and 31 January all end on 28 February: none has run out on 28 February,
        # all have on 1 March.
        (D(2027, 2, 28), D(2027, 1, 28)),
        (D(2027, 3, 1), D(2027, 2, 1)),
        # 28 February ends on 28 March: still running that day, run out on the 29th.
        (D(2027, 3, 28), D(2027, 2, 28)),
        (D(2027, 3, 29), D(2027, 3, 1)),
    ],
)
def test_the_cutoff_at_the_month_end_clamps(as_of: dt.date, cutoff: dt.date) -> None:
    assert months_after_cutoff(as_of, 1) == cutoff


def test_estonias_public_holidays_come_from_the_holidays_package() -> None:
    days = public_holidays(2026)
    assert {D(2026, 2, 24), D(2026, 4, 3), D(2026, 6, 23), D(2026, 6, 24), D(2026, 12, 24)} <= days
    # Easter Monday is a public holiday in Latvia, not in Estonia.
    assert D(2026, 4, 6) not in days


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 6, 22), D(2026, 6, 22)),  # a Monday: a working day stays
        (D(2026, 6, 23), D(2026, 6, 25)),  # Victory Day, then Midsummer Day
        (D(2027, 2, 27), D(2027, 3, 1)),  # Saturday → Monday
        (D(2027, 2, 28), D(2027, 3, 1)),  # Sunday → Monday
        (D(2026, 12, 24), D(2026, 12, 28)),  # Christmas Eve to Second Day, then a Sunday
        (D(2026, 4, 3), D(2026, 4, 6)),  # Good Friday, Saturday, Easter Sunday
        (D(2026, 12, 31), D(2026, 12, 31)),  # a Thursday: not a public holiday
        (D(2027, 1, 1), D(2027, 1, 4)),  # New Year's Day (Friday) over the weekend
    ],
)
def test_a_last_day_off_work_moves_to_the_next_working_day(day: dt.date, expected: dt.date) -> None:
    assert next_working_day_on_or_after(day) == expected
    assert is_working_day(expected)


def test_the_holiday_country_is_a_setting(settings: Settings) -> None:
    # 6 April 2026 is Easter Monday: a public holiday in Latvia, a working day in Estonia.
    assert next_working_day_on_or_after(D(2026, 4, 6)) == D(2026, 4, 6)
    settings.LEGAL_HOLIDAY_COUNTRY = "LV"
    assert next_working_day_on_or_after(D(2026, 4, 6)) == D(2026, 4, 7)


def test_an_unknown_holiday_country_stops_start_up_naming_the_variable() -> None:
    env = production_env()
    env["LEGAL_HOLIDAY_COUNTRY"] = "Estonia"
    result = run_django(env, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "LEGAL_HOLIDAY_COUNTRY must be" in result.stderr
    # Well-formed, but no calendar in the holidays package: the system check stops `check`
    # and `migrate` (the package is imported there, not by every process at start-up).
    env["LEGAL_HOLIDAY_COUNTRY"] = "XX"
    unknown = run_django(env, "check")
    assert unknown.returncode != 0
    assert "privacyops.E003" in unknown.stderr
    assert "LEGAL_HOLIDAY_COUNTRY must be" in unknown.stderr
    env["LEGAL_HOLIDAY_COUNTRY"] = "ee"
    assert run_django(env, "check").returncode == 0


def test_the_holiday_country_may_be_any_code_the_holidays_package_knows() -> None:
    assert holiday_country_known("EE")
    assert holiday_country_known("LVA")  # alpha-3
    assert not holiday_country_known("XX")
    assert not holiday_country_known("HolidaysAX")  # a class name in the package's registry
