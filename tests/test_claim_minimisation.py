"""GDPR Art. 17(3)(e) with 5(1)(c): a kept claim keeps only what it needs of a person who is
erased — names, work contact, company link, invoices, claims and messages (possible evidence)
— and the rest goes at once: date of birth, photo, position, demo notes, platform usage. On
request and by the purge alike, said truthfully by the preview, the staff page and the letter."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.models import AuditEvent
from retention.models import PurgeBatch, RetentionRule
from subject_requests import services
from subject_requests.letters import render_letter_html
from subject_requests.models import RightAction, SubjectRequest
from subject_requests.services import erasure as erasure_services
from subjects.erasure_preview import CLAIM_NEEDS, erasure_preview
from subjects.models import (
    Claim,
    Communication,
    DataSubject,
    Demo,
    Invoice,
    SubjectKind,
    UsageRecord,
)
from subjects.services import erase_subjects
from tests import factories as f
from tests.retention_helpers import purge

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TALLINN)
D = dt.date


def claimant(**extra: Any) -> DataSubject:
    """A client with everything a person can have, and an open claim against them."""
    organisation = f.OrganisationFactory.create(name="Acme")
    person = f.DataSubjectFactory.create(
        kind=SubjectKind.CLIENT,
        organisation=organisation,
        first_name="Kadri",
        last_name="Kask",
        work_email="kadri@acme.example",
        position="Analyst",
        date_of_birth=D(1990, 5, 17),
        photo=b"\x89PNG portrait",
        photo_content_type="image/png",
        **extra,
    )
    f.DemoFactory.create(subject=person, held_on=D(2024, 2, 1), notes="Liked the reports")
    f.CommunicationFactory.create_batch(2, subject=person, body="About the unpaid invoice")
    f.UsageRecordFactory.create_batch(3, subject=person)
    f.InvoiceFactory.create(organisation=organisation, billing_contact=person, number="INV-9")
    f.ClaimFactory.create(
        subject=person,
        organisation=organisation,
        fell_due_on=D(2024, 3, 1),
        closed_on=None,
        description="Unpaid invoice INV-9",
    )
    return person


def assert_only_the_claims_needs_are_left(person: DataSubject) -> None:
    person.refresh_from_db()
    # Gone at once: what the claim does not need.
    assert person.date_of_birth is None and person.photo is None
    assert person.photo_content_type == "" and person.position == ""
    assert list(Demo.objects.filter(subject=person).values_list("notes", flat=True)) in ([None], [])
    assert not UsageRecord.objects.filter(subject=person).exists()
    # Kept until the claim goes: identity, contact, company link and the possible evidence.
    assert person.anonymised_at is None
    assert (person.first_name, person.last_name) == ("Kadri", "Kask")
    assert person.work_email == "kadri@acme.example" and person.work_phone
    assert person.organisation is not None and person.organisation.name == "Acme"
    assert DataSubject.objects.with_email("kadri@acme.example").get() == person
    assert [m.body for m in Communication.objects.filter(subject=person)] == [
        "About the unpaid invoice"
    ] * 2
    invoice = Invoice.objects.get(number="INV-9")
    assert invoice.billing_contact_id == person.pk and invoice.billing_name
    claim = Claim.objects.get(subject=person)
    assert claim.description == "Unpaid invoice INV-9" and claim.anonymised_at is None


def erasure_request(person: DataSubject, dpo: Any, *, language: str = "en") -> SubjectRequest:
    request = services.submit_request(
        type="erasure",
        name="Kadri Kask",
        email="kadri@acme.example",
        description="Please delete my data.",
        language=language,
    )
    request = services.verify_manually(
        request=request, asked="a", shown="b", subject_email="kadri@acme.example", actor=dpo
    )
    return services.start_work(request=request, actor=dpo)


def letter(request: SubjectRequest) -> str:
    request.refresh_from_db()
    return " ".join(render_letter_html(request, letter="closure", now=NOW).split())


def test_the_preview_says_what_goes_now_and_what_the_claim_keeps_until_when(
    seeded: None,
) -> None:
    person = claimant()
    [preview] = erasure_preview([person], as_of=NOW.date())
    assert not preview.everything_kept
    assert {item.code: item.count for item in preview.erased} == {
        "person.claim_unneeded": 1,
        "subjects.demo": 1,
        "subjects.usagerecord": 3,
    }
    needs = preview.kept[0]
    assert needs.code == CLAIM_NEEDS and needs.count == 3  # the person and 2 messages
    assert needs.until == D(2034, 3, 1)  # 10 years after the claim fell due
    assert "Your name, work e-mail, phone and address" in str(needs.reason)
    codes = {item.code for item in preview.kept}
    assert {"subjects.invoice", "subjects.claim"} <= codes


def test_an_erasure_request_clears_at_once_what_the_claim_does_not_need(
    seeded: None, dpo: Any, client_for: Any
) -> None:
    person = claimant()
    request = erasure_request(person, dpo)
    erasure_services.propose_erasure(request=request, actor=dpo)
    done = erasure_services.confirm_erasure(request=request, actor=dpo)
    assert done.kept_for_claims == [person.pk] and done.erased == []
    assert_only_the_claims_needs_are_left(person)
    assert person.erasure_requested_at is not None  # out of every list at once
    action = RightAction.objects.get(request=request)
    assert [item["code"] for item in action.details["erased"]] == [
        "person.claim_unneeded",
        "subjects.demo",
        "subjects.usagerecord",
    ]
    assert action.details["kept"][0]["code"] == CLAIM_NEEDS
    assert action.details["everything_kept"] is False
    # The change to personal data is in the audit log, by id and field name only.
    event = AuditEvent.objects.get(action="retention.subject.minimised_for_claim")
    assert event.target_id == str(person.pk)
    assert event.details["cleared"] == [
        "date_of_birth",
        "photo",
        "photo_content_type",
        "position",
        "subjects.demo",
        "subjects.usagerecord",
    ]
    assert "Kadri" not in str(event.details)
    # Nothing is left to erase now: the preview says only what the claim keeps.
    [after] = erasure_preview([person], as_of=NOW.date())
    assert after.erased == [] and after.kept[0].code == CLAIM_NEEDS
    # The staff page says what was done.
    page = " ".join(
        client_for(dpo).get(f"/requests/{request.pk}/erasure/").content.decode().split()
    )
    assert "Erased: Your date of birth, photo and position;" in page
    assert (
        "Kept: Name, work contact, company link and messages, for a claim (3), until 01.03.2034"
        in (page)
    )


def test_the_letter_lists_what_was_erased_and_what_the_claim_keeps(seeded: None, dpo: Any) -> None:
    person = claimant()
    request = erasure_request(person, dpo)
    erasure_services.propose_erasure(request=request, actor=dpo)
    erasure_services.confirm_erasure(request=request, actor=dpo)
    services.complete_request(request=request, outcome="Erased what we may.", actor=dpo)
    text = letter(request)
    erased = text.split("We have erased:")[1].split("The law requires us")[0]
    assert "Your date of birth, photo and position" in erased
    assert "Notes of demonstrations held with you" in erased
    assert "The link to you and the details of your use of the platform (3)" in erased
    assert "Your name, date of birth" not in erased  # the name is kept, not erased
    kept = text.split("The law requires us to keep some data; we erase it when the period ends:")[1]
    assert "Your name, work e-mail, phone and address, the link to your company" in kept
    assert "01.03.2034" in kept
    assert "Accounting Act" in kept  # the invoice keeps its own rule
    assert "We cannot erase your data yet" not in text


def test_the_letter_says_it_in_the_requesters_language(seeded: None, dpo: Any) -> None:
    person = claimant()
    request = erasure_request(person, dpo, language="et")
    erasure_services.propose_erasure(request=request, actor=dpo)
    erasure_services.confirm_erasure(request=request, actor=dpo)
    services.complete_request(request=request, outcome="Kustutatud.", actor=dpo)
    text = letter(request)
    assert "Your date of birth, photo and position" not in text
    assert "Your name, work e-mail" not in text
    assert "Teie sünniaeg, foto ja ametikoht" in text


def test_a_second_erasure_changes_nothing(seeded: None, dpo: Any) -> None:
    person = claimant()
    first = erase_subjects(subject_ids=[person.pk], actor=dpo, reason="GDPR Art. 17")
    assert first.minimised_for_claims == [person.pk]
    assert first.counts["subjects.datasubject:kept_for_claim"] == 1
    again = erase_subjects(subject_ids=[person.pk], actor=dpo, reason="GDPR Art. 17")
    assert again.kept_for_claims == [person.pk] and again.minimised_for_claims == []
    assert sum(again.counts.values()) == 0
    assert AuditEvent.objects.filter(action="retention.subject.minimised_for_claim").count() == 1
    assert_only_the_claims_needs_are_left(person)


@pytest.mark.parametrize("action", ["anonymise", "delete"])
def test_the_purge_of_a_person_a_claim_keeps_clears_the_same_and_once(
    seeded: None, action: str
) -> None:
    person = claimant()
    # A former client whose people's period has run out; the claim (due 2024) is kept.
    organisation = person.organisation
    assert organisation is not None
    organisation.status = "former"
    organisation.contract_ended_on = D(2020, 1, 31)
    organisation.save()
    rule = RetentionRule.objects.get(record_type="subjects.former_client")
    RetentionRule.objects.filter(pk=rule.pk).update(
        action=action, period_years=1, period_months=0, period_days=0, active=True, confirmed=True
    )
    run = purge(D(2026, 11, 19))
    assert_only_the_claims_needs_are_left(person)
    if action == "delete":
        assert not Demo.objects.filter(subject=person).exists()
    [batch] = PurgeBatch.objects.filter(run=run, rule_code=rule.code)
    assert (
        batch.kept_ids == f",{person.pk},"
        and batch.counts["subjects.datasubject:kept_for_claim"] == 1
    )
    # Rerun: nothing is left that the claim does not need, so the purge leaves them be.
    again = purge(D(2026, 11, 20))
    assert not PurgeBatch.objects.filter(run=again, rule_code=rule.code).exists()
    assert_only_the_claims_needs_are_left(person)
