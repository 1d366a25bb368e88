"""A request of a right that acts on data (erasure, rectification,
restriction, objection) completes only when, for every matched person, the action was carried
out, or refused with the DPO's reasons (Art. 12(4)), or no data is held; and the letter says
which."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from consent.models import SuppressionEntry
from consent.suppression import suppression_errors
from core.crypto import blind_index
from core.models import AuditEvent
from subject_requests import services
from subject_requests.choices import ActionStatus, Outcome, Status
from subject_requests.letters import letter_outcome, render_letter_html
from subject_requests.models import RightAction, SubjectRequest
from subject_requests.services import erasure as erasure_services
from subject_requests.services.refusals import refuse_action
from subjects.models import DataSubject
from tests import factories as f
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

ACTING_RIGHTS = [
    "erasure",
    "rectification",
    "restriction",
    "objection_marketing",
    "objection_processing",
]


def started(dpo: User, type: str, *, email: str = "mari@company.example") -> SubjectRequest:
    request = services.submit_request(
        type=type, name="Mari Tamm", email=email, description="", language="en"
    )
    request = services.verify_manually(request=request, asked="a", shown="b", actor=dpo)
    return services.start_work(request=request, actor=dpo)


@pytest.fixture
def mari(seeded: None) -> DataSubject:
    return f.DataSubjectFactory.create(
        first_name="Mari", last_name="Tamm", work_email="mari@company.example"
    )


@pytest.mark.parametrize("type", ACTING_RIGHTS)
def test_a_request_that_acts_on_data_does_not_complete_with_nothing_done(
    dpo: User, mari: DataSubject, type: str
) -> None:
    request = started(dpo, type)
    assert list(request.subjects.all()) == [mari]
    with pytest.raises(services.RequestError, match="not yet carried out for Mari Tamm"):
        services.complete_request(request=request, outcome="Done.", actor=dpo)
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS
    assert not AuditEvent.objects.filter(action="request.completed").exists()


def test_the_erasure_that_was_the_walks_finding_completes_once_carried_out(
    dpo: User, staff: User, mari: DataSubject
) -> None:
    request = started(dpo, "erasure")
    erasure_services.propose_erasure(request=request, actor=staff)
    erasure_services.confirm_erasure(request=request, actor=dpo)
    completed = services.complete_request(request=request, outcome="Erased.", actor=dpo)
    assert completed.status == Status.COMPLETED
    mari.refresh_from_db()
    assert mari.anonymised_at is not None
    assert letter_outcome(completed, "closure") == Outcome.COMPLETED


def test_a_refusal_with_reasons_answers_for_that_person_and_the_letter_gives_them(
    dpo: User, mari: DataSubject
) -> None:
    request = started(dpo, "erasure")
    reason = "Your contract with us is still running; we erase the data when it ends."
    action = refuse_action(request=request, subject_id=mari.pk, reason=reason, actor=dpo)
    assert (action.status, action.note) == (ActionStatus.REFUSED, reason)
    event = AuditEvent.objects.get(action="request.action_refused")
    assert event.details["subject"] == mari.pk
    with pytest.raises(services.RequestError, match="No matched person is left to erase"):
        erasure_services.propose_erasure(request=request, actor=dpo)
    completed = services.complete_request(request=request, outcome="Answered.", actor=dpo)
    mari.refresh_from_db()
    assert mari.anonymised_at is None  # refused: nothing erased
    assert letter_outcome(completed, "closure") == Outcome.PARTLY_REFUSED
    letter = render_letter_html(completed, letter="closure", now=timezone.now())
    assert "What we did not do, and why" in letter
    assert "for the record held under mari@company.example" in letter and reason in letter


def test_a_requester_matched_to_nobody_is_answered_that_no_data_is_held(
    dpo: User, seeded: None
) -> None:
    request = started(dpo, "erasure", email="nobody@company.example")
    completed = services.complete_request(request=request, outcome="No data held.", actor=dpo)
    assert completed.status == Status.COMPLETED


def test_a_restriction_of_a_person_already_restricted_needs_no_new_action(
    dpo: User, mari: DataSubject
) -> None:
    DataSubject.objects.filter(pk=mari.pk).update(restricted_at=timezone.now())
    request = started(dpo, "restriction")
    assert services.complete_request(request=request, outcome="Already.", actor=dpo).status == (
        Status.COMPLETED
    )


def test_a_refusal_needs_reasons_a_linked_person_and_an_acting_right(
    dpo: User, mari: DataSubject
) -> None:
    request = started(dpo, "rectification")
    with pytest.raises(services.RequestError, match="Give your reasons"):
        refuse_action(request=request, subject_id=mari.pk, reason="  ", actor=dpo)
    other = f.DataSubjectFactory.create()
    with pytest.raises(services.RequestError, match="linked to the request"):
        refuse_action(request=request, subject_id=other.pk, reason="No.", actor=dpo)
    refuse_action(request=request, subject_id=mari.pk, reason="Accurate as it is.", actor=dpo)
    with pytest.raises(services.RequestError, match="already given"):
        refuse_action(request=request, subject_id=mari.pk, reason="Again.", actor=dpo)
    access = started(dpo, "access")
    with pytest.raises(services.RequestError, match="answered with a document"):
        refuse_action(request=access, subject_id=mari.pk, reason="No.", actor=dpo)
    assert RightAction.objects.filter(status=ActionStatus.REFUSED).count() == 1


def test_the_request_page_names_who_waits_and_the_dpo_refuses_there(
    client_for: ClientFor, dpo: User, mari: DataSubject
) -> None:
    request = started(dpo, "objection_processing")
    client = client_for(dpo)
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert 'data-testid="not-acted-on"' in page and "Mari Tamm" in page
    assert 'data-action="complete"' not in page
    url = f"/requests/{request.pk}/people/{mari.pk}/refuse/"
    assert f'href="{url}"' in page
    assert client.get(url).status_code == 200
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 400 and "Give your reasons" in empty.content.decode()
    assert not RightAction.objects.exists()
    assert client.post(url, {"reason": "Not an objection under Art. 21."}).status_code == 302
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert 'data-testid="not-acted-on"' not in page
    assert "Not an objection under Art. 21." in page
    assert client.get(url).status_code == 302  # answered already: back to the request


def test_staff_may_not_refuse(client: Client, staff: User, dpo: User, mari: DataSubject) -> None:
    request = started(dpo, "erasure")
    client.force_login(staff)
    url = f"/requests/{request.pk}/people/{mari.pk}/refuse/"
    assert client.post(url, {"reason": "No."}).status_code == 403
    assert not RightAction.objects.filter(status=ActionStatus.REFUSED).exists()


def test_a_prospect_erased_on_request_is_suppressed_so_no_import_brings_them_back(
    dpo: User, staff: User, seeded: None
) -> None:
    """GDPR Art. 17 with 21(2)-(3): only a keyed hash of the address stays."""
    prospect = f.ProspectFactory.create(work_email="pia.prospect@company.example")
    client = f.DataSubjectFactory.create(kind="client", work_email="carl.client@company.example")
    for person in (prospect, client):
        request = started(dpo, "erasure", email=person.work_email or "")
        erasure_services.propose_erasure(request=request, actor=staff)
        erasure_services.confirm_erasure(request=request, actor=dpo)
    errors = suppression_errors(["Pia.Prospect@company.example", "carl.client@company.example"])
    assert list(errors) == ["Pia.Prospect@company.example"]
    entry = SuppressionEntry.objects.get()
    assert entry.email_index == blind_index("pia.prospect@company.example")
    assert AuditEvent.objects.filter(action="consent.suppressed").count() == 1


def test_the_request_page_names_the_systems_holding_such_data_that_it_will_not_reach(
    client_for: ClientFor, dpo: User, mari: DataSubject
) -> None:
    """An inactive system, or an active one with nobody to act, that holds
    data of the matched people's kind is a warning on the request before it is answered."""
    f.SystemFactory.create(name="Old CRM", active=False, subject_kinds=[mari.kind])
    gone = f.UserFactory.create(username="left-the-company", is_active=False)
    f.SystemFactory.create(name="Shared drive", owner=gone, subject_kinds=[mari.kind])
    f.SystemFactory.create(name="Prospect list", active=False, subject_kinds=["prospect"])
    f.SystemFactory.create(name="Working CRM", subject_kinds=[mari.kind])
    client = client_for(dpo)
    request = started(dpo, "erasure")
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert 'data-testid="out-of-reach"' in page
    assert "Old CRM</a>: inactive: it gets no task and no notice" in page
    assert "Shared drive</a>: Its owner, left-the-company, can no longer log in" in page
    assert "Prospect list" not in page and "Working CRM" not in page
    access = started(dpo, "access")
    assert (
        'data-testid="out-of-reach"' not in client.get(f"/requests/{access.pk}/").content.decode()
    )
