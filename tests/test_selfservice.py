"""Self-service for data subjects: the sign-in link, the subject session, the
person's data and copy, check and update, and requests from inside."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from core.audit import subject_actor
from core.models import AuditEvent
from selfservice.models import SelfServiceCopy
from subject_requests.choices import ActionKind, RequestType, Status, VerificationMethod
from subject_requests.models import RightAction, SubjectRequest, SystemTask
from subjects.models import SubjectKind
from tests.factories import DataSubjectFactory, OrganisationFactory, SystemFactory
from tests.fixture_types import SignInAsSubject

pytestmark = pytest.mark.django_db

START = "/p/me/"


def ask_link(client: Client, email: str, capture: DjangoCaptureOnCommitCallbacks) -> int:
    with capture(execute=True):
        response = client.post(START, {"email": email})
    assert response.status_code == 200
    return len(mail.outbox)


def link_in_outbox() -> str:
    match = re.search(r"http://\S+(/p/me/link/\S+/)", str(mail.outbox[-1].body))
    assert match is not None
    return match.group(1)


def without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def test_a_known_and_an_unknown_address_get_the_same_answer_and_only_the_known_one_mail(
    seeded: None,
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    DataSubjectFactory.create(work_email="known@company.example")
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(START, {"email": "known@company.example"})
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post(START, {"email": "nobody@company.example"})
    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known.content) == without_csrf(unknown.content)
    assert [m.to for m in mail.outbox] == [["known@company.example"]]


def test_the_link_signs_in_once(
    seeded: None,
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    person = DataSubjectFactory.create()
    ask_link(client, person.work_email or "", django_capture_on_commit_callbacks)
    link = link_in_outbox()
    assert client.get(link).status_code == 200  # the button only: a mail scanner uses nothing
    assert client.post(link).status_code == 302
    assert client.get("/p/me/data/").status_code == 200
    other = Client()
    second = other.post(link)
    assert second.status_code == 400
    assert b"used already" in second.content
    assert other.get("/p/me/data/").status_code == 302
    assert (
        AuditEvent.objects.filter(
            action="selfservice.signed_in", actor_label=subject_actor(person.pk)
        ).count()
        == 1
    )


def test_an_expired_link_is_refused(
    seeded: None,
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    person = DataSubjectFactory.create()
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        ask_link(client, person.work_email or "", django_capture_on_commit_callbacks)
        link = link_in_outbox()
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 29, tzinfo=dt.UTC), tick=False):
        assert client.get(link).status_code == 200
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 31, tzinfo=dt.UTC), tick=False):
        response = client.post(link)
    assert response.status_code == 400
    assert b"expired" in response.content
    assert client.get("/p/me/data/").status_code == 302


def test_a_tampered_link_is_refused(
    seeded: None,
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    person = DataSubjectFactory.create()
    ask_link(client, person.work_email or "", django_capture_on_commit_callbacks)
    link = link_in_outbox()
    token = link.split("/")[-2]
    tampered = link.replace(token, token[:-3] + ("abc" if token[-3:] != "abc" else "abd"))
    assert client.post(tampered).status_code == 400
    assert client.get("/p/me/data/").status_code == 302


def test_asking_for_links_is_rate_limited_per_address(
    seeded: None,
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    person = DataSubjectFactory.create()
    for _ in range(3):
        ask_link(client, person.work_email or "", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        limited = client.post(START, {"email": person.work_email})
    assert limited.status_code == 429
    assert len(mail.outbox) == 3


def test_the_session_ends_after_30_minutes(
    seeded: None, sign_in_as_subject: SignInAsSubject
) -> None:
    person = DataSubjectFactory.create()
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        client = sign_in_as_subject(person)
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 29, tzinfo=dt.UTC), tick=False):
        assert client.get("/p/me/data/").status_code == 200
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 30, 1, tzinfo=dt.UTC), tick=False):
        assert client.get("/p/me/data/").status_code == 302


def test_the_session_is_not_a_staff_login(
    seeded: None, sign_in_as_subject: SignInAsSubject
) -> None:
    client = sign_in_as_subject(DataSubjectFactory.create())
    assert client.get("/subjects/").status_code == 302  # to the staff login


def test_a_person_sees_only_their_own_data(
    seeded: None,
    sign_in_as_subject: SignInAsSubject,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    company = OrganisationFactory.create()
    me = DataSubjectFactory.create(organisation=company, position="Analyst", work_phone="+372 111")
    colleague = DataSubjectFactory.create(
        organisation=company, position="Director", work_phone="+372 999"
    )
    client = sign_in_as_subject(me)
    page = client.get("/p/me/data/").content.decode()
    assert me.work_email in page and "+372 111" in page
    assert colleague.work_email not in page and "+372 999" not in page
    assert colleague.last_name not in page
    # The colleague's copy, asked for in their own session, opens nothing in mine.
    theirs = SelfServiceCopy.objects.create(subject=colleague, status="ready")
    assert client.get(f"/p/me/data/copy/{theirs.pk}/progress/").status_code == 404
    assert client.get(f"/p/me/data/copy/{theirs.pk}/report/").status_code == 302
    their_request = SubjectRequest.objects.create(
        type="access", channel="web", received_at=theirs.requested_at,
        due_at=theirs.requested_at, target_at=theirs.requested_at,
    )  # fmt: skip
    their_request.subjects.add(colleague)
    client.post(f"/p/me/requests/{their_request.pk}/withdraw/")
    their_request.refresh_from_db()
    assert their_request.status == Status.RECEIVED


def test_the_copy_is_built_in_the_background_and_its_download_is_audited(
    seeded: None,
    sign_in_as_subject: SignInAsSubject,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    me = DataSubjectFactory.create()
    client = sign_in_as_subject(me)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/p/me/data/copy/")
    copy = SelfServiceCopy.objects.get(subject=me)
    progress = client.get(f"/p/me/data/copy/{copy.pk}/progress/").json()
    assert progress["status"] == "ready" and progress["progress"] == 100
    report = client.get(f"/p/me/data/copy/{copy.pk}/report/")
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    package = client.get(f"/p/me/data/copy/{copy.pk}/package/")
    assert package.status_code == 200 and package.content.startswith(b"PK")
    assert (
        AuditEvent.objects.filter(
            action="selfservice.copy_downloaded", actor_label=subject_actor(me.pk)
        ).count()
        == 2
    )


def test_a_contact_change_is_audited_with_the_person_as_actor_and_reaches_the_systems(
    seeded: None,
    sign_in_as_subject: SignInAsSubject,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    me = DataSubjectFactory.create(kind=SubjectKind.CLIENT, work_phone="+372 111")
    SystemFactory.create(subject_kinds=["client"], categories=["contact"])
    client = sign_in_as_subject(me)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/p/me/correct/",
            {
                "work_phone": "+372 222", "work_address": "", "position": me.position,
                "first_name": me.first_name, "last_name": me.last_name, "date_of_birth": "",
                "work_email": me.work_email, "organisation": str(me.organisation),
            },
        )  # fmt: skip
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.work_phone == "+372 222"
    updated = AuditEvent.objects.get(action="subject.updated", target_id=str(me.pk))
    assert updated.actor_label == subject_actor(me.pk) and updated.actor_id is None
    action = RightAction.objects.get(subject=me, kind=ActionKind.RECTIFICATION)
    assert action.details["changes"] == {"work_phone": ["+372 111", "+372 222"]}
    request = action.request
    assert request.channel == "self_service"
    assert request.verification_method == VerificationMethod.SELF_SERVICE
    task = SystemTask.objects.get(subject=me)
    assert task.operation == "rectify"
    assert task.payload["changes"] == {"work_phone": ["+372 111", "+372 222"]}


def test_a_name_change_becomes_a_request_to_the_dpo(
    seeded: None,
    sign_in_as_subject: SignInAsSubject,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    me = DataSubjectFactory.create(first_name="Kadri")
    client = sign_in_as_subject(me)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/p/me/correct/",
            {
                "work_phone": me.work_phone, "work_address": "", "position": me.position,
                "first_name": "Katrin", "last_name": me.last_name, "date_of_birth": "",
                "work_email": me.work_email, "organisation": str(me.organisation),
            },
        )  # fmt: skip
    me.refresh_from_db()
    assert me.first_name == "Kadri"
    request = SubjectRequest.objects.get(subjects=me)
    assert request.type == RequestType.RECTIFICATION
    assert request.status == Status.VERIFIED
    assert "Katrin" in (request.description or "")
    assert not RightAction.objects.filter(subject=me).exists()


def test_a_refused_value_is_shown_next_to_its_field_and_nothing_is_stored(
    seeded: None, sign_in_as_subject: SignInAsSubject
) -> None:
    me = DataSubjectFactory.create(kind=SubjectKind.CLIENT)
    client = sign_in_as_subject(me)
    response = client.post(
        "/p/me/correct/",
        {"work_phone": "x" * 51, "position": me.position, "work_email": me.work_email},
    )
    assert response.status_code == 400
    assert not SubjectRequest.objects.filter(subjects=me).exists()


def test_a_request_from_inside_is_verified_and_can_be_withdrawn(
    seeded: None,
    sign_in_as_subject: SignInAsSubject,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    me = DataSubjectFactory.create()
    client = sign_in_as_subject(me)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/p/me/requests/", {"type": "erasure", "description": "Please erase"})
    request = SubjectRequest.objects.get(subjects=me)
    assert request.status == Status.VERIFIED and request.verified_at is not None
    assert request.requester_email == me.work_email
    page = client.get("/p/me/requests/").content.decode()
    assert request.reference is not None and request.reference in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/p/me/requests/{request.pk}/withdraw/")
    request.refresh_from_db()
    assert request.status == Status.WITHDRAWN


def test_the_pages_and_the_link_email_speak_the_language_the_person_chose(
    seeded: None,
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    person = DataSubjectFactory.create()
    start = client.get(START, HTTP_ACCEPT_LANGUAGE="lv").content.decode()
    assert '<html lang="lv">' in start and "Nosūtīt man pierakstīšanās saiti" in start
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(START, {"email": person.work_email}, HTTP_ACCEPT_LANGUAGE="lv")
    assert "Ja mums ir šī adrese" in sent.content.decode()
    assert mail.outbox[-1].subject == "Jūsu pierakstīšanās saite"
    client.post(link_in_outbox(), HTTP_ACCEPT_LANGUAGE="et")
    page = client.get("/p/me/preferences/", HTTP_ACCEPT_LANGUAGE="et").content.decode()
    assert '<html lang="et">' in page and "Teie eelistused" in page


def test_asking_for_links_is_rate_limited_per_client_whatever_the_address(
    seeded: None,
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    known = DataSubjectFactory.create()
    for n in range(10):
        ask_link(client, f"stranger{n}@elsewhere.example", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        limited = client.post(START, {"email": known.work_email})
    assert limited.status_code == 429
    assert mail.outbox == []


def test_signing_out_ends_the_subject_session(
    seeded: None, sign_in_as_subject: SignInAsSubject
) -> None:
    me = DataSubjectFactory.create()
    client = sign_in_as_subject(me)
    assert client.post("/p/me/sign-out/").status_code == 302
    assert client.get("/p/me/data/").status_code == 302
    assert AuditEvent.objects.filter(
        action="selfservice.signed_out", actor_label=subject_actor(me.pk)
    ).exists()
