"""Whom a request is about. A DPO's identity check matches the requester's
own address (any case) when no other address is named; the DPO links a person found by name
words or e-mail, or unlinks one matched by mistake, at any point between the identity check
and the answer, each change on the timeline and in the audit log."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent
from subject_requests import services
from subject_requests.choices import ActionKind, ActionStatus, AnswerKind, EntryKind, Status
from subject_requests.models import Answer, RightAction, SubjectRequest, TimelineEntry
from subjects.models import DataSubject
from tests import factories as f
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db


def filed(email: str = "Mari.Tamm@Company.example", type: str = "access") -> SubjectRequest:
    return services.submit_request(
        type=type, name="Mari Tamm", email=email, description="", language="en"
    )


def verified(dpo: User, request: SubjectRequest) -> SubjectRequest:
    return services.verify_manually(request=request, asked="Date of birth", shown="1980", actor=dpo)


def test_the_identity_check_matches_the_requesters_own_address_in_any_case(dpo: User) -> None:
    mari = f.DataSubjectFactory.create(work_email="mari.tamm@company.example")
    f.DataSubjectFactory.create(work_email="someone.else@company.example")
    request = verified(dpo, filed())
    assert list(request.subjects.all()) == [mari]
    event = AuditEvent.objects.get(action="request.verified", target_id=str(request.pk))
    assert event.details["matched"] == 1
    assert TimelineEntry.objects.filter(
        request=request, kind=EntryKind.IDENTITY, summary__contains="matched to 1 stored subject"
    ).exists()


def test_an_identity_check_for_someone_we_do_not_hold_matches_nobody(dpo: User) -> None:
    f.DataSubjectFactory.create(work_email="other@company.example")
    request = verified(dpo, filed())
    assert request.status == Status.VERIFIED and not request.subjects.exists()


def test_an_erased_person_is_not_matched(dpo: User) -> None:
    f.DataSubjectFactory.create(
        work_email="mari.tamm@company.example", anonymised_at=timezone.now()
    )
    assert not verified(dpo, filed()).subjects.exists()


@pytest.fixture
def unmatched(dpo: User) -> tuple[SubjectRequest, DataSubject]:
    """A verified request whose requester is stored under another address."""
    person = f.DataSubjectFactory.create(
        first_name="Mari", last_name="Tamm", work_email="m.tamm@old-employer.example"
    )
    return verified(dpo, filed()), person


def test_the_dpo_finds_a_person_by_name_and_links_them(
    client_for: ClientFor, dpo: User, unmatched: tuple[SubjectRequest, DataSubject]
) -> None:
    request, person = unmatched
    client = client_for(dpo)
    detail = client.get(f"/requests/{request.pk}/").content.decode()
    assert f'href="/requests/{request.pk}/people/"' in detail
    page = client.get(f"/requests/{request.pk}/people/", {"q": "tamm"})
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    assert "m.tamm@old-employer.example" in page.content.decode()
    response = client.post(
        f"/requests/{request.pk}/people/", {"subject": person.pk, "change": "link"}
    )
    assert response.status_code == 302
    assert list(request.subjects.all()) == [person]
    linked = AuditEvent.objects.get(action="request.subject_linked", target_id=str(request.pk))
    assert linked.details["subject"] == person.pk and linked.actor_id == dpo.pk
    assert TimelineEntry.objects.filter(request=request, summary__contains="linked").exists()
    again = client.post(f"/requests/{request.pk}/people/", {"subject": person.pk, "change": "link"})
    assert again.status_code == 400 and "already linked" in again.content.decode()


def test_a_person_found_by_exact_email_is_offered_and_the_search_is_audited(
    client_for: ClientFor, dpo: User, unmatched: tuple[SubjectRequest, DataSubject]
) -> None:
    request, person = unmatched
    page = client_for(dpo).get(
        f"/requests/{request.pk}/people/", {"q": "M.Tamm@old-employer.example"}
    )
    assert f'name="subject" value="{person.pk}"' in page.content.decode()
    looked = AuditEvent.objects.filter(action="request.people_viewed").latest("pk")
    assert looked.details["ids"] == [person.pk]


def test_unlinking_removes_the_person_and_what_was_built_for_them(
    client_for: ClientFor, dpo: User, unmatched: tuple[SubjectRequest, DataSubject]
) -> None:
    request, person = unmatched
    services.link_subject(request=request, subject_id=person.pk, actor=dpo)
    Answer.objects.create(request=request, subject=person, kind="access_report", status="ready")
    client = client_for(dpo)
    asked = client.get(f"/requests/{request.pk}/people/", {"unlink": person.pk}).content.decode()
    assert 'data-testid="confirm-unlink"' in asked
    assert "1 document built for them and not yet sent is removed" in asked
    assert request.subjects.exists()  # asking changes nothing
    response = client.post(
        f"/requests/{request.pk}/people/", {"subject": person.pk, "change": "unlink"}
    )
    assert response.status_code == 302
    assert not request.subjects.exists() and not request.answers.exists()
    unlinked = AuditEvent.objects.get(action="request.subject_unlinked")
    assert (unlinked.details["subject"], unlinked.details["documents_removed"]) == (person.pk, 1)
    assert DataSubject.objects.filter(pk=person.pk).exists()  # the person is untouched


def test_unlinking_keeps_the_letters_already_sent(client_for: ClientFor, dpo: User) -> None:
    """Found by the state machine of the request services: a letter sent as a PDF is kept
    with the request as the proof of what was sent, filed under its first matched person;
    unlinking that person removed the letter with their unsent documents."""
    mari = f.DataSubjectFactory.create(work_email="mari.tamm@company.example")
    request = verified(dpo, filed())
    services.extend_deadline(request=request, reason="Many systems to search", actor=dpo)
    letter = request.answers.get(kind=AnswerKind.LETTER)
    Answer.objects.create(request=request, subject=mari, kind="access_report", status="ready")
    url = f"/requests/{request.pk}/people/"
    asked = client_for(dpo).get(url, {"unlink": mari.pk}).content.decode()
    assert "1 document built for them and not yet sent is removed" in asked
    services.unlink_subject(request=request, subject_id=mari.pk, actor=dpo)
    assert list(request.answers.all()) == [letter]
    assert TimelineEntry.objects.get(request=request, letter="extension").answer == letter
    unlinked = AuditEvent.objects.get(action="request.subject_unlinked")
    assert unlinked.details["documents_removed"] == 1


def test_a_person_an_action_was_taken_on_stays_linked(
    dpo: User, unmatched: tuple[SubjectRequest, DataSubject]
) -> None:
    request, person = unmatched
    services.link_subject(request=request, subject_id=person.pk, actor=dpo)
    RightAction.objects.create(
        request=request, subject=person, kind=ActionKind.RECTIFICATION, status=ActionStatus.DONE
    )
    with pytest.raises(services.RequestError, match="stay linked"):
        services.unlink_subject(request=request, subject_id=person.pk, actor=dpo)
    assert list(request.subjects.all()) == [person]


@pytest.mark.parametrize("status", [Status.AWAITING_IDENTITY, Status.COMPLETED])
def test_nobody_is_linked_before_the_identity_check_or_after_the_answer(
    client_for: ClientFor, dpo: User, status: str
) -> None:
    person = f.DataSubjectFactory.create(first_name="Mari", last_name="Tamm")
    request = f.SubjectRequestFactory.create(status=status)
    client = client_for(dpo)
    page = client.get(f"/requests/{request.pk}/people/", {"q": "tamm"})
    assert 'data-testid="match-refusal"' in page.content.decode()
    assert f'value="{person.pk}"' not in page.content.decode()
    response = client.post(
        f"/requests/{request.pk}/people/", {"subject": person.pk, "change": "link"}
    )
    assert response.status_code == 400 and not request.subjects.exists()
    assert not AuditEvent.objects.filter(action="request.subject_linked").exists()


def test_bad_input_is_refused_with_a_message(
    client_for: ClientFor, dpo: User, unmatched: tuple[SubjectRequest, DataSubject]
) -> None:
    request, _person = unmatched
    client = client_for(dpo)
    for data in ({"subject": "x", "change": "link"}, {"subject": 999999, "change": "link"}, {}):
        response = client.post(f"/requests/{request.pk}/people/", data)
        assert response.status_code == 400
    assert not request.subjects.exists()


def test_staff_may_not_change_whom_a_request_is_about(
    client: Client, staff: User, unmatched: tuple[SubjectRequest, DataSubject]
) -> None:
    request, person = unmatched
    client.force_login(staff)
    assert client.get(f"/requests/{request.pk}/people/").status_code == 403
    response = client.post(
        f"/requests/{request.pk}/people/", {"subject": person.pk, "change": "link"}
    )
    assert response.status_code == 403 and not request.subjects.exists()
