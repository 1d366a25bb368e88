"""Restriction of processing (Art. 18) with its ground and its announced lifting;
erasure on request taking the person out of every list at once, even one a claim keeps."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from consent.selectors import marketable_filter
from core.models import AuditEvent
from processing.models import Purpose
from subjects.models import DataSubject, RestrictionGround
from subjects.services import (
    announce_restriction_lift,
    erase_subjects,
    lift_restriction,
    restrict_processing,
)
from tests import factories as f
from tests.fixture_types import ClientFor
from tests.retention_helpers import purge

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
D = dt.date


def test_a_restriction_needs_its_ground_and_is_audited(dpo: User) -> None:
    person = f.DataSubjectFactory.create()
    with pytest.raises(ValidationError):
        restrict_processing(subject=person, ground="because", actor=dpo)
    restrict_processing(subject=person, ground=RestrictionGround.ACCURACY_CONTESTED, actor=dpo)
    person.refresh_from_db()
    assert person.is_restricted and person.restriction_ground == "accuracy_contested"
    assert AuditEvent.objects.filter(action="subject.restricted", target_id=str(person.pk)).exists()


def test_a_restriction_is_lifted_only_after_the_person_was_told(dpo: User) -> None:
    person = f.DataSubjectFactory.create()
    restrict_processing(subject=person, ground=RestrictionGround.NEEDED_FOR_CLAIMS, actor=dpo)
    with pytest.raises(ValidationError, match=r"Art. 18\(3\)"):
        lift_restriction(subject=person, actor=dpo)
    announce_restriction_lift(subject=person, actor=dpo)
    lift_restriction(subject=person, actor=dpo)
    person.refresh_from_db()
    assert not person.is_restricted and person.restriction_ground == ""
    actions = list(
        AuditEvent.objects.filter(target_id=str(person.pk)).values_list("action", flat=True)
    )
    assert {"subject.restriction_lift_announced", "subject.restriction_lifted"} <= set(actions)


def test_a_restricted_person_leaves_every_marketing_audience(dpo: User, marketing: Purpose) -> None:
    from consent.services import grant_consent

    person = f.DataSubjectFactory.create()
    grant_consent(subject=person, purpose=marketing, channel="web_form", actor="x", wording="Y")
    audience = marketable_filter(DataSubject.objects.filter(pk=person.pk), purpose=marketing)
    assert audience.exists()
    restrict_processing(subject=person, ground=RestrictionGround.UNLAWFUL_KEPT, actor=dpo)
    assert not audience.exists()


def test_a_restriction_keeps_a_prospect_past_the_period_but_not_a_claim_past_its_legal_end(
    seeded: None, dpo: User
) -> None:
    prospect = f.ProspectFactory.create(collected_at=dt.datetime(2020, 1, 5, 12, tzinfo=TALLINN))
    claim = f.ClaimFactory.create(fell_due_on=D(2014, 1, 1), closed_on=D(2014, 6, 1))
    for person in (prospect, claim.subject):
        assert person is not None
        restrict_processing(subject=person, ground=RestrictionGround.NEEDED_FOR_CLAIMS, actor=dpo)
    purge(D(2025, 6, 1))
    prospect.refresh_from_db()
    claim.refresh_from_db()
    assert prospect.anonymised_at is None  # restricted: kept
    assert claim.anonymised_at is not None  # 10 years: the limitation period ends it


def test_an_erased_person_a_claim_keeps_is_gone_from_every_list_at_once(
    seeded: None, dpo: User, client_for: ClientFor, marketing: Purpose
) -> None:
    claim = f.ClaimFactory.create(fell_due_on=D(2024, 1, 1), closed_on=None)
    person = claim.subject
    assert person is not None
    colleague = f.DataSubjectFactory.create(organisation=person.organisation, last_name="Naaber")
    outcome = erase_subjects(subject_ids=[person.pk], actor=dpo, reason="GDPR Art. 17")
    assert outcome.kept_for_claims == [person.pk]
    person.refresh_from_db()
    assert person.anonymised_at is None and person.erasure_requested_at is not None
    assert not DataSubject.objects.active().filter(pk=person.pk).exists()
    assert not marketable_filter(
        DataSubject.objects.filter(pk=person.pk), purpose=marketing
    ).exists()
    listing = client_for(dpo).get("/subjects/", {"q": person.last_name}).content.decode()
    assert f'href="/subjects/{person.pk}/"' not in listing
    colleague.refresh_from_db()
    assert colleague.erasure_requested_at is None and colleague.anonymised_at is None
    # When the claim goes (10 years after it fell due), the person's erasure is carried out.
    purge(D(2034, 1, 2))
    person.refresh_from_db()
    assert person.anonymised_at is not None and person.last_name == ""
