"""GDPR Art. 14(3)(a): a person whose data did not come from them is told "at the latest
within one month" of collection: the same calendar-month end as Art. 12(3) (`months_after`,
not rolled), counted from the Tallinn day of collection, overdue from the day after."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.timeutil import legal_date, months_after
from subjects.models import DataSubject
from tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
D = dt.date


def overdue_on(as_of: dt.date) -> set[int]:
    return set(DataSubject.objects.informed_overdue(as_of=as_of).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("collected", "last_day"),
    [
        (D(2027, 1, 31), D(2027, 2, 28)),  # no 31 February: the month's last day
        (D(2027, 2, 28), D(2027, 3, 28)),  # not 31 March, and not 1 April
        (D(2027, 4, 30), D(2027, 5, 30)),  # not 31 May
        (D(2028, 1, 31), D(2028, 2, 29)),  # a leap year
    ],
)
def test_the_notice_is_overdue_from_the_day_after_one_month_from_collection(
    collected: dt.date, last_day: dt.date
) -> None:
    assert months_after(collected, 1) == last_day
    # Collected at both ends of the Tallinn day: 00:00 and 23:59 local time.
    early = DataSubjectFactory.create(
        source="third_party",
        collected_at=dt.datetime.combine(collected, dt.time(0, 0), tzinfo=TALLINN),
    )
    late = DataSubjectFactory.create(
        source="public_register",
        collected_at=dt.datetime.combine(collected, dt.time(23, 59), tzinfo=TALLINN),
    )
    assert overdue_on(last_day) == set()
    assert overdue_on(last_day + dt.timedelta(days=1)) == {early.pk, late.pk}


def test_the_day_of_collection_is_the_tallinn_day() -> None:
    # 28 February 2027 22:30 UTC is 1 March 00:30 in Tallinn: due 1 April, not 28 March.
    person = DataSubjectFactory.create(
        source="colleague", collected_at=dt.datetime(2027, 2, 28, 22, 30, tzinfo=dt.UTC)
    )
    assert legal_date(person.collected_at) == D(2027, 3, 1)
    assert person.pk not in overdue_on(D(2027, 3, 29))
    assert person.pk not in overdue_on(D(2027, 4, 1))
    assert person.pk in overdue_on(D(2027, 4, 2))


def test_the_set_based_query_agrees_with_the_one_month_rule_day_by_day() -> None:
    first = D(2027, 1, 20)
    people = {
        DataSubjectFactory.create(
            source="third_party",
            collected_at=dt.datetime.combine(
                first + dt.timedelta(days=n), dt.time(12, 0), tzinfo=TALLINN
            ),
        ).pk: first + dt.timedelta(days=n)
        for n in range(0, 110, 1)
    }
    for offset in range(20, 140, 3):
        as_of = first + dt.timedelta(days=offset)
        expected = {pk for pk, day in people.items() if months_after(day, 1) < as_of}
        assert overdue_on(as_of) == expected, as_of


def test_people_told_or_who_gave_their_own_data_are_never_overdue() -> None:
    collected = dt.datetime(2027, 1, 5, 12, 0, tzinfo=TALLINN)
    DataSubjectFactory.create(source="subject", collected_at=collected)
    DataSubjectFactory.create(source="third_party", collected_at=collected, informed_at=collected)
    assert overdue_on(D(2027, 6, 1)) == set()
