"""GDPR Art. 12(3) deadlines counted as Regulation 1182/71 Art. 3 counts them: a month ends on
the same day number (or the month's last day), and a last day on a Saturday, Sunday or Estonian
public holiday moves to the end of the next working day. The request keeps both days: the
legal due day (overdue after it) and the unrolled target (the queue sorts by it)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from pytest_django import DjangoCaptureOnCommitCallbacks

from core.timeutil import legal_date
from subject_requests import services
from subject_requests.deadlines import due_date, legal_deadline, period_end, target_date
from subject_requests.models import SubjectRequest
from tests.factories import SubjectRequestFactory

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
D = dt.date


def tallinn(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=TALLINN)


# (received, the period's calendar end, the legal due day)
ROLLED = [
    # 28 February 2027 is a Sunday.
    (tallinn(2027, 1, 31, 10, 0), D(2027, 2, 28), D(2027, 3, 1)),
    # 23 June is Victory Day, 24 June Midsummer Day.
    (tallinn(2026, 5, 23, 10, 0), D(2026, 6, 23), D(2026, 6, 25)),
    # 24–26 December are holidays and the 27th a Sunday.
    (tallinn(2026, 11, 24, 10, 0), D(2026, 12, 24), D(2026, 12, 28)),
    # 3 April is Good Friday, 5 April Easter Sunday; Easter Monday is no holiday in Estonia.
    (tallinn(2026, 3, 3, 10, 0), D(2026, 4, 3), D(2026, 4, 6)),
]


@pytest.mark.parametrize(("received", "end", "due"), ROLLED)
def test_a_period_ending_on_a_day_off_is_due_on_the_next_working_day(
    received: dt.datetime, end: dt.date, due: dt.date
) -> None:
    assert period_end(received) == end
    assert legal_deadline(received) == due
    assert due_date(received) == due
    assert target_date(received) == end


@pytest.mark.parametrize(("received", "end", "due"), ROLLED)
def test_a_request_is_overdue_only_after_the_end_of_the_legal_due_day(
    received: dt.datetime, end: dt.date, due: dt.date
) -> None:
    request = SubjectRequestFactory.create(received_at=received)
    assert (legal_date(request.target_at), legal_date(request.due_at)) == (end, due)
    last_moment = tallinn(due.year, due.month, due.day, 23, 59, 59)
    first_moment = tallinn(due.year, due.month, due.day) + dt.timedelta(days=1)
    for moment, overdue in ((last_moment, False), (first_moment, True)):
        assert request.is_overdue(moment) is overdue
        assert SubjectRequest.objects.open().overdue(now=moment).exists() is overdue


def test_a_period_ending_on_a_working_day_stays_there() -> None:
    # 22 June 2026 is a Monday, the day before Victory Day.
    received = tallinn(2026, 5, 22, 10, 0)
    assert period_end(received) == legal_deadline(received) == D(2026, 6, 22)
    # 29 December 2026 is a Tuesday, after the Christmas run.
    received = tallinn(2026, 11, 29, 10, 0)
    assert period_end(received) == legal_deadline(received) == D(2026, 12, 29)


def test_a_receipt_late_in_the_evening_counts_from_its_tallinn_day() -> None:
    # 22 May 2026 21:30 UTC is 23 May 00:30 in Tallinn: the period ends on Victory Day.
    assert legal_deadline(dt.datetime(2026, 5, 22, 21, 30, tzinfo=dt.UTC)) == D(2026, 6, 25)
    # 20:59 UTC is still 22 May in Tallinn: Monday 22 June, a working day.
    assert legal_deadline(dt.datetime(2026, 5, 22, 20, 59, tzinfo=dt.UTC)) == D(2026, 6, 22)


def test_an_extension_ending_on_a_weekend_is_due_on_the_monday(dpo: User) -> None:
    # Three months from 31 January 2026 end on Thursday 30 April; from 28 February 2026 on
    # Thursday 28 May; from 27 February 2027 on Thursday 27 May. From 4 January 2026: Saturday
    # 4 April, then Easter Sunday, so Monday 6 April.
    assert period_end(tallinn(2026, 1, 4, 9, 0), 3) == D(2026, 4, 4)
    assert legal_deadline(tallinn(2026, 1, 4, 9, 0), 3) == D(2026, 4, 6)
    with time_machine.travel(tallinn(2026, 1, 4, 9, 0), tick=False):
        request = SubjectRequestFactory.create()
    with time_machine.travel(tallinn(2026, 1, 20, 9, 0), tick=False):
        request = services.extend_deadline(request=request, reason="Six systems", actor=dpo)
    assert legal_date(request.target_at) == D(2026, 4, 4)
    assert legal_date(request.due_at) == D(2026, 4, 6)
    assert not request.is_overdue(tallinn(2026, 4, 6, 23, 59))
    assert request.is_overdue(tallinn(2026, 4, 7, 0, 0))


def test_a_deadline_moved_by_a_pause_onto_a_holiday_rolls_from_there(dpo: User) -> None:
    # Received Friday 15 May 2026: the month ends Monday 15 June, a working day. Paused 8 days
    # (1 → 9 June): 23 June, Victory Day, then Midsummer Day: due Thursday 25 June.
    with time_machine.travel(tallinn(2026, 5, 15, 9, 0), tick=False):
        request = SubjectRequestFactory.create(
            status="verified", verified_at=tallinn(2026, 5, 15, 9, 0)
        )
    assert legal_date(request.due_at) == D(2026, 6, 15)
    with time_machine.travel(tallinn(2026, 6, 1, 9, 0), tick=False):
        services.pause_request(request=request, reason="clarification", note="Which?", actor=dpo)
    with time_machine.travel(tallinn(2026, 6, 9, 9, 0), tick=False):
        request = services.resume_request(request=request, actor=dpo)
    assert request.paused_days == 8
    assert legal_date(request.target_at) == D(2026, 6, 23)
    assert legal_date(request.due_at) == D(2026, 6, 25)
    assert not request.is_overdue(tallinn(2026, 6, 25, 23, 59))
    assert request.is_overdue(tallinn(2026, 6, 26, 0, 0))


def test_while_paused_the_shown_due_day_rolls_from_the_moved_target(dpo: User) -> None:
    with time_machine.travel(tallinn(2026, 5, 15, 9, 0), tick=False):
        request = SubjectRequestFactory.create(
            status="verified", verified_at=tallinn(2026, 5, 15, 9, 0)
        )
    with time_machine.travel(tallinn(2026, 6, 1, 9, 0), tick=False):
        request = services.pause_request(
            request=request, reason="clarification", note="Which?", actor=dpo
        )
    # Eight days into the pause the target is 23 June (a holiday): due on the 25th.
    deadline = request.deadline(tallinn(2026, 6, 9, 9, 0))
    assert (deadline.target_on, deadline.due_on) == (D(2026, 6, 23), D(2026, 6, 25))
    # Seven days in, the target is Monday 22 June, a working day: both days agree.
    deadline = request.deadline(tallinn(2026, 6, 8, 9, 0))
    assert (deadline.target_on, deadline.due_on) == (D(2026, 6, 22), D(2026, 6, 22))


def test_correcting_the_receipt_time_recomputes_both_days(staff: User) -> None:
    with time_machine.travel(tallinn(2026, 6, 1, 9, 0), tick=False):
        request = services.enter_request(
            type="access",
            channel="email",
            name="Jaan",
            email="",
            description="",
            received_at=tallinn(2026, 5, 22, 9, 0),
            actor=staff,
        )
        assert legal_date(request.due_at) == legal_date(request.target_at) == D(2026, 6, 22)
        request = services.change_received_at(
            request=request, received_at=tallinn(2026, 5, 23, 9, 0), reason="Typo", actor=staff
        )
    request.refresh_from_db()
    assert (legal_date(request.target_at), legal_date(request.due_at)) == (
        D(2026, 6, 23),
        D(2026, 6, 25),
    )


def test_the_acknowledgement_names_the_legal_due_day(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with (
        time_machine.travel(tallinn(2026, 11, 24, 10, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.submit_request(
            type="access", name="Mari", email="mari@example.org", description=""
        )
    ack = next(m for m in mail.outbox if m.subject.startswith("We received"))
    assert "We will answer by 28 December 2026." in ack.body
    assert "24 December" not in ack.body


def test_the_extension_letter_names_the_extended_legal_due_day(
    dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with time_machine.travel(tallinn(2026, 1, 4, 9, 0), tick=False):
        request = SubjectRequestFactory.create(requester_email="mari@example.org")
    with (
        time_machine.travel(tallinn(2026, 1, 20, 9, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.extend_deadline(request=request, reason="Six systems", actor=dpo)
    [letter] = mail.outbox
    assert "6 April 2026" in letter.body
    assert "4 April" not in letter.body


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_old_day_as_target_and_rolls_the_due_day() -> None:
    from core.timeutil import end_of_legal_day
    from tests.migrating import migrate

    before = [("subject_requests", "0002_seed_retention_rule")]
    executor = migrate(before)
    old_model = executor.loader.project_state(before).apps.get_model(
        "subject_requests", "SubjectRequest"
    )
    # (received, status, paused days, the stored day: until now the unrolled end + pauses)
    rows = [
        (tallinn(2027, 1, 31, 10, 0), "in_progress", 0, D(2027, 2, 28)),
        (tallinn(2026, 11, 24, 10, 0), "completed", 0, D(2026, 12, 24)),
        (tallinn(2026, 5, 22, 10, 0), "verified", 0, D(2026, 6, 22)),
        (tallinn(2026, 5, 15, 10, 0), "verified", 8, D(2026, 6, 23)),
        (tallinn(2026, 3, 3, 10, 0), "received", 0, D(2026, 4, 3)),
    ]
    ids = [
        old_model.objects.create(
            reference=f"DSR-MIG-{n}",
            type="access",
            channel="web",
            status=status,
            received_at=received,
            due_at=end_of_legal_day(stored),
            paused_days=paused,
        ).pk
        for n, (received, status, paused, stored) in enumerate(rows)
    ]
    migrate()

    migrated = SubjectRequest.objects.in_bulk(ids)
    days = [(legal_date(migrated[pk].target_at), legal_date(migrated[pk].due_at)) for pk in ids]
    assert days == [
        (D(2027, 2, 28), D(2027, 3, 1)),
        (D(2026, 12, 24), D(2026, 12, 28)),
        (D(2026, 6, 22), D(2026, 6, 22)),
        (D(2026, 6, 23), D(2026, 6, 25)),
        (D(2026, 4, 3), D(2026, 4, 6)),
    ]
    # What the migration wrote is what the services write.
    for pk, (received, _status, paused, _stored) in zip(ids, rows, strict=True):
        assert migrated[pk].due_at == end_of_legal_day(due_date(received, pauses=[paused]))
