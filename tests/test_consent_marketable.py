"""Who may be marketed to, objections (Art. 21) and the suppression list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from consent import services
from consent.models import (
    ConsentEvent,
    ConsentSettings,
    EventKind,
    ObjectionReview,
    ReviewStatus,
    SuppressionEntry,
)
from consent.selectors import consent_state, marketable_filter
from core.crypto import blind_index
from core.models import AuditEvent
from processing.models import Purpose
from subjects.models import DataSubject
from subjects.services import create_subject
from tests.factories import DataSubjectFactory, ProspectFactory, purpose

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def prospect_marketing(seeded: None) -> Purpose:
    return purpose("prospect-marketing")


def _grant(subject: DataSubject, marketing: Purpose) -> None:
    services.grant_consent(
        subject=subject, purpose=marketing, channel="web_form", actor="data subject",
        wording="Newsletter",
    )  # fmt: skip


def _marketable(purpose_: Purpose, at: dt.datetime | None = None) -> set[int]:
    audience = marketable_filter(DataSubject.objects.all(), purpose=purpose_, at=at)
    return set(audience.values_list("pk", flat=True))


def test_consent_purpose_marketable_means_granted_and_not_withdrawn_since(
    marketing: Purpose,
) -> None:
    granted, withdrawn, never = DataSubjectFactory.create_batch(3)
    with time_machine.travel(NOW, tick=False):
        _grant(granted, marketing)
        _grant(withdrawn, marketing)
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        services.withdraw_consent(
            subject=withdrawn, purpose=marketing, channel="email", actor="data subject"
        )
    assert _marketable(marketing, NOW + dt.timedelta(days=3)) == {granted.pk}
    assert _marketable(marketing, NOW + dt.timedelta(days=1)) == {granted.pk, withdrawn.pk}
    assert _marketable(marketing, NOW - dt.timedelta(seconds=1)) == set()
    assert never.pk not in _marketable(marketing)


def test_legitimate_interest_marketable_means_not_objected_and_of_a_covered_kind(
    prospect_marketing: Purpose,
) -> None:
    prospect, objector = ProspectFactory.create_batch(2)
    client_user = DataSubjectFactory.create(kind="user")
    with time_machine.travel(NOW, tick=False):
        services.object_to_processing(
            subject=objector, purpose=prospect_marketing, channel="email", actor="data subject"
        )
    assert _marketable(prospect_marketing, NOW + dt.timedelta(hours=1)) == {prospect.pk}
    assert objector.pk in _marketable(prospect_marketing, NOW - dt.timedelta(days=1))
    assert client_user.pk not in _marketable(prospect_marketing)


@pytest.mark.parametrize(
    "exclusion",
    [
        {"restricted_at": NOW},
        {"anonymised_at": NOW},
        {"work_email": None},
    ],
    ids=["restricted", "anonymised", "no e-mail"],
)
def test_marketable_excludes_restricted_anonymised_and_unreachable_people(
    marketing: Purpose, prospect_marketing: Purpose, exclusion: dict[str, Any]
) -> None:
    consenting = DataSubjectFactory.create()
    prospect = ProspectFactory.create()
    _grant(consenting, marketing)
    DataSubject.objects.filter(pk__in=[consenting.pk, prospect.pk]).update(**exclusion)
    assert consenting.pk not in _marketable(marketing)
    assert prospect.pk not in _marketable(prospect_marketing)


def test_marketable_excludes_suppressed_addresses(
    marketing: Purpose, prospect_marketing: Purpose
) -> None:
    consenting = DataSubjectFactory.create(work_email="kept@company.example")
    prospect = ProspectFactory.create(work_email="Prospect@Company.example")
    _grant(consenting, marketing)
    assert _marketable(marketing) == {consenting.pk}
    services.suppress_email(email="kept@company.example", channel="email", actor="data subject")
    services.suppress_email(email="prospect@company.example", channel="email", actor="api")
    assert _marketable(marketing) == set()
    assert prospect.pk not in _marketable(prospect_marketing)


def test_an_objecting_prospect_is_erased_suppressed_and_a_reimport_is_refused(
    prospect_marketing: Purpose,
    staff: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    prospect = ProspectFactory.create(work_email="lead@prospect.example", first_name="Liis")
    with django_capture_on_commit_callbacks(execute=True):
        services.object_to_processing(
            subject=prospect,
            purpose=prospect_marketing,
            channel="email",
            actor=staff,
            evidence_text="Please never contact me again",
        )
    prospect.refresh_from_db()
    assert prospect.anonymised_at is not None
    assert prospect.work_email is None and prospect.first_name != "Liis"
    entry = SuppressionEntry.objects.get()
    assert entry.email_index == blind_index("lead@prospect.example")
    assert entry.channel == "email" and entry.suppressed_on == timezone.localdate()
    event = ConsentEvent.objects.get(subject=prospect)
    assert event.kind == EventKind.OBJECTED  # the ledger row stays, the person is anonymised
    assert AuditEvent.objects.filter(action="consent.suppressed").exists()

    with pytest.raises(ValidationError) as refused:
        create_subject(
            actor=staff, kind="prospect", first_name="Liis", work_email="LEAD@prospect.example "
        )
    assert "suppression list" in str(refused.value.message_dict["work_email"])
    assert DataSubject.objects.active().with_email("lead@prospect.example").count() == 0


def test_a_reimport_is_stored_flagged_when_the_dpo_chose_flag(
    prospect_marketing: Purpose, dpo: User
) -> None:
    services.suppress_email(email="lead@prospect.example", channel="email", actor=dpo)
    services.set_suppressed_import_policy(actor=dpo, on_suppressed_import="flag")
    assert ConsentSettings.load().on_suppressed_import == "flag"
    subject = create_subject(actor=dpo, kind="prospect", work_email="lead@prospect.example")
    assert AuditEvent.objects.filter(
        action="consent.suppressed_address_stored", target_id=str(subject.pk)
    ).exists()
    assert subject.pk not in _marketable(prospect_marketing)


def test_an_objection_to_other_legitimate_interest_opens_a_review_and_restricts(
    seeded: None, staff: User, dpo: User
) -> None:
    claims = purpose("legal-claims")
    subject = DataSubjectFactory.create()
    with time_machine.travel(NOW, tick=False):
        services.object_to_processing(
            subject=subject, purpose=claims, channel="letter", actor=staff
        )
    subject.refresh_from_db()
    review = ObjectionReview.objects.get()
    assert review.status == ReviewStatus.OPEN and subject.restricted_at == NOW
    assert consent_state(subject, claims).status == "objection_pending"
    assert AuditEvent.objects.filter(action="subject.restricted").exists()

    services.decide_objection(
        review=review, actor=dpo, upheld=False, reasoning="Claim pending in court (Art. 21(1))."
    )
    subject.refresh_from_db()
    assert subject.restricted_at is None
    assert consent_state(subject, claims).permitted
    with pytest.raises(ValidationError, match="already been decided"):
        services.decide_objection(review=review, actor=dpo, upheld=True, reasoning="again")


def test_an_upheld_objection_stops_the_processing(seeded: None, dpo: User) -> None:
    claims = purpose("legal-claims")
    subject = DataSubjectFactory.create()
    services.object_to_processing(subject=subject, purpose=claims, channel="email", actor=dpo)
    services.decide_objection(
        review=ObjectionReview.objects.get(), actor=dpo, upheld=True, reasoning="No claim."
    )
    assert consent_state(subject, claims).status == "objected"
    assert subject.pk not in _marketable(claims)


def test_logging_twice_records_nothing_the_second_time(marketing: Purpose, staff: User) -> None:
    subject = DataSubjectFactory.create()
    _grant(subject, marketing)
    first = services.log_withdrawal_or_objection(
        subject=subject, purposes=[marketing], channel="phone", actor=staff
    )
    second = services.log_withdrawal_or_objection(
        subject=subject, purposes=[marketing], channel="phone", actor=staff
    )
    assert len(first.events) == 1 and second.events == [] and second.unchanged == [marketing]
    assert ConsentEvent.objects.filter(kind=EventKind.WITHDRAWN).count() == 1
