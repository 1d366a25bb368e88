"""Consent evidence and objection reasoning go 3 years after the person was anonymised; the
ledger event stays (GDPR Art. 7(1))."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from consent.models import ConsentEvent, ConsentEvidence, ObjectionReview
from retention.models import RetentionRule
from tests.factories import ConsentEventFactory, DataSubjectFactory, purpose
from tests.retention_helpers import purge

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")


def anonymised_person_with_evidence(anonymised_on: dt.date) -> tuple[ConsentEvent, ObjectionReview]:
    subject = DataSubjectFactory.create()
    event = ConsentEventFactory.create(subject=subject)
    ConsentEvidence.objects.create(event=event, text="Signed form", file=b"%PDF", file_name="a.pdf")
    objection = ConsentEventFactory.create(
        subject=subject, kind="objected", purpose=purpose("service"), wording=""
    )
    review = ObjectionReview.objects.create(
        event=objection, subject=subject, purpose=purpose("service"), reasoning="Balanced: kept"
    )
    subject.anonymised_at = dt.datetime.combine(anonymised_on, dt.time(12), tzinfo=TALLINN)
    subject.save()
    return event, review


def test_both_rules_are_seeded(seeded: None) -> None:
    codes = set(RetentionRule.objects.values_list("record_type", flat=True))
    assert {"consent.evidence", "consent.objection_review"} <= codes


def test_evidence_stays_until_three_years_after_anonymisation(seeded: None) -> None:
    event, review = anonymised_person_with_evidence(dt.date(2022, 3, 10))
    purge(dt.date(2025, 3, 10))  # expires_on = 2025-03-10: still kept that day
    assert ConsentEvidence.objects.get(event=event).text == "Signed form"
    assert ObjectionReview.objects.get(pk=review.pk).reasoning == "Balanced: kept"

    purge(dt.date(2025, 3, 11))
    evidence = ConsentEvidence.objects.get(event=event)
    assert (evidence.text, evidence.file, evidence.file_name) == (None, None, "")
    assert evidence.purged_at is not None
    assert ObjectionReview.objects.get(pk=review.pk).reasoning is None
    # The ledger keeps the event itself.
    assert ConsentEvent.objects.get(pk=event.pk).wording == "I agree to receive the newsletter."


def test_evidence_of_a_known_person_is_kept(seeded: None) -> None:
    event = ConsentEventFactory.create()
    ConsentEvidence.objects.create(event=event, text="Signed form")
    purge(dt.date(2026, 1, 1))
    assert ConsentEvidence.objects.get(event=event).text == "Signed form"
