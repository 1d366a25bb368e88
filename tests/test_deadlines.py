"""GDPR Art. 12(3) periods: one month from receipt, three when extended, in Tallinn days. The
roll to a working day (Regulation 1182/71 Art. 3(4)) is tested in test_legal_deadlines.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from subject_requests.deadlines import (
    due_date,
    legal_deadline,
    paused_days,
    period_end,
    request_deadline,
)

TALLINN = ZoneInfo("Europe/Tallinn")
UTC = dt.UTC


def tallinn(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=TALLINN)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (tallinn(2026, 1, 15, 10, 0), dt.date(2026, 2, 15)),
        (tallinn(2026, 1, 31, 10, 0), dt.date(2026, 2, 28)),
        (tallinn(2028, 1, 31, 10, 0), dt.date(2028, 2, 29)),
        (tallinn(2028, 2, 29, 10, 0), dt.date(2028, 3, 29)),
        (tallinn(2026, 4, 30, 10, 0), dt.date(2026, 5, 30)),
        (tallinn(2026, 3, 31, 10, 0), dt.date(2026, 4, 30)),
        (tallinn(2026, 12, 31, 10, 0), dt.date(2027, 1, 31)),
    ],
)
def test_the_period_ends_the_same_day_a_month_later_or_on_that_months_last_day(
    received: dt.datetime, due: dt.date
) -> None:
    assert period_end(received) == due


def test_a_period_ending_on_a_saturday_is_due_on_the_monday() -> None:
    # 14 February 2026 is a Saturday: the period ends there, the deadline on Monday 16th.
    assert period_end(tallinn(2026, 1, 14, 9, 0)) == dt.date(2026, 2, 14)
    assert legal_deadline(tallinn(2026, 1, 14, 9, 0)) == dt.date(2026, 2, 16)


def test_a_receipt_just_after_midnight_in_tallinn_counts_from_the_tallinn_day() -> None:
    # 31 January 22:30 UTC is 1 February 00:30 in Tallinn (UTC+2 in winter).
    received = dt.datetime(2026, 1, 31, 22, 30, tzinfo=UTC)
    assert period_end(received) == dt.date(2026, 3, 1)


def test_a_receipt_just_before_midnight_in_tallinn_counts_from_that_day() -> None:
    # 31 January 21:59 UTC is 23:59 in Tallinn, still 31 January.
    received = dt.datetime(2026, 1, 31, 21, 59, tzinfo=UTC)
    assert period_end(received) == dt.date(2026, 2, 28)


def test_a_summer_receipt_near_midnight_uses_summer_time() -> None:
    # 30 June 21:30 UTC is 1 July 00:30 in Tallinn (UTC+3 in summer).
    assert period_end(dt.datetime(2026, 6, 30, 21, 30, tzinfo=UTC)) == dt.date(2026, 8, 1)
    assert period_end(dt.datetime(2026, 6, 30, 20, 59, tzinfo=UTC)) == dt.date(2026, 7, 30)


def test_the_extension_counts_three_months_from_receipt_not_from_the_first_due_date() -> None:
    received = tallinn(2026, 1, 31, 12, 0)
    assert legal_deadline(received, months=3) == dt.date(2026, 4, 30)
    # Chaining from 28 February would give 28 April: the wrong answer.
    assert due_date(received, extended=True) == dt.date(2026, 4, 30)


def test_paused_days_move_the_due_date_by_exactly_those_days() -> None:
    received = tallinn(2026, 3, 2, 9, 0)
    assert due_date(received, pauses=[5, 2]) == dt.date(2026, 4, 9)


def test_paused_days_count_tallinn_days_between_start_and_end() -> None:
    assert paused_days(tallinn(2026, 3, 10, 23, 0), tallinn(2026, 3, 15, 0, 30)) == 5
    assert paused_days(tallinn(2026, 3, 10, 9, 0), tallinn(2026, 3, 10, 17, 0)) == 0


def test_the_due_and_target_instants_are_the_ends_of_their_tallinn_days() -> None:
    # The month ends on Saturday 28 February 2026: the target; the deadline is Monday 2 March.
    deadline = request_deadline(tallinn(2026, 1, 31, 12, 0))
    for moment, day in (
        (deadline.target_at, dt.date(2026, 2, 28)),
        (deadline.due_at, dt.date(2026, 3, 2)),
    ):
        assert moment.astimezone(TALLINN).date() == day
        assert moment.astimezone(TALLINN).time() == dt.time(23, 59, 59, 999999)


def test_a_naive_receipt_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        legal_deadline(dt.datetime(2026, 1, 1, 12, 0))
    with pytest.raises(ValueError, match="aware"):
        period_end(dt.datetime(2026, 1, 1, 12, 0))
