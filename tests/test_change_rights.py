"""Rectification, restriction and objection carried out from the request,
and what the answer letter says of them and of an erasure."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from consent.models import ObjectionReview, SuppressionEntry
from consent.selectors import marketable_filter
from consent.services import decide_objection
from core.models import AuditEvent
from processing.models import Purpose
from subject_requests import services
from subject_requests.choices import ActionKind, Operation, TaskStatus
from subject_requests.letters import render_letter_html
from subject_requests.models import RightAction, SubjectRequest, SystemTask
from subject_requests.rights_forms import RectificationForm
from subject_requests.services import changes
from subject_requests.services import erasure as erasure_services
from subjects.models import DataSubject, RestrictionGround, SubjectKind
from tests import factories as f

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TALLINN)


def request_for(person: DataSubject, dpo: Any, type: str, language: str = "en") -> SubjectRequest:
    request = services.submit_request(
        type=type,
        name="Kadri Kask",
        email=person.work_email or "kadri@acme.example",
        description="",
        language=language,
    )
    return services.verify_manually(
        request=request, asked="a", shown="b", subject_email=person.work_email or "", actor=dpo
    )


def client_person(**extra: Any) -> DataSubject:
    return f.DataSubjectFactory.create(
        kind=SubjectKind.CLIENT_REPRESENTATIVE,
        first_name="Kadri",
        last_name="Kask",
        work_email="kadri@acme.example",
        position="Analyst",
        **extra,
    )


def as_posted(person: DataSubject) -> dict[str, Any]:
    """The rectification form as the browser posts it untouched."""
    initial = RectificationForm(subject=person).initial
    return {k: "" if v is None else v for k, v in initial.items() if k in changes.RECTIFIABLE}


def test_rectification_shows_the_diff_then_corrects_through_the_people_service(
    seeded: None, dpo: Any, client_for: Any
) -> None:
    person = client_person()
    request = request_for(person, dpo, "rectification")
    client = client_for(dpo)
    url = f"/requests/{request.pk}/people/{person.pk}/rectify/"
    form = client.get(url)
    assert form.status_code == 200 and 'value="Analyst"' in form.content.decode()
    data = {**as_posted(person), "last_name": "Kask-Tamm"}
    preview = client.post(url, data)
    page = preview.content.decode()
    assert preview.status_code == 200 and 'data-testid="diff"' in page
    assert "<del>Kask</del>" in page and "<ins>Kask-Tamm</ins>" in page
    person.refresh_from_db()
    assert person.last_name == "Kask"  # nothing saved before the confirmation
    assert client.post(url, {**data, "confirm": "1"}).status_code == 302
    person.refresh_from_db()
    assert person.last_name == "Kask-Tamm"
    action = RightAction.objects.get(request=request, kind=ActionKind.RECTIFICATION)
    assert action.details == {
        "changes": {"last_name": ["Kask", "Kask-Tamm"]},
        "categories": ["identification"],
    }
    assert AuditEvent.objects.filter(action="subject.updated", target_id=str(person.pk)).exists()


def test_rectification_refuses_a_bad_value_next_to_its_field(
    seeded: None, dpo: Any, client_for: Any
) -> None:
    person = client_person()
    other = f.DataSubjectFactory.create(work_email="taken@acme.example")
    request = request_for(person, dpo, "rectification")
    url = f"/requests/{request.pk}/people/{person.pk}/rectify/"
    data = {**as_posted(person), "work_email": other.work_email}
    response = client_for(dpo).post(url, {**data, "confirm": "1"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    person.refresh_from_db()
    assert person.work_email == "kadri@acme.example"
    assert not RightAction.objects.filter(request=request).exists()


def test_nothing_to_correct_is_said_and_only_matched_people_can_be_corrected(
    seeded: None, dpo: Any, client_for: Any
) -> None:
    person = client_person()
    stranger = f.DataSubjectFactory.create()
    request = request_for(person, dpo, "rectification")
    client = client_for(dpo)
    assert client.get(f"/requests/{request.pk}/people/{stranger.pk}/rectify/").status_code == 404
    with pytest.raises(services.RequestError, match="Nothing changes"):
        changes.rectify(request=request, subject=person, fields={"position": "Analyst"}, actor=dpo)


def test_restriction_leaves_audiences_and_its_lifting_is_announced_first(
    seeded: None,
    dpo: Any,
    marketing: Purpose,
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = client_person()
    f.ConsentEventFactory.create(subject=person, purpose=marketing)

    def in_audience() -> bool:
        return (
            marketable_filter(DataSubject.objects.all(), purpose=marketing)
            .filter(pk=person.pk)
            .exists()
        )

    assert in_audience()
    request = request_for(person, dpo, "restriction")
    client = client_for(dpo)
    url = f"/requests/{request.pk}/people/{person.pk}/restriction/"
    response = client.post(url, {"op": "restrict", "ground": "accuracy_contested"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.restriction_ground == RestrictionGround.ACCURACY_CONTESTED
    assert not in_audience()
    # Lifting before telling the person is refused (Art. 18(3)).
    with pytest.raises(services.RequestError, match=r"18\(3\)"):
        changes.lift(request=request, subject=person, actor=dpo)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"op": "announce"}).status_code == 302
    assert any("will be lifted" in m.subject for m in mail.outbox)
    assert client.post(url, {"op": "lift"}).status_code == 302
    person.refresh_from_db()
    assert person.restricted_at is None
    assert in_audience()
    kinds = list(RightAction.objects.filter(request=request).values_list("kind", flat=True))
    assert kinds == [ActionKind.RESTRICTION, ActionKind.RESTRICTION_LIFT]


def test_an_objection_to_marketing_from_a_request_erases_the_prospect(
    seeded: None, dpo: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    prospect = f.ProspectFactory.create(first_name="Pille", work_email="pille@lead.example")
    tool = f.SystemFactory.create(name="E-mail tool", owner=dpo, subject_kinds=["prospect"])
    request = request_for(prospect, dpo, "objection_marketing")
    client = client_for(dpo)
    url = f"/requests/{request.pk}/people/{prospect.pk}/objection/"
    page = client.get(url).content.decode()
    offered = changes.objection_purposes(request, prospect)
    assert offered and all(p.is_direct_marketing for p in offered)
    assert all(p.name in page for p in offered)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"purposes": [p.pk for p in offered]})
    assert response.status_code == 302
    prospect.refresh_from_db()
    assert prospect.anonymised_at is not None and prospect.first_name == ""
    assert SuppressionEntry.objects.exists()
    # Erased here, so erased in the systems too: found by what they held before.
    [task] = SystemTask.objects.filter(system=tool)
    assert task.operation == Operation.ERASE and task.subject == prospect
    assert task.status == TaskStatus.OPEN  # sent once the erasure ran
    assert task.payload["person"]["work_email"] == "pille@lead.example"


def test_an_objection_to_other_processing_opens_the_balancing_and_restricts(
    seeded: None, dpo: Any
) -> None:
    person = client_person()
    request = request_for(person, dpo, "objection_processing")
    offered = changes.objection_purposes(request, person)
    assert offered and not any(p.is_direct_marketing for p in offered)
    service = next(p for p in offered if p.code == "service")
    changes.object_from_request(request=request, subject=person, purposes=[service], actor=dpo)
    person.refresh_from_db()
    assert person.restriction_ground == RestrictionGround.OBJECTION_PENDING
    review = ObjectionReview.objects.get(subject=person)
    with pytest.raises(services.RequestError, match="balancing"):
        services.complete_request(request=request, outcome="Weighed", actor=dpo)
    decide_objection(review=review, actor=dpo, upheld=True, reasoning="No overriding grounds.")
    person.refresh_from_db()
    assert person.restricted_at is None
    html = render_letter_html(request, letter="closure", now=NOW)
    assert "Objection recorded" not in html  # staff words stay out of the letter
    services.complete_request(request=request, outcome="Weighed", actor=dpo)
    request.refresh_from_db()
    html = render_letter_html(request, letter="closure", now=NOW)
    assert "upheld: the processing has stopped" in html and "No overriding grounds." in html


def test_the_erasure_letter_lists_what_was_kept_until_when_in_the_requesters_language(
    seeded: None, dpo: Any
) -> None:
    organisation = f.OrganisationFactory.create()
    person = client_person(organisation=organisation)
    f.InvoiceFactory.create(organisation=organisation, billing_contact=person)
    request = request_for(person, dpo, "erasure", language="lv")
    erasure_services.propose_erasure(request=request, actor=dpo)
    erasure_services.confirm_erasure(request=request, actor=dpo)
    services.complete_request(request=request, outcome="Dzēsts.", actor=dpo)
    request.refresh_from_db()
    html = render_letter_html(request, letter="closure", now=NOW)
    assert "31.12.2027" in html
    assert "Grāmatvedības" in html or "grāmatvedības" in html
