"""Erasure carried out from the request — its preview with what stays
and until when, the confirmation by another DPO, and a person gone from use at once."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from core.models import AuditEvent
from retention.models import RetentionRule
from retention.services import rules as rule_services
from subject_requests import services
from subject_requests.choices import ActionKind, ActionStatus, Channel
from subject_requests.models import RightAction, SubjectRequest
from subject_requests.services import erasure as erasure_services
from subjects.erasure_preview import CLAIM_NEEDS, LEGAL_HOLD, erasure_preview
from subjects.models import Communication, DataSubject, Invoice, SubjectKind
from tests import factories as f

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TALLINN)


def second_dpo() -> Any:
    user = f.UserFactory.create(username="dpo2", first_name="Dpo2")
    user.groups.add(Group.objects.get(name="DPO"))
    return user


def client_with_records(**extra: Any) -> DataSubject:
    organisation = f.OrganisationFactory.create(name="Acme")
    person = f.DataSubjectFactory.create(
        kind=SubjectKind.CLIENT,
        organisation=organisation,
        first_name="Kadri",
        last_name="Kask",
        work_email="kadri@acme.example",
        **extra,
    )
    f.CommunicationFactory.create_batch(3, subject=person)
    f.UsageRecordFactory.create_batch(2, subject=person)
    # Issued in 2020: its financial year ends on 31.12.2020, kept 7 years after that.
    f.InvoiceFactory.create(organisation=organisation, billing_contact=person, number="INV-1")
    return person


def erasure_request(person: DataSubject, *, entered_by: Any, dpo: Any) -> SubjectRequest:
    request = services.enter_request(
        type="erasure",
        channel=Channel.EMAIL,
        name="Kadri Kask",
        email="kadri@acme.example",
        description="Please delete my data.",
        received_at=NOW - dt.timedelta(days=1),
        actor=entered_by,
        now=NOW,
    )
    services.verify_manually(
        request=request, asked="a", shown="b", subject_email=person.work_email, actor=dpo, now=NOW
    )
    return services.start_work(request=request, actor=dpo, now=NOW)


def test_the_preview_lists_what_goes_and_what_stays_with_its_last_day(seeded: None) -> None:
    person = client_with_records()
    [preview] = erasure_preview([person], as_of=NOW.date())
    erased = {item.code: item.count for item in preview.erased}
    assert erased == {"person": 1, "subjects.communication": 3, "subjects.usagerecord": 2}
    kept = {item.code: item for item in preview.kept}
    assert kept["subjects.invoice"].until == dt.date(2027, 12, 31)
    assert "Accounting Act" in str(kept["subjects.invoice"].reason)
    assert not preview.everything_kept


def test_a_claim_keeps_what_it_needs_until_ten_years_after_it_fell_due(seeded: None) -> None:
    person = client_with_records()
    f.ClaimFactory.create(subject=person, fell_due_on=dt.date(2024, 3, 1))
    [preview] = erasure_preview([person], as_of=NOW.date())
    # The factory's person has a position; the usage is no evidence: both go now.
    assert not preview.everything_kept
    erased = {item.code: item.count for item in preview.erased}
    assert erased == {"person.claim_unneeded": 1, "subjects.usagerecord": 2}
    kept = preview.kept[0]
    assert kept.code == CLAIM_NEEDS and kept.until == dt.date(2034, 3, 1)
    assert kept.count == 4  # the person's record and their 3 messages
    claims = [item for item in preview.kept if item.code == "subjects.claim"]
    assert claims and claims[0].until == dt.date(2034, 3, 1)


def test_erasure_keeps_invoice_data_removes_the_rest_and_spares_a_colleague(
    seeded: None, dpo: Any, staff: Any
) -> None:
    person = client_with_records()
    colleague = f.DataSubjectFactory.create(
        kind=SubjectKind.CLIENT, organisation=person.organisation, first_name="Jaan"
    )
    f.CommunicationFactory.create(subject=colleague, body="Jaan's message")
    shared = f.InvoiceFactory.create(
        organisation=person.organisation, billing_contact=colleague, billing_name="Kadri Kask"
    )
    request = erasure_request(person, entered_by=staff, dpo=dpo)
    with time_machine.travel(NOW, tick=False):
        erasure_services.propose_erasure(request=request, actor=staff)
        done = erasure_services.confirm_erasure(request=request, actor=dpo)
    assert done.erased == [person.pk]
    person.refresh_from_db()
    assert (
        person.anonymised_at is not None and person.first_name == "" and person.work_email is None
    )
    assert not Communication.objects.filter(subject=person, body__isnull=False).exists()
    invoice = Invoice.objects.get(number="INV-1")
    assert invoice.billing_name == "Billing Person" and invoice.billing_contact_id == person.pk
    colleague.refresh_from_db()
    assert colleague.first_name == "Jaan" and colleague.anonymised_at is None
    assert Communication.objects.get(subject=colleague).body == "Jaan's message"
    shared.refresh_from_db()
    assert shared.billing_name == "Kadri Kask" and shared.billing_contact_id == colleague.pk
    action = RightAction.objects.get(request=request, kind=ActionKind.ERASURE)
    assert action.status == ActionStatus.DONE and action.done_by == dpo
    kept = {item["code"]: item for item in action.details["kept"]}
    assert kept["subjects.invoice"]["until"] == "2027-12-31"
    assert {item["code"] for item in action.details["erased"]} >= {"person"}


def test_the_person_vanishes_from_the_list_and_search_at_once(
    seeded: None, dpo: Any, staff: Any, client_for: Any
) -> None:
    person = client_with_records()
    request = erasure_request(person, entered_by=staff, dpo=dpo)
    client = client_for(dpo)
    link = f'href="/subjects/{person.pk}/"'
    assert link in client.get("/subjects/?q=Kadri").content.decode()
    erasure_services.propose_erasure(request=request, actor=staff)
    response = client.post(
        f"/requests/{request.pk}/erasure/confirm/", {"reviewed": "on"}, follow=False
    )
    assert response.status_code == 302
    for url in ("/subjects/?q=Kadri", "/subjects/", "/subjects/?q=kadri@acme.example"):
        assert link not in client.get(url).content.decode()


def test_a_legal_hold_takes_the_person_out_of_use_and_keeps_the_data(
    seeded: None, dpo: Any, staff: Any
) -> None:
    person = client_with_records(
        legal_hold_reason="Litigation 2026-17", legal_hold_set_at=NOW - dt.timedelta(days=30)
    )
    request = erasure_request(person, entered_by=staff, dpo=dpo)
    [preview] = erasure_preview([person], as_of=NOW.date())
    assert preview.everything_kept and preview.kept[0].code == LEGAL_HOLD
    erasure_services.propose_erasure(request=request, actor=staff)
    done = erasure_services.confirm_erasure(request=request, actor=dpo)
    assert done.deferred_for_hold == [person.pk] and done.erased == []
    person.refresh_from_db()
    assert person.first_name == "Kadri" and person.erasure_requested_at is not None
    assert not DataSubject.objects.active().filter(pk=person.pk).exists()


def test_another_dpo_must_confirm_where_there_are_two(
    seeded: None, dpo: Any, client_for: Any
) -> None:
    person = client_with_records()
    other = second_dpo()
    request = erasure_request(person, entered_by=dpo, dpo=dpo)
    erasure_services.propose_erasure(request=request, actor=dpo)
    with pytest.raises(services.RequestError, match="Another DPO must confirm"):
        erasure_services.confirm_erasure(request=request, actor=dpo)
    page = client_for(dpo).get(f"/requests/{request.pk}/erasure/").content.decode()
    assert "Another DPO must confirm" in page and 'data-testid="confirm-erasure"' not in page
    person.refresh_from_db()
    assert person.anonymised_at is None
    erasure_services.confirm_erasure(request=request, actor=other)
    event = AuditEvent.objects.get(action="request.erasure_confirmed")
    assert event.details["proposed_by"] == ["dpo"] and event.details["confirmed_by"] == "dpo2"
    assert event.details["sole_dpo"] is False


def test_a_sole_dpo_confirms_their_own_proposal_and_the_audit_says_so(
    seeded: None, dpo: Any
) -> None:
    person = client_with_records()
    request = erasure_request(person, entered_by=dpo, dpo=dpo)
    erasure_services.propose_erasure(request=request, actor=dpo)
    erasure_services.confirm_erasure(request=request, actor=dpo)
    event = AuditEvent.objects.get(action="request.erasure_confirmed")
    assert event.details["sole_dpo"] is True


def test_staff_propose_but_cannot_confirm(
    seeded: None, dpo: Any, staff: Any, client_for: Any
) -> None:
    person = client_with_records()
    request = erasure_request(person, entered_by=staff, dpo=dpo)
    client = client_for(staff)
    page = client.get(f"/requests/{request.pk}/erasure/").content.decode()
    assert "INV-1" not in page  # the preview names kinds and days, not records
    assert "31.12.2027" in page
    assert client.post(f"/requests/{request.pk}/erasure/propose/", {"note": ""}).status_code == 302
    assert (
        client.post(f"/requests/{request.pk}/erasure/confirm/", {"reviewed": "on"}).status_code
        == 403
    )
    assert RightAction.objects.get(request=request).status == ActionStatus.PROPOSED


def test_confirming_needs_the_box_ticked_and_completing_waits_for_the_decision(
    seeded: None, dpo: Any, staff: Any, client_for: Any
) -> None:
    person = client_with_records()
    request = erasure_request(person, entered_by=staff, dpo=dpo)
    erasure_services.propose_erasure(request=request, actor=staff)
    client = client_for(dpo)
    response = client.post(f"/requests/{request.pk}/erasure/confirm/", {})
    assert response.status_code == 400 and "Tick the box" in response.content.decode()
    with pytest.raises(services.RequestError, match="awaits a DPO"):
        services.complete_request(request=request, outcome="Done", actor=dpo)
    response = client.post(f"/requests/{request.pk}/erasure/withdraw/", {"reason": "Wrong person"})
    assert response.status_code == 302
    assert RightAction.objects.get(request=request).status == ActionStatus.CANCELLED


def test_a_rule_change_is_not_confirmed_by_its_proposer_where_there_are_two_dpos(
    seeded: None, dpo: Any
) -> None:
    dpo.groups.add(Group.objects.get(name="Admin"))
    other = second_dpo()
    rule = RetentionRule.objects.get(code="prospects-1y")
    # Switching a rule in force off is always a proposal for a DPO.
    saved = rule_services.save_rule(
        rule=rule,
        values={**rule_services.rule_values(rule), "active": False},
        actor=dpo,
        reason="Prospects are no longer kept",
    )
    assert saved.change is not None
    with pytest.raises(ValidationError, match="Another DPO must confirm"):
        rule_services.confirm_change(change=saved.change, actor=dpo)
    rule_services.confirm_change(change=saved.change, actor=other)
    event = AuditEvent.objects.get(action="retention.rule.change_confirmed")
    assert event.details["proposed_by"] == "dpo" and event.details["confirmed_by"] == "dpo2"
