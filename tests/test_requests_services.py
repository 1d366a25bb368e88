"""The request services: status machine, deadlines, identity, duplicates, permissions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import PermissionDenied
from pytest_django import DjangoCaptureOnCommitCallbacks

from core.models import AuditEvent
from core.timeutil import legal_date
from subject_requests import services
from subject_requests.models import (
    EntryKind,
    Pause,
    PauseReason,
    Status,
    SubjectRequest,
    TimelineEntry,
)
from tests.emails import html_part
from tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")


def tallinn(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=TALLINN)


def submit(email: str = "mari@company.example", type: str = "access", **kw: Any) -> SubjectRequest:
    return services.submit_request(
        type=type, name="Mari Maasikas", email=email, description="What do you hold?", **kw
    )


def verified(dpo: User, *, at: dt.datetime, **kw: Any) -> SubjectRequest:
    with time_machine.travel(at, tick=False):
        request = submit(**kw)
        return services.verify_manually(
            request=request, asked="Date of last login", shown="Correct date", actor=dpo
        )


def link_from(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://\S+/privacy/request/verify/[^/\s]+/", str(message.body))
    assert match, message.body
    return match.group(0).split("/verify/")[1].rstrip("/")


# --- intake -----------------------------------------------------------------------------------


def test_a_public_request_gets_a_reference_a_due_date_and_two_emails(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with (
        time_machine.travel(tallinn(2026, 1, 31, 12, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        request = submit()
    assert re.fullmatch(r"DSR-2026-\d{6}", request.reference or "")
    # The month ends on Saturday 28 February: the target; due Monday 2 March (1182/71 Art. 3(4)).
    assert legal_date(request.target_at) == dt.date(2026, 2, 28)
    assert legal_date(request.due_at) == dt.date(2026, 3, 2)
    assert request.status == Status.AWAITING_IDENTITY
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        f"Confirm your e-mail address for request {request.reference}",
        f"We received your request {request.reference}",
    ]
    ack = next(m for m in mail.outbox if m.subject.startswith("We received"))
    assert "2 March 2026" in ack.body
    assert ack.to == ["mari@company.example"]
    assert AuditEvent.objects.filter(action="request.received", target_id=str(request.pk)).exists()


def test_the_requester_data_is_stored_encrypted() -> None:
    from django.db import connection

    submit(email="secret-marker@company.example")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM subject_requests_subjectrequest")
        dump = repr(cursor.fetchall())
    assert "secret-marker" not in dump
    assert "Mari Maasikas" not in dump


def test_staff_may_enter_a_request_with_the_time_it_arrived(staff: User) -> None:
    with time_machine.travel(tallinn(2026, 3, 10, 9, 0), tick=False):
        request = services.enter_request(
            type="erasure",
            channel="letter",
            name="Jaan Tamm",
            email="",
            description="Delete me",
            received_at=tallinn(2026, 3, 2, 14, 0),
            actor=staff,
        )
    assert legal_date(request.due_at) == dt.date(2026, 4, 2)
    assert request.created_by == staff
    event = AuditEvent.objects.get(action="request.entered", target_id=str(request.pk))
    assert event.details["backdated"] is True


def test_a_receipt_in_the_future_is_refused(staff: User) -> None:
    with (
        time_machine.travel(tallinn(2026, 3, 10, 9, 0), tick=False),
        pytest.raises(services.RequestError, match="future"),
    ):
        services.enter_request(
            type="access",
            channel="phone",
            name="Jaan",
            email="",
            description="",
            received_at=tallinn(2026, 3, 11, 9, 0),
            actor=staff,
        )
    assert not SubjectRequest.objects.exists()


def test_correcting_the_receipt_time_moves_the_deadline_and_is_audited(staff: User) -> None:
    with time_machine.travel(tallinn(2026, 3, 10, 9, 0), tick=False):
        request = services.enter_request(
            type="access",
            channel="email",
            name="Jaan",
            email="",
            description="",
            received_at=tallinn(2026, 3, 9, 9, 0),
            actor=staff,
        )
        request = services.change_received_at(
            request=request,
            received_at=tallinn(2026, 1, 31, 9, 0),
            reason="Found in spam",
            actor=staff,
        )
    assert legal_date(request.target_at) == dt.date(2026, 2, 28)
    assert legal_date(request.due_at) == dt.date(2026, 3, 2)
    event = AuditEvent.objects.get(action="request.received_at_changed")
    assert event.details["new_received_at"].startswith("2026-01-31")


# --- status machine ---------------------------------------------------------------------------


ILLEGAL = [
    (Status.RECEIVED, Status.IN_PROGRESS),
    (Status.RECEIVED, Status.COMPLETED),
    (Status.AWAITING_IDENTITY, Status.IN_PROGRESS),
    (Status.AWAITING_IDENTITY, Status.COMPLETED),
    (Status.VERIFIED, Status.COMPLETED),
    (Status.VERIFIED, Status.CLOSED_UNVERIFIED),
    (Status.IN_PROGRESS, Status.VERIFIED),
    (Status.COMPLETED, Status.IN_PROGRESS),
    (Status.REJECTED, Status.IN_PROGRESS),
    (Status.WITHDRAWN, Status.VERIFIED),
    (Status.CLOSED_UNVERIFIED, Status.VERIFIED),
]


def _try(to: str, request: SubjectRequest, dpo: User) -> SubjectRequest:
    if to == Status.IN_PROGRESS:
        return services.start_work(request=request, actor=dpo)
    if to == Status.COMPLETED:
        return services.complete_request(request=request, outcome="Sent the report", actor=dpo)
    if to == Status.VERIFIED:
        return services.verify_manually(request=request, asked="a", shown="b", actor=dpo)
    if to == Status.CLOSED_UNVERIFIED:
        return services.close_unverified(request=request, reason="No answer", actor=dpo)
    raise AssertionError(to)


@pytest.mark.parametrize(("start", "to"), ILLEGAL)
def test_each_illegal_transition_is_refused_by_the_service(dpo: User, start: str, to: str) -> None:
    from tests.factories import SubjectRequestFactory

    request = SubjectRequestFactory.create(status=start)
    with pytest.raises(services.RequestError):
        _try(to, request, dpo)
    request.refresh_from_db()
    assert request.status == start


def test_the_whole_happy_path_is_allowed_and_kept_on_the_timeline(dpo: User) -> None:
    request = verified(dpo, at=tallinn(2026, 3, 2, 9, 0))
    request = services.start_work(request=request, actor=dpo)
    request = services.complete_request(request=request, outcome="Report sent", actor=dpo)
    assert request.status == Status.COMPLETED
    assert request.closed_at is not None
    moves = list(
        TimelineEntry.objects.filter(request=request, kind=EntryKind.STATUS)
        .order_by("id")
        .values_list("to_status", flat=True)
    )
    assert moves == ["received", "awaiting_identity", "verified", "in_progress", "completed"]


def test_a_rejection_without_a_reason_is_refused(dpo: User) -> None:
    request = submit()
    with pytest.raises(services.RequestError, match="reason"):
        services.reject_request(request=request, reason="   ", actor=dpo)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_IDENTITY


def test_a_rejection_sends_the_reason_and_the_right_to_complain(
    dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    request = submit()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_request(
            request=request, reason="Manifestly unfounded: fifth copy", actor=dpo
        )
    [letter] = mail.outbox
    assert "Manifestly unfounded: fifth copy" in letter.body
    assert "Estonian Data Protection Inspectorate" in letter.body
    assert "where you live or work" in letter.body
    assert "court" in letter.body
    html = html_part(letter)
    assert "Estonian Data Protection Inspectorate" in html


def test_every_closure_sends_a_letter_with_the_right_to_complain(
    dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    request = verified(dpo, at=tallinn(2026, 3, 2, 9, 0))
    services.start_work(request=request, actor=dpo)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_request(request=request, outcome="We hold no data on you", actor=dpo)
    [letter] = mail.outbox
    assert "We hold no data on you" in letter.body
    assert "supervisory authority" in letter.body
    entry = TimelineEntry.objects.get(request=request, letter="closure")
    assert entry.emailed_at is not None


def test_a_letter_is_sent_once_even_if_the_task_runs_twice(
    dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    from subject_requests.letters import deliver_letter

    request = submit()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_request(request=request, reason="Not ours", actor=dpo)
    entry = TimelineEntry.objects.get(request=request, letter="rejection")
    assert deliver_letter(entry_id=entry.pk) is False
    assert len(mail.outbox) == 1


def test_a_letter_to_a_requester_without_email_is_flagged_for_post(staff: User, dpo: User) -> None:
    request = services.enter_request(
        type="access",
        channel="letter",
        name="Jaan",
        email="",
        description="",
        received_at=dt.datetime.now(tz=TALLINN),
        actor=staff,
    )
    services.reject_request(request=request, reason="Not ours", actor=dpo)
    entry = TimelineEntry.objects.get(request=request, letter="rejection")
    assert "send it by post" in entry.summary


# --- extension --------------------------------------------------------------------------------


def test_an_extension_runs_three_months_from_receipt_and_tells_the_requester_why(
    dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with time_machine.travel(tallinn(2026, 1, 31, 10, 0), tick=False):
        request = submit()
    mail.outbox.clear()
    with (
        time_machine.travel(tallinn(2026, 2, 20, 10, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        request = services.extend_deadline(
            request=request, reason="Data spread over six systems", actor=dpo
        )
    assert legal_date(request.due_at) == dt.date(2026, 4, 30)
    [letter] = mail.outbox
    assert "Data spread over six systems" in letter.body
    assert "30 April 2026" in letter.body
    assert AuditEvent.objects.filter(action="request.extended").exists()


def test_the_deadline_can_be_extended_only_once(dpo: User) -> None:
    with time_machine.travel(tallinn(2026, 1, 31, 10, 0), tick=False):
        request = submit()
        request = services.extend_deadline(request=request, reason="Complex", actor=dpo)
        with pytest.raises(services.RequestError, match="once"):
            services.extend_deadline(request=request, reason="Again", actor=dpo)
    request.refresh_from_db()
    assert legal_date(request.due_at) == dt.date(2026, 4, 30)


def test_an_extension_without_a_reason_is_refused(dpo: User) -> None:
    request = submit()
    with pytest.raises(services.RequestError, match="reason"):
        services.extend_deadline(request=request, reason="", actor=dpo)
    request.refresh_from_db()
    assert request.extended_at is None


def test_an_extension_is_allowed_on_the_last_day_but_refused_after_the_deadline(
    dpo: User,
) -> None:
    with time_machine.travel(tallinn(2026, 1, 31, 10, 0), tick=False):
        first = submit(email="a@company.example")
        second = submit(email="b@company.example")
    # The month ends on Saturday 28 February: the last day is Monday 2 March.
    with time_machine.travel(tallinn(2026, 3, 2, 23, 59), tick=False):
        services.extend_deadline(request=first, reason="Complex", actor=dpo)
    with (
        time_machine.travel(tallinn(2026, 3, 3, 0, 0), tick=False),
        pytest.raises(services.RequestError, match="passed"),
    ):
        services.extend_deadline(request=second, reason="Complex", actor=dpo)
    second.refresh_from_db()
    assert second.extended_at is None


# --- pauses -----------------------------------------------------------------------------------


def test_a_pause_moves_the_due_date_by_exactly_its_days(dpo: User) -> None:
    request = verified(dpo, at=tallinn(2026, 3, 2, 9, 0))
    assert legal_date(request.due_at) == dt.date(2026, 4, 2)
    with time_machine.travel(tallinn(2026, 3, 10, 9, 0), tick=False):
        request = services.pause_request(
            request=request,
            reason=PauseReason.CLARIFICATION,
            note="Which account do you mean?",
            actor=dpo,
        )
    assert request.is_paused
    with time_machine.travel(tallinn(2026, 3, 15, 16, 0), tick=False):
        request = services.resume_request(request=request, actor=dpo)
    assert legal_date(request.due_at) == dt.date(2026, 4, 7)
    assert request.paused_days == 5
    pause = Pause.objects.get(request=request)
    assert pause.days == 5 and pause.ended_at is not None


def test_an_extension_keeps_the_paused_days(dpo: User) -> None:
    request = verified(dpo, at=tallinn(2026, 1, 31, 9, 0))
    with time_machine.travel(tallinn(2026, 2, 2, 9, 0), tick=False):
        services.pause_request(request=request, reason="clarification", note="Which?", actor=dpo)
    with time_machine.travel(tallinn(2026, 2, 5, 9, 0), tick=False):
        services.resume_request(request=request, actor=dpo)
        request = services.extend_deadline(request=request, reason="Complex", actor=dpo)
    # 30 April + 3 paused days is Sunday 3 May: the target; due Monday 4 May.
    assert legal_date(request.target_at) == dt.date(2026, 5, 3)
    assert legal_date(request.due_at) == dt.date(2026, 5, 4)


def test_a_paused_request_is_not_overdue_and_shows_the_moving_due_date(dpo: User) -> None:
    request = verified(dpo, at=tallinn(2026, 3, 2, 9, 0))
    with time_machine.travel(tallinn(2026, 3, 30, 9, 0), tick=False):
        request = services.pause_request(
            request=request, reason="clarification", note="?", actor=dpo
        )
    later = tallinn(2026, 4, 10, 9, 0)
    assert not request.is_overdue(later)
    assert not SubjectRequest.objects.overdue(now=later).exists()
    assert request.due_on(later) == dt.date(2026, 4, 13)


def test_a_pause_for_another_reason_or_after_the_deadline_is_refused(dpo: User) -> None:
    request = verified(dpo, at=tallinn(2026, 3, 2, 9, 0))
    with pytest.raises(services.RequestError, match="only while"):
        services.pause_request(request=request, reason="holiday", note="?", actor=dpo)
    with (
        time_machine.travel(tallinn(2026, 4, 3, 0, 1), tick=False),
        pytest.raises(services.RequestError, match="passed"),
    ):
        services.pause_request(request=request, reason="clarification", note="?", actor=dpo)
    assert not Pause.objects.exists()


def test_verifying_ends_an_identity_pause(dpo: User) -> None:
    with time_machine.travel(tallinn(2026, 3, 2, 9, 0), tick=False):
        request = submit()
        services.pause_request(request=request, reason="identity", note="Send ID", actor=dpo)
    with time_machine.travel(tallinn(2026, 3, 6, 9, 0), tick=False):
        request = services.verify_manually(request=request, asked="ID", shown="ID card", actor=dpo)
    assert not request.is_paused
    assert request.paused_days == 4
    assert legal_date(request.due_at) == dt.date(2026, 4, 6)


# --- identity ---------------------------------------------------------------------------------


def test_following_the_link_verifies_a_request_whose_email_matches_a_subject(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subject = DataSubjectFactory.create(work_email="Mari@Company.example")
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(email="mari@company.example")
    token = link_from(next(m for m in mail.outbox if m.subject.startswith("Confirm")))
    request = services.verify_by_link(token=token)
    assert request.status == Status.VERIFIED
    assert list(request.subjects.all()) == [subject]
    assert request.verification_method == "email_link"
    assert AuditEvent.objects.filter(action="request.verified", target_id=str(request.pk)).exists()


def test_a_link_for_an_email_no_subject_has_confirms_the_email_but_does_not_verify(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(email="stranger@example.org")
    token = link_from(next(m for m in mail.outbox if m.subject.startswith("Confirm")))
    request = services.verify_by_link(token=token)
    assert request.status == Status.AWAITING_IDENTITY
    assert request.email_confirmed_at is not None
    assert request.verified_at is None


def test_a_verification_link_works_only_once(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    DataSubjectFactory.create(work_email="mari@company.example")
    with django_capture_on_commit_callbacks(execute=True):
        submit()
    token = link_from(next(m for m in mail.outbox if m.subject.startswith("Confirm")))
    services.verify_by_link(token=token)
    with pytest.raises(services.InvalidLink, match="already been used"):
        services.verify_by_link(token=token)


def test_a_verification_link_expires_after_seven_days(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    DataSubjectFactory.create(work_email="mari@company.example")
    with (
        time_machine.travel(tallinn(2026, 3, 2, 9, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        request = submit()
    token = link_from(next(m for m in mail.outbox if m.subject.startswith("Confirm")))
    with (
        time_machine.travel(tallinn(2026, 3, 9, 9, 1), tick=False),
        pytest.raises(services.ExpiredLink),
    ):
        services.verify_by_link(token=token)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_IDENTITY
    with time_machine.travel(tallinn(2026, 3, 9, 8, 59), tick=False):
        assert services.verify_by_link(token=token).status == Status.VERIFIED


def test_a_tampered_link_is_refused() -> None:
    with pytest.raises(services.InvalidLink):
        services.verify_by_link(token="not-a-token")


def test_a_new_link_makes_the_old_one_stop_working(
    dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    DataSubjectFactory.create(work_email="mari@company.example")
    with django_capture_on_commit_callbacks(execute=True):
        request = submit()
    old = link_from(next(m for m in mail.outbox if m.subject.startswith("Confirm")))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.resend_verification_link(request=request, actor=dpo)
    new = link_from(mail.outbox[0])
    with pytest.raises(services.InvalidLink):
        services.verify_by_link(token=old)
    assert services.verify_by_link(token=new).status == Status.VERIFIED


def test_a_manual_check_records_what_was_asked_and_shown(dpo: User) -> None:
    subject = DataSubjectFactory.create(work_email="jaan@company.example")
    request = submit(email="jaan.private@example.org")
    request = services.verify_manually(
        request=request,
        asked="Last invoice number",
        shown="INV-000123",
        subject_email="jaan@company.example",
        actor=dpo,
    )
    assert request.status == Status.VERIFIED
    assert request.verification_note == "Asked: Last invoice number\nShown: INV-000123"
    assert list(request.subjects.all()) == [subject]


# --- duplicates -------------------------------------------------------------------------------


def test_a_second_request_of_the_same_type_from_a_verified_email_is_flagged_and_linked(
    dpo: User,
) -> None:
    first = verified(dpo, at=tallinn(2026, 3, 1, 9, 0))
    with time_machine.travel(tallinn(2026, 3, 20, 9, 0), tick=False):
        second = submit()
    assert second.duplicate_of == first
    assert second.status == Status.AWAITING_IDENTITY  # not merged: it lives on
    assert TimelineEntry.objects.filter(request=first, kind=EntryKind.DUPLICATE).exists()


def test_no_duplicate_after_thirty_days_or_for_another_type(dpo: User) -> None:
    verified(dpo, at=tallinn(2026, 3, 1, 9, 0))
    with time_machine.travel(tallinn(2026, 4, 1, 9, 0), tick=False):
        late = submit()
    with time_machine.travel(tallinn(2026, 3, 5, 9, 0), tick=False):
        other_type = submit(type="erasure")
    assert late.duplicate_of is None
    assert other_type.duplicate_of is None


def test_a_duplicate_is_flagged_when_its_email_is_verified_later(
    dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    DataSubjectFactory.create(work_email="mari@company.example")
    with time_machine.travel(tallinn(2026, 3, 1, 9, 0), tick=False):
        first = submit()
    with time_machine.travel(tallinn(2026, 3, 2, 9, 0), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            second = submit()
        assert second.duplicate_of is None
        token = link_from([m for m in mail.outbox if m.subject.startswith("Confirm")][-1])
        second = services.verify_by_link(token=token)
    assert second.duplicate_of == first


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "act",
    [
        lambda r, u: services.extend_deadline(request=r, reason="x", actor=u),
        lambda r, u: services.reject_request(request=r, reason="x", actor=u),
        lambda r, u: services.complete_request(request=r, outcome="x", actor=u),
        lambda r, u: services.verify_manually(request=r, asked="a", shown="b", actor=u),
        lambda r, u: services.pause_request(request=r, reason="identity", note="x", actor=u),
        lambda r, u: services.assign_requests(request_ids=[r.pk], assignee=u, actor=u),
    ],
)
def test_only_the_dpo_may_decide_and_the_service_refuses_staff(
    staff: User, act: Callable[[SubjectRequest, User], object]
) -> None:
    request = submit()
    with pytest.raises(PermissionDenied):
        act(request, staff)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_IDENTITY
    assert request.extended_at is None
    assert request.assignee is None


def test_bulk_assignment_touches_only_open_requests_and_audits_each(dpo: User, staff: User) -> None:
    from tests.factories import SubjectRequestFactory

    open_ones = SubjectRequestFactory.create_batch(3)
    closed = SubjectRequestFactory.create(status=Status.COMPLETED)
    count = services.assign_requests(
        request_ids=[r.pk for r in [*open_ones, closed]], assignee=staff, actor=dpo
    )
    assert count == 3
    assert SubjectRequest.objects.filter(assignee=staff).count() == 3
    assert AuditEvent.objects.filter(action="request.assigned").count() == 3


def test_requests_cannot_be_assigned_to_someone_without_a_role(dpo: User, outsider: User) -> None:
    from tests.factories import SubjectRequestFactory

    request = SubjectRequestFactory.create()
    with pytest.raises(services.RequestError):
        services.assign_requests(request_ids=[request.pk], assignee=outsider, actor=dpo)


def test_a_requesters_action_in_latvian_writes_the_timeline_in_english(seeded: None) -> None:
    from django.utils import translation

    from subject_requests.models import TimelineEntry
    from subject_requests.services import submit_request

    with translation.override("lv"):
        request = submit_request(
            type="access", name="Anna Bērziņa", email="anna@firma.lv", description="Kas?"
        )
    summaries = list(
        TimelineEntry.objects.filter(request=request).values_list("summary", flat=True)
    )
    assert "Received by web form" in summaries
