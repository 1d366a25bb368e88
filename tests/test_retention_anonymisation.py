"""Anonymisation per model, longest period wins, holds, and erasure on request."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from core.models import AuditEvent
from retention.models import PurgeBatch, RetentionRule
from retention.selectors import purge_history_for_subject
from subjects.models import (
    Claim,
    Communication,
    DataSubject,
    Demo,
    Invoice,
    KindChange,
    NameToken,
    SubjectKind,
    TrialContent,
    UsageRecord,
)
from subjects.services import SubjectsOnLegalHold, anonymise_subjects, erase_subjects
from tests import factories as f
from tests.retention_helpers import purge

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
D = dt.date
LONG_AGO = dt.datetime(2020, 1, 5, 12, tzinfo=TALLINN)


def expired_prospect_with_records() -> DataSubject:
    prospect = f.ProspectFactory.create(
        collected_at=LONG_AGO,
        work_address=None,
        first_name="Mari",
        last_name="Maasikas",
        work_email="mari@prospect.example",
    )
    f.DemoFactory.create(subject=prospect, held_on=D(2020, 2, 1), notes="Liked the reports")
    f.CommunicationFactory.create(subject=prospect, sent_at=LONG_AGO)
    f.UsageRecordFactory.create(subject=prospect, occurred_at=LONG_AGO, action="login")
    KindChange.objects.create(subject=prospect, kind=SubjectKind.PROSPECT, changed_on=D(2020, 1, 5))
    return prospect


def test_an_anonymised_subject_keeps_only_non_personal_facts(seeded: None) -> None:
    prospect = expired_prospect_with_records()
    DataSubject.objects.filter(pk=prospect.pk).update(
        position="CTO", photo=b"\x89PNG", photo_content_type="image/png"
    )
    purge(D(2025, 6, 1))
    person = DataSubject.objects.get(pk=prospect.pk)
    assert person.anonymised_at is not None
    assert (person.first_name, person.last_name, person.position) == ("", "", "")
    assert person.date_of_birth is None and person.photo is None
    assert person.photo_content_type == ""
    assert person.work_address is None and person.work_phone is None
    assert person.work_email is None and person.work_email_index is None
    assert str(person.country) == "" and person.organisation_id is None
    # Non-personal facts survive: kind, source, when collected; the kind history counts.
    assert person.kind == SubjectKind.PROSPECT
    assert person.collected_at == LONG_AGO
    assert KindChange.objects.filter(subject=person).count() == 1
    assert not DataSubject.objects.with_email("mari@prospect.example").exists()
    # Nor by name: the words' blind indexes went with the names.
    assert not NameToken.objects.filter(subject=person).exists()
    assert not DataSubject.objects.search("mari maasikas").exists()


def test_the_prospects_records_lose_their_free_text_and_usage_its_link(seeded: None) -> None:
    prospect = expired_prospect_with_records()
    purge(D(2025, 6, 1))
    demo = Demo.objects.get(subject=prospect)
    assert demo.notes is None and demo.held_on == D(2020, 2, 1)
    message = Communication.objects.get(subject=prospect)
    assert message.subject_line is None and message.body is None
    assert message.sent_at == LONG_AGO and message.direction == "inbound"
    usage = UsageRecord.objects.get(action="login")
    assert usage.subject_id is None and usage.details is None
    assert usage.occurred_at == LONG_AGO


def test_an_anonymised_invoice_keeps_number_date_and_amount(seeded: None) -> None:
    invoice = f.InvoiceFactory.create(issued_on=D(2010, 5, 5), number="INV-2010-1")
    purge(D(2025, 6, 1))
    invoice.refresh_from_db()
    assert (invoice.billing_name, invoice.billing_email, invoice.billing_address) == (
        None,
        None,
        None,
    )
    assert invoice.billing_contact_id is None and invoice.anonymised_at is not None
    assert (invoice.number, invoice.issued_on, invoice.amount) == (
        "INV-2010-1",
        D(2010, 5, 5),
        Decimal("199.00"),
    )
    assert invoice.organisation_id is not None


def test_an_anonymised_claim_keeps_dates_and_amount(seeded: None) -> None:
    claim = f.ClaimFactory.create(fell_due_on=D(2012, 1, 1), closed_on=D(2013, 1, 1))
    purge(D(2025, 6, 1))
    claim.refresh_from_db()
    assert claim.description is None and claim.subject_id is None
    assert claim.anonymised_at is not None
    assert (claim.fell_due_on, claim.closed_on, claim.amount) == (
        D(2012, 1, 1),
        D(2013, 1, 1),
        Decimal("500.00"),
    )


def test_trial_content_is_deleted_or_anonymised_as_the_rule_says(seeded: None) -> None:
    deleted = f.TrialContentFactory.create(trial__ended_on=D(2024, 1, 1))
    purge(D(2025, 6, 1))
    assert not TrialContent.objects.filter(pk=deleted.pk).exists()
    RetentionRule.objects.filter(code="trial-content-75d").update(action="anonymise")
    author = f.ProspectFactory.create()
    kept = f.TrialContentFactory.create(trial__ended_on=D(2024, 1, 1), author=author)
    purge(D(2025, 6, 1))
    kept.refresh_from_db()
    assert (kept.content, kept.title, kept.author_id) == (None, "", None)
    assert kept.trial_id is not None


def test_a_delete_rule_deletes_people_and_their_records_set_based(seeded: None) -> None:
    RetentionRule.objects.filter(code="prospects-1y").update(action="delete")
    prospect = expired_prospect_with_records()
    content = f.TrialContentFactory.create(author=prospect, trial__converted_on=D(2020, 1, 1))
    purge(D(2025, 6, 1))
    assert not DataSubject.objects.filter(pk=prospect.pk).exists()
    assert not Demo.objects.filter(subject_id=prospect.pk).exists()
    assert not KindChange.objects.filter(subject_id=prospect.pk).exists()
    assert not NameToken.objects.filter(subject_id=prospect.pk).exists()
    assert not UsageRecord.objects.filter(action="login").exists()
    content.refresh_from_db()
    assert content.author_id is None  # SET_NULL child unlinked, content (client's) kept


def test_longest_period_wins_for_a_prospect_who_is_also_a_billing_contact(seeded: None) -> None:
    prospect = expired_prospect_with_records()
    invoice = f.InvoiceFactory.create(
        organisation=prospect.organisation, billing_contact=prospect, issued_on=D(2020, 1, 10)
    )
    purge(D(2025, 6, 1))
    prospect.refresh_from_db()
    invoice.refresh_from_db()
    # The prospect period ended: the person's own record goes ...
    assert prospect.anonymised_at is not None and prospect.work_email is None
    # ... but the invoice keeps its billing copy until 7 years after the financial year.
    assert invoice.billing_name == "Billing Person"
    assert invoice.billing_email is not None and invoice.billing_address is not None
    purge(D(2027, 12, 31))
    invoice.refresh_from_db()
    assert invoice.billing_name == "Billing Person"
    purge(D(2028, 1, 1))
    invoice.refresh_from_db()
    assert invoice.billing_name is None


def test_what_a_kept_claim_needs_of_a_person_stays_until_the_claim_goes(
    seeded: None,
) -> None:
    # Art. 17(3)(e) with 5(1)(c): the claim keeps its party's identity, contact and the
    # possible evidence; what it does not need (position, demo notes, usage) goes when the
    # person's own period ends, as for everyone else.
    prospect = expired_prospect_with_records()
    claim = f.ClaimFactory.create(subject=prospect, fell_due_on=D(2020, 3, 1), closed_on=None)
    invoice = f.InvoiceFactory.create(organisation=prospect.organisation, issued_on=D(2010, 1, 1))
    purge(D(2025, 6, 1))
    prospect.refresh_from_db()
    invoice.refresh_from_db()
    assert prospect.anonymised_at is None and prospect.work_email == "mari@prospect.example"
    assert prospect.first_name == "Mari" and prospect.position == ""
    # Their messages may be the claim's evidence; an open claim keeps its invoices too.
    assert Communication.objects.get(subject=prospect).body is not None
    assert invoice.billing_name == "Billing Person"
    assert Demo.objects.get(subject=prospect).notes is None
    assert not UsageRecord.objects.filter(subject=prospect).exists()
    [entry] = purge_history_for_subject(prospect.pk)
    assert entry["kept"] and entry["rule"] == "prospects-1y"
    # Nothing is left to clear: the next purge does not touch the person again.
    purge(D(2025, 6, 2))
    assert len(purge_history_for_subject(prospect.pk)) == 1
    Claim.objects.filter(pk=claim.pk).update(closed_on=D(2021, 1, 1))
    purge(D(2030, 3, 2))
    prospect.refresh_from_db()
    claim.refresh_from_db()
    assert claim.anonymised_at is not None
    assert prospect.anonymised_at is not None  # in the same run, after the claim


@pytest.mark.parametrize("where", ["subject", "organisation"])
def test_legal_hold_stops_every_purge_of_the_holder(seeded: None, where: str) -> None:
    prospect = expired_prospect_with_records()
    holder = prospect if where == "subject" else prospect.organisation
    assert holder is not None
    holder.legal_hold_reason = "Court case 2-24-1234"
    holder.legal_hold_review_on = D(2026, 1, 1)
    holder.save()
    content = f.TrialContentFactory.create(
        trial__organisation=prospect.organisation, author=prospect
    )
    content.trial.ended_on = D(2020, 1, 1)
    content.trial.save()
    purge(D(2025, 6, 1))
    prospect.refresh_from_db()
    assert prospect.anonymised_at is None
    assert Demo.objects.get(subject=prospect).notes == "Liked the reports"
    assert TrialContent.objects.filter(pk=content.pk).exists()


def test_restriction_stops_every_purge_of_the_person(seeded: None) -> None:
    prospect = expired_prospect_with_records()
    DataSubject.objects.filter(pk=prospect.pk).update(restricted_at=timezone.now())
    purge(D(2025, 6, 1))
    prospect.refresh_from_db()
    assert prospect.anonymised_at is None
    assert Communication.objects.get(subject=prospect).body == "Hello, I have a question."


def test_a_second_purge_changes_nothing_and_logs_nothing(seeded: None) -> None:
    expired_prospect_with_records()
    f.InvoiceFactory.create(issued_on=D(2010, 5, 5))
    f.TrialContentFactory.create(trial__ended_on=D(2024, 1, 1))
    first = purge(D(2025, 6, 1))
    assert first.total == 3
    batches = PurgeBatch.objects.count()
    second = purge(D(2025, 6, 1))
    assert second.total == 0
    assert PurgeBatch.objects.count() == batches


def test_the_run_log_says_what_happened_to_a_subject_and_under_which_rule(seeded: None) -> None:
    prospect = expired_prospect_with_records()
    run = purge(D(2025, 6, 1))
    history = purge_history_for_subject(prospect.pk)
    assert [(h["rule"], h["run"]) for h in history] == [("prospects-1y", run)]
    summary = AuditEvent.objects.get(action="retention.purge.rule", details__rule="prospects-1y")
    assert summary.actor_label == "test"
    assert summary.details["records"] == 1
    assert summary.details["rows"]["subjects.datasubject"] == 1
    # Counts only: the ids are in the run log, never in the audit log.
    assert set(summary.details) == {"run", "rule", "as_of", "records", "rows", "interrupted"}
    assert AuditEvent.objects.filter(action="retention.purge.rule").count() == (
        RetentionRule.objects.in_force().count()
    )


# --- erasure on request ----------------------------------------------------------------------


def test_anonymise_subjects_erases_at_once_whatever_the_deadline(dpo: User) -> None:
    person = f.ProspectFactory.create()  # collected today: nowhere near its deadline
    f.DemoFactory.create(subject=person, notes="Notes")
    invoice = f.InvoiceFactory.create(billing_contact=person)
    assert anonymise_subjects(subject_ids=[person.pk], actor=dpo, reason="art-17-1-c") == 1
    person.refresh_from_db()
    invoice.refresh_from_db()
    assert person.anonymised_at is not None and person.work_email is None
    assert person.last_name == "" and not NameToken.objects.filter(subject=person).exists()
    assert Demo.objects.get(subject=person).notes is None
    # Erasure yields where law requires keeping data: the invoice's copy stays.
    assert invoice.billing_name == "Billing Person"
    event = AuditEvent.objects.get(action="retention.subject.anonymised")
    assert (event.actor, event.target_id, event.details) == (
        dpo,
        str(person.pk),
        {"reason": "art-17-1-c"},
    )
    assert purge_history_for_subject(person.pk)[0]["action"] == "erasure"


def test_anonymise_subjects_refuses_anyone_under_legal_hold_and_changes_nothing(dpo: User) -> None:
    free = f.ProspectFactory.create()
    held = f.ProspectFactory.create(legal_hold_reason="Tax audit")
    with pytest.raises(SubjectsOnLegalHold) as refused:
        anonymise_subjects(subject_ids=[free.pk, held.pk], actor=dpo, reason="art-17")
    assert refused.value.subject_ids == [held.pk]
    free.refresh_from_db()
    assert free.anonymised_at is None
    assert not AuditEvent.objects.filter(action__startswith="retention.").exists()


def test_anonymise_subjects_keeps_what_a_claim_needs_of_its_party_and_says_so(
    dpo: User,
) -> None:
    person = f.DataSubjectFactory.create()
    f.ClaimFactory.create(subject=person, closed_on=None)
    f.UsageRecordFactory.create(subject=person)
    outcome = erase_subjects(subject_ids=[person.pk], actor=dpo, reason="art-17")
    assert outcome.anonymised == [] and outcome.kept_for_claims == [person.pk]
    person.refresh_from_db()
    assert person.anonymised_at is None and person.work_email is not None
    # Usage is no evidence of a claim: it goes at once (Art. 5(1)(c)).
    assert not UsageRecord.objects.filter(subject=person).exists()
    assert anonymise_subjects(subject_ids=[person.pk], actor=dpo, reason="art-17") == 0


def test_anonymising_twice_counts_once(dpo: User) -> None:
    person = f.ProspectFactory.create()
    assert anonymise_subjects(subject_ids=[person.pk], actor=dpo, reason="x") == 1
    outcome = erase_subjects(subject_ids=[person.pk], actor=dpo, reason="x")
    assert outcome.already_anonymised == [person.pk] and outcome.anonymised == []
    assert Invoice.objects.count() == 0
