"""The daily job: unverified requests closed after 7 days; one reminder a day per assignee."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from pytest_django import DjangoCaptureOnCommitCallbacks

from core.models import AuditEvent
from privacyops.beat import SCHEDULE
from subject_requests import services
from subject_requests.models import ReminderSent, Status, SubjectRequest
from subject_requests.services.reminders import run_daily_reminders
from subject_requests.tasks import daily_reminders
from tests.factories import SubjectRequestFactory, reference_of

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
NOW = dt.datetime(2026, 3, 20, 7, 0, tzinfo=TALLINN)


def test_the_beat_entry_names_the_task() -> None:
    assert SCHEDULE["daily-request-reminders"]["task"] == daily_reminders.name


def test_each_assignee_gets_one_reminder_a_day_with_due_soon_and_overdue(
    staff: User, dpo: User
) -> None:
    overdue = SubjectRequestFactory.create(assignee=staff, received_at=NOW - dt.timedelta(days=40))
    soon = SubjectRequestFactory.create(assignee=staff, received_at=NOW - dt.timedelta(days=27))
    later = SubjectRequestFactory.create(assignee=staff, received_at=NOW - dt.timedelta(days=5))
    SubjectRequestFactory.create(assignee=dpo, received_at=NOW - dt.timedelta(days=5))
    with time_machine.travel(NOW, tick=False):
        daily_reminders.delay()
        daily_reminders.delay()
    [reminder] = mail.outbox
    assert reminder.to == [staff.email]
    body = str(reminder.body)
    assert reference_of(overdue) in body
    assert reference_of(soon) in body
    assert reference_of(later) not in body
    assert "Requester" not in body  # no requester data in staff e-mail
    sent = ReminderSent.objects.get()
    assert (sent.assignee, sent.overdue, sent.due_soon) == (staff, 1, 1)
    assert AuditEvent.objects.filter(action="request.reminder_sent").count() == 1


def test_the_next_day_brings_the_next_reminder(staff: User) -> None:
    SubjectRequestFactory.create(assignee=staff, received_at=NOW - dt.timedelta(days=40))
    with time_machine.travel(NOW, tick=False):
        run_daily_reminders()
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        run_daily_reminders()
    assert len(mail.outbox) == 2


def test_paused_and_closed_requests_bring_no_reminder(staff: User) -> None:
    SubjectRequestFactory.create(
        assignee=staff, received_at=NOW - dt.timedelta(days=40), paused_since=NOW
    )
    SubjectRequestFactory.create(
        assignee=staff, received_at=NOW - dt.timedelta(days=40), status=Status.COMPLETED
    )
    with time_machine.travel(NOW, tick=False):
        assert run_daily_reminders()["reminded"] == 0
    assert not mail.outbox


def test_unverified_requests_close_after_seven_days_with_the_letter(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with time_machine.travel(NOW - dt.timedelta(days=7, minutes=1), tick=False):
        old = services.submit_request(type="access", name="A", email="a@x.example", description="")
    with time_machine.travel(NOW - dt.timedelta(days=6, hours=23), tick=False):
        young = services.submit_request(
            type="access", name="B", email="b@x.example", description=""
        )
    mail.outbox.clear()
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = run_daily_reminders()
        again = run_daily_reminders()
    assert result["closed_unverified"] == 1 and again["closed_unverified"] == 0
    old.refresh_from_db()
    young.refresh_from_db()
    assert old.status == Status.CLOSED_UNVERIFIED
    assert young.status == Status.AWAITING_IDENTITY
    [letter] = mail.outbox
    assert letter.to == ["a@x.example"]
    assert "could not confirm your identity" in letter.body
    assert "Estonian Data Protection Inspectorate" in letter.body


def test_a_confirmed_email_awaiting_the_dpos_check_is_not_closed() -> None:
    SubjectRequestFactory.create(
        status=Status.AWAITING_IDENTITY,
        identity_requested_at=NOW - dt.timedelta(days=10),
        email_confirmed_at=NOW - dt.timedelta(days=9),
    )
    with time_machine.travel(NOW, tick=False):
        assert run_daily_reminders()["closed_unverified"] == 0
    assert SubjectRequest.objects.get().status == Status.AWAITING_IDENTITY
