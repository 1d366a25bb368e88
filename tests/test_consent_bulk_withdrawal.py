"""Withdrawals in bulk (`consent.services.withdraw_consents`): the ledger rows and audit events
of `withdraw_consent`, set-based, with each row's outcome."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from consent.models import Channel, ConsentEvent, EventKind
from consent.selectors import consent_state
from consent.services import grant_consent, withdraw_consents
from core.models import AuditEvent
from processing.models import Purpose
from subjects.models import DataSubject
from tests.factories import DataSubjectFactory, purpose

pytestmark = pytest.mark.django_db


def _subscriber(marketing: Purpose, email: str, *, days_ago: int = 30) -> DataSubject:
    person = DataSubjectFactory.create(work_email=email)
    with time_machine.travel(timezone.now() - dt.timedelta(days=days_ago), tick=False):
        grant_consent(
            subject=person, purpose=marketing, channel=Channel.WEB_FORM,
            actor="data subject", wording="Newsletter",
        )  # fmt: skip
    return person


def test_each_address_is_withdrawn_unchanged_or_refused(marketing: Purpose, staff: User) -> None:
    first = _subscriber(marketing, "a@example.com")
    second = _subscriber(marketing, "b@example.com")
    never = DataSubjectFactory.create(work_email="never@example.com")
    yesterday = timezone.now() - dt.timedelta(days=1)
    emails = ["A@example.com", "b@example.com", "never@example.com", "nobody@example.com",
              "a@example.com", "not an address", "b@example.com"]  # fmt: skip

    dry = withdraw_consents(emails=emails, purpose=marketing, channel=Channel.API, actor=staff,
                            dry_run=True)  # fmt: skip
    outcome = withdraw_consents(
        emails=emails, purpose=marketing, channel=Channel.API, actor=staff,
        occurred_at=[yesterday] + [None] * 6,
    )  # fmt: skip

    assert dry.actions == outcome.actions == (
        "withdraw", "withdraw", "unchanged", "refuse", "refuse", "refuse", "refuse",
    )  # fmt: skip
    assert outcome.subject_ids[:3] == (first.pk, second.pk, never.pk)
    assert set(outcome.errors) == {3, 4, 5, 6} and "work_email" in outcome.errors[3]
    assert not consent_state(first, marketing).permitted
    assert ConsentEvent.objects.get(subject=first, kind=EventKind.WITHDRAWN).occurred_at == (
        yesterday
    )
    assert AuditEvent.objects.filter(action="consent.withdrawn").count() == 2
    again = withdraw_consents(emails=["a@example.com"], purpose=marketing, channel="api",
                              actor=staff)  # fmt: skip
    assert again.actions == ("unchanged",) and not again.event_ids


def test_an_unsubscribe_dated_before_a_later_grant_changes_nothing(
    marketing: Purpose, staff: User
) -> None:
    _subscriber(marketing, "a@example.com", days_ago=1)

    outcome = withdraw_consents(
        emails=["a@example.com"], purpose=marketing, channel=Channel.API, actor=staff,
        occurred_at=[timezone.now() - dt.timedelta(days=5)],
    )  # fmt: skip

    assert outcome.actions == ("unchanged",)
    assert not ConsentEvent.objects.filter(kind=EventKind.WITHDRAWN).exists()


def test_a_purpose_not_resting_on_consent_is_refused(seeded: None, staff: User) -> None:
    with pytest.raises(ValidationError):
        withdraw_consents(
            emails=["a@example.com"], purpose=purpose("prospect-marketing"),
            channel=Channel.API, actor=staff,
        )  # fmt: skip
