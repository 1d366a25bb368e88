"""The consent ledger: append-only, read by when the person acted, never retroactive."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.utils import DatabaseError

from consent import services
from consent.models import ConsentEvent, ConsentEvidence, EventKind, PolicyVersion
from consent.selectors import consent_state
from core.appendonly import AppendOnlyError
from core.models import AuditEvent
from processing.models import Purpose
from subjects.models import DataSubject
from tests.factories import ConsentEventFactory, DataSubjectFactory, purpose

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 10, 12, 0, tzinfo=dt.UTC)


def _grant(subject: DataSubject, marketing: Purpose, at: dt.datetime = NOW) -> ConsentEvent:
    with time_machine.travel(at, tick=False):
        return services.grant_consent(
            subject=subject,
            purpose=marketing,
            channel="web_form",
            actor="data subject",
            wording="Newsletter, monthly",
        )


def test_the_ledger_refuses_update_and_delete_in_the_orm(marketing: Purpose) -> None:
    event = ConsentEventFactory.create(purpose=marketing)
    event.kind = EventKind.WITHDRAWN
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.filter(pk=event.pk).update(kind=EventKind.WITHDRAWN)
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.filter(pk=event.pk).delete()
    assert ConsentEvent.objects.get(pk=event.pk).kind == EventKind.GRANTED


@pytest.mark.postgres
def test_the_ledger_refuses_raw_sql_update_and_delete_on_postgresql(marketing: Purpose) -> None:
    event = ConsentEventFactory.create(purpose=marketing)
    for sql in (
        "UPDATE consent_consentevent SET kind = 'withdrawn' WHERE id = %s",
        "DELETE FROM consent_consentevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
            from django.db import transaction

            with transaction.atomic():
                cursor.execute(sql, [event.pk])
    assert ConsentEvent.objects.get(pk=event.pk).kind == EventKind.GRANTED


def test_a_subject_with_ledger_rows_cannot_be_deleted(marketing: Purpose) -> None:
    from django.db.models import ProtectedError

    event = ConsentEventFactory.create(purpose=marketing)
    with pytest.raises(ProtectedError):
        DataSubject.objects.filter(pk=event.subject_id).delete()


def test_a_grant_is_recorded_with_wording_policy_version_and_an_audit_event(
    marketing: Purpose,
) -> None:
    subject = DataSubjectFactory.create()
    event = _grant(subject, marketing)
    assert event.wording == "Newsletter, monthly"
    assert event.policy_version == PolicyVersion.objects.get(version="2018-05-25")
    assert event.occurred_at == event.recorded_at == NOW
    audit = AuditEvent.objects.get(action="consent.granted")
    assert audit.target_id == str(event.pk)
    assert audit.actor_label == "data subject"
    assert "Newsletter" not in str(audit.details)


def test_state_at_a_moment_before_and_after_a_withdrawal(marketing: Purpose) -> None:
    subject = DataSubjectFactory.create()
    _grant(subject, marketing, NOW)
    withdrawn_at = NOW + dt.timedelta(days=5)
    with time_machine.travel(withdrawn_at, tick=False):
        services.withdraw_consent(
            subject=subject, purpose=marketing, channel="email", actor="data subject"
        )
    before = consent_state(subject, marketing, at=withdrawn_at - dt.timedelta(seconds=1))
    after = consent_state(subject, marketing, at=withdrawn_at)
    assert (before.status, before.permitted) == ("granted", True)
    assert (after.status, after.permitted) == ("withdrawn", False)
    assert consent_state(subject, marketing, at=NOW - dt.timedelta(seconds=1)).status == "never"


def test_withdrawal_is_not_retroactive_earlier_grants_stay_in_the_ledger(
    marketing: Purpose,
) -> None:
    subject = DataSubjectFactory.create()
    grant = _grant(subject, marketing, NOW)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        services.withdraw_consent(
            subject=subject, purpose=marketing, channel="email", actor="data subject"
        )
    assert ConsentEvent.objects.get(pk=grant.pk).kind == EventKind.GRANTED
    assert consent_state(subject, marketing, at=NOW + dt.timedelta(hours=23)).permitted


def test_a_backdated_withdrawal_takes_effect_from_its_time(marketing: Purpose, staff: User) -> None:
    subject = DataSubjectFactory.create()
    _grant(subject, marketing, NOW)
    email_came = NOW + dt.timedelta(days=3)
    logged = NOW + dt.timedelta(days=4)
    with time_machine.travel(logged, tick=False):
        event = services.withdraw_consent(
            subject=subject,
            purpose=marketing,
            channel="email",
            actor=staff,
            occurred_at=email_came,
            evidence_text="Mail from the person: please stop",
        )
    assert event.occurred_at == email_came and event.recorded_at == logged
    assert not consent_state(subject, marketing, at=email_came).permitted
    assert consent_state(subject, marketing, at=email_came - dt.timedelta(seconds=1)).permitted
    assert ConsentEvidence.objects.get(event=event).text == "Mail from the person: please stop"
    assert AuditEvent.objects.get(action="consent.withdrawn").details["backdated"] is True


def test_a_backdated_grant_is_refused_and_nothing_is_stored(
    marketing: Purpose, staff: User
) -> None:
    subject = DataSubjectFactory.create()
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        services.grant_consent(
            subject=subject,
            purpose=marketing,
            channel="email",
            actor=staff,
            wording="Newsletter",
            evidence_text="The person's e-mail",
            occurred_at=NOW - dt.timedelta(days=1),
        )
    assert "cannot be back-dated" in str(refused.value)
    assert not ConsentEvent.objects.exists()


def test_a_staff_grant_needs_evidence(marketing: Purpose, staff: User) -> None:
    subject = DataSubjectFactory.create()
    with pytest.raises(ValidationError) as refused:
        services.grant_consent(
            subject=subject, purpose=marketing, channel="phone", actor=staff, wording="Newsletter"
        )
    assert "evidence_text" in refused.value.message_dict
    assert not ConsentEvent.objects.exists()


def test_a_future_time_is_refused(marketing: Purpose) -> None:
    subject = DataSubjectFactory.create()
    _grant(subject, marketing, NOW)
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError):
        services.withdraw_consent(
            subject=subject,
            purpose=marketing,
            channel="email",
            actor="data subject",
            occurred_at=NOW + dt.timedelta(hours=1),
        )


def test_withdrawal_applies_only_to_consent_purposes(seeded: None) -> None:
    subject = DataSubjectFactory.create(kind="prospect")
    with pytest.raises(ValidationError, match="objection"):
        services.withdraw_consent(
            subject=subject,
            purpose=purpose("prospect-marketing"),
            channel="email",
            actor="data subject",
        )


def test_a_policy_version_adding_a_consent_purpose_voids_earlier_grants(
    marketing: Purpose, dpo: User
) -> None:
    subject = DataSubjectFactory.create()
    _grant(subject, marketing, NOW)
    version = PolicyVersion.objects.create(
        version="2025-08",
        summary="Newsletter now includes partner offers",
        full_text="…",
        effective_on=dt.date(2025, 8, 1),
        published_at=NOW + dt.timedelta(days=1),
    )
    version.new_consent_purposes.add(marketing)
    before = consent_state(subject, marketing, at=dt.datetime(2025, 7, 31, 12, tzinfo=dt.UTC))
    after = consent_state(subject, marketing, at=dt.datetime(2025, 8, 2, tzinfo=dt.UTC))
    assert before.permitted and not after.permitted and after.status == "expired"
    _grant(subject, marketing, dt.datetime(2025, 8, 5, tzinfo=dt.UTC))
    assert consent_state(subject, marketing, at=dt.datetime(2025, 8, 6, tzinfo=dt.UTC)).permitted
